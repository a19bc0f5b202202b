package escott_test

import (
	"context"
	"encoding/base64"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// tamperFlow is a genuine 3-D Secure return for a pending attempt.
type tamperFlow struct {
	name string
	c    *escott.Client
	ev   string // EncryptValue as the gateway sent it
}

func tamperFlows(t *testing.T) []tamperFlow {
	t.Helper()
	var flows []tamperFlow
	for _, tc := range []struct {
		name, card string
		modeA      bool
	}{
		{"mode B authenticated", escotttest.CardThreeDSFrictionless, false},
		{"mode B failed", escotttest.CardThreeDSFailed, false},
		{"mode B not enrolled", escotttest.CardThreeDSNotEnrolled, false},
		{"mode A", escotttest.CardVisa, true},
	} {
		srv, c := newTest(t)
		srv.HoldPostURL()
		p := &escott.ThreeDSStartParams{
			Amount: escott.Yen(2500), Source: srv.MustToken(tc.card), BillingFullName: "TARO YAMADA",
			BillingEmail: "taro@example.jp", RedirectURL: "https://shop.example.jp/return",
			MerchantFree2: "order-42", MerchantFree3: "ご注文",
		}
		start := c.ThreeDS.Start
		if tc.modeA {
			start = c.ThreeDS.StartAuthorize
		}
		form, err := start(context.Background(), p)
		require.NoError(t, err)
		ret, err := srv.Authenticate(context.Background(), form, nil)
		require.NoError(t, err)
		flows = append(flows, tamperFlow{name: tc.name, c: c, ev: ret.Fields.Get("EncryptValue")})
	}
	return flows
}

func tryReturn(c *escott.Client, ev string) bool {
	req := httptest.NewRequest(http.MethodPost, "/return", strings.NewReader(url.Values{"EncryptValue": {ev}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return resultOf(c.ThreeDS.HandleReturn(req, recordNothing)) != nil
}

// Issue #11.11: the envelope has no MAC, so a tampered return must be refused
// by the checks on its decrypted fields. Every single-bit flip of every
// ciphertext of four flows, then many random garbles of whole blocks, and
// the targeted attack (turn SecureResultCode 1 into 0): zero acceptances.
func TestThreeDSTamperedReturnsRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	random := 5000
	if testing.Short() {
		random = 500
	}
	tries, accepted := 0, 0
	for _, fl := range tamperFlows(t) {
		ct, err := base64.StdEncoding.DecodeString(fl.ev)
		require.NoError(t, err)
		flowAccepted := 0
		try := func(b []byte) {
			tries++
			if tryReturn(fl.c, base64.StdEncoding.EncodeToString(b)) {
				flowAccepted++
			}
		}
		for i := range len(ct) * 8 {
			b := append([]byte(nil), ct...)
			b[i/8] ^= 1 << (i % 8)
			try(b)
		}
		for range random {
			b := append([]byte(nil), ct...)
			blk := rng.IntN(len(ct) / 16)
			for j := range 16 {
				b[blk*16+j] ^= byte(rng.UintN(256))
			}
			try(b)
		}
		assert.Zero(t, flowAccepted, "%s: tampered returns accepted", fl.name)
		accepted += flowAccepted
		// The genuine return still completes the attempt: no tampered one did.
		assert.True(t, tryReturn(fl.c, fl.ev), "%s: the genuine return is still accepted", fl.name)
	}
	t.Logf("%d tampered returns tried, %d accepted", tries, accepted)
}

// TestThreeDSTamperBound estimates, from a genuine plaintext, the chance that
// a garbled 16-byte block passes the byte-level checks: the product over its
// bytes of (bytes allowed at that place)/256, capped by the largest set any
// place allows. It documents the figure quoted in the README.
func TestThreeDSTamperBound(t *testing.T) {
	fl := tamperFlows(t)[1] // mode B failed: the return an attacker wants to turn
	plain, err := testCipher(t).Decrypt(fl.ev)
	require.NoError(t, err)
	enc := plain.Encode() // the layout, close to the gateway's
	const widest = 73.0   // ASCII letters, digits, " *+-./:=_", '&' and '%'
	set := func(key string) float64 {
		switch key {
		case "OperateId", "MerchantFree1", "MerchantFree2", "MerchantFree3", "ProcNo":
			return 1 // compared with the attempt
		case "SecureResultCode", "TransactionDate", "TransactionId":
			return 10
		case "DSTransactionId", "ThreeDSServerTransactionId":
			return 22
		case "ResponseCd":
			return 37
		case "ECI3D", "TransactionStatus3D", "CAVVAlgorithm3D", "MessageVersionNo3D":
			return 11
		}
		return 65 // Base64 values as sent: letters, digits, '%' escapes
	}
	places := make([]float64, 0, len(enc))
	for _, pair := range strings.Split(enc, "&") {
		k, v, _ := strings.Cut(pair, "=")
		for range len(k) + 1 { // the key, then '=' or '&'
			places = append(places, widest)
		}
		for range len(v) {
			places = append(places, set(k))
		}
	}
	worst := math.Inf(-1)
	for b := 0; b+16 <= len(places); b += 16 {
		l := 0.0
		for _, s := range places[b : b+16] {
			l += math.Log2(s / 256)
		}
		worst = max(worst, l)
	}
	uniform := 16 * math.Log2(widest/256)
	t.Logf("worst block of this return: 2^%.1f; any block, whatever its place: <= 2^%.1f", worst, uniform)
	assert.Less(t, uniform, -28.0)
}
