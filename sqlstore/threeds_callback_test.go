package sqlstore_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// Issue #11.5 with the SQL store: a PostUrl callback that fails leaves the
// attempt pending in the table, so the redelivered copy runs the callback
// again and the browser return (on another instance) completes the order.
func TestSQLThreeDSPostURLCallbackFailureKeepsTheOrder(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db, "escott_tds")
	ctx := context.Background()
	store, err := sqlstore.NewThreeDSStore(ctx, db, sqlstore.WithTable(table))
	require.NoError(t, err)
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client(escott.WithThreeDSStore(store))

	var failures atomic.Int32
	var mu sync.Mutex
	var recorded []*escott.ThreeDSResult
	post := httptest.NewServer(c.ThreeDS.PostURLHandler(func(_ context.Context, res *escott.ThreeDSResult) error {
		if failures.Add(-1) >= 0 {
			return errors.New("database unavailable")
		}
		mu.Lock()
		recorded = append(recorded, res)
		mu.Unlock()
		return nil
	}))
	t.Cleanup(post.Close)
	other := newInstance(t, srv, escott.WithThreeDSStore(store)) // the browser lands here

	start := func() (*escott.ThreeDSForm, *escotttest.ThreeDSReturn) {
		srv.HoldPostURL()
		form, err := c.ThreeDS.StartAuthorize(ctx, &escott.StartParams{
			Amount: decimal.NewFromInt(3200), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
			BillingEmail: "hanako@example.jp", RedirectURL: other.url, PostURL: post.URL,
		})
		require.NoError(t, err)
		ret := authenticate(t, srv, form)
		failures.Store(1)
		srv.ReleasePostURL()
		srv.WaitPostURL()
		d := srv.PostURLDeliveries()
		assert.Equal(t, http.StatusInternalServerError, d[len(d)-1].StatusCode)
		_, done, err := store.Get(ctx, form.LinkKey)
		require.NoError(t, err)
		assert.Nil(t, done, "not completed before the host recorded it")
		return form, ret
	}

	t.Run("redelivered copy", func(t *testing.T) {
		_, ret := start()
		res, err := http.PostForm(post.URL, url.Values{"EncryptValue": ret.Fields["EncryptValue"]})
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		mu.Lock()
		require.Len(t, recorded, 1)
		assert.False(t, recorded[0].Duplicate)
		mu.Unlock()
	})
	t.Run("browser return", func(t *testing.T) {
		form, ret := start()
		out := other.deliver(t, ret)
		require.NoError(t, out.err)
		assert.False(t, out.res.Duplicate, "the browser return completes the order")
		require.NotNil(t, out.res.Payment)
		_, done, err := store.Get(ctx, form.LinkKey)
		require.NoError(t, err)
		assert.NotNil(t, done)
	})
}
