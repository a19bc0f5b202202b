package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/escott-go/escott"
)

// Link type (外部リンク型): the operator can switch the card method from the
// token form to the gateway's hosted card page. The shop then never loads the
// token script: it redirects the shopper to the gateway, where the card entry,
// 3-D Secure and an optional card registration happen, and the result comes
// back encrypted to linkReturnPath.
//
// All of the shop's link-type code is in this file.

// cardMethod is the operator's choice of card method.
type cardMethod string

const (
	cardByToken cardMethod = "token" // the shop's own form with the token script
	cardByLink  cardMethod = "link"  // the gateway's hosted card page
)

func parseCardMethod(s string) (cardMethod, error) {
	switch s {
	case "", "token":
		return cardByToken, nil
	case "link":
		return cardByLink, nil
	}
	return "", fmt.Errorf("-card must be token or link, not %q", s)
}

// Label is the method as the settings page shows it.
func (m cardMethod) Label() string {
	if m == cardByLink {
		return "外部リンク型: 決済会社のカード入力画面へ移動 (link type: the gateway's card page)"
	}
	return "トークン決済: ショップの画面でカード入力 (token: the shop's own card form)"
}

// linkReturnPath is the RedirectUrl of link-type payments. The gateway's
// page POSTs here from its own site (no session cookie), so the handler
// never renders a page: it sends the browser on to a page of the shop.
const linkReturnPath = "/link/return"

// cardMethodNow is the operator's current choice.
func (s *shop) cardMethodNow() cardMethod {
	if m, ok := s.card.Load().(cardMethod); ok {
		return m
	}
	return cardByToken
}

// settingsPage shows the operator's card-method switch.
func (s *shop) settingsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin_settings", "設定", map[string]any{
		"Card": s.cardMethodNow(), "Methods": []cardMethod{cardByToken, cardByLink}, "ThreeDSMode": s.set.ThreeDS,
		"Saved": r.URL.Query().Get("saved") != "",
	})
}

// saveSettings switches the card method. Checkouts already on their way
// finish with the method they started with.
func (s *shop) saveSettings(w http.ResponseWriter, r *http.Request) {
	m, err := parseCardMethod(r.PostFormValue("card"))
	if err != nil {
		s.message(w, r, http.StatusBadRequest, "設定", "カード決済の方式を選んでください。")
		return
	}
	s.card.Store(m)
	s.log.Info("card method changed", "method", string(m))
	http.Redirect(w, r, "/admin/settings?saved=1", http.StatusSeeOther)
}

// payByLink starts a link-type payment for the cart. A logged-in customer who
// asks to register the card goes through the hosted page's registration
// (4MemAdd, or 4MemChg for a new card) first; when it comes back, the shop
// sends the shopper to the hosted page again to pay with the card just
// stored, as WooCommerce and WelcartPay do (linkReturn).
func (s *shop) payByLink(w http.ResponseWriter, r *http.Request) {
	if s.cardMethodNow() != cardByLink {
		http.Redirect(w, r, "/checkout", http.StatusSeeOther)
		return
	}
	o, ok, err := s.startOrder(r, methodCard)
	if err != nil || !ok {
		s.startFailed(w, r, err)
		return
	}
	c := s.store.customerOf(sessionID(r))
	if c == nil || !s.set.Registration.ShouldRegister(r.PostFormValue("register") == "1") {
		s.startLinkPayment(w, r, o, &escott.LinkStartParams{LinkKey: o.LinkKey})
		return
	}
	m, change := c.Member, c.Member != nil
	if m == nil {
		nm := escott.NewMember()
		m = &nm
	}
	op := escott.OpMemberAdd
	if change {
		op = escott.OpMemberChange
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()
	rd, err := s.client.Link.StartMember(ctx, &escott.LinkMemberParams{
		Member: *m, Change: change, RedirectURL: absURL(r, linkReturnPath), LinkKey: o.LinkKey, OrderRef: o.ID,
	})
	if err != nil {
		s.completeCard(w, r, o.ID, op, nil, err)
		return
	}
	rd.ServeHTTP(w, r)
}

// payStoredByLink pays order o with the customer's stored card on the
// hosted page (LinkStartParams.Member): the page offers the card and runs
// 3-D Secure. The production clients send the hosted page lump-sum
// payments only.
func (s *shop) payStoredByLink(w http.ResponseWriter, r *http.Request, o order, m escott.Member) {
	s.startLinkPayment(w, r, o, &escott.LinkStartParams{Member: &m, LinkKey: o.LinkKey})
}

// startLinkPayment sends the shopper to the hosted page to pay order o
// (1Auth or 1Gathering under the shop's setting). p carries the member and
// 3-D Secure data, if any, and the link key; the rest comes from the order.
// A Start that fails (nothing was sent to the gateway) is shown at the
// checkout like any refused payment; it is not retried.
func (s *shop) startLinkPayment(w http.ResponseWriter, r *http.Request, o order, p *escott.LinkStartParams) {
	p.Amount, p.Capture, p.RedirectURL, p.OrderRef = escott.Yen(o.Amount), s.set.Capture, absURL(r, linkReturnPath), o.ID
	ctx, cancel := gatewayContext(r)
	defer cancel()
	rd, err := s.client.Link.Start(ctx, p)
	if err != nil {
		s.completeCard(w, r, o.ID, s.payOp(), nil, err)
		return
	}
	if rd.LinkKey != o.LinkKey {
		if err := s.store.relink(o.ID, rd.LinkKey); err != nil {
			s.completeCard(w, r, o.ID, s.payOp(), nil, err)
			return
		}
	}
	rd.ServeHTTP(w, r)
}

// linkReturn is the RedirectUrl of link-type payments.
func (s *shop) linkReturn(w http.ResponseWriter, r *http.Request) {
	res, err := s.client.Link.HandleReturn(r, &escott.LinkReturnParams{Record: s.recordLink})
	var le *escott.LinkError
	switch {
	case errors.As(err, &le):
		o, ok := s.linkOrder(le.Result)
		if !ok {
			http.Redirect(w, r, "/3ds/refused", http.StatusSeeOther)
			return
		}
		if le.Cancelled() {
			s.linkCancelled(w, r, o, le)
			return
		}
		s.completeCard(w, r, o.ID, le.OperateID, nil, err)
		return
	case errors.Is(err, escott.ErrReturnInProgress):
		s.message(w, r, http.StatusServiceUnavailable, "処理中",
			"お支払いを処理しています。しばらくしてからページを再読み込みしてください。 (Your payment is being processed; reload this page in a few seconds.)")
		return
	case err != nil:
		s.refusedReturn(w, r, err)
		return
	}
	o, ok := s.linkOrder(res)
	if !ok {
		http.Redirect(w, r, "/3ds/refused", http.StatusSeeOther)
		return
	}
	if res.Payment != nil {
		http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther) // recorded by recordLink
		return
	}
	// The card was registered on the gateway's page (with 3-D Secure there,
	// and recorded by recordLink): send the shopper back to the page to pay
	// with it, forwarding the member and the registration's 3-D Secure
	// result, as WooCommerce and WelcartPay do. The registration's link key
	// is used up: the payment gets a fresh one, which becomes the order's.
	p := &escott.LinkStartParams{Member: res.Member, LinkKey: escott.NewLinkKey()}
	if res.ThreeDS.SecureResultCode != "" {
		tds := res.ThreeDS
		p.ThreeDS = &tds
	}
	s.startLinkPayment(w, r, o, p)
}

// linkOrder is the order a link-type result belongs to.
func (s *shop) linkOrder(res *escott.LinkResult) (order, bool) {
	if res == nil {
		return order{}, false
	}
	o, ok := s.store.order(res.Attempt.OrderRef)
	if !ok || o.LinkKey != res.LinkKey {
		s.log.Warn("link-type return for no order of this shop", "link_key", res.LinkKey)
		return order{}, false
	}
	return o, true
}

// recordLink records a link-type success: the payment on its order, or the
// registered member on the customer. The SDK calls it once per result,
// before it completes the attempt.
func (s *shop) recordLink(_ context.Context, res *escott.LinkResult) error {
	o, ok := s.linkOrder(res)
	if !ok {
		return errThreeDSNoOrder
	}
	_ = s.store.update(o.ID, func(o *order) bool {
		o.ThreeDS = res.SecureResultCode
		if res.Card != nil {
			o.Card = cardLabel(res.Card.Brand, res.Card.Last4)
		}
		return false
	})
	if res.Payment != nil {
		s.recordCard(o.ID, res.OperateID, res.Payment, nil)
		return nil
	}
	if res.Member != nil && o.Customer != "" {
		s.store.setMember(o.Customer, res.Member)
		_ = s.store.update(o.ID, func(o *order) bool {
			o.History = append(o.History, event{At: time.Now(), Op: res.OperateID, OK: true,
				Detail: "会員 " + res.Member.ID + " (リンクキー " + res.LinkKey + ")"})
			return false
		})
	}
	return nil
}

// linkCancelled sends a shopper who cancelled on the gateway's page back to
// the checkout: not an error, nothing was charged.
func (s *shop) linkCancelled(w http.ResponseWriter, r *http.Request, o order, le *escott.LinkError) {
	var gerr *escott.Error
	ja, en := "お支払いをキャンセルしました。", "You cancelled the payment."
	if errors.As(le, &gerr) {
		ja, en = gerr.ShopperMessage("ja"), gerr.ShopperMessage("en")
	}
	_ = s.store.update(o.ID, func(o *order) bool {
		o.Status, o.ShopperJA, o.ShopperEN = statusFailed, ja, en
		o.History = append(o.History, event{At: time.Now(), Op: le.OperateID, OK: false, Detail: "お客様がキャンセル " + le.Result.ResponseCode})
		return false
	})
	http.Redirect(w, r, "/checkout?order="+o.ID, http.StatusSeeOther)
}
