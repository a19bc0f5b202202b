package escott_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// wooCommerce2Add is the 2Add form exactly as the WooCommerce plugin builds
// it (class-spfwc-payment-gateway-cvs.php): no TenantId, MerchantFree2 the
// order number, PayLimit today + 7 days at 23:59, the kana name converted
// with mb_convert_kana 'KVC' or the kanji name when there is none.
func wooCommerce2Add(now time.Time) url.Values {
	v := url.Values{}
	v.Set("MerchantId", escotttest.DefaultMerchantID)
	v.Set("MerchantPass", escotttest.DefaultMerchantPass)
	v.Set("TransactionDate", jst.Date(now))
	v.Set("MerchantFree1", "202612011234")
	v.Set("MerchantFree2", "1042")
	v.Set("Amount", "3240")
	v.Set("OperateId", "2Add")
	v.Set("PayLimit", jst.Date(now.AddDate(0, 0, 7))+"2359")
	v.Set("NameKanji", "山田太郎")
	v.Set("NameKana", "ヤマダタロウ")
	v.Set("TelNo", "0312345678")
	v.Set("ShouhinName", "Ｔシャツ")
	v.Set("ReturnURL", "https://shop.example.jp/")
	return v
}

// post2Add posts a raw form to the fake's OCNV005 endpoint and decodes the
// answer.
func post2Add(t *testing.T, srv *escotttest.Server, form url.Values) *wire.Response {
	t.Helper()
	res, err := http.PostForm(srv.URL+"/online/cnv/OCNV005.do", form)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	r, err := wire.Decode(body)
	require.NoError(t, err, "%s", body)
	return r
}

// receiver is a notification URL answering with status and body from
// answer(attempt), counting deliveries.
type receiver struct {
	mu    sync.Mutex
	n     int
	url   string
	bodys []url.Values
}

func newReceiver(t *testing.T, answer func(n int) (int, string)) *receiver {
	t.Helper()
	rc := &receiver{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rc.mu.Lock()
		rc.n++
		n := rc.n
		rc.bodys = append(rc.bodys, r.PostForm)
		rc.mu.Unlock()
		status, body := answer(n)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(hs.Close)
	rc.url = hs.URL + "/"
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n
}

// TestFakeNotifierAcceptsAny200ButOne: WooCommerce and Welcart answer an
// empty 200, CS-Cart "<BODY>OK</BODY>"; the gateway takes any 200 whose body
// is not "1" as received and does not redeliver.
func TestFakeNotifierAcceptsAny200ButOne(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		accepted bool
	}{
		{"empty 200 (WooCommerce, Welcart)", 200, "", true},
		{"CS-Cart", 200, "<BODY>OK</BODY>", true},
		{"SPS's receivers", 200, "0", true},
		{"200 with 1 is an error", 200, "1", false},
		{"500", 500, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, func(int) (int, string) { return tc.status, tc.body })
			clock := time.Now()
			srv := escotttest.NewServer(escotttest.Config{NotifyURL: rc.url, Now: func() time.Time { return clock },
				Notify: escotttest.NotifySettings{RetryInterval: time.Hour, Retries: 5}})
			t.Cleanup(srv.Close)
			a := post2Add(t, srv, wooCommerce2Add(clock))
			require.True(t, a.OK())
			require.NoError(t, srv.Pay(a.Get("ProcessId"), "SEV"))
			sent := srv.Notifications()
			require.Len(t, sent, 1)
			assert.Equal(t, tc.accepted, sent[0].Accepted)
			srv.Advance(2 * time.Hour)
			if tc.accepted {
				assert.Equal(t, 1, rc.count(), "no redelivery after acceptance")
			} else {
				assert.Equal(t, 3, rc.count(), "redelivered hourly")
			}
		})
	}
}

// TestFakeRedeliveriesFollowTheClock: redeliveries are scheduled on the
// fake's clock, so a test drives them with Advance, deterministically; real
// time passing on a stopped clock delivers nothing.
func TestFakeRedeliveriesFollowTheClock(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, string) {
		if n < 4 {
			return http.StatusInternalServerError, "1"
		}
		return http.StatusOK, ""
	})
	clock := time.Now()
	srv := escotttest.NewServer(escotttest.Config{NotifyURL: rc.url, Now: func() time.Time { return clock },
		Notify: escotttest.NotifySettings{RetryInterval: 50 * time.Millisecond, Retries: 5}})
	t.Cleanup(srv.Close)
	a := post2Add(t, srv, wooCommerce2Add(clock))
	require.NoError(t, srv.Pay(a.Get("ProcessId"), "FAM"))
	require.Equal(t, 1, rc.count())

	time.Sleep(300 * time.Millisecond) // six intervals of real time: the fake's clock did not move
	assert.Equal(t, 1, rc.count(), "no redelivery while the fake's clock stands still")

	srv.Advance(49 * time.Millisecond)
	assert.Equal(t, 1, rc.count())
	srv.Advance(time.Millisecond)
	assert.Equal(t, 2, rc.count(), "due exactly one interval after the first attempt")
	srv.Advance(time.Second) // two more intervals due at once: attempts 3 and 4, then accepted
	assert.Equal(t, 4, rc.count())
	sent := srv.Notifications()
	require.Len(t, sent, 4)
	assert.Equal(t, []int{1, 2, 3, 4}, []int{sent[0].Attempt, sent[1].Attempt, sent[2].Attempt, sent[3].Attempt})
	assert.True(t, sent[3].Accepted)
	assert.Equal(t, clock.Add(50*time.Millisecond), sent[1].At, "stamped with the fake's clock")
	srv.Advance(time.Hour)
	assert.Equal(t, 4, rc.count(), "nothing after acceptance")
}

// TestFakeRedeliveriesGiveUp: 1 + Retries attempts, then nothing.
func TestFakeRedeliveriesGiveUp(t *testing.T) {
	rc := newReceiver(t, func(int) (int, string) { return http.StatusServiceUnavailable, "" })
	clock := time.Now()
	srv := escotttest.NewServer(escotttest.Config{NotifyURL: rc.url, Now: func() time.Time { return clock },
		Notify: escotttest.NotifySettings{RetryInterval: time.Hour, Retries: 5}})
	t.Cleanup(srv.Close)
	a := post2Add(t, srv, wooCommerce2Add(clock))
	require.NoError(t, srv.Pay(a.Get("ProcessId"), "LSN"))
	for i := 0; i < 10; i++ {
		srv.Advance(time.Hour)
	}
	assert.Equal(t, 6, rc.count(), "the first delivery and 5 redeliveries")
}

// csCart2Add is the 2Add form as CS-Cart's smartlink add-on builds it: no
// ShouhinName, no PayLimit (only sent when configured), NameKana in
// half-width katakana.
func csCart2Add(now time.Time) url.Values {
	v := url.Values{}
	v.Set("MerchantId", escotttest.DefaultMerchantID)
	v.Set("MerchantPass", escotttest.DefaultMerchantPass)
	v.Set("TenantId", "0001")
	v.Set("TransactionDate", jst.Date(now))
	v.Set("OperateId", "2Add")
	v.Set("MerchantFree1", "00011042") // CS-Cart sends "<tenant>-<order>"; the '-' is another change
	v.Set("Amount", "1980")
	v.Set("NameKanji", "山田　太郎")
	v.Set("NameKana", "ﾔﾏﾀﾞ ﾀﾛｳ")
	v.Set("TelNo", "090-1234-5678")
	return v
}

// TestFake2AddAsProductionClientsSendIt: the fake accepts the 2Add forms of
// production clients: without ShouhinName or PayLimit (pay limit 7 days, to
// 23:59 JST), and a NameKana in kanji (WooCommerce and Welcart send the
// kanji name when there is no kana) or in half-width katakana (CS-Cart).
func TestFake2AddAsProductionClientsSendIt(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC) // 2026-12-02 00:30 JST
	srv := escotttest.NewServer(escotttest.Config{Now: func() time.Time { return now }})
	t.Cleanup(srv.Close)
	refLimit := func(a *wire.Response) string {
		f := url.Values{}
		f.Set("MerchantId", escotttest.DefaultMerchantID)
		f.Set("MerchantPass", escotttest.DefaultMerchantPass)
		f.Set("TransactionDate", jst.Date(now))
		f.Set("OperateId", "2Ref")
		f.Set("MerchantFree1", "ref1")
		f.Set("ProcessId", a.Get("ProcessId"))
		f.Set("ProcessPass", a.Get("ProcessPass"))
		r := post2Add(t, srv, f)
		require.True(t, r.OK(), r.Codes)
		return r.Get("PayLimit")
	}

	a := post2Add(t, srv, csCart2Add(now))
	require.True(t, a.OK(), "CS-Cart form: %v", a.Codes)
	assert.Equal(t, "202612092359", refLimit(a), "default pay limit: 7 days, JST date, until 23:59")
	info, ok := srv.CVSPayment(a.Get("ProcessId"))
	require.True(t, ok)
	assert.Equal(t, "202612092359", info.PayLimit.Format("200601021504"))

	for name, mutate := range map[string]func(url.Values){
		"without ShouhinName":          func(v url.Values) { v.Del("ShouhinName") },
		"without PayLimit":             func(v url.Values) { v.Del("PayLimit") },
		"kanji in NameKana":            func(v url.Values) { v.Set("NameKana", "山田太郎") },
		"half-width katakana NameKana": func(v url.Values) { v.Set("NameKana", "ﾔﾏﾀﾞﾀﾛｳ") },
		"mixed full and half width":    func(v url.Values) { v.Set("NameKana", "ヤマダ　ﾀﾛｳ") },
		"Free17 of 21":                 func(v url.Values) { v.Set("Free17", strings.Repeat("問", 21)) },
		"Free18 of 12":                 func(v url.Values) { v.Set("Free18", "03-1234-5678") },
		"Free19 of 11":                 func(v url.Values) { v.Set("Free19", "9:00-18:00 ") },
	} {
		f := wooCommerce2Add(now)
		mutate(f)
		a := post2Add(t, srv, f)
		assert.True(t, a.OK(), "%s: %v", name, a.Codes)
	}
}

// TestFake2AddRejects: what the real gateway refuses in 2Add.
func TestFake2AddRejects(t *testing.T) {
	now := time.Now()
	srv := escotttest.NewServer(escotttest.Config{Now: func() time.Time { return now }})
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
		code   string
	}{
		{"ASCII in NameKana", func(v url.Values) { v.Set("NameKana", "Yamada") }, "K52"},
		{"NameKana of 21", func(v url.Values) { v.Set("NameKana", strings.Repeat("ア", 21)) }, "K52"},
		{"without NameKana", func(v url.Values) { v.Del("NameKana") }, "K01"},
		{"Free17 of 22", func(v url.Values) { v.Set("Free17", strings.Repeat("問", 22)) }, "K57"},
		{"Free18 with parentheses", func(v url.Values) { v.Set("Free18", "03(1234)5678") }, "K58"},
		{"Free18 of 13", func(v url.Values) { v.Set("Free18", "090-1234-5678") }, "K58"},
		{"Free18 full-width", func(v url.Values) { v.Set("Free18", "０３１２３４") }, "K58"},
		{"Free19 full-width", func(v url.Values) { v.Set("Free19", "９時～１８時") }, "K59"},
		{"Free19 of 12", func(v url.Values) { v.Set("Free19", "09:00-18:00 ") }, "K59"},
		{"PayLimit malformed", func(v url.Values) { v.Set("PayLimit", "2026") }, "K50"},
	} {
		f := wooCommerce2Add(now)
		tc.mutate(f)
		a := post2Add(t, srv, f)
		assert.False(t, a.OK(), tc.name)
		assert.Contains(t, a.Codes, tc.code, tc.name)
	}
}

// TestCVSFreeTextsConvertedToFullWidth: Comment and Free1–Free16 are sent
// full-width, as SPS's modules send them (mb_convert_kana 'ASK' and " ' \ ~
// widened too); Free18 and Free19 half-width.
func TestCVSFreeTextsConvertedToFullWidth(t *testing.T) {
	srv, c := newTest(t)
	p := cvsParams()
	p.Comment = `Tel: 03 "A" 'b' \ ~ ｶﾞ`
	p.Free = make([]string, 19)
	for i := range 16 {
		p.Free[i] = "No." + string(rune('1'+i%9))
	}
	p.Free[16] = "Shop サポート"
	p.Free[17] = "０３－１２３４－５６７８"
	p.Free[18] = "９：００－１８：００"
	_, err := c.CVS.Register(context.Background(), p)
	require.NoError(t, err)
	req := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, "Ｔｅｌ：　０３　＂Ａ＂　＇ｂ＇　＼　～　ガ", req.Fields.Get("Comment"))
	for i := range 16 {
		assert.Equal(t, "Ｎｏ．"+string(rune('１'+i%9)), req.Fields.Get("Free"+itoa(i+1)))
	}
	assert.Equal(t, "Shop サポート", req.Fields.Get("Free17"), "Free17 is sent as given")
	assert.Equal(t, "03-1234-5678", req.Fields.Get("Free18"))
	assert.Equal(t, "9:00-18:00", req.Fields.Get("Free19"))
}

// TestCVSFreeTextsRefusedBeforeSending: what cannot be converted is reported
// before anything is sent, naming the field and the character.
func TestCVSFreeTextsRefusedBeforeSending(t *testing.T) {
	srv, c := newTest(t)
	for _, tc := range []struct {
		name        string
		set         func(*escott.CVSParams)
		field, char string
	}{
		{"Comment with a character without full-width form", func(p *escott.CVSParams) { p.Comment = "a⟨b" }, "Comment", "⟨"},
		{"Comment with a tab", func(p *escott.CVSParams) { p.Comment = "a\tb" }, "Comment", `\t`},
		{"Free3 with a character without full-width form", func(p *escott.CVSParams) { p.Free = []string{"", "", "x⟩"} }, "Free3", "⟩"},
		{"Free17 of 22", func(p *escott.CVSParams) {
			p.Free = make([]string, 17)
			p.Free[16] = strings.Repeat("x", 22)
		}, "Free17", "21"},
		{"Free18 with letters", func(p *escott.CVSParams) {
			p.Free = make([]string, 18)
			p.Free[17] = "03-1234-CALL"
		}, "Free18", "C"},
		{"Free18 of 13", func(p *escott.CVSParams) {
			p.Free = make([]string, 18)
			p.Free[17] = "090-1234-5678"
		}, "Free18", "12"},
		{"Free19 with kanji", func(p *escott.CVSParams) {
			p.Free = make([]string, 19)
			p.Free[18] = "9時-18時"
		}, "Free19", "時"},
		{"Free19 of 12", func(p *escott.CVSParams) {
			p.Free = make([]string, 19)
			p.Free[18] = "09:00-18:00 "
		}, "Free19", "11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.RequestCount("")
			p := cvsParams()
			tc.set(p)
			_, err := c.CVS.Register(context.Background(), p)
			var verr *escott.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields, 1, "%v", err)
			assert.Equal(t, tc.field, verr.Fields[0].Field)
			assert.Contains(t, verr.Fields[0].Problem, tc.char)
			assert.Equal(t, before, srv.RequestCount(""), "nothing sent")
		})
	}
}

// TestCVSNameKanaFallsBackToKanji: the reading is converted to full-width
// katakana where possible; otherwise the kanji name is sent, as WooCommerce
// and Welcart do, instead of refusing the order locally.
func TestCVSNameKanaFallsBackToKanji(t *testing.T) {
	srv, c := newTest(t)
	for _, tc := range []struct{ name, kana, wantKana string }{
		{"山田 太郎", "やまだ ﾀﾛｳ", "ヤマダ　タロウ"},
		{"山田 太郎", "", "山田　太郎"},
		{"山田 太郎", "Yamada Taro", "山田　太郎"},
		{"やまだ たろう", "", "ヤマダ　タロウ"},
		{"John Smith", "", "Ｊｏｈｎ　Ｓｍｉｔｈ"},
		{"山田 太郎", strings.Repeat("ア", 21), "山田　太郎"},
	} {
		p := cvsParams()
		p.Name, p.NameKana = tc.name, tc.kana
		pay, err := c.CVS.Register(context.Background(), p)
		require.NoError(t, err, "%q/%q", tc.name, tc.kana)
		assert.Equal(t, tc.wantKana, pay.NameKana)
		assert.Equal(t, tc.wantKana, srv.Requests()[len(srv.Requests())-1].Fields.Get("NameKana"))
	}
}
