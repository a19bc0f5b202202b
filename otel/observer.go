// Package escottotel traces and counts e-SCOTT Smart gateway calls and
// inbound messages with OpenTelemetry. It is an escott.Observer: give it to
// a client with escott.WithObserver, and every gateway call becomes a client
// span (named "escott " and the operation, e.g. "escott 1Gathering") that is
// a child of the caller's span, and every notification, 3-D Secure return
// and PostUrl copy handled by the client's handlers a span of its own:
//
//	obs, err := escottotel.NewObserver() // the global providers
//	client, err := escott.NewClient(cfg, escott.WithObserver(obs))
//
// The HTTP request of a call runs with the call's span in its context, so an
// instrumented transport (otelhttp.NewTransport as the HTTP client's
// transport) nests its HTTP span under it.
//
// Spans carry the operation, the service, the link key (MerchantFree1, the
// order reference the client also logs), the outcome, the attempt count, the
// gateway's response codes, their class and the HTTP status: never a secret,
// card data or an amount, because escott.Call and escott.Inbound hold none.
// A call that did not succeed (refused, unknown, failed, not sent) ends with
// span status Error; an unknown or failed one also records its transport
// error as an exception event. Metrics, by operation and outcome, and the
// error class of a refusal (never by link key):
//
//   - escott.client.calls (counter): gateway calls;
//   - escott.client.call.duration (histogram, seconds): their duration,
//     journal included;
//   - escott.inbound.messages (counter): inbound messages by kind, event
//     and result.
//
// This package lives in its own module so that the escott library's go.mod
// does not require OpenTelemetry.
package escottotel

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escott-go/escott"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/escott-go/escott/otel"

// Attribute keys of the spans and metrics.
const (
	AttrOperation        = attribute.Key("escott.operation")          // OperateId, e.g. "1Gathering"
	AttrService          = attribute.Key("escott.service")            // "card", "member", "cvs" or "token"
	AttrLinkKey          = attribute.Key("escott.link_key")           // MerchantFree1 (spans only)
	AttrReadOnly         = attribute.Key("escott.read_only")          // a read-only call (retried)
	AttrOutcome          = attribute.Key("escott.outcome")            // escott.CallOutcome
	AttrAttempts         = attribute.Key("escott.attempts")           // requests made
	AttrResponseCodes    = attribute.Key("escott.response_codes")     // e.g. ["G12"]
	AttrErrorClass       = attribute.Key("escott.error_class")        // escott.Class of a refusal, e.g. "declined"
	AttrHTTPStatus       = attribute.Key("http.response.status_code") // of the last answer read
	AttrInboundKind      = attribute.Key("escott.inbound.kind")       // escott.InboundKind
	AttrInboundResult    = attribute.Key("escott.inbound.result")     // escott.InboundResult
	AttrEvent            = attribute.Key("escott.event")              // "payment" or "other"
	AttrSecureResultCode = attribute.Key("escott.secure_result_code") // 3-D Secure SecureResultCode
	AttrReason           = attribute.Key("escott.reason")             // why an inbound message was refused
)

// Option configures an Observer.
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider sets the tracer provider; the default is the global one
// (otel.GetTracerProvider) at the time NewObserver is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider; the default is the global one
// (otel.GetMeterProvider) at the time NewObserver is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// Observer is an escott.Observer that records spans and metrics. It is safe
// for concurrent use; one may serve several clients.
type Observer struct {
	tracer   trace.Tracer
	calls    metric.Int64Counter
	duration metric.Float64Histogram
	inbound  metric.Int64Counter
}

var _ escott.Observer = (*Observer)(nil)

// durationBuckets suit a gateway call: tens of milliseconds to a minute
// (the default HTTP client's timeout).
var durationBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// NewObserver returns an observer recording with the given providers (the
// global ones by default). An error means an instrument could not be
// created.
func NewObserver(opts ...Option) (*Observer, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	meter := c.mp.Meter(ScopeName)
	o := &Observer{tracer: c.tp.Tracer(ScopeName)}
	var err, e error
	o.calls, e = meter.Int64Counter("escott.client.calls", metric.WithUnit("{call}"),
		metric.WithDescription("e-SCOTT Smart gateway calls, by operation and outcome"))
	err = errors.Join(err, e)
	o.duration, e = meter.Float64Histogram("escott.client.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of e-SCOTT Smart gateway calls, retries and journal included"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	o.inbound, e = meter.Int64Counter("escott.inbound.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Notifications, 3-D Secure returns and PostUrl copies handled, by kind and result"))
	err = errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// startKey keys the start time of a call in its context.
type startKey struct{}

// StartCall starts the call's client span as a child of ctx's span.
func (o *Observer) StartCall(ctx context.Context, c escott.Call) context.Context {
	ctx, _ = o.tracer.Start(ctx, "escott "+c.Operation, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			AttrOperation.String(c.Operation), AttrService.String(c.Service),
			AttrLinkKey.String(c.LinkKey), AttrReadOnly.Bool(c.ReadOnly),
		))
	return context.WithValue(ctx, startKey{}, time.Now())
}

// EndCall ends the call's span and records its metrics.
func (o *Observer) EndCall(ctx context.Context, c escott.Call) {
	outcome := c.Outcome.String()
	span := trace.SpanFromContext(ctx)
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, AttrOutcome.String(outcome), AttrAttempts.Int(c.Attempts))
	if c.HTTPStatus != 0 {
		attrs = append(attrs, AttrHTTPStatus.Int(c.HTTPStatus))
	}
	if len(c.Codes) > 0 {
		attrs = append(attrs, AttrResponseCodes.StringSlice(c.Codes))
	}
	if c.Class != 0 {
		attrs = append(attrs, AttrErrorClass.String(c.Class.String()))
	}
	span.SetAttributes(attrs...)
	switch c.Outcome {
	case escott.CallSucceeded:
	case escott.CallRefused:
		desc := "refused"
		if c.Class != 0 {
			desc += ": " + c.Class.String()
		}
		span.SetStatus(codes.Error, desc)
	case escott.CallUnknown, escott.CallFailed:
		// The SDK's own transport errors: no secret, and what an operator
		// needs to see. A call not sent may carry the message of the
		// host's journal (a database error): it is not exported.
		if c.Err != nil {
			span.RecordError(c.Err)
		}
		span.SetStatus(codes.Error, outcome)
	default:
		span.SetStatus(codes.Error, outcome)
	}
	span.End()

	mattrs := []attribute.KeyValue{AttrOperation.String(c.Operation), AttrOutcome.String(outcome)}
	if c.Class != 0 {
		mattrs = append(mattrs, AttrErrorClass.String(c.Class.String())) // declined, temporary …: a few values
	}
	set := metric.WithAttributeSet(attribute.NewSet(mattrs...))
	o.calls.Add(ctx, 1, set)
	if start, ok := ctx.Value(startKey{}).(time.Time); ok {
		o.duration.Record(ctx, time.Since(start).Seconds(), set)
	}
}

// StartInbound starts the span of an inbound message: a server span when
// ctx has none (the handler is where the trace starts), else an internal
// span under the host's own server span.
func (o *Observer) StartInbound(ctx context.Context, in escott.Inbound) context.Context {
	kind := trace.SpanKindInternal
	if !trace.SpanContextFromContext(ctx).IsValid() {
		kind = trace.SpanKindServer
	}
	ctx, _ = o.tracer.Start(ctx, "escott "+in.Kind.String(), trace.WithSpanKind(kind),
		trace.WithAttributes(AttrInboundKind.String(in.Kind.String())))
	return ctx
}

// EndInbound ends the message's span and counts it.
func (o *Observer) EndInbound(ctx context.Context, in escott.Inbound) {
	span := trace.SpanFromContext(ctx)
	result := in.Result.String()
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, AttrInboundResult.String(result))
	for _, a := range []struct {
		k attribute.Key
		v string
	}{
		{AttrEvent, in.Event}, {AttrOperation, in.Operation}, {AttrLinkKey, in.LinkKey},
		{AttrSecureResultCode, string(in.SecureResultCode)}, {AttrReason, in.Reason},
	} {
		if a.v != "" {
			attrs = append(attrs, a.k.String(a.v))
		}
	}
	if len(in.Codes) > 0 {
		attrs = append(attrs, AttrResponseCodes.StringSlice(in.Codes))
	}
	if in.Status != 0 {
		attrs = append(attrs, AttrHTTPStatus.Int(in.Status))
	}
	span.SetAttributes(attrs...)
	switch in.Result {
	case escott.InboundRefused, escott.InboundDeclined, escott.InboundFailed:
		span.SetStatus(codes.Error, result)
	}
	span.End()

	o.inbound.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		AttrInboundKind.String(in.Kind.String()), AttrInboundResult.String(result), AttrEvent.String(in.Event))))
}
