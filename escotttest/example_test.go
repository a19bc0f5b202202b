package escotttest_test

import (
	"context"
	"fmt"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// A test of a 3-D Secure checkout without a browser: start, let the fake play
// the shopper (answering the challenge), hand the return to the client, and
// authorise.
func ExampleServer_Authenticate() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	form, err := client.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount:          escott.Yen(5400),
		Source:          srv.MustToken(escotttest.CardThreeDSChallenge),
		BillingFullName: "TARO YAMADA",
		BillingEmail:    "taro@example.jp",
		RedirectURL:     "http://127.0.0.1:8080/3ds/return",
	})
	if err != nil {
		panic(err)
	}
	ret, err := srv.Authenticate(ctx, form, nil) // nil: type the code the challenge page shows
	if err != nil {
		panic(err)
	}
	res, err := client.ThreeDS.HandleReturn(ret.Request(ctx), nil)
	if err != nil {
		panic(err)
	}
	pay, err := client.ThreeDS.Authorize(ctx, res)
	if err != nil {
		panic(err)
	}
	info, _ := srv.Process(pay.Process.ID)
	fmt.Println(ret.Challenged, res.SecureResultCode, info.State, info.ThreeDS)
	// Output: true 0 authenticated captured true
}

func ExampleGateway_InjectFault() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	_, err := client.Card.Pay(context.Background(), &escott.PaymentParams{
		Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa),
	})
	fmt.Println(err != nil, srv.RequestCount(escott.OpGathering))
	// Output: true 1
}
