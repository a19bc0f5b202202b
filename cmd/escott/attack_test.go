package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestJournalPasswordInQueryNotPrinted: pgx takes the password from the
// URL's query too (?password=…), and libpq's sslpassword likewise. The
// command must hide it as it hides the one in the user info, and refuse it
// in --journal, for people and as JSON.
func TestJournalPasswordInQueryNotPrinted(t *testing.T) {
	h := newHarness(t)
	for _, src := range []string{
		"postgres://shop@127.0.0.1:1/shop?connect_timeout=5&password=" + pgPassword,
		"postgresql://127.0.0.1:1/shop?sslpassword=" + pgPassword + "&connect_timeout=5",
		"postgres://127.0.0.1:1/shop?PASSWORD=" + pgPassword + "&connect_timeout=5",
	} {
		for _, mode := range [][]string{nil, {"--json"}} {
			r := h.run(runOpts{env: map[string]string{envJournal: src}}, append([]string{"journal", "pending"}, mode...)...)
			assert.Equal(t, exitUnavailable, r.code, "%s: %s", src, r.stderr)
			r = h.run(runOpts{env: map[string]string{envJournal: ""}}, append([]string{"journal", "pending", "--journal", src}, mode...)...)
			assert.Equal(t, exitUsage, r.code, "a password in --journal shows in ps: %s", r.stderr)
			assert.Contains(t, r.stdout+r.stderr, "password")
		}
	}
}
