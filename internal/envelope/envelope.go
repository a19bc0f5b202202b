// Package envelope seals and opens the e-SCOTT Smart 3-D Secure "EncryptValue" envelope (docs/protocol.md §7.1):
// standard Base64 of AES-128-CBC with PKCS#7 padding over form-encoded fields, keyed with the merchant's
// 16-character AES key and IV used as raw ASCII bytes.
//
// The envelope has no MAC, so a ciphertext is malleable: a successfully opened envelope is untrusted input until a
// server-side call confirms it. Every malformed envelope yields the single error ErrInvalid so that callers cannot
// turn the decoder into a padding oracle by accident.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// ErrInvalid is the one error returned for any malformed EncryptValue: bad Base64, bad length, bad padding or a
// plaintext that is not a well-formed field list. The causes are deliberately not distinguished (no padding
// oracle) and the input is never part of the message.
var ErrInvalid = errors.New("envelope: invalid EncryptValue")

// KeySize is the length in bytes of both the merchant's AES key and its IV.
const KeySize = 16

// maxCiphertextLen is the largest ciphertext Open will decrypt: a MaxPlaintextLen plaintext plus a full padding
// block. Anything longer cannot parse, so it is refused before any Base64 work.
const maxCiphertextLen = MaxPlaintextLen + aes.BlockSize

// redacted is what every textual form of a Cipher prints.
const redacted = "envelope.Cipher{key:REDACTED}"

// Cipher seals and opens EncryptValue envelopes with one merchant's AES key and IV. It is safe for concurrent use.
// Create it with New; the zero Cipher is not usable.
//
// No textual form of a Cipher (fmt verbs, slog) reveals the key or IV. The secrets are reachable only through a
// closure: fmt prints a Cipher held in an unexported struct field by reflection, without calling its methods, and
// with some verbs it follows pointers, but a func value always prints as a bare address.
type Cipher struct {
	newMode func(decrypt bool) cipher.BlockMode
}

// New returns a Cipher for the merchant's AES key ("暗号化キー") and IV ("初期化ベクトル"). Each must be exactly 16
// bytes of printable ASCII without spaces. The error names which of the two is wrong (both when both are) but never
// contains their values.
func New(key, iv string) (*Cipher, error) {
	if err := errors.Join(checkSecret("AES key", key), checkSecret("AES IV", iv)); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil { // unreachable: the length was checked above
		return nil, fmt.Errorf("envelope: AES key: %w", err)
	}
	var ivb [KeySize]byte // the raw key string is not kept; block holds only the expanded key
	copy(ivb[:], iv)
	return &Cipher{newMode: func(decrypt bool) cipher.BlockMode {
		if decrypt {
			return cipher.NewCBCDecrypter(block, ivb[:])
		}
		return cipher.NewCBCEncrypter(block, ivb[:])
	}}, nil
}

// checkSecret validates one of the two secrets. A space is refused although it is printable: merchant keys are
// alphanumeric, so a space almost always means a copy-and-paste slip that would otherwise fail only at the gateway.
func checkSecret(name, v string) error {
	if len(v) != KeySize {
		return fmt.Errorf("envelope: %s must be exactly %d characters, got %d", name, KeySize, len(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return fmt.Errorf("envelope: %s must be printable ASCII without spaces", name)
		}
	}
	return nil
}

// mode returns a fresh CBC mode (they carry chaining state, so one per call keeps the Cipher concurrency-safe).
func (c *Cipher) mode(decrypt bool) cipher.BlockMode {
	if c == nil || c.newMode == nil {
		panic("envelope: Cipher used without New")
	}
	return c.newMode(decrypt)
}

// Seal encrypts plaintext with AES-128-CBC and PKCS#7 padding and returns it as standard Base64 with padding.
// Open refuses envelopes whose plaintext is longer than MaxPlaintextLen, so callers should keep within it.
func (c *Cipher) Seal(plaintext []byte) string {
	enc := c.mode(false)
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+pad)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	enc.CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}

// Open decrypts an EncryptValue and returns the plaintext. It first turns spaces back into '+' (a form decoder
// reading a raw '+' yields a space), then requires strict standard Base64, a non-empty whole number of AES blocks
// no longer than MaxPlaintextLen plus one block, and valid PKCS#7 padding. Any failure is ErrInvalid.
//
// Open does not authenticate: a plaintext it returns may have been tampered with.
func (c *Cipher) Open(encryptValue string) ([]byte, error) {
	dec := c.mode(true)
	if encryptValue == "" || len(encryptValue) > base64.StdEncoding.EncodedLen(maxCiphertextLen) {
		return nil, ErrInvalid
	}
	if strings.IndexByte(encryptValue, ' ') >= 0 {
		encryptValue = strings.ReplaceAll(encryptValue, " ", "+")
	}
	buf, err := base64.StdEncoding.Strict().DecodeString(encryptValue)
	if err != nil || len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, ErrInvalid
	}
	dec.CryptBlocks(buf, buf)
	n := unpad(buf)
	if n < 0 {
		return nil, ErrInvalid
	}
	return buf[:n], nil
}

// unpad checks PKCS#7 padding over the last block and returns the plaintext length, or -1. It reads the whole last
// block whatever the pad byte says, so its running time does not depend on where the padding goes wrong.
func unpad(buf []byte) int {
	last := buf[len(buf)-aes.BlockSize:]
	pad := last[aes.BlockSize-1]
	good := subtle.ConstantTimeLessOrEq(1, int(pad)) & subtle.ConstantTimeLessOrEq(int(pad), aes.BlockSize)
	for i := 0; i < aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i+1, int(pad)) // byte i from the end belongs to the padding
		match := subtle.ConstantTimeByteEq(last[aes.BlockSize-1-i], pad)
		good &= match | (inPad ^ 1)
	}
	if good != 1 {
		return -1
	}
	return len(buf) - int(pad)
}

// Encrypt seals fields in form encoding (url.Values.Encode: keys sorted, spaces as '+', everything else
// percent-encoded), which is what the gateway expects inside the envelope.
func (c *Cipher) Encrypt(fields url.Values) string {
	return c.Seal([]byte(fields.Encode()))
}

// Decrypt opens an EncryptValue and parses its fields with ParseFields. Any failure is ErrInvalid. The fields are
// untrusted until a server-side call confirms them.
func (c *Cipher) Decrypt(encryptValue string) (url.Values, error) {
	plaintext, err := c.Open(encryptValue)
	if err != nil {
		return nil, err
	}
	return ParseFields(plaintext)
}

// String returns a fixed redacted text; the key and IV are never printed.
func (c Cipher) String() string { return redacted }

// GoString returns the same redacted text as String, so %#v is safe.
func (c Cipher) GoString() string { return redacted }

// Format implements fmt.Formatter so that every verb and flag (%v, %+v, %#v, %s, %x, %q, ...) prints the redacted
// text instead of falling back to printing the fields.
func (c Cipher) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer so that structured logs show the redacted text.
func (c Cipher) LogValue() slog.Value { return slog.StringValue(redacted) }
