// Package wire is the e-SCOTT Smart wire codec: requests are encoded as
// application/x-www-form-urlencoded forms and answers are one key=value&...
// string (docs/protocol.md §2).
package wire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-querystring/query"
)

// MaxBody is the largest answer body the codec accepts. Real answers are a
// few hundred bytes; anything far larger is not a gateway answer.
const MaxBody = 64 << 10

// ErrMalformed reports an answer that is not a well-formed gateway answer.
var ErrMalformed = errors.New("wire: malformed gateway answer")

// encodeSlow encodes with go-querystring, for request types the fast path
// does not handle.
func encodeSlow(v any) (string, error) {
	vals, err := query.Values(v)
	if err != nil {
		return "", fmt.Errorf("wire: encode: %w", err)
	}
	return vals.Encode(), nil
}

// Pair is one key=value of an answer: the key trimmed, the value unescaped
// and trimmed (see ParseForm).
type Pair struct{ Key, Value string }

// Response is a decoded gateway answer.
type Response struct {
	// Pairs holds the answer's pairs in the order received. A key that is
	// not decisive (IsDecisive) may appear more than once, and its last value
	// counts, as in parse_str; a decisive key appears once.
	Pairs []Pair
	// Codes is ResponseCd split on '|'; nil when ResponseCd is OK.
	Codes []string
}

// OK reports whether ResponseCd was OK.
func (r *Response) OK() bool { return r.Codes == nil }

// Get returns the value of key, or "".
func (r *Response) Get(key string) string {
	v, _ := Lookup(r.Pairs, key)
	return v
}

// Map returns the fields as a new map, which is what ParseForm returns for
// the same answer.
func (r *Response) Map() map[string]string { return Map(r.Pairs) }

// Lookup returns the last value of key in pairs (parse_str's rule), and
// whether key is there.
func Lookup(pairs []Pair, key string) (string, bool) {
	for i := len(pairs) - 1; i >= 0; i-- {
		if pairs[i].Key == key {
			return pairs[i].Value, true
		}
	}
	return "", false
}

// Map returns pairs as a new map, the last value of a key winning.
func Map(pairs []Pair) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p.Key] = p.Value
	}
	return m
}

// Decode parses an answer body as leniently as the PHP clients do and as
// strictly as the outcome needs (docs/protocol.md §2): see ParseForm for the
// pair rules; ResponseCd must be present and be OK or a '|'-joined list of
// three-character codes (white space around each code is ignored).
func Decode(body []byte) (*Response, error) {
	r := new(Response)
	if err := DecodeInto(r, body); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeInto is Decode into a Response the caller allocated. r keeps no
// reference to body: its strings share one copy of it. On error r is left
// unchanged.
func DecodeInto(r *Response, body []byte) error {
	if len(body) > MaxBody {
		return fmt.Errorf("%w: body of %d bytes", ErrMalformed, len(body))
	}
	pairs, decisive, err := parsePairs(string(body))
	if err != nil {
		return err
	}
	rc := decisive[decisiveResponseCd]
	if rc == 0 {
		return fmt.Errorf("%w: no ResponseCd", ErrMalformed)
	}
	codes, err := SplitCodes(pairs[rc-1].Value)
	if err != nil {
		return err
	}
	r.Pairs, r.Codes = pairs, codes
	return nil
}

// IsDecisive reports whether key decides the outcome of an answer, a
// notification or a 3-D Secure result, or identifies what it is about (see
// ParseForm). Such a key may appear twice only with the same value.
func IsDecisive(key string) bool { return decisiveIndex(key) >= 0 }

// numDecisive is the number of decisive keys; decisiveResponseCd the index
// of ResponseCd among them.
const (
	numDecisive        = 14
	decisiveResponseCd = 0
)

// decisiveIndex numbers the decisive keys 0 to numDecisive-1; -1 for any
// other key.
func decisiveIndex(key string) int {
	switch key {
	case "ResponseCd":
		return decisiveResponseCd
	case "TokenResponseCd":
		return 1
	case "SecureResultCode":
		return 2
	case "MerchantId":
		return 3
	case "HashCd":
		return 4
	case "MerchantFree1":
		return 5
	case "OperateId":
		return 6
	case "ProcessId":
		return 7
	case "ProcessPass":
		return 8
	case "TransactionId":
		return 9
	case "RecvNum":
		return 10
	case "Amount":
		return 11
	case "Condition":
		return 12
	case "NyukinDate":
		return 13
	}
	return -1
}

// ParseForm parses a key=value&key=value string as PHP's parse_str does, with
// the strictness the outcome needs (docs/protocol.md §2):
//
//   - empty pairs (a leading or trailing '&', "&&") are skipped;
//   - a pair is split at the first '=' (values may contain '='); a pair
//     without '=' is a key with an empty value;
//   - keys are ASCII letters, digits and '_' after trimming white space;
//     any other key is refused;
//   - values are decoded as a form (percent-escapes, '+' to space); a
//     malformed escape such as a stray '%' is kept as raw text, and white
//     space around the decoded value is trimmed; in the value of a decisive
//     key (always plain ASCII at the gateway) a malformed escape is refused;
//   - a key may appear twice with the same value; with different values a
//     decisive key (ResponseCd, MerchantId, HashCd, MerchantFree1, OperateId,
//     and the other keys of IsDecisive) is refused, any other key keeps the
//     last value, as parse_str does.
func ParseForm(s string) (map[string]string, error) {
	fields := make(map[string]string, strings.Count(s, "&")+1)
	for rest, more := s, true; more; {
		var pair string
		pair, rest, more = strings.Cut(rest, "&")
		if trimSpace(pair) == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k = trimSpace(k)
		if k == "" || !validKey(k) {
			return nil, fmt.Errorf("%w: bad key", ErrMalformed)
		}
		if !IsDecisive(k) {
			fields[k] = trimSpace(Unescape(v)) // the last value wins, as in parse_str
			continue
		}
		if !wellEscaped(v) {
			return nil, fmt.Errorf("%w: malformed escape in %s", ErrMalformed, k)
		}
		v = trimSpace(Unescape(v))
		if old, dup := fields[k]; dup && old != v {
			return nil, fmt.Errorf("%w: key %s twice with different values", ErrMalformed, k)
		}
		fields[k] = v
	}
	return fields, nil
}

// parsePairs is ParseForm into pairs, with the same rules: a decisive key
// is kept once (decisive[i] is 1 + the index of the pair of decisive key i,
// 0 when absent); another key is kept as often as it comes, and its last
// value counts. The pairs' strings are substrings of s or new strings.
func parsePairs(s string) (_ []Pair, decisive [numDecisive]int32, _ error) {
	pairs := make([]Pair, 0, strings.Count(s, "&")+1)
	for rest, more := s, true; more; {
		var pair string
		pair, rest, more = strings.Cut(rest, "&")
		if trimSpace(pair) == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k = trimSpace(k)
		if k == "" || !validKey(k) {
			return nil, decisive, fmt.Errorf("%w: bad key", ErrMalformed)
		}
		d := decisiveIndex(k)
		if d < 0 {
			pairs = append(pairs, Pair{k, trimSpace(Unescape(v))})
			continue
		}
		if !wellEscaped(v) {
			return nil, decisive, fmt.Errorf("%w: malformed escape in %s", ErrMalformed, k)
		}
		v = trimSpace(Unescape(v))
		if i := decisive[d]; i > 0 {
			if pairs[i-1].Value != v {
				return nil, decisive, fmt.Errorf("%w: key %s twice with different values", ErrMalformed, k)
			}
			continue
		}
		pairs = append(pairs, Pair{k, v})
		decisive[d] = int32(len(pairs)) //nolint:gosec // at most MaxBody pairs
	}
	return pairs, decisive, nil
}

// Unescape decodes a form value as PHP's urldecode does: '+' is a space and
// %XX a byte; a '%' not followed by two hex digits is kept as it is.
func Unescape(v string) string {
	if !needsUnescape(v) {
		return v
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// needsUnescape reports whether v holds a '%' or a '+'.
func needsUnescape(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '%' || v[i] == '+' {
			return true
		}
	}
	return false
}

// wellEscaped reports whether every '%' in v starts a valid escape.
func wellEscaped(v string) bool {
	for i := strings.IndexByte(v, '%'); i >= 0; i = strings.IndexByte(v, '%') {
		if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
			return false
		}
		v = v[i+3:]
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// SplitCodes splits a ResponseCd value. OK gives nil. White space around the
// value and around each code is ignored; each code must be three upper-case
// letters or digits (an empty code between two '|' is refused).
func SplitCodes(rc string) ([]string, error) {
	rc = trimSpace(rc)
	if rc == "OK" {
		return nil, nil
	}
	if rc == "" {
		return nil, fmt.Errorf("%w: empty ResponseCd", ErrMalformed)
	}
	codes := strings.Split(rc, "|")
	for i, c := range codes {
		c = trimSpace(c)
		if !validCode(c) {
			return nil, fmt.Errorf("%w: bad response code", ErrMalformed)
		}
		codes[i] = c
	}
	return codes, nil
}

func validCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		b := c[i]
		if !(b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

func validKey(k string) bool {
	if len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// trimSpace trims ASCII white space, as PHP's trim does; a full-width space
// (U+3000) is data.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
