package escott

import "github.com/shopspring/decimal"

// Yen returns n whole yen as the decimal.Decimal every amount of this
// package is: escott.Yen(1980) reads better than decimal.NewFromInt(1980)
// and is the same value.
func Yen(n int64) decimal.Decimal { return decimal.NewFromInt(n) }
