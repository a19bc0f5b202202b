package escott_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/chaos"
)

// The chaos test (docs/testing.md): many concurrent payments, captures,
// amount changes and cancels through a proxy that injects, per request and
// at random, TCP resets, HTTP/2 stream resets and GOAWAY, redirects, slow,
// cut and cross-wired answers, and a journal that stalls and fails. Then it
// compares what the client reported with what the fake gateway received.
//
//	go test -race -run TestChaos -chaos.seed=42 -chaos.ops=100000 .
var (
	chaosSeed = flag.Uint64("chaos.seed", 0, "seed of TestChaos (0: $ESCOTT_CHAOS_SEED, else random)")
	chaosOps  = flag.Int("chaos.ops", 0, "operations of TestChaos (0: $ESCOTT_CHAOS_OPS, else 300)")
)

const (
	chaosTimeout = 500 * time.Millisecond  // WithTimeout of the clients
	chaosSlack   = 1500 * time.Millisecond // scheduling slack under -race on a busy machine
	chaosStall   = 3 * time.Second         // a journal stall: beyond timeout + slack
	chaosWorkers = 16
)

// jfault is a fault of the journal.
type jfault int

const (
	jNone jfault = iota
	jBeginFail
	jBeginStall
	jFinishFail
	jFinishStall
	numJFaults
)

func (f jfault) String() string {
	return [...]string{"none", "journal-begin-fail", "journal-begin-stall", "journal-finish-fail", "journal-finish-stall"}[f]
}

// chaosFault is the one fault planned for an attempt.
type chaosFault struct {
	proxy    chaos.Kind
	journal  jfault
	ctxAware bool // a stall that returns when the context ends (an SQL pool), or not (a file lock)
}

func (f chaosFault) String() string {
	switch {
	case f.proxy != chaos.None:
		return f.proxy.String()
	case f.journal != jNone && (f.journal == jBeginStall || f.journal == jFinishStall):
		if f.ctxAware {
			return f.journal.String() + "(ctx)"
		}
		return f.journal.String() + "(lock)"
	case f.journal != jNone:
		return f.journal.String()
	}
	return "none"
}

func pickFault(r *rand.Rand) chaosFault {
	if r.IntN(100) < 30 {
		return chaosFault{}
	}
	kinds := chaos.Kinds()
	n := r.IntN(len(kinds) + int(numJFaults) - 1)
	if n < len(kinds) {
		return chaosFault{proxy: kinds[n]}
	}
	return chaosFault{journal: jfault(n - len(kinds) + 1), ctxAware: r.IntN(2) == 0}
}

// faultyJournal stalls and fails as planned, and remembers every outcome the
// client finished an attempt with.
type faultyJournal struct {
	inner escott.Journal
	plan  func(key string) chaosFault

	mu       sync.Mutex
	op       map[string]string // link key → operation of its latest Begin
	finished map[string][]escott.Outcome
}

var errJournalFault = errors.New("chaos: journal failure")

func (j *faultyJournal) stall(ctx context.Context, f chaosFault) error {
	t := time.NewTimer(chaosStall)
	defer t.Stop()
	if !f.ctxAware {
		<-t.C
		return nil
	}
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *faultyJournal) Begin(ctx context.Context, a escott.Attempt) error {
	f := j.plan(a.LinkKey + "/" + a.Operation)
	switch f.journal {
	case jBeginFail:
		return errJournalFault
	case jBeginStall:
		if err := j.stall(ctx, f); err != nil {
			return err
		}
	}
	if err := j.inner.Begin(ctx, a); err != nil {
		return err
	}
	j.mu.Lock()
	j.op[a.LinkKey] = a.Operation
	j.mu.Unlock()
	return nil
}

func (j *faultyJournal) Finish(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	j.mu.Lock()
	key := linkKey + "/" + j.op[linkKey]
	j.finished[key] = append(j.finished[key], r.Outcome)
	j.mu.Unlock()
	f := j.plan(key)
	switch f.journal {
	case jFinishFail:
		return errJournalFault
	case jFinishStall:
		if err := j.stall(ctx, f); err != nil {
			return err
		}
	}
	return j.inner.Finish(ctx, linkKey, r)
}

func (j *faultyJournal) Pending(ctx context.Context, olderThan time.Time) ([]escott.Attempt, error) {
	return j.inner.Pending(ctx, olderThan)
}

func (j *faultyJournal) Resolve(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	return j.inner.Resolve(ctx, linkKey, r)
}

// chaosAttempt is one call the test made and what it was told.
type chaosAttempt struct {
	key, linkKey, op, amount, client string
	fault                            chaosFault
	start                            time.Time
	dur                              time.Duration
	pay                              *escott.Payment
	err                              error
}

type chaosViolation struct {
	kind, key, fault, detail string
}

func chaosSettings(t *testing.T) (seed uint64, ops int) {
	seed, ops = *chaosSeed, *chaosOps
	if v := os.Getenv("ESCOTT_CHAOS_SEED"); seed == 0 && v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "ESCOTT_CHAOS_SEED")
	}
	if seed == 0 {
		seed = rand.Uint64N(1_000_000_000) + 1
	}
	if v := os.Getenv("ESCOTT_CHAOS_OPS"); ops == 0 && v != "" {
		var err error
		ops, err = strconv.Atoi(v)
		require.NoError(t, err, "ESCOTT_CHAOS_OPS")
	}
	if ops == 0 {
		ops = 300
		if testing.Short() {
			ops = 100
		}
	}
	return seed, ops
}

func TestChaos(t *testing.T) {
	seed, budget := chaosSettings(t)
	t.Logf("chaos seed %d, %d operations (reproduce: go test -race -run TestChaos -chaos.seed=%d -chaos.ops=%d .)",
		seed, budget, seed, budget)

	// The gateway keeps MaxKeptRequests; a longer run uses several.
	const perGateway = escotttest.MaxKeptRequests / 4
	var all []chaosViolation
	applied := map[string]int{}
	violatedBy := map[string]int{}
	total := 0
	for round := 0; total < budget; round++ {
		n := min(budget-total, perGateway)
		v, done, app := chaosRound(t, seed, round, n)
		all = append(all, v...)
		total += done
		for k, c := range app {
			applied[k] += c
		}
	}
	seenKey := map[string]bool{}
	for _, v := range all {
		if !seenKey[v.key] {
			seenKey[v.key] = true
			violatedBy[v.fault]++
		}
	}
	names := make([]string, 0, len(applied))
	for k := range applied {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "\n  %-48s %6d applied, %5d with a violation", k, applied[k], violatedBy[k])
	}
	faults := 0
	for k, c := range applied {
		if k != "none" {
			faults += c
		}
	}
	t.Logf("chaos: %d operations, %d faults injected, %d violations; per kind:%s", total, faults, len(all), b.String())
	if len(all) == 0 {
		return
	}
	byKind := map[string]int{}
	for i, v := range all {
		byKind[v.kind+" ← "+v.fault]++
		if i < 40 {
			t.Logf("violation: %s: %s [fault %s]: %s", v.kind, v.key, v.fault, v.detail)
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t.Logf("  %4d × %s", byKind[k], k)
	}
	t.Errorf("chaos seed %d: %d violations of the exactly-once / truthful-outcome invariant", seed, len(all))
}

// chaosRound runs n operations against a fresh gateway and proxy.
func chaosRound(t *testing.T, seed uint64, round, n int) ([]chaosViolation, int, map[string]int) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()

	var plans sync.Map // key → chaosFault
	plan := func(key string) chaosFault {
		f, _ := plans.Load(key)
		f2, _ := f.(chaosFault)
		return f2
	}
	px, err := chaos.New(chaos.Options{
		Upstream:  srv.URL,
		SlowDelay: chaosTimeout + 700*time.Millisecond,
		Decide: func(form url.Values) chaos.Kind {
			return plan(form.Get("MerchantFree1") + "/" + form.Get("OperateId")).proxy
		},
	})
	require.NoError(t, err)
	defer px.Close()

	jn := &faultyJournal{inner: escott.NewMemoryJournal(), plan: plan, op: map[string]string{}, finished: map[string][]escott.Outcome{}}
	mk := func(base string, opts ...escott.Option) *escott.Client {
		cfg := srv.Config()
		cfg.BaseURL = base
		c, err := escott.NewClient(cfg, append(opts, escott.WithJournal(jn), escott.WithTimeout(chaosTimeout))...)
		require.NoError(t, err)
		return c
	}
	clients := []struct {
		name string
		c    *escott.Client
	}{
		{"default-client/http1", mk(px.PlainURL)},
		{"host-client/h2", mk(px.TLSURL, escott.WithHTTPClient(px.Client()))},
		{"host-client/tls-http1", mk(px.TLSURL, escott.WithHTTPClient(px.ClientHTTP1()))},
	}

	// Stored-card members, registered directly with the gateway.
	direct := srv.Client()
	members := make([]escott.Member, 4)
	for i := range members {
		m := escott.NewMember()
		_, err := direct.Member.Register(context.Background(), m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
		require.NoError(t, err)
		members[i] = m
	}

	var (
		mu       sync.Mutex
		attempts []*chaosAttempt
		done     atomic.Int64
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	record := func(a *chaosAttempt) {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
		done.Add(1)
	}
	prefix := fmt.Sprintf("CH%dR%d", seed%1_000_000, round)
	order := func(i int) {
		r := rand.New(rand.NewPCG(seed, uint64(round)<<32|uint64(i)))
		cl := clients[r.IntN(len(clients))]
		linkKey := prefix + "N" + strconv.Itoa(i)
		call := func(op, amount string, f func(ctx context.Context) (*escott.Payment, error)) *chaosAttempt {
			a := &chaosAttempt{key: linkKey + "/" + op, linkKey: linkKey, op: op, amount: amount, client: cl.name, fault: pickFault(r)}
			plans.Store(a.key, a.fault)
			a.start = time.Now()
			a.pay, a.err = f(context.Background())
			a.dur = time.Since(a.start)
			record(a)
			return a
		}
		if r.IntN(100) < 8 {
			// A card check (1Check): it consumes the token, so a lost answer
			// is not "not processed" either.
			tok := srv.MustToken(escotttest.CardVisa)
			call(escott.OpCheck, "", func(ctx context.Context) (*escott.Payment, error) {
				return cl.c.Card.Check(ctx, &escott.CheckParams{Source: tok, LinkKey: linkKey})
			})
			return
		}
		var src escott.CardSource
		switch x := r.IntN(100); {
		case x < 50:
			src = srv.MustToken(escotttest.CardVisa)
		case x < 65:
			src = srv.MustToken(escotttest.CardDeclined)
		default:
			src = members[r.IntN(len(members))]
		}
		capture, op := escott.CaptureNow, escott.OpGathering
		if r.IntN(2) == 0 {
			capture, op = escott.CaptureLater, escott.OpAuth
		}
		amount := int64(100 + r.IntN(99_000))
		a := call(op, strconv.FormatInt(amount, 10), func(ctx context.Context) (*escott.Payment, error) {
			return cl.c.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(amount), Source: src, Capture: capture, LinkKey: linkKey})
		})
		if a.err != nil {
			return
		}
		proc := a.pay.Process
		if r.IntN(100) < 40 {
			amount += 1 + int64(r.IntN(1000))
			call(escott.OpChange, strconv.FormatInt(amount, 10), func(ctx context.Context) (*escott.Payment, error) {
				return cl.c.Card.ChangeAmount(ctx, proc, &escott.ChangeAmountParams{Amount: escott.Yen(amount)})
			})
		}
		if capture == escott.CaptureLater && r.IntN(100) < 70 {
			call(escott.OpCapture, "", func(ctx context.Context) (*escott.Payment, error) {
				return cl.c.Card.Capture(ctx, proc, nil)
			})
		}
		if r.IntN(100) < 35 {
			a := call(escott.OpDelete, "", func(ctx context.Context) (*escott.Payment, error) {
				return cl.c.Card.Cancel(ctx, proc, nil)
			})
			if a.err == nil && r.IntN(100) < 40 {
				// A new authorisation from the cancelled one (1ReAuth).
				amount = 100 + int64(r.IntN(99_000))
				call(escott.OpReAuth, strconv.FormatInt(amount, 10), func(ctx context.Context) (*escott.Payment, error) {
					return cl.c.Card.Reauthorize(ctx, proc, &escott.ReauthorizeParams{Amount: escott.Yen(amount)})
				})
			}
		}
	}
	for range chaosWorkers {
		wg.Go(func() {
			for int(done.Load()) < n {
				order(int(next.Add(1)))
			}
		})
	}
	wg.Wait()
	px.Wait()
	time.Sleep(chaosStall) // let stalled journal calls the client abandoned end
	v, applied := checkChaos(srv, px, jn, attempts, prefix)
	return v, len(attempts), applied
}

// checkChaos compares what each attempt was told with the gateway's request
// log and the journal.
func checkChaos(srv *escotttest.Server, px *chaos.Proxy, jn *faultyJournal, attempts []*chaosAttempt, prefix string) ([]chaosViolation, map[string]int) {
	arrivals := map[string]int{}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Fields.Get("MerchantFree1"), prefix) {
			arrivals[r.Fields.Get("MerchantFree1")+"/"+r.OperateID]++
		}
	}
	type seen struct {
		n         int
		forwarded []chaos.Sighting
		all       []chaos.Sighting
	}
	sightings := map[string]*seen{}
	for _, s := range px.Sightings() {
		x := sightings[s.Key]
		if x == nil {
			x = &seen{}
			sightings[s.Key] = x
		}
		x.n++
		x.all = append(x.all, s)
		if s.Forwarded {
			x.forwarded = append(x.forwarded, s)
		}
	}
	away := map[string]int{}
	for _, f := range px.AwayRequests() {
		away[f.Get("MerchantFree1")+"/"+f.Get("OperateId")]++
	}
	pending, _ := jn.inner.Pending(context.Background(), time.Now().Add(time.Hour))
	isPending := map[string]bool{}
	for _, p := range pending {
		isPending[p.LinkKey+"/"+p.Operation] = true
	}

	var out []chaosViolation
	applied := map[string]int{}
	for _, a := range attempts {
		x := sightings[a.key]
		if x == nil {
			x = &seen{}
		}
		label := a.fault.String()
		switch {
		case a.fault.proxy != chaos.None && len(x.all) == 0:
			label = "" // never reached the proxy (refused by the journal, in flight, …)
		case (a.fault.proxy == chaos.StreamReset || a.fault.proxy == chaos.GoAway) && x.all[0].Proto != "HTTP/2.0":
			label += " (as tcp-reset-after on HTTP/1.1)"
		case a.fault == chaosFault{}:
			label = "none" // a violation here comes from another request's fault on the same connection
		}
		if label != "" {
			applied[label]++
		}
		bad := func(kind, format string, args ...any) {
			out = append(out, chaosViolation{kind: kind, key: a.key, fault: label,
				detail: fmt.Sprintf("%s: ", a.client) + fmt.Sprintf(format, args...)})
		}
		arr := arrivals[a.key]
		if arr != len(x.forwarded) {
			bad("proxy and gateway disagree", "gateway log %d arrivals, proxy forwarded %d", arr, len(x.forwarded))
		}
		// A K81 refusal is legitimately followed by one more request.
		allowed := 1
		for _, s := range x.forwarded {
			if strings.Contains(s.Answer.Get("ResponseCd"), "K81") {
				allowed++
			}
		}
		okAnswers, refusals := 0, []string{}
		for _, s := range x.forwarded {
			if cd := s.Answer.Get("ResponseCd"); cd == "OK" {
				okAnswers++
			} else {
				refusals = append(refusals, cd)
			}
		}
		if arr > allowed {
			bad("charged twice", "%d arrivals at the gateway for one attempt (sightings: %s)", arr, describe(x.all))
		} else if x.n > allowed {
			bad("re-sent", "the proxy received it %d times (sightings: %s)", x.n, describe(x.all))
		}
		if n := away[a.key]; n > 0 {
			bad("sent to another host", "the redirect target received it %d times (merchant password and token included)", n)
		}
		for _, s := range x.all {
			if late := s.At.Sub(a.start); late > chaosTimeout+chaosSlack {
				bad("sent after the deadline", "request %d reached the proxy %v after the call started (timeout %v)", s.N, late.Round(time.Millisecond), chaosTimeout)
			}
		}
		if a.dur > chaosTimeout+chaosSlack {
			bad("call overran its deadline", "returned after %v (timeout %v), err=%v", a.dur.Round(time.Millisecond), chaosTimeout, a.err)
		}
		var (
			gerr *escott.Error
			ou   *escott.OutcomeUnknownError
		)
		switch {
		case a.err == nil:
			if okAnswers == 0 {
				bad("success that did not happen", "reported success (ProcessId %s) but no OK answer from the gateway for this attempt (arrivals %d)", a.pay.Process.ID, arr)
				break
			}
			if !matchesOK(a, x.forwarded) {
				bad("cross-wired success", "reported ProcessId %s / TransactionId %s / MerchantFree1 %s, the gateway answered %s",
					a.pay.Process.ID, a.pay.TransactionID, a.pay.MerchantFree1, describe(x.forwarded))
			}
		case errors.As(a.err, &gerr):
			codes := make([]string, len(gerr.Codes))
			for i, c := range gerr.Codes {
				codes[i] = c.Value
			}
			got := strings.Join(codes, "|")
			if !slices.Contains(refusals, got) {
				bad("refusal the gateway did not give", "reported refused %s; the gateway answered %s", got, describe(x.forwarded))
			}
		case errors.As(a.err, &ou):
			if a.op != escott.OpCheck && !isPending[a.key] { // 1Check moves no money: not journaled
				bad("unknown outcome not in the journal", "reported unknown, but the journal has no pending attempt (finished as %v)", jn.finished[a.key])
			}
		default:
			// Refused arrivals moved no money: "not processed" is then true.
			if okAnswers > 0 {
				bad("processed, reported not processed", "%d arrivals (answers %s), reported %T: %v", arr, describe(x.forwarded), a.err, a.err)
			}
		}
		if fin := jn.finished[a.key]; okAnswers > 0 && len(fin) > 0 && fin[len(fin)-1] == escott.OutcomeRejected {
			bad("journal says rejected", "the gateway answered %s, the journal recorded %v", describe(x.forwarded), fin)
		}
	}
	return out, applied
}

// matchesOK: the success reported is one of the gateway's OK answers to this
// attempt, for the amount sent.
func matchesOK(a *chaosAttempt, forwarded []chaos.Sighting) bool {
	for _, s := range forwarded {
		if s.Answer.Get("ResponseCd") != "OK" || s.Request.Get("MerchantFree1") != a.linkKey || s.Request.Get("OperateId") != a.op {
			continue
		}
		if a.amount != "" && s.Request.Get("Amount") != a.amount {
			continue
		}
		if id := s.Answer.Get("ProcessId"); id != "" && id != a.pay.Process.ID {
			continue
		}
		if tid := s.Answer.Get("TransactionId"); tid != "" && tid != a.pay.TransactionID {
			continue
		}
		return true
	}
	return false
}

func describe(ss []chaos.Sighting) string {
	if len(ss) == 0 {
		return "nothing"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		ans := "no answer"
		if s.Forwarded {
			ans = "ResponseCd=" + s.Answer.Get("ResponseCd") + " ProcessId=" + s.Answer.Get("ProcessId") + " MerchantFree1=" + s.Answer.Get("MerchantFree1")
		}
		parts[i] = fmt.Sprintf("#%d %s %s Amount=%s → %s", s.N, s.Proto, s.Applied, s.Request.Get("Amount"), ans)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
