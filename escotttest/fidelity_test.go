package escotttest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/escotttest"
)

// These tests post forms shaped as the production plugins build them
// (Welcart, WooCommerce, SPS's EC-CUBE modules, CS-Cart) straight to the
// fake's endpoints, without the SDK, so that they keep testing the fake when
// the SDK changes (issue #12).

const (
	rawCard   = "/online/aut/OAUT002.do"
	rawMember = "/online/crp/OCRP005.do"
)

var rawNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))

func rawServer(t *testing.T) *escotttest.Server {
	t.Helper()
	srv := escotttest.NewServer(escotttest.Config{Now: func() time.Time { return rawNow }})
	t.Cleanup(srv.Close)
	return srv
}

// rawPost sends the common fields every plugin sends plus extra, and returns
// the parsed answer.
func rawPost(t *testing.T, srv *escotttest.Server, path, op string, extra url.Values) url.Values {
	t.Helper()
	f := url.Values{
		"MerchantId":      {escotttest.DefaultMerchantID},
		"MerchantPass":    {escotttest.DefaultMerchantPass},
		"TransactionDate": {"20261127"},
		"OperateId":       {op},
		"MerchantFree1":   {"100000000001"},
		"MerchantFree2":   {""},
		"MerchantFree3":   {""},
		"TenantId":        {"0001"},
	}
	for k, v := range extra {
		f[k] = v
	}
	res, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	return out
}

func rawPay(t *testing.T, srv *escotttest.Server, op, number, payType string) url.Values {
	t.Helper()
	a := rawPost(t, srv, rawCard, op, url.Values{
		"Token": {string(srv.MustToken(number))}, "Amount": {"5000"}, "PayType": {payType},
	})
	require.Equal(t, "OK", a.Get("ResponseCd"), a)
	return a
}

// #12.10: 1ReAuth without SalesDate, or with a malformed or future one, is K39.
func TestRawReAuthSalesDateRequired(t *testing.T) {
	srv := rawServer(t)
	a := rawPay(t, srv, "1Auth", escotttest.CardVisa, "01")
	for name, sales := range map[string][]string{
		"missing": nil, "empty": {""}, "dashes": {"2026-11-27"}, "short": {"261127"},
		"not a date": {"20261332"}, "future": {"20261128"},
	} {
		f := url.Values{"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}, "Amount": {"4000"}}
		if sales != nil {
			f["SalesDate"] = sales
		}
		got := rawPost(t, srv, rawCard, "1ReAuth", f)
		assert.Equal(t, "K39", got.Get("ResponseCd"), name)
	}
}

// #12.10: a re-authorised 1Auth stays authorised and can be captured.
func TestRawReAuthOfAuthCanBeCaptured(t *testing.T) {
	srv := rawServer(t)
	a := rawPay(t, srv, "1Auth", escotttest.CardVisa, "01")
	re := rawPost(t, srv, rawCard, "1ReAuth", url.Values{
		"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}, "Amount": {"4000"}, "SalesDate": {"20261127"},
	})
	require.Equal(t, "OK", re.Get("ResponseCd"), re)
	require.NotEqual(t, a.Get("ProcessId"), re.Get("ProcessId"))
	info, ok := srv.Process(re.Get("ProcessId"))
	require.True(t, ok)
	assert.Equal(t, "authorized", info.State)
	capt := rawPost(t, srv, rawCard, "1Capture", url.Values{
		"ProcessId": {re.Get("ProcessId")}, "ProcessPass": {re.Get("ProcessPass")}, "SalesDate": {"20261127"},
	})
	assert.Equal(t, "OK", capt.Get("ResponseCd"), capt)
	info, _ = srv.Process(re.Get("ProcessId"))
	assert.Equal(t, "captured", info.State)
}

// #12.10: a re-authorised 1Gathering is captured again: 1Capture is K14.
func TestRawReAuthOfGatheringIsCaptured(t *testing.T) {
	srv := rawServer(t)
	a := rawPay(t, srv, "1Gathering", escotttest.CardVisa, "01")
	del := rawPost(t, srv, rawCard, "1Delete", url.Values{"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}})
	require.Equal(t, "OK", del.Get("ResponseCd"))
	re := rawPost(t, srv, rawCard, "1ReAuth", url.Values{
		"ProcessId": {a.Get("ProcessId")}, "ProcessPass": {a.Get("ProcessPass")}, "Amount": {"4000"}, "SalesDate": {"20261126"},
	})
	require.Equal(t, "OK", re.Get("ResponseCd"), re)
	info, _ := srv.Process(re.Get("ProcessId"))
	assert.Equal(t, "captured", info.State)
	assert.Equal(t, "20261126", info.SalesDate)
	capt := rawPost(t, srv, rawCard, "1Capture", url.Values{
		"ProcessId": {re.Get("ProcessId")}, "ProcessPass": {re.Get("ProcessPass")}, "SalesDate": {"20261127"},
	})
	assert.Equal(t, "K14", capt.Get("ResponseCd"))
}

// #12.14: CS-Cart's MerchantFree1 "<tenant>-<order id>" is accepted and echoed;
// other punctuation is still K07.
func TestRawMerchantFree1WithHyphen(t *testing.T) {
	srv := rawServer(t)
	a := rawPost(t, srv, rawCard, "1Gathering", url.Values{
		"MerchantFree1": {"1-123"}, "Token": {string(srv.MustToken(escotttest.CardVisa))}, "Amount": {"1000"}, "PayType": {"01"},
	})
	require.Equal(t, "OK", a.Get("ResponseCd"), a)
	assert.Equal(t, "1-123", a.Get("MerchantFree1"))
	for _, bad := range []string{"1_123", "1 123", "1.123", strings.Repeat("-", 33)} {
		a = rawPost(t, srv, rawCard, "1Search", url.Values{"MerchantFree1": {bad}, "ProcessId": {"1"}, "ProcessPass": {"1"}})
		assert.Equal(t, "K07", a.Get("ResponseCd"), bad)
	}
}

// #12.9: a 2-series Mastercard gets Mastercard's divisions and CompanyCd.
func TestRawTwoSeriesMastercard(t *testing.T) {
	srv := rawServer(t)
	for _, pt := range []string{"03", "24", "88", "80"} {
		a := rawPay(t, srv, "1Gathering", escotttest.CardMastercard2Series, pt)
		assert.Equal(t, "MC", a.Get("CompanyCd"), pt)
	}
	add := rawPost(t, srv, rawMember, "4MemAdd", url.Values{
		"KaiinId": {"5001234567890"}, "KaiinPass": {"123456789012"}, "Token": {string(srv.MustToken(escotttest.CardMastercard2Series))},
	})
	require.Equal(t, "OK", add.Get("ResponseCd"), add)
	ref := rawPost(t, srv, rawMember, "4MemRefM", url.Values{"KaiinId": {"5001234567890"}, "KaiinPass": {"123456789012"}})
	assert.Equal(t, "MC", ref.Get("CompanyCd"))
	assert.Equal(t, "222300******0011", ref.Get("CardNo"))
}
