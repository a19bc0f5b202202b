package escott_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/shop"
)

// startExample starts a fake gateway and a client for it; stop it when done.
func startExample() (*escotttest.Server, *escott.Client) {
	srv := escotttest.NewServer(escotttest.Config{})
	client, err := escott.NewClient(srv.Config())
	if err != nil {
		panic(err)
	}
	return srv, client
}

func ExampleNewClient() {
	_, err := escott.NewClient(escott.Config{MerchantID: "12a", Environment: escott.Production})
	fmt.Println(err)
	// Output:
	// escott: invalid config: MerchantID must be half-width digits; MerchantPass is required
}

// Charge a card token at checkout.
func ExampleCardService_Pay() {
	srv, client := startExample()
	defer srv.Close()
	// In a real checkout the token comes from the token script in the
	// shopper's browser; the fake mints one for a test card.
	token := srv.MustToken(escotttest.CardVisa)

	// Detach the charge from the shopper's request, and bound it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount:   escott.Yen(1980),
		Source:   token,
		LinkKey:  "ORDER1001", // one per order: it finds the payment if the answer is lost
		OrderRef: "1001",
	})
	if err != nil {
		panic(err) // see ExampleError for what to do with each error
	}
	// Store pay.Process with the order: ID, Pass.Reveal() and LinkKey.
	fmt.Println(pay.Amount, pay.Process.LinkKey, pay.Process.ID != "")
	// Output: 1980 ORDER1001 true
}

func ExampleCardService_Pay_declined() {
	srv, client := startExample()
	defer srv.Close()
	_, err := client.Card.Pay(context.Background(), &escott.PaymentParams{
		Amount: escott.Yen(1980),
		Source: srv.MustToken(escotttest.CardDeclined),
	})
	var gerr *escott.Error
	if errors.As(err, &gerr) {
		fmt.Println(errors.Is(err, escott.ErrDeclined), gerr.Codes[0].Value)
		fmt.Println(gerr.ShopperMessage("en"))
	}
	// Output:
	// true G12
	// This card cannot be used for this payment. Please use another card or contact your card issuer.
}

func ExampleCardService_Capture() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()
	auth, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount:  escott.Yen(5000),
		Source:  srv.MustToken(escotttest.CardMastercard),
		Capture: escott.CaptureLater, // 与信のみ: capture when the goods ship
	})
	if err != nil {
		panic(err)
	}
	if _, err := client.Card.Capture(ctx, auth.Process, nil); err != nil {
		panic(err)
	}
	info, _ := srv.Process(auth.Process.ID)
	fmt.Println(info.State)
	// Output: captured
}

func ExampleCardService_ChangeAmount() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(5000), Source: srv.MustToken(escotttest.CardJCB)})
	if err != nil {
		panic(err)
	}
	if _, err := client.Card.ChangeAmount(ctx, pay.Process, &escott.ChangeAmountParams{Amount: escott.Yen(4200)}); err != nil {
		panic(err)
	}
	info, _ := srv.Process(pay.Process.ID)
	fmt.Println(info.Amount)
	// Output: 4200
}

func ExampleCardService_Cancel() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(800), Source: srv.MustToken(escotttest.CardAmex)})
	if err != nil {
		panic(err)
	}
	if _, err := client.Card.Cancel(ctx, pay.Process, nil); err != nil {
		panic(err)
	}
	_, err = client.Card.Cancel(ctx, pay.Process, nil)
	fmt.Println(errors.Is(err, escott.ErrState))
	// Output: true
}

func ExampleCardService_Inquire() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1234), Source: srv.MustToken(escotttest.CardDiners)})
	if err != nil {
		panic(err)
	}
	got, err := client.Card.Inquire(ctx, pay.Process, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Amount, got.SalesDate.Location())
	// Output: 1234 JST
}

func ExampleCardService_Reauthorize() {
	srv, client := startExample()
	defer srv.Close()
	ctx := context.Background()
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(3000), Source: srv.MustToken(escotttest.CardVisa)})
	if err != nil {
		panic(err)
	}
	if _, err := client.Card.Cancel(ctx, pay.Process, nil); err != nil {
		panic(err)
	}
	// The new payment keeps the original's mode: this one was CaptureNow, so
	// it is captured again (SalesDate defaults to today in JST).
	re, err := client.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: escott.Yen(2700)})
	if err != nil {
		panic(err)
	}
	info, _ := srv.Process(re.Process.ID)
	fmt.Println(re.Process.ID != pay.Process.ID, info.State, info.Amount)
	// Output: true captured 2700
}

func ExampleCardService_Check() {
	srv, client := startExample()
	defer srv.Close()
	res, err := client.Card.Check(context.Background(), &escott.CheckParams{Source: srv.MustToken(escotttest.CardVisa)})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.OperateID, res.SecurityCodeResult)
	// Output: 1Check match
}

func ExamplePayTypeChoices() {
	for _, pt := range escott.PayTypeChoices("3782", escott.InstallmentsRevolvingAndBonus) {
		fmt.Print(shop.PayTypeLabel(pt), " ")
	}
	fmt.Println()
	// Output: 一括払い 3回払い 5回払い 6回払い 10回払い 12回払い 15回払い 18回払い 20回払い 24回払い ボーナス一括払い
}

func ExampleTokenService_ScriptTag() {
	client, err := escott.NewClient(escott.Config{
		MerchantID: "1234567", MerchantPass: "pass", Environment: escott.Test, TokenAuthCode: "ABCDEF123",
	})
	if err != nil {
		panic(err)
	}
	tag, err := client.Token.ScriptTag("onToken")
	if err != nil {
		panic(err)
	}
	fmt.Println(tag)
	// Output: <script type="text/javascript" src="https://www.test.e-scott.jp/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=ABCDEF123" callBackFunc="onToken" class="spsvToken"></script>
}

func ExampleTokenService_Inquire() {
	srv, client := startExample()
	defer srv.Close()
	st, err := client.Token.Inquire(context.Background(), srv.MustToken(escotttest.CardVisa))
	if err != nil {
		panic(err)
	}
	fmt.Println(st.ResponseCode, st.TokenResponseCode)
	// Output: OK OK
}

func ExampleOutcomeUnknownError() {
	srv, client := startExample()
	defer srv.Close()
	// The gateway processes the payment, then the connection drops.
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err := client.Card.Pay(context.Background(), &escott.PaymentParams{
		Amount: escott.Yen(1000), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "ORDER20261126001",
	})
	var unknown *escott.OutcomeUnknownError
	if errors.As(err, &unknown) {
		// Not re-sent. Find it in the console by 自由領域1, or list the journal.
		pending, _ := client.Journal().Pending(context.Background(), time.Now())
		fmt.Println(unknown.LinkKey, len(pending), srv.RequestCount(escott.OpGathering))
	}
	// Output: ORDER20261126001 1 1
}
