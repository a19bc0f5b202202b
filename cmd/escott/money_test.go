package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

// pendingLinkKeys reads the file journal's pending attempts (all of them,
// in flight of any age included).
func pendingLinkKeys(t *testing.T, h *harness) map[string]escott.Outcome {
	t.Helper()
	j, err := journal.OpenFile(h.journal)
	require.NoError(t, err)
	defer j.Close()
	list, err := j.Pending(t.Context(), testNow.Add(time.Hour))
	require.NoError(t, err)
	out := map[string]escott.Outcome{}
	for _, a := range list {
		out[a.LinkKey] = a.Outcome
	}
	return out
}

// TestJournal lists what needs attention and resolves it, for people and
// as JSON, with the prompt's answers and refusals.
func TestJournal(t *testing.T) {
	h := newHarness(t)
	h.steps(t, []step{
		{name: "journal-pending", args: []string{"journal", "pending"}},
		{name: "journal-pending-json", args: []string{"journal", "pending", "--json", "--older-than", "30s"},
			check: func(t *testing.T, h *harness, r result) {
				var got struct{ Attempts []attemptJSON }
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
				require.Len(t, got.Attempts, 3, "with --older-than 30s the attempt of a minute ago is listed too")
				assert.Equal(t, int64(26*3600), got.Attempts[0].AgeSeconds)
			}},
		{name: "resolve-no-outcome", args: []string{"journal", "resolve", "714205938817"}, code: exitUsage},
		{name: "resolve-succeeded-without-process", args: []string{"journal", "resolve", "714205938817", "--outcome", "succeeded"}, code: exitUsage},
		{name: "resolve-not-a-terminal", args: []string{"journal", "resolve", "714205938817", "--outcome", "rejected"}, code: exitNotDone,
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, escott.OutcomeUnknown, pendingLinkKeys(t, h)["714205938817"], "nothing recorded")
			}},
		{name: "resolve-answered-no", opts: runOpts{terminal: true, stdin: "\n"},
			args: []string{"journal", "resolve", "714205938817", "--outcome", "rejected"}, code: exitNotDone},
		{name: "resolve-still-in-flight", args: []string{"journal", "resolve", "881204567301", "--outcome", "rejected", "--yes"}, code: exitNotDone},
		{name: "resolve-unknown-link-key", args: []string{"journal", "resolve", "999999999999", "--outcome", "rejected", "--yes"}, code: exitNotFound},
		{name: "resolve-finished-link-key", args: []string{"journal", "resolve", "120000000001", "--outcome", "rejected", "--yes"}, code: exitNotFound},
		{name: "resolve-succeeded", opts: runOpts{terminal: true, stdin: "y\n"},
			args: []string{"journal", "resolve", "714205938817", "--outcome", "succeeded", "--process-id", "8812345678901234"},
			check: func(t *testing.T, h *harness, _ result) {
				_, pending := pendingLinkKeys(t, h)["714205938817"]
				assert.False(t, pending)
			}},
		{name: "resolve-rejected-json", args: []string{"journal", "resolve", "503118264470", "--outcome", "rejected", "--yes", "--json"}},
		{name: "journal-pending-after", args: []string{"journal", "pending"}},
		{name: "resolve-again", args: []string{"journal", "resolve", "503118264470", "--outcome", "rejected", "--yes"}, code: exitNotFound},
	})
}

// TestMoneyMoves captures, changes and cancels a card payment: never
// without a confirmation, once with it.
func TestMoneyMoves(t *testing.T) {
	h := newHarness(t)
	captures := func(n int) func(t *testing.T, h *harness, r result) {
		return func(t *testing.T, h *harness, _ result) {
			assert.Equal(t, n, h.srv.RequestCount(escott.OpCapture), "1Capture requests the gateway received")
		}
	}
	state := func(want string) func(t *testing.T, h *harness, r result) {
		return func(t *testing.T, h *harness, _ result) {
			p, ok := h.srv.Process(h.card.ID)
			require.True(t, ok)
			assert.Equal(t, want, p.State)
		}
	}
	h.steps(t, []step{
		{name: "capture-not-a-terminal", opts: runOpts{env: cardPass(h)}, args: []string{"capture", h.card.ID, "--link-key", "order1001"},
			code: exitNotDone, check: captures(0)},
		{name: "capture-pass-stdin-without-yes", opts: runOpts{stdin: h.card.Pass.Reveal() + "\ny\n", terminal: true},
			args: []string{"capture", h.card.ID, "--pass-stdin"}, code: exitNotDone, check: captures(0)},
		{name: "capture-answered-no", opts: runOpts{env: cardPass(h), terminal: true, stdin: "n\n"},
			args: []string{"capture", h.card.ID, "--link-key", "order1001"}, code: exitNotDone, check: captures(0)},
		{name: "capture-answered-yes", opts: runOpts{env: cardPass(h), terminal: true, stdin: "y\n"},
			args: []string{"capture", h.card.ID, "--link-key", "order1001"}, check: func(t *testing.T, h *harness, r result) {
				captures(1)(t, h, r)
				state("captured")(t, h, r)
			}},
		{name: "capture-again", opts: runOpts{env: cardPass(h)}, args: []string{"capture", h.card.ID, "--link-key", "order1001", "--yes"},
			code: exitRefused, check: captures(2)},
		{name: "change-without-amount", opts: runOpts{env: cardPass(h)}, args: []string{"change", h.card.ID, "--yes"}, code: exitUsage},
		{name: "change", opts: runOpts{env: cardPass(h)}, args: []string{"change", h.card.ID, "--amount", "1500", "--yes", "--link-key", "order1001"},
			check: func(t *testing.T, h *harness, _ result) {
				p, _ := h.srv.Process(h.card.ID)
				assert.Equal(t, "1500", p.Amount.String())
			}},
		{name: "cancel-json", opts: runOpts{env: cardPass(h)}, args: []string{"cancel", h.card.ID, "--yes", "--json", "--link-key", "order1001"},
			check: state("cancelled")},
		{name: "cancel-member-payment", opts: runOpts{env: map[string]string{envProcessPass: h.member.Pass.Reveal(), envMemberPass: memberPass}},
			args: []string{"cancel", h.member.ID, "--member", "M0001", "--yes"}},
	})
	// Nothing the command did left an attempt open.
	assert.Len(t, pendingLinkKeys(t, h), 3)
}

// TestMoneyMoveOutcomeUnknown: the gateway captures, the answer is lost.
// The command says exactly what to do, never sends again, and the journal
// holds the attempt for the reconciliation.
func TestMoneyMoveOutcomeUnknown(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(escott.OpCapture, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	h.steps(t, []step{
		{name: "capture-unknown", opts: runOpts{env: cardPass(h)}, args: []string{"capture", h.card.ID, "--yes", "--link-key", "order1001"},
			code: exitUnknown, check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 1, h.srv.RequestCount(escott.OpCapture), "sent once, never again")
				p, _ := h.srv.Process(h.card.ID)
				assert.Equal(t, "captured", p.State, "the gateway did capture")
				assert.Equal(t, escott.OutcomeUnknown, pendingLinkKeys(t, h)["order1001"])
			}},
		{name: "capture-unknown-pending", args: []string{"journal", "pending"}},
		// The operator looks: a sales date means captured.
		{name: "capture-unknown-inquire", opts: runOpts{env: cardPass(h)}, args: []string{"card", "inquire", h.card.ID, "--link-key", "order1001"}},
		{name: "capture-unknown-resolve", args: []string{"journal", "resolve", "order1001", "--outcome", "succeeded", "--process-id", h.card.ID, "--yes"}},
	})

	// Without a journal the output is the only record, and says so.
	h.srv.InjectFault(escott.OpDelete, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	h.steps(t, []step{
		{name: "cancel-unknown-no-journal-json", opts: runOpts{env: map[string]string{envProcessPass: h.card.Pass.Reveal(), envJournal: ""}},
			args: []string{"cancel", h.card.ID, "--yes", "--json"}, code: exitUnknown, check: func(t *testing.T, h *harness, r result) {
				assert.Equal(t, 1, h.srv.RequestCount(escott.OpDelete))
				var got struct{ Error errorReport }
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
				assert.Equal(t, "outcome_unknown", got.Error.Kind)
				assert.Equal(t, exitUnknown, got.Error.Exit)
				assert.Contains(t, got.Error.Next, "write the link key")
			}},
	})
}

// A journal that is configured but cannot be opened stops a money move
// before anything is sent.
func TestMoneyMoveNeedsItsJournal(t *testing.T) {
	h := newHarness(t)
	j, err := journal.OpenFile(h.journal)
	require.NoError(t, err)
	defer j.Close()
	h.steps(t, []step{
		{name: "capture-journal-locked", opts: runOpts{env: cardPass(h)}, args: []string{"capture", h.card.ID, "--yes"}, code: exitUnavailable,
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 0, h.srv.RequestCount(escott.OpCapture))
			}},
	})
}
