package escott_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
)

// TestHostileGatewayAnswers feeds the client answers that are not gateway
// answers. A read-only call reports a transport error (after its retries); a
// money-moving call reports an unknown outcome and is never re-sent; nothing
// panics and no garbage is taken for a result.
func TestHostileGatewayAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"empty body", 200, ""},
		{"HTML error page", 200, "<html><body>Service Temporarily Unavailable</body></html>"},
		{"no ResponseCd", 200, "OperateId=1Gathering&ProcessId=1"},
		{"empty ResponseCd", 200, "ResponseCd=&ProcessId=1"},
		{"lower-case code", 200, "ResponseCd=k20"},
		{"code of four characters", 200, "ResponseCd=K200"},
		{"empty code between pipes", 200, "ResponseCd=K20||K21"},
		{"duplicate ResponseCd (OK smuggled after an error)", 200, "ResponseCd=G12&ResponseCd=OK"},
		{"bad escape", 200, "ResponseCd=OK&ProcessId=%zz"},
		{"key with a space", 200, "ResponseCd=OK&Process Id=1"},
		{"oversized body", 200, "ResponseCd=OK&X=" + strings.Repeat("a", 70<<10)},
		{"NUL bytes", 200, "ResponseCd=OK&\x00=\x00"},
		{"HTTP 500", 500, "ResponseCd=OK"},
		{"HTTP 503", 503, ""},
		{"HTTP 404", 404, "not found"},
		{"redirect elsewhere", 302, ""},
		{"redirect that would re-POST the form", 307, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits++
				if tc.status == 302 || tc.status == 307 {
					if r.URL.Path == "/elsewhere" {
						t.Error("followed a redirect: the form (with MerchantPass) went to another URL")
					}
					http.Redirect(w, r, "/elsewhere", tc.status)
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "pass", Environment: escott.Test, BaseURL: srv.URL}, fastRetry())
			require.NoError(t, err)

			_, err = c.Card.Inquire(context.Background(), escott.Process{ID: "1", Pass: "2", LinkKey: "L1"}, nil)
			assert.ErrorIs(t, err, escott.ErrTransport)
			assert.Equal(t, 3, hits, "read-only calls are retried, boundedly")

			hits = 0
			_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100), Source: escott.CardToken("tok")})
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
			assert.Equal(t, 1, hits, "a money-moving call is never re-sent")
			assert.NotContains(t, err.Error(), "pass")
		})
	}
}
