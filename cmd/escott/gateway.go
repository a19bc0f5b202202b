package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/escott-go/escott"
)

// process builds the Process a follow-up names: the ProcessId from the
// command line, its ProcessPass (and the member's KaiinPass, with --member)
// from the environment, stdin or a prompt.
func (a *app) process(o *options, linkKey string) (escott.Process, error) {
	pass, err := a.secret(o, envProcessPass, "ProcessPass of "+o.arg)
	if err != nil {
		return escott.Process{}, err
	}
	proc := escott.Process{ID: o.arg, Pass: pass, LinkKey: linkKey}
	if o.member != "" {
		mp, err := a.secret(o, envMemberPass, "KaiinPass of member "+o.member)
		if err != nil {
			return escott.Process{}, err
		}
		proc.Member = &escott.Member{ID: o.member, Pass: mp}
	}
	return proc, nil
}

// memberHint explains the gateway's member-presence codes of a follow-up.
func memberHint(err error) error {
	var gw *escott.Error
	if errors.As(err, &gw) && gw.Has("K80") {
		return withNext(err, "The payment was made with a stored card: add --member KAIIN_ID (KaiinPass from "+envMemberPass+").")
	}
	return err
}

// movedHead opens the JSON of every payment a command reads or moves.
type movedHead struct {
	Operation   string `json:"operation"`
	Environment string `json:"environment"`
	ProcessID   string `json:"process_id"`
	LinkKey     string `json:"link_key"`
}

func headOf(op string, env escott.Environment, proc escott.Process) movedHead {
	return movedHead{Operation: op, Environment: env.String(), ProcessID: proc.ID, LinkKey: proc.LinkKey}
}

// answerTail closes it: the gateway's transaction and answer.
type answerTail struct {
	TransactionID   string        `json:"transaction_id,omitempty"`
	TransactionDate string        `json:"transaction_date,omitempty"`
	Raw             escott.Fields `json:"raw"` // as answered; secret fields redacted
}

// cardPaymentJSON is a card payment in JSON output. It never holds a secret.
type cardPaymentJSON struct {
	movedHead
	MemberID    string `json:"member_id,omitempty"`
	Amount      string `json:"amount,omitempty"` // whole yen
	SalesDate   string `json:"sales_date,omitempty"`
	CardCompany string `json:"card_company,omitempty"`
	answerTail
}

func cardPayment(env escott.Environment, p *escott.Payment) cardPaymentJSON {
	j := cardPaymentJSON{
		movedHead: headOf(p.OperateID, env, p.Process), SalesDate: day(p.SalesDate), CardCompany: p.CompanyCode,
		answerTail: answerTail{TransactionID: p.TransactionID, TransactionDate: day(p.TransactionDate), Raw: p.Raw},
	}
	if p.Process.Member != nil {
		j.MemberID = p.Process.Member.ID
	}
	j.Amount = amountOf(p)
	return j
}

func yen(s string) string {
	if s == "" {
		return ""
	}
	return s + " yen"
}

func (j cardPaymentJSON) pairs() []pair {
	ps := []pair{{"Process ID", j.ProcessID}, {"Link key", j.LinkKey}}
	if j.MemberID != "" {
		ps = append(ps, pair{"Member", j.MemberID})
	}
	return append(ps,
		pair{"Amount", orNone(yen(j.Amount))},
		pair{"Sales date", orNone(j.SalesDate)},
		pair{"Card company", orNone(j.CardCompany)},
		pair{"Transaction", strings.TrimSpace(orNone(j.TransactionID) + " " + j.TransactionDate)},
	)
}

func (a *app) printCardPayment(o *options, title string, j cardPaymentJSON) error {
	if o.json {
		return printJSON(a.stdout, j)
	}
	printPairs(a.stdout, title, j.pairs())
	return nil
}

// inquiry sets up a read-only command on one process: the merchant's
// settings, the process (its pass from the environment, stdin or a prompt)
// and a client without a journal (reads are not journalled).
func (a *app) inquiry(o *options) (escott.Config, escott.Process, *escott.Client, error) {
	cfg, err := a.gatewayConfig()
	if err != nil {
		return cfg, escott.Process{}, nil, err
	}
	proc, err := a.process(o, o.linkKey)
	if err != nil {
		return cfg, proc, nil, err
	}
	c, err := a.client(cfg, nil)
	return cfg, proc, c, err
}

func cardInquire(ctx context.Context, a *app, o *options) error {
	cfg, proc, c, err := a.inquiry(o)
	if err != nil {
		return err
	}
	pay, err := c.Card.Inquire(ctx, proc, nil)
	if err != nil {
		return memberHint(err)
	}
	if err := a.printCardPayment(o, fmt.Sprintf("Card payment (1Search, %s)", describeEnv(cfg)), cardPayment(cfg.Environment, pay)); err != nil {
		return err
	}
	if !o.json {
		fmt.Fprintln(a.stdout, "  (1Search answers the amount and the sales date; the console's status shows a cancellation)")
	}
	return nil
}

// cvsJSON is an online-collection payment in JSON output.
type cvsJSON struct {
	Operation     string        `json:"operation"`
	Environment   string        `json:"environment"`
	ProcessID     string        `json:"process_id"`
	LinkKey       string        `json:"link_key"`
	Status        string        `json:"status"` // unpaid, paid or cancelled
	Amount        string        `json:"amount,omitempty"`
	Agency        string        `json:"agency,omitempty"` // CvsCd, where the shopper paid
	AgencyName    string        `json:"agency_name,omitempty"`
	PaidAt        string        `json:"paid_at,omitempty"` // RFC 3339, JST
	StampFlag     bool          `json:"stamp_flag"`
	TransactionID string        `json:"transaction_id,omitempty"`
	Raw           escott.Fields `json:"raw,omitzero"`
}

func cvsInquire(ctx context.Context, a *app, o *options) error {
	cfg, proc, c, err := a.inquiry(o)
	if err != nil {
		return err
	}
	inq, err := c.CVS.Inquire(ctx, proc, &escott.CVSInquireParams{Cancelled: o.cancelled})
	if errors.Is(err, escott.ErrUnknownProcess) {
		err = withNext(err, "The gateway answers a payment deleted with 2Del exactly like one it never had: "+
			"if the shop cancelled this payment, add --cancelled; else check the ProcessId and ProcessPass.")
	}
	if err != nil {
		return err
	}
	j := cvsJSON{
		Operation: escott.OpCVSInquire, Environment: cfg.Environment.String(), ProcessID: inq.Process.ID,
		LinkKey: inq.Process.LinkKey, Status: inq.Status.String(), Agency: string(inq.Agency), StampFlag: inq.StampFlag,
		TransactionID: inq.TransactionID, Raw: inq.Raw,
	}
	if !inq.Amount.IsZero() {
		j.Amount = inq.Amount.String()
	}
	if inq.Agency != "" {
		j.AgencyName = inq.Agency.Name()
	}
	if !inq.PaidAt.IsZero() {
		j.PaidAt = inq.PaidAt.In(jst).Format(time.RFC3339)
	}
	if o.json {
		return printJSON(a.stdout, j)
	}
	agency := "-"
	if inq.Agency != "" {
		agency = fmt.Sprintf("%s %s (%s)", inq.Agency, inq.Agency.NameJA(), inq.Agency.Name())
	}
	stampFlag := "no"
	if inq.StampFlag {
		stampFlag = "yes"
	}
	printPairs(a.stdout, fmt.Sprintf("Online-collection payment (2Ref, %s)", describeEnv(cfg)), []pair{
		{"Process ID", j.ProcessID}, {"Link key", orNone(j.LinkKey)}, {"Status", j.Status},
		{"Amount", orNone(yen(j.Amount))}, {"Paid at", orNone(stamp(inq.PaidAt))}, {"Paid at agency", agency},
		{"Revenue stamp", stampFlag}, {"Transaction", orNone(j.TransactionID)},
	})
	if inq.Status == escott.CVSUnpaid {
		fmt.Fprintln(a.stdout, "  (no notification is sent when the pay limit passes: compare it with the order's)")
	}
	return nil
}

// memberJSON is a stored-card member in JSON output: the masked card only.
type memberJSON struct {
	Operation    string        `json:"operation"`
	Environment  string        `json:"environment"`
	MemberID     string        `json:"member_id"`
	Status       string        `json:"status"`
	CanPay       bool          `json:"can_pay"`
	MaskedNumber string        `json:"masked_number,omitempty"`
	Brand        string        `json:"brand,omitempty"`
	Expiry       string        `json:"expiry,omitempty"` // YYYY-MM
	EnableDate   string        `json:"enable_date,omitempty"`
	CardCompany  string        `json:"card_company,omitempty"`
	Raw          escott.Fields `json:"raw,omitzero"`
}

func memberShow(ctx context.Context, a *app, o *options) error {
	cfg, err := a.gatewayConfig()
	if err != nil {
		return err
	}
	pass, err := a.secret(o, envMemberPass, "KaiinPass of member "+o.arg)
	if err != nil {
		return err
	}
	c, err := a.client(cfg, nil)
	if err != nil {
		return err
	}
	mc, err := c.Member.GetMasked(ctx, escott.Member{ID: o.arg, Pass: pass})
	if err != nil {
		return err
	}
	j := memberJSON{
		Operation: mc.OperateID, Environment: cfg.Environment.String(), MemberID: mc.MemberID,
		Status: mc.Status.String(), CanPay: mc.Status.CanPay(), MaskedNumber: mc.MaskedNumber, Brand: string(mc.Brand),
		EnableDate: day(mc.EnableDate), CardCompany: mc.CompanyCode, Raw: mc.Raw,
	}
	if mc.ExpiryYear != 0 {
		j.Expiry = fmt.Sprintf("%04d-%02d", mc.ExpiryYear, int(mc.ExpiryMonth))
	}
	if o.json {
		return printJSON(a.stdout, j)
	}
	printPairs(a.stdout, fmt.Sprintf("Stored-card member (4MemRefM, %s)", describeEnv(cfg)), []pair{
		{"Member", j.MemberID}, {"Status", j.Status}, {"Card", strings.TrimSpace(orNone(j.MaskedNumber) + " " + j.Brand)},
		{"Expiry", orNone(j.Expiry)}, {"Valid since", orNone(j.EnableDate)},
	})
	switch {
	case mc.Status.Gone():
		fmt.Fprintln(a.stdout, "  The gateway no longer holds a usable member: drop the shop's registration; the shopper registers the card again.")
	case mc.Status == escott.MemberCardInvalid:
		fmt.Fprintln(a.stdout, "  The card is no longer valid: the shopper changes the stored card (4MemChg).")
	case mc.Status == escott.MemberLocked:
		fmt.Fprintln(a.stdout, "  Locked after wrong passwords: ask SPS.")
	}
	return nil
}

// moneyMove is one money-moving follow-up (capture, change or cancel of a
// card payment; change or cancel of an online-collection payment): it reads
// the payment (a P), asks, sends once (the gateway answers an R), and on an
// unknown outcome says exactly what to do.
type moneyMove[P, R any] struct {
	op   string // OperateId
	verb string // "capture"
	done string // "Captured"
	kind paymentKind[P, R]
	// question describes the action for the prompt, given the payment as
	// it is now.
	question func(cur *P) string
	send     func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, cur *P) (*R, error)
	// afterUnknown is added to the next steps of an unknown outcome: what
	// else the lost answer held.
	afterUnknown string
}

// paymentKind is what a money move says and does that depends on the
// payment method: how it reads the payment before asking, and shows it.
type paymentKind[P, R any] struct {
	noun    string // "card payment"
	lookOp  string // the read before asking: "1Search"
	inquire string // the read-only command that shows the payment: "card inquire"
	hint    func(error) error
	read    func(ctx context.Context, c *escott.Client, proc escott.Process) (*P, error)
	now     func(env escott.Environment, cur *P) []pair        // shown before asking
	show    func(env escott.Environment, cur *P, pay *R) moved // the answer, completed from cur
}

// moved is the gateway's answer to a money move, ready to print.
type moved struct {
	json  any    // --json
	pairs []pair // for people
	notes []string
}

func (m moneyMove[P, R]) run(ctx context.Context, a *app, o *options) error {
	cfg, err := a.gatewayConfig()
	if err != nil {
		return err
	}
	linkKey := o.linkKey
	if linkKey == "" {
		linkKey = a.newLinkKey()
	}
	proc, err := a.process(o, linkKey)
	if err != nil {
		return err
	}
	j, err := a.openJournal(ctx, o)
	if err != nil {
		return err // never move money past a journal the operator configured and we cannot write
	}
	var journal escott.Journal
	journalName := ""
	if j != nil {
		defer j.close()
		journal, journalName = j, j.name
		if err := a.refuseUnsettled(ctx, j, m.op, proc.ID, linkKey); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stderr, "escott: no journal (%s): if the outcome is unknown, this output is its only record\n", envJournal)
	}
	c, err := a.client(cfg, journal)
	if err != nil {
		return err
	}
	cur, err := m.kind.read(ctx, c, proc)
	if err != nil {
		return m.kind.hint(err)
	}
	if !o.json {
		printPairs(a.stderr, fmt.Sprintf("%s now (%s, %s)", capitalize(m.kind.noun), m.kind.lookOp, describeEnv(cfg)),
			m.kind.now(cfg.Environment, cur))
	}
	q := fmt.Sprintf("%s %s %s: %s, link key %s, %s environment?", capitalize(m.verb), m.kind.noun,
		proc.ID, m.question(cur), linkKey, cfg.Environment)
	if err := a.confirm(o, q, "Nothing was sent."); err != nil {
		return err
	}
	pay, err := m.send(ctx, c, proc, linkKey, cur)
	if errors.Is(err, escott.ErrOutcomeUnknown) {
		return withNext(err, strings.TrimSpace(unknownNext(m.op, m.kind.inquire, proc, linkKey, journalName)+" "+m.afterUnknown))
	}
	if err != nil {
		return m.kind.hint(err)
	}
	mv := m.kind.show(cfg.Environment, cur, pay)
	if o.json {
		return printJSON(a.stdout, mv.json)
	}
	printPairs(a.stdout, fmt.Sprintf("%s %s (%s, %s)", m.done, m.kind.noun, m.op, describeEnv(cfg)), mv.pairs)
	for _, n := range mv.notes {
		fmt.Fprintln(a.stdout, n)
	}
	return nil
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// cardKind reads a card payment with 1Search before asking.
var cardKind = paymentKind[escott.Payment, escott.Payment]{
	noun: "card payment", lookOp: escott.OpSearch, inquire: "card inquire", hint: memberHint,
	read: func(ctx context.Context, c *escott.Client, proc escott.Process) (*escott.Payment, error) {
		return c.Card.Inquire(ctx, proc, nil)
	},
	now: func(env escott.Environment, cur *escott.Payment) []pair {
		return dropLast(cardPayment(env, cur).pairs()) // without the transaction: the inquiry's own, not the payment's
	},
	show: func(env escott.Environment, cur, pay *escott.Payment) moved {
		// 1Capture and 1Delete answer no amount, 1Delete no sales date:
		// show the payment's.
		if pay.Amount.IsZero() {
			pay.Amount = cur.Amount
		}
		if pay.SalesDate.IsZero() {
			pay.SalesDate = cur.SalesDate
		}
		j := cardPayment(env, pay)
		return moved{json: j, pairs: j.pairs()}
	},
}

// refuseUnsettled refuses, before anything is sent, a money move on a
// payment (or under a link key) that the journal holds as unknown or in
// flight: running the command again after an unknown outcome must not send
// the request again, nor overwrite the attempt the operator has to
// reconcile. Once resolved (escott journal resolve), the command works.
func (a *app) refuseUnsettled(ctx context.Context, j *openedJournal, op, processID, linkKey string) error {
	list, err := j.Pending(ctx, a.now().Add(time.Nanosecond))
	if err != nil {
		return &unavailableError{msg: "journal " + j.name, err: err}
	}
	for _, at := range list {
		if at.LinkKey != linkKey && (at.ProcessID == "" || at.ProcessID != processID) {
			continue
		}
		return &unsettledError{op: op, at: at, journal: j.name}
	}
	return nil
}

// unsettledError is a money move refused because the journal holds an
// attempt on the same payment or link key whose outcome is not known.
type unsettledError struct {
	op      string
	at      escott.Attempt
	journal string
}

func (e *unsettledError) Error() string {
	return fmt.Sprintf("not sent: %s (link key %s) on this payment is %s in %s; nothing was sent",
		e.at.Operation, e.at.LinkKey, e.at.Outcome, e.journal)
}

// unknownNext is what to do after a money-moving request whose outcome is
// unknown: never again blindly; look, then record.
func unknownNext(op, inquire string, proc escott.Process, linkKey, journalName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Do NOT run this command again: the gateway may have done the %s. ", op)
	fmt.Fprintf(&b, "Look first: search 自由領域1 = %s in the merchant console, or run: escott %s %s --link-key %s. ", linkKey, inquire, proc.ID, linkKey)
	if journalName != "" {
		fmt.Fprintf(&b, "The journal (%s) holds the attempt as unknown; once you know, record it: "+
			"escott journal resolve %s --outcome succeeded --process-id %s (done) or --outcome rejected (not done).", journalName, linkKey, proc.ID)
	} else {
		fmt.Fprintf(&b, "No journal was configured: write the link key %s down now.", linkKey)
	}
	return b.String()
}

func capture(ctx context.Context, a *app, o *options) error {
	var sales time.Time
	if o.salesDate != "" {
		t, err := time.ParseInLocation("2006-01-02", o.salesDate, jst)
		if err != nil {
			return usagef("--sales-date %q: want YYYY-MM-DD", o.salesDate)
		}
		sales = t
	}
	return moneyMove[escott.Payment, escott.Payment]{
		op: escott.OpCapture, verb: "capture", done: "Captured", kind: cardKind,
		question: func(cur *escott.Payment) string {
			s := orNone(yen(amountOf(cur)))
			if !sales.IsZero() {
				s += ", sales date " + o.salesDate
			}
			return s
		},
		send: func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, _ *escott.Payment) (*escott.Payment, error) {
			return c.Card.Capture(ctx, proc, &escott.CaptureParams{SalesDate: sales, LinkKey: linkKey})
		},
	}.run(ctx, a, o)
}

func change(ctx context.Context, a *app, o *options) error {
	if !checkDigits(o.amount) {
		return usagef("change wants --amount in whole yen, e.g. --amount 1500")
	}
	n, err := parseYen(o.amount, escott.MaxAmount)
	if err != nil {
		return err
	}
	return moneyMove[escott.Payment, escott.Payment]{
		op: escott.OpChange, verb: "change", done: "Changed", kind: cardKind,
		question: func(cur *escott.Payment) string {
			return fmt.Sprintf("amount %s → %d yen", orNone(yen(amountOf(cur))), n)
		},
		send: func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, _ *escott.Payment) (*escott.Payment, error) {
			return c.Card.ChangeAmount(ctx, proc, &escott.ChangeAmountParams{Amount: escott.Yen(n), LinkKey: linkKey})
		},
	}.run(ctx, a, o)
}

func cancel(ctx context.Context, a *app, o *options) error {
	return moneyMove[escott.Payment, escott.Payment]{
		op: escott.OpDelete, verb: "cancel", done: "Cancelled", kind: cardKind,
		question: func(cur *escott.Payment) string {
			s := orNone(yen(amountOf(cur)))
			if !cur.SalesDate.IsZero() {
				s += ", captured " + day(cur.SalesDate) + " (a refund after the monthly close)"
			}
			return s
		},
		send: func(ctx context.Context, c *escott.Client, proc escott.Process, linkKey string, _ *escott.Payment) (*escott.Payment, error) {
			return c.Card.Cancel(ctx, proc, &escott.CancelParams{LinkKey: linkKey})
		},
	}.run(ctx, a, o)
}

func amountOf(p *escott.Payment) string { return decimalYen(p.Amount) }

// decimalYen is an amount for output: "" when zero (not answered).
func decimalYen(d interface {
	IsZero() bool
	String() string
}) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func dropLast(ps []pair) []pair { return ps[:len(ps)-1] }

// parseYen reads --amount: whole yen, 1 to max.
func parseYen(s string, maxYen int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxYen {
		return 0, usagef("--amount %s: want 1 to %d yen", s, maxYen)
	}
	return n, nil
}
