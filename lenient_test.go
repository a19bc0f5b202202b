package escott_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// mangler is a front end between the client and the fake gateway that
// rewrites every answer body, as a gateway (or a proxy before it) whose
// output PHP's parse_str would still read may do.
func mangler(t *testing.T, gw *escotttest.Server, rewrite func(string) string) string {
	t.Helper()
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, gw.URL+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		ans, _ := io.ReadAll(res.Body)
		w.WriteHeader(res.StatusCode)
		_, _ = io.WriteString(w, rewrite(string(ans)))
	}))
	t.Cleanup(fe.Close)
	return fe.URL
}

// TestLenientAnswersStillSucceed: a gateway OK written the way PHP clients
// tolerate is a success, never an unknown outcome (docs/protocol.md §2).
func TestLenientAnswersStillSucceed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func(string) string
	}{
		{"trailing ampersand", func(s string) string { return s + "&" }},
		{"trailing ampersand and CRLF", func(s string) string { return s + "&\r\n" }},
		{"empty pairs", func(s string) string { return "&&" + strings.ReplaceAll(s, "&", "&&") + "&&" }},
		{"white space around ResponseCd", func(s string) string {
			return strings.Replace(s, "ResponseCd=OK", "ResponseCd=+OK%20", 1)
		}},
		{"stray percent in a display field", func(s string) string { return s + "&Memo=100%+off%" }},
		{"ResponseCd twice with the same value", func(s string) string { return s + "&ResponseCd=OK" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := escotttest.NewServer(escotttest.Config{})
			t.Cleanup(srv.Close)
			cfg := srv.Config()
			cfg.BaseURL = mangler(t, srv, tc.rewrite)
			c, err := escott.NewClient(cfg)
			require.NoError(t, err)
			pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1200),
				Source: srv.MustToken(escotttest.CardVisa)})
			require.NoError(t, err, "a gateway OK is a success")
			assert.NotEmpty(t, pay.Process.ID)
			assert.Equal(t, 1, srv.RequestCount(escott.OpGathering)+srv.RequestCount(escott.OpAuth))
		})
	}
}

// TestLenientAnswersStayStrictOnOutcome: a decisive key with two different
// values, or no ResponseCd, is still not a success.
func TestLenientAnswersStayStrictOnOutcome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func(string) string
	}{
		{"OK smuggled after an error", func(s string) string { return s + "&ResponseCd=G12" }},
		{"second ProcessId", func(s string) string { return s + "&ProcessId=999" }},
		{"ResponseCd missing", func(s string) string { return strings.Replace(s, "ResponseCd=OK", "X=OK", 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := escotttest.NewServer(escotttest.Config{})
			t.Cleanup(srv.Close)
			cfg := srv.Config()
			cfg.BaseURL = mangler(t, srv, tc.rewrite)
			c, err := escott.NewClient(cfg)
			require.NoError(t, err)
			_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1200),
				Source: srv.MustToken(escotttest.CardVisa)})
			assert.ErrorIs(t, err, escott.ErrOutcomeUnknown)
		})
	}
}

// TestLenientThreeDSResult: a 3-D Secure result whose decrypted fields have a
// trailing '&', empty pairs and white space around ResponseCd is accepted and
// authorises, as the PHP clients' parse_str would.
func TestLenientThreeDSResult(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func(string) string
	}{
		{"trailing ampersand", func(s string) string { return s + "&" }},
		{"empty pairs", func(s string) string { return "&" + strings.ReplaceAll(s, "&", "&&") }},
		{"white space around ResponseCd", func(s string) string {
			return strings.Replace(s, "ResponseCd=OK", "ResponseCd=+OK+", 1)
		}},
		{"same SecureResultCode twice", func(s string) string { return s + "&SecureResultCode=0" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, escotttest.CardThreeDSFrictionless)
			ret := authenticate(t, srv, form, nil)
			ci := testCipher(t)
			plain, err := ci.Open(ret.fields.Get("EncryptValue"))
			require.NoError(t, err)
			require.Contains(t, string(plain), "ResponseCd=OK")
			ret.fields.Set("EncryptValue", ci.Seal([]byte(tc.rewrite(string(plain)))))
			out := sh.deliver(t, ret)
			require.NoError(t, out.err)
			assert.Equal(t, escott.SecureAuthenticated, out.res.SecureResultCode)
			_, err = c.ThreeDS.Authorize(context.Background(), out.res)
			require.NoError(t, err)
		})
	}
}
