package escotttest

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestExpiringIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := newExpiring[int](100)
	for i := range 10_000 {
		e.put(strconv.Itoa(i), i, now.Add(time.Hour), now)
	}
	assert.Equal(t, 100, e.len(), "capped: the oldest are forgotten")
	assert.LessOrEqual(t, len(e.q), 2*1024+200, "the queue is compacted")
	_, ok := e.get("0", now)
	assert.False(t, ok)
	v, ok := e.get("9999", now)
	assert.True(t, ok)
	assert.Equal(t, 9999, v)

	// The same key put again and again does not grow the queue.
	for i := range 10_000 {
		e.put("same", i, now.Add(time.Hour), now)
	}
	assert.LessOrEqual(t, len(e.q)-e.head, 100)
	v, ok = e.get("same", now)
	assert.True(t, ok)
	assert.Equal(t, 9999, v)

	// Expired entries are forgotten on the next put.
	later := now.Add(2 * time.Hour)
	_, ok = e.get("same", later)
	assert.False(t, ok)
	e.put("new", 1, later.Add(time.Hour), later)
	assert.Equal(t, 1, e.len())
}
