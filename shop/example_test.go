package shop_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/shop"
)

func ExampleFeePolicy() {
	policy := shop.BandedFee(
		shop.FeeBand{UpTo: decimal.NewFromInt(9999), Fee: decimal.NewFromInt(220)},
		shop.FeeBand{UpTo: decimal.NewFromInt(29999), Fee: decimal.NewFromInt(330)},
		shop.FeeBand{Fee: decimal.NewFromInt(440)},
	).WithLimit(decimal.NewFromInt(100000))
	for _, goods := range []int64{5000, 20000, 150000} {
		fee, err := policy.Fee(decimal.NewFromInt(goods))
		fmt.Println(goods, fee, err)
	}
	// Output:
	// 5000 220 <nil>
	// 20000 330 <nil>
	// 150000 0 shop: online collection is not offered for this amount
}

// The checkout offers the payment divisions the card allows, labelled for
// the shopper.
func ExamplePayTypeLabel() {
	for _, pt := range escott.PayTypeChoices("4111", escott.InstallmentsAndRevolving) {
		fmt.Print(shop.PayTypeLabel(pt), " ")
	}
	fmt.Println()
	// Output: 一括払い 2回払い 3回払い 5回払い 6回払い 10回払い 12回払い 15回払い 18回払い 20回払い 24回払い リボルビング払い
}

// A member whose last authorisation-only sale was on 1 March may be deleted
// from midnight (JST) on 31 May.
func ExampleCanDelete() {
	jst := time.FixedZone("JST", 9*60*60)
	last := time.Date(2025, 3, 1, 15, 0, 0, 0, jst)
	ok, from := shop.CanDelete(last, time.Date(2025, 5, 30, 12, 0, 0, 0, jst))
	fmt.Println(ok, from.Format("2006-01-02 15:04 MST"))
	// Output: false 2025-05-31 00:00 JST
}
