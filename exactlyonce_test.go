package escott_test

// Attacks on "a money-moving request reaches the gateway at most once, and
// the caller is told the truth about it", from outside the SDK: front ends
// between the client and the fake gateway that reset HTTP/2 streams, send
// GOAWAY, redirect, swap answers between requests, and journals that stall.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

// forward sends a gateway request body to the fake and returns its answer:
// the front ends below put themselves between the client and the fake.
func forward(t *testing.T, srv *escotttest.Server, path string, body []byte) (int, []byte) {
	t.Helper()
	res, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", bytes.NewReader(body)) //nolint:noctx // test front end
	if err != nil {
		t.Errorf("front end: forward: %v", err)
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// pathOf is the endpoint of an operation, for the HTTP/2 front end, which
// does not decode the request headers.
func pathOf(op string) string {
	switch {
	case strings.HasPrefix(op, "4Mem"):
		return "/online/crp/OCRP005.do"
	case op == escott.OpTokenSearch:
		return "/online/atn/OATN005.do"
	case strings.HasPrefix(op, "2"):
		return "/online/cnv/OCNV005.do"
	}
	return "/online/aut/OAUT002.do"
}

// h2Action is what the HTTP/2 front end does after it forwarded a request.
type h2Action int

const (
	h2Answer   h2Action = iota // pass the gateway's answer on
	h2Reset                    // RST_STREAM(PROTOCOL_ERROR): net/http counts that as retryable
	h2GoAway                   // GOAWAY(last stream 0, NO_ERROR): "never processed" — a lie, it was
	h2RefusedS                 // RST_STREAM(REFUSED_STREAM): the other retryable code
)

// h2FrontEnd is a TLS front end that speaks HTTP/2 (a minimal server written
// here: net/http's own server never resets a stream it processed with a
// retryable code) and plain HTTP/1.1. Over HTTP/2 it forwards each request to
// the fake gateway, then acts as act(n) says for the n-th request (from 1).
type h2FrontEnd struct {
	*httptest.Server
	act     func(n int) h2Action
	n       atomic.Int32
	h2Calls atomic.Int32
}

func newH2FrontEnd(t *testing.T, srv *escotttest.Server, act func(n int) h2Action) *h2FrontEnd {
	t.Helper()
	fe := &h2FrontEnd{act: act}
	fe.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code, answer := forward(t, srv, r.URL.Path, body)
		w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
		w.WriteHeader(code)
		_, _ = w.Write(answer)
	}))
	fe.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	fe.Config.ErrorLog = log.New(io.Discard, "", 0)
	fe.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
		"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { fe.serveH2(t, srv, c) },
	}
	fe.StartTLS()
	t.Cleanup(func() { fe.CloseClientConnections(); fe.Close() })
	return fe
}

// client returns an HTTP/2-capable host client that trusts the front end.
func (fe *h2FrontEnd) client() *http.Client {
	tr := fe.Client().Transport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = true
	return &http.Client{Transport: tr}
}

const (
	frData         = 0x0
	frHeaders      = 0x1
	frRSTStream    = 0x3
	frSettings     = 0x4
	frPing         = 0x6
	frGoAway       = 0x7
	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	errProtocol    = 0x1
	errRefused     = 0x7
)

func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream&0x7fffffff)
	_, err := w.Write(append(h[:], payload...))
	return err
}

func (fe *h2FrontEnd) serveH2(t *testing.T, srv *escotttest.Server, c *tls.Conn) {
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	preface := make([]byte, len(http2Preface))
	if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2Preface {
		return
	}
	if writeFrame(c, frSettings, 0, 0, nil) != nil {
		return
	}
	bodies := map[uint32][]byte{}
	for {
		var h [9]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		typ, flags, stream := h[3], h[4], binary.BigEndian.Uint32(h[5:])&0x7fffffff
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		end := false
		switch typ {
		case frSettings:
			if flags&flagAck == 0 {
				_ = writeFrame(c, frSettings, flagAck, 0, nil)
			}
		case frPing:
			if flags&flagAck == 0 {
				_ = writeFrame(c, frPing, flagAck, 0, payload)
			}
		case frHeaders:
			bodies[stream] = []byte{}
			end = flags&flagEndStream != 0
		case frData:
			if flags&flagPadded != 0 && len(payload) > 0 {
				payload = payload[1 : len(payload)-int(payload[0])]
			}
			bodies[stream] = append(bodies[stream], payload...)
			end = flags&flagEndStream != 0
		}
		if !end {
			continue
		}
		fe.h2Calls.Add(1)
		body := bodies[stream]
		delete(bodies, stream)
		form, _ := url.ParseQuery(string(body))
		_, answer := forward(t, srv, pathOf(form.Get("OperateId")), body)
		switch fe.act(int(fe.n.Add(1))) {
		case h2Answer:
			_ = writeFrame(c, frHeaders, flagEndHeaders, stream, []byte{0x88}) // :status 200 (HPACK static index 8)
			_ = writeFrame(c, frData, flagEndStream, stream, answer)
		case h2Reset:
			_ = writeFrame(c, frRSTStream, 0, stream, binary.BigEndian.AppendUint32(nil, errProtocol))
		case h2RefusedS:
			_ = writeFrame(c, frRSTStream, 0, stream, binary.BigEndian.AppendUint32(nil, errRefused))
		case h2GoAway:
			p := binary.BigEndian.AppendUint32(nil, 0)                             // last stream processed: none
			_ = writeFrame(c, frGoAway, 0, 0, binary.BigEndian.AppendUint32(p, 0)) // NO_ERROR: a graceful shutdown
		}
	}
}

const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// TestHTTP2ResetOrGoAwayIsNotReplayed: a front end that resets the stream
// (or sends GOAWAY) after it forwarded a payment must not make Go's HTTP/2
// transport send the payment again. The gateway sees it once, and the caller
// is told the outcome is unknown, never a success.
func TestHTTP2ResetOrGoAwayIsNotReplayed(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  h2Action
	}{{"rst_stream protocol error", h2Reset}, {"rst_stream refused", h2RefusedS}, {"goaway", h2GoAway}} {
		for _, byMember := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/member=%v", tc.name, byMember), func(t *testing.T) {
				srv, direct := newTest(t)
				// A token is single use, so a replay of a token payment is refused
				// (and the payment reported refused); a stored card is not.
				var source escott.CardSource = srv.MustToken(escotttest.CardVisa)
				if byMember {
					source = registered(t, srv, direct, escotttest.CardVisa)
				}
				fe := newH2FrontEnd(t, srv, func(n int) h2Action {
					if n == 1 {
						return tc.act
					}
					return h2Answer
				})
				hc := fe.client()
				defer hc.CloseIdleConnections()
				cfg := srv.Config()
				cfg.BaseURL = fe.URL
				c, err := escott.NewClient(cfg, escott.WithHTTPClient(hc), fastRetry())
				require.NoError(t, err)
				pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: source})
				assert.Equal(t, 1, srv.RequestCount(escott.OpGathering), "one payment reached the gateway")
				assert.Equal(t, int32(1), fe.h2Calls.Load(), "spoken over HTTP/2")
				assert.Nil(t, pay, "never a success")
				var ou *escott.OutcomeUnknownError
				require.ErrorAs(t, err, &ou)
			})
		}
	}
}

// TestHTTP2AlwaysResettingFrontEnd: a front end that resets every stream
// gets one payment within the whole WithTimeout, not one per retry.
func TestHTTP2AlwaysResettingFrontEnd(t *testing.T) {
	srv, _ := newTest(t)
	fe := newH2FrontEnd(t, srv, func(int) h2Action { return h2Reset })
	hc := fe.client()
	defer hc.CloseIdleConnections()
	cfg := srv.Config()
	cfg.BaseURL = fe.URL
	c, err := escott.NewClient(cfg, escott.WithHTTPClient(hc), escott.WithTimeout(2*time.Second), fastRetry())
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))

	// A read-only call may be retried, by the SDK's bounded policy only.
	_, err = c.Token.Search(context.Background(), srv.MustToken(escotttest.CardVisa))
	assert.ErrorIs(t, err, escott.ErrTransport)
	assert.Equal(t, 3, srv.RequestCount(escott.OpTokenSearch), "three attempts, as the retry policy says")
}

// TestDefaultClientSpeaksHTTP11: the default client offers only HTTP/1.1,
// as the production PHP clients do, so an HTTP/2 front end cannot apply.
func TestDefaultClientSpeaksHTTP11(t *testing.T) {
	srv, _ := newTest(t)
	fe := newH2FrontEnd(t, srv, func(int) h2Action { return h2Reset })
	cfg := srv.Config()
	cfg.BaseURL = fe.URL
	c, err := escott.NewClient(cfg)
	require.NoError(t, err)
	tr := escott.DefaultTransportForTest(c)
	require.NotNil(t, tr)
	tr.TLSClientConfig = fe.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	defer tr.CloseIdleConnections()
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	assert.Zero(t, fe.h2Calls.Load(), "HTTP/1.1 was negotiated")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}

// frontEnd is a plain HTTP front end whose handler decides everything.
func frontEnd(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	fe := httptest.NewServer(h)
	t.Cleanup(fe.Close)
	return fe
}

// clientVia returns a client for srv whose requests go through the front end
// at base, with the host's HTTP client hc (nil: the default one).
func clientVia(t *testing.T, srv *escotttest.Server, base string, hc *http.Client, opts ...escott.Option) *escott.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.BaseURL = base
	if hc != nil {
		opts = append(opts, escott.WithHTTPClient(hc))
	}
	c, err := escott.NewClient(cfg, append([]escott.Option{fastRetry()}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestRedirectIsNeverFollowed: a 307/308 after the gateway processed a
// payment is not followed whatever the host's CheckRedirect (here the
// default, which follows): the payment reaches the gateway once, and another
// host named in Location receives nothing — no merchant password, no token.
func TestRedirectIsNeverFollowed(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, elsewhere := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/elsewhere=%v", status, elsewhere), func(t *testing.T) {
				srv, _ := newTest(t)
				var evilHits atomic.Int32
				evil := frontEnd(t, func(w http.ResponseWriter, r *http.Request) {
					evilHits.Add(1)
					_, _ = io.WriteString(w, "ResponseCd=OK&OperateId=1Gathering&ProcessId=666&ProcessPass=x")
				})
				var fe *httptest.Server
				fe = frontEnd(t, func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					forward(t, srv, r.URL.Path, body)
					target := fe.URL + r.URL.Path
					if elsewhere {
						target = evil.URL + r.URL.Path
					}
					http.Redirect(w, r, target, status)
				})
				followAll := &http.Client{} // net/http's default: follow up to 10 redirects
				c := clientVia(t, srv, fe.URL, followAll)
				pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
				assert.Nil(t, pay)
				assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
				assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
				assert.Zero(t, evilHits.Load(), "the other host received nothing")
				assert.Nil(t, followAll.CheckRedirect, "the host's client is not modified")

				// A read-only call: a transport error, never a result.
				_, err = c.Token.Search(context.Background(), srv.MustToken(escotttest.CardVisa))
				assert.ErrorIs(t, err, escott.ErrTransport)
				assert.Zero(t, evilHits.Load())
			})
		}
	}
}

// swapper is a front end that holds requests until two have arrived,
// forwards both, and gives each the other's answer.
func swapper(t *testing.T, srv *escotttest.Server) *httptest.Server {
	var mu sync.Mutex
	var first chan []byte // the first request's answer goes one way, the second's the other
	var firstAnswer []byte
	return frontEnd(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, answer := forward(t, srv, r.URL.Path, body)
		mu.Lock()
		if first == nil {
			ch := make(chan []byte, 1)
			first, firstAnswer = ch, answer
			mu.Unlock()
			select {
			case other := <-ch:
				_, _ = w.Write(other)
			case <-time.After(5 * time.Second):
				_, _ = w.Write(answer)
			}
			return
		}
		ch, mine := first, firstAnswer
		first = nil
		mu.Unlock()
		ch <- answer
		_, _ = w.Write(mine)
	})
}

// TestCrossWiredAnswersAreNotResults: a front end that swaps the answers of
// two concurrent payments. Neither order may be reported paid with the
// other's ProcessId: both outcomes are unknown, and each payment reached the
// gateway once.
func TestCrossWiredAnswersAreNotResults(t *testing.T) {
	srv, _ := newTest(t)
	c := clientVia(t, srv, swapper(t, srv).URL, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	pays := make([]*escott.Payment, 2)
	for i := range 2 {
		tok := srv.MustToken(escotttest.CardVisa)
		wg.Go(func() {
			pays[i], errs[i] = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(int64(1000 + i)), Source: tok})
		})
	}
	wg.Wait()
	for i := range 2 {
		assert.Nil(t, pays[i], "order %d", i)
		assert.ErrorIs(t, errs[i], escott.ErrOutcomeUnknown, "order %d", i)
	}
	assert.Equal(t, 2, srv.RequestCount(escott.OpGathering))
	pending, err := c.Journal().Pending(context.Background(), time.Now())
	require.NoError(t, err)
	assert.Len(t, pending, 2, "both attempts left for recovery")
}

// rewriting is a front end that forwards to the fake and lets edit change the
// answer's fields.
func rewriting(t *testing.T, srv *escotttest.Server, edit func(url.Values)) *httptest.Server {
	return frontEnd(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, answer := forward(t, srv, r.URL.Path, body)
		v, _ := url.ParseQuery(string(answer))
		edit(v)
		_, _ = io.WriteString(w, v.Encode())
	})
}

// TestAnswerMustEchoWhatWasSent: an answer whose OperateId or MerchantFree1
// is missing or not the one sent is not this request's answer: an unknown
// outcome for a money-moving call, a transport error (retried) for a read.
func TestAnswerMustEchoWhatWasSent(t *testing.T) {
	for name, edit := range map[string]func(url.Values){
		"other link key":  func(v url.Values) { v.Set("MerchantFree1", "999999999999") },
		"other operation": func(v url.Values) { v.Set("OperateId", "1Search") },
		"no link key":     func(v url.Values) { v.Del("MerchantFree1") },
		"no operation":    func(v url.Values) { v.Del("OperateId") },
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := newTest(t)
			c := clientVia(t, srv, rewriting(t, srv, edit).URL, nil)
			pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
			assert.Nil(t, pay)
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))

			_, err = c.Token.Search(context.Background(), srv.MustToken(escotttest.CardVisa))
			assert.ErrorIs(t, err, escott.ErrTransport)
			assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
			assert.Equal(t, 3, srv.RequestCount(escott.OpTokenSearch))

			m := newMember(t)
			_, err = c.Member.Invalidate(context.Background(), m)
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown, "a state change whose answer is not its own")
		})
	}
}

// stallJournal wraps a journal with a Begin and a Finish that can stall,
// honouring the context or not.
type stallJournal struct {
	journal.Journal
	beginDelay  time.Duration
	honourCtx   bool
	beginDone   chan struct{}
	finishGate  chan struct{} // Finish waits for it when non-nil
	finishEnter chan struct{}
	finishErr   atomic.Value
}

func (j *stallJournal) Begin(ctx context.Context, a journal.Attempt) error {
	defer func() {
		if j.beginDone != nil {
			close(j.beginDone)
		}
	}()
	if j.honourCtx {
		select {
		case <-time.After(j.beginDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	} else {
		time.Sleep(j.beginDelay)
	}
	return j.Journal.Begin(ctx, a)
}

func (j *stallJournal) Finish(ctx context.Context, key string, r journal.Result) error {
	if j.finishEnter != nil {
		j.finishEnter <- struct{}{}
	}
	if j.finishGate != nil {
		<-j.finishGate
	}
	if j.honourCtx && ctx.Err() != nil {
		j.finishErr.Store(ctx.Err())
		return ctx.Err()
	}
	return j.Journal.Finish(ctx, key, r)
}

// TestDeadlineBoundsAStuckJournalBegin: a journal whose Begin is stuck (a
// file lock, an exhausted SQL pool) past the deadline: the call returns by
// the deadline, nothing is sent, not even once Begin finally returns, and the
// attempt Begin recorded late is not left in flight.
func TestDeadlineBoundsAStuckJournalBegin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		honourCtx bool
		timeout   bool // WithTimeout, else the caller's context
	}{
		{"ignores ctx/WithTimeout", false, true},
		{"ignores ctx/caller deadline", false, false},
		{"honours ctx/WithTimeout", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTest(t)
			j := &stallJournal{Journal: journal.NewMemory(), beginDelay: 600 * time.Millisecond, honourCtx: tc.honourCtx,
				beginDone: make(chan struct{})}
			const bound = 150 * time.Millisecond
			opts := []escott.Option{escott.WithJournal(j)}
			ctx := context.Background()
			if tc.timeout {
				opts = append(opts, escott.WithTimeout(bound))
			} else {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, bound)
				defer cancel()
			}
			c := srv.Client(opts...)
			start := time.Now()
			_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
			assert.Less(t, time.Since(start), bound+150*time.Millisecond, "returns by the deadline")
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown, "nothing was sent")
			<-j.beginDone
			time.Sleep(100 * time.Millisecond)
			assert.Zero(t, srv.RequestCount(escott.OpGathering), "nothing sent after the deadline")
			pending, perr := j.Pending(context.Background(), time.Now().Add(time.Hour))
			require.NoError(t, perr)
			assert.Empty(t, pending, "the late Begin is closed: not a phantom in flight")
		})
	}
}

// TestStuckJournalFinishDoesNotHangTheCaller: a Finish that never returns
// does not hold the caller past the deadline (plus a short grace); the
// payment's result is still returned.
func TestStuckJournalFinishDoesNotHangTheCaller(t *testing.T) {
	srv, _ := newTest(t)
	gate := make(chan struct{})
	defer close(gate)
	j := &stallJournal{Journal: journal.NewMemory(), finishGate: gate}
	c := srv.Client(escott.WithJournal(j), escott.WithTimeout(300*time.Millisecond))
	start := time.Now()
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	assert.Less(t, time.Since(start), time.Second)
	require.NoError(t, err)
	assert.NotEmpty(t, pay.Process.ID)
}

// TestFinishSurvivesACancelRacingIt: the caller's context cancelled while
// Finish runs must not lose the outcome (a journal honouring ctx would drop
// the write and leave a succeeded payment "in flight").
func TestFinishSurvivesACancelRacingIt(t *testing.T) {
	srv, _ := newTest(t)
	gate, enter := make(chan struct{}), make(chan struct{}, 1)
	j := &stallJournal{Journal: journal.NewMemory(), honourCtx: true, finishGate: gate, finishEnter: enter}
	c := srv.Client(escott.WithJournal(j))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-enter; cancel(); close(gate) }()
	_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		pending, perr := j.Pending(context.Background(), time.Now().Add(time.Hour))
		return perr == nil && len(pending) == 0
	}, time.Second, 10*time.Millisecond, "the success was recorded")
	assert.Nil(t, j.finishErr.Load())
}

// TestProcessedStateChangesAreNotReportedSafe: operations that move no money
// but change state (1Check consumes a token, 4MemInval/4MemUnInval/4MemDel
// change a member) whose answer was lost after the gateway processed them
// are reported as outcome unknown — never as "not processed".
func TestProcessedStateChangesAreNotReportedSafe(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t, fastRetry())
	inval := func(t *testing.T) escott.Member {
		m := registered(t, srv, c, escotttest.CardVisa)
		_, err := c.Member.Invalidate(ctx, m)
		require.NoError(t, err)
		return m
	}
	for _, tc := range []struct {
		op   string
		run  func(t *testing.T) (check func(t *testing.T), err error)
		want escott.MemberStatus
	}{
		{escott.OpCheck, func(t *testing.T) (func(*testing.T), error) {
			_, err := c.Card.Check(ctx, &escott.CheckParams{Source: srv.MustToken(escotttest.CardVisa)})
			return func(*testing.T) {}, err
		}, 0},
		{escott.OpMemberInvalidate, func(t *testing.T) (func(*testing.T), error) {
			m := registered(t, srv, c, escotttest.CardVisa)
			_, err := c.Member.Invalidate(ctx, m)
			return memberIs(srv, m, escott.MemberInvalid), err
		}, 0},
		{escott.OpMemberRevalidate, func(t *testing.T) (func(*testing.T), error) {
			m := inval(t)
			_, err := c.Member.Revalidate(ctx, m)
			return memberIs(srv, m, escott.MemberValid), err
		}, 0},
		{escott.OpMemberDelete, func(t *testing.T) (func(*testing.T), error) {
			m := inval(t)
			err := c.Member.Delete(ctx, m)
			return memberIs(srv, m, escott.MemberDeleted), err
		}, 0},
	} {
		t.Run(tc.op, func(t *testing.T) {
			srv.InjectFault(tc.op, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
			before := srv.RequestCount(tc.op)
			check, err := tc.run(t)
			var ou *escott.OutcomeUnknownError
			require.ErrorAs(t, err, &ou)
			assert.NotErrorIs(t, err, escott.ErrTransport)
			assert.Equal(t, tc.op, ou.OperateID)
			assert.NotEmpty(t, ou.LinkKey)
			assert.Equal(t, before+1, srv.RequestCount(tc.op), "not re-sent")
			check(t)
		})
	}
	t.Run("Delete with its invalidation lost", func(t *testing.T) {
		m := registered(t, srv, c, escotttest.CardVisa)
		srv.InjectFault(escott.OpMemberInvalidate, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
		err := c.Member.Delete(ctx, m)
		var de *escott.DeleteMemberError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, escott.OpMemberInvalidate, de.Step)
		assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
		assert.True(t, de.Invalidated, "the member may be invalid: never reported as still valid")
		memberIs(srv, m, escott.MemberInvalid)(t)
	})
}

func memberIs(srv *escotttest.Server, m escott.Member, want escott.MemberStatus) func(*testing.T) {
	return func(t *testing.T) {
		info, ok := srv.Member(m.ID)
		require.True(t, ok)
		assert.Equal(t, want, info.Status, "the gateway processed it")
	}
}

// replayingTransport is a host transport that buffers each request body and
// sends the request twice (as a naive retrying middleware does), returning
// the second answer.
type replayingTransport struct{ inner http.RoundTripper }

func (rt replayingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var res *http.Response
	for range 2 {
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		if res != nil {
			_ = res.Body.Close()
		}
		if res, err = rt.inner.RoundTrip(req); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// TestReplayByTheHostTransportIsNotASuccess: the SDK cannot stop a host
// transport that buffers bodies and re-sends them, but it sees the second
// write and never reports the answer to a replay as the payment's result.
func TestReplayByTheHostTransportIsNotASuccess(t *testing.T) {
	srv, _ := newTest(t)
	inner := &http.Transport{}
	defer inner.CloseIdleConnections()
	c := srv.Client(escott.WithHTTPClient(&http.Client{Transport: replayingTransport{inner}}))
	m := registered(t, srv, srv.Client(), escotttest.CardVisa)
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: m})
	assert.Nil(t, pay)
	assert.ErrorIs(t, err, escott.ErrOutcomeUnknown, "two charges may exist: the operator must look")
	assert.Equal(t, 2, srv.RequestCount(escott.OpGathering))
}

// TestUnframedAnswerIsNotTrusted: an HTTP/1 answer with neither a
// Content-Length nor chunked framing ends when the connection closes, so a
// cut connection is indistinguishable from its end: such an answer could be
// truncated (a ProcessId cut short) and is not taken as a result.
func TestUnframedAnswerIsNotTrusted(t *testing.T) {
	srv, _ := newTest(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				body, _ := io.ReadAll(req.Body)
				_, answer := forward(t, srv, req.URL.Path, body)
				// The answer with its ProcessId last, cut short by the close.
				v, _ := url.ParseQuery(string(answer))
				pid := v.Get("ProcessId")
				v.Del("ProcessId")
				answer = []byte(v.Encode() + "&ProcessId=" + pid[:len(pid)-3])
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
				_, _ = conn.Write(answer)
			}()
		}
	}()
	c := clientVia(t, srv, "http://"+ln.Addr().String(), nil)
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	assert.Nil(t, pay)
	assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}
