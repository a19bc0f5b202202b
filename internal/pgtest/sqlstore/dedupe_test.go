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
	"github.com/escott-go/escott/sqlstore"
)

// dedupeFactory makes an empty store remembering done keys for ttl on the
// clock now.
type dedupeFactory func(t *testing.T, ttl time.Duration, now func() time.Time) escott.DedupeStore

// testDedupeStore is the contract every DedupeStore keeps.
func testDedupeStore(t *testing.T, mk dedupeFactory) {
	ctx := context.Background()
	claim := func(t *testing.T, s escott.DedupeStore, key string, want escott.ClaimResult) {
		t.Helper()
		got, err := s.Claim(ctx, key)
		require.NoError(t, err)
		require.Equal(t, want, got, key)
	}
	t.Run("ClaimDoneRelease", func(t *testing.T) {
		s := mk(t, time.Hour, newClock().Now)
		claim(t, s, "a", escott.ClaimNew)
		claim(t, s, "a", escott.ClaimBusy)
		claim(t, s, "b", escott.ClaimNew) // keys are independent
		require.NoError(t, s.Release(ctx, "a"))
		claim(t, s, "a", escott.ClaimNew) // released: may be processed again
		require.NoError(t, s.Done(ctx, "a"))
		claim(t, s, "a", escott.ClaimSeen)
		claim(t, s, "a", escott.ClaimSeen)
		claim(t, s, "b", escott.ClaimBusy)
		require.NoError(t, s.Release(ctx, "a"), "releasing a done key changes nothing")
		claim(t, s, "a", escott.ClaimSeen)
		require.NoError(t, s.Release(ctx, "never"))
		claim(t, s, "never", escott.ClaimNew)
		require.NoError(t, s.Done(ctx, "unclaimed"))
		claim(t, s, "unclaimed", escott.ClaimSeen)
	})
	t.Run("TTL", func(t *testing.T) {
		clk := newClock()
		s := mk(t, time.Hour, clk.Now)
		claim(t, s, "k", escott.ClaimNew)
		require.NoError(t, s.Done(ctx, "k"))
		clk.Advance(59 * time.Minute)
		claim(t, s, "k", escott.ClaimSeen)
		clk.Advance(2 * time.Minute)
		claim(t, s, "k", escott.ClaimNew) // forgotten after the TTL
		claim(t, s, "k", escott.ClaimBusy)
	})
}

func TestMemoryDedupeStoreContract(t *testing.T) {
	testDedupeStore(t, func(_ *testing.T, ttl time.Duration, now func() time.Time) escott.DedupeStore {
		return escott.NewMemoryDedupeStore(ttl, now)
	})
}

func TestSQLDedupeStoreContract(t *testing.T) {
	db := testDB(t)
	testDedupeStore(t, func(t *testing.T, ttl time.Duration, now func() time.Time) escott.DedupeStore {
		s, err := sqlstore.NewDedupeStore(context.Background(), db, sqlstore.WithTable(testTable(t, db, "escott_dd")),
			sqlstore.WithTTL(ttl), sqlstore.WithClock(now))
		require.NoError(t, err)
		return s
	})
}

// twoDedupe returns two instances (own pools) sharing one table, created at
// the same moment.
func twoDedupe(t *testing.T, opts ...sqlstore.Option) ([2]*sqlstore.DedupeStore, *sql.DB, string) {
	t.Helper()
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_dd")
	var (
		inst [2]*sqlstore.DedupeStore
		wg   sync.WaitGroup
	)
	for i, db := range []*sql.DB{db1, db2} {
		wg.Go(func() {
			s, err := sqlstore.NewDedupeStore(context.Background(), db, append(opts, sqlstore.WithTable(table))...)
			assert.NoError(t, err)
			inst[i] = s
		})
	}
	wg.Wait()
	require.NotNil(t, inst[0])
	require.NotNil(t, inst[1])
	return inst, db1, table
}

// claimAll claims key from n goroutines spread over the instances and counts
// the answers.
func claimAll(t *testing.T, inst [2]*sqlstore.DedupeStore, key string, n int) map[escott.ClaimResult]int {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got = map[escott.ClaimResult]int{}
	)
	for g := range n {
		wg.Go(func() {
			r, err := inst[g%2].Claim(context.Background(), key)
			assert.NoError(t, err)
			mu.Lock()
			got[r]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

func TestSQLDedupeClaimAcrossInstances(t *testing.T) {
	inst, _, _ := twoDedupe(t)
	ctx := context.Background()
	for round := range 3 {
		key := fmt.Sprintf("pay|T%d|R1", round)
		assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimNew: 1, escott.ClaimBusy: 63}, claimAll(t, inst, key, 64))
		// Whichever instance won, the key is processed once; afterwards
		// every instance sees it.
		require.NoError(t, inst[round%2].Done(ctx, key))
		assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimSeen: 64}, claimAll(t, inst, key, 64))
	}
}

// An instance that claimed a notification and died leaves a processing row;
// after the lease another instance takes it over, exactly once.
func TestSQLDedupeLeaseTakeover(t *testing.T) {
	clk := newClock()
	inst, _, _ := twoDedupe(t, sqlstore.WithLease(2*time.Minute), sqlstore.WithClock(clk.Now))
	a, b := inst[0], inst[1]
	ctx := context.Background()
	r, err := a.Claim(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, escott.ClaimNew, r)

	clk.Advance(119 * time.Second)
	r, err = b.Claim(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, escott.ClaimBusy, r, "within the lease")

	clk.Advance(2 * time.Second)
	assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimNew: 1, escott.ClaimBusy: 31},
		claimAll(t, [2]*sqlstore.DedupeStore{b, b}, "k", 32), "one takeover, by instance b")

	// The first instance wakes up and releases: the new holder keeps its claim.
	require.NoError(t, a.Release(ctx, "k"))
	assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimBusy: 8}, claimAll(t, inst, "k", 8))

	// The lease runs from the takeover, not from the first claim.
	clk.Advance(119 * time.Second)
	assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimBusy: 8}, claimAll(t, inst, "k", 8))

	require.NoError(t, b.Done(ctx, "k"))
	clk.Advance(time.Hour)
	assert.Equal(t, map[escott.ClaimResult]int{escott.ClaimSeen: 8}, claimAll(t, inst, "k", 8), "done keys have no lease")
}

func TestSQLDedupePurge(t *testing.T) {
	clk := newClock()
	inst, db, table := twoDedupe(t, sqlstore.WithTTL(24*time.Hour), sqlstore.WithClock(clk.Now))
	s := inst[0]
	ctx := context.Background()
	for _, k := range []string{"done-old", "busy-old"} {
		r, err := s.Claim(ctx, k)
		require.NoError(t, err)
		require.Equal(t, escott.ClaimNew, r)
	}
	require.NoError(t, s.Done(ctx, "done-old"))
	clk.Advance(23 * time.Hour)
	for _, k := range []string{"done-new", "busy-new"} {
		r, err := s.Claim(ctx, k)
		require.NoError(t, err)
		require.Equal(t, escott.ClaimNew, r)
	}
	require.NoError(t, s.Done(ctx, "done-new"))
	n, err := s.Purge(ctx, clk.Now())
	require.NoError(t, err)
	assert.Zero(t, n)

	clk.Advance(2 * time.Hour) // the old ones are past the TTL
	n, err = s.Purge(ctx, clk.Now())
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.Equal(t, 2, countRows(t, db, table))
	r, err := inst[1].Claim(ctx, "done-new")
	require.NoError(t, err)
	assert.Equal(t, escott.ClaimSeen, r)
}
