package jtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field lengths of the online-collection request (docs/protocol.md §8), in
// characters as [Len] counts them.
const (
	MaxNameKanjiLen   = 20 // NameKanji (K51)
	MaxNameKanaLen    = 20 // NameKana (K52)
	MaxProductNameLen = 16 // ShouhinName (K53)
	MaxFreeShortLen   = 16 // Free1–Free7
	MaxCommentLen     = 30 // Comment and Free8–Free16
	MaxTitleLen       = 20 // Title
	// Inquiry fields of the payment page (SPS's EC-CUBE 2 module, defines.php).
	MaxInquiryContactLen = 21 // Free17, contact (K57)
	MaxInquiryPhoneLen   = 12 // Free18, phone: half-width digits and hyphens (K58)
	MaxInquiryHoursLen   = 11 // Free19, hours: half-width (K59)
)

// Ellipsis is the full-width ellipsis (U+2026, a double-byte character in
// Japanese text) that marks a shortened product name.
const Ellipsis = "…"

// severalItems ends the product name of an order with more than one item:
// an ideographic space to set it off from the first name, then "その他"
// ("and others"), the wording docs/protocol.md §8 names.
const severalItems = "\u3000その他"

// ProductName builds the ShouhinName field from the names of an order's items:
// full-width ([Widen]), white space trimmed and each run of it (tabs and line
// breaks included) made one ideographic space U+3000, other control characters
// dropped, at most [MaxProductNameLen] (16) runes. Names that are empty after
// this are ignored.
//
//   - No name left: "" (the caller reports the missing product name).
//   - One name: that name; if longer than 16 runes, its first 15 runes (less
//     trailing space) and "…".
//   - Several names: the first name, an ideographic space and "その他"; the
//     first name is shortened with "…" to 12 runes so that the whole fits 16.
//
// Examples:
//
//	["Tシャツ"]                           → "Ｔシャツ"
//	["ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ"]            → "グリーンティー　５００ｍｌ　Ｔ…"
//	["Tシャツ", "靴下"]                    → "Ｔシャツ　その他"
//	["ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ", "靴下"]    → "グリーンティー　５００…　その他"
//	["", "  ", "靴下"]                    → "靴下"
func ProductName(names []string) string {
	var first string
	count := 0
	for _, n := range names {
		n = cleanSpace(Widen(n))
		if n == "" {
			continue
		}
		if count == 0 {
			first = n
		}
		count++
	}
	switch count {
	case 0:
		return ""
	case 1:
		return Truncate(first, MaxProductNameLen, Ellipsis)
	}
	budget := MaxProductNameLen - utf8.RuneCountInString(severalItems)
	return Truncate(first, budget, Ellipsis) + severalItems
}

// Name builds the NameKanji and NameKana fields of the shopper's name.
//
// nameKanji is [Widen](kanji); nameKana is [Katakana](kana), so hiragana and
// half-width katakana become full-width katakana. In both, white space is
// trimmed, each run of it becomes one ideographic space U+3000 (so "山田 太郎"
// and "山田　　太郎" both give "山田　太郎"), and other control characters are
// dropped.
//
// Fallback: if kana is empty or only white space, nameKana is built from kanji
// instead, as docs/protocol.md §8 says ("fall back to the kanji name only if no kana
// exists"); a kanji name written in kana converts cleanly, but real kanji stay
// kanji and the result then fails [IsKatakana]. Name neither checks nor
// shortens (cutting a person's name is not this package's call): the caller
// validates with [IsFullWidth], [IsKatakana], [Len] and the Max constants and
// reports K51/K52-style errors itself.
func Name(kanji, kana string) (nameKanji, nameKana string) {
	nameKanji = cleanSpace(Widen(kanji))
	src := kana
	if strings.TrimFunc(kana, isSpaceOrControl) == "" {
		src = kanji
	}
	return nameKanji, cleanSpace(Katakana(src))
}

func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// cleanSpace trims white space, turns each inner run of it into one U+3000
// and drops other control characters. It returns s itself when nothing
// changes.
func cleanSpace(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0 // leading space is dropped
		case unicode.IsControl(r):
			// dropped; does not end a run of space
		default:
			if pendingSpace {
				b.WriteRune(ideographicSpace)
				pendingSpace = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean reports whether cleanSpace would return s unchanged.
func isClean(s string) bool {
	prevSpace := true // a leading space is not clean
	for _, r := range s {
		switch {
		case r == ideographicSpace:
			if prevSpace {
				return false
			}
			prevSpace = true
		case unicode.IsSpace(r), unicode.IsControl(r):
			return false
		default:
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}
