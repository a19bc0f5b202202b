package escott_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/threedstest"
)

// Issue #11.5, DESIGN rule 6, gap "lost": the host crashes while recording
// the browser return. The attempt must not be completed, so that the
// PostUrl copy still has the host record the order.
func TestThreeDSBrowserReturnHostCrashIsNotLost(t *testing.T) {
	threedstest.BrowserReturnHostCrashIsNotLost(t, nil, nil)
}

// Issue #11.5, DESIGN rule 6, gap "recorded twice": the browser return
// arrives while the PostUrl callback is recording the order. It must not
// have the host record it a second time.
func TestThreeDSBrowserReturnDuringPostURLRecordsOnce(t *testing.T) {
	threedstest.BrowserReturnDuringPostURLRecordsOnce(t, nil, nil)
}

// A mode A return without ThreeDSReturnParams.Record is a programming error
// of the host, reported before anything is claimed: the PostUrl copy still
// records the order.
func TestThreeDSModeAReturnNeedsRecord(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	shop := threedstest.NewShop(t, c)
	form, fields := threedstest.Start(t, srv, c, shop)
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
	assert.Equal(t, 1, shop.Count(form.LinkKey))
}

// A claim left by a request that died (here: Record panicked) does not
// block the attempt: it is released, and the next delivery records it.
func TestThreeDSRecordPanicReleasesTheClaim(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	shop := threedstest.NewShop(t, c)
	form, fields := threedstest.Start(t, srv, c, shop)
	require.Panics(t, func() {
		_, _ = threedstest.BrowserReturn(c, fields, func(context.Context, *escott.ThreeDSResult) error { panic("host bug") })
	})
	srv.ReleasePostURL()
	srv.WaitPostURL()
	assert.Equal(t, 1, shop.Count(form.LinkKey), "the PostUrl copy recorded it")
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
