package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/sqlfake"
)

func TestNewSQLTableName(t *testing.T) {
	for _, bad := range []string{"", "1abc", "a-b", "a b", "x;DROP TABLE y", "a.b.c", `"q"`, "a.", strings.Repeat("a", 64)} {
		_, err := NewSQL(context.Background(), nil, WithTable(bad)) // refused before db is used
		assert.Error(t, err, "%q", bad)
	}
}

func TestSQLPlaceholders(t *testing.T) {
	q := func(opts ...SQLOption) sqlQueries {
		// A database that accepts the DDL and nothing else is enough to see
		// the queries NewSQL builds.
		db := sql.OpenDB(sqlfake.DDLOnly{})
		defer db.Close()
		s, err := NewSQL(context.Background(), db, opts...)
		require.NoError(t, err)
		return s.q
	}
	pg := q(WithTable("shop.journal"))
	assert.Contains(t, pg.begin, "INSERT INTO shop.journal ")
	assert.Contains(t, pg.finishPID, "$5")
	assert.NotContains(t, pg.pending, "?")
	qm := q(WithQuestionMarks())
	assert.Contains(t, pg.resolvePID, "$5")
	for _, s := range []string{qm.begin, qm.finish, qm.finishPID, qm.pending, qm.resolve, qm.resolvePID} {
		assert.NotContains(t, s, "$")
	}
	assert.Equal(t, 7, strings.Count(qm.begin, "?"))
	assert.Equal(t, 5, strings.Count(qm.finishPID, "?"))
	assert.Equal(t, 4, strings.Count(qm.resolve, "?"))
	assert.Equal(t, 5, strings.Count(qm.resolvePID, "?"))
}

type stateErr string

func (e stateErr) Error() string    { return "driver error " + string(e) }
func (e stateErr) SQLState() string { return string(e) }

func TestIsUniqueViolation(t *testing.T) {
	assert.True(t, isUniqueViolation(fmt.Errorf("wrapped: %w", stateErr("23505"))))
	assert.False(t, isUniqueViolation(stateErr("23503")), "the SQLSTATE decides when there is one")
	assert.True(t, isUniqueViolation(errors.New(`pq: duplicate key value violates unique constraint "x" (SQLSTATE 23505)`)))
	assert.True(t, isUniqueViolation(errors.New("UNIQUE constraint failed: escott_journal.link_key")))
	assert.False(t, isUniqueViolation(errors.New("connection refused")))
}
