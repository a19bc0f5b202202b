package escottotel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	escottotel "github.com/escott-go/escott/otel"
)

// Trace a client's gateway calls. A host passes its own providers (or none:
// the global ones); here the spans go to memory to be printed.
func ExampleNewObserver() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))

	obs, err := escottotel.NewObserver(escottotel.WithTracerProvider(tp), escottotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client, err := escott.NewClient(srv.Config(), escott.WithObserver(obs))
	if err != nil {
		panic(err)
	}

	// The host's checkout span; the gateway call becomes its child.
	ctx, checkout := tp.Tracer("shop").Start(context.Background(), "checkout")
	_, err = client.Card.Pay(ctx, &escott.PaymentParams{
		Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "order1001",
	})
	checkout.End()
	if err != nil {
		panic(err)
	}

	for _, s := range spans.Ended() {
		fmt.Print(s.Name())
		for _, a := range s.Attributes() {
			if a.Key == escottotel.AttrOutcome || a.Key == escottotel.AttrLinkKey {
				fmt.Print(" ", a.Key, "=", a.Value.String())
			}
		}
		fmt.Println(" child of checkout:", s.Parent().SpanID() == checkout.SpanContext().SpanID())
	}
	// Output:
	// escott 1Gathering escott.link_key=order1001 escott.outcome=succeeded child of checkout: true
	// checkout child of checkout: false
}
