package envelope

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits on a decrypted field list. A 3-D Secure return carries about a dozen short fields; the caps keep a
// hostile envelope from costing more than a few kilobytes.
const (
	// MaxPlaintextLen is the largest plaintext, in bytes, that ParseFields (and therefore Decrypt) accepts.
	MaxPlaintextLen = 8 << 10
	// MaxFields is the largest number of fields ParseFields accepts.
	MaxFields = 64
)

// ParseFields parses a decrypted envelope plaintext, strict about structure and lenient about value encoding,
// because production clients disagree on whether values inside the envelope are percent-encoded (PROTOCOL.md §7.1):
//
//   - the plaintext is non-empty valid UTF-8 of at most MaxPlaintextLen bytes with at most MaxFields fields;
//   - fields are separated by '&'; each is key=value split at the first '=' (so values may contain '='); an empty
//     field or one without '=' is refused;
//   - keys are non-empty ASCII letters, digits and '_', taken literally, and each key appears once;
//   - values are decoded as a form does (percent-escapes, '+' to space) and must decode to valid UTF-8; a value
//     with a malformed percent-escape was evidently not encoded, so it is kept literally, '+' included;
//   - in the Base64-valued fields CAVV3D and EncodeXId3D a space is turned back into '+', so they come out right
//     whether the sender wrote "%2B" or a raw '+'.
//
// Any violation is ErrInvalid, which is what a wrong key or a tampered envelope usually produces.
func ParseFields(plaintext []byte) (url.Values, error) {
	if len(plaintext) == 0 || len(plaintext) > MaxPlaintextLen || !utf8.Valid(plaintext) {
		return nil, ErrInvalid
	}
	s := string(plaintext)
	n := strings.Count(s, "&") + 1
	if n > MaxFields {
		return nil, ErrInvalid
	}
	fields := make(url.Values, n)
	for {
		field, rest, more := strings.Cut(s, "&")
		key, raw, ok := strings.Cut(field, "=")
		if !ok || !validKey(key) {
			return nil, ErrInvalid
		}
		if _, dup := fields[key]; dup {
			return nil, ErrInvalid
		}
		value := decodeValue(raw)
		if !utf8.ValidString(value) {
			return nil, ErrInvalid
		}
		if key == "CAVV3D" || key == "EncodeXId3D" {
			value = strings.ReplaceAll(value, " ", "+")
		}
		fields[key] = []string{value}
		if !more {
			return fields, nil
		}
		s = rest
	}
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// decodeValue form-decodes v, or returns it unchanged when it holds a malformed percent-escape.
func decodeValue(v string) string {
	if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v
	}
	d, err := url.QueryUnescape(v)
	if err != nil {
		return v
	}
	return d
}
