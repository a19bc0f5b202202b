package shop

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// ErrNotOffered is returned by FeePolicy.Fee for an amount above which online
// collection is not offered.
var ErrNotOffered = errors.New("shop: online collection is not offered for this amount")

// FeeBand is one row of a banded fee: amounts up to and including UpTo pay
// Fee. A zero UpTo in the last band means "and above".
type FeeBand struct {
	UpTo decimal.Decimal
	Fee  decimal.Decimal
}

// FeePolicy is the fee a shop charges for online collection (the Welcart
// module's 手数料 setting): a fixed fee, or a fee by amount bands, with an
// optional upper amount above which the method is not offered (上限額). The
// gateway knows nothing of it: add Fee to the order total and send that as
// the online-collection amount (at most escott.MaxCVSAmount).
//
// Which amount the policy is applied to — the goods total, or the total
// including shipping — is the host's choice, as in Welcart, where it follows
// the cash-on-delivery fee setting. Pass the same amount to Offered and Fee.
// The zero value is a free method with no upper amount.
type FeePolicy struct {
	// Fixed is the fee when Bands is empty.
	Fixed decimal.Decimal
	// Bands, in ascending UpTo, replace Fixed when set. An amount above the
	// last band (when its UpTo is not zero) is not offered.
	Bands []FeeBand
	// Limit, when positive, is the largest amount for which the method is
	// offered.
	Limit decimal.Decimal
}

// FixedFee returns a policy with one fee for every amount.
func FixedFee(fee decimal.Decimal) FeePolicy { return FeePolicy{Fixed: fee} }

// BandedFee returns a policy with a fee by amount bands.
func BandedFee(bands ...FeeBand) FeePolicy { return FeePolicy{Bands: bands} }

// WithLimit returns the policy with an upper amount above which the method
// is not offered.
func (p FeePolicy) WithLimit(limit decimal.Decimal) FeePolicy { p.Limit = limit; return p }

// Validate checks the policy: fees and band limits whole, non-negative yen,
// bands strictly ascending, an open band only last.
func (p FeePolicy) Validate() error {
	bad := func(d decimal.Decimal) bool { return d.Sign() < 0 || !d.IsInteger() }
	if bad(p.Fixed) || bad(p.Limit) {
		return errors.New("shop: fee policy: Fixed and Limit must be whole, non-negative yen")
	}
	for i, b := range p.Bands {
		if bad(b.Fee) || bad(b.UpTo) {
			return fmt.Errorf("shop: fee policy: band %d: amounts must be whole, non-negative yen", i+1)
		}
		if b.UpTo.IsZero() && i != len(p.Bands)-1 {
			return fmt.Errorf("shop: fee policy: band %d: only the last band may be open (UpTo 0)", i+1)
		}
		if i > 0 && !b.UpTo.IsZero() && !b.UpTo.GreaterThan(p.Bands[i-1].UpTo) {
			return fmt.Errorf("shop: fee policy: band %d: UpTo must be larger than the band before", i+1)
		}
	}
	return nil
}

// Offered reports whether online collection may be offered for amount: a
// valid policy, a positive amount, not above Limit, and covered by a band.
func (p FeePolicy) Offered(amount decimal.Decimal) bool {
	_, err := p.Fee(amount)
	return err == nil
}

// Fee returns the fee for amount. It fails with ErrNotOffered when amount is
// above Limit or above every band, and with another error for an invalid
// policy or a non-positive or fractional amount.
func (p FeePolicy) Fee(amount decimal.Decimal) (decimal.Decimal, error) {
	if err := p.Validate(); err != nil {
		return decimal.Zero, err
	}
	if amount.Sign() <= 0 || !amount.IsInteger() {
		return decimal.Zero, fmt.Errorf("shop: fee: amount must be whole, positive yen, got %s", amount)
	}
	if p.Limit.Sign() > 0 && amount.GreaterThan(p.Limit) {
		return decimal.Zero, ErrNotOffered
	}
	if len(p.Bands) == 0 {
		return p.Fixed, nil
	}
	for _, b := range p.Bands {
		if b.UpTo.IsZero() || amount.LessThanOrEqual(b.UpTo) {
			return b.Fee, nil
		}
	}
	return decimal.Zero, ErrNotOffered
}
