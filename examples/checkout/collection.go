package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/escott-go/escott"
)

// payByCVS registers an online-collection payment (convenience store,
// Pay-easy, net banking, e-money) and sends the shopper to the gateway's
// payment page. The order stays unpaid until the payment-received
// notification arrives.
func (s *shop) payByCVS(w http.ResponseWriter, r *http.Request) {
	o, ok, err := s.startOrder(r, methodCVS)
	if err != nil || !ok {
		s.startFailed(w, r, err)
		return
	}
	goods := escott.Yen(o.Amount)
	fee, err := s.set.CVSFee.Fee(goods)
	if err != nil {
		s.completeCVS(w, r, o.ID, nil, fmt.Errorf("fee for %s: %w", yen(o.Amount), err))
		return
	}
	names := make([]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		names = append(names, l.Product.Name) // the Japanese name only: the gateway shows it
	}
	in := &cvsInput{Name: r.PostFormValue("name"), Kana: r.PostFormValue("kana"), Phone: r.PostFormValue("phone")}
	p := &escott.CVSParams{
		Amount:       goods.Add(fee),
		PayLimitDays: s.set.PayLimitDays,
		Name:         in.Name,
		NameKana:     in.Kana,
		Phone:        normalizePhone(in.Phone),
		ProductNames: names,
		LinkKey:      o.LinkKey, // comes back in the notification
		OrderRef:     o.ID,
	}
	if back := absURL(r, "/orders/"+o.ID); strings.HasPrefix(back, "https://") {
		p.ReturnURL = back // the gateway accepts https only
	}
	if !kanaOnly(in.Kana) {
		// The SDK would send the name instead of a reading that is not
		// kana; a フリガナ field filled in romaji is the shopper's typo.
		s.store.discardOrder(o.ID)
		in.Invalid = map[string]bool{fieldKana: true}
		s.renderCheckout(w, r, http.StatusUnprocessableEntity, in)
		return
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()
	pay, err := s.client.CVS.Register(ctx, p)
	if fields, typo := shopperFields(err); typo {
		// The shopper's typo: nothing was sent. No order, no error-log
		// entry; the form comes back with what was typed and a message
		// next to each field to correct.
		s.store.discardOrder(o.ID)
		in.Invalid = fields
		s.renderCheckout(w, r, http.StatusUnprocessableEntity, in)
		return
	}
	s.completeCVS(w, r, o.ID, pay, err)
}

// currentStores are the convenience stores the checkout names. The gateway's
// code table still has Sunkus and Circle K (both FamilyMart since 2018): the
// shopper is shown chains that exist.
func currentStores() []string {
	var out []string
	for _, a := range escott.CollectingAgencies() {
		switch a {
		case escott.AgencyLawson, escott.AgencyFamilyMart, escott.AgencySevenEleven, escott.AgencyMinistop,
			escott.AgencyDailyYamazaki, escott.AgencySeicomart:
			out = append(out, a.NameJA())
		}
	}
	return out
}

func (s *shop) completeCVS(w http.ResponseWriter, r *http.Request, id string, pay *escott.CVSPayment, err error) {
	o, _ := s.store.order(id)
	var ja, en string
	if err != nil {
		ja, en = s.fail(&o, escott.OpCVSRegister, err)
	}
	_ = s.store.update(id, func(o *order) bool {
		ev := event{At: time.Now(), Op: escott.OpCVSRegister, OK: err == nil}
		if err == nil {
			o.Process, o.Status = pay.Process, statusUnpaid
			o.Amount = pay.Amount.IntPart() // including the fee
			o.PaymentNumber, o.FreeArea, o.PayLimit, o.MailURL = pay.PaymentNumber, pay.FreeArea, pay.PayLimit, pay.MailURL
			ev.Detail = "払込番号 " + pay.PaymentNumber
		} else {
			o.Status = statusFailed
			if isUnknown(err) {
				o.Status = statusUnknown
			}
			ev.Detail = operatorDetail(err, o.LinkKey)
		}
		o.ShopperJA, o.ShopperEN = ja, en
		o.History = append(o.History, ev)
		return o.Status != statusFailed
	})
	switch {
	case err == nil:
		http.Redirect(w, r, pay.RedirectURL, http.StatusSeeOther) // the gateway's payment page
	case isUnknown(err):
		http.Redirect(w, r, "/orders/"+id, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/checkout?order="+id, http.StatusSeeOther)
	}
}

// paymentReceived is the notification subscriber: it marks the order paid.
// It is idempotent (a redelivery finds the order paid already); an unknown
// link key answers an error, so that the gateway delivers again later.
func (s *shop) paymentReceived(_ context.Context, p escott.PaymentReceived) error {
	var mismatch bool
	err := s.store.updateByLinkKey(p.LinkKey, func(o *order) bool {
		if o.Status == statusPaid {
			return false
		}
		mismatch = !p.Amount.IsZero() && p.Amount.IntPart() != o.Amount
		o.Status, o.PaidAt, o.Agency = statusPaid, p.PaidAt, p.Agency
		o.History = append(o.History, event{
			At: time.Now(), Op: opNotification, OK: true,
			Detail: fmt.Sprintf("%s %s, %s", p.Agency.NameJA(), yen(p.Amount.IntPart()), p.ReceiptNumber),
		})
		return false
	})
	if err != nil {
		s.log.Error("notification for an unknown order", "link_key", p.LinkKey, "transaction", p.TransactionID)
		return fmt.Errorf("link key %s: %w", p.LinkKey, err)
	}
	if mismatch {
		s.store.logError(errorEntry{At: time.Now(), LinkKey: p.LinkKey, Op: opNotification,
			Detail: "入金額 " + yen(p.Amount.IntPart()) + " が注文金額と異なります"})
	}
	s.log.Info("payment received", "link_key", p.LinkKey, "agency", p.Agency)
	return nil
}

// otherEvent records notifications that are not payments for the operator.
func (s *shop) otherEvent(_ context.Context, e escott.OtherEvent) error {
	s.store.logError(errorEntry{At: time.Now(), LinkKey: e.LinkKey, Op: opNotification,
		Detail: fmt.Sprintf("入金以外の通知: Condition %s, ResponseCd %s", e.Condition, e.ResponseCode)})
	return nil
}

func isUnknown(err error) bool { return errors.Is(err, escott.ErrOutcomeUnknown) }

// kanaOnly reports whether s (the フリガナ field) holds only hiragana,
// katakana (full- or half-width) and spaces. Empty is accepted: the SDK then
// sends the name.
func kanaOnly(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x3041 && r <= 0x309F, r >= 0x30A0 && r <= 0x30FF, r >= 0xFF65 && r <= 0xFF9F,
			r == ' ', r == 0x3000:
		default:
			return false
		}
	}
	return true
}
