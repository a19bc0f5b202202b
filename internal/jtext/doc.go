// Package jtext prepares Japanese text for the online-collection (2Add) fields
// of the e-SCOTT Smart gateway (docs/protocol.md §8): NameKanji must be full-width
// (K51), NameKana full-width katakana (K52), ShouhinName full-width only and at
// most 16 characters (K53). The gateway counts characters, i.e. runes of the
// UTF-8 form body, so [Len] counts runes.
//
// All functions are pure: no state, safe for concurrent use. Input that is
// already in the target form is returned as is, without allocating.
//
// # What the conversions do
//
//   - [Widen]: printable ASCII becomes its full-width form (U+0020 space
//     becomes the ideographic space U+3000, '~' becomes '～'); half-width
//     katakana and punctuation (U+FF61–U+FF9F) become full-width, with a
//     following ﾞ or ﾟ composed into the voiced or semi-voiced kana
//     (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ); a mark that cannot compose becomes the
//     spacing mark ゛ or ゜ (ｱﾞ → ア゛). A full-width kana followed by a voiced
//     mark, spacing (゛ ゜) or combining (U+3099 U+309A), is composed too
//     (カ゛ → ガ). The few other narrow or half-width characters that Unicode
//     pairs with a wide form are widened as well (¥ → ￥, ₩ → ￦, half-width
//     Hangul), because leaving them would only earn a K51/K53 rejection.
//     Everything else (kanji, hiragana, full-width text, Latin letters with
//     accents, emoji, other scripts) is unchanged.
//   - [Katakana]: [Widen], then hiragana becomes katakana.
//   - [Name] and [ProductName] build the 2Add name fields; their doc comments
//     give the exact rules.
//
// # Dependency: golang.org/x/text/width
//
// The project weighs a well-kept library before hand-writing width and kana
// conversion. The choice:
//
//   - Width data comes from golang.org/x/text/width (maintained by the Go team,
//     generated from the Unicode Character Database, pure Go, no I/O). It
//     classifies every rune (narrow, half-width, wide, ...) for [IsFullWidth] and
//     gives the wide counterpart of each narrow or half-width rune for [Widen],
//     so the tables follow Unicode rather than a hand-typed list.
//   - Voiced-mark composition is written here. width.Widen turns ﾞ and ﾟ into
//     the combining marks U+3099/U+309A (checked with v0.44.0; not the spacing
//     U+309B/U+309C, which NFC would never compose). unicode/norm NFC composes
//     ガ from カ+U+3099, but leaves ア+U+3099 as a bare base with a combining
//     mark and a lone ﾞ as a combining mark with nothing to sit on, where the
//     gateway field wants the visible ア゛ and ゛; NFC also never composes the
//     spacing marks (カ゛), which shoppers do type. A small switch over the
//     Unicode canonical compositions with U+3099/U+309A handles all of these in
//     one pass; the tests check it against unicode/norm (a test-only use).
//   - Hiragana → katakana is a fixed code-point offset; no library offers it
//     (x/text has no kana conversion), so it is written here.
package jtext
