package sqlstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// claimShop is a mode A shop whose PostUrl callback and browser-return
// recording both count what the host recorded, per link key.
type claimShop struct {
	mu       sync.Mutex
	recorded map[string]int
	post     *httptest.Server
	// hold, when set, makes the PostUrl callback wait for it before recording.
	entered, hold chan struct{}
}

func newClaimShop(t *testing.T, c *escott.Client) *claimShop {
	t.Helper()
	s := &claimShop{recorded: map[string]int{}}
	s.post = httptest.NewServer(c.ThreeDS.PostURLHandler(func(_ context.Context, res *escott.ThreeDSResult) error {
		if s.hold != nil {
			close(s.entered)
			<-s.hold
		}
		s.record(res)
		return nil
	}, nil))
	t.Cleanup(s.post.Close)
	return s
}

func (s *claimShop) record(res *escott.ThreeDSResult) {
	s.mu.Lock()
	s.recorded[res.LinkKey]++
	s.mu.Unlock()
}

func (s *claimShop) count(linkKey string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded[linkKey]
}

// browserReturn hands the shopper's return to the SDK, with record as the
// host's recording of the order.
func browserReturn(c *escott.Client, fields url.Values, record func(context.Context, *escott.ThreeDSResult) error) (*escott.ThreeDSResult, error) {
	r := httptest.NewRequest(http.MethodPost, "/return", nil)
	r.PostForm = fields
	return c.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: record})
}

var errHostCrashed = errors.New("host crashed before recording the order")

// claimStart starts a mode A attempt whose PostUrl copy is held back.
func claimStart(t *testing.T, srv *escotttest.Server, c *escott.Client, s *claimShop) (*escott.ThreeDSForm, url.Values) {
	t.Helper()
	srv.HoldPostURL()
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(4100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "hanako@example.jp", RedirectURL: s.post.URL + "/return", PostURL: s.post.URL,
	})
	require.NoError(t, err)
	ret, err := srv.Authenticate(context.Background(), form, nil)
	require.NoError(t, err)
	return form, ret.Fields
}

// Issue #11.5, DESIGN rule 6, gap "lost", across two instances sharing
// the PostgreSQL store: the host crashes while recording the browser return
// on one; the PostUrl copy on the other still has the host record the order.
func TestSQLThreeDSBrowserReturnHostCrashIsNotLost(t *testing.T) {
	browser, post := twoTDSStores(t)
	threeDSBrowserReturnHostCrashIsNotLost(t, browser, post)
}

func threeDSBrowserReturnHostCrashIsNotLost(t *testing.T, browserStore, postStore escott.ThreeDSStore) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	browser, post := instances(srv, browserStore, postStore)
	shop := newClaimShop(t, post)
	form, fields := claimStart(t, srv, browser, shop)

	res, err := browserReturn(browser, fields, func(context.Context, *escott.ThreeDSResult) error { return errHostCrashed })
	require.ErrorIs(t, err, errHostCrashed, "the host's failure comes back")
	assert.Nil(t, res)
	assert.Equal(t, 0, shop.count(form.LinkKey))

	srv.ReleasePostURL()
	srv.WaitPostURL()
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)
	assert.Equal(t, 1, shop.count(form.LinkKey), "the PostUrl copy had the host record the order")

	// A reload of the return page: the order is already recorded.
	res, err = browserReturn(browser, fields, func(_ context.Context, res *escott.ThreeDSResult) error {
		shop.record(res)
		return nil
	})
	require.NoError(t, err)
	assert.True(t, res.Duplicate)
	assert.Equal(t, 1, shop.count(form.LinkKey))
}

// Issue #11.5, DESIGN rule 6, gap "recorded twice", across two instances
// sharing the PostgreSQL store: the browser return on one instance arrives
// while the PostUrl callback on the other records the order.
func TestSQLThreeDSBrowserReturnDuringPostURLRecordsOnce(t *testing.T) {
	browser, post := twoTDSStores(t)
	threeDSBrowserReturnDuringPostURLRecordsOnce(t, browser, post)
}

func threeDSBrowserReturnDuringPostURLRecordsOnce(t *testing.T, browserStore, postStore escott.ThreeDSStore) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	browser, post := instances(srv, browserStore, postStore)
	shop := newClaimShop(t, post)
	shop.entered, shop.hold = make(chan struct{}), make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(shop.hold) }) }
	t.Cleanup(release) // before the shop closes, even when the test fails early
	form, fields := claimStart(t, srv, browser, shop)
	srv.ReleasePostURL()
	<-shop.entered // the PostUrl callback is recording

	recordBrowser := func(_ context.Context, res *escott.ThreeDSResult) error {
		shop.record(res)
		return nil
	}
	res, err := browserReturn(browser, fields, recordBrowser)
	require.ErrorIs(t, err, escott.ErrReturnInProgress, "the browser is told the order is being recorded")
	assert.Nil(t, res)

	release()
	srv.WaitPostURL()
	assert.Equal(t, 1, shop.count(form.LinkKey))
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)

	// The shopper reloads: the result, already recorded.
	res, err = browserReturn(browser, fields, recordBrowser)
	require.NoError(t, err)
	assert.True(t, res.Duplicate)
	require.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.count(form.LinkKey), "recorded once")
}

// instances returns the clients of the browser's and the PostUrl copy's
// instance; with nil stores, one client with its memory store.
func instances(srv *escotttest.Server, browserStore, postStore escott.ThreeDSStore) (browser, post *escott.Client) {
	if browserStore == nil {
		c := srv.Client()
		return c, c
	}
	return srv.Client(escott.WithThreeDSStore(browserStore)), srv.Client(escott.WithThreeDSStore(postStore))
}

// twoTDSStores returns the 3-D Secure stores of two instances: two
// connection pools on one table.
func twoTDSStores(t *testing.T) (escott.ThreeDSStore, escott.ThreeDSStore) {
	t.Helper()
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_tds_claim")
	a, err := sqlstore.NewThreeDSStore(context.Background(), db1, sqlstore.WithTable(table))
	require.NoError(t, err)
	b, err := sqlstore.NewThreeDSStore(context.Background(), db2, sqlstore.WithTable(table))
	require.NoError(t, err)
	return a, b
}
