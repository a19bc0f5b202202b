package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/sqlstore"
)

var (
	timeType    = reflect.TypeFor[time.Time]()
	decimalType = reflect.TypeFor[decimal.Decimal]()
)

// fill sets every exported field reachable from v to a distinct non-zero
// value, so that a round trip that drops or redacts any field (including one
// added to the escott types later) shows up. It fails on a kind it does not
// know, rather than leave a field untested.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch {
	case v.Type() == timeType:
		// JST with sub-microsecond precision dropped: what the SDK produces.
		v.Set(reflect.ValueOf(time.Date(2026, 11, 26, 10, len(path)%60, 15, 123456000, time.FixedZone("JST", 9*3600))))
		return
	case v.Type() == decimalType:
		v.Set(reflect.ValueOf(decimal.New(int64(100000+len(path)), -2))) // an exponent that must survive
		return
	case v.Type() == reflect.TypeFor[escott.Code]():
		c, _ := escott.LookupCode("U01") // stored by its value, looked up again
		v.Set(reflect.ValueOf(c))
		return
	}
	switch v.Kind() {
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.String:
		v.SetString("v" + strings.ReplaceAll(path, ".", "")) // alphanumeric, usable as a link key
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("Key"+path).Convert(v.Type().Key()), reflect.ValueOf("value+/=&"+path).Convert(v.Type().Elem()))
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), path)
		v.Set(p)
	case reflect.Interface:
		require.Equal(t, reflect.TypeFor[escott.CardSource](), v.Type(), path)
		v.Set(reflect.ValueOf(escott.CardToken("tok" + path)))
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name)
			}
		}
	default:
		t.Fatalf("fill: %s has kind %s: teach fill (and the store) about it", path, v.Kind())
	}
}

// diff compares two values field by field: times as instants with the same
// UTC offset, decimals by value and exponent, pointers and interfaces by
// what they hold. Unexported fields are skipped (ThreeDSResult's
// once-only flag is the client's, not stored state).
func diff(path string, a, b reflect.Value) []string {
	if a.Type() != b.Type() {
		return []string{fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())}
	}
	switch {
	case a.Type() == timeType:
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		if !ta.Equal(tb) || oa != ob {
			return []string{fmt.Sprintf("%s: %v vs %v", path, ta, tb)}
		}
		return nil
	case a.Type() == decimalType:
		da, db := a.Interface().(decimal.Decimal), b.Interface().(decimal.Decimal)
		if !da.Equal(db) || da.Exponent() != db.Exponent() {
			return []string{fmt.Sprintf("%s: %s (exp %d) vs %s (exp %d)", path, da, da.Exponent(), db, db.Exponent())}
		}
		return nil
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return []string{path + ": nil vs non-nil"}
			}
			return nil
		}
		return diff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		var out []string
		for i := range a.NumField() {
			if f := a.Type().Field(i); f.IsExported() {
				out = append(out, diff(path+"."+f.Name, a.Field(i), b.Field(i))...)
			}
		}
		return out
	case reflect.Slice:
		if a.Len() != b.Len() {
			return []string{path + ": lengths differ"}
		}
		var out []string
		for i := range a.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))...)
		}
		return out
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return []string{path + ": maps differ"}
		}
		for _, k := range a.MapKeys() {
			if !b.MapIndex(k).IsValid() || a.MapIndex(k).Interface() != b.MapIndex(k).Interface() {
				return []string{fmt.Sprintf("%s[%v] differs", path, k)}
			}
		}
		return nil
	default:
		if a.Interface() != b.Interface() {
			return []string{fmt.Sprintf("%s: %q vs %q", path, fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))}
		}
		return nil
	}
}

func requireSame(t *testing.T, want, got any) {
	t.Helper()
	d := diff("", reflect.ValueOf(want), reflect.ValueOf(got))
	require.Empty(t, d, "stored value differs")
}

func testAttempt(key string) *escott.ThreeDSAttempt {
	return &escott.ThreeDSAttempt{
		LinkKey: key, ProcNo: "1234567", OperateID: escott.OpThreeDS, Amount: escott.Yen(2500),
		Source: escott.CardToken("tok-" + key), PayType: escott.LumpSum, OrderRef: "order-" + key,
		RedirectURL: "https://shop.example/return", Created: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
	}
}

func testResult(a *escott.ThreeDSAttempt, marker string) *escott.ThreeDSResult {
	return &escott.ThreeDSResult{
		OperateID: a.OperateID, LinkKey: a.LinkKey, ResponseCode: "OK", SecureResultCode: escott.SecureAuthenticated,
		ThreeDS: escott.ThreeDSData{SecureResultCode: "0", ECI3D: "05", CAVV3D: "+/" + marker + "="},
		Attempt: *a, Raw: escott.NewFields(map[string]string{"Marker": marker}),
	}
}

// tdsFactory makes an empty store with its TTL and claim lease; advance
// moves its clock.
type tdsFactory func(t *testing.T) (s escott.ThreeDSStore, ttl, lease time.Duration, advance func(time.Duration))

// testThreeDSStore is the contract every ThreeDSStore keeps.
func testThreeDSStore(t *testing.T, mk tdsFactory) {
	ctx := context.Background()
	t.Run("SaveGetComplete", func(t *testing.T) {
		s, _, _, _ := mk(t)
		_, _, err := s.Get(ctx, "nokey")
		require.ErrorIs(t, err, escott.ErrNoAttempt)
		_, err = s.Complete(ctx, "nokey", testResult(testAttempt("nokey"), "x"))
		require.ErrorIs(t, err, escott.ErrNoAttempt)

		a := testAttempt("k1")
		require.NoError(t, s.Save(ctx, a))
		require.ErrorIs(t, s.Save(ctx, testAttempt("k1")), escott.ErrAttemptExists)
		a.OrderRef = "changed after Save" // the store keeps its own copy
		got, res, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Nil(t, res, "pending")
		requireSame(t, testAttempt("k1"), got)

		first := testResult(testAttempt("k1"), "first")
		prev, err := s.Complete(ctx, "k1", first)
		require.NoError(t, err)
		assert.Nil(t, prev)
		got, res, err = s.Get(ctx, "k1")
		require.NoError(t, err)
		requireSame(t, testAttempt("k1"), got)
		require.NotNil(t, res)
		requireSame(t, first, res)

		prev, err = s.Complete(ctx, "k1", testResult(testAttempt("k1"), "second"))
		require.ErrorIs(t, err, escott.ErrAttemptCompleted)
		require.NotNil(t, prev)
		assert.Equal(t, "first", prev.Raw.Get("Marker"), "the first result wins")
		require.ErrorIs(t, s.Save(ctx, testAttempt("k1")), escott.ErrAttemptExists, "completed is still taken")

		// Other keys are independent.
		require.NoError(t, s.Save(ctx, testAttempt("k2")))
		_, res, err = s.Get(ctx, "k2")
		require.NoError(t, err)
		assert.Nil(t, res)
	})
	t.Run("TTL", func(t *testing.T) {
		s, ttl, _, advance := mk(t)
		require.NoError(t, s.Save(ctx, testAttempt("pending")))
		require.NoError(t, s.Save(ctx, testAttempt("done")))
		_, err := s.Complete(ctx, "done", testResult(testAttempt("done"), "x"))
		require.NoError(t, err)
		advance(ttl + ttl/2)
		for _, k := range []string{"pending", "done"} {
			_, _, err = s.Get(ctx, k)
			require.ErrorIs(t, err, escott.ErrNoAttempt, k)
			_, err = s.Complete(ctx, k, testResult(testAttempt(k), "late"))
			require.ErrorIs(t, err, escott.ErrNoAttempt, k)
			// An expired key may be used again, as a new pending attempt.
			fresh := testAttempt(k)
			fresh.ProcNo = "7654321"
			require.NoError(t, s.Save(ctx, fresh), k)
			got, res, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Nil(t, res, k)
			assert.Equal(t, "7654321", got.ProcNo)
		}
	})
}

// testThreeDSClaims is the claim contract: one holder at a time, released
// or completed by it, taken over after the lease; completed means every
// later Claim gets the first result.
func testThreeDSClaims(t *testing.T, mk tdsFactory) {
	ctx := context.Background()
	t.Run("Claim", func(t *testing.T) {
		s, _, lease, advance := mk(t)
		_, _, err := s.Claim(ctx, "nokey")
		require.ErrorIs(t, err, escott.ErrNoAttempt)
		require.NoError(t, s.Save(ctx, testAttempt("k1")))

		c1, first, err := s.Claim(ctx, "k1")
		require.NoError(t, err)
		require.NotEmpty(t, c1)
		assert.Nil(t, first)
		_, _, err = s.Claim(ctx, "k1")
		require.ErrorIs(t, err, escott.ErrAttemptClaimed, "one holder at a time")
		_, res, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Nil(t, res, "claimed is not completed")

		require.NoError(t, s.Release(ctx, "k1", "not-the-token"))
		_, _, err = s.Claim(ctx, "k1")
		require.ErrorIs(t, err, escott.ErrAttemptClaimed, "another token does not release it")
		require.NoError(t, s.Release(ctx, "k1", c1))
		c2, _, err := s.Claim(ctx, "k1")
		require.NoError(t, err, "released: claimable again")
		assert.NotEqual(t, c1, c2)

		// The holder died: after the lease the next Claim takes it over, and
		// the old holder's Release leaves the new claim alone.
		advance(lease + lease/2)
		c3, _, err := s.Claim(ctx, "k1")
		require.NoError(t, err, "taken over after the lease")
		assert.NotEqual(t, c2, c3)
		require.NoError(t, s.Release(ctx, "k1", c2))
		_, _, err = s.Claim(ctx, "k1")
		require.ErrorIs(t, err, escott.ErrAttemptClaimed, "a stale Release does not drop the new claim")

		done := testResult(testAttempt("k1"), "first")
		prev, err := s.Complete(ctx, "k1", done)
		require.NoError(t, err)
		assert.Nil(t, prev)
		require.NoError(t, s.Release(ctx, "k1", c3), "Release after Complete does nothing")
		for range 2 {
			_, first, err = s.Claim(ctx, "k1")
			require.ErrorIs(t, err, escott.ErrAttemptCompleted)
			require.NotNil(t, first)
			assert.Equal(t, "first", first.Raw.Get("Marker"))
		}
		advance(lease + lease/2)
		_, _, err = s.Claim(ctx, "k1")
		require.ErrorIs(t, err, escott.ErrAttemptCompleted, "completed stays completed after the lease")
	})
	t.Run("ClaimOnce", func(t *testing.T) {
		s, _, _, _ := mk(t)
		require.NoError(t, s.Save(ctx, testAttempt("race")))
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			tokens []string
		)
		for range 8 {
			wg.Go(func() {
				c, _, err := s.Claim(ctx, "race")
				if err == nil {
					mu.Lock()
					tokens = append(tokens, c)
					mu.Unlock()
					return
				}
				assert.ErrorIs(t, err, escott.ErrAttemptClaimed)
			})
		}
		wg.Wait()
		assert.Len(t, tokens, 1, "exactly one request gets the claim")
	})
}

func TestMemoryThreeDSStoreContract(t *testing.T) {
	// The memory store has no settable clock: a short TTL and real sleeps.
	mk := func(t *testing.T) (escott.ThreeDSStore, time.Duration, time.Duration, func(time.Duration)) {
		ttl, lease := 400*time.Millisecond, 100*time.Millisecond
		return escott.NewMemoryThreeDSStore(ttl, lease), ttl, lease, time.Sleep
	}
	testThreeDSStore(t, mk)
	testThreeDSClaims(t, mk)
}

func TestSQLThreeDSStoreContract(t *testing.T) {
	db := testDB(t)
	mk := func(t *testing.T) (escott.ThreeDSStore, time.Duration, time.Duration, func(time.Duration)) {
		clk := newClock()
		s, err := sqlstore.NewThreeDSStore(context.Background(), db, sqlstore.WithTable(testTable(t, db, "escott_tds")),
			sqlstore.WithClock(clk.Now), sqlstore.WithTTL(time.Hour), sqlstore.WithLease(time.Minute))
		require.NoError(t, err)
		return s, time.Hour, time.Minute, clk.Advance
	}
	testThreeDSStore(t, mk)
	testThreeDSClaims(t, mk)
}

// Every field of an attempt and a result, secrets included, comes back from
// the database as it went in, whatever the card source.
func TestSQLThreeDSRoundTrip(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	table := testTable(t, db, "escott_tds")
	s, err := sqlstore.NewThreeDSStore(ctx, db, sqlstore.WithTable(table))
	require.NoError(t, err)

	var full escott.ThreeDSResult
	fill(t, reflect.ValueOf(&full).Elem(), "R")
	require.NotEmpty(t, full.Payment.Process.Pass.Reveal())
	require.NotNil(t, full.Payment.Process.Member)
	require.NotNil(t, full.Attempt.Member)

	sources := map[string]escott.CardSource{
		"token": escott.CardToken("tok_abc123"), "member": escott.Member{ID: "m1", Pass: "kaiin-pass"},
		"memberptr": &escott.Member{ID: "m2", Pass: "kaiin-pass-2"}, "none": nil,
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			a := full.Attempt
			a.LinkKey, a.Source = "rt"+name, src
			require.NoError(t, s.Save(ctx, &a))
			got, res, err := s.Get(ctx, a.LinkKey)
			require.NoError(t, err)
			assert.Nil(t, res)
			requireSame(t, &a, got)

			r := full
			r.LinkKey, r.Attempt = a.LinkKey, a
			_, err = s.Complete(ctx, a.LinkKey, &r)
			require.NoError(t, err)
			_, res, err = s.Get(ctx, a.LinkKey)
			require.NoError(t, err)
			requireSame(t, &r, res)
			prev, err := s.Complete(ctx, a.LinkKey, testResult(&a, "other"))
			require.ErrorIs(t, err, escott.ErrAttemptCompleted)
			requireSame(t, &r, prev)
		})
	}

	// A JST date still formats as the same day, and the secrets are stored
	// in clear (not as "[REDACTED]") because the authorisation needs them.
	_, res, err := s.Get(ctx, "rttoken")
	require.NoError(t, err)
	assert.Equal(t, full.Payment.TransactionDate.Format("20060102 15:04"), res.Payment.TransactionDate.Format("20060102 15:04"))
	assert.Equal(t, "tok_abc123", string(res.Attempt.Source.(escott.CardToken)))
	assert.Equal(t, full.Payment.Process.Pass.Reveal(), res.Payment.Process.Pass.Reveal())
	var stored string
	require.NoError(t, db.QueryRow("SELECT result FROM "+table+" WHERE link_key = 'rttoken'").Scan(&stored))
	assert.NotContains(t, stored, "REDACTED")
}

// Two shop instances, each with its own connection pool, complete the same
// attempt from 64 goroutines: one wins, every other gets its result.
func TestSQLThreeDSCompleteAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_tds")
	ctx := context.Background()
	var inst [2]*sqlstore.ThreeDSStore
	var wg sync.WaitGroup
	for i, db := range []*sql.DB{db1, db2} { // both create the table at once
		wg.Go(func() {
			s, err := sqlstore.NewThreeDSStore(ctx, db, sqlstore.WithTable(table))
			assert.NoError(t, err)
			inst[i] = s
		})
	}
	wg.Wait()
	require.NotNil(t, inst[0])
	require.NotNil(t, inst[1])

	for round := range 3 {
		a := testAttempt(fmt.Sprintf("race%d", round))
		require.NoError(t, inst[round%2].Save(ctx, a))
		var (
			mu      sync.Mutex
			winners []string
			firsts  []*escott.ThreeDSResult
		)
		for g := range 64 {
			wg.Go(func() {
				marker := fmt.Sprintf("g%d", g)
				prev, err := inst[g%2].Complete(ctx, a.LinkKey, testResult(a, marker))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					assert.Nil(t, prev)
					winners = append(winners, marker)
				case assert.ErrorIs(t, err, escott.ErrAttemptCompleted):
					firsts = append(firsts, prev)
				}
			})
		}
		wg.Wait()
		require.Len(t, winners, 1, "round %d", round)
		require.Len(t, firsts, 63)
		for _, f := range firsts {
			require.NotNil(t, f)
			assert.Equal(t, winners[0], f.Raw.Get("Marker"))
			assert.Equal(t, "+/"+winners[0]+"=", f.ThreeDS.CAVV3D)
		}
		for _, s := range inst {
			_, res, err := s.Get(ctx, a.LinkKey)
			require.NoError(t, err)
			assert.Equal(t, winners[0], res.Raw.Get("Marker"))
		}
	}
}

// Two instances saving the same link key at once: one gets it.
func TestSQLThreeDSSaveAcrossInstances(t *testing.T) {
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_tds")
	ctx := context.Background()
	s1, err := sqlstore.NewThreeDSStore(ctx, db1, sqlstore.WithTable(table))
	require.NoError(t, err)
	s2, err := sqlstore.NewThreeDSStore(ctx, db2, sqlstore.WithTable(table))
	require.NoError(t, err)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for g := range 32 {
		wg.Go(func() {
			err := []*sqlstore.ThreeDSStore{s1, s2}[g%2].Save(ctx, testAttempt("dup"))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				assert.ErrorIs(t, err, escott.ErrAttemptExists)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
}

func TestSQLThreeDSPurge(t *testing.T) {
	db := testDB(t)
	table := testTable(t, db, "escott_tds")
	ctx := context.Background()
	clk := newClock()
	s, err := sqlstore.NewThreeDSStore(ctx, db, sqlstore.WithTable(table), sqlstore.WithClock(clk.Now),
		sqlstore.WithTTL(30*time.Minute))
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, testAttempt("old")))
	clk.Advance(20 * time.Minute)
	require.NoError(t, s.Save(ctx, testAttempt("new")))
	n, err := s.Purge(ctx, clk.Now())
	require.NoError(t, err)
	assert.Zero(t, n, "nothing expired yet")

	clk.Advance(15 * time.Minute) // old expired, new not
	n, err = s.Purge(ctx, clk.Now())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Equal(t, 1, countRows(t, db, table))
	_, _, err = s.Get(ctx, "new")
	require.NoError(t, err)
}

func TestNewStoresRefuseBadTableNames(t *testing.T) {
	for _, bad := range []string{"", "1abc", "a-b", "x;DROP TABLE y", "a.b.c", `"q"`} {
		_, err := sqlstore.NewThreeDSStore(context.Background(), nil, sqlstore.WithTable(bad)) // refused before db is used
		assert.Error(t, err, "%q", bad)
		_, err = sqlstore.NewDedupeStore(context.Background(), nil, sqlstore.WithTable(bad))
		assert.Error(t, err, "%q", bad)
		_, err = sqlstore.NewJournal(context.Background(), nil, sqlstore.WithTable(bad))
		assert.Error(t, err, "%q", bad)
	}
}
