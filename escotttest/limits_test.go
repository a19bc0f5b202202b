package escotttest_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// #12.11: the fake's memory is bounded (Config.Limits). What it forgets is
// answered as the real gateway answers for what it no longer holds.

const (
	rawCVS   = "/online/cnv/OCNV005.do"
	rawToken = "/online/atn/OATN005.do"
)

func limitedServer(t *testing.T, l escotttest.Limits) *escotttest.Server {
	t.Helper()
	srv := escotttest.NewServer(escotttest.Config{Now: func() time.Time { return rawNow }, Limits: l})
	t.Cleanup(srv.Close)
	return srv
}

// A transaction pushed out by newer ones answers K12 to every follow-up,
// as one past the real gateway's retention does; the newest are untouched.
func TestLimitsEvictedProcessAnswersK12(t *testing.T) {
	srv := limitedServer(t, escotttest.Limits{Processes: 3})
	first := rawPay(t, srv, "1Auth", escotttest.CardVisa, "01")
	var last url.Values
	for range 3 {
		last = rawPay(t, srv, "1Auth", escotttest.CardVisa, "01")
	}
	keys := func(a url.Values) url.Values {
		return url.Values{"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}, "SalesDate": {"20261127"}}
	}
	for _, op := range []string{"1Search", "1Capture", "1Delete"} {
		got := rawPost(t, srv, rawCard, op, keys(first))
		assert.Equal(t, "K12", got.Get("ResponseCd"), op)
	}
	_, ok := srv.Process(first.Get("ProcessId"))
	assert.False(t, ok)
	got := rawPost(t, srv, rawCard, "1Capture", keys(last))
	assert.Equal(t, "OK", got.Get("ResponseCd"), got)
}

// The real gateway keeps transactions about seven months; so does the fake.
func TestLimitsProcessRetention(t *testing.T) {
	srv := rawServer(t)
	a := rawPay(t, srv, "1Gathering", escotttest.CardVisa, "01")
	srv.Advance(211 * 24 * time.Hour)
	got := rawPost(t, srv, rawCard, "1Search", url.Values{"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")},
		"TransactionDate": {srv.Now().In(time.FixedZone("JST", 9*3600)).Format("20060102")}})
	assert.Equal(t, "K12", got.Get("ResponseCd"))
}

// An online-collection registration pushed out by newer ones answers K12.
func TestLimitsEvictedCVSPaymentAnswersK12(t *testing.T) {
	srv := limitedServer(t, escotttest.Limits{CVSPayments: 2})
	add := func() url.Values {
		a := rawPost(t, srv, rawCVS, "2Add", url.Values{"Amount": {"1000"}, "NameKanji": {"山田太郎"}, "NameKana": {"ヤマダタロウ"},
			"TelNo": {"0312345678"}, "ShouhinName": {"商品"}})
		require.Equal(t, "OK", a.Get("ResponseCd"), a)
		return a
	}
	first := add()
	add()
	last := add()
	ref := func(a url.Values) string {
		return rawPost(t, srv, rawCVS, "2Ref", url.Values{"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}}).Get("ResponseCd")
	}
	assert.Equal(t, "K12", ref(first))
	assert.Equal(t, "OK", ref(last))
	_, ok := srv.CVSPayment(first.Get("ProcessId"))
	assert.False(t, ok)
	assert.ErrorIs(t, srv.Pay(first.Get("ProcessId"), "SEV"), escotttest.ErrNoSuchPayment)
}

// Over the cap, deleted and invalid members are forgotten before valid ones,
// and a forgotten member is unknown (K71).
func TestLimitsMembersDeletedFirst(t *testing.T) {
	srv := limitedServer(t, escotttest.Limits{Members: 4})
	add := func(id string) {
		a := rawPost(t, srv, rawMember, "4MemAdd", url.Values{"KaiinId": {id}, "KaiinPass": {"pass1"},
			"Token": {string(srv.MustToken(escotttest.CardVisa))}})
		require.Equal(t, "OK", a.Get("ResponseCd"), a)
	}
	for _, id := range []string{"M1", "M2", "M3", "M4"} {
		add(id)
	}
	require.NoError(t, srv.SetMemberStatus("M3", escott.MemberDeleted))
	add("M5") // over the cap: M3 (deleted) goes, not M1 (oldest)
	_, ok := srv.Member("M3")
	assert.False(t, ok, "the deleted member is forgotten first")
	for _, id := range []string{"M1", "M2", "M4", "M5"} {
		_, ok := srv.Member(id)
		assert.True(t, ok, id)
	}
	add("M6") // over again, nothing deleted or invalid: the oldest goes
	_, ok = srv.Member("M1")
	assert.False(t, ok, "then the oldest")
	got := rawPost(t, srv, rawMember, "4MemRefM", url.Values{"KaiinId": {"M1"}, "KaiinPass": {"pass1"}})
	assert.Equal(t, "K71", got.Get("ResponseCd"))
	add("M1") // its KaiinId is free again
}

// An expired token answers KI3 also once the fake has forgotten it, and one
// pushed out by the cap answers KI3 too; a token never issued is KHZ.
func TestLimitsForgottenTokenAnswersKI3(t *testing.T) {
	srv := limitedServer(t, escotttest.Limits{Tokens: 2})
	pay := func(tok escott.CardToken) string {
		return rawPost(t, srv, rawCard, "1Gathering", url.Values{"Token": {string(tok)}, "Amount": {"100"}, "PayType": {"01"}}).Get("ResponseCd")
	}
	old := srv.MustToken(escotttest.CardVisa)
	srv.MustToken(escotttest.CardVisa)
	srv.MustToken(escotttest.CardVisa)
	assert.Equal(t, "KI3", pay(old), "pushed out by the cap")

	expired := srv.MustToken(escotttest.CardVisa)
	srv.Advance(31 * time.Minute)
	srv.MustToken(escotttest.CardVisa) // the fake forgets what expired
	srv.MustToken(escotttest.CardVisa)
	assert.Equal(t, "KI3", pay(expired))
	assert.Equal(t, "KHZ", pay(escott.CardToken("A"+string(expired)[1:])), "never issued")
	search := rawPost(t, srv, rawToken, "1TokenSearch", url.Values{"Token": {string(expired)}})
	assert.Equal(t, "KI3", search.Get("TokenResponseCd"))
}

// Garbage OperateIds are counted together, so they cannot grow the counts;
// known operations are still counted exactly.
func TestLimitsUnknownOperateIDsCountedTogether(t *testing.T) {
	srv := rawServer(t)
	for i := range 50 {
		got := rawPost(t, srv, rawCard, "X"+strconv.Itoa(i), nil)
		require.Equal(t, "K06", got.Get("ResponseCd"))
	}
	rawPay(t, srv, "1Auth", escotttest.CardVisa, "01")
	assert.Equal(t, 1, srv.RequestCount("1Auth"))
	assert.Equal(t, 51, srv.RequestCount(""))
	assert.Equal(t, 50, srv.RequestCount(escotttest.UnknownOperation))
	assert.Equal(t, 50, srv.RequestCount("X7"), "any unknown OperateId reads the shared count")
}

// The request log keeps whole requests, within its count and byte limits.
func TestLimitsRequestLog(t *testing.T) {
	srv := limitedServer(t, escotttest.Limits{Requests: 10, RequestBytes: 1 << 20})
	for i := range 25 {
		rawPost(t, srv, rawCard, "1Search", url.Values{"MerchantFree1": {"log" + strconv.Itoa(i)}})
	}
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	assert.LessOrEqual(t, len(reqs), 10)
	assert.Equal(t, "log24", reqs[len(reqs)-1].Fields.Get("MerchantFree1"))
	assert.Equal(t, "1Search", reqs[len(reqs)-1].OperateID)
	assert.Equal(t, rawCard, reqs[len(reqs)-1].Path)
	assert.Equal(t, escotttest.DefaultMerchantPass, reqs[len(reqs)-1].Fields.Get("MerchantPass"))
	assert.Equal(t, 25, srv.RequestCount("1Search"))

	small := limitedServer(t, escotttest.Limits{RequestBytes: 2000})
	for range 25 {
		rawPost(t, small, rawCard, "1Search", url.Values{"Pad": {string(make([]byte, 300))}})
	}
	assert.Less(t, len(small.Requests()), 25)
	assert.NotEmpty(t, small.Requests())
}
