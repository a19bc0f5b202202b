package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func cvsPass(h *harness, p escott.Process) map[string]string {
	return map[string]string{envProcessPass: p.Pass.Reveal()}
}

// cvsSteps runs steps like harness.steps, but first names in the golden
// files the payment number and FreeArea that each 2Chg issues anew (at
// random): the output must show them, so they cannot be left out.
func (h *harness) cvsSteps(t *testing.T, ids []string, steps []step) {
	t.Helper()
	for _, s := range steps {
		r := h.run(s.opts, s.args...)
		for _, id := range ids {
			info, ok := h.srv.CVSPayment(id)
			require.True(t, ok)
			for _, v := range []struct{ value, kind string }{{info.PaymentNumber, "PAYMENT_NUMBER"}, {info.FreeArea, "FREE_AREA"}} {
				if _, known := h.names[v.value]; !known && v.value != "" {
					h.names[v.value] = fmt.Sprintf("<NEW_%s_%d>", v.kind, len(h.names))
				}
			}
		}
		if !assert.Equal(t, s.code, r.code, "%s: exit code\nstdout:\n%s\nstderr:\n%s", s.name, r.stdout, r.stderr) {
			continue
		}
		h.golden(s.name, s.args, r)
		if s.check != nil {
			s.check(t, h, r)
		}
	}
}

// TestCVSMoneyMoves changes and cancels an online-collection payment: never
// without a confirmation, once with it; the new payment number is printed;
// a paid payment is refused by the gateway.
func TestCVSMoneyMoves(t *testing.T) {
	h := newHarness(t)
	paid, err := h.client.CVS.Register(t.Context(), &escott.CVSParams{Amount: escott.Yen(1100), Name: "山田 花子", NameKana: "ﾔﾏﾀﾞ ﾊﾅｺ",
		Phone: "03-1234-5678", ProductNames: []string{"靴下"}, LinkKey: "order1004"})
	require.NoError(t, err)
	require.NoError(t, h.srv.Pay(paid.Process.ID, string(escott.AgencyLawson)))
	h.names[paid.Process.ID] = "<PAID_CVS_PROCESS>"
	h.names[paid.PaymentNumber] = "<PAID_PAYMENT_NUMBER>"
	h.secrets = append(h.secrets, paid.Process.Pass.Reveal())
	oldNumber := func() string { info, _ := h.srv.CVSPayment(h.cvs.ID); return info.PaymentNumber }()

	sent := func(op string, n int) func(t *testing.T, h *harness, r result) {
		return func(t *testing.T, h *harness, _ result) {
			assert.Equal(t, n, h.srv.RequestCount(op), "%s requests the gateway received", op)
		}
	}
	info := func() escotttest.CVSInfo {
		p, ok := h.srv.CVSPayment(h.cvs.ID)
		require.True(t, ok)
		return p
	}
	h.cvsSteps(t, []string{h.cvs.ID, paid.Process.ID}, []step{
		{name: "cvs-change-nothing", opts: runOpts{env: cvsPass(h, h.cvs)}, args: []string{"cvs", "change", h.cvs.ID, "--yes"},
			code: exitUsage, check: sent(escott.OpCVSChange, 0)},
		{name: "cvs-change-not-a-terminal", opts: runOpts{env: cvsPass(h, h.cvs)},
			args: []string{"cvs", "change", h.cvs.ID, "--amount", "4000", "--link-key", "order1003"}, code: exitNotDone,
			check: sent(escott.OpCVSChange, 0)},
		{name: "cvs-change-answered-no", opts: runOpts{env: cvsPass(h, h.cvs), terminal: true, stdin: "n\n"},
			args: []string{"cvs", "change", h.cvs.ID, "--amount", "4000", "--link-key", "order1003"}, code: exitNotDone,
			check: sent(escott.OpCVSChange, 0)},
		{name: "cvs-change-answered-yes", opts: runOpts{env: cvsPass(h, h.cvs), terminal: true, stdin: "y\n"},
			args: []string{"cvs", "change", h.cvs.ID, "--amount", "4000", "--pay-limit", "2026-12-20", "--link-key", "order1003"},
			check: func(t *testing.T, h *harness, r result) {
				sent(escott.OpCVSChange, 1)(t, h, r)
				p := info()
				assert.Equal(t, "4000", p.Amount.String())
				assert.Equal(t, "2026-12-20 23:59", p.PayLimit.In(jst).Format("2006-01-02 15:04"))
				assert.NotEqual(t, oldNumber, p.PaymentNumber, "2Chg issues a new payment number")
				assert.Contains(t, r.stdout, "NEW PAYMENT NUMBER: "+p.PaymentNumber)
			}},
		{name: "cvs-change-json", opts: runOpts{env: cvsPass(h, h.cvs)},
			args: []string{"cvs", "change", h.cvs.ID, "--pay-limit-days", "10", "--yes", "--json", "--link-key", "order1003"},
			check: func(t *testing.T, h *harness, r result) {
				sent(escott.OpCVSChange, 2)(t, h, r)
				var got cvsMoveJSON
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
				p := info()
				assert.Equal(t, p.PaymentNumber, got.PaymentNumber)
				assert.True(t, got.PaymentNumberChanged)
				assert.Equal(t, "4000", got.Amount, "without --amount the amount 2Ref answered is sent again")
				assert.Equal(t, "4000", p.Amount.String())
				assert.Equal(t, "2026-12-12T23:59:00+09:00", got.PayLimit)
			}},
		{name: "cvs-change-paid", opts: runOpts{env: cvsPass(h, paid.Process)},
			args: []string{"cvs", "change", paid.Process.ID, "--amount", "900", "--yes", "--link-key", "order1004"}, code: exitRefused,
			check: func(t *testing.T, h *harness, r result) {
				sent(escott.OpCVSChange, 3)(t, h, r)
				p, _ := h.srv.CVSPayment(paid.Process.ID)
				assert.Equal(t, "paid", p.State)
				assert.Equal(t, "1100", p.Amount.String())
			}},
		{name: "cvs-cancel-answered-yes", opts: runOpts{env: cvsPass(h, h.cvs), terminal: true, stdin: "y\n"},
			args: []string{"cvs", "cancel", h.cvs.ID, "--link-key", "order1003"},
			check: func(t *testing.T, h *harness, r result) {
				sent(escott.OpCVSCancel, 1)(t, h, r)
				assert.Equal(t, "deleted", info().State)
			}},
		// Deleted: 2Ref no longer knows it, and nothing is sent.
		{name: "cvs-cancel-again-json", opts: runOpts{env: cvsPass(h, h.cvs)},
			args: []string{"cvs", "cancel", h.cvs.ID, "--yes", "--json", "--link-key", "order1003"}, code: exitNotFound,
			check: sent(escott.OpCVSCancel, 1)},
	})
	// Nothing the command did left an attempt open.
	assert.Len(t, pendingLinkKeys(t, h), 3)
}

// TestCVSMoneyMoveOutcomeUnknown: the gateway changes the payment, the
// answer is lost. The command sends once, says exactly what to do, the
// journal holds the attempt as unknown, and running it again is refused
// before anything is sent.
func TestCVSMoneyMoveOutcomeUnknown(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(escott.OpCVSChange, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	args := []string{"cvs", "change", h.cvs.ID, "--amount", "5000", "--yes", "--link-key", "order1003"}
	h.cvsSteps(t, []string{h.cvs.ID}, []step{
		{name: "cvs-change-unknown", opts: runOpts{env: cvsPass(h, h.cvs)}, args: args, code: exitUnknown,
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 1, h.srv.RequestCount(escott.OpCVSChange), "sent once, never again")
				p, _ := h.srv.CVSPayment(h.cvs.ID)
				assert.Equal(t, "5000", p.Amount.String(), "the gateway did change it")
				assert.Equal(t, escott.OutcomeUnknown, pendingLinkKeys(t, h)["order1003"])
			}},
		{name: "cvs-change-unknown-again", opts: runOpts{env: cvsPass(h, h.cvs)}, args: args, code: exitNotDone,
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 1, h.srv.RequestCount(escott.OpCVSChange))
				assert.Equal(t, escott.OutcomeUnknown, pendingLinkKeys(t, h)["order1003"], "the attempt is kept for the reconciliation")
			}},
		{name: "cvs-cancel-unknown-refused", opts: runOpts{env: cvsPass(h, h.cvs)},
			args: []string{"cvs", "cancel", h.cvs.ID, "--yes"}, code: exitNotDone,
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 0, h.srv.RequestCount(escott.OpCVSCancel), "refused on the same payment under another link key")
			}},
	})
}
