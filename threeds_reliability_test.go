package escott_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// recJournal is a memory journal that remembers every Finish, so a test can
// see what the client recorded (the memory journal forgets definite outcomes).
type recJournal struct {
	*escott.MemoryJournal
	mu       sync.Mutex
	finished map[string][]escott.AttemptResult
}

func newRecJournal() *recJournal {
	return &recJournal{MemoryJournal: escott.NewMemoryJournal(), finished: map[string][]escott.AttemptResult{}}
}

func (j *recJournal) Finish(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	j.mu.Lock()
	j.finished[linkKey] = append(j.finished[linkKey], r)
	j.mu.Unlock()
	return j.MemoryJournal.Finish(ctx, linkKey, r)
}

func (j *recJournal) results(linkKey string) []escott.AttemptResult {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]escott.AttemptResult(nil), j.finished[linkKey]...)
}

// Issue #11.4: in mode A a result with ResponseCd=OK and a real ProcessId is
// an authorisation, whatever SecureResultCode says. An unknown or missing code
// is reported for reconciliation, never as a rejection.
func TestThreeDSModeAUnknownSecureCodeIsNotRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(url.Values)
	}{
		{"unknown 5", func(v url.Values) { v.Set("SecureResultCode", "5") }},
		{"missing", func(v url.Values) { v.Del("SecureResultCode") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newRecJournal()
			srv, c := newTest(t, escott.WithJournal(j))
			sh := newShop(t, c)
			srv.HoldPostURL()
			form := startA(t, srv, c, sh, escotttest.CardVisa)
			ret := authenticate(t, srv, form, nil)
			plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
			require.NoError(t, err)
			require.Equal(t, "OK", plain.Get("ResponseCd"))
			require.NotEmpty(t, plain.Get("ProcessId"), "the gateway authorised")
			tc.set(plain)

			out := sh.deliver(t, page{action: ret.action, fields: forge(t, plain)})
			require.NotErrorIs(t, out.err, escott.ErrThreeDS, "not an authentication failure: money moved")
			require.NotNil(t, out.res)
			require.NotNil(t, out.res.Payment, "the authorisation is reported")
			assert.Equal(t, plain.Get("ProcessId"), out.res.Payment.Process.ID)
			assert.True(t, out.res.AuthenticationUnconfirmed, "flagged for reconciliation")
			for _, r := range j.results(form.LinkKey) {
				assert.NotEqual(t, escott.OutcomeRejected, r.Outcome, "the journal never says rejected")
			}
			rs := j.results(form.LinkKey)
			require.Len(t, rs, 1)
			assert.Equal(t, escott.OutcomeSucceeded, rs[0].Outcome)
			assert.Equal(t, plain.Get("ProcessId"), rs[0].ProcessID)
			srv.ReleasePostURL()
			srv.WaitPostURL()
		})
	}
}

// Issue #11.4, same family: a mode A OK without a ProcessId is not a
// rejection either; it is refused and the attempt stays open for recovery.
func TestThreeDSModeAOKWithoutProcessIDStaysOpen(t *testing.T) {
	j := newRecJournal()
	srv, c := newTest(t, escott.WithJournal(j))
	sh := newShop(t, c)
	srv.HoldPostURL()
	form := startA(t, srv, c, sh, escotttest.CardVisa)
	ret := authenticate(t, srv, form, nil)
	plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
	require.NoError(t, err)
	plain.Del("ProcessId")
	out := sh.deliver(t, page{action: ret.action, fields: forge(t, plain)})
	require.ErrorIs(t, out.err, escott.ErrReturnRefused)
	assert.Empty(t, j.results(form.LinkKey), "the journal entry stays in flight")
	pending, err := j.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, pending, 1)
	// The genuine copy settles it.
	srv.ReleasePostURL()
	srv.WaitPostURL()
	require.Len(t, sh.posts(), 1)
	rs := j.results(form.LinkKey)
	require.Len(t, rs, 1)
	assert.Equal(t, escott.OutcomeSucceeded, rs[0].Outcome)
}

// failingShop is a merchant whose PostUrl callback fails the first n times.
type failingShop struct {
	*httptest.Server
	failures atomic.Int32
	mu       sync.Mutex
	recorded []*escott.ThreeDSResult
	returns  []outcome
}

func newFailingShop(t *testing.T, c *escott.Client, failures int32) *failingShop {
	t.Helper()
	s := &failingShop{}
	s.failures.Store(failures)
	mux := http.NewServeMux()
	mux.HandleFunc("/return", func(w http.ResponseWriter, r *http.Request) {
		res, err := c.ThreeDS.HandleReturn(r, recordNothing)
		res = resultOf(res, err)
		s.mu.Lock()
		s.returns = append(s.returns, outcome{res, err})
		s.mu.Unlock()
		if res == nil {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "thanks")
	})
	mux.Handle("/post", c.ThreeDS.PostURLHandler(bothOutcomes(func(_ context.Context, res *escott.ThreeDSResult) error {
		if s.failures.Add(-1) >= 0 {
			return errors.New("database unavailable")
		}
		s.mu.Lock()
		s.recorded = append(s.recorded, res)
		s.mu.Unlock()
		return nil
	})))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *failingShop) lastReturn(t *testing.T) outcome {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.returns)
	return s.returns[len(s.returns)-1]
}

func (s *failingShop) postCopy(t *testing.T, fields url.Values) int {
	t.Helper()
	res, err := http.PostForm(s.URL+"/post", url.Values{"EncryptValue": fields["EncryptValue"]})
	require.NoError(t, err)
	_ = res.Body.Close()
	return res.StatusCode
}

func startAFor(t *testing.T, srv *escotttest.Server, c *escott.Client, base string) *escott.ThreeDSForm {
	t.Helper()
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(3200), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "hanako@example.jp", RedirectURL: base + "/return", PostURL: base + "/post",
	})
	require.NoError(t, err)
	return form
}

// Issue #11.5: a PostUrl callback that fails must not complete the attempt:
// the copy is answered with an error, a redelivered copy runs the callback
// again, and the browser return still completes the order.
func TestThreeDSPostURLCallbackFailureKeepsTheOrder(t *testing.T) {
	postURLCallbackFailureKeepsTheOrder(t, nil)
}

// postURLCallbackFailureKeepsTheOrder runs the #11.5 scenario with a store
// (nil: the default memory store). sqlstore has its own copy for PostgreSQL.
func postURLCallbackFailureKeepsTheOrder(t *testing.T, store escott.ThreeDSStore) {
	t.Run("redelivered copy", func(t *testing.T) {
		j := newRecJournal()
		opts := []escott.Option{escott.WithJournal(j)}
		if store != nil {
			opts = append(opts, escott.WithThreeDSStore(store))
		}
		srv, c := newTest(t, opts...)
		sh := newFailingShop(t, c, 1)
		srv.HoldPostURL()
		form := startAFor(t, srv, c, sh.URL)
		ret := authenticate(t, srv, form, nil)
		srv.ReleasePostURL()
		srv.WaitPostURL()
		d := srv.PostURLDeliveries()
		require.Len(t, d, 1)
		assert.Equal(t, http.StatusInternalServerError, d[0].StatusCode, "a failed callback answers an error")
		assert.Empty(t, j.results(form.LinkKey), "the journal does not say succeeded before the host recorded it")

		// The gateway redelivers the copy: the callback runs again.
		assert.Equal(t, http.StatusOK, sh.postCopy(t, ret.fields))
		sh.mu.Lock()
		require.Len(t, sh.recorded, 1, "the host recorded the order")
		assert.False(t, sh.recorded[0].Duplicate)
		require.NotNil(t, sh.recorded[0].Payment)
		sh.mu.Unlock()
		rs := j.results(form.LinkKey)
		require.Len(t, rs, 1)
		assert.Equal(t, escott.OutcomeSucceeded, rs[0].Outcome)
	})
	t.Run("browser return", func(t *testing.T) {
		j := newRecJournal()
		opts := []escott.Option{escott.WithJournal(j)}
		if store != nil {
			opts = append(opts, escott.WithThreeDSStore(store))
		}
		srv, c := newTest(t, opts...)
		sh := newFailingShop(t, c, 1)
		srv.HoldPostURL()
		form := startAFor(t, srv, c, sh.URL)
		ret := authenticate(t, srv, form, nil)
		srv.ReleasePostURL()
		srv.WaitPostURL()
		assert.Empty(t, j.results(form.LinkKey))

		res, err := http.PostForm(sh.URL+"/return", ret.fields)
		require.NoError(t, err)
		_ = res.Body.Close()
		out := sh.lastReturn(t)
		require.NoError(t, out.err)
		require.NotNil(t, out.res)
		assert.False(t, out.res.Duplicate, "the browser return completes the order")
		require.NotNil(t, out.res.Payment)
		rs := j.results(form.LinkKey)
		require.Len(t, rs, 1)
		assert.Equal(t, escott.OutcomeSucceeded, rs[0].Outcome)
	})
}

// Issue #11.8: StartAuthorize refused because the attempt already exists
// leaves no journal entry behind (it would block refunding the payment).
func TestThreeDSRefusedStartLeavesNoPhantom(t *testing.T) {
	ctx := context.Background()
	j := newRecJournal()
	srv, c := newTest(t, escott.WithJournal(j))
	sh := newShop(t, c)
	srv.HoldPostURL()
	form := startA(t, srv, c, sh, escotttest.CardVisa)
	out := sh.deliver(t, authenticate(t, srv, form, nil))
	require.NoError(t, out.err)
	require.NotNil(t, out.res.Payment)

	// The shopper's browser submits the checkout again with the same key.
	_, err := c.ThreeDS.StartAuthorize(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(3200), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "hanako@example.jp", RedirectURL: sh.URL + "/return", LinkKey: form.LinkKey,
	})
	var inflight *escott.InFlightError
	require.ErrorAs(t, err, &inflight)
	pending, err := j.Pending(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "no phantom attempt in the journal")

	_, err = c.Card.Cancel(ctx, out.res.Payment.Process, nil)
	require.NoError(t, err, "the real payment can be cancelled")
	srv.ReleasePostURL()
	srv.WaitPostURL()
}
