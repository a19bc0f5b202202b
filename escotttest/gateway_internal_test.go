package escotttest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRequestLogIsBoundedButCountsAreNot(t *testing.T) {
	g := New(Config{})
	for i := range MaxKeptRequests + 5 {
		op := "1Search"
		if i%2 == 0 {
			op = "1Auth"
		}
		g.mu.Lock()
		g.recordLocked(pathCard, op, "OperateId="+op, g.nowLocked())
		g.mu.Unlock()
	}
	kept := g.Requests()
	assert.LessOrEqual(t, len(kept), MaxKeptRequests)
	assert.Greater(t, len(kept), MaxKeptRequests*8/10)
	assert.Equal(t, MaxKeptRequests+5, g.RequestCount(""))
	assert.Equal(t, (MaxKeptRequests+5+1)/2, g.RequestCount("1Auth"))
}

// Without a setting the fake waits 30 s for a PostUrl answer: longer than the
// 10 s SPS's own receivers sleep before answering.
func TestPostURLTimeoutDefault(t *testing.T) {
	g := &Gateway{}
	assert.Equal(t, 30*time.Second, g.postURLTimeout())
	g.cfg.PostURLTimeout = time.Second
	assert.Equal(t, time.Second, g.postURLTimeout())
}
