package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/escott-go/escott"
)

// cvsHint explains a refused follow-up of an online-collection payment.
func cvsHint(err error) error {
	switch {
	case errors.Is(err, escott.ErrWrongState):
		return withNext(err, "The payment is no longer unpaid (paid, or already cancelled with 2Del): "+
			"only an unpaid payment can be changed or cancelled. Check it with escott cvs inquire.")
	case errors.Is(err, escott.ErrUnknownProcess):
		return withNext(err, "The gateway answers a payment deleted with 2Del exactly like one it never had: "+
			"if the shop cancelled this payment, there is nothing left to change or cancel; else check the ProcessId and ProcessPass.")
	}
	return err
}

// cvsMoveJSON is a changed or cancelled online-collection payment in JSON
// output. The payment number is not a secret: the shopper pays with it.
type cvsMoveJSON struct {
	movedHead
	Amount               string `json:"amount,omitempty"`    // whole yen
	PayLimit             string `json:"pay_limit,omitempty"` // RFC 3339, JST
	PaymentNumber        string `json:"payment_number,omitempty"`
	PaymentNumberChanged bool   `json:"payment_number_changed"`
	MailURL              string `json:"mail_url,omitempty"`
	answerTail
}

func cvsMoved(env escott.Environment, p *escott.CVSPayment) moved {
	j := cvsMoveJSON{
		movedHead: headOf(p.OperateID, env, p.Process), Amount: decimalYen(p.Amount),
		PaymentNumber: p.PaymentNumber, PaymentNumberChanged: p.PaymentNumberChanged, MailURL: p.MailURL,
		answerTail: answerTail{TransactionID: p.TransactionID, TransactionDate: day(p.TransactionDate), Raw: p.Raw},
	}
	if !p.PayLimit.IsZero() {
		j.PayLimit = p.PayLimit.In(jst).Format(time.RFC3339)
	}
	ps := []pair{{"Process ID", j.ProcessID}, {"Link key", j.LinkKey}}
	if j.Amount != "" {
		ps = append(ps, pair{"Amount", yen(j.Amount)})
	}
	if !p.PayLimit.IsZero() {
		ps = append(ps, pair{"Pay limit", payLimitText(p.PayLimit)})
	}
	if j.MailURL != "" {
		ps = append(ps, pair{"Payment slip", j.MailURL})
	}
	ps = append(ps, pair{"Transaction", orNone(j.TransactionID) + " " + j.TransactionDate})
	var notes []string
	if j.PaymentNumber != "" && !j.PaymentNumberChanged {
		ps = append(ps, pair{"Payment number", j.PaymentNumber + " (unchanged)"})
	}
	if j.PaymentNumberChanged {
		// The shopper's number no longer works: nothing matters more in
		// this output.
		notes = []string{
			"",
			"  ************************************************************",
			"  NEW PAYMENT NUMBER: " + j.PaymentNumber,
			"  The shopper's old number no longer works. Send the shopper the",
			"  new number and the payment slip above, and store both with the order.",
			"  ************************************************************",
		}
	}
	return moved{json: j, pairs: ps, notes: notes}
}

func payLimitText(t time.Time) string { return t.In(jst).Format("2006-01-02 15:04") + " JST" }

// cvsKind reads an online-collection payment with 2Ref before asking.
var cvsKind = paymentKind[escott.CVSInquiry, escott.CVSPayment]{
	noun: "online-collection payment", lookOp: escott.OpCVSInquire, inquire: "cvs inquire", hint: cvsHint,
	read: func(ctx context.Context, c *escott.Client, proc escott.Process) (*escott.CVSInquiry, error) {
		return c.CVS.Inquire(ctx, proc, nil)
	},
	now: func(_ escott.Environment, cur *escott.CVSInquiry) []pair {
		return []pair{
			{"Process ID", cur.Process.ID}, {"Link key", orNone(cur.Process.LinkKey)}, {"Status", cur.Status.String()},
			{"Amount", orNone(yen(cvsAmountOf(cur)))}, {"Paid at", orNone(stamp(cur.PaidAt))},
		}
	},
	show: func(env escott.Environment, cur *escott.CVSInquiry, pay *escott.CVSPayment) moved {
		if pay.Amount.IsZero() { // 2Del answers no amount: show the payment's
			pay.Amount = cur.Amount
		}
		return cvsMoved(env, pay)
	},
}

func cvsAmountOf(p *escott.CVSInquiry) string { return decimalYen(p.Amount) }

func cvsChange(ctx context.Context, a *app, o *options) error {
	if o.amount == "" && o.payLimit == "" && o.payLimitDays == 0 {
		return usagef("cvs change wants --amount, --pay-limit or --pay-limit-days (see: escott help cvs change)")
	}
	var n int64
	if o.amount != "" {
		if !checkDigits(o.amount) {
			return usagef("--amount %q: want whole yen, e.g. --amount 1500", o.amount)
		}
		var err error
		if n, err = parseYen(o.amount, escott.MaxCVSAmount); err != nil {
			return err
		}
	}
	var limit time.Time
	switch {
	case o.payLimit != "" && o.payLimitDays != 0:
		return usagef("give --pay-limit or --pay-limit-days, not both")
	case o.payLimit != "":
		d, err := time.ParseInLocation("2006-01-02", o.payLimit, jst)
		if err != nil {
			return usagef("--pay-limit %q: want YYYY-MM-DD (until 23:59 JST that day)", o.payLimit)
		}
		limit = d.Add(23*time.Hour + 59*time.Minute)
	case o.payLimitDays < 0 || o.payLimitDays > escott.MaxPayLimitDays:
		return usagef("--pay-limit-days %d: want 1 to %d", o.payLimitDays, escott.MaxPayLimitDays)
	}
	// 2Chg always sends a pay limit, and 2Ref does not answer the current
	// one: the question shows the one that will be sent.
	shown := limit
	if shown.IsZero() {
		var err error
		if shown, err = escott.PayLimitAfterDays(a.now(), o.payLimitDays); err != nil {
			return usagef("--pay-limit-days %d: %v", o.payLimitDays, err)
		}
	}
	return moneyMove[escott.CVSInquiry, escott.CVSPayment]{
		op: escott.OpCVSChange, verb: "change", done: "Changed", kind: cvsKind,
		question: func(cur *escott.CVSInquiry) string {
			s := "amount " + orNone(yen(cvsAmountOf(cur)))
			if n != 0 {
				s += fmt.Sprintf(" → %d yen", n)
			} else {
				s += " (unchanged)"
			}
			s += ", pay limit → " + payLimitText(shown)
			if o.payLimit == "" && o.payLimitDays == 0 {
				s += fmt.Sprintf(" (the default %d days: 2Chg always sets one)", escott.DefaultPayLimitDays)
			}
			return s + ", a NEW payment number for the shopper"
		},
		send: func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, cur *escott.CVSInquiry) (*escott.CVSPayment, error) {
			amount := cur.Amount
			if n != 0 {
				amount = escott.Yen(n)
			}
			return c.CVS.Change(ctx, proc, &escott.CVSChangeParams{Amount: amount, PayLimit: limit, PayLimitDays: o.payLimitDays,
				LinkKey: linkKey, PreviousPaymentNumber: cur.Raw.Get("KessaiNumber")})
		},
		afterUnknown: "If it was changed, the shopper's payment number changed too and the new one was in the lost answer: " +
			"find it in the merchant console and send it to the shopper.",
	}.run(ctx, a, o)
}

func cvsCancel(ctx context.Context, a *app, o *options) error {
	return moneyMove[escott.CVSInquiry, escott.CVSPayment]{
		op: escott.OpCVSCancel, verb: "cancel", done: "Cancelled", kind: cvsKind,
		question: func(cur *escott.CVSInquiry) string {
			return orNone(yen(cvsAmountOf(cur))) + ", " + cur.Status.String() + "; the payment number stops working"
		},
		send: func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, _ *escott.CVSInquiry) (*escott.CVSPayment, error) {
			return c.CVS.Cancel(ctx, proc, &escott.CVSCancelParams{LinkKey: linkKey})
		},
	}.run(ctx, a, o)
}
