// Package wire is the e-SCOTT Smart wire codec: requests are encoded as
// application/x-www-form-urlencoded forms and answers are one key=value&...
// string (docs/protocol.md §2).
package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"

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

// Pairs are an answer's pairs in the order received, held as offsets into
// one string (the answer's body followed by the values that needed
// unescaping): two pointer-free allocations per answer, whatever its number
// of pairs. A key that is not decisive (IsDecisive) may appear more than
// once, and its last value counts, as in parse_str. The zero Pairs is empty.
// Pairs are read-only and safe for concurrent use.
type Pairs struct {
	s     string
	spans []span
}

// span is one pair: s[k0:k1] is the key, s[v0:v1] the value.
type span struct{ k0, k1, v0, v1 uint32 }

const spanSize = int(unsafe.Sizeof(span{}))

var amp = []byte{'&'}

// NewPairs returns Pairs holding a copy of pairs, in their order, in one
// pointer-free allocation. It keeps no reference to pairs.
func NewPairs(pairs []Pair) Pairs {
	if len(pairs) == 0 {
		return Pairs{}
	}
	size := 0
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value)
	}
	n := len(pairs)
	mem := make([]span, n+(size+spanSize-1)/spanSize+1) // +1: &mem[n] exists even when size is 0
	spans := mem[:n:n]
	b := unsafe.Slice((*byte)(unsafe.Pointer(&mem[n])), size)[:0] //nolint:gosec // within mem, which is pointer-free
	for i, p := range pairs {
		k0 := len(b)
		b = append(b, p.Key...)
		v0 := len(b)
		b = append(b, p.Value...)
		spans[i] = span{u32(k0), u32(v0), u32(v0), u32(len(b))}
	}
	// b is never written again: the string shares its bytes.
	return Pairs{s: unsafe.String(unsafe.SliceData(b), len(b)), spans: spans} //nolint:gosec // b is never written again
}

// u32 converts an offset into a body of at most a few MaxBody bytes.
func u32(i int) uint32 { return uint32(i) } //nolint:gosec // offsets are below 4 GiB: bodies are at most MaxBody

// Len returns the number of pairs.
func (p Pairs) Len() int { return len(p.spans) }

// At returns the key and value of pair i.
func (p Pairs) At(i int) (key, value string) {
	sp := p.spans[i]
	return p.s[sp.k0:sp.k1], p.s[sp.v0:sp.v1]
}

// Key returns the key of pair i.
func (p Pairs) Key(i int) string { sp := p.spans[i]; return p.s[sp.k0:sp.k1] }

// Value returns the value of pair i.
func (p Pairs) Value(i int) string { sp := p.spans[i]; return p.s[sp.v0:sp.v1] }

// Lookup returns the last value of key (parse_str's rule), and whether key
// is there.
func (p Pairs) Lookup(key string) (string, bool) {
	for i := len(p.spans) - 1; i >= 0; i-- {
		sp := p.spans[i]
		if p.s[sp.k0:sp.k1] == key {
			return p.s[sp.v0:sp.v1], true
		}
	}
	return "", false
}

// Get returns the last value of key, or "".
func (p Pairs) Get(key string) string {
	v, _ := p.Lookup(key)
	return v
}

// Map returns the pairs as a new map, the last value of a key winning.
func (p Pairs) Map() map[string]string {
	m := make(map[string]string, len(p.spans))
	for _, sp := range p.spans {
		m[p.s[sp.k0:sp.k1]] = p.s[sp.v0:sp.v1]
	}
	return m
}

// Response is a decoded gateway answer.
type Response struct {
	// Pairs holds the answer's pairs in the order received; a decisive key
	// appears once.
	Pairs Pairs
	// Codes is ResponseCd split on '|'; nil when ResponseCd is OK.
	Codes []string
	// decisive[i] is 1 + the index in Pairs of decisive key i, 0 when
	// absent or when the Response was not built by Decode.
	decisive [numDecisive]int32
}

// OK reports whether ResponseCd was OK.
func (r *Response) OK() bool { return r.Codes == nil }

// Get returns the value of key, or "". A decisive key is found without a
// search.
func (r *Response) Get(key string) string {
	if d := decisiveIndex(key); d >= 0 {
		if i := r.decisive[d]; i > 0 {
			return r.Pairs.Value(int(i - 1))
		}
	}
	return r.Pairs.Get(key)
}

// Map returns the fields as a new map, which is what ParseForm returns for
// the same answer.
func (r *Response) Map() map[string]string { return r.Pairs.Map() }

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
// reference to body: its pairs are offsets into one copy of it. On error r
// is left unchanged.
func DecodeInto(r *Response, body []byte) error {
	if len(body) > MaxBody {
		return fmt.Errorf("%w: body of %d bytes", ErrMalformed, len(body))
	}
	pairs, decisive, err := parsePairs(body)
	if err != nil {
		return err
	}
	rc := decisive[decisiveResponseCd]
	if rc == 0 {
		return fmt.Errorf("%w: no ResponseCd", ErrMalformed)
	}
	codes, err := SplitCodes(pairs.Value(int(rc - 1)))
	if err != nil {
		return err
	}
	r.Pairs, r.Codes, r.decisive = pairs, codes, decisive
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

// parsePairs is ParseForm into Pairs, with the same rules: a decisive key
// is kept once (decisive[i] is 1 + the index of the pair of decisive key i,
// 0 when absent); another key is kept as often as it comes, and its last
// value counts. The Pairs share one new copy of body.
func parsePairs(body []byte) (_ Pairs, decisive [numDecisive]int32, _ error) {
	if len(body) == 0 {
		return Pairs{}, decisive, nil
	}
	// One pointer-free allocation holds the spans, then the bytes: the
	// body, followed by the values that need unescaping, which are never
	// longer than the body.
	size := len(body)
	anyEscape := bytes.IndexByte(body, '%') >= 0 || bytes.IndexByte(body, '+') >= 0
	if anyEscape {
		size *= 2
	}
	n := bytes.Count(body, amp) + 1 // at most n pairs
	mem := make([]span, n+(size+spanSize-1)/spanSize)
	spans := mem[:0:n]
	buf := append(unsafe.Slice((*byte)(unsafe.Pointer(&mem[n])), size)[:0], body...) //nolint:gosec // within mem, which is pointer-free
	// b views the copy of the body, which is never written again (values
	// that need unescaping are appended after it).
	b := unsafe.String(unsafe.SliceData(buf), len(buf)) //nolint:gosec // buf[:len(body)] is never written again
	for start := 0; start <= len(b); {
		// A pair ends at the next '&' and is split at its first '='.
		end := strings.IndexByte(b[start:], '&')
		if end < 0 {
			end = len(b)
		} else {
			end += start
		}
		k0, k1, v0, v1 := start, end, end, end
		start = end + 1
		hasEq := false
		if eq := strings.IndexByte(b[k0:k1], '='); eq >= 0 {
			k1, v0, hasEq = k0+eq, k0+eq+1, true
		}
		k0, k1 = trimRange(b, k0, k1)
		if k0 == k1 {
			if !hasEq {
				continue // an empty pair, or white space only
			}
			return Pairs{}, decisive, fmt.Errorf("%w: bad key", ErrMalformed)
		}
		k, v := b[k0:k1], b[v0:v1]
		if !validKey(k) {
			return Pairs{}, decisive, fmt.Errorf("%w: bad key", ErrMalformed)
		}
		d := decisiveIndex(k)
		esc := anyEscape && needsUnescape(v)
		if d >= 0 && esc && !wellEscaped(v) {
			return Pairs{}, decisive, fmt.Errorf("%w: malformed escape in %s", ErrMalformed, k)
		}
		if esc {
			v0 = len(buf)
			buf = appendUnescaped(buf, v)
			v0, v1 = trimRange(buf, v0, len(buf))
		} else {
			v0, v1 = trimRange(b, v0, v1)
		}
		if d >= 0 {
			if i := decisive[d]; i > 0 {
				if o := spans[i-1]; !bytes.Equal(buf[o.v0:o.v1], buf[v0:v1]) {
					return Pairs{}, decisive, fmt.Errorf("%w: key %s twice with different values", ErrMalformed, k)
				}
				continue
			}
			decisive[d] = int32(len(spans) + 1) //nolint:gosec // at most MaxBody pairs
		}
		spans = append(spans, span{u32(k0), u32(k1), u32(v0), u32(v1)})
	}
	// buf is never written again: the string shares its bytes.
	return Pairs{s: unsafe.String(unsafe.SliceData(buf), len(buf)), spans: spans}, decisive, nil //nolint:gosec // buf is never written again
}

// trimRange trims ASCII white space (trimSpace) from b[i:j].
func trimRange[S string | []byte](b S, i, j int) (int, int) {
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return i, j
}

// appendUnescaped appends Unescape(v) to b.
func appendUnescaped(b []byte, v string) []byte {
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
	return b
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
