package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/sqlfake"
)

func TestPlaceholders(t *testing.T) {
	db := sql.OpenDB(sqlfake.DDLOnly{})
	defer db.Close()
	ctx := context.Background()
	count := map[string]int{ // parameters of each query
		"save": 5, "get": 2, "complete": 4, "result": 2, "tpurge": 1, "tclaim": 5, "tclaimstate": 3, "trelease": 2,
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
			"tclaim": tds.q.claim, "tclaimstate": tds.q.claimState, "trelease": tds.q.release,
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
