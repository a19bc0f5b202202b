package escotttest_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/envelope"
	"github.com/escott-go/escott/internal/jst"
)

// These tests speak to the fake's OTDS010 with raw forms built as the
// production plugins build them (a url.Values plaintext, AES-128-CBC with the
// merchant's key, MerchantId + EncryptValue POSTed), not through the SDK.

var returnEVRe = regexp.MustCompile(`name="EncryptValue" value="([^"]*)"`)

func tdsCipher(t *testing.T) *envelope.Cipher {
	t.Helper()
	ci, err := envelope.New(escotttest.DefaultAESKey, escotttest.DefaultAESIV)
	require.NoError(t, err)
	return ci
}

// plainThreeDS is the plaintext a Welcart/WooCommerce-style client builds for
// OperateId op with a token.
func plainThreeDS(srv *escotttest.Server, op, linkKey, procNo, card string) url.Values {
	v := url.Values{}
	v.Set("MerchantId", escotttest.DefaultMerchantID) // production clients put it inside too
	v.Set("MerchantPass", escotttest.DefaultMerchantPass)
	v.Set("TransactionDate", jst.Date(srv.Now()))
	v.Set("OperateId", op)
	v.Set("MerchantFree1", linkKey)
	v.Set("TenantId", "0001")
	v.Set("ProcNo", procNo)
	v.Set("RedirectUrl", "https://shop.example.jp/escott/return")
	v.Set("Token", string(srv.MustToken(card)))
	v.Set("BillingFullName", "TARO YAMADA")
	v.Set("BillingEmail", "taro@example.jp")
	switch op {
	case "3Secure":
		v.Set("Amount", "1980")
	case "1Auth", "1Gathering":
		v.Set("Amount", "1980")
		v.Set("PayType", "01")
	case "4MemAdd", "4MemChg":
		v.Set("KaiinId", "K"+linkKey)
		v.Set("KaiinPass", "pass1234")
	}
	return v
}

// postOTDS posts the envelope and decrypts the result the fake sends back
// (nil when it answered an error page).
func postOTDS(t *testing.T, srv *escotttest.Server, outerMID string, plain url.Values) (url.Values, string) {
	t.Helper()
	ci := tdsCipher(t)
	res, err := http.PostForm(srv.URL+"/online/tds/OTDS010.do",
		url.Values{"MerchantId": {outerMID}, "EncryptValue": {ci.Encrypt(plain)}})
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	_ = res.Body.Close()
	m := returnEVRe.FindStringSubmatch(string(b))
	if m == nil {
		return nil, string(b)
	}
	out, err := ci.Decrypt(html.UnescapeString(m[1]))
	require.NoError(t, err)
	return out, string(b)
}

var digits18 = regexp.MustCompile(`^[0-9]{18}$`)

// Issue #12.12: every 3-D Secure result echoes ProcNo and carries a
// TransactionId.
func TestFakeThreeDSResultEchoesProcNoAndTransactionID(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	for i, op := range []string{"3Secure", "1Auth", "1Gathering", "4MemAdd"} {
		proc := "00000" + strconv.Itoa(10+i)
		out, body := postOTDS(t, srv, escotttest.DefaultMerchantID,
			plainThreeDS(srv, op, "echo"+strconv.Itoa(i), proc, escotttest.CardVisa))
		require.NotNil(t, out, body)
		assert.Equal(t, "OK", out.Get("ResponseCd"), op)
		assert.Equal(t, proc, out.Get("ProcNo"), op)
		assert.Regexp(t, digits18, out.Get("TransactionId"), op)
	}
	// 4MemChg of the member registered above.
	p := plainThreeDS(srv, "4MemChg", "echo3", "0000020", escotttest.CardMastercard)
	out, body := postOTDS(t, srv, escotttest.DefaultMerchantID, p)
	require.NotNil(t, out, body)
	assert.Equal(t, "OK", out.Get("ResponseCd"))
	assert.Equal(t, "0000020", out.Get("ProcNo"))
	assert.Regexp(t, digits18, out.Get("TransactionId"))
	// A refused request echoes them too.
	p = plainThreeDS(srv, "1Gathering", "refused1", "0000030", escotttest.CardVisa)
	p.Set("PayType", "77")
	out, body = postOTDS(t, srv, escotttest.DefaultMerchantID, p)
	require.NotNil(t, out, body)
	assert.NotEqual(t, "OK", out.Get("ResponseCd"))
	assert.Equal(t, "0000030", out.Get("ProcNo"))
	assert.Regexp(t, digits18, out.Get("TransactionId"))
}

// Issue #12.11: SPS's own modules send ProcNo 0000000 on every order; only an
// exact replay (same OperateId, MerchantFree1 and ProcNo, already completed)
// is K89.
func TestFakeThreeDSProcNo(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	for i := range 3 {
		out, body := postOTDS(t, srv, escotttest.DefaultMerchantID,
			plainThreeDS(srv, "1Gathering", "zeros"+strconv.Itoa(i), "0000000", escotttest.CardVisa))
		require.NotNil(t, out, body)
		assert.Equal(t, "OK", out.Get("ResponseCd"), "order %d with ProcNo 0000000", i)
	}
	out, _ := postOTDS(t, srv, escotttest.DefaultMerchantID,
		plainThreeDS(srv, "1Gathering", "zeros0", "0000000", escotttest.CardVisa))
	require.NotNil(t, out)
	assert.Equal(t, "K89", out.Get("ResponseCd"), "an exact replay of a completed attempt")
	out, _ = postOTDS(t, srv, escotttest.DefaultMerchantID,
		plainThreeDS(srv, "3Secure", "zeros0", "0000001", escotttest.CardVisa))
	require.NotNil(t, out)
	assert.Equal(t, "OK", out.Get("ResponseCd"), "same order, new ProcNo")

	// The memory of completed attempts expires.
	srv.Advance(25 * time.Hour)
	out, _ = postOTDS(t, srv, escotttest.DefaultMerchantID,
		plainThreeDS(srv, "1Gathering", "zeros1", "0000000", escotttest.CardVisa))
	require.NotNil(t, out)
	assert.Equal(t, "OK", out.Get("ResponseCd"), "forgotten after it expired")
}

// Issue #12.13: test cards whose 3Secure result has SecureResultCode 2, 3
// or 4 with ResponseCd U01, U02 or U15; in mode A they are authorised.
func TestFakeThreeDSUCodes(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	for i, tc := range []struct{ card, src, rc string }{
		{escotttest.CardThreeDSNotEnrolled, "2", "U01"},
		{escotttest.CardThreeDSIssuerNotParticipating, "3", "U02"},
		{escotttest.CardThreeDSAttempt, "4", "U15"},
	} {
		out, body := postOTDS(t, srv, escotttest.DefaultMerchantID,
			plainThreeDS(srv, "3Secure", "ucode"+strconv.Itoa(i), "0000000", tc.card))
		require.NotNil(t, out, body)
		assert.Equal(t, tc.src, out.Get("SecureResultCode"), tc.card)
		assert.Equal(t, tc.rc, out.Get("ResponseCd"), tc.card)
		out, body = postOTDS(t, srv, escotttest.DefaultMerchantID,
			plainThreeDS(srv, "1Gathering", "ucodea"+strconv.Itoa(i), "0000000", tc.card))
		require.NotNil(t, out, body)
		assert.Equal(t, tc.src, out.Get("SecureResultCode"), tc.card)
		assert.Equal(t, "OK", out.Get("ResponseCd"), "mode A authorises "+tc.card)
		assert.NotEmpty(t, out.Get("ProcessId"))
	}
}

// Issue #12.14: MerchantId inside the envelope as well as outside.
func TestFakeThreeDSMerchantIDInsideEnvelope(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	out, body := postOTDS(t, srv, escotttest.DefaultMerchantID,
		plainThreeDS(srv, "1Gathering", "mid1", "0000000", escotttest.CardVisa))
	require.NotNil(t, out, body)
	assert.Equal(t, "OK", out.Get("ResponseCd"))
	assert.Empty(t, out.Get("MerchantId"), "the result does not carry it")

	p := plainThreeDS(srv, "1Gathering", "mid2", "0000000", escotttest.CardVisa)
	p.Set("MerchantId", "7654321")
	out, body = postOTDS(t, srv, escotttest.DefaultMerchantID, p)
	require.NotNil(t, out, body)
	assert.Equal(t, "K02", out.Get("ResponseCd"), "an inner MerchantId that differs is refused")
	assert.Empty(t, out.Get("ProcessId"))
}
