// Package codes is the e-SCOTT Smart response-code table (docs/protocol.md §10):
// for every code the gateway, the processing centre, the card companies, 3-D
// Secure, online collection and the hosted pages can return, its class, an
// operator message in English and Japanese, and the group that picks a
// shopper-safe message.
//
// The table is read-only data. Codes the table does not know are reported as
// not found; callers should treat them as "contact the shop".
package codes

import (
	"slices"
	"strings"
	"sync"
)

// Class is the class of a response code (docs/protocol.md §10).
type Class byte

// The classes of docs/protocol.md §10. The byte values are the letters §10 uses,
// so a Class prints usefully with %c.
const (
	ClassUnknown   Class = 0
	Declined       Class = 'D' // ask for another card
	PaymentOption  Class = 'P' // payment option not allowed
	InvalidRequest Class = 'I' // merchant bug
	Merchant       Class = 'M' // contract / settings
	Temporary      Class = 'S' // system / transient, retry later
	State          Class = 'T' // transaction state
	AuthAssist     Class = 'A' // authentication-assist mismatch
	Member         Class = 'R' // stored-card member
	ThreeDS        Class = '3' // 3-D Secure
	Token          Class = 'K' // card token
	Cancelled      Class = 'C' // shopper cancelled on a hosted page (not an error)
)

// String returns a short lower-case English name of the class, or "unknown"
// for ClassUnknown and any value that is not one of the constants.
func (c Class) String() string {
	switch c {
	case Declined:
		return "declined"
	case PaymentOption:
		return "payment option"
	case InvalidRequest:
		return "invalid request"
	case Merchant:
		return "merchant settings"
	case Temporary:
		return "temporary"
	case State:
		return "state"
	case AuthAssist:
		return "authentication assist"
	case Member:
		return "member"
	case ThreeDS:
		return "3-D Secure"
	case Token:
		return "token"
	case Cancelled:
		return "cancelled"
	default:
		return "unknown"
	}
}

// Group is the shopper-facing message group (end of docs/protocol.md §10). Several
// codes share one group so that a shopper sees a helpful, stable message that
// reveals nothing about the merchant's setup.
type Group int

// The shopper message groups of docs/protocol.md §10.
const (
	GroupContactShop          Group = iota // anything the shopper cannot fix: "please contact the shop"
	GroupCardNumber                        // card number wrong or not accepted
	GroupExpiry                            // expiry date wrong or card expired
	GroupSecurityCode                      // security code wrong or missing
	GroupCardUnusable                      // declined: use another card
	GroupLimit                             // usage count or credit limit reached
	GroupAmountOrInstallments              // amount, payment division or installments not accepted
	GroupCustomerData                      // customer data (kana name, phone ...) not accepted
	GroupThreeDS                           // 3-D Secure authentication did not complete
	GroupCancelled                         // the shopper cancelled; not an error
)

// String returns a short English name of the group for logs, or "unknown".
func (g Group) String() string {
	switch g {
	case GroupContactShop:
		return "contact shop"
	case GroupCardNumber:
		return "card number"
	case GroupExpiry:
		return "expiry"
	case GroupSecurityCode:
		return "security code"
	case GroupCardUnusable:
		return "card unusable"
	case GroupLimit:
		return "limit"
	case GroupAmountOrInstallments:
		return "amount or installments"
	case GroupCustomerData:
		return "customer data"
	case GroupThreeDS:
		return "3-D Secure"
	case GroupCancelled:
		return "cancelled"
	default:
		return "unknown"
	}
}

// ShopperMessage returns a polite message that is safe to show a shopper: it
// never names a code, a field or a setting. lang "ja" selects Japanese; any
// other value selects English. An unknown Group gets the "contact the shop"
// message.
func (g Group) ShopperMessage(lang string) string {
	en, ja := g.messages()
	if lang == "ja" {
		return ja
	}
	return en
}

// messages holds the shopper texts in a switch rather than a package-level
// map so there is no global state at all.
func (g Group) messages() (en, ja string) {
	switch g {
	case GroupCardNumber:
		return "The card number could not be accepted. Please check it and try again.",
			"カード番号をご確認のうえ、もう一度お試しください。"
	case GroupExpiry:
		return "The card's expiry date could not be accepted. Please check it and try again.",
			"カードの有効期限をご確認のうえ、もう一度お試しください。"
	case GroupSecurityCode:
		return "The security code could not be accepted. Please check it and try again.",
			"セキュリティコードをご確認のうえ、もう一度お試しください。"
	case GroupCardUnusable:
		return "This card cannot be used for this payment. Please use another card or contact your card issuer.",
			"このカードはご利用いただけませんでした。恐れ入りますが、別のカードをご利用いただくか、カード会社にお問い合わせください。"
	case GroupLimit:
		return "This card's usage limit has been reached. Please use another card or contact your card issuer.",
			"カードのご利用可能枠を超えているため、お支払いできませんでした。別のカードをご利用いただくか、カード会社にお問い合わせください。"
	case GroupAmountOrInstallments:
		return "The selected payment method or number of installments is not available for this card. Please choose another payment method.",
			"ご指定のお支払い方法または支払回数は、このカードではご利用いただけません。別のお支払い方法をお選びください。"
	case GroupCustomerData:
		return "Some of the customer details entered could not be accepted. Please check your name and phone number and try again.",
			"ご入力いただいたお客様情報(お名前・お電話番号など)をご確認のうえ、もう一度お試しください。"
	case GroupThreeDS:
		return "Identity verification (3-D Secure) could not be completed. Please try again or use another card.",
			"本人認証(3Dセキュア)を完了できませんでした。もう一度お試しいただくか、別のカードをご利用ください。"
	case GroupCancelled:
		return "The payment was cancelled.",
			"お支払いはキャンセルされました。"
	default:
		return "Your payment could not be completed. Please contact the shop.",
			"お支払い手続きを完了できませんでした。恐れ入りますが、ショップまでお問い合わせください。"
	}
}

// Entry describes one code.
type Entry struct {
	Code  string // e.g. "K23"
	Class Class  // primary class
	Also  Class  // secondary class where §10 gives two (e.g. U03 "3/S"), else ClassUnknown
	EN    string // English message for the operator
	JA    string // Japanese message for the operator
	Group Group  // shopper message group
}

// index is the table, built once on first use: a map for Lookup and a sorted
// slice for All. Neither is mutated after it is built.
type index struct {
	byCode map[string]Entry
	sorted []Entry
}

var loadIndex = sync.OnceValue(func() index {
	sorted := entries()
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Code, b.Code) })
	byCode := make(map[string]Entry, len(sorted))
	for _, e := range sorted {
		byCode[e.Code] = e
	}
	return index{byCode: byCode, sorted: sorted}
})

// Lookup returns the entry for code. The match is exact and case-sensitive
// ("k23" is not found); the gateway always sends upper-case codes.
func Lookup(code string) (Entry, bool) {
	e, ok := loadIndex().byCode[code]
	return e, ok
}

// All returns every entry, sorted by code. The slice is a fresh copy the
// caller may modify.
func All() []Entry {
	return slices.Clone(loadIndex().sorted)
}

// Is reports whether code is known and its Class or Also equals c. It is
// always false for ClassUnknown, since Also being ClassUnknown means "no
// secondary class", not membership in a class.
func Is(code string, c Class) bool {
	if c == ClassUnknown {
		return false
	}
	e, ok := Lookup(code)
	return ok && (e.Class == c || e.Also == c)
}
