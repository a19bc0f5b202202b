package jtext

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// The half-width katakana block U+FF61–U+FF9F, in code-point order, and what
// each rune becomes on its own.
const (
	halfBlock = "｡｢｣､･ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ"
	fullBlock = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜"

	asciiPrintable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	asciiWide      = "！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～"

	// U+3041–U+3096 then ゝゞ, and their katakana.
	hiraganaAll = "ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ"
	katakanaAll = "ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ"
)

func TestBlocksAreComplete(t *testing.T) {
	// Guards the literal tables above: a missing or swapped character would
	// make the exhaustive tests below prove less than they claim.
	half := []rune(halfBlock)
	require.Len(t, half, 0xFF9F-0xFF61+1)
	for i, r := range half {
		require.Equal(t, rune(0xFF61+i), r, "halfBlock[%d]", i)
	}
	require.Len(t, []rune(fullBlock), len(half))

	ascii := []rune(asciiPrintable)
	require.Len(t, ascii, 0x7E-0x21+1)
	for i, r := range ascii {
		require.Equal(t, rune(0x21+i), r)
	}
	require.Len(t, []rune(asciiWide), len(ascii))

	hira := []rune(hiraganaAll)
	require.Len(t, hira, 0x3096-0x3041+1+2)
	for i, r := range hira[:len(hira)-2] {
		require.Equal(t, rune(0x3041+i), r, "hiraganaAll[%d]", i)
	}
	require.Equal(t, []rune{'ゝ', 'ゞ'}, hira[len(hira)-2:])
	require.Len(t, []rune(katakanaAll), len(hira))
}

func TestWidenHalfWidthBlock(t *testing.T) {
	half, full := []rune(halfBlock), []rune(fullBlock)
	for i, r := range half {
		assert.Equal(t, string(full[i]), Widen(string(r)), "%U %c", r, r)
	}
}

func TestWidenASCII(t *testing.T) {
	ascii, wide := []rune(asciiPrintable), []rune(asciiWide)
	for i, r := range ascii {
		assert.Equal(t, string(wide[i]), Widen(string(r)), "%q", r)
	}
	assert.Equal(t, "\u3000", Widen(" "))
	assert.Equal(t, asciiWide, Widen(asciiPrintable))
	for _, c := range []string{"\t", "\n", "\r", "\x00", "\x7f"} {
		assert.Equal(t, c, Widen(c), "control %q is left for the caller", c)
	}
}

// voicedOracle is what Unicode says base+mark composes to: the NFC form if it
// is a single rune, otherwise ok is false.
func voicedOracle(base, combining rune) (rune, bool) {
	c := []rune(norm.NFC.String(string([]rune{base, combining})))
	if len(c) == 1 {
		return c[0], true
	}
	return 0, false
}

func TestWidenHalfWidthVoicedMarks(t *testing.T) {
	full := []rune(fullBlock)
	composed := map[rune]int{}
	for i, r := range []rune(halfBlock) {
		if r == halfVoiced || r == halfSemi {
			continue
		}
		for _, mk := range []struct {
			half, combining, spacing rune
		}{{halfVoiced, combiningVoiced, spacingVoiced}, {halfSemi, combiningSemi, spacingSemi}} {
			in := string([]rune{r, mk.half})
			want := string([]rune{full[i], mk.spacing})
			if c, ok := voicedOracle(full[i], mk.combining); ok {
				want = string(c)
				composed[mk.half]++
			}
			assert.Equal(t, want, Widen(in), "%q", in)
		}
	}
	// ｳ, ｶ–ｺ, ｻ–ｿ, ﾀ–ﾄ, ﾊ–ﾎ, ﾜ and ｦ take ﾞ; ﾊ–ﾎ take ﾟ.
	assert.Equal(t, 1+5+5+5+5+2, composed[halfVoiced])
	assert.Equal(t, 5, composed[halfSemi])
}

func TestWidenVoicedExamples(t *testing.T) {
	tests := map[string]string{
		"ｶﾞｷﾞｸﾞｹﾞｺﾞ":  "ガギグゲゴ",
		"ｻﾞｼﾞｽﾞｾﾞｿﾞ":  "ザジズゼゾ",
		"ﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ":  "ダヂヅデド",
		"ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ":  "バビブベボ",
		"ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ":  "パピプペポ",
		"ｳﾞ":          "ヴ",
		"ﾜﾞｦﾞ":        "ヷヺ",
		"ｱﾞ":          "ア゛",
		"ｶﾟ":          "カ゜",
		"ﾞ":           "゛",
		"ﾟ":           "゜",
		"ﾞｶ":          "゛カ",
		"ｶﾞﾞ":         "ガ゛",
		"ﾊﾟﾟ":         "パ゜",
		"ｶ ﾞ":         "カ\u3000゛",
		"カ゛":          "ガ",
		"カ\u3099":     "ガ",
		"ハ゜":          "パ",
		"ハ\u309a":     "パ",
		"か゛":          "が",
		"は\u309a":     "ぱ",
		"ゝ゛ヽ゛":        "ゞヾ",
		"ア\u3099":     "ア\u3099", // not composable: a combining mark is left alone
		"ア゛":          "ア゛",
		"漢\u3099":     "漢\u3099",
		"ｸﾞﾘｰﾝﾃｨｰ":    "グリーンティー",
		"ﾍﾞｰｼﾞｭ ﾊﾟﾝﾂ": "ベージュ\u3000パンツ",
	}
	for in, want := range tests {
		assert.Equal(t, want, Widen(in), "%q", in)
	}
}

func TestWidenFullWidthBaseWithMarks(t *testing.T) {
	// Every hiragana and katakana base, followed by each form of each mark.
	for base := rune(0x3041); base <= 0x30FF; base++ {
		if markOf(base) != noMark {
			continue
		}
		for _, mk := range []struct{ combining, spacing rune }{
			{combiningVoiced, spacingVoiced}, {combiningSemi, spacingSemi},
		} {
			c, ok := voicedOracle(base, mk.combining)
			for _, mark := range []rune{mk.combining, mk.spacing} {
				in := string([]rune{base, mark})
				want := in
				if ok {
					want = string(c)
				}
				assert.Equal(t, want, Widen(in), "%U %U", base, mark)
			}
		}
	}
}

// TestWidenEveryRune checks each rune on its own against the x/text width data:
// narrow and half-width runes take their wide form, all others stay.
func TestWidenEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue // surrogates
		}
		want := r
		p := width.LookupRune(r)
		if k := p.Kind(); (k == width.EastAsianNarrow || k == width.EastAsianHalfwidth) && p.Wide() != 0 {
			want = p.Wide()
		}
		switch r {
		case halfVoiced:
			want = spacingVoiced
		case halfSemi:
			want = spacingSemi
		}
		if got := widenRune(r); got != want {
			t.Fatalf("widenRune(%U) = %U, want %U", r, got, want)
		}
		if r >= 0x3000 && r < 0xFF00 && r != combiningVoiced && r != combiningSemi {
			continue // the fast path; the string form is covered below for a sample
		}
		if got := Widen(string(r)); got != string(want) {
			t.Fatalf("Widen(%U) = %q, want %q", r, got, string(want))
		}
	}
	for _, s := range []string{"漢字", "ひらがな", "カタカナ", "〜", "　"} {
		assert.Equal(t, s, Widen(s))
	}
}

func TestWidenLeavesOtherTextAlone(t *testing.T) {
	for _, s := range []string{
		"", "山田太郎", "ひらがな", "カタカナ", "髙橋", "𠮷野家", "😀🍣", "👨‍👩‍👧",
		"Ｔシャツ", "Привет", "é", "한국어", "العربية", "€", "…", "ー", "ヴ",
	} {
		assert.Equal(t, s, Widen(s), "%q", s)
	}
}

func TestWidenMixed(t *testing.T) {
	tests := map[string]string{
		"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ": "グリーンティー　５００ｍｌ　Ｔシャツ",
		"山田 ﾀﾛｳ":              "山田　タロウ",
		"ｻｲｽﾞ:L 😀":            "サイズ：Ｌ　😀",
		"｢ｶﾞｲﾄﾞ｣､ｲﾁ･ﾆ｡":       "「ガイド」、イチ・ニ。",
		"¥500":   "￥５００",
		"a\xffb": "ａ\uFFFDｂ",
	}
	for in, want := range tests {
		assert.Equal(t, want, Widen(in), "%q", in)
	}
}

func TestWidenNoAllocWhenAlreadyWide(t *testing.T) {
	s := "グリーンティー　５００ｍｌ　Ｔシャツ山田太郎"
	var out string
	allocs := testing.AllocsPerRun(100, func() { out = Widen(s) })
	assert.Zero(t, allocs)
	assert.Equal(t, s, out)
	allocs = testing.AllocsPerRun(100, func() { out = Katakana("ヤマダ　タロウ") })
	assert.Zero(t, allocs)
}

func TestKatakanaAllHiragana(t *testing.T) {
	hira, kata := []rune(hiraganaAll), []rune(katakanaAll)
	for i, r := range hira {
		assert.Equal(t, string(kata[i]), Katakana(string(r)), "%U %c", r, r)
	}
	assert.Equal(t, katakanaAll, Katakana(hiraganaAll))
	assert.True(t, IsKatakana(Katakana(hiraganaAll)))
	assert.Equal(t, "ゟ", Katakana("ゟ"), "the yori digraph has no katakana form")
}

func TestKatakana(t *testing.T) {
	tests := map[string]string{
		"やまだ ﾀﾛｳ":  "ヤマダ　タロウ",
		"ﾔﾏﾀﾞ　はなこ": "ヤマダ　ハナコ",
		"か゛":       "ガ",
		"う゛":       "ヴ",
		"ｶﾀｶﾅ":     "カタカナ",
		"カタカナ":     "カタカナ",
		"山田 たろう":   "山田　タロウ",
		"すずき･いちろう": "スズキ・イチロウ",
		"":         "",
		"ABC":      "ＡＢＣ",
		"こーひー😀":    "コーヒー😀",
		"ゝゞ":       "ヽヾ",
	}
	for in, want := range tests {
		assert.Equal(t, want, Katakana(in), "%q", in)
	}
}

func TestIsFullWidth(t *testing.T) {
	tests := map[string]bool{
		"":                                true,
		"山田太郎":                            true,
		"ヤマダ　タロウ":                         true,
		"ＡＢＣ１２３":                          true,
		"グリーンティー…":                        true,
		"😀":                               true,
		"é":                               true, // ambiguous width: not narrow
		"A":                               false,
		" ":                               false,
		"山田 太郎":                           false,
		"ｱ":                               false,
		"ﾞ":                               false,
		"｡":                               false,
		"¥":                               false,
		"₩":                               false,
		"\uFFA0":                          false, // half-width Hangul filler
		"山田\t":                            false,
		"\u3000\n":                        false,
		"\u0085":                          false, // C1 control
		"\xff":                            false,
		"\uFFFD":                          true, // a real replacement character is not an error
		"ア\u3099":                         true,
		asciiWide:                         true,
		fullBlock:                         true,
		hiraganaAll:                       true,
		Widen(asciiPrintable + halfBlock): true,
	}
	for in, want := range tests {
		assert.Equal(t, want, IsFullWidth(in), "%q", in)
	}
	for _, r := range halfBlock {
		assert.False(t, IsFullWidth(string(r)), "%U", r)
	}
	for _, r := range asciiPrintable {
		assert.False(t, IsFullWidth(string(r)), "%U", r)
	}
}

func TestIsKatakana(t *testing.T) {
	tests := map[string]bool{
		"":         true,
		"ヤマダ　タロウ":  true,
		"スズキ・イチロー": true,
		"ヽヾヴヵヶヷヺ":  true,
		"ァ":        true,  // U+30A1, first
		"ヺ":        true,  // U+30FA
		"゠":        false, // U+30A0
		"ヿ":        false, // U+30FF
		"ヤマダ タロウ":  false, // ASCII space
		"やまだ":      false,
		"ﾔﾏﾀﾞ":     false,
		"山田":       false,
		"ＡＢＣ":      false,
		"ア゛":       false,
		"カ\u3099":  false,
		"\xff":     false,
	}
	for in, want := range tests {
		assert.Equal(t, want, IsKatakana(in), "%q", in)
	}
	for r := rune(0x30A1); r <= 0x30FE; r++ {
		assert.True(t, IsKatakana(string(r)), "%U", r)
	}
}

func TestLen(t *testing.T) {
	assert.Equal(t, 0, Len(""))
	assert.Equal(t, 3, Len("abc"))
	assert.Equal(t, 4, Len("山田太郎"))
	assert.Equal(t, 2, Len("ｶﾞ"))
	assert.Equal(t, 1, Len("😀"))
	assert.Equal(t, 3, Len("a\xffb"))
}

func TestTruncate(t *testing.T) {
	s16 := "あいうえおかきくけこさしすせそた"
	s17 := s16 + "ち"
	require.Equal(t, 16, Len(s16))
	tests := []struct {
		name     string
		s        string
		n        int
		ellipsis string
		want     string
	}{
		{"exactly n", s16, 16, "…", s16},
		{"one over", s17, 16, "…", "あいうえおかきくけこさしすせそ…"},
		{"shorter", "あい", 16, "…", "あい"},
		{"empty", "", 16, "…", ""},
		{"no ellipsis", s17, 16, "", s16},
		{"long ellipsis", s17, 5, "(略)", "あい(略)"},
		{"n equals ellipsis", s17, 3, "(略)", "あいう"},
		{"n below ellipsis", s17, 2, "(略)", "あい"},
		{"n one", s17, 1, "…", "あ"},
		{"n zero", s17, 0, "…", ""},
		{"n negative", s17, -1, "…", ""},
		{"trailing space dropped", "ab　cdef", 4, "…", "ab…"},
		{"four-byte runes", "😀😀😀😀", 3, "…", "😀😀…"},
		{"kept when fits", "😀😀😀", 3, "…", "😀😀😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.s, tt.n, tt.ellipsis)
			assert.Equal(t, tt.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, Len(got), max(tt.n, 0))
		})
	}
}
