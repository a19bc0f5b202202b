package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrInFlight is returned by Begin when an attempt for the same link key is
// still in flight.
var ErrInFlight = errors.New("journal: an attempt with this link key is already in flight")

// ErrNotFound is returned by Finish for a link key with no open attempt, and
// by Resolve for one with no unknown or in-flight attempt.
var ErrNotFound = errors.New("journal: no open attempt for this link key")

// Outcome is what became of an attempt.
type Outcome int

const (
	// InFlight means recorded, request not yet answered.
	InFlight Outcome = iota
	// Succeeded means the gateway answered OK.
	Succeeded
	// Rejected means the gateway answered with error codes; no money moved.
	Rejected
	// Unknown means the request may have reached the gateway but no answer was
	// read. Money may have moved; an operator must check the console.
	Unknown
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case InFlight:
		return "in flight"
	case Succeeded:
		return "succeeded"
	case Rejected:
		return "rejected"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Attempt is one money-moving request. It never holds secrets: no passwords,
// tokens or card data, only what is needed to find the attempt in the console.
type Attempt struct {
	LinkKey   string    // MerchantFree1 sent with the request
	Operation string    // OperateId, e.g. "1Gathering"
	Amount    string    // whole yen as sent, "" when the operation has none
	ProcessID string    // the gateway's ProcessId, when known (follow-ups, or after success)
	OrderRef  string    // the host's own order reference, if it gave one
	Started   time.Time // when Begin was called
	Finished  time.Time // when Finish was called; zero while in flight
	Outcome   Outcome
	Codes     []string // gateway response codes of a rejection
}

// Journal stores attempts. Implementations must be safe for concurrent use.
type Journal interface {
	// Begin records a new attempt. It returns ErrInFlight if an attempt for
	// a.LinkKey is already in flight.
	Begin(ctx context.Context, a Attempt) error
	// Finish records the outcome of the in-flight attempt for linkKey.
	Finish(ctx context.Context, linkKey string, r Result) error
	// Pending lists attempts that need an operator's attention: those still
	// in flight that started before olderThan, and those whose outcome is
	// Unknown. Oldest first.
	Pending(ctx context.Context, olderThan time.Time) ([]Attempt, error)
	// Resolve records what an operator found for an attempt whose outcome was
	// Unknown (or that was left InFlight by a crash): Succeeded (with the
	// ProcessID found in the console) or Rejected (no such transaction). The
	// attempt is then no longer Pending, and its link key is free again.
	// Every unknown or in-flight attempt for linkKey is resolved at once,
	// since the console search by link key finds them together. A zero r.At
	// means now.
	// ErrNotFound when linkKey has no Unknown or in-flight attempt; an error for
	// outcomes other than Succeeded/Rejected.
	Resolve(ctx context.Context, linkKey string, r Result) error
}

// Result is what Finish and Resolve record.
type Result struct {
	Outcome   Outcome
	ProcessID string
	Codes     []string
	At        time.Time
}

// Memory is an in-memory Journal, the client's default. It forgets attempts
// that ended with a definite answer and keeps the in-flight and unknown ones,
// so its size is bounded by what needs attention. It does not survive a
// restart.
type Memory struct {
	mu       sync.Mutex
	inFlight map[string]Attempt
	unknown  []Attempt
}

// NewMemory returns an empty in-memory journal.
func NewMemory() *Memory {
	return &Memory{inFlight: make(map[string]Attempt)}
}

// Begin implements Journal.
func (m *Memory) Begin(_ context.Context, a Attempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.inFlight[a.LinkKey]; ok {
		return ErrInFlight
	}
	a.Outcome = InFlight
	a.Codes = slices.Clone(a.Codes)
	m.inFlight[a.LinkKey] = a
	return nil
}

// Finish implements Journal.
func (m *Memory) Finish(_ context.Context, linkKey string, r Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.inFlight[linkKey]
	if !ok {
		return ErrNotFound
	}
	delete(m.inFlight, linkKey)
	if r.Outcome == Unknown {
		a.Outcome = Unknown
		a.Finished = r.At
		if r.ProcessID != "" {
			a.ProcessID = r.ProcessID
		}
		m.unknown = append(m.unknown, a)
	}
	return nil
}

// Pending implements Journal.
func (m *Memory) Pending(_ context.Context, olderThan time.Time) ([]Attempt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.unknown)
	for _, a := range m.inFlight {
		if a.Started.Before(olderThan) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Attempt) int { return x.Started.Compare(y.Started) })
	return out, nil
}

// Resolve implements Journal. Like a definite Finish, it forgets the attempts
// it resolves.
func (m *Memory) Resolve(_ context.Context, linkKey string, r Result) error {
	if err := checkResolution(&r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !resolve(m.inFlight, &m.unknown, linkKey) {
		return ErrNotFound
	}
	return nil
}

// resolve drops linkKey's in-flight and unknown attempts from the state
// Memory and File share, and reports whether there were any.
func resolve(inFlight map[string]Attempt, unknown *[]Attempt, linkKey string) bool {
	_, found := inFlight[linkKey]
	delete(inFlight, linkKey)
	n := len(*unknown)
	*unknown = slices.DeleteFunc(*unknown, func(a Attempt) bool { return a.LinkKey == linkKey })
	return found || len(*unknown) < n
}

// checkResolution refuses a Resolve that does not say what happened, and
// stamps one that gives no time with now.
func checkResolution(r *Result) error {
	switch r.Outcome {
	case Succeeded, Rejected:
	default:
		return fmt.Errorf("journal: Resolve with outcome %q: want succeeded or rejected", r.Outcome)
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	return nil
}
