package escott

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// This file is the storage contract of the SDK: the interfaces a host may
// implement to share state between instances (Journal, ThreeDSStore,
// DedupeStore) and the in-memory implementations the client uses by default.
// Durable implementations live in the journal (fsynced file) and sqlstore
// (database/sql) packages.

// ErrJournalInFlight is returned by Begin when an attempt for the same link key is
// still in flight.
var ErrJournalInFlight = errors.New("escott: journal: an attempt with this link key is already in flight")

// ErrJournalUnresolved is returned by Begin when the link key's last attempt
// ended with OutcomeUnknown and nobody has resolved it yet: that attempt may
// have moved money, so sending another request under the same link key could
// move it twice. Resolve the attempt (Journal.Resolve, after looking the link
// key up in the merchant console) to free the link key.
var ErrJournalUnresolved = errors.New("escott: journal: the last attempt with this link key has an unknown outcome that was not resolved")

// ErrJournalNotFound is returned by Finish for a link key with no open attempt, and
// by Resolve for one with no unknown or in-flight attempt.
var ErrJournalNotFound = errors.New("escott: journal: no open attempt for this link key")

// Outcome is what became of an attempt.
type Outcome int

const (
	// OutcomeInFlight means recorded, request not yet answered.
	OutcomeInFlight Outcome = iota
	// OutcomeSucceeded means the gateway answered OK.
	OutcomeSucceeded
	// OutcomeRejected means the gateway answered with error codes; no money moved.
	OutcomeRejected
	// OutcomeUnknown means the request may have reached the gateway but no answer was
	// read. Money may have moved; an operator must check the console.
	OutcomeUnknown
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case OutcomeInFlight:
		return "in flight"
	case OutcomeSucceeded:
		return "succeeded"
	case OutcomeRejected:
		return "rejected"
	case OutcomeUnknown:
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
	// Begin records a new attempt. It returns ErrJournalInFlight if an attempt for
	// a.LinkKey is already in flight, and ErrJournalUnresolved if an attempt for
	// a.LinkKey ended with OutcomeUnknown and was not resolved since: a link
	// key is free again only once its attempts ended definitely or were
	// resolved.
	Begin(ctx context.Context, a Attempt) error
	// Finish records the outcome of the in-flight attempt for linkKey.
	Finish(ctx context.Context, linkKey string, r AttemptResult) error
	// Pending lists attempts that need an operator's attention: those still
	// in flight that started before olderThan, and those whose outcome is
	// OutcomeUnknown. Oldest first.
	Pending(ctx context.Context, olderThan time.Time) ([]Attempt, error)
	// Resolve records what an operator found for an attempt whose outcome was
	// OutcomeUnknown (or that was left OutcomeInFlight by a crash): OutcomeSucceeded (with the
	// ProcessID found in the console) or OutcomeRejected (no such transaction). The
	// attempt is then no longer Pending, and its link key is free again.
	// Every unknown or in-flight attempt for linkKey is resolved at once,
	// since the console search by link key finds them together. A zero r.At
	// means now.
	// ErrJournalNotFound when linkKey has no OutcomeUnknown or in-flight attempt; an error for
	// outcomes other than OutcomeSucceeded/OutcomeRejected.
	Resolve(ctx context.Context, linkKey string, r AttemptResult) error
}

// AttemptResult is what Finish and Resolve record.
type AttemptResult struct {
	Outcome   Outcome
	ProcessID string
	Codes     []string
	At        time.Time
}

// MemoryJournal is an in-memory Journal, the client's default. It forgets attempts
// that ended with a definite answer and keeps the in-flight and unknown ones,
// so its size is bounded by what needs attention. It does not survive a
// restart.
type MemoryJournal struct {
	mu       sync.Mutex
	inFlight map[string]inFlight // by link key
	unknown  []Attempt
}

// inFlight is an in-flight Attempt without its link key (the map's key) and
// its outcome (in flight). It is at most 128 bytes, so that the map stores
// it in place rather than allocating it on every Begin; the rarely set
// fields of an Attempt given to Begin (Finished, Codes) are kept aside.
type inFlight struct {
	op, amount, processID, orderRef string
	started                         time.Time
	rare                            *rareAttempt // nil unless Begin was given Finished or Codes
}

// rareAttempt holds what an in-flight Attempt seldom has.
type rareAttempt struct {
	finished time.Time
	codes    []string
}

func newInFlight(a Attempt) inFlight {
	e := inFlight{op: a.Operation, amount: a.Amount, processID: a.ProcessID, orderRef: a.OrderRef, started: a.Started}
	if !a.Finished.IsZero() || a.Codes != nil {
		e.rare = &rareAttempt{finished: a.Finished, codes: slices.Clone(a.Codes)}
	}
	return e
}

// attempt returns the Attempt Begin was given for linkKey.
func (e inFlight) attempt(linkKey string) Attempt {
	a := Attempt{LinkKey: linkKey, Operation: e.op, Amount: e.amount, ProcessID: e.processID, OrderRef: e.orderRef,
		Started: e.started, Outcome: OutcomeInFlight}
	if e.rare != nil {
		a.Finished, a.Codes = e.rare.finished, slices.Clone(e.rare.codes)
	}
	return a
}

// NewMemoryJournal returns an empty in-memory journal.
func NewMemoryJournal() *MemoryJournal {
	return &MemoryJournal{inFlight: make(map[string]inFlight)}
}

// Begin implements Journal.
func (m *MemoryJournal) Begin(_ context.Context, a Attempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.inFlight[a.LinkKey]; ok {
		return ErrJournalInFlight
	}
	if slices.ContainsFunc(m.unknown, func(u Attempt) bool { return u.LinkKey == a.LinkKey }) {
		return ErrJournalUnresolved
	}
	m.inFlight[a.LinkKey] = newInFlight(a)
	return nil
}

// Finish implements Journal.
func (m *MemoryJournal) Finish(_ context.Context, linkKey string, r AttemptResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.inFlight[linkKey]
	if !ok {
		return ErrJournalNotFound
	}
	delete(m.inFlight, linkKey)
	if r.Outcome == OutcomeUnknown {
		a := e.attempt(linkKey)
		a.Outcome = OutcomeUnknown
		a.Finished = r.At
		if r.ProcessID != "" {
			a.ProcessID = r.ProcessID
		}
		m.unknown = append(m.unknown, a)
	}
	return nil
}

// Pending implements Journal.
func (m *MemoryJournal) Pending(_ context.Context, olderThan time.Time) ([]Attempt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.unknown)
	for k, e := range m.inFlight {
		if e.started.Before(olderThan) {
			out = append(out, e.attempt(k))
		}
	}
	slices.SortFunc(out, func(x, y Attempt) int { return x.Started.Compare(y.Started) })
	return out, nil
}

// Resolve implements Journal. Like a definite Finish, it forgets the attempts
// it resolves.
func (m *MemoryJournal) Resolve(_ context.Context, linkKey string, r AttemptResult) error {
	if err := checkResolution(&r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !resolve(m.inFlight, &m.unknown, linkKey) {
		return ErrJournalNotFound
	}
	return nil
}

// resolve drops linkKey's in-flight and unknown attempts, and reports
// whether there were any.
func resolve[V any](inFlight map[string]V, unknown *[]Attempt, linkKey string) bool {
	_, found := inFlight[linkKey]
	delete(inFlight, linkKey)
	n := len(*unknown)
	*unknown = slices.DeleteFunc(*unknown, func(a Attempt) bool { return a.LinkKey == linkKey })
	return found || len(*unknown) < n
}

// checkResolution refuses a Resolve that does not say what happened, and
// stamps one that gives no time with now.
func checkResolution(r *AttemptResult) error {
	switch r.Outcome {
	case OutcomeSucceeded, OutcomeRejected:
	default:
		return fmt.Errorf("escott: journal: Resolve with outcome %q: want succeeded or rejected", r.Outcome)
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	return nil
}

// Errors of a ThreeDSStore.
var (
	// ErrAttemptExists: Save was given a link key that is already stored.
	ErrAttemptExists = errors.New("escott: 3-D Secure attempt already exists for this link key")
	// ErrNoAttempt: no attempt (or an expired one) under the link key.
	ErrNoAttempt = errors.New("escott: no 3-D Secure attempt for this link key")
	// ErrAttemptCompleted: Claim or Complete found the attempt already
	// completed.
	ErrAttemptCompleted = errors.New("escott: 3-D Secure attempt already completed")
	// ErrAttemptClaimed: Claim found the attempt claimed by another request
	// whose lease has not run out.
	ErrAttemptClaimed = errors.New("escott: 3-D Secure attempt is claimed by another request")
)

// DefaultThreeDSLease is how long a claim on a 3-D Secure attempt keeps
// other requests out (see ThreeDSStore.Claim): longer than the host takes to
// record an order, short enough that a shopper's reload or the gateway's
// redelivery after a crash is served soon.
const DefaultThreeDSLease = 2 * time.Minute

// ThreeDSStore keeps pending 3-D Secure attempts between the start and the
// return, under their link keys. Implementations must be safe for concurrent
// use, and Claim and Complete atomic: they are what makes a result reach the
// host once.
//
// A result is settled in three steps: Claim reserves the pending attempt
// for one request, with a lease; the host records the result (the PostUrl
// callback, ThreeDSReturnParams.Record, or Authorize in mode B); then
// Complete marks it completed — or Release gives the claim up when the host
// could not record it. A claim whose lease ran out (its instance crashed) is
// taken over by the next Claim.
type ThreeDSStore interface {
	// Save stores a new pending attempt (ErrAttemptExists if the link key is
	// taken).
	Save(ctx context.Context, a *ThreeDSAttempt) error
	// Get returns the attempt under linkKey and, once completed, its result
	// (nil while pending or claimed). ErrNoAttempt when there is none.
	Get(ctx context.Context, linkKey string) (*ThreeDSAttempt, *ThreeDSResult, error)
	// Claim reserves the attempt for the caller and returns the claim's
	// token. It fails with ErrNoAttempt when there is none, with the first
	// result and ErrAttemptCompleted once completed, and with
	// ErrAttemptClaimed while another claim's lease runs.
	Claim(ctx context.Context, linkKey string) (claim string, first *ThreeDSResult, err error)
	// Complete marks the attempt (pending or claimed) completed with res and
	// drops any claim. If it was completed before, it returns the first
	// result and ErrAttemptCompleted.
	Complete(ctx context.Context, linkKey string, res *ThreeDSResult) (*ThreeDSResult, error)
	// Release gives up the claim with this token, leaving the attempt
	// pending. It does nothing when the claim was taken over or the attempt
	// completed meanwhile.
	Release(ctx context.Context, linkKey, claim string) error
}

// newClaimToken returns a random claim token.
func newClaimToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// MemoryThreeDSStore is the default ThreeDSStore: in memory, with a TTL. It
// does not survive a restart and is not shared between processes; use your
// own store behind a load balancer.
type MemoryThreeDSStore struct {
	ttl, lease time.Duration
	now        func() time.Time
	mu         sync.Mutex
	m          map[string]*memEntry
}

type memEntry struct {
	a       *ThreeDSAttempt
	res     *ThreeDSResult
	expires time.Time
	claim   string    // token of the current claim, "" when none
	claimed time.Time // when it was taken
}

// NewMemoryThreeDSStore returns an in-memory store whose entries live ttl
// (DefaultThreeDSTTL when ttl <= 0) and whose claims hold for lease
// (DefaultThreeDSLease when lease <= 0).
func NewMemoryThreeDSStore(ttl, lease time.Duration) *MemoryThreeDSStore {
	if ttl <= 0 {
		ttl = DefaultThreeDSTTL
	}
	if lease <= 0 {
		lease = DefaultThreeDSLease
	}
	return &MemoryThreeDSStore{ttl: ttl, lease: lease, now: time.Now, m: make(map[string]*memEntry)}
}

// Save implements ThreeDSStore.
func (s *MemoryThreeDSStore) Save(_ context.Context, a *ThreeDSAttempt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, e := range s.m { // lazy expiry keeps the map bounded by the TTL
		if now.After(e.expires) {
			delete(s.m, k)
		}
	}
	if _, ok := s.m[a.LinkKey]; ok {
		return ErrAttemptExists
	}
	cp := *a
	s.m[a.LinkKey] = &memEntry{a: &cp, expires: now.Add(s.ttl)}
	return nil
}

// Get implements ThreeDSStore.
func (s *MemoryThreeDSStore) Get(_ context.Context, linkKey string) (*ThreeDSAttempt, *ThreeDSResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[linkKey]
	if !ok || s.now().After(e.expires) {
		return nil, nil, ErrNoAttempt
	}
	cp := *e.a
	return &cp, e.res, nil
}

// Claim implements ThreeDSStore.
func (s *MemoryThreeDSStore) Claim(_ context.Context, linkKey string) (string, *ThreeDSResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.m[linkKey]
	switch {
	case !ok || now.After(e.expires):
		return "", nil, ErrNoAttempt
	case e.res != nil:
		return "", e.res, ErrAttemptCompleted
	case e.claim != "" && now.Before(e.claimed.Add(s.lease)):
		return "", nil, ErrAttemptClaimed
	}
	e.claim, e.claimed = newClaimToken(), now
	return e.claim, nil, nil
}

// Complete implements ThreeDSStore.
func (s *MemoryThreeDSStore) Complete(_ context.Context, linkKey string, res *ThreeDSResult) (*ThreeDSResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[linkKey]
	if !ok || s.now().After(e.expires) {
		return nil, ErrNoAttempt
	}
	if e.res != nil {
		return e.res, ErrAttemptCompleted
	}
	e.res, e.claim = res, ""
	return nil, nil
}

// Release implements ThreeDSStore.
func (s *MemoryThreeDSStore) Release(_ context.Context, linkKey, claim string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[linkKey]; ok && e.res == nil && claim != "" && e.claim == claim {
		e.claim = ""
	}
	return nil
}

// Format implements fmt.Formatter: a MemoryThreeDSStore prints as its type name only, so
// that no configuration or state it holds can leak through fmt.
func (x *MemoryThreeDSStore) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte("*escott.MemoryThreeDSStore"))
}

// ClaimResult is the answer of DedupeStore.Claim.
type ClaimResult int

const (
	// ClaimNew means the caller holds the claim and must call Done or Release.
	ClaimNew ClaimResult = iota + 1
	// ClaimSeen means the notification was processed before.
	ClaimSeen
	// ClaimBusy means another request holds the claim right now.
	ClaimBusy
)

// DedupeStore remembers which notifications were processed, so that the
// gateway's redeliveries reach the subscribers once. A store shared by
// several instances of the host must make Claim atomic (e.g. an INSERT of the
// key with state "processing", unique on the key).
type DedupeStore interface {
	// Claim reserves key for processing.
	Claim(ctx context.Context, key string) (ClaimResult, error)
	// Done marks a claimed key processed.
	Done(ctx context.Context, key string) error
	// Release gives up a claim without marking the key processed.
	Release(ctx context.Context, key string) error
}

// MemoryDedupeStore is the in-memory DedupeStore: processed keys are
// remembered for a TTL. It does not survive a restart and is not shared
// between instances.
type MemoryDedupeStore struct {
	ttl   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	seen  map[string]time.Time // key → expiry
	busy  map[string]bool
	sweep time.Time
}

// NewMemoryDedupeStore returns a store remembering keys for ttl (0 means
// DefaultDedupeTTL); now may be nil for time.Now.
func NewMemoryDedupeStore(ttl time.Duration, now func() time.Time) *MemoryDedupeStore {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryDedupeStore{ttl: ttl, now: now, seen: make(map[string]time.Time), busy: make(map[string]bool)}
}

// Claim implements DedupeStore.
func (m *MemoryDedupeStore) Claim(_ context.Context, key string) (ClaimResult, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.sweep) {
		for k, exp := range m.seen {
			if now.After(exp) {
				delete(m.seen, k)
			}
		}
		m.sweep = now.Add(time.Minute)
	}
	if exp, ok := m.seen[key]; ok && !now.After(exp) {
		return ClaimSeen, nil
	}
	if m.busy[key] {
		return ClaimBusy, nil
	}
	m.busy[key] = true
	return ClaimNew, nil
}

// Done implements DedupeStore.
func (m *MemoryDedupeStore) Done(_ context.Context, key string) error {
	exp := m.now().Add(m.ttl)
	m.mu.Lock()
	delete(m.busy, key)
	m.seen[key] = exp
	m.mu.Unlock()
	return nil
}

// Release implements DedupeStore.
func (m *MemoryDedupeStore) Release(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.busy, key)
	m.mu.Unlock()
	return nil
}

// Len returns how many processed keys are remembered.
func (m *MemoryDedupeStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// Format implements fmt.Formatter: a MemoryDedupeStore prints as its type name only, so
// that no configuration or state it holds can leak through fmt.
func (x *MemoryDedupeStore) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte("*escott.MemoryDedupeStore"))
}
