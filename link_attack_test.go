package escott_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// TestLinkTypesNoLeak prints every link-type value holding a secret with
// every verb, nested, through slog and JSON.
func TestLinkTypesNoLeak(t *testing.T) {
	const pass, kaiin, token, ev = "PROCPASS77", "KAIINPASS88", "TOKEN99SECRET", "ENCRYPTED55VALUE"
	m := escott.Member{ID: "M1", Pass: kaiin}
	proc := escott.Process{ID: "1", Pass: pass, LinkKey: "L", Member: &m}
	raw := escott.NewFields(map[string]string{"ProcessPass": pass, "KaiinPass": kaiin, "Token": token, "EncryptValue": ev})
	att := escott.ThreeDSAttempt{Source: m, Member: &m}
	res := escott.LinkResult{Raw: raw, Payment: &escott.Payment{Process: proc, Raw: raw}, Member: &m, Attempt: att,
		Card: &escott.MemberCard{Raw: raw}}
	le := &escott.LinkError{OperateID: "1Gathering", LinkKey: "L", Result: &res, Err: &escott.Error{Raw: raw}}
	values := []any{
		res, &res, le, *le,
		escott.LinkStartParams{Member: &m}, escott.LinkMemberParams{Member: m},
		escott.LinkRedirect{EncryptValue: ev}, &escott.LinkRedirect{EncryptValue: ev},
		escott.LinkReturnParams{},
		escott.Call{Err: le}, escott.Inbound{Reason: "x"},
	}
	var out strings.Builder
	printEveryWay(&out, values)
	assertNoSecret(t, out.String(), pass, kaiin, token, ev)
	// JSON of a value holding a secret is refused, not lost.
	for _, v := range []any{res, &res, le, escott.LinkStartParams{Member: &m}, escott.LinkMemberParams{Member: m},
		escott.LinkRedirect{EncryptValue: ev}} {
		_, err := json.Marshal(v)
		if !errors.Is(err, escott.ErrSecretInJSON) {
			t.Errorf("%T: json.Marshal err = %v, want ErrSecretInJSON", v, err)
		}
	}
}

// A Record that panics (no observer): the claim is released, a reload
// records the payment once.
func TestLinkRecordPanicsThenReload(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd := startLink(t, c, 800)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	assert.Panics(t, func() {
		_, _ = c.Link.HandleReturn(ret.Request(context.Background()), &escott.LinkReturnParams{
			Record: func(context.Context, *escott.LinkResult) error { panic("boom") }})
	})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
}

// An oversized GET return is refused before anything is decrypted.
func TestLinkReturnGETTooLarge(t *testing.T) {
	_, c := newTest(t)
	r := httptest.NewRequest(http.MethodGet, "/link/return?EncryptValue="+strings.Repeat("A", escott.MaxReturnBody+10), nil)
	res, err := c.Link.HandleReturn(r, newLinkShop().params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Nil(t, res)
}

// A declined card and a failed challenge finish the journal entry (no
// money moved): nothing stays pending; the codes are kept.
func TestLinkRefusalsFinishTheJournal(t *testing.T) {
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithJournal(jr))
	for _, sh := range []escotttest.LinkShopper{
		{Card: escotttest.CardDeclined},
		{Card: escotttest.CardThreeDSChallenge, Answer: func(string) string { return "000000" }},
	} {
		rd := startLink(t, c, 2500)
		ret := payLink(t, srv, rd, sh)
		_, err := c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
		var le *escott.LinkError
		require.ErrorAs(t, err, &le)
		assert.False(t, le.Cancelled())
		pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, pending)
	}
}

// 4MemChg on the hosted page changes the stored card (read back with
// 4MemRefM, KaiinId/KaiinPass echoed); for a member the gateway does not
// know it is the gateway's refusal; a cancelled registration is a cancel.
func TestLinkMemberChange(t *testing.T) {
	srv, c := newTest(t)
	m := escott.NewMember()
	_, err := c.Member.Register(context.Background(), m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	rd, err := c.Link.StartMember(context.Background(), &escott.LinkMemberParams{Member: m, Change: true, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardJCB})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	require.NoError(t, err)
	assert.Equal(t, escott.OpMemberChange, res.OperateID)
	require.NotNil(t, res.Member)
	assert.Equal(t, m.ID, res.Member.ID)
	assert.Equal(t, m.Pass, res.Member.Pass)
	require.NotNil(t, res.Card)
	assert.Equal(t, escott.Brand("JCB"), res.Card.Brand)

	rd, err = c.Link.StartMember(context.Background(), &escott.LinkMemberParams{Member: escott.NewMember(), Change: true, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardJCB})
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K71"))

	rd, err = c.Link.StartMember(context.Background(), &escott.LinkMemberParams{Member: escott.NewMember(), RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Cancel: true})
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	require.ErrorIs(t, err, escott.ErrCancelled)
}

// Confirm refuses what is not the attempt's payment — another payment of
// another amount, an attempt already completed by its return, a cancelled
// attempt, a 3-D Secure attempt — and records nothing; the attempt stays
// confirmable after a refused try.
func TestLinkConfirmRefusals(t *testing.T) {
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithJournal(jr))
	shop := newLinkShop()
	other, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(999), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)

	rd := startLink(t, c, 6100)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	_, err = c.Link.Confirm(context.Background(), rd.LinkKey, other.Process, shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused, "another payment's amount")
	assert.Equal(t, 0, shop.count(rd.LinkKey))
	pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, pending, 1, "still pending after a refused confirmation")

	// The return comes after all: Confirm is then refused.
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	plain, err := testCipher(t).Decrypt(ret.Fields.Get("EncryptValue"))
	require.NoError(t, err)
	proc := escott.Process{ID: plain.Get("ProcessId"), Pass: escott.Secret(plain.Get("ProcessPass"))}
	_, err = c.Link.Confirm(context.Background(), rd.LinkKey, proc, shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Equal(t, 1, shop.count(rd.LinkKey))

	// A cancelled attempt.
	rd = startLink(t, c, 6100)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Cancel: true})
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrCancelled)
	_, err = c.Link.Confirm(context.Background(), rd.LinkKey, proc, shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)

	// A 3-D Secure (OTDS010) attempt is not a link-type one.
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(6100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "h@example.jp", RedirectURL: linkReturnURL,
	})
	require.NoError(t, err)
	_, err = c.Link.Confirm(context.Background(), form.LinkKey, proc, shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	_, err = c.Link.Confirm(context.Background(), rd.LinkKey, proc, nil)
	require.ErrorIs(t, err, escott.ErrValidation)
}
