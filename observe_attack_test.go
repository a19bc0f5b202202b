package escott_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// A panicking observer cannot change the outcome of a link-type return: the
// payment is recorded once, a registration confirmed, a cancel stays a
// cancel, and each panic is logged.
func TestObserverPanicKeepsLinkOutcomes(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithObserver(panicky{}), escott.WithLogger(log), escott.WithJournal(jr))
	shop := newLinkShop()
	rd := startLink(t, c, 5400)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Equal(t, 1, shop.count(rd.LinkKey))

	m := escott.NewMember()
	rd, err = c.Link.StartMember(context.Background(), &escott.LinkMemberParams{Member: m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	res, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Card, "4MemRefM confirmed the registration although the observer panicked")

	rd = startLink(t, c, 700)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Cancel: true})
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrCancelled)
	pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "the payment and the cancel are journaled as finished")
	assert.Contains(t, logs.String(), "method=StartInbound")
	assert.Contains(t, logs.String(), "method=EndInbound")
}

// A Record that panics: the panic reaches the host's handler (net/http
// recovers it), the claim is released so that a reload records the payment
// once, and the observer still sees the return end (a span is not left
// open), as failed.
func TestObserverSeesLinkReturnWhoseRecordPanics(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec))
	shop := newLinkShop()
	rd := startLink(t, c, 800)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	assert.PanicsWithValue(t, "database driver bug", func() {
		_, _ = c.Link.HandleReturn(ret.Request(context.Background()), &escott.LinkReturnParams{
			Record: func(context.Context, *escott.LinkResult) error { panic("database driver bug") }})
	})
	rec.mu.Lock()
	starts, ends := len(rec.inStarts), len(rec.inbound)
	rec.mu.Unlock()
	require.Equal(t, 1, starts)
	require.Equal(t, 1, ends, "EndInbound once for the return whose Record panicked")
	in := rec.lastInbound()
	assert.Equal(t, escott.InboundLinkReturn, in.Kind)
	assert.Equal(t, escott.InboundFailed, in.Result)

	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
	assert.Equal(t, escott.InboundAccepted, rec.lastInbound().Result)
}

// The same for a 3-D Secure return whose Record panics and a notification
// whose subscriber panics: EndInbound sees them fail, and the next delivery
// is handled.
func TestObserverSeesInboundWhoseCallbackPanics(t *testing.T) {
	rec := &callRecorder{}
	srv, c := newTest(t, escott.WithObserver(rec))
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "h@example.jp", RedirectURL: linkReturnURL,
	})
	require.NoError(t, err)
	tdsRet, err := srv.Authenticate(context.Background(), form, nil)
	require.NoError(t, err)
	assert.Panics(t, func() {
		_, _ = c.ThreeDS.HandleReturn(tdsRet.Request(context.Background()), &escott.ThreeDSReturnParams{
			Record: func(context.Context, *escott.ThreeDSResult) error { panic("boom") }})
	})
	in := rec.lastInbound()
	assert.Equal(t, escott.InboundThreeDSReturn, in.Kind)
	assert.Equal(t, escott.InboundFailed, in.Result)
	_, err = c.ThreeDS.HandleReturn(tdsRet.Request(context.Background()), &escott.ThreeDSReturnParams{
		Record: func(context.Context, *escott.ThreeDSResult) error { return nil }})
	require.NoError(t, err)
	assert.Equal(t, escott.InboundAccepted, rec.lastInbound().Result)

	h, err := c.NotificationHandler()
	require.NoError(t, err)
	fail := true
	h.OnPaymentReceived(func(context.Context, escott.PaymentReceived) error {
		if fail {
			panic("subscriber bug")
		}
		return nil
	})
	assert.Panics(t, func() {
		h.ServeHTTP(newRespWriter(), escotttest.NewNotificationRequest(escotttest.NotificationParams{LinkKey: "n1"}))
	})
	in = rec.lastInbound()
	assert.Equal(t, escott.InboundNotification, in.Kind)
	assert.Equal(t, escott.InboundFailed, in.Result)
	fail = false
	w := newRespWriter()
	h.ServeHTTP(w, escotttest.NewNotificationRequest(escotttest.NotificationParams{LinkKey: "n1"}))
	assert.Equal(t, 200, w.status, "redelivered after the panic, accepted")
	assert.Equal(t, escott.InboundAccepted, rec.lastInbound().Result)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Len(t, rec.inbound, len(rec.inStarts), "every StartInbound has its EndInbound")
}
