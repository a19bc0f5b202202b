package envelope_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/envelope"
)

const (
	testKey = "0123456789abcdef"
	testIV  = "fedcba9876543210"
)

func newCipher(tb testing.TB) *envelope.Cipher {
	tb.Helper()
	c, err := envelope.New(testKey, testIV)
	require.NoError(tb, err)
	return c
}

// requireInvalid checks that err is exactly ErrInvalid: same value, same message, nothing wrapped around it.
func requireInvalid(tb testing.TB, err error, msgAndArgs ...any) {
	tb.Helper()
	require.ErrorIs(tb, err, envelope.ErrInvalid, msgAndArgs...)
	require.Same(tb, envelope.ErrInvalid, err, msgAndArgs...)
	require.Equal(tb, "envelope: invalid EncryptValue", err.Error(), msgAndArgs...)
}

// typicalReturn is what a mode-B 3-D Secure return holds (docs/protocol.md §7.2 step 3).
func typicalReturn() url.Values {
	return url.Values{
		"ResponseCd":                 {"OK"},
		"SecureResultCode":           {"0"},
		"OperateId":                  {"3Secure"},
		"MerchantFree1":              {"LK000000000042"},
		"MerchantFree2":              {""},
		"MerchantFree3":              {"テスト注文"},
		"EncodeXId3D":                {"MDAwMDAwMDAwMDAwMDAwMDAwMDE="},
		"MessageVersionNo3D":         {"2.2.0"},
		"TransactionStatus3D":        {"Y"},
		"CAVVAlgorithm3D":            {"2"},
		"ECI3D":                      {"05"},
		"CAVV3D":                     {"AAABBBcc+dd/ee=="},
		"DSTransactionId":            {"f25084f0-5b16-4c0a-ae5d-b24808a95e4b"},
		"ThreeDSServerTransactionId": {"8a880dc0-d2d2-4067-bcb1-b08d1690b26e"},
	}
}

func TestNewValidatesKeyAndIV(t *testing.T) {
	tests := []struct {
		name, key, iv string
		wantKey       bool // error mentions the key
		wantIV        bool // error mentions the IV
	}{
		{"short key", "SECRETKEY-12345", testIV, true, false},
		{"long key", "SECRETKEY-1234567", testIV, true, false},
		{"empty key", "", testIV, true, false},
		{"space in key", "SECRET KEY-12345", testIV, true, false},
		{"control char in key", "SECRETKEY-1234\t5", testIV, true, false},
		{"non-ASCII key of 16 bytes", "SECRETKEY-1ｱ" + "23", testIV, true, false},
		{"short iv", testKey, "SECRETIV-123", false, true},
		{"DEL in iv", testKey, "SECRETIV-123456\x7f", false, true},
		{"both wrong", "SECRETKEY", "SECRETIV", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, tt.key+tt.iv, len(tt.key)+len(tt.iv)) // keep the compiler honest about byte lengths
			c, err := envelope.New(tt.key, tt.iv)
			require.Error(t, err)
			assert.Nil(t, c)
			msg := err.Error()
			assert.Equal(t, tt.wantKey, strings.Contains(msg, "AES key"), msg)
			assert.Equal(t, tt.wantIV, strings.Contains(msg, "AES IV"), msg)
			assert.NotContains(t, msg, "SECRET", "the error must not print the values")
			if tt.key != "" {
				assert.NotContains(t, msg, tt.key)
			}
			assert.NotContains(t, msg, tt.iv)
		})
	}
}

func TestNewAcceptsPrintableASCII(t *testing.T) {
	for _, k := range []string{testKey, "!\"#$%&'()*+,-./0", "~}|{`_^]\\[@?>=<;"} {
		_, err := envelope.New(k, k)
		assert.NoError(t, err, "%q", k)
	}
}

func TestZeroCipherPanics(t *testing.T) {
	var c envelope.Cipher
	assert.PanicsWithValue(t, "envelope: Cipher used without New", func() { c.Seal([]byte("a=1")) })
	assert.PanicsWithValue(t, "envelope: Cipher used without New", func() { _, _ = c.Open("AAAA") })
}

func TestRoundTripRandomFields(t *testing.T) {
	c := newCipher(t)
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same cases every run
	keyChars := []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
	valueChars := []rune("aZ09 +/=&%?#;:\"'\\\t\n\x00ー決済テスト注文０１ｱ€😀")
	for i := range 500 {
		fields := url.Values{}
		for range 1 + rng.IntN(20) {
			k := make([]rune, 1+rng.IntN(12))
			for j := range k {
				k[j] = keyChars[rng.IntN(len(keyChars))]
			}
			v := make([]rune, rng.IntN(40))
			for j := range v {
				v[j] = valueChars[rng.IntN(len(valueChars))]
			}
			if string(k) == "CAVV3D" || string(k) == "EncodeXId3D" {
				continue // their spaces become '+' by design
			}
			// White space around a value is not data (docs/protocol.md §2).
			fields.Set(string(k), strings.Trim(string(v), " \t\n"))
		}
		ev := c.Encrypt(fields)
		got, err := c.Decrypt(ev)
		require.NoError(t, err, "case %d", i)
		require.Equal(t, fields, got, "case %d", i)

		pt, err := c.Open(ev)
		require.NoError(t, err)
		require.Equal(t, fields.Encode(), string(pt))
	}
}

func TestSealOpenAllLengths(t *testing.T) {
	c := newCipher(t)
	for n := 0; n <= 70; n++ {
		pt := bytes.Repeat([]byte{byte('a' + n%26)}, n)
		ev := c.Seal(pt)
		raw, err := base64.StdEncoding.DecodeString(ev)
		require.NoError(t, err)
		require.Equal(t, (n/16+1)*16, len(raw), "length %d", n)
		got, err := c.Open(ev)
		require.NoError(t, err, "length %d", n)
		require.Equal(t, pt, got, "length %d", n)
	}
}

func TestOpenRejectsMalformed(t *testing.T) {
	c := newCipher(t)
	good := c.Encrypt(typicalReturn())
	raw, err := base64.StdEncoding.DecodeString(good)
	require.NoError(t, err)
	require.Greater(t, len(raw), 32)
	enc := base64.StdEncoding.EncodeToString

	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return enc(b)
	}
	cases := map[string]string{
		"empty":                        "",
		"not base64":                   "!!!!not*base64!!",
		"base64url alphabet":           strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_",
		"missing base64 padding":       strings.TrimRight(enc(raw[:31]), "="),
		"truncated base64 text":        good[:len(good)-4],
		"truncated by one byte":        enc(raw[:len(raw)-1]),
		"truncated by one block":       enc(raw[:len(raw)-16]),
		"length not multiple of 16":    enc(raw[:20]),
		"one byte":                     enc(raw[:1]),
		"bit flipped in last block":    flip(len(raw) - 1),
		"bit flipped before last":      flip(len(raw) - 17), // flips the last pad byte: a padding-oracle probe
		"non-canonical base64 padding": good[:len(good)-2] + "B=",
		"trailing garbage":             good + "AAAA",
		"only spaces":                  "    ",
		"too long":                     strings.Repeat("A", 11000),
	}
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			pt, err := c.Open(ev)
			requireInvalid(t, err)
			assert.Nil(t, pt)
			fields, err := c.Decrypt(ev)
			requireInvalid(t, err)
			assert.Nil(t, fields)
		})
	}
}

// TestOpenPaddingAllPadBytes checks that every pad byte is examined, not only the last one.
func TestOpenPaddingAllPadBytes(t *testing.T) {
	c := newCipher(t)
	// Seal a plaintext that ends in bytes looking like padding, then cut off the real padding block: the last
	// block is now "...\x05\x05\x04\x05\x05" under the same key, which is wrong padding only in its third byte.
	for _, tail := range [][]byte{
		{5, 5, 4, 5, 5}, {15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16},
		{0}, {17}, {255}, {1, 2}, {3, 3, 2}, {'x', 2},
	} {
		pt := append(bytes.Repeat([]byte{'x'}, 16-len(tail)), tail...)
		raw, err := base64.StdEncoding.DecodeString(c.Seal(pt))
		require.NoError(t, err)
		_, err = c.Open(base64.StdEncoding.EncodeToString(raw[:16]))
		requireInvalid(t, err, "tail %v", tail)
	}
	// And the same construction with correct padding opens, so the check above is not vacuous.
	pt := append(bytes.Repeat([]byte{'x'}, 11), 5, 5, 5, 5, 5)
	raw, err := base64.StdEncoding.DecodeString(c.Seal(pt))
	require.NoError(t, err)
	got, err := c.Open(base64.StdEncoding.EncodeToString(raw[:16]))
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{'x'}, 11), got)
}

func TestOpenSizeLimit(t *testing.T) {
	c := newCipher(t)
	atLimit := "a=" + strings.Repeat("x", envelope.MaxPlaintextLen-2)
	fields, err := c.Decrypt(c.Seal([]byte(atLimit)))
	require.NoError(t, err)
	assert.Len(t, fields.Get("a"), envelope.MaxPlaintextLen-2)

	_, err = c.Decrypt(c.Seal([]byte(atLimit + "x")))
	requireInvalid(t, err)

	// A ciphertext longer than any acceptable plaintext is refused before decryption.
	_, err = c.Open(c.Seal(bytes.Repeat([]byte{'x'}, envelope.MaxPlaintextLen+16)))
	requireInvalid(t, err)
}

// TestWrongKey decrypts with many wrong keys. Most give bad padding; about one in 256 gives valid padding over
// garbage, which ParseFields must then refuse. The keys are fixed, so the test is deterministic, and it requires
// having met both outcomes.
func TestWrongKey(t *testing.T) {
	c := newCipher(t)
	ev := c.Encrypt(typicalReturn())
	badPadding, goodPadding := 0, 0
	for i := 0; i < 50000 && goodPadding < 5; i++ {
		w, err := envelope.New(fmt.Sprintf("wrong-key-%06d", i), testIV)
		require.NoError(t, err)
		if _, err := w.Open(ev); err != nil {
			requireInvalid(t, err)
			badPadding++
		} else {
			goodPadding++
		}
		fields, err := w.Decrypt(ev)
		requireInvalid(t, err, "wrong key %d", i)
		assert.Nil(t, fields)
	}
	t.Logf("wrong keys: %d bad padding, %d valid padding over garbage", badPadding, goodPadding)
	assert.Positive(t, badPadding)
	assert.Positive(t, goodPadding, "no wrong key produced valid padding; the ParseFields path went untested")

	w, err := envelope.New(testKey, "0000000000000000") // right key, wrong IV: only the first block is garbled
	require.NoError(t, err)
	_, err = w.Decrypt(ev)
	requireInvalid(t, err)
}

func TestDecryptRejectsGarbageFields(t *testing.T) {
	c := newCipher(t)
	for _, pt := range []string{
		"\xff\xfe\xfd", "=novalue", "ResponseCd", "ResponseCd=OK&ResponseCd=NG", "&", "&&",
		"Response Cd=OK", "a=%FF", strings.Repeat("a=1&", 64) + "b=2",
	} {
		_, err := c.Decrypt(c.Seal([]byte(pt)))
		requireInvalid(t, err, "%q", pt)
	}
}

func TestDecryptRestoresPlusInBase64Fields(t *testing.T) {
	c := newCipher(t)
	for _, pt := range []string{
		"CAVV3D=AAABBBcc%2Bdd%2Fee%3D%3D&EncodeXId3D=ab%2Bcd%2B%2B%3D", // escaped
		"CAVV3D=AAABBBcc+dd/ee==&EncodeXId3D=ab+cd++=",                 // raw
		"CAVV3D=AAABBBcc%2Bdd/ee%3D=&EncodeXId3D=ab+cd%2B+=",           // mixed
	} {
		fields, err := c.Decrypt(c.Seal([]byte(pt)))
		require.NoError(t, err, pt)
		assert.Equal(t, "AAABBBcc+dd/ee==", fields.Get("CAVV3D"), pt)
		assert.Equal(t, "ab+cd++=", fields.Get("EncodeXId3D"), pt)
	}
	// Other fields keep form semantics: a raw '+' is a space.
	fields, err := c.Decrypt(c.Seal([]byte("MerchantFree3=AAABBBcc+dd")))
	require.NoError(t, err)
	assert.Equal(t, "AAABBBcc dd", fields.Get("MerchantFree3"))
}

func TestConcurrentUse(t *testing.T) {
	c := newCipher(t)
	want := typicalReturn()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fields := url.Values{"MerchantFree1": {fmt.Sprintf("g%d-%d", g, i)}}
				got, err := c.Decrypt(c.Encrypt(fields))
				assert.NoError(t, err)
				assert.Equal(t, fields, got)
				got, err = c.Decrypt(c.Encrypt(want))
				assert.NoError(t, err)
				assert.Equal(t, want, got)
			}
		})
	}
	wg.Wait()
}

// secretForms lists the ways a key or IV could show up in output: as text, hex, Base64, or fmt's byte lists.
func secretForms(s string) []string {
	b := []byte(s)
	dec := strings.Trim(fmt.Sprint(b), "[]") //nolint:staticcheck // the byte-list form is the point
	return []string{
		s, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)), base64.StdEncoding.EncodeToString(b),
		dec, strings.ReplaceAll(dec, " ", ", "), fmt.Sprintf("%#v", b)[len("[]byte{"):], fmt.Sprintf("% x", b),
		s[:8], hex.EncodeToString(b[:8]),
	}
}

func TestCipherNeverPrintsSecrets(t *testing.T) {
	const key, iv = "K3y-S3cr3t-Zq8#W", "Iv-S3cr3t-Pm4!Xy"
	c, err := envelope.New(key, iv)
	require.NoError(t, err)

	type holder struct {
		Exported   *envelope.Cipher
		unexported envelope.Cipher // fmt prints unexported fields by reflection, without calling methods
		ptr        *envelope.Cipher
	}
	h := holder{Exported: c, unexported: *c, ptr: c}

	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x", "%T"} {
		for _, arg := range []any{c, *c, h, &h, []*envelope.Cipher{c}, map[string]envelope.Cipher{"c": *c}} {
			out = append(out, fmt.Sprintf(verb, arg))
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.Equal(t, "envelope.Cipher{key:REDACTED}", fmt.Sprintf(verb, c), verb)
		assert.Equal(t, "envelope.Cipher{key:REDACTED}", fmt.Sprintf(verb, *c), verb)
	}
	out = append(out, c.String(), c.GoString(), fmt.Sprint(c), fmt.Sprintln(*c))

	var logs bytes.Buffer
	for _, lg := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&logs, nil)), slog.New(slog.NewJSONHandler(&logs, nil)),
	} {
		lg.Info("cipher", "c", c, "v", *c, "h", h)
	}
	assert.Contains(t, logs.String(), "REDACTED")
	out = append(out, logs.String())

	// Errors from Open and Decrypt carry nothing either.
	_, err = c.Decrypt("not base64")
	out = append(out, err.Error())

	all := strings.Join(out, "\n")
	for _, secret := range []string{key, iv} {
		for _, form := range secretForms(secret) {
			assert.NotContains(t, all, form)
		}
	}
}

func TestErrorsDoNotEchoInput(t *testing.T) {
	c := newCipher(t)
	for _, ev := range []string{"SECRET-INPUT", c.Seal([]byte("ProcessPass=SECRETPASS&ProcessPass=SECRETPASS2"))} {
		_, err := c.Decrypt(ev)
		requireInvalid(t, err)
		assert.NotContains(t, err.Error(), "SECRET")
	}
}
