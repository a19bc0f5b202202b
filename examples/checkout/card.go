package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/escott-go/escott"
)

// gatewayTimeout bounds one checkout's gateway calls.
const gatewayTimeout = 60 * time.Second

// gatewayContext is the context of a gateway call made for a request. It is
// not cancelled when the shopper closes the tab: a payment cut off half way
// would become an unknown outcome for no reason.
func gatewayContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), gatewayTimeout)
}

// absURL is the shop's own URL for path, as the browser reached it. Behind a
// reverse proxy, configure the public origin instead.
func absURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// storedCard is the shopper's registered card as the checkout shows it.
type storedCard struct {
	Label   string // "VISA •••• 1111"
	Brand   escott.Brand
	Last4   string
	Choices []escott.PayType
}

func cardLabel(brand escott.Brand, last4 string) string {
	if brand == escott.BrandUnknown {
		brand = "カード"
	}
	return fmt.Sprintf("%s •••• %s", brand, last4)
}

// checkout shows the payment choices: a new card (token script), the stored
// card of a logged-in member, and online collection.
func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	s.renderCheckout(w, r, http.StatusOK, nil)
}

// cvsInput is what the shopper typed into the online-collection form, kept
// when it is refused, with the refused fields.
type cvsInput struct {
	Name, Kana, Phone string
	Invalid           map[string]bool
}

// Message is the shopper's message for a refused field, or "".
func (in *cvsInput) Message(field string) string {
	if in == nil || !in.Invalid[field] {
		return ""
	}
	return fieldMessages[field].JA
}

// MessageEN is Message in English.
func (in *cvsInput) MessageEN(field string) string {
	if in == nil || !in.Invalid[field] {
		return ""
	}
	return fieldMessages[field].EN
}

func (s *shop) renderCheckout(w http.ResponseWriter, r *http.Request, status int, cvs *cvsInput) {
	sid := sessionID(r)
	lines := s.store.cart(sid)
	if cvs == nil {
		cvs = &cvsInput{Name: "山田 太郎", Kana: "ヤマダ タロウ", Phone: "03-1234-5678"}
	}
	body := map[string]any{"Lines": lines, "Total": total(lines), "CVSInput": cvs, "CardField": ""}

	// A failed attempt of this session comes back here with its message.
	if o, ok := s.store.order(r.URL.Query().Get("order")); ok && o.session == sid && o.Status == statusFailed {
		body["Failed"] = o
		if o.Field != "" {
			body["CardField"], body["CardFieldJA"], body["CardFieldEN"] = o.Field, fieldMessages[o.Field].JA, fieldMessages[o.Field].EN
		}
	}
	if len(lines) == 0 {
		s.render(w, r, status, "checkout", "お支払い", body)
		return
	}

	if s.cardMethodNow() == cardByLink {
		body["LinkType"] = true // the gateway's page takes the card: no token script
	} else {
		tag, err := s.client.Token.ScriptTag("onToken")
		if err != nil {
			s.log.Error("token script", "err", err)
		}
		body["ScriptTag"] = tag
	}

	body["Years"], body["DefaultYear"] = expiryYears(time.Now())

	c := s.store.customerOf(sid)
	body["ShowRegister"] = c != nil && s.set.Registration.ShowChoice()
	if c != nil && c.Member != nil {
		ctx, cancel := gatewayContext(r)
		card, err := s.client.Member.GetMasked(ctx, *c.Member)
		cancel()
		switch {
		case errors.Is(err, escott.ErrMemberMismatch) || err == nil && card.Gone():
			// The gateway no longer knows the member (e.g. a test member
			// after two months): drop the registration, as the Welcart
			// manual advises for K71.
			s.store.setMember(c.Name, nil)
			c.Member = nil
			body["StoredNote"] = "登録カードが見つかりません。もう一度登録してください。"
		case err != nil:
			body["StoredNote"] = "登録カードを確認できません。しばらくしてからお試しください。"
			s.log.Warn("stored card", "customer", c.Name, "err", err)
		default:
			body["Stored"] = storedCard{
				Label: cardLabel(card.Brand, card.Last4), Brand: card.Brand, Last4: card.Last4,
				Choices: card.PayTypeChoices(s.set.Installments),
			}
		}
	}
	body["HasMember"] = c != nil && c.Member != nil

	amount := escott.Yen(total(lines))
	if s.set.CVSFee.Offered(amount) {
		fee, err := s.set.CVSFee.Fee(amount)
		if err == nil && amount.Add(fee).LessThanOrEqual(escott.Yen(escott.MaxCVSAmount)) {
			body["CVSFee"], body["CVSTotal"] = fee.IntPart(), amount.Add(fee).IntPart()
			body["PayLimitDays"] = s.set.PayLimitDays
		}
	}
	body["Stores"] = currentStores()
	s.render(w, r, status, "checkout", "お支払い", body)
}

// startOrder records a new order for the session's cart. The link key is
// generated here, once per order, and goes with every request about it.
func (s *shop) startOrder(r *http.Request, method string) (order, bool, error) {
	sid := sessionID(r)
	lines := s.store.cart(sid)
	if len(lines) == 0 {
		return order{}, false, nil
	}
	linkKey := escott.NewLinkKey()
	var name string
	if c := s.store.customerOf(sid); c != nil {
		name = c.Name
	}
	return s.store.newOrder(order{
		Created: time.Now(), Customer: name, Lines: lines, Amount: total(lines),
		Method: method, Status: statusPending, LinkKey: linkKey, session: sid,
	}), true, nil
}

// payOp is the operation a card payment sends under the shop's setting.
func (s *shop) payOp() string {
	if s.set.Capture == escott.CaptureLater {
		return escott.OpAuth
	}
	return escott.OpGathering
}

// payByCard pays with a new card: the form carries the token made by the
// token script in the browser, never the card number.
func (s *shop) payByCard(w http.ResponseWriter, r *http.Request) {
	token := escott.CardToken(r.PostFormValue("token"))
	if token == "" {
		s.message(w, r, http.StatusBadRequest, "カード情報", "カード情報を受け取れませんでした。JavaScript を有効にしてお試しください。 (No card token: the checkout page needs JavaScript.)")
		return
	}
	o, ok, err := s.startOrder(r, methodCard)
	if err != nil || !ok {
		s.startFailed(w, r, err)
		return
	}
	payType := escott.PayType(r.PostFormValue("paytype"))
	masked := r.PostFormValue("masked") // from the token script: first six and last four digits
	if len(masked) >= 4 {
		label := cardLabel(escott.BrandOf(masked), masked[len(masked)-4:])
		_ = s.store.update(o.ID, func(o *order) bool { o.Card, o.PayType = label, payType; return false })
	}
	c := s.store.customerOf(sessionID(r))
	register := c != nil && s.set.Registration.ShouldRegister(r.PostFormValue("register") == "1")

	ctx, cancel := gatewayContext(r)
	defer cancel()
	if register {
		s.registerAndPay(ctx, w, r, o, c, token)
		return
	}
	s.startThreeDS(ctx, w, r, o, &escott.ThreeDSStartParams{
		Source: token, BillingFullName: r.PostFormValue("holder"), BillingEmail: r.PostFormValue("email"),
	})
}

// registerAndPay stores the card for the logged-in customer (a new member,
// or a card change for an existing one), then authenticates and pays as the
// member with 3-D Secure.
func (s *shop) registerAndPay(ctx context.Context, w http.ResponseWriter, r *http.Request, o order, c *customer, token escott.CardToken) {
	m, change := c.Member, c.Member != nil
	if m == nil {
		nm := escott.NewMember()
		m = &nm
	}
	// Store the card first (this uses the token), then authenticate and
	// pay as the member.
	op, err := escott.OpMemberAdd, error(nil)
	if change {
		op = escott.OpMemberChange
		_, err = s.client.Member.ChangeCard(ctx, *m, &escott.MemberChangeCardParams{Token: token})
	} else {
		_, err = s.client.Member.Register(ctx, *m, &escott.MemberRegisterParams{Token: token})
	}
	if err == nil || !change && isUnknown(err) {
		// After an unknown outcome the member may exist: keep it, and let
		// the next 4MemRefM (K71 or a card) tell.
		s.store.setMember(c.Name, m)
	}
	if err != nil {
		s.completeCard(w, r, o.ID, op, nil, err)
		return
	}
	s.startThreeDS(ctx, w, r, o, &escott.ThreeDSStartParams{Source: *m})
}

// payByStoredCard pays with the logged-in customer's stored card: with
// 3-D Secure by the token form's OTDS010, or on the gateway's hosted page
// in link type.
func (s *shop) payByStoredCard(w http.ResponseWriter, r *http.Request) {
	c := s.store.customerOf(sessionID(r))
	if c == nil || c.Member == nil {
		http.Redirect(w, r, "/checkout", http.StatusSeeOther)
		return
	}
	o, ok, err := s.startOrder(r, methodStored)
	if err != nil || !ok {
		s.startFailed(w, r, err)
		return
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()
	link := s.cardMethodNow() == cardByLink
	payType := escott.PayType(r.PostFormValue("paytype"))
	if link {
		payType = "" // the hosted page takes lump-sum payments only
	}
	if card, err := s.client.Member.GetMasked(ctx, *c.Member); err == nil {
		_ = s.store.update(o.ID, func(o *order) bool {
			o.Card, o.PayType = cardLabel(card.Brand, card.Last4), payType
			return false
		})
	}
	if link {
		s.payStoredByLink(w, r, o, *c.Member)
		return
	}
	s.startThreeDS(ctx, w, r, o, &escott.ThreeDSStartParams{Source: *c.Member, PayType: payType})
}

// completeCard records the outcome of a card payment and sends the browser
// on: to the order on success, back to the checkout with the shopper's
// message on failure. An unknown outcome is never retried: the order shows
// it with its link key, for the operator to look up in the console.
func (s *shop) completeCard(w http.ResponseWriter, r *http.Request, id, op string, pay *escott.Payment, err error) {
	s.recordCard(id, op, pay, err)
	if err != nil && !errors.Is(err, escott.ErrOutcomeUnknown) {
		http.Redirect(w, r, "/checkout?order="+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/orders/"+id, http.StatusSeeOther)
}

// recordCard records the outcome of a card payment on its order.
func (s *shop) recordCard(id, op string, pay *escott.Payment, err error) {
	o, _ := s.store.order(id)
	var ja, en string
	if err != nil {
		ja, en = s.fail(&o, op, err)
	}
	field := cardField(err)
	_ = s.store.update(id, func(o *order) bool {
		ev := event{At: time.Now(), Op: op, OK: err == nil}
		switch {
		case err == nil:
			o.Process = pay.Process
			o.Status = statusCaptured
			if s.set.Capture == escott.CaptureLater {
				o.Status, o.AuthOnly = statusAuthorized, true
			}
			ev.Detail = "取引ID " + pay.Process.ID
		case errors.Is(err, escott.ErrOutcomeUnknown):
			o.Status = statusUnknown
			ev.Detail = operatorDetail(err, o.LinkKey)
		default:
			o.Status = statusFailed
			ev.Detail = operatorDetail(err, o.LinkKey)
		}
		o.ShopperJA, o.ShopperEN, o.Field = ja, en, field
		o.History = append(o.History, ev)
		return o.Status != statusFailed
	})
}

func (s *shop) startFailed(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.log.Error("start order", "err", err)
		s.message(w, r, http.StatusInternalServerError, "エラー", "ご注文を受け付けられませんでした。しばらくしてからお試しください。 (The order could not be started.)")
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther) // empty cart
}
