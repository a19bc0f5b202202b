package escott_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Subscribe to payment-received notifications: the handler is built from the
// client, verifies each notification, dedupes redeliveries and calls the
// subscribers.
func ExampleClient_NotificationHandler() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()

	// The client's Config gives the merchant ID, the password each
	// notification's signature is checked with, and the environment that
	// selects the gateway's source addresses.
	h, err := client.NotificationHandler()
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
	note := escotttest.NotificationParams{LinkKey: "ORDER42", TransactionID: "T1", ReceiptNumber: "R1", Amount: escott.Yen(3240)}
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, escotttest.NewNotificationRequest(note))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// paid: ORDER42 3240 セブン-イレブン
	// 200 0
	// 200 0
}
