package escotttest

import (
	"bufio"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/envelope"
	"github.com/escott-go/escott/internal/jst"
)

// The soak test is not part of the default suite. Run it with
//
//	go test -run TestSoakThreeDSMemory -count=1 ./escotttest -escotttest.soak=1000000 [-escotttest.soak.mix=all] [-escotttest.soak.limit=N]
//
// It drives the fake in process and prints the heap and RSS at each eighth.
// mix=3ds (default) makes only OTDS010 calls and touches only 3-D Secure
// state. mix=all makes every kind of call a shop makes, one call per step in
// a cycle of ten: 3Secure by member (an order, its exact replay, an abandoned
// challenge), 1Gathering and 1Auth by token, their follow-ups (1Capture,
// 1Search, 1Delete, and a 1Search of a long-gone transaction), members
// (4MemAdd, 1Auth by member, 4MemInval, 4MemDel, 4MemRefM), 2Add, 2Ref/2Chg/
// 2Del, and the rest (a mode A 1Gathering and a 3Secure by token through
// OTDS010, 1TokenSearch, a garbage OperateId). limit=N sets every count in
// Config.Limits and of the 3-D Secure memory to N (0: the defaults), so that
// every cap fills early.
var (
	soakCalls = flag.Int("escotttest.soak", 0, "run the soak test with this many calls")
	soakMix   = flag.String("escotttest.soak.mix", "3ds", "3ds or all")
	soakLimit = flag.Int("escotttest.soak.limit", 0, "every count of Config.Limits (0: defaults)")
)

func TestSoakThreeDSMemory(t *testing.T) {
	if *soakCalls == 0 {
		t.Skip("soak test: pass -escotttest.soak=N to run it")
	}
	var lim Limits
	if n := *soakLimit; n > 0 {
		lim = Limits{Processes: n, CVSPayments: n, Members: n, Tokens: n, Requests: n}
	}
	g := New(Config{Limits: lim})
	t.Cleanup(g.Close)
	if n := *soakLimit; n > 0 { // the 3-D Secure memory too
		g.tds.completed = newExpiring[struct{}](n)
		g.tds.sessions = newExpiring[*tdsSession](n)
		g.tds.issued = newExpiring[url.Values](n)
	}
	ci, err := envelope.New(DefaultAESKey, DefaultAESIV)
	require.NoError(t, err)

	common := func(op, mf1 string) url.Values {
		v := url.Values{}
		v.Set("MerchantId", DefaultMerchantID)
		v.Set("MerchantPass", DefaultMerchantPass)
		v.Set("TransactionDate", jst.Date(g.Now()))
		v.Set("OperateId", op)
		v.Set("MerchantFree1", mf1)
		v.Set("TenantId", "0001")
		return v
	}
	base := func(op, mf1, proc string) url.Values {
		v := common(op, mf1)
		v.Set("ProcNo", proc)
		v.Set("RedirectUrl", "https://shop.example.jp/return")
		return v
	}
	serve := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	send := func(v url.Values) int {
		body := url.Values{"MerchantId": {DefaultMerchantID}, "EncryptValue": {ci.Encrypt(v)}}.Encode()
		return serve(pathThreeDS, body).Code
	}
	// post sends a server-to-server request and returns the answer.
	post := func(path string, v url.Values) url.Values {
		a, err := url.ParseQuery(serve(path, v.Encode()).Body.String())
		require.NoError(t, err)
		return a
	}
	with := func(v url.Values, kv ...string) url.Values {
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	member := func(id, number string) {
		g.mu.Lock()
		defer g.mu.Unlock()
		now := g.nowLocked()
		yy := strconv.Itoa((now.Year() + 2) % 100)
		require.Empty(t, g.addMemberLocked(id, "pass1234", card{number: number, expYY: yy, expMM: "12", secCd: "123"}, now))
	}
	member("SOAKA", CardVisa)
	member("SOAKC", CardThreeDSChallenge)
	byMember := func(v url.Values, id string) url.Values {
		return with(v, "KaiinId", id, "KaiinPass", "pass1234", "Amount", "1980")
	}
	tok := func() string { return string(g.MustToken(CardVisa)) }
	codes := map[string]int{} // ResponseCd of the mix=all calls, to see the mix is real

	// The last authorisation, online-collection payment and member made,
	// for the follow-ups; the first transaction, long gone once the cap
	// has filled.
	var auth, cvs, first url.Values
	var memberID string
	all := *soakMix == "all"
	n := *soakCalls
	t.Logf("%-9s %10s %10s %9s %9s %9s %9s %9s %9s %9s %9s", "calls", "heap KiB", "RSS KiB",
		"completed", "sessions", "issued", "procs", "tokens", "members", "cvs", "log")
	for i := 1; i <= n; i++ {
		step, turn := i%10, i/10
		mf1 := "soak" + strconv.Itoa(turn)
		note := func(a url.Values) url.Values {
			op := a.Get("OperateId")
			if g.countKey(op) == UnknownOperation {
				op = "garbage"
			}
			codes[op+" "+a.Get("ResponseCd")]++
			return a
		}
		switch {
		case step == 0 || step == 1: // an order with ProcNo 0000000, then its exact replay (K89)
			send(byMember(base("3Secure", mf1, "0000000"), "SOAKA"))
		case step == 2: // a challenge the shopper abandons
			send(byMember(base("3Secure", "ch"+strconv.Itoa(i), "0000000"), "SOAKC"))
		case !all && step == 3: // same order, new ProcNo
			send(byMember(base("3Secure", mf1, strconv.Itoa(1000000 + i%9000000)[:7]), "SOAKA"))
		case !all:
			send(byMember(base("3Secure", "b"+strconv.Itoa(i), "0000000"), "SOAKA"))

		case step == 3:
			a := note(post(pathCard, with(common("1Gathering", "g"+strconv.Itoa(turn)), "Token", tok(), "Amount", "1980", "PayType", "01")))
			if first == nil {
				first = a
			}
		case step == 4:
			auth = note(post(pathCard, with(common("1Auth", "a"+strconv.Itoa(turn)), "Token", tok(), "Amount", "2980", "PayType", "01")))
		case step == 5:
			p := auth
			op := []string{"1Capture", "1Search", "1Delete", "1Search"}[turn%4]
			if turn%4 == 3 {
				p = first
			}
			note(post(pathCard, with(common(op, p.Get("MerchantFree1")), "ProcessId", p.Get("ProcessId"),
				"ProcessPass", p.Get("ProcessPass"), "SalesDate", jst.Date(g.Now()))))
		case step == 6:
			switch turn % 5 {
			case 0:
				memberID = "m" + strconv.Itoa(turn)
				note(post(pathMember, with(common("4MemAdd", memberID), "KaiinId", memberID, "KaiinPass", "pass1234", "Token", tok())))
			case 1:
				note(post(pathCard, byMember(with(common("1Auth", "ma"+strconv.Itoa(turn)), "PayType", "01"), memberID)))
			case 2:
				note(post(pathMember, with(common("4MemRefM", memberID), "KaiinId", memberID, "KaiinPass", "pass1234")))
			case 3:
				if turn%2 == 1 {
					note(post(pathMember, with(common("4MemInval", memberID), "KaiinId", memberID, "KaiinPass", "pass1234")))
				} else {
					note(post(pathToken, with(common("1TokenSearch", "ts"), "Token", tok())))
				}
			case 4:
				note(post(pathMember, with(common("4MemDel", memberID), "KaiinId", memberID, "KaiinPass", "pass1234")))
			}
		case step == 7:
			cvs = note(post(pathCVS, with(common("2Add", "c"+strconv.Itoa(turn)), "Amount", "1980", "NameKanji", "山田太郎",
				"NameKana", "ヤマダタロウ", "TelNo", "0312345678", "ShouhinName", "商品")))
		case step == 8:
			op := []string{"2Ref", "2Ref", "2Chg", "2Del"}[turn%4]
			note(post(pathCVS, with(common(op, cvs.Get("MerchantFree1")), "ProcessId", cvs.Get("ProcessId"),
				"ProcessPass", cvs.Get("ProcessPass"), "Amount", "2980", "PayLimit", jst.Date(g.Now().AddDate(0, 0, 3))+"2359")))
		case step == 9:
			switch turn % 3 {
			case 0: // a mode A authorisation through OTDS010
				send(with(byMember(base("1Gathering", "ma"+strconv.Itoa(i), "0000000"), "SOAKA"), "PayType", "01"))
			case 1: // a 3Secure by a fresh token
				send(with(base("3Secure", "tk"+strconv.Itoa(i), "0000000"), "Token", tok(), "BillingFullName", "TARO YAMADA",
					"BillingEmail", "taro@example.jp", "Amount", "1980"))
			case 2: // garbage
				note(post(pathCard, common("Z"+strconv.Itoa(i), "junk")))
			}
		}
		if i%max(n/8, 1) == 0 {
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			g.mu.Lock()
			c, s, is, p, tk := g.tds.completed.len(), g.tds.sessions.len(), g.tds.issued.len(), g.procs.len(), g.tokens.len()
			m, cv, lg := len(g.members.byID), g.cvs.byID.len(), len(g.log.entries)-g.log.head
			g.mu.Unlock()
			t.Logf("%-9d %10d %10d %9d %9d %9d %9d %9d %9d %9d %9d", i, ms.HeapAlloc>>10, rssKiB(), c, s, is, p, tk, m, cv, lg)
		}
	}
	if all {
		t.Logf("answers: %v", codes)
		g.mu.Lock()
		t.Logf("request counts: %d keys (%d unknown)", len(g.counts), g.counts[UnknownOperation])
		g.mu.Unlock()
	}
}

// rssKiB reads VmRSS from /proc (0 where there is none).
func rssKiB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
