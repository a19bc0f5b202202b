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

func TestJournalTableName(t *testing.T) {
	for _, bad := range []string{"", "1abc", "a-b", "a b", "x;DROP TABLE y", "a.b.c", `"q"`, "a.", strings.Repeat("a", 64)} {
		_, err := NewJournal(context.Background(), nil, WithTable(bad)) // refused before db is used
		assert.Error(t, err, "%q", bad)
	}
}

func TestJournalPlaceholders(t *testing.T) {
	q := func(opts ...Option) journalQueries {
		// A database that accepts the DDL and nothing else is enough to see
		// the queries NewJournal builds.
		db := sql.OpenDB(sqlfake.DDLOnly{})
		defer db.Close()
		s, err := NewJournal(context.Background(), db, opts...)
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
