package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/pgtest"
)

// testDB opens the PostgreSQL database named by ESCOTT_TEST_POSTGRES (see
// .ci/postgres.sh) as a new connection pool: two calls are two shop
// instances. Without it the test is skipped, except in CI, where a missing
// database fails it so that CI cannot pass by skipping.
func testDB(t *testing.T) *sql.DB { return pgtest.Open(t) }

// testTable returns a fresh table name and drops the table after the test,
// so tests share the database without seeing each other's rows.
func testTable(t *testing.T, db *sql.DB, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

// clock is a settable clock shared by the stores of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// recordNothing is the return-page recording of the test shops: they keep
// what HandleReturn returned themselves.
var recordNothing = &escott.ThreeDSReturnParams{Record: func(context.Context, *escott.ThreeDSResult) error { return nil }}
