package escott_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// BenchmarkTransport puts what the default client's HTTP/1.1-only transport
// costs next to an HTTP/2-capable one: Card.Pay against the fake gateway over
// loopback TLS (the fake speaks both), connections reused, at 1 and 64
// concurrent callers. Run it with bench/run.sh (BENCH=Transport).
func BenchmarkTransport(b *testing.B) {
	gw := escotttest.New(escotttest.Config{})
	hs := httptest.NewUnstartedServer(gw)
	hs.EnableHTTP2 = true
	hs.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	b.Cleanup(hs.Close)
	tlsConf := hs.Client().Transport.(*http.Transport).TLSClientConfig
	for _, tc := range []struct {
		name     string
		h2       bool
		parallel bool
	}{
		{"http1.1/1", false, false}, {"http1.1/64", false, true},
		{"h2/1", true, false}, {"h2/64", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var protocols http.Protocols
			protocols.SetHTTP1(!tc.h2)
			protocols.SetHTTP2(tc.h2)
			tr := &http.Transport{TLSClientConfig: tlsConf.Clone(), MaxIdleConnsPerHost: 64, Protocols: &protocols}
			defer tr.CloseIdleConnections()
			cfg := escott.Config{MerchantID: escotttest.DefaultMerchantID, MerchantPass: escotttest.DefaultMerchantPass,
				Environment: escott.Test, BaseURL: hs.URL}
			c, err := escott.NewClient(cfg, escott.WithHTTPClient(&http.Client{Transport: tr}))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			probe, err := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			res, err := tr.RoundTrip(probe)
			if err != nil {
				b.Fatal(err)
			}
			_ = res.Body.Close()
			if want := map[bool]int{false: 1, true: 2}[tc.h2]; res.ProtoMajor != want {
				b.Fatalf("spoke HTTP/%d, want HTTP/%d", res.ProtoMajor, want)
			}
			const warm = 64 // open the connections 64 callers need before timing
			tokens := make(chan escott.CardToken, b.N+warm)
			for range b.N + warm {
				tokens <- gw.MustToken(escotttest.CardVisa)
			}
			pay := func() {
				if _, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1980), Source: <-tokens}); err != nil {
					b.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for range warm {
				wg.Go(pay)
			}
			wg.Wait()
			b.ReportAllocs()
			b.ResetTimer()
			if tc.parallel {
				b.SetParallelism(32) // 32 × GOMAXPROCS(2) = 64 concurrent callers
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						pay()
					}
				})
			} else {
				for range b.N {
					pay()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
