// Package chaos is a fault-injecting proxy for tests: it sits between an
// escott client and a fake gateway (escotttest) and, per request, resets the
// TCP connection, resets the HTTP/2 stream, sends GOAWAY, redirects, delays,
// cuts or cross-wires the answer. It serves plain HTTP/1.1 on one port and
// TLS with HTTP/2 (and HTTP/1.1) on another, and records every request it saw
// and every answer the upstream gave, so that a test can compare what the
// client reported with what really reached the gateway.
package chaos

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Kind is a fault the proxy injects into one request.
type Kind int

// The faults. "After" faults forward the request first: the gateway processed
// it, the client must not be told otherwise.
const (
	None           Kind = iota
	ResetBefore         // TCP RST, request not forwarded
	ResetAfter          // forwarded, then TCP RST instead of the answer
	StreamReset         // forwarded, then HTTP/2 RST_STREAM(PROTOCOL_ERROR) (a TCP RST on HTTP/1.1)
	GoAway              // forwarded, then HTTP/2 GOAWAY naming an earlier stream (a TCP RST on HTTP/1.1)
	RedirectBefore      // 307 to the same URL, not forwarded
	RedirectAfter       // forwarded, then 307 or 308 to the same URL
	RedirectAway        // forwarded, then 307 or 308 to another host, which must receive nothing
	Slow                // forwarded, answer held for Proxy.SlowDelay
	Partial             // forwarded, answer cut in the middle
	Swap                // forwarded, answered with another request's answer
	CloseAfter          // forwarded, then a clean close: TLS close_notify and TCP FIN, no answer
	numKinds
)

var kindNames = [...]string{"none", "tcp-reset-before", "tcp-reset-after", "h2-rst-stream", "h2-goaway",
	"redirect-before", "redirect-after", "redirect-away", "slow", "partial", "swap", "close-after"}

// String names the fault.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Kinds lists every fault but None.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := None + 1; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}

// Sighting is one request the proxy received.
type Sighting struct {
	Key       string     // MerchantFree1 + "/" + OperateId
	N         int        // 0 for the first request with this key, 1 for a re-send, …
	Request   url.Values // the form as received
	At        time.Time  // when the proxy received it
	Fault     Kind       // the fault applied (None for re-sends)
	Applied   string     // what was really done, e.g. "h2-rst-stream" or "tcp-reset (http/1.1)"
	Forwarded bool       // sent to the upstream, which answered
	Answer    url.Values // the upstream's answer, when forwarded
	Proto     string     // the client's protocol
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// PlainURL is the HTTP/1.1 origin, TLSURL the HTTPS one (HTTP/2 or 1.1).
	PlainURL, TLSURL string
	// Away is the host redirects of RedirectAway point to; it answers every
	// request with a forged ResponseCd=OK and counts what it received.
	Away *httptest.Server

	upstream  string
	decide    func(form url.Values) Kind
	slowDelay time.Duration
	hc        *http.Client
	srv       *http.Server
	lns       []net.Listener
	cert      *x509.Certificate

	mu        sync.Mutex
	active    int // handlers running
	seen      map[string]int
	sightings []Sighting
	awayGot   []url.Values
	swapWait  map[string]*swapSlot
	lastOK    map[string]answerOf // path → latest answer, for Swap without a partner
}

type answerOf struct {
	key  string
	body []byte
}

type swapSlot struct {
	key  string
	body []byte
	got  chan []byte
}

// Options configure New.
type Options struct {
	// Upstream is the fake gateway's origin (plain HTTP).
	Upstream string
	// Decide picks the fault for the first request of a key (a re-send of
	// the same key is always forwarded untouched, to reveal it).
	Decide func(form url.Values) Kind
	// SlowDelay is how long Slow holds an answer.
	SlowDelay time.Duration
}

// New starts a proxy. Close it when done.
func New(o Options) (*Proxy, error) {
	p := &Proxy{
		upstream: o.Upstream, decide: o.Decide, slowDelay: o.SlowDelay,
		seen: make(map[string]int), swapWait: make(map[string]*swapSlot), lastOK: make(map[string]answerOf),
		hc: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
		},
	}
	p.Away = httptest.NewServer(http.HandlerFunc(p.serveAway))

	// A certificate from httptest's TLS server, reused for our own listener.
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	tlsCfg := ts.TLS.Clone()
	p.cert = ts.Certificate()
	ts.Close()
	tlsCfg.NextProtos = []string{"h2", "http/1.1"}

	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	p.srv = &http.Server{
		Handler:           p,
		Protocols:         &protos,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	var lc net.ListenConfig
	plain, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tl, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		_ = plain.Close()
		return nil, err
	}
	p.PlainURL = "http://" + plain.Addr().String()
	p.TLSURL = "https://" + tl.Addr().String()
	for _, l := range []net.Listener{listener{Listener: plain}, listener{Listener: tl, cfg: tlsCfg}} {
		p.lns = append(p.lns, l)
		go func() { _ = p.srv.Serve(l) }()
	}
	return p, nil
}

type connKey struct{}

// Client returns an *http.Client of the kind a host would build for the TLS
// origin: it trusts the proxy, speaks HTTP/2, and follows redirects as
// net/http does by default.
func (p *Proxy) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
	}}
}

// ClientHTTP1 is Client speaking HTTP/1.1 over TLS.
func (p *Proxy) ClientHTTP1() *http.Client {
	hc := p.Client()
	tr := hc.Transport.(*http.Transport)
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return hc
}

// Close stops the proxy after the requests it is serving are done.
func (p *Proxy) Close() {
	p.Wait()
	_ = p.srv.Close()
	p.Away.Close()
	p.hc.CloseIdleConnections()
}

// Wait waits for the handlers still running (slow answers, stalled swaps).
func (p *Proxy) Wait() {
	for {
		p.mu.Lock()
		n := p.active
		p.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Sightings returns every request received so far.
func (p *Proxy) Sightings() []Sighting {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sighting(nil), p.sightings...)
}

// AwayRequests returns the forms the other host of RedirectAway received.
func (p *Proxy) AwayRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.awayGot...)
}

func (p *Proxy) serveAway(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	p.awayGot = append(p.awayGot, form)
	p.mu.Unlock()
	v := url.Values{}
	v.Set("OperateId", form.Get("OperateId"))
	v.Set("MerchantFree1", form.Get("MerchantFree1"))
	v.Set("ProcessId", "FORGED0000000000000000000000001")
	v.Set("ProcessPass", "FORGED00000000000000000000000001")
	v.Set("TransactionId", "FORGED")
	_, _ = io.WriteString(w, "ResponseCd=OK&"+v.Encode())
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.active++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.active--
		p.mu.Unlock()
	}()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	form, _ := url.ParseQuery(string(body))
	key := form.Get("MerchantFree1") + "/" + form.Get("OperateId")
	c, _ := r.Context().Value(connKey{}).(*conn)

	p.mu.Lock()
	n := p.seen[key]
	p.seen[key]++
	p.mu.Unlock()
	s := Sighting{Key: key, N: n, Request: form, At: time.Now(), Proto: r.Proto}
	if n == 0 && p.decide != nil {
		s.Fault = p.decide(form)
	}
	s.Applied = s.Fault.String()
	defer func() {
		p.mu.Lock()
		p.sightings = append(p.sightings, s)
		p.mu.Unlock()
	}()

	switch s.Fault {
	case ResetBefore:
		c.reset()
		return
	case RedirectBefore:
		w.Header().Set("Location", r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}

	status, answer, err := p.forward(r.URL.Path, body)
	if err != nil {
		s.Applied += " (upstream failed: " + err.Error() + ")"
		c.reset()
		return
	}
	s.Forwarded = true
	s.Answer, _ = url.ParseQuery(string(answer))

	switch s.Fault {
	case ResetAfter:
		c.reset()
		return
	case CloseAfter:
		_ = c.Close() // close_notify on TLS, then FIN
		return
	case StreamReset, GoAway:
		id, ok := c.streamOf(body)
		if !c.h2 || !ok {
			s.Applied = "tcp-reset-after (" + r.Proto + ")"
			c.reset()
			return
		}
		if s.Fault == StreamReset {
			c.inject(rstStream(id))
		} else {
			c.inject(goAway(id))
		}
		panic(http.ErrAbortHandler)
	case RedirectAfter, RedirectAway:
		code := http.StatusTemporaryRedirect
		if len(body)%2 == 0 {
			code = http.StatusPermanentRedirect
		}
		loc := r.URL.Path
		if s.Fault == RedirectAway {
			loc = p.Away.URL + r.URL.Path
		}
		s.Applied = fmt.Sprintf("%s (%d)", s.Fault, code)
		w.Header().Set("Location", loc)
		w.WriteHeader(code)
		return
	case Slow:
		t := time.NewTimer(p.slowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	case Partial:
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		w.WriteHeader(status)
		_, _ = w.Write(answer[:len(answer)/2]) //nolint:gosec // text/plain from the fake gateway, to a test client
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	case Swap:
		var other string
		answer, other = p.swap(r.URL.Path, key, answer)
		s.Applied = "swap with " + other
	}
	if status == http.StatusOK && s.Answer.Get("ResponseCd") == "OK" {
		p.mu.Lock()
		p.lastOK[r.URL.Path] = answerOf{key: key, body: answer}
		p.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
	w.WriteHeader(status)
	_, _ = w.Write(answer) //nolint:gosec // text/plain from the fake gateway, to a test client
}

// swap exchanges mine with the answer of another Swap request in flight; with
// no partner within 200 ms, it takes the latest OK answer to another key.
func (p *Proxy) swap(path, key string, mine []byte) ([]byte, string) {
	p.mu.Lock()
	if s := p.swapWait[path]; s != nil && s.key != key {
		delete(p.swapWait, path)
		p.mu.Unlock()
		s.got <- mine
		return s.body, "in-flight " + s.key
	}
	s := &swapSlot{key: key, body: mine, got: make(chan []byte, 1)}
	p.swapWait[path] = s // a waiting slot always has another key: a key is swapped once
	p.mu.Unlock()
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case b := <-s.got:
		return b, "in-flight partner"
	case <-t.C:
	}
	p.mu.Lock()
	if p.swapWait[path] != s {
		// Taken by a partner that is about to send its answer.
		p.mu.Unlock()
		return <-s.got, "in-flight partner"
	}
	delete(p.swapWait, path)
	last := p.lastOK[path]
	p.mu.Unlock()
	if last.body != nil && last.key != key {
		return last.body, "earlier " + last.key
	}
	return mine, "nobody (own answer)"
}

func (p *Proxy) forward(path string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.upstream+path, bytes.NewReader(body)) //nolint:gosec // the test's own fake gateway
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := p.hc.Do(req) //nolint:gosec // the upstream is the test's own fake gateway
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}
