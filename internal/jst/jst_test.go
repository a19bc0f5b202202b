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
