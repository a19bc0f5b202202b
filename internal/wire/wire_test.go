package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeOK(t *testing.T) {
	r, err := Decode([]byte("ResponseCd=OK&ProcessId=123&MerchantFree1=abc%3D%3D&Note=a+b\r\n"))
	require.NoError(t, err)
	assert.True(t, r.OK())
	assert.Equal(t, "123", r.Get("ProcessId"))
	assert.Equal(t, "abc==", r.Get("MerchantFree1"))
	assert.Equal(t, "a b", r.Get("Note"))
}

func TestDecodeValueWithEquals(t *testing.T) {
	// GMO-style clients split on '=' and lose the rest; we must not.
	r, err := Decode([]byte("ResponseCd=OK&X=a=b=c"))
	require.NoError(t, err)
	assert.Equal(t, "a=b=c", r.Get("X"))
}

func TestDecodeCodes(t *testing.T) {
	r, err := Decode([]byte("ResponseCd=K20|K21&OperateId=1Auth"))
	require.NoError(t, err)
	assert.False(t, r.OK())
	assert.Equal(t, []string{"K20", "K21"}, r.Codes)
	r, err = Decode([]byte("ResponseCd=K20%7CK21"))
	require.NoError(t, err)
	assert.Equal(t, []string{"K20", "K21"}, r.Codes)
}

func TestDecodeMalformed(t *testing.T) {
	for _, body := range []string{
		"", "garbage", "<html>500</html>", "OperateId=1Auth", "ResponseCd=", "ResponseCd=OK&ResponseCd=K20",
		"ResponseCd=K2", "ResponseCd=K20||K21", "ResponseCd=k20", "ResponseCd=OK&=x", "ResponseCd=OK&a%zz=1",
		"ResponseCd=OK&bad key=1", "ResponseCd=OK&ProcessId=1&ProcessId=2", "ResponseCd= ", "ResponseCd=OK&ProcessId=%zz",
		"ResponseCd=O%K",
		"ResponseCd=OK&MerchantFree1=a&MerchantFree1=b", "ResponseCd=OK&OperateId=1Auth&OperateId=1Gathering",
	} {
		_, err := Decode([]byte(body))
		assert.ErrorIs(t, err, ErrMalformed, "body %q", body)
	}
	_, err := Decode(make([]byte, MaxBody+1))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestDecodeLenient(t *testing.T) {
	for body, want := range map[string]map[string]string{
		"ResponseCd=OK&":                        {"ResponseCd": "OK"},
		"&ResponseCd=OK&&X=1&&":                 {"ResponseCd": "OK", "X": "1"},
		"ResponseCd= OK \r\n":                   {"ResponseCd": "OK"},
		"ResponseCd=OK&X=%zz":                   {"ResponseCd": "OK", "X": "%zz"},
		"ResponseCd=OK&X=100%+off%2":            {"ResponseCd": "OK", "X": "100% off%2"},
		"ResponseCd=OK&X=%":                     {"ResponseCd": "OK", "X": "%"},
		"ResponseCd=OK&X=%41%":                  {"ResponseCd": "OK", "X": "A%"},
		"ResponseCd=OK&ResponseCd=OK":           {"ResponseCd": "OK"},
		"ResponseCd=OK&Memo=a&Memo=b":           {"ResponseCd": "OK", "Memo": "b"},
		"ResponseCd=OK&Flag":                    {"ResponseCd": "OK", "Flag": ""},
		" ResponseCd=OK& ProcessId = 12 ":       {"ResponseCd": "OK", "ProcessId": "12"},
		"ResponseCd=OK&ProcessId=1&ProcessId=1": {"ResponseCd": "OK", "ProcessId": "1"},
	} {
		r, err := Decode([]byte(body))
		require.NoError(t, err, "body %q", body)
		assert.Equal(t, want, r.Map(), "body %q", body)
		assert.True(t, r.OK())
	}
	r, err := Decode([]byte("ResponseCd= K20 | K21 &"))
	require.NoError(t, err)
	assert.Equal(t, []string{"K20", "K21"}, r.Codes)
}

type req struct {
	A string `url:"A"`
	B string `url:"B,omitempty"`
}

func TestEncode(t *testing.T) {
	s, err := Encode(req{A: "x y&z", B: ""})
	require.NoError(t, err)
	assert.Equal(t, "A=x+y%26z", s)
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"ResponseCd=OK&ProcessId=1&ProcessPass=2", "ResponseCd=K20|K21", "ResponseCd=OK&X=%E3%81%82",
		"ResponseCd=OK&TokenResponseCd=OK", "x=%", "ResponseCd=OK&a=b&a=c",
		"ResponseCd=OK&", "&&ResponseCd= K20 | K21 &&", "ResponseCd=OK&X=%zz%4", "ResponseCd=OK&ResponseCd=OK",
		"ResponseCd=OK&ResponseCd=K20", "ResponseCd=OK&Flag&", "ResponseCd=OK&X=%E2%80%80",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		_, ok := r.Pairs.Lookup("ResponseCd")
		assert.True(t, ok)
		for _, c := range r.Codes {
			assert.Len(t, c, 3)
		}
		for k, v := range r.Map() {
			// ASCII white space only, as PHP's trim: U+2000 or U+3000 is data.
			assert.Equal(t, strings.Trim(v, " \t\n\v\f\r"), v, "value of %s is trimmed", k)
		}
	})
}

// TestDecodeKeepsNoReferenceToBody: the decoded pairs are a copy; the
// caller may reuse the body's buffer (the client pools them) at once.
func TestDecodeKeepsNoReferenceToBody(t *testing.T) {
	body := []byte("ResponseCd=OK&A=x%20y+z&B= plain &A=last%21&C=")
	r, err := Decode(body)
	require.NoError(t, err)
	for i := range body {
		body[i] = 'Z'
	}
	assert.Equal(t, map[string]string{"ResponseCd": "OK", "A": "last!", "B": "plain", "C": ""}, r.Map())
	assert.Equal(t, 5, r.Pairs.Len())
	k, v := r.Pairs.At(1)
	assert.Equal(t, "A", k)
	assert.Equal(t, "x y z", v)
	assert.Equal(t, "OK", r.Get("ResponseCd"))
	assert.Equal(t, "last!", r.Get("A"))
}

// TestNewPairs: pairs built from a list keep its order, and Lookup finds
// the last value of a key.
func TestNewPairs(t *testing.T) {
	p := NewPairs([]Pair{{"A", "1"}, {"B", ""}, {"A", "2"}})
	assert.Equal(t, 3, p.Len())
	assert.Equal(t, "2", p.Get("A"))
	v, ok := p.Lookup("B")
	assert.True(t, ok)
	assert.Empty(t, v)
	_, ok = p.Lookup("C")
	assert.False(t, ok)
	assert.Equal(t, 0, NewPairs(nil).Len())
	assert.Equal(t, 0, Pairs{}.Len())
	empty := NewPairs([]Pair{{"", ""}, {"", ""}})
	assert.Equal(t, 2, empty.Len())
	v, ok = empty.Lookup("")
	assert.True(t, ok)
	assert.Empty(t, v)
	// The copy is independent of the list it was made from.
	list := []Pair{{"K", "v1"}}
	cp := NewPairs(list)
	list[0].Value = "v2"
	assert.Equal(t, "v1", cp.Get("K"))
}

// TestValidKeyBytes: a key is ASCII letters, digits and '_', at most 64.
func TestValidKeyBytes(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		want := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
		assert.Equal(t, want, validKey(string([]byte{'K', b})), "byte %q", b)
	}
	assert.True(t, validKey(strings.Repeat("k", 64)))
	assert.False(t, validKey(strings.Repeat("k", 65)))
}
