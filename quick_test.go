package escott_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/jst"
)

func newMember(t *testing.T) escott.Member {
	t.Helper()
	m, err := escott.NewMember()
	require.NoError(t, err)
	return m
}

// registered returns a member registered with card.
func registered(t *testing.T, srv *escotttest.Server, c *escott.Client, card string) escott.Member {
	t.Helper()
	m := newMember(t)
	_, err := c.Member.Register(context.Background(), m, srv.MustToken(card))
	require.NoError(t, err)
	return m
}

func lastRequest(t *testing.T, srv *escotttest.Server, op string) url.Values {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].OperateID == op {
			return reqs[i].Fields
		}
	}
	t.Fatalf("no %s request", op)
	return nil
}

func TestNewMember(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		m := newMember(t)
		assert.Regexp(t, `^[0-9]{13}$`, m.ID)
		assert.Regexp(t, `^[0-9]{12}$`, m.Pass.Reveal())
		require.NoError(t, m.Validate())
		assert.False(t, seen[m.ID], "duplicate id")
		seen[m.ID] = true
	}
	for _, bad := range []escott.Member{
		{ID: "", Pass: "abc"}, {ID: "abc-def", Pass: "abc"}, {ID: strings.Repeat("a", 21), Pass: "abc"},
		{ID: "abc", Pass: ""}, {ID: "abc", Pass: "パス"}, {ID: "会員", Pass: "abc"},
	} {
		err := bad.Validate()
		require.ErrorIs(t, err, escott.ErrValidation, "%s", bad.ID)
	}
	require.NoError(t, escott.Member{ID: strings.Repeat("Z", 20), Pass: escott.Secret(strings.Repeat("9", 20))}.Validate())
}

// TestMemberLifecycle runs every member OperateId against the fake.
func TestMemberLifecycle(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := newMember(t)

	tok := srv.MustToken(escotttest.CardVisa)
	byToken, err := c.Member.GetByToken(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, escott.OpMemberRefToken, byToken.OperateID)
	assert.Equal(t, "411111******1111", byToken.MaskedNumber)
	assert.Equal(t, escott.MemberStatusUnknown, byToken.Status)

	// 4MemRefToken did not consume the token: 4MemAdd can use it.
	res, err := c.Member.Register(ctx, m, tok)
	require.NoError(t, err)
	assert.Equal(t, escott.OpMemberAdd, res.OperateID)
	assert.Equal(t, m.ID, res.MemberID)
	assert.NotEmpty(t, res.CompanyCode)
	assert.Equal(t, "[REDACTED]", tok.String())
	assert.Equal(t, string(tok), lastRequest(t, srv, escott.OpMemberAdd).Get("Token"))
	_, err = c.Token.Search(ctx, tok)
	require.ErrorIs(t, err, escott.ErrToken, "4MemAdd consumed the token")

	masked, err := c.Member.GetMasked(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, m.ID, masked.MemberID)
	assert.Equal(t, escott.BrandVisa, masked.Brand)
	assert.Equal(t, "411111", masked.First6)
	assert.Equal(t, "1111", masked.Last4)
	assert.Equal(t, "411111******1111", masked.MaskedNumber)
	assert.Equal(t, escott.MemberValid, masked.Status)
	assert.Equal(t, (srv.Now().In(jst.Zone).Year() + 2), masked.ExpiryYear)
	assert.Equal(t, time.December, masked.ExpiryMonth)
	assert.Equal(t, jst.Date(srv.Now()), jst.Date(masked.EnableDate))
	assert.Equal(t, jst.Zone, masked.EnableDate.Location())

	full, err := c.Member.Get(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, escott.OpMemberRef, full.OperateID)
	assert.Equal(t, "411111******1111", full.MaskedNumber, "the full number is masked by the SDK")
	assert.Equal(t, "411111******1111", full.Raw.Get("CardNo"))

	chk, err := c.Card.Check(ctx, &escott.CheckParams{Source: m}) // 1Check with the member
	require.NoError(t, err)
	assert.Equal(t, m.ID, chk.Process.Member.ID)
	assert.Equal(t, m.ID, lastRequest(t, srv, escott.OpCheck).Get("KaiinId"))

	_, err = c.Member.ChangeCard(ctx, m, srv.MustToken(escotttest.CardAmex))
	require.NoError(t, err)
	info, ok := srv.Member(m.ID)
	require.True(t, ok)
	assert.Equal(t, escott.BrandAmex, info.Brand)
	assert.Equal(t, "378282*****0005", info.MaskedNumber)

	_, err = c.Member.Invalidate(ctx, m)
	require.NoError(t, err)
	got, err := c.Member.GetMasked(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, escott.MemberInvalid, got.Status)
	assert.True(t, got.Gone())

	_, err = c.Member.Revalidate(ctx, m)
	require.NoError(t, err)
	info, _ = srv.Member(m.ID)
	assert.Equal(t, escott.MemberValid, info.Status)

	require.NoError(t, c.Member.Delete(ctx, m))
	info, _ = srv.Member(m.ID)
	assert.Equal(t, escott.MemberDeleted, info.Status)
	got, err = c.Member.GetMasked(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, escott.MemberDeleted, got.Status)
	assert.True(t, got.Gone())

	for _, op := range []string{escott.OpMemberAdd, escott.OpMemberChange, escott.OpMemberRef, escott.OpMemberRefMasked,
		escott.OpMemberRefToken, escott.OpMemberInvalidate, escott.OpMemberRevalidate, escott.OpMemberDelete} {
		assert.Positive(t, srv.RequestCount(op), op)
	}
}

func TestRegisterAndPayOneCheckout(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := newMember(t)
	pay, err := c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardJCB), &escott.PaymentParams{
		Amount: decimal.NewFromInt(3200), LinkKey: "ORDER0001",
	})
	require.NoError(t, err)
	assert.Equal(t, escott.OpGathering, pay.OperateID)
	require.NotNil(t, pay.Process.Member)
	assert.Equal(t, m.ID, pay.Process.Member.ID)
	assert.Equal(t, m.Pass.Reveal(), pay.Process.Member.Pass.Reveal())

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, escott.OpMemberAdd, reqs[0].OperateID)
	assert.NotEmpty(t, reqs[0].Fields.Get("Token"))
	assert.Equal(t, escott.OpGathering, reqs[1].OperateID)
	assert.Empty(t, reqs[1].Fields.Get("Token"), "the token was consumed by 4MemAdd")
	assert.Equal(t, m.ID, reqs[1].Fields.Get("KaiinId"))
	for _, r := range reqs {
		assert.Equal(t, "ORDER0001", r.Fields.Get("MerchantFree1"))
	}
	info, ok := srv.Process(pay.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, info.MemberID)
	assert.Equal(t, escott.BrandJCB, info.Brand)
}

func TestRegisterAndPayFailures(t *testing.T) {
	ctx := context.Background()
	amount := decimal.NewFromInt(1000)

	t.Run("payment declined after registration", func(t *testing.T) {
		srv, c := newTest(t)
		m := newMember(t)
		_, err := c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardDeclined), &escott.PaymentParams{Amount: amount})
		var mpe *escott.MemberPaymentError
		require.ErrorAs(t, err, &mpe)
		assert.Equal(t, escott.OpGathering, mpe.Step)
		assert.True(t, mpe.MemberUpdated)
		assert.ErrorIs(t, err, escott.ErrDeclined)
		assert.Contains(t, err.Error(), "the member exists")
		_, ok := srv.Member(m.ID)
		assert.True(t, ok, "the registration stays")
	})
	t.Run("registration refused", func(t *testing.T) {
		srv, c := newTest(t)
		m := registered(t, srv, c, escotttest.CardVisa)
		_, err := c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardVisa), &escott.PaymentParams{Amount: amount})
		var mpe *escott.MemberPaymentError
		require.ErrorAs(t, err, &mpe)
		assert.Equal(t, escott.OpMemberAdd, mpe.Step)
		assert.False(t, mpe.MemberUpdated)
		assert.ErrorIs(t, err, escott.ErrMember)
		assert.Contains(t, err.Error(), "nothing was paid")
		assert.Zero(t, srv.RequestCount(escott.OpGathering))
	})
	t.Run("invalid payment sends nothing", func(t *testing.T) {
		srv, c := newTest(t)
		m := newMember(t)
		for _, p := range []*escott.PaymentParams{
			{Amount: decimal.Zero},
			{Amount: amount, PayType: "X1"},
			{Amount: amount, Source: srv.MustToken(escotttest.CardVisa)},
			{Amount: amount, Source: escott.Member{ID: "other", Pass: "x"}},
			{Amount: amount, LinkKey: "bad-key"},
		} {
			_, err := c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardVisa), p)
			require.ErrorIs(t, err, escott.ErrValidation)
		}
		_, err := c.Member.RegisterAndPay(ctx, m, "", &escott.PaymentParams{Amount: amount})
		require.ErrorIs(t, err, escott.ErrValidation)
		assert.Zero(t, srv.RequestCount(""))
	})
	t.Run("registration outcome unknown", func(t *testing.T) {
		srv, c := newTest(t)
		m := newMember(t)
		srv.InjectFault(escott.OpMemberAdd, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
		_, err := c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardVisa), &escott.PaymentParams{Amount: amount})
		require.ErrorIs(t, err, escott.ErrOutcomeUnknown)
		var mpe *escott.MemberPaymentError
		require.ErrorAs(t, err, &mpe)
		assert.Equal(t, escott.OpMemberAdd, mpe.Step)
		assert.Equal(t, 1, srv.RequestCount(escott.OpMemberAdd), "never re-sent")
		assert.Zero(t, srv.RequestCount(escott.OpGathering))
		pending, err := c.Journal().Pending(ctx, time.Now().Add(time.Hour))
		require.NoError(t, err)
		require.Len(t, pending, 1)
		assert.Equal(t, escott.OpMemberAdd, pending[0].Operation)
	})
}

func TestPayByStoredCardAndChangeCard(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := registered(t, srv, c, escotttest.CardVisa)

	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: decimal.NewFromInt(500), Source: m})
	require.NoError(t, err)
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, escott.BrandVisa, info.Brand)
	assert.Equal(t, m.ID, info.MemberID)

	pay, err = c.Member.ChangeCardAndPay(ctx, m, srv.MustToken(escotttest.CardMastercard), &escott.PaymentParams{
		Amount: decimal.NewFromInt(700), Mode: escott.AuthOnly, PayType: escott.Installments(3),
	})
	require.NoError(t, err)
	assert.Equal(t, escott.OpAuth, pay.OperateID)
	info, _ = srv.Process(pay.Process.ID)
	assert.Equal(t, escott.BrandMastercard, info.Brand)
	assert.Equal(t, "authorized", info.State)
	assert.Equal(t, "03", info.PayType)
	reqs := srv.Requests()
	assert.Equal(t, escott.OpMemberChange, reqs[len(reqs)-2].OperateID)
	assert.Empty(t, reqs[len(reqs)-1].Fields.Get("Token"))

	// A failed card change leaves the old card and pays nothing.
	_, err = c.Member.ChangeCardAndPay(ctx, m, "unknowntoken", &escott.PaymentParams{Amount: decimal.NewFromInt(700)})
	var mpe *escott.MemberPaymentError
	require.ErrorAs(t, err, &mpe)
	assert.Equal(t, escott.OpMemberChange, mpe.Step)
	assert.ErrorIs(t, err, escott.ErrToken)
	info2, _ := srv.Member(m.ID)
	assert.Equal(t, escott.BrandMastercard, info2.Brand)
}

func TestMemberPaymentFollowUps(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := registered(t, srv, c, escotttest.CardVisa)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: decimal.NewFromInt(900), Source: m, Mode: escott.AuthOnly})
	require.NoError(t, err)
	require.NotNil(t, pay.Process.Member)

	_, err = c.Card.Capture(ctx, pay.Process, nil)
	require.NoError(t, err)
	f := lastRequest(t, srv, escott.OpCapture)
	assert.Equal(t, m.ID, f.Get("KaiinId"))
	assert.Equal(t, m.Pass.Reveal(), f.Get("KaiinPass"))
	assert.Equal(t, 1, srv.RequestCount(escott.OpCapture))

	// The member is missing from the stored process: the gateway answers K80.
	noMember := pay.Process
	noMember.Member = nil
	_, err = c.Card.Inquire(ctx, noMember)
	require.ErrorIs(t, err, escott.ErrInvalidRequest)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K80"))

	_, err = c.Card.Cancel(ctx, pay.Process)
	require.NoError(t, err)
	assert.Equal(t, m.ID, lastRequest(t, srv, escott.OpDelete).Get("KaiinId"))
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, "cancelled", info.State)

	// A payment made by token, followed up with a member by mistake: K81,
	// retried once without the member fields.
	tokPay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: decimal.NewFromInt(400),
		Source: srv.MustToken(escotttest.CardVisa), Mode: escott.AuthOnly})
	require.NoError(t, err)
	wrong := tokPay.Process
	wrong.Member = &m
	_, err = c.Card.Capture(ctx, wrong, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount(escott.OpCapture), "one capture for the member, two for the K81 retry")
	assert.Empty(t, lastRequest(t, srv, escott.OpCapture).Get("KaiinId"))
	info, _ = srv.Process(tokPay.Process.ID)
	assert.Equal(t, "captured", info.State)
}

func TestDeleteMember(t *testing.T) {
	ctx := context.Background()

	t.Run("invalidate fails", func(t *testing.T) {
		srv, c := newTest(t)
		m := registered(t, srv, c, escotttest.CardVisa)
		wrong := escott.Member{ID: m.ID, Pass: "000000000000"}
		err := c.Member.Delete(ctx, wrong)
		var de *escott.DeleteMemberError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, escott.OpMemberInvalidate, de.Step)
		assert.False(t, de.Invalidated)
		assert.True(t, escott.IsMemberMismatch(err))
		assert.Zero(t, srv.RequestCount(escott.OpMemberDelete))
	})
	t.Run("delete fails then is repeated", func(t *testing.T) {
		srv, c := newTest(t)
		m := registered(t, srv, c, escotttest.CardVisa)
		srv.InjectFault(escott.OpMemberDelete, escotttest.Fault{Kind: escotttest.FaultMaintenance})
		err := c.Member.Delete(ctx, m)
		var de *escott.DeleteMemberError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, escott.OpMemberDelete, de.Step)
		assert.True(t, de.Invalidated)
		assert.ErrorIs(t, err, escott.ErrTemporary)
		assert.Contains(t, err.Error(), "now invalid")
		info, _ := srv.Member(m.ID)
		assert.Equal(t, escott.MemberInvalid, info.Status)

		// The member is invalid now: 4MemInval answers K75 and Delete goes on.
		require.NoError(t, c.Member.Delete(ctx, m))
		info, _ = srv.Member(m.ID)
		assert.Equal(t, escott.MemberDeleted, info.Status)
		assert.Equal(t, 2, srv.RequestCount(escott.OpMemberInvalidate))
		assert.Equal(t, 2, srv.RequestCount(escott.OpMemberDelete))
	})
	t.Run("already deleted", func(t *testing.T) {
		srv, c := newTest(t)
		m := registered(t, srv, c, escotttest.CardVisa)
		require.NoError(t, c.Member.Delete(ctx, m))
		err := c.Member.Delete(ctx, m)
		var de *escott.DeleteMemberError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, escott.OpMemberDelete, de.Step)
		assert.False(t, de.Invalidated)
		var gerr *escott.Error
		require.ErrorAs(t, err, &gerr)
		assert.True(t, gerr.Has("K75"))
	})
	t.Run("not re-sent after reaching the gateway", func(t *testing.T) {
		srv, c := newTest(t, escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 3}))
		m := registered(t, srv, c, escotttest.CardVisa)
		srv.InjectFault(escott.OpMemberInvalidate, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
		err := c.Member.Delete(ctx, m)
		require.ErrorIs(t, err, escott.ErrOutcomeUnknown, "processed: never reported as not processed")
		assert.Equal(t, 1, srv.RequestCount(escott.OpMemberInvalidate))
	})
}

func TestMemberReferenceRetried(t *testing.T) {
	srv, c := newTest(t, escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 3}))
	m := registered(t, srv, c, escotttest.CardVisa)
	srv.InjectFault(escott.OpMemberRefMasked, escotttest.Fault{Kind: escotttest.FaultHTTP500, Times: 2})
	got, err := c.Member.GetMasked(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, "1111", got.Last4)
	assert.Equal(t, 3, srv.RequestCount(escott.OpMemberRefMasked))
}

// rawMember posts a member request the SDK would refuse to send, and returns
// the gateway's codes.
func rawMember(t *testing.T, srv *escotttest.Server, op string, kv ...string) []string {
	t.Helper()
	cfg := srv.Config()
	f := url.Values{"MerchantId": {cfg.MerchantID}, "MerchantPass": {cfg.MerchantPass},
		"TransactionDate": {jst.Date(srv.Now())}, "OperateId": {op}, "TenantId": {cfg.TenantID}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	res, err := http.PostForm(srv.URL+"/online/crp/OCRP005.do", f)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	ans, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	return strings.Split(ans.Get("ResponseCd"), "|")
}

func requireCode(t *testing.T, err error, code string, class error) {
	t.Helper()
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has(code), "want %s, got %v", code, err)
	assert.ErrorIs(t, err, class)
}

func TestMemberErrorCodes(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	amount := decimal.NewFromInt(100)

	// K69: the ID is in use, also once the member is deleted.
	m := registered(t, srv, c, escotttest.CardVisa)
	_, err := c.Member.Register(ctx, m, srv.MustToken(escotttest.CardVisa))
	requireCode(t, err, "K69", escott.ErrMember)
	require.NoError(t, c.Member.Delete(ctx, m))
	_, err = c.Member.Register(ctx, escott.Member{ID: m.ID, Pass: "other"}, srv.MustToken(escotttest.CardVisa))
	requireCode(t, err, "K69", escott.ErrMember)

	// K71: unknown member or wrong password; a mismatch for the host.
	_, err = c.Member.GetMasked(ctx, newMember(t))
	requireCode(t, err, "K71", escott.ErrMember)
	assert.True(t, escott.IsMemberMismatch(err))
	assert.False(t, escott.IsMemberMismatch(fmt.Errorf("wrapped: %w", escott.ErrMember)))

	// K73: revalidating a valid member.
	m2 := registered(t, srv, c, escotttest.CardVisa)
	_, err = c.Member.Revalidate(ctx, m2)
	requireCode(t, err, "K73", escott.ErrMember)
	assert.False(t, escott.IsMemberMismatch(err))

	// K75: paying with or changing an invalid member.
	_, err = c.Member.Invalidate(ctx, m2)
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: m2})
	requireCode(t, err, "K75", escott.ErrMember)
	_, err = c.Member.ChangeCard(ctx, m2, srv.MustToken(escotttest.CardVisa))
	requireCode(t, err, "K75", escott.ErrMember)
	_, err = c.Member.Invalidate(ctx, m2)
	requireCode(t, err, "K75", escott.ErrMember)

	// K74: locked after MaxFailedLogins wrong passwords, even with the right one.
	m3 := registered(t, srv, c, escotttest.CardVisa)
	wrong := escott.Member{ID: m3.ID, Pass: "wrongpass"}
	for i := range escotttest.MaxFailedLogins {
		_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: wrong})
		requireCode(t, err, "K71", escott.ErrMember)
		info, _ := srv.Member(m3.ID)
		assert.Equal(t, i+1, info.FailedLogins)
	}
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: m3})
	requireCode(t, err, "K74", escott.ErrMember)
	got, err := c.Member.GetMasked(ctx, m3)
	require.NoError(t, err)
	assert.Equal(t, escott.MemberLocked, got.Status)
	assert.False(t, got.Gone())
	_, err = c.Member.Revalidate(ctx, m3) // the merchant unlocks
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: m3})
	require.NoError(t, err)

	// K72: the card is invalid; changing it makes the member valid again.
	require.NoError(t, srv.SetMemberStatus(m3.ID, escott.MemberCardInvalid))
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: m3})
	requireCode(t, err, "K72", escott.ErrMember)
	got, err = c.Member.GetMasked(ctx, m3)
	require.NoError(t, err)
	assert.Equal(t, escott.MemberCardInvalid, got.Status)
	assert.False(t, got.Status.CanPay())
	_, err = c.Member.ChangeCard(ctx, m3, srv.MustToken(escotttest.CardJCB))
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: m3})
	require.NoError(t, err)

	// K70, K45, K46: requests the SDK refuses to send, posted raw.
	assert.Equal(t, []string{"K70"}, rawMember(t, srv, escott.OpMemberDelete, "KaiinId", m3.ID, "KaiinPass", m3.Pass.Reveal()))
	assert.Equal(t, []string{"K45"}, rawMember(t, srv, escott.OpMemberRefMasked, "KaiinId", strings.Repeat("1", 21), "KaiinPass", "abc"))
	assert.Equal(t, []string{"K46"}, rawMember(t, srv, escott.OpMemberRefMasked, "KaiinId", "abc", "KaiinPass", "a-b"))
	assert.Equal(t, []string{"K01"}, rawMember(t, srv, escott.OpMemberAdd, "KaiinId", "abc", "KaiinPass", "abc"))
	for code, class := range map[string]error{"K70": escott.ErrMember, "K45": escott.ErrMember, "K46": escott.ErrMember} {
		cd, ok := escott.LookupCode(code)
		require.True(t, ok)
		e := &escott.Error{Codes: []escott.Code{cd}}
		assert.ErrorIs(t, e, class, code)
	}
	// The SDK refuses the same values before sending.
	before := srv.RequestCount("")
	_, err = c.Member.GetMasked(ctx, escott.Member{ID: strings.Repeat("1", 21), Pass: "abc"})
	require.ErrorIs(t, err, escott.ErrValidation)
	assert.Contains(t, err.Error(), "KaiinId")
	_, err = c.Member.Register(ctx, escott.Member{ID: "abc", Pass: "a-b"}, srv.MustToken(escotttest.CardVisa))
	require.ErrorIs(t, err, escott.ErrValidation)
	assert.Contains(t, err.Error(), "KaiinPass")
	assert.Equal(t, before, srv.RequestCount(""))
}

func TestMemberExpiresInTestEnvironment(t *testing.T) {
	ctx := context.Background()
	srv := escotttest.NewServer(escotttest.Config{MemberLifetime: 48 * time.Hour})
	t.Cleanup(srv.Close)
	c := srv.Client(escott.WithClock(srv.Now))
	m := registered(t, srv, c, escotttest.CardVisa)
	srv.Advance(47 * time.Hour)
	_, err := c.Member.GetMasked(ctx, m)
	require.NoError(t, err)
	srv.Advance(time.Hour)
	_, err = c.Member.GetMasked(ctx, m)
	require.True(t, escott.IsMemberMismatch(err))
	_, ok := srv.Member(m.ID)
	assert.False(t, ok)
	// Expired test members are purged: the ID can be registered again.
	_, err = c.Member.Register(ctx, m, srv.MustToken(escotttest.CardVisa))
	require.NoError(t, err)
}

func TestMemberHelpers(t *testing.T) {
	t.Run("CanDelete", func(t *testing.T) {
		now := time.Date(2025, 5, 30, 12, 0, 0, 0, jst.Zone)
		ok, at := escott.CanDelete(time.Time{}, now)
		assert.True(t, ok)
		assert.Equal(t, now, at)

		last := time.Date(2025, 3, 1, 23, 30, 0, 0, jst.Zone)
		ok, at = escott.CanDelete(last, now)
		assert.False(t, ok)
		assert.Equal(t, time.Date(2025, 5, 31, 0, 0, 0, 0, jst.Zone), at)
		ok, _ = escott.CanDelete(last, at)
		assert.True(t, ok)
		ok, _ = escott.CanDelete(last, at.Add(-time.Second))
		assert.False(t, ok)
		// The day counts in JST whatever the zone of the input.
		ok, at2 := escott.CanDelete(last.UTC(), now)
		assert.False(t, ok)
		assert.True(t, at.Equal(at2))
	})
	t.Run("RegistrationPolicy", func(t *testing.T) {
		var p escott.RegistrationPolicy
		assert.Equal(t, escott.MemberChooses, p)
		assert.True(t, p.ShowChoice())
		assert.True(t, p.ShouldRegister(true))
		assert.False(t, p.ShouldRegister(false))
		assert.False(t, escott.AlwaysRegister.ShowChoice())
		assert.True(t, escott.AlwaysRegister.ShouldRegister(false))
		assert.Equal(t, "always register", escott.AlwaysRegister.String())
	})
	t.Run("status", func(t *testing.T) {
		for st, want := range map[escott.MemberStatus]bool{
			escott.MemberValid: false, escott.MemberCardInvalid: false, escott.MemberLocked: false,
			escott.MemberInvalid: true, escott.MemberDeleted: true, escott.MemberStatusUnknown: false,
		} {
			assert.Equal(t, want, st.Gone(), st.String())
			assert.Equal(t, st == escott.MemberValid, st.CanPay(), st.String())
		}
		assert.Equal(t, "card invalid", escott.MemberCardInvalid.String())
		assert.Equal(t, "MemberStatus(9)", escott.MemberStatus(9).String())
	})
	t.Run("PayTypeChoices of a stored card", func(t *testing.T) {
		srv, c := newTest(t)
		amex := registered(t, srv, c, escotttest.CardAmex)
		visa := registered(t, srv, c, escotttest.CardVisa)
		a, err := c.Member.GetMasked(context.Background(), amex)
		require.NoError(t, err)
		v, err := c.Member.GetMasked(context.Background(), visa)
		require.NoError(t, err)
		assert.NotContains(t, a.PayTypeChoices(escott.WithBonus), escott.Revolving)
		assert.Contains(t, v.PayTypeChoices(escott.WithBonus), escott.Revolving)
		assert.Equal(t, escott.PayTypeChoices("378282", escott.WithInstallments), a.PayTypeChoices(escott.WithInstallments))
		assert.Equal(t, []escott.PayType{escott.LumpSum}, v.PayTypeChoices(escott.LumpSumOnly))
	})
}

// TestMemberRedaction drives the member flows through a debug logger and
// checks that no KaiinPass (nor a full card number) shows in the logs, in
// error strings or in the formatted results and errors.
func TestMemberRedaction(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newTest(t, escott.WithLogger(log))
	amount := decimal.NewFromInt(1200)

	m := newMember(t)
	var outputs []any
	record := func(v any, err error) {
		outputs = append(outputs, v)
		if err != nil {
			outputs = append(outputs, err)
		}
	}
	record(c.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardVisa), &escott.PaymentParams{Amount: amount, Mode: escott.AuthOnly}))
	pay := outputs[0].(*escott.Payment)
	record(c.Card.Capture(ctx, pay.Process, nil))
	record(c.Member.Get(ctx, m))
	record(c.Member.GetMasked(ctx, m))
	record(c.Member.ChangeCardAndPay(ctx, m, srv.MustToken(escotttest.CardDeclined), &escott.PaymentParams{Amount: amount}))
	record(c.Member.Revalidate(ctx, m))
	record(c.Card.Pay(ctx, &escott.PaymentParams{Amount: amount, Source: escott.Member{ID: m.ID, Pass: "wrongpass1"}}))
	record(nil, c.Member.Delete(ctx, escott.Member{ID: m.ID, Pass: "wrongpass2"}))
	record(nil, c.Member.Delete(ctx, m))
	record(c.Member.GetMasked(ctx, m))
	m2 := newMember(t)
	srv.InjectFault(escott.OpMemberAdd, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	record(c.Member.RegisterAndPay(ctx, m2, srv.MustToken(escotttest.CardVisa), &escott.PaymentParams{Amount: amount}))
	outputs = append(outputs, m, &m, m2)

	var errCount int
	var out strings.Builder
	for _, v := range outputs {
		if v == nil {
			continue
		}
		if err, ok := v.(error); ok {
			errCount++
			out.WriteString(err.Error())
		}
		fmt.Fprintf(&out, "%v %+v %#v %s\n", v, v, v, v)
		if p, ok := v.(*escott.Payment); ok && p != nil {
			fmt.Fprintf(&out, "%v %+v %#v\n", p.Process, p.Process, p.Process.Member)
		}
	}
	assert.GreaterOrEqual(t, errCount, 5)
	require.Contains(t, logs.String(), m.ID, "the logs do show member IDs")
	require.Contains(t, out.String(), m.ID)
	require.Contains(t, out.String(), "411111******1111")
	for _, secret := range []string{m.Pass.Reveal(), m2.Pass.Reveal(), "wrongpass1", "wrongpass2",
		escotttest.CardVisa, escotttest.CardDeclined, pay.Process.Pass.Reveal()} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, out.String(), secret)
	}
}
