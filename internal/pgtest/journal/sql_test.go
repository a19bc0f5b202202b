package journal_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/journaltest"
	"github.com/escott-go/escott/internal/pgtest"
	"github.com/escott-go/escott/journal"
)

// testDB opens the PostgreSQL database named by ESCOTT_TEST_POSTGRES (see
// .ci/postgres.sh). Without it the test is skipped, except in CI, where a
// missing database fails it so that CI cannot pass by skipping.
func testDB(t *testing.T) *sql.DB { return pgtest.Open(t) }

// testTable returns a fresh table name and drops the table after the test, so
// tests share the database without seeing each other's rows.
func testTable(t *testing.T, db *sql.DB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "escott_journal_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

func newTestSQL(t *testing.T, db *sql.DB, table string) *journal.SQL {
	t.Helper()
	s, err := journal.NewSQL(context.Background(), db, journal.WithTable(table))
	require.NoError(t, err)
	return s
}

func TestSQLContract(t *testing.T) {
	db := testDB(t)
	journaltest.Run(t, func(t *testing.T) journal.Journal { return newTestSQL(t, db, testTable(t, db)) })
}

// Two instances of a shop, each with its own connection pool, race to begin
// the same link key: exactly one may send the payment.
func TestSQLGuardAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1)
	var inst [2]*journal.SQL
	var wg sync.WaitGroup
	for i, db := range []*sql.DB{db1, db2} { // both create the table at once
		wg.Go(func() {
			s, err := journal.NewSQL(context.Background(), db, journal.WithTable(table))
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
				err := inst[g%2].Begin(ctx, journal.Attempt{LinkKey: key, Operation: "1Gathering", Amount: "1000", Started: t0})
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
			require.ErrorIs(t, err, journal.ErrInFlight)
		}
		// The winner's outcome is unknown; the other instance lists it.
		require.NoError(t, inst[wins[0]].Finish(ctx, key, journal.Result{Outcome: journal.Unknown, At: t0.Add(time.Minute)}))
		require.ErrorIs(t, inst[1-wins[0]].Finish(ctx, key, journal.Result{Outcome: journal.Unknown, At: t0}), journal.ErrNotFound)
	}
	for _, s := range inst {
		p, err := s.Pending(ctx, t0)
		require.NoError(t, err)
		require.Len(t, p, 3)
		for i, a := range p {
			assert.Equal(t, fmt.Sprintf("race-%d", i), a.LinkKey)
			assert.Equal(t, journal.Unknown, a.Outcome)
			assert.Equal(t, "1000", a.Amount)
			assert.True(t, a.Finished.Equal(t0.Add(time.Minute)))
		}
	}
}

func TestSQLKeepsHistory(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db)
	s := newTestSQL(t, db, table)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "h", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "h", journal.Result{Outcome: journal.Rejected, Codes: []string{"G12", "K40"}, At: t0}))
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "h", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "h", journal.Result{Outcome: journal.Succeeded, ProcessID: "P7", At: t0}))

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
		got = append(got, fmt.Sprintf("%s %s %s", journal.Outcome(o), codes, id))
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"succeeded  P7", "rejected G12|K40 "}, got)

	p, err := s.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, p)
	require.Error(t, s.Finish(ctx, "h", journal.Result{Outcome: journal.InFlight}))
}

// Resolved rows stay as history with what the operator found; rows that had
// already ended are left alone.
func TestSQLResolveKeepsHistory(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db)
	s := newTestSQL(t, db, table)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "r", Operation: "1Auth", Amount: "10", Started: t0}))
	require.NoError(t, s.Finish(ctx, "r", journal.Result{Outcome: journal.Rejected, Codes: []string{"G12"}, At: t0}))
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "r", Operation: "1Auth", Amount: "10", Started: t0.Add(time.Second)}))
	require.NoError(t, s.Finish(ctx, "r", journal.Result{Outcome: journal.Unknown, At: t0.Add(time.Minute)}))
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "crash", Operation: "1Gathering", Amount: "20", Started: t0}))

	require.NoError(t, s.Resolve(ctx, "r", journal.Result{Outcome: journal.Succeeded, ProcessID: "P-console", At: t0.Add(time.Hour)}))
	require.NoError(t, s.Resolve(ctx, "crash", journal.Result{Outcome: journal.Rejected, At: t0.Add(time.Hour)}))
	require.NoError(t, s.Begin(ctx, journal.Attempt{LinkKey: "now", Operation: "1Auth", Started: t0}))
	before := time.Now()
	require.NoError(t, s.Resolve(ctx, "now", journal.Result{Outcome: journal.Rejected})) // no time given
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
		got = append(got, fmt.Sprintf("%s %s %s %s %s", k, journal.Outcome(o), codes, id, finished.UTC().Format(time.TimeOnly)))
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{
		"crash rejected   11:00:00",
		"r rejected G12  10:00:00", // ended before: untouched
		"r succeeded  P-console 11:00:00",
	}, got)
}

func TestSQLReusesExistingTable(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db)
	ctx := context.Background()
	s1 := newTestSQL(t, db, table)
	require.NoError(t, s1.Begin(ctx, journal.Attempt{LinkKey: "kept", Operation: "1Auth", Started: time.Unix(0, 0)}))
	s2 := newTestSQL(t, db, table) // a restarted instance
	p, err := s2.Pending(ctx, time.Unix(60, 0))
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "kept", p[0].LinkKey)
	require.ErrorIs(t, s2.Begin(ctx, journal.Attempt{LinkKey: "kept"}), journal.ErrInFlight)
}
