package redact

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

type secret string

func (s secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, "[REDACTED]") }

type inner struct {
	Pass secret
	Note string
}

type outer struct {
	ID     string
	In     inner
	Ptr    *inner
	Any    any
	List   []inner
	Map    map[string]secret
	hidden string
	Err    error
	Nil    *inner
}

func TestWriteNeverPrintsWhatHidesItself(t *testing.T) {
	v := outer{ID: "x", In: inner{"p1", "n"}, Ptr: &inner{"p2", "m"}, Any: &inner{"p3", ""}, List: []inner{{"p4", ""}},
		Map: map[string]secret{"k": "p5"}, hidden: "p6", Err: fmt.Errorf("boom")}
	out := String(v)
	for _, s := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		assert.NotContains(t, out, s)
	}
	assert.Contains(t, out, "redact.outer{ID:x In:redact.inner{Pass:[REDACTED] Note:n}")
	assert.Contains(t, out, "Err:boom")
	assert.Contains(t, out, "Nil:<nil>")
	assert.Equal(t, "&redact.inner{Pass:[REDACTED] Note:}", String(&inner{Pass: "p7"}))
}
