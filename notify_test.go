package escott_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func notifyConfig() notifyCfg {
	return notifyCfg{
		MerchantID:   escotttest.DefaultMerchantID,
		MerchantPass: escotttest.DefaultMerchantPass,
		Environment:  escott.Test,
	}
}

// recorder collects events.
type recorder struct {
	mu       sync.Mutex
	payments []escott.PaymentReceived
	others   []escott.OtherEvent
	fail     atomic.Int32 // fail this many calls
}

func (r *recorder) pay(_ context.Context, p escott.PaymentReceived) error {
	if r.fail.Load() > 0 {
		r.fail.Add(-1)
		return errors.New("database down")
	}
	r.mu.Lock()
	r.payments = append(r.payments, p)
	r.mu.Unlock()
	return nil
}

func (r *recorder) other(_ context.Context, o escott.OtherEvent) error {
	r.mu.Lock()
	r.others = append(r.others, o)
	r.mu.Unlock()
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.payments)
}

func newHandler(t testing.TB, cfg notifyCfg, opts ...escott.NotifyOption) (*escott.NotificationHandler, *recorder) {
	t.Helper()
	h, err := newNotifyHandler(cfg, opts...)
	require.NoError(t, err)
	rec := &recorder{}
	h.OnPaymentReceived(rec.pay)
	h.OnOtherEvent(rec.other)
	return h, rec
}

func serve(h http.Handler, r *http.Request) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestNotifyValidOnceThenDuplicate(t *testing.T) {
	h, rec := newHandler(t, notifyConfig())
	paid := time.Date(2024, 5, 1, 10, 11, 12, 0, time.UTC)
	p := escotttest.NotificationParams{ProcessID: "1111", ProcessPass: "SECRETPASS123", TransactionID: "777",
		ReceiptNumber: "R1", LinkKey: "ORDER1", Amount: escott.Yen(54000), CvsCd: "LSN", PaidAt: paid, StampFlag: true,
		KessaiNumber: "12345", MerchantFree2: "f2"}
	code, body := serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "0", body)
	require.Equal(t, 1, rec.count())
	ev := rec.payments[0]
	assert.Equal(t, "ORDER1", ev.LinkKey)
	assert.Equal(t, "777", ev.TransactionID)
	assert.Equal(t, "1111", ev.Process.ID)
	assert.Equal(t, "SECRETPASS123", ev.Process.Pass.Reveal())
	assert.Equal(t, "ORDER1", ev.Process.LinkKey)
	assert.True(t, ev.Amount.Equal(yen(54000)))
	assert.Equal(t, "R1", ev.ReceiptNumber)
	assert.Equal(t, escott.AgencyLawson, ev.Agency)
	assert.Equal(t, "ローソン", ev.Agency.NameJA())
	assert.True(t, ev.PaidAt.Equal(paid))
	assert.Equal(t, "JST", ev.PaidAt.Location().String())
	assert.Equal(t, "20240501191112", ev.Raw.Get("NyukinDate"))
	assert.True(t, ev.StampFlag)
	assert.True(t, ev.HashVerified)
	assert.Equal(t, "12345", ev.PaymentNumber)
	assert.Equal(t, "f2", ev.MerchantFree2)
	assert.Empty(t, ev.Raw.Get("ProcessPass"))
	assert.Equal(t, "R1", ev.Raw.Get("RecvNum"))
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", ev, ev, ev), "SECRETPASS123")

	// The gateway redelivers: no second event, still "0".
	code, body = serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "0", body)
	assert.Equal(t, 1, rec.count())

	// Another receipt of the same transaction is another payment event.
	p.ReceiptNumber = "R2"
	code, _ = serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, rec.count())
}

func TestNotifySubscriberErrorThenRedelivery(t *testing.T) {
	h, rec := newHandler(t, notifyConfig())
	rec.fail.Store(1)
	p := escotttest.NotificationParams{ReceiptNumber: "R9"}
	fields := escotttest.NewNotification(p)
	code, body := serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Equal(t, "1", body)
	assert.Equal(t, 0, rec.count())
	code, body = serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "0", body)
	code, _ = serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, rec.count(), "exactly one processed event")
}

func TestNotifyNoPaymentSubscriberIsRedelivered(t *testing.T) {
	h, err := newNotifyHandler(notifyConfig())
	require.NoError(t, err)
	code, body := serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{}))
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Equal(t, "1", body)
}

func TestNotifyRejections(t *testing.T) {
	valid := func() url.Values { return escotttest.NewNotification(escotttest.NotificationParams{}) }
	withField := func(k, v string) *http.Request {
		f := valid()
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return escotttest.NotificationRequest(f)
	}
	cases := []struct {
		name   string
		cfg    func(*notifyCfg)
		req    func() *http.Request
		status int
	}{
		{"wrong MerchantId", nil, func() *http.Request { return withField("MerchantId", "9999999") }, 403},
		{"bad HashCd", nil, func() *http.Request { return withField("HashCd", strings.Repeat("0", 32)) }, 403},
		{"ProcessPass changed breaks the hash", nil, func() *http.Request {
			return withField("ProcessPass", "other")
		}, 403},
		{"missing HashCd when required", nil,
			func() *http.Request { return withField("HashCd", "") }, 403},
		{"disallowed address", nil, func() *http.Request {
			r := escotttest.NotificationRequest(valid())
			r.RemoteAddr = "203.0.113.7:5555"
			return r
		}, 403},
		{"production address on the test handler", nil, func() *http.Request {
			r := escotttest.NotificationRequest(valid())
			r.RemoteAddr = escott.NotifySources(escott.Production)[0] + ":5555"
			return r
		}, 403},
		{"X-Forwarded-For without trusted proxies", nil, func() *http.Request {
			r := escotttest.NotificationRequest(valid())
			r.RemoteAddr = "10.0.0.5:5555"
			r.Header.Set("X-Forwarded-For", escott.NotifySources(escott.Test)[0])
			return r
		}, 403},
		{"GET", nil, func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/notify/?"+valid().Encode(), nil)
		}, 405},
		{"oversized", nil, func() *http.Request {
			f := valid()
			f.Set("MerchantFree3", strings.Repeat("x", 9000))
			return escotttest.NotificationRequest(f)
		}, 413},
		{"garbage", nil, func() *http.Request {
			r := escotttest.NotificationRequest(url.Values{})
			r.Body = io.NopCloser(strings.NewReader("%%%&&==\x00garbage"))
			r.ContentLength = -1
			return r
		}, 400},
		{"JSON", nil, func() *http.Request {
			r := escotttest.NotificationRequest(valid())
			r.Header.Set("Content-Type", "application/json")
			return r
		}, 415},
		{"missing RecvNum", nil, func() *http.Request { return withField("RecvNum", "") }, 400},
		{"missing MerchantFree1", nil, func() *http.Request { return withField("MerchantFree1", "") }, 400},
		{"NyukinDate of 10 digits", nil, func() *http.Request { return withField("NyukinDate", "2024050110") }, 400},
		{"NyukinDate not a date", nil, func() *http.Request { return withField("NyukinDate", "20241399101010") }, 400},
		{"Amount not digits", nil, func() *http.Request { return withField("Amount", "1e3") }, 400},
		{"duplicate field", nil, func() *http.Request {
			r := escotttest.NotificationRequest(valid())
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b) + "&RecvNum=2"))
			r.ContentLength = -1
			return r
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := notifyConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			h, rec := newHandler(t, cfg)
			code, body := serve(h, tc.req())
			assert.Equal(t, tc.status, code)
			assert.Equal(t, "1", body)
			assert.Equal(t, 0, rec.count())
			assert.Empty(t, rec.others)
		})
	}
}

func TestNotifyHashOptionalButLogged(t *testing.T) {
	var logs bytes.Buffer
	cfg := notifyConfig()
	cfg.AllowMissingHash = true // HashCd is required by default (TestNotifyHashRequiredByDefault)
	h, rec := newHandler(t, cfg,
		escott.WithNotifyLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	code, _ := serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{OmitHash: true,
		ProcessPass: "PASSNOTINLOGS"}))
	assert.Equal(t, http.StatusOK, code)
	require.Equal(t, 1, rec.count())
	assert.False(t, rec.payments[0].HashVerified)
	assert.Contains(t, logs.String(), "without HashCd")
	// Uppercase hex is the same digest.
	f := escotttest.NewNotification(escotttest.NotificationParams{ProcessPass: "PASSNOTINLOGS"})
	f.Set("HashCd", strings.ToUpper(f.Get("HashCd")))
	code, _ = serve(h, escotttest.NotificationRequest(f))
	assert.Equal(t, http.StatusOK, code)
	f.Set("MerchantId", "1")
	code, _ = serve(h, escotttest.NotificationRequest(f))
	assert.Equal(t, http.StatusForbidden, code)
	assert.NotContains(t, logs.String(), "PASSNOTINLOGS")
	assert.NotContains(t, logs.String(), escotttest.DefaultMerchantPass)
}

func TestNotifyTrustedProxy(t *testing.T) {
	cfg := notifyConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/8"}
	h, rec := newHandler(t, cfg)
	req := func(peer, xff string) *http.Request {
		r := escotttest.NewNotificationRequest(escotttest.NotificationParams{})
		r.RemoteAddr = peer
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return r
	}
	cases := []struct {
		peer, xff string
		status    int
	}{
		{"10.1.2.3:80", escott.NotifySources(escott.Test)[1], 200},
		{"10.1.2.3:80", escott.NotifySources(escott.Test)[1] + ", 10.9.9.9", 200},
		// A forged left-most entry does not help: the right-most untrusted hop counts.
		{"10.1.2.3:80", escott.NotifySources(escott.Test)[1] + ", 198.51.100.1", 403},
		{"10.1.2.3:80", "", 403},
		{"10.1.2.3:80", "not-an-ip", 403},
		// A peer that is not a trusted proxy cannot set the header.
		{"198.51.100.1:80", escott.NotifySources(escott.Test)[1], 403},
		{escott.NotifySources(escott.Test)[2] + ":80", "198.51.100.1", 200},
	}
	for _, tc := range cases {
		code, _ := serve(h, req(tc.peer, tc.xff))
		assert.Equal(t, tc.status, code, "%s via %s", tc.xff, tc.peer)
	}
	assert.Equal(t, 3, rec.count())
}

func TestNotifySourceConfig(t *testing.T) {
	cfg := notifyConfig()
	cfg.Environment = escott.Production
	h, rec := newHandler(t, cfg)
	for _, ip := range escott.NotifySources(escott.Production) {
		r := escotttest.NewNotificationRequest(escotttest.NotificationParams{})
		r.RemoteAddr = ip + ":443"
		code, _ := serve(h, r)
		assert.Equal(t, 200, code, ip)
	}
	assert.Equal(t, 6, rec.count())

	cfg.DisableSourceCheck = true
	h, rec = newHandler(t, cfg)
	r := escotttest.NewNotificationRequest(escotttest.NotificationParams{})
	r.RemoteAddr = "127.0.0.1:1"
	code, _ := serve(h, r)
	assert.Equal(t, 200, code)
	assert.Equal(t, 1, rec.count())

	c, err := notifyConfig().client()
	require.NoError(t, err)
	_, err = c.NotificationHandler(escott.WithNotifySources("nope"), escott.WithTrustedProxies("1.2.3.4/99"),
		escott.WithDedupeStore(nil), escott.WithNotifyLogger(nil), escott.WithMaxBody(-1), nil)
	var cerr *escott.ConfigError
	require.ErrorAs(t, err, &cerr)
	assert.Len(t, cerr.Problems, 6, "%q", cerr.Problems)
}

func TestNotifyConcurrentRedeliveries(t *testing.T) {
	h, err := newNotifyHandler(notifyConfig())
	require.NoError(t, err)
	var calls atomic.Int32
	entered := make(chan struct{})
	release := make(chan struct{})
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		calls.Add(1)
		close(entered)
		<-release
		return nil
	})
	fields := escotttest.NewNotification(escotttest.NotificationParams{})
	first := make(chan int)
	go func() {
		code, _ := serve(h, escotttest.NotificationRequest(fields))
		first <- code
	}()
	<-entered
	code, body := serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "1", body)
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	code, _ = serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, int32(1), calls.Load())
}

func TestNotifyPanicReleasesClaim(t *testing.T) {
	h, err := newNotifyHandler(notifyConfig())
	require.NoError(t, err)
	var calls atomic.Int32
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	})
	fields := escotttest.NewNotification(escotttest.NotificationParams{})
	assert.Panics(t, func() { serve(h, escotttest.NotificationRequest(fields)) })
	code, _ := serve(h, escotttest.NotificationRequest(fields))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestNotifyOtherEvent(t *testing.T) {
	h, rec := newHandler(t, notifyConfig())
	code, body := serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{Condition: "001", LinkKey: "K1"}))
	assert.Equal(t, 200, code)
	assert.Equal(t, "0", body)
	assert.Equal(t, 0, rec.count())
	require.Len(t, rec.others, 1)
	assert.Equal(t, "001", rec.others[0].Condition)
	assert.Equal(t, "OK", rec.others[0].ResponseCode)
	assert.Equal(t, "K1", rec.others[0].LinkKey)
	code, _ = serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{ResponseCode: "W99"}))
	assert.Equal(t, 200, code)
	assert.Len(t, rec.others, 2)
	assert.Equal(t, 0, rec.count())
}

func TestParseNotification(t *testing.T) {
	n, err := parseNotification(escotttest.NewNotificationRequest(escotttest.NotificationParams{ReceiptNumber: "X1"}), notifyConfig())
	require.NoError(t, err)
	require.NotNil(t, n.Payment)
	assert.Nil(t, n.Other)
	assert.Equal(t, "X1", n.Payment.ReceiptNumber)
	_, err = parseNotification(httptest.NewRequest(http.MethodGet, "/", nil), notifyConfig())
	var ne *escott.NotificationError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, http.StatusMethodNotAllowed, ne.Status)
}

func TestMemoryDedupeStoreTTL(t *testing.T) {
	now := time.Unix(0, 0)
	s := escott.NewMemoryDedupeStore(time.Hour, func() time.Time { return now })
	ctx := context.Background()
	c, _ := s.Claim(ctx, "a")
	assert.Equal(t, escott.ClaimNew, c)
	c, _ = s.Claim(ctx, "a")
	assert.Equal(t, escott.ClaimBusy, c)
	require.NoError(t, s.Done(ctx, "a"))
	c, _ = s.Claim(ctx, "a")
	assert.Equal(t, escott.ClaimSeen, c)
	now = now.Add(2 * time.Hour)
	c, _ = s.Claim(ctx, "a")
	assert.Equal(t, escott.ClaimNew, c)
	assert.Equal(t, 0, s.Len())
	require.NoError(t, s.Release(ctx, "a"))
	c, _ = s.Claim(ctx, "a")
	assert.Equal(t, escott.ClaimNew, c)
}

// notifyServer mounts a handler that accepts loopback notifications.
func notifyServer(t *testing.T, opts ...escott.NotifyOption) (*httptest.Server, *escott.NotificationHandler) {
	t.Helper()
	cfg := notifyConfig()
	cfg.AllowedSources = []string{"127.0.0.1", "::1"}
	h, err := newNotifyHandler(cfg, opts...)
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs, h
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)
	radioIn    = regexp.MustCompile(`<input type="radio" name="cvs" value="(\w+)"`)
)

// TestCVSEndToEnd: 2Add → the shopper pays on the fake's page → the
// notification reaches the host's handler → the order is marked paid → 2Ref
// agrees.
func TestCVSEndToEnd(t *testing.T) {
	ctx := context.Background()
	type order struct {
		proc   escott.Process
		paid   bool
		agency escott.CollectingAgency
	}
	var mu sync.Mutex
	orders := map[string]*order{}

	hs, h := notifyServer(t)
	srv, c := newTestWith(t, escotttest.Config{NotifyURL: hs.URL + "/escott/notify/"})
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		mu.Lock()
		defer mu.Unlock()
		o, ok := orders[p.LinkKey]
		if !ok {
			return fmt.Errorf("unknown order %s", p.LinkKey)
		}
		o.paid, o.agency = true, p.Agency
		return nil
	})

	params := cvsParams()
	params.ReturnURL = hs.URL + "/orders/1" // http is accepted on loopback, for local testing
	pay, err := c.CVS.Register(ctx, params)
	require.NoError(t, err)
	mu.Lock()
	orders[pay.Process.LinkKey] = &order{proc: pay.Process}
	mu.Unlock()

	// The shopper opens the page from the order mail and picks a store.
	res, err := http.Get(pay.MailURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(page), `href="`+params.ReturnURL+`"`, "the page links back to the shop")
	assert.Contains(t, string(page), pay.PaymentNumber)
	m := formAction.FindStringSubmatch(string(page))
	require.NotNil(t, m, string(page))
	form := url.Values{}
	for _, in := range hiddenIn.FindAllStringSubmatch(string(page), -1) {
		form.Set(in[1], in[2])
	}
	stores := radioIn.FindAllStringSubmatch(string(page), -1)
	require.Len(t, stores, len(escott.CollectingAgencies()))
	form.Set("cvs", "LSN")
	action, err := url.Parse(pay.MailURL)
	require.NoError(t, err)
	action.Path, action.RawQuery = m[1], ""
	res, err = http.PostForm(action.String(), form)
	require.NoError(t, err)
	page, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(page), "お支払いが完了しました")

	mu.Lock()
	o := orders[pay.Process.LinkKey]
	assert.True(t, o.paid, "the subscriber marked the order paid")
	assert.Equal(t, escott.AgencyLawson, o.agency)
	mu.Unlock()

	sent := srv.Notifications()
	require.Len(t, sent, 1)
	assert.True(t, sent[0].Accepted)
	assert.Equal(t, "0", sent[0].Body)
	assert.NotEmpty(t, sent[0].Fields.Get("HashCd"))
	assert.Equal(t, pay.TransactionID, sent[0].Fields.Get("TransactionId"))

	inq, err := c.CVS.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, escott.CVSPaid, inq.Status)
	assert.Equal(t, escott.AgencyLawson, inq.Agency)
	assert.Equal(t, sent[0].Fields.Get("NyukinDate"), inq.Raw.Get("NyukinDate"))
}

func TestFakeRedeliversUntilAccepted(t *testing.T) {
	hs, h := notifyServer(t)
	var calls atomic.Int32
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		if calls.Add(1) <= 2 {
			return errors.New("temporarily down")
		}
		return nil
	})
	srv, c := newTestWith(t, escotttest.Config{NotifyURL: hs.URL + "/",
		Notify: escotttest.NotifySettings{RetryInterval: 10 * time.Millisecond}})
	pay, err := c.CVS.Register(context.Background(), cvsParams())
	require.NoError(t, err)
	require.NoError(t, srv.Pay(pay.Process.ID, "SEV"))
	require.Eventually(t, func() bool {
		s := srv.Notifications()
		return len(s) == 3 && s[2].Accepted
	}, 5*time.Second, 5*time.Millisecond)
	s := srv.Notifications()
	assert.Equal(t, []int{1, 2, 3}, []int{s[0].Attempt, s[1].Attempt, s[2].Attempt})
	assert.Equal(t, 500, s[0].Status)
	assert.Equal(t, "1", s[0].Body)
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, srv.Notifications(), 3, "no delivery after acceptance")
	assert.Equal(t, int32(3), calls.Load())
}

func TestFakeRedeliversAfterTimeoutAndGivesUp(t *testing.T) {
	var hits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, "1")
	}))
	t.Cleanup(slow.Close)
	srv, c := newTestWith(t, escotttest.Config{NotifyURL: slow.URL, Notify: escotttest.NotifySettings{
		RetryInterval: 5 * time.Millisecond, Retries: 3, Timeout: 50 * time.Millisecond}})
	pay, err := c.CVS.Register(context.Background(), cvsParams())
	require.NoError(t, err)
	require.NoError(t, srv.Pay(pay.Process.ID, "ATM"))
	require.Eventually(t, func() bool { return len(srv.Notifications()) == 4 }, 5*time.Second, 5*time.Millisecond)
	s := srv.Notifications()
	assert.NotEmpty(t, s[0].Err, "first attempt timed out")
	assert.Equal(t, 200, s[1].Status)
	assert.False(t, s[3].Accepted)
	time.Sleep(40 * time.Millisecond)
	assert.Len(t, srv.Notifications(), 4, "1 + 3 redeliveries, then it gives up")
}

func TestFakeStopsRedeliveriesOnClose(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	srv := escotttest.NewServer(escotttest.Config{NotifyURL: down.URL, Notify: escotttest.NotifySettings{
		RetryInterval: time.Hour, Retries: 5}})
	c := srv.Client()
	pay, err := c.CVS.Register(context.Background(), cvsParams())
	require.NoError(t, err)
	require.NoError(t, srv.Pay(pay.Process.ID, "SEV"))
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not stop the redelivery goroutine")
	}
	assert.Len(t, srv.Notifications(), 1)
}

func TestNotifyConfirmation(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	h, err := c.NotificationHandler(escott.WithConfirmation())
	require.NoError(t, err)
	rec := &recorder{}
	h.OnPaymentReceived(rec.pay)
	h.OnOtherEvent(rec.other)
	pay, err := c.CVS.Register(ctx, cvsParams())
	require.NoError(t, err)
	info, _ := srv.CVSPayment(pay.Process.ID)
	p := escotttest.NotificationParams{ProcessID: pay.Process.ID, ProcessPass: pay.Process.Pass.Reveal(),
		TransactionID: pay.TransactionID, ReceiptNumber: "R1", LinkKey: pay.Process.LinkKey, Amount: info.Amount}

	// Not paid yet at the gateway: a forged notification with real process data.
	code, _ := serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Equal(t, 0, rec.count())

	require.NoError(t, srv.Pay(pay.Process.ID, "SEV")) // no NotifyURL: nothing sent
	wrong := p
	wrong.Amount = escott.Yen(1)
	code, _ = serve(h, escotttest.NewNotificationRequest(wrong))
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	unknown := p
	unknown.ProcessID = "123"
	code, _ = serve(h, escotttest.NewNotificationRequest(unknown))
	assert.Equal(t, http.StatusUnprocessableEntity, code)

	srv.InjectFault("2Ref", escotttest.Fault{Kind: escotttest.FaultHTTP500, Times: 3})
	code, _ = serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Equal(t, 0, rec.count())

	code, _ = serve(h, escotttest.NewNotificationRequest(p))
	assert.Equal(t, http.StatusOK, code)
	require.Equal(t, 1, rec.count())
	require.NotNil(t, rec.payments[0].Confirmed)
	assert.Equal(t, escott.CVSPaid, rec.payments[0].Confirmed.Status)
}

func FuzzParseNotification(f *testing.F) {
	for _, p := range []escotttest.NotificationParams{
		{ProcessPass: "PASS", ReceiptNumber: "1"},
		{OmitHash: true, ProcessPass: "P", ReceiptNumber: "2", Condition: "001"},
		{ResponseCode: "W99", ProcessPass: "P", ReceiptNumber: "3", CvsCd: "ZZZ"},
	} {
		f.Add(escotttest.NewNotification(p).Encode())
	}
	f.Add("MerchantId=1234567&TransactionId=1&RecvNum=1&NyukinDate=20240101&MerchantFree1=a")
	f.Add("a=%zz&&=")
	// Lenient forms (docs/protocol.md §2): trailing '&', empty pairs, white space, a stray '%', a repeated field.
	lenient := escotttest.NewNotification(escotttest.NotificationParams{ProcessPass: "P", ReceiptNumber: "4"}).Encode()
	f.Add(lenient + "&")
	f.Add("&&" + strings.ReplaceAll(lenient, "&", "&&") + "&&")
	f.Add(strings.Replace(lenient, "ResponseCd=OK", "ResponseCd=+OK+", 1) + "&MerchantFree2=100%")
	f.Add(lenient + "&Condition=000&MerchantName=%93%8C%8B%9E")
	f.Add(lenient + "&RecvNum=5")
	cfg := notifyConfig()
	cfg.DisableSourceCheck = true
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		n, err := parseNotification(r, cfg)
		if err != nil {
			var ne *escott.NotificationError
			if !errors.As(err, &ne) || ne.Status < 400 || ne.Status > 499 {
				t.Fatalf("error %v is not a 4xx NotificationError", err)
			}
			return
		}
		if (n.Payment == nil) == (n.Other == nil) {
			t.Fatal("exactly one of Payment and Other must be set")
		}
		if p := n.Payment; p != nil {
			if p.TransactionID == "" || p.ReceiptNumber == "" || p.LinkKey == "" || p.PaidAt.IsZero() {
				t.Fatalf("required fields missing in %+v", p)
			}
			if p.Raw.Get("ProcessPass") != "" {
				t.Fatal("ProcessPass in Raw")
			}
		}
	})
}
