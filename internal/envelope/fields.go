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

// ParseFields parses a decrypted envelope plaintext, lenient where the PHP clients are (docs/protocol.md §2) and
// strict about everything that could let a garbled or forged plaintext through:
//
//   - the plaintext is non-empty valid UTF-8 of at most MaxPlaintextLen bytes with at most MaxFields fields;
//   - fields are separated by '&'; empty fields (a leading or trailing '&', "&&") are skipped, but at least one
//     field must remain; each is key=value split at the first '=' (so values may contain '='); a field without
//     '=' is refused;
//   - keys are non-empty ASCII letters, digits and '_', taken literally; a key may appear again only with the
//     same value (any key: every field of a 3-D Secure result is checked against the attempt);
//   - values are decoded as a form does (percent-escapes, '+' to space) and must decode to valid UTF-8; a value
//     with a malformed percent-escape (a stray '%') was evidently not encoded, so it is kept literally, '+'
//     included; white space around a value is ignored;
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
	fields := make(url.Values, min(n, MaxFields))
	count := 0
	for more := true; more; {
		var field string
		field, s, more = strings.Cut(s, "&")
		if trimSpace(field) == "" {
			continue
		}
		if count++; count > MaxFields {
			return nil, ErrInvalid
		}
		key, raw, ok := strings.Cut(field, "=")
		if !ok || !validKey(key) {
			return nil, ErrInvalid
		}
		value := decodeValue(trimSpace(raw))
		if !utf8.ValidString(value) {
			return nil, ErrInvalid
		}
		if key == "CAVV3D" || key == "EncodeXId3D" {
			value = strings.ReplaceAll(value, " ", "+")
		} else {
			value = trimSpace(value)
		}
		if old, dup := fields[key]; dup {
			if old[0] != value {
				return nil, ErrInvalid
			}
			continue
		}
		fields[key] = []string{value}
	}
	if len(fields) == 0 {
		return nil, ErrInvalid
	}
	return fields, nil
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

// trimSpace trims ASCII white space, as PHP's trim does; a full-width space
// (U+3000) is data.
func trimSpace(s string) string { return strings.Trim(s, " \t\r\n\v\f") }
