package wire

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The decoder is tuned for speed; these tests hold it to a plain reference
// built on net/url, written for clarity only: same fields, same codes, and
// an error exactly when the reference refuses the body.

var (
	oracleKey    = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	oracleCode   = regexp.MustCompile(`^[A-Z0-9]{3}$`)
	oracleEscape = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)
	errOracle    = errors.New("refused")
)

var oracleDecisive = map[string]bool{
	"ResponseCd": true, "TokenResponseCd": true, "SecureResultCode": true, "MerchantId": true, "HashCd": true,
	"MerchantFree1": true, "OperateId": true, "ProcessId": true, "ProcessPass": true, "TransactionId": true,
	"RecvNum": true, "Amount": true, "Condition": true, "NyukinDate": true,
}

func oracleTrim(s string) string { return strings.Trim(s, " \t\r\n\v\f") }

// oracleValue decodes a value with url.QueryUnescape; a malformed escape is
// kept as text (refused in a decisive key), as PHP's urldecode does.
func oracleValue(key, v string) (string, error) {
	if u, err := url.QueryUnescape(v); err == nil {
		return oracleTrim(u), nil
	}
	if oracleDecisive[key] {
		return "", errOracle
	}
	v = strings.ReplaceAll(v, "+", " ")
	v = oracleEscape.ReplaceAllStringFunc(v, func(e string) string {
		u, _ := url.PathUnescape(e)
		return u
	})
	return oracleTrim(v), nil
}

func oracleParse(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, "&") {
		if oracleTrim(pair) == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k = oracleTrim(k)
		if !oracleKey.MatchString(k) {
			return nil, errOracle
		}
		v, err := oracleValue(k, v)
		if err != nil {
			return nil, err
		}
		if old, ok := out[k]; ok && old != v && oracleDecisive[k] {
			return nil, errOracle
		}
		out[k] = v
	}
	return out, nil
}

func oracleDecode(b []byte) (map[string]string, []string, error) {
	if len(b) > MaxBody {
		return nil, nil, errOracle
	}
	f, err := oracleParse(string(b))
	if err != nil {
		return nil, nil, err
	}
	rc, ok := f["ResponseCd"]
	if !ok {
		return nil, nil, errOracle
	}
	if rc = oracleTrim(rc); rc == "OK" {
		return f, nil, nil
	}
	var codes []string
	for c := range strings.SplitSeq(rc, "|") {
		if c = oracleTrim(c); !oracleCode.MatchString(c) {
			return nil, nil, errOracle
		}
		codes = append(codes, c)
	}
	return f, codes, nil
}

func checkAgainstOracle(t *testing.T, body []byte) {
	t.Helper()
	wantF, wantC, wantErr := oracleDecode(body)
	got, err := Decode(body)
	if wantErr != nil {
		assert.ErrorIs(t, err, ErrMalformed, "body %q", body)
		return
	}
	require.NoError(t, err, "body %q", body)
	assert.Equal(t, wantF, got.Map(), "body %q", body)
	pf, err := ParseForm(string(body))
	require.NoError(t, err, "body %q", body)
	assert.Equal(t, pf, got.Map(), "ParseForm and Decode agree on body %q", body)
	assert.Equal(t, wantC, got.Codes, "body %q", body)
	for k, v := range wantF {
		assert.Equal(t, v, got.Get(k), "body %q key %s", body, k)
	}
	assert.Equal(t, wantC == nil, got.OK())
}

var oracleCorpus = []string{
	"ResponseCd=OK&OperateId=1Gathering&MerchantFree1=123456789012&TransactionId=123456789012345678" +
		"&TransactionDate=20261126&ProcessId=1234567890123456&ProcessPass=AbCdEfGhIjKlMnOp&CompanyCd=VI&ApproveNo=1234567&McSecCd=0",
	"ResponseCd=OK&ProcessId=123&MerchantFree1=abc%3D%3D&Note=a+b\r\n", "ResponseCd=OK&X=a=b=c",
	"ResponseCd=K20|K21&OperateId=1Auth", "ResponseCd=K20%7CK21", "", "garbage", "<html>500</html>",
	"OperateId=1Auth", "ResponseCd=", "ResponseCd=OK&ResponseCd=K20", "ResponseCd=K2", "ResponseCd=K20||K21",
	"ResponseCd=k20", "ResponseCd=OK&=x", "ResponseCd=OK&a%zz=1", "ResponseCd=OK&bad key=1",
	"ResponseCd=OK&ProcessId=1&ProcessId=2", "ResponseCd= ", "ResponseCd=OK&ProcessId=%zz", "ResponseCd=O%K",
	"ResponseCd=OK&MerchantFree1=a&MerchantFree1=b", "ResponseCd=OK&OperateId=1Auth&OperateId=1Gathering",
	"ResponseCd=OK&", "&ResponseCd=OK&&X=1&&", "ResponseCd= OK \r\n", "ResponseCd=OK&X=%zz",
	"ResponseCd=OK&X=100%+off%2", "ResponseCd=OK&X=%", "ResponseCd=OK&X=%41%", "ResponseCd=OK&ResponseCd=OK",
	"ResponseCd=OK&Memo=a&Memo=b", "ResponseCd=OK&Flag", " ResponseCd=OK& ProcessId = 12 ",
	"ResponseCd=OK&ProcessId=1&ProcessId=1", "ResponseCd= K20 | K21 &", "ResponseCd=OK&X=%E3%81%82",
	"ResponseCd=OK&X=%2B+%20", "ResponseCd=OK&X=\v\f a \t", "ResponseCd=OK&X=%09a%0D", "ResponseCd=OK&X=\u3000",
	"ResponseCd=OK&ProcessId=%31&ProcessId=1", "ResponseCd=OK&ProcessId= 1&ProcessId=1 ",
	"ResponseCd=OK&Amount=1&Amount=2", "ResponseCd=OK&HashCd=a&HashCd=a", "ResponseCd=OK&k;=1",
	"ResponseCd=OK&" + strings.Repeat("a", 64) + "=1", "ResponseCd=OK&" + strings.Repeat("a", 65) + "=1",
	"ResponseCd=OK&MerchantFree2=a%2", "ResponseCd=OK%20", "ResponseCd=%20K20%20", "ResponseCd=OK&TokenResponseCd=%",
}

// TestDecodeMatchesOracle compares the decoder with the reference on
// every body of the other tests and more edge cases.
func TestDecodeMatchesOracle(t *testing.T) {
	for _, s := range oracleCorpus {
		checkAgainstOracle(t, []byte(s))
	}
	checkAgainstOracle(t, make([]byte, MaxBody+1))
	checkAgainstOracle(t, []byte("ResponseCd=OK&X="+strings.Repeat("a", MaxBody-20)))
}

func FuzzDecodeOracle(f *testing.F) {
	for _, s := range oracleCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAgainstOracle(t, b) })
}
