// Package pgtest opens the PostgreSQL database the SQL tests run against.
// Only test files import it.
package pgtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"os"
	"strings"
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

// DDLOnly is a database/sql connector that accepts CREATE statements and
// refuses everything else: enough to build a store and read the queries it
// prepared, without a database. Use it with sql.OpenDB(pgtest.DDLOnly{}).
type DDLOnly struct{}

// Connect implements driver.Connector.
func (DDLOnly) Connect(context.Context) (driver.Conn, error) { return DDLOnly{}, nil }

// Driver implements driver.Connector.
func (DDLOnly) Driver() driver.Driver { return nil }

// Prepare implements driver.Conn: only CREATE statements.
func (DDLOnly) Prepare(q string) (driver.Stmt, error) {
	if !strings.HasPrefix(q, "CREATE ") {
		return nil, errors.New("pgtest.DDLOnly: " + q)
	}
	return DDLOnly{}, nil
}

// Close implements driver.Conn and driver.Stmt.
func (DDLOnly) Close() error { return nil }

// Begin implements driver.Conn: no transactions.
func (DDLOnly) Begin() (driver.Tx, error) { return nil, errors.New("pgtest.DDLOnly: no transactions") }

// NumInput implements driver.Stmt.
func (DDLOnly) NumInput() int { return -1 }

// Exec implements driver.Stmt.
func (DDLOnly) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }

// Query implements driver.Stmt: no queries.
func (DDLOnly) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("pgtest.DDLOnly: no queries")
}
