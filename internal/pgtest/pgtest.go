// Package pgtest opens the PostgreSQL database the SQL tests run against.
// Only test files import it.
package pgtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the variable .ci/postgres.sh sets to the database's URL.
const Env = "ESCOTT_TEST_POSTGRES"

// Open opens the database named by ESCOTT_TEST_POSTGRES as a new connection
// pool (two calls are two shop instances) and closes it after the test.
// Without it the test is skipped — except when CI is set, where a missing
// database fails the test, so that CI cannot pass by skipping.
func Open(t testing.TB) *sql.DB {
	t.Helper()
	url := os.Getenv(Env)
	if url == "" {
		msg := Env + " is not set; start a server with: eval \"$(bash .ci/postgres.sh)\""
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + msg)
		}
		t.Skip(msg)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	return db
}
