package escott

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott/internal/redact"
	"github.com/escott-go/escott/internal/wire"
)

// This file holds the vocabulary every service shares: money (Yen), what a
// payment is paid with (CardSource), the transaction a follow-up names
// (Process), the result of a card operation (Payment), secrets (Secret), the
// raw answer (Fields) and the validator every request goes through.

// Yen returns n whole yen as the decimal.Decimal every amount of this
// package is: escott.Yen(1980) reads better than decimal.NewFromInt(1980)
// and is the same value.
func Yen(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

// CardSource is what pays: a CardToken from the token script, or a stored
// Member. Only this package implements it.
type CardSource interface{ cardSource() }

// Process identifies a gateway transaction for follow-up operations. Store all
// of it with the order, field by field: ProcessPass is needed for capture,
// change, cancel and inquiry (store Pass.Reveal(), as a secret at rest), and
// Member when the payment was made for a stored-card member. Rebuild it with
// a struct literal:
//
//	proc := escott.Process{ID: row.ProcessID, Pass: escott.Secret(row.ProcessPass), LinkKey: row.LinkKey}
//
// json.Marshal refuses a Process with a Pass (ErrSecretInJSON) rather than
// write it redacted.
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
	CompanyCode        string             // CompanyCd: the card company
	ApprovalNumber     string             // ApproveNo
	SecurityCodeResult SecurityCodeResult // the issuer's check of the security code, when it answered one
	SalesDate          time.Time          // JST date of the sales record, when the gateway gave one
	MerchantFree1      string
	MerchantFree2      string
	MerchantFree3      string
	Raw                Fields
}

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v Process) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// LogValue implements slog.LogValuer: a Process logs as it prints, with Pass
// redacted (its JSON form is refused, see ErrSecretInJSON).
func (v Process) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", v)) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v Payment) Format(f fmt.State, _ rune) { redact.Write(f, v) }

const redacted = "[REDACTED]"

// Secret is a string that formats as [REDACTED] with every fmt verb and in
// slog, and that json.Marshal refuses (ErrSecretInJSON) rather than write
// it redacted. Reveal returns the value, for storing it explicitly.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns [REDACTED] (or "" when empty).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form.
func (s Secret) GoString() string { return `escott.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter, redacting every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ErrSecretInJSON is the error of json.Marshal for a value holding a
// non-empty Secret or CardToken (a Process, a Member, a 3-D Secure attempt
// …): a redacted value written to JSON would come back unusable, so
// nothing is written. Store what must be stored explicitly, e.g.
// Process.Pass.Reveal() in its own column, and rebuild the value with a
// struct literal (escott.Process{ID: id, Pass: escott.Secret(pass), …}).
var ErrSecretInJSON = errors.New("escott: a Secret cannot be written as JSON (it would be lost as [REDACTED]): store Reveal() explicitly")

// MarshalJSON fails with ErrSecretInJSON for a non-empty secret, so that a
// value holding one is never written to JSON with its secret silently lost;
// the empty secret is "". Loggers keep redacting it through LogValue, and
// fmt through Format.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return nil, ErrSecretInJSON
}

// secretFields are the raw answer fields that must never be printed.
var secretFields = map[string]bool{
	"ProcessPass": true, "KaiinPass": true, "MerchantPass": true, "Token": true, "EncryptValue": true,
	"CardNo": true, "SecCd": true, "CardExp": true, "NewKaiinPass": true,
}

// Fields holds the raw fields of a gateway answer, as received. Formatting
// it with fmt or slog, or writing it as JSON, redacts the secret ones
// (ProcessPass, KaiinPass, CardNo …); Get returns any value as received.
//
// A Fields is read-only and safe for concurrent use; the zero Fields is
// empty. A result's Fields is kept as the answer's decoded pairs, and no map
// is built unless Map is called.
type Fields struct {
	pairs wire.Pairs // in the order received; the last value of a key counts
}

// NewFields returns Fields holding a copy of m, e.g. to rebuild a stored
// result.
func NewFields(m map[string]string) Fields { return fieldsExcept(m, "") }

// fieldsExcept is NewFields without the key except. The pairs are sorted by
// key, so that Fields made from equal maps are equal.
func fieldsExcept(m map[string]string, except string) Fields {
	if len(m) == 0 {
		return Fields{}
	}
	// Sorted in place, then copied by NewPairs: a small map's pairs stay on
	// the stack.
	var small [32]wire.Pair
	pairs := small[:0]
	if len(m) > len(small) {
		pairs = make([]wire.Pair, 0, len(m))
	}
	for k, v := range m {
		if k != except {
			pairs = append(pairs, wire.Pair{Key: k, Value: v})
		}
	}
	slices.SortFunc(pairs, func(a, b wire.Pair) int { return strings.Compare(a.Key, b.Key) })
	return Fields{pairs: wire.NewPairs(pairs)}
}

// Get returns the raw value of key, or "".
func (f Fields) Get(key string) string {
	return f.pairs.Get(key)
}

// Lookup returns the raw value of key and whether the answer had it.
func (f Fields) Lookup(key string) (string, bool) { return f.pairs.Lookup(key) }

// IsZero reports whether there are no fields, so that a struct field of
// type Fields tagged `json:",omitzero"` is left out when empty (as
// `omitempty` left out the empty map Fields used to be).
func (f Fields) IsZero() bool { return f.pairs.Len() == 0 }

// Map returns the fields as a new map the caller owns, with every value as
// received (secrets included: store or print it with care).
func (f Fields) Map() map[string]string { return f.pairs.Map() }

// String formats the fields with secrets redacted, keys sorted.
func (f Fields) String() string {
	m := f.Map()
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte(':')
		if secretFields[k] && m[k] != "" {
			b.WriteString(redacted)
		} else {
			b.WriteString(m[k])
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Format implements fmt.Formatter so that every verb is redacted.
func (f Fields) Format(s fmt.State, _ rune) { _, _ = io.WriteString(s, f.String()) }

// LogValue implements slog.LogValuer.
func (f Fields) LogValue() slog.Value { return slog.StringValue(f.String()) }

// MarshalJSON writes the fields as a JSON object with the secret ones
// redacted, like String: Raw is for display and diagnosis, and the values to
// store are the typed fields of the result (which refuse JSON when they hold
// a secret).
func (f Fields) MarshalJSON() ([]byte, error) {
	m := f.Map()
	for k, v := range m {
		if secretFields[k] && v != "" {
			m[k] = redacted
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a JSON object of strings, as MarshalJSON writes it.
func (f *Fields) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*f = NewFields(m)
	return nil
}

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
