package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	policy "github.com/escott-go/escott/shop"
)

func TestCardPaymentByToken(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tshirt", "mug")
	h.shot("product-list")
	require.Equal(t, yen(2480+1200), h.text("#cart-total"))

	h.open("/checkout")
	h.typeCard(escotttest.CardVisa)
	h.shot("card-form")
	h.click("#pay-card", "#thanks")
	h.shot("order-complete")

	o := h.lastOrder()
	assert.Equal(t, o.ID, h.text("#order-id"))
	assert.Equal(t, statusAuthorized.ShopperLabel(), h.text("#order-status"))
	assert.Equal(t, o.LinkKey, h.text("#order-linkkey"))
	assert.Equal(t, "VISA •••• 1111", h.text("#order-card"))

	// What the gateway recorded: one authorisation of the cart's amount,
	// under the order's link key, by a token the browser made.
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", p.State)
	assert.Equal(t, escott.Yen(2480+1200).String(), p.Amount.String())
	assert.Equal(t, escott.BrandVisa, p.Brand)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth))
	requireThreeDS(t, h, o, p)
	reqs := h.gw.Requests()
	assert.Equal(t, o.LinkKey, reqs[len(reqs)-1].Fields.Get("MerchantFree1"))
	h.requireNeverReceived(escotttest.CardVisa)

	// The cart is empty after the payment.
	h.open("/")
	require.Contains(t, h.text("#cart"), "カートは空です")
}

func TestThreeDSChallenge(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tote")
	h.open("/checkout")
	h.typeCard(escotttest.CardThreeDSChallenge)
	h.click("#pay-card", "#otp")
	h.shot("3ds-challenge")

	// The shopper reads the one-time code on the issuer's page and types it.
	code := h.text("#otp")
	require.Regexp(t, `^[0-9]+$`, code)
	h.do(chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code))
	h.click(`#challenge button[type="submit"]`, "#thanks")
	assert.Equal(t, "本人認証済み", h.text("#order-3ds"))
	requireNoInternals(t, h)

	o := h.lastOrder()
	attempts := h.gw.ThreeDSAttempts()
	require.Len(t, attempts, 1)
	assert.True(t, attempts[0].Challenge)
	assert.True(t, attempts[0].Completed)
	assert.Equal(t, "0", attempts[0].SecureResultCode)
	assert.Equal(t, o.LinkKey, attempts[0].LinkKey)
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.True(t, p.ThreeDS, "authorised with the 3-D Secure fields")
	assert.Equal(t, escott.Yen(3300).String(), p.Amount.String())
	h.requireNeverReceived(escotttest.CardThreeDSChallenge)
}

func TestRegisterAndPay(t *testing.T) {
	h := newHarness(t)
	h.addToCart("mug")
	h.login("hanako")
	h.setChecked("#register", true)
	h.typeCard(escotttest.CardVisa)
	h.click("#pay-card", "#thanks")

	c, _ := h.demo.Shop.store.customerNamed("hanako")
	require.NotNil(t, c.Member, "the shop keeps the member")
	m, ok := h.gw.Member(c.Member.ID)
	require.True(t, ok, "the gateway stored the card")
	assert.Equal(t, escott.BrandVisa, m.Brand)
	assert.True(t, strings.HasSuffix(m.MaskedNumber, "1111"))
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpMemberAdd))

	o := h.lastOrder()
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, c.Member.ID, p.MemberID, "paid by the member, not the token")
	assert.Equal(t, escott.Yen(1200).String(), p.Amount.String())
	requireThreeDS(t, h, o, p)

	// The next checkout offers the stored card.
	h.addToCart("mug")
	h.open("/checkout")
	assert.Equal(t, "VISA •••• 1111", h.text("#stored-card"))
	h.requireNeverReceived(escotttest.CardVisa)
}

func TestStoredCardPayment(t *testing.T) {
	h := newHarness(t)
	h.login("jiro")
	m := h.storeCard("jiro", escotttest.CardMastercard) // stored at an earlier checkout

	h.addToCart("tenugui", "tenugui")
	h.open("/checkout")
	assert.Equal(t, "Mastercard •••• 4444", h.text("#stored-card"))
	choices := h.options("#stored-paytype")
	assert.Contains(t, choices, policy.PayTypeLabel(escott.Installments(3)))
	h.do(chromedp.SetValue(chromedp.CSS("#stored-paytype"), "03"))
	h.click("#pay-stored", "#thanks")
	assert.Equal(t, "Mastercard •••• 4444", h.text("#order-card"))

	o := h.lastOrder()
	p, ok := h.gw.Process(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, p.MemberID)
	assert.Equal(t, "03", p.PayType)
	assert.Equal(t, escott.Yen(2*980).String(), p.Amount.String())
	requireThreeDS(t, h, o, p)
	assert.GreaterOrEqual(t, h.gw.RequestCount(escott.OpMemberRefMasked), 1, "brand and last four come from 4MemRefM")
}

func TestInstallmentChoicesFollowTheCardNumber(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tote")
	h.open("/checkout")
	require.Equal(t, []string{policy.PayTypeLabel(escott.LumpSum)}, h.options("#paytype"), "nothing typed yet: lump sum only")

	labels := func(number string) []string {
		var out []string
		for _, pt := range escott.PayTypeChoices(number, escott.InstallmentsAndRevolving) {
			out = append(out, policy.PayTypeLabel(pt))
		}
		return out
	}
	two := policy.PayTypeLabel(escott.Installments(2))

	h.typeCard(escotttest.CardVisa)
	visa := h.options("#paytype")
	assert.Equal(t, labels(escotttest.CardVisa), visa)
	assert.Contains(t, visa, two)
	assert.Equal(t, "VISA", h.text("#brand"))

	h.typeCard(escotttest.CardAmex)
	amex := h.options("#paytype")
	assert.Equal(t, labels(escotttest.CardAmex), amex)
	assert.NotContains(t, amex, two, "American Express has no two installments")
	assert.Contains(t, amex, policy.PayTypeLabel(escott.Installments(3)))

	h.typeCard(escotttest.CardDiners)
	assert.Equal(t, []string{policy.PayTypeLabel(escott.LumpSum), policy.PayTypeLabel(escott.Revolving)}, h.options("#paytype"))

	// Pay with VISA in three installments.
	h.typeCard(escotttest.CardVisa)
	h.do(chromedp.SetValue(chromedp.CSS("#paytype"), "03"))
	h.click("#pay-card", "#thanks")
	p, ok := h.gw.Process(h.lastOrder().Process.ID)
	require.True(t, ok)
	assert.Equal(t, "03", p.PayType)
}

func TestOnlineCollectionPaidByNotification(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tshirt")
	h.open("/checkout")
	fee := h.demo.Shop.set.CVSFee.Fixed.IntPart()
	assert.Equal(t, yen(2480+fee), h.text("#cvs-total"))
	h.click("#pay-cvs", `input[name="cvs"]`)

	// The gateway's payment page: pick a store and pay.
	o := h.lastOrder()
	assert.Equal(t, statusUnpaid, o.Status)
	assert.Equal(t, o.PaymentNumber, h.text("#number"))
	h.do(chromedp.Click(chromedp.CSS(`input[name="cvs"][value="LSN"]`)))
	h.shot("cvs-payment-page")
	h.click(`button[name="pay"]`, "#paid")
	assert.Contains(t, h.text("#notification"), `HTTP 200, body "0"`, "the shop accepted the notification")

	// The notification made the order paid.
	h.open("/orders/" + o.ID)
	assert.Equal(t, statusPaid.ShopperLabel(), h.text("#order-status"))
	assert.Contains(t, h.text("#order-paid"), escott.AgencyLawson.NameJA())
	info, ok := h.gw.CVSPayment(o.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "paid", info.State)
	assert.Equal(t, o.LinkKey, info.LinkKey)
	assert.Equal(t, escott.Yen(2480+fee).String(), info.Amount.String())
	for _, r := range h.gw.Requests() {
		if r.OperateID == escott.OpCVSRegister {
			assert.Equal(t, "Ｔシャツ", r.Fields.Get("ShouhinName"), "the Japanese display name only")
		}
	}
	sent := h.gw.Notifications()
	require.Len(t, sent, 1, "accepted at the first delivery")
	assert.True(t, sent[0].Accepted)

	h.adminLogin()
	h.open("/admin/orders")
	assert.Contains(t, h.text("#order-row-"+o.ID), statusPaid.Label())
	assert.Contains(t, h.text("#order-row-"+o.ID), o.LinkKey)
}

func TestAdminCaptureChangeCancel(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tote")
	h.open("/checkout")
	h.typeCard(escotttest.CardJCB)
	h.click("#pay-card", "#thanks")
	o := h.lastOrder()
	h.adminLogin()
	h.open("/admin/orders")
	h.shot("order-list")

	h.open("/admin/orders/" + o.ID)
	h.do(chromedp.Click(chromedp.CSS("#capture")), chromedp.WaitVisible(chromedp.CSS("#history tbody tr:nth-child(2)")))
	assert.Equal(t, statusCaptured.Label(), h.text("#admin-status"))
	p, _ := h.gw.Process(o.Process.ID)
	assert.Equal(t, "captured", p.State)
	assert.NotEmpty(t, p.SalesDate)
	h.shot("admin")

	h.eval(`(document.querySelector("#new-amount").value = "3000", true)`)
	h.do(chromedp.Click(chromedp.CSS("#change")), chromedp.WaitVisible(chromedp.CSS("#history tbody tr:nth-child(3)")))
	assert.Equal(t, yen(3000), h.text("#admin-amount"))
	p, _ = h.gw.Process(o.Process.ID)
	assert.Equal(t, escott.Yen(3000).String(), p.Amount.String())

	// Cancelling asks first.
	h.click("#cancel", "#confirm")
	assert.Contains(t, h.text("#confirm-text"), "元に戻せません")
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpDelete), "nothing sent before the confirmation")
	h.click("#confirm", "#history tbody tr:nth-child(4)")
	assert.Equal(t, statusCancelled.Label(), h.text("#admin-status"))
	p, _ = h.gw.Process(o.Process.ID)
	assert.Equal(t, "cancelled", p.State)
	for _, op := range []string{escott.OpCapture, escott.OpChange, escott.OpDelete} {
		assert.Equal(t, 1, h.gw.RequestCount(op), op)
	}
	assert.Contains(t, h.text("#history"), escott.OpDelete)
	assert.Contains(t, h.text("#history"), "取消")
	assert.Contains(t, h.text("#history"), "売上計上")
	// Nothing is left to do but look.
	ids, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".actions button")).map(b => b.id)`))
	require.NoError(t, err)
	assert.Equal(t, []string{"inquire"}, ids)
}

func TestDeclinedCardShowsShopperMessage(t *testing.T) {
	h := newHarness(t)
	h.addToCart("mug")
	h.open("/checkout")
	h.typeCard(escotttest.CardDeclined)
	h.click("#pay-card", "#payment-error")

	g12, ok := escott.LookupCode("G12")
	require.True(t, ok)
	assert.Equal(t, g12.ShopperMessage("ja"), h.text("#shopper-ja"))
	assert.Equal(t, g12.ShopperMessage("en"), h.text("#shopper-en"))
	assert.NotEqual(t, h.text("#shopper-ja"), h.text("#shopper-en"))

	o := h.lastOrder()
	assert.Equal(t, statusFailed, o.Status)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth))
	assert.Empty(t, o.Process.ID, "no transaction")
	// The cart is kept for another try.
	assert.Equal(t, yen(1200), h.text("#checkout-total"))

	h.adminLogin()
	h.open("/admin/errors")
	h.shot("error-log")
	log := h.text("#error-log")
	for _, want := range []string{"G12", g12.MessageJA, o.LinkKey, escott.OpAuth, "与信"} {
		assert.Contains(t, log, want)
	}
	assert.NotContains(t, log, "escott:", "no Go error strings")
	h.open("/admin/orders")
	assert.Contains(t, h.text("#error-banner"), "決済エラーが発生しました")
}

func TestOutcomeUnknownIsShownNotRetried(t *testing.T) {
	h := newHarness(t)
	h.gw.InjectFault(escott.OpAuth, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	h.addToCart("mug")
	h.open("/checkout")
	h.typeCard(escotttest.CardVisa)
	h.click("#pay-card", "#unknown-note")

	o := h.lastOrder()
	assert.Equal(t, statusUnknown.ShopperLabel(), h.text("#order-status"))
	assert.Contains(t, h.text("#unknown-note"), o.LinkKey)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpAuth), "never re-sent")
	h.adminLogin()
	h.open("/admin/errors")
	assert.Contains(t, h.text("#error-log"), fmt.Sprint(o.LinkKey))
}

func TestAdminChangeOnlineCollection(t *testing.T) {
	h := newHarness(t)
	h.addToCart("tshirt")
	h.open("/checkout")
	h.click("#pay-cvs", `input[name="cvs"]`)
	before := h.lastOrder()
	require.Equal(t, statusUnpaid, before.Status)
	require.NotEmpty(t, before.FreeArea)

	// Over the online-collection limit: the SDK refuses before sending, and
	// the refusal goes to the history and the error log.
	h.adminLogin()
	h.open("/admin/orders/" + before.ID)
	h.setValue("#cvs-amount", "300000")
	h.click("#cvs-change", "#history")
	assert.Contains(t, h.text("#history tbody tr:last-child"), "エラー")
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpCVSChange), "nothing sent")
	require.Len(t, h.demo.Shop.store.errorLog(), 1)
	assert.Equal(t, escott.OpCVSChange, h.demo.Shop.store.errorLog()[0].Op)
	assert.Equal(t, before.LinkKey, h.demo.Shop.store.errorLog()[0].LinkKey)

	// A new amount and pay limit: a new payment number, shown prominently.
	h.setValue("#cvs-amount", "3000")
	h.setValue("#cvs-days", "10")
	h.click("#cvs-change", "#number-changed")
	after := h.lastOrder()
	info, ok := h.gw.CVSPayment(before.Process.ID)
	require.True(t, ok)
	assert.Equal(t, escott.Yen(3000).String(), info.Amount.String())
	assert.Equal(t, "unpaid", info.State)
	assert.NotEqual(t, before.PaymentNumber, info.PaymentNumber, "2Chg issues a new number")
	assert.Equal(t, info.PaymentNumber, h.text("#new-number"))
	assert.Equal(t, before.PaymentNumber, h.text("#old-number"))
	assert.Equal(t, info.PaymentNumber, after.PaymentNumber)
	assert.Equal(t, info.FreeArea, after.FreeArea)
	assert.NotEqual(t, before.FreeArea, after.FreeArea)
	assert.True(t, info.PayLimit.Equal(after.PayLimit), "%v %v", info.PayLimit, after.PayLimit)
	assert.True(t, after.PayLimit.After(before.PayLimit), "10 days instead of 7")
	assert.NotEqual(t, before.MailURL, after.MailURL)
	href, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`document.querySelector("#new-mail-url").href`))
	require.NoError(t, err)
	assert.Equal(t, after.MailURL, href)
	assert.Equal(t, yen(3000), h.text("#admin-amount"))
	assert.Contains(t, h.text("#history tbody tr:last-child"), escott.OpCVSChange)
	assert.Contains(t, h.text("#history tbody tr:last-child"), info.PaymentNumber)
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpCVSChange))

	// The shopper's order page shows the new number too.
	h.open("/orders/" + after.ID)
	assert.Equal(t, info.PaymentNumber, h.text("#payment-number"))

	// The old payment page no longer works; the new one pays the new amount.
	h.do(chromedp.Navigate(before.MailURL))
	assert.Contains(t, h.text("#message"), "見つかりません")
	h.open("/admin/orders/" + after.ID)
	h.click("#new-mail-url", "#number")
	assert.Equal(t, info.PaymentNumber, h.text("#number"))
	h.click(`button[name="pay"]`, "#paid")
	h.open("/orders/" + after.ID)
	assert.Equal(t, statusPaid.ShopperLabel(), h.text("#order-status"))
	assert.Equal(t, yen(3000), h.text("#order-amount"))
	assert.Len(t, h.demo.Shop.store.errorLog(), 1, "the paid amount matches the changed order")

	// Paid: no more changes, and the notice is gone.
	h.open("/admin/orders/" + after.ID)
	ok, err = chromedp.Run(h.ctx, chromedp.Evaluate[bool](`!document.querySelector("#cvs-change") && !document.querySelector("#number-changed")`))
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestMemberPageChangesTheStoredCard(t *testing.T) {
	h := newHarness(t)
	h.login("hanako")
	h.open("/member")
	assert.Contains(t, h.text("#no-card"), "登録されたカードはありません")

	m := h.storeCard("hanako", escotttest.CardVisa)
	h.click("#my-page", "#member-card")
	assert.Equal(t, "VISA •••• 1111", h.text("#member-card"))
	assert.Regexp(t, `^411111\*+1111$`, h.text("#member-masked"))
	assert.Regexp(t, `^20[0-9]{2}/[0-9]{2}$`, h.text("#member-expiry"))
	assert.Equal(t, memberStatusLabel(escott.MemberValid), h.text("#member-status"))
	assert.False(t, h.exists("#delete-member"), "shoppers change their card; deleting it is the shop's")

	// A refused change is shown and logged; the stored card stays.
	h.gw.InjectFault(escott.OpMemberChange, escotttest.Fault{Kind: escotttest.FaultMaintenance})
	years := h.options("#exp-year")
	year := years[len(years)-1]
	h.typeNewCard(escotttest.CardMastercard, "05", year)
	h.click("#change-card", "#member-error")
	assert.NotEmpty(t, h.text("#member-error-en"))
	assert.Equal(t, "VISA •••• 1111", h.text("#member-card"))
	log := h.demo.Shop.store.errorLog()
	require.Len(t, log, 1)
	assert.Equal(t, escott.OpMemberChange, log[0].Op)
	assert.Equal(t, "hanako", log[0].Member)

	// 4MemChg with the token the page made.
	h.typeNewCard(escotttest.CardMastercard, "05", year)
	h.click("#change-card", "#card-changed")
	assert.Equal(t, "Mastercard •••• 4444", h.text("#member-card"))
	assert.Equal(t, "20"+year+"/05", h.text("#member-expiry"))
	info, ok := h.gw.Member(m.ID)
	require.True(t, ok)
	assert.Equal(t, escott.BrandMastercard, info.Brand)
	assert.True(t, strings.HasSuffix(info.MaskedNumber, "4444"))
	assert.Equal(t, escott.MemberValid, info.Status)
	assert.Equal(t, 2, h.gw.RequestCount(escott.OpMemberChange), "the refused one and this one")
	assert.Equal(t, 1, h.gw.RequestCount(escott.OpMemberAdd), "the same member")
	c, _ := h.demo.Shop.store.customerNamed("hanako")
	assert.Equal(t, m.ID, c.Member.ID)
	h.requireNeverReceived(escotttest.CardMastercard)
}

func TestAdminDeletesMemberAfterNinetyDays(t *testing.T) {
	h := newHarness(t)
	h.login("jiro")
	m := h.storeCard("jiro", escotttest.CardVisa)
	h.addToCart("mug")
	h.open("/checkout")
	h.click("#pay-stored", "#thanks") // 1Auth: an authorisation-only sale
	o := h.lastOrder()
	require.True(t, o.AuthOnly)

	// Within 90 days of that sale the member must stay.
	h.adminLogin()
	h.open("/admin/members")
	h.click(`#members a[href="/admin/members/jiro"]`, "#admin-member-id")
	assert.Equal(t, m.ID, h.text("#admin-member-id"))
	assert.Equal(t, "VISA •••• 1111", h.text("#admin-member-card"))
	assert.Equal(t, o.Created.In(jstZone).Format("2006-01-02"), h.text("#last-auth"))
	assert.False(t, h.exists("#delete-member"))
	from := time.Date(o.Created.In(jstZone).Year(), o.Created.In(jstZone).Month(), o.Created.In(jstZone).Day()+91, 0, 0, 0, 0, jstZone)
	assert.Equal(t, from.Format("2006-01-02"), h.text("#deletable-from"))
	// The shop refuses a delete posted anyway: from outside (no operator
	// session), without the form's CSRF token, and within 90 days.
	res, err := http.PostForm(h.demo.URL+"/admin/members/jiro/delete", nil)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, http.StatusForbidden, h.post("/admin/members/jiro/delete", map[string]string{"confirm": "1"}))
	assert.Equal(t, http.StatusConflict, h.post("/admin/members/jiro/delete", map[string]string{"confirm": "1", "csrf": h.csrf()}))
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpMemberInvalidate))

	// 91 days later: deletable. The first try fails at 4MemDel, after the
	// member was invalidated; the page names the step.
	h.demo.Shop.store.backdate(o.ID, 91*24*time.Hour)
	h.gw.InjectFault(escott.OpMemberDelete, escotttest.Fault{Kind: escotttest.FaultMaintenance})
	h.open("/admin/members/jiro")
	h.click("#delete-member", "#confirm")
	assert.Equal(t, 0, h.gw.RequestCount(escott.OpMemberInvalidate), "nothing sent before the confirmation")
	h.click("#confirm", "#delete-error")
	assert.Equal(t, escott.OpMemberDelete, h.text("#delete-step"))
	assert.True(t, h.exists("#delete-invalidated"))
	info, ok := h.gw.Member(m.ID)
	require.True(t, ok)
	assert.Equal(t, escott.MemberInvalid, info.Status)
	log := h.demo.Shop.store.errorLog()
	require.Len(t, log, 1)
	assert.Equal(t, escott.OpMemberDelete, log[0].Op)
	assert.Equal(t, "jiro", log[0].Member)

	// Again: the member is already invalid (K75), so Delete goes on to
	// 4MemDel, and the shop forgets the member.
	h.click("#delete-member", "#confirm")
	h.click("#confirm", "#member-deleted")
	assert.Contains(t, h.text("#member-deleted"), m.ID)
	assert.True(t, h.exists("#admin-member-none"))
	info, ok = h.gw.Member(m.ID)
	require.True(t, ok)
	assert.Equal(t, escott.MemberDeleted, info.Status)
	assert.Equal(t, 2, h.gw.RequestCount(escott.OpMemberInvalidate))
	assert.Equal(t, 2, h.gw.RequestCount(escott.OpMemberDelete))
	c, _ := h.demo.Shop.store.customerNamed("jiro")
	assert.Nil(t, c.Member)
	h.open("/member")
	assert.True(t, h.exists("#no-card"))
}
