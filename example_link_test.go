package escott_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// A link-type checkout: the shop redirects the shopper to the gateway's
// hosted card page, and the result comes back to RedirectUrl. Record marks
// the order paid; the SDK calls it once and completes the attempt only
// after it returned nil. A shopper who cancelled is ErrCancelled.
func ExampleLinkService_Start() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	recordOrder := func(_ context.Context, res *escott.LinkResult) error {
		// In one database transaction, idempotent by link key:
		// mark the order res.Attempt.OrderRef paid, keep res.Payment.Process.
		fmt.Println("paid:", res.Payment.Amount, "order:", res.Attempt.OrderRef)
		return nil
	}
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := client.Link.HandleReturn(r, &escott.LinkReturnParams{Record: recordOrder})
		switch {
		case errors.Is(err, escott.ErrCancelled):
			fmt.Println("the shopper cancelled: show the checkout again")
		case err != nil:
			fmt.Println("not paid:", err)
		}
	}))
	defer shop.Close()

	for _, shopper := range []escotttest.LinkShopper{{Cancel: true}, {Card: escotttest.CardVisa}} {
		rd, err := client.Link.Start(ctx, &escott.LinkStartParams{
			Amount: escott.Yen(3980), RedirectURL: shop.URL + "/link/return", OrderRef: "order-7",
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		// The checkout answers rd.ServeHTTP (303 to rd.URL()); here the
		// fake plays the shopper's browser on the hosted page.
		ret, err := srv.PayLink(ctx, rd, shopper)
		if err != nil {
			fmt.Println(err)
			return
		}
		res, err := http.PostForm(ret.URL, ret.Fields)
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = res.Body.Close()
	}
	// Output:
	// the shopper cancelled: show the checkout again
	// paid: 3980 order: order-7
}
