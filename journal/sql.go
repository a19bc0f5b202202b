package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/escott-go/escott/internal/sqlutil"
)

// SQL is a database/sql Journal shared by several processes or shop
// instances. Each attempt is one row; the double-submit guard is a partial
// unique index on the link key of rows still in flight, so it holds across
// every instance using the same table. It was written for and tested against
// PostgreSQL; any database with partial unique indexes (SQLite too) can work
// with the matching placeholder option.
//
// Unlike Memory and File it keeps the rows of finished attempts as a history
// of what was sent; Pending still lists only in-flight and unknown ones.
// Times are stored to the microsecond.
type SQL struct {
	db *sql.DB
	q  sqlQueries
}

type sqlQueries struct {
	begin, finish, finishPID, pending, resolve, resolvePID string
}

// SQLOption configures NewSQL.
type SQLOption func(*sqlConfig)

type sqlConfig struct {
	table        string
	questionMark bool
}

// WithTable sets the table name, "escott_journal" by default. It may be
// qualified by a schema ("shop.escott_journal"); each part must be a plain
// identifier (letters, digits, underscores, not starting with a digit).
func WithTable(name string) SQLOption { return func(c *sqlConfig) { c.table = name } }

// WithQuestionMarks makes the queries use "?" placeholders (SQLite and
// others) instead of PostgreSQL's "$1".
func WithQuestionMarks() SQLOption { return func(c *sqlConfig) { c.questionMark = true } }

// NewSQL returns a journal stored in db, creating its table and indexes if
// they are missing. The caller keeps ownership of db.
func NewSQL(ctx context.Context, db *sql.DB, opts ...SQLOption) (*SQL, error) {
	cfg := sqlConfig{table: "escott_journal"}
	for _, o := range opts {
		o(&cfg)
	}
	base, err := sqlutil.Table(cfg.table) // index names take no schema; they live with the table
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	t := cfg.table
	ph := sqlutil.Placeholders{QuestionMarks: cfg.questionMark}.N
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
		`CREATE UNIQUE INDEX IF NOT EXISTS ` + base + `_in_flight ON ` + t + ` (link_key) WHERE outcome = 0`,
		`CREATE INDEX IF NOT EXISTS ` + base + `_pending ON ` + t + ` (started) WHERE outcome IN (0, 3)`,
	}
	for _, stmt := range ddl {
		if err := sqlutil.ExecDDL(ctx, db, stmt); err != nil {
			return nil, fmt.Errorf("journal: create %s: %w", t, err)
		}
	}

	cols := `link_key, operation, amount, process_id, order_ref, started, finished, outcome, codes`
	return &SQL{db: db, q: sqlQueries{
		begin: `INSERT INTO ` + t + ` (` + cols + `) VALUES (` +
			strings.Join([]string{ph(1), ph(2), ph(3), ph(4), ph(5), ph(6)}, ", ") + `, NULL, 0, ` + ph(7) + `)`,
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

// Begin implements Journal. Of several instances beginning the same link key
// at once, exactly one succeeds; the others get ErrInFlight.
func (s *SQL) Begin(ctx context.Context, a Attempt) error {
	_, err := s.db.ExecContext(ctx, s.q.begin,
		a.LinkKey, a.Operation, a.Amount, a.ProcessID, a.OrderRef, dbTime(a.Started), joinCodes(a.Codes))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrInFlight
		}
		return fmt.Errorf("journal: begin %s: %w", a.LinkKey, err)
	}
	return nil
}

// Finish implements Journal. The outcome must be Succeeded, Rejected or
// Unknown.
func (s *SQL) Finish(ctx context.Context, linkKey string, r Result) error {
	if err := checkOutcome(r.Outcome); err != nil {
		return err
	}
	return s.update(ctx, "finish", s.q.finish, s.q.finishPID, linkKey, r)
}

// Resolve implements Journal. The resolved rows stay in the table with the
// outcome, ProcessID and time the operator gave; Pending no longer lists them.
func (s *SQL) Resolve(ctx context.Context, linkKey string, r Result) error {
	if err := checkResolution(&r); err != nil {
		return err
	}
	return s.update(ctx, "resolve", s.q.resolve, s.q.resolvePID, linkKey, r)
}

// update runs a Finish or Resolve query, the one that also sets process_id
// when r has one, and maps "no row" to ErrNotFound.
func (s *SQL) update(ctx context.Context, op, query, queryPID, linkKey string, r Result) error {
	var (
		res sql.Result
		err error
	)
	if r.ProcessID != "" {
		res, err = s.db.ExecContext(ctx, queryPID, int(r.Outcome), dbTime(r.At), joinCodes(r.Codes), r.ProcessID, linkKey)
	} else {
		res, err = s.db.ExecContext(ctx, query, int(r.Outcome), dbTime(r.At), joinCodes(r.Codes), linkKey)
	}
	if err != nil {
		return fmt.Errorf("journal: %s %s: %w", op, linkKey, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("journal: %s %s: %w", op, linkKey, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Pending implements Journal.
func (s *SQL) Pending(ctx context.Context, olderThan time.Time) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q.pending, dbTime(olderThan))
	if err != nil {
		return nil, fmt.Errorf("journal: pending: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var (
			a        Attempt
			finished sql.NullTime
			outcome  int
			codes    string
		)
		if err := rows.Scan(&a.LinkKey, &a.Operation, &a.Amount, &a.ProcessID, &a.OrderRef,
			&a.Started, &finished, &outcome, &codes); err != nil {
			return nil, fmt.Errorf("journal: pending: %w", err)
		}
		a.Finished, a.Outcome, a.Codes = finished.Time, Outcome(outcome), splitCodes(codes)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: pending: %w", err)
	}
	return out, nil
}

// dbTime drops what the database would round differently.
func dbTime(t time.Time) time.Time { return sqlutil.Time(t) }

// joinCodes stores response codes the way the gateway sends them.
func joinCodes(c []string) string { return strings.Join(c, "|") }

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// isUniqueViolation reports a unique-constraint error without importing a
// driver (see sqlutil.IsUniqueViolation).
func isUniqueViolation(err error) bool { return sqlutil.IsUniqueViolation(err) }
