package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/sqlstore"
)

// pgEnv names the database of the PostgreSQL tests, as in internal/pgtest.
const pgEnv = "ESCOTT_TEST_POSTGRES"

// testPostgres returns the test database's URL, with a password added (a
// server that trusts local connections ignores it) so that the tests can
// check it is never printed. Without ESCOTT_TEST_POSTGRES the test is
// skipped, except under CI, where it fails: CI must not pass by skipping.
func testPostgres(t *testing.T) *url.URL {
	t.Helper()
	raw := os.Getenv(pgEnv)
	if raw == "" {
		msg := pgEnv + " is not set: the PostgreSQL journal tests are skipped (eval \"$(bash .ci/postgres.sh)\" starts a server)"
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	if _, has := u.User.Password(); !has && u.User != nil {
		u.User = url.UserPassword(u.User.Username(), pgPassword)
	}
	return u
}

// TestPostgresJournal lists and resolves the attempts of the SQL journal a
// shop shares between its instances, and refuses a database without it.
func TestPostgresJournal(t *testing.T) {
	u := testPostgres(t)
	db, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := t.Context()
	require.NoError(t, db.PingContext(ctx))

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	table := "escott_cli_" + hex.EncodeToString(b)
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table) })
	j, err := sqlstore.NewJournal(ctx, db, sqlstore.WithTable(table))
	require.NoError(t, err)
	require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: "714205938817", Operation: "1Gathering", Amount: "5400", OrderRef: "A-1041",
		Started: testNow.Add(-26 * time.Hour)}))
	require.NoError(t, j.Finish(ctx, "714205938817", escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: testNow.Add(-26 * time.Hour)}))
	require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: "503118264470", Operation: "1Auth", Amount: "12800",
		Started: testNow.Add(-2*time.Hour - 5*time.Minute)}))

	h := newHarness(t)
	h.env[envJournal] = u.String()
	h.env[envJournalTable] = table
	h.names[u.Redacted()] = "<POSTGRES>"
	h.names[table] = "<TABLE>"
	h.steps(t, []step{
		{name: "pg-pending", args: []string{"journal", "pending"}},
		{name: "pg-resolve", args: []string{"journal", "resolve", "714205938817", "--outcome", "succeeded", "--process-id", "8812345678901234", "--yes"}},
		{name: "pg-pending-json", args: []string{"journal", "pending", "--json"}},
		{name: "pg-no-table", opts: runOpts{env: map[string]string{envJournalTable: "escott_no_such_table"}}, args: []string{"journal", "pending"},
			code: exitUsage},
		{name: "pg-bad-table", opts: runOpts{env: map[string]string{envJournalTable: "x; DROP TABLE y"}}, args: []string{"journal", "pending"},
			code: exitUsage},
	})
	var outcome int
	var pid string
	require.NoError(t, db.QueryRowContext(ctx, fmt.Sprintf("SELECT outcome, process_id FROM %s WHERE link_key = '714205938817'", table)).Scan(&outcome, &pid))
	assert.Equal(t, int(escott.OutcomeSucceeded), outcome)
	assert.Equal(t, "8812345678901234", pid)

	// A capture through the command is journaled in the shared table.
	h.steps(t, []step{{name: "pg-capture", opts: runOpts{env: cardPass(h)}, args: []string{"capture", h.card.ID, "--yes", "--link-key", "order1001"}}})
	require.NoError(t, db.QueryRowContext(ctx, fmt.Sprintf("SELECT outcome FROM %s WHERE link_key = 'order1001'", table)).Scan(&outcome))
	assert.Equal(t, int(escott.OutcomeSucceeded), outcome)
}

// An unreachable database is "unavailable", and its password is not printed.
func TestPostgresUnreachable(t *testing.T) {
	h := newHarness(t)
	h.steps(t, []step{{name: "pg-unreachable",
		opts: runOpts{env: map[string]string{envJournal: "postgres://shop:" + pgPassword + "@127.0.0.1:1/shop?sslmode=disable&connect_timeout=5"}},
		args: []string{"journal", "pending"}, code: exitUnavailable}})
}
