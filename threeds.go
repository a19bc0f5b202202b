package escott

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"github.com/escott-go/escott/internal/redact"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// OpThreeDS is the OperateId of an authentication-only 3-D Secure request
// (mode B, docs/protocol.md §7.2).
const OpThreeDS = "3Secure"

// MaxReturnBody caps the body of a 3-D Secure return or PostUrl copy. A real
// one is well under 2 KiB.
const MaxReturnBody = 16 << 10

// DefaultThreeDSTTL is how long the in-memory store keeps an attempt: long
// enough for a challenge (the gateway's own session ends after about 40
// minutes of inactivity), short enough to bound memory.
const DefaultThreeDSTTL = time.Hour

// ErrNoAESKey is returned when 3-D Secure is used without Config.AESKey/AESIV.
var ErrNoAESKey = errors.New("escott: Config.AESKey and AESIV are not set (needed for 3-D Secure)")

// ErrReturnRefused matches every *ReturnError: a 3-D Secure return or PostUrl
// copy that was not accepted. Nothing was sent to the gateway because of it.
var ErrReturnRefused = errors.New("escott: 3-D Secure return refused")

// SecureResultCode is the outcome of a 3-D Secure authentication
// (docs/protocol.md §7.4).
type SecureResultCode string

// The SecureResultCode values.
const (
	SecureAuthenticated          SecureResultCode = "0" // 認証成功
	SecureFailed                 SecureResultCode = "1" // authentication failed or not performed because of an error
	SecureNotEnrolled            SecureResultCode = "2" // cardholder not enrolled
	SecureIssuerNotParticipating SecureResultCode = "3" // issuer not participating
	SecureAttempt                SecureResultCode = "4" // attempt (the issuer vouches without authenticating)
	SecureMaintenance            SecureResultCode = "8" // authentication system under maintenance
	SecureSystemError            SecureResultCode = "9" // authentication system error
)

// String returns the code with its meaning, e.g. "0 authenticated"; a missing
// code is "missing".
func (c SecureResultCode) String() string {
	var m string
	switch c {
	case "":
		return "missing"
	case SecureAuthenticated:
		m = "authenticated"
	case SecureFailed:
		m = "authentication failed"
	case SecureNotEnrolled:
		m = "cardholder not enrolled"
	case SecureIssuerNotParticipating:
		m = "issuer not participating"
	case SecureAttempt:
		m = "attempt"
	case SecureMaintenance:
		m = "authentication system under maintenance"
	case SecureSystemError:
		m = "authentication system error"
	default:
		m = "unknown"
	}
	return string(c) + " " + m
}

// Continue reports whether the payment may go on: 0, 2, 3 and 4. The failure
// set of production clients is {1, 8, 9}; a missing or unknown code is a
// failure too, never a success.
func (c SecureResultCode) Continue() bool {
	switch c {
	case SecureAuthenticated, SecureNotEnrolled, SecureIssuerNotParticipating, SecureAttempt:
		return true
	}
	return false
}

// ThreeDSAttempt is an authentication the client started and has not yet
// seen come back. It holds the card source (a token or a member) because the
// authorisation after the return needs it, so a durable store must keep it
// as carefully as a password.
type ThreeDSAttempt struct {
	LinkKey   string          // MerchantFree1, the key of the attempt
	ProcNo    string          // 7 random digits, unique per attempt
	OperateID string          // 3Secure, 1Auth, 1Gathering, 4MemAdd or 4MemChg
	Amount    decimal.Decimal // zero for member registration
	Source    CardSource      // CardToken or Member (redacted when printed)
	Member    *Member         // the member registered or changed (4MemAdd/4MemChg)
	PayType   PayType
	Capture   Capture
	OrderRef  string // the host's order reference, never sent
	// MerchantFree2 and MerchantFree3 as sent; the return must echo them.
	MerchantFree2, MerchantFree3 string
	RedirectURL, PostURL         string
	Created                      time.Time
	// Hosted marks an attempt started by LinkService (the gateway's hosted
	// card page, SSNP005) rather than OTDS010: each return handler accepts
	// only its own kind.
	Hosted bool
}

// WithThreeDSStore replaces the in-memory store of pending 3-D Secure
// attempts, e.g. with one shared by every instance of the shop. A nil store
// is a configuration error.
func WithThreeDSStore(s ThreeDSStore) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("WithThreeDSStore: nil store")
		}
		o.tdsStore = s
		return nil
	}
}

// ThreeDSService runs EMV 3-D Secure authentication through OTDS010. Get it
// from Client.ThreeDS.
//
// Mode B (Start, then HandleReturn, then Authorize) authenticates first and
// authorises with a normal card request; mode A (StartAuthorize, then
// HandleReturn and PostURLHandler) has the gateway authorise itself.
type ThreeDSService struct{ c *Client }

func (s *ThreeDSService) store() ThreeDSStore { return s.c.tdsStore }

// newThreeDSStore is the client's default store, on the client's clock.
func newThreeDSStore(c *Client) ThreeDSStore {
	st := NewMemoryThreeDSStore(0, 0)
	st.now = c.now
	return st
}

// ThreeDSStartParams describes a 3-D Secure authentication to start.
type ThreeDSStartParams struct {
	// Amount in whole yen, 1 to 9,999,999.
	Amount decimal.Decimal
	// Source is a CardToken (with BillingFullName and BillingEmail) or a Member.
	// The token is not consumed by authentication (mode B) and is used again
	// by Authorize.
	Source CardSource
	// BillingFullName is the cardholder name as on the card: ASCII letters and
	// spaces, at most 45. Required with a CardToken.
	BillingFullName string
	// BillingEmail is the shopper's e-mail address. Required with a CardToken.
	BillingEmail string
	// RedirectURL is where the shopper's browser comes back with the result
	// (https, or http on a loopback host for development).
	RedirectURL string
	// PostURL (mode A only, optional) receives a server-to-server copy of the
	// result. Same scheme rules as RedirectURL.
	PostURL string
	// PayType and Mode are used by the authorisation: by Authorize in mode B,
	// by the gateway itself in mode A.
	PayType PayType
	Capture Capture
	// LinkKey (MerchantFree1): empty means a fresh random key. One per attempt.
	LinkKey string
	// OrderRef is the host's order reference, kept with the attempt only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
}

// ThreeDSMemberParams describes a stored-card registration (4MemAdd) or card
// change (4MemChg) authenticated with 3-D Secure.
type ThreeDSMemberParams struct {
	Member          Member
	Token           CardToken
	BillingFullName string
	BillingEmail    string
	RedirectURL     string
	// Change selects 4MemChg (change the member's card) instead of 4MemAdd.
	Change                       bool
	LinkKey                      string
	OrderRef                     string
	MerchantFree2, MerchantFree3 string
}

// ThreeDSForm is what the checkout page renders to send the shopper to
// OTDS010: a form POSTing MerchantId and EncryptValue to URL. Use HTML or
// ServeHTTP for a ready page. EncryptValue is redacted when printed.
type ThreeDSForm struct {
	URL          string // the OTDS010 endpoint
	MerchantID   string
	EncryptValue Secret
	LinkKey      string
	ProcNo       string
}

var formPage = template.Must(template.New("3ds").Parse(`<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>3-D Secure</title></head>
<body>
<form id="escott-3ds" method="post" action="{{.URL}}">
<input type="hidden" name="MerchantId" value="{{.MerchantID}}">
<input type="hidden" name="EncryptValue" value="{{.EncryptValue}}">
<noscript><p>カード会社の本人認証へ進みます。 / Continue to your card issuer's authentication.</p>
<button type="submit">次へ / Continue</button></noscript>
</form>
<script>document.getElementById("escott-3ds").submit();</script>
</body></html>
`))

// HTML returns a complete page that auto-submits the form, with a button for
// browsers without JavaScript.
func (f *ThreeDSForm) HTML() template.HTML {
	var b bytes.Buffer
	_ = formPage.Execute(&b, map[string]string{
		"URL": f.URL, "MerchantID": f.MerchantID, "EncryptValue": f.EncryptValue.Reveal(),
	})
	return template.HTML(b.String()) //nolint:gosec // produced by html/template
}

// ServeHTTP writes the page of HTML, not cacheable.
func (f *ThreeDSForm) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, string(f.HTML()))
}

// Start begins a mode B authentication (OperateId 3Secure): it stores the
// pending attempt and returns the form that sends the shopper to OTDS010.
// Nothing is sent to the gateway by Start itself. After the return, call
// HandleReturn and then Authorize.
func (s *ThreeDSService) Start(ctx context.Context, p *ThreeDSStartParams) (*ThreeDSForm, error) {
	return s.start(ctx, OpThreeDS, p)
}

// StartAuthorize begins a mode A authentication with authorisation in one
// request (OperateId 1Gathering, or 1Auth with CaptureLater). The gateway
// authorises after authenticating; HandleReturn (browser) or PostURLHandler
// (server-to-server copy, when PostURL is set) yields the payment.
func (s *ThreeDSService) StartAuthorize(ctx context.Context, p *ThreeDSStartParams) (*ThreeDSForm, error) {
	if p == nil {
		p = &ThreeDSStartParams{}
	}
	return s.start(ctx, p.Capture.op(), p)
}

func (s *ThreeDSService) start(ctx context.Context, op string, p *ThreeDSStartParams) (*ThreeDSForm, error) {
	if p == nil {
		p = &ThreeDSStartParams{}
	}
	c := s.c
	if c.cipher == nil {
		return nil, ErrNoAESKey
	}
	v := &validator{op: op}
	pt := v.division(p.Amount, p.PayType, p.Capture)
	f := url.Values{}
	var token, kid, kpass string
	member := v.source(p.Source, &token, &kid, &kpass)
	if member == nil && token != "" {
		v.billing(p.BillingFullName, p.BillingEmail)
		f.Set("Token", token)
		f.Set("BillingFullName", p.BillingFullName)
		f.Set("BillingEmail", p.BillingEmail)
	} else if member != nil {
		f.Set("KaiinId", kid)
		f.Set("KaiinPass", kpass)
	}
	v.returnURL("RedirectUrl", p.RedirectURL, true)
	if op == OpThreeDS {
		v.check(p.PostURL == "", "PostUrl", "is only for StartAuthorize (mode A)")
	} else {
		v.returnURL("PostUrl", p.PostURL, false)
		f.Set("PayType", string(pt))
		if p.PostURL != "" {
			f.Set("PostUrl", p.PostURL)
		}
	}
	v.free(p.MerchantFree2, p.MerchantFree3)
	linkKey := c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	f.Set("Amount", amountString(p.Amount))
	a := &ThreeDSAttempt{
		LinkKey: linkKey, OperateID: op, Amount: p.Amount, Source: p.Source, Member: member, PayType: pt, Capture: p.Capture,
		OrderRef: p.OrderRef, MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3,
		RedirectURL: p.RedirectURL, PostURL: p.PostURL,
	}
	return s.seal(ctx, a, f)
}

// StartMember begins a stored-card registration (4MemAdd) or card change
// (4MemChg, with Change) under 3-D Secure. The gateway performs the member
// operation itself; after HandleReturn, ConfirmMember reads the stored card
// back (4MemRefM).
func (s *ThreeDSService) StartMember(ctx context.Context, p *ThreeDSMemberParams) (*ThreeDSForm, error) {
	if p == nil {
		p = &ThreeDSMemberParams{}
	}
	op := OpMemberAdd
	if p.Change {
		op = OpMemberChange
	}
	if s.c.cipher == nil {
		return nil, ErrNoAESKey
	}
	v := &validator{op: op}
	v.member(p.Member)
	v.token("Token", p.Token)
	v.billing(p.BillingFullName, p.BillingEmail)
	v.returnURL("RedirectUrl", p.RedirectURL, true)
	v.free(p.MerchantFree2, p.MerchantFree3)
	linkKey := s.c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	f := url.Values{}
	f.Set("KaiinId", p.Member.ID)
	f.Set("KaiinPass", p.Member.Pass.Reveal())
	f.Set("Token", string(p.Token))
	f.Set("BillingFullName", p.BillingFullName)
	f.Set("BillingEmail", p.BillingEmail)
	m := p.Member
	a := &ThreeDSAttempt{
		LinkKey: linkKey, OperateID: op, Source: p.Token, Member: &m, OrderRef: p.OrderRef,
		MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3, RedirectURL: p.RedirectURL,
	}
	return s.seal(ctx, a, f)
}

// seal completes the plaintext with the common fields, stores the attempt and
// encrypts.
func (s *ThreeDSService) seal(ctx context.Context, a *ThreeDSAttempt, f url.Values) (*ThreeDSForm, error) {
	ev, err := s.sealed(ctx, a, f)
	if err != nil {
		return nil, err
	}
	return &ThreeDSForm{
		URL: s.c.origin + pathThreeDS, MerchantID: s.c.cfg.MerchantID,
		EncryptValue: ev, LinkKey: a.LinkKey, ProcNo: a.ProcNo,
	}, nil
}

// sealed completes the plaintext with the common fields, saves the attempt
// (journalling it when it moves money) and returns the EncryptValue. The
// link-type start shares it.
func (s *ThreeDSService) sealed(ctx context.Context, a *ThreeDSAttempt, f url.Values) (Secret, error) {
	c := s.c
	proc := randomDigits(7)
	now := c.now()
	a.ProcNo, a.Created = proc, now
	f.Set("MerchantPass", c.cfg.MerchantPass)
	f.Set("TransactionDate", jst.Date(now))
	f.Set("OperateId", a.OperateID)
	f.Set("MerchantFree1", a.LinkKey)
	if a.MerchantFree2 != "" {
		f.Set("MerchantFree2", a.MerchantFree2)
	}
	if a.MerchantFree3 != "" {
		f.Set("MerchantFree3", a.MerchantFree3)
	}
	f.Set("TenantId", c.cfg.TenantID)
	f.Set("ProcNo", proc)
	f.Set("RedirectUrl", a.RedirectURL)
	if err := s.store().Save(ctx, a); err != nil {
		if errors.Is(err, ErrAttemptExists) {
			return "", &InFlightError{OperateID: a.OperateID, LinkKey: a.LinkKey}
		}
		return "", fmt.Errorf("escott: %s: 3-D Secure store: %w", a.OperateID, err)
	}
	if a.OperateID == OpAuth || a.OperateID == OpGathering {
		// Mode A moves money as soon as the shopper finishes: record it now so
		// that an attempt whose result never arrives shows up for recovery.
		// After Save, which claims the link key: a refused start leaves no
		// journal entry behind (it would block the real payment's follow-ups).
		// An attempt saved here whose journal entry was refused has no form,
		// so no return can ever complete it; it expires with the store's TTL.
		err := c.journal.Begin(ctx, Attempt{LinkKey: a.LinkKey, Operation: a.OperateID,
			Amount: amountString(a.Amount), OrderRef: a.OrderRef, Started: now})
		if errors.Is(err, ErrJournalInFlight) {
			return "", &InFlightError{OperateID: a.OperateID, LinkKey: a.LinkKey}
		}
		if errors.Is(err, ErrJournalUnresolved) {
			return "", &UnresolvedError{OperateID: a.OperateID, LinkKey: a.LinkKey}
		}
		if err != nil {
			return "", fmt.Errorf("escott: %s: journal: %w", a.OperateID, err)
		}
	}
	c.log.DebugContext(ctx, "escott: encrypted request started", "op", a.OperateID, "link_key", a.LinkKey,
		"proc_no", proc, "hosted", a.Hosted)
	return Secret(c.cipher.Encrypt(f)), nil
}

// billing checks the cardholder name and e-mail sent with a token.
func (v *validator) billing(name, email string) {
	okName := name != "" && len(name) <= 45 && strings.TrimSpace(name) != ""
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == ' ') {
			okName = false
		}
	}
	v.check(okName, "BillingFullName", "must be the cardholder name in ASCII letters and spaces, at most 45")
	at := strings.IndexByte(email, '@')
	okMail := len(email) <= 254 && at > 0 && at < len(email)-1 && strings.Count(email, "@") == 1
	for i := 0; i < len(email); i++ {
		if email[i] <= ' ' || email[i] > '~' {
			okMail = false
		}
	}
	v.check(okMail, "BillingEmail", "must be an e-mail address")
}

// returnURL checks a URL the gateway sends the result to.
func (v *validator) returnURL(field, s string, required bool) {
	if s == "" {
		v.check(!required, field, "is required")
		return
	}
	v.check(validURL(s, 256), field, "must be an absolute https URL (http only on a loopback host), at most 256 characters")
}

// ThreeDSResult is an accepted 3-D Secure return. It has been decrypted and
// matched with a pending attempt of this client, and its attempt claimed in
// the ThreeDSStore (completed after the host recorded it; see HandleReturn).
type ThreeDSResult struct {
	OperateID        string
	LinkKey          string
	ResponseCode     string           // ResponseCd as returned
	SecureResultCode SecureResultCode // "" when missing (a failure)
	// ThreeDS holds the fields Authorize sends with the authorisation.
	ThreeDS ThreeDSData
	// Attempt is the pending attempt this return completed.
	Attempt ThreeDSAttempt
	// Payment is set in mode A when the gateway authorised: confirmed by a
	// 1Search before the result was accepted.
	Payment *Payment
	// Duplicate marks the second arrival of a mode A result (browser return
	// after the PostUrl copy, or the reverse): the attempt was already
	// completed by the first one, and this is that same result. Do not
	// complete the order again.
	Duplicate bool
	// TransactionID is the result's TransactionId, as the gateway sent it.
	TransactionID string
	// Warnings are the codes of a mode B result whose SecureResultCode lets
	// the payment go on although ResponseCd is not OK: 2, 3 and 4 come with
	// U01, U02 and U15 (docs/protocol.md §7.4). Keep them with the order:
	// the liability rules differ from a full authentication.
	Warnings []Code
	// AuthenticationUnconfirmed marks a mode A result whose gateway answer
	// is an authorisation (ResponseCd OK, a ProcessId confirmed by 1Search)
	// while SecureResultCode is missing, unknown or a failure: money moved,
	// but whether the shopper was authenticated is not known. Record the
	// payment, and reconcile it (ship, or cancel it) — it is never a refusal.
	AuthenticationUnconfirmed    bool
	MerchantFree2, MerchantFree3 string
	Raw                          Fields

	used  *atomic.Bool // set by Authorize, so a result authorises once
	claim string       // the store claim a mode B result holds until Authorize
}

// Err is the outcome as an error: nil when the authentication (and, in mode
// A or for members, the gateway's operation) succeeded, when a mode A payment
// was confirmed (see AuthenticationUnconfirmed), and for a mode B result with
// SecureResultCode 2, 3 or 4 (see Warnings); otherwise an *Error when
// ResponseCd was not OK, an *AuthenticationError when SecureResultCode is a
// failure or missing.
func (r *ThreeDSResult) Err() error {
	if r.ResponseCode == "OK" && r.Payment != nil {
		return nil // a mode A authorisation confirmed by 1Search
	}
	if r.OperateID == OpThreeDS && r.SecureResultCode.Continue() {
		return nil // mode B decides on SecureResultCode alone
	}
	if r.ResponseCode != "OK" {
		codes, err := wire.SplitCodes(r.ResponseCode)
		if err != nil || codes == nil {
			codes = []string{"K99"}
		}
		return newError(r.OperateID, r.LinkKey, &wire.Response{Pairs: r.Raw.pairs, Codes: codes})
	}
	if r.Attempt.Hosted {
		return nil // the hosted page reports its own 3-D Secure failure in ResponseCd
	}
	if !r.SecureResultCode.Continue() {
		return &AuthenticationError{OperateID: r.OperateID, LinkKey: r.LinkKey, SecureResultCode: r.SecureResultCode}
	}
	return nil
}

// AuthenticationError is an accepted 3-D Secure return whose outcome is a
// failure: the authentication did not allow the payment to go on
// (SecureResultCode 1, 8, 9, an unknown value, or none), or the gateway
// refused the operation (Err is then its *Error, e.g. a card declined in
// mode A). HandleReturn and PostURLHandler report it; Result is the accepted
// return, with its Attempt (find the order by Attempt.OrderRef or LinkKey)
// and Duplicate set when it arrived a second time.
//
// Without Err it matches ErrThreeDS; with Err it matches what Err matches
// (ErrDeclined, ErrThreeDS …), and errors.As reaches the *Error.
type AuthenticationError struct {
	OperateID        string
	LinkKey          string
	SecureResultCode SecureResultCode
	// Result is the accepted return the failure came with.
	Result *ThreeDSResult
	// Err is the gateway's *Error when ResponseCd was not OK, else nil.
	Err error
}

func (e *AuthenticationError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("escott: %s: 3-D Secure return refused by the gateway (link key %s): %v",
			e.OperateID, e.LinkKey, e.Err)
	}
	return fmt.Sprintf("escott: %s: 3-D Secure authentication failed (link key %s): SecureResultCode %s",
		e.OperateID, e.LinkKey, e.SecureResultCode)
}

// Is matches ErrThreeDS when the authentication itself failed (Err is nil).
func (e *AuthenticationError) Is(target error) bool { return e.Err == nil && target == ErrThreeDS }

// Unwrap returns Err, the gateway's *Error, or nil.
func (e *AuthenticationError) Unwrap() error { return e.Err }

// failure turns the outcome error of an accepted return into the
// *AuthenticationError that carries the result; other errors pass through.
func failure(res *ThreeDSResult, err error) (*ThreeDSResult, error) {
	if err == nil || res == nil {
		return res, err
	}
	var ae *AuthenticationError
	if errors.As(err, &ae) {
		cp := *ae
		cp.Result = res
		return nil, &cp
	}
	return nil, &AuthenticationError{OperateID: res.OperateID, LinkKey: res.LinkKey,
		SecureResultCode: res.SecureResultCode, Result: res, Err: err}
}

// ReturnError refuses a 3-D Secure return or PostUrl copy: not a POST, too
// large, not decryptable with our key, not an attempt of this client, a
// replay, or not matching the attempt. It matches ErrReturnRefused.
type ReturnError struct {
	LinkKey string // when known
	Reason  string // short, never containing the submitted data

	hosted bool // a link-type return (LinkService.HandleReturn)
}

func (e *ReturnError) Error() string {
	what := "escott: 3-D Secure return refused"
	if e.hosted {
		what = "escott: link-type return refused"
	}
	if e.LinkKey != "" {
		return what + " (link key " + e.LinkKey + "): " + e.Reason
	}
	return what + ": " + e.Reason
}

// Is matches ErrReturnRefused.
func (e *ReturnError) Is(target error) bool { return target == ErrReturnRefused }

// ErrReturnInProgress is returned by HandleReturn when another request (the
// PostUrl copy, or a reload of the return page on any instance) is recording
// the same result right now. Show the shopper a "your payment is being
// processed" page that reloads after a few seconds: the reload gets the
// result, marked Duplicate, once it is recorded.
var ErrReturnInProgress = errors.New("escott: 3-D Secure result is being recorded by another request; try again shortly")

// ThreeDSReturnParams are the host's part of HandleReturn.
type ThreeDSReturnParams struct {
	// Record records a mode A payment in the host's own database (mark the
	// order paid, keep res.Payment.Process); it is required for mode A
	// returns and unused otherwise. It is called at most once per payment
	// across the browser return and the PostUrl copy, on every instance
	// sharing the ThreeDSStore: the attempt is claimed before the call and
	// completed only after Record returned nil. When it returns an error the
	// claim is released, HandleReturn returns that error, and the PostUrl
	// copy or a reload can record the order later. Use the same function as
	// the PostUrl handler's onPayment.
	//
	// Record the order atomically with its own success (one database
	// transaction). If the instance dies after Record committed but before
	// the SDK completed the attempt, the next delivery after the store's
	// lease records it again: make Record idempotent by
	// res.Payment.Process.ID (or the link key).
	Record func(ctx context.Context, res *ThreeDSResult) error
}

// HandleReturn reads the 3-D Secure result the shopper's browser POSTs to
// RedirectUrl. It caps the body, decrypts EncryptValue (any malformed value
// gives one generic *ReturnError), checks that MerchantFree1 names a pending
// attempt of this client, that every decrypted field has its exact format
// and that the echoes (OperateId, MerchantFree1–3, ProcNo, and Amount,
// PayType, MerchantId when present) are the attempt's — the envelope has no
// MAC, so this is what refuses a tampered return (docs/reliability.md) — and
// claims the attempt in the ThreeDSStore, so that one request at a time, on
// any instance, settles it.
//
// It returns (result, nil) when the payment may go on (or, in mode A, was
// made and recorded), and (nil, err) otherwise: a failed authentication or a
// gateway rejection is an *AuthenticationError whose Result is the accepted
// return (errors.As reaches it, and the gateway's *Error when there is one);
// a refused return is a *ReturnError, and nothing was sent to the gateway
// for it; ErrReturnInProgress means another request holds the attempt right
// now (show a "being processed" page that reloads). In mode B a
// SecureResultCode of 2, 3 or 4 is a success even though ResponseCd is U01,
// U02 or U15 (kept in Warnings). In mode A an OK answer with a ProcessId is
// a payment, confirmed with 1Search, whatever SecureResultCode says;
// AuthenticationUnconfirmed flags one whose code is missing, unknown or a
// failure.
//
// Mode A: p.Record is required (a nil p or Record is an ErrValidation
// error, before anything is sent); HandleReturn calls it with the payment
// and completes the attempt only after it returned nil, and returns Record's
// error otherwise. A result already recorded (through the PostUrl copy, or
// an earlier return) comes back with Duplicate set, without calling Record.
// Mode B: p may be nil; the attempt stays claimed until Authorize, which
// sends the authorisation and completes it. Member registration: call
// ConfirmMember.
func (s *ThreeDSService) HandleReturn(r *http.Request, p *ThreeDSReturnParams) (*ThreeDSResult, error) {
	if s.c.obs != nil {
		return s.observeReturn(r, p) // calls handleReturn
	}
	return s.handleReturn(r, p)
}

func (s *ThreeDSService) handleReturn(r *http.Request, p *ThreeDSReturnParams) (*ThreeDSResult, error) {
	var record func(context.Context, *ThreeDSResult) error
	if p != nil {
		record = p.Record
	}
	res, err := s.handle(r, false, record != nil)
	if err != nil || res.Duplicate {
		return failure(res, err)
	}
	if res.Payment == nil {
		record = nil // Record is for payments only
	}
	return failure(s.settle(r.Context(), res, record, false))
}

func (s *ThreeDSService) handle(r *http.Request, viaPost, canRecord bool) (*ThreeDSResult, error) {
	c := s.c
	if r.Method != http.MethodPost {
		return nil, &ReturnError{Reason: "method must be POST"}
	}
	if c.cipher == nil {
		return nil, ErrNoAESKey
	}
	form := r.PostForm
	if form == nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxReturnBody+1))
		if err != nil || len(body) > MaxReturnBody {
			return nil, &ReturnError{Reason: "body unreadable or too large"}
		}
		form, err = url.ParseQuery(string(body))
		if err != nil {
			return nil, &ReturnError{Reason: "malformed form"}
		}
	}
	return s.accept(r.Context(), form, viaPost, canRecord, false)
}

// accept runs the checks on a return's form fields.
// It returns the result unsettled (the caller claims and completes it), or
// a duplicate of the result that completed the attempt.
//
// hosted selects the kind of attempt the return may complete: OTDS010's
// (false) or the link-type page's (true); the other kind is refused, so a
// result of one flow cannot be fed to the other's handler.
func (s *ThreeDSService) accept(ctx context.Context, form url.Values, viaPost, canRecord, hosted bool) (*ThreeDSResult, error) {
	c := s.c
	if len(form["EncryptValue"]) != 1 || len(form["MerchantId"]) > 1 {
		return nil, &ReturnError{Reason: "invalid envelope"}
	}
	if mid, ok := form["MerchantId"]; ok && subtle.ConstantTimeCompare([]byte(mid[0]), []byte(c.cfg.MerchantID)) != 1 {
		return nil, &ReturnError{Reason: "not for this merchant"}
	}
	fields, err := c.cipher.Decrypt(form.Get("EncryptValue"))
	if err != nil {
		return nil, &ReturnError{Reason: "invalid envelope"}
	}
	get := fields.Get
	linkKey := get("MerchantFree1")
	if !validLinkKey(linkKey) {
		return nil, &ReturnError{Reason: "no valid link key"}
	}
	st := s.store()
	a, done, err := st.Get(ctx, linkKey)
	if errors.Is(err, ErrNoAttempt) {
		return nil, &ReturnError{LinkKey: linkKey, Reason: "not a pending attempt of this client"}
	}
	if err != nil {
		return nil, fmt.Errorf("escott: 3-D Secure store: %w", err)
	}
	if a.Hosted != hosted {
		return nil, &ReturnError{LinkKey: linkKey, Reason: "not a pending attempt of this client"}
	}
	modeA := a.OperateID == OpAuth || a.OperateID == OpGathering
	if !fields.Has("ResponseCd") {
		return nil, &ReturnError{LinkKey: linkKey, Reason: "no valid ResponseCd"}
	}
	if reason := checkReturnFields(fields, a, c.cfg.MerchantID); reason != "" {
		return nil, &ReturnError{LinkKey: linkKey, Reason: reason}
	}
	rc := get("ResponseCd")
	if done != nil {
		return s.duplicate(ctx, a, done, modeA)
	}
	if (modeA || hosted) && !viaPost && !canRecord {
		return nil, &ValidationError{OperateID: a.OperateID, Fields: []FieldError{{Field: "ThreeDSReturnParams.Record",
			Problem: "is required: the SDK completes the attempt only after the host recorded it"}}}
	}
	rawMap := make(map[string]string, len(fields))
	for k := range fields {
		rawMap[k] = fields.Get(k)
	}
	raw := NewFields(rawMap)
	res := &ThreeDSResult{
		OperateID: a.OperateID, LinkKey: linkKey, ResponseCode: rc,
		SecureResultCode: SecureResultCode(get("SecureResultCode")),
		TransactionID:    get("TransactionId"),
		ThreeDS: ThreeDSData{
			SecureResultCode: get("SecureResultCode"), EncodeXID3D: get("EncodeXId3D"),
			MessageVersionNo3D: get("MessageVersionNo3D"), TransactionStatus3D: get("TransactionStatus3D"),
			CAVVAlgorithm3D: get("CAVVAlgorithm3D"), ECI3D: get("ECI3D"), CAVV3D: get("CAVV3D"),
			DSTransactionID: get("DSTransactionId"), ThreeDSServerTransactionID: get("ThreeDSServerTransactionId"),
			TransactionID3D: get("TransactionId3D"), PANCard3D: get("PANCard3D"), PANCardNo3D: get("PANCardNo3D"),
		},
		Attempt: *a, MerchantFree2: a.MerchantFree2, MerchantFree3: a.MerchantFree3, Raw: raw,
		used: new(atomic.Bool),
	}
	if rc != "OK" && a.OperateID == OpThreeDS && res.SecureResultCode.Continue() {
		// Mode B decides on SecureResultCode alone (docs/protocol.md §7.4):
		// 2, 3 and 4 come with U01, U02 or U15, kept as a warning.
		codes, _ := wire.SplitCodes(rc)
		for _, v := range codes {
			cd, _ := LookupCode(v)
			res.Warnings = append(res.Warnings, cd)
		}
	}
	if modeA && rc == "OK" {
		// In mode A an OK answer is an authorisation, whatever
		// SecureResultCode says. The envelope has no MAC: confirm it
		// server-side before accepting it. A failure (no valid ProcessId
		// included) leaves the attempt pending and its journal entry in
		// flight, so the other copy, a retry or recovery can still settle it.
		pay, err := s.confirm(ctx, a, fields)
		if err != nil {
			return nil, err
		}
		res.Payment = pay
		res.AuthenticationUnconfirmed = !res.SecureResultCode.Continue()
	}
	return res, nil
}

// settle claims the attempt of a fresh result, has the host record it
// (record, when not nil) and completes it — only after the host recorded
// it; on the host's failure it releases the claim so that another delivery
// can settle it. A mode B success keeps its claim for Authorize. A result
// whose attempt another request holds gives ErrReturnInProgress; one whose
// attempt was completed meanwhile comes back as the duplicate of the first.
func (s *ThreeDSService) settle(ctx context.Context, res *ThreeDSResult, record func(context.Context, *ThreeDSResult) error, viaPost bool) (_ *ThreeDSResult, err error) {
	a := &res.Attempt
	modeA := a.OperateID == OpAuth || a.OperateID == OpGathering
	st := s.store()
	claim, first, err := st.Claim(ctx, res.LinkKey)
	switch {
	case errors.Is(err, ErrAttemptCompleted) && first != nil:
		return s.duplicate(ctx, a, first, modeA)
	case errors.Is(err, ErrAttemptClaimed):
		return nil, fmt.Errorf("%w (link key %s)", ErrReturnInProgress, res.LinkKey)
	case errors.Is(err, ErrNoAttempt):
		return nil, &ReturnError{LinkKey: res.LinkKey, Reason: "not a pending attempt of this client"}
	case err != nil:
		return nil, fmt.Errorf("escott: 3-D Secure store: %w", err)
	}
	if a.OperateID == OpThreeDS && !viaPost && res.Err() == nil {
		res.claim = claim // Authorize sends the authorisation and completes
		return res, nil
	}
	settled := false
	defer func() {
		if !settled { // the host failed (or panicked): another delivery may settle it
			if rerr := st.Release(context.WithoutCancel(ctx), res.LinkKey, claim); rerr != nil {
				s.c.log.ErrorContext(ctx, "escott: 3-D Secure claim not released; it lapses after the store's lease",
					"link_key", res.LinkKey, "err", rerr)
			}
		}
	}()
	if record != nil {
		if rerr := record(ctx, res); rerr != nil {
			return nil, fmt.Errorf("escott: %s: the host did not record the 3-D Secure result (link key %s): %w",
				a.OperateID, res.LinkKey, rerr)
		}
	}
	settled = true // recorded: from here on a failure leaves the claim to its lease
	return s.complete(ctx, res, viaPost)
}

// complete claims the attempt for res once and finishes its journal entry.
// A result that lost the race to the other copy comes back as the duplicate
// of the first.
func (s *ThreeDSService) complete(ctx context.Context, res *ThreeDSResult, viaPost bool) (*ThreeDSResult, error) {
	c := s.c
	a := &res.Attempt
	linkKey := res.LinkKey
	modeA := a.OperateID == OpAuth || a.OperateID == OpGathering
	if first, err := s.store().Complete(ctx, linkKey, res); err != nil {
		if errors.Is(err, ErrAttemptCompleted) && first != nil {
			return s.duplicate(ctx, a, first, modeA)
		}
		if errors.Is(err, ErrNoAttempt) {
			return nil, &ReturnError{LinkKey: linkKey, Reason: "not a pending attempt of this client"}
		}
		return nil, fmt.Errorf("escott: 3-D Secure store: %w", err)
	}
	if modeA {
		jr := AttemptResult{At: c.now(), Outcome: OutcomeRejected}
		if res.Payment != nil {
			jr.Outcome, jr.ProcessID = OutcomeSucceeded, res.Payment.Process.ID
		} else if codes, _ := wire.SplitCodes(res.ResponseCode); codes != nil {
			jr.Codes = codes
		}
		if jerr := c.journal.Finish(context.WithoutCancel(ctx), linkKey, jr); jerr != nil {
			c.log.ErrorContext(ctx, "escott: journal finish failed", "op", a.OperateID, "link_key", linkKey, "err", jerr)
		}
	}
	if res.AuthenticationUnconfirmed {
		c.log.WarnContext(ctx, "escott: 3-D Secure mode A authorised without a confirmed authentication; reconcile",
			"op", a.OperateID, "link_key", linkKey, "process_id", res.Payment.Process.ID,
			"secure_result_code", string(res.SecureResultCode))
	}
	c.log.DebugContext(ctx, "escott: 3-D Secure return accepted", "op", a.OperateID, "link_key", linkKey,
		"response_cd", res.ResponseCode, "secure_result_code", string(res.SecureResultCode), "post_url", viaPost)
	return res, res.Err()
}

// duplicate answers a second arrival: the same result in mode A, a refusal
// otherwise (a replayed browser return).
func (s *ThreeDSService) duplicate(ctx context.Context, a *ThreeDSAttempt, first *ThreeDSResult, modeA bool) (*ThreeDSResult, error) {
	if !modeA || a.Hosted { // the hosted page returns once: no second copy exists
		return nil, &ReturnError{LinkKey: a.LinkKey, Reason: "already used (replay)"}
	}
	dup := *first
	dup.Duplicate = true
	dup.used = new(atomic.Bool)
	dup.used.Store(true)
	s.c.log.DebugContext(ctx, "escott: 3-D Secure result arrived again", "op", a.OperateID, "link_key", a.LinkKey)
	return &dup, dup.Err()
}

// confirm checks a mode A authorisation with 1Search: the process must exist
// with the attempt's amount.
func (s *ThreeDSService) confirm(ctx context.Context, a *ThreeDSAttempt, f url.Values) (*Payment, error) {
	proc := Process{ID: f.Get("ProcessId"), Pass: Secret(f.Get("ProcessPass")), LinkKey: a.LinkKey, Member: a.Member}
	if m, ok := a.Source.(Member); ok {
		proc.Member = &m
	} else if m, ok := a.Source.(*Member); ok && m != nil {
		cp := *m
		proc.Member = &cp
	}
	v := &validator{op: a.OperateID}
	v.process(proc)
	if v.err() != nil {
		return nil, &ReturnError{LinkKey: a.LinkKey, Reason: "no valid process in the result"}
	}
	got, err := s.c.Card.Inquire(ctx, proc, nil)
	var gerr *Error
	if errors.As(err, &gerr) && errors.Is(gerr, ErrUnknownProcess) {
		return nil, &ReturnError{LinkKey: a.LinkKey, Reason: "the gateway does not know the process (forged result)"}
	}
	if err != nil {
		return nil, fmt.Errorf("escott: %s: confirming the 3-D Secure result: %w", a.OperateID, err)
	}
	if !got.Amount.Equal(a.Amount) {
		return nil, &ReturnError{LinkKey: a.LinkKey, Reason: "the gateway's amount differs from the attempt"}
	}
	// The hosted page pays a card typed in instead of the member's stored
	// one as itself: 1Search found the process without its member (K81).
	proc.Member = got.Process.Member
	rawMap := make(map[string]string, len(f))
	for k := range f {
		rawMap[k] = f.Get(k)
	}
	raw := NewFields(rawMap)
	pay := &Payment{
		OperateID: a.OperateID, Process: proc, TransactionID: f.Get("TransactionId"), Amount: a.Amount,
		PayType: a.PayType, CompanyCode: f.Get("CompanyCd"), ApprovalNumber: f.Get("ApproveNo"),
		SecurityCodeResult: SecurityCodeResult(f.Get("McSecCd")), SalesDate: got.SalesDate,
		MerchantFree1: a.LinkKey, MerchantFree2: a.MerchantFree2, MerchantFree3: a.MerchantFree3, Raw: raw,
	}
	if t, err := jst.ParseDate(f.Get("TransactionDate")); err == nil {
		pay.TransactionDate = t
	} else {
		pay.TransactionDate = got.TransactionDate
	}
	return pay, nil
}

// PostURLHandler returns the handler to mount at PostUrl (mode A). It accepts
// the gateway's server-to-server copy of the result as HandleReturn does and,
// for the first arrival only, calls onPayment with a payment (the gateway
// authorised; the result's Payment is set) or onFailure with a failed
// outcome (the same *AuthenticationError HandleReturn returns). Either may
// be nil: the copy is then acknowledged without a call. When the result was
// recorded already (by the browser return or an earlier copy), the copy is
// answered 200 without calling either again. A refused copy is answered 400,
// an error of a callback, of the store or of the confirmation 500, and a
// copy arriving while another request records the same result 503: the
// gateway sends the copy again.
//
// The attempt is claimed in the ThreeDSStore before the callback and
// completed (and its journal entry finished) only after the callback
// returned nil; when it fails the claim is released and the copy answered
// 500, so the redelivered copy or the browser return can still record the
// order. So each payment reaches onPayment or ThreeDSReturnParams.Record
// once, on every instance sharing the store — except when an instance dies
// after the callback recorded the order and before the SDK completed the
// attempt: the next delivery after the store's lease calls it again. Record
// the order idempotently, by its ProcessId or link key.
func (s *ThreeDSService) PostURLHandler(onPayment func(context.Context, *ThreeDSResult) error,
	onFailure func(context.Context, *AuthenticationError) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res *ThreeDSResult
		var err error
		if o := s.c.obs; o != nil {
			r = startInbound(o, s.c.log, r, InboundThreeDSPostURL)
			defer func() {
				in := returnInbound(InboundThreeDSPostURL, res, err)
				endInbound(r.Context(), o, s.c.log, &in)
			}()
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxReturnBody)
		ctx := r.Context()
		res, err = s.handle(r, true, true)
		if err == nil && !res.Duplicate {
			var record func(context.Context, *ThreeDSResult) error
			_, fail := failure(res, res.Err())
			var ae *AuthenticationError
			switch {
			case fail == nil && onPayment != nil:
				record = onPayment
			case errors.As(fail, &ae) && onFailure != nil:
				record = func(ctx context.Context, _ *ThreeDSResult) error { return onFailure(ctx, ae) }
			}
			var got *ThreeDSResult
			got, err = s.settle(ctx, res, record, true)
			if got != nil {
				err = nil // settled, a payment or a failed outcome
			}
			res = got
		}
		var re *ReturnError
		switch {
		case err == nil:
		case errors.As(err, &re) || errors.Is(err, ErrNoAESKey):
			s.c.log.WarnContext(ctx, "escott: PostUrl copy refused", "err", err)
			http.Error(w, "refused", http.StatusBadRequest)
			return
		case errors.Is(err, ErrReturnInProgress):
			s.c.log.InfoContext(ctx, "escott: PostUrl copy arrived while the result is being recorded", "err", err)
			w.Header().Set("Retry-After", "10")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case res == nil:
			s.c.log.ErrorContext(ctx, "escott: PostUrl copy not processed", "err", err)
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "OK")
	})
}

// Authorize sends the authorisation of a mode B result: 1Gathering (or 1Auth
// with CaptureLater, as given to Start) with the same token or member, the same
// link key and all the 3-D Secure fields. It refuses, without sending
// anything, a result whose authentication did not succeed, a mode A or member
// result, a duplicate, and a result already authorised.
//
// Authorize is mode B's recording step: HandleReturn left the attempt
// claimed, and Authorize completes it once the authorisation may have
// reached the gateway (a payment, a refusal, or an unknown outcome, which
// the journal keeps), so that a reload of the return page is then refused as
// a replay. When nothing was sent (invalid, refused by the journal, no
// connection) it releases the claim, and a reload can try again.
func (s *ThreeDSService) Authorize(ctx context.Context, res *ThreeDSResult) (*Payment, error) {
	op := OpGathering
	if res != nil {
		op = res.Attempt.Capture.op()
	}
	v := &validator{op: op}
	switch {
	case res == nil || res.used == nil:
		v.add("ThreeDSResult", "must come from HandleReturn")
	case res.OperateID != OpThreeDS:
		v.add("ThreeDSResult", "is not a 3Secure (mode B) result")
	case res.Duplicate:
		v.add("ThreeDSResult", "is a duplicate")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if !res.used.CompareAndSwap(false, true) {
		return nil, &InFlightError{OperateID: op, LinkKey: res.LinkKey}
	}
	a := res.Attempt
	data := res.ThreeDS
	pay, err := s.c.Card.pay(ctx, &PaymentParams{
		Amount: a.Amount, Source: a.Source, PayType: a.PayType, Capture: a.Capture, LinkKey: a.LinkKey,
		OrderRef: a.OrderRef, MerchantFree2: a.MerchantFree2, MerchantFree3: a.MerchantFree3,
	}, &data)
	s.settleModeB(ctx, res, err)
	return pay, err
}

// settleModeB ends the claim HandleReturn took for a mode B result: the
// attempt is completed once the authorisation may have reached the gateway
// (an answer, or an unknown outcome: the journal has it), and released when
// nothing was sent, so that a reload of the return page can try again.
func (s *ThreeDSService) settleModeB(ctx context.Context, res *ThreeDSResult, err error) {
	ctx = context.WithoutCancel(ctx)
	st := s.store()
	var gerr *Error
	if err == nil || errors.As(err, &gerr) || errors.Is(err, ErrOutcomeUnknown) {
		if _, cerr := st.Complete(ctx, res.LinkKey, res); cerr != nil && !errors.Is(cerr, ErrAttemptCompleted) {
			s.c.log.ErrorContext(ctx, "escott: 3-D Secure attempt not completed after Authorize", "link_key", res.LinkKey, "err", cerr)
		}
		return
	}
	if res.claim == "" {
		return
	}
	if rerr := st.Release(ctx, res.LinkKey, res.claim); rerr != nil {
		s.c.log.ErrorContext(ctx, "escott: 3-D Secure claim not released; it lapses after the store's lease",
			"link_key", res.LinkKey, "err", rerr)
	}
}

type memberRefRequest struct {
	common
	KaiinID   string `url:"KaiinId"`
	KaiinPass string `url:"KaiinPass"`
}

// ConfirmMember confirms a member registration or card change made through
// OTDS010 by reading the member back with 4MemRefM (read-only). The card
// comes back as MemberService.GetMasked returns it.
func (s *ThreeDSService) ConfirmMember(ctx context.Context, res *ThreeDSResult) (*MemberCard, error) {
	v := &validator{op: OpMemberRefMasked}
	if res == nil || res.Attempt.Member == nil || (res.OperateID != OpMemberAdd && res.OperateID != OpMemberChange) {
		v.add("ThreeDSResult", "is not a member registration result")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	m := *res.Attempt.Member
	resp, err := s.c.do(ctx, call{path: pathMember, op: OpMemberRefMasked, linkKey: res.LinkKey, read: true,
		body: &memberRefRequest{KaiinID: m.ID, KaiinPass: m.Pass.Reveal()}})
	if err != nil {
		return nil, err
	}
	card := memberCardFrom(OpMemberRefMasked, resp)
	card.MemberID = m.ID
	return card, nil
}

// String describes the attempt without its secrets (token, KaiinPass).
func (a ThreeDSAttempt) String() string {
	member := ""
	if a.Member != nil {
		member = a.Member.ID
	}
	src := "none"
	switch s := a.Source.(type) {
	case CardToken:
		src = "token:" + s.String()
	case Member:
		src = "member:" + s.ID
	case *Member:
		if s != nil {
			src = "member:" + s.ID
		}
	}
	return fmt.Sprintf("escott.ThreeDSAttempt{LinkKey:%s ProcNo:%s OperateID:%s Amount:%s Source:%s Member:%s PayType:%s Created:%s}",
		a.LinkKey, a.ProcNo, a.OperateID, a.Amount, src, member, a.PayType, a.Created.Format(time.RFC3339))
}

// GoString is String.
func (a ThreeDSAttempt) GoString() string { return a.String() }

// Format implements fmt.Formatter: every verb prints String, so no verb can
// walk into the token or the member's password.
func (a ThreeDSAttempt) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue implements slog.LogValuer.
func (a ThreeDSAttempt) LogValue() slog.Value { return slog.StringValue(a.String()) }

// String describes the result without secrets.
func (r ThreeDSResult) String() string {
	proc := ""
	if r.Payment != nil {
		proc = r.Payment.Process.ID
	}
	return fmt.Sprintf("escott.ThreeDSResult{OperateID:%s LinkKey:%s ResponseCode:%s SecureResultCode:%s Duplicate:%t ProcessID:%s ECI3D:%s TransactionStatus3D:%s Attempt:%s}",
		r.OperateID, r.LinkKey, r.ResponseCode, r.SecureResultCode, r.Duplicate, proc, r.ThreeDS.ECI3D,
		r.ThreeDS.TransactionStatus3D, r.Attempt.String())
}

// GoString is String.
func (r ThreeDSResult) GoString() string { return r.String() }

// Format implements fmt.Formatter: every verb prints String, so no verb can
// walk into ProcessPass or the card source.
func (r ThreeDSResult) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue implements slog.LogValuer.
func (r ThreeDSResult) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v ThreeDSStartParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v ThreeDSMemberParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v ThreeDSForm) Format(f fmt.State, _ rune) { redact.Write(f, v) }
