package escott

import (
	"context"
	"errors"
	"fmt"
	"github.com/escott-go/escott/internal/redact"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// Card operation IDs (PROTOCOL.md §4).
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

// CardSource is what pays: a CardToken from the token script, or a stored
// Member. Only this package implements it.
type CardSource interface{ cardSource() }

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

// MarshalText redacts the token in encoders.
func (t CardToken) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Mode chooses between authorisation only and authorisation with sales
// recording. The zero value is AuthCapture, the Welcart module's default.
type Mode int

const (
	// AuthCapture authorises and records the sale in one step (1Gathering,
	// 与信売上計上).
	AuthCapture Mode = iota
	// AuthOnly only authorises (1Auth, 与信・仮売上); Capture records the sale later.
	AuthOnly
)

func (m Mode) op() string {
	if m == AuthOnly {
		return OpAuth
	}
	return OpGathering
}

// PaymentParams describes a new card payment.
type PaymentParams struct {
	// Amount in whole yen, 1 to 9,999,999.
	Amount decimal.Decimal
	// Source is a CardToken or a Member.
	Source CardSource
	// PayType is the payment division; empty means LumpSum.
	PayType PayType
	// Mode is AuthCapture (default) or AuthOnly.
	Mode Mode
	// LinkKey is MerchantFree1, the key that finds this order in the
	// merchant console. Empty: a fresh random 12-digit key. Use a new one for
	// each payment attempt.
	LinkKey string
	// OrderRef is the host's own order reference. It is written to the
	// journal only, never sent.
	OrderRef string
	// MerchantFree2 (half-width) and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
	// ThreeDS carries the result of a 3-D Secure authentication (mode B) to
	// the authorisation. Nil for a payment without 3-D Secure.
	ThreeDS *ThreeDSData
}

// ThreeDSData are the 3-D Secure result fields sent with the authorisation
// that follows an authentication (PROTOCOL.md §7.2 step 4).
type ThreeDSData struct {
	SecureResultCode       string
	EncodeXId3D            string
	MessageVersionNo3D     string
	TransactionStatus3D    string
	CAVVAlgorithm3D        string
	ECI3D                  string
	CAVV3D                 string
	DSTransactionID        string
	ThreeDSServerTransacID string
	// TransactionID3D and PANCard3D are forwarded when the result carried
	// them (3-D Secure 1.0 era fields, docs/protocol.md §7.4).
	TransactionID3D string
	PANCard3D       string
}

// Process identifies a gateway transaction for follow-up operations. Store all
// of it with the order: ProcessPass is needed for capture, change, cancel and
// inquiry (use Pass.Reveal() to store it), and Member when the payment was
// made for a stored-card member.
type Process struct {
	ID      string  // ProcessId
	Pass    Secret  // ProcessPass
	LinkKey string  // MerchantFree1 of the order, reused by follow-ups
	Member  *Member // the member the payment was made for, if any
}

// Payment is the result of a card operation.
type Payment struct {
	OperateID       string
	Process         Process
	TransactionID   string
	TransactionDate time.Time // JST date of the transaction
	// Amount is the amount the operation sent or, for Inquire, the amount the
	// gateway holds.
	Amount             decimal.Decimal
	PayType            PayType
	CompanyCode        string    // CompanyCd: the card company
	ApprovalNumber     string    // ApproveNo
	SecurityCodeResult string    // McSecCd: 0 match, 1 mismatch, 5 in progress, 8 not set, 9 not checkable
	SalesDate          time.Time // JST date of the sales record, when the gateway gave one
	MerchantFree1      string
	MerchantFree2      string
	MerchantFree3      string
	Raw                Fields
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

	SecureResultCode           string `url:"SecureResultCode,omitempty"`
	EncodeXId3D                string `url:"EncodeXId3D,omitempty"`
	MessageVersionNo3D         string `url:"MessageVersionNo3D,omitempty"`
	TransactionStatus3D        string `url:"TransactionStatus3D,omitempty"`
	CAVVAlgorithm3D            string `url:"CAVVAlgorithm3D,omitempty"`
	ECI3D                      string `url:"ECI3D,omitempty"`
	CAVV3D                     string `url:"CAVV3D,omitempty"`
	DSTransactionID            string `url:"DSTransactionId,omitempty"`
	ThreeDSServerTransactionID string `url:"ThreeDSServerTransactionId,omitempty"`
	TransactionID3D            string `url:"TransactionId3D,omitempty"`
	PANCard3D                  string `url:"PANCard3D,omitempty"`
}

// Pay takes a payment: 1Gathering (default) or 1Auth with AuthOnly. A
// *Error means the gateway refused and no money moved; an
// *OutcomeUnknownError means the payment may have been taken: it is never
// re-sent, reconcile it by its link key.
func (s *CardService) Pay(ctx context.Context, p *PaymentParams) (*Payment, error) {
	if p == nil {
		p = &PaymentParams{}
	}
	op := p.Mode.op()
	v := &validator{op: op}
	pt := checkPayment(v, p)
	req := &cardRequest{Amount: amountString(p.Amount), PayType: string(pt)}
	member := v.source(p.Source, &req.Token, &req.KaiinID, &req.KaiinPass)
	if p.ThreeDS != nil {
		req.setThreeDS(p.ThreeDS)
	}
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
	pay := paymentFrom(op, resp, linkKey, member)
	pay.Amount = p.Amount
	pay.PayType = pt
	return pay, nil
}

// checkPayment validates everything of a payment but its card source and
// returns the effective PayType. RegisterAndPay uses it to refuse a bad
// payment before the registration is sent.
func checkPayment(v *validator, p *PaymentParams) PayType {
	pt := v.division(p.Amount, p.PayType, p.Mode)
	v.free(p.MerchantFree2, p.MerchantFree3)
	if p.ThreeDS != nil {
		v.threeDS(p.ThreeDS)
	}
	return pt
}

// division checks the amount, the payment division (empty means LumpSum,
// which it returns) and the processing mode of a payment.
func (v *validator) division(amount decimal.Decimal, pt PayType, mode Mode) PayType {
	v.amount("Amount", amount, MaxAmount)
	if pt == "" {
		pt = LumpSum
	}
	v.check(pt.valid(), "PayType", "must be 01, an installment count 02–99, 80 (bonus) or 88 (revolving)")
	if mode != AuthCapture && mode != AuthOnly {
		v.add("Mode", "must be AuthCapture or AuthOnly")
	}
	return pt
}

// CheckParams describes a card check (1Check): the card is verified with the
// issuer without an amount.
type CheckParams struct {
	Source                       CardSource
	LinkKey                      string
	MerchantFree2, MerchantFree3 string
}

// Check verifies a card without charging it (1Check). It consumes a token.
func (s *CardService) Check(ctx context.Context, p *CheckParams) (*Payment, error) {
	if p == nil {
		p = &CheckParams{}
	}
	v := &validator{op: OpCheck}
	req := &cardRequest{}
	member := v.source(p.Source, &req.Token, &req.KaiinID, &req.KaiinPass)
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
	return paymentFrom(OpCheck, resp, linkKey, member), nil
}

// CaptureParams are the options of Capture.
type CaptureParams struct {
	// SalesDate is the date of the sales record; zero means today in JST. It
	// may not be in the future.
	SalesDate time.Time
}

// Capture records the sale of an authorisation made with AuthOnly (1Capture,
// 売上計上).
func (s *CardService) Capture(ctx context.Context, proc Process, p *CaptureParams) (*Payment, error) {
	if p == nil {
		p = &CaptureParams{}
	}
	sales := s.c.salesDate(p.SalesDate)
	pay, err := s.followUp(ctx, OpCapture, proc, func(v *validator, r *cardRequest) {
		r.SalesDate = sales
	})
	if pay != nil && pay.SalesDate.IsZero() {
		pay.SalesDate = parseDate(sales) // the answer has none: the date the sale was recorded for
	}
	return pay, err
}

// ChangeAmount changes the amount of an authorisation or a sale (1Change,
// 利用額変更). The new amount must differ from the current one.
func (s *CardService) ChangeAmount(ctx context.Context, proc Process, amount decimal.Decimal) (*Payment, error) {
	pay, err := s.followUp(ctx, OpChange, proc, func(v *validator, r *cardRequest) {
		v.amount("Amount", amount, MaxAmount)
		r.Amount = amountString(amount)
	})
	if pay != nil {
		pay.Amount = amount
	}
	return pay, err
}

// Cancel cancels an authorisation or a sale (1Delete, 取消): a void before the
// monthly close, a refund after it.
func (s *CardService) Cancel(ctx context.Context, proc Process) (*Payment, error) {
	return s.followUp(ctx, OpDelete, proc, nil)
}

// Inquire reads a transaction (1Search, 取引参照): its amount and sales date.
// It is read-only and retried on transport failures.
func (s *CardService) Inquire(ctx context.Context, proc Process) (*Payment, error) {
	pay, err := s.followUp(ctx, OpSearch, proc, nil)
	if pay != nil {
		if a, err := decimal.NewFromString(pay.Raw.Get("Amount")); err == nil {
			pay.Amount = a
		}
	}
	return pay, err
}

// ReauthParams describe a re-authorisation.
type ReauthParams struct {
	// Amount of the new authorisation, whole yen.
	Amount decimal.Decimal
	// SalesDate: when set, the new authorisation's sale is recorded on that
	// date; zero leaves it authorised only.
	SalesDate time.Time
}

// Reauthorize makes a new authorisation from an existing process (1ReAuth),
// e.g. after a cancel. The result carries a new Process that replaces the old
// one for all later operations.
func (s *CardService) Reauthorize(ctx context.Context, proc Process, p *ReauthParams) (*Payment, error) {
	if p == nil {
		p = &ReauthParams{}
	}
	var sales string
	if !p.SalesDate.IsZero() {
		sales = s.c.salesDate(p.SalesDate)
	}
	pay, err := s.followUp(ctx, OpReAuth, proc, func(v *validator, r *cardRequest) {
		v.amount("Amount", p.Amount, MaxAmount)
		r.Amount = amountString(p.Amount)
		r.SalesDate = sales
	})
	if pay != nil {
		pay.Amount = p.Amount
	}
	return pay, err
}

// followUp runs an operation on an existing process, with the member fields
// when the process was made for a member. On K81 (the original had no
// member) it retries once without them: the gateway rejected the request, so
// no money moved (PROTOCOL.md §4).
func (s *CardService) followUp(ctx context.Context, op string, proc Process, fill func(*validator, *cardRequest)) (*Payment, error) {
	v := &validator{op: op}
	v.process(proc)
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
	linkKey := s.c.linkKey(v, proc.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	k := call{path: pathCard, op: op, linkKey: linkKey, amount: req.Amount, procID: proc.ID, body: req}
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
	pay := paymentFrom(op, resp, linkKey, proc.Member)
	if pay.Process.ID == "" {
		pay.Process.ID, pay.Process.Pass = proc.ID, proc.Pass
	}
	return pay, nil
}

func paymentFrom(op string, r *wire.Response, linkKey string, m *Member) *Payment {
	p := &Payment{
		OperateID:          op,
		Process:            Process{ID: r.Get("ProcessId"), Pass: Secret(r.Get("ProcessPass")), LinkKey: linkKey, Member: m},
		TransactionID:      r.Get("TransactionId"),
		CompanyCode:        r.Get("CompanyCd"),
		ApprovalNumber:     r.Get("ApproveNo"),
		SecurityCodeResult: r.Get("McSecCd"),
		MerchantFree1:      r.Get("MerchantFree1"),
		MerchantFree2:      r.Get("MerchantFree2"),
		MerchantFree3:      r.Get("MerchantFree3"),
		Raw:                Fields(r.Fields),
	}
	p.TransactionDate = parseDate(r.Get("TransactionDate"))
	p.SalesDate = parseDate(r.Get("SalesDate"))
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

func (c *Client) salesDate(t time.Time) string {
	if t.IsZero() {
		t = c.now()
	}
	return jst.Date(t)
}

// linkKey validates a caller's link key or generates one.
func (c *Client) linkKey(v *validator, given string) string {
	if given != "" {
		v.check(isAlnum(given) && len(given) <= 32, "MerchantFree1", "link key must be 1–32 ASCII alphanumerics")
		return given
	}
	k, err := c.newKey()
	if err != nil {
		v.add("MerchantFree1", "link key generator failed: "+err.Error())
		return ""
	}
	v.check(isAlnum(k) && len(k) <= 32, "MerchantFree1", "link key generator returned an invalid key")
	return k
}

func (r *cardRequest) setThreeDS(d *ThreeDSData) {
	r.SecureResultCode = d.SecureResultCode
	r.EncodeXId3D = d.EncodeXId3D
	r.MessageVersionNo3D = d.MessageVersionNo3D
	r.TransactionStatus3D = d.TransactionStatus3D
	r.CAVVAlgorithm3D = d.CAVVAlgorithm3D
	r.ECI3D = d.ECI3D
	r.CAVV3D = d.CAVV3D
	r.DSTransactionID = d.DSTransactionID
	r.ThreeDSServerTransactionID = d.ThreeDSServerTransacID
	r.TransactionID3D = d.TransactionID3D
	r.PANCard3D = d.PANCard3D
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

func validMemberValue(s string) bool { return isAlnum(s) && len(s) <= 20 }

func (v *validator) process(p Process) {
	v.check(isAlnum(p.ID) && len(p.ID) <= 32, "ProcessId", "must be the ProcessId of an earlier payment")
	v.check(isAlnum(p.Pass.Reveal()) && len(p.Pass) <= 32, "ProcessPass", "must be the ProcessPass of an earlier payment")
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

// PayType is the payment division (支払区分) of a card payment.
type PayType string

// Payment divisions (PROTOCOL.md §4.1).
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

// Label returns the Japanese label a checkout page shows for the division.
func (p PayType) Label() string {
	switch p {
	case LumpSum:
		return "一括払い"
	case Bonus:
		return "ボーナス一括払い"
	case Revolving:
		return "リボルビング払い"
	}
	if n := p.Count(); n > 1 {
		return strconv.Itoa(n) + "回払い"
	}
	return string(p)
}

// InstallmentSetting is the merchant's contract level for payment divisions.
// The zero value is LumpSumOnly, the default.
type InstallmentSetting int

const (
	// LumpSumOnly offers lump sum only (the default).
	LumpSumOnly InstallmentSetting = iota
	// WithInstallments adds installments and revolving.
	WithInstallments
	// WithBonus adds installments, revolving and bonus lump sum.
	WithBonus
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
// masked number ("411111******1111"), by the prefixes of PROTOCOL.md §4.1.
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
	}
	return BrandUnknown
}

// brandRule is one row of the brand table: the installment counts, and
// whether revolving and bonus may be offered at all.
type brandRule struct {
	counts    []PayType
	revolving bool
	bonus     bool
}

var standardCounts = []PayType{"02", "03", "05", "06", "10", "12", "15", "18", "20", "24"}

// brandRules is the table of PROTOCOL.md §4.1.
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
	if setting == WithBonus && rule.bonus {
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
func (v Process) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v Payment) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v CheckParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }
