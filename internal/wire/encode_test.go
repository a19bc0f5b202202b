package wire

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-querystring/query"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type embedded struct {
	MerchantID string `url:"MerchantId"`
	Free       string `url:"MerchantFree1,omitempty"`
}

type fastReq struct {
	embedded
	Token    string `url:"Token,omitempty"`
	Amount   string `url:"Amount,omitempty"`
	Always   string `url:"Always"`
	Skip     string `url:"-"`
	internal string //nolint:unused // unexported fields are never encoded
}

type slowReq struct {
	N int    `url:"N"`
	S string `url:"S,omitempty"`
}

// TestEncodeMatchesGoQuerystring is the contract of the fast path: for any
// values, the bytes are those go-querystring and url.Values.Encode give.
func TestEncodeMatchesGoQuerystring(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "a", "Z9", "x y", "a+b", "%", "=&", "日本語", "~-_.", "/?#", "\x00\n"}
	pick := func() string { return alphabet[r.IntN(len(alphabet))] + alphabet[r.IntN(len(alphabet))] }
	for range 2000 {
		v := fastReq{embedded: embedded{MerchantID: pick(), Free: pick()}, Token: pick(), Amount: pick(), Always: pick(), Skip: pick(), internal: pick()}
		want, err := query.Values(v)
		require.NoError(t, err)
		got, err := Encode(&v)
		require.NoError(t, err)
		require.Equal(t, want.Encode(), got)
		got, err = Encode(v) // not addressable: the fields are read through reflect
		require.NoError(t, err)
		require.Equal(t, want.Encode(), got)
	}
	long := fastReq{Token: strings.Repeat("a b/", 300), Always: strings.Repeat("z", 600)} // beyond the 256 bytes the builder starts with
	want, err := query.Values(long)
	require.NoError(t, err)
	got, err := Encode(&long)
	require.NoError(t, err)
	assert.Equal(t, want.Encode(), got)
	got, err = Encode(&fastReq{})
	require.NoError(t, err)
	assert.Equal(t, "Always=&MerchantId=", got)
	assert.NotNil(t, planFor(typeOf(fastReq{})), "fastReq takes the fast path")
}

func TestEncodeFallsBackForOtherKinds(t *testing.T) {
	got, err := Encode(slowReq{N: 0, S: "x"})
	require.NoError(t, err)
	assert.Equal(t, "N=0&S=x", got)
	assert.Nil(t, planFor(typeOf(slowReq{})))
	_, err = Encode((*slowReq)(nil))
	assert.Error(t, err)
	_, err = Encode("not a struct")
	assert.Error(t, err)
}

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }
