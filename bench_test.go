package escott_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// The benchmarks in this file measure whole calls over loopback. Run them with
// the bench script (bench/run.sh), which reports them with benchstat.

// benchPay runs Card.Pay (1Gathering) against the fake gateway: the SDK and
// the fake together, per call.
func benchPay(b *testing.B, srv *escotttest.Server, c *escott.Client, parallel bool) {
	ctx := context.Background()
	n := b.N
	tokens := make(chan escott.CardToken, n)
	for range n {
		tokens <- srv.MustToken(escotttest.CardVisa)
	}
	b.ReportAllocs()
	b.ResetTimer()
	pay := func() {
		_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1980), Source: <-tokens})
		if err != nil {
			b.Fatal(err)
		}
	}
	defer func() { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s") }()
	if !parallel {
		for range n {
			pay()
		}
		return
	}
	b.SetParallelism(32) // 32 × GOMAXPROCS(2) = 64 concurrent callers
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			pay()
		}
	})
}

func noKeepAlive(tls bool, srv *escotttest.Server) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	if tls {
		tr.TLSClientConfig = srv.HTTPClient().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	return &http.Client{Transport: tr}
}

func reuse(tls bool, srv *escotttest.Server) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	if tls {
		tr.TLSClientConfig = srv.HTTPClient().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	return &http.Client{Transport: tr}
}

// BenchmarkPay compares connection reuse with a new connection per call (what
// the PHP clients do), over loopback HTTP and TLS, at 1 and 64 callers.
func BenchmarkPay(b *testing.B) {
	for _, tc := range []struct {
		name     string
		tls      bool
		client   func(bool, *escotttest.Server) *http.Client
		parallel bool
	}{
		{"http/reuse/1", false, reuse, false},
		{"http/reuse/64", false, reuse, true},
		{"http/newconn/1", false, noKeepAlive, false},
		{"http/newconn/64", false, noKeepAlive, true},
		{"tls/reuse/1", true, reuse, false},
		{"tls/reuse/64", true, reuse, true},
		{"tls/newconn/1", true, noKeepAlive, false},
		{"tls/newconn/64", true, noKeepAlive, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var srv *escotttest.Server
			if tc.tls {
				srv = escotttest.NewTLSServer(escotttest.Config{})
			} else {
				srv = escotttest.NewServer(escotttest.Config{})
			}
			defer srv.Close()
			hc := tc.client(tc.tls, srv)
			defer hc.CloseIdleConnections()
			c, err := escott.NewClient(srv.Config(), escott.WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			benchPay(b, srv, c, tc.parallel)
		})
	}
}

// fixedAnswer is a server that answers every request with a canned 1Gathering
// answer and does nothing else, so that the client side can be measured.
func fixedAnswer(b *testing.B) *httptest.Server {
	body := "ResponseCd=OK&OperateId=1Gathering&MerchantFree1=123456789012&TransactionId=123456789012345678" +
		"&TransactionDate=20261126&ProcessId=1234567890123456&ProcessPass=AbCdEfGhIjKlMnOp&CompanyCd=VI&ApproveNo=1234567&McSecCd=0"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// cannedLinkKey is the link key the canned answers echo: an answer is taken
// as this request's only when it echoes the OperateId and link key sent.
const cannedLinkKey = "123456789012"

// barePost is one card call done with plain net/http: what any client pays.
func barePost(b *testing.B, hc *http.Client, url, form string) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.ReadAll(res.Body)
	res.Body.Close()
}

// BenchmarkOverhead puts the SDK's cost per call next to a bare net/http
// round trip of the same size to the same trivial server, in one run: the
// difference is what the SDK adds (encoding, journal, decoding, result).
func BenchmarkOverhead(b *testing.B) {
	srv := fixedAnswer(b)
	form := "MerchantFree1=123456789012&MerchantId=1234567&MerchantPass=testpass&OperateId=1Gathering&PayType=01" +
		"&TenantId=0001&Token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl&TransactionDate=20261126&Amount=1980"
	b.Run("bare-net-http", func(b *testing.B) {
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			barePost(b, hc, srv.URL+"/online/aut/OAUT002.do", form)
		}
	})
	b.Run("sdk-pay", func(b *testing.B) {
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		c, err := escott.NewClient(escott.Config{
			MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test, BaseURL: srv.URL,
		}, escott.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		tok := escott.CardToken("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1980), Source: tok, LinkKey: cannedLinkKey}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cannedTransport answers every request from memory: what remains of a call
// is the SDK's own work (validation, link key, journal, encoding, request
// building, decoding, result) without any network or server.
type cannedTransport struct{ body string }

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Header: http.Header{}, Request: r}, nil
}

// BenchmarkSDKOwnCPU measures the SDK's own CPU per call with the transport
// answering from memory: "sdk" is Card.Pay, "bare" is the same POST built and
// sent with plain net/http. Their difference is what the SDK adds, to set
// against BenchmarkOverhead/bare-net-http (a real loopback round trip).
func BenchmarkSDKOwnCPU(b *testing.B) {
	body := "ResponseCd=OK&OperateId=1Gathering&MerchantFree1=123456789012&TransactionId=123456789012345678" +
		"&TransactionDate=20261126&ProcessId=1234567890123456&ProcessPass=AbCdEfGhIjKlMnOp&CompanyCd=VI&ApproveNo=1234567&McSecCd=0"
	hc := &http.Client{Transport: cannedTransport{body}}
	b.Run("bare", func(b *testing.B) {
		form := "MerchantFree1=123456789012&MerchantId=1234567&MerchantPass=testpass&OperateId=1Gathering&PayType=01" +
			"&TenantId=0001&Token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl&TransactionDate=20261126&Amount=1980"
		b.ReportAllocs()
		for b.Loop() {
			barePost(b, hc, "http://gateway.invalid/online/aut/OAUT002.do", form)
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
			escott.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		tok := escott.CardToken("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1980), Source: tok, LinkKey: cannedLinkKey}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFakeGateway measures the fake gateway alone (no network): how many
// card calls per second it can serve a test suite, at 64 concurrent callers.
// Each call is a 1Search through the fake's validation, state lookup and
// answer encoding.
func BenchmarkFakeGateway(b *testing.B) {
	gw := escotttest.New(escotttest.Config{})
	common := "MerchantId=" + escotttest.DefaultMerchantID + "&MerchantPass=" + escotttest.DefaultMerchantPass +
		"&TenantId=0001&MerchantFree1=123456789012&TransactionDate=" + time.Now().In(time.FixedZone("JST", 9*3600)).Format("20060102")
	tok := gw.MustToken(escotttest.CardVisa)
	answer := serveForm(gw, common+"&OperateId=1Gathering&Amount=100&PayType=01&Token="+string(tok))
	vals, err := url.ParseQuery(answer)
	if err != nil || vals.Get("ResponseCd") != "OK" {
		b.Fatalf("setup: %s", answer)
	}
	search := common + "&OperateId=1Search&ProcessId=" + vals.Get("ProcessId") + "&ProcessPass=" + vals.Get("ProcessPass")
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a := serveForm(gw, search); !strings.HasPrefix(a, "ResponseCd=OK") {
				b.Fatal(a)
			}
		}
	})
}

func serveForm(h http.Handler, form string) string {
	req := httptest.NewRequest(http.MethodPost, "/online/aut/OAUT002.do", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.String()
}

// notifications makes n distinct valid notifications, so that every one is
// parsed, deduped, dispatched and recorded (none is a duplicate).
func notifications(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = escotttest.NewNotification(escotttest.NotificationParams{RecvNum: strconv.Itoa(i),
			ProcessPass: "PASS", ProcessID: "1", TransactionID: "2", LinkKey: "L"}).Encode()
	}
	return out
}

// BenchmarkNotification measures the notification handler: parse, checks
// (merchant, HashCd, source), dedupe and dispatch to a subscriber, called
// directly and over loopback HTTP with 64 concurrent senders.
func BenchmarkNotification(b *testing.B) {
	newHandler := func(b *testing.B, cfg escott.NotifyConfig) (*escott.NotificationHandler, *atomic.Int64) {
		h, err := escott.NewNotificationHandler(cfg)
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error { n.Add(1); return nil })
		return h, &n
	}
	cfg := escott.NotifyConfig{MerchantID: escotttest.DefaultMerchantID, MerchantPass: escotttest.DefaultMerchantPass, Environment: escott.Test}
	b.Run("direct", func(b *testing.B) {
		h, n := newHandler(b, cfg)
		bodies := notifications(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(bodies[i]))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.RemoteAddr = escott.TestNotifySources[0] + ":443"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code, w.Body.String())
			}
		}
		if n.Load() != int64(b.N) {
			b.Fatalf("dispatched %d of %d", n.Load(), b.N)
		}
	})
	b.Run("loopback-http-64", func(b *testing.B) {
		lcfg := cfg
		lcfg.AllowedSources = []string{"127.0.0.1"}
		h, n := newHandler(b, lcfg)
		srv := httptest.NewServer(h)
		defer srv.Close()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		defer hc.CloseIdleConnections()
		bodies := notifications(b.N)
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := bodies[next.Add(1)-1]
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatal(res.StatusCode)
				}
			}
		})
		b.StopTimer()
		if n.Load() != int64(b.N) {
			b.Fatalf("dispatched %d of %d", n.Load(), b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
}
