package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// typeHostedCard fills the gateway's hosted card page (the fake's).
func (h *harness) typeHostedCard(number string) {
	h.t.Helper()
	h.do(
		chromedp.SendKeys(chromedp.CSS("#cardNo"), number),
		chromedp.SendKeys(chromedp.CSS("#expMM"), "12"),
		chromedp.SendKeys(chromedp.CSS("#expYY"), fmt.Sprintf("%02d", (time.Now().Year()+2)%100)),
		chromedp.SendKeys(chromedp.CSS("#secCd"), "123"),
	)
}

// useLinkType switches the card method on the operator's settings page.
func (h *harness) useLinkType() {
	h.t.Helper()
	h.adminLogin()
	h.click("#nav-settings", "#settings-form")
	require.True(h.t, h.exists("#card-token:checked"), "token is the default")
	h.do(chromedp.Click(chromedp.CSS("#card-link")))
	h.click("#save-settings", "#settings-saved")
	require.True(h.t, h.exists("#card-link:checked"))
}

// The operator switches to the link type; the checkout then sends the
// shopper to the gateway's card page, and the shop never sees card data
// nor loads the token script.
func TestLinkTypePayment(t *testing.T) {
	h := newHarness(t)
	h.useLinkType()
	h.addToCart("tshirt", "mug")
	h.open("/checkout")
	assert.False(t, h.exists("#card-form"), "no token form in link type")
	assert.NotContains(t, h.page(), "CdGetJavaScript", "no token script in link type")
	h.click("#pay-link", "#cardNo")
	require.Contains(t, h.text("#amount"), "3680")
	h.typeHostedCard(escotttest.CardVisa)
	h.click("#pay", "#thanks")

	o := h.lastOrder()
	assert.Equal(t, statusAuthorized, o.Status)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", p.State)
	assert.Equal(t, escott.Yen(2480+1200).String(), p.Amount.String())
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, o.LinkKey, attempts[0].LinkKey)
	assert.Equal(t, escott.OpAuth, attempts[0].OperateID)
	assert.Equal(t, "OK", attempts[0].ResponseCode)
	h.requireNeverReceived(escotttest.CardVisa)
	for _, r := range h.gw.Requests() {
		assert.NotEqual(t, escott.OpTokenSearch, r.OperateID)
	}

	// The payment is an ordinary process for the operator.
	h.open("/admin/orders/" + o.ID)
	h.click("#capture", "#history")
	o = h.lastOrder()
	assert.Equal(t, statusCaptured, o.Status)
}

// A logged-in customer registers the card on the gateway's page (with its
// 3-D Secure challenge); the shop pays as the new member and shows the
// stored card at the next checkout.
func TestLinkTypePaymentRegistersMember(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	h.addToCart("tote")
	h.open("/checkout")
	h.setChecked("#link-register", true)
	h.click("#pay-link", "#cardNo")
	require.Contains(t, h.text("h1"), "Register")
	h.typeHostedCard(escotttest.CardThreeDSChallenge)
	h.click("#pay", "#otp")
	code := h.text("#otp")
	h.do(chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code))
	h.click(`#challenge button[type="submit"]`, "#thanks")
	requireNoInternals(t, h)

	o := h.lastOrder()
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	require.NotEmpty(t, p.MemberID, "paid as the registered member")
	c, ok := h.demo.Shop.store.customerNamed("hanako")
	require.True(t, ok)
	m := c.Member
	require.NotNil(t, m)
	assert.Equal(t, m.ID, p.MemberID)
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, escott.OpMemberAdd, attempts[0].OperateID)
	assert.True(t, attempts[0].Challenge)
	h.requireNeverReceived(escotttest.CardThreeDSChallenge)

	h.addToCart("mug")
	h.open("/checkout")
	assert.Contains(t, h.text("#stored-card"), "•••• 3204")
}

// The shopper cancels on the gateway's page: back at the checkout with a
// "cancelled" message, nothing charged; paying again then works.
func TestLinkTypeCancel(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.addToCart("tshirt")
	h.open("/checkout")
	h.click("#pay-link", "#cardNo")
	h.click("#cancel", "#payment-error")
	assert.Contains(t, h.text("#shopper-ja"), "キャンセル")
	o := h.lastOrder()
	assert.Equal(t, statusFailed, o.Status)
	assert.Empty(t, o.Process.ID)
	for _, r := range h.gw.Requests() {
		assert.NotEqual(t, "/online/aut/OAUT002.do", r.Path, "nothing was authorised")
	}
	assert.Empty(t, h.demo.Shop.store.errorLog(), "a cancel is not a payment error")
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, "P51", attempts[0].ResponseCode)

	h.click("#pay-link", "#cardNo")
	h.typeHostedCard(escotttest.CardJCB)
	h.click("#pay", "#thanks")
	o = h.lastOrder()
	assert.Equal(t, statusAuthorized, o.Status)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, escott.BrandJCB, p.Brand)
}
