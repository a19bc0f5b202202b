package jtext

import (
	"testing"
	"unicode/utf8"
)

// fuzzSeeds covers every conversion path: ASCII, half-width kana and marks,
// composition with spacing and combining marks, hiragana, kanji, emoji and
// invalid UTF-8.
var fuzzSeeds = []string{
	"", " ", "ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ", "ｶﾞﾊﾟｳﾞﾜﾞｱﾞﾞﾟ", "カ゛ハ゜カ\u3099ハ\u309a", "やまだ ﾀﾛｳ",
	"山田太郎", "😀👨‍👩‍👧", "¥₩\uFFA0", "a\xffb\xc3", "ゝ゛ヽ゛う゛", asciiPrintable, halfBlock, hiraganaAll,
}

// fullWidthAlphabet maps any rune onto a string of ASCII printable, half-width
// katakana, hiragana and kanji, the inputs for which Widen must give a
// full-width result.
func fullWidthAlphabet(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		u := uint32(r)
		switch u % 4 {
		case 0:
			out = append(out, rune(0x20+u/4%(0x7E-0x20+1)))
		case 1:
			out = append(out, rune(0xFF61+u/4%(0xFF9F-0xFF61+1)))
		case 2:
			out = append(out, rune(0x3041+u/4%(0x3096-0x3041+1)))
		default:
			out = append(out, rune(0x4E00+u/4%(0x9FFF-0x4E00+1)))
		}
	}
	return string(out)
}

// kanaAlphabet maps any rune onto half-width katakana (without the marks and
// the punctuation that has no katakana form), hiragana and spaces, the inputs
// for which Katakana must give katakana only.
func kanaAlphabet(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		u := uint32(r)
		switch u % 3 {
		case 0:
			out = append(out, rune(0xFF65+u/3%(0xFF9D-0xFF65+1))) // ･ through ﾝ
		case 1:
			out = append(out, rune(0x3041+u/3%(0x3096-0x3041+1)))
		default:
			out = append(out, []rune{' ', '\u3000', 'ゝ', 'ゞ'}[u/3%4])
		}
	}
	return string(out)
}

func FuzzWiden(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w := Widen(s)
		if !utf8.ValidString(w) {
			t.Fatalf("Widen(%q) = %q is not valid UTF-8", s, w)
		}
		if ww := Widen(w); ww != w {
			t.Fatalf("not idempotent: Widen(%q) = %q, Widen of that = %q", s, w, ww)
		}
		if Len(w) > Len(s) {
			t.Fatalf("Widen(%q) = %q is longer than the input", s, w)
		}
		a := fullWidthAlphabet(s)
		if wa := Widen(a); !IsFullWidth(wa) {
			t.Fatalf("Widen(%q) = %q is not full-width", a, wa)
		}
	})
}

func FuzzKatakana(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Katakana(s)
		if !utf8.ValidString(k) {
			t.Fatalf("Katakana(%q) = %q is not valid UTF-8", s, k)
		}
		if kk := Katakana(k); kk != k {
			t.Fatalf("not idempotent: Katakana(%q) = %q, Katakana of that = %q", s, k, kk)
		}
		for _, r := range k {
			if isConvertibleHiragana(r) {
				t.Fatalf("Katakana(%q) = %q keeps hiragana %q", s, k, r)
			}
		}
		a := kanaAlphabet(s)
		if ka := Katakana(a); !IsKatakana(ka) || !IsFullWidth(ka) {
			t.Fatalf("Katakana(%q) = %q is not full-width katakana", a, ka)
		}
	})
}
