package escottotel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	escottotel "github.com/escott-go/escott/otel"
)

// A hosted-page payment: the return's span is a child of the shop's
// handler span, and the 1Search confirming the payment a child of the
// return's span; a cancel is declined with its reason and codes; a return
// whose Record panics still ends its span, failed.
func TestLinkReturnSpans(t *testing.T) {
	w := newWorld(t, escotttest.Config{})
	ctx := context.Background()
	rd, err := w.client.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(2700), LinkKey: "linkspan1",
		RedirectURL: "https://shop.example/link/return"})
	require.NoError(t, err)
	ret, err := w.srv.PayLink(ctx, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.NoError(t, err)
	record := &escott.LinkReturnParams{Record: func(context.Context, *escott.LinkResult) error { return nil }}
	parent := w.checkout(func(ctx context.Context) {
		_, err := w.client.Link.HandleReturn(ret.Request(ctx), record)
		require.NoError(t, err)
	})
	r := w.one(t, "escott link_return")
	assert.Equal(t, parent.SpanID(), r.Parent().SpanID())
	assert.Equal(t, trace.SpanKindInternal, r.SpanKind())
	got := attrs(r)
	assert.Equal(t, "accepted", got[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "1Gathering", got[escottotel.AttrOperation].AsString())
	assert.Equal(t, "linkspan1", got[escottotel.AttrLinkKey].AsString())
	search := w.one(t, "escott 1Search")
	assert.Equal(t, r.SpanContext().SpanID(), search.Parent().SpanID(), "the confirmation is a child of the return")
	w.assertHTTPChild(t, search, 1)

	rd, err = w.client.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(2700), LinkKey: "linkspan2",
		RedirectURL: "https://shop.example/link/return"})
	require.NoError(t, err)
	ret, err = w.srv.PayLink(ctx, rd, escotttest.LinkShopper{Cancel: true})
	require.NoError(t, err)
	_, err = w.client.Link.HandleReturn(ret.Request(ctx), record)
	require.ErrorIs(t, err, escott.ErrCancelled)
	c := w.ended("escott link_return")[1]
	got = attrs(c)
	assert.Equal(t, "declined", got[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, "the shopper cancelled", got[escottotel.AttrReason].AsString())
	assert.Equal(t, []string{escotttest.LinkCancelCode}, got[escottotel.AttrResponseCodes].AsStringSlice())
	assert.Equal(t, codes.Error, c.Status().Code)

	rd, err = w.client.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(2700), LinkKey: "linkspan3",
		RedirectURL: "https://shop.example/link/return"})
	require.NoError(t, err)
	ret, err = w.srv.PayLink(ctx, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.NoError(t, err)
	assert.Panics(t, func() {
		_, _ = w.client.Link.HandleReturn(ret.Request(ctx), &escott.LinkReturnParams{
			Record: func(context.Context, *escott.LinkResult) error { panic("boom") }})
	})
	require.Len(t, w.ended("escott link_return"), 3, "the span of a return whose Record panicked is ended")
	p := w.ended("escott link_return")[2]
	assert.Equal(t, "failed", attrs(p)[escottotel.AttrInboundResult].AsString())
	assert.Equal(t, codes.Error, p.Status().Code)
}
