package escott

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryJournalBeginDoesNotAllocate: the in-flight entry is small
// enough (at most 128 bytes) for the map to hold it in place, so recording
// an attempt allocates nothing once the map has room.
func TestMemoryJournalBeginDoesNotAllocate(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(inFlight{}), uintptr(128))
	j := NewMemoryJournal()
	ctx := context.Background()
	a := Attempt{LinkKey: "123456789012", Operation: OpGathering, Amount: "1980", OrderRef: "order-1", Started: time.Now()}
	r := AttemptResult{Outcome: OutcomeSucceeded, ProcessID: "P1", At: time.Now()}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := j.Begin(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := j.Finish(ctx, a.LinkKey, r); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// TestMemoryJournalKeepsWhatBeginGot: Pending lists an in-flight attempt
// exactly as Begin was given it, even the fields a client never sets at
// Begin (Finished, Codes), and the listed Codes are the caller's own copy.
func TestMemoryJournalKeepsWhatBeginGot(t *testing.T) {
	j := NewMemoryJournal()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	plain := Attempt{LinkKey: "A1", Operation: OpAuth, Amount: "100", ProcessID: "P", OrderRef: "o", Started: t0}
	odd := Attempt{LinkKey: "B2", Operation: OpGathering, Started: t0.Add(time.Second), Finished: t0.Add(time.Hour),
		Outcome: OutcomeSucceeded, Codes: []string{"K12"}}
	require.NoError(t, j.Begin(ctx, plain))
	require.NoError(t, j.Begin(ctx, odd))
	p, err := j.Pending(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	wantPlain, wantOdd := plain, odd
	wantPlain.Outcome, wantOdd.Outcome = OutcomeInFlight, OutcomeInFlight
	assert.Equal(t, []Attempt{wantPlain, wantOdd}, p)
	p[1].Codes[0] = "XXX"
	odd.Codes[0] = "YYY"
	p, err = j.Pending(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []string{"K12"}, p[1].Codes)

	require.NoError(t, j.Finish(ctx, "B2", AttemptResult{Outcome: OutcomeUnknown, ProcessID: "P9", At: t0.Add(2 * time.Hour)}))
	p, err = j.Pending(ctx, t0)
	require.NoError(t, err)
	wantOdd.Outcome, wantOdd.Finished, wantOdd.ProcessID, wantOdd.Codes = OutcomeUnknown, t0.Add(2*time.Hour), "P9", []string{"K12"}
	assert.Equal(t, []Attempt{wantOdd}, p)
}
