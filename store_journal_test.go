package escott

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryJournalLifecycle(t *testing.T) {
	ctx := context.Background()
	j := NewMemoryJournal()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	require.NoError(t, j.Begin(ctx, Attempt{LinkKey: "a", Operation: "1Gathering", Amount: "1000", Started: t0}))
	require.ErrorIs(t, j.Begin(ctx, Attempt{LinkKey: "a", Started: t0}), ErrJournalInFlight)
	require.NoError(t, j.Begin(ctx, Attempt{LinkKey: "b", Operation: "1Auth", Started: t0.Add(time.Second)}))
	require.NoError(t, j.Begin(ctx, Attempt{LinkKey: "c", Operation: "1Auth", Started: t0.Add(2 * time.Second)}))

	p, err := j.Pending(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, p, 3)
	assert.Equal(t, "a", p[0].LinkKey)

	require.NoError(t, j.Finish(ctx, "a", AttemptResult{Outcome: OutcomeSucceeded, ProcessID: "p"}))
	require.NoError(t, j.Finish(ctx, "b", AttemptResult{Outcome: OutcomeUnknown, At: t0.Add(time.Minute)}))
	require.ErrorIs(t, j.Finish(ctx, "a", AttemptResult{Outcome: OutcomeSucceeded}), ErrJournalNotFound)

	p, err = j.Pending(ctx, t0) // c is too recent to list, b is unknown
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "b", p[0].LinkKey)
	assert.Equal(t, OutcomeUnknown, p[0].Outcome)

	// The link key is free again once the attempt has finished.
	require.NoError(t, j.Begin(ctx, Attempt{LinkKey: "a", Started: t0}))
}

func TestMemoryJournalGuardUnderConcurrency(t *testing.T) {
	j := NewMemoryJournal()
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if j.Begin(context.Background(), Attempt{LinkKey: "same"}) == nil {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), won.Load())
}

func TestOutcomeString(t *testing.T) {
	for o, s := range map[Outcome]string{OutcomeInFlight: "in flight", OutcomeSucceeded: "succeeded", OutcomeRejected: "rejected", OutcomeUnknown: "unknown", 9: "invalid"} {
		assert.Equal(t, s, o.String())
	}
}
