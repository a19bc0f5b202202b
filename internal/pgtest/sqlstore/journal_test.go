package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/journaltest"
	"github.com/escott-go/escott/sqlstore"
)

func newTestJournal(t *testing.T, db *sql.DB, table string) *sqlstore.Journal {
	t.Helper()
	s, err := sqlstore.NewJournal(context.Background(), db, sqlstore.WithTable(table))
	require.NoError(t, err)
	return s
}

func TestSQLJournalContract(t *testing.T) {
	db := testDB(t)
	journaltest.Run(t, func(t *testing.T) escott.Journal {
		return newTestJournal(t, db, testTable(t, db, sqlstore.DefaultJournalTable))
	})
}

// Two instances of a shop, each with its own connection pool, race to begin
// the same link key: exactly one may send the payment.
func TestSQLJournalGuardAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, sqlstore.DefaultJournalTable)
	var inst [2]*sqlstore.Journal
	var wg sync.WaitGroup
	for i, db := range []*sql.DB{db1, db2} { // both create the table at once
		wg.Go(func() {
			s, err := sqlstore.NewJournal(context.Background(), db, sqlstore.WithTable(table))
			assert.NoError(t, err)
			inst[i] = s
		})
	}
	wg.Wait()
	require.NotNil(t, inst[0])
	require.NotNil(t, inst[1])

	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for round := range 3 {
		key := fmt.Sprintf("race-%d", round)
		var (
			mu     sync.Mutex
			wins   []int
			others []error
		)
		for g := range 64 {
			wg.Go(func() {
				err := inst[g%2].Begin(ctx, escott.Attempt{LinkKey: key, Operation: "1Gathering", Amount: "1000", Started: t0})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins = append(wins, g%2)
				} else {
					others = append(others, err)
				}
			})
		}
		wg.Wait()
		require.Len(t, wins, 1, "round %d", round)
		require.Len(t, others, 63)
		for _, err := range others {
			require.ErrorIs(t, err, escott.ErrJournalInFlight)
		}
		// The winner's outcome is unknown; the other instance lists it.
		require.NoError(t, inst[wins[0]].Finish(ctx, key, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(time.Minute)}))
		require.ErrorIs(t, inst[1-wins[0]].Finish(ctx, key, escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0}), escott.ErrJournalNotFound)
	}
	for _, s := range inst {
		p, err := s.Pending(ctx, t0)
		require.NoError(t, err)
		require.Len(t, p, 3)
		for i, a := range p {
			assert.Equal(t, fmt.Sprintf("race-%d", i), a.LinkKey)
			assert.Equal(t, escott.OutcomeUnknown, a.Outcome)
			assert.Equal(t, "1000", a.Amount)
			assert.True(t, a.Finished.Equal(t0.Add(time.Minute)))
		}
	}
}

func TestSQLJournalKeepsHistory(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db, sqlstore.DefaultJournalTable)
	s := newTestJournal(t, db, table)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "h", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "h", escott.AttemptResult{Outcome: escott.OutcomeRejected, Codes: []string{"G12", "K40"}, At: t0}))
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "h", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "h", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P7", At: t0}))

	rows, err := db.QueryContext(ctx, "SELECT outcome, codes, process_id, started FROM "+table+" WHERE link_key = 'h' ORDER BY outcome")
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			o         int
			codes, id string
			started   time.Time
		)
		require.NoError(t, rows.Scan(&o, &codes, &id, &started))
		assert.True(t, started.Equal(t0.Truncate(time.Microsecond)), "stored to the microsecond: %v", started)
		got = append(got, fmt.Sprintf("%s %s %s", escott.Outcome(o), codes, id))
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"succeeded  P7", "rejected G12|K40 "}, got)

	p, err := s.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, p)
	require.Error(t, s.Finish(ctx, "h", escott.AttemptResult{Outcome: escott.OutcomeInFlight}))
}

// Resolved rows stay as history with what the operator found; rows that had
// already ended are left alone.
func TestSQLJournalResolveKeepsHistory(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db, sqlstore.DefaultJournalTable)
	s := newTestJournal(t, db, table)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "r", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "r", escott.AttemptResult{Outcome: escott.OutcomeRejected, Codes: []string{"G12"}, At: t0}))
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "r", Operation: "1Auth", Amount: "10", Started: t0.Add(time.Second)}))
	require.NoError(t, s.Finish(ctx, "r", escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: t0.Add(time.Minute)}))
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "crash", Operation: "1Gathering", Amount: "20", Started: t0}))

	require.NoError(t, s.Resolve(ctx, "r", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P-console", At: t0.Add(time.Hour)}))
	require.NoError(t, s.Resolve(ctx, "crash", escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0.Add(time.Hour)}))
	require.NoError(t, s.Begin(ctx, escott.Attempt{LinkKey: "now", Operation: "1Auth", Started: t0}))
	before := time.Now()
	require.NoError(t, s.Resolve(ctx, "now", escott.AttemptResult{Outcome: escott.OutcomeRejected})) // no time given
	var at time.Time
	require.NoError(t, db.QueryRowContext(ctx, "SELECT finished FROM "+table+" WHERE link_key = 'now'").Scan(&at))
	assert.WithinRange(t, at, before.Add(-time.Millisecond), time.Now().Add(time.Millisecond), "a zero At means now")
	_, err := db.ExecContext(ctx, "DELETE FROM "+table+" WHERE link_key = 'now'")
	require.NoError(t, err)

	rows, err := db.QueryContext(ctx, "SELECT link_key, outcome, codes, process_id, finished FROM "+table+" ORDER BY link_key, started")
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			k, codes, id string
			o            int
			finished     time.Time
		)
		require.NoError(t, rows.Scan(&k, &o, &codes, &id, &finished))
		got = append(got, fmt.Sprintf("%s %s %s %s %s", k, escott.Outcome(o), codes, id, finished.UTC().Format(time.TimeOnly)))
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{
		"crash rejected   11:00:00",
		"r rejected G12  10:00:00", // ended before: untouched
		"r succeeded  P-console 11:00:00",
	}, got)
}

func TestSQLJournalReusesExistingTable(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db, sqlstore.DefaultJournalTable)
	ctx := context.Background()
	s1 := newTestJournal(t, db, table)
	require.NoError(t, s1.Begin(ctx, escott.Attempt{LinkKey: "kept", Operation: "1Auth", Started: time.Unix(0, 0)}))
	s2 := newTestJournal(t, db, table) // a restarted instance
	p, err := s2.Pending(ctx, time.Unix(60, 0))
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "kept", p[0].LinkKey)
	require.ErrorIs(t, s2.Begin(ctx, escott.Attempt{LinkKey: "kept"}), escott.ErrJournalInFlight)
}
