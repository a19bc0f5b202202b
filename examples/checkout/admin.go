package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott"
)

// actions lists what the admin page offers for an order in its state, the
// operations of the merchant console (利用額変更・売上計上・取消).
func actions(o order) []string {
	switch {
	case o.Process.ID == "":
		return nil
	case o.Method == methodCVS && o.Status == statusUnpaid:
		return []string{"cvschange", "inquire", "cancel"}
	case o.Method == methodCVS:
		return []string{"inquire"}
	case o.Status == statusAuthorized:
		return []string{"capture", "change", "cancel", "inquire"}
	case o.Status == statusCaptured:
		return []string{"change", "cancel", "inquire"}
	default:
		return []string{"inquire"}
	}
}

func (s *shop) adminPage(w http.ResponseWriter, r *http.Request) {
	o, ok := s.store.order(r.PathValue("id"))
	if !ok {
		s.message(w, r, http.StatusNotFound, "Not found", "No such order.")
		return
	}
	can := map[string]bool{}
	for _, a := range actions(o) {
		can[a] = true
	}
	s.render(w, r, http.StatusOK, "admin", "受注 (order) "+o.ID, map[string]any{
		"Order": o, "Can": can, "Now": time.Now(), "PayLimitDays": s.set.PayLimitDays,
	})
}

// adminAction runs one follow-up operation and shows the result in the
// order's history. Each operation is sent once: an unknown outcome is shown,
// never repeated automatically.
func (s *shop) adminAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	o, ok := s.store.order(id)
	if !ok {
		s.message(w, r, http.StatusNotFound, "Not found", "No such order.")
		return
	}
	allowed := false
	for _, a := range actions(o) {
		allowed = allowed || a == action
	}
	if !allowed {
		s.message(w, r, http.StatusConflict, "受注 (order) "+id, "This operation is not available for the order now.")
		return
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()

	var (
		op     string
		detail string
		err    error
		apply  func(o *order)
	)
	switch {
	case action == "capture":
		op = escott.OpCapture
		var pay *escott.Payment
		if pay, err = s.client.Card.Capture(ctx, o.Process, nil); err == nil {
			if !pay.SalesDate.IsZero() {
				detail = "sales date " + pay.SalesDate.Format("2006-01-02")
			}
			apply = func(o *order) { o.Status = statusCaptured }
		}
	case action == "change":
		op = escott.OpChange
		amount, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
		if perr != nil || amount <= 0 {
			s.message(w, r, http.StatusBadRequest, "受注 (order) "+id, "Enter the new amount in whole yen.")
			return
		}
		if _, err = s.client.Card.ChangeAmount(ctx, o.Process, decimal.NewFromInt(amount)); err == nil {
			detail = fmt.Sprintf("%s → %s", yen(o.Amount), yen(amount))
			apply = func(o *order) { o.Amount = amount }
		}
	case action == "cvschange":
		op = escott.OpCVSChange
		var pay *escott.CVSPayment
		if pay, err = s.changeCVS(ctx, r, o); err == nil {
			ch := &numberChange{
				At: time.Now(), Old: o.PaymentNumber, New: pay.PaymentNumber, MailURL: pay.MailURL,
				Amount: pay.Amount.IntPart(), PayLimit: pay.PayLimit, NumberReplaced: pay.PaymentNumberChanged,
			}
			detail = fmt.Sprintf("%s → %s, pay limit %s → %s, payment number %s → %s",
				yen(o.Amount), yen(ch.Amount), payLimitText(o.PayLimit), payLimitText(ch.PayLimit), ch.Old, ch.New)
			apply = func(o *order) {
				// The old number, FreeArea and payment page no longer work.
				o.Amount, o.PayLimit = ch.Amount, ch.PayLimit
				o.PaymentNumber, o.FreeArea, o.MailURL = pay.PaymentNumber, pay.FreeArea, pay.MailURL
				o.NumberChange = ch
			}
		}
	case action == "cancel" && o.Method == methodCVS:
		op = escott.OpCVSCancel
		if _, err = s.client.CVS.Cancel(ctx, o.Process); err == nil {
			apply = func(o *order) { o.Status = statusCancelled }
		}
	case action == "cancel":
		op = escott.OpDelete
		if _, err = s.client.Card.Cancel(ctx, o.Process); err == nil {
			apply = func(o *order) { o.Status = statusCancelled }
		}
	case action == "inquire" && o.Method == methodCVS:
		op = escott.OpCVSInquire
		var st escott.CVSStatus
		var inq *escott.CVSInquiry
		if st, inq, err = s.client.CVS.Status(ctx, o.Process, o.Status == statusCancelled); err == nil {
			detail = "status " + st.String()
			if inq != nil && inq.Agency != "" {
				detail += ", " + inq.Agency.NameJA() + " " + inq.PaidAt.In(jstZone).Format("2006-01-02 15:04")
			}
		}
	case action == "inquire":
		op = escott.OpSearch
		var pay *escott.Payment
		if pay, err = s.client.Card.Inquire(ctx, o.Process); err == nil {
			detail = "amount " + yen(pay.Amount.IntPart())
			if !pay.SalesDate.IsZero() {
				detail += ", sales date " + pay.SalesDate.Format("2006-01-02")
			}
		}
	}

	if err != nil {
		s.fail(&o, op, err)
		detail = err.Error()
		if isUnknown(err) {
			detail = "outcome unknown — check the console by link key " + o.LinkKey + " before doing anything else"
		}
	}
	_ = s.store.update(id, func(o *order) bool {
		if apply != nil {
			apply(o)
		}
		o.History = append(o.History, event{At: time.Now(), Op: op, OK: err == nil, Detail: detail})
		return false
	})
	http.Redirect(w, r, "/admin/orders/"+id, http.StatusSeeOther)
}

// changeCVS changes the amount and pay limit of an unpaid online-collection
// payment (2Chg, データ変更). The gateway answers a new payment number and
// payment page: the old ones stop working, so the shopper must be told.
func (s *shop) changeCVS(ctx context.Context, r *http.Request, o order) (*escott.CVSPayment, error) {
	amount, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("amount %q is not whole yen: %w", r.PostFormValue("amount"), err)
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil {
		return nil, fmt.Errorf("pay limit %q is not a number of days: %w", r.PostFormValue("days"), err)
	}
	// The SDK checks the amount (1 to 299,999 yen) and the days (1 to 60)
	// before anything is sent: a *escott.ValidationError for the log.
	return s.client.CVS.Change(ctx, o.Process, &escott.ChangeParams{
		Amount: decimal.NewFromInt(amount), PayLimitDays: days, PreviousPaymentNumber: o.PaymentNumber,
	})
}

// payLimitText shows a YYYYMMDDhhmm pay limit as "2025-01-31 23:59".
func payLimitText(v string) string {
	t, err := escott.ParsePayLimit(v)
	if err != nil {
		return v
	}
	return t.In(jstZone).Format("2006-01-02 15:04")
}

func (s *shop) errorsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "errors", "決済エラーログ (payment errors)", map[string]any{"Entries": s.store.errorLog()})
}

func (s *shop) clearErrors(w http.ResponseWriter, r *http.Request) {
	s.store.clearErrors()
	http.Redirect(w, r, "/admin/errors", http.StatusSeeOther)
}
