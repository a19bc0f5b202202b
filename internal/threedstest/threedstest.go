// Package threedstest holds the 3-D Secure claim scenarios that every
// ThreeDSStore must pass (the memory store in package escott's tests, the SQL
// store in internal/pgtest): a host that crashes while recording loses no
// order, and a browser return during a PostUrl copy records nothing twice.
package threedstest

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
)

// Shop is a mode A shop whose PostUrl callback and browser-return
// recording both count what the host recorded, per link key.
type Shop struct {
	mu       sync.Mutex
	recorded map[string]int
	// Post serves the shop's PostUrl handler.
	Post *httptest.Server
	// Hold, when set, makes the PostUrl callback close Entered and wait for
	// Hold before recording.
	Entered, Hold chan struct{}
}

// NewShop serves c's PostUrl handler, recording every payment.
func NewShop(t *testing.T, c *escott.Client) *Shop {
	t.Helper()
	s := &Shop{recorded: map[string]int{}}
	s.Post = httptest.NewServer(c.ThreeDS.PostURLHandler(func(_ context.Context, res *escott.ThreeDSResult) error {
		if s.Hold != nil {
			close(s.Entered)
			<-s.Hold
		}
		s.Record(res)
		return nil
	}, nil))
	t.Cleanup(s.Post.Close)
	return s
}

// Record counts one recording of res by the host.
func (s *Shop) Record(res *escott.ThreeDSResult) {
	s.mu.Lock()
	s.recorded[res.LinkKey]++
	s.mu.Unlock()
}

// Count is how often the host recorded the order of linkKey.
func (s *Shop) Count(linkKey string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded[linkKey]
}

// BrowserReturn hands the shopper's return to the SDK, with record as the
// host's recording of the order.
func BrowserReturn(c *escott.Client, fields url.Values, record func(context.Context, *escott.ThreeDSResult) error) (*escott.ThreeDSResult, error) {
	r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/return", nil)
	r.PostForm = fields
	return c.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: record})
}

// ErrHostCrashed is the failure of a host that crashed while recording.
var ErrHostCrashed = errors.New("host crashed before recording the order")

// Start starts a mode A attempt whose PostUrl copy is held back.
func Start(t *testing.T, srv *escotttest.Server, c *escott.Client, s *Shop) (*escott.ThreeDSForm, url.Values) {
	t.Helper()
	srv.HoldPostURL()
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(4100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "hanako@example.jp", RedirectURL: s.Post.URL + "/return", PostURL: s.Post.URL,
	})
	require.NoError(t, err)
	ret, err := srv.Authenticate(context.Background(), form, nil)
	require.NoError(t, err)
	return form, ret.Fields
}

// BrowserReturnHostCrashIsNotLost runs the scenario with the stores
// of two Instances (nil: one client with the memory store).
func BrowserReturnHostCrashIsNotLost(t *testing.T, browserStore, postStore escott.ThreeDSStore) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	browser, post := Instances(srv, browserStore, postStore)
	shop := NewShop(t, post)
	form, fields := Start(t, srv, browser, shop)

	res, err := BrowserReturn(browser, fields, func(context.Context, *escott.ThreeDSResult) error { return ErrHostCrashed })
	require.ErrorIs(t, err, ErrHostCrashed, "the host's failure comes back")
	assert.Nil(t, res)
	assert.Equal(t, 0, shop.Count(form.LinkKey))

	srv.ReleasePostURL()
	srv.WaitPostURL()
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)
	assert.Equal(t, 1, shop.Count(form.LinkKey), "the PostUrl copy had the host record the order")

	// A reload of the return page: the order is already recorded.
	res, err = BrowserReturn(browser, fields, func(_ context.Context, res *escott.ThreeDSResult) error {
		shop.Record(res)
		return nil
	})
	require.NoError(t, err)
	assert.True(t, res.Duplicate)
	assert.Equal(t, 1, shop.Count(form.LinkKey))
}

// BrowserReturnDuringPostURLRecordsOnce (issue #11.5, gap "recorded twice"): the
// browser return arrives while the PostUrl callback is recording the order;
// the host must not record it a second time.
func BrowserReturnDuringPostURLRecordsOnce(t *testing.T, browserStore, postStore escott.ThreeDSStore) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	browser, post := Instances(srv, browserStore, postStore)
	shop := NewShop(t, post)
	shop.Entered, shop.Hold = make(chan struct{}), make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(shop.Hold) }) }
	t.Cleanup(release) // before the shop closes, even when the test fails early
	form, fields := Start(t, srv, browser, shop)
	srv.ReleasePostURL()
	<-shop.Entered // the PostUrl callback is recording

	recordBrowser := func(_ context.Context, res *escott.ThreeDSResult) error {
		shop.Record(res)
		return nil
	}
	res, err := BrowserReturn(browser, fields, recordBrowser)
	require.ErrorIs(t, err, escott.ErrReturnInProgress, "the browser is told the order is being recorded")
	assert.Nil(t, res)

	release()
	srv.WaitPostURL()
	assert.Equal(t, 1, shop.Count(form.LinkKey))
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)

	// The shopper reloads: the result, already recorded.
	res, err = BrowserReturn(browser, fields, recordBrowser)
	require.NoError(t, err)
	assert.True(t, res.Duplicate)
	require.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.Count(form.LinkKey), "recorded once")
}

// Instances returns the clients of the browser's and the PostUrl copy's
// instance; with nil stores, one client with its memory store.
func Instances(srv *escotttest.Server, browserStore, postStore escott.ThreeDSStore) (browser, post *escott.Client) {
	if browserStore == nil {
		c := srv.Client()
		return c, c
	}
	return srv.Client(escott.WithThreeDSStore(browserStore)), srv.Client(escott.WithThreeDSStore(postStore))
}
