package escott_test

import (
	"testing"

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
