package jtext

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProductName(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  string
	}{
		{"nil", nil, ""},
		{"empty list", []string{}, ""},
		{"only empty names", []string{"", " ", "\u3000", "\t\n"}, ""},
		{"one short", []string{"Tシャツ"}, "Ｔシャツ"},
		{"one widened", []string{"ｸﾞﾘｰﾝﾃｨｰ"}, "グリーンティー"},
		{"one long", []string{"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ"}, "グリーンティー　５００ｍｌ　Ｔ…"},
		{"one exactly 16", []string{"あいうえおかきくけこさしすせそた"}, "あいうえおかきくけこさしすせそた"},
		{"one 17", []string{"あいうえおかきくけこさしすせそたち"}, "あいうえおかきくけこさしすせそ…"},
		{"spaces squeezed", []string{"  Tシャツ \t L  "}, "Ｔシャツ　Ｌ"},
		{"control dropped", []string{"Tシャ\x00ツ"}, "Ｔシャツ"},
		{"several short", []string{"Tシャツ", "靴下"}, "Ｔシャツ　その他"},
		{"several long first", []string{"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ", "靴下"}, "グリーンティー　５００…　その他"},
		{"several first exactly 12", []string{"あいうえおかきくけこさし", "靴下"}, "あいうえおかきくけこさし　その他"},
		{"several first 13", []string{"あいうえおかきくけこさしす", "靴下"}, "あいうえおかきくけこさ…　その他"},
		{"empties ignored, one left", []string{"", "靴下", " "}, "靴下"},
		{"empties ignored, first is first non-empty", []string{"", "靴下", "帽子"}, "靴下　その他"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProductName(tt.names)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, Len(got), MaxProductNameLen)
			assert.True(t, IsFullWidth(got), "%q", got)
		})
	}
}

func TestProductNameAlwaysFits(t *testing.T) {
	// Lengths around every boundary, one and several items, ASCII and kana.
	for n := 0; n <= 40; n++ {
		for _, unit := range []string{"a", "ｱ", "あ", "😀", "ｶﾞ"} {
			name := strings.Repeat(unit, n)
			for _, names := range [][]string{{name}, {name, "x"}, {name, "x", "y"}} {
				got := ProductName(names)
				require.LessOrEqual(t, Len(got), MaxProductNameLen, "%q", names)
				require.True(t, IsFullWidth(got), "%q", got)
				if n > 0 && len(names) > 1 {
					require.True(t, strings.HasSuffix(got, "\u3000その他"), "%q", got)
				}
			}
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		name                string
		kanji, kana         string
		wantKanji, wantKana string
	}{
		{"typical", "山田 太郎", "やまだ たろう", "山田　太郎", "ヤマダ　タロウ"},
		{"half-width kana", "山田太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "山田太郎", "ヤマダ　タロウ"},
		{"spaces squeezed and trimmed", "  山田\u3000\u3000太郎 ", " ヤマダ \t タロウ\u3000", "山田　太郎", "ヤマダ　タロウ"},
		{"ascii widened", "John Smith", "ジョン スミス", "Ｊｏｈｎ　Ｓｍｉｔｈ", "ジョン　スミス"},
		{"fallback kana name", "やまだ たろう", "", "やまだ　たろう", "ヤマダ　タロウ"},
		{"fallback on blank kana", "ﾔﾏﾀﾞ", " \u3000 ", "ヤマダ", "ヤマダ"},
		{"fallback keeps kanji", "山田 たろう", "", "山田　たろう", "山田　タロウ"},
		{"both empty", "", "", "", ""},
		{"control dropped", "山田\x00太郎", "やまだ\x07", "山田太郎", "ヤマダ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, kana := Name(tt.kanji, tt.kana)
			assert.Equal(t, tt.wantKanji, k)
			assert.Equal(t, tt.wantKana, kana)
			assert.True(t, IsFullWidth(k), "%q", k)
			assert.True(t, IsFullWidth(kana), "%q", kana)
		})
	}
	_, kana := Name("山田 たろう", "")
	assert.False(t, IsKatakana(kana), "a kanji fallback must still be caught by the caller")
}

func TestCleanSpace(t *testing.T) {
	tests := map[string]string{
		"":                  "",
		"a":                 "a",
		"a\u3000b":          "a\u3000b",
		"\u3000a":           "a",
		"a\u3000":           "a",
		"a \t\n\u3000 b":    "a\u3000b",
		"\u3000\u3000":      "",
		"a\x00\u3000\x00 b": "a\u3000b",
	}
	for in, want := range tests {
		assert.Equal(t, want, cleanSpace(in), "%q", in)
		assert.Equal(t, in == want, isClean(in), "isClean(%q)", in)
	}
}
