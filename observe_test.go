package escott_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// callRecorder is an Observer that keeps what it was told. Its Start methods
// return a context carrying a mark, so a test can see where the context went.
type callRecorder struct {
	mu       sync.Mutex
	starts   []escott.Call
	calls    []escott.Call
	inStarts []escott.Inbound
	inbound  []escott.Inbound
	endCtx   []context.Context
}

type markKey struct{}

func (r *callRecorder) StartCall(ctx context.Context, c escott.Call) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, c)
	return context.WithValue(ctx, markKey{}, "call:"+c.Operation)
}

func (r *callRecorder) EndCall(ctx context.Context, c escott.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	r.endCtx = append(r.endCtx, ctx)
}

func (r *callRecorder) StartInbound(ctx context.Context, in escott.Inbound) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inStarts = append(r.inStarts, in)
	return context.WithValue(ctx, markKey{}, "inbound:"+in.Kind.String())
}

func (r *callRecorder) EndInbound(_ context.Context, in escott.Inbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inbound = append(r.inbound, in)
}

func (r *callRecorder) last() escott.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[len(r.calls)-1]
}

func (r *callRecorder) lastInbound() escott.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inbound[len(r.inbound)-1]
}

// markingTransport records the observer's mark on each request's context.
type markingTransport struct {
	mu    sync.Mutex
	marks []any
}

func (t *markingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.marks = append(t.marks, r.Context().Value(markKey{}))
	t.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestObserverSeesEachOutcome(t *testing.T) {
	rec := &callRecorder{}
	tr := &markingTransport{}
	srv, c := newTest(t, escott.WithObserver(rec), escott.WithHTTPClient(&http.Client{Transport: tr}),
		escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 3}))
	ctx := context.Background()

	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1200), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "ord1"})
	require.NoError(t, err)
	got := rec.last()
	assert.Equal(t, escott.Call{Operation: escott.OpGathering, Service: "card", LinkKey: "ord1",
		Outcome: escott.CallSucceeded, Attempts: 1, HTTPStatus: http.StatusOK}, got)
	assert.Equal(t, escott.Call{Operation: escott.OpGathering, Service: "card", LinkKey: "ord1"}, rec.starts[0],
		"StartCall gets the description only")
	assert.Equal(t, []any{"call:1Gathering"}, tr.marks, "the HTTP request runs with StartCall's context")
	assert.Equal(t, "call:1Gathering", rec.endCtx[0].Value(markKey{}), "EndCall gets StartCall's context")

	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1200), Source: srv.MustToken(escotttest.CardDeclined), LinkKey: "ord2"})
	require.ErrorIs(t, err, escott.ErrDeclined)
	got = rec.last()
	assert.Equal(t, escott.CallRefused, got.Outcome)
	assert.Equal(t, []string{"G12"}, got.Codes)
	assert.Equal(t, escott.ClassDeclined, got.Class)
	assert.Equal(t, http.StatusOK, got.HTTPStatus)
	assert.Same(t, err, got.Err)

	srv.InjectFault(escott.OpCapture, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err = c.Card.Capture(ctx, pay.Process, nil)
	require.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	got = rec.last()
	assert.Equal(t, escott.CallUnknown, got.Outcome)
	assert.Equal(t, 1, got.Attempts)
	assert.Zero(t, got.HTTPStatus)
	assert.Zero(t, got.Class)

	srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultHTTP500, Times: 3})
	_, err = c.Card.Inquire(ctx, pay.Process, nil)
	require.ErrorIs(t, err, escott.ErrTransport)
	got = rec.last()
	assert.Equal(t, escott.CallFailed, got.Outcome)
	assert.True(t, got.ReadOnly)
	assert.Equal(t, 3, got.Attempts, "every retry of a read is counted")
	assert.Equal(t, http.StatusInternalServerError, got.HTTPStatus)

	srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultHTTP500})
	_, err = c.Card.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	got = rec.last()
	assert.Equal(t, escott.CallSucceeded, got.Outcome)
	assert.Equal(t, 2, got.Attempts, "a read that succeeded on its second attempt")

	calls := len(rec.calls)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(-1), Source: srv.MustToken(escotttest.CardVisa)})
	require.ErrorIs(t, err, escott.ErrValidation)
	assert.Len(t, rec.calls, calls, "invalid parameters are refused before a call starts")
}

// failingJournal refuses every attempt.
type failingJournal struct{ escott.Journal }

func (failingJournal) Begin(context.Context, escott.Attempt) error { return errors.New("disk full") }

func TestObserverSeesCallsNotSent(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec), escott.WithJournal(failingJournal{escott.NewMemoryJournal()}))
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(500), Source: srv.MustToken(escotttest.CardVisa)})
	require.Error(t, err)
	got := rec.last()
	assert.Equal(t, escott.CallNotSent, got.Outcome)
	assert.Zero(t, got.Attempts)
	assert.Equal(t, 0, srv.RequestCount(escott.OpGathering))
}

// panicky panics in every method.
type panicky struct{}

func (panicky) StartCall(context.Context, escott.Call) context.Context { panic("start") }
func (panicky) EndCall(context.Context, escott.Call)                   { panic("end") }
func (panicky) StartInbound(context.Context, escott.Inbound) context.Context {
	panic("start inbound")
}
func (panicky) EndInbound(context.Context, escott.Inbound) { panic("end inbound") }

// A panicking observer must not cost a payment its outcome: the payment is
// made once, returned to the caller and journaled, and the panic is logged.
func TestObserverPanicKeepsTheOutcome(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, c := newTest(t, escott.WithObserver(panicky{}), escott.WithLogger(log))
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(700), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	require.NotEmpty(t, pay.Process.ID)
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
	pending, err := c.Journal().Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "the outcome is journaled")
	assert.Contains(t, logs.String(), "observer panicked")
	assert.Contains(t, logs.String(), "method=StartCall")
	assert.Contains(t, logs.String(), "method=EndCall")

	h, err := c.NotificationHandler()
	require.NoError(t, err)
	var paid int
	h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error { paid++; return nil })
	w := newRespWriter()
	h.ServeHTTP(w, escotttest.NewNotificationRequest(escotttest.NotificationParams{LinkKey: "n1"}))
	assert.Equal(t, http.StatusOK, w.status)
	assert.Equal(t, 1, paid)
	assert.Contains(t, logs.String(), "method=EndInbound")
}

func TestWithObserverNil(t *testing.T) {
	_, err := escott.NewClient(escott.Config{MerchantID: "1", MerchantPass: "p", Environment: escott.Test}, escott.WithObserver(nil))
	var ce *escott.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Error(), "WithObserver")
}

// The hook costs a call no allocation: a card payment with an observer
// that allocates nothing allocates exactly as much as one without.
func TestObserverCostsNoAllocation(t *testing.T) {
	body := "ResponseCd=OK&OperateId=1Gathering&MerchantFree1=" + cannedLinkKey + "&TransactionId=123456789012345678" +
		"&TransactionDate=20261126&ProcessId=1234567890123456&ProcessPass=AbCdEfGhIjKlMnOp&CompanyCd=VI&ApproveNo=1234567&McSecCd=0"
	hc := &http.Client{Transport: cannedTransport{body}}
	allocs := func(opts ...escott.Option) float64 {
		c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
			append(opts, escott.WithHTTPClient(hc))...)
		require.NoError(t, err)
		tok := escott.CardToken("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl")
		p := &escott.PaymentParams{Amount: escott.Yen(1980), Source: tok, LinkKey: cannedLinkKey}
		return testing.AllocsPerRun(200, func() {
			if _, err := c.Card.Pay(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		})
	}
	without := allocs()
	with := allocs(escott.WithObserver(escott.NopObserver{}))
	t.Logf("allocations per card payment: %v without an observer, %v with one", without, with)
	if raceEnabled { // sync.Pool drops a quarter of what it is given
		assert.LessOrEqual(t, with, without+1)
		return
	}
	assert.Equal(t, without, with)
}

func TestObserverSeesNotifications(t *testing.T) {
	rec := &callRecorder{}
	_, c := newTest(t, escott.WithObserver(rec))
	h, err := c.NotificationHandler()
	require.NoError(t, err)
	var seen []any
	h.OnPaymentReceived(func(ctx context.Context, _ escott.PaymentReceived) error {
		seen = append(seen, ctx.Value(markKey{}))
		return nil
	})
	serve := func(r *http.Request) escott.Inbound {
		w := newRespWriter()
		h.ServeHTTP(w, r)
		in := rec.lastInbound()
		assert.Equal(t, w.status, in.Status)
		return in
	}
	p := escotttest.NotificationParams{LinkKey: "order77", ProcessID: "1234567890123456", ProcessPass: "PPsecretPP",
		TransactionID: "999", ReceiptNumber: "R1"}
	in := serve(escotttest.NewNotificationRequest(p))
	assert.Equal(t, escott.Inbound{Kind: escott.InboundNotification, Result: escott.InboundAccepted, Event: "payment",
		LinkKey: "order77", Status: http.StatusOK}, in)
	assert.Equal(t, []any{"inbound:notification"}, seen, "subscribers run with StartInbound's context")

	in = serve(escotttest.NewNotificationRequest(p))
	assert.Equal(t, escott.InboundDuplicate, in.Result)
	assert.Len(t, seen, 1)

	forged := escotttest.NewNotification(p)
	forged.Set("HashCd", "00000000000000000000000000000000")
	in = serve(escotttest.NotificationRequest(forged))
	assert.Equal(t, escott.InboundRefused, in.Result)
	assert.Equal(t, "HashCd does not match", in.Reason)
	assert.Equal(t, http.StatusForbidden, in.Status)
	assert.Empty(t, in.LinkKey, "nothing of a refused notification is read")

	h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error { return errors.New("db down") })
	p.ReceiptNumber = "R2"
	in = serve(escotttest.NewNotificationRequest(p))
	assert.Equal(t, escott.InboundFailed, in.Result)
	assert.Equal(t, "a subscriber failed", in.Reason)
	assert.Equal(t, http.StatusInternalServerError, in.Status)
}

func TestObserverSeesThreeDSReturns(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec))
	ctx := context.Background()
	form, err := c.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(5400), Source: srv.MustToken(escotttest.CardThreeDSFrictionless),
		BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: "http://127.0.0.1:8080/3ds/return",
	})
	require.NoError(t, err)
	ret, err := srv.Authenticate(ctx, form, nil)
	require.NoError(t, err)
	res, err := c.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	require.NoError(t, err)
	in := rec.lastInbound()
	assert.Equal(t, escott.Inbound{Kind: escott.InboundThreeDSReturn, Result: escott.InboundAccepted,
		Operation: escott.OpThreeDS, LinkKey: res.LinkKey, SecureResultCode: escott.SecureAuthenticated}, in)
	_, err = c.ThreeDS.Authorize(ctx, res)
	require.NoError(t, err)
	assert.Equal(t, escott.OpGathering, rec.last().Operation)

	_, err = c.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundRefused, in.Result)
	assert.Equal(t, "already used (replay)", in.Reason)
	assert.Equal(t, res.LinkKey, in.LinkKey)

	failed, err := c.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(5400), Source: srv.MustToken(escotttest.CardThreeDSFailed),
		BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: "http://127.0.0.1:8080/3ds/return",
	})
	require.NoError(t, err)
	ret, err = srv.Authenticate(ctx, failed, nil)
	require.NoError(t, err)
	_, err = c.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	require.Error(t, err)
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundDeclined, in.Result)
	assert.Equal(t, escott.SecureFailed, in.SecureResultCode)
	assert.Equal(t, escott.OpThreeDS, in.Operation)
}

func TestObserverSeesPostURLCopies(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec))
	sh := newShop(t, c)
	form := startA(t, srv, c, sh, escotttest.CardThreeDSFrictionless)
	ret := authenticate(t, srv, form, nil)
	srv.WaitPostURL()
	require.Len(t, sh.posts(), 1)
	in := rec.lastInbound()
	assert.Equal(t, escott.InboundThreeDSPostURL, in.Kind)
	assert.Equal(t, escott.InboundAccepted, in.Result)
	assert.Equal(t, escott.OpAuth, in.Operation)
	assert.Equal(t, http.StatusOK, in.Status)
	assert.Equal(t, escott.OpSearch, rec.last().Operation, "the confirmation inquiry is observed too")

	out := sh.deliver(t, ret)
	require.NoError(t, out.err)
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundThreeDSReturn, in.Kind)
	assert.Equal(t, escott.InboundDuplicate, in.Result)
}

// respWriter is a minimal http.ResponseWriter.
type respWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newRespWriter() *respWriter { return &respWriter{h: http.Header{}} }

func (w *respWriter) Header() http.Header { return w.h }
func (w *respWriter) WriteHeader(s int)   { w.status = s }
func (w *respWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// No value an Observer receives holds a secret, whatever the flow: every
// Call and Inbound, formatted with %+v (errors included), is searched for
// each secret the flows used.
func TestObserverValuesHoldNoSecret(t *testing.T) {
	const (
		merchantPass = "MpObsSecret4Kq"
		memberPass   = "KpObsSecret8Vz"
		aesKey       = "AesObsSecret7Lm2"
		aesIV        = "IvObsSecret5Hn3w"
	)
	rec := &callRecorder{}
	srv, c := newTestWith(t, escotttest.Config{MerchantPass: merchantPass, AESKey: aesKey, AESIV: aesIV},
		escott.WithObserver(rec))
	ctx := context.Background()
	var secrets []string
	tok := func(number string) escott.CardToken {
		tk := srv.MustToken(number)
		secrets = append(secrets, string(tk))
		return tk
	}
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(900), Source: tok(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	secrets = append(secrets, pay.Process.Pass.Reveal())
	_, err = c.Card.Capture(ctx, pay.Process, nil)
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(900), Source: tok(escotttest.CardDeclined)})
	require.Error(t, err)
	srv.InjectFault(escott.OpDelete, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	m := escott.Member{ID: "obsmember", Pass: escott.Secret(memberPass)}
	mp, err := c.Member.RegisterAndPay(ctx, m, tok(escotttest.CardJCB), &escott.PaymentParams{Amount: escott.Yen(700)})
	require.NoError(t, err)
	secrets = append(secrets, mp.Process.Pass.Reveal())
	_, err = c.Member.Get(ctx, m)
	require.NoError(t, err)
	form, err := c.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(5400), Source: tok(escotttest.CardThreeDSFrictionless),
		BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: "http://127.0.0.1:8080/3ds/return",
	})
	require.NoError(t, err)
	ret, err := srv.Authenticate(ctx, form, nil)
	require.NoError(t, err)
	secrets = append(secrets, form.EncryptValue.Reveal(), ret.Fields.Get("EncryptValue"))
	res, err := c.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	require.NoError(t, err)
	_, err = c.ThreeDS.Authorize(ctx, res)
	require.NoError(t, err)
	h, err := c.NotificationHandler()
	require.NoError(t, err)
	h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error { return nil })
	h.ServeHTTP(newRespWriter(), escotttest.NewNotificationRequest(escotttest.NotificationParams{
		MerchantPass: merchantPass, ProcessPass: "PpObsSecret2Jd", LinkKey: "obsnote"}))
	secrets = append(secrets, "PpObsSecret2Jd")

	var all strings.Builder
	for _, v := range rec.calls {
		fmt.Fprintf(&all, "%+v %v\n", v, v.Err)
	}
	for _, v := range rec.inbound {
		fmt.Fprintf(&all, "%+v\n", v)
	}
	require.Len(t, rec.inbound, 2)
	require.GreaterOrEqual(t, len(rec.calls), 8)
	for _, s := range append(secrets, merchantPass, memberPass, aesKey, aesIV, escotttest.DefaultTokenAuthCode,
		escotttest.CardVisa, escotttest.CardJCB, escotttest.CardDeclined, escotttest.CardThreeDSFrictionless) {
		assert.NotContains(t, all.String(), s)
	}
}

func TestObserverSeesLinkReturns(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec))
	ctx := context.Background()
	shop := newLinkShop()

	rd := startLink(t, c, 2500)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	res, err := c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.NoError(t, err)
	assert.Equal(t, escott.Inbound{Kind: escott.InboundLinkReturn, Result: escott.InboundAccepted,
		Operation: res.OperateID, LinkKey: rd.LinkKey, SecureResultCode: res.SecureResultCode}, rec.lastInbound())
	assert.Equal(t, escott.OpSearch, rec.last().Operation, "the confirmation inquiry is observed too")

	_, err = c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	in := rec.lastInbound()
	assert.Equal(t, escott.InboundRefused, in.Result)
	assert.Equal(t, rd.LinkKey, in.LinkKey)

	rd = startLink(t, c, 2500)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Cancel: true})
	_, err = c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.ErrorIs(t, err, escott.ErrCancelled)
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundLinkReturn, in.Kind)
	assert.Equal(t, escott.InboundDeclined, in.Result)
	assert.Equal(t, "the shopper cancelled", in.Reason)
	assert.Equal(t, []string{escotttest.LinkCancelCode}, in.Codes)
	assert.Equal(t, "link_return", in.Kind.String())

	rd = startLink(t, c, 2500)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardDeclined})
	_, err = c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.ErrorIs(t, err, escott.ErrDeclined)
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundDeclined, in.Result)
	assert.Equal(t, "refused by the gateway", in.Reason)
	assert.Equal(t, []string{"G12"}, in.Codes)
}
