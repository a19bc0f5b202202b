package escottotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	escottotel "github.com/escott-go/escott/otel"
)

// Distinctive secrets: none may appear in any span or metric.
const (
	merchantPass = "MpSecretQx7Wv"
	tokenAuth    = "TacSecretZk4Rb"
	aesKey       = "AesKeySecret9Jq"
	aesIV        = "AesIvSecret3Tw8"
	memberPass   = "KpSecretHm5Ny"
	securityCode = "8613"
)

// world is a fake gateway, a client observed by an escottotel.Observer
// recording into memory, and the secrets its flows used.
type world struct {
	srv     *escotttest.Server
	client  *escott.Client
	spans   *tracetest.SpanRecorder
	metrics *sdkmetric.ManualReader
	tracer  trace.Tracer

	mu      sync.Mutex
	secrets []string // tokens, ProcessPass values … as they come
}

func newWorld(t *testing.T, cfg escotttest.Config) *world {
	t.Helper()
	cfg.MerchantPass, cfg.TokenAuthCode, cfg.AESKey, cfg.AESIV = merchantPass, tokenAuth, aesKey+"0", aesIV+"0"
	w := &world{spans: tracetest.NewSpanRecorder(), metrics: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(w.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(w.metrics))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	w.tracer = tp.Tracer("shop")
	obs, err := escottotel.NewObserver(escottotel.WithTracerProvider(tp), escottotel.WithMeterProvider(mp))
	require.NoError(t, err)
	w.srv = escotttest.NewServer(cfg)
	t.Cleanup(w.srv.Close)
	// The transport traces each HTTP request as otelhttp.NewTransport does:
	// a client span under the span of the request's context.
	hc := &http.Client{Transport: httpSpans{tracer: w.tracer, next: http.DefaultTransport}}
	w.client = w.srv.Client(escott.WithObserver(obs), escott.WithHTTPClient(hc),
		escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 3}))
	return w
}

// token mints a token for number with the distinctive security code.
func (w *world) token(t *testing.T, number string) escott.CardToken {
	t.Helper()
	tok, err := w.srv.MintToken(number, "30", "12", securityCode)
	require.NoError(t, err)
	w.secret(string(tok))
	return tok
}

func (w *world) secret(s ...string) {
	w.mu.Lock()
	w.secrets = append(w.secrets, s...)
	w.mu.Unlock()
}

// receiver is the shop's notification URL, started before the fake gateway
// (which needs its URL) with the handler set once the client exists.
type receiver struct {
	*httptest.Server
	mu sync.Mutex
	h  http.Handler
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		h := r.h
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) set(h http.Handler) {
	r.mu.Lock()
	r.h = h
	r.mu.Unlock()
}

// httpSpans is a RoundTripper that starts an "HTTP POST" client span.
type httpSpans struct {
	tracer trace.Tracer
	next   http.RoundTripper
}

func (h httpSpans) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := h.tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("url.path", r.URL.Path)))
	defer span.End()
	res, err := h.next.RoundTrip(r.WithContext(ctx))
	if err == nil {
		span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	}
	return res, err
}

// ended returns the ended spans named name.
func (w *world) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range w.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only ended span named name.
func (w *world) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	s := w.ended(name)
	require.Len(t, s, 1, name)
	return s[0]
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// checkout runs fn under a "checkout" span, as a host's handler would.
func (w *world) checkout(fn func(ctx context.Context)) trace.SpanContext {
	ctx, span := w.tracer.Start(context.Background(), "checkout")
	fn(ctx)
	span.End()
	return span.SpanContext()
}

// assertCall checks a call span's parent, kind, attributes and status.
func assertCall(t *testing.T, s sdktrace.ReadOnlySpan, parent trace.SpanContext, want map[attribute.Key]any, status codes.Code) {
	t.Helper()
	assert.Equal(t, parent.SpanID(), s.Parent().SpanID(), "%s is a child of the caller's span", s.Name())
	assert.Equal(t, parent.TraceID(), s.SpanContext().TraceID())
	assert.Equal(t, trace.SpanKindClient, s.SpanKind())
	got := attrs(s)
	for k, v := range want {
		assert.Equal(t, v, got[k].AsInterface(), "%s: %s", s.Name(), k)
	}
	assert.Equal(t, status, s.Status().Code, s.Name())
}

// assertHTTPChild checks that the HTTP span of the call is its child.
func (w *world) assertHTTPChild(t *testing.T, call sdktrace.ReadOnlySpan, n int) {
	t.Helper()
	var kids int
	for _, s := range w.ended("HTTP POST") {
		if s.Parent().SpanID() == call.SpanContext().SpanID() {
			kids++
		}
	}
	assert.Equal(t, n, kids, "HTTP spans under %s", call.Name())
}

func TestCardPayCaptureCancel(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	var pay *escott.Payment
	parent := w.checkout(func(ctx context.Context) {
		var err error
		pay, err = w.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: w.token(t, escotttest.CardVisa),
			LinkKey: "orderpay", Capture: escott.CaptureLater})
		require.NoError(t, err)
		w.secret(pay.Process.Pass.Reveal())
		_, err = w.client.Card.Capture(ctx, pay.Process, nil)
		require.NoError(t, err)
		_, err = w.client.Card.Cancel(ctx, pay.Process, nil)
		require.NoError(t, err)
	})
	auth := w.one(t, "escott 1Auth")
	assertCall(t, auth, parent, map[attribute.Key]any{
		escottotel.AttrOperation: "1Auth", escottotel.AttrService: "card", escottotel.AttrLinkKey: "orderpay",
		escottotel.AttrOutcome: "succeeded", escottotel.AttrAttempts: int64(1), escottotel.AttrHTTPStatus: int64(200),
		escottotel.AttrReadOnly: false,
	}, codes.Unset)
	w.assertHTTPChild(t, auth, 1)
	for _, op := range []string{"1Capture", "1Delete"} {
		s := w.one(t, "escott "+op)
		assertCall(t, s, parent, map[attribute.Key]any{escottotel.AttrOperation: op, escottotel.AttrOutcome: "succeeded",
			escottotel.AttrLinkKey: "orderpay"}, codes.Unset)
		w.assertHTTPChild(t, s, 1)
	}
	assert.Equal(t, map[string]int64{"1Auth/succeeded": 1, "1Capture/succeeded": 1, "1Delete/succeeded": 1}, w.callCounts(t))
	assert.Equal(t, map[string]uint64{"1Auth/succeeded": 1, "1Capture/succeeded": 1, "1Delete/succeeded": 1}, w.durationCounts(t))
}

func TestDeclinedPayment(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	parent := w.checkout(func(ctx context.Context) {
		_, err := w.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(500), Source: w.token(t, escotttest.CardDeclined),
			LinkKey: "orderdecl"})
		require.ErrorIs(t, err, escott.ErrDeclined)
	})
	s := w.one(t, "escott 1Gathering")
	assertCall(t, s, parent, map[attribute.Key]any{
		escottotel.AttrOutcome: "refused", escottotel.AttrResponseCodes: []string{"G12"},
		escottotel.AttrErrorClass: "declined", escottotel.AttrHTTPStatus: int64(200),
	}, codes.Error)
	assert.Equal(t, "refused: declined", s.Status().Description)
	assert.Equal(t, map[string]int64{"1Gathering/refused": 1}, w.callCounts(t))
	p := w.metric(t, "escott.client.calls").(metricdata.Sum[int64]).DataPoints[0]
	class, _ := p.Attributes.Value(escottotel.AttrErrorClass)
	assert.Equal(t, "declined", class.AsString(), "refusals are counted by class")
}

func TestUnknownOutcome(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	w.srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	parent := w.checkout(func(ctx context.Context) {
		_, err := w.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(500), Source: w.token(t, escotttest.CardVisa),
			LinkKey: "orderunk"})
		require.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	})
	s := w.one(t, "escott 1Gathering")
	assertCall(t, s, parent, map[attribute.Key]any{escottotel.AttrOutcome: "unknown", escottotel.AttrAttempts: int64(1),
		escottotel.AttrLinkKey: "orderunk"}, codes.Error)
	assert.Equal(t, "unknown", s.Status().Description)
	require.Len(t, s.Events(), 1)
	assert.Equal(t, "exception", s.Events()[0].Name)
	w.assertHTTPChild(t, s, 1)
	assert.Equal(t, 1, w.srv.RequestCount(escott.OpGathering), "sent once")
	assert.Equal(t, map[string]int64{"1Gathering/unknown": 1}, w.callCounts(t))
}

func TestRetriedRead(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	pay, err := w.client.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(800),
		Source: w.token(t, escotttest.CardVisa), LinkKey: "orderread"})
	require.NoError(t, err)
	w.srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultHTTP500})
	parent := w.checkout(func(ctx context.Context) {
		_, err := w.client.Card.Inquire(ctx, pay.Process, nil)
		require.NoError(t, err)
	})
	s := w.one(t, "escott 1Search")
	assertCall(t, s, parent, map[attribute.Key]any{escottotel.AttrOutcome: "succeeded", escottotel.AttrAttempts: int64(2),
		escottotel.AttrReadOnly: true}, codes.Unset)
	w.assertHTTPChild(t, s, 2)
}

func TestMemberRegisterAndPay(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	m := escott.Member{ID: "membertaro", Pass: escott.Secret(memberPass)}
	parent := w.checkout(func(ctx context.Context) {
		pay, err := w.client.Member.RegisterAndPay(ctx, m, w.token(t, escotttest.CardVisa),
			&escott.PaymentParams{Amount: escott.Yen(2400), LinkKey: "ordermember"})
		require.NoError(t, err)
		w.secret(pay.Process.Pass.Reveal())
	})
	add := w.one(t, "escott 4MemAdd")
	assertCall(t, add, parent, map[attribute.Key]any{escottotel.AttrService: "member", escottotel.AttrOutcome: "succeeded",
		escottotel.AttrLinkKey: "ordermember"}, codes.Unset)
	pay := w.one(t, "escott 1Gathering")
	assertCall(t, pay, parent, map[attribute.Key]any{escottotel.AttrService: "card", escottotel.AttrOutcome: "succeeded"}, codes.Unset)
	assert.True(t, add.EndTime().Before(pay.StartTime()) || add.EndTime().Equal(pay.StartTime()), "registration, then payment")
}

func TestOnlineCollectionAndNotification(t *testing.T) {
	shop := newReceiver(t)
	w := newWorld(t, escotttest.Config{NotifyURL: shop.URL + "/"})
	h, err := w.client.NotificationHandler(escott.WithoutSourceCheck())
	require.NoError(t, err)
	var mu sync.Mutex
	var inSubscriber trace.SpanContext
	h.OnPaymentReceived(func(ctx context.Context, _ escott.PaymentReceived) error {
		mu.Lock()
		inSubscriber = trace.SpanContextFromContext(ctx)
		mu.Unlock()
		return nil
	})
	shop.set(h)

	var reg *escott.CVSPayment
	parent := w.checkout(func(ctx context.Context) {
		reg, err = w.client.CVS.Register(ctx, &escott.CVSParams{Amount: escott.Yen(3240), Name: "山田 太郎", NameKana: "ﾔﾏﾀﾞ ﾀﾛｳ",
			Phone: "03-1234-5678", ProductNames: []string{"Tシャツ"}, LinkKey: "ordercvs"})
		require.NoError(t, err)
	})
	w.secret(reg.Process.Pass.Reveal())
	assertCall(t, w.one(t, "escott 2Add"), parent, map[attribute.Key]any{escottotel.AttrService: "cvs",
		escottotel.AttrOutcome: "succeeded", escottotel.AttrLinkKey: "ordercvs"}, codes.Unset)

	require.NoError(t, w.srv.Pay(reg.Process.ID, "SEV"))
	n := w.one(t, "escott notification")
	assert.Equal(t, trace.SpanKindServer, n.SpanKind(), "the handler starts the trace")
	assert.False(t, n.Parent().IsValid())
	mu.Lock()
	assert.Equal(t, n.SpanContext().SpanID(), inSubscriber.SpanID(), "subscribers run in the span")
	mu.Unlock()
	got := attrs(n)
	assert.Equal(t, "notification", got[escottotel.AttrInboundKind].AsString())
	assert.Equal(t, "accepted", got[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "payment", got[escottotel.AttrEvent].AsString())
	assert.Equal(t, "ordercvs", got[escottotel.AttrLinkKey].AsString())
	assert.Equal(t, int64(200), got[escottotel.AttrHTTPStatus].AsInt64())
	assert.Equal(t, codes.Unset, n.Status().Code)

	// A forged notification is refused, and says why.
	forged := escotttest.NewNotification(escotttest.NotificationParams{MerchantPass: "wrong", LinkKey: "ordercvs"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, escotttest.NotificationRequest(forged))
	refused := w.ended("escott notification")
	require.Len(t, refused, 2)
	got = attrs(refused[1])
	assert.Equal(t, "refused", got[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "HashCd does not match", got[escottotel.AttrReason].AsString())
	assert.Equal(t, codes.Error, refused[1].Status().Code)

	assert.Equal(t, map[string]int64{"notification/payment/accepted": 1, "notification//refused": 1}, w.inboundCounts(t))
}

func TestThreeDSModeB(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	var ret *escotttest.ThreeDSReturn
	w.checkout(func(ctx context.Context) {
		form, err := w.client.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
			Amount: escott.Yen(5400), Source: w.token(t, escotttest.CardThreeDSChallenge), LinkKey: "order3ds",
			BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: "http://127.0.0.1:8080/3ds/return",
		})
		require.NoError(t, err)
		w.secret(form.EncryptValue.Reveal())
		ret, err = w.srv.Authenticate(ctx, form, nil)
		require.NoError(t, err)
	})
	// The return is a new request: the shop's handler's span is its parent.
	parent := w.checkout(func(ctx context.Context) {
		res, err := w.client.ThreeDS.HandleReturn(ret.Request(ctx), nil)
		require.NoError(t, err)
		pay, err := w.client.ThreeDS.Authorize(ctx, res)
		require.NoError(t, err)
		w.secret(pay.Process.Pass.Reveal(), res.ThreeDS.CAVV3D)
	})
	r := w.one(t, "escott 3ds_return")
	assert.Equal(t, parent.SpanID(), r.Parent().SpanID())
	assert.Equal(t, trace.SpanKindInternal, r.SpanKind(), "under the host's own span")
	got := attrs(r)
	assert.Equal(t, "accepted", got[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "3Secure", got[escottotel.AttrOperation].AsString())
	assert.Equal(t, "0", got[escottotel.AttrSecureResultCode].AsString())
	assert.Equal(t, "order3ds", got[escottotel.AttrLinkKey].AsString())
	assertCall(t, w.one(t, "escott 1Gathering"), parent, map[attribute.Key]any{escottotel.AttrOutcome: "succeeded",
		escottotel.AttrLinkKey: "order3ds"}, codes.Unset)

	_, err := w.client.ThreeDS.HandleReturn(ret.Request(context.Background()), nil)
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	replay := w.ended("escott 3ds_return")[1]
	assert.Equal(t, "refused", attrs(replay)[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "already used (replay)", attrs(replay)[escottotel.AttrReason].AsString())
}

// Every flow with distinctive secrets: none appears in a span name,
// attribute, event, status or metric attribute.
func TestNoSecretInTelemetry(t *testing.T) {
	shop := newReceiver(t)
	w := newWorld(t, escotttest.Config{NotifyURL: shop.URL + "/"})
	ctx := context.Background()
	c := w.client
	// Link keys without digits: a random one could contain a short secret
	// (the security code) or the amount by chance.
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(19803), Source: w.token(t, escotttest.CardVisa),
		Capture: escott.CaptureLater, LinkKey: "secretsa"})
	require.NoError(t, err)
	w.secret(pay.Process.Pass.Reveal())
	_, err = c.Card.Capture(ctx, pay.Process, nil)
	require.NoError(t, err)
	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(500), Source: w.token(t, escotttest.CardDeclined), LinkKey: "secretsb"})
	require.Error(t, err)
	w.srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(500), Source: w.token(t, escotttest.CardVisa), LinkKey: "secretsc"})
	require.Error(t, err)
	w.srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultMalformed, Times: 3})
	_, err = c.Card.Inquire(ctx, pay.Process, nil)
	require.Error(t, err)
	m := escott.Member{ID: "memberhana", Pass: escott.Secret(memberPass)}
	mp, err := c.Member.RegisterAndPay(ctx, m, w.token(t, escotttest.CardMastercard),
		&escott.PaymentParams{Amount: escott.Yen(900), LinkKey: "secretsd"})
	require.NoError(t, err)
	w.secret(mp.Process.Pass.Reveal())
	reg, err := c.CVS.Register(ctx, &escott.CVSParams{Amount: escott.Yen(3240), Name: "山田 太郎", NameKana: "ﾔﾏﾀﾞ ﾀﾛｳ",
		Phone: "03-1234-5678", ProductNames: []string{"Tシャツ"}, LinkKey: "secretse"})
	require.NoError(t, err)
	w.secret(reg.Process.Pass.Reveal())
	h, err := c.NotificationHandler(escott.WithoutSourceCheck())
	require.NoError(t, err)
	h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error { return nil })
	shop.set(h)
	require.NoError(t, w.srv.Pay(reg.Process.ID, "SEV"))
	forged := escotttest.NewNotification(escotttest.NotificationParams{ProcessPass: "PpSecretLeakMe", LinkKey: "x"})
	w.secret("PpSecretLeakMe")
	h.ServeHTTP(httptest.NewRecorder(), escotttest.NotificationRequest(forged))
	form, err := c.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(5400), Source: w.token(t, escotttest.CardThreeDSFrictionless), LinkKey: "secretsf",
		BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: "http://127.0.0.1:8080/3ds/return",
	})
	require.NoError(t, err)
	w.secret(form.EncryptValue.Reveal())
	ret, err := w.srv.Authenticate(ctx, form, nil)
	require.NoError(t, err)
	w.secret(ret.Fields.Get("EncryptValue"))
	res, err := c.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	require.NoError(t, err)
	p3, err := c.ThreeDS.Authorize(ctx, res)
	require.NoError(t, err)
	w.secret(p3.Process.Pass.Reveal(), res.ThreeDS.CAVV3D)
	rd, err := c.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(2700), LinkKey: "secretsg",
		RedirectURL: "http://127.0.0.1:8080/link/return"})
	require.NoError(t, err)
	w.secret(rd.URL())
	lret, err := w.srv.PayLink(ctx, rd, escotttest.LinkShopper{Card: escotttest.CardJCB})
	require.NoError(t, err)
	w.secret(lret.Fields.Get("EncryptValue"))
	lres, err := c.Link.HandleReturn(lret.Request(ctx), &escott.LinkReturnParams{
		Record: func(context.Context, *escott.LinkResult) error { return nil }})
	require.NoError(t, err)
	w.secret(lres.Payment.Process.Pass.Reveal())
	require.Len(t, w.ended("escott link_return"), 1)

	secrets := append([]string{merchantPass, tokenAuth, aesKey, aesIV, memberPass, escotttest.CardVisa,
		escotttest.CardMastercard, escotttest.CardDeclined, escotttest.CardThreeDSFrictionless, escotttest.CardJCB,
		securityCode}, w.secrets...)
	var texts []string
	for _, s := range w.spans.Ended() {
		texts = append(texts, s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			texts = append(texts, string(kv.Key)+"="+kv.Value.String())
		}
		for _, e := range s.Events() {
			texts = append(texts, e.Name)
			for _, kv := range e.Attributes {
				texts = append(texts, string(kv.Key)+"="+kv.Value.String())
			}
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, w.metrics.Collect(ctx, &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, set := range attributeSets(m) {
				for _, kv := range set.ToSlice() {
					texts = append(texts, string(kv.Key)+"="+kv.Value.String())
				}
			}
		}
	}
	require.Greater(t, len(w.spans.Ended()), 15, "every flow was traced")
	all := strings.Join(texts, "\n")
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, all, s, "a secret in the telemetry")
	}
	assert.NotContains(t, all, "19803", "nor an amount")
}

// attributeSets returns the attribute sets of a metric's data points.
func attributeSets(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}

// callCounts returns escott.client.calls by "operation/outcome".
func (w *world) callCounts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, p := range w.metric(t, "escott.client.calls").(metricdata.Sum[int64]).DataPoints {
		op, _ := p.Attributes.Value(escottotel.AttrOperation)
		oc, _ := p.Attributes.Value(escottotel.AttrOutcome)
		out[op.AsString()+"/"+oc.AsString()] += p.Value
	}
	return out
}

// durationCounts returns the count of escott.client.call.duration by
// "operation/outcome".
func (w *world) durationCounts(t *testing.T) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	h := w.metric(t, "escott.client.call.duration").(metricdata.Histogram[float64])
	for _, p := range h.DataPoints {
		op, _ := p.Attributes.Value(escottotel.AttrOperation)
		oc, _ := p.Attributes.Value(escottotel.AttrOutcome)
		out[op.AsString()+"/"+oc.AsString()] += p.Count
		assert.Greater(t, p.Sum, 0.0)
	}
	return out
}

// inboundCounts returns escott.inbound.messages by "kind/event/result".
func (w *world) inboundCounts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, p := range w.metric(t, "escott.inbound.messages").(metricdata.Sum[int64]).DataPoints {
		k, _ := p.Attributes.Value(escottotel.AttrInboundKind)
		e, _ := p.Attributes.Value(escottotel.AttrEvent)
		r, _ := p.Attributes.Value(escottotel.AttrInboundResult)
		out[k.AsString()+"/"+e.AsString()+"/"+r.AsString()] += p.Value
	}
	return out
}

func (w *world) metric(t *testing.T, name string) metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, w.metrics.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, escottotel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// TestCheckoutTrace prints the trace of one checkout (run with -v): the
// README's example.
func TestCheckoutTrace(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	w.checkout(func(ctx context.Context) {
		_, err := w.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: w.token(t, escotttest.CardVisa),
			LinkKey: "order1001"})
		require.NoError(t, err)
	})
	tree := spanTree(w.spans.Ended())
	t.Log("\n" + tree)
	assert.Contains(t, tree, "checkout\n  escott 1Gathering [client]")
	assert.Contains(t, tree, "\n    HTTP POST [client]")
}

// spanTree renders spans as an indented tree with their attributes.
func spanTree(spans []sdktrace.ReadOnlySpan) string {
	kids := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID()] = true
	}
	for _, s := range spans {
		if p := s.Parent(); p.IsValid() && ids[p.SpanID()] {
			kids[p.SpanID()] = append(kids[p.SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		pad := strings.Repeat("  ", depth)
		b.WriteString(pad + s.Name())
		if k := s.SpanKind(); k != trace.SpanKindInternal {
			b.WriteString(" [" + k.String() + "]")
		}
		if s.Status().Code != codes.Unset {
			fmt.Fprintf(&b, " status=%s %q", s.Status().Code, s.Status().Description)
		}
		b.WriteByte('\n')
		kv := slices.Clone(s.Attributes())
		sort.Slice(kv, func(i, j int) bool { return kv[i].Key < kv[j].Key })
		for _, a := range kv {
			fmt.Fprintf(&b, "%s    %s=%s\n", pad, a.Key, a.Value.String())
		}
		ch := kids[s.SpanContext().SpanID()]
		sort.Slice(ch, func(i, j int) bool { return ch[i].StartTime().Before(ch[j].StartTime()) })
		for _, c := range ch {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
