package escott

import (
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/jst"
)

// wholeYenReference is wholeYen as first written, with decimal's exact
// operations only.
func wholeYenReference(a decimal.Decimal) (int64, bool) {
	if !a.IsInteger() {
		return 0, false
	}
	if a.Exponent() > 0 && a.NumDigits()+int(a.Exponent()) > 15 || a.NumDigits() > 15 {
		return 0, false
	}
	return a.IntPart(), true
}

func TestWholeYenMatchesReference(t *testing.T) {
	var cases []decimal.Decimal
	for _, s := range []string{"0", "1", "-1", "1980", "1980.0", "1980.5", "2e3", "1e14", "1e15", "9.99e14",
		"999999999999999", "1000000000000000", "-999999999999999", "0.000", "1.10", "123456789012345.0",
		"1234567890123456e-1", "99999999999999999999", "1e1000", "-1e-5"} {
		cases = append(cases, decimal.RequireFromString(s))
	}
	for _, c := range []int64{0, 1, 9, 10, 1980, 9_999_999, 99_999_999_999_999, 999_999_999_999_999, 1_000_000_000_000_000, -5} {
		for exp := int32(-3); exp <= 16; exp++ {
			cases = append(cases, decimal.New(c, exp))
		}
		cases = append(cases, decimal.NewFromInt(c))
	}
	cases = append(cases, decimal.Decimal{})
	for _, d := range cases {
		n, ok := wholeYen(d)
		wn, wok := wholeYenReference(d)
		assert.Equal(t, wok, ok, "%s (exp %d)", d, d.Exponent())
		assert.Equal(t, wn, n, "%s (exp %d)", d, d.Exponent())
	}
}

func TestRandomDigits(t *testing.T) {
	for n := 1; n <= 19; n++ {
		s := randomDigits(n)
		assert.Len(t, s, n)
		for _, r := range s {
			assert.True(t, r >= '0' && r <= '9', s)
		}
	}
	for _, n := range []int{0, -1, 20} {
		assert.Panics(t, func() { randomDigits(n) }, "%d digits", n)
	}
	// Every position takes every digit about equally often (a padding or
	// modulo bug shows as a skew of the first or last digit).
	var counts [12][10]int
	const keys = 20000
	for range keys {
		s := NewLinkKey()
		for i := range 12 {
			counts[i][s[i]-'0']++
		}
	}
	for i := range counts {
		for d, c := range counts[i] {
			assert.InDelta(t, keys/10, c, keys/10*0.15, "position %d digit %d", i, d)
		}
	}
}

// TestTransactionDateCache: the cached TransactionDate is jst.Date of the
// call's clock, across JST midnight and with a clock that goes back.
func TestTransactionDateCache(t *testing.T) {
	c, err := NewClient(Config{MerchantID: "1", MerchantPass: "p", Environment: Test})
	require.NoError(t, err)
	midnight := time.Date(2026, 11, 26, 0, 0, 0, 0, jst.Zone)
	for _, d := range []time.Duration{-time.Nanosecond, 0, time.Hour, -time.Hour, 24*time.Hour - 1, 24 * time.Hour,
		-time.Nanosecond, -48 * time.Hour, 0} {
		now := midnight.Add(d)
		assert.Equal(t, jst.Date(now), c.transactionDate(now), "%s", now)
		assert.Equal(t, jst.Date(now), c.transactionDate(now.UTC()), "%s", now)
	}
	old := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	assert.Equal(t, jst.Date(old), c.transactionDate(old))
	assert.Equal(t, "19700101", c.transactionDate(time.Date(1969, 12, 31, 15, 0, 0, 0, time.UTC)))
}

// TestDateCacheMatchesParseDate: the cached parse of answer dates gives
// parseDate's result for every input, in any order, from many goroutines
// (run with -race), and a nil cache parses every time.
func TestDateCacheMatchesParseDate(t *testing.T) {
	inputs := []string{"20261126", "20261126", "20261201", "", "2026112", "20261131", "2026113x", "20261126", "20240229",
		"20230229", "20261201"}
	var d dateCache
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for _, s := range inputs {
					assert.Equal(t, parseDate(s), d.parse(s), s)
				}
			}
		})
	}
	wg.Wait()
	var none *dateCache
	assert.Equal(t, parseDate("20261126"), none.parse("20261126"))
	// The cache keeps its own copy of the string, not a view of an answer.
	b := []byte("20270102")
	s := unsafe.String(&b[0], len(b))
	want := parseDate(s)
	assert.Equal(t, want, d.parse(s))
	copy(b, "20270103") // the answer's buffer, reused
	assert.Equal(t, parseDate("20270103"), d.parse("20270103"))
	assert.Equal(t, want, d.parse("20270102"))
}
