package escott

import (
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzHalfWidthKana: the kana conversion never panics, is idempotent, and
// what the validator accepts is half-width katakana only.
func FuzzHalfWidthKana(f *testing.F) {
	for _, s := range []string{"やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "ヴァー", "ガギグゲゴ", "パ", "ゔ", "Yamada", "山田", "ヰ", "\xff", "ｶﾞ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := halfWidthKana(s)
		if halfWidthKana(h) != h {
			t.Fatalf("not idempotent: %q → %q → %q", s, h, halfWidthKana(h))
		}
		v := &validator{}
		out := v.kana("KanaSei", s)
		if v.err() != nil {
			return
		}
		if s != "" && (out == "" || utf8.RuneCountInString(out) > 20) {
			t.Fatalf("accepted %q as %q", s, out)
		}
		for _, r := range out {
			if r < 0xFF66 || r > 0xFF9F {
				t.Fatalf("accepted %q with %U", s, r)
			}
		}
	})
}

// FuzzBrandOfTwoSeries: a prefix is Mastercard by the 2-series rule only when
// every number it starts lies in 2221–2720.
func FuzzBrandOfTwoSeries(f *testing.F) {
	for _, s := range []string{"2221", "2720", "2220", "2721", "22", "23", "272", "2", "2x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := mastercard2Series(s)
		if len(s) >= 4 {
			n, err := strconv.Atoi(s[:4])
			if err == nil && s[0] != '+' && s[0] != '-' {
				if want := n >= 2221 && n <= 2720; got != want {
					t.Fatalf("%q: got %v want %v", s, got, want)
				}
			}
		}
		if got && (s[0] != '2' || len(s) < 2) {
			t.Fatalf("%q accepted", s)
		}
	})
}
