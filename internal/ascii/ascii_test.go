package ascii

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClasses(t *testing.T) {
	assert.True(t, IsDigits("0123456789"))
	for _, s := range []string{"", "12a", "１２", " 1", "1-2"} {
		assert.False(t, IsDigits(s), s)
	}
	assert.True(t, IsAlnum("abcXYZ019"))
	for _, s := range []string{"", "a b", "a-b", "ａ", "a\x00"} {
		assert.False(t, IsAlnum(s), s)
	}
	assert.True(t, IsPrintable(""))
	assert.True(t, IsPrintable(" ~azAZ09!"))
	for _, s := range []string{"\t", "\x7f", "é", "\n"} {
		assert.False(t, IsPrintable(s), s)
	}
}
