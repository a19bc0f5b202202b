package escott_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// secretSink collects everything a host could print about the SDK's values:
// debug logs in both slog formats and every fmt verb of results and errors.
type secretSink struct {
	buf bytes.Buffer
}

func (s *secretSink) logger() *slog.Logger {
	h := slog.NewJSONHandler(&s.buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	t := slog.NewTextHandler(&s.buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(fanout{h, t})
}

func (s *secretSink) print(vs ...any) {
	for _, v := range vs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&s.buf, verb+"\n", v)
		}
		if b, err := json.Marshal(v); err == nil {
			s.buf.Write(b)
		}
		slog.New(slog.NewTextHandler(&s.buf, nil)).Info("value", "v", v)
	}
}

func (s *secretSink) assertClean(t *testing.T, secrets map[string]string) {
	t.Helper()
	out := s.buf.String()
	require.NotEmpty(t, out)
	for name, secret := range secrets {
		require.NotEmpty(t, secret, name)
		assert.NotContains(t, out, secret, "%s leaked", name)
		assert.NotContains(t, out, fmt.Sprintf("%x", secret), "%s leaked in hex", name)
	}
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		_ = h.Handle(ctx, r.Clone())
	}
	return nil
}
func (f fanout) WithAttrs(a []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(a)
	}
	return out
}
func (f fanout) WithGroup(n string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(n)
	}
	return out
}

func TestCardFlowsLeakNoSecret(t *testing.T) {
	ctx := context.Background()
	sink := &secretSink{}
	srv, c := newTest(t, escott.WithLogger(sink.logger()), fastRetry())
	secrets := map[string]string{
		"MerchantPass":  srv.Config().MerchantPass,
		"TokenAuthCode": srv.Config().TokenAuthCode,
		"AESKey":        srv.Config().AESKey,
		"AESIV":         srv.Config().AESIV,
	}
	sink.print(srv.Config())
	tok := srv.MustToken(escotttest.CardVisa)
	secrets["Token"] = string(tok)
	st, err := c.Token.Search(ctx, tok)
	require.NoError(t, err)
	sink.print(st, tok)

	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(100), Source: tok, Mode: escott.AuthOnly})
	require.NoError(t, err)
	secrets["ProcessPass"] = pay.Process.Pass.Reveal()
	sink.print(pay, pay.Process, pay.Raw, &pay)
	for _, f := range []func() (*escott.Payment, error){
		func() (*escott.Payment, error) { return c.Card.Inquire(ctx, pay.Process) },
		func() (*escott.Payment, error) { return c.Card.ChangeAmount(ctx, pay.Process, yen(90)) },
		func() (*escott.Payment, error) { return c.Card.Capture(ctx, pay.Process, nil) },
		func() (*escott.Payment, error) { return c.Card.Cancel(ctx, pay.Process) },
		func() (*escott.Payment, error) { return c.Card.Cancel(ctx, pay.Process) }, // K14
		func() (*escott.Payment, error) {
			return c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthParams{Amount: yen(80)})
		},
		func() (*escott.Payment, error) {
			return c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: tok})
		}, // KI2
		func() (*escott.Payment, error) {
			return c.Card.Check(ctx, &escott.CheckParams{Source: srv.MustToken(escotttest.CardDeclined)})
		},
		func() (*escott.Payment, error) {
			srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
			return c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: srv.MustToken(escotttest.CardVisa)})
		},
		func() (*escott.Payment, error) {
			srv.InjectFault(escott.OpSearch, escotttest.Fault{Kind: escotttest.FaultMalformed, Times: 3})
			return c.Card.Inquire(ctx, pay.Process)
		},
		func() (*escott.Payment, error) {
			return c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(0), Source: tok})
		},
	} {
		res, err := f()
		sink.print(res, err)
		if res != nil {
			sink.print(res.Process, res.Raw)
		}
	}
	m := escott.Member{ID: "1234567890123", Pass: "987654321098"}
	secrets["KaiinPass"] = m.Pass.Reveal()
	sink.print(m, &m, escott.PaymentParams{Source: m}, escott.Process{Member: &m, Pass: "secretpass1"})
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: m})
	sink.print(err)

	_, err = escott.NewClient(escott.Config{MerchantID: "x", MerchantPass: "bad pass!", Environment: escott.Test, AESKey: "short"})
	sink.print(err)
	secrets["bad MerchantPass"] = "bad pass!"

	sink.assertClean(t, secrets)
	assert.Contains(t, sink.buf.String(), pay.Process.LinkKey, "link keys are logged: they are how operators find payments")
}
