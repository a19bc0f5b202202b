package escott_test

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

// Issue #11.5, DESIGN rule 6, gap "lost": the host crashes while recording
// the browser return. The attempt must not be completed, so that the
// PostUrl copy still has the host record the order.
func TestThreeDSBrowserReturnHostCrashIsNotLost(t *testing.T) {
	threeDSBrowserReturnHostCrashIsNotLost(t, nil, nil)
}

// threeDSBrowserReturnHostCrashIsNotLost runs the scenario with the stores
// of two instances (nil: one client with the memory store).
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

// Issue #11.5, DESIGN rule 6, gap "recorded twice": the browser return
// arrives while the PostUrl callback is recording the order. It must not
// have the host record it a second time.
func TestThreeDSBrowserReturnDuringPostURLRecordsOnce(t *testing.T) {
	threeDSBrowserReturnDuringPostURLRecordsOnce(t, nil, nil)
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

// A mode A return without ThreeDSReturnParams.Record is a programming error
// of the host, reported before anything is claimed: the PostUrl copy still
// records the order.
func TestThreeDSModeAReturnNeedsRecord(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	shop := newClaimShop(t, c)
	form, fields := claimStart(t, srv, c, shop)
	for _, p := range []*escott.ThreeDSReturnParams{nil, {}} {
		r := httptest.NewRequest(http.MethodPost, "/return", nil)
		r.PostForm = fields
		res, err := c.ThreeDS.HandleReturn(r, p)
		require.ErrorIs(t, err, escott.ErrValidation)
		assert.Contains(t, err.Error(), "Record")
		assert.Nil(t, res)
	}
	srv.ReleasePostURL()
	srv.WaitPostURL()
	assert.Equal(t, 1, shop.count(form.LinkKey))
}

// A claim left by a request that died (here: Record panicked) does not
// block the attempt: it is released, and the next delivery records it.
func TestThreeDSRecordPanicReleasesTheClaim(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	shop := newClaimShop(t, c)
	form, fields := claimStart(t, srv, c, shop)
	require.Panics(t, func() {
		_, _ = browserReturn(c, fields, func(context.Context, *escott.ThreeDSResult) error { panic("host bug") })
	})
	srv.ReleasePostURL()
	srv.WaitPostURL()
	assert.Equal(t, 1, shop.count(form.LinkKey), "the PostUrl copy recorded it")
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)
}

// Mode B: HandleReturn holds the attempt until Authorize. An Authorize that
// sent nothing releases it, so that a reload of the return page can pay;
// one that reached the gateway completes it, and a reload is a replay.
func TestThreeDSModeBAuthorizeSettlesTheClaim(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, _ := startB(t, srv, c, sh, escotttest.CardVisa)
	ret := authenticate(t, srv, form, nil)
	first := sh.deliver(t, ret)
	require.NoError(t, first.err)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.ThreeDS.Authorize(cancelled, first.res)
	require.Error(t, err)
	require.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
	assert.Equal(t, 0, srv.RequestCount(escott.OpGathering), "nothing sent")

	again := sh.deliver(t, ret)
	require.NoError(t, again.err, "released: the reload is accepted")
	pay, err := c.ThreeDS.Authorize(context.Background(), again.res)
	require.NoError(t, err)
	require.NotNil(t, pay)

	replay := sh.deliver(t, ret)
	require.ErrorIs(t, replay.err, escott.ErrReturnRefused)
	assert.Contains(t, replay.err.Error(), "replay")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}
