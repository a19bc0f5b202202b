package escott_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// The hosted page offers a member's stored card, but the shopper types
// another card: the payment is not the member's (the page pays a new card
// as itself). The result's Process must say so — no Member — so that the
// follow-ups are sent as the gateway wants them, at the first try.
func TestLinkMemberOfferedButNewCardTyped(t *testing.T) {
	srv, c := newTest(t)
	m := escott.NewMember()
	_, err := c.Member.Register(context.Background(), m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	rd, err := c.Link.Start(context.Background(), &escott.LinkStartParams{Amount: escott.Yen(900), Member: &m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardJCB})
	shop := newLinkShop()
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Payment)
	assert.Nil(t, res.Payment.Process.Member, "paid with a typed card, not as the member")
	_, err = c.Card.Cancel(context.Background(), res.Payment.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.RequestCount(escott.OpDelete), "the cancel goes through at the first request")

	// With the stored card the process is the member's.
	rd, err = c.Link.Start(context.Background(), &escott.LinkStartParams{Amount: escott.Yen(900), Member: &m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{UseStoredCard: true})
	res, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Payment.Process.Member)
	assert.Equal(t, m.ID, res.Payment.Process.Member.ID)
	_, err = c.Card.Cancel(context.Background(), res.Payment.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.RequestCount(escott.OpDelete))
}
