package envelope_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/envelope"
)

func TestParseFieldsAccepts(t *testing.T) {
	manyFields := make([]string, envelope.MaxFields)
	manyWant := url.Values{}
	for i := range manyFields {
		k := "F" + strings.Repeat("x", i)
		manyFields[i] = k + "=1"
		manyWant.Set(k, "1")
	}
	tests := []struct {
		name, in string
		want     url.Values
	}{
		{"one field", "ResponseCd=OK", url.Values{"ResponseCd": {"OK"}}},
		{"empty value", "MerchantFree2=", url.Values{"MerchantFree2": {""}}},
		{"value with '='", "MerchantFree1=a=b==", url.Values{"MerchantFree1": {"a=b=="}}},
		{"plus is space", "BillingFullName=TARO+YAMADA", url.Values{"BillingFullName": {"TARO YAMADA"}}},
		{"percent escapes", "a=%E6%B1%BA%E6%B8%88%2B%26%3D%25", url.Values{"a": {"決済+&=%"}}},
		{"lower-case escapes", "a=%e3%81%82", url.Values{"a": {"あ"}}},
		{"raw UTF-8", "MerchantFree3=ソニー 太郎", url.Values{"MerchantFree3": {"ソニー 太郎"}}},
		{"invalid escape kept raw", "a=100%+off%2", url.Values{"a": {"100%+off%2"}}},
		{"invalid escape with hex-like tail", "a=%zz%41", url.Values{"a": {"%zz%41"}}},
		{"lone percent", "a=%", url.Values{"a": {"%"}}},
		{"underscore and digits in key", "Key_9=x", url.Values{"Key_9": {"x"}}},
		{"keys are case-sensitive", "a=1&A=2", url.Values{"a": {"1"}, "A": {"2"}}},
		{"semicolon is data", "a=1;b=2", url.Values{"a": {"1;b=2"}}},
		{"control bytes escaped", "a=%00%0Ax", url.Values{"a": {"\x00\nx"}}},
		{"CAVV3D raw plus", "CAVV3D=ab+cd==", url.Values{"CAVV3D": {"ab+cd=="}}},
		{"CAVV3D escaped plus", "CAVV3D=ab%2Bcd%3D%3D", url.Values{"CAVV3D": {"ab+cd=="}}},
		{"CAVV3D raw space", "CAVV3D=ab cd==", url.Values{"CAVV3D": {"ab+cd=="}}},
		{"EncodeXId3D raw plus", "EncodeXId3D=+/+=", url.Values{"EncodeXId3D": {"+/+="}}},
		{"EncodeXId3D escaped space", "EncodeXId3D=a%20b", url.Values{"EncodeXId3D": {"a+b"}}},
		{"similar key keeps form rules", "CAVV3DX=a+b", url.Values{"CAVV3DX": {"a b"}}},
		{"trailing ampersand", "a=1&", url.Values{"a": {"1"}}},
		{"leading ampersand", "&a=1", url.Values{"a": {"1"}}},
		{"empty fields", "a=1&&b=2&&", url.Values{"a": {"1"}, "b": {"2"}}},
		{"trailing CRLF", "ResponseCd=OK\r\n", url.Values{"ResponseCd": {"OK"}}},
		{"white space around a value", "ResponseCd= OK &SecureResultCode=%200+", url.Values{"ResponseCd": {"OK"}, "SecureResultCode": {"0"}}},
		{"same value twice", "ResponseCd=OK&ResponseCd=OK", url.Values{"ResponseCd": {"OK"}}},
		{"empty value twice", "a=&a=", url.Values{"a": {""}}},
		{"stray percent", "MerchantFree3=100%", url.Values{"MerchantFree3": {"100%"}}},
		{"CAVV3D trailing plus", "CAVV3D=abc+", url.Values{"CAVV3D": {"abc+"}}},
		{"max fields", strings.Join(manyFields, "&"), manyWant},
		{
			"max length", "a=" + strings.Repeat("x", envelope.MaxPlaintextLen-2),
			url.Values{"a": {strings.Repeat("x", envelope.MaxPlaintextLen-2)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envelope.ParseFields([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseFieldsRejects(t *testing.T) {
	tests := map[string]string{
		"empty":             "",
		"no equals":         "ResponseCd",
		"empty key":         "=OK",
		"only ampersand":    "&",
		"hyphen in key":     "Response-Cd=OK",
		"dot in key":        "a.b=1",
		"space in key":      "a b=1",
		"plus in key":       "a+b=1",
		"escaped key":       "a%41=1",
		"non-ASCII key":     "決済=1",
		"duplicate key":     "ResponseCd=OK&ResponseCd=K20",
		"duplicate display": "MerchantFree2=a&MerchantFree2=b",
		"only white space":  " \r\n",
		"only ampersands":   "&&&",
		"invalid UTF-8":     "a=\xff",
		"truncated UTF-8":   "a=\xe3\x81",
		"escaped bad UTF-8": "a=%FF",
		"escaped surrogate": "a=%ED%A0%80",
		"NUL in key":        "a\x00=1",
		"too many fields":   strings.Repeat("a=1&", envelope.MaxFields) + "b=2",
		"too long":          "a=" + strings.Repeat("x", envelope.MaxPlaintextLen-1),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := envelope.ParseFields([]byte(in))
			requireInvalid(t, err)
			assert.Nil(t, got)
		})
	}
}
