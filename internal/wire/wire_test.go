package wire

import (
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
		"", "garbage", "<html>500</html>", "OperateId=1Auth", "ResponseCd=", "ResponseCd=OK&ResponseCd=OK",
		"ResponseCd=K2", "ResponseCd=K20||K21", "ResponseCd=k20", "ResponseCd=OK&=x", "ResponseCd=OK&a%zz=1",
		"ResponseCd=OK&X=%zz", "ResponseCd=OK&&", "ResponseCd=OK&bad key=1",
	} {
		_, err := Decode([]byte(body))
		assert.ErrorIs(t, err, ErrMalformed, "body %q", body)
	}
	_, err := Decode(make([]byte, MaxBody+1))
	assert.ErrorIs(t, err, ErrMalformed)
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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		_, ok := r.Fields["ResponseCd"]
		assert.True(t, ok)
		for _, c := range r.Codes {
			assert.Len(t, c, 3)
		}
	})
}
