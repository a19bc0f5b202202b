// Command card takes a card payment by token against the built-in fake
// gateway and manages it afterwards: authorise, capture, change the amount,
// inquire and cancel, printing each step.
//
//	go run ./examples/card
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	gw := escotttest.NewServer(escotttest.Config{})
	defer gw.Close()
	fmt.Println("fake e-SCOTT Smart gateway at", gw.URL)

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := escott.NewClient(gw.Config(), escott.WithLogger(logger))
	if err != nil {
		return err
	}

	// The shopper's browser would run the token script; here the fake mints a
	// token for its VISA test card.
	token := gw.MustToken(escotttest.CardVisa)
	fmt.Println("1. token from the token script:", token, "(tokens never print)")

	auth, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount:  escott.Yen(12800),
		Source:  token,
		Capture: escott.CaptureLater,
	})
	if err != nil {
		return err
	}
	fmt.Printf("2. authorised %s yen: ProcessId=%s link key=%s approval=%s\n",
		auth.Amount, auth.Process.ID, auth.Process.LinkKey, auth.ApprovalNumber)

	if _, err := client.Card.Capture(ctx, auth.Process, nil); err != nil {
		return err
	}
	fmt.Println("3. captured (sales recorded today, JST)")

	if _, err := client.Card.ChangeAmount(ctx, auth.Process, &escott.ChangeAmountParams{Amount: escott.Yen(9800)}); err != nil {
		return err
	}
	fmt.Println("4. amount changed to 9800 yen")

	got, err := client.Card.Inquire(ctx, auth.Process, nil)
	if err != nil {
		return err
	}
	fmt.Printf("5. inquiry: amount %s, sales date %s\n", got.Amount, got.SalesDate.Format("2006-01-02"))

	if _, err := client.Card.Cancel(ctx, auth.Process, nil); err != nil {
		return err
	}
	fmt.Println("6. cancelled")

	_, err = client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(500), Source: gw.MustToken(escotttest.CardDeclined)})
	var gerr *escott.Error
	if errors.As(err, &gerr) {
		fmt.Printf("7. a declined card: %s (declined=%v)\n   shopper sees: %s\n",
			gerr.Codes[0], errors.Is(err, escott.ErrDeclined), gerr.ShopperMessage("ja"))
	}
	return nil
}
