package escott_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Capture from a job: the checkout authorised and stored the order's
// process field by field; the shipping job rebuilds the Process from that
// row and captures it.
func ExampleProcess() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()

	// At checkout: authorise only, and store what follow-ups need.
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount:  escott.Yen(5000),
		Source:  srv.MustToken(escotttest.CardVisa),
		Capture: escott.CaptureLater,
	})
	if err != nil {
		panic(err)
	}
	type orderRow struct{ GatewayID, GatewayPass, LinkKey string } // GatewayPass is a secret at rest
	row := orderRow{pay.Process.ID, pay.Process.Pass.Reveal(), pay.Process.LinkKey}

	// Later, in the job that ships the goods.
	proc := escott.Process{ID: row.GatewayID, Pass: escott.Secret(row.GatewayPass), LinkKey: row.LinkKey}
	if _, err := client.Card.Capture(ctx, proc, nil); err != nil {
		panic(err)
	}
	info, _ := srv.Process(proc.ID)
	fmt.Println(info.State, info.Amount)
	// Output: captured 5000
}

// Branch on what an error means for the order: declined (ask for another
// card), wrong state (e.g. already captured: nothing changed), outcome
// unknown (the card may have been charged: never retry, reconcile).
func ExampleError() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()

	explain := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, escott.ErrDeclined):
			return "declined: ask the shopper for another card"
		case errors.Is(err, escott.ErrWrongState):
			return "not allowed in the order's state: nothing changed"
		case errors.Is(err, escott.ErrOutcomeUnknown):
			return "outcome unknown: do not retry, reconcile by link key"
		default:
			return "failed: " + err.Error()
		}
	}

	_, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardDeclined)})
	fmt.Println(explain(err))

	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater,
	})
	fmt.Println(explain(err))
	_, err = client.Card.Capture(ctx, pay.Process, nil)
	fmt.Println(explain(err))
	_, err = client.Card.Capture(ctx, pay.Process, nil) // a second capture
	fmt.Println(explain(err))

	// The gateway processes the payment, then the connection drops.
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err = client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardVisa)})
	fmt.Println(explain(err))
	// Output:
	// declined: ask the shopper for another card
	// ok
	// ok
	// not allowed in the order's state: nothing changed
	// outcome unknown: do not retry, reconcile by link key
}

// 3-D Secure mode B: start the authentication, let the shopper
// authenticate (the fake plays the browser here), accept the return on the
// shop's return page, then authorise.
func ExampleThreeDSService_Authorize() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// Checkout: the page renders form.HTML(), which sends the shopper on.
	form, err := client.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount:          escott.Yen(4980),
		Source:          srv.MustToken(escotttest.CardThreeDSChallenge),
		BillingFullName: "TARO YAMADA",
		BillingEmail:    "taro@example.jp",
		RedirectURL:     "https://shop.example/3ds/return",
	})
	if err != nil {
		panic(err)
	}
	ret, err := srv.Authenticate(ctx, form, nil) // the shopper answers the challenge
	if err != nil {
		panic(err)
	}

	// The return page: HandleReturn gives a result only when the payment
	// may go on; a failed authentication is an *AuthenticationError.
	res, err := client.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	var failed *escott.AuthenticationError
	switch {
	case errors.As(err, &failed):
		fmt.Println("authentication failed: ask for another card")
		return
	case err != nil:
		fmt.Println("return refused:", err)
		return
	}
	pay, err := client.ThreeDS.Authorize(ctx, res)
	if err != nil {
		panic(err)
	}
	info, _ := srv.Process(pay.Process.ID)
	fmt.Println(res.SecureResultCode.Continue(), pay.Amount, info.ThreeDS)
	// Output: true 4980 true
}
