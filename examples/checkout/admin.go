package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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
		s.message(w, r, http.StatusNotFound, "受注", "この受注はありません。")
		return
	}
	can := map[string]bool{}
	for _, a := range actions(o) {
		can[a] = true
	}
	s.render(w, r, http.StatusOK, "admin", "受注 "+o.ID, map[string]any{
		"Order": o, "Can": can, "Now": time.Now(), "PayLimitDays": s.set.PayLimitDays, "ThreeDSMode": s.set.ThreeDS,
	})
}

// adminAction runs one follow-up operation and shows the result in the
// order's history. Each operation is sent once: an unknown outcome is shown,
// never repeated automatically.
func (s *shop) adminAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	o, ok := s.store.order(id)
	if !ok {
		s.message(w, r, http.StatusNotFound, "受注", "この受注はありません。")
		return
	}
	allowed := false
	for _, a := range actions(o) {
		allowed = allowed || a == action
	}
	if !allowed {
		s.message(w, r, http.StatusConflict, "受注 "+id, "この受注には現在この操作はできません。")
		return
	}
	if action == "cancel" && r.PostFormValue("confirm") != "1" {
		s.confirm(w, r, confirmation{
			Title: "受注 " + id + " の取消",
			Text: "受注 " + id + "（" + yen(o.Amount) + "）を取り消します。取り消した取引は元に戻せません。" +
				"よろしければ「取り消す」を押してください。",
			Action: "/admin/orders/" + id + "/cancel", Button: "取り消す", Back: "/admin/orders/" + id,
		})
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
				detail = "売上日 " + pay.SalesDate.Format("2006-01-02")
			}
			apply = func(o *order) { o.Status = statusCaptured }
		}
	case action == "change":
		op = escott.OpChange
		amount, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
		if perr != nil || amount <= 0 {
			s.message(w, r, http.StatusBadRequest, "受注 "+id, "新しい金額を円単位の数字で入力してください。")
			return
		}
		if _, err = s.client.Card.ChangeAmount(ctx, o.Process, &escott.ChangeAmountParams{Amount: escott.Yen(amount)}); err == nil {
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
			detail = fmt.Sprintf("%s → %s、支払期限 %s → %s、払込番号 %s → %s",
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
		if _, err = s.client.CVS.Cancel(ctx, o.Process, nil); err == nil {
			apply = func(o *order) { o.Status = statusCancelled }
		}
	case action == "cancel":
		op = escott.OpDelete
		if _, err = s.client.Card.Cancel(ctx, o.Process, nil); err == nil {
			apply = func(o *order) { o.Status = statusCancelled }
		}
	case action == "inquire" && o.Method == methodCVS:
		op = escott.OpCVSInquire
		var inq *escott.CVSInquiry
		if inq, err = s.client.CVS.Inquire(ctx, o.Process, &escott.CVSInquireParams{Cancelled: o.Status == statusCancelled}); err == nil {
			detail = "状態 " + inq.Status.String()
			if inq.Agency != "" {
				detail += ", " + inq.Agency.NameJA() + " " + inq.PaidAt.In(jstZone).Format("2006-01-02 15:04")
			}
		}
	case action == "inquire":
		op = escott.OpSearch
		var pay *escott.Payment
		if pay, err = s.client.Card.Inquire(ctx, o.Process, nil); err == nil {
			detail = "金額 " + yen(pay.Amount.IntPart())
			if !pay.SalesDate.IsZero() {
				detail += "、売上日 " + pay.SalesDate.Format("2006-01-02")
			}
		}
	}

	if err != nil {
		s.fail(&o, op, err)
		detail = operatorDetail(err, o.LinkKey)
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
		return nil, &escott.ValidationError{OperateID: escott.OpCVSChange, Fields: []escott.FieldError{{Field: "Amount", Problem: "not whole yen"}}}
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil {
		return nil, &escott.ValidationError{OperateID: escott.OpCVSChange, Fields: []escott.FieldError{{Field: "PayLimit", Problem: "not a number of days"}}}
	}
	// The SDK checks the amount (1 to 299,999 yen) and the days (1 to 60)
	// before anything is sent: a *escott.ValidationError for the log.
	return s.client.CVS.Change(ctx, o.Process, &escott.CVSChangeParams{
		Amount: escott.Yen(amount), PayLimitDays: days, PreviousPaymentNumber: o.PaymentNumber,
	})
}

// payLimitText shows a pay limit as "2025-01-31 23:59" (JST), or "" for none.
func payLimitText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jstZone).Format("2006-01-02 15:04")
}

func (s *shop) errorsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "errors", "決済エラーログ", map[string]any{"Entries": s.store.errorLog()})
}

func (s *shop) clearErrors(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "1" {
		s.confirm(w, r, confirmation{
			Title:  "決済エラーログの削除",
			Text:   "決済エラーログをすべて削除します。削除したログは元に戻せません。よろしければ「削除する」を押してください。",
			Action: "/admin/errors/clear", Button: "削除する", Back: "/admin/errors",
		})
		return
	}
	s.store.clearErrors()
	http.Redirect(w, r, "/admin/errors", http.StatusSeeOther)
}

// confirmation is the page that asks before a destructive operation.
type confirmation struct {
	Title, Text    string
	Action, Button string
	Back           string
}

// confirm asks the operator to confirm; the confirming form posts again to
// the same action with confirm=1 (and the CSRF token).
func (s *shop) confirm(w http.ResponseWriter, r *http.Request, c confirmation) {
	s.render(w, r, http.StatusOK, "confirm", c.Title, map[string]any{"C": c})
}
