package jtext

import "testing"

const benchName = "ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ"

func BenchmarkWiden(b *testing.B) {
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Widen(benchName)
		}
	})
	wide := Widen(benchName)
	b.Run("already-wide", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Widen(wide)
		}
	})
}

func BenchmarkKatakana(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Katakana(benchName)
	}
}

func BenchmarkProductName(b *testing.B) {
	names := []string{benchName, "ｿｯｸｽ", "帽子"}
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ProductName(names[:1])
		}
	})
	b.Run("several", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ProductName(names)
		}
	})
}
