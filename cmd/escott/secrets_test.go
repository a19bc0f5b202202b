package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNoSecretInAnyOutput runs every command, for people and as JSON, when
// it succeeds and when it fails, with every secret in the environment: the
// merchant password, ProcessPass, KaiinPass, the token auth code, the AES
// key and IV, and a database password. harness.run fails the test if any
// of them appears on stdout or stderr.
func TestNoSecretInAnyOutput(t *testing.T) {
	h := newHarness(t)
	h.env[envProcessPass] = h.card.Pass.Reveal()
	h.env[envMemberPass] = memberPass
	argsOf := map[string][]string{
		"card inquire":    {h.card.ID, "--link-key", "order1001"},
		"cvs inquire":     {h.cvs.ID},
		"member show":     {"M0001"},
		"journal pending": nil,
		"journal resolve": {"714205938817", "--outcome", "rejected", "--yes"},
		"capture":         {h.card.ID, "--yes", "--link-key", "order1001"},
		"change":          {h.card.ID, "--amount", "1500", "--yes", "--link-key", "order1001"},
		"cancel":          {h.card.ID, "--yes", "--link-key", "order1001"},
		"cvs change":      {h.cvs.ID, "--amount", "4000", "--yes"},
		"cvs cancel":      {h.cvs.ID, "--yes"},
	}
	broken := map[string]string{envBaseURL: "http://127.0.0.1:1",
		envJournal: "postgres://shop:" + pgPassword + "@127.0.0.1:1/shop?connect_timeout=5"}
	wrong := map[string]string{envProcessPass: "WrongPass9", envMemberPass: "WrongPass9"}
	for _, c := range commands {
		a, ok := argsOf[c.name]
		if !assert.True(t, ok, "no arguments for %s", c.name) {
			continue
		}
		for _, mode := range [][]string{nil, {"--json"}} {
			args := append(append(strings.Fields(c.name), a...), mode...)
			var env map[string]string
			if strings.HasPrefix(c.name, "cvs ") {
				env = map[string]string{envProcessPass: h.cvs.Pass.Reveal()}
			}
			// The first run succeeds; the second, as JSON, may be refused
			// by the state the first left (captured, cancelled, resolved).
			if r := h.run(runOpts{env: env}, args...); mode == nil {
				assert.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
			}
			h.run(runOpts{env: broken}, args...)
			h.run(runOpts{env: wrong}, args...)
		}
	}
}
