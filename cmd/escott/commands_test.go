package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

// step is one command of a session against the fake gateway, with its
// expected exit code; its output is compared with testdata/<name>.golden.
type step struct {
	name  string
	opts  runOpts
	args  []string
	code  int
	check func(t *testing.T, h *harness, r result)
}

func (h *harness) steps(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		r := h.run(s.opts, s.args...)
		if !assert.Equal(t, s.code, r.code, "%s: exit code\nstdout:\n%s\nstderr:\n%s", s.name, r.stdout, r.stderr) {
			continue
		}
		h.golden(s.name, s.args, r)
		if s.check != nil {
			s.check(t, h, r)
		}
	}
}

func cardPass(h *harness) map[string]string {
	return map[string]string{envProcessPass: h.card.Pass.Reveal()}
}

// TestInquiries reads each kind of payment and a member, for people and as
// JSON, and the ways a lookup fails.
func TestInquiries(t *testing.T) {
	h := newHarness(t)
	member := map[string]string{envProcessPass: h.member.Pass.Reveal(), envMemberPass: memberPass}
	h.steps(t, []step{
		{name: "help", args: []string{"help"}},
		{name: "help-capture", args: []string{"capture", "--help"}},
		{name: "help-cvs-change", args: []string{"help", "cvs", "change"}},
		{name: "card-inquire", opts: runOpts{env: cardPass(h)}, args: []string{"card", "inquire", h.card.ID, "--link-key", "order1001"}},
		{name: "card-inquire-json", opts: runOpts{env: cardPass(h)}, args: []string{"card", "inquire", h.card.ID, "--json"},
			check: func(t *testing.T, h *harness, r result) {
				var got cardPaymentJSON
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
				assert.Equal(t, "1980", got.Amount)
				assert.Equal(t, "[REDACTED]", got.Raw.Get("ProcessPass"))
			}},
		{name: "card-inquire-pass-stdin", opts: runOpts{stdin: h.card.Pass.Reveal() + "\n"},
			args: []string{"card", "inquire", "--pass-stdin", h.card.ID}},
		{name: "card-inquire-prompt", opts: runOpts{stdin: h.card.Pass.Reveal() + "\n", terminal: true},
			args: []string{"card", "inquire", h.card.ID}},
		{name: "card-inquire-no-pass", args: []string{"card", "inquire", h.card.ID}, code: exitUsage},
		{name: "card-inquire-wrong-pass", opts: runOpts{env: map[string]string{envProcessPass: "WrongPass1"}},
			args: []string{"card", "inquire", h.card.ID}, code: exitNotFound},
		{name: "card-inquire-wrong-pass-json", opts: runOpts{env: map[string]string{envProcessPass: "WrongPass1"}},
			args: []string{"card", "inquire", h.card.ID, "--json"}, code: exitNotFound},
		{name: "card-inquire-member-missing", opts: runOpts{env: member}, args: []string{"card", "inquire", h.member.ID},
			code: exitRefused},
		{name: "card-inquire-member", opts: runOpts{env: member}, args: []string{"card", "inquire", h.member.ID, "--member", "M0001"}},
		{name: "cvs-inquire-unpaid", opts: runOpts{env: map[string]string{envProcessPass: h.cvs.Pass.Reveal()}},
			args: []string{"cvs", "inquire", h.cvs.ID, "--link-key", "order1003"}},
		{name: "member-show", args: []string{"member", "show", "M0001"}, opts: runOpts{env: map[string]string{envMemberPass: memberPass}}},
		{name: "member-show-json", args: []string{"member", "show", "M0001", "--json"}, opts: runOpts{env: map[string]string{envMemberPass: memberPass}}},
		{name: "member-show-unknown", args: []string{"member", "show", "M0002"}, opts: runOpts{env: map[string]string{envMemberPass: memberPass}},
			code: exitNotFound},
	})

	require.NoError(t, h.srv.Pay(h.cvs.ID, "SEV"))
	h.steps(t, []step{
		{name: "cvs-inquire-paid-json", opts: runOpts{env: map[string]string{envProcessPass: h.cvs.Pass.Reveal()}},
			args: []string{"cvs", "inquire", h.cvs.ID, "--json", "--link-key", "order1003"}},
	})

	require.NoError(t, h.srv.SetMemberStatus("M0001", escott.MemberCardInvalid))
	h.steps(t, []step{
		{name: "member-show-card-invalid", args: []string{"member", "show", "M0001"}, opts: runOpts{env: map[string]string{envMemberPass: memberPass}}},
	})
}

// TestFailures: configuration, usage, the gateway busy or unreachable.
func TestFailures(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault("1Search", escotttest.Fault{Kind: escotttest.FaultMaintenance, Code: "K97"})
	h.steps(t, []step{
		{name: "no-command", args: nil, code: exitUsage},
		{name: "unknown-command", args: []string{"card", "refund", "1"}, code: exitUsage},
		{name: "bad-flag-json", args: []string{"journal", "pending", "--since", "1h", "--json"}, code: exitUsage},
		{name: "gateway-stopped", opts: runOpts{env: cardPass(h)}, args: []string{"card", "inquire", h.card.ID}, code: exitUnavailable},
		{name: "no-merchant", opts: runOpts{env: map[string]string{envMerchantID: ""}}, args: []string{"card", "inquire", h.card.ID},
			code: exitUsage},
		{name: "bad-environment", opts: runOpts{env: map[string]string{envEnvironment: "staging"}}, args: []string{"card", "inquire", h.card.ID},
			code: exitUsage},
		{name: "gateway-unreachable", opts: runOpts{env: map[string]string{envProcessPass: "Pass1", envBaseURL: "http://127.0.0.1:1"}},
			args: []string{"card", "inquire", "123"}, code: exitUnavailable},
		{name: "invalid-process-id", opts: runOpts{env: cardPass(h)}, args: []string{"card", "inquire", "12-34"}, code: exitUsage},
		{name: "journal-password-in-flag", args: []string{"journal", "pending", "--journal", "postgres://shop:" + pgPassword + "@db.example/shop"},
			code: exitUsage},
		{name: "journal-missing-file", args: []string{"journal", "pending", "--journal", "file:/nonexistent/escott.journal"}, code: exitUsage},
		{name: "journal-unset", opts: runOpts{env: map[string]string{envJournal: ""}}, args: []string{"journal", "pending"}, code: exitUsage},
		{name: "journal-bad-source", opts: runOpts{env: map[string]string{envJournal: "mysql://shop:" + pgPassword + "@db/shop"}},
			args: []string{"journal", "pending"}, code: exitUsage},
	})

	// A file journal serves one process: while the shop holds it, the
	// command says so rather than wait or read a stale copy.
	j, err := journal.OpenFile(h.journal)
	require.NoError(t, err)
	h.steps(t, []step{{name: "journal-locked", args: []string{"journal", "pending"}, code: exitUnavailable}})
	require.NoError(t, j.Close())
}
