package shop_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/shop"
)

func yen(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

var jst = time.FixedZone("JST", 9*60*60)

func TestFeePolicy(t *testing.T) {
	bands := shop.BandedFee(
		shop.FeeBand{UpTo: yen(9999), Fee: yen(220)},
		shop.FeeBand{UpTo: yen(29999), Fee: yen(330)},
		shop.FeeBand{UpTo: yen(99999), Fee: yen(550)},
	)
	cases := []struct {
		name    string
		p       shop.FeePolicy
		amount  int64
		fee     int64
		offered bool
	}{
		{"fixed", shop.FixedFee(yen(300)), 5000, 300, true},
		{"fixed at any amount", shop.FixedFee(yen(300)), 299999, 300, true},
		{"fixed with limit, at it", shop.FixedFee(yen(300)).WithLimit(yen(50000)), 50000, 300, true},
		{"fixed with limit, above", shop.FixedFee(yen(300)).WithLimit(yen(50000)), 50001, 0, false},
		{"zero value is free", shop.FeePolicy{}, 1, 0, true},
		{"band 1 lower edge", bands, 1, 220, true},
		{"band 1 upper edge", bands, 9999, 220, true},
		{"band 2", bands, 10000, 330, true},
		{"band 3 edge", bands, 99999, 550, true},
		{"above every band", bands, 100000, 0, false},
		{"open last band", shop.BandedFee(shop.FeeBand{UpTo: yen(1000), Fee: yen(100)},
			shop.FeeBand{Fee: yen(200)}), 250000, 200, true},
		{"bands with limit", bands.WithLimit(yen(20000)), 25000, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.offered, tc.p.Offered(yen(tc.amount)))
			fee, err := tc.p.Fee(yen(tc.amount))
			if !tc.offered {
				require.ErrorIs(t, err, shop.ErrNotOffered)
				return
			}
			require.NoError(t, err)
			assert.True(t, fee.Equal(yen(tc.fee)), "fee %s", fee)
		})
	}
	_, err := shop.FixedFee(yen(300)).Fee(yen(0))
	require.Error(t, err)
	assert.False(t, errors.Is(err, shop.ErrNotOffered))
	for _, bad := range []shop.FeePolicy{
		shop.FixedFee(yen(-1)),
		shop.FixedFee(decimal.RequireFromString("1.5")),
		shop.BandedFee(shop.FeeBand{UpTo: yen(100), Fee: yen(1)}, shop.FeeBand{UpTo: yen(100), Fee: yen(2)}),
		shop.BandedFee(shop.FeeBand{Fee: yen(1)}, shop.FeeBand{UpTo: yen(100), Fee: yen(2)}),
	} {
		require.Error(t, bad.Validate())
		assert.False(t, bad.Offered(yen(10)))
	}
}

func TestCanDeleteAndRegistrationPolicy(t *testing.T) {
	t.Run("CanDelete", func(t *testing.T) {
		now := time.Date(2025, 5, 30, 12, 0, 0, 0, jst)
		ok, at := shop.CanDelete(time.Time{}, now)
		assert.True(t, ok)
		assert.Equal(t, now, at)

		last := time.Date(2025, 3, 1, 23, 30, 0, 0, jst)
		ok, at = shop.CanDelete(last, now)
		assert.False(t, ok)
		assert.Equal(t, time.Date(2025, 5, 31, 0, 0, 0, 0, jst), at)
		ok, _ = shop.CanDelete(last, at)
		assert.True(t, ok)
		ok, _ = shop.CanDelete(last, at.Add(-time.Second))
		assert.False(t, ok)
		// The day counts in JST whatever the zone of the input.
		ok, at2 := shop.CanDelete(last.UTC(), now)
		assert.False(t, ok)
		assert.True(t, at.Equal(at2))
	})
	t.Run("RegistrationPolicy", func(t *testing.T) {
		var p shop.RegistrationPolicy
		assert.Equal(t, shop.MemberChooses, p)
		assert.True(t, p.ShowChoice())
		assert.True(t, p.ShouldRegister(true))
		assert.False(t, p.ShouldRegister(false))
		assert.False(t, shop.AlwaysRegister.ShowChoice())
		assert.True(t, shop.AlwaysRegister.ShouldRegister(false))
		assert.Equal(t, "always register", shop.AlwaysRegister.String())
	})
}

func TestPayTypeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"01": "一括払い", "80": "ボーナス一括払い", "88": "リボルビング払い", "03": "3回払い", "99": "99回払い",
		"00": "00", "+5": "+5", "1": "1", "invalid(1)": "invalid(1)",
	} {
		assert.Equal(t, want, shop.PayTypeLabel(in), in)
	}
}
