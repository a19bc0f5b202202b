package escott

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/escott-go/escott/internal/codes"
	"github.com/escott-go/escott/internal/wire"
)

// Class groups response codes by what the caller should do (docs/protocol.md
// §10). Every Code has a primary class and may have a secondary one; each
// class has a sentinel error (ErrDeclined for ClassDeclined …) that an *Error
// matches with errors.Is.
type Class byte

// The classes of response codes. The values are the letters docs/protocol.md
// §10 uses for them.
const (
	ClassDeclined       Class = 'D' // declined by the card company: ask the shopper for another card
	ClassPaymentOption  Class = 'P' // installments, bonus or payment division not allowed
	ClassInvalidRequest Class = 'I' // a bug in the request
	ClassMerchant       Class = 'M' // merchant contract or console settings
	ClassTemporary      Class = 'S' // system or transient: retry later
	ClassState          Class = 'T' // not allowed in the transaction's state
	ClassAuthAssist     Class = 'A' // authentication-assist data mismatch
	ClassMember         Class = 'R' // stored-card member
	ClassThreeDS        Class = '3' // 3-D Secure
	ClassToken          Class = 'K' // card token
	ClassCancelled      Class = 'C' // the shopper cancelled on a hosted page
)

// String returns the class's short English name, e.g. "declined", or
// "unknown" for a value that is not one of the constants (such as the zero
// Code.Also of a code without a secondary class).
func (c Class) String() string { return codes.Class(c).String() }

//go:generate go run ./internal/codes/generrors errors_gen.go

// codeError is the type of the errors of errors_gen.go: an *Error matches one
// when it contains any of its codes.
type codeError struct {
	msg   string
	codes []string
}

func (e *codeError) Error() string { return e.msg }

// classError is the sentinel type behind ErrDeclined and friends.
type classError struct{ class Class }

func (e *classError) Error() string { return "escott: " + e.class.String() }

// Sentinel errors for errors.Is, one per class. An *Error matches every class
// of any of its codes (a code may have two, e.g. U03 is 3-D Secure and
// temporary).
var (
	ErrDeclined       error = &classError{ClassDeclined}
	ErrPaymentOption  error = &classError{ClassPaymentOption}
	ErrInvalidRequest error = &classError{ClassInvalidRequest}
	ErrMerchant       error = &classError{ClassMerchant}
	ErrTemporary      error = &classError{ClassTemporary}
	ErrState          error = &classError{ClassState}
	ErrAuthAssist     error = &classError{ClassAuthAssist}
	ErrMember         error = &classError{ClassMember}
	ErrThreeDS        error = &classError{ClassThreeDS}
	ErrToken          error = &classError{ClassToken}
	ErrCancelled      error = &classError{ClassCancelled}
)

// ErrOutcomeUnknown matches every *OutcomeUnknownError.
var ErrOutcomeUnknown = errors.New("escott: outcome unknown")

// ErrValidation matches every *ValidationError.
var ErrValidation = errors.New("escott: invalid request")

// ErrTransport matches every *TransportError.
var ErrTransport = errors.New("escott: transport failure")

// Code is one response code with its meaning.
type Code struct {
	Value     string // e.g. "G12"
	Class     Class  // primary class
	Also      Class  // secondary class, or 0 when the code has none
	Message   string // English, for the operator
	MessageJA string // Japanese, for the operator
	group     codes.Group
}

// LookupCode describes a response code. Codes missing from the table (the
// gateway may add some) get a class from their first letter and a generic
// message; ok is false for them.
func LookupCode(v string) (c Code, ok bool) {
	if e, found := codes.Lookup(v); found {
		return Code{Value: e.Code, Class: Class(e.Class), Also: Class(e.Also), Message: e.EN, MessageJA: e.JA, group: e.Group}, true
	}
	c = Code{Value: v, Message: "unknown response code " + v, MessageJA: "不明な応答コード " + v}
	switch {
	case strings.HasPrefix(v, "G"):
		c.Class, c.group = ClassDeclined, codes.GroupCardUnusable
	case strings.HasPrefix(v, "U"):
		c.Class, c.group = ClassThreeDS, codes.GroupThreeDS
	case strings.HasPrefix(v, "C"), strings.HasPrefix(v, "W"):
		c.Class = ClassTemporary
	default:
		c.Class = ClassInvalidRequest
	}
	return c, false
}

// Is reports whether the code is of class c (primary or secondary).
func (c Code) Is(class Class) bool { return c.Class == class || (c.Also != 0 && c.Also == class) }

// ShopperMessage is a message safe to show the shopper ("ja" for Japanese,
// anything else for English). It never reveals internals.
func (c Code) ShopperMessage(lang string) string { return c.group.ShopperMessage(lang) }

// String returns "G12 card unusable".
func (c Code) String() string { return c.Value + " " + c.Message }

// Error is the gateway's rejection of a request: ResponseCd was not OK. No
// money moved for the operation that was rejected.
type Error struct {
	OperateID     string // the operation, e.g. "1Gathering"
	LinkKey       string // MerchantFree1 of the request
	Codes         []Code // every code of ResponseCd, in order
	TransactionID string // if the gateway returned one
	// Process is set when the refusal still names a transaction (a
	// ProcessId and ProcessPass in the answer). The code table describes
	// K40 as "the transaction went through, but the security code did not
	// match": such a payment exists at the gateway and must be cancelled (or
	// kept) by the shop, so the SDK never drops it. The journal records its
	// ProcessId too.
	Process *Process
	Raw     Fields // the raw answer (secrets redacted when printed)
}

func newError(op, linkKey string, r *wire.Response) *Error {
	e := &Error{OperateID: op, LinkKey: linkKey, TransactionID: r.Get("TransactionId"), Raw: Fields{r.Pairs}}
	if id, pass := r.Get("ProcessId"), r.Get("ProcessPass"); id != "" && pass != "" {
		e.Process = &Process{ID: id, Pass: Secret(pass), LinkKey: linkKey}
	}
	for _, v := range r.Codes {
		c, _ := LookupCode(v)
		e.Codes = append(e.Codes, c)
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "escott: %s rejected (link key %s): ", e.OperateID, e.LinkKey)
	for i, c := range e.Codes {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.String())
	}
	if e.Process != nil {
		fmt.Fprintf(&b, " (the gateway still created process %s: cancel or keep it)", e.Process.ID)
	}
	return b.String()
}

// Is matches the class errors (ErrDeclined, ErrTemporary, …) of every class
// of its codes, and the condition errors (ErrUnknownProcess, ErrWrongState,
// ErrMemberMismatch …) whose codes it contains.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *classError:
		for _, c := range e.Codes {
			if c.Is(t.class) {
				return true
			}
		}
	case *codeError:
		for _, c := range e.Codes {
			if slices.Contains(t.codes, c.Value) {
				return true
			}
		}
	}
	return false
}

// Has reports whether the answer contained code v, e.g. "K71". It is for
// operators' tools and logs; hosts branch with errors.Is on the class and
// condition errors instead.
func (e *Error) Has(v string) bool {
	for _, c := range e.Codes {
		if c.Value == v {
			return true
		}
	}
	return false
}

// ShopperMessage returns the message for the shopper of the most specific
// code: the first whose group is not "please contact the shop".
func (e *Error) ShopperMessage(lang string) string {
	for _, c := range e.Codes {
		if c.group != codes.GroupContactShop {
			return c.ShopperMessage(lang)
		}
	}
	return codes.GroupContactShop.ShopperMessage(lang)
}

// OutcomeUnknownError means a request that changes state at the gateway
// may have reached it but no answer for it was read: the connection broke,
// the context was cancelled or timed out, the answer was not a valid gateway
// answer (a non-200 status, a redirect, a malformed body), or it did not echo
// the request's OperateId and link key (ErrNotThisAnswer). The gateway may
// have processed the request — the card may have been charged. The SDK never
// re-sends such a request. Look the attempt up by LinkKey in the merchant
// console (自由領域1) or, for money-moving operations, through the journal,
// and reconcile.
//
// Besides the money-moving operations, it is returned by those that move no
// money but cannot be repeated blindly: 1Check (it consumes the token) and
// 4MemInval, 4MemUnInval, 4MemDel (the member's state may have changed;
// those are not journaled). Only read-only operations (1Search, 2Ref,
// 4MemRef, 4MemRefM, 4MemRefToken, 1TokenSearch) end with a *TransportError
// once their request may have arrived.
type OutcomeUnknownError struct {
	OperateID string
	LinkKey   string
	Err       error // what went wrong on the wire
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("escott: %s outcome unknown (link key %s; the gateway may have processed it, check before retrying): %v",
		e.OperateID, e.LinkKey, e.Err)
}

// Unwrap returns the transport error.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// TransportError is a failure to get an answer for a request that is safe to
// report as not processed: a read-only call, or a request that never reached
// the gateway (the connection was never made, or its body was never read),
// after the retries allowed.
type TransportError struct {
	OperateID string
	Err       error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("escott: %s: transport: %v", e.OperateID, e.Err)
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Is matches ErrTransport.
func (e *TransportError) Is(target error) bool { return target == ErrTransport }

// HTTPStatusError is an answer with a status other than 200.
type HTTPStatusError struct{ StatusCode int }

func (e *HTTPStatusError) Error() string { return fmt.Sprintf("HTTP status %d", e.StatusCode) }

// InFlightError refuses a money-moving request whose link key already has a
// request in flight (double submit).
type InFlightError struct {
	OperateID string
	LinkKey   string
}

func (e *InFlightError) Error() string {
	return fmt.Sprintf("escott: %s refused: link key %s already has a request in flight", e.OperateID, e.LinkKey)
}

// Is matches ErrState: it is a state problem of the order, like the gateway's KBX.
func (e *InFlightError) Is(target error) bool { return target == ErrState }

// UnresolvedError refuses a request, before anything was sent, because the
// journal holds an attempt under the same link key whose outcome is unknown
// (an *OutcomeUnknownError) and that nobody has resolved: that attempt may
// have moved money, so a second request under its link key could move it
// twice. Look the link key up in the merchant console (自由領域1), record
// what you found with Journal.Resolve, then act on what you know. errors.Is
// matches ErrJournalUnresolved and ErrState.
type UnresolvedError struct {
	OperateID string
	LinkKey   string
}

func (e *UnresolvedError) Error() string {
	return fmt.Sprintf("escott: %s refused, nothing sent: link key %s has an earlier attempt of unknown outcome; "+
		"look it up in the merchant console and resolve it in the journal first", e.OperateID, e.LinkKey)
}

// Is matches ErrState: like an attempt in flight, it is a state of the order.
func (e *UnresolvedError) Is(target error) bool { return target == ErrState }

// Unwrap returns ErrJournalUnresolved.
func (e *UnresolvedError) Unwrap() error { return ErrJournalUnresolved }

// FieldError is one invalid field.
type FieldError struct {
	Field   string // the gateway field name, e.g. "Amount"
	Problem string // what is wrong, without the value (it may be a secret)
}

// ValidationError reports invalid parameters found before anything was sent.
type ValidationError struct {
	OperateID string
	Fields    []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "escott: %s: invalid request, nothing sent: ", e.OperateID)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + ": " + f.Problem)
	}
	return b.String()
}

// Is matches ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }
