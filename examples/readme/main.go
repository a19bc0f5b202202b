// Command readme is the program shown in the README: it takes a card payment
// against the fake gateway (escotttest) and captures it.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func main() {
	// The fake gateway. In production: escott.NewClient(escott.Config{...}).
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()

	client, err := escott.NewClient(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// In a shop the token comes from the gateway's token script in the
	// shopper's browser; the fake mints one for its VISA test card.
	token := srv.MustToken(escotttest.CardVisa)

	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount:  escott.Yen(1980),
		Source:  token,
		Capture: escott.CaptureLater, // authorise now, capture when the goods ship
	})
	if err != nil {
		// *escott.Error: refused, no money moved (errors.Is(err, escott.ErrDeclined) …).
		// *escott.OutcomeUnknownError: may be charged; never retry, reconcile by link key.
		log.Fatal(err)
	}
	// Store pay.Process (ID, Pass.Reveal(), LinkKey) with the order.
	fmt.Println("authorised", pay.Amount, "yen, link key", pay.Process.LinkKey)

	if _, err := client.Card.Capture(ctx, pay.Process, nil); err != nil {
		log.Fatal(err)
	}
	got, err := client.Card.Inquire(ctx, pay.Process, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("captured, sales date", got.SalesDate.Format("2006-01-02"))
}
