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

// #12.8: authentication assist as SPS's EC-CUBE 4.2 module sends it on
// 1Check/1Auth/1Gathering (kana converted to half-width katakana).
func TestRawAuthAssist(t *testing.T) {
	srv := rawServer(t)
	good := url.Values{
		"KanaSei": {escotttest.AuthAssistKanaSei}, "KanaMei": {escotttest.AuthAssistKanaMei},
		"BirthDay": {escotttest.AuthAssistBirthDay}, "TelNo": {escotttest.AuthAssistTelNo},
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			delete(f, k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	pay := func(op, number string, assist url.Values) url.Values {
		f := url.Values{"Token": {string(srv.MustToken(number))}}
		if op != "1Check" {
			f.Set("Amount", "2000")
			f.Set("PayType", "01")
		}
		for k, v := range assist {
			f[k] = v
		}
		return rawPost(t, srv, rawCard, op, f)
	}
	for _, op := range []string{"1Check", "1Auth", "1Gathering"} {
		a := pay(op, escotttest.CardAuthAssist, good)
		assert.Equal(t, "OK", a.Get("ResponseCd"), op)
		a = pay(op, escotttest.CardAuthAssist, with("TelNo", ""))
		assert.Equal(t, "OK", a.Get("ResponseCd"), "%s: a field not sent is not checked", op)
		for field, code := range map[string]string{"BirthDay": "K41", "TelNo": "K42", "KanaSei": "K43", "KanaMei": "K44"} {
			wrong := map[string]string{"BirthDay": "0101", "TelNo": "0000", "KanaSei": "ｽｽﾞｷ", "KanaMei": "ｲﾁﾛｳ"}[field]
			a = pay(op, escotttest.CardAuthAssist, with(field, wrong))
			assert.Equal(t, code, a.Get("ResponseCd"), "%s %s mismatch", op, field)
			assert.Empty(t, a.Get("ProcessId"))
		}
		for field, bad := range map[string][2]string{
			"KanaSei": {"ヤマダ", "K25"}, "KanaMei": {"Hanako", "K26"}, "BirthDay": {"1301", "K27"}, "TelNo": {"123", "K28"},
		} {
			a = pay(op, escotttest.CardAuthAssist, with(field, bad[0]))
			assert.Equal(t, bad[1], a.Get("ResponseCd"), "%s %s format", op, field)
		}
		a = pay(op, escotttest.CardVisa, url.Values{"KanaSei": {"ｽｽﾞｷ"}, "BirthDay": {"0229"}, "TelNo": {"0000"}})
		assert.Equal(t, "OK", a.Get("ResponseCd"), "%s: other cards check formats only", op)
		a = pay(op, escotttest.CardVisa, url.Values{"BirthDay": {"0230"}})
		assert.Equal(t, "K27", a.Get("ResponseCd"), op)
	}
}

// #12.8: CS-Cart sends SecCd with a payment by stored card.
func TestRawMemberPaymentWithSecCd(t *testing.T) {
	srv := rawServer(t)
	member := url.Values{"KaiinId": {"5000000000042"}, "KaiinPass": {"abc123def456"}}
	add := rawPost(t, srv, rawMember, "4MemAdd", url.Values{
		"KaiinId": member["KaiinId"], "KaiinPass": member["KaiinPass"], "Token": {string(srv.MustToken(escotttest.CardVisa))},
	})
	require.Equal(t, "OK", add.Get("ResponseCd"), add)
	pay := func(sec string) url.Values {
		return rawPost(t, srv, rawCard, "1Gathering", url.Values{
			"KaiinId": member["KaiinId"], "KaiinPass": member["KaiinPass"], "SecCd": {sec}, "Amount": {"3000"}, "PayType": {"01"},
		})
	}
	a := pay("123") // MustToken's security code
	require.Equal(t, "OK", a.Get("ResponseCd"), a)
	assert.Equal(t, "0", a.Get("McSecCd"))
	assert.Equal(t, "K40", pay("999").Get("ResponseCd"))
	assert.Equal(t, "K24", pay("12a").Get("ResponseCd"))
	assert.Equal(t, "K24", pay("12345").Get("ResponseCd"))
}

// #12.8: 4MemChg with NewKaiinPass, as SPS's EC-CUBE 4.2 module sends it.
func TestRawMemberChangeWithNewKaiinPass(t *testing.T) {
	srv := rawServer(t)
	id, old, next := "5000000000043", "oldpass00001", "newpass00002"
	add := rawPost(t, srv, rawMember, "4MemAdd", url.Values{
		"KaiinId": {id}, "KaiinPass": {old}, "Token": {string(srv.MustToken(escotttest.CardVisa))},
	})
	require.Equal(t, "OK", add.Get("ResponseCd"), add)
	bad := rawPost(t, srv, rawMember, "4MemChg", url.Values{
		"KaiinId": {id}, "KaiinPass": {old}, "Token": {string(srv.MustToken(escotttest.CardJCB))}, "NewKaiinPass": {"new-pass!"},
	})
	assert.Equal(t, "K47", bad.Get("ResponseCd"))
	chg := rawPost(t, srv, rawMember, "4MemChg", url.Values{
		"KaiinId": {id}, "KaiinPass": {old}, "Token": {string(srv.MustToken(escotttest.CardJCB))}, "NewKaiinPass": {next},
	})
	require.Equal(t, "OK", chg.Get("ResponseCd"), chg)
	assert.Equal(t, "K71", rawPost(t, srv, rawMember, "4MemRefM", url.Values{"KaiinId": {id}, "KaiinPass": {old}}).Get("ResponseCd"))
	ref := rawPost(t, srv, rawMember, "4MemRefM", url.Values{"KaiinId": {id}, "KaiinPass": {next}})
	require.Equal(t, "OK", ref.Get("ResponseCd"), ref)
	assert.Equal(t, "JC", ref.Get("CompanyCd"))
}
