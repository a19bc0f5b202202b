// Package journaltest holds the contract every escott.Journal keeps, run by
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

	"github.com/escott-go/escott"
)

// Run checks the behaviour every escott.Journal shares, as escott.Journal
// documents it. Each implementation's tests call it with a constructor for a
// fresh, empty journal.
func Run(t *testing.T, newJournal func(t *testing.T) escott.Journal) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()

	t.Run("Lifecycle", func(t *testing.T) {
		j := newJournal(t)
		p, err := j.Pending(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, p, "a new journal has nothing pending")

		a := escott.Attempt{LinkKey: "order-1-a", Operation: "1Gathering", Amount: "1000", OrderRef: "order 1", Started: t0}
		b := escott.Attempt{LinkKey: "order-2-b", Operation: "1Auth", Amount: "2500", OrderRef: "order 2", Started: t0.Add(time.Second)}
		c := escott.Attempt{LinkKey: "order-3-c", Operation: "1Capture", ProcessID: "P300", Started: t0.Add(2 * time.Second)}
		require.NoError(t, j.Begin(ctx, b)) // out of order, to see the sort
		require.NoError(t, j.Begin(ctx, a))
		require.NoError(t, j.Begin(ctx, c))
		require.ErrorIs(t, j.Begin(ctx, escott.Attempt{LinkKey: a.LinkKey, Operation: "1Gathering", Started: t0.Add(3 * time.Second)}), escott.ErrJournalInFlight)

		p, err = j.Pending(ctx, t0.Add(time.Minute))
		require.NoError(t, err)
		AssertAttempts(t, []escott.Attempt{a, b, c}, p)

		p, err = j.Pending(ctx, t0.Add(time.Second)) // strictly before: b is not older
		require.NoError(t, err)
		AssertAttempts(t, []escott.Attempt{a}, p)

		require.NoError(t, j.Finish(ctx, a.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P100", At: t0.Add(time.Minute)}))
		require.NoError(t, j.Finish(ctx, b.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(2 * time.Minute)}))
		require.NoError(t, j.Finish(ctx, c.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeRejected, Codes: []string{"K12"}, At: t0.Add(time.Minute)}))
		require.ErrorIs(t, j.Finish(ctx, a.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}), escott.ErrJournalNotFound)
		require.ErrorIs(t, j.Finish(ctx, "never-begun", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}), escott.ErrJournalNotFound)

		// Only the unknown one is left, however old the threshold.
		p, err = j.Pending(ctx, t0.Add(-time.Hour))
		require.NoError(t, err)
		wantB := b
		wantB.Outcome, wantB.Finished = escott.OutcomeUnknown, t0.Add(2*time.Minute)
		AssertAttempts(t, []escott.Attempt{wantB}, p)

		// Link keys that ended definitely are free again; the unknown one is
		// not, until it is resolved: its attempt may have moved money.
		require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: a.LinkKey, Operation: "1Gathering", Amount: "1000", Started: t0.Add(time.Hour)}))
		require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: c.LinkKey, Operation: "1Capture", Started: t0.Add(time.Hour + time.Second)}))
		again := escott.Attempt{LinkKey: b.LinkKey, Operation: "1Auth", Amount: "2500", Started: t0.Add(time.Hour + 2*time.Second)}
		require.ErrorIs(t, j.Begin(ctx, again), escott.ErrJournalUnresolved)
		require.NotErrorIs(t, j.Begin(ctx, again), escott.ErrJournalInFlight)
		p, err = j.Pending(ctx, t0.Add(-time.Hour))
		require.NoError(t, err)
		AssertAttempts(t, []escott.Attempt{wantB}, p) // a refused Begin records nothing
		require.NoError(t, j.Resolve(ctx, b.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0.Add(time.Hour)}))
		require.NoError(t, j.Begin(ctx, again), "resolved: the link key is free again")
	})

	t.Run("PendingOrder", func(t *testing.T) {
		j := newJournal(t)
		first := escott.Attempt{LinkKey: "k", Operation: "1Gathering", Amount: "500", Started: t0.Add(10 * time.Second)}
		require.NoError(t, j.Begin(ctx, first))
		require.NoError(t, j.Finish(ctx, "k", escott.AttemptResult{Outcome: escott.OutcomeUnknown, ProcessID: "P1", At: t0.Add(11 * time.Second)}))
		second := escott.Attempt{LinkKey: "k", Operation: "1Gathering", Amount: "500", Started: t0.Add(20 * time.Second)}
		require.ErrorIs(t, j.Begin(ctx, second), escott.ErrJournalUnresolved, "tried again before it was resolved")

		old := escott.Attempt{LinkKey: "old", Operation: "1Auth", Amount: "1", Started: t0}
		recent := escott.Attempt{LinkKey: "recent", Operation: "1Auth", Amount: "2", Started: t0.Add(time.Hour)}
		middle := escott.Attempt{LinkKey: "middle", Operation: "1Change", Amount: "3", ProcessID: "P9", Started: t0.Add(15 * time.Second)}
		for _, a := range []escott.Attempt{recent, middle, old} {
			require.NoError(t, j.Begin(ctx, a))
		}

		p, err := j.Pending(ctx, t0.Add(30*time.Minute))
		require.NoError(t, err)
		first.Outcome, first.Finished, first.ProcessID = escott.OutcomeUnknown, t0.Add(11*time.Second), "P1"
		AssertAttempts(t, []escott.Attempt{old, first, middle}, p)
	})

	t.Run("Resolve", func(t *testing.T) {
		j := newJournal(t)
		lost := escott.Attempt{LinkKey: "lost", Operation: "1Gathering", Amount: "800", Started: t0}
		crashed := escott.Attempt{LinkKey: "crashed", Operation: "1Auth", Amount: "900", Started: t0.Add(time.Second)}
		twice := escott.Attempt{LinkKey: "twice", Operation: "1Auth", Amount: "5", Started: t0.Add(2 * time.Second)}
		other := escott.Attempt{LinkKey: "other", Operation: "1Auth", Amount: "1", Started: t0.Add(3 * time.Second)}
		done := escott.Attempt{LinkKey: "done", Operation: "1Auth", Amount: "2", Started: t0.Add(4 * time.Second)}
		require.NoError(t, j.Begin(ctx, lost))
		require.NoError(t, j.Finish(ctx, lost.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(time.Minute)}))
		require.NoError(t, j.Begin(ctx, crashed)) // never finished: its process died
		require.NoError(t, j.Begin(ctx, twice))
		require.NoError(t, j.Finish(ctx, twice.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(time.Minute)}))
		require.NoError(t, j.Begin(ctx, other))
		require.NoError(t, j.Finish(ctx, other.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(time.Minute)}))
		require.NoError(t, j.Begin(ctx, done))
		require.NoError(t, j.Finish(ctx, done.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "PD", At: t0.Add(time.Minute)}))

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
		require.Equal(t, []string{"lost", "crashed", "twice", "other"}, pendingKeys())

		// Only a definite answer resolves; a refused Resolve changes nothing.
		for _, o := range []escott.Outcome{escott.OutcomeInFlight, escott.OutcomeUnknown, escott.Outcome(7)} {
			err := j.Resolve(ctx, lost.LinkKey, escott.AttemptResult{Outcome: o, At: t0.Add(time.Hour)})
			require.Error(t, err, "%v", o)
			require.NotErrorIs(t, err, escott.ErrJournalNotFound, "%v", o)
		}
		require.Equal(t, []string{"lost", "crashed", "twice", "other"}, pendingKeys())

		// Nothing to resolve: never begun, or ended with a definite answer.
		require.ErrorIs(t, j.Resolve(ctx, "never-begun", escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0}), escott.ErrJournalNotFound)
		require.ErrorIs(t, j.Resolve(ctx, done.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0}), escott.ErrJournalNotFound)

		require.NoError(t, j.Resolve(ctx, lost.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P-console", At: t0.Add(time.Hour)}))
		require.Equal(t, []string{"crashed", "twice", "other"}, pendingKeys())
		require.ErrorIs(t, j.Resolve(ctx, lost.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}), escott.ErrJournalNotFound, "already resolved")

		// The crashed attempt: resolving it frees the link key for Begin.
		require.ErrorIs(t, j.Begin(ctx, escott.Attempt{LinkKey: crashed.LinkKey, Started: t0.Add(time.Hour)}), escott.ErrJournalInFlight)
		require.NoError(t, j.Resolve(ctx, crashed.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0.Add(time.Hour)}))
		require.Equal(t, []string{"twice", "other"}, pendingKeys())
		require.ErrorIs(t, j.Finish(ctx, crashed.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}), escott.ErrJournalNotFound, "no longer in flight")
		again := escott.Attempt{LinkKey: crashed.LinkKey, Operation: "1Auth", Amount: "900", Started: t0.Add(2 * time.Hour)}
		require.NoError(t, j.Begin(ctx, again))

		require.NoError(t, j.Resolve(ctx, twice.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0.Add(time.Hour)}))
		p, err := j.Pending(ctx, t0.Add(3*time.Hour))
		require.NoError(t, err)
		other.Outcome, other.Finished = escott.OutcomeUnknown, t0.Add(time.Minute)
		AssertAttempts(t, []escott.Attempt{other, again}, p)
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
				err := j.Begin(ctx, escott.Attempt{LinkKey: "same", Operation: "1Gathering", Started: t0.Add(time.Duration(i) * time.Millisecond)})
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
			assert.ErrorIs(t, err, escott.ErrJournalInFlight)
		}
		p, err := j.Pending(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Len(t, p, 1)
	})
}

// AssertAttempts compares attempts field by field, times by instant, since
// stores hand times back in their own location.
func AssertAttempts(t *testing.T, want, got []escott.Attempt) {
	t.Helper()
	norm := func(as []escott.Attempt) []escott.Attempt {
		out := make([]escott.Attempt, len(as))
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
