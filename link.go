package escott

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott/internal/redact"
)

// pathLink is the gateway's hosted card page (外部リンク型, docs/protocol.md §10a).
const pathLink = "/euser/snp/SSNP005ReferStart.do"

// LinkService runs "link type" card payments (外部リンク型): the shop never
// loads the token script; it redirects the shopper to the gateway's own card
// page with an encrypted request, and the card entry, 3-D Secure and an
// optional stored-card registration happen there. The result comes back
// encrypted to the shop's RedirectUrl. Get it from Client.Link.
//
// The flow is Start (or StartMember), then HandleReturn on the return URL.
// Attempts live in the client's ThreeDSStore (the same once-only store as
// 3-D Secure), so HandleReturn has the same guarantees: the result is
// accepted once, only for an attempt this client started, after every
// decrypted field was checked, and the attempt is completed only after the
// host recorded it.
type LinkService struct{ c *Client }

// LinkStartParams describes a link-type payment.
type LinkStartParams struct {
	// Amount in whole yen, 1 to 9,999,999.
	Amount decimal.Decimal
	// PayType is the payment division; empty means LumpSum, the only one
	// production clients send for the hosted page.
	PayType PayType
	// Capture selects 1Gathering (CaptureNow) or 1Auth (CaptureLater).
	Capture Capture
	// Member, when set, is the shopper's stored card: the hosted page offers
	// it (KaiinId/KaiinPass go inside the encrypted request).
	Member *Member
	// RedirectURL is where the shopper's browser comes back with the result
	// (https, or http on a loopback host for development).
	RedirectURL string
	// LinkKey (MerchantFree1): empty means a fresh random key. One per attempt:
	// a shopper who cancelled and tries again needs a new Start.
	LinkKey string
	// OrderRef is the host's order reference, kept with the attempt only.
	OrderRef string
	// MerchantFree2 and MerchantFree3 are echoed by the gateway.
	MerchantFree2, MerchantFree3 string
	// ThreeDS, with Member, forwards the 3-D Secure result of the card
	// registration just made on the hosted page (LinkResult.ThreeDS of the
	// StartMember return) in this payment request, as WooCommerce and
	// WelcartPay do when they send the shopper back to the hosted page to
	// pay with the card just stored (docs/protocol.md §10a). Nil: none.
	ThreeDS *ThreeDSData
}

// LinkMemberParams describes a stored-card registration (4MemAdd) or card
// change (4MemChg) on the hosted page. No money moves. After the return,
// WooCommerce and WelcartPay send the shopper straight back to the hosted
// page to pay with the card just stored: Start with Member set to
// LinkResult.Member and ThreeDS to &LinkResult.ThreeDS.
type LinkMemberParams struct {
	// Member is the KaiinId/KaiinPass to register (see NewMember) or to change.
	Member Member
	// Change selects 4MemChg instead of 4MemAdd.
	Change bool
	// RedirectURL, LinkKey, OrderRef, MerchantFree2, MerchantFree3 as in
	// LinkStartParams.
	RedirectURL                  string
	LinkKey                      string
	OrderRef                     string
	MerchantFree2, MerchantFree3 string
}

// LinkRedirect sends the shopper to the hosted card page: a GET of Endpoint
// with MerchantId and EncryptValue in the query (what the production clients
// do). Use URL for a Location header, or ServeHTTP. EncryptValue is redacted
// when printed; URL contains it, so do not log the URL.
type LinkRedirect struct {
	Endpoint     string // the SSNP005ReferStart.do URL of the environment
	MerchantID   string
	EncryptValue Secret
	LinkKey      string
	ProcNo       string
}

// URL returns the address to redirect the shopper to: MerchantId, then
// EncryptValue, each query-escaped, exactly as the production clients build
// it (docs/protocol.md §10a).
func (r *LinkRedirect) URL() string {
	return r.Endpoint + "?MerchantId=" + url.QueryEscape(r.MerchantID) +
		"&EncryptValue=" + url.QueryEscape(r.EncryptValue.Reveal())
}

// ServeHTTP answers 303 See Other to URL, not cacheable.
func (r *LinkRedirect) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", r.URL())
	w.WriteHeader(http.StatusSeeOther)
}

// Start begins a link-type payment (1Gathering, or 1Auth with CaptureLater):
// it validates p (nothing is built from invalid input), saves the attempt in
// the ThreeDSStore, journals it — the shopper may pay at the gateway even if
// the shop never sees the return, so an attempt whose return never comes
// stays in Journal.Pending for the operator (see Confirm) — and returns the
// redirect. Nothing is sent to the gateway by Start itself.
func (s *LinkService) Start(ctx context.Context, p *LinkStartParams) (*LinkRedirect, error) {
	if p == nil {
		p = &LinkStartParams{}
	}
	c := s.c
	op := p.Capture.op()
	if c.cipher == nil {
		return nil, errNoAESKeyLink
	}
	v := &validator{op: op}
	pt := v.division(p.Amount, p.PayType, p.Capture)
	f := url.Values{}
	var member *Member
	if p.Member != nil {
		v.member(*p.Member)
		m := *p.Member
		member = &m
		f.Set("KaiinId", m.ID)
		f.Set("KaiinPass", m.Pass.Reveal())
	}
	if p.ThreeDS != nil {
		v.check(p.Member != nil, "ThreeDS", "only with Member: the 3-D Secure result of that member's registration")
		v.threeDS(p.ThreeDS)
		setLinkThreeDS(f, p.ThreeDS)
	}
	v.returnURL("RedirectUrl", p.RedirectURL, true)
	v.free(p.MerchantFree2, p.MerchantFree3)
	linkKey := c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	f.Set("PayType", string(pt))
	f.Set("Amount", amountString(p.Amount))
	a := &ThreeDSAttempt{
		LinkKey: linkKey, OperateID: op, Amount: p.Amount, Member: member, PayType: pt, Capture: p.Capture,
		OrderRef: p.OrderRef, MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3,
		RedirectURL: p.RedirectURL, Hosted: true,
	}
	if member != nil {
		a.Source = *member
	}
	return s.redirect(ctx, a, f)
}

// StartMember begins a stored-card registration (4MemAdd) or card change
// (4MemChg, with Change) on the hosted page. After HandleReturn (which reads
// the stored card back with 4MemRefM), send the shopper back to the hosted
// page to pay, as WooCommerce and WelcartPay do: Start with Member and
// ThreeDS from the LinkResult, under a fresh link key.
func (s *LinkService) StartMember(ctx context.Context, p *LinkMemberParams) (*LinkRedirect, error) {
	if p == nil {
		p = &LinkMemberParams{}
	}
	op := OpMemberAdd
	if p.Change {
		op = OpMemberChange
	}
	if s.c.cipher == nil {
		return nil, errNoAESKeyLink
	}
	v := &validator{op: op}
	v.member(p.Member)
	v.returnURL("RedirectUrl", p.RedirectURL, true)
	v.free(p.MerchantFree2, p.MerchantFree3)
	linkKey := s.c.linkKey(v, p.LinkKey)
	if err := v.err(); err != nil {
		return nil, err
	}
	f := url.Values{}
	f.Set("KaiinId", p.Member.ID)
	f.Set("KaiinPass", p.Member.Pass.Reveal())
	m := p.Member
	a := &ThreeDSAttempt{
		LinkKey: linkKey, OperateID: op, Member: &m, OrderRef: p.OrderRef,
		MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3, RedirectURL: p.RedirectURL, Hosted: true,
	}
	return s.redirect(ctx, a, f)
}

// setLinkThreeDS puts the non-empty 3-D Secure fields of d in a link
// request under their wire names, as the production clients forward them.
func setLinkThreeDS(f url.Values, d *ThreeDSData) {
	for _, kv := range [...][2]string{
		{"SecureResultCode", d.SecureResultCode}, {"EncodeXId3D", d.EncodeXID3D},
		{"MessageVersionNo3D", d.MessageVersionNo3D}, {"TransactionStatus3D", d.TransactionStatus3D},
		{"CAVVAlgorithm3D", d.CAVVAlgorithm3D}, {"ECI3D", d.ECI3D}, {"CAVV3D", d.CAVV3D},
		{"DSTransactionId", d.DSTransactionID}, {"ThreeDSServerTransactionId", d.ThreeDSServerTransactionID},
		{"TransactionId3D", d.TransactionID3D}, {"PANCard3D", d.PANCard3D}, {"PANCardNo3D", d.PANCardNo3D},
	} {
		if kv[1] != "" {
			f.Set(kv[0], kv[1])
		}
	}
}

var errNoAESKeyLink = fmt.Errorf("%w; the link type needs them too", ErrNoAESKey)

func (s *LinkService) redirect(ctx context.Context, a *ThreeDSAttempt, f url.Values) (*LinkRedirect, error) {
	ev, err := s.c.ThreeDS.sealed(ctx, a, f)
	if err != nil {
		return nil, err
	}
	return &LinkRedirect{Endpoint: s.c.origin + pathLink, MerchantID: s.c.cfg.MerchantID, EncryptValue: ev,
		LinkKey: a.LinkKey, ProcNo: a.ProcNo}, nil
}

// LinkResult is an accepted link-type return: decrypted, matched with a
// pending attempt of this client, confirmed server-side (1Search for a
// payment, 4MemRefM for a registration) and recorded by the host.
type LinkResult struct {
	OperateID    string
	LinkKey      string
	ResponseCode string // ResponseCd as returned
	// SecureResultCode and ThreeDS are the 3-D Secure outcome of the hosted
	// page, when it reported one.
	SecureResultCode SecureResultCode
	ThreeDS          ThreeDSData
	// Payment is the payment made (1Auth/1Gathering), confirmed by 1Search.
	Payment *Payment
	// Member is the member registered or changed (4MemAdd/4MemChg), and Card
	// its stored card as read back with 4MemRefM.
	Member *Member
	Card   *MemberCard
	// Attempt is the pending attempt this return completed.
	Attempt       ThreeDSAttempt
	TransactionID string
	MerchantFree2 string
	MerchantFree3 string
	Raw           Fields
}

func linkResultFrom(r *ThreeDSResult, card *MemberCard) *LinkResult {
	lr := &LinkResult{
		OperateID: r.OperateID, LinkKey: r.LinkKey, ResponseCode: r.ResponseCode,
		SecureResultCode: r.SecureResultCode, ThreeDS: r.ThreeDS, Payment: r.Payment, Card: card,
		Attempt: r.Attempt, TransactionID: r.TransactionID, MerchantFree2: r.MerchantFree2,
		MerchantFree3: r.MerchantFree3, Raw: r.Raw,
	}
	if (r.OperateID == OpMemberAdd || r.OperateID == OpMemberChange) && r.Attempt.Member != nil {
		m := *r.Attempt.Member
		lr.Member = &m
	}
	return lr
}

// LinkError is an accepted link-type return whose outcome is not a success:
// the shopper cancelled on the hosted page (Err matches ErrCancelled: not an
// error of the shop, offer the checkout again), or the gateway refused
// (declined card, failed 3-D Secure …; Err is its *Error and matches its
// classes). No money moved. The attempt is completed, so the same return
// cannot be replayed; Result holds it (find the order by
// Result.Attempt.OrderRef or LinkKey).
type LinkError struct {
	OperateID string
	LinkKey   string
	Result    *LinkResult
	// Err is the gateway's *Error (never nil).
	Err error
}

func (e *LinkError) Error() string {
	if e.Cancelled() {
		return fmt.Sprintf("escott: %s: the shopper cancelled on the hosted card page (link key %s): %v",
			e.OperateID, e.LinkKey, e.Err)
	}
	return fmt.Sprintf("escott: %s: link-type payment refused (link key %s): %v", e.OperateID, e.LinkKey, e.Err)
}

// Unwrap returns Err.
func (e *LinkError) Unwrap() error { return e.Err }

// Cancelled reports whether the shopper cancelled (P-codes, ErrCancelled).
func (e *LinkError) Cancelled() bool { return errors.Is(e.Err, ErrCancelled) }

// LinkReturnParams are the host's part of HandleReturn and Confirm.
type LinkReturnParams struct {
	// Record records a successful result in the host's own database (mark
	// the order paid and keep res.Payment.Process, or store res.Member on
	// the customer). It is required. It is called at most once per attempt
	// on every instance sharing the ThreeDSStore: the attempt is claimed
	// before the call and completed only after Record returned nil. When it
	// returns an error the claim is released, HandleReturn returns that
	// error, and a reload of the return page can record it later. Record
	// atomically and idempotently (by res.LinkKey): an instance that dies
	// after Record committed and before the SDK completed the attempt lets
	// the next delivery after the store's lease record it again.
	Record func(ctx context.Context, res *LinkResult) error
}

// HandleReturn reads the result the hosted card page sends back to
// RedirectUrl, as a POST form or a GET query (the production clients read
// either): EncryptValue, and optionally MerchantId outside the envelope.
// It caps the input, decrypts (any malformed value gives one generic
// *ReturnError), requires MerchantId inside the envelope to be ours (the
// production clients do), checks that MerchantFree1 names a pending link-type
// attempt of this client, that every decrypted field has its exact format and
// that the echoes (OperateId, MerchantFree1–3, ProcNo, Amount, PayType,
// KaiinId, KaiinPass) are the attempt's — the envelope has no MAC — and
// confirms the outcome server-side: 1Search for a payment (the process must
// exist with the attempt's amount), 4MemRefM for a registration.
//
// It returns (result, nil) once p.Record recorded a success. Otherwise
// (nil, err): a *LinkError for a cancelled or refused payment (errors.Is(err,
// ErrCancelled) for a shopper who cancelled; no money moved; Record is not
// called); a *ReturnError (ErrReturnRefused) for a refused return — garbage,
// foreign, tampered, not ours, or a replay of a return already accepted —
// for which nothing was recorded; ErrReturnInProgress while another request
// records the same attempt; Record's error when the host failed. A nil p or
// Record is an ErrValidation error.
func (s *LinkService) HandleReturn(r *http.Request, p *LinkReturnParams) (*LinkResult, error) {
	if s.c.obs != nil {
		return s.observeLinkReturn(r, p) // calls handleReturn
	}
	return s.handleReturn(r, p)
}

func (s *LinkService) handleReturn(r *http.Request, p *LinkReturnParams) (*LinkResult, error) {
	if p == nil || p.Record == nil {
		return nil, &ValidationError{OperateID: "link", Fields: []FieldError{{Field: "LinkReturnParams.Record",
			Problem: "is required: the SDK completes the attempt only after the host recorded it"}}}
	}
	if s.c.cipher == nil {
		return nil, errNoAESKeyLink
	}
	form, err := readLinkReturn(r)
	if err != nil {
		return nil, err
	}
	res, err := s.accept(r.Context(), form)
	if err != nil {
		return nil, hostedErr(err)
	}
	return s.settle(r.Context(), res, p.Record)
}

// readLinkReturn collects the return's parameters from the query (GET) or
// the form body (POST), size-capped.
func readLinkReturn(r *http.Request) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		if len(r.URL.RawQuery) > MaxReturnBody {
			return nil, &ReturnError{Reason: "query too large", hosted: true}
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, &ReturnError{Reason: "malformed query", hosted: true}
		}
		return q, nil
	case http.MethodPost:
		if r.PostForm != nil {
			return r.PostForm, nil
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxReturnBody+1))
		if err != nil || len(body) > MaxReturnBody {
			return nil, &ReturnError{Reason: "body unreadable or too large", hosted: true}
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &ReturnError{Reason: "malformed form", hosted: true}
		}
		return form, nil
	}
	return nil, &ReturnError{Reason: "method must be GET or POST", hosted: true}
}

// accept runs the 3-D Secure return checks for a hosted attempt, then the
// link type's own: MerchantId inside the envelope, and the confirmation of
// a registration.
func (s *LinkService) accept(ctx context.Context, form url.Values) (*linkAccepted, error) {
	res, err := s.c.ThreeDS.accept(ctx, form, false, true, true)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(res.Raw.Get("MerchantId")), []byte(s.c.cfg.MerchantID)) != 1 {
		return nil, &ReturnError{LinkKey: res.LinkKey, Reason: "no MerchantId of this merchant in the result"}
	}
	out := &linkAccepted{res: res}
	member := res.OperateID == OpMemberAdd || res.OperateID == OpMemberChange
	if member && res.ResponseCode == "OK" {
		card, err := s.c.ThreeDS.ConfirmMember(ctx, res)
		var gerr *Error
		if errors.As(err, &gerr) && gerr.OperateID == OpMemberRefMasked {
			return nil, &ReturnError{LinkKey: res.LinkKey, Reason: "the gateway does not know the member (forged result)"}
		}
		if err != nil {
			return nil, fmt.Errorf("escott: %s: confirming the link-type result: %w", res.OperateID, err)
		}
		out.card = card
	}
	return out, nil
}

type linkAccepted struct {
	res  *ThreeDSResult
	card *MemberCard
}

// settle claims the attempt, has the host record a success, completes the
// attempt and finishes its journal entry (ThreeDSService.settle, shared).
func (s *LinkService) settle(ctx context.Context, acc *linkAccepted, record func(context.Context, *LinkResult) error) (*LinkResult, error) {
	var rec func(context.Context, *ThreeDSResult) error
	if acc.res.Err() == nil {
		rec = func(ctx context.Context, r *ThreeDSResult) error { return record(ctx, linkResultFrom(r, acc.card)) }
	}
	got, err := s.c.ThreeDS.settle(ctx, acc.res, rec, false)
	if got == nil {
		return nil, hostedErr(err)
	}
	lr := linkResultFrom(got, acc.card)
	if err != nil {
		return nil, &LinkError{OperateID: lr.OperateID, LinkKey: lr.LinkKey, Result: lr, Err: err}
	}
	return lr, nil
}

// hostedErr marks a *ReturnError as a link-type one (its message says so).
func hostedErr(err error) error {
	var re *ReturnError
	if errors.As(err, &re) {
		re.hosted = true
	}
	return err
}

// Confirm settles a link-type payment whose return never came (the shopper
// closed the browser after paying): the operator found the transaction in
// the merchant console by its link key (自由領域1) and passes its ProcessId
// and ProcessPass. Confirm checks it with 1Search (read-only; the amount must
// be the attempt's), then records and completes the attempt exactly as
// HandleReturn would — so a late return is refused as a replay, and a return
// that arrives first makes Confirm fail with a *ReturnError. The attempt must
// still be in the ThreeDSStore (the memory store keeps it DefaultThreeDSTTL);
// after that, resolve the journal entry with Journal.Resolve.
func (s *LinkService) Confirm(ctx context.Context, linkKey string, proc Process, p *LinkReturnParams) (*LinkResult, error) {
	v := &validator{op: OpSearch}
	v.check(validLinkKey(linkKey), "MerchantFree1", "must be the link key of a link-type attempt")
	v.process(proc)
	v.check(p != nil && p.Record != nil, "LinkReturnParams.Record", "is required")
	if err := v.err(); err != nil {
		return nil, err
	}
	a, done, err := s.c.tdsStore.Get(ctx, linkKey)
	switch {
	case errors.Is(err, ErrNoAttempt):
		return nil, &ReturnError{LinkKey: linkKey, Reason: "not a pending attempt of this client", hosted: true}
	case err != nil:
		return nil, fmt.Errorf("escott: link-type store: %w", err)
	case !a.Hosted || (a.OperateID != OpAuth && a.OperateID != OpGathering):
		return nil, &ReturnError{LinkKey: linkKey, Reason: "not a link-type payment", hosted: true}
	case done != nil:
		return nil, &ReturnError{LinkKey: linkKey, Reason: "already completed", hosted: true}
	}
	f := url.Values{"ProcessId": {proc.ID}, "ProcessPass": {proc.Pass.Reveal()}}
	pay, err := s.c.ThreeDS.confirm(ctx, a, f)
	if err != nil {
		return nil, hostedErr(err)
	}
	raw := NewFields(map[string]string{"ResponseCd": "OK", "OperateId": a.OperateID, "MerchantFree1": linkKey,
		"ProcessId": proc.ID, "ProcessPass": proc.Pass.Reveal()})
	res := &ThreeDSResult{OperateID: a.OperateID, LinkKey: linkKey, ResponseCode: "OK", Payment: pay,
		Attempt: *a, MerchantFree2: a.MerchantFree2, MerchantFree3: a.MerchantFree3, Raw: raw, used: new(atomic.Bool)}
	return s.settle(ctx, &linkAccepted{res: res}, p.Record)
}

// String describes the result without secrets (ProcessPass, KaiinPass).
func (r LinkResult) String() string {
	proc, member := "", ""
	if r.Payment != nil {
		proc = r.Payment.Process.ID
	}
	if r.Member != nil {
		member = r.Member.ID
	}
	return fmt.Sprintf("escott.LinkResult{OperateID:%s LinkKey:%s ResponseCode:%s SecureResultCode:%s ProcessID:%s Member:%s Attempt:%s}",
		r.OperateID, r.LinkKey, r.ResponseCode, r.SecureResultCode, proc, member, r.Attempt.String())
}

// GoString is String.
func (r LinkResult) GoString() string { return r.String() }

// Format implements fmt.Formatter: every verb prints String.
func (r LinkResult) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue implements slog.LogValuer.
func (r LinkResult) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v LinkStartParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted.
func (v LinkMemberParams) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted.
func (v LinkRedirect) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: the service prints as its type name only.
func (LinkService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.LinkService") }
