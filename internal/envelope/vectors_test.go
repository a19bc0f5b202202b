package envelope_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/envelope"
)

// vector is one golden EncryptValue made by testdata/envelope/gen.sh with the openssl command line.
type vector struct {
	Name       string            `json:"name"`
	Key        string            `json:"key"`
	IV         string            `json:"iv"`
	Canonical  bool              `json:"canonical"` // Plaintext is exactly url.Values.Encode of Fields
	Plaintext  string            `json:"plaintext"`
	Ciphertext string            `json:"ciphertext"`
	Fields     map[string]string `json:"fields"`
}

func (v vector) values() url.Values {
	out := make(url.Values, len(v.Fields))
	for k, s := range v.Fields {
		out.Set(k, s)
	}
	return out
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "envelope", "vectors.json"))
	require.NoError(tb, err)
	var vs []vector
	require.NoError(tb, json.Unmarshal(data, &vs))
	require.GreaterOrEqual(tb, len(vs), 8)
	return vs
}

func TestVectors(t *testing.T) {
	canonical := 0
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c, err := envelope.New(v.Key, v.IV)
			require.NoError(t, err)

			assert.Equal(t, v.Ciphertext, c.Seal([]byte(v.Plaintext)), "Seal")

			pt, err := c.Open(v.Ciphertext)
			require.NoError(t, err)
			assert.Equal(t, v.Plaintext, string(pt), "Open")

			fields, err := c.Decrypt(v.Ciphertext)
			require.NoError(t, err)
			assert.Equal(t, v.values(), fields, "Decrypt")

			if v.Canonical {
				canonical++
				assert.Equal(t, v.Plaintext, v.values().Encode(), "vector marked canonical")
				assert.Equal(t, v.Ciphertext, c.Encrypt(v.values()), "Encrypt")
			}
		})
	}
	assert.Positive(t, canonical, "at least one vector must check Encrypt")
}

// TestVectorsCoverage keeps the golden file honest about the cases the envelope must handle.
func TestVectorsCoverage(t *testing.T) {
	var block, long, rawJapanese, escapedJapanese, emptyValue bool
	for _, v := range loadVectors(t) {
		n := len(v.Plaintext)
		block = block || n == 16
		long = long || n >= 512
		rawJapanese = rawJapanese || strings.ContainsRune(v.Plaintext, 'ー')
		escapedJapanese = escapedJapanese || strings.Contains(v.Plaintext, "%E3%")
		emptyValue = emptyValue || len(v.Fields) == 1 && strings.HasSuffix(v.Plaintext, "=")
		raw, err := base64.StdEncoding.DecodeString(v.Ciphertext)
		require.NoError(t, err, v.Name)
		assert.Equal(t, (n/16+1)*16, len(raw), "%s: PKCS#7 always adds padding", v.Name)
	}
	assert.True(t, block, "a 16-byte plaintext")
	assert.True(t, long, "a long plaintext")
	assert.True(t, rawJapanese, "raw UTF-8 Japanese")
	assert.True(t, escapedJapanese, "percent-encoded Japanese")
	assert.True(t, emptyValue, "a single empty field")
}

// TestOpenSpaceForPlus feeds each golden ciphertext through a form decoder, as a RedirectUrl handler would receive
// it when the gateway posts it without escaping '+'.
func TestOpenSpaceForPlus(t *testing.T) {
	withPlus := 0
	for _, v := range loadVectors(t) {
		if !strings.Contains(v.Ciphertext, "+") {
			continue
		}
		withPlus++
		form, err := url.ParseQuery("MerchantId=123456&EncryptValue=" + v.Ciphertext)
		require.NoError(t, err)
		mangled := form.Get("EncryptValue")
		require.Contains(t, mangled, " ", v.Name)

		c, err := envelope.New(v.Key, v.IV)
		require.NoError(t, err)
		fields, err := c.Decrypt(mangled)
		require.NoError(t, err, v.Name)
		assert.Equal(t, v.values(), fields, v.Name)
	}
	require.Positive(t, withPlus, "some golden ciphertext must contain '+'")
}
