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

	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// Stored-card member operation IDs (PROTOCOL.md §6).
const (
	OpMemberAdd        = "4MemAdd"
	OpMemberChange     = "4MemChg"
	OpMemberRef        = "4MemRef"
	OpMemberRefMasked  = "4MemRefM"
	OpMemberRefToken   = "4MemRefToken"
	OpMemberInvalidate = "4MemInval"
	OpMemberRevalidate = "4MemUnInval"
	OpMemberDelete     = "4MemDel"
)

// Member is a stored-card member (クイック決済会員) of the gateway: the
// merchant-chosen KaiinId and KaiinPass. Pass never appears when a Member is
// formatted or logged. Store both with the shop's customer record (use
// Pass.Reveal() to store the password).
type Member struct {
	ID   string // KaiinId
	Pass Secret // KaiinPass
}

func (Member) cardSource() {}

// String shows the member ID only.
func (m Member) String() string { return "escott.Member{ID:" + m.ID + " Pass:" + m.Pass.String() + "}" }

// GoString is String.
func (m Member) GoString() string { return m.String() }

// Format implements fmt.Formatter, redacting the password with every verb.
func (m Member) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// LogValue implements slog.LogValuer.
func (m Member) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Validate checks the member's ID and password as the SDK does before any
// request: each 1–20 ASCII alphanumerics. The error names the field, never
// the value.
func (m Member) Validate() error {
	v := &validator{op: "Member"}
	v.member(m)
	return v.err()
}

// NewMember generates a member from crypto/rand: KaiinId of 13 random digits
// and KaiinPass of 12 random digits, the shapes production clients use.
// Register it with MemberService.Register (or RegisterAndPay).
func NewMember() (Member, error) {
	id, err := randomDigits(13)
	if err != nil {
		return Member{}, err
	}
	pass, err := randomDigits(12)
	if err != nil {
		return Member{}, err
	}
	return Member{ID: id, Pass: Secret(pass)}, nil
}

// MemberService manages stored-card members (クイック決済, OCRP005). Get it
// from Client.Member.
//
// Registering (4MemAdd) and changing the card (4MemChg) consume a card token
// and are treated like payments: journaled before they are sent and never
// re-sent once they may have reached the gateway. References are read-only
// and retried. Invalidate, Revalidate and Delete are not retried once they
// may have reached the gateway.
type MemberService struct{ c *Client }

// MemberStatus is a member's KaiinStatus.
type MemberStatus int

// Member statuses (PROTOCOL.md §6).
const (
	// MemberStatusUnknown: the answer had no (or an unknown) KaiinStatus,
	// e.g. a reference by token.
	MemberStatusUnknown MemberStatus = -1
	MemberValid         MemberStatus = 0 // 有効
	MemberCardInvalid   MemberStatus = 1 // カード無効: ask the shopper for a new card (ChangeCard)
	MemberLocked        MemberStatus = 2 // ロック: too many wrong passwords
	MemberInvalid       MemberStatus = 3 // 会員無効: invalidated (4MemInval)
	MemberDeleted       MemberStatus = 4 // 会員削除
)

// String returns the status name, e.g. "valid" or "card invalid".
func (s MemberStatus) String() string {
	switch s {
	case MemberValid:
		return "valid"
	case MemberCardInvalid:
		return "card invalid"
	case MemberLocked:
		return "locked"
	case MemberInvalid:
		return "invalid"
	case MemberDeleted:
		return "deleted"
	case MemberStatusUnknown:
		return "unknown"
	}
	return "MemberStatus(" + strconv.Itoa(int(s)) + ")"
}

// CanPay reports whether the member can pay now (status valid).
func (s MemberStatus) CanPay() bool { return s == MemberValid }

// Gone reports whether the gateway no longer holds a usable member (invalid
// or deleted): the host should drop its local quick-payment registration
// and, if the shopper wants, register the card again under a new member.
func (s MemberStatus) Gone() bool { return s == MemberInvalid || s == MemberDeleted }

func parseMemberStatus(v string) MemberStatus {
	if len(v) == 1 && v[0] >= '0' && v[0] <= '4' {
		return MemberStatus(v[0] - '0')
	}
	return MemberStatusUnknown
}

// MemberCard is a member's stored card as a reference answers it. It never
// holds the full card number: only the masked number, the first six and the
// last four digits (Raw's CardNo is replaced by the masked number too).
type MemberCard struct {
	OperateID    string
	MemberID     string // "" for a reference by token
	MaskedNumber string // e.g. "411111******1111"
	First6       string
	Last4        string
	Brand        Brand
	ExpiryYear   int        // four digits, e.g. 2031; 0 if the gateway gave none
	ExpiryMonth  time.Month // 0 if the gateway gave none
	Status       MemberStatus
	// EnableDate is KaiinEnableDate as a JST time; zero if absent or not a date.
	EnableDate  time.Time
	CompanyCode string // CompanyCd
	Raw         Fields
}

// PayTypeChoices returns the payment divisions to offer when paying with this
// card, from the first digits of its masked number (PROTOCOL.md §4.1).
func (c *MemberCard) PayTypeChoices(setting InstallmentSetting) []PayType {
	return PayTypeChoices(c.First6, setting)
}

// Gone reports whether the host should drop its local registration: the
// member is invalid or deleted at the gateway.
func (c *MemberCard) Gone() bool { return c.Status.Gone() }

// MemberResult is the answer of a member operation that does not return a
// card: registration, card change, invalidation, revalidation, deletion.
type MemberResult struct {
	OperateID   string
	MemberID    string
	LinkKey     string // MerchantFree1 sent
	CompanyCode string // CompanyCd, when the gateway gave one
	Raw         Fields
}

// memberRequest is the wire form of every OCRP005 operation.
type memberRequest struct {
	common
	KaiinID   string `url:"KaiinId,omitempty"`
	KaiinPass string `url:"KaiinPass,omitempty"`
	Token     string `url:"Token,omitempty"`
}

// memberCall is one member operation: what to validate and how to send it.
type memberCall struct {
	op       string
	member   *Member
	token    *CardToken
	linkKey  string
	free2    string
	free3    string
	orderRef string
}

func (s *MemberService) run(ctx context.Context, mc memberCall) (*wire.Response, string, error) {
	v := &validator{op: mc.op}
	req := &memberRequest{}
	if mc.member != nil {
		v.member(*mc.member)
		req.KaiinID, req.KaiinPass = mc.member.ID, mc.member.Pass.Reveal()
	}
	if mc.token != nil {
		v.token("Token", *mc.token)
		req.Token = string(*mc.token)
	}
	v.free(mc.free2, mc.free3)
	linkKey := s.c.linkKey(v, mc.linkKey)
	if err := v.err(); err != nil {
		return nil, "", err
	}
	k := call{path: pathMember, op: mc.op, linkKey: linkKey, free2: mc.free2, free3: mc.free3,
		orderRef: mc.orderRef, body: req}
	switch mc.op {
	case OpMemberAdd, OpMemberChange:
		k.money = true // consumes the token and stores a card: never re-sent
	case OpMemberRef, OpMemberRefMasked, OpMemberRefToken:
		k.read = true
	default:
		k.once = true
	}
	resp, err := s.c.do(ctx, k)
	return resp, linkKey, err
}

func (s *MemberService) result(ctx context.Context, mc memberCall) (*MemberResult, error) {
	resp, linkKey, err := s.run(ctx, mc)
	if err != nil {
		return nil, err
	}
	return &MemberResult{OperateID: mc.op, MemberID: mc.member.ID, LinkKey: linkKey,
		CompanyCode: resp.Get("CompanyCd"), Raw: Fields(resp.Fields)}, nil
}

// Register stores the card behind token for member m (4MemAdd), consuming
// the token. The KaiinId must be new: K69 if it is in use, also by a deleted
// member. Like a payment, it is never re-sent once it may have reached the
// gateway: an *OutcomeUnknownError means the member may exist; check with
// GetMasked before registering again.
func (s *MemberService) Register(ctx context.Context, m Member, token CardToken) (*MemberResult, error) {
	return s.result(ctx, memberCall{op: OpMemberAdd, member: &m, token: &token})
}

// ChangeCard replaces the member's stored card with the card behind token
// (4MemChg), consuming the token. Shoppers may change their card but not
// delete it; a card-invalid member becomes valid again.
func (s *MemberService) ChangeCard(ctx context.Context, m Member, token CardToken) (*MemberResult, error) {
	return s.result(ctx, memberCall{op: OpMemberChange, member: &m, token: &token})
}

// Get reads the member's card (4MemRef). The gateway answers the full card
// number; the result keeps only its masked form, first six and last four
// digits. Prefer GetMasked, which never brings the number to the host.
func (s *MemberService) Get(ctx context.Context, m Member) (*MemberCard, error) {
	return s.ref(ctx, OpMemberRef, &m, nil)
}

// GetMasked reads the member's card with the number masked by the gateway
// (4MemRefM): enough to show "VISA ending 1111" and to choose the payment
// divisions. A K71 answer means the member is unknown to the gateway (see
// IsMemberMismatch).
func (s *MemberService) GetMasked(ctx context.Context, m Member) (*MemberCard, error) {
	return s.ref(ctx, OpMemberRefMasked, &m, nil)
}

// GetByToken reads the card behind a token (4MemRefToken, トークン会員参照)
// without consuming the token. The answer has no member and no status
// (Status is MemberStatusUnknown unless the gateway sends one).
func (s *MemberService) GetByToken(ctx context.Context, token CardToken) (*MemberCard, error) {
	return s.ref(ctx, OpMemberRefToken, nil, &token)
}

func (s *MemberService) ref(ctx context.Context, op string, m *Member, token *CardToken) (*MemberCard, error) {
	resp, _, err := s.run(ctx, memberCall{op: op, member: m, token: token})
	if err != nil {
		return nil, err
	}
	mc := memberCardFrom(op, resp)
	if m != nil {
		mc.MemberID = m.ID
	}
	return mc, nil
}

func memberCardFrom(op string, r *wire.Response) *MemberCard {
	raw := make(Fields, len(r.Fields))
	for k, v := range r.Fields {
		raw[k] = v
	}
	c := &MemberCard{OperateID: op, CompanyCode: r.Get("CompanyCd"), Status: parseMemberStatus(r.Get("KaiinStatus")), Raw: raw}
	if no := r.Get("CardNo"); no != "" {
		c.MaskedNumber, c.First6, c.Last4 = maskCardNumber(no)
		raw["CardNo"] = c.MaskedNumber
		c.Brand = BrandOf(c.First6)
	}
	if exp := r.Get("CardExp"); len(exp) == 4 && isDigits(exp) {
		yy, _ := strconv.Atoi(exp[:2])
		mm, _ := strconv.Atoi(exp[2:])
		if mm >= 1 && mm <= 12 {
			c.ExpiryYear, c.ExpiryMonth = 2000+yy, time.Month(mm)
		}
	}
	if t, err := jst.ParseTime(r.Get("KaiinEnableDate")); err == nil {
		c.EnableDate = t
	}
	return c
}

// maskCardNumber keeps the first six and last four digits of a full or
// masked number and masks everything between. A number too short to keep
// both is masked entirely except its last four digits.
func maskCardNumber(no string) (masked, first6, last4 string) {
	n := len(no)
	if n >= 4 {
		last4 = no[n-4:]
	}
	if n < 14 {
		return string(repeatByte('*', max(n-4, 0))) + last4, "", last4
	}
	first6 = no[:6]
	for i := 0; i < 6; i++ {
		if no[i] < '0' || no[i] > '9' {
			first6 = first6[:i]
			break
		}
	}
	return no[:6] + string(repeatByte('*', n-10)) + last4, first6, last4
}

func repeatByte(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// Invalidate makes the member unusable (4MemInval) without deleting it;
// Revalidate undoes it. It is the first step of Delete.
func (s *MemberService) Invalidate(ctx context.Context, m Member) (*MemberResult, error) {
	return s.result(ctx, memberCall{op: OpMemberInvalidate, member: &m})
}

// Revalidate makes an invalidated member valid again (4MemUnInval). K73 means
// it already was valid.
func (s *MemberService) Revalidate(ctx context.Context, m Member) (*MemberResult, error) {
	return s.result(ctx, memberCall{op: OpMemberRevalidate, member: &m})
}

// Delete removes the member from the gateway: 4MemInval, then 4MemDel (the
// gateway deletes only invalidated members, K70). A member that is already
// invalid answers the first step with K75; Delete goes on to 4MemDel then,
// so that a Delete interrupted after its first step can simply be repeated.
// A failure is a *DeleteMemberError naming the step. A deleted KaiinId cannot
// be registered again.
//
// Do not delete a member whose card had an authorisation-only sale in the
// last 90 days (see CanDelete): the sale may still need the member.
func (s *MemberService) Delete(ctx context.Context, m Member) error {
	invalidated := false
	_, err := s.Invalidate(ctx, m)
	var gerr *Error
	switch {
	case err == nil:
		invalidated = true
	case errors.As(err, &gerr) && len(gerr.Codes) == 1 && gerr.Has("K75"):
		// Already invalid (or deleted): 4MemDel decides.
		s.c.log.DebugContext(ctx, "escott: member already invalid, deleting", "member", m)
	default:
		// An unknown outcome: the gateway may have invalidated the member.
		return &DeleteMemberError{MemberID: m.ID, Step: OpMemberInvalidate, Invalidated: errors.Is(err, ErrOutcomeUnknown), Err: err}
	}
	if _, err := s.result(ctx, memberCall{op: OpMemberDelete, member: &m}); err != nil {
		return &DeleteMemberError{MemberID: m.ID, Step: OpMemberDelete, Invalidated: invalidated, Err: err}
	}
	return nil
}

// DeleteMemberError is a failed Delete: Step is the operation that failed,
// 4MemInval or 4MemDel.
type DeleteMemberError struct {
	MemberID string
	Step     string // OpMemberInvalidate or OpMemberDelete
	// Invalidated reports that this Delete invalidated the member before
	// 4MemDel failed, or may have (Step 4MemInval with an unknown outcome,
	// errors.Is(err, ErrOutcomeUnknown)): the member cannot (or may not) pay
	// now. Call Delete again, or Revalidate to keep it.
	Invalidated bool
	Err         error
}

func (e *DeleteMemberError) Error() string {
	s := fmt.Sprintf("escott: delete member %s: %s failed", e.MemberID, e.Step)
	if e.Invalidated {
		s += " (the member is now invalid)"
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the step's error (*Error, *TransportError …).
func (e *DeleteMemberError) Unwrap() error { return e.Err }

// RegisterAndPay registers the card behind token for member m and pays with
// it in one checkout, in the only order that works: 4MemAdd with the token
// (which consumes it), then the payment by member without the token. p.Source
// must be nil or m. Both requests carry p's link key (one is generated when
// empty), so the merchant console shows both under the order.
//
// Nothing is sent when the parameters are invalid. A failure is a
// *MemberPaymentError: when Step is the payment, MemberUpdated is true and
// the member exists at the gateway even though the payment failed — store it.
func (s *MemberService) RegisterAndPay(ctx context.Context, m Member, token CardToken, p *PaymentParams) (*Payment, error) {
	return s.updateAndPay(ctx, OpMemberAdd, m, token, p)
}

// ChangeCardAndPay replaces the member's card with the card behind token
// (4MemChg) and pays with the member: "pay with another card and keep it".
// Failures are reported as for RegisterAndPay; after a failed payment the
// new card stays stored.
func (s *MemberService) ChangeCardAndPay(ctx context.Context, m Member, token CardToken, p *PaymentParams) (*Payment, error) {
	return s.updateAndPay(ctx, OpMemberChange, m, token, p)
}

func (s *MemberService) updateAndPay(ctx context.Context, op string, m Member, token CardToken, p *PaymentParams) (*Payment, error) {
	if p == nil {
		p = &PaymentParams{}
	}
	pp := *p
	v := &validator{op: op}
	v.member(m)
	v.token("Token", token)
	switch src := pp.Source.(type) {
	case nil:
	case Member:
		v.check(src.ID == m.ID && src.Pass == m.Pass, "Source", "must be empty or the member being registered")
	case *Member:
		v.check(src != nil && src.ID == m.ID && src.Pass == m.Pass, "Source", "must be empty or the member being registered")
	default:
		v.add("Source", "must be empty or the member being registered: the token goes to "+op)
	}
	pp.Source = m
	checkPayment(v, &pp)
	pp.LinkKey = s.c.linkKey(v, pp.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, _, err := s.run(ctx, memberCall{op: op, member: &m, token: &token, linkKey: pp.LinkKey,
		free2: pp.MerchantFree2, free3: pp.MerchantFree3, orderRef: pp.OrderRef})
	if err != nil {
		return nil, &MemberPaymentError{MemberID: m.ID, Step: op, Err: err}
	}
	s.c.log.DebugContext(ctx, "escott: member card stored, paying", "op", op, "link_key", pp.LinkKey, "member", m)
	pay, err := s.c.Card.Pay(ctx, &pp)
	if err != nil {
		return nil, &MemberPaymentError{MemberID: m.ID, Step: pp.Mode.op(), MemberUpdated: true, Err: err}
	}
	return pay, nil
}

// MemberPaymentError is a failed RegisterAndPay or ChangeCardAndPay. Step is
// the operation that failed: 4MemAdd/4MemChg, or the payment (1Gathering or
// 1Auth). MemberUpdated reports that the registration or card change
// succeeded before the payment failed: the member exists (with the new card)
// at the gateway, so the host should keep it.
type MemberPaymentError struct {
	MemberID      string
	Step          string
	MemberUpdated bool
	Err           error
}

func (e *MemberPaymentError) Error() string {
	if e.MemberUpdated {
		return fmt.Sprintf("escott: member %s: card stored, but the payment (%s) failed; the member exists: %v",
			e.MemberID, e.Step, e.Err)
	}
	return fmt.Sprintf("escott: member %s: %s failed, nothing was paid: %v", e.MemberID, e.Step, e.Err)
}

// Unwrap returns the step's error.
func (e *MemberPaymentError) Unwrap() error { return e.Err }

// IsMemberMismatch reports whether err says the gateway does not know the
// member the host has stored (K71: KaiinId/KaiinPass mismatch). It happens
// when a test-environment member is used in production, after test members
// expire (about two months), or when the member was deleted. The host should
// drop its local quick-payment registration and let the shopper register the
// card again.
func IsMemberMismatch(err error) bool {
	var gerr *Error
	return errors.As(err, &gerr) && gerr.Has("K71")
}

// MemberDeleteWait is how long after the last authorisation-only sale a
// member must be kept (the Welcart manual: no 与信 sale in the last 90 days).
const MemberDeleteWait = 90

// CanDelete applies the Welcart manual's rule for deleting a member: no
// authorisation-only (AuthOnly, 与信) sale in the last 90 days. Pass the JST
// date of the member's last such sale (zero if none). It reports whether now
// is safe and from when it is: midnight JST of the 91st day after that date,
// so that the whole 90 days after the sale have passed.
func CanDelete(lastAuthOnlySale, now time.Time) (bool, time.Time) {
	if lastAuthOnlySale.IsZero() {
		return true, now
	}
	safe := jst.Today(lastAuthOnlySale).AddDate(0, 0, MemberDeleteWait+1)
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

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v MemberCard) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v MemberResult) Format(f fmt.State, _ rune) { redact.Write(f, v) }
