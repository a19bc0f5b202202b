package escott_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// moneyOp is one money-moving operation: setup prepares what it needs (with
// no fault injected) and returns the call to make under a fault.
type moneyOp struct {
	op    string
	setup func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(ctx context.Context) error
}

func moneyOps() []moneyOp {
	authorised := func(t *testing.T, srv *escotttest.Server, c *escott.Client) escott.Process {
		pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
		require.NoError(t, err)
		return pay.Process
	}
	member := func(t *testing.T, srv *escotttest.Server, c *escott.Client) escott.Member {
		m := escott.NewMember()
		_, err := c.Member.Register(context.Background(), m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
		require.NoError(t, err)
		return m
	}
	cvs := func(t *testing.T, c *escott.Client) escott.Process {
		pay, err := c.CVS.Register(context.Background(), cvsParams())
		require.NoError(t, err)
		return pay.Process
	}
	return []moneyOp{
		{escott.OpGathering, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			tok := srv.MustToken(escotttest.CardVisa)
			return func(ctx context.Context) error {
				_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: tok})
				return err
			}
		}},
		{escott.OpAuth, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			tok := srv.MustToken(escotttest.CardVisa)
			return func(ctx context.Context) error {
				_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: tok, Capture: escott.CaptureLater})
				return err
			}
		}},
		{escott.OpCapture, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := authorised(t, srv, c)
			return func(ctx context.Context) error { _, err := c.Card.Capture(ctx, p, nil); return err }
		}},
		{escott.OpChange, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := authorised(t, srv, c)
			return func(ctx context.Context) error {
				_, err := c.Card.ChangeAmount(ctx, p, &escott.ChangeAmountParams{Amount: yen(900)})
				return err
			}
		}},
		{escott.OpDelete, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := authorised(t, srv, c)
			return func(ctx context.Context) error { _, err := c.Card.Cancel(ctx, p, nil); return err }
		}},
		{escott.OpReAuth, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := authorised(t, srv, c)
			return func(ctx context.Context) error {
				_, err := c.Card.Reauthorize(ctx, p, &escott.ReauthorizeParams{Amount: yen(800)})
				return err
			}
		}},
		{escott.OpMemberAdd, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			m := escott.NewMember()
			tok := srv.MustToken(escotttest.CardVisa)
			return func(ctx context.Context) error {
				_, err := c.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: tok})
				return err
			}
		}},
		{escott.OpMemberChange, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			m := member(t, srv, c)
			tok := srv.MustToken(escotttest.CardJCB)
			return func(ctx context.Context) error {
				_, err := c.Member.ChangeCard(ctx, m, &escott.MemberChangeCardParams{Token: tok})
				return err
			}
		}},
		{escott.OpCVSRegister, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			return func(ctx context.Context) error { _, err := c.CVS.Register(ctx, cvsParams()); return err }
		}},
		{escott.OpCVSChange, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := cvs(t, c)
			return func(ctx context.Context) error {
				_, err := c.CVS.Change(ctx, p, &escott.CVSChangeParams{Amount: yen(5000)})
				return err
			}
		}},
		{escott.OpCVSCancel, func(t *testing.T, srv *escotttest.Server, c *escott.Client) func(context.Context) error {
			p := cvs(t, c)
			return func(ctx context.Context) error { _, err := c.CVS.Cancel(ctx, p, nil); return err }
		}},
	}
}

// failFirstDial is a transport whose first dial is refused, as when the
// gateway's address briefly does not answer.
func failFirstDial() *http.Client {
	var dials atomic.Int32
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return d.DialContext(ctx, network, addr)
	}}}
}

// waitGoroutines waits until the goroutine count is back to at most base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left over (had %d):\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// TestFaultSuite runs every money-moving operation through every fault of
// the fake gateway and checks the SDK's answer and the number of requests the
// gateway received.
func TestFaultSuite(t *testing.T) {
	type fault struct {
		name   string
		inject *escotttest.Fault
		hc     func() *http.Client
		ctx    func() (context.Context, context.CancelFunc)
		check  func(t *testing.T, err error)
		open   bool // the attempt stays open in the journal
	}
	unknown := func(t *testing.T, err error) {
		var ou *escott.OutcomeUnknownError
		require.ErrorAs(t, err, &ou)
		assert.NotEmpty(t, ou.LinkKey)
	}
	faults := []fault{
		{name: "connection refused", hc: failFirstDial, check: func(t *testing.T, err error) { require.NoError(t, err) }},
		{name: "closed after processing", inject: &escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing}, check: unknown, open: true},
		{name: "timeout", inject: &escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 3 * time.Second},
			hc: func() *http.Client {
				return &http.Client{Timeout: 150 * time.Millisecond, Transport: &http.Transport{}}
			}, check: unknown, open: true},
		{name: "http 500", inject: &escotttest.Fault{Kind: escotttest.FaultHTTP500}, check: unknown, open: true},
		{name: "malformed body", inject: &escotttest.Fault{Kind: escotttest.FaultMalformed}, check: unknown, open: true},
		{name: "maintenance", inject: &escotttest.Fault{Kind: escotttest.FaultMaintenance, Code: "K97"}, check: func(t *testing.T, err error) {
			assert.ErrorIs(t, err, escott.ErrTemporary)
			assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
		}},
		{name: "context cancelled", inject: &escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 3 * time.Second},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			check: func(t *testing.T, err error) {
				unknown(t, err)
				assert.ErrorIs(t, err, context.Canceled)
			}, open: true},
	}
	for _, op := range moneyOps() {
		for _, f := range faults {
			t.Run(op.op+"/"+f.name, func(t *testing.T) {
				base := runtime.NumGoroutine()
				srv := escotttest.NewServer(escotttest.Config{})
				opts := []escott.Option{fastRetry()}
				var hc *http.Client
				if f.hc != nil {
					hc = f.hc()
					opts = append(opts, escott.WithHTTPClient(hc))
				}
				c := srv.Client(opts...)
				call := op.setup(t, srv, c)
				before := srv.RequestCount(op.op)
				if f.inject != nil {
					srv.InjectFault(op.op, *f.inject)
				}
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if f.ctx != nil {
					ctx, cancel = f.ctx()
				}
				start := time.Now()
				err := call(ctx)
				cancel()
				assert.Less(t, time.Since(start), 2*time.Second, "returns promptly")
				f.check(t, err)
				assert.Equal(t, before+1, srv.RequestCount(op.op), "the gateway received the request exactly once")
				pending, jerr := c.Journal().Pending(context.Background(), time.Now().Add(time.Hour))
				require.NoError(t, jerr)
				var open int
				for _, a := range pending {
					if a.Operation == op.op {
						open++
					}
				}
				if f.open {
					assert.Equal(t, 1, open, "the attempt is left open for recovery")
				} else {
					assert.Zero(t, open, "a definite answer closes the attempt")
				}
				if hc != nil {
					hc.CloseIdleConnections()
				}
				srv.Close()
				waitGoroutines(t, base)
			})
		}
	}
}
