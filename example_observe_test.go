package escott_test

import (
	"context"
	"fmt"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// outcomes is an Observer that prints how each gateway call ended; the
// module github.com/escott-go/escott/otel is one that records OpenTelemetry
// spans and metrics instead.
type outcomes struct{ escott.NopObserver }

func (outcomes) EndCall(_ context.Context, c escott.Call) {
	fmt.Println(c.Operation, c.Service, c.LinkKey, c.Outcome, c.Codes)
}

func ExampleWithObserver() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client(escott.WithObserver(outcomes{}))
	ctx := context.Background()

	_, _ = client.Card.Pay(ctx, &escott.PaymentParams{
		Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "order1001",
	})
	_, _ = client.Card.Pay(ctx, &escott.PaymentParams{
		Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardDeclined), LinkKey: "order1002",
	})
	// Output:
	// 1Gathering card order1001 succeeded []
	// 1Gathering card order1002 refused [G12]
}
