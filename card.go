package escott

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/escott-go/escott/internal/redact"

	"github.com/shopspring/decimal"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// Card operation IDs (docs/protocol.md §4).
const (
	OpCheck     = "1Check"
	OpAuth      = "1Auth"
	OpGathering = "1Gathering"
	OpCapture   = "1Capture"
	OpChange    = "1Change"
	OpDelete    = "1Delete"
	OpSearch    = "1Search"
	OpReAuth    = "1ReAuth"
)

// MaxAmount is the largest amount of a card operation: 7 digits of yen.
const MaxAmount = 9_999_999

// CardService takes card payments by token or stored member and manages them
// afterwards. Get it from Client.Card.
type CardService struct{ c *Client }

// CardToken is a one-time card token made in the shopper's browser by the
// token script. A token is valid for 30 minutes and for one payment, member
// registration or card check. It formats as [REDACTED].
type CardToken string

func (CardToken) cardSource() {}

// String redacts the token.
func (t CardToken) String() string { return Secret(t).String() }

// GoString redacts the token.
func (t CardToken) GoString() string { return `escott.CardToken("` + t.String() + `")` }

// Format implements fmt.Formatter, redacting every verb.
func (t CardToken) Format(f fmt.State, verb rune) { Secret(t).Format(f, verb) }

// LogValue implements slog.LogValuer.
func (t CardToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON fails with ErrSecretInJSON for a non-empty token, as
// Secret.MarshalJSON does: a token is a secret for its 30 minutes of life.
func (t CardToken) MarshalJSON() ([]byte, error) { return Secret(t).MarshalJSON() }

// Capture chooses when a card payment's sale is recorded: at once with the
// authorisation (CaptureNow, 1Gathering, the zero value and the Welcart
// module's default) or later with CardService.Capture (CaptureLater, 1Auth).
type Capture int

const (
	// CaptureNow authorises and records the sale in one step (1Gathering,
	// 与信売上計上).
	CaptureNow Capture = iota
	// CaptureLater only authorises (1Auth, 与信・仮売上); Capture records the sale later.
	CaptureLater
)

func (m Capture) op() string {
	if m == CaptureLater {
		return OpAuth
	}
	return OpGathering
}

// SecurityCodeResult is the issuer's check of the card's security code
// (McSecCd). The empty value means the gateway answered none.
type SecurityCodeResult string

// The SecurityCodeResult values.
const (
	SecurityCodeMatch        SecurityCodeResult = "0" // the code matches
	SecurityCodeMismatch     SecurityCodeResult = "1" // the code does not match
	SecurityCodeInProgress   SecurityCodeResult = "5" // the check is in progress
	SecurityCodeNotSent      SecurityCodeResult = "8" // no code was sent
	SecurityCodeNotCheckable SecurityCodeResult = "9" // the issuer cannot check codes
)

// String returns the value's meaning, e.g. "match"; "none" for the empty
// value and "unknown (x)" for a value not listed.
func (r SecurityCodeResult) String() string {
	switch r {
	case "":
		return "none"
	case SecurityCodeMatch:
		return "match"
	case SecurityCodeMismatch:
		return "mismatch"
	case SecurityCodeInProgress:
		return "in progress"
	case SecurityCodeNotSent:
		return "not sent"
	case SecurityCodeNotCheckable:
		return "not checkable"
	}
	return "unknown (" + string(r) + ")"
}

// PaymentParams describes a new card payment.
type PaymentParams struct {
	// Amount in whole yen, 1 to 9,999,999.
	Amount decimal.Decimal
	// Source is a CardToken or a Member.
	Source CardSource
	// PayType is the payment division; empty means LumpSum.
	PayType PayType
	// Capture is CaptureNow (the zero value: authorise and record the sale)
	// or CaptureLater (authorise only; CardService.Capture records the sale).
	Capture Capture
	// LinkKey is MerchantFree1, the key that finds this order in the
	// merchant console. Empty: a fresh random 12-digit key. Use a new one for
	// each payment attempt.
	LinkKey string
	// OrderRef is the host's own order reference. It is written to the
	// journal only, never sent.
	OrderRef string
	// MerchantFree2 (half-width) and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
	// AuthAssist are the authentication-assist values (認証アシスト) the
	// shopper entered, for merchants whose contract checks them. Nil: none.
	AuthAssist *AuthAssist
	// SecurityCode (SecCd, 3 or 4 digits) may be sent with a payment by a
	// stored card (Source is a Member) when the shop asks for it again at
	// checkout. A token carries its own security code: with a CardToken it
	// is refused.
	SecurityCode Secret
}

// AuthAssist are the authentication-assist values (認証アシスト,
// docs/protocol.md §10a) sent with 1Check, 1Auth and 1Gathering when the
// merchant's contract has the service. Each is optional; empty fields are
// not sent. The gateway compares them with the issuer's data: K41 birthday,
// K42 phone, K43 kana surname, K44 kana given name mismatch; K25–K28 are
// their format errors. They are the shopper's personal data: an AuthAssist
// never prints its values.
type AuthAssist struct {
	// KanaSurname and KanaGivenName (KanaSei, KanaMei) are the cardholder's
	// surname and given name in
	// kana. Full-width katakana, hiragana or half-width katakana are
	// accepted; they are sent as half-width katakana, as SPS's own module
	// does, at most 20 characters each after conversion.
	KanaSurname, KanaGivenName string
	// Birthday (BirthDay) is the cardholder's birthday as MMDD (month and
	// day only).
	Birthday string
	// PhoneLast4 (TelNo) is the last four digits of the cardholder's phone
	// number.
	PhoneLast4 string
}

// String redacts the values.
func (a AuthAssist) String() string { return "escott.AuthAssist{" + redactedMark + "}" }

// GoString redacts the values.
func (a AuthAssist) GoString() string { return a.String() }

// Format implements fmt.Formatter, redacting every verb.
func (a AuthAssist) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue implements slog.LogValuer.
func (a AuthAssist) LogValue() slog.Value { return slog.StringValue(a.String()) }

// MarshalJSON fails with ErrSecretInJSON unless every value is empty: the
// assist values are the shopper's personal data, never written to JSON.
func (a AuthAssist) MarshalJSON() ([]byte, error) {
	if a == (AuthAssist{}) {
		return []byte("{}"), nil
	}
	return nil, ErrSecretInJSON
}

const redactedMark = "[REDACTED]"

// ThreeDSData are the 3-D Secure result fields sent with the authorisation
// that follows an authentication (docs/protocol.md §7.2 step 4).
type ThreeDSData struct {
	SecureResultCode           string
	EncodeXID3D                string
	MessageVersionNo3D         string
	TransactionStatus3D        string
	CAVVAlgorithm3D            string
	ECI3D                      string
	CAVV3D                     string
	DSTransactionID            string
	ThreeDSServerTransactionID string
	// TransactionID3D and PANCard3D are forwarded when the result carried
	// them (3-D Secure 1.0 era fields, docs/protocol.md §7.4). Clients
	// disagree on the card field's name (PANCard3D in WooCommerce's messages,
	// PANCardNo3D in SPS's EC-CUBE 4.2 module): it is forwarded under the
	// name the result used.
	TransactionID3D string
	PANCard3D       string
	PANCardNo3D     string
}

// cardRequest is the wire form of every OAUT002 operation; empty fields are
// omitted.
type cardRequest struct {
	common
	Token       string `url:"Token,omitempty"`
	KaiinID     string `url:"KaiinId,omitempty"`
	KaiinPass   string `url:"KaiinPass,omitempty"`
	ProcessID   string `url:"ProcessId,omitempty"`
	ProcessPass string `url:"ProcessPass,omitempty"`
	Amount      string `url:"Amount,omitempty"`
	PayType     string `url:"PayType,omitempty"`
	SalesDate   string `url:"SalesDate,omitempty"`
	SecCd       string `url:"SecCd,omitempty"`
	KanaSei     string `url:"KanaSei,omitempty"`
	KanaMei     string `url:"KanaMei,omitempty"`
	BirthDay    string `url:"BirthDay,omitempty"`
	TelNo       string `url:"TelNo,omitempty"`

	SecureResultCode           string `url:"SecureResultCode,omitempty"`
	EncodeXID3D                string `url:"EncodeXId3D,omitempty"`
	MessageVersionNo3D         string `url:"MessageVersionNo3D,omitempty"`
	TransactionStatus3D        string `url:"TransactionStatus3D,omitempty"`
	CAVVAlgorithm3D            string `url:"CAVVAlgorithm3D,omitempty"`
	ECI3D                      string `url:"ECI3D,omitempty"`
	CAVV3D                     string `url:"CAVV3D,omitempty"`
	DSTransactionID            string `url:"DSTransactionId,omitempty"`
	ThreeDSServerTransactionID string `url:"ThreeDSServerTransactionId,omitempty"`
	TransactionID3D            string `url:"TransactionId3D,omitempty"`
	PANCard3D                  string `url:"PANCard3D,omitempty"`
	PANCardNo3D                string `url:"PANCardNo3D,omitempty"`
}

// Pay takes a payment: 1Gathering (default) or 1Auth with CaptureLater. A
// *Error means the gateway refused and no money moved; an
// *OutcomeUnknownError means the payment may have been taken: it is never
// re-sent, reconcile it by its link key.
//
// A payment authenticated with 3-D Secure is authorised with
// ThreeDSService.Authorize, not with Pay.
func (s *CardService) Pay(ctx context.Context, p *PaymentParams) (*Payment, error) {
	return s.pay(ctx, p, nil)
}

// pay is Pay with the 3-D Secure fields of a mode B result (Authorize), or
// nil.
func (s *CardService) pay(ctx context.Context, p *PaymentParams, tds *ThreeDSData) (*Payment, error) {
	if p == nil {
		p = &PaymentParams{}
	}
	op := p.Capture.op()
	v := &validator{op: op}
	pt := checkPayment(v, p)
	if tds != nil {
		v.threeDS(tds)
	}
	// The request is reused from call to call: nothing keeps it once do
	// has returned (do sends the encoded form, never the struct), and it
	// is cleared before it goes back, so no secret stays in the pool.
	req := s.c.getCardRequest()
	defer s.c.putCardRequest(req)
	req.Amount, req.PayType = amountString(p.Amount), string(pt)
	member := v.source(p.Source, &req.Token, &req.KaiinID, &req.KaiinPass)
	if tds != nil {
		req.setThreeDS(tds)
	}
	req.setAssist(v, p.AuthAssist, p.SecurityCode, member != nil)
	linkKey := s.c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	resp, err := s.c.do(ctx, call{
		path: pathCard, op: op, linkKey: linkKey, free2: p.MerchantFree2, free3: p.MerchantFree3,
		money: true, amount: req.Amount, orderRef: p.OrderRef, body: req,
	})
	if err != nil {
		return nil, err
	}
	pay := paymentFrom(op, resp, linkKey, member, &s.c.answerDates)
	pay.Amount = p.Amount
	pay.PayType = pt
	return pay, nil
}

// checkPayment validates everything of a payment but its card source and
// returns the effective PayType. RegisterAndPay uses it to refuse a bad
// payment before the registration is sent.
func checkPayment(v *validator, p *PaymentParams) PayType {
	pt := v.division(p.Amount, p.PayType, p.Capture)
	v.free(p.MerchantFree2, p.MerchantFree3)
	return pt
}

// division checks the amount, the payment division (empty means LumpSum,
// which it returns) and the processing mode of a payment.
func (v *validator) division(amount decimal.Decimal, pt PayType, mode Capture) PayType {
	v.amount("Amount", amount, MaxAmount)
	if pt == "" {
		pt = LumpSum
	}
	v.check(pt.valid(), "PayType", "must be 01, an installment count 02–99, 80 (bonus) or 88 (revolving)")
	if mode != CaptureNow && mode != CaptureLater {
		v.add("Capture", "must be CaptureNow or CaptureLater")
	}
	return pt
}

// CheckParams describes a card check (1Check): the card is verified with the
// issuer without an amount.
type CheckParams struct {
	Source                       CardSource
	LinkKey                      string
	MerchantFree2, MerchantFree3 string
	// AuthAssist and SecurityCode as in PaymentParams.
	AuthAssist   *AuthAssist
	SecurityCode Secret
}

// Check verifies a card without charging it (1Check). It consumes a token.
func (s *CardService) Check(ctx context.Context, p *CheckParams) (*Payment, error) {
	if p == nil {
		p = &CheckParams{}
	}
	v := &validator{op: OpCheck}
	req := &cardRequest{}
	member := v.source(p.Source, &req.Token, &req.KaiinID, &req.KaiinPass)
	req.setAssist(v, p.AuthAssist, p.SecurityCode, member != nil)
	v.free(p.MerchantFree2, p.MerchantFree3)
	linkKey := s.c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	resp, err := s.c.do(ctx, call{path: pathCard, op: OpCheck, linkKey: linkKey, free2: p.MerchantFree2,
		free3: p.MerchantFree3, once: true, body: req})
	if err != nil {
		return nil, err
	}
	return paymentFrom(OpCheck, resp, linkKey, member, &s.c.answerDates), nil
}

// CaptureParams are the options of Capture; nil means all defaults.
type CaptureParams struct {
	// SalesDate is the date of the sales record; zero means today in JST. It
	// may not be in the future.
	SalesDate time.Time
	// LinkKey is sent as MerchantFree1; empty means the process's link key.
	LinkKey string
	// OrderRef is the host's order reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Capture records the sale of an authorisation made with CaptureLater
// (1Capture, 売上計上). p may be nil.
func (s *CardService) Capture(ctx context.Context, proc Process, p *CaptureParams) (*Payment, error) {
	if p == nil {
		p = &CaptureParams{}
	}
	sales := s.c.salesDate(p.SalesDate)
	pay, err := s.followUp(ctx, OpCapture, proc, refs{p.LinkKey, p.OrderRef, p.MerchantFree2, p.MerchantFree3},
		func(v *validator, r *cardRequest) { r.SalesDate = sales })
	if pay != nil && pay.SalesDate.IsZero() {
		pay.SalesDate = parseDate(sales) // the answer has none: the date the sale was recorded for
	}
	return pay, err
}

// ChangeAmountParams describe a change of amount.
type ChangeAmountParams struct {
	// Amount is the new amount, whole yen 1 to 9,999,999; it must differ
	// from the current one.
	Amount decimal.Decimal
	// LinkKey is sent as MerchantFree1; empty means the process's link key.
	LinkKey string
	// OrderRef is the host's order reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// ChangeAmount changes the amount of an authorisation or a sale (1Change,
// 利用額変更). The new amount must differ from the current one. p is required
// (nil is a *ValidationError: there is no default amount).
func (s *CardService) ChangeAmount(ctx context.Context, proc Process, p *ChangeAmountParams) (*Payment, error) {
	if p == nil {
		p = &ChangeAmountParams{}
	}
	pay, err := s.followUp(ctx, OpChange, proc, refs{p.LinkKey, p.OrderRef, p.MerchantFree2, p.MerchantFree3},
		func(v *validator, r *cardRequest) {
			v.amount("Amount", p.Amount, MaxAmount)
			r.Amount = amountString(p.Amount)
		})
	if pay != nil {
		pay.Amount = p.Amount
	}
	return pay, err
}

// CancelParams are the options of Cancel; nil means all defaults.
type CancelParams struct {
	// LinkKey is sent as MerchantFree1; empty means the process's link key.
	LinkKey string
	// OrderRef is the host's order reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Cancel cancels an authorisation or a sale (1Delete, 取消): a void before the
// monthly close, a refund after it. p may be nil.
func (s *CardService) Cancel(ctx context.Context, proc Process, p *CancelParams) (*Payment, error) {
	if p == nil {
		p = &CancelParams{}
	}
	return s.followUp(ctx, OpDelete, proc, refs{p.LinkKey, p.OrderRef, p.MerchantFree2, p.MerchantFree3}, nil)
}

// InquireParams are the options of Inquire; nil means all defaults.
type InquireParams struct {
	// LinkKey is sent as MerchantFree1; empty means the process's link key.
	LinkKey string
}

// Inquire reads a transaction (1Search, 取引参照): its amount and sales date.
// It is read-only and retried on transport failures. p may be nil.
func (s *CardService) Inquire(ctx context.Context, proc Process, p *InquireParams) (*Payment, error) {
	if p == nil {
		p = &InquireParams{}
	}
	pay, err := s.followUp(ctx, OpSearch, proc, refs{linkKey: p.LinkKey}, nil)
	if pay != nil {
		if a, err := decimal.NewFromString(pay.Raw.Get("Amount")); err == nil {
			pay.Amount = a
		}
	}
	return pay, err
}

// ReauthorizeParams describe a re-authorisation.
type ReauthorizeParams struct {
	// Amount of the new authorisation, whole yen.
	Amount decimal.Decimal
	// SalesDate is sent with every 1ReAuth (the gateway answers K39 without
	// it); zero means today in JST. It may not be in the future. It does not
	// choose the capture: the new payment keeps the original's
	// (docs/protocol.md §4).
	SalesDate time.Time
	// LinkKey is sent as MerchantFree1; empty means the process's link key.
	LinkKey string
	// OrderRef is the host's order reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Reauthorize makes a new authorisation from an existing process (1ReAuth),
// e.g. after a cancel. The result carries a new Process that replaces the old
// one for all later operations. The new payment keeps the capture of the
// original: a re-authorised CaptureLater payment is authorised only and is
// captured later with Capture; a re-authorised CaptureNow payment is
// captured again at once. p is required (it carries the amount).
func (s *CardService) Reauthorize(ctx context.Context, proc Process, p *ReauthorizeParams) (*Payment, error) {
	if p == nil {
		p = &ReauthorizeParams{}
	}
	sales := s.c.salesDate(p.SalesDate)
	pay, err := s.followUp(ctx, OpReAuth, proc, refs{p.LinkKey, p.OrderRef, p.MerchantFree2, p.MerchantFree3},
		func(v *validator, r *cardRequest) {
			v.amount("Amount", p.Amount, MaxAmount)
			v.check(sales <= jst.Date(s.c.now()), "SalesDate", "must not be after today (JST)")
			r.Amount = amountString(p.Amount)
			r.SalesDate = sales
		})
	if pay != nil {
		pay.Amount = p.Amount
	}
	return pay, err
}

// refs are the host's references a follow-up may carry.
type refs struct {
	linkKey, orderRef, free2, free3 string
}

// followUp runs an operation on an existing process, with the member fields
// when the process was made for a member. On K81 (the original had no
// member) it retries once without them: the gateway rejected the request, so
// no money moved (docs/protocol.md §4).
func (s *CardService) followUp(ctx context.Context, op string, proc Process, ref refs, fill func(*validator, *cardRequest)) (*Payment, error) {
	v := &validator{op: op}
	v.process(proc)
	v.free(ref.free2, ref.free3)
	build := func(withMember bool) *cardRequest {
		r := &cardRequest{ProcessID: proc.ID, ProcessPass: proc.Pass.Reveal()}
		if withMember && proc.Member != nil {
			r.KaiinID, r.KaiinPass = proc.Member.ID, proc.Member.Pass.Reveal()
		}
		if fill != nil {
			fill(v, r)
		}
		return r
	}
	withMember := proc.Member != nil
	req := build(withMember)
	if proc.Member != nil {
		v.member(*proc.Member)
	}
	if ref.linkKey == "" {
		ref.linkKey = proc.LinkKey
	}
	linkKey := s.c.linkKey(v, ref.linkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	k := call{path: pathCard, op: op, linkKey: linkKey, free2: ref.free2, free3: ref.free3, orderRef: ref.orderRef,
		amount: req.Amount, procID: proc.ID, body: req}
	if op == OpSearch {
		k.read = true
	} else {
		k.money = true
	}
	resp, err := s.c.do(ctx, k)
	var gerr *Error
	// K80 (the original had a member and none was sent) cannot be mended here:
	// without proc.Member there is nothing to add.
	if errors.As(err, &gerr) && withMember && gerr.Has("K81") {
		withMember = false
		s.c.log.DebugContext(ctx, "escott: retrying with member fields toggled", "op", op, "link_key", linkKey,
			"codes", gerr.Codes[0].Value, "with_member", withMember)
		k.body = build(withMember)
		resp, err = s.c.do(ctx, k)
	}
	if err != nil {
		return nil, err
	}
	member := proc.Member
	if !withMember { // the process has no member (K81): its follow-ups go without one
		member = nil
	}
	pay := paymentFrom(op, resp, linkKey, member, &s.c.answerDates)
	if pay.Process.ID == "" {
		pay.Process.ID, pay.Process.Pass = proc.ID, proc.Pass
	}
	return pay, nil
}

func paymentFrom(op string, r *wire.Response, linkKey string, m *Member, dates *dateCache) *Payment {
	p := &Payment{OperateID: op, Process: Process{LinkKey: linkKey, Member: m}, Raw: Fields{r.Pairs}}
	// One pass over the pairs instead of a search per field: the last
	// value of a key counts, as with Get.
	var txDate, salesDate string
	for i := range r.Pairs.Len() {
		k, v := r.Pairs.At(i)
		switch k {
		case "ProcessId":
			p.Process.ID = v
		case "ProcessPass":
			p.Process.Pass = Secret(v)
		case "TransactionId":
			p.TransactionID = v
		case "CompanyCd":
			p.CompanyCode = v
		case "ApproveNo":
			p.ApprovalNumber = v
		case "McSecCd":
			p.SecurityCodeResult = SecurityCodeResult(v)
		case "MerchantFree1":
			p.MerchantFree1 = v
		case "MerchantFree2":
			p.MerchantFree2 = v
		case "MerchantFree3":
			p.MerchantFree3 = v
		case "TransactionDate":
			txDate = v
		case "SalesDate":
			salesDate = v
		}
	}
	p.TransactionDate = dates.parse(txDate)
	p.SalesDate = dates.parse(salesDate)
	return p
}

// parseDate parses a YYYYMMDD answer field as a JST date; absent or
// malformed dates give the zero time (the raw value stays in Raw).
func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := jst.ParseDate(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// dateCache remembers the last date parseDate parsed: an answer's
// TransactionDate is today's for nearly every call.
type dateCache struct{ last atomic.Pointer[parsedDate] }

type parsedDate struct {
	s string
	t time.Time
}

// parse is parseDate(s), from the cache when s is the last date parsed. A
// nil cache parses every time.
func (d *dateCache) parse(s string) time.Time {
	if s == "" || d == nil {
		return parseDate(s)
	}
	if p := d.last.Load(); p != nil && p.s == s {
		return p.t
	}
	t := parseDate(s)
	if !t.IsZero() {
		d.last.Store(&parsedDate{s: strings.Clone(s), t: t}) // not a view of the answer's bytes
	}
	return t
}

func (c *Client) salesDate(t time.Time) string {
	if t.IsZero() {
		t = c.now()
	}
	return jst.Date(t)
}

// linkKey validates a caller's link key or generates one.
func (c *Client) linkKey(v *validator, given string) string {
	if given != "" {
		v.check(validLinkKey(given), "MerchantFree1", "link key must be 1–32 ASCII alphanumerics or '-'")
		return given
	}
	k, err := c.newKey()
	if err != nil {
		v.add("MerchantFree1", "link key generator failed: "+err.Error())
		return ""
	}
	v.check(validLinkKey(k), "MerchantFree1", "link key generator returned an invalid key")
	return k
}

// validLinkKey reports whether s can be MerchantFree1: 1–32 ASCII
// alphanumerics or '-' (CS-Cart sends "<tenant>-<order id>", docs/protocol.md
// §3).
func validLinkKey(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b != '-' && !ascii.IsAlnum(s[i:i+1]) {
			return false
		}
	}
	return true
}

func (r *cardRequest) setThreeDS(d *ThreeDSData) {
	r.SecureResultCode = d.SecureResultCode
	r.EncodeXID3D = d.EncodeXID3D
	r.MessageVersionNo3D = d.MessageVersionNo3D
	r.TransactionStatus3D = d.TransactionStatus3D
	r.CAVVAlgorithm3D = d.CAVVAlgorithm3D
	r.ECI3D = d.ECI3D
	r.CAVV3D = d.CAVV3D
	r.DSTransactionID = d.DSTransactionID
	r.ThreeDSServerTransactionID = d.ThreeDSServerTransactionID
	r.TransactionID3D = d.TransactionID3D
	r.PANCard3D = d.PANCard3D
	r.PANCardNo3D = d.PANCardNo3D
}

func amountString(a decimal.Decimal) string {
	n, ok := wholeYen(a)
	if !ok || n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// wholeYen returns a as an int64 when it is a whole number of at most 15
// digits (far above any amount the gateway takes). It does not allocate for
// the usual amounts.
func wholeYen(a decimal.Decimal) (int64, bool) {
	if exp := int(a.Exponent()); exp >= 0 {
		// The usual form (escott.Yen, decimal.NewFromInt): read the
		// coefficient without the copies IntPart makes.
		if a.NumDigits()+exp > 15 {
			return 0, false
		}
		n := a.CoefficientInt64()
		for range exp {
			n *= 10
		}
		return n, true
	}
	if !a.IsInteger() {
		return 0, false
	}
	if a.Exponent() > 0 && a.NumDigits()+int(a.Exponent()) > 15 || a.NumDigits() > 15 {
		return 0, false
	}
	return a.IntPart(), true
}

// amount checks a whole-yen amount in 1..max.
func (v *validator) amount(field string, a decimal.Decimal, max int64) {
	n, whole := wholeYen(a)
	switch {
	case !a.IsInteger():
		v.add(field, "must be whole yen")
	case a.Sign() <= 0:
		v.add(field, "must be at least 1 yen")
	case !whole || n > max:
		v.add(field, fmt.Sprintf("must be at most %d yen", max))
	}
}

// source validates a card source and fills the request's token or member fields.
func (v *validator) source(src CardSource, token, id, pass *string) *Member {
	switch s := src.(type) {
	case CardToken:
		v.token("Token", s)
		*token = string(s)
	case Member:
		v.member(s)
		*id, *pass = s.ID, s.Pass.Reveal()
		return &s
	case *Member:
		if s == nil {
			v.add("Token", "a card token or a member is required")
			return nil
		}
		v.member(*s)
		*id, *pass = s.ID, s.Pass.Reveal()
		m := *s
		return &m
	case nil:
		v.add("Token", "a card token or a member is required")
	default:
		v.add("Token", "unsupported card source")
	}
	return nil
}

func (v *validator) token(field string, t CardToken) {
	v.check(validToken(string(t)), field, "must be a token from the token script (1–128 URL-safe characters)")
}

func validToken(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		b := t[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '-' || b == '_' || b == '+' || b == '/' || b == '=' || b == '.') {
			return false
		}
	}
	return true
}

func (v *validator) member(m Member) {
	v.check(validMemberValue(m.ID), "KaiinId", "must be 1–20 ASCII alphanumerics")
	v.check(validMemberValue(m.Pass.Reveal()), "KaiinPass", "must be 1–20 ASCII alphanumerics")
}

func validMemberValue(s string) bool { return ascii.IsAlnum(s) && len(s) <= 20 }

func (v *validator) process(p Process) {
	v.check(ascii.IsAlnum(p.ID) && len(p.ID) <= 32, "ProcessId", "must be the ProcessId of an earlier payment")
	v.check(ascii.IsAlnum(p.Pass.Reveal()) && len(p.Pass) <= 32, "ProcessPass", "must be the ProcessPass of an earlier payment")
}

func (v *validator) free(f2, f3 string) {
	v.check(validFree2(f2), "MerchantFree2", "must be at most 32 half-width characters")
	v.check(validFree3(f3), "MerchantFree3", "must be at most 32 characters without control characters")
}

func validFree2(s string) bool { return len(s) <= 32 && ascii.IsPrintable(s) }

func validFree3(s string) bool {
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return n <= 32
}

func (v *validator) threeDS(d *ThreeDSData) {
	v.check(d.SecureResultCode != "", "SecureResultCode", "is required with 3-D Secure data")
}

// setAssist validates and fills the authentication-assist fields and the
// security code of a payment or card check.
func (r *cardRequest) setAssist(v *validator, a *AuthAssist, secCd Secret, byMember bool) {
	if secCd != "" {
		sc := secCd.Reveal()
		v.check(byMember, "SecCd", "only with a stored card (Member): a token carries its own security code")
		v.check(len(sc) >= 3 && len(sc) <= 4 && ascii.IsDigits(sc), "SecCd", "must be 3 or 4 digits")
		r.SecCd = sc
	}
	if a == nil {
		return
	}
	r.KanaSei = v.kana("KanaSei", a.KanaSurname)
	r.KanaMei = v.kana("KanaMei", a.KanaGivenName)
	if a.Birthday != "" {
		v.check(validBirthDay(a.Birthday), "BirthDay", "must be the birthday as MMDD")
		r.BirthDay = a.Birthday
	}
	if a.PhoneLast4 != "" {
		v.check(len(a.PhoneLast4) == 4 && ascii.IsDigits(a.PhoneLast4), "TelNo", "must be the last 4 digits of the phone number")
		r.TelNo = a.PhoneLast4
	}
}

// kana converts a kana name to half-width katakana and checks it.
func (v *validator) kana(field, s string) string {
	if s == "" {
		return ""
	}
	h := halfWidthKana(s)
	n := 0
	ok := true
	for _, r := range h {
		n++
		if r < 0xFF66 || r > 0xFF9F { // ｦ … ﾟ: half-width katakana, ｰ and the sound marks
			ok = false
		}
	}
	v.check(ok && n <= 20, field, "must be kana only (katakana or hiragana), at most 20 half-width characters")
	return h
}

// halfWidthKana turns hiragana and full-width katakana into half-width
// katakana, splitting voiced kana into base and sound mark (ガ → ｶﾞ).
// Anything else is kept; the caller checks.
func halfWidthKana(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r >= 'ぁ' && r <= 'ゖ' {
			b[i] = r + 'ア' - 'あ'
		}
	}
	return width.Narrow.String(norm.NFD.String(string(b)))
}

// validBirthDay checks MMDD: a month and a day that exists in it (29
// February included).
func validBirthDay(s string) bool {
	if len(s) != 4 || !ascii.IsDigits(s) {
		return false
	}
	mm, _ := strconv.Atoi(s[:2])
	dd, _ := strconv.Atoi(s[2:])
	if mm < 1 || mm > 12 || dd < 1 {
		return false
	}
	return dd <= time.Date(2024, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// PayType is the payment division (支払区分) of a card payment.
type PayType string

// Payment divisions (docs/protocol.md §4.1).
const (
	LumpSum   PayType = "01" // 一括
	Bonus     PayType = "80" // ボーナス一括
	Revolving PayType = "88" // リボ払い
)

// Installments returns the PayType for n installments (2 to 99).
func Installments(n int) PayType {
	if n < 2 || n > 99 || n == 80 || n == 88 {
		return PayType(fmt.Sprintf("invalid(%d)", n))
	}
	return PayType(fmt.Sprintf("%02d", n))
}

// Count returns the number of installments, 1 for lump sum, bonus and
// revolving, 0 for an invalid value.
func (p PayType) Count() int {
	if !p.valid() {
		return 0
	}
	n, _ := strconv.Atoi(string(p))
	if n == 80 || n == 88 {
		return 1
	}
	return n
}

func (p PayType) valid() bool {
	if len(p) != 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' {
		return false
	}
	return p != "00"
}

// InstallmentSetting is the merchant's contract level for payment divisions.
// The zero value is LumpSumOnly, the default.
type InstallmentSetting int

const (
	// LumpSumOnly offers lump sum only (the default).
	LumpSumOnly InstallmentSetting = iota
	// InstallmentsAndRevolving adds installments and revolving.
	InstallmentsAndRevolving
	// InstallmentsRevolvingAndBonus adds installments, revolving and bonus lump sum.
	InstallmentsRevolvingAndBonus
)

// Brand is a card brand as recognised from the first digits of the number.
type Brand string

// Card brands.
const (
	BrandUnknown    Brand = ""
	BrandVisa       Brand = "VISA"
	BrandMastercard Brand = "Mastercard"
	BrandJCB        Brand = "JCB"
	BrandAmex       Brand = "American Express"
	BrandDiners     Brand = "Diners Club"
)

// BrandOf recognises the brand from the first digits of a card number or of a
// masked number ("411111******1111"), by the prefixes of docs/protocol.md
// §4.1. The 2-series Mastercard range 2221–2720 is Mastercard; a prefix too
// short to tell ("2", "22", "272") is BrandUnknown.
func BrandOf(number string) Brand {
	switch {
	case len(number) >= 1 && number[0] == '4':
		return BrandVisa
	case len(number) >= 1 && number[0] == '5':
		return BrandMastercard
	case len(number) >= 2 && number[:2] == "35":
		return BrandJCB
	case len(number) >= 2 && number[:2] == "37":
		return BrandAmex
	case len(number) >= 2 && number[:2] == "36":
		return BrandDiners
	case mastercard2Series(number):
		return BrandMastercard
	}
	return BrandUnknown
}

// mastercard2Series reports whether every card number starting with the
// leading digits of number lies in the 2-series Mastercard range 2221–2720.
func mastercard2Series(number string) bool {
	n := 0
	for n < 4 && n < len(number) && number[n] >= '0' && number[n] <= '9' {
		n++
	}
	if n < 2 || number[0] != '2' {
		return false
	}
	// The prefix p of n digits covers [p·10^(4−n), (p+1)·10^(4−n) − 1].
	p, scale := 0, 1
	for i := range n {
		p = p*10 + int(number[i]-'0')
	}
	for range 4 - n {
		scale *= 10
	}
	lo, hi := p*scale, (p+1)*scale-1
	return lo >= 2221 && hi <= 2720
}

// brandRule is one row of the brand table: the installment counts, and
// whether revolving and bonus may be offered at all.
type brandRule struct {
	counts    []PayType
	revolving bool
	bonus     bool
}

var standardCounts = []PayType{"02", "03", "05", "06", "10", "12", "15", "18", "20", "24"}

// brandRules is the table of docs/protocol.md §4.1.
var brandRules = map[Brand]brandRule{
	BrandVisa:       {counts: standardCounts, revolving: true, bonus: true},
	BrandMastercard: {counts: standardCounts, revolving: true, bonus: true},
	BrandJCB:        {counts: standardCounts, revolving: true, bonus: true},
	BrandAmex:       {counts: standardCounts[1:], revolving: false, bonus: true},
	BrandDiners:     {counts: nil, revolving: true, bonus: true},
}

// PayTypeChoices returns the divisions to offer for a card whose number (or
// masked number) starts with prefix, given the merchant's setting: lump sum
// always, then installments, revolving and bonus as the brand and the
// setting allow. With no digits entered yet, only LumpSum.
func PayTypeChoices(prefix string, setting InstallmentSetting) []PayType {
	out := []PayType{LumpSum}
	rule, ok := brandRules[BrandOf(prefix)]
	if !ok || setting == LumpSumOnly {
		return out
	}
	out = append(out, rule.counts...)
	if rule.revolving {
		out = append(out, Revolving)
	}
	if setting == InstallmentsRevolvingAndBonus && rule.bonus {
		out = append(out, Bonus)
	}
	return out
}

// PayTypeAllowed reports whether pt may be used for the card and setting.
func PayTypeAllowed(prefix string, setting InstallmentSetting, pt PayType) bool {
	for _, c := range PayTypeChoices(prefix, setting) {
		if c == pt {
			return true
		}
	}
	return false
}

// discard is for tests that need an io.Writer.
var _ io.Writer = io.Discard

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v PaymentParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v CheckParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }
