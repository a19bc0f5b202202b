package escott_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func yen(n int64) decimal.Decimal { return escott.Yen(n) }

func fastRetry() escott.Option {
	return escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
}

func TestPayCaptureChangeInquireCancel(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{
		Amount: yen(1500), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater,
		MerchantFree2: "order-42", MerchantFree3: "注文42",
	})
	require.NoError(t, err)
	assert.Equal(t, escott.OpAuth, pay.OperateID)
	assert.Len(t, pay.Process.LinkKey, 12)
	assert.Equal(t, pay.Process.LinkKey, pay.MerchantFree1)
	assert.Equal(t, "order-42", pay.MerchantFree2)
	assert.Equal(t, "注文42", pay.MerchantFree3)
	assert.Equal(t, "VI", pay.CompanyCode)
	assert.Len(t, pay.ApprovalNumber, 7)
	assert.Equal(t, escott.SecurityCodeMatch, pay.SecurityCodeResult)
	assert.NotEmpty(t, pay.TransactionID)
	assert.Equal(t, "JST", pay.TransactionDate.Location().String())
	info, ok := srv.Process(pay.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", info.State)
	assert.Equal(t, escott.Yen(1500).String(), info.Amount.String())

	capt, err := c.Card.Capture(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, pay.Process.ID, capt.Process.ID)
	assert.Equal(t, srv.Requests()[1].Fields.Get("SalesDate"), capt.SalesDate.Format("20060102"))
	info, _ = srv.Process(pay.Process.ID)
	assert.Equal(t, "captured", info.State)
	assert.NotEmpty(t, info.SalesDate)

	_, err = c.Card.ChangeAmount(ctx, pay.Process, &escott.ChangeAmountParams{Amount: yen(1200)})
	require.NoError(t, err)
	got, err := c.Card.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.True(t, got.Amount.Equal(yen(1200)), got.Amount.String())
	assert.False(t, got.SalesDate.IsZero())

	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	info, _ = srv.Process(pay.Process.ID)
	assert.Equal(t, "cancelled", info.State)

	// All follow-ups went under the order's link key.
	for _, r := range srv.Requests() {
		assert.Equal(t, pay.Process.LinkKey, r.Fields.Get("MerchantFree1"), r.OperateID)
	}
}

func TestGatheringIsDefault(t *testing.T) {
	srv, c := newTest(t)
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(980), Source: srv.MustToken(escotttest.CardJCB)})
	require.NoError(t, err)
	assert.Equal(t, escott.OpGathering, pay.OperateID)
	assert.Equal(t, escott.LumpSum, pay.PayType)
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, "captured", info.State)
	assert.Equal(t, "01", srv.Requests()[0].Fields.Get("PayType"))
	// Capturing a captured sale is a state error.
	_, err = c.Card.Capture(context.Background(), pay.Process, nil)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K14"))
	assert.ErrorIs(t, err, escott.ErrState)
}

func TestEverySuccessCard(t *testing.T) {
	srv, c := newTest(t)
	for card, company := range map[string]string{
		escotttest.CardVisa: "VI", escotttest.CardMastercard: "MC", escotttest.CardJCB: "JC",
		escotttest.CardAmex: "AX", escotttest.CardDiners: "DC",
	} {
		pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100), Source: srv.MustToken(card)})
		require.NoError(t, err, card)
		assert.Equal(t, company, pay.CompanyCode, card)
	}
}

func TestFailureCardsMapToClasses(t *testing.T) {
	srv, c := newTest(t)
	for _, tc := range []struct {
		card  string
		code  string
		class error
	}{
		{escotttest.CardDeclined, "G12", escott.ErrDeclined},
		{escotttest.CardExpired, "C13", escott.ErrDeclined},
		{escotttest.CardSecurityCode, "G44", escott.ErrDeclined},
		{escotttest.CardLimitExceeded, "G55", escott.ErrDeclined},
		{escotttest.CardIssuerUnavailable, "G95", escott.ErrTemporary},
		{escotttest.CardCentreClosed, "C80", escott.ErrTemporary},
		{escotttest.CardSystemError, "C02", escott.ErrTemporary},
	} {
		t.Run(tc.code, func(t *testing.T) {
			_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(500), Source: srv.MustToken(tc.card)})
			var gerr *escott.Error
			require.ErrorAs(t, err, &gerr)
			assert.True(t, gerr.Has(tc.code), "%v", err)
			assert.ErrorIs(t, err, tc.class)
			assert.NotEmpty(t, gerr.ShopperMessage("ja"))
			assert.NotEmpty(t, gerr.ShopperMessage("en"))
			assert.NotContains(t, gerr.ShopperMessage("en"), tc.code)
		})
	}
}

func TestShopperMessagesDiffer(t *testing.T) {
	srv, c := newTest(t)
	msg := func(card string) string {
		_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(500), Source: srv.MustToken(card)})
		var gerr *escott.Error
		require.ErrorAs(t, err, &gerr)
		return gerr.ShopperMessage("en")
	}
	assert.NotEqual(t, msg(escotttest.CardExpired), msg(escotttest.CardSecurityCode))
	assert.NotEqual(t, msg(escotttest.CardLimitExceeded), msg(escotttest.CardDeclined))
}

func TestCheckAndReauthorize(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	chk, err := c.Card.Check(ctx, &escott.CheckParams{Source: srv.MustToken(escotttest.CardMastercard)})
	require.NoError(t, err)
	assert.Equal(t, escott.OpCheck, chk.OperateID)
	assert.NotEmpty(t, chk.Process.ID)

	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(3000), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	re, err := c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(2500), SalesDate: time.Now()})
	require.NoError(t, err)
	assert.NotEqual(t, pay.Process.ID, re.Process.ID, "1ReAuth issues a new process")
	assert.Equal(t, pay.Process.LinkKey, re.Process.LinkKey)
	info, ok := srv.Process(re.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "captured", info.State)
	assert.Equal(t, escott.Yen(2500).String(), info.Amount.String())
	// The new process is the one to manage from now on.
	_, err = c.Card.Cancel(ctx, re.Process, nil)
	require.NoError(t, err)

	re2, err := c.Card.Reauthorize(ctx, re.Process, &escott.ReauthorizeParams{Amount: yen(100)})
	require.NoError(t, err)
	info, _ = srv.Process(re2.Process.ID)
	assert.Equal(t, "captured", info.State, "a re-authorised 1Gathering payment keeps its mode")
}

func TestGatewayStateAndFormatCodes(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)

	codeOf := func(err error) string {
		t.Helper()
		var gerr *escott.Error
		require.ErrorAs(t, err, &gerr)
		return gerr.Codes[0].Value
	}
	_, err = c.Card.ChangeAmount(ctx, pay.Process, &escott.ChangeAmountParams{Amount: yen(1000)})
	assert.Equal(t, "K23", codeOf(err), "same amount")
	_, err = c.Card.Capture(ctx, pay.Process, &escott.CaptureParams{SalesDate: time.Now().Add(48 * time.Hour)})
	assert.Equal(t, "K39", codeOf(err), "future sales date")
	assert.ErrorIs(t, err, escott.ErrInvalidRequest)
	_, err = c.Card.Inquire(ctx, escott.Process{ID: "999999", Pass: "nope", LinkKey: pay.Process.LinkKey}, nil)
	assert.Equal(t, "K12", codeOf(err))
	assert.ErrorIs(t, err, escott.ErrState)

	tok := srv.MustToken(escotttest.CardVisa)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: tok})
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: tok})
	assert.Equal(t, "KI2", codeOf(err), "token used twice")
	assert.ErrorIs(t, err, escott.ErrToken)

	tok = srv.MustToken(escotttest.CardVisa)
	srv.Advance(31 * time.Minute)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: tok})
	assert.Equal(t, "KI3", codeOf(err), "token expired")

	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: escott.CardToken("doesnotexist")})
	assert.Equal(t, "KHZ", codeOf(err))
}

func TestWrongCredentialsAndTenant(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	cfg := srv.Config()
	cfg.MerchantPass = "productionpass" // the production password in the test environment
	c, err := escott.NewClient(cfg)
	require.NoError(t, err)
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K03"))

	cfg = srv.Config()
	cfg.TenantID = "0002"
	c, err = escott.NewClient(cfg)
	require.NoError(t, err)
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K13"))
	assert.ErrorIs(t, err, escott.ErrMerchant)
}

func TestValidationSendsNothing(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	tok := srv.MustToken(escotttest.CardVisa)
	proc := escott.Process{ID: "123", Pass: "abc"}
	cases := map[string]struct {
		run   func() error
		field string
	}{
		"nil params":  {func() error { _, err := c.Card.Pay(ctx, nil); return err }, "Amount"},
		"zero amount": {func() error { _, err := c.Card.Pay(ctx, &escott.PaymentParams{Source: tok}); return err }, "Amount"},
		"fraction": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: decimal.RequireFromString("10.5"), Source: tok})
			return err
		}, "Amount"},
		"too large": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(10_000_000), Source: tok})
			return err
		}, "Amount"},
		"negative": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(-5), Source: tok})
			return err
		}, "Amount"},
		"no source": {func() error { _, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5)}); return err }, "Token"},
		"bad token": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5), Source: escott.CardToken("a b")})
			return err
		}, "Token"},
		"bad pay type": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5), Source: tok, PayType: "7"})
			return err
		}, "PayType"},
		"bad link key": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5), Source: tok, LinkKey: "no_underscores"})
			return err
		}, "MerchantFree1"},
		"long free2": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5), Source: tok, MerchantFree2: "ｶﾅ"})
			return err
		}, "MerchantFree2"},
		"bad member": {func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(5), Source: escott.Member{ID: "a-b", Pass: "x"}})
			return err
		}, "KaiinId"},
		"no process": {func() error { _, err := c.Card.Capture(ctx, escott.Process{}, nil); return err }, "ProcessId"},
		"change to zero": {func() error {
			_, err := c.Card.ChangeAmount(ctx, proc, &escott.ChangeAmountParams{Amount: yen(0)})
			return err
		}, "Amount"},
		"reauth nil": {func() error { _, err := c.Card.Reauthorize(ctx, proc, nil); return err }, "Amount"},
		"check nil":  {func() error { _, err := c.Card.Check(ctx, nil); return err }, "Token"},
		"search bad": {func() error { _, err := c.Token.Inquire(ctx, ""); return err }, "Token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.run()
			var verr *escott.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.ErrorIs(t, err, escott.ErrValidation)
			var fields []string
			for _, f := range verr.Fields {
				fields = append(fields, f.Field)
			}
			assert.Contains(t, fields, tc.field)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	assert.Equal(t, 0, srv.RequestCount(""), "no request may be sent for invalid input")
}

func TestJSTDateWhateverTheHostZone(t *testing.T) {
	la := time.FixedZone("PST", -8*3600)
	// 16:30 on the 26th in Los Angeles is 09:30 on the 27th in Tokyo.
	at := time.Date(2026, 11, 26, 16, 30, 0, 0, la)
	srv, c := newTestWith(t, escotttest.Config{Now: func() time.Time { return at }},
		escott.WithClock(func() time.Time { return at }))
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err, "the fake refuses (K05) a TransactionDate that is not today in Japan")
	assert.Equal(t, "20261127", srv.Requests()[0].Fields.Get("TransactionDate"))
	assert.Equal(t, time.Date(2026, 11, 27, 0, 0, 0, 0, time.FixedZone("JST", 9*3600)).Unix(), pay.TransactionDate.Unix())
	assert.Equal(t, "20261127", srv.Requests()[0].Fields.Get("TransactionDate"))
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, "20261127", info.SalesDate)

	// A client whose clock says the 26th (the host's local date) is refused.
	bad, err := escott.NewClient(srv.Config(), escott.WithClock(func() time.Time { return at.Add(-10 * time.Hour) }))
	require.NoError(t, err)
	_, err = bad.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100), Source: srv.MustToken(escotttest.CardVisa)})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K05"))
}

func TestNoResendAfterConnectionClosedPostProcessing(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t, fastRetry())
	auth, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)

	ops := []struct {
		op  string
		run func() error
	}{
		{escott.OpGathering, func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "LK1"})
			return err
		}},
		{escott.OpAuth, func() error {
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater, LinkKey: "LK2"})
			return err
		}},
		{escott.OpChange, func() error {
			_, err := c.Card.ChangeAmount(ctx, auth.Process, &escott.ChangeAmountParams{Amount: yen(900), LinkKey: "LK3"})
			return err
		}},
		// Each follow-up under its own link key: one whose attempt ended
		// unknown blocks its link key until resolved (TestUnknownOutcomeBlocksItsLinkKey).
		{escott.OpCapture, func() error {
			_, err := c.Card.Capture(ctx, auth.Process, &escott.CaptureParams{LinkKey: "LK4"})
			return err
		}},
		{escott.OpReAuth, func() error {
			_, err := c.Card.Reauthorize(ctx, auth.Process, &escott.ReauthorizeParams{Amount: yen(800), LinkKey: "LK5"})
			return err
		}},
		{escott.OpDelete, func() error {
			_, err := c.Card.Cancel(ctx, auth.Process, &escott.CancelParams{LinkKey: "LK6"})
			return err
		}},
	}
	for _, tc := range ops {
		t.Run(tc.op, func(t *testing.T) {
			before := srv.RequestCount(tc.op)
			srv.InjectFault(tc.op, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
			err := tc.run()
			var ou *escott.OutcomeUnknownError
			require.ErrorAs(t, err, &ou)
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
			assert.NotEmpty(t, ou.LinkKey)
			assert.Contains(t, err.Error(), ou.LinkKey)
			assert.Equal(t, before+1, srv.RequestCount(tc.op), "a money-moving request is sent exactly once")
			pending, err := c.Journal().Pending(ctx, time.Now())
			require.NoError(t, err)
			var found bool
			for _, a := range pending {
				found = found || a.LinkKey == ou.LinkKey && a.Operation == tc.op
			}
			assert.True(t, found, "the attempt stays in the journal for recovery")
		})
	}
	// The fake did process them: e.g. the cancel went through.
	info, _ := srv.Process(auth.Process.ID)
	assert.Equal(t, "cancelled", info.State)
}

func TestOtherAmbiguousFaultsAreOutcomeUnknown(t *testing.T) {
	for name, f := range map[string]escotttest.Fault{
		"http 500":  {Kind: escotttest.FaultHTTP500},
		"malformed": {Kind: escotttest.FaultMalformed},
		"dropped":   {Kind: escotttest.FaultCloseBeforeProcessing},
	} {
		t.Run(name, func(t *testing.T) {
			srv, c := newTest(t, fastRetry())
			srv.InjectFault(escott.OpGathering, f)
			_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
		})
	}
}

func TestMaintenanceIsATemporaryRejection(t *testing.T) {
	srv, c := newTest(t, fastRetry())
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultMaintenance})
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	assert.ErrorIs(t, err, escott.ErrTemporary)
	assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering), "a gateway answer is final: not re-sent")
}

func TestReadOnlyRetry(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t, fastRetry())
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultHTTP500, Times: 2})
	_, err = c.Card.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount(escott.OpSearch))

	srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing, Times: 5})
	_, err = c.Card.Inquire(ctx, pay.Process, nil)
	assert.ErrorIs(t, err, escott.ErrTransport)
	assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.Equal(t, 6, srv.RequestCount(escott.OpSearch), "bounded: three attempts")
}

func TestRetryWhenConnectionNeverMade(t *testing.T) {
	srv, _ := newTest(t)
	var dials atomic.Int32
	d := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, errors.New("connection refused")
		}
		return d.DialContext(ctx, network, addr)
	}}}
	c := srv.Client(escott.WithHTTPClient(hc), fastRetry())
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err, "a payment that never left may be sent again")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
	assert.Equal(t, int32(2), dials.Load())
}

func TestConnectionRefusedIsTransportError(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	tok := srv.MustToken(escotttest.CardVisa)
	cfg := srv.Config()
	srv.Close()
	c, err := escott.NewClient(cfg, fastRetry())
	require.NoError(t, err)
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: tok})
	assert.ErrorIs(t, err, escott.ErrTransport)
	assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
}

func TestContextCancelledMidCall(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	assert.Less(t, time.Since(start), time.Second, "returns promptly")
	assert.ErrorIs(t, err, escott.ErrOutcomeUnknown, "the request had left: outcome unknown")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDoubleSubmitGuard(t *testing.T) {
	srv, c := newTest(t)
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 300 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(50 * time.Millisecond)
			}
			_, errs[i] = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "ORDER1"})
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	var inflight *escott.InFlightError
	require.ErrorAs(t, errs[1], &inflight)
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}

func TestMemberMismatchRetry(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	// The host wrongly believes this payment was made for a member.
	proc := pay.Process
	proc.Member = &escott.Member{ID: "1234567890123", Pass: "123456789012"}
	_, err = c.Card.Capture(ctx, proc, nil)
	require.NoError(t, err, "K81 is retried once without the member fields")
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.NotEmpty(t, reqs[1].Fields.Get("KaiinId"))
	assert.Empty(t, reqs[2].Fields.Get("KaiinId"))
}

func TestInstallments(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(30000), Source: srv.MustToken(escotttest.CardVisa), PayType: escott.Installments(3)})
	require.NoError(t, err)
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, "03", info.PayType)

	codeOf := func(card string, pt escott.PayType) string {
		_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(30000), Source: srv.MustToken(card), PayType: pt})
		var gerr *escott.Error
		if !errors.As(err, &gerr) {
			return "OK"
		}
		return gerr.Codes[0].Value
	}
	assert.Equal(t, "G74", codeOf(escotttest.CardAmex, escott.Installments(2)), "AMEX has no 2 installments")
	assert.Equal(t, "G78", codeOf(escotttest.CardAmex, escott.Revolving))
	assert.Equal(t, "G74", codeOf(escotttest.CardDiners, escott.Installments(3)))
	assert.Equal(t, "OK", codeOf(escotttest.CardDiners, escott.Revolving))
	assert.Equal(t, "OK", codeOf(escotttest.CardJCB, escott.Bonus))

	lumpOnly := escott.LumpSumOnly
	srv2, c2 := newTestWith(t, escotttest.Config{Installments: &lumpOnly})
	_, err = c2.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(30000), Source: srv2.MustToken(escotttest.CardVisa), PayType: escott.Installments(3)})
	assert.ErrorIs(t, err, escott.ErrPaymentOption)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("C12"))
}

func TestPayTypeChoices(t *testing.T) {
	std := []escott.PayType{"01", "02", "03", "05", "06", "10", "12", "15", "18", "20", "24", "88"}
	for _, prefix := range []string{"4", "41", "5", "55", "35", "3530"} {
		assert.Equal(t, []escott.PayType{"01"}, escott.PayTypeChoices(prefix, escott.LumpSumOnly), prefix)
		assert.Equal(t, std, escott.PayTypeChoices(prefix, escott.InstallmentsAndRevolving), prefix)
		assert.Equal(t, append(std, "80"), escott.PayTypeChoices(prefix, escott.InstallmentsRevolvingAndBonus), prefix)
	}
	assert.Equal(t, []escott.PayType{"01", "03", "05", "06", "10", "12", "15", "18", "20", "24"}, escott.PayTypeChoices("37", escott.InstallmentsAndRevolving))
	assert.Equal(t, []escott.PayType{"01", "03", "05", "06", "10", "12", "15", "18", "20", "24", "80"}, escott.PayTypeChoices("3782", escott.InstallmentsRevolvingAndBonus))
	assert.Equal(t, []escott.PayType{"01", "88"}, escott.PayTypeChoices("36", escott.InstallmentsAndRevolving))
	assert.Equal(t, []escott.PayType{"01", "88", "80"}, escott.PayTypeChoices("3666", escott.InstallmentsRevolvingAndBonus))
	for _, prefix := range []string{"", "3", "6011", "30", "1", "2220", "2721"} { // 2221–2720 is Mastercard (card_fidelity_test.go)
		assert.Equal(t, []escott.PayType{"01"}, escott.PayTypeChoices(prefix, escott.InstallmentsRevolvingAndBonus), prefix)
	}
	assert.Equal(t, escott.BrandAmex, escott.BrandOf("378282******0005"))
	assert.True(t, escott.PayTypeAllowed("4111", escott.InstallmentsRevolvingAndBonus, escott.Bonus))
	assert.False(t, escott.PayTypeAllowed("4111", escott.InstallmentsAndRevolving, escott.Bonus))
	assert.Equal(t, 3, escott.Installments(3).Count())
	assert.Equal(t, 1, escott.Revolving.Count())
	assert.Equal(t, 0, escott.Installments(1).Count())
}

func TestToken(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	tag, err := c.Token.ScriptTag("onToken")
	require.NoError(t, err)
	assert.Equal(t, `<script type="text/javascript" src="`+srv.URL+`/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=TESTTOKENAUTHCODE" callBackFunc="onToken" class="spsvToken"></script>`, string(tag))
	_, err = c.Token.ScriptTag(`x"><script>alert(1)</script>`)
	assert.Error(t, err)

	tok := srv.MustToken(escotttest.CardVisa)
	st, err := c.Token.Inquire(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "OK", st.TokenResponseCode)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: tok})
	require.NoError(t, err, "1TokenSearch does not consume the token")
	_, err = c.Token.Inquire(ctx, tok)
	assert.ErrorIs(t, err, escott.ErrToken)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("KI2"))
}

func TestScriptURLPerEnvironment(t *testing.T) {
	for env, want := range map[escott.Environment]string{
		escott.Test:       "https://www.test.e-scott.jp/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=ABC123",
		escott.Production: "https://www.e-scott.jp/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=ABC123",
	} {
		c, err := escott.NewClient(escott.Config{MerchantID: "1", MerchantPass: "p", Environment: env, TokenAuthCode: "ABC123"})
		require.NoError(t, err)
		u, err := c.Token.ScriptURL()
		require.NoError(t, err)
		assert.Equal(t, want, u)
	}
	c, err := escott.NewClient(escott.Config{MerchantID: "1", MerchantPass: "p", Environment: escott.Test})
	require.NoError(t, err)
	_, err = c.Token.ScriptURL()
	assert.ErrorIs(t, err, escott.ErrNoTokenAuthCode)
}

func TestLinkKeysAreRandomDigits(t *testing.T) {
	seen := map[string]bool{}
	counts := [10]int{}
	for range 2000 {
		k := escott.NewLinkKey()
		require.Len(t, k, 12)
		require.False(t, seen[k], "duplicate link key")
		seen[k] = true
		for _, c := range k {
			require.True(t, c >= '0' && c <= '9')
			counts[c-'0']++
		}
	}
	for d, n := range counts { // 24000 digits: expect 2400 each
		assert.InDelta(t, 2400, n, 300, "digit %d", d)
	}
}

func TestWithTimeout(t *testing.T) {
	srv, c := newTest(t, escott.WithTimeout(100*time.Millisecond))
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 2 * time.Second})
	start := time.Now()
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
	assert.Less(t, time.Since(start), time.Second)
	assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	pending, perr := c.Journal().Pending(context.Background(), time.Now())
	require.NoError(t, perr)
	assert.Len(t, pending, 1, "recorded as unknown even though the call's context expired")
}

// An attempt whose outcome is unknown blocks its link key until the operator
// resolves it: the same order sent again could be charged twice.
func TestUnknownOutcomeBlocksItsLinkKey(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t, fastRetry())
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	pay := func() error {
		_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1200), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "ORDER1"})
		return err
	}
	require.ErrorIs(t, pay(), escott.ErrOutcomeUnknown)
	require.Equal(t, 1, srv.RequestCount(escott.OpGathering))

	// The shopper presses "pay" again: refused before sending.
	err := pay()
	var ue *escott.UnresolvedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "ORDER1", ue.LinkKey)
	assert.ErrorIs(t, err, escott.ErrJournalUnresolved)
	assert.ErrorIs(t, err, escott.ErrState)
	assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown, "this request was not sent")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering), "nothing sent")

	// The operator finds nothing in the console and resolves it: free again.
	require.NoError(t, c.Journal().Resolve(ctx, "ORDER1", escott.AttemptResult{Outcome: escott.OutcomeRejected}))
	require.NoError(t, pay())
	assert.Equal(t, 2, srv.RequestCount(escott.OpGathering))

	// Follow-ups default to the process's link key: a capture whose outcome
	// is unknown blocks the cancel that would go under the same key.
	auth, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1200), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	srv.InjectFault(escott.OpCapture, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err = c.Card.Capture(ctx, auth.Process, nil)
	require.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	_, err = c.Card.Cancel(ctx, auth.Process, nil)
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 0, srv.RequestCount(escott.OpDelete))
	require.NoError(t, c.Journal().Resolve(ctx, auth.Process.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: auth.Process.ID}))
	_, err = c.Card.Cancel(ctx, auth.Process, nil)
	require.NoError(t, err)
}
