package jtext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Code points used by the conversions.
const (
	ideographicSpace = '\u3000'
	combiningVoiced  = '\u3099' // combining katakana-hiragana voiced sound mark
	combiningSemi    = '\u309A' // combining semi-voiced sound mark
	spacingVoiced    = '\u309B' // ゛
	spacingSemi      = '\u309C' // ゜
	halfVoiced       = '\uFF9E' // ﾞ
	halfSemi         = '\uFF9F' // ﾟ
)

// markKind tells which mark a rune is, if any.
type markKind uint8

const (
	noMark markKind = iota
	voicedMark
	semiVoicedMark
)

func markOf(r rune) markKind {
	switch r {
	case halfVoiced, combiningVoiced, spacingVoiced:
		return voicedMark
	case halfSemi, combiningSemi, spacingSemi:
		return semiVoicedMark
	}
	return noMark
}

// compose returns the precomposed kana for base followed by mark, following the
// Unicode canonical compositions with U+3099 and U+309A, for both hiragana and
// katakana bases.
func compose(base rune, m markKind) (rune, bool) {
	switch m {
	case voicedMark:
		switch base {
		case 'か', 'き', 'く', 'け', 'こ', 'さ', 'し', 'す', 'せ', 'そ',
			'た', 'ち', 'つ', 'て', 'と', 'は', 'ひ', 'ふ', 'へ', 'ほ', 'ゝ',
			'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ',
			'タ', 'チ', 'ツ', 'テ', 'ト', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'ヽ':
			return base + 1, true
		case 'う':
			return 'ゔ', true
		case 'ウ':
			return 'ヴ', true
		case 'ワ', 'ヰ', 'ヱ', 'ヲ': // ワ..ヲ are consecutive, as are ヷ..ヺ
			return base - 'ワ' + 'ヷ', true
		}
	case semiVoicedMark:
		switch base {
		case 'は', 'ひ', 'ふ', 'へ', 'ほ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ':
			return base + 2, true
		}
	}
	return 0, false
}

// widenRune maps one rune on its own, without looking at its neighbours.
func widenRune(r rune) rune {
	switch {
	case r < ' ' || r == 0x7F:
		return r // control characters have no wide form
	case r == ' ':
		return ideographicSpace
	case r < 0x7F:
		return r - '!' + '！' // the full-width ASCII block mirrors ASCII
	case r == halfVoiced:
		return spacingVoiced
	case r == halfSemi:
		return spacingSemi
	case r < 0xA2 || (r >= 0x3000 && r < 0xFF00):
		// Fast path for kana, kanji and Latin-1 controls: Unicode has no
		// narrow or half-width characters in these ranges.
		return r
	}
	p := width.LookupRune(r)
	if k := p.Kind(); k == width.EastAsianNarrow || k == width.EastAsianHalfwidth {
		if w := p.Wide(); w != 0 {
			return w
		}
	}
	return r
}

// Widen returns s in full-width form: printable ASCII and half-width katakana
// become full-width, voiced and semi-voiced marks are composed with the kana
// before them (ｶﾞ → ガ, カ゛ → ガ, カ+U+3099 → ガ), a mark that cannot compose
// becomes the spacing ゛ or ゜ (ｱﾞ → ア゛), and everything else is unchanged
// (see the package documentation for the full rule). Invalid UTF-8 bytes become
// U+FFFD. Widen is idempotent.
func Widen(s string) string {
	start := widenStart(s)
	if start < 0 {
		return s
	}
	var b strings.Builder
	// ASCII grows from one byte to three; kana stay three bytes or shrink.
	b.Grow(start + 3*(len(s)-start))
	b.WriteString(s[:start])
	for i := start; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		w := widenRune(r)
		if i < len(s) {
			next, nsize := utf8.DecodeRuneInString(s[i:])
			if m := markOf(next); m != noMark {
				if c, ok := compose(w, m); ok {
					w = c
					i += nsize
				}
			}
		}
		b.WriteRune(w) // writes U+FFFD for an invalid byte
	}
	return b.String()
}

// widenStart returns the byte offset of the first rune that Widen changes, or
// -1 if Widen(s) == s.
func widenStart(s string) int {
	prev, prevAt := rune(-1), 0
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
		if widenRune(r) != r {
			return i
		}
		if m := markOf(r); m != noMark && prev >= 0 {
			if _, ok := compose(prev, m); ok {
				return prevAt
			}
		}
		prev, prevAt = r, i
	}
	return -1
}

// Katakana returns [Widen](s) with hiragana turned into katakana
// (ぁ–ゖ → ァ–ヶ, ゝゞ → ヽヾ), so "やまだ ﾀﾛｳ" becomes "ヤマダ　タロウ".
// Kanji, Latin letters and other characters are kept (widened), so the result
// satisfies [IsKatakana] only when s held nothing but kana, ・, ー and spaces;
// the caller checks.
func Katakana(s string) string {
	s = Widen(s)
	start := -1
	for i, r := range s {
		if isConvertibleHiragana(r) {
			start = i
			break
		}
	}
	if start < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:start])
	for _, r := range s[start:] {
		if isConvertibleHiragana(r) {
			r += 'ア' - 'あ'
		}
		b.WriteRune(r)
	}
	// Widen again: a hiragana without a voiced form (わ゙) becomes a katakana
	// that has one (ヷ), so the mark composes only now.
	return Widen(b.String())
}

// isConvertibleHiragana reports whether r is a hiragana with a katakana
// counterpart at the fixed offset 0x60. ゟ (U+309F, the yori digraph) has none.
func isConvertibleHiragana(r rune) bool {
	return (r >= 'ぁ' && r <= 'ゖ') || r == 'ゝ' || r == 'ゞ'
}

// IsFullWidth reports whether s is acceptable in a full-width-only field: valid
// UTF-8 with no control character and no rune that Unicode classifies as narrow
// or half-width (ASCII, half-width katakana U+FF61–U+FF9F, half-width Hangul and
// symbols, ¥ ¢ and the like). Wide and ambiguous characters pass, as do
// characters without East Asian width (Latin with accents, other scripts); the
// gateway's own character set is not documented, so this is the strictest rule
// that can be stated without guessing. The empty string is full-width.
func IsFullWidth(s string) bool {
	for i, r := range s {
		switch {
		case r < 0x80:
			return false // ASCII, including control characters
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		case unicode.IsControl(r):
			return false
		case r >= 0x3000 && r < 0xFF00:
			continue // kana and kanji: never narrow
		}
		if k := width.LookupRune(r).Kind(); k == width.EastAsianNarrow || k == width.EastAsianHalfwidth {
			return false
		}
	}
	return true
}

// IsKatakana reports whether s consists only of full-width katakana
// (U+30A1–U+30FA), the prolonged sound mark ー, the middle dot ・, the
// iteration marks ヽヾ and the ideographic space U+3000: what NameKana accepts.
// The empty string is katakana.
func IsKatakana(s string) bool {
	for _, r := range s {
		// U+30A1–U+30FE is exactly ァ–ヺ, ・, ー, ヽ, ヾ.
		if (r < 'ァ' || r > 'ヾ') && r != ideographicSpace {
			return false
		}
	}
	return true
}

// Len returns the length of s as the gateway counts it: in characters (runes).
// An invalid byte counts as one character.
func Len(s string) int {
	return utf8.RuneCountInString(s)
}

// Truncate returns s cut to at most n runes. If s is cut, the kept part loses
// its trailing white space and ellipsis is appended, the whole still at most n
// runes. If n is not larger than the ellipsis, there is no room for any text
// before it, so s is cut plainly to n runes without ellipsis. Truncate never
// splits a rune; n <= 0 gives "".
func Truncate(s string, n int, ellipsis string) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	e := utf8.RuneCountInString(ellipsis)
	if e == 0 || n <= e {
		return cut(s, n)
	}
	return strings.TrimRightFunc(cut(s, n-e), unicode.IsSpace) + ellipsis
}

// cut returns the first n runes of s (all of s if it is shorter).
func cut(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// FullWidthText converts s for a full-width-only free text (Comment and
// Free1–Free16 of 2Add) the way SPS's own modules do: mb_convert_kana with
// 'A', 'S' and 'K' (ASCII letters, digits and symbols, the space and
// half-width katakana become full-width) and the symbols " ' \ ~ that 'A'
// leaves widened too — which is [Widen]. It returns the converted text and,
// when some rune still is not full-width ([IsFullWidth]: a control character
// such as a tab, a narrow character without a wide form such as ⟨, or an
// invalid byte, reported as U+FFFD), the
// first such rune and ok false, so that the caller can name it.
func FullWidthText(s string) (text string, bad rune, ok bool) {
	text = Widen(s)
	for i, r := range text {
		if r >= 0x3000 && r < 0xFF00 {
			continue
		}
		// U+FFFD is what Widen made of an invalid byte: not text either.
		if r == utf8.RuneError || !IsFullWidth(text[i:i+utf8.RuneLen(r)]) {
			return text, r, false
		}
	}
	return text, 0, true
}

// HalfWidth returns s with full-width ASCII (U+FF01–U+FF5E) and the
// ideographic space U+3000 made half-width, as mb_convert_kana 'a' and 's'
// do; everything else is unchanged.
func HalfWidth(s string) string {
	if !strings.ContainsFunc(s, isWideASCII) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == ideographicSpace:
			return ' '
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		}
		return r
	}, s)
}

func isWideASCII(r rune) bool { return r == ideographicSpace || r >= '！' && r <= '～' }
