// Package sqlfake is a database/sql driver for tests that need no database:
// DDLOnly accepts CREATE statements and refuses everything else. Only test
// files import it.
package sqlfake

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// DDLOnly is a database/sql connector that accepts CREATE statements and
// refuses everything else: enough to build a store and read the queries it
// prepared, without a database. Use it with sql.OpenDB(sqlfake.DDLOnly{}).
type DDLOnly struct{}

// Connect implements driver.Connector.
func (DDLOnly) Connect(context.Context) (driver.Conn, error) { return DDLOnly{}, nil }

// Driver implements driver.Connector.
func (DDLOnly) Driver() driver.Driver { return nil }

// Prepare implements driver.Conn: only CREATE statements.
func (DDLOnly) Prepare(q string) (driver.Stmt, error) {
	if !strings.HasPrefix(q, "CREATE ") {
		return nil, errors.New("sqlfake.DDLOnly: " + q)
	}
	return DDLOnly{}, nil
}

// Close implements driver.Conn and driver.Stmt.
func (DDLOnly) Close() error { return nil }

// Begin implements driver.Conn: no transactions.
func (DDLOnly) Begin() (driver.Tx, error) { return nil, errors.New("sqlfake.DDLOnly: no transactions") }

// NumInput implements driver.Stmt.
func (DDLOnly) NumInput() int { return -1 }

// Exec implements driver.Stmt.
func (DDLOnly) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }

// Query implements driver.Stmt: no queries.
func (DDLOnly) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("sqlfake.DDLOnly: no queries")
}
