// Package journaltest holds the contract every journal.Journal keeps, run by
// the tests of each implementation (in this module and in the PostgreSQL test
// module). Only test code imports it.
package journaltest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/journal"
)

// Run checks the behaviour every journal.Journal shares, as journal.Memory
// documents it. Each implementation's tests call it with a constructor for a
// fresh, empty journal.
func Run(t *testing.T, newJournal func(t *testing.T) journal.Journal) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()

	t.Run("Lifecycle", func(t *testing.T) {
		j := newJournal(t)
		p, err := j.Pending(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, p, "a new journal has nothing pending")

		a := journal.Attempt{LinkKey: "order-1-a", Operation: "1Gathering", Amount: "1000", OrderRef: "order 1", Started: t0}
		b := journal.Attempt{LinkKey: "order-2-b", Operation: "1Auth", Amount: "2500", OrderRef: "order 2", Started: t0.Add(time.Second)}
		c := journal.Attempt{LinkKey: "order-3-c", Operation: "1Capture", ProcessID: "P300", Started: t0.Add(2 * time.Second)}
		require.NoError(t, j.Begin(ctx, b)) // out of order, to see the sort
		require.NoError(t, j.Begin(ctx, a))
		require.NoError(t, j.Begin(ctx, c))
		require.ErrorIs(t, j.Begin(ctx, journal.Attempt{LinkKey: a.LinkKey, Operation: "1Gathering", Started: t0.Add(3 * time.Second)}), journal.ErrInFlight)

		p, err = j.Pending(ctx, t0.Add(time.Minute))
		require.NoError(t, err)
		AssertAttempts(t, []journal.Attempt{a, b, c}, p)

		p, err = j.Pending(ctx, t0.Add(time.Second)) // strictly before: b is not older
		require.NoError(t, err)
		AssertAttempts(t, []journal.Attempt{a}, p)

		require.NoError(t, j.Finish(ctx, a.LinkKey, journal.Result{Outcome: journal.Succeeded, ProcessID: "P100", At: t0.Add(time.Minute)}))
		require.NoError(t, j.Finish(ctx, b.LinkKey, journal.Result{Outcome: journal.Unknown, At: t0.Add(2 * time.Minute)}))
		require.NoError(t, j.Finish(ctx, c.LinkKey, journal.Result{Outcome: journal.Rejected, Codes: []string{"K12"}, At: t0.Add(time.Minute)}))
		require.ErrorIs(t, j.Finish(ctx, a.LinkKey, journal.Result{Outcome: journal.Succeeded, At: t0}), journal.ErrNotFound)
		require.ErrorIs(t, j.Finish(ctx, "never-begun", journal.Result{Outcome: journal.Succeeded, At: t0}), journal.ErrNotFound)

		// Only the unknown one is left, however old the threshold.
		p, err = j.Pending(ctx, t0.Add(-time.Hour))
		require.NoError(t, err)
		wantB := b
		wantB.Outcome, wantB.Finished = journal.Unknown, t0.Add(2*time.Minute)
		AssertAttempts(t, []journal.Attempt{wantB}, p)

		// Finished link keys are free again, the unknown one too.
		require.NoError(t, j.Begin(ctx, journal.Attempt{LinkKey: a.LinkKey, Operation: "1Gathering", Amount: "1000", Started: t0.Add(time.Hour)}))
		require.NoError(t, j.Begin(ctx, journal.Attempt{LinkKey: c.LinkKey, Operation: "1Capture", Started: t0.Add(time.Hour + time.Second)}))
	})

	t.Run("PendingOrderAndRepeatedUnknown", func(t *testing.T) {
		j := newJournal(t)
		// An unknown outcome whose link key was tried again and ended unknown
		// again: both attempts must be listed.
		first := journal.Attempt{LinkKey: "k", Operation: "1Gathering", Amount: "500", Started: t0.Add(10 * time.Second)}
		require.NoError(t, j.Begin(ctx, first))
		require.NoError(t, j.Finish(ctx, "k", journal.Result{Outcome: journal.Unknown, ProcessID: "P1", At: t0.Add(11 * time.Second)}))
		second := journal.Attempt{LinkKey: "k", Operation: "1Gathering", Amount: "500", Started: t0.Add(20 * time.Second)}
		require.NoError(t, j.Begin(ctx, second))
		require.ErrorIs(t, j.Begin(ctx, second), journal.ErrInFlight)
		require.NoError(t, j.Finish(ctx, "k", journal.Result{Outcome: journal.Unknown, At: t0.Add(21 * time.Second)}))

		old := journal.Attempt{LinkKey: "old", Operation: "1Auth", Amount: "1", Started: t0}
		recent := journal.Attempt{LinkKey: "recent", Operation: "1Auth", Amount: "2", Started: t0.Add(time.Hour)}
		middle := journal.Attempt{LinkKey: "middle", Operation: "1Change", Amount: "3", ProcessID: "P9", Started: t0.Add(15 * time.Second)}
		for _, a := range []journal.Attempt{recent, middle, old} {
			require.NoError(t, j.Begin(ctx, a))
		}

		p, err := j.Pending(ctx, t0.Add(30*time.Minute))
		require.NoError(t, err)
		first.Outcome, first.Finished, first.ProcessID = journal.Unknown, t0.Add(11*time.Second), "P1"
		second.Outcome, second.Finished = journal.Unknown, t0.Add(21*time.Second)
		AssertAttempts(t, []journal.Attempt{old, first, middle, second}, p)
	})

	t.Run("Resolve", func(t *testing.T) {
		j := newJournal(t)
		lost := journal.Attempt{LinkKey: "lost", Operation: "1Gathering", Amount: "800", Started: t0}
		crashed := journal.Attempt{LinkKey: "crashed", Operation: "1Auth", Amount: "900", Started: t0.Add(time.Second)}
		twice := journal.Attempt{LinkKey: "twice", Operation: "1Auth", Amount: "5", Started: t0.Add(2 * time.Second)}
		other := journal.Attempt{LinkKey: "other", Operation: "1Auth", Amount: "1", Started: t0.Add(3 * time.Second)}
		done := journal.Attempt{LinkKey: "done", Operation: "1Auth", Amount: "2", Started: t0.Add(4 * time.Second)}
		require.NoError(t, j.Begin(ctx, lost))
		require.NoError(t, j.Finish(ctx, lost.LinkKey, journal.Result{Outcome: journal.Unknown, At: t0.Add(time.Minute)}))
		require.NoError(t, j.Begin(ctx, crashed)) // never finished: its process died
		// A link key that ended unknown twice: both attempts go with one Resolve.
		for i := range 2 {
			twice.Started = t0.Add(2*time.Second + time.Duration(i)*500*time.Millisecond)
			require.NoError(t, j.Begin(ctx, twice))
			require.NoError(t, j.Finish(ctx, twice.LinkKey, journal.Result{Outcome: journal.Unknown, At: t0.Add(time.Minute)}))
		}
		require.NoError(t, j.Begin(ctx, other))
		require.NoError(t, j.Finish(ctx, other.LinkKey, journal.Result{Outcome: journal.Unknown, At: t0.Add(time.Minute)}))
		require.NoError(t, j.Begin(ctx, done))
		require.NoError(t, j.Finish(ctx, done.LinkKey, journal.Result{Outcome: journal.Succeeded, ProcessID: "PD", At: t0.Add(time.Minute)}))

		pendingKeys := func() []string {
			t.Helper()
			p, err := j.Pending(ctx, t0.Add(time.Hour))
			require.NoError(t, err)
			var keys []string
			for _, a := range p {
				keys = append(keys, a.LinkKey)
			}
			return keys
		}
		require.Equal(t, []string{"lost", "crashed", "twice", "twice", "other"}, pendingKeys())

		// Only a definite answer resolves; a refused Resolve changes nothing.
		for _, o := range []journal.Outcome{journal.InFlight, journal.Unknown, journal.Outcome(7)} {
			err := j.Resolve(ctx, lost.LinkKey, journal.Result{Outcome: o, At: t0.Add(time.Hour)})
			require.Error(t, err, "%v", o)
			require.NotErrorIs(t, err, journal.ErrNotFound, "%v", o)
		}
		require.Equal(t, []string{"lost", "crashed", "twice", "twice", "other"}, pendingKeys())

		// Nothing to resolve: never begun, or ended with a definite answer.
		require.ErrorIs(t, j.Resolve(ctx, "never-begun", journal.Result{Outcome: journal.Rejected, At: t0}), journal.ErrNotFound)
		require.ErrorIs(t, j.Resolve(ctx, done.LinkKey, journal.Result{Outcome: journal.Rejected, At: t0}), journal.ErrNotFound)

		require.NoError(t, j.Resolve(ctx, lost.LinkKey, journal.Result{Outcome: journal.Succeeded, ProcessID: "P-console", At: t0.Add(time.Hour)}))
		require.Equal(t, []string{"crashed", "twice", "twice", "other"}, pendingKeys())
		require.ErrorIs(t, j.Resolve(ctx, lost.LinkKey, journal.Result{Outcome: journal.Succeeded, At: t0}), journal.ErrNotFound, "already resolved")

		// The crashed attempt: resolving it frees the link key for Begin.
		require.ErrorIs(t, j.Begin(ctx, journal.Attempt{LinkKey: crashed.LinkKey, Started: t0.Add(time.Hour)}), journal.ErrInFlight)
		require.NoError(t, j.Resolve(ctx, crashed.LinkKey, journal.Result{Outcome: journal.Rejected, At: t0.Add(time.Hour)}))
		require.Equal(t, []string{"twice", "twice", "other"}, pendingKeys())
		require.ErrorIs(t, j.Finish(ctx, crashed.LinkKey, journal.Result{Outcome: journal.Succeeded, At: t0}), journal.ErrNotFound, "no longer in flight")
		again := journal.Attempt{LinkKey: crashed.LinkKey, Operation: "1Auth", Amount: "900", Started: t0.Add(2 * time.Hour)}
		require.NoError(t, j.Begin(ctx, again))

		require.NoError(t, j.Resolve(ctx, twice.LinkKey, journal.Result{Outcome: journal.Rejected, At: t0.Add(time.Hour)}))
		p, err := j.Pending(ctx, t0.Add(3*time.Hour))
		require.NoError(t, err)
		other.Outcome, other.Finished = journal.Unknown, t0.Add(time.Minute)
		AssertAttempts(t, []journal.Attempt{other, again}, p)
	})

	t.Run("GuardUnderConcurrency", func(t *testing.T) {
		j := newJournal(t)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			won    int
			others []error
		)
		for i := range 64 {
			wg.Go(func() {
				err := j.Begin(ctx, journal.Attempt{LinkKey: "same", Operation: "1Gathering", Started: t0.Add(time.Duration(i) * time.Millisecond)})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				} else {
					others = append(others, err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, won)
		for _, err := range others {
			assert.ErrorIs(t, err, journal.ErrInFlight)
		}
		p, err := j.Pending(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Len(t, p, 1)
	})
}

// AssertAttempts compares attempts field by field, times by instant, since
// stores hand times back in their own location.
func AssertAttempts(t *testing.T, want, got []journal.Attempt) {
	t.Helper()
	norm := func(as []journal.Attempt) []journal.Attempt {
		out := make([]journal.Attempt, len(as))
		for i, a := range as {
			a.Started, a.Finished = a.Started.UTC(), a.Finished.UTC()
			if len(a.Codes) == 0 {
				a.Codes = nil
			}
			out[i] = a
		}
		return out
	}
	assert.Equal(t, norm(want), norm(got))
}
