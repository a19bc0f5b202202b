package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// requireThreeDS checks that the order's card payment went through 3-D
// Secure: one attempt under the order's link key, completed, and an
// authorisation made with the 3-D Secure fields.
func requireThreeDS(t *testing.T, h *harness, o order, p escotttest.ProcessInfo) {
	t.Helper()
	var mine []escotttest.ThreeDSAttemptInfo
	for _, a := range h.gw.ThreeDSAttempts() {
		if a.LinkKey == o.LinkKey {
			mine = append(mine, a)
		}
	}
	require.Len(t, mine, 1, "one 3-D Secure attempt for the order")
	assert.True(t, mine[0].Completed)
	assert.True(t, p.ThreeDS, "authorised with the 3-D Secure result")
}

// requireNoInternals checks the shopper's page for internals.
func requireNoInternals(t *testing.T, h *harness) {
	t.Helper()
	body := h.text("body")
	for _, s := range []string{"SecureResultCode", "ProcessId", "1Auth", "1Gathering", "3Secure", "escott:", "online collection", "stored card"} {
		assert.NotContains(t, body, s)
	}
	assert.False(t, h.exists(`a[href^="/admin"]`), "no admin link for the shopper")
	assert.Regexp(t, `¥[0-9]{1,3}(,[0-9]{3})+`, h.text("#order-amount"), "amounts with thousands separators")
}

func TestEveryCardPaymentRunsThreeDS(t *testing.T) {
	h := newHarness(t)
	h.addToCart("mug")
	h.open("/checkout")
	assert.False(t, h.exists(`input[name="threeds"]`), "the shopper does not choose whether")
	assert.Contains(t, h.text("#threeds-note"), "3-Dセキュア")
	h.typeCard(escotttest.CardMastercard)
	h.click("#pay-card", "#thanks")
	o := h.lastOrder()
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	requireThreeDS(t, h, o, p)
	// Mode B (the default): 3Secure, then the shop's 1Auth.
	assert.Equal(t, escott.OpThreeDS, h.gw.ThreeDSAttempts()[0].OperateID)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth))
}

func TestThreeDSModeAChosenByTheOperator(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.ThreeDS = threeDSModeA })
	h.addToCart("tote")
	h.open("/checkout")
	h.typeCard(escotttest.CardVisa)
	h.click("#pay-card", "#thanks")
	o := h.lastOrder()
	attempts := h.gw.ThreeDSAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, escott.OpAuth, attempts[0].OperateID, "mode A: the gateway authorises")
	assert.Equal(t, attempts[0].ProcessID, o.Process.ID)
	assert.Equal(t, statusAuthorized, o.Status)
	for _, r := range h.gw.Requests() {
		if r.OperateID == escott.OpAuth {
			assert.Contains(t, r.Path, "OTDS010", "no separate authorisation: the gateway's, at OTDS010")
		}
	}
	h.adminLogin()
	h.open("/admin/orders/" + o.ID)
	assert.Contains(t, h.text("body"), "方式A")
}

func TestThreeDSModeFromEnvironment(t *testing.T) {
	m, err := parseThreeDSMode("A")
	require.NoError(t, err)
	assert.Equal(t, threeDSModeA, m)
	m, err = parseThreeDSMode("")
	require.NoError(t, err)
	assert.Equal(t, threeDSModeB, m, "B unless the operator says otherwise")
	_, err = parseThreeDSMode("off")
	require.Error(t, err, "3-D Secure cannot be switched off")
}

// A shopper who presses Back after a successful 3-D Secure payment and
// sends the page again is led to the order already paid, not invited to pay
// again; nothing is charged twice.
func TestBackAfterThreeDSSuccess(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tote")
	h.open("/checkout")
	h.typeCard(escotttest.CardThreeDSChallenge)
	h.click("#pay-card", "#otp")
	code := h.text("#otp")
	h.do(chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code))
	h.click(`#challenge button[type="submit"]`, "#thanks")
	o := h.lastOrder()
	require.Equal(t, statusAuthorized, o.Status)

	// Back, to the gateway's page that posted the result ("Confirm Form
	// Resubmission"), and send it again (reload): the browser posts the
	// same result to the shop once more.
	ret := h.lastReturn()
	h.eval(`(window.__stale = true, history.back(), true)`)
	h.waitFor("body")
	h.eval(`(window.__stale = true, true)`)
	h.do(chromedp.Reload())
	h.waitFor("#already-paid")
	assert.Equal(t, 2, h.returns(), "the result came back a second time")
	h.shot("back-after-success")
	assert.Contains(t, h.text("#already-paid"), "既に完了しています")
	assert.Contains(t, h.text("#already-paid"), o.ID)
	assert.Equal(t, o.ID, h.text("#order-id"))
	assert.NotContains(t, h.text("body"), "この認証結果は受け付けられません")
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth), "charged once")
	assert.Equal(t, statusAuthorized, h.lastOrder().Status)
	assert.Len(t, h.demo.Shop.store.orderList(), 1)

	// Someone else sending the same result learns nothing about the order.
	res, err := http.PostForm(h.demo.URL+threeDSReturnPath, ret)
	require.NoError(t, err)
	body := readAll(t, res)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, "この認証結果は受け付けられません")
	assert.NotContains(t, body, o.ID)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth))
}

// lastReturn is the form the browser last posted to the 3-D Secure return.
func (h *harness) lastReturn() url.Values {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.seen) - 1; i >= 0; i-- {
		head, body, _ := strings.Cut(h.seen[i], "\n")
		if strings.HasPrefix(head, "POST "+threeDSReturnPath+"?") {
			v, err := url.ParseQuery(body)
			require.NoError(h.t, err)
			return v
		}
	}
	h.t.Fatal("no 3-D Secure return seen")
	return nil
}

// returns counts the 3-D Secure returns the browser posted.
func (h *harness) returns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.seen {
		if strings.HasPrefix(s, "POST "+threeDSReturnPath+"?") {
			n++
		}
	}
	return n
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	return string(b)
}

// A shopper's typo in the online-collection form is shown next to the
// field, in Japanese first, with what was typed kept; no order is made and
// the operator's error log stays empty. Common phone formats are accepted.
func TestOnlineCollectionFieldErrorsKeepInput(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tshirt")
	h.open("/checkout")
	h.setValue("#cvs-name", "山田 花子")
	h.setValue("#cvs-kana", "yamada hanako")
	h.setValue("#cvs-phone", "+81 3 1234 5678")
	h.click("#pay-cvs", "#cvs-form")
	require.True(t, h.exists("#cvs-kana-error"))
	h.eval(`(document.querySelector("#cvs").scrollIntoView(), true)`)
	h.shot("cvs-field-errors")
	assert.Equal(t, fieldMessages[fieldKana].JA, h.text("#cvs-kana-error"))
	assert.False(t, h.exists("#cvs-name-error"))
	assert.False(t, h.exists("#cvs-phone-error"), "+81 3 1234 5678 is a phone number")
	assert.Equal(t, "山田 花子", h.value("#cvs-name"), "input kept")
	assert.Equal(t, "yamada hanako", h.value("#cvs-kana"))
	assert.Equal(t, "+81 3 1234 5678", h.value("#cvs-phone"))
	assert.NotContains(t, h.text("body"), "escott:")
	assert.NotContains(t, h.text("body"), "NameKana")
	assert.Empty(t, h.demo.Shop.store.orderList(), "no order for a typo")
	assert.Empty(t, h.demo.Shop.store.errorLog(), "not an operator error")
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpCVSRegister))

	// Corrected, with a full-width phone number: accepted.
	h.setValue("#cvs-kana", "やまだ はなこ")
	h.setValue("#cvs-phone", "０３－１２３４－５６７８")
	h.click("#pay-cvs", `input[name="cvs"]`)
	o := h.lastOrder()
	assert.Equal(t, "1001", o.ID, "the first order's number")
	var telNo string
	for _, r := range h.gw.Requests() {
		if r.OperateID == escott.OpCVSRegister {
			telNo = r.Fields.Get("TelNo")
		}
	}
	assert.Equal(t, "03-1234-5678", telNo)
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+81 3 1234 5678":    "0312345678",
		"+81-90-1234-5678":   "090-1234-5678",
		"+81 (0)3 1234 5678": "0312345678",
		"０３－１２３４－５６７８":       "03-1234-5678",
		"03 1234 5678":       "0312345678",
		"(03) 1234-5678":     "03-1234-5678",
	} {
		assert.Equal(t, want, normalizePhone(in), in)
	}
}

// Card-form errors name the field: the shop's own checks before the token
// script, and the gateway's codes after the payment was refused.
func TestCardFormFieldErrors(t *testing.T) {
	h := newHarness(t)
	h.addToCart("mug")
	h.open("/checkout")
	h.do(
		chromedp.SendKeys(chromedp.CSS("#card-number"), "4111111111111112"), // fails the check digit
		chromedp.SendKeys(chromedp.CSS("#card-cvc"), "12"),
	)
	h.do(chromedp.Click(chromedp.CSS("#pay-card")), chromedp.WaitVisible(chromedp.CSS("#card-number-error")))
	assert.Equal(t, fieldMessages[fieldNumber].JA, h.text("#card-number-error"))
	assert.Equal(t, fieldMessages[fieldSecurity].JA, h.text("#card-cvc-error"))
	assert.False(t, h.visible("#card-expiry-error"))
	assert.Empty(t, h.demo.Shop.store.orderList(), "nothing posted")

	// The gateway refuses the security code (G44) after 3-D Secure.
	h.typeCard(escotttest.CardSecurityCode)
	h.click("#pay-card", "#payment-error")
	assert.True(t, h.visible("#card-cvc-error"))
	assert.Equal(t, fieldMessages[fieldSecurity].JA, h.text("#card-cvc-error"))
	assert.False(t, h.visible("#card-number-error"))
	h.shot("card-field-error")

	// An expired card (C13) points at the expiry.
	h.typeCard(escotttest.CardExpired)
	h.click("#pay-card", "#payment-error")
	assert.True(t, h.visible("#card-expiry-error"))
	assert.False(t, h.visible("#card-cvc-error"))
}

// The operator's pages need the operator's sign-in, every state-changing
// form needs the session's CSRF token, and destructive actions ask first.
func TestAdminIsProtected(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tote")
	h.open("/checkout")
	h.typeCard(escotttest.CardJCB)
	h.click("#pay-card", "#thanks")
	o := h.lastOrder()

	// The shopper's browser: no way in.
	h.open("/admin/orders/" + o.ID)
	h.waitFor("#admin-login-form")
	assert.False(t, h.exists("#capture"))
	assert.Equal(t, http.StatusUnauthorized, h.post("/admin/orders/"+o.ID+"/capture", map[string]string{"csrf": h.csrf()}))
	// A wrong password is refused.
	h.do(
		chromedp.SendKeys(chromedp.CSS("#admin-user"), h.demo.Shop.admin.User),
		chromedp.SendKeys(chromedp.CSS("#admin-password"), "not-the-password"),
	)
	h.click("#admin-login", "#admin-login-error")
	h.shot("admin-login")
	// From outside, without any session.
	res, err := http.PostForm(h.demo.URL+"/admin/orders/"+o.ID+"/capture", nil)
	require.NoError(t, err)
	_ = readAll(t, res)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	res, err = http.Get(h.demo.URL + "/admin/orders")
	require.NoError(t, err)
	body := readAll(t, res)
	assert.Contains(t, body, "admin-login-form", "redirected to the sign-in")
	assert.NotContains(t, body, o.LinkKey)

	// Signed in, but without the form's CSRF token: refused.
	h.adminLogin()
	h.open("/admin/orders/" + o.ID)
	assert.Equal(t, http.StatusForbidden, h.post("/admin/orders/"+o.ID+"/capture", nil))
	assert.Equal(t, http.StatusForbidden, h.post("/admin/orders/"+o.ID+"/capture", map[string]string{"csrf": "0123456789abcdef0123456789abcdef"}))
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpCapture))
	// The shopper's forms too.
	assert.Equal(t, http.StatusForbidden, h.post("/cart", map[string]string{"product": "mug"}))
	assert.Equal(t, http.StatusForbidden, h.post("/checkout/stored", nil))

	// With the token, from the page: done once.
	h.click("#capture", "#history tbody tr:nth-child(2)")
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpCapture))
	assert.Contains(t, h.text("#history"), "売上計上")
	assert.Contains(t, h.text("#history"), "正常")

	// Clearing the error log asks first.
	h.demo.Shop.store.logError(errorEntry{OrderID: o.ID, Op: escott.OpCapture})
	h.open("/admin/errors")
	h.click("#clear-errors", "#confirm")
	assert.Len(t, h.demo.Shop.store.errorLog(), 1)
	h.click("#confirm", "#no-errors")
	assert.Empty(t, h.demo.Shop.store.errorLog())
}

func TestAdminCredentialsFromTheEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := loadAdminCredentials(env(nil), true)
	require.ErrorContains(t, err, envAdminUser, "the real gateway needs them")
	_, err = loadAdminCredentials(env(map[string]string{envAdminUser: "ops", envAdminPassword: "short"}), true)
	require.Error(t, err)
	c, err := loadAdminCredentials(env(map[string]string{envAdminUser: "ops", envAdminPassword: "a-long-password"}), true)
	require.NoError(t, err)
	assert.False(t, c.Generated)
	assert.True(t, c.check("ops", "a-long-password"))
	assert.False(t, c.check("ops", "a-long-passwore"))
	g1, err := loadAdminCredentials(env(nil), false)
	require.NoError(t, err)
	g2, err := loadAdminCredentials(env(nil), false)
	require.NoError(t, err)
	assert.True(t, g1.Generated)
	assert.NotEqual(t, g1.Password, g2.Password, "random at every start")
	assert.GreaterOrEqual(t, len(g1.Password), 16)
}

// A member's login needs the member's password: knowing the name is not
// enough to see the stored card.
func TestMemberLoginNeedsThePassword(t *testing.T) {
	h := newHarness(t)
	h.login("hanako")
	h.storeCard("hanako", escotttest.CardVisa)
	h.click("#my-page", "#member-card")
	h.click(`header form[action="/logout"] button`, "#login-form")

	h.loginWith("hanako", "guessing-the-password")
	assert.Contains(t, h.text("#message"), "パスワードが違います")
	assert.False(t, h.exists("#customer"))
	h.open("/member")
	assert.False(t, h.exists("#member-card"))
	assert.NotContains(t, h.text("body"), "1111")

	h.loginWith("hanako", memberPassword("hanako"))
	h.waitFor("#customer")
	h.open("/member")
	assert.Equal(t, "VISA •••• 1111", h.text("#member-card"))

	c, _ := h.demo.Shop.store.customerNamed("hanako")
	assert.NotContains(t, string(c.password.key), memberPassword("hanako"), "stored hashed")
	assert.True(t, c.password.matches(memberPassword("hanako")))
}

// The operator's pages use the operator's words: operations named in
// Japanese with the wire name small, gateway errors as code and message.
func TestOperatorPagesSpeakJapanese(t *testing.T) {
	h := newHarness(t)
	h.addToCart("mug")
	h.open("/checkout")
	h.typeCard(escotttest.CardDeclined)
	h.click("#pay-card", "#payment-error")
	o := h.lastOrder()
	h.adminLogin()
	h.open("/admin/orders/" + o.ID)
	hist := h.text("#history")
	assert.Contains(t, hist, "与信")
	assert.Contains(t, hist, "G12")
	g12, _ := escott.LookupCode("G12")
	assert.Contains(t, hist, g12.MessageJA)
	assert.NotContains(t, hist, "escott:")
	assert.NotContains(t, hist, g12.Message, "Japanese messages for the operator")
	wire, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`document.querySelector("#history .wire").textContent`))
	require.NoError(t, err)
	assert.Equal(t, escott.OpAuth, wire, "the wire name, small")
	// Labels do not wrap into their values.
	ws, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("dl.order dt")).whiteSpace`))
	require.NoError(t, err)
	assert.Equal(t, "nowrap", ws)
	h.shot("admin-order-error")
}

func TestCheckoutShowsCurrentStores(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tshirt")
	h.open("/checkout")
	stores := h.text("#cvs-stores")
	assert.Contains(t, stores, escott.AgencyFamilyMart.NameJA())
	assert.Contains(t, stores, escott.AgencySevenEleven.NameJA())
	assert.NotContains(t, stores, escott.AgencySunkus.NameJA())
	assert.NotContains(t, stores, escott.AgencyCircleK.NameJA())
	assert.Contains(t, h.text("#checkout-total"), "¥2,480")
	h.shot("checkout")
}
