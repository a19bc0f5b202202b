package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/escott-go/escott/internal/sqlutil"
)

// Default table names. Every store takes its table name from WithTable, or
// else from its default here; an index is named after its table (without the
// schema) plus a suffix, so the same name rule covers tables and indexes.
const (
	DefaultJournalTable = "escott_journal"
	DefaultThreeDSTable = "escott_threeds"
	DefaultDedupeTable  = "escott_dedupe"
)

// DefaultLease is how long a notification claim or a 3-D Secure claim
// blocks other instances before it is presumed abandoned (its instance died
// mid-processing).
const DefaultLease = 2 * time.Minute

// Option configures NewJournal, NewThreeDSStore and NewDedupeStore: one
// option style for the three. An option a store has no use for is ignored.
type Option func(*config)

type config struct {
	table         string
	questionMarks bool
	ttl, lease    time.Duration
	now           func() time.Time
}

// WithTable sets the table name of the one store it is passed to
// (DefaultJournalTable, DefaultThreeDSTable or DefaultDedupeTable otherwise).
// It may be qualified by a schema ("shop.escott_threeds"); each part must be
// a plain identifier (letters, digits, underscores, not starting with a
// digit). To run several shops in one database, give each a schema
// ("shop1.escott_journal") or a prefix of its own ("shop1_escott_journal").
func WithTable(name string) Option { return func(c *config) { c.table = name } }

// WithQuestionMarks makes the queries use "?" placeholders (SQLite and
// others) instead of PostgreSQL's "$1".
func WithQuestionMarks() Option { return func(c *config) { c.questionMarks = true } }

// WithTTL sets how long a record lives (the Journal ignores it; it keeps
// every row): a 3-D Secure attempt from Save
// (escott.DefaultThreeDSTTL by default), a processed notification key from
// Done (escott.DefaultDedupeTTL by default). Zero or less keeps the default.
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithLease sets how long a claim — a DedupeStore's notification in
// processing, a ThreeDSStore's 3-D Secure attempt being recorded — keeps
// other instances out before one of them may take it over (DefaultLease by
// default; zero or less keeps it). Make it longer than your slowest
// subscriber or order recording: a takeover while the first instance is
// still working delivers the notification or the payment twice. Shorter
// means a crashed instance's claim is taken over sooner.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithClock replaces time.Now, for tests. The Journal ignores it: the times
// it stores are the ones in the attempts it is given.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// newConfig applies opts over the defaults and checks the table name.
func newConfig(table string, ttl time.Duration, opts []Option) (*config, string, error) {
	c := &config{table: table, ttl: ttl, lease: DefaultLease, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if c.ttl <= 0 {
		c.ttl = ttl
	}
	if c.lease <= 0 {
		c.lease = DefaultLease
	}
	if c.now == nil {
		c.now = time.Now
	}
	base, err := sqlutil.Table(c.table)
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: %w", err)
	}
	return c, base, nil
}

func (c *config) ph() func(int) string {
	return sqlutil.Placeholders{QuestionMarks: c.questionMarks}.N
}

// createTable runs the store's DDL, tolerating another instance doing the
// same at the same moment.
func createTable(ctx context.Context, db *sql.DB, table string, ddl []string) error {
	for _, stmt := range ddl {
		if err := sqlutil.ExecDDL(ctx, db, stmt); err != nil {
			return fmt.Errorf("sqlstore: create %s: %w", table, err)
		}
	}
	return nil
}

// rowsAffected returns the count of an Exec.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
