package escott_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Register an online-collection payment, receive the payment-received
// notification, and check the payment with an inquiry.
func ExampleCVSService_Register() {
	// The host's notification receiver (registered with SPS in production);
	// its handler is mounted once the client exists.
	mux := http.NewServeMux()
	receiver := httptest.NewServer(mux)
	defer receiver.Close()

	srv := escotttest.NewServer(escotttest.Config{NotifyURL: receiver.URL + "/"})
	defer srv.Close()
	client := srv.Client()

	h, err := client.NotificationHandler(escott.WithoutSourceCheck()) // the fake posts from loopback
	if err != nil {
		panic(err)
	}
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		fmt.Printf("paid: %s yen at %s (stamp %v)\n", p.Amount, p.Agency.NameJA(), p.StampFlag)
		return nil // mark the order found by p.LinkKey paid here
	})
	mux.Handle("/", h)

	ctx := context.Background()
	pay, err := client.CVS.Register(ctx, &escott.CVSParams{
		Amount:       escott.Yen(3240),
		Name:         "山田 太郎",
		NameKana:     "ﾔﾏﾀﾞ ﾀﾛｳ",
		Phone:        "03-1234-5678",
		ProductNames: []string{"Tシャツ", "靴下"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(pay.NameKana, pay.ProductName)

	// The shopper pays at Seven-Eleven (on the fake: programmatically).
	if err := srv.Pay(pay.Process.ID, "SEV"); err != nil {
		panic(err)
	}
	inq, err := client.CVS.Inquire(ctx, pay.Process, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(inq.Status)
	// Output:
	// ヤマダ　タロウ Ｔシャツ　その他
	// paid: 3240 yen at セブン-イレブン (stamp false)
	// paid
}
