package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// Link type across two instances sharing the PostgreSQL store: a
// registration and a payment start on A, the shopper's browser returns to
// B, which accepts them (the member's password and the hosted mark came
// through the database); a replay to A is refused, and so is the link
// return fed to B's 3-D Secure handler.
func TestSQLLinkAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_link")
	ctx := context.Background()
	storeA, err := sqlstore.NewThreeDSStore(ctx, db1, sqlstore.WithTable(table))
	require.NoError(t, err)
	storeB, err := sqlstore.NewThreeDSStore(ctx, db2, sqlstore.WithTable(table))
	require.NoError(t, err)
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	a := srv.Client(escott.WithThreeDSStore(storeA))
	b := srv.Client(escott.WithThreeDSStore(storeB))
	recorded := map[string]int{}
	params := &escott.LinkReturnParams{Record: func(_ context.Context, res *escott.LinkResult) error {
		recorded[res.LinkKey]++
		return nil
	}}

	m := escott.NewMember()
	rd, err := a.Link.StartMember(ctx, &escott.LinkMemberParams{Member: m, RedirectURL: "https://shop.example/r",
		OrderRef: "customer-3"})
	require.NoError(t, err)
	ret, err := srv.PayLink(ctx, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.NoError(t, err)
	res, err := b.Link.HandleReturn(ret.Request(ctx), params)
	require.NoError(t, err)
	assert.Equal(t, m, *res.Member)
	assert.Equal(t, "customer-3", res.Attempt.OrderRef)
	assert.True(t, res.Attempt.Hosted)

	rd, err = a.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(3300), Member: &m,
		RedirectURL: "https://shop.example/r"})
	require.NoError(t, err)
	ret, err = srv.PayLink(ctx, rd, escotttest.LinkShopper{UseStoredCard: true})
	require.NoError(t, err)
	_, err = b.ThreeDS.HandleReturn(ret.Request(ctx), &escott.ThreeDSReturnParams{
		Record: func(context.Context, *escott.ThreeDSResult) error { return nil }})
	require.ErrorIs(t, err, escott.ErrReturnRefused, "a link return is not a 3-D Secure return")
	res, err = b.Link.HandleReturn(ret.Request(ctx), params)
	require.NoError(t, err)
	require.NotNil(t, res.Payment)
	assert.Equal(t, m.ID, res.Payment.Process.Member.ID)

	_, err = a.Link.HandleReturn(ret.Request(ctx), params)
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Equal(t, 1, recorded[rd.LinkKey])
}
