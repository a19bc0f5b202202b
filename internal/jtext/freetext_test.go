package jtext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestFullWidthText(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		`Tel: 03 "A" 'b' \ ~ ｶﾞ`: "Ｔｅｌ：　０３　＂Ａ＂　＇ｂ＇　＼　～　ガ",
		"お問い合わせ":                 "お問い合わせ",
		"ｺﾝﾋﾞﾆ払い":                "コンビニ払い",
	} {
		got, bad, ok := FullWidthText(in)
		assert.True(t, ok, "%q: bad %q", in, bad)
		assert.Equal(t, want, got)
		assert.True(t, IsFullWidth(got))
	}
	for in, wantBad := range map[string]rune{"a\tb": '\t', "x⟨y": '⟨', "a\nb": '\n', "a\xffb": utf8.RuneError} {
		_, bad, ok := FullWidthText(in)
		assert.False(t, ok, "%q", in)
		assert.Equal(t, wantBad, bad, "%q", in)
	}
}

func TestHalfWidth(t *testing.T) {
	assert.Equal(t, "9:00-18:00 Mon", HalfWidth("９：００－１８：００\u3000Ｍｏｎ"))
	assert.Equal(t, "abc", HalfWidth("abc"))
	assert.Equal(t, "時間", HalfWidth("時間"))
}

func FuzzFullWidthText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, bad, ok := FullWidthText(s)
		if ok && (!IsFullWidth(got) || strings.ContainsRune(got, utf8.RuneError)) {
			t.Fatalf("FullWidthText(%q) = %q, %q, %v", s, got, bad, ok)
		}
		if !ok && !strings.ContainsRune(got, bad) {
			t.Fatalf("reported %q not in %q", bad, got)
		}
		h := HalfWidth(got)
		if utf8.ValidString(got) && !utf8.ValidString(h) {
			t.Fatalf("HalfWidth broke UTF-8: %q", got)
		}
	})
}
