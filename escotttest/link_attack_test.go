package escotttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// LinkShopper's ExpYY and ExpMM each default when empty, as documented:
// a shopper given only one of them still pays.
func TestPayLinkExpiryDefaultsEach(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Client()
	for _, sh := range []escotttest.LinkShopper{
		{Card: escotttest.CardVisa, ExpYY: "39"},
		{Card: escotttest.CardVisa, ExpMM: "01"},
	} {
		rd, err := c.Link.Start(context.Background(), &escott.LinkStartParams{Amount: escott.Yen(100), RedirectURL: "https://shop.example/r"})
		require.NoError(t, err)
		ret, err := srv.PayLink(context.Background(), rd, sh)
		require.NoError(t, err)
		_, err = c.Link.HandleReturn(ret.Request(context.Background()), &escott.LinkReturnParams{
			Record: func(context.Context, *escott.LinkResult) error { return nil }})
		require.NoError(t, err)
	}
}
