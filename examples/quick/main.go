// Command quick shows stored-card ("quick") payments against the built-in
// fake gateway: register a card while paying, pay again with the stored card,
// change the card and pay, then delete the member.
//
//	go run ./examples/quick
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/shop"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// Test-environment members expire after about two months; this demo
	// moves the fake's clock by 91 days, so it keeps members for a year.
	srv := escotttest.NewServer(escotttest.Config{MemberLifetime: 365 * 24 * time.Hour})
	defer srv.Close()
	client := srv.Client(escott.WithClock(srv.Now)) // follow the fake's clock

	// First purchase: the shopper ticks "register this card".
	policy := shop.MemberChooses
	if !policy.ShouldRegister(true) {
		return errors.New("policy refused registration")
	}
	m := escott.NewMember()
	// In a real shop the token comes from the token script in the browser.
	pay, err := client.Member.RegisterAndPay(ctx, m, srv.MustToken(escotttest.CardVisa),
		&escott.PaymentParams{Amount: escott.Yen(2480), OrderRef: "order-1"})
	if err != nil {
		var mpe *escott.MemberPaymentError
		if errors.As(err, &mpe) && mpe.MemberUpdated {
			fmt.Println("card stored, payment failed: keep member", m.ID)
		}
		return fmt.Errorf("register and pay: %w", err)
	}
	// Store m.ID and m.Pass.Reveal() with the customer, and pay.Process
	// (with pay.Process.Pass.Reveal()) with the order.
	fmt.Printf("registered member %s and paid %s yen (link key %s)\n", m.ID, pay.Amount, pay.Process.LinkKey)

	// Second purchase: show the stored card, pay without typing it.
	card, err := client.Member.GetMasked(ctx, m)
	if errors.Is(err, escott.ErrMemberMismatch) {
		return fmt.Errorf("gateway lost member %s: drop the local registration: %w", m.ID, err)
	}
	if err != nil {
		return err
	}
	fmt.Printf("stored card: %s ending %s, expires %02d/%d, choices %v\n",
		card.Brand, card.Last4, card.ExpiryMonth, card.ExpiryYear, card.PayTypeChoices(escott.InstallmentsAndRevolving))
	pay, err = client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(980), Source: m, Capture: escott.CaptureLater})
	if err != nil {
		return fmt.Errorf("pay by member: %w", err)
	}
	if _, err := client.Card.Capture(ctx, pay.Process, nil); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	fmt.Println("paid 980 yen with the stored card and captured it")

	// Third purchase with another card, which replaces the stored one.
	if _, err := client.Member.ChangeCardAndPay(ctx, m, srv.MustToken(escotttest.CardMastercard),
		&escott.PaymentParams{Amount: escott.Yen(5400)}); err != nil {
		return fmt.Errorf("change card and pay: %w", err)
	}
	card, err = client.Member.GetMasked(ctx, m)
	if err != nil {
		return err
	}
	fmt.Printf("changed card to %s ending %s and paid 5400 yen\n", card.Brand, card.Last4)

	// The shopper asks the shop to remove the card. The 980-yen payment was
	// authorisation-only, so the 90-day rule applies.
	lastAuthOnly := srv.Now() // the shop's own record of the member's last 与信 sale
	if ok, from := shop.CanDelete(lastAuthOnly, srv.Now()); !ok {
		fmt.Println("an authorisation-only sale is recent: deletion is safe from", from.Format("2006-01-02"))
	}
	srv.Advance(91 * 24 * time.Hour) // the fake's clock, for the demo only
	if ok, _ := shop.CanDelete(lastAuthOnly, srv.Now()); !ok {
		return errors.New("still too early to delete")
	}
	if err := client.Member.Delete(ctx, m, nil); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	info, _ := srv.Member(m.ID)
	fmt.Println("member", m.ID, "is", info.Status)
	return nil
}
