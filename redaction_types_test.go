package escott_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// TestNoTypeLeaksThroughFmt prints every exported type that can hold a
// secret, directly and nested in the shapes fmt treats differently (a pointer
// field printed with %s goes through fmt's bad-verb path, which calls no
// method of the fields inside), with every verb, and through slog and JSON.
func TestNoTypeLeaksThroughFmt(t *testing.T) {
	const pass, kaiin, token, merchant, ev = "PROCPASS77", "KAIINPASS88", "TOKEN99SECRET", "MERCHANTPASS66", "ENCRYPTED55VALUE"
	m := escott.Member{ID: "M1", Pass: kaiin}
	proc := escott.Process{ID: "1", Pass: pass, LinkKey: "L", Member: &m}
	raw := escott.NewFields(map[string]string{"ProcessPass": pass, "KaiinPass": kaiin, "Token": token, "EncryptValue": ev})
	srv := escotttest.NewServer(escotttest.Config{MerchantPass: merchant})
	defer srv.Close()
	client := srv.Client()
	h, err := newNotifyHandler(notifyCfg{MerchantID: "1", MerchantPass: merchant, Environment: escott.Test})
	require.NoError(t, err)
	values := []any{
		proc, m, raw, escott.CardToken(token), escott.Secret(pass), srv.Config(), client, h,
		escott.Payment{Process: proc, Raw: raw},
		escott.PaymentParams{Source: escott.CardToken(token)}, escott.PaymentParams{Source: m},
		escott.CheckParams{Source: escott.CardToken(token)},
		escott.CVSPayment{Process: proc, Raw: raw}, escott.CVSInquiry{Raw: raw},
		escott.PaymentReceived{Process: proc, Raw: raw}, escott.OtherEvent{Raw: raw},
		escott.MemberCard{Raw: raw}, escott.MemberResult{Raw: raw},
		escott.ThreeDSStartParams{Source: escott.CardToken(token)}, escott.ThreeDSMemberParams{Member: m, Token: token},
		escott.ThreeDSForm{EncryptValue: ev}, escott.ThreeDSResult{Raw: raw},
		escott.ThreeDSAttempt{Source: m, Member: &m}, escott.TokenStatus{Raw: raw},
		&escott.Error{Raw: raw}, &escott.OutcomeUnknownError{LinkKey: "L", Err: fmt.Errorf("x")},
	}
	var out strings.Builder
	printEveryWay(&out, values)
	// The services and stores print their type only.
	_, _ = client.Card.Pay(context.Background(), nil)
	fmt.Fprintf(&out, "%+v %+v %+v", client.Card, escott.NewMemoryThreeDSStore(0, 0), httptest.NewRecorder())
	assertNoSecret(t, out.String(), pass, kaiin, token, merchant, ev)
}

// printEveryWay writes each value to out in every shape a host might print it:
// value, pointer, nested in a struct, a slice and a map, with every fmt verb,
// through slog's text and JSON handlers, and as JSON when it marshals.
func printEveryWay(out *strings.Builder, values []any) {
	type wrap struct {
		P any
		V any
		L []any
		M map[string]any
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	jlog := slog.New(slog.NewJSONHandler(out, nil))
	for _, v := range values {
		ptr := any(&v)
		for _, shape := range []any{v, ptr, wrap{P: ptr, V: v, L: []any{v, ptr}, M: map[string]any{"k": ptr}}, &wrap{P: ptr}} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X"} {
				fmt.Fprintf(out, verb+"\n", shape)
			}
			log.Info("v", "v", shape)
			jlog.Info("v", "v", shape)
			if b, err := json.Marshal(shape); err == nil {
				out.Write(b)
				out.WriteString("\n")
			}
		}
	}
}

// assertNoSecret fails for each line of printed that holds a secret, as it is
// or hex-encoded.
func assertNoSecret(t *testing.T, printed string, secrets ...string) {
	t.Helper()
	for _, line := range strings.Split(printed, "\n") {
		for _, secret := range secrets {
			if strings.Contains(line, secret) || strings.Contains(line, fmt.Sprintf("%x", secret)) || strings.Contains(line, fmt.Sprintf("%X", secret)) {
				t.Errorf("leak: %.300s", line)
			}
		}
	}
}
