package escott_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/envelope"
)

func testCipher(t testing.TB) *envelope.Cipher {
	t.Helper()
	ci, err := envelope.New(escotttest.DefaultAESKey, escotttest.DefaultAESIV)
	require.NoError(t, err)
	return ci
}

func startB(t *testing.T, srv *escotttest.Server, c *escott.Client, sh *merchantSite, number string) (*escott.ThreeDSForm, escott.CardToken) {
	t.Helper()
	tok := srv.MustToken(number)
	form, err := c.ThreeDS.Start(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(2500), Source: tok, BillingFullName: "TARO YAMADA",
		BillingEmail: "taro@example.jp", RedirectURL: sh.URL + "/return",
	})
	require.NoError(t, err)
	return form, tok
}

func TestThreeDSModeBFrictionless(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, tok := startB(t, srv, c, sh, escotttest.CardThreeDSFrictionless)
	assert.Equal(t, 0, srv.RequestCount(""), "Start sends nothing")

	// The envelope: common fields without MerchantId, 3Secure, a 7-digit ProcNo.
	assert.Equal(t, escotttest.DefaultMerchantID, form.MerchantID)
	plain, err := testCipher(t).Decrypt(form.EncryptValue.Reveal())
	require.NoError(t, err)
	assert.NotContains(t, plain, "MerchantId")
	assert.Equal(t, "3Secure", plain.Get("OperateId"))
	assert.Regexp(t, `^[0-9]{7}$`, plain.Get("ProcNo"))
	assert.Equal(t, form.ProcNo, plain.Get("ProcNo"))
	assert.Equal(t, form.LinkKey, plain.Get("MerchantFree1"))
	assert.Equal(t, string(tok), plain.Get("Token"))
	assert.Equal(t, "2500", plain.Get("Amount"))
	assert.Equal(t, sh.URL+"/return", plain.Get("RedirectUrl"))
	assert.Equal(t, "TARO YAMADA", plain.Get("BillingFullName"))
	page := string(form.HTML())
	assert.Contains(t, page, "<noscript>")
	assert.Contains(t, page, ".submit()")

	out := sh.deliver(t, authenticate(t, srv, form, nil))
	require.NoError(t, out.err)
	res := out.res
	assert.Equal(t, escott.SecureAuthenticated, res.SecureResultCode)
	assert.Equal(t, form.LinkKey, res.LinkKey)
	assert.Equal(t, "2.2.0", res.ThreeDS.MessageVersionNo3D)
	assert.Regexp(t, `^\+/.*=$`, res.ThreeDS.CAVV3D, "the '+' survives the browser form and the envelope")
	assert.NotEmpty(t, res.ThreeDS.DSTransactionID)
	assert.Equal(t, form.ProcNo, res.Attempt.ProcNo)
	assert.Equal(t, 0, srv.RequestCount(escott.OpGathering))

	pay, err := c.ThreeDS.Authorize(ctx, res)
	require.NoError(t, err)
	assert.Equal(t, form.LinkKey, pay.Process.LinkKey)
	info, ok := srv.Process(pay.Process.ID)
	require.True(t, ok)
	assert.True(t, info.ThreeDS)
	assert.Equal(t, "captured", info.State)
	sent := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, string(tok), sent.Fields.Get("Token"), "the same token")
	assert.Equal(t, res.ThreeDS.CAVV3D, sent.Fields.Get("CAVV3D"))

	_, err = c.ThreeDS.Authorize(ctx, res)
	require.Error(t, err, "a result authorises once")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}

func TestThreeDSChallenge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		right bool
		want  escott.SecureResultCode
	}{{"right code", true, escott.SecureAuthenticated}, {"wrong code", false, escott.SecureFailed}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, escotttest.CardThreeDSChallenge)
			ret := authenticate(t, srv, form, func(otp string) string {
				if tc.right {
					return otp
				}
				return "000000x"
			})
			out := sh.deliver(t, ret)
			require.NotNil(t, out.res)
			assert.Equal(t, tc.want, out.res.SecureResultCode)
			atts := srv.ThreeDSAttempts()
			require.Len(t, atts, 1)
			assert.True(t, atts[0].Challenge)
			pay, err := c.ThreeDS.Authorize(context.Background(), out.res)
			if tc.right {
				require.NoError(t, out.err)
				require.NoError(t, err)
				assert.NotEmpty(t, pay.Process.ID)
				return
			}
			var ae *escott.AuthenticationError
			require.ErrorAs(t, out.err, &ae)
			assert.ErrorIs(t, err, escott.ErrThreeDS)
			assert.Equal(t, 0, srv.RequestCount(escott.OpGathering), "no authorisation after a failed authentication")
		})
	}
}

func TestThreeDSSecureResultCodes(t *testing.T) {
	for _, tc := range []struct {
		card string
		code escott.SecureResultCode
		cont bool
	}{
		{escotttest.CardVisa, "0", true},
		{escotttest.CardThreeDSFrictionless, "0", true},
		{escotttest.CardThreeDSFailed, "1", false},
		{escotttest.CardThreeDSNotEnrolled, "2", true},
		{escotttest.CardThreeDSAttempt, "4", true},
		{escotttest.CardThreeDSMaintenance, "8", false},
	} {
		t.Run(tc.code.String()+"/"+tc.card, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, tc.card)
			out := sh.deliver(t, authenticate(t, srv, form, nil))
			require.NotNil(t, out.res)
			assert.Equal(t, tc.code, out.res.SecureResultCode)
			assert.Equal(t, tc.cont, tc.code.Continue())
			_, err := c.ThreeDS.Authorize(context.Background(), out.res)
			if tc.cont {
				require.NoError(t, out.err)
				require.NoError(t, err)
				assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
			} else {
				assert.ErrorIs(t, out.err, escott.ErrThreeDS)
				assert.ErrorIs(t, err, escott.ErrThreeDS)
				assert.Equal(t, 0, srv.RequestCount(escott.OpGathering))
			}
		})
	}
}

func TestSecureResultCodeRules(t *testing.T) {
	for code, cont := range map[escott.SecureResultCode]bool{"0": true, "1": false, "2": true, "3": true, "4": true,
		"8": false, "9": false, "": false, "5": false, "00": false} {
		assert.Equal(t, cont, code.Continue(), "code %q", string(code))
	}
	assert.Equal(t, "missing", escott.SecureResultCode("").String())
	assert.Equal(t, "8 authentication system under maintenance", escott.SecureMaintenance.String())
}

// forge seals fields for a pending attempt with the shared test key, as a
// gateway would, so the checks after decryption can be exercised.
func forge(t *testing.T, fields url.Values) url.Values {
	t.Helper()
	return url.Values{"EncryptValue": {testCipher(t).Encrypt(fields)}}
}

func TestThreeDSMissingSecureResultCodeIsFailure(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, _ := startB(t, srv, c, sh, escotttest.CardVisa)
	ret := page{action: sh.URL + "/return", fields: forge(t, url.Values{
		"ResponseCd": {"OK"}, "OperateId": {"3Secure"}, "MerchantFree1": {form.LinkKey},
	})}
	out := sh.deliver(t, ret)
	require.NotNil(t, out.res)
	var ae *escott.AuthenticationError
	require.ErrorAs(t, out.err, &ae)
	assert.Equal(t, escott.SecureResultCode(""), ae.SecureResultCode)
	_, err := c.ThreeDS.Authorize(context.Background(), out.res)
	require.ErrorIs(t, err, escott.ErrThreeDS)
	assert.Equal(t, 0, srv.RequestCount(escott.OpGathering))
}

func TestThreeDSRefusedReturns(t *testing.T) {
	flip := func(ev string) string {
		b, err := base64.StdEncoding.DecodeString(ev)
		if err != nil {
			panic(err)
		}
		b[0] ^= 0x01 // garbles the first plaintext block
		return base64.StdEncoding.EncodeToString(b)
	}
	other, err := envelope.New("ZZZZZZZZZZZZZZZZ", "YYYYYYYYYYYYYYYY")
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		alter func(t *testing.T, ret page, c2 *escott.Client) (page, *escott.Client)
	}{
		{"tampered", func(t *testing.T, ret page, _ *escott.Client) (page, *escott.Client) {
			ret.fields = url.Values{"EncryptValue": {flip(ret.fields.Get("EncryptValue"))}}
			return ret, nil
		}},
		{"other key", func(t *testing.T, ret page, _ *escott.Client) (page, *escott.Client) {
			plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
			require.NoError(t, err)
			ret.fields = url.Values{"EncryptValue": {other.Encrypt(plain)}}
			return ret, nil
		}},
		{"not pending here", func(t *testing.T, ret page, c2 *escott.Client) (page, *escott.Client) {
			return ret, c2 // another client instance: its store has no such attempt
		}},
		{"other merchant", func(t *testing.T, ret page, _ *escott.Client) (page, *escott.Client) {
			f := url.Values{"EncryptValue": ret.fields["EncryptValue"], "MerchantId": {"7654321"}}
			return page{action: ret.action, fields: f}, nil
		}},
		{"garbage", func(t *testing.T, ret page, _ *escott.Client) (page, *escott.Client) {
			ret.fields = url.Values{"EncryptValue": {"not base64 at all %%%"}}
			return ret, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, escotttest.CardVisa)
			ret := authenticate(t, srv, form, nil)
			c2 := srv.Client()
			bad, via := tc.alter(t, ret, c2)
			var res *escott.ThreeDSResult
			if via != nil {
				req := httptest.NewRequest(http.MethodPost, "/return", strings.NewReader(bad.fields.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err = via.ThreeDS.HandleReturn(req, recordNothing)
			} else {
				out := sh.deliver(t, bad)
				res, err = out.res, out.err
			}
			require.ErrorIs(t, err, escott.ErrReturnRefused)
			assert.Nil(t, res)
			assert.NotContains(t, err.Error(), ret.fields.Get("EncryptValue")[:20])
			assert.Equal(t, 0, srv.RequestCount(escott.OpGathering), "no authorisation sent")

			// The genuine return still completes the attempt, once.
			out := sh.deliver(t, ret)
			require.NoError(t, out.err)
			_, err = c.ThreeDS.Authorize(context.Background(), out.res)
			require.NoError(t, err)
			assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
		})
	}
}

func TestThreeDSReplayRefused(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, _ := startB(t, srv, c, sh, escotttest.CardVisa)
	ret := authenticate(t, srv, form, nil)
	first := sh.deliver(t, ret)
	require.NoError(t, first.err)
	// Before Authorize the attempt is claimed by the first return: a second
	// one is not accepted.
	second := sh.deliver(t, ret)
	require.ErrorIs(t, second.err, escott.ErrReturnInProgress)
	assert.Nil(t, second.res)
	_, err := c.ThreeDS.Authorize(context.Background(), first.res)
	require.NoError(t, err)
	// Authorize completed the attempt: a replay is refused.
	third := sh.deliver(t, ret)
	require.ErrorIs(t, third.err, escott.ErrReturnRefused)
	assert.Nil(t, third.res)
	assert.Contains(t, third.err.Error(), "replay")
	assert.Equal(t, 1, srv.RequestCount(escott.OpGathering))
}

func TestThreeDSReturnMethodAndSize(t *testing.T) {
	_, c := newTest(t)
	_, err := c.ThreeDS.HandleReturn(httptest.NewRequest(http.MethodGet, "/return?EncryptValue=x", nil), recordNothing)
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	big := "EncryptValue=" + strings.Repeat("A", escott.MaxReturnBody)
	req := httptest.NewRequest(http.MethodPost, "/return", strings.NewReader(big))
	_, err = c.ThreeDS.HandleReturn(req, recordNothing)
	require.ErrorIs(t, err, escott.ErrReturnRefused)
}

func TestThreeDSWrongKeyAtGateway(t *testing.T) {
	srv, _ := newTest(t)
	cfg := srv.Config()
	cfg.AESKey = "AAAAAAAAAAAAAAAA"
	c, err := escott.NewClient(cfg)
	require.NoError(t, err)
	form, err := c.ThreeDS.Start(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "A B",
		BillingEmail: "a@example.jp", RedirectURL: "http://127.0.0.1:1/return",
	})
	require.NoError(t, err)
	p := postForm(t, srv.URL, form.URL, url.Values{"MerchantId": {form.MerchantID}, "EncryptValue": {form.EncryptValue.Reveal()}})
	assert.Equal(t, http.StatusBadRequest, p.status)
	assert.Contains(t, p.body, "could not be decrypted")
	assert.Empty(t, p.fields.Get("EncryptValue"))
}

func TestThreeDSGatewayValidation(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	// A used token: OTDS010 returns to the shop with KI2 and no SecureResultCode.
	tok := srv.MustToken(escotttest.CardVisa)
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(100), Source: tok})
	require.NoError(t, err)
	form, err := c.ThreeDS.Start(context.Background(), &escott.ThreeDSStartParams{Amount: escott.Yen(100), Source: tok,
		BillingFullName: "A B", BillingEmail: "a@example.jp", RedirectURL: sh.URL + "/return"})
	require.NoError(t, err)
	out := sh.deliver(t, authenticate(t, srv, form, nil))
	var gerr *escott.Error
	require.ErrorAs(t, out.err, &gerr)
	assert.True(t, gerr.Has("KI2"))

	// A reused ProcNo is K89: replay the same start form.
	srv2, c2 := newTest(t)
	sh2 := newShop(t, c2)
	form2, _ := startB(t, srv2, c2, sh2, escotttest.CardVisa)
	authenticate(t, srv2, form2, nil)
	p := postForm(t, srv2.URL, form2.URL, url.Values{"MerchantId": {form2.MerchantID}, "EncryptValue": {form2.EncryptValue.Reveal()}})
	plain, err := testCipher(t).Decrypt(p.fields.Get("EncryptValue"))
	require.NoError(t, err)
	assert.Equal(t, "K89", plain.Get("ResponseCd"))
}

func TestThreeDSFieldsMismatch(t *testing.T) {
	for _, tc := range []struct {
		code  string
		alter func(d *escott.ThreeDSData)
	}{
		{"K35", func(d *escott.ThreeDSData) { d.CAVV3D = strings.Replace(d.CAVV3D, "+", " ", 1) }},
		{"K36", func(d *escott.ThreeDSData) { d.ECI3D = "07" }},
		{"K30", func(d *escott.ThreeDSData) { d.MessageVersionNo3D = "2.1.0" }},
		{"K32", func(d *escott.ThreeDSData) { d.EncodeXID3D = "AAAA" }},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, escotttest.CardVisa)
			out := sh.deliver(t, authenticate(t, srv, form, nil))
			require.NoError(t, out.err)
			tc.alter(&out.res.ThreeDS)
			_, err := c.ThreeDS.Authorize(context.Background(), out.res)
			var gerr *escott.Error
			require.ErrorAs(t, err, &gerr)
			assert.True(t, gerr.Has(tc.code), "%v", err)
			assert.ErrorIs(t, err, escott.ErrThreeDS)
		})
	}
}

func TestThreeDSStartValidation(t *testing.T) {
	srv, c := newTest(t)
	tok := srv.MustToken(escotttest.CardVisa)
	good := func() *escott.ThreeDSStartParams {
		return &escott.ThreeDSStartParams{Amount: escott.Yen(100), Source: tok, BillingFullName: "A B",
			BillingEmail: "a@example.jp", RedirectURL: "https://shop.example/return"}
	}
	for field, mut := range map[string]func(p *escott.ThreeDSStartParams){
		"RedirectUrl":     func(p *escott.ThreeDSStartParams) { p.RedirectURL = "http://shop.example/return" },
		"BillingFullName": func(p *escott.ThreeDSStartParams) { p.BillingFullName = "山田太郎" },
		"BillingEmail":    func(p *escott.ThreeDSStartParams) { p.BillingEmail = "nope" },
		"Amount":          func(p *escott.ThreeDSStartParams) { p.Amount = decimal.Zero },
		"PostUrl":         func(p *escott.ThreeDSStartParams) { p.PostURL = "https://shop.example/post" },
		"Token":           func(p *escott.ThreeDSStartParams) { p.Source = nil },
	} {
		p := good()
		mut(p)
		_, err := c.ThreeDS.Start(context.Background(), p)
		var ve *escott.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Fields[0].Field)
	}
	_, err := c.ThreeDS.Start(context.Background(), good())
	require.NoError(t, err)

	cfg := srv.Config()
	cfg.AESKey, cfg.AESIV = "", ""
	noKey, err := escott.NewClient(cfg)
	require.NoError(t, err)
	_, err = noKey.ThreeDS.Start(context.Background(), good())
	require.ErrorIs(t, err, escott.ErrNoAESKey)
	assert.Equal(t, 0, srv.RequestCount(""))
}

func startA(t *testing.T, srv *escotttest.Server, c *escott.Client, sh *merchantSite, number string) *escott.ThreeDSForm {
	t.Helper()
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(3200), Source: srv.MustToken(number), BillingFullName: "HANAKO SATO",
		BillingEmail: "hanako@example.jp", RedirectURL: sh.URL + "/return", PostURL: sh.URL + "/post",
		Capture: escott.CaptureLater,
	})
	require.NoError(t, err)
	return form
}

func TestThreeDSModeAPostURLFirst(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form := startA(t, srv, c, sh, escotttest.CardThreeDSChallenge)
	plain, err := testCipher(t).Decrypt(form.EncryptValue.Reveal())
	require.NoError(t, err)
	assert.Equal(t, "1Auth", plain.Get("OperateId"))
	assert.Equal(t, "01", plain.Get("PayType"))
	assert.Equal(t, sh.URL+"/post", plain.Get("PostUrl"))

	ret := authenticate(t, srv, form, func(otp string) string { return otp })
	srv.WaitPostURL()
	posts := sh.posts()
	require.Len(t, posts, 1, "the PostUrl copy completed the attempt")
	first := posts[0]
	require.NotNil(t, first.Payment)
	assert.False(t, first.Duplicate)
	assert.Equal(t, escott.SecureAuthenticated, first.SecureResultCode)
	info, ok := srv.Process(first.Payment.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", info.State)
	assert.True(t, info.ThreeDS)
	assert.Equal(t, 1, srv.RequestCount(escott.OpSearch), "confirmed with 1Search")

	out := sh.deliver(t, ret)
	require.NoError(t, out.err, "the second arrival is not a failure")
	assert.True(t, out.res.Duplicate)
	assert.Equal(t, first.Payment.Process.ID, out.res.Payment.Process.ID)
	assert.Len(t, sh.posts(), 1)
	assert.Equal(t, 0, countCard(srv, escott.OpAuth), "no separate authorisation in mode A")
	_, err = c.ThreeDS.Authorize(context.Background(), out.res)
	require.ErrorIs(t, err, escott.ErrValidation)

	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode)
	pending, err := c.Journal().Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "the journal entry of the mode A attempt was finished")
}

func TestThreeDSModeABrowserFirst(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	srv.HoldPostURL()
	form := startA(t, srv, c, sh, escotttest.CardMastercard)
	pending, err := c.Journal().Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, pending, 1, "mode A is journaled before the shopper leaves")
	assert.Equal(t, form.LinkKey, pending[0].LinkKey)

	out := sh.deliver(t, authenticate(t, srv, form, nil))
	require.NoError(t, out.err)
	assert.False(t, out.res.Duplicate)
	require.NotNil(t, out.res.Payment)
	assert.True(t, out.res.Payment.Process.Pass.Reveal() != "")

	srv.ReleasePostURL()
	srv.WaitPostURL()
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusOK, d[0].StatusCode, "the copy is acknowledged")
	assert.Empty(t, sh.posts(), "and not completed a second time")
	assert.Equal(t, 1, srv.RequestCount(escott.OpSearch))
	pending, err = c.Journal().Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending)
}

func TestThreeDSModeAFailure(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	srv.HoldPostURL()
	form := startA(t, srv, c, sh, escotttest.CardThreeDSFailed)
	out := sh.deliver(t, authenticate(t, srv, form, nil))
	require.ErrorIs(t, out.err, escott.ErrThreeDS)
	require.NotNil(t, out.res)
	assert.Nil(t, out.res.Payment)
	assert.Equal(t, escott.SecureFailed, out.res.SecureResultCode)
	srv.ReleasePostURL()
	srv.WaitPostURL()
	assert.Empty(t, sh.posts(), "the failure was completed by the browser return")
	assert.Equal(t, 0, srv.RequestCount(escott.OpSearch))
	for _, a := range srv.ThreeDSAttempts() {
		assert.Empty(t, a.ProcessID, "nothing authorised")
	}
}

func TestThreeDSModeAForgedProcessRefused(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	srv.HoldPostURL()
	form := startA(t, srv, c, sh, escotttest.CardVisa)
	ret := authenticate(t, srv, form, nil)
	plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
	require.NoError(t, err)
	plain.Set("ProcessId", "1234567890123456") // a process the gateway does not know
	out := sh.deliver(t, page{action: ret.action, fields: forge(t, plain)})
	require.ErrorIs(t, out.err, escott.ErrReturnRefused)
	// The genuine copy still completes the attempt.
	srv.ReleasePostURL()
	srv.WaitPostURL()
	require.Len(t, sh.posts(), 1)
	assert.NotNil(t, sh.posts()[0].Payment)
}

func TestThreeDSMemberRegistration(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	m := escott.Member{ID: "M0000000001", Pass: "123456789012"}
	form, err := c.ThreeDS.StartMember(context.Background(), &escott.ThreeDSMemberParams{
		Member: m, Token: srv.MustToken(escotttest.CardThreeDSChallenge), BillingFullName: "TARO YAMADA",
		BillingEmail: "taro@example.jp", RedirectURL: sh.URL + "/return",
	})
	require.NoError(t, err)
	plain, err := testCipher(t).Decrypt(form.EncryptValue.Reveal())
	require.NoError(t, err)
	assert.Equal(t, "4MemAdd", plain.Get("OperateId"))
	assert.Equal(t, m.ID, plain.Get("KaiinId"))
	out := sh.deliver(t, authenticate(t, srv, form, func(otp string) string { return otp }))
	require.NoError(t, out.err)
	info, ok := srv.Member(m.ID)
	require.True(t, ok, "the gateway registered the member itself")
	assert.Equal(t, escott.MemberValid, info.Status)
	got, err := c.ThreeDS.ConfirmMember(context.Background(), out.res)
	require.NoError(t, err)
	assert.Equal(t, m.ID, got.MemberID)
	assert.True(t, strings.HasSuffix(got.MaskedNumber, escotttest.CardThreeDSChallenge[12:]))
	assert.Equal(t, 1, srv.RequestCount("4MemRefM"))
}

func TestThreeDSSecretsNeverPrinted(t *testing.T) {
	var logs bytes.Buffer
	srv, c := newTest(t, escott.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	sh := newShop(t, c)
	form := startA(t, srv, c, sh, escotttest.CardVisa)
	ret := authenticate(t, srv, form, nil)
	srv.WaitPostURL()
	out := sh.deliver(t, ret)
	require.NoError(t, out.err)
	var printed bytes.Buffer
	for _, v := range []any{form, *form, out.res, *out.res, out.res.Attempt, out.res.Payment, *out.res.Payment, out.res.Raw} {
		fmt.Fprintf(&printed, "%v %+v %#v %s\n", v, v, v, v)
	}
	dup, err := c.ThreeDS.HandleReturn(httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(ret.fields.Encode())), recordNothing)
	require.NoError(t, err)
	fmt.Fprintf(&printed, "%+v", dup)
	m := escott.Member{ID: "M1", Pass: "SECRETPASS99"}
	for _, v := range []any{escott.ThreeDSAttempt{Source: m, Member: &m}, &escott.ThreeDSResult{Attempt: escott.ThreeDSAttempt{Member: &m}}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			assert.NotContains(t, fmt.Sprintf(verb, v), "SECRETPASS99", verb)
		}
	}
	_, err = c.ThreeDS.HandleReturn(httptest.NewRequest(http.MethodPost, "/r", strings.NewReader("EncryptValue="+url.QueryEscape(form.EncryptValue.Reveal()))), recordNothing)
	require.Error(t, err)
	printed.WriteString(err.Error())
	plain, err := testCipher(t).Decrypt(form.EncryptValue.Reveal())
	require.NoError(t, err)
	secrets := map[string]string{
		"Token": plain.Get("Token"), "ProcessPass": out.res.Payment.Process.Pass.Reveal(),
		"EncryptValue": form.EncryptValue.Reveal(), "ReturnEncryptValue": ret.fields.Get("EncryptValue"),
		"AESKey": escotttest.DefaultAESKey, "AESIV": escotttest.DefaultAESIV, "MerchantPass": escotttest.DefaultMerchantPass,
	}
	for name, s := range secrets {
		require.NotEmpty(t, s, name)
		assert.NotContains(t, logs.String(), s, "%s in logs", name)
		assert.NotContains(t, printed.String(), s, "%s printed", name)
	}
	assert.Contains(t, logs.String(), form.LinkKey, "the link key is logged")
}

// countCard counts the server-to-server card requests (OAUT002) with op; the
// fake also records OTDS010 requests under their OperateId.
func countCard(srv *escotttest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == "/online/aut/OAUT002.do" && r.OperateID == op {
			n++
		}
	}
	return n
}

// FuzzHandleReturn feeds the return path (Base64 → decrypt → parse → checks)
// with arbitrary EncryptValues and, sealed with the right key, arbitrary
// plaintexts. Only mode B attempts are pending, so nothing is sent.
func FuzzHandleReturn(f *testing.F) {
	cfg := escott.Config{MerchantID: "1234567", MerchantPass: "pass", Environment: escott.Test,
		AESKey: escotttest.DefaultAESKey, AESIV: escotttest.DefaultAESIV, BaseURL: "http://127.0.0.1:1"}
	ci := testCipher(f)
	good := "MerchantFree1=FUZZ0001&OperateId=3Secure&ResponseCd=OK&SecureResultCode=0&CAVV3D=%2B%2Fab%3D&EncodeXId3D=+/x="
	f.Add(ci.Seal([]byte(good)), []byte(good))
	full := good + "&ProcNo=0000000&TransactionId=123456789012345678&MessageVersionNo3D=2.2.0&TransactionStatus3D=Y" +
		"&ECI3D=05&CAVVAlgorithm3D=2&DSTransactionId=0b4e8a57-3b7f-4e0c-9a4f-7d8e2c1b5a60&CAVV3D=%2B%2FABAgMEBQYHCAkKCwwNDg8QERI%3D"
	f.Add("", []byte(full))
	f.Add("", []byte("MerchantFree1=FUZZ0001&OperateId=3Secure&ResponseCd=U01&SecureResultCode=2&TransactionStatus3D=U"))
	f.Add("", []byte("MerchantFree1=FUZZ0001&OperateId=3Secure&ResponseCd=K01"))
	f.Add("AAAA AAAA", []byte("MerchantFree1=FUZZ0001&OperateId=3Secure&ResponseCd=OK"))
	f.Add("%%%", []byte("MerchantFree1=FUZZ0001&OperateId=1Auth&ResponseCd=OK&SecureResultCode=9"))
	f.Add(strings.Repeat("A", 64), []byte("a=b&a=c"))
	f.Fuzz(func(t *testing.T, ev string, plain []byte) {
		c, err := escott.NewClient(cfg, escott.WithHTTPClient(&http.Client{}))
		require.NoError(t, err)
		_, err = c.ThreeDS.Start(context.Background(), &escott.ThreeDSStartParams{Amount: escott.Yen(1),
			Source: escott.CardToken("tok123"), BillingFullName: "A B", BillingEmail: "a@b.c",
			RedirectURL: "https://shop.example/r", LinkKey: "FUZZ0001"})
		require.NoError(t, err)
		for _, body := range []string{ev, "EncryptValue=" + url.QueryEscape(ev), "EncryptValue=" + url.QueryEscape(ci.Seal(plain))} {
			req := httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(body))
			res, err := c.ThreeDS.HandleReturn(req, recordNothing)
			if err == nil {
				require.NotNil(t, res)
				require.True(t, res.SecureResultCode.Continue(), "only a continuing code is a success")
				if res.ResponseCode != "OK" {
					require.NotEmpty(t, res.Warnings, "a non-OK code is a success only as a mode B warning")
				}
				require.Equal(t, "FUZZ0001", res.LinkKey)
			}
			if res == nil {
				require.Error(t, err)
			}
		}
	})
}
