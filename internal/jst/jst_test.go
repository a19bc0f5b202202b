package jst

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDateCrossesMidnightInTokyo(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		la = time.FixedZone("PST", -8*3600)
	}
	// 2026-11-26 16:30 in Los Angeles is already 2026-11-27 09:30 in Tokyo.
	at := time.Date(2026, 11, 26, 16, 30, 0, 0, la)
	assert.Equal(t, "20261127", Date(at))
	assert.Equal(t, "202611270930", Minute(at))
	assert.Equal(t, time.Date(2026, 11, 27, 0, 0, 0, 0, Zone), Today(at))
}

func TestParse(t *testing.T) {
	d, err := ParseDate("20261127")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), d.UTC())
	for _, s := range []string{"20261127093015", "202611270930", "20261127"} {
		_, err := ParseTime(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"", "2026112", "2026-11-27", "20261340"} {
		_, err := ParseTime(s)
		assert.Error(t, err, s)
	}
	_, err = ParseDate("202611270930")
	assert.Error(t, err)
}

func checkParseDate(t *testing.T, s string) {
	t.Helper()
	want, wantErr := time.ParseInLocation("20060102", s, Zone)
	got, err := ParseDate(s)
	if len(s) != 8 || wantErr != nil {
		assert.Error(t, err, s)
		return
	}
	require.NoError(t, err, s)
	assert.True(t, want.Equal(got), "%s: %s, want %s", s, got, want)
	assert.Equal(t, want.Location(), got.Location(), s)
}

// TestParseDateMatchesTime: the direct parse of YYYYMMDD gives what
// time.ParseInLocation gives, and an error exactly when it does.
func TestParseDateMatchesTime(t *testing.T) {
	for _, s := range []string{"20261126", "20240229", "20230229", "20261131", "20261231", "20261301", "20260001",
		"20260100", "00000101", "99991231", "2026112", "202611261", "2026-1-1", "+0261126", "２０２６1126", ""} {
		checkParseDate(t, s)
	}
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, Zone); d.Year() < 2026; d = d.AddDate(0, 0, 1) {
		checkParseDate(t, d.Format("20060102"))
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20261126", "20240229", "20230229", "2026113a", "00000000"} {
		f.Add(s)
	}
	f.Fuzz(checkParseDate)
}
