package escott_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
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

// countingJournal counts Begin and Finish around the in-memory journal.
type countingJournal struct {
	*escott.MemoryJournal
	begins, finishes atomic.Int64
}

func (j *countingJournal) Begin(ctx context.Context, a escott.Attempt) error {
	err := j.MemoryJournal.Begin(ctx, a)
	if err == nil {
		j.begins.Add(1)
	}
	return err
}

func (j *countingJournal) Finish(ctx context.Context, key string, r escott.AttemptResult) error {
	err := j.MemoryJournal.Finish(ctx, key, r)
	if err == nil {
		j.finishes.Add(1)
	}
	return err
}

// TestLoad runs tens of thousands of mixed operations from 64 goroutines
// against the fake gateway over loopback and accounts for every result.
func TestLoad(t *testing.T) {
	const workers, orders = 64, 4000 // about 20,800 requests
	base := runtime.NumGoroutine()
	srv := escotttest.NewServer(escotttest.Config{})
	var dials atomic.Int64
	d := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, n, a)
	}}}
	j := &countingJournal{MemoryJournal: escott.NewMemoryJournal()}
	c := srv.Client(escott.WithHTTPClient(hc), escott.WithJournal(j))

	// Tokens are minted up front: minting is the shopper's browser's work.
	type order struct {
		token escott.CardToken
		kind  int
	}
	work := make(chan order, orders)
	for i := range orders {
		card := escotttest.CardVisa
		if i%10 == 9 {
			card = escotttest.CardDeclined
		}
		work <- order{srv.MustToken(card), i % 10}
	}
	close(work)

	var (
		ok, declined, cvsOK, searches atomic.Int64
		mu                            sync.Mutex
		unexpected                    []error
	)
	fail := func(err error) {
		mu.Lock()
		unexpected = append(unexpected, err)
		mu.Unlock()
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if o.kind == 8 { // an online-collection order instead of a card
					p, err := c.CVS.Register(ctx, cvsParams())
					if err != nil {
						fail(err)
						continue
					}
					if _, err := c.CVS.Inquire(ctx, p.Process, nil); err != nil {
						fail(err)
						continue
					}
					cvsOK.Add(1)
					continue
				}
				if _, err := c.Token.Inquire(ctx, o.token); err != nil {
					fail(err)
					continue
				}
				searches.Add(1)
				pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(int64(1000 + o.kind)), Source: o.token, Capture: escott.CaptureLater})
				if errors.Is(err, escott.ErrDeclined) {
					declined.Add(1)
					continue
				}
				if err != nil {
					fail(err)
					continue
				}
				steps := []func() error{
					func() error { _, err := c.Card.Capture(ctx, pay.Process, nil); return err },
					func() error {
						_, err := c.Card.ChangeAmount(ctx, pay.Process, &escott.ChangeAmountParams{Amount: yen(900)})
						return err
					},
					func() error { _, err := c.Card.Inquire(ctx, pay.Process, nil); return err },
					func() error { _, err := c.Card.Cancel(ctx, pay.Process, nil); return err },
				}
				good := true
				for _, s := range steps {
					if err := s(); err != nil {
						fail(err)
						good = false
						break
					}
				}
				if good {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()

	require.Empty(t, unexpected, "every call succeeds or fails as its test card says")
	assert.Equal(t, int64(orders), ok.Load()+declined.Load()+cvsOK.Load(), "every order is accounted for")
	assert.Equal(t, int64(orders/10), declined.Load())
	assert.Equal(t, int64(orders/10), cvsOK.Load())

	money := 0
	for _, op := range []string{"1Auth", "1Capture", "1Change", "1Delete", "2Add"} {
		money += srv.RequestCount(op)
	}
	assert.Equal(t, int64(money), j.begins.Load(), "a journal entry for every money-moving request")
	assert.Equal(t, j.begins.Load(), j.finishes.Load(), "every journal entry closed")
	pending, err := j.Pending(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending)
	total := srv.RequestCount("")
	t.Logf("%d requests, %d connections dialled, %d paid, %d declined, %d online collection", total, dials.Load(), ok.Load(), declined.Load(), cvsOK.Load())
	assert.GreaterOrEqual(t, total, 20000)
	assert.LessOrEqual(t, dials.Load(), int64(2*workers), "connections are reused")

	hc.CloseIdleConnections()
	srv.Close()
	waitGoroutines(t, base)
}

// TestNotificationStorm redelivers every notification five times at once from
// 64 senders: each payment reaches the subscriber exactly once.
func TestNotificationStorm(t *testing.T) {
	const payments, copies, senders = 400, 5, 64
	h, err := newNotifyHandler(notifyCfg{
		MerchantID: escotttest.DefaultMerchantID, MerchantPass: escotttest.DefaultMerchantPass,
		Environment: escott.Test, AllowedSources: []string{"127.0.0.1"},
	})
	require.NoError(t, err)
	var mu sync.Mutex
	seen := map[string]int{}
	h.OnPaymentReceived(func(_ context.Context, p escott.PaymentReceived) error {
		time.Sleep(time.Millisecond) // a subscriber that takes a moment widens the race window
		mu.Lock()
		seen[p.ReceiptNumber]++
		mu.Unlock()
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	defer hc.CloseIdleConnections()

	deliveries := make(chan string, payments*copies)
	for i := range payments {
		body := escotttest.NewNotification(escotttest.NotificationParams{ReceiptNumber: "R" + strconv.Itoa(i),
			ProcessPass: "PASS", ProcessID: "1", TransactionID: "T" + strconv.Itoa(i), LinkKey: "L" + strconv.Itoa(i)}).Encode()
		for range copies {
			deliveries <- body
		}
	}
	close(deliveries)
	var answers sync.Map // status -> count
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range deliveries {
				// Like the gateway, a sender redelivers until it gets "0".
				for attempt := 0; ; attempt++ {
					req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					res, err := hc.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					v, _ := answers.LoadOrStore(fmt.Sprint(res.StatusCode, " ", string(b)), new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					if res.StatusCode == http.StatusOK && string(b) == escott.NotifyAccepted {
						break
					}
					if attempt > 100 {
						t.Errorf("never accepted: %d %s", res.StatusCode, b)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, seen, payments)
	for k, n := range seen {
		require.Equal(t, 1, n, "payment %s dispatched %d times", k, n)
	}
	answers.Range(func(k, v any) bool {
		t.Logf("answer %q × %d", k, v.(*atomic.Int64).Load())
		return true
	})
}
