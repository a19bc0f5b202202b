package shop

import (
	"strconv"
	"time"
)

// jst is Japan Standard Time (UTC+9, no daylight saving): the gateway's days
// are JST days, whatever the zone of the host.
var jst = time.FixedZone("JST", 9*60*60)

// today returns midnight JST of t's JST date.
func today(t time.Time) time.Time {
	y, m, d := t.In(jst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, jst)
}

// MemberDeleteWait is how long after the last authorisation-only sale a
// member must be kept (the Welcart manual: no 与信 sale in the last 90 days).
const MemberDeleteWait = 90

// CanDelete applies the Welcart manual's rule for deleting a member: no
// authorisation-only (与信) sale in the last 90 days. Pass the JST
// date of the member's last such sale (zero if none). It reports whether now
// is safe and from when it is: midnight JST of the 91st day after that date,
// so that the whole 90 days after the sale have passed.
func CanDelete(lastAuthOnlySale, now time.Time) (bool, time.Time) {
	if lastAuthOnlySale.IsZero() {
		return true, now
	}
	safe := today(lastAuthOnlySale).AddDate(0, 0, MemberDeleteWait+1)
	return !now.Before(safe), safe
}

// RegistrationPolicy is the shop's setting for storing cards at checkout
// (Welcart: クレジットカードの登録). The zero value is MemberChooses, the
// default.
type RegistrationPolicy int

const (
	// MemberChooses shows the shopper a "register this card" choice and
	// registers only when they opt in.
	MemberChooses RegistrationPolicy = iota
	// AlwaysRegister registers the card of every logged-in member; the
	// checkout shows no choice.
	AlwaysRegister
)

// String returns "member chooses" or "always register".
func (p RegistrationPolicy) String() string {
	switch p {
	case MemberChooses:
		return "member chooses"
	case AlwaysRegister:
		return "always register"
	}
	return "RegistrationPolicy(" + strconv.Itoa(int(p)) + ")"
}

// ShowChoice reports whether the checkout page should offer the shopper the
// "register this card" checkbox.
func (p RegistrationPolicy) ShowChoice() bool { return p != AlwaysRegister }

// ShouldRegister decides whether to register a logged-in member's card,
// given whether the shopper ticked "register this card" (ignored under
// AlwaysRegister). Guests have no member to register.
func (p RegistrationPolicy) ShouldRegister(shopperOptedIn bool) bool {
	return p == AlwaysRegister || shopperOptedIn
}
