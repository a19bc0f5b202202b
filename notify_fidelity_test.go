package escott_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// rawNotification posts body to h exactly as the gateway would (a form POST
// from a test-environment source address), with the given Content-Type.
func rawNotification(h http.Handler, body, contentType string) (int, string) {
	r := escotttest.NotificationRequest(url.Values{})
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Type", contentType)
	return serve(h, r)
}

// TestNotifyDedupeKeyInjective: two different payments whose identifying
// fields contain '|' used to share a dedupe key, so the second was
// acknowledged as a duplicate and never reached the subscriber.
func TestNotifyDedupeKeyInjective(t *testing.T) {
	h, rec := newHandler(t, notifyConfig())
	a := escotttest.NotificationParams{TransactionID: "T1|R", ReceiptNumber: "X", ProcessPass: "PA"}
	b := escotttest.NotificationParams{TransactionID: "T1", ReceiptNumber: "R|X", ProcessPass: "PB"}
	code, _ := serve(h, escotttest.NewNotificationRequest(a))
	require.Equal(t, http.StatusOK, code)
	code, _ = serve(h, escotttest.NewNotificationRequest(b))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, 2, rec.count(), "both payments reach the subscriber")
	assert.Equal(t, "T1|R", rec.payments[0].TransactionID)
	assert.Equal(t, "T1", rec.payments[1].TransactionID)

	// A real redelivery is still a duplicate.
	code, _ = serve(h, escotttest.NewNotificationRequest(b))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, rec.count())

	// Other events: Condition and ResponseCd are part of the key too.
	c1 := escotttest.NotificationParams{TransactionID: "T2", ReceiptNumber: "R", Condition: "001|W99", ResponseCode: "W01",
		ProcessPass: "P"}
	c2 := escotttest.NotificationParams{TransactionID: "T2", ReceiptNumber: "R", Condition: "001", ResponseCode: "W99|W01",
		ProcessPass: "P"}
	code, _ = serve(h, escotttest.NewNotificationRequest(c1))
	require.Equal(t, http.StatusOK, code)
	code, _ = serve(h, escotttest.NewNotificationRequest(c2))
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, rec.others, 2)
}

// TestNotifyLenientBodies: a notification as PHP's parse_str reads it is
// delivered (200, subscriber ran), not refused with a 400.
func TestNotifyLenientBodies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func(string) string
	}{
		{"trailing ampersand", func(s string) string { return s + "&" }},
		{"empty pairs", func(s string) string { return "&" + strings.ReplaceAll(s, "&", "&&") + "&" }},
		{"white space around values", func(s string) string {
			return strings.Replace(strings.Replace(s, "ResponseCd=OK", "ResponseCd=+OK+", 1), "Condition=000", "Condition=%20000", 1)
		}},
		{"stray percent in a display field", func(s string) string { return s + "&MerchantFree2=100%&MerchantName=50%off" }},
		{"same field twice with the same value", func(s string) string { return s + "&Condition=000" }},
		{"trailing CRLF", func(s string) string { return s + "\r\n" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newHandler(t, notifyConfig())
			body := tc.rewrite(escotttest.NewNotification(escotttest.NotificationParams{ProcessPass: "PP"}).Encode())
			code, answer := rawNotification(h, body, "application/x-www-form-urlencoded")
			assert.Equal(t, http.StatusOK, code)
			assert.Equal(t, "0", answer)
			require.Equal(t, 1, rec.count(), "delivered as a payment")
			assert.True(t, rec.payments[0].HashVerified)
		})
	}
	for _, tc := range []struct{ name, extra string }{
		{"RecvNum twice with different values", "&RecvNum=2"},
		{"MerchantId twice with different values", "&MerchantId=1"},
		{"HashCd twice with different values", "&HashCd=" + strings.Repeat("0", 32)},
		{"MerchantFree1 twice with different values", "&MerchantFree1=other"},
		{"OperateId twice with different values", "&OperateId=2Chg"},
		{"ResponseCd twice with different values", "&ResponseCd=W99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newHandler(t, notifyConfig())
			body := escotttest.NewNotification(escotttest.NotificationParams{}).Encode() + tc.extra
			code, _ := rawNotification(h, body, "application/x-www-form-urlencoded")
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, 0, rec.count())
			assert.Empty(t, rec.others)
		})
	}
}

// TestNotifyDisasterRecoverySourcesInTest: the disaster-recovery addresses
// belong to the test environment's list too (Welcart 2.12.1).
func TestNotifyDisasterRecoverySourcesInTest(t *testing.T) {
	h, rec := newHandler(t, notifyConfig())
	for _, ip := range []string{"13.208.56.91", "13.208.108.172", "15.152.0.135"} {
		r := escotttest.NewNotificationRequest(escotttest.NotificationParams{})
		r.RemoteAddr = ip + ":443"
		code, _ := serve(h, r)
		assert.Equal(t, http.StatusOK, code, ip)
	}
	assert.Equal(t, 3, rec.count())
}

// TestNotifyHashRequiredByDefault: without HashCd a notification is refused
// in both environments, with a log line naming the remedy; the documented
// opt-out accepts it with a warning.
func TestNotifyHashRequiredByDefault(t *testing.T) {
	for _, env := range []escott.Environment{escott.Test, escott.Production} {
		var logs bytes.Buffer
		cfg := notifyConfig()
		cfg.Environment, cfg.DisableSourceCheck = env, true
		h, rec := newHandler(t, cfg, escott.WithNotifyLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		code, answer := serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{OmitHash: true}))
		assert.Equal(t, http.StatusForbidden, code)
		assert.Equal(t, "1", answer)
		assert.Equal(t, 0, rec.count())
		assert.Contains(t, logs.String(), "HashCd missing")
		assert.Contains(t, logs.String(), "AllowMissingHash", "the log names the remedy")

		cfg.AllowMissingHash = true
		logs.Reset()
		h, rec = newHandler(t, cfg, escott.WithNotifyLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		code, _ = serve(h, escotttest.NewNotificationRequest(escotttest.NotificationParams{OmitHash: true}))
		assert.Equal(t, http.StatusOK, code)
		require.Equal(t, 1, rec.count())
		assert.False(t, rec.payments[0].HashVerified)
		assert.Contains(t, logs.String(), "without HashCd")
		// A wrong HashCd is refused even with the opt-out.
		f := escotttest.NewNotification(escotttest.NotificationParams{})
		f.Set("HashCd", strings.Repeat("a", 32))
		code, _ = serve(h, escotttest.NotificationRequest(f))
		assert.Equal(t, http.StatusForbidden, code)
	}
}

// TestFakeNotificationCarriesHashByDefault: the fake gateway sends HashCd
// unless told otherwise.
func TestFakeNotificationCarriesHashByDefault(t *testing.T) {
	f := escotttest.NewNotification(escotttest.NotificationParams{ProcessPass: "PP", ReceiptNumber: "R1"})
	assert.Equal(t, escotttest.NotificationHash("PP", "R1", escotttest.DefaultMerchantPass), f.Get("HashCd"))
}

// TestNotifyShiftJIS: a notification whose Content-Type declares Shift_JIS
// (or EUC-JP) has its text fields decoded from that charset.
func TestNotifyShiftJIS(t *testing.T) {
	for _, tc := range []struct {
		charset string
		enc     func(string) string
	}{
		{"Shift_JIS", func(s string) string { v, _ := japanese.ShiftJIS.NewEncoder().String(s); return v }},
		{"shift-jis", func(s string) string { v, _ := japanese.ShiftJIS.NewEncoder().String(s); return v }},
		{"Windows-31J", func(s string) string { v, _ := japanese.ShiftJIS.NewEncoder().String(s); return v }},
		{"EUC-JP", func(s string) string { v, _ := japanese.EUCJP.NewEncoder().String(s); return v }},
	} {
		t.Run(tc.charset, func(t *testing.T) {
			h, rec := newHandler(t, notifyConfig())
			f := escotttest.NewNotification(escotttest.NotificationParams{})
			f.Set("MerchantFree2", tc.enc("注文１２３"))
			f.Set("MerchantName", tc.enc("ソニー商店"))
			code, _ := rawNotification(h, f.Encode(), "application/x-www-form-urlencoded; charset="+tc.charset)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, 1, rec.count())
			assert.Equal(t, "注文１２３", rec.payments[0].MerchantFree2)
			assert.Equal(t, "ソニー商店", rec.payments[0].Raw.Get("MerchantName"))
		})
	}
}

// TestNotifyDisplayFieldNotText: a display-only field that is not valid
// text (Shift_JIS bytes sent as if UTF-8, a control character) never makes
// the notification fail; the payment is delivered.
func TestNotifyDisplayFieldNotText(t *testing.T) {
	sjis, _ := japanese.ShiftJIS.NewEncoder().String("山田")
	for _, field := range []string{"MerchantName", "MerchantFree2", "MerchantFree3", "MailAddress"} {
		t.Run(field, func(t *testing.T) {
			h, rec := newHandler(t, notifyConfig())
			f := escotttest.NewNotification(escotttest.NotificationParams{})
			f.Set(field, sjis+"\x01")
			code, _ := serve(h, escotttest.NotificationRequest(f))
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, 1, rec.count())
			p := rec.payments[0]
			assert.Equal(t, sjis+"\x01", p.Raw.Get(field), "raw bytes kept")
			assert.True(t, strings.ToValidUTF8(p.MerchantFree2, "") == p.MerchantFree2, "MerchantFree2 is valid UTF-8")
		})
	}
	// A field the outcome depends on stays strict.
	h, rec := newHandler(t, notifyConfig())
	f := escotttest.NewNotification(escotttest.NotificationParams{})
	f.Set("MerchantFree1", sjis)
	code, _ := serve(h, escotttest.NotificationRequest(f))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, 0, rec.count())
}

// TestNotifySourcesNotMutable: changing the exported reference lists does not
// open the handler to other addresses.
func TestNotifySourcesNotMutable(t *testing.T) {
	saved := escott.NotifySources(escott.Test)[0]
	escott.NotifySources(escott.Test)[0] = "203.0.113.9"
	t.Cleanup(func() { escott.NotifySources(escott.Test)[0] = saved })
	h, rec := newHandler(t, notifyConfig())
	r := escotttest.NewNotificationRequest(escotttest.NotificationParams{})
	r.RemoteAddr = "203.0.113.9:443"
	code, _ := serve(h, r)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, 0, rec.count())
}
