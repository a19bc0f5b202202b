package escott_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// newTest starts a fake gateway and returns it with a client pointed at it.
func newTest(t *testing.T, opts ...escott.Option) (*escotttest.Server, *escott.Client) {
	t.Helper()
	return newTestWith(t, escotttest.Config{}, opts...)
}

// newTestWith is newTest with a gateway config.
func newTestWith(t *testing.T, cfg escotttest.Config, opts ...escott.Option) (*escotttest.Server, *escott.Client) {
	t.Helper()
	srv := escotttest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv, srv.Client(opts...)
}

// bothOutcomes hands the PostUrl callback every first arrival, a payment or a
// failed outcome (its Result), as one function.
func bothOutcomes(fn func(context.Context, *escott.ThreeDSResult) error) (
	func(context.Context, *escott.ThreeDSResult) error, func(context.Context, *escott.AuthenticationError) error) {
	return fn, func(ctx context.Context, e *escott.AuthenticationError) error { return fn(ctx, e.Result) }
}

// resultOf is the accepted 3-D Secure return of a HandleReturn call: the
// result, or the one a failed outcome (*AuthenticationError) carries; nil for
// a refused return.
func resultOf(res *escott.ThreeDSResult, err error) *escott.ThreeDSResult {
	if ae, ok := errors.AsType[*escott.AuthenticationError](err); ok {
		return ae.Result
	}
	return res
}

// jstZone is Japan Standard Time, the zone of every gateway date.
var jstZone = time.FixedZone("JST", 9*3600)

// recordNothing is the return-page recording of the test shops: they keep
// what HandleReturn returned themselves.
var recordNothing = &escott.ThreeDSReturnParams{Record: func(context.Context, *escott.ThreeDSResult) error { return nil }}
