package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/sqlutil"
)

// Journal is an escott.Journal in a database/sql table, shared by several
// processes or shop instances. Each attempt is one row; the double-submit
// guard is a partial unique index on the link key of rows still in flight or
// of unknown outcome, so it holds across every instance using the same table. It was written for and
// tested against PostgreSQL; any database with partial unique indexes (SQLite
// too) can work with WithQuestionMarks.
//
// Unlike escott.MemoryJournal and journal.File it keeps the rows of finished
// attempts as a history of what was sent; Pending still lists only in-flight
// and unknown ones. Times are stored to the microsecond.
type Journal struct {
	db *sql.DB
	q  journalQueries
}

type journalQueries struct {
	begin, open, finish, finishPID, pending, resolve, resolvePID string
}

// NewJournal returns a journal stored in db (table DefaultJournalTable unless
// WithTable), creating its table and indexes if they are missing. It uses
// WithTable and WithQuestionMarks and ignores the other options. The caller
// keeps ownership of db.
func NewJournal(ctx context.Context, db *sql.DB, opts ...Option) (*Journal, error) {
	cfg, base, err := newConfig(DefaultJournalTable, 0, opts) // index names take no schema; they live with the table
	if err != nil {
		return nil, err
	}
	t, ph := cfg.table, cfg.ph()
	// Outcome values are the Outcome constants: 0 in flight, 3 unknown.
	ddl := []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
	link_key   TEXT NOT NULL,
	operation  TEXT NOT NULL,
	amount     TEXT NOT NULL,
	process_id TEXT NOT NULL,
	order_ref  TEXT NOT NULL,
	started    TIMESTAMP WITH TIME ZONE NOT NULL,
	finished   TIMESTAMP WITH TIME ZONE,
	outcome    SMALLINT NOT NULL,
	codes      TEXT NOT NULL
)`,
		// One open attempt per link key: in flight (0) or of unknown outcome
		// (3) until resolved. (v0 named a narrower index _in_flight.)
		`CREATE UNIQUE INDEX IF NOT EXISTS ` + base + `_open ON ` + t + ` (link_key) WHERE outcome IN (0, 3)`,
		`CREATE INDEX IF NOT EXISTS ` + base + `_pending ON ` + t + ` (started) WHERE outcome IN (0, 3)`,
	}
	if err := createTable(ctx, db, t, ddl); err != nil {
		return nil, err
	}

	cols := `link_key, operation, amount, process_id, order_ref, started, finished, outcome, codes`
	return &Journal{db: db, q: journalQueries{
		begin: `INSERT INTO ` + t + ` (` + cols + `) VALUES (` +
			strings.Join([]string{ph(1), ph(2), ph(3), ph(4), ph(5), ph(6)}, ", ") + `, NULL, 0, ` + ph(7) + `)`,
		open: `SELECT outcome FROM ` + t + ` WHERE link_key = ` + ph(1) + ` AND outcome IN (0, 3)`,
		finish: `UPDATE ` + t + ` SET outcome = ` + ph(1) + `, finished = ` + ph(2) + `, codes = ` + ph(3) +
			` WHERE link_key = ` + ph(4) + ` AND outcome = 0`,
		finishPID: `UPDATE ` + t + ` SET outcome = ` + ph(1) + `, finished = ` + ph(2) + `, codes = ` + ph(3) +
			`, process_id = ` + ph(4) + ` WHERE link_key = ` + ph(5) + ` AND outcome = 0`,
		// Resolve changes the outcome of unknown rows and in-flight ones; the
		// latter leave the partial unique index with it, freeing the link key.
		resolve: `UPDATE ` + t + ` SET outcome = ` + ph(1) + `, finished = ` + ph(2) + `, codes = ` + ph(3) +
			` WHERE link_key = ` + ph(4) + ` AND outcome IN (0, 3)`,
		resolvePID: `UPDATE ` + t + ` SET outcome = ` + ph(1) + `, finished = ` + ph(2) + `, codes = ` + ph(3) +
			`, process_id = ` + ph(4) + ` WHERE link_key = ` + ph(5) + ` AND outcome IN (0, 3)`,
		pending: `SELECT ` + cols + ` FROM ` + t + ` WHERE (outcome = 0 AND started < ` + ph(1) +
			`) OR outcome = 3 ORDER BY started, link_key`,
	}}, nil
}

// Begin implements escott.Journal. Of several instances beginning the same link key
// at once, exactly one succeeds; the others get escott.ErrJournalInFlight. A link
// key whose attempt ended unknown gets escott.ErrJournalUnresolved until
// Resolve.
func (s *Journal) Begin(ctx context.Context, a escott.Attempt) error {
	_, err := s.db.ExecContext(ctx, s.q.begin,
		a.LinkKey, a.Operation, a.Amount, a.ProcessID, a.OrderRef, sqlutil.Time(a.Started), joinCodes(a.Codes))
	if err != nil {
		if sqlutil.IsUniqueViolation(err) {
			var outcome int
			if s.db.QueryRowContext(ctx, s.q.open, a.LinkKey).Scan(&outcome) == nil && outcome == int(escott.OutcomeUnknown) {
				return escott.ErrJournalUnresolved
			}
			return escott.ErrJournalInFlight
		}
		return fmt.Errorf("sqlstore: journal: begin %s: %w", a.LinkKey, err)
	}
	return nil
}

// Finish implements escott.Journal. The outcome must be OutcomeSucceeded,
// OutcomeRejected or OutcomeUnknown.
func (s *Journal) Finish(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	if err := checkOutcome(r.Outcome); err != nil {
		return err
	}
	return s.update(ctx, "finish", s.q.finish, s.q.finishPID, linkKey, r)
}

// Resolve implements escott.Journal. The resolved rows stay in the table with the
// outcome, ProcessID and time the operator gave; Pending no longer lists them.
func (s *Journal) Resolve(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	if err := checkResolution(&r); err != nil {
		return err
	}
	return s.update(ctx, "resolve", s.q.resolve, s.q.resolvePID, linkKey, r)
}

// update runs a Finish or Resolve query, the one that also sets process_id
// when r has one, and maps "no row" to escott.ErrJournalNotFound.
func (s *Journal) update(ctx context.Context, op, query, queryPID, linkKey string, r escott.AttemptResult) error {
	var (
		res sql.Result
		err error
	)
	if r.ProcessID != "" {
		res, err = s.db.ExecContext(ctx, queryPID, int(r.Outcome), sqlutil.Time(r.At), joinCodes(r.Codes), r.ProcessID, linkKey)
	} else {
		res, err = s.db.ExecContext(ctx, query, int(r.Outcome), sqlutil.Time(r.At), joinCodes(r.Codes), linkKey)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: journal: %s %s: %w", op, linkKey, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: journal: %s %s: %w", op, linkKey, err)
	}
	if n == 0 {
		return escott.ErrJournalNotFound
	}
	return nil
}

// Pending implements escott.Journal.
func (s *Journal) Pending(ctx context.Context, olderThan time.Time) ([]escott.Attempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q.pending, sqlutil.Time(olderThan))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: journal: pending: %w", err)
	}
	defer rows.Close()
	var out []escott.Attempt
	for rows.Next() {
		var (
			a        escott.Attempt
			finished sql.NullTime
			outcome  int
			codes    string
		)
		if err := rows.Scan(&a.LinkKey, &a.Operation, &a.Amount, &a.ProcessID, &a.OrderRef,
			&a.Started, &finished, &outcome, &codes); err != nil {
			return nil, fmt.Errorf("sqlstore: journal: pending: %w", err)
		}
		a.Finished, a.Outcome, a.Codes = finished.Time, escott.Outcome(outcome), splitCodes(codes)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: journal: pending: %w", err)
	}
	return out, nil
}

// joinCodes stores response codes the way the gateway sends them.
func joinCodes(c []string) string { return strings.Join(c, "|") }

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// checkOutcome refuses a Finish that does not end the attempt.
func checkOutcome(o escott.Outcome) error {
	switch o {
	case escott.OutcomeSucceeded, escott.OutcomeRejected, escott.OutcomeUnknown:
		return nil
	}
	return fmt.Errorf("sqlstore: journal: Finish with outcome %q: want succeeded, rejected or unknown", o)
}

// checkResolution refuses a Resolve that does not say what happened, and
// stamps one that gives no time with now.
func checkResolution(r *escott.AttemptResult) error {
	switch r.Outcome {
	case escott.OutcomeSucceeded, escott.OutcomeRejected:
	default:
		return fmt.Errorf("sqlstore: journal: Resolve with outcome %q: want succeeded or rejected", r.Outcome)
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	return nil
}
