package envelope_test

import (
	"testing"
)

// BenchmarkEncrypt seals a typical 3-D Secure return of 14 fields.
func BenchmarkEncrypt(b *testing.B) {
	c := newCipher(b)
	fields := typicalReturn()
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Encrypt(fields)
	}
}

// BenchmarkDecrypt opens and parses a typical 3-D Secure return of 14 fields.
func BenchmarkDecrypt(b *testing.B) {
	c := newCipher(b)
	ev := c.Encrypt(typicalReturn())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decrypt(ev); err != nil {
			b.Fatal(err)
		}
	}
}
