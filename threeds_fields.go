package escott

import (
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/wire"
)

// The envelope of a 3-D Secure return has no MAC (docs/protocol.md §7.1): a
// flipped ciphertext bit turns one 16-byte plaintext block into bytes nobody
// controls, and flips the same bit in the next block, which an attacker does
// control. checkReturnFields is what stands between such a block and an
// accepted return: every field must have its exact format, and the echoes must
// equal the attempt, so that a random block is refused with overwhelming
// probability (see TestThreeDSTamperedReturnsRefused).

// returnFieldFormat checks one decrypted field's value.
type returnFieldFormat func(v string) bool

// returnFields are the fields a 3-D Secure return or PostUrl copy may carry,
// with their formats. Echoes of the attempt are checked separately.
var returnFields = map[string]returnFieldFormat{
	"ResponseCd":                 validResponseCd,
	"SecureResultCode":           func(v string) bool { return len(v) == 1 && isDigit(v[0]) },
	"TransactionId":              func(v string) bool { return v != "" && len(v) <= 32 && ascii.IsAlnum(v) },
	"TransactionDate":            func(v string) bool { return len(v) == 8 && ascii.IsDigits(v) },
	"EncodeXId3D":                optional(base64Of20),
	"CAVV3D":                     optional(base64Of20),
	"TransactionId3D":            optional(base64Of20),
	"MessageVersionNo3D":         optional(validMessageVersion),
	"TransactionStatus3D":        optional(func(v string) bool { return len(v) == 1 && strings.Contains("YNUACRDI", v) }),
	"CAVVAlgorithm3D":            optional(func(v string) bool { return len(v) == 1 && (isDigit(v[0]) || v == "A") }),
	"ECI3D":                      optional(func(v string) bool { return v == "00" || v == "01" || v == "02" || v == "05" || v == "06" || v == "07" }),
	"DSTransactionId":            optional(validUUID),
	"ThreeDSServerTransactionId": optional(validUUID),
	"PANCard3D":                  optional(validPANCard3D),
	"PANCardNo3D":                optional(validPANCard3D),
	"ProcessId":                  func(v string) bool { return v != "" && len(v) <= 32 && ascii.IsAlnum(v) },
	"ProcessPass":                func(v string) bool { return v != "" && len(v) <= 32 && ascii.IsAlnum(v) },
	"CompanyCd":                  func(v string) bool { return v != "" && len(v) <= 7 && ascii.IsAlnum(v) },
	"ApproveNo":                  func(v string) bool { return v != "" && len(v) <= 7 && ascii.IsAlnum(v) },
	"McSecCd":                    func(v string) bool { return len(v) == 1 && ascii.IsAlnum(v) },
	"TenantId":                   func(v string) bool { return len(v) == 4 && ascii.IsDigits(v) },
	// Echoes, compared with the attempt by checkReturnFields.
	"OperateId": nil, "MerchantFree1": nil, "MerchantFree2": nil, "MerchantFree3": nil, "ProcNo": nil,
	"Amount": nil, "PayType": nil, "MerchantId": nil, "KaiinId": nil, "KaiinPass": nil,
}

// checkReturnFields returns why a decrypted return does not fit the attempt
// a, or "" when every field has its format and every echo matches.
func checkReturnFields(f url.Values, a *ThreeDSAttempt, merchantID string) string {
	for k, vs := range f {
		format, known := returnFields[k]
		if !known {
			// A field the SDK does not know (the gateway may add some) is
			// kept, but only with a short key and a plain value: a garbled
			// block that creates a field still has to pass this.
			format = validExtraField
			if len(k) > 40 {
				return "unexpected field"
			}
		}
		if len(vs) != 1 {
			return "repeated field"
		}
		if format != nil && !format(vs[0]) {
			return "malformed " + k
		}
	}
	echo := func(k, want string) bool { vs, ok := f[k]; return ok && vs[0] == want || !ok && want == "" }
	switch {
	case !echo("OperateId", a.OperateID), !echo("MerchantFree1", a.LinkKey),
		!echo("MerchantFree2", a.MerchantFree2), !echo("MerchantFree3", a.MerchantFree3):
		return "does not match the attempt"
	case f.Has("ProcNo") && f.Get("ProcNo") != a.ProcNo:
		return "ProcNo does not match the attempt"
	case f.Has("Amount") && f.Get("Amount") != amountString(a.Amount):
		return "Amount does not match the attempt"
	case f.Has("PayType") && f.Get("PayType") != string(a.PayType):
		return "PayType does not match the attempt"
	case f.Has("MerchantId") && f.Get("MerchantId") != merchantID:
		return "not for this merchant"
	case f.Has("KaiinId") && (a.Member == nil || f.Get("KaiinId") != a.Member.ID):
		return "KaiinId does not match the attempt"
	case f.Has("KaiinPass") && (a.Member == nil ||
		subtle.ConstantTimeCompare([]byte(f.Get("KaiinPass")), []byte(a.Member.Pass.Reveal())) != 1):
		return "KaiinPass does not match the attempt"
	}
	return ""
}

// optional accepts an empty value too: a 3-D Secure data field the gateway
// sends empty (a 3DS 1.0 field in a 3DS 2 result, say) is passed on as it is.
func optional(f returnFieldFormat) returnFieldFormat {
	return func(v string) bool { return v == "" || f(v) }
}

func validResponseCd(v string) bool {
	if v == "OK" {
		return true
	}
	codes, err := wire.SplitCodes(v)
	return err == nil && codes != nil
}

// base64Of20 is standard Base64 of 20 bytes, as CAVV and XID are.
func base64Of20(v string) bool {
	if len(v) != 28 || v[27] != '=' {
		return false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	return err == nil && len(b) == 20
}

// validMessageVersion is "major.minor.patch" with one digit each, e.g. 2.2.0.
func validMessageVersion(v string) bool {
	return len(v) == 5 && (v[0] == '1' || v[0] == '2') && v[1] == '.' && isDigit(v[2]) && v[3] == '.' && isDigit(v[4])
}

// validUUID is the canonical 8-4-4-4-12 hexadecimal form.
func validUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validPANCard3D accepts a (masked) card number: digits and '*', 12 to 19.
func validPANCard3D(v string) bool {
	if len(v) < 12 || len(v) > 19 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) && v[i] != '*' {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// validExtraField is the format of a field the SDK does not know: at most 64
// characters of ASCII letters, digits and " *+-./:=_".
func validExtraField(v string) bool {
	if len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || strings.IndexByte(" *+-./:=_", c) >= 0) {
			return false
		}
	}
	return true
}
