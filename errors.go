package escott

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/escott-go/escott/internal/codes"
	"github.com/escott-go/escott/internal/wire"
)

// Class groups response codes by what the caller should do (PROTOCOL.md §10).
type Class = codes.Class

// The classes of response codes.
const (
	ClassDeclined       = codes.Declined       // ask the shopper for another card
	ClassPaymentOption  = codes.PaymentOption  // installments/bonus/division not allowed
	ClassInvalidRequest = codes.InvalidRequest // a bug in the request
	ClassMerchant       = codes.Merchant       // merchant contract or console settings
	ClassTemporary      = codes.Temporary      // system or transient: retry later
	ClassState          = codes.State          // not allowed in the transaction's state
	ClassAuthAssist     = codes.AuthAssist     // authentication-assist data mismatch
	ClassMember         = codes.Member         // stored-card member
	ClassThreeDS        = codes.ThreeDS        // 3-D Secure
	ClassToken          = codes.Token          // card token
	ClassCancelled      = codes.Cancelled      // the shopper cancelled on a hosted page
)

// classError is the sentinel type behind ErrDeclined and friends.
type classError struct{ class Class }

func (e *classError) Error() string { return "escott: " + e.class.String() }

// Sentinel errors for errors.Is, one per class. An *Error matches every class
// of any of its codes (a code may have two, e.g. U03 is 3-D Secure and
// temporary).
var (
	ErrDeclined       error = &classError{codes.Declined}
	ErrPaymentOption  error = &classError{codes.PaymentOption}
	ErrInvalidRequest error = &classError{codes.InvalidRequest}
	ErrMerchant       error = &classError{codes.Merchant}
	ErrTemporary      error = &classError{codes.Temporary}
	ErrState          error = &classError{codes.State}
	ErrAuthAssist     error = &classError{codes.AuthAssist}
	ErrMember         error = &classError{codes.Member}
	ErrThreeDS        error = &classError{codes.ThreeDS}
	ErrToken          error = &classError{codes.Token}
	ErrCancelled      error = &classError{codes.Cancelled}
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
	Also      Class  // secondary class, or 0
	Message   string // English, for the operator
	MessageJA string // Japanese, for the operator
	group     codes.Group
}

// LookupCode describes a response code. Codes missing from the table (the
// gateway may add some) get a class from their first letter and a generic
// message; ok is false for them.
func LookupCode(v string) (c Code, ok bool) {
	if e, found := codes.Lookup(v); found {
		return Code{Value: e.Code, Class: e.Class, Also: e.Also, Message: e.EN, MessageJA: e.JA, group: e.Group}, true
	}
	c = Code{Value: v, Message: "unknown response code " + v, MessageJA: "不明な応答コード " + v}
	switch {
	case strings.HasPrefix(v, "G"):
		c.Class, c.group = codes.Declined, codes.GroupCardUnusable
	case strings.HasPrefix(v, "U"):
		c.Class, c.group = codes.ThreeDS, codes.GroupThreeDS
	case strings.HasPrefix(v, "C"), strings.HasPrefix(v, "W"):
		c.Class = codes.Temporary
	default:
		c.Class = codes.InvalidRequest
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
	Raw           Fields // the raw answer (secrets redacted when printed)
}

func newError(op, linkKey string, r *wire.Response) *Error {
	e := &Error{OperateID: op, LinkKey: linkKey, TransactionID: r.Get("TransactionId"), Raw: Fields(r.Fields)}
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
	return b.String()
}

// Is matches the class sentinels (ErrDeclined, ErrTemporary, …).
func (e *Error) Is(target error) bool {
	ce, ok := target.(*classError)
	if !ok {
		return false
	}
	for _, c := range e.Codes {
		if c.Is(ce.class) {
			return true
		}
	}
	return false
}

// Has reports whether the answer contained code v, e.g. "K71".
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

// validator collects field problems.
type validator struct {
	op     string
	fields []FieldError
}

func (v *validator) add(field, problem string) {
	v.fields = append(v.fields, FieldError{field, problem})
}

func (v *validator) check(ok bool, field, problem string) {
	if !ok {
		v.add(field, problem)
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{OperateID: v.op, Fields: v.fields}
}

func sortStrings(s []string) { sort.Strings(s) }

func marshalJSON(v any) ([]byte, error) { return json.Marshal(v) }
