package escott

import (
	"context"
	"errors"
	"fmt"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/redact"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// Stored-card member operation IDs (docs/protocol.md §6).
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
// Register it with MemberService.Register (or RegisterAndPay). Like
// NewLinkKey it cannot fail.
func NewMember() Member {
	return Member{ID: randomDigits(13), Pass: Secret(randomDigits(12))}
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

// Member statuses (docs/protocol.md §6).
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
// card, from the first digits of its masked number (docs/protocol.md §4.1).
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
	// NewKaiinPass replaces KaiinPass in 4MemChg (docs/protocol.md §10a).
	NewKaiinPass string `url:"NewKaiinPass,omitempty"`
}

// memberCall is one member operation: what to validate and how to send it.
type memberCall struct {
	op       string
	member   *Member
	token    *CardToken
	newPass  Secret // NewKaiinPass, 4MemChg only
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
	if mc.newPass != "" {
		v.check(validMemberValue(mc.newPass.Reveal()), "NewKaiinPass", "must be 1–20 ASCII alphanumerics")
		req.NewKaiinPass = mc.newPass.Reveal()
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
		CompanyCode: resp.Get("CompanyCd"), Raw: Fields{resp.Pairs}}, nil
}

// MemberRegisterParams describe a stored-card registration (4MemAdd).
type MemberRegisterParams struct {
	// Token is the card to store, from the token script; it is consumed.
	// Required.
	Token CardToken
	// LinkKey is sent as MerchantFree1; empty means a fresh random key.
	LinkKey string
	// OrderRef is the host's reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Register stores the card behind p.Token for member m (4MemAdd), consuming
// the token. The member ID must be new: ErrMemberIDInUse if it is taken,
// also by a deleted member. Like a payment, it is journaled and never
// re-sent once it may have reached the gateway: an *OutcomeUnknownError
// means the member may exist; check with GetMasked before registering again.
func (s *MemberService) Register(ctx context.Context, m Member, p *MemberRegisterParams) (*MemberResult, error) {
	if p == nil {
		p = &MemberRegisterParams{}
	}
	return s.result(ctx, memberCall{op: OpMemberAdd, member: &m, token: &p.Token, linkKey: p.LinkKey,
		free2: p.MerchantFree2, free3: p.MerchantFree3, orderRef: p.OrderRef})
}

// MemberChangeCardParams describe a change of a member's stored card
// (4MemChg).
type MemberChangeCardParams struct {
	// Token is the new card, from the token script; it is consumed.
	// Required.
	Token CardToken
	// NewPass, when set, also gives the member a new password (NewKaiinPass),
	// as SPS's EC-CUBE module does when it renews a member's password. On
	// success the member is Member{ID: m.ID, Pass: NewPass}: store the new
	// password at once, the old one no longer works. An
	// *OutcomeUnknownError leaves it open which password is valid: try
	// GetMasked with the new one, then the old one.
	NewPass Secret
	// LinkKey is sent as MerchantFree1; empty means a fresh random key.
	LinkKey string
	// OrderRef is the host's reference, written to the journal only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// ChangeCard replaces the member's stored card with the card behind p.Token
// (4MemChg), consuming the token, and with p.NewPass also the member's
// password. Shoppers may change their card but not delete it; a
// card-invalid member becomes valid again. It is journaled like Register.
func (s *MemberService) ChangeCard(ctx context.Context, m Member, p *MemberChangeCardParams) (*MemberResult, error) {
	if p == nil {
		p = &MemberChangeCardParams{}
	}
	return s.result(ctx, memberCall{op: OpMemberChange, member: &m, token: &p.Token, newPass: p.NewPass,
		linkKey: p.LinkKey, free2: p.MerchantFree2, free3: p.MerchantFree3, orderRef: p.OrderRef})
}

// Get reads the member's card (4MemRef). The gateway answers the full card
// number; the result keeps only its masked form, first six and last four
// digits. Prefer GetMasked, which never brings the number to the host.
func (s *MemberService) Get(ctx context.Context, m Member) (*MemberCard, error) {
	return s.ref(ctx, OpMemberRef, &m, nil)
}

// GetMasked reads the member's card with the number masked by the gateway
// (4MemRefM): enough to show "VISA ending 1111" and to choose the payment
// divisions. ErrMemberMismatch means the member is unknown to the gateway.
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
	raw := r.Map()
	c := &MemberCard{OperateID: op, CompanyCode: r.Get("CompanyCd"), Status: parseMemberStatus(r.Get("KaiinStatus"))}
	if no := r.Get("CardNo"); no != "" {
		c.MaskedNumber, c.First6, c.Last4 = maskCardNumber(no)
		raw["CardNo"] = c.MaskedNumber
		c.Brand = BrandOf(c.First6)
	}
	c.Raw = NewFields(raw)
	if exp := r.Get("CardExp"); len(exp) == 4 && ascii.IsDigits(exp) {
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
		return strings.Repeat("*", max(n-4, 0)) + last4, "", last4
	}
	first6 = no[:6]
	for i := 0; i < 6; i++ {
		if no[i] < '0' || no[i] > '9' {
			first6 = first6[:i]
			break
		}
	}
	return no[:6] + strings.Repeat("*", n-10) + last4, first6, last4
}

// MemberInvalidateParams are the options of Invalidate; nil means all
// defaults.
type MemberInvalidateParams struct {
	// LinkKey is sent as MerchantFree1; empty means a fresh random key.
	LinkKey string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Invalidate makes the member unusable (4MemInval) without deleting it;
// Revalidate undoes it. It is the first step of Delete. p may be nil.
func (s *MemberService) Invalidate(ctx context.Context, m Member, p *MemberInvalidateParams) (*MemberResult, error) {
	if p == nil {
		p = &MemberInvalidateParams{}
	}
	return s.result(ctx, memberCall{op: OpMemberInvalidate, member: &m, linkKey: p.LinkKey,
		free2: p.MerchantFree2, free3: p.MerchantFree3})
}

// MemberRevalidateParams are the options of Revalidate; nil means all
// defaults.
type MemberRevalidateParams struct {
	// LinkKey is sent as MerchantFree1; empty means a fresh random key.
	LinkKey string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Revalidate makes an invalidated member valid again (4MemUnInval).
// ErrMemberAlreadyValid means it already was valid. p may be nil.
func (s *MemberService) Revalidate(ctx context.Context, m Member, p *MemberRevalidateParams) (*MemberResult, error) {
	if p == nil {
		p = &MemberRevalidateParams{}
	}
	return s.result(ctx, memberCall{op: OpMemberRevalidate, member: &m, linkKey: p.LinkKey,
		free2: p.MerchantFree2, free3: p.MerchantFree3})
}

// MemberDeleteParams are the options of Delete; nil means all defaults.
type MemberDeleteParams struct {
	// LinkKey is sent as MerchantFree1 with both steps; empty means a fresh
	// random key for each.
	LinkKey string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// Delete removes the member from the gateway: 4MemInval, then 4MemDel (the
// gateway deletes only invalidated members, ErrMemberNotInvalidated). A
// member that is already invalid answers the first step with
// ErrMemberNotValid; Delete goes on to 4MemDel then, so that a Delete
// interrupted after its first step can simply be repeated. A failure is a
// *DeleteMemberError naming the step. A deleted member ID cannot be
// registered again. p may be nil.
//
// Do not delete a member whose card had an authorisation-only sale in the
// last 90 days (see shop.CanDelete): the sale may still need the member.
func (s *MemberService) Delete(ctx context.Context, m Member, p *MemberDeleteParams) error {
	if p == nil {
		p = &MemberDeleteParams{}
	}
	linkKey := p.LinkKey // empty: each step gets a fresh key
	invalidated := false
	_, err := s.Invalidate(ctx, m, &MemberInvalidateParams{LinkKey: linkKey, MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3})
	var gerr *Error
	switch {
	case err == nil:
		invalidated = true
	case errors.As(err, &gerr) && len(gerr.Codes) == 1 && errors.Is(gerr, ErrMemberNotValid):
		// Already invalid (or deleted): 4MemDel decides.
		s.c.log.DebugContext(ctx, "escott: member already invalid, deleting", "member", m)
	default:
		// An unknown outcome: the gateway may have invalidated the member.
		return &DeleteMemberError{MemberID: m.ID, Step: StepInvalidate, OperateID: OpMemberInvalidate, Invalidated: errors.Is(err, ErrOutcomeUnknown), Err: err}
	}
	if _, err := s.result(ctx, memberCall{op: OpMemberDelete, member: &m, linkKey: linkKey,
		free2: p.MerchantFree2, free3: p.MerchantFree3}); err != nil {
		return &DeleteMemberError{MemberID: m.ID, Step: StepDelete, OperateID: OpMemberDelete, Invalidated: invalidated, Err: err}
	}
	return nil
}

// Step names the step of a two-step member operation (Delete,
// RegisterAndPay, ChangeCardAndPay) that failed.
type Step int

// The steps.
const (
	StepRegister   Step = iota + 1 // the registration (4MemAdd)
	StepChangeCard                 // the card change (4MemChg)
	StepPay                        // the payment (1Gathering or 1Auth)
	StepInvalidate                 // the invalidation (4MemInval)
	StepDelete                     // the deletion (4MemDel)
)

// String returns the step's name, e.g. "register".
func (s Step) String() string {
	switch s {
	case StepRegister:
		return "register"
	case StepChangeCard:
		return "change card"
	case StepPay:
		return "pay"
	case StepInvalidate:
		return "invalidate"
	case StepDelete:
		return "delete"
	}
	return "Step(" + strconv.Itoa(int(s)) + ")"
}

// stepOf is the Step of a member operation or payment ID.
func stepOf(op string) Step {
	switch op {
	case OpMemberAdd:
		return StepRegister
	case OpMemberChange:
		return StepChangeCard
	case OpMemberInvalidate:
		return StepInvalidate
	case OpMemberDelete:
		return StepDelete
	}
	return StepPay
}

// DeleteMemberError is a failed Delete: Step is the step that failed,
// StepInvalidate or StepDelete, and OperateID its operation.
type DeleteMemberError struct {
	MemberID  string
	Step      Step
	OperateID string // OpMemberInvalidate or OpMemberDelete
	// Invalidated reports that this Delete invalidated the member before
	// 4MemDel failed, or may have (Step 4MemInval with an unknown outcome,
	// errors.Is(err, ErrOutcomeUnknown)): the member cannot (or may not) pay
	// now. Call Delete again, or Revalidate to keep it.
	Invalidated bool
	Err         error
}

func (e *DeleteMemberError) Error() string {
	s := fmt.Sprintf("escott: delete member %s: %s failed", e.MemberID, e.OperateID)
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
		return nil, &MemberPaymentError{MemberID: m.ID, Step: stepOf(op), OperateID: op, Err: err}
	}
	s.c.log.DebugContext(ctx, "escott: member card stored, paying", "op", op, "link_key", pp.LinkKey, "member", m)
	pay, err := s.c.Card.Pay(ctx, &pp)
	if err != nil {
		return nil, &MemberPaymentError{MemberID: m.ID, Step: StepPay, OperateID: pp.Capture.op(), MemberUpdated: true, Err: err}
	}
	return pay, nil
}

// MemberPaymentError is a failed RegisterAndPay or ChangeCardAndPay. Step is
// the step that failed: StepRegister or StepChangeCard, or StepPay; OperateID
// is its operation (4MemAdd, 4MemChg, 1Gathering or 1Auth). MemberUpdated reports that the registration or card change
// succeeded before the payment failed: the member exists (with the new card)
// at the gateway, so the host should keep it.
type MemberPaymentError struct {
	MemberID      string
	Step          Step
	OperateID     string
	MemberUpdated bool
	Err           error
}

func (e *MemberPaymentError) Error() string {
	if e.MemberUpdated {
		return fmt.Sprintf("escott: member %s: card stored, but the payment (%s) failed; the member exists: %v",
			e.MemberID, e.OperateID, e.Err)
	}
	return fmt.Sprintf("escott: member %s: %s failed, nothing was paid: %v", e.MemberID, e.OperateID, e.Err)
}

// Unwrap returns the step's error.
func (e *MemberPaymentError) Unwrap() error { return e.Err }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v MemberCard) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v MemberResult) Format(f fmt.State, _ rune) { redact.Write(f, v) }
