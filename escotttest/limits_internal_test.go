package escotttest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/escott-go/escott/internal/jst"
)

// #12.11: the state a long-running escott-sim accumulates stays within its
// limits.
func TestLimitsStateStaysBounded(t *testing.T) {
	g := New(Config{Limits: Limits{Processes: 50, Tokens: 40, CVSPayments: 30, Members: 20}})
	t.Cleanup(g.Close)
	post := func(path, op string, extra url.Values) {
		f := url.Values{"MerchantId": {DefaultMerchantID}, "MerchantPass": {DefaultMerchantPass},
			"TransactionDate": {jst.Date(g.Now())}, "OperateId": {op}, "TenantId": {"0001"}}
		for k, v := range extra {
			f[k] = v
		}
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		g.ServeHTTP(httptest.NewRecorder(), r)
	}
	for i := range 500 {
		post(pathCard, "1Gathering", url.Values{"Token": {string(g.MustToken(CardVisa))}, "Amount": {"100"}, "PayType": {"01"}})
		post(pathMember, "4MemAdd", url.Values{"KaiinId": {"M" + strconv.Itoa(i)}, "KaiinPass": {"p"},
			"Token": {string(g.MustToken(CardVisa))}})
		post(pathCVS, "2Add", url.Values{"Amount": {"1000"}, "NameKanji": {"山田太郎"}, "NameKana": {"ヤマダタロウ"}, "TelNo": {"0312345678"}})
		post(pathCard, "garbage"+strconv.Itoa(i), nil)
		if i%100 == 0 {
			g.Advance(time.Hour) // tokens expire
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.LessOrEqual(t, g.procs.len(), 50)
	assert.LessOrEqual(t, g.tokens.len(), 40)
	assert.LessOrEqual(t, g.cvs.byID.len(), 30)
	assert.LessOrEqual(t, len(g.cvs.byArea), 30)
	assert.LessOrEqual(t, len(g.members.byID), 20)
	assert.LessOrEqual(t, len(g.counts), len(g.known)+1)
}
