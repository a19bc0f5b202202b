package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ddlOnly is a database/sql driver that accepts CREATE statements and
// refuses everything else: enough to see the queries the stores build.
type ddlOnly struct{}

func (ddlOnly) Connect(context.Context) (driver.Conn, error) { return ddlOnly{}, nil }
func (ddlOnly) Driver() driver.Driver                        { return nil }
func (ddlOnly) Prepare(q string) (driver.Stmt, error) {
	if !strings.HasPrefix(q, "CREATE ") {
		return nil, errors.New("ddlOnly: " + q)
	}
	return ddlOnly{}, nil
}
func (ddlOnly) Close() error                               { return nil }
func (ddlOnly) Begin() (driver.Tx, error)                  { return nil, errors.New("ddlOnly: no transactions") }
func (ddlOnly) NumInput() int                              { return -1 }
func (ddlOnly) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }
func (ddlOnly) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("ddlOnly: no queries")
}

func TestPlaceholders(t *testing.T) {
	db := sql.OpenDB(ddlOnly{})
	defer db.Close()
	ctx := context.Background()
	count := map[string]int{ // parameters of each query
		"save": 5, "get": 2, "complete": 4, "result": 2, "tpurge": 1,
		"claim": 5, "state": 1, "done": 3, "release": 2, "dpurge": 2,
	}
	for _, qm := range []bool{false, true} {
		var opts []Option
		if qm {
			opts = append(opts, WithQuestionMarks())
		}
		tds, err := NewThreeDSStore(ctx, db, append(opts, WithTable("shop.tds"))...)
		require.NoError(t, err)
		dd, err := NewDedupeStore(ctx, db, append(opts, WithTable("shop.dd"))...)
		require.NoError(t, err)
		qs := map[string]string{
			"save": tds.q.save, "get": tds.q.get, "complete": tds.q.complete, "result": tds.q.result, "tpurge": tds.q.purge,
			"claim": dd.q.claim, "state": dd.q.state, "done": dd.q.done, "release": dd.q.release, "dpurge": dd.q.purge,
		}
		for name, q := range qs {
			if qm {
				assert.NotContains(t, q, "$", name)
				assert.Equal(t, count[name], strings.Count(q, "?"), name)
			} else {
				assert.NotContains(t, q, "?", name)
				assert.Contains(t, q, "$"+string(rune('0'+count[name])), name)
				assert.NotContains(t, q, "$"+string(rune('1'+count[name])), name)
			}
			assert.Contains(t, q, "shop.", name)
		}
	}
}

func TestOptionDefaults(t *testing.T) {
	c, base, err := newConfig(DefaultDedupeTable, 7, []Option{WithTTL(-1), WithLease(0), WithClock(nil)})
	require.NoError(t, err)
	assert.Equal(t, DefaultDedupeTable, base)
	assert.EqualValues(t, 7, c.ttl)
	assert.Equal(t, DefaultLease, c.lease)
	assert.NotNil(t, c.now)
}
