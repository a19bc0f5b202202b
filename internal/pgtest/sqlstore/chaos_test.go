package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
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
	"github.com/escott-go/escott/sqlstore"
)

// The chaos tests of the inbound handlers (docs/testing.md): the
// notification handler and the 3-D Secure return and PostUrl handlers, with
// the PostgreSQL stores, under redeliveries, concurrent copies, failing host
// callbacks and instances that crash and restart at random points.
var (
	chaosSeed     = flag.Uint64("chaos.seed", 0, "seed of the chaos tests (0: $ESCOTT_CHAOS_SEED, else random)")
	chaosPayments = flag.Int("chaos.payments", 0, "payments per chaos test (0: $ESCOTT_CHAOS_PAYMENTS, else 60)")
)

func chaosSettings(t *testing.T) (uint64, int) {
	seed, n := *chaosSeed, *chaosPayments
	if v := os.Getenv("ESCOTT_CHAOS_SEED"); seed == 0 && v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "ESCOTT_CHAOS_SEED")
	}
	if seed == 0 {
		seed = rand.Uint64N(1_000_000_000) + 1
	}
	if v := os.Getenv("ESCOTT_CHAOS_PAYMENTS"); n == 0 && v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, "ESCOTT_CHAOS_PAYMENTS")
	}
	if n == 0 {
		n = 60
	}
	return seed, n
}

// crash is what happens to the instance serving one delivery.
type crash int

const (
	crashNone         crash = iota
	crashHostFails          // the host's callback returns an error (a transient failure)
	crashBefore             // the instance dies before the host callback does anything
	crashAfterAccept        // the SDK accepted, the instance dies before the host recorded it
	crashAfterRecord        // the host recorded it, the instance dies before Done / before answering
	crashBeforeAnswer       // everything done, the instance dies before the answer leaves
	numCrashes
)

func (c crash) String() string {
	return [...]string{"none", "host-callback-fails", "crash-before-callback", "crash-after-accept",
		"crash-after-record", "crash-before-answer"}[c]
}

// errInstanceDead is what a store of a crashed instance answers: a dead
// process writes nothing more.
var errInstanceDead = errors.New("chaos: instance crashed")

// deadDedupe is a DedupeStore that stops when its instance has crashed.
type deadDedupe struct {
	escott.DedupeStore
	dead *atomic.Bool
	host *hostDB
}

func (d deadDedupe) Claim(ctx context.Context, key string) (escott.ClaimResult, error) {
	if d.dead.Load() {
		return 0, errInstanceDead
	}
	return d.DedupeStore.Claim(ctx, key)
}

func (d deadDedupe) Done(ctx context.Context, key string) error {
	if d.dead.Load() {
		// The host recorded the payment, the instance died before marking it
		// done: a redelivery runs the subscriber again (documented).
		if pk, ok := ctx.Value(paymentKey{}).(string); ok {
			d.host.mu.Lock()
			d.host.window[pk]++
			d.host.mu.Unlock()
		}
		return errInstanceDead
	}
	return d.DedupeStore.Done(ctx, key)
}

func (d deadDedupe) Release(ctx context.Context, key string) error {
	if d.dead.Load() {
		return errInstanceDead
	}
	return d.DedupeStore.Release(ctx, key)
}

type (
	crashKey   struct{}
	paymentKey struct{}
)

// hostDB is what the shop recorded: per payment, how many times.
type hostDB struct {
	mu       sync.Mutex
	recorded map[string]int
	window   map[string]int // crashes between the record and the SDK's completion
	log      []string
}

func newHostDB() *hostDB { return &hostDB{recorded: map[string]int{}, window: map[string]int{}} }

func (h *hostDB) record(key string) {
	h.mu.Lock()
	h.recorded[key]++
	h.mu.Unlock()
}

func (h *hostDB) count(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recorded[key]
}

func (h *hostDB) note(format string, args ...any) {
	h.mu.Lock()
	h.log = append(h.log, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

// TestChaosNotifications: every payment notification reaches the host's
// subscriber once, whatever crashes, restarts and concurrent redeliveries;
// none is lost, and none is acknowledged before the host recorded it.
func TestChaosNotifications(t *testing.T) {
	seed, n := chaosSettings(t)
	t.Logf("chaos seed %d, %d payments (reproduce: go test -race -run TestChaosNotifications -chaos.seed=%d -chaos.payments=%d ./sqlstore)",
		seed, n, seed, n)
	dbs := []*sql.DB{testDB(t), testDB(t)}
	table := testTable(t, dbs[0], "escott_dd_chaos")
	const lease = 500 * time.Millisecond
	host := newHostDB()
	gw := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(gw.Close)
	cl := gw.Client()

	type instance struct {
		h    *escott.NotificationHandler
		dead *atomic.Bool
	}
	newInstance := func(gen int) *instance {
		db := dbs[gen%len(dbs)]
		st, err := sqlstore.NewDedupeStore(context.Background(), db, sqlstore.WithTable(table), sqlstore.WithLease(lease))
		require.NoError(t, err)
		in := &instance{dead: new(atomic.Bool)}
		h, err := cl.NotificationHandler(escott.WithDedupeStore(deadDedupe{DedupeStore: st, dead: in.dead, host: host}))
		require.NoError(t, err)
		h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
			key := p.TransactionID + "/" + p.ReceiptNumber
			switch c, _ := ctx.Value(crashKey{}).(crash); c {
			case crashHostFails:
				return errors.New("host database unavailable")
			case crashBefore, crashAfterAccept:
				in.dead.Store(true)
				return errInstanceDead
			case crashAfterRecord:
				host.record(key)
				in.dead.Store(true)
				return nil
			}
			host.record(key)
			return nil
		})
		in.h = h
		return in
	}
	lb := newBalancer(newInstance)
	pick, restart := lb.pick, lb.restart

	// The payments; a few pairs whose fields would collide in a key joined
	// with '|'.
	type payment struct {
		key    string
		fields url.Values
	}
	payments := make([]payment, 0, n)
	for i := 0; len(payments) < n; i++ {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		tx, recv := fmt.Sprintf("77%08d%08d", seed%1e8, i), fmt.Sprintf("R%d", r.IntN(1e6))
		if r.IntN(100) < 5 && len(payments)+2 <= n {
			for _, p := range [][2]string{{tx + "|1", "2"}, {tx, "1|2"}} {
				payments = append(payments, payment{key: p[0] + "/" + p[1], fields: escotttest.NewNotification(escotttest.NotificationParams{
					TransactionID: p[0], ReceiptNumber: p[1], LinkKey: "L" + strconv.Itoa(i)})})
			}
			continue
		}
		payments = append(payments, payment{key: tx + "/" + recv, fields: escotttest.NewNotification(escotttest.NotificationParams{
			TransactionID: tx, ReceiptNumber: recv, LinkKey: "L" + strconv.Itoa(i)})})
	}

	var (
		applied   sync.Map // crash → *atomic.Int64
		violMu    sync.Mutex
		viol      []string
		refused   atomic.Int64
		delivered atomic.Int64
	)
	bad := func(format string, args ...any) {
		violMu.Lock()
		viol = append(viol, fmt.Sprintf(format, args...))
		violMu.Unlock()
	}
	count := func(c crash) {
		v, _ := applied.LoadOrStore(c, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	// deliver posts one copy; ok means a live instance answered 200.
	deliver := func(p payment, r *rand.Rand, calm bool) (status int) {
		c := crashNone
		if !calm && r.IntN(100) < 60 {
			c = crash(1 + r.IntN(int(numCrashes)-1))
		}
		i, in := pick(r)
		req := escotttest.NotificationRequest(p.fields)
		req = req.WithContext(context.WithValue(context.WithValue(req.Context(), crashKey{}, c), paymentKey{}, p.key))
		w := httptest.NewRecorder()
		if !in.dead.Load() {
			in.h.ServeHTTP(w, req)
		} else {
			w.Code = http.StatusBadGateway
		}
		delivered.Add(1)
		count(c)
		if c == crashBeforeAnswer && w.Code == http.StatusOK {
			in.dead.Store(true)
		}
		if in.dead.Load() {
			restart(i, in)
			return http.StatusBadGateway
		}
		if !calm && r.IntN(100) < 10 {
			restart(i, in) // a deploy: graceful restart
		}
		if w.Code == http.StatusOK && host.count(p.key) == 0 {
			bad("acknowledged but not recorded: payment %s (crash %s)", p.key, c)
		}
		return w.Code
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, 12)
	for i, p := range payments {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := rand.New(rand.NewPCG(seed, 1<<32|uint64(i)))
			acked := false
			for try := 0; try < 8 && !acked; try++ {
				// 1–3 copies at once: a redelivery overlapping a slow first copy.
				copies := 1 + r.IntN(3)
				var cw sync.WaitGroup
				var got atomic.Bool
				for c := range copies {
					cr := rand.New(rand.NewPCG(seed, uint64(i)<<16|uint64(try)<<4|uint64(c)|1<<40))
					cw.Go(func() {
						switch st := deliver(p, cr, false); {
						case st == http.StatusOK:
							got.Store(true)
						case st >= 400 && st < 500:
							refused.Add(1)
							bad("refused with %d: payment %s", st, p.key)
							got.Store(true) // a refused notification is not redelivered
						}
					})
				}
				cw.Wait()
				acked = got.Load()
				time.Sleep(time.Duration(50+r.IntN(150)) * time.Millisecond)
			}
			// The gateway goes on redelivering (about hourly, up to 5 times).
			for try := 0; try < 20 && !acked; try++ {
				acked = deliver(p, r, true) == http.StatusOK
				if !acked {
					time.Sleep(lease / 2)
				}
			}
			if !acked {
				bad("never acknowledged: payment %s", p.key)
			}
		})
	}
	wg.Wait()

	for _, p := range payments {
		got := host.count(p.key)
		host.mu.Lock()
		window := host.window[p.key]
		host.mu.Unlock()
		switch {
		case got == 0:
			bad("lost: payment %s never reached the host", p.key)
		case got > 1+window:
			bad("delivered %d times: payment %s (%d crashes between the host's record and the dedupe store's Done)", got, p.key, window)
		}
	}
	var kinds []string
	applied.Range(func(k, v any) bool {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	slices.Sort(kinds)
	t.Logf("chaos: %d payments, %d deliveries, %d instance restarts; faults: %s", len(payments), delivered.Load(),
		lb.restarts.Load(), strings.Join(kinds, " "))
	for i, v := range viol {
		if i < 30 {
			t.Logf("violation: %s", v)
		}
	}
	if len(viol) > 0 {
		t.Errorf("chaos seed %d: %d violations of exactly-once delivery", seed, len(viol))
	}
}

// deadTDS is a ThreeDSStore that stops when its instance has crashed.
type deadTDS struct {
	escott.ThreeDSStore
	dead *atomic.Bool
	host *hostDB
}

func (d deadTDS) Save(ctx context.Context, a *escott.ThreeDSAttempt) error {
	if d.dead.Load() {
		return errInstanceDead
	}
	return d.ThreeDSStore.Save(ctx, a)
}

func (d deadTDS) Claim(ctx context.Context, linkKey string) (string, *escott.ThreeDSResult, error) {
	if d.dead.Load() {
		return "", nil, errInstanceDead
	}
	return d.ThreeDSStore.Claim(ctx, linkKey)
}

func (d deadTDS) Release(ctx context.Context, linkKey, claim string) error {
	if d.dead.Load() {
		return errInstanceDead // the claim lapses after the lease
	}
	return d.ThreeDSStore.Release(ctx, linkKey, claim)
}

func (d deadTDS) Complete(ctx context.Context, linkKey string, res *escott.ThreeDSResult) (*escott.ThreeDSResult, error) {
	if d.dead.Load() {
		if d.host.count(linkKey) > 0 {
			d.host.mu.Lock()
			d.host.window[linkKey]++ // recorded, but the completion died with the instance
			d.host.mu.Unlock()
		}
		return nil, errInstanceDead
	}
	return d.ThreeDSStore.Complete(ctx, linkKey, res)
}

// TestChaosThreeDS: every mode A 3-D Secure authorisation is recorded by the
// host exactly once — through the browser return or the PostUrl copy,
// whichever arrives, on whichever instance — while instances crash and
// restart, host callbacks fail, and the gateway redelivers the copy.
func TestChaosThreeDS(t *testing.T) {
	seed, n := chaosSettings(t)
	t.Logf("chaos seed %d, %d payments (reproduce: go test -race -run TestChaosThreeDS -chaos.seed=%d -chaos.payments=%d ./sqlstore)",
		seed, n, seed, n)
	dbs := []*sql.DB{testDB(t), testDB(t)}
	table := testTable(t, dbs[0], "escott_tds_chaos")
	const lease = 500 * time.Millisecond // a crashed instance's claim is taken over after it
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	host := newHostDB()

	type instance struct {
		c    *escott.Client
		post http.Handler
		dead *atomic.Bool
	}
	newInstance := func(gen int) *instance {
		db := dbs[gen%len(dbs)]
		st, err := sqlstore.NewThreeDSStore(context.Background(), db, sqlstore.WithTable(table), sqlstore.WithLease(lease))
		require.NoError(t, err)
		in := &instance{dead: new(atomic.Bool)}
		in.c = srv.Client(escott.WithThreeDSStore(deadTDS{ThreeDSStore: st, dead: in.dead, host: host}))
		// hostCallback is the shop's PostUrl callback: for a payment it
		// records the order; for a failure it notes it.
		hostCallback := func(ctx context.Context, res *escott.ThreeDSResult, err error) error {
			c, _ := ctx.Value(crashKey{}).(crash)
			switch c {
			case crashHostFails:
				return errors.New("host database unavailable")
			case crashBefore, crashAfterAccept:
				in.dead.Store(true)
				return errInstanceDead
			}
			if res.Payment == nil {
				host.note("PostUrl callback without a payment: %s err=%v", res.LinkKey, err)
				return nil
			}
			host.record(res.LinkKey)
			if c == crashAfterRecord {
				in.dead.Store(true)
			}
			return nil
		}
		in.post = in.c.ThreeDS.PostURLHandler(func(ctx context.Context, res *escott.ThreeDSResult) error {
			return hostCallback(ctx, res, nil)
		}, func(ctx context.Context, ae *escott.AuthenticationError) error {
			return hostCallback(ctx, ae.Result, ae)
		})
		return in
	}
	lb := newBalancer(newInstance)
	pick, restart := lb.pick, lb.restart

	var (
		applied  sync.Map
		seq      atomic.Uint64
		calm     atomic.Bool
		copiesMu sync.Mutex
		copies   = map[string]string{}   // link key → PostUrl body, while not acknowledged
		evKey    = map[string]string{}   // EncryptValue → link key
		events   = map[string][]string{} // EncryptValue → what happened to each delivery
		redelWG  sync.WaitGroup
	)
	count := func(c crash) {
		v, _ := applied.LoadOrStore(c, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	evKeyOf := func(ev string) string {
		copiesMu.Lock()
		defer copiesMu.Unlock()
		return evKey[ev]
	}
	// serve routes one request to an instance, with a crash decided per
	// request (reproducible per seed and arrival order).
	serve := func(w http.ResponseWriter, r *http.Request, post bool) {
		rr := rand.New(rand.NewPCG(seed, 2<<40|seq.Add(1)))
		c := crashNone
		if !calm.Load() && rr.IntN(100) < 60 {
			c = crash(1 + rr.IntN(int(numCrashes)-1))
		}
		i, in := pick(rr)
		count(c)
		status := http.StatusBadGateway
		doa := in.dead.Load()
		lk := evKeyOf(r.PostForm.Get("EncryptValue"))
		before := host.count(lk)
		switch {
		case doa || c == crashBefore && !post:
			in.dead.Store(true)
		case post:
			rec := httptest.NewRecorder()
			in.post.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), crashKey{}, c)))
			status = rec.Code
		default:
			// The host's recording of the order on its return page.
			record := func(_ context.Context, res *escott.ThreeDSResult) error {
				switch c {
				case crashHostFails:
					return errors.New("host database unavailable")
				case crashAfterAccept:
					in.dead.Store(true)
					return errInstanceDead
				}
				host.record(res.LinkKey)
				if c == crashAfterRecord {
					in.dead.Store(true)
				}
				return nil
			}
			res, err := in.c.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: record})
			if ae := (*escott.AuthenticationError)(nil); errors.As(err, &ae) {
				res = ae.Result // an accepted return whose outcome is a failure
			}
			status = http.StatusOK
			switch {
			case res == nil && errors.Is(err, escott.ErrReturnRefused):
				status = http.StatusBadRequest
			case res == nil && errors.Is(err, escott.ErrReturnInProgress):
				status = http.StatusServiceUnavailable // "being processed": the page reloads
			case res == nil:
				status = http.StatusInternalServerError
			case res.Payment == nil:
				host.note("browser return without a payment: %s err=%v", res.LinkKey, err)
			}
		}
		if c == crashBeforeAnswer {
			in.dead.Store(true)
		}
		if in.dead.Load() {
			restart(i, in)
			status = http.StatusBadGateway
		} else if rr.IntN(100) < 10 {
			restart(i, in)
		}
		path := "return"
		if post {
			path = "post"
		}
		copiesMu.Lock()
		ev := r.PostForm.Get("EncryptValue")
		note := ""
		if doa {
			note = " (instance already dead)"
		}
		if d := host.count(lk) - before; d > 0 {
			note += fmt.Sprintf(" +%d recorded", d)
		}
		events[ev] = append(events[ev], fmt.Sprintf("%s@%d:%s→%d%s", path, i, c, status, note))
		copiesMu.Unlock()
		w.WriteHeader(status)
	}
	var front *httptest.Server
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.URL.Path != "/post" {
			serve(w, r, false)
			return
		}
		body := r.PostForm.Encode()
		rec := httptest.NewRecorder()
		serve(rec, r, true)
		w.WriteHeader(rec.Code)
		if rec.Code == http.StatusOK {
			copiesMu.Lock()
			for k, v := range copies {
				if v == body {
					delete(copies, k)
				}
			}
			copiesMu.Unlock()
			return
		}
		if r.Header.Get("X-Redelivery") == "" {
			// The gateway redelivers a copy that was not accepted.
			redelWG.Go(func() {
				for try := 0; try < 3; try++ {
					time.Sleep(100 * time.Millisecond)
					req, _ := http.NewRequest(http.MethodPost, front.URL+"/post", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("X-Redelivery", "1")
					res, err := http.DefaultClient.Do(req)
					if err == nil {
						_ = res.Body.Close()
						if res.StatusCode == http.StatusOK {
							return
						}
					}
				}
			})
		}
	}))
	t.Cleanup(front.Close)

	ctx := context.Background()
	linkKeys := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := rand.New(rand.NewPCG(seed, 3<<40|uint64(i)))
			var form *escott.ThreeDSForm
			for try := 0; try < 5 && form == nil; try++ {
				_, in := pick(r)
				f, err := in.c.ThreeDS.StartAuthorize(ctx, &escott.ThreeDSStartParams{
					Amount: escott.Yen(int64(500 + r.IntN(50_000))), Source: srv.MustToken(escotttest.CardVisa),
					BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp",
					RedirectURL: front.URL + "/return", PostURL: front.URL + "/post",
				})
				if err == nil {
					form = f
				}
			}
			if form == nil {
				return
			}
			linkKeys[i] = form.LinkKey
			ret, err := srv.Authenticate(ctx, form, nil)
			if err != nil {
				t.Errorf("authenticate %s: %v", form.LinkKey, err)
				return
			}
			copiesMu.Lock()
			copies[form.LinkKey] = url.Values{"EncryptValue": ret.Fields["EncryptValue"]}.Encode()
			evKey[ret.Fields.Get("EncryptValue")] = form.LinkKey
			copiesMu.Unlock()
			if r.IntN(100) < 20 {
				return // the shopper closed the tab: only the PostUrl copy comes
			}
			for try := 0; try < 3; try++ { // the browser, reloaded after an error page
				res, err := http.PostForm(front.URL+"/return", ret.Fields)
				if err == nil {
					_ = res.Body.Close()
					if res.StatusCode < 500 {
						break
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	srv.WaitPostURL()
	redelWG.Wait()
	// Later redeliveries of the copies not yet accepted, with no crash.
	calm.Store(true)
	copiesMu.Lock()
	left := make([]string, 0, len(copies))
	for _, v := range copies {
		left = append(left, v)
	}
	copiesMu.Unlock()
	// The gateway goes on redelivering a copy that was not accepted.
	for _, body := range left {
		for try := 0; try < 20; try++ {
			res, err := http.Post(front.URL+"/post", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err == nil {
				_ = res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(lease / 2)
		}
	}

	authorised := map[string]bool{}
	for _, a := range srv.ThreeDSAttempts() {
		if a.ProcessID != "" && a.ResponseCode == "OK" {
			authorised[a.LinkKey] = true
		}
	}
	history := map[string]string{}
	for ev, e := range events {
		history[evKey[ev]] = strings.Join(e, ", ")
	}
	var viol []string
	for _, lk := range linkKeys {
		if lk == "" {
			continue
		}
		got := host.count(lk)
		host.mu.Lock()
		window := host.window[lk]
		host.mu.Unlock()
		switch {
		case authorised[lk] && got == 0:
			viol = append(viol, fmt.Sprintf("lost: %s was authorised by the gateway, the host never recorded it [%s]", lk, history[lk]))
		case got > 1+window:
			viol = append(viol, fmt.Sprintf("recorded %d times: %s (%d crashes between the host's record and the completion) [%s]", got, lk, window, history[lk]))
		case !authorised[lk] && got > 0:
			viol = append(viol, fmt.Sprintf("recorded but not authorised: %s", lk))
		}
	}
	var kinds []string
	applied.Range(func(k, v any) bool {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	slices.Sort(kinds)
	t.Logf("chaos: %d payments (%d authorised), %d deliveries, %d PostUrl copies from the gateway, %d instance restarts; faults: %s",
		n, len(authorised), seq.Load(), len(srv.PostURLDeliveries()), lb.restarts.Load(), strings.Join(kinds, " "))
	for _, l := range host.log {
		t.Logf("host: %s", l)
	}
	for i, v := range viol {
		if i < 30 {
			t.Logf("violation: %s", v)
		}
	}
	if len(viol) > 0 {
		t.Errorf("chaos seed %d: %d violations of exactly-once recording", seed, len(viol))
	}
}

// balancer is the load balancer in front of a handler chaos test's
// instances: three slots, a random pick per delivery, and restarts that
// replace a crashed instance once (two deliveries may find the same one
// dead). start makes the instance of generation gen.
type balancer[T comparable] struct {
	start    func(gen int) T
	mu       sync.Mutex
	slots    [3]T
	gen      int
	restarts atomic.Int64
}

func newBalancer[T comparable](start func(gen int) T) *balancer[T] {
	b := &balancer[T]{start: start}
	for i := range b.slots {
		b.slots[i] = b.next()
	}
	return b
}

// next starts an instance of the next generation.
func (b *balancer[T]) next() T {
	b.mu.Lock()
	b.gen++
	gen := b.gen
	b.mu.Unlock()
	return b.start(gen)
}

// pick returns a random slot and its instance.
func (b *balancer[T]) pick(r *rand.Rand) (int, T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := r.IntN(len(b.slots))
	return i, b.slots[i]
}

// restart replaces old in slot i, unless another delivery already did.
func (b *balancer[T]) restart(i int, old T) {
	fresh := b.next()
	b.mu.Lock()
	if b.slots[i] == old {
		b.slots[i] = fresh
		b.restarts.Add(1)
	}
	b.mu.Unlock()
}
