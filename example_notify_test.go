package escott_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func ExampleNewNotificationHandler() {
	h, err := escott.NewNotificationHandler(escott.NotifyConfig{
		MerchantID:   escotttest.DefaultMerchantID,
		MerchantPass: escotttest.DefaultMerchantPass, // of the environment: HashCd is checked with it
		Environment:  escott.Test,                    // selects the gateway's source addresses
	})
	if err != nil {
		panic(err)
	}
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		// Mark the order found by p.LinkKey paid; return an error to have the
		// gateway redeliver later.
		fmt.Println("paid:", p.LinkKey, p.Amount, p.Agency.NameJA())
		return nil
	})
	// mux.Handle("/escott/notify/", h) — the URL registered with SPS (https, ending in /).

	// The gateway delivers a payment, then the same one again.
	note := escotttest.NotificationParams{LinkKey: "ORDER42", ProcessID: "1", ProcessPass: "p", TransactionID: "T1", RecvNum: "R1", Amount: escott.Yen(3240), CvsCd: "LSN"}
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, escotttest.NewNotificationRequest(note))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// paid: ORDER42 3240 ローソン
	// 200 0
	// 200 0
}
