// Package pgtest opens the PostgreSQL database the SQL tests run against.
//
// It is its own module (github.com/escott-go/escott/internal/pgtest), with the
// tests of the SQL journal and the SQL stores against a real server in its
// journal and sqlstore directories, so that the pgx driver they need is not a
// requirement of the library: the library's packages use only database/sql.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the variable .ci/postgres.sh sets to the database's URL.
const Env = "ESCOTT_TEST_POSTGRES"

// skipOnce prints the skip notice once per test binary.
var skipOnce sync.Once

// Open opens the database named by ESCOTT_TEST_POSTGRES as a new connection
// pool (two calls are two shop instances) and closes it after the test.
// Without it the test is skipped, and one line saying so goes to stderr
// (shown by `go test` in the package directory, with -v, and whenever the
// package fails) — except when CI is set, where a missing database fails the
// test, so that CI cannot pass by skipping.
func Open(t testing.TB) *sql.DB {
	t.Helper()
	url := os.Getenv(Env)
	if url == "" {
		msg := Env + " is not set: the PostgreSQL tests are skipped. Start a throwaway server with " +
			"eval \"$(bash .ci/postgres.sh)\", or point " + Env + " at an existing one " +
			"(postgres://user:password@host:5432/dbname?sslmode=disable)"
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + msg)
		}
		skipOnce.Do(func() { fmt.Fprintln(os.Stderr, "SKIP:", msg) })
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
