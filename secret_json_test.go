package escott_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
)

// TestSecretsRefuseJSON: a value holding a secret is never written to JSON
// with the secret lost; the explicit path (Reveal, then a struct literal)
// round-trips; loggers keep redacting.
func TestSecretsRefuseJSON(t *testing.T) {
	m := escott.Member{ID: "M1", Pass: "KAIINPASS1"}
	proc := escott.Process{ID: "P1", Pass: "PROCPASS1", LinkKey: "L1", Member: &m}
	for _, v := range []any{proc, &proc, m, escott.Secret("x"), escott.CardToken("tok"),
		escott.ThreeDSAttempt{Source: escott.CardToken("tok")}, escott.PaymentParams{Source: m},
		escott.AuthAssist{PhoneLast4: "1234"}} {
		_, err := json.Marshal(v)
		require.ErrorIs(t, err, escott.ErrSecretInJSON, "%T", v)
	}
	b, err := json.Marshal(escott.Process{ID: "P2"}) // no secret: nothing lost
	require.NoError(t, err)
	assert.Contains(t, string(b), `"Pass":""`)

	// The explicit storage path.
	row := struct{ ID, Pass, LinkKey string }{proc.ID, proc.Pass.Reveal(), proc.LinkKey}
	back := escott.Process{ID: row.ID, Pass: escott.Secret(row.Pass), LinkKey: row.LinkKey}
	assert.Equal(t, proc.Pass.Reveal(), back.Pass.Reveal())

	// Loggers redact.
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "proc", proc, "member", m, "secret", escott.Secret("SECRETX"))
	for _, s := range []string{"PROCPASS1", "KAIINPASS1", "SECRETX"} {
		assert.NotContains(t, logs.String(), s)
	}
	assert.NotContains(t, logs.String(), "!ERROR")
}
