package escott_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// cvsParams is a valid registration as a shop has the data.
func cvsParams() *escott.CVSParams {
	return &escott.CVSParams{
		Amount:       yen(3240),
		Name:         "山田 太郎",
		NameKana:     "やまだ たろう",
		Phone:        "03-1234-5678",
		ProductNames: []string{"Tシャツ"},
	}
}

func TestCVSRegisterChangeInquireCancel(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.CVS.Register(ctx, cvsParams())
	require.NoError(t, err)
	assert.Equal(t, escott.OpCVSRegister, pay.OperateID)
	assert.NotEmpty(t, pay.Process.ID)
	assert.NotEmpty(t, pay.PaymentNumber)
	assert.False(t, pay.PaymentNumberChanged)
	assert.Equal(t, strings.TrimSpace(pay.Raw.Get("FreeArea")), pay.FreeArea)
	assert.NotContains(t, pay.FreeArea, " ", "the fake pads FreeArea; the SDK trims it")
	assert.Equal(t, srv.URL+"/JLPCT/JLPcon?code="+pay.FreeArea+"&rkbn=1", pay.RedirectURL)
	assert.Equal(t, srv.URL+"/JLPCT/JLPcon?code="+pay.FreeArea+"&rkbn=2", pay.MailURL)
	assert.Equal(t, "山田　太郎", pay.Name)
	assert.Equal(t, "ヤマダ　タロウ", pay.NameKana)
	assert.Equal(t, "Ｔシャツ", pay.ProductName)
	info, ok := srv.CVSPayment(pay.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "unpaid", info.State)
	assert.Equal(t, pay.Process.LinkKey, info.LinkKey)

	inq, err := c.CVS.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, escott.CVSUnpaid, inq.Status)
	assert.True(t, inq.Amount.Equal(yen(3240)))
	assert.True(t, inq.PaidAt.IsZero())

	chg, err := c.CVS.Change(ctx, pay.Process, &escott.CVSChangeParams{Amount: yen(2000), PayLimitDays: 3,
		PreviousPaymentNumber: pay.PaymentNumber})
	require.NoError(t, err)
	assert.Equal(t, escott.OpCVSChange, chg.OperateID)
	assert.True(t, chg.PaymentNumberChanged)
	assert.NotEqual(t, pay.PaymentNumber, chg.PaymentNumber)
	assert.NotEqual(t, pay.FreeArea, chg.FreeArea)
	assert.Equal(t, pay.Process.ID, chg.Process.ID)
	info, _ = srv.CVSPayment(pay.Process.ID)
	assert.Equal(t, escott.Yen(2000).String(), info.Amount.String())
	assert.Equal(t, chg.PaymentNumber, info.PaymentNumber)
	assert.Equal(t, chg.TransactionID, info.TransactionID)

	// The old payment page is gone, the new one works.
	assert.Equal(t, http.StatusNotFound, getStatus(t, pay.MailURL))
	assert.Equal(t, http.StatusOK, getStatus(t, chg.MailURL))

	_, err = c.CVS.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	_, err = c.CVS.Inquire(ctx, pay.Process, nil)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K12"))
	inq, err = c.CVS.Inquire(ctx, pay.Process, &escott.CVSInquireParams{Cancelled: true})
	require.NoError(t, err)
	assert.Equal(t, escott.CVSCancelled, inq.Status)
	assert.Equal(t, pay.Process.ID, inq.Process.ID)
	_, err = c.CVS.Inquire(ctx, pay.Process, nil)
	require.ErrorIs(t, err, escott.ErrState)
	_, err = c.CVS.Cancel(ctx, pay.Process, nil)
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K12"))
	assert.Equal(t, 1, srv.RequestCount("2Add"))
	assert.Equal(t, 1, srv.RequestCount("2Chg"))
	assert.Equal(t, 2, srv.RequestCount("2Del"))
	assert.Equal(t, 4, srv.RequestCount("2Ref"))
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	res, err := http.Get(u)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func TestCVSPaidCannotChangeOrCancel(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	p := cvsParams()
	p.Amount = yen(54000)
	pay, err := c.CVS.Register(ctx, p)
	require.NoError(t, err)
	require.NoError(t, srv.Pay(pay.Process.ID, "FAM"))
	require.ErrorIs(t, srv.Pay(pay.Process.ID, "FAM"), escotttest.ErrAlreadyPaid)

	inq, err := c.CVS.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, escott.CVSPaid, inq.Status)
	assert.Equal(t, escott.AgencyFamilyMart, inq.Agency)
	assert.Equal(t, "ファミリーマート", inq.Agency.NameJA())
	assert.True(t, inq.StampFlag, "54,000 yen needs a revenue stamp")
	assert.Equal(t, "0001", inq.TenantID)
	assert.Equal(t, "JST", inq.PaidAt.Location().String())
	assert.WithinDuration(t, srv.Now(), inq.PaidAt, 2*time.Second)
	inq, err = c.CVS.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	assert.Equal(t, escott.CVSPaid, inq.Status)

	_, err = c.CVS.Change(ctx, pay.Process, &escott.CVSChangeParams{Amount: yen(100)})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K14"))
	_, err = c.CVS.Cancel(ctx, pay.Process, nil)
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K14"))
}

func TestFakePayErrors(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.CVS.Register(ctx, cvsParams())
	require.NoError(t, err)
	assert.ErrorIs(t, srv.Pay("nope", "SEV"), escotttest.ErrNoSuchPayment)
	assert.ErrorIs(t, srv.Pay(pay.Process.ID, "XXX"), escotttest.ErrUnknownAgency)
	srv.Advance(8 * 24 * time.Hour)
	assert.ErrorIs(t, srv.Pay(pay.Process.ID, "SEV"), escotttest.ErrPayLimitPassed)
	assert.Equal(t, http.StatusGone, getStatus(t, pay.RedirectURL))
}

func TestCVSTextConversionEndToEnd(t *testing.T) {
	cases := []struct {
		name                       string
		kanji, kana, phone         string
		products                   []string
		wantKanji, wantKana, wantT string
		wantProduct                string
	}{
		{"kanji and hiragana", "山田 太郎", "やまだ たろう", "090-1234-5678", []string{"緑茶"},
			"山田　太郎", "ヤマダ　タロウ", "090-1234-5678", "緑茶"},
		{"half-width kana with dakuten and handakuten", "佐藤 花子", "ｻﾄｳ ﾊﾅｺﾞﾊﾟﾋﾟﾌﾟ", "０３（１２３４）５６７８",
			[]string{"ｸﾞﾘｰﾝﾃｨｰ ﾎﾟｯﾄ"}, "佐藤　花子", "サトウ　ハナゴパピプ", "03-1234-5678", "グリーンティー　ポット"},
		{"ASCII name and product", "Taro Yamada", "ﾀﾛｳ", "0312345678", []string{"T-shirt L"},
			"Ｔａｒｏ　Ｙａｍａｄａ", "タロウ", "0312345678", "Ｔ－ｓｈｉｒｔ　Ｌ"},
		{"kana name only falls back to the name", "やまだ はなこ", "", "03 1234 5678", []string{"靴下", "帽子"},
			"やまだ　はなこ", "ヤマダ　ハナコ", "0312345678", "靴下　その他"},
		{"long product shortened", "山田", "ヤマダ", "03-1234-5678",
			[]string{"とても長い商品名のついたデザイナーズTシャツ"}, "山田", "ヤマダ", "03-1234-5678",
			"とても長い商品名のついたデザイ…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			pay, err := c.CVS.Register(context.Background(), &escott.CVSParams{
				Amount: yen(500), Name: tc.kanji, NameKana: tc.kana, Phone: tc.phone, ProductNames: tc.products,
			})
			require.NoError(t, err)
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			f := reqs[0].Fields
			assert.Equal(t, tc.wantKanji, f.Get("NameKanji"))
			assert.Equal(t, tc.wantKana, f.Get("NameKana"))
			assert.Equal(t, tc.wantT, f.Get("TelNo"))
			assert.Equal(t, tc.wantProduct, f.Get("ShouhinName"))
			assert.LessOrEqual(t, len([]rune(f.Get("ShouhinName"))), 16)
			assert.Equal(t, tc.wantProduct, pay.ProductName)
		})
	}
}

func TestCVSValidation(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(p *escott.CVSParams)
		field string
	}{
		{"name too long", func(p *escott.CVSParams) { p.Name = strings.Repeat("山", 21) }, "NameKanji"},
		{"no name", func(p *escott.CVSParams) { p.Name = " " }, "NameKanji"},
		// A reading that cannot be sent is replaced by the name, not refused:
		// TestCVSNameKanaFallsBackToKanji.
		{"phone letters", func(p *escott.CVSParams) { p.Phone = "03-1234-ABCD" }, "TelNo"},
		{"phone too long", func(p *escott.CVSParams) { p.Phone = "090-1234-56789" }, "TelNo"},
		{"phone empty", func(p *escott.CVSParams) { p.Phone = "" }, "TelNo"},
		{"no product", func(p *escott.CVSParams) { p.ProductNames = []string{"", " "} }, "ShouhinName"},
		{"amount zero", func(p *escott.CVSParams) { p.Amount = yen(0) }, "Amount"},
		{"amount over limit", func(p *escott.CVSParams) { p.Amount = yen(300000) }, "Amount"},
		{"amount fractional", func(p *escott.CVSParams) { p.Amount = decimal.RequireFromString("10.5") }, "Amount"},
		{"pay limit days 61", func(p *escott.CVSParams) { p.PayLimitDays = 61 }, "PayLimit"},
		{"pay limit in the past", func(p *escott.CVSParams) { p.PayLimit = time.Date(2020, 1, 1, 23, 59, 0, 0, jstZone) }, "PayLimit"},
		{"pay limit far", func(p *escott.CVSParams) { p.PayLimit = time.Date(2099, 1, 1, 23, 59, 0, 0, jstZone) }, "PayLimit"},
		{"title", func(p *escott.CVSParams) { p.Title = strings.Repeat("あ", 21) }, "Title"},
		{"comment", func(p *escott.CVSParams) { p.Comment = strings.Repeat("あ", 31) }, "Comment"},
		{"free1", func(p *escott.CVSParams) { p.Free = []string{strings.Repeat("x", 17)} }, "Free1"},
		{"free9", func(p *escott.CVSParams) { p.Free = make([]string, 9); p.Free[8] = strings.Repeat("x", 31) }, "Free9"},
		{"free control", func(p *escott.CVSParams) { p.Free = []string{"a\nb"} }, "Free1"},
		{"return URL http", func(p *escott.CVSParams) { p.ReturnURL = "http://shop.example/" }, "ReturnURL"},
		{"link key", func(p *escott.CVSParams) { p.LinkKey = "not valid!" }, "MerchantFree1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			p := cvsParams()
			tc.edit(p)
			_, err := c.CVS.Register(context.Background(), p)
			var verr *escott.ValidationError
			require.ErrorAs(t, err, &verr)
			require.ErrorIs(t, err, escott.ErrValidation)
			fields := []string{}
			for _, f := range verr.Fields {
				fields = append(fields, f.Field)
			}
			assert.Contains(t, fields, tc.field)
			assert.Contains(t, err.Error(), tc.field)
			assert.Equal(t, 0, srv.RequestCount(""), "nothing may be sent")
		})
	}
}

func TestCVSFollowUpValidation(t *testing.T) {
	srv, c := newTest(t)
	ctx := context.Background()
	bad := escott.Process{ID: "", Pass: "x"}
	_, err := c.CVS.Change(ctx, bad, &escott.CVSChangeParams{Amount: yen(1)})
	require.ErrorIs(t, err, escott.ErrValidation)
	_, err = c.CVS.Cancel(ctx, bad, nil)
	require.ErrorIs(t, err, escott.ErrValidation)
	_, err = c.CVS.Inquire(ctx, bad, nil)
	require.ErrorIs(t, err, escott.ErrValidation)
	_, err = c.CVS.Change(ctx, escott.Process{ID: "1", Pass: "x"}, &escott.CVSChangeParams{Amount: yen(300000)})
	require.ErrorIs(t, err, escott.ErrValidation)
	assert.Equal(t, 0, srv.RequestCount(""))
}

// TestCVSAllFieldsEncode checks that every request field reaches the wire.
func TestCVSAllFieldsEncode(t *testing.T) {
	srv, c := newTest(t)
	p := cvsParams()
	p.Title, p.Comment, p.ReturnURL = "タイトル", "コメント", "https://shop.example/thanks"
	p.LinkKey, p.MerchantFree2, p.MerchantFree3 = "ORDER123", "free2", "自由3"
	p.Free = make([]string, 19)
	for i := range 16 {
		p.Free[i] = "Ｆ" + string(rune('ａ'+i)) // Comment and Free1–16 are sent full-width
	}
	p.Free[16], p.Free[17], p.Free[18] = "Fq", "0120-1", "9-18" // Free18 digits and hyphens, Free19 half-width
	_, err := c.CVS.Register(context.Background(), p)
	require.NoError(t, err)
	f := srv.Requests()[0].Fields
	for _, k := range []string{"MerchantId", "MerchantPass", "TransactionDate", "OperateId", "MerchantFree1",
		"MerchantFree2", "MerchantFree3", "TenantId", "Amount", "PayLimit", "NameKanji", "NameKana", "TelNo",
		"ShouhinName", "Title", "Comment", "ReturnURL"} {
		assert.NotEmpty(t, f.Get(k), k)
	}
	for i := range 19 {
		assert.Equal(t, p.Free[i], f.Get("Free"+itoa(i+1)))
	}
	assert.Equal(t, "ORDER123", f.Get("MerchantFree1"))
}

func itoa(i int) string { return escott.Yen(int64(i)).String() }

// postCVS sends a raw OCNV005 request to the fake and returns ResponseCd.
func postCVS(t *testing.T, srv *escotttest.Server, fields map[string]string) string {
	t.Helper()
	v := url.Values{
		"MerchantId": {escotttest.DefaultMerchantID}, "MerchantPass": {escotttest.DefaultMerchantPass},
		"TransactionDate": {srv.Now().In(time.FixedZone("JST", 9*3600)).Format("20060102")}, "TenantId": {"0001"},
	}
	for k, val := range fields {
		if val == "" {
			v.Del(k)
			continue
		}
		v.Set(k, val)
	}
	res, err := http.PostForm(srv.URL+"/online/cnv/OCNV005.do", v)
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	q, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	return q.Get("ResponseCd")
}

func TestFakeCVSValidationCodes(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	limit := srv.Now().In(time.FixedZone("JST", 9*3600)).AddDate(0, 0, 7).Format("200601021504")
	base := func() map[string]string {
		return map[string]string{"OperateId": "2Add", "Amount": "1000", "PayLimit": limit, "NameKanji": "山田",
			"NameKana": "ヤマダ", "TelNo": "03-1234-5678", "ShouhinName": "商品"}
	}
	cases := []struct {
		field, value, code string
	}{
		{"", "", "OK"},
		{"NameKanji", "", "K01"},
		{"Amount", "0", "K23"},
		{"Amount", "300000", "K23"},
		{"Amount", "1,000", "K23"},
		{"TelNo", "03(1234)5678", "K28"},
		{"TelNo", "03-1234-5678-90", "K28"},
		{"PayLimit", "20300101", "K50"},
		{"PayLimit", "200001012359", "K50"},
		{"PayLimit", srv.Now().AddDate(0, 0, 62).Format("200601021504"), "K50"},
		{"NameKanji", "Yamada", "K51"},
		{"NameKanji", strings.Repeat("山", 21), "K51"},
		{"NameKana", "yamada", "K52"}, // kanji, hiragana and half-width katakana are accepted (cvs_fidelity_test.go)
		{"NameKana", "ﾔﾏﾀﾞ1", "K52"},
		{"ShouhinName", "Tシャツ", "K53"},
		{"ShouhinName", strings.Repeat("商", 17), "K53"},
		{"Free1", strings.Repeat("x", 17), "K54"},
		{"Comment", strings.Repeat("x", 31), "K55"},
		{"Free8", strings.Repeat("x", 31), "K56"},
		{"Free17", strings.Repeat("x", 33), "K57"},
		{"Free18", strings.Repeat("x", 33), "K58"},
		{"Free19", strings.Repeat("x", 33), "K59"},
		{"ReturnURL", "https://example.com/" + strings.Repeat("x", 120), "K60"},
		{"Title", strings.Repeat("x", 21), "W05"},
		{"Token", "abc", "W05"},
	}
	for _, tc := range cases {
		t.Run(tc.field+"="+tc.code, func(t *testing.T) {
			f := base()
			if tc.field != "" {
				f[tc.field] = tc.value
			}
			assert.Equal(t, tc.code, postCVS(t, srv, f))
		})
	}
	// Follow-ups on an unknown process, and missing fields.
	assert.Equal(t, "K12", postCVS(t, srv, map[string]string{"OperateId": "2Ref", "ProcessId": "1", "ProcessPass": "x"}))
	assert.Equal(t, "K01", postCVS(t, srv, map[string]string{"OperateId": "2Del"}))
	assert.Equal(t, "K10", postCVS(t, srv, map[string]string{"OperateId": "2Del", "ProcessId": "1-2", "ProcessPass": "x"}))
	assert.Equal(t, "K01", postCVS(t, srv, map[string]string{"OperateId": "2Chg", "ProcessId": "1", "ProcessPass": "x"}))
}

func TestPaymentURL(t *testing.T) {
	mk := func(env escott.Environment, base string) *escott.Client {
		c, err := escott.NewClient(escott.Config{MerchantID: "1", MerchantPass: "p", Environment: env, BaseURL: base})
		require.NoError(t, err)
		return c
	}
	assert.Equal(t, "https://link.kessai.info/JLPCT/JLPcon?code=ABC&rkbn=1", mk(escott.Test, "").CVS.RedirectURL(" ABC  "))
	assert.Equal(t, "https://link.kessai.info/JLP/JLPcon?code=ABC&rkbn=2", mk(escott.Production, "").CVS.MailURL("ABC"))
	assert.Equal(t, "http://127.0.0.1:9/JLP/JLPcon?code=A%2BB&rkbn=1", mk(escott.Production, "http://127.0.0.1:9").CVS.RedirectURL("A+B"))
	assert.Equal(t, "http://127.0.0.1:9/JLPCT/JLPcon?code=X&rkbn=2", mk(escott.Test, "http://127.0.0.1:9/").CVS.MailURL("X"))
}

func TestPayLimitAtJSTDayBoundary(t *testing.T) {
	la := time.FixedZone("PST", -8*3600) // the host runs elsewhere
	cases := []struct {
		now  time.Time
		days int
		want string
	}{
		// 2024-03-31 06:59 PST is 23:59 JST on 03-31.
		{time.Date(2024, 3, 31, 6, 59, 0, 0, la), 1, "202404012359"},
		// One minute later it is 00:00 JST on 04-01, still 03-31 in the host zone.
		{time.Date(2024, 3, 31, 7, 0, 0, 0, la), 1, "202404022359"},
		{time.Date(2024, 3, 31, 7, 0, 0, 0, la), 0, "202404082359"},
		{time.Date(2024, 3, 31, 7, 0, 0, 0, la), 60, "202405312359"},
	}
	for _, tc := range cases {
		got, err := escott.PayLimitAfterDays(tc.now, tc.days)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.In(jstZone).Format("200601021504"), "%v +%d", tc.now, tc.days)
	}
	for _, d := range []int{-1, 61} {
		_, err := escott.PayLimitAfterDays(time.Now(), d)
		assert.Error(t, err)
	}

	// Register uses the client's clock; the fake's clock agrees.
	now := time.Date(2024, 3, 31, 7, 0, 30, 0, la)
	srv, c := newTestWith(t, escotttest.Config{Now: func() time.Time { return now }},
		escott.WithClock(func() time.Time { return now }))
	p := cvsParams()
	p.PayLimitDays = 1
	pay, err := c.CVS.Register(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, "202404022359", pay.PayLimit.In(jstZone).Format("200601021504"))
	assert.Equal(t, "202404022359", srv.Requests()[0].Fields.Get("PayLimit"))
	assert.Equal(t, "20240401", srv.Requests()[0].Fields.Get("TransactionDate"))
}

func TestExpired(t *testing.T) {
	la := time.FixedZone("PST", -8*3600)
	limit := time.Date(2024, 4, 1, 23, 59, 0, 0, jstZone)
	cases := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2024, 4, 1, 6, 59, 59, 0, la), false}, // 23:59:59 JST
		{time.Date(2024, 4, 1, 7, 0, 0, 0, la), true},    // 00:00 JST next day
		{time.Date(2024, 3, 20, 0, 0, 0, 0, la), false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, escott.Expired(limit, tc.now), tc.now)
	}
	assert.False(t, escott.Expired(time.Time{}, time.Now()), "no pay limit, no expiry")
}

func TestCollectingAgencies(t *testing.T) {
	want := []string{"LSN", "FAM", "SAK", "CCK", "SEV", "MNS", "DAY", "FFF", "SCM", "ATM", "ONL", "LNK", "EBK",
		"JNB", "JIB", "SNB", "EDY", "SUI", "JPM"}
	got := escott.CollectingAgencies()
	require.Len(t, got, len(want))
	for i, a := range got {
		assert.Equal(t, want[i], a.String())
		assert.True(t, a.Known())
		assert.NotEqual(t, a.String(), a.Name(), a)
		assert.NotEmpty(t, a.NameJA())
	}
	assert.Equal(t, "セブン-イレブン", escott.AgencySevenEleven.NameJA())
	assert.Equal(t, "Lawson", escott.AgencyLawson.Name())
	unknown := escott.CollectingAgency("ZZZ")
	assert.False(t, unknown.Known())
	assert.Equal(t, "ZZZ", unknown.Name())
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"03-1234-5678":   "03-1234-5678",
		"０３－１２３４－５６７８":   "03-1234-5678",
		"(03) 1234-5678": "03-1234-5678",
		"090ｰ1234ｰ5678":  "090-1234-5678",
		" 03.1234.5678 ": "0312345678",
		"03-1234-ABCD":   "03-1234-ABCD",
		"０９０ー１２３４ー５６７８":  "090-1234-5678",
	} {
		assert.Equal(t, want, escott.NormalizePhone(in), in)
	}
}

// BenchmarkCVSTextConversion measures the conversion and validation of a
// registration's texts; the zero amount stops it before any request.
func BenchmarkCVSTextConversion(b *testing.B) {
	c, err := escott.NewClient(escott.Config{MerchantID: "1", MerchantPass: "p", Environment: escott.Test})
	require.NoError(b, err)
	p := &escott.CVSParams{Name: "山田 太郎", NameKana: "ﾔﾏﾀﾞ ﾀﾛｳ", Phone: "０３－１２３４－５６７８",
		ProductNames: []string{"ｸﾞﾘｰﾝﾃｨｰ 500ml Tシャツ", "靴下"}, LinkKey: "BENCH1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CVS.Register(ctx, p); !errors.Is(err, escott.ErrValidation) {
			b.Fatal(err)
		}
	}
}

func TestCVSRedaction(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newTest(t, escott.WithLogger(logger))
	ctx := context.Background()
	pay, err := c.CVS.Register(ctx, cvsParams())
	require.NoError(t, err)
	_, err = c.CVS.Inquire(ctx, pay.Process, nil)
	require.NoError(t, err)
	pass := pay.Process.Pass.Reveal()
	require.NotEmpty(t, pass)
	out := logs.String() + fmt.Sprintf("%v %+v %#v", pay, pay, pay)
	assert.NotContains(t, out, pass)
	assert.NotContains(t, out, srv.Config().MerchantPass)
}
