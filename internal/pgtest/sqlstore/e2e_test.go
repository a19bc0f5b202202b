package sqlstore_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// authenticate plays the shopper's browser through the fake's OTDS010 (a
// frictionless card: no challenge) and returns the return it POSTs back.
func authenticate(t *testing.T, srv *escotttest.Server, form *escott.ThreeDSForm) *escotttest.ThreeDSReturn {
	t.Helper()
	ret, err := srv.Authenticate(context.Background(), form, func(string) string {
		t.Fatal("unexpected challenge")
		return ""
	})
	require.NoError(t, err)
	return ret
}

// instance is one shop process: a client and its return endpoint.
type instance struct {
	c   *escott.Client
	url string
	got chan outcome
}

type outcome struct {
	res *escott.ThreeDSResult
	err error
}

func newInstance(t *testing.T, srv *escotttest.Server, opts ...escott.Option) *instance {
	t.Helper()
	in := &instance{c: srv.Client(opts...), got: make(chan outcome, 4)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := in.c.ThreeDS.HandleReturn(r, recordNothing)
		in.got <- outcome{res, err}
		if res == nil {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "thanks")
	}))
	t.Cleanup(hs.Close)
	in.url = hs.URL + "/return"
	return in
}

// deliver posts the gateway's return page to an instance, as a browser the
// load balancer sent there would.
func (in *instance) deliver(t *testing.T, ret *escotttest.ThreeDSReturn) outcome {
	t.Helper()
	res, err := http.PostForm(in.url, ret.Fields)
	require.NoError(t, err)
	_ = res.Body.Close()
	return <-in.got
}

// 3-D Secure starts on instance A; the shopper's browser comes back to
// instance B, which completes and authorises it from the shared store.
func TestThreeDSAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_tds")
	ctx := context.Background()
	storeA, err := sqlstore.NewThreeDSStore(ctx, db1, sqlstore.WithTable(table))
	require.NoError(t, err)
	storeB, err := sqlstore.NewThreeDSStore(ctx, db2, sqlstore.WithTable(table))
	require.NoError(t, err)

	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	a := newInstance(t, srv, escott.WithThreeDSStore(storeA))
	b := newInstance(t, srv, escott.WithThreeDSStore(storeB))
	alone := newInstance(t, srv) // its own in-memory store

	tok := srv.MustToken(escotttest.CardThreeDSFrictionless)
	form, err := a.c.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(2500), Source: tok, BillingFullName: "TARO YAMADA",
		BillingEmail: "taro@example.jp", RedirectURL: b.url, OrderRef: "order-77",
	})
	require.NoError(t, err)
	ret := authenticate(t, srv, form)

	// Without the shared store an instance does not know the attempt.
	out := alone.deliver(t, ret)
	require.ErrorIs(t, out.err, escott.ErrReturnRefused)

	out = b.deliver(t, ret)
	require.NoError(t, out.err)
	res := out.res
	assert.Equal(t, form.LinkKey, res.LinkKey)
	assert.Equal(t, escott.SecureAuthenticated, res.SecureResultCode)
	assert.Equal(t, "order-77", res.Attempt.OrderRef)
	assert.Equal(t, tok, res.Attempt.Source, "the token came through the database")

	pay, err := b.c.ThreeDS.Authorize(ctx, res)
	require.NoError(t, err)
	info, ok := srv.Process(pay.Process.ID)
	require.True(t, ok)
	assert.True(t, info.ThreeDS)
	assert.Equal(t, "captured", info.State)
	assert.Equal(t, form.LinkKey, pay.Process.LinkKey)

	// A replay of the return to instance A is refused: the attempt was
	// completed on B.
	out = a.deliver(t, ret)
	require.ErrorIs(t, out.err, escott.ErrReturnRefused)
	assert.Contains(t, out.err.Error(), "already used")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}

// Two instances with their own NotificationHandler share the dedupe store;
// the gateway's notification (and its redeliveries) reach one of them at
// once from many connections: the subscriber runs once.
func TestNotificationsAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_dd")
	ctx := context.Background()
	var calls atomic.Int32
	var handlers []*escott.NotificationHandler
	for _, db := range []*sql.DB{db1, db2} {
		st, err := sqlstore.NewDedupeStore(ctx, db, sqlstore.WithTable(table))
		require.NoError(t, err)
		client, err := escott.NewClient(escott.Config{MerchantID: escotttest.DefaultMerchantID,
			MerchantPass: escotttest.DefaultMerchantPass, Environment: escott.Test})
		require.NoError(t, err)
		h, err := client.NotificationHandler(escott.WithDedupeStore(st))
		require.NoError(t, err)
		h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error {
			calls.Add(1)
			time.Sleep(20 * time.Millisecond) // hold the claim while the others arrive
			return nil
		})
		handlers = append(handlers, h)
	}
	fields := escotttest.NewNotification(escotttest.NotificationParams{TransactionID: "900", ReceiptNumber: "R9", LinkKey: "ORDER9"})

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
	)
	for g := range 32 {
		wg.Go(func() {
			w := httptest.NewRecorder()
			handlers[g%2].ServeHTTP(w, escotttest.NotificationRequest(fields))
			mu.Lock()
			codes[w.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load(), "processed once: %v", codes)
	assert.Equal(t, 32, codes[http.StatusOK]+codes[http.StatusServiceUnavailable], "only 200 or 503 (redeliver): %v", codes)
	assert.Positive(t, codes[http.StatusOK])

	// Later redeliveries to either instance are acknowledged, not processed.
	for _, h := range handlers {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, escotttest.NotificationRequest(fields))
		assert.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int32(1), calls.Load())
}
