// Package jst holds Japan Standard Time helpers. Every date the gateway sends
// or expects is a JST wall-clock date (UTC+9, no daylight saving), whatever
// the zone of the host.
package jst

import (
	"fmt"
	"time"
)

// Zone is Japan Standard Time. A fixed zone is used rather than
// time.LoadLocation("Asia/Tokyo") so that hosts without tzdata behave the same.
var Zone = time.FixedZone("JST", 9*60*60)

// Date formats t as the JST date YYYYMMDD.
func Date(t time.Time) string { return t.In(Zone).Format("20060102") }

// Minute formats t as the JST time YYYYMMDDhhmm.
func Minute(t time.Time) string { return t.In(Zone).Format("200601021504") }

// ParseDate parses YYYYMMDD as midnight JST.
func ParseDate(s string) (time.Time, error) {
	if len(s) != 8 {
		return time.Time{}, fmt.Errorf("jst: date %q is not YYYYMMDD", s)
	}
	// A valid date of digits is built directly; anything else goes to
	// time.ParseInLocation, which gives the same result and the error.
	n := 0
	for i := range 8 {
		c := s[i]
		if c < '0' || c > '9' {
			return time.ParseInLocation("20060102", s, Zone)
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, time.Month(n/100%100), n%100
	t := time.Date(y, m, d, 0, 0, 0, 0, Zone)
	if m < time.January || m > time.December || d < 1 || t.Day() != d {
		return time.ParseInLocation("20060102", s, Zone)
	}
	return t, nil
}

// ParseTime parses YYYYMMDDhhmmss, YYYYMMDDhhmm or YYYYMMDD as JST.
func ParseTime(s string) (time.Time, error) {
	var layout string
	switch len(s) {
	case 14:
		layout = "20060102150405"
	case 12:
		layout = "200601021504"
	case 8:
		layout = "20060102"
	default:
		return time.Time{}, fmt.Errorf("jst: time %q has %d digits, want 8, 12 or 14", s, len(s))
	}
	return time.ParseInLocation(layout, s, Zone)
}

// Today returns midnight JST of the JST date of t.
func Today(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}
