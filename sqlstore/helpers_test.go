package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for tests only
	"github.com/stretchr/testify/require"
)

// testDB opens the PostgreSQL database named by ESCOTT_TEST_POSTGRES (see
// .ci/postgres.sh) as a new connection pool: two calls are two shop
// instances. Without it the test is skipped, except in CI, where a missing
// database fails it so that CI cannot pass by skipping.
func testDB(t *testing.T) *sql.DB {
	t.Helper()
	url := os.Getenv("ESCOTT_TEST_POSTGRES")
	if url == "" {
		msg := "ESCOTT_TEST_POSTGRES is not set; start a server with: eval \"$(bash .ci/postgres.sh)\""
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + msg)
		}
		t.Skip(msg)
	}
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, db.PingContext(ctx), "ESCOTT_TEST_POSTGRES=%s", url)
	return db
}

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
