package sqlutil

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stateErr string

func (e stateErr) Error() string    { return "driver error " + string(e) }
func (e stateErr) SQLState() string { return string(e) }

func TestIsUniqueViolation(t *testing.T) {
	assert.True(t, IsUniqueViolation(fmt.Errorf("wrapped: %w", stateErr("23505"))))
	assert.False(t, IsUniqueViolation(stateErr("23503")), "the SQLSTATE decides when there is one")
	assert.True(t, IsUniqueViolation(errors.New(`pq: duplicate key value violates unique constraint "x" (SQLSTATE 23505)`)))
	assert.True(t, IsUniqueViolation(errors.New("UNIQUE constraint failed: escott_journal.link_key")))
	assert.False(t, IsUniqueViolation(errors.New("connection refused")))
	assert.Equal(t, "42P07", SQLState(fmt.Errorf("x: %w", stateErr("42P07"))))
	assert.Empty(t, SQLState(errors.New("plain")))
}

func TestTable(t *testing.T) {
	for _, bad := range []string{"", "1abc", "a-b", "a b", "x;DROP TABLE y", "a.b.c", `"q"`, "a.", strings.Repeat("a", 64)} {
		_, err := Table(bad)
		assert.Error(t, err, "%q", bad)
	}
	base, err := Table("shop.escott_x")
	require.NoError(t, err)
	assert.Equal(t, "escott_x", base)
	base, err = Table("t1")
	require.NoError(t, err)
	assert.Equal(t, "t1", base)
}

func TestPlaceholders(t *testing.T) {
	assert.Equal(t, "$3", Placeholders{}.N(3))
	assert.Equal(t, "?", Placeholders{QuestionMarks: true}.N(3))
}
