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
//	go test -run TestSoakThreeDSMemory -count=1 ./escotttest -escotttest.soak=1000000 [-escotttest.soak.mix=all]
//
// It drives the fake in process with mixed OTDS010 calls and prints the heap
// and RSS at each quarter. mix=3ds (default) touches only 3-D Secure state;
// mix=all also makes mode A authorisations and mints a token per 3Secure, so
// it shows the growth of the processes and tokens the fake keeps.
var (
	soakCalls = flag.Int("escotttest.soak", 0, "run the 3-D Secure soak test with this many calls")
	soakMix   = flag.String("escotttest.soak.mix", "3ds", "3ds or all")
)

func TestSoakThreeDSMemory(t *testing.T) {
	if *soakCalls == 0 {
		t.Skip("soak test: pass -escotttest.soak=N to run it")
	}
	g := New(Config{})
	t.Cleanup(g.Close)
	ci, err := envelope.New(DefaultAESKey, DefaultAESIV)
	require.NoError(t, err)

	base := func(op, mf1, proc string) url.Values {
		v := url.Values{}
		v.Set("MerchantId", DefaultMerchantID)
		v.Set("MerchantPass", DefaultMerchantPass)
		v.Set("TransactionDate", jst.Date(g.Now()))
		v.Set("OperateId", op)
		v.Set("MerchantFree1", mf1)
		v.Set("TenantId", "0001")
		v.Set("ProcNo", proc)
		v.Set("RedirectUrl", "https://shop.example.jp/return")
		return v
	}
	send := func(v url.Values) int {
		body := url.Values{"MerchantId": {DefaultMerchantID}, "EncryptValue": {ci.Encrypt(v)}}.Encode()
		r := httptest.NewRequest(http.MethodPost, pathThreeDS, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w.Code
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
		v.Set("KaiinId", id)
		v.Set("KaiinPass", "pass1234")
		v.Set("Amount", "1980")
		return v
	}

	all := *soakMix == "all"
	n := *soakCalls
	t.Logf("%-9s %10s %10s %9s %9s %9s %9s %9s", "calls", "heap KiB", "RSS KiB", "completed", "sessions", "issued", "procs", "tokens")
	for i := 1; i <= n; i++ {
		mf1 := "soak" + strconv.Itoa(i/2) // pairs: an order and its exact replay
		switch i % 5 {
		case 0, 1: // an order with ProcNo 0000000, then its exact replay (K89)
			send(byMember(base("3Secure", mf1, "0000000"), "SOAKA"))
		case 2: // a challenge the shopper abandons
			send(byMember(base("3Secure", "ch"+strconv.Itoa(i), "0000000"), "SOAKC"))
		case 3: // same order, new ProcNo
			send(byMember(base("3Secure", mf1, strconv.Itoa(1000000 + i%9000000)[:7]), "SOAKA"))
		case 4:
			if all { // a mode A authorisation, and a 3Secure by a fresh token
				v := byMember(base("1Gathering", "ma"+strconv.Itoa(i), "0000000"), "SOAKA")
				v.Set("PayType", "01")
				send(v)
				v = base("3Secure", "tk"+strconv.Itoa(i), "0000000")
				v.Set("Token", string(g.MustToken(CardVisa)))
				v.Set("BillingFullName", "TARO YAMADA")
				v.Set("BillingEmail", "taro@example.jp")
				v.Set("Amount", "1980")
				send(v)
			} else {
				send(byMember(base("3Secure", "b"+strconv.Itoa(i), "0000000"), "SOAKA"))
			}
		}
		if i%(n/4) == 0 {
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			g.mu.Lock()
			c, s, is, p, tk := g.tds.completed.len(), g.tds.sessions.len(), g.tds.issued.len(), len(g.procs), len(g.tokens)
			g.mu.Unlock()
			t.Logf("%-9d %10d %10d %9d %9d %9d %9d %9d", i, ms.HeapAlloc>>10, rssKiB(), c, s, is, p, tk)
		}
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
