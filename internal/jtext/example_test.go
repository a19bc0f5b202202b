package jtext_test

import (
	"fmt"

	"github.com/escott-go/escott/internal/jtext"
)

func ExampleWiden() {
	fmt.Println(jtext.Widen("ｸﾞﾘｰﾝﾃｨｰ 500ml"))
	fmt.Println(jtext.Widen("ｱﾞ"))
	// Output:
	// グリーンティー　５００ｍｌ
	// ア゛
}

func ExampleKatakana() {
	fmt.Println(jtext.Katakana("やまだ ﾀﾛｳ"))
	// Output: ヤマダ　タロウ
}

func ExampleProductName() {
	fmt.Println(jtext.ProductName([]string{"Tシャツ"}))
	fmt.Println(jtext.ProductName([]string{"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ"}))
	fmt.Println(jtext.ProductName([]string{"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ", "靴下"}))
	// Output:
	// Ｔシャツ
	// グリーンティー　５００ｍｌ　Ｔ…
	// グリーンティー　５００…　その他
}

func ExampleName() {
	kanji, kana := jtext.Name("山田  太郎", "ﾔﾏﾀﾞ たろう")
	fmt.Println(kanji, kana)
	kanji, kana = jtext.Name("やまだ はなこ", "")
	fmt.Println(kanji, kana)
	// Output:
	// 山田　太郎 ヤマダ　タロウ
	// やまだ　はなこ ヤマダ　ハナコ
}
