package escott_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Issue #12 fidelity points, through the public API against escotttest.

func fixedClock(t *testing.T) (time.Time, escotttest.Config, escott.Option) {
	t.Helper()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))
	now := func() time.Time { return at }
	return at, escotttest.Config{Now: now}, escott.WithClock(now)
}

// #12.1: 1ReAuth always carries SalesDate, JST today by default.
func TestReauthorizeAlwaysSendsSalesDate(t *testing.T) {
	ctx := context.Background()
	_, cfg, clock := fixedClock(t)
	srv, c := newTestWith(t, cfg, clock)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	_, err = c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(900)})
	require.NoError(t, err, "the gateway answers K39 to a 1ReAuth without SalesDate")
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	require.Equal(t, escott.OpReAuth, last.OperateID)
	assert.Equal(t, "20261127", last.Fields.Get("SalesDate"))
}

// #12.1/#12.10: a re-authorised CaptureLater payment stays authorised, even with
// an explicit SalesDate, and can be captured.
func TestReauthorizedAuthOnlyStaysAuthorisedAndCaptures(t *testing.T) {
	ctx := context.Background()
	at, cfg, clock := fixedClock(t)
	srv, c := newTestWith(t, cfg, clock)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	re, err := c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(1200), SalesDate: at})
	require.NoError(t, err)
	info, ok := srv.Process(re.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", info.State, "SalesDate does not choose the mode: the original was 1Auth")
	assert.Empty(t, info.SalesDate)
	_, err = c.Card.Capture(ctx, re.Process, nil)
	require.NoError(t, err)
	info, _ = srv.Process(re.Process.ID)
	assert.Equal(t, "captured", info.State)
}

// #12.1/#12.10: a re-authorised CaptureNow payment is captured again and
// cannot be captured a second time.
func TestReauthorizedAuthCaptureIsCaptured(t *testing.T) {
	ctx := context.Background()
	_, cfg, clock := fixedClock(t)
	srv, c := newTestWith(t, cfg, clock)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	re, err := c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(800)})
	require.NoError(t, err)
	info, _ := srv.Process(re.Process.ID)
	assert.Equal(t, "captured", info.State)
	assert.Equal(t, "20261127", info.SalesDate)
	_, err = c.Card.Capture(ctx, re.Process, nil)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K14"))
}

// #12.1: a SalesDate after today (JST) is refused before anything is sent.
func TestReauthorizeRefusesFutureSalesDate(t *testing.T) {
	ctx := context.Background()
	at, cfg, clock := fixedClock(t)
	srv, c := newTestWith(t, cfg, clock)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1000), Source: srv.MustToken(escotttest.CardVisa), Capture: escott.CaptureLater})
	require.NoError(t, err)
	before := srv.RequestCount("")
	_, err = c.Card.Reauthorize(ctx, pay.Process, &escott.ReauthorizeParams{Amount: yen(900), SalesDate: at.Add(24 * time.Hour)})
	var verr *escott.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, err.Error(), "SalesDate")
	assert.Equal(t, before, srv.RequestCount(""), "nothing sent")
}

// #12.14: a caller's link key may contain '-' (CS-Cart's "<tenant>-<order id>").
func TestLinkKeyWithHyphen(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(500), Source: srv.MustToken(escotttest.CardVisa), LinkKey: "0001-000123"})
	require.NoError(t, err)
	assert.Equal(t, "0001-000123", pay.MerchantFree1)
	_, err = c.Card.Cancel(ctx, pay.Process, nil)
	require.NoError(t, err)
	for _, bad := range []string{"0001_000123", "0001 1", "ａ", "123456789012345678901234567890123"} {
		_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(500), Source: srv.MustToken(escotttest.CardVisa), LinkKey: bad})
		assert.ErrorIs(t, err, escott.ErrValidation, bad)
	}
}

// #12.9: 2-series Mastercard.
func TestBrandOfTwoSeriesMastercard(t *testing.T) {
	for prefix, want := range map[string]escott.Brand{
		"2221000000000009": escott.BrandMastercard, "2720999999999999": escott.BrandMastercard,
		"2223000048400011": escott.BrandMastercard, "222300******0011": escott.BrandMastercard,
		"23": escott.BrandMastercard, "26": escott.BrandMastercard, "223": escott.BrandMastercard, "271": escott.BrandMastercard,
		"2220999999999999": escott.BrandUnknown, "2721000000000000": escott.BrandUnknown,
		"2": escott.BrandUnknown, "22": escott.BrandUnknown, "27": escott.BrandUnknown, "222": escott.BrandUnknown,
		"272": escott.BrandUnknown, "2800": escott.BrandUnknown, "2x21": escott.BrandUnknown,
	} {
		assert.Equal(t, want, escott.BrandOf(prefix), prefix)
	}
	assert.Equal(t, escott.PayTypeChoices("555555", escott.InstallmentsRevolvingAndBonus), escott.PayTypeChoices("222300", escott.InstallmentsRevolvingAndBonus))
	assert.True(t, escott.PayTypeAllowed("2720", escott.InstallmentsAndRevolving, escott.Installments(24)))
}

func TestTwoSeriesMastercardPaysInInstallmentsAndIsReportedAsMastercard(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(30000), Source: srv.MustToken(escotttest.CardMastercard2Series), PayType: escott.Installments(3)})
	require.NoError(t, err, "Mastercard's divisions apply to the 2-series")
	assert.Equal(t, "MC", pay.CompanyCode)
	info, _ := srv.Process(pay.Process.ID)
	assert.Equal(t, escott.BrandMastercard, info.Brand)

	m := escott.NewMember()
	_, err = c.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardMastercard2Series)})
	require.NoError(t, err)
	card, err := c.Member.GetMasked(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, escott.BrandMastercard, card.Brand)
	assert.Equal(t, escott.PayTypeChoices("555555", escott.InstallmentsRevolvingAndBonus), card.PayTypeChoices(escott.InstallmentsRevolvingAndBonus))
}

// #12.6: 1TokenSearch reports the codes of ResponseCd and TokenResponseCd.
func TestTokenSearchReportsBothCodeFields(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"both":               {"ResponseCd=K98&TokenResponseCd=KI3", []string{"K98", "KI3"}},
		"both, overlap":      {"ResponseCd=KHX|K98&TokenResponseCd=KHX|KI2", []string{"KHX", "K98", "KI2"}},
		"response only":      {"ResponseCd=K97", []string{"K97"}},
		"response, token OK": {"ResponseCd=K98&TokenResponseCd=OK", []string{"K98"}},
		"token only":         {"ResponseCd=OK&TokenResponseCd=KI2", []string{"KI2"}},
	} {
		t.Run(name, func(t *testing.T) {
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				// Echo what the gateway echoes, so that only the codes differ.
				_, _ = fmt.Fprint(w, tc.body+"&OperateId=1TokenSearch&MerchantFree1="+r.PostForm.Get("MerchantFree1"))
			}))
			defer gw.Close()
			cfg := escotttest.NewServer(escotttest.Config{})
			defer cfg.Close()
			conf := cfg.Config()
			conf.BaseURL = gw.URL
			c, err := escott.NewClient(conf)
			require.NoError(t, err)
			_, err = c.Token.Inquire(context.Background(), escott.CardToken("tok123"))
			var gerr *escott.Error
			require.ErrorAs(t, err, &gerr)
			var got []string
			for _, code := range gerr.Codes {
				got = append(got, code.Value)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// #12.6 against the fake: a used token.
func TestTokenSearchUsedTokenAgainstFake(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	tok := srv.MustToken(escotttest.CardVisa)
	_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(100), Source: tok})
	require.NoError(t, err)
	_, err = c.Token.Inquire(ctx, tok)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("KI2"))
}

// #12.8: authentication assist through the SDK: kana converted to half-width
// katakana, the gateway's mismatch codes, validation before sending.
func TestAuthAssistPayAndCheck(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	right := &escott.AuthAssist{KanaSurname: "やまだ", KanaGivenName: "ハナコ", Birthday: "0615", PhoneLast4: "5678"}
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(2000), Source: srv.MustToken(escotttest.CardAuthAssist), AuthAssist: right})
	require.NoError(t, err)
	reqs := srv.Requests()
	sent := reqs[len(reqs)-1].Fields
	assert.Equal(t, escotttest.AuthAssistKanaSei, sent.Get("KanaSei"), "hiragana is sent as half-width katakana")
	assert.Equal(t, escotttest.AuthAssistKanaMei, sent.Get("KanaMei"))
	assert.Equal(t, "0615", sent.Get("BirthDay"))
	assert.Equal(t, "5678", sent.Get("TelNo"))
	assert.NotEmpty(t, pay.Process.ID)

	_, err = c.Card.Check(ctx, &escott.CheckParams{Source: srv.MustToken(escotttest.CardAuthAssist),
		AuthAssist: &escott.AuthAssist{KanaSurname: "ﾔﾏﾀﾞ", KanaGivenName: "ﾊﾅｺ"}})
	require.NoError(t, err, "half-width katakana is sent as is")

	wrong := *right
	wrong.Birthday = "0101"
	wrong.KanaGivenName = "イチロウ"
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(2000), Source: srv.MustToken(escotttest.CardAuthAssist), AuthAssist: &wrong})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K41") && gerr.Has("K44"), gerr.Error())

	before := srv.RequestCount("")
	for field, a := range map[string]escott.AuthAssist{
		"KanaSei":  {KanaSurname: "Yamada"},
		"KanaMei":  {KanaGivenName: "山田"},
		"BirthDay": {Birthday: "1301"},
		"TelNo":    {PhoneLast4: "12345"},
	} {
		_, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(2000), Source: srv.MustToken(escotttest.CardVisa), AuthAssist: &a})
		var verr *escott.ValidationError
		require.ErrorAs(t, err, &verr, field)
		assert.Equal(t, field, verr.Fields[0].Field)
		_, err = c.Card.Check(ctx, &escott.CheckParams{Source: srv.MustToken(escotttest.CardVisa), AuthAssist: &a})
		assert.ErrorIs(t, err, escott.ErrValidation, field)
	}
	assert.Equal(t, before, srv.RequestCount(""), "nothing sent")
}

// #12.8: SecCd with a payment by stored card.
func TestSecurityCodeWithMemberPayment(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := escott.NewMember()
	_, err := c.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)}) // security code 123
	require.NoError(t, err)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: m, SecurityCode: "123"})
	require.NoError(t, err)
	reqs := srv.Requests()
	assert.Equal(t, "123", reqs[len(reqs)-1].Fields.Get("SecCd"))
	assert.Equal(t, escott.SecurityCodeMatch, pay.SecurityCodeResult)

	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: m, SecurityCode: "999"})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.True(t, gerr.Has("K40"))

	before := srv.RequestCount("")
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: srv.MustToken(escotttest.CardVisa), SecurityCode: "123"})
	assert.ErrorIs(t, err, escott.ErrValidation, "a token carries its own security code")
	assert.Contains(t, err.Error(), "SecCd")
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: m, SecurityCode: "12"})
	assert.ErrorIs(t, err, escott.ErrValidation)
	assert.NotContains(t, err.Error(), "12;")
	assert.Equal(t, before, srv.RequestCount(""))
}

// #12.8: NewKaiinPass on 4MemChg.
func TestChangeCardAndPass(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := escott.NewMember()
	_, err := c.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)

	_, err = c.Member.ChangeCard(ctx, m, &escott.MemberChangeCardParams{Token: srv.MustToken(escotttest.CardJCB), NewPass: "bad-pass"})
	assert.ErrorIs(t, err, escott.ErrValidation)
	assert.Contains(t, err.Error(), "NewKaiinPass")

	res, err := c.Member.ChangeCard(ctx, m, &escott.MemberChangeCardParams{Token: srv.MustToken(escotttest.CardJCB), NewPass: "NEWPASS12345"})
	require.NoError(t, err)
	assert.Equal(t, "JC", res.CompanyCode)
	_, err = c.Member.GetMasked(ctx, m)
	assert.True(t, errors.Is(err, escott.ErrMemberMismatch), "the old password no longer works")
	card, err := c.Member.GetMasked(ctx, escott.Member{ID: m.ID, Pass: "NEWPASS12345"})
	require.NoError(t, err)
	assert.Equal(t, escott.BrandJCB, card.Brand)
}

// The assist values and the security code are personal data: never printed.
func TestAuthAssistNeverPrinted(t *testing.T) {
	a := &escott.AuthAssist{KanaSurname: "ヤマダ", KanaGivenName: "ハナコ", Birthday: "0615", PhoneLast4: "5678"}
	p := escott.PaymentParams{AuthAssist: a, SecurityCode: "987"}
	var b strings.Builder
	for _, v := range []any{a, *a, p, &p, struct{ P *escott.PaymentParams }{&p}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&b, verb+"\n", v)
		}
		j, _ := json.Marshal(v)
		b.Write(j)
		slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
	}
	out := b.String()
	for _, secret := range []string{"ヤマダ", "ハナコ", "0615", "5678", "987"} {
		assert.NotContains(t, out, secret)
		assert.NotContains(t, out, fmt.Sprintf("%x", secret))
	}
}
