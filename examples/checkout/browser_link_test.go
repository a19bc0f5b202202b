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

// linkPath is the hosted card page's address at the fake gateway.
const linkPath = "/euser/snp/SSNP005ReferStart.do"

// linkRequests is what the fake's hosted page received, decrypted, oldest
// first.
func (h *harness) linkRequests() []escotttest.Request {
	h.t.Helper()
	var out []escotttest.Request
	for _, r := range h.gw.Requests() {
		if r.Path == linkPath {
			out = append(out, r)
		}
	}
	return out
}

// requireOnlyHostedPayments fails if the shop itself sent a payment
// (1Auth/1Gathering to OAUT002) or a 3-D Secure start (OTDS010): in link
// type every payment is made on the hosted page.
func (h *harness) requireOnlyHostedPayments() {
	h.t.Helper()
	for _, r := range h.gw.Requests() {
		if r.OperateID == escott.OpAuth || r.OperateID == escott.OpGathering {
			require.Equal(h.t, linkPath, r.Path, "the shop paid by itself instead of on the hosted page")
		}
		require.NotEqual(h.t, "/online/tds/OTDS010.do", r.Path, "no 3-D Secure by token form in link type")
		require.NotEqual(h.t, escott.OpTokenSearch, r.OperateID)
	}
}

// answerChallenge answers the fake's 3-D Secure challenge with its code.
func (h *harness) answerChallenge(then string) {
	h.t.Helper()
	code := h.text("#otp")
	h.do(chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code))
	h.click(`#challenge button[type="submit"]`, then)
}

// paidOnce counts the successful payment events of an order.
func paidOnce(t *testing.T, o order, op string) {
	t.Helper()
	n := 0
	for _, e := range o.History {
		if e.Op == op && e.OK {
			n++
		}
	}
	assert.Equal(t, 1, n, "the payment is recorded exactly once: %+v", o.History)
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
	assert.False(t, h.exists("#stored"), "a guest has no stored card")
	h.typeHostedCard(escotttest.CardVisa)
	h.click("#pay", "#thanks")

	o := h.lastOrder()
	assert.Equal(t, statusAuthorized, o.Status)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", p.State)
	assert.Equal(t, escott.Yen(2480+1200).String(), p.Amount.String())
	assert.Empty(t, p.MemberID)
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, o.LinkKey, attempts[0].LinkKey)
	assert.Equal(t, escott.OpAuth, attempts[0].OperateID)
	assert.Equal(t, "OK", attempts[0].ResponseCode)
	assert.Equal(t, o.Process.ID, attempts[0].ProcessID)
	reqs := h.linkRequests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "3680", reqs[0].Fields.Get("Amount"))
	assert.Equal(t, o.LinkKey, reqs[0].Fields.Get("MerchantFree1"))
	assert.False(t, reqs[0].Fields.Has("KaiinId"), "a guest pays without a member")
	paidOnce(t, o, escott.OpAuth)
	h.requireNeverReceived(escotttest.CardVisa)
	h.requireOnlyHostedPayments()

	// The payment is an ordinary process for the operator.
	h.open("/admin/orders/" + o.ID)
	h.click("#capture", "#history")
	o = h.lastOrder()
	assert.Equal(t, statusCaptured, o.Status)
}

// registerOnHostedPage takes a logged-in customer with a cart through the
// hosted page's card registration (with its 3-D Secure challenge) and
// waits for the shop to send the browser back to the hosted page for the
// payment, as WooCommerce and WelcartPay do.
func (h *harness) registerOnHostedPage() {
	h.t.Helper()
	h.open("/checkout")
	h.setChecked("#link-register", true)
	h.click("#pay-link", "#cardNo")
	require.Contains(h.t, h.text("h1"), "Register")
	h.typeHostedCard(escotttest.CardThreeDSChallenge)
	h.click("#pay", "#otp")
	h.answerChallenge("#amount")
	require.Contains(h.t, h.text("h1"), "Card payment", "back on the hosted page, now to pay")
	require.True(h.t, h.exists("#use-stored:checked"), "the page offers the card just stored")
	assert.Contains(h.t, h.text("#stored"), "3204")
}

// A logged-in customer registers the card on the gateway's page (with its
// 3-D Secure challenge); the shop then sends the shopper back to the hosted
// page to pay as the new member, forwarding the registration's 3-D Secure
// result, and shows the stored card at the next checkout.
func TestLinkTypePaymentRegistersMember(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	h.addToCart("tote")
	h.registerOnHostedPage()
	c, ok := h.demo.Shop.store.customerNamed("hanako")
	require.True(t, ok)
	m := c.Member
	require.NotNil(t, m, "the member is recorded when the registration returns")
	reg := h.lastOrder()
	assert.Equal(t, statusPending, reg.Status, "not paid before the second visit")
	assert.Empty(t, reg.Process.ID)

	h.click("#pay", "#otp") // the fake authenticates the stored card again
	h.answerChallenge("#thanks")
	requireNoInternals(t, h)

	o := h.lastOrder()
	assert.Equal(t, reg.ID, o.ID, "one order")
	assert.Equal(t, statusAuthorized, o.Status)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, p.MemberID, "paid as the registered member")
	assert.Equal(t, "authorized", p.State)
	assert.True(t, p.ThreeDS)
	assert.Equal(t, escott.Yen(o.Amount).String(), p.Amount.String())
	paidOnce(t, o, escott.OpAuth)

	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 2)
	assert.Equal(t, escott.OpMemberAdd, attempts[0].OperateID)
	assert.Equal(t, "OK", attempts[0].ResponseCode)
	assert.True(t, attempts[0].Challenge)
	assert.Equal(t, escott.OpAuth, attempts[1].OperateID)
	assert.Equal(t, "OK", attempts[1].ResponseCode)
	assert.Equal(t, o.Process.ID, attempts[1].ProcessID)
	assert.Equal(t, o.LinkKey, attempts[1].LinkKey, "the order shows the payment's link key")
	assert.NotEqual(t, attempts[0].LinkKey, attempts[1].LinkKey, "a fresh link key for the payment")
	reqs := h.linkRequests()
	require.Len(t, reqs, 2)
	assert.Equal(t, m.ID, reqs[0].Fields.Get("KaiinId"))
	assert.Equal(t, m.ID, reqs[1].Fields.Get("KaiinId"), "the payment names the member")
	assert.Equal(t, m.Pass.Reveal(), reqs[1].Fields.Get("KaiinPass"))
	assert.Equal(t, attempts[0].SecureResultCode, reqs[1].Fields.Get("SecureResultCode"),
		"the registration's 3-D Secure result is forwarded")
	assert.NotEmpty(t, reqs[1].Fields.Get("SecureResultCode"))
	h.requireNeverReceived(escotttest.CardThreeDSChallenge)
	h.requireOnlyHostedPayments()

	h.addToCart("mug")
	h.open("/checkout")
	assert.Contains(t, h.text("#stored-card"), "•••• 3204")

	// The operator finds both attempts in the console by their link keys.
	h.adminLogin()
	h.open("/admin/orders/" + o.ID)
	assert.Equal(t, attempts[1].LinkKey, h.text("#admin-linkkey"))
	assert.Equal(t, attempts[0].LinkKey, h.text("#admin-member-linkkey"))
}

// The stored-card button in link type pays on the hosted page, as the
// member (LinkStartParams.Member), not through the token form's OTDS010.
func TestLinkTypeStoredCard(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	m := h.storeCard("hanako", escotttest.CardMastercard)
	h.addToCart("mug")
	h.open("/checkout")
	assert.Contains(t, h.text("#stored-card"), "•••• 4444")
	h.click("#pay-stored", "#amount")
	require.Contains(t, h.text("h1"), "Card payment")
	require.True(t, h.exists("#use-stored:checked"))
	assert.Contains(t, h.text("#stored"), "4444")
	h.click("#pay", "#thanks")
	requireNoInternals(t, h)

	o := h.lastOrder()
	assert.Equal(t, statusAuthorized, o.Status)
	assert.Equal(t, methodStored, o.Method)
	assert.Contains(t, o.Card, "4444")
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, p.MemberID)
	assert.Equal(t, escott.BrandMastercard, p.Brand)
	paidOnce(t, o, escott.OpAuth)
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 1)
	assert.Equal(t, escott.OpAuth, attempts[0].OperateID)
	assert.Equal(t, o.LinkKey, attempts[0].LinkKey)
	reqs := h.linkRequests()
	require.Len(t, reqs, 1)
	assert.Equal(t, m.ID, reqs[0].Fields.Get("KaiinId"))
	assert.False(t, reqs[0].Fields.Has("SecureResultCode"), "no registration to forward")
	h.requireOnlyHostedPayments()
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
	h.requireNeverReceived(escotttest.CardJCB)
	h.requireOnlyHostedPayments()
}

// A cancel on the second visit (the payment after a registration) keeps the
// member registered and the order unpaid; the shopper is back at the
// checkout, where the stored card is offered.
func TestLinkTypeCancelPaymentAfterRegistration(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	h.addToCart("tote")
	h.registerOnHostedPage()
	h.click("#cancel", "#payment-error")
	assert.Contains(t, h.text("#shopper-ja"), "キャンセル")

	o := h.lastOrder()
	assert.Equal(t, statusFailed, o.Status, "unpaid")
	assert.Empty(t, o.Process.ID)
	c, ok := h.demo.Shop.store.customerNamed("hanako")
	require.True(t, ok)
	require.NotNil(t, c.Member, "the registration stands")
	card, err := h.demo.client.Member.GetMasked(h.ctx, *c.Member)
	require.NoError(t, err)
	assert.Equal(t, "3204", card.Last4)
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 2)
	assert.Equal(t, escott.OpMemberAdd, attempts[0].OperateID)
	assert.Equal(t, "OK", attempts[0].ResponseCode)
	assert.Equal(t, escott.OpAuth, attempts[1].OperateID)
	assert.Equal(t, escotttest.LinkCancelCode, attempts[1].ResponseCode)
	assert.Empty(t, attempts[1].ProcessID)
	for _, r := range h.gw.Requests() {
		assert.NotEqual(t, "/online/aut/OAUT002.do", r.Path, "nothing was authorised")
	}
	assert.Empty(t, h.demo.Shop.store.errorLog(), "a cancel is not a payment error")
	assert.Contains(t, h.text("#stored-card"), "•••• 3204", "back at the checkout, with the card stored")
	h.requireNeverReceived(escotttest.CardThreeDSChallenge)
}

// A member who replaces the stored card on the hosted page (4MemChg) is
// sent back there to pay with the new card, as the same member.
func TestLinkTypeChangeCardThenPay(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	m := h.storeCard("hanako", escotttest.CardVisa)
	h.addToCart("mug")
	h.open("/checkout")
	assert.Contains(t, h.text("#stored-card"), "•••• 1111")
	h.setChecked("#link-register", true)
	h.click("#pay-link", "#cardNo")
	require.Contains(t, h.text("h1"), "Register")
	h.typeHostedCard(escotttest.CardMastercard)
	h.click("#pay", "#amount")
	require.Contains(t, h.text("h1"), "Card payment")
	assert.Contains(t, h.text("#stored"), "4444", "the page offers the new card")
	h.click("#pay", "#thanks")

	o := h.lastOrder()
	assert.Equal(t, statusAuthorized, o.Status)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, p.MemberID, "the same member")
	assert.Equal(t, escott.BrandMastercard, p.Brand, "with the new card")
	paidOnce(t, o, escott.OpAuth)
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 2)
	assert.Equal(t, escott.OpMemberChange, attempts[0].OperateID)
	assert.Equal(t, escott.OpAuth, attempts[1].OperateID)
	reqs := h.linkRequests()
	require.Len(t, reqs, 2)
	assert.Equal(t, m.ID, reqs[1].Fields.Get("KaiinId"))
	assert.Equal(t, attempts[0].SecureResultCode, reqs[1].Fields.Get("SecureResultCode"))
	c, ok := h.demo.Shop.store.customerNamed("hanako")
	require.True(t, ok)
	require.NotNil(t, c.Member)
	assert.Equal(t, m.ID, c.Member.ID)
	h.requireNeverReceived(escotttest.CardMastercard)
	h.requireOnlyHostedPayments()
}

// A refusal on the second visit (the stored card declined for the payment)
// is shown at the checkout with the gateway's message and logged; the
// member stays registered, the order unpaid, and nothing is retried.
func TestLinkTypeDeclinedAfterRegistration(t *testing.T) {
	h := newHarnessWith(t, func(s *settings) { s.Card = cardByLink })
	h.login("hanako")
	h.addToCart("mug")
	h.open("/checkout")
	h.setChecked("#link-register", true)
	h.click("#pay-link", "#cardNo")
	h.typeHostedCard(escotttest.CardDeclined)
	h.click("#pay", "#amount")
	assert.Contains(t, h.text("#stored"), "0002")
	h.click("#pay", "#payment-error")
	assert.NotEmpty(t, h.text("#shopper-ja"))

	o := h.lastOrder()
	assert.Equal(t, statusFailed, o.Status)
	assert.Empty(t, o.Process.ID)
	c, ok := h.demo.Shop.store.customerNamed("hanako")
	require.True(t, ok)
	require.NotNil(t, c.Member, "the registration stands")
	attempts := h.gw.LinkAttempts()
	require.Len(t, attempts, 2, "no silent retry")
	assert.Equal(t, escott.OpMemberAdd, attempts[0].OperateID)
	assert.Equal(t, "OK", attempts[0].ResponseCode)
	assert.Equal(t, escott.OpAuth, attempts[1].OperateID)
	assert.NotEqual(t, "OK", attempts[1].ResponseCode)
	errs := h.demo.Shop.store.errorLog()
	require.Len(t, errs, 1)
	assert.Equal(t, o.ID, errs[0].OrderID)
	assert.Equal(t, o.LinkKey, errs[0].LinkKey, "logged under the payment's link key")
	assert.Equal(t, attempts[1].LinkKey, errs[0].LinkKey)
	h.requireNeverReceived(escotttest.CardDeclined)
	h.requireOnlyHostedPayments()
}
