package escott_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
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

// TestEveryFlowLeaksNoSecret drives every public flow — card, token, member,
// online collection, notification, 3-D Secure — with a debug logger on the
// client and the notification handler, prints every result and error in
// every verb, and fails if any secret appears.
func TestEveryFlowLeaksNoSecret(t *testing.T) {
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
	st, err := c.Token.Inquire(ctx, tok)
	require.NoError(t, err)
	sink.print(st, tok)

	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(100), Source: tok, Capture: escott.CaptureLater})
	require.NoError(t, err)
	secrets["ProcessPass"] = pay.Process.Pass.Reveal()
	sink.print(pay, pay.Process, pay.Raw, &pay)
	for _, f := range []func() (*escott.Payment, error){
		func() (*escott.Payment, error) { return c.Card.Inquire(ctx, pay.Process, nil) },
		func() (*escott.Payment, error) {
			return c.Card.ChangeAmount(ctx, pay.Process, &escott.ChangeAmountParams{Amount: yen(90)})
		},
		func() (*escott.Payment, error) { return c.Card.Capture(ctx, pay.Process, nil) },
		func() (*escott.Payment, error) { return c.Card.Cancel(ctx, pay.Process, nil) },
		func() (*escott.Payment, error) { return c.Card.Cancel(ctx, pay.Process, nil) }, // K14
		func() (*escott.Payment, error) {
			return c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(80)})
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
			return c.Card.Inquire(ctx, pay.Process, nil)
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

	// Stored-card members.
	m2 := escott.NewMember()
	secrets["KaiinPass (generated)"] = m2.Pass.Reveal()
	reg, err := c.Member.Register(ctx, m2, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardJCB)})
	require.NoError(t, err)
	card, err := c.Member.Get(ctx, m2)
	require.NoError(t, err)
	memberPay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(300), Source: m2})
	require.NoError(t, err)
	_, wrongPass := c.Member.GetMasked(ctx, escott.Member{ID: m2.ID, Pass: "wrongpass123"})
	delErr := c.Member.Delete(ctx, escott.Member{ID: m2.ID, Pass: "wrongpass123"}, nil)
	sink.print(reg, card, memberPay, wrongPass, delErr)
	secrets["card number"] = escotttest.CardJCB

	// Online collection and its notification.
	cvs, err := c.CVS.Register(ctx, cvsParams())
	require.NoError(t, err)
	secrets["ProcessPass (CVS)"] = cvs.Process.Pass.Reveal()
	inq, err := c.CVS.Inquire(ctx, cvs.Process, nil)
	require.NoError(t, err)
	sink.print(cvs, inq)
	h, err := newNotifyHandler(notifyCfg{MerchantID: escotttest.DefaultMerchantID,
		MerchantPass: escotttest.DefaultMerchantPass, Environment: escott.Test, DisableSourceCheck: true},
		escott.WithNotifyLogger(sink.logger()))
	require.NoError(t, err)
	h.OnPaymentReceived(func(_ context.Context, p escott.PaymentReceived) error { sink.print(p); return nil })
	for _, pass := range []string{cvs.Process.Pass.Reveal(), "forgedpass"} { // a valid one, then a forged HashCd
		n := escotttest.NewNotification(escotttest.NotificationParams{ProcessID: cvs.Process.ID, ProcessPass: pass,
			TransactionID: cvs.TransactionID, LinkKey: cvs.Process.LinkKey, ReceiptNumber: "R1"})
		if pass == "forgedpass" {
			n.Set("ProcessPass", cvs.Process.Pass.Reveal())
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, escotttest.NotificationRequest(n))
		parsed, perr := parseNotification(escotttest.NotificationRequest(n), notifyCfg{MerchantID: escotttest.DefaultMerchantID,
			MerchantPass: escotttest.DefaultMerchantPass, Environment: escott.Test, DisableSourceCheck: true})
		sink.print(parsed, perr)
	}

	// 3-D Secure, mode B with the challenge.
	sh := newShop(t, c)
	form, tdsTok := startB(t, srv, c, sh, escotttest.CardThreeDSChallenge)
	secrets["Token (3DS)"] = string(tdsTok)
	secrets["EncryptValue"] = form.EncryptValue.Reveal()
	ret := authenticate(t, srv, form, func(otp string) string { return otp })
	secrets["EncryptValue (return)"] = ret.fields.Get("EncryptValue")
	out := sh.deliver(t, ret)
	require.NoError(t, out.err)
	tdsPay, err := c.ThreeDS.Authorize(ctx, out.res)
	require.NoError(t, err)
	secrets["ProcessPass (3DS)"] = tdsPay.Process.Pass.Reveal()
	sink.print(form, out.res, tdsPay)

	sink.assertClean(t, secrets)
	assert.Contains(t, sink.buf.String(), pay.Process.LinkKey, "link keys are logged: they are how operators find payments")
}
