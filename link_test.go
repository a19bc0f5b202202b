package escott_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
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
)

// linkShop is a host's record of link-type results, per link key.
type linkShop struct {
	mu       sync.Mutex
	recorded map[string][]*escott.LinkResult
	fail     error
}

func newLinkShop() *linkShop { return &linkShop{recorded: map[string][]*escott.LinkResult{}} }

func (s *linkShop) record(_ context.Context, res *escott.LinkResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.recorded[res.LinkKey] = append(s.recorded[res.LinkKey], res)
	return nil
}

func (s *linkShop) count(linkKey string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recorded[linkKey])
}

func (s *linkShop) params() *escott.LinkReturnParams {
	return &escott.LinkReturnParams{Record: s.record}
}

const linkReturnURL = "https://shop.example/link/return"

func startLink(t *testing.T, c *escott.Client, amount int64) *escott.LinkRedirect {
	t.Helper()
	rd, err := c.Link.Start(context.Background(), &escott.LinkStartParams{
		Amount: escott.Yen(amount), RedirectURL: linkReturnURL, OrderRef: "order-1", MerchantFree2: "order-1",
	})
	require.NoError(t, err)
	return rd
}

func payLink(t *testing.T, srv *escotttest.Server, rd *escott.LinkRedirect, shopper escotttest.LinkShopper) *escotttest.ThreeDSReturn {
	t.Helper()
	ret, err := srv.PayLink(context.Background(), rd, shopper)
	require.NoError(t, err)
	return ret
}

// A link-type payment: the shopper types a card on the hosted page; the
// return is confirmed with 1Search, recorded once, the journal entry
// finished, and a replay of the same return refused.
func TestLinkPayment(t *testing.T) {
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithJournal(jr))
	shop := newLinkShop()
	rd := startLink(t, c, 5400)
	assert.True(t, strings.HasPrefix(rd.URL(), srv.URL+"/euser/snp/SSNP005ReferStart.do?"), rd.URL())

	pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, pending, 1, "the attempt is journalled at Start: the shopper may pay even if the return is lost")
	assert.Equal(t, rd.LinkKey, pending[0].LinkKey)
	assert.Equal(t, "5400", pending[0].Amount)

	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	assert.False(t, ret.Challenged)
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Payment)
	assert.Equal(t, escott.OpGathering, res.OperateID)
	assert.True(t, res.Payment.Amount.Equal(escott.Yen(5400)))
	assert.Equal(t, "order-1", res.MerchantFree2)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
	proc, ok := srv.Process(res.Payment.Process.ID)
	require.True(t, ok)
	assert.True(t, proc.Amount.Equal(escott.Yen(5400)))

	pending, err = jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "a definite return finishes the journal entry")

	// The payment is an ordinary process: follow-ups work.
	_, err = c.Card.Cancel(context.Background(), res.Payment.Process, nil)
	require.NoError(t, err)

	again, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Nil(t, again)
	assert.Contains(t, err.Error(), "link-type return refused")
	assert.Equal(t, 1, shop.count(rd.LinkKey), "a replay records nothing")
}

// The return may come as a GET query too (the production clients read
// $_REQUEST); CaptureLater makes a 1Auth.
func TestLinkPaymentReturnByGET(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd, err := c.Link.Start(context.Background(), &escott.LinkStartParams{
		Amount: escott.Yen(1200), Capture: escott.CaptureLater, RedirectURL: linkReturnURL,
	})
	require.NoError(t, err)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardMastercard})
	r := httptest.NewRequest(http.MethodGet, "/link/return?"+ret.Fields.Encode(), nil)
	res, err := c.Link.HandleReturn(r, shop.params())
	require.NoError(t, err)
	assert.Equal(t, escott.OpAuth, res.OperateID)
	_, err = c.Card.Capture(context.Background(), res.Payment.Process, nil)
	require.NoError(t, err)
}

// A challenge card goes through the challenge page; a wrong code is a
// refusal (U04, 3-D Secure), no money moved, nothing recorded.
func TestLinkPaymentThreeDSChallenge(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd := startLink(t, c, 3000)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardThreeDSChallenge})
	require.True(t, ret.Challenged)
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.Equal(t, escott.SecureAuthenticated, res.SecureResultCode)

	rd = startLink(t, c, 3000)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardThreeDSChallenge,
		Answer: func(string) string { return "000000" }})
	res, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.Error(t, err)
	assert.Nil(t, res)
	assert.ErrorIs(t, err, escott.ErrThreeDS)
	assert.NotErrorIs(t, err, escott.ErrCancelled)
	le, ok := errors.AsType[*escott.LinkError](err)
	require.True(t, ok)
	assert.False(t, le.Cancelled())
	assert.Nil(t, le.Result.Payment)
	assert.Equal(t, 0, shop.count(rd.LinkKey))
}

// The shopper cancels on the hosted page: a distinct outcome (ErrCancelled),
// not an unknown one; the journal entry is finished as rejected, nothing is
// recorded, and the return cannot be replayed.
func TestLinkPaymentCancelled(t *testing.T) {
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithJournal(jr))
	shop := newLinkShop()
	rd := startLink(t, c, 2500)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Cancel: true})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	assert.Nil(t, res)
	require.ErrorIs(t, err, escott.ErrCancelled)
	assert.NotErrorIs(t, err, escott.ErrOutcomeUnknown)
	le, ok := errors.AsType[*escott.LinkError](err)
	require.True(t, ok)
	assert.True(t, le.Cancelled())
	assert.Equal(t, rd.LinkKey, le.LinkKey)
	assert.Equal(t, "P51", le.Result.ResponseCode)
	assert.Equal(t, 0, shop.count(rd.LinkKey))
	pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending, "a cancel is a definite outcome: no money moved")

	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)

	// The shopper tries again: a new attempt pays.
	rd2 := startLink(t, c, 2500)
	require.NotEqual(t, rd.LinkKey, rd2.LinkKey)
	ret = payLink(t, srv, rd2, escotttest.LinkShopper{Card: escotttest.CardJCB})
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
}

// A declined card comes back as a refusal with the gateway's code.
func TestLinkPaymentDeclined(t *testing.T) {
	srv, c := newTest(t)
	rd := startLink(t, c, 2500)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardDeclined})
	_, err := c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	require.ErrorIs(t, err, escott.ErrDeclined)
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.Equal(t, "G12", gerr.Codes[0].Value)
}

// Member registration on the hosted page (4MemAdd), confirmed with 4MemRefM;
// then the shop pays as that member with the card API, and a later
// link-type payment offers the stored card.
func TestLinkMemberRegistration(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	m := escott.NewMember()
	rd, err := c.Link.StartMember(context.Background(), &escott.LinkMemberParams{
		Member: m, RedirectURL: linkReturnURL, MerchantFree3: "customer-7",
	})
	require.NoError(t, err)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.Equal(t, escott.OpMemberAdd, res.OperateID)
	require.NotNil(t, res.Member)
	assert.Equal(t, m.ID, res.Member.ID)
	assert.Equal(t, m.Pass, res.Member.Pass)
	require.NotNil(t, res.Card)
	assert.Equal(t, "1111", res.Card.Last4)
	assert.Nil(t, res.Payment)
	assert.Equal(t, 1, shop.count(rd.LinkKey))

	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(4800), Source: *res.Member})
	require.NoError(t, err)
	assert.True(t, pay.Amount.Equal(escott.Yen(4800)))

	// Paying later by link type with the stored card.
	rd, err = c.Link.Start(context.Background(), &escott.LinkStartParams{
		Amount: escott.Yen(700), Member: res.Member, RedirectURL: linkReturnURL,
	})
	require.NoError(t, err)
	ret = payLink(t, srv, rd, escotttest.LinkShopper{UseStoredCard: true})
	got, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	require.NotNil(t, got.Payment.Process.Member)
	assert.Equal(t, m.ID, got.Payment.Process.Member.ID)
}

// Returns that must be refused: garbage, another key, another merchant, a
// tampered ciphertext, an attempt of another client, a 3-D Secure return
// fed to the link handler and the reverse. Nothing is recorded.
func TestLinkReturnsRefused(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd := startLink(t, c, 5000)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	ev := ret.Fields.Get("EncryptValue")
	post := func(fields url.Values) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/link/return", strings.NewReader(fields.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	raw, err := base64.StdEncoding.DecodeString(ev)
	require.NoError(t, err)
	flipped := bytes.Clone(raw)
	flipped[20] ^= 0x01
	other := srv.Client()
	otherRd := startLink(t, other, 5000)
	otherRet := payLink(t, srv, otherRd, escotttest.LinkShopper{Card: escotttest.CardVisa})

	cases := map[string]*http.Request{
		"garbage":          post(url.Values{"EncryptValue": {"not base64 !"}}),
		"empty":            post(url.Values{}),
		"twice":            post(url.Values{"EncryptValue": {ev, ev}}),
		"foreign merchant": post(url.Values{"EncryptValue": {ev}, "MerchantId": {"9999999"}}),
		"tampered":         post(url.Values{"EncryptValue": {base64.StdEncoding.EncodeToString(flipped)}}),
		"other client":     otherRet.Request(context.Background()),
		"put":              httptest.NewRequest(http.MethodPut, "/link/return", strings.NewReader(ret.Fields.Encode())),
		"too large":        post(url.Values{"EncryptValue": {strings.Repeat("A", escott.MaxReturnBody)}}),
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := c.Link.HandleReturn(r, shop.params())
			require.ErrorIs(t, err, escott.ErrReturnRefused)
			assert.Nil(t, res)
		})
	}
	// The link return is not a 3-D Secure return, and the reverse.
	_, err = c.ThreeDS.HandleReturn(ret.Request(context.Background()), &escott.ThreeDSReturnParams{
		Record: func(context.Context, *escott.ThreeDSResult) error { return nil }})
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "HANAKO SATO",
		BillingEmail: "h@example.jp", RedirectURL: linkReturnURL,
	})
	require.NoError(t, err)
	tdsRet, err := srv.Authenticate(context.Background(), form, nil)
	require.NoError(t, err)
	_, err = c.Link.HandleReturn(tdsRet.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Equal(t, 0, shop.count(rd.LinkKey))

	// The genuine return is still accepted after all of that.
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
}

// A result whose echoes were re-encrypted with our key but changed (a
// leaked key, or a forged result) is refused: amount, member, merchant, and
// a payment the gateway does not know.
func TestLinkForgedResultsRefused(t *testing.T) {
	srv, c := newTest(t)
	rd := startLink(t, c, 5000)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	ci := testCipher(t)
	plain, err := ci.Decrypt(ret.Fields.Get("EncryptValue"))
	require.NoError(t, err)
	forge := func(edit func(url.Values)) *http.Request {
		f := url.Values{}
		for k, v := range plain {
			f[k] = v
		}
		edit(f)
		return (&escotttest.ThreeDSReturn{URL: ret.URL, Fields: url.Values{"EncryptValue": {ci.Seal([]byte(f.Encode()))}}}).
			Request(context.Background())
	}
	for name, edit := range map[string]func(url.Values){
		"amount":         func(f url.Values) { f.Set("Amount", "1") },
		"no merchant":    func(f url.Values) { f.Del("MerchantId") },
		"other merchant": func(f url.Values) { f.Set("MerchantId", "7654321") },
		"unknown process": func(f url.Values) {
			f.Set("ProcessId", "123456789012345678901234567890AB")
		},
		"operate id": func(f url.Values) { f.Set("OperateId", "1Auth") },
		"proc no":    func(f url.Values) { f.Set("ProcNo", "0000001") },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Link.HandleReturn(forge(edit), newLinkShop().params())
			require.ErrorIs(t, err, escott.ErrReturnRefused)
		})
	}
}

// The host fails to record: the attempt stays claimable, a reload records
// it once; a nil Record is refused before anything happens.
func TestLinkRecordFailureThenReload(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd := startLink(t, c, 800)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	_, err := c.Link.HandleReturn(ret.Request(context.Background()), nil)
	require.ErrorIs(t, err, escott.ErrValidation)

	shop.fail = errors.New("database down")
	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, shop.fail)
	shop.fail = nil
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.NoError(t, err)
	assert.NotNil(t, res.Payment)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
}

// Concurrent deliveries of one return (reloads on several instances sharing
// the store) record it once.
func TestLinkConcurrentReturnsRecordOnce(t *testing.T) {
	srv, c := newTest(t)
	shop := newLinkShop()
	rd := startLink(t, c, 800)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Go(func() {
			if _, err := c.Link.HandleReturn(ret.Request(context.Background()), shop.params()); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, ok)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
}

// The shopper paid but the return never came: the journal keeps the
// attempt pending; the operator confirms it with the ProcessId found in the
// console (1Search), which records and completes it; a late return is then
// refused as a replay.
func TestLinkLostReturnConfirmedByOperator(t *testing.T) {
	jr := escott.NewMemoryJournal()
	srv, c := newTest(t, escott.WithJournal(jr))
	shop := newLinkShop()
	rd := startLink(t, c, 6100)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	pending, err := jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, pending, 1)

	attempts := srv.LinkAttempts()
	require.NotEmpty(t, attempts)
	info := attempts[len(attempts)-1]
	require.Equal(t, rd.LinkKey, info.LinkKey)
	// What the operator reads in the merchant console.
	plain, err := testCipher(t).Decrypt(ret.Fields.Get("EncryptValue"))
	require.NoError(t, err)
	require.Equal(t, info.ProcessID, plain.Get("ProcessId"))

	_, err = c.Link.Confirm(context.Background(), rd.LinkKey,
		escott.Process{ID: info.ProcessID, Pass: "WRONGPASS"}, shop.params())
	require.Error(t, err, "a wrong ProcessPass is not a confirmation")
	res, err := c.Link.Confirm(context.Background(), rd.LinkKey,
		escott.Process{ID: info.ProcessID, Pass: escott.Secret(plain.Get("ProcessPass"))}, shop.params())
	require.NoError(t, err)
	assert.True(t, res.Payment.Amount.Equal(escott.Yen(6100)))
	assert.Equal(t, 1, shop.count(rd.LinkKey))
	pending, err = jr.Pending(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, pending)

	_, err = c.Link.HandleReturn(ret.Request(context.Background()), shop.params())
	require.ErrorIs(t, err, escott.ErrReturnRefused)
	assert.Equal(t, 1, shop.count(rd.LinkKey))
}

// Start validates before building anything, and needs the AES key.
func TestLinkStartValidation(t *testing.T) {
	srv, c := newTest(t)
	for name, p := range map[string]*escott.LinkStartParams{
		"nil":          nil,
		"no amount":    {RedirectURL: linkReturnURL},
		"no redirect":  {Amount: escott.Yen(1)},
		"http":         {Amount: escott.Yen(1), RedirectURL: "http://shop.example/r"},
		"bad member":   {Amount: escott.Yen(1), RedirectURL: linkReturnURL, Member: &escott.Member{ID: "a-b", Pass: "x"}},
		"bad link key": {Amount: escott.Yen(1), RedirectURL: linkReturnURL, LinkKey: "a b"},
	} {
		t.Run(name, func(t *testing.T) {
			rd, err := c.Link.Start(context.Background(), p)
			require.ErrorIs(t, err, escott.ErrValidation)
			assert.Nil(t, rd)
		})
	}
	_, err := c.Link.StartMember(context.Background(), &escott.LinkMemberParams{RedirectURL: linkReturnURL})
	require.ErrorIs(t, err, escott.ErrValidation)
	cfg := srv.Config()
	cfg.AESKey, cfg.AESIV = "", ""
	noKey, err := escott.NewClient(cfg)
	require.NoError(t, err)
	_, err = noKey.Link.Start(context.Background(), &escott.LinkStartParams{Amount: escott.Yen(1), RedirectURL: linkReturnURL})
	require.ErrorIs(t, err, escott.ErrNoAESKey)
	assert.Empty(t, srv.LinkAttempts())
}

// The fake refuses what the real page would: a request it cannot decrypt
// gets an error page (no return at all); a decrypted one with a wrong
// field goes back to the shop with the code.
func TestLinkFakeRefusesBadRequests(t *testing.T) {
	srv, c := newTest(t)
	rd := startLink(t, c, 100)
	hc := srv.HTTPClient()
	for name, target := range map[string]string{
		"wrong merchant": strings.Replace(rd.URL(), "MerchantId="+rd.MerchantID, "MerchantId=1111111", 1),
		"garbage":        rd.Endpoint + "?MerchantId=" + rd.MerchantID + "&EncryptValue=AAAA",
	} {
		res, err := hc.Get(target)
		require.NoError(t, err, name)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, name)
	}
	wrongKey := srv.Config()
	wrongKey.AESKey = "ZZZZZZZZZZZZZZZZ"
	other, err := escott.NewClient(wrongKey)
	require.NoError(t, err)
	rd2 := startLink(t, other, 100)
	_, err = srv.PayLink(context.Background(), rd2, escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.ErrorIs(t, err, escotttest.ErrThreeDSPage)

	badPass := srv.Config()
	badPass.MerchantPass = "wrongpass"
	bp, err := escott.NewClient(badPass)
	require.NoError(t, err)
	rd3 := startLink(t, bp, 100)
	ret, err := srv.PayLink(context.Background(), rd3, escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.NoError(t, err, "a decrypted request with a wrong field returns with its code")
	_, err = bp.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	assert.NotErrorIs(t, err, escott.ErrCancelled)
}

// No secret reaches logs or fmt output of the link-type flow.
func TestLinkRedaction(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newTest(t, escott.WithLogger(log))
	m := escott.NewMember()
	rd, err := c.Link.StartMember(context.Background(), &escott.LinkMemberParams{Member: m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret := payLink(t, srv, rd, escotttest.LinkShopper{Card: escotttest.CardVisa})
	res, err := c.Link.HandleReturn(ret.Request(context.Background()), newLinkShop().params())
	require.NoError(t, err)
	rd2, err := c.Link.Start(context.Background(), &escott.LinkStartParams{Amount: escott.Yen(9), Member: &m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret2 := payLink(t, srv, rd2, escotttest.LinkShopper{UseStoredCard: true})
	res2, err := c.Link.HandleReturn(ret2.Request(context.Background()), newLinkShop().params())
	require.NoError(t, err)
	out := logs.String() + fmt.Sprintf("%v %+v %#v %s %v %+v %v %+v", rd, rd, res, res, *rd, res2, res2.Payment, res2.Attempt)
	log.Info("values", "res", res, "res2", res2)
	out += logs.String()
	for _, secret := range []string{m.Pass.Reveal(), srv.Config().MerchantPass, rd.EncryptValue.Reveal(),
		res2.Payment.Process.Pass.Reveal(), srv.Config().AESKey} {
		assert.NotContains(t, out, secret)
	}
}

// FuzzLinkReturn feeds the link-type return path (GET or POST → Base64 →
// decrypt → parse → checks) with arbitrary EncryptValues and, sealed with
// the right key, arbitrary plaintexts. Only a member registration is
// pending, against an unreachable gateway, so nothing succeeds without the
// 4MemRefM confirmation: any success is a bug.
func FuzzLinkReturn(f *testing.F) {
	cfg := escott.Config{MerchantID: "1234567", MerchantPass: "pass", Environment: escott.Test,
		AESKey: escotttest.DefaultAESKey, AESIV: escotttest.DefaultAESIV, BaseURL: "http://127.0.0.1:1"}
	ci := testCipher(f)
	good := "MerchantId=1234567&MerchantFree1=FUZZ0002&OperateId=4MemAdd&ResponseCd=OK&KaiinId=M1&KaiinPass=P1"
	f.Add(ci.Seal([]byte(good)), []byte(good), false)
	f.Add("", []byte(good+"&SecureResultCode=0&CAVV3D=%2B%2FABAgMEBQYHCAkKCwwNDg8QERI%3D&ProcNo=0000000"), true)
	f.Add("", []byte("MerchantId=1234567&MerchantFree1=FUZZ0002&OperateId=4MemAdd&ResponseCd=P51"), false)
	f.Add("", []byte("MerchantFree1=FUZZ0002&OperateId=4MemAdd&ResponseCd=P51|P52"), true)
	f.Add("AAAA AAAA", []byte("a=b&a=c"), true)
	f.Add("%%%", []byte(""), false)
	f.Fuzz(func(t *testing.T, ev string, plain []byte, get bool) {
		c, err := escott.NewClient(cfg, escott.WithHTTPClient(&http.Client{}), escott.WithRetryPolicy(escott.RetryPolicy{MaxAttempts: 1}))
		require.NoError(t, err)
		_, err = c.Link.StartMember(context.Background(), &escott.LinkMemberParams{
			Member: escott.Member{ID: "M1", Pass: "P1"}, RedirectURL: "https://shop.example/r", LinkKey: "FUZZ0002"})
		require.NoError(t, err)
		for _, q := range []string{ev, "EncryptValue=" + url.QueryEscape(ev), "EncryptValue=" + url.QueryEscape(ci.Seal(plain))} {
			var req *http.Request
			if get {
				req = httptest.NewRequest(http.MethodGet, "/r", nil)
				req.URL.RawQuery = q
			} else {
				req = httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(q))
			}
			res, err := c.Link.HandleReturn(req, &escott.LinkReturnParams{Record: func(context.Context, *escott.LinkResult) error {
				t.Fatal("nothing may be recorded without the gateway's confirmation")
				return nil
			}})
			require.Error(t, err)
			require.Nil(t, res)
			if le, ok := errors.AsType[*escott.LinkError](err); ok {
				require.Equal(t, "FUZZ0002", le.LinkKey)
				require.NotEqual(t, "OK", le.Result.ResponseCode)
			}
		}
	})
}
