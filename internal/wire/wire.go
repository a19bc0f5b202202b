// Package wire is the e-SCOTT Smart wire codec: requests are encoded as
// application/x-www-form-urlencoded forms and answers are one key=value&...
// string (PROTOCOL.md §2).
package wire

import (
	"errors"
	"fmt"
	"net/url"
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

// Response is a decoded gateway answer.
type Response struct {
	// Fields holds every key of the answer with its (unescaped) value.
	Fields map[string]string
	// Codes is ResponseCd split on '|'; nil when ResponseCd is OK.
	Codes []string
}

// OK reports whether ResponseCd was OK.
func (r *Response) OK() bool { return r.Codes == nil }

// Get returns the value of key, or "".
func (r *Response) Get(key string) string { return r.Fields[key] }

// Decode parses an answer body. It is strict: every pair must have a key and
// an '=', keys appear once, escapes must be valid, and ResponseCd must be
// present and be either OK or a '|'-joined list of three-character codes.
func Decode(body []byte) (*Response, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrMalformed, len(body))
	}
	s := strings.TrimRight(string(body), "\r\n")
	fields, err := ParseForm(s)
	if err != nil {
		return nil, err
	}
	rc, ok := fields["ResponseCd"]
	if !ok {
		return nil, fmt.Errorf("%w: no ResponseCd", ErrMalformed)
	}
	codes, err := SplitCodes(rc)
	if err != nil {
		return nil, err
	}
	return &Response{Fields: fields, Codes: codes}, nil
}

// ParseForm parses a key=value&key=value string strictly.
func ParseForm(s string) (map[string]string, error) {
	fields := make(map[string]string, strings.Count(s, "&")+1)
	for rest, more := s, s != ""; more; {
		var pair string
		pair, rest, more = strings.Cut(rest, "&")
		k, v, found := strings.Cut(pair, "=")
		if !found || k == "" {
			return nil, fmt.Errorf("%w: pair without key or '='", ErrMalformed)
		}
		if !validKey(k) {
			return nil, fmt.Errorf("%w: bad key", ErrMalformed)
		}
		if needsUnescape(v) {
			u, err := url.QueryUnescape(v)
			if err != nil {
				return nil, fmt.Errorf("%w: bad escape in %s", ErrMalformed, k)
			}
			v = u
		}
		if _, dup := fields[k]; dup {
			return nil, fmt.Errorf("%w: duplicate key %s", ErrMalformed, k)
		}
		fields[k] = v
	}
	return fields, nil
}

// SplitCodes splits a ResponseCd value. OK gives nil.
func SplitCodes(rc string) ([]string, error) {
	if rc == "OK" {
		return nil, nil
	}
	if rc == "" {
		return nil, fmt.Errorf("%w: empty ResponseCd", ErrMalformed)
	}
	codes := strings.Split(rc, "|")
	for _, c := range codes {
		if !validCode(c) {
			return nil, fmt.Errorf("%w: bad response code", ErrMalformed)
		}
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

func needsUnescape(v string) bool {
	return strings.ContainsAny(v, "%+")
}
