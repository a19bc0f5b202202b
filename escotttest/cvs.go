package escotttest

import (
	"context"
	"errors"
	"fmt"
	"github.com/shopspring/decimal"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/jtext"
)

// NotifySettings control how the fake gateway delivers payment-received
// notifications to Config.NotifyURL. The real gateway takes any HTTP 200
// whose body is not "1" as received (WooCommerce and Welcart answer an empty
// 200, SPS's receivers "0"); after anything else, or no answer within about
// 15 s, it redelivers about hourly, up to 5 times (docs/protocol.md §8.1).
//
// Redeliveries follow the gateway's clock (Config.Now plus Advance), not
// real time: each is due RetryInterval after the previous one was due, and
// is sent as soon as the clock reaches it — by Advance itself, before it
// returns, or by a background timer when the clock moves on its own (the
// default clock is real time). So a test with a fixed Config.Now drives them
// deterministically with Advance.
type NotifySettings struct {
	// RetryInterval is the wait before each redelivery, on the gateway's
	// clock; 0 means 50 ms (set time.Hour for the real gateway's pace).
	RetryInterval time.Duration
	// Retries is the number of redeliveries after the first attempt; 0
	// means 5, a negative value none.
	Retries int
	// Timeout of one delivery (real time); 0 means 15 s, as the gateway.
	Timeout time.Duration
	// HTTPClient delivers; nil means a plain client with Timeout.
	HTTPClient *http.Client
	// OmitHash leaves out HashCd, like older gateway versions.
	OmitHash bool
}

// SentNotification is one delivery attempt of a notification.
type SentNotification struct {
	ProcessID string
	Attempt   int        // 1 for the first delivery, 2… for redeliveries
	Fields    url.Values // as sent, ProcessPass included: this is a test tool
	Status    int        // HTTP status, 0 when no answer came
	Body      string     // answer body, trimmed
	Err       string     // transport error or timeout
	Accepted  bool       // status 200 and a body other than "1"
	At        time.Time
}

type cvsPayState int

const (
	cvsUnpaid cvsPayState = iota + 1
	cvsPaid
	cvsDeleted
)

func (s cvsPayState) String() string {
	switch s {
	case cvsUnpaid:
		return "unpaid"
	case cvsPaid:
		return "paid"
	case cvsDeleted:
		return "deleted"
	}
	return "unknown"
}

// cvsPay is one online-collection registration.
type cvsPay struct {
	id, pass, txID, kessai, freeArea string
	linkKey, free2, free3, tenant    string
	amount                           int64
	payLimit                         time.Time
	payLimitRaw                      string
	nameKanji, shouhin, title        string
	returnURL                        string
	state                            cvsPayState
	cvsCd, recvNum                   string
	paidAt                           time.Time
}

// cvsState holds online-collection payments and the notification sender.
type cvsState struct {
	byID   *expiring[*cvsPay] // until processRetention or Limits.CVSPayments
	byArea map[string]string  // FreeArea → ProcessId, of the registrations in byID
	sent   []SentNotification

	ctx    context.Context // cancelled by Close: stops redeliveries
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool

	// Redeliveries waiting for the gateway's clock (guarded by Gateway.mu);
	// looping is set while the background timer goroutine runs. dueMu
	// serialises sending them, so that Advance returns only after every
	// redelivery it made due was sent.
	pending []*redelivery
	looping bool
	dueMu   sync.Mutex
}

// redelivery is a notification waiting for its next attempt.
type redelivery struct {
	processID string
	fields    url.Values
	attempt   int       // number of the next attempt
	last      int       // number of the last attempt allowed
	due       time.Time // on the gateway's clock
	interval  time.Duration
}

func (s *cvsState) init(maxPayments int) {
	s.byID = newExpiring[*cvsPay](maxPayments)
	s.byArea = make(map[string]string)
	s.byID.onDrop = func(id string, p *cvsPay) {
		if s.byArea[p.freeArea] == id {
			delete(s.byArea, p.freeArea)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
}

// Close stops the gateway's background deliveries (notification
// redeliveries, 3-D Secure PostUrl copies) and waits for them to end.
// Server.Close calls it.
func (g *Gateway) Close() {
	g.mu.Lock()
	g.cvs.closed = true
	g.mu.Unlock()
	g.cvs.cancel()
	g.cvs.wg.Wait()
	g.stopThreeDS()
}

func (g *Gateway) cvsOps() map[string]opFunc {
	return map[string]opFunc{
		"2Add": g.cvsAdd,
		"2Chg": g.cvsChange,
		"2Del": g.cvsDelete,
		"2Ref": g.cvsRef,
	}
}

// cvsMaxAmount is the online-collection limit.
const cvsMaxAmount = 299_999

func (g *Gateway) cvsAdd(r *req) (answer, []string) {
	var c codeList
	// ShouhinName and PayLimit are optional: CS-Cart sends no ShouhinName,
	// and PayLimit only when configured (docs/protocol.md §8).
	for _, k := range []string{"Amount", "NameKanji", "NameKana", "TelNo"} {
		if !r.has(k) {
			c.add("K01")
		}
	}
	amount := cvsAmount(r, &c)
	limit, limitRaw := checkPayLimit(r, &c), r.get("PayLimit")
	if !r.has("PayLimit") {
		limitRaw = jst.Date(jst.Today(r.now).AddDate(0, 0, defaultPayLimitDays)) + "2359"
		limit, _ = jst.ParseTime(limitRaw)
	}
	if v := r.get("NameKanji"); v != "" && (!jtext.IsFullWidth(v) || jtext.Len(v) > jtext.MaxNameKanjiLen) {
		c.add("K51")
	}
	if v := r.get("NameKana"); v != "" && (!nameKanaOK(v) || jtext.Len(v) > jtext.MaxNameKanaLen) {
		c.add("K52")
	}
	if v := r.get("TelNo"); v != "" && !validTel(v) {
		c.add("K28")
	}
	if v := r.get("ShouhinName"); v != "" && (!jtext.IsFullWidth(v) || jtext.Len(v) > jtext.MaxProductNameLen) {
		c.add("K53")
	}
	checkText := func(field string, max int, code string) {
		if v := r.get(field); jtext.Len(v) > max || strings.ContainsAny(v, "\x00\r\n\t") {
			c.add(code)
		}
	}
	for i := 1; i <= 16; i++ {
		if i <= 7 {
			checkText("Free"+strconv.Itoa(i), 16, "K54")
		} else {
			checkText("Free"+strconv.Itoa(i), 30, "K56")
		}
	}
	// Inquiry contact, phone and hours (SPS's EC-CUBE 2 module: 21, 12
	// digits and hyphens, 11 half-width).
	checkText("Free17", 21, "K57")
	if v := r.get("Free18"); len(v) > 12 || strings.Trim(v, "0123456789-") != "" {
		c.add("K58")
	}
	if v := r.get("Free19"); len(v) > 11 || !printableASCIIWithSpace(v) {
		c.add("K59")
	}
	checkText("Comment", 30, "K55")
	checkText("Title", 20, "W05") // no code of its own is published: an item setting error
	if v := r.get("ReturnURL"); v != "" {
		u, err := url.Parse(v)
		if len(v) > 128 || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.add("K60")
		}
	}
	if r.has("ProcessId") || r.has("Token") || r.has("KaiinId") {
		c.add("W05") // card or follow-up fields on a registration
	}
	if len(c) > 0 {
		return nil, c
	}
	p := &cvsPay{
		id: randomDigits(16), pass: randomAlnum(16), amount: amount, payLimit: limit, payLimitRaw: limitRaw,
		linkKey: r.get("MerchantFree1"), free2: r.get("MerchantFree2"), free3: r.get("MerchantFree3"),
		tenant: r.get("TenantId"), nameKanji: r.get("NameKanji"), shouhin: r.get("ShouhinName"),
		title: r.get("Title"), returnURL: r.get("ReturnURL"), state: cvsUnpaid,
	}
	if p.tenant == "" {
		p.tenant = escott.DefaultTenantID
	}
	g.cvsIssue(p)
	g.cvs.byID.put(p.id, p, r.now.Add(processRetention), r.now)
	a := answer{}
	g.cvsDescribe(&a, p, r)
	return a, nil
}

// defaultPayLimitDays is the pay limit of a 2Add without PayLimit.
const defaultPayLimitDays = 7

// nameKanaOK: what production clients send in NameKana is accepted —
// full-width katakana, full-width text such as a kanji name (WooCommerce and
// Welcart send the kanji name when the shopper has no kana), half-width
// katakana (CS-Cart), or a mix; ASCII is not.
func nameKanaOK(s string) bool {
	for _, r := range s {
		if r >= 0xFF61 && r <= 0xFF9F { // half-width katakana and marks
			continue
		}
		if r == ' ' { // CS-Cart separates half-width names with a space
			continue
		}
		if !jtext.IsFullWidth(string(r)) {
			return false
		}
	}
	return true
}

// printableASCIIWithSpace: half-width printable characters, space included.
func printableASCIIWithSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cvsIssue gives p a new transaction, payment number and FreeArea.
func (g *Gateway) cvsIssue(p *cvsPay) {
	if p.freeArea != "" {
		delete(g.cvs.byArea, p.freeArea)
	}
	p.txID = randomDigits(18)
	p.kessai = randomDigits(11)
	p.freeArea = randomAlnum(40)
	g.cvs.byArea[p.freeArea] = p.id
}

func (g *Gateway) cvsDescribe(a *answer, p *cvsPay, r *req) {
	a.set("TransactionId", p.txID)
	a.set("TransactionDate", jst.Date(r.now))
	a.set("ProcessId", p.id)
	a.set("ProcessPass", p.pass)
	a.set("KessaiNumber", p.kessai)
	a.set("FreeArea", p.freeArea+"  ") // the real gateway pads it: clients must trim
}

// cvsLookup finds the registration of a follow-up (K01, K10, K11, K12).
func (g *Gateway) cvsLookup(r *req, c *codeList) *cvsPay {
	id, pass, ok := processKeys(r, c)
	if !ok {
		return nil
	}
	p, ok := g.cvs.byID.get(id, r.now) // forgotten as card transactions are: K12
	if !ok || p.pass != pass || p.state == cvsDeleted {
		c.add("K12")
		return nil
	}
	return p
}

func (g *Gateway) cvsChange(r *req) (answer, []string) {
	var c codeList
	if !r.has("Amount") || !r.has("PayLimit") {
		c.add("K01")
	}
	p := g.cvsLookup(r, &c)
	amount := cvsAmount(r, &c)
	limit := checkPayLimit(r, &c)
	if p == nil || len(c) > 0 {
		return nil, c
	}
	if p.state != cvsUnpaid {
		return nil, []string{"K14"}
	}
	p.amount, p.payLimit, p.payLimitRaw = amount, limit, r.get("PayLimit")
	g.cvsIssue(p)
	a := answer{}
	g.cvsDescribe(&a, p, r)
	return a, nil
}

func (g *Gateway) cvsDelete(r *req) (answer, []string) {
	var c codeList
	p := g.cvsLookup(r, &c)
	if p == nil {
		return nil, c
	}
	if p.state != cvsUnpaid {
		return nil, []string{"K14"}
	}
	p.state = cvsDeleted
	delete(g.cvs.byArea, p.freeArea)
	a := answer{}
	a.set("TransactionId", randomDigits(18))
	a.set("TransactionDate", jst.Date(r.now))
	a.set("ProcessId", p.id)
	return a, nil
}

func (g *Gateway) cvsRef(r *req) (answer, []string) {
	var c codeList
	p := g.cvsLookup(r, &c)
	if p == nil {
		return nil, c
	}
	a := answer{}
	a.set("TransactionId", p.txID)
	a.set("TransactionDate", jst.Date(r.now))
	a.set("ProcessId", p.id)
	a.set("Amount", strconv.FormatInt(p.amount, 10))
	a.set("TenantCd", p.tenant)
	a.set("KessaiNumber", p.kessai)
	a.set("PayLimit", p.payLimitRaw)
	if p.state == cvsPaid {
		a.set("CvsCd", p.cvsCd)
		a.set("NyukinDate", p.paidAt.In(jst.Zone).Format("20060102150405"))
		a.set("StampFlag", stampFlag(p.amount))
	}
	return a, nil
}

// stampFlag: a receipt of 50,000 yen or more needs a revenue stamp.
func stampFlag(amount int64) string {
	if amount >= 50_000 {
		return "1"
	}
	return "0"
}

func cvsAmount(r *req, c *codeList) int64 {
	s := r.get("Amount")
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if !ascii.IsDigits(s) || err != nil || n < 1 || n > cvsMaxAmount {
		c.add("K23")
		return 0
	}
	return n
}

// checkPayLimit applies K50: YYYYMMDDhhmm, not past, at most 60 days ahead.
func checkPayLimit(r *req, c *codeList) time.Time {
	s := r.get("PayLimit")
	if s == "" {
		return time.Time{}
	}
	t, err := jst.ParseTime(s)
	max := jst.Today(r.now).AddDate(0, 0, 60).Add(23*time.Hour + 59*time.Minute)
	if len(s) != 12 || !ascii.IsDigits(s) || err != nil || !t.Add(time.Minute).After(r.now) || t.After(max) {
		c.add("K50")
		return time.Time{}
	}
	return t
}

func validTel(s string) bool {
	if len(s) > 13 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
			return false
		}
	}
	return true
}

// CVSInfo describes an online-collection registration held by the fake.
type CVSInfo struct {
	ProcessID     string
	State         string          // "unpaid", "paid" or "deleted"
	Amount        decimal.Decimal // whole yen
	PayLimit      time.Time       // in JST
	PaymentNumber string          // KessaiNumber
	FreeArea      string
	TransactionID string // of the latest 2Add or 2Chg
	LinkKey       string
	CvsCd         string
	ReceiptNumber string
	PaidAt        time.Time
}

// CVSPayment returns a registration by ProcessId.
func (g *Gateway) CVSPayment(processID string) (CVSInfo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.cvs.byID.get(processID, g.nowLocked())
	if !ok {
		return CVSInfo{}, false
	}
	return CVSInfo{ProcessID: p.id, State: p.state.String(), Amount: escott.Yen(p.amount), PayLimit: p.payLimit,
		PaymentNumber: p.kessai, FreeArea: p.freeArea, TransactionID: p.txID, LinkKey: p.linkKey,
		CvsCd: p.cvsCd, ReceiptNumber: p.recvNum, PaidAt: p.paidAt}, true
}

// Errors of Pay.
var (
	ErrNoSuchPayment  = errors.New("escotttest: no such online-collection payment (unknown or deleted)")
	ErrAlreadyPaid    = errors.New("escotttest: payment already made")
	ErrPayLimitPassed = errors.New("escotttest: pay limit passed")
	ErrUnknownAgency  = errors.New("escotttest: unknown collecting agency code")
)

// Pay makes the shopper's payment of a registration at the collecting agency
// cvsCode (a CvsCd such as "SEV"), as the payment page does. It records the
// payment (2Ref shows it), then delivers the notification to
// Config.NotifyURL: the first attempt before Pay returns, redeliveries in the
// background while it is not accepted (see NotifySettings). Without a
// NotifyURL nothing is sent.
func (g *Gateway) Pay(processID, cvsCode string) error {
	g.mu.Lock()
	p, ok := g.cvs.byID.get(processID, g.nowLocked())
	_, err := g.payLocked(p, ok, cvsCode)
	var n url.Values
	if err == nil {
		n = g.notificationLocked(p)
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	g.deliver(processID, n)
	return nil
}

func (g *Gateway) payLocked(p *cvsPay, ok bool, cvsCode string) (*cvsPay, error) {
	now := g.nowLocked()
	switch {
	case !ok || p.state == cvsDeleted:
		return nil, ErrNoSuchPayment
	case p.state == cvsPaid:
		return nil, ErrAlreadyPaid
	case !escott.CollectingAgency(cvsCode).Known():
		return nil, ErrUnknownAgency
	case !now.Before(p.payLimit.Add(time.Minute)):
		return nil, ErrPayLimitPassed
	}
	g.seq++
	p.state, p.cvsCd, p.paidAt = cvsPaid, cvsCode, now
	p.recvNum = fmt.Sprintf("%s%06d", jst.Date(now), g.seq)
	return p, nil
}

func (g *Gateway) notificationLocked(p *cvsPay) url.Values {
	return NewNotification(NotificationParams{
		MerchantID: g.cfg.MerchantID, MerchantPass: g.cfg.MerchantPass,
		ProcessID: p.id, ProcessPass: p.pass, TransactionID: p.txID, ReceiptNumber: p.recvNum,
		LinkKey: p.linkKey, MerchantFree2: p.free2, MerchantFree3: p.free3,
		Amount: escott.Yen(p.amount), CvsCd: p.cvsCd, TenantID: p.tenant, KessaiNumber: p.kessai,
		PaidAt: p.paidAt, StampFlag: stampFlag(p.amount) == "1", OmitHash: g.cfg.Notify.OmitHash,
	})
}

// MaxKeptNotifications bounds the list Notifications returns: beyond it the
// oldest tenth is dropped.
const MaxKeptNotifications = 10_000

// Notifications returns the delivery attempts so far, oldest first: all of
// them, or the last MaxKeptNotifications.
func (g *Gateway) Notifications() []SentNotification {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.cvs.sent)
}

// deliver sends n once now and schedules redeliveries, on the gateway's
// clock, while it is refused.
func (g *Gateway) deliver(processID string, n url.Values) {
	ns := g.cfg.Notify
	if g.cfg.NotifyURL == "" {
		return
	}
	if g.sendNotification(processID, n, 1) {
		return
	}
	retries := ns.Retries
	if retries == 0 {
		retries = 5
	}
	if retries < 0 {
		return
	}
	interval := ns.RetryInterval
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cvs.closed {
		return
	}
	g.cvs.pending = append(g.cvs.pending, &redelivery{processID: processID, fields: n, attempt: 2,
		last: retries + 1, due: g.nowLocked().Add(interval), interval: interval})
	if !g.cvs.looping {
		g.cvs.looping = true
		g.cvs.wg.Add(1)
		go g.redeliveryLoop()
	}
}

// redeliveryLoop sleeps until the next redelivery would be due if the
// gateway's clock ran at real speed, then sends whatever is due. It ends
// when nothing is pending or the gateway is closed. A clock that stands still
// is only polled: Advance sends what it makes due by itself.
func (g *Gateway) redeliveryLoop() {
	defer g.cvs.wg.Done()
	for {
		g.mu.Lock()
		if g.cvs.closed || len(g.cvs.pending) == 0 {
			g.cvs.looping = false
			g.mu.Unlock()
			return
		}
		next := g.cvs.pending[0].due
		for _, r := range g.cvs.pending[1:] {
			if r.due.Before(next) {
				next = r.due
			}
		}
		wait := max(next.Sub(g.nowLocked()), time.Millisecond)
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-g.cvs.ctx.Done():
			t.Stop()
			g.mu.Lock()
			g.cvs.looping = false
			g.mu.Unlock()
			return
		case <-t.C:
		}
		g.sendDueRedeliveries()
	}
}

// sendDueRedeliveries sends, oldest due first, every redelivery the gateway's
// clock has reached, rescheduling those that are refused again.
func (g *Gateway) sendDueRedeliveries() {
	g.cvs.dueMu.Lock()
	defer g.cvs.dueMu.Unlock()
	for {
		g.mu.Lock()
		if g.cvs.closed {
			g.mu.Unlock()
			return
		}
		now, at := g.nowLocked(), -1
		for i, r := range g.cvs.pending {
			if !r.due.After(now) && (at < 0 || r.due.Before(g.cvs.pending[at].due)) {
				at = i
			}
		}
		if at < 0 {
			g.mu.Unlock()
			return
		}
		r := g.cvs.pending[at]
		g.cvs.pending = slices.Delete(g.cvs.pending, at, at+1)
		g.mu.Unlock()
		if g.sendNotification(r.processID, r.fields, r.attempt) || r.attempt >= r.last {
			continue
		}
		r.attempt++
		r.due = r.due.Add(r.interval)
		g.mu.Lock()
		g.cvs.pending = append(g.cvs.pending, r)
		g.mu.Unlock()
	}
}

// sendNotification POSTs one attempt and records it. It reports acceptance.
func (g *Gateway) sendNotification(processID string, n url.Values, attempt int) bool {
	ns := g.cfg.Notify
	timeout := ns.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	hc := ns.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	ctx, cancel := context.WithTimeout(g.cvs.ctx, timeout)
	defer cancel()
	rec := SentNotification{ProcessID: processID, Attempt: attempt, Fields: n, At: g.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.cfg.NotifyURL, strings.NewReader(n.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var res *http.Response
		res, err = hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
			_ = res.Body.Close()
			rec.Status, rec.Body = res.StatusCode, strings.TrimSpace(string(body))
			// Any 200 but "1" is received: WooCommerce and Welcart answer an
			// empty 200, CS-Cart "<BODY>OK</BODY>", SPS's receivers "0".
			rec.Accepted = rec.Status == http.StatusOK && rec.Body != "1"
		}
	}
	if err != nil {
		rec.Err = err.Error()
	}
	g.mu.Lock()
	if len(g.cvs.sent) >= MaxKeptNotifications {
		g.cvs.sent = append(g.cvs.sent[:0], g.cvs.sent[MaxKeptNotifications/10:]...)
	}
	g.cvs.sent = append(g.cvs.sent, rec)
	g.mu.Unlock()
	return rec.Accepted
}

// Payment page paths (docs/protocol.md §1): production and test.
const (
	PathPaymentPage     = "/JLP/JLPcon"
	PathTestPaymentPage = "/JLPCT/JLPcon"
)

func (g *Gateway) routeCVSPages(mux *http.ServeMux) {
	mux.HandleFunc(PathPaymentPage, g.servePaymentPage)
	mux.HandleFunc(PathTestPaymentPage, g.servePaymentPage)
}

type agencyOption struct{ Code, Name, NameJA string }

type pageData struct {
	Action, Code, Rkbn     string
	Shouhin, Title, Name   string
	Amount, Number, Limit  string
	Agencies               []agencyOption
	Paid, Message, PaidAt  string
	Problem                bool
	NotificationAttempted  bool
	NotificationStatusText string
	ReturnURL              string // the registration's ReturnURL: a link back to the shop
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>お支払い方法の選択 (escotttest)</title></head>
<body>
<h1>{{if .Title}}{{.Title}}{{else}}お支払い方法の選択{{end}}</h1>
<p class="fake">escotttest: fake online-collection payment page</p>
{{if .Problem}}<p id="message">{{.Message}}</p>{{else}}
<dl>
<dt>商品名</dt><dd id="product">{{.Shouhin}}</dd>
<dt>お名前</dt><dd>{{.Name}}</dd>
<dt>金額</dt><dd id="amount">{{.Amount}}円</dd>
<dt>払込番号</dt><dd id="number">{{.Number}}</dd>
<dt>支払期限</dt><dd id="limit">{{.Limit}}</dd>
</dl>
{{if .Paid}}<p id="paid">お支払いが完了しました（{{.Paid}}、{{.PaidAt}}）</p>
{{if .NotificationAttempted}}<p id="notification">入金通知: {{.NotificationStatusText}}</p>{{end}}
{{else}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="code" value="{{.Code}}">
<input type="hidden" name="rkbn" value="{{.Rkbn}}">
<fieldset><legend>お支払い先</legend>
{{range $i, $a := .Agencies}}<label><input type="radio" name="cvs" value="{{$a.Code}}"{{if eq $i 0}} checked{{end}}> {{$a.NameJA}} ({{$a.Name}})</label><br>
{{end}}</fieldset>
<button type="submit" name="pay" value="1">支払う (pay)</button>
</form>{{end}}{{end}}
{{if .ReturnURL}}<p><a id="return" href="{{.ReturnURL}}">ショップに戻る (back to the shop)</a></p>{{end}}
</body></html>
`))

// servePaymentPage is JLPcon: GET shows the registration and the stores,
// POST pays at the chosen one.
func (g *Gateway) servePaymentPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code, rkbn := strings.TrimSpace(r.Form.Get("code")), r.Form.Get("rkbn")
	data := pageData{Action: r.URL.Path, Code: code, Rkbn: rkbn}
	status := http.StatusOK
	g.mu.Lock()
	id, ok := g.cvs.byArea[code]
	p, _ := g.cvs.byID.get(id, g.nowLocked())
	var notify url.Values
	switch {
	case rkbn != "1" && rkbn != "2":
		data.Problem, data.Message, status = true, "rkbn must be 1 or 2", http.StatusBadRequest
	case !ok || p == nil || p.state == cvsDeleted:
		data.Problem, data.Message, status = true, "お支払い情報が見つかりません (unknown or changed payment code)", http.StatusNotFound
	case r.Method == http.MethodPost && p.state == cvsUnpaid:
		if _, err := g.payLocked(p, true, r.Form.Get("cvs")); err != nil {
			data.Problem, data.Message, status = true, err.Error(), http.StatusUnprocessableEntity
			if errors.Is(err, ErrPayLimitPassed) {
				data.Message, status = "支払期限を過ぎています (pay limit passed)", http.StatusGone
			}
		} else {
			notify = g.notificationLocked(p)
		}
	case p.state == cvsUnpaid && !g.nowLocked().Before(p.payLimit.Add(time.Minute)):
		data.Problem, data.Message, status = true, "支払期限を過ぎています (pay limit passed)", http.StatusGone
	}
	if p != nil && !data.Problem {
		data.Shouhin, data.Title, data.Name, data.ReturnURL = p.shouhin, p.title, p.nameKanji, p.returnURL
		data.Amount, data.Number = strconv.FormatInt(p.amount, 10), p.kessai
		data.Limit = p.payLimit.In(jst.Zone).Format("2006/01/02 15:04")
		for _, a := range escott.CollectingAgencies() {
			data.Agencies = append(data.Agencies, agencyOption{Code: string(a), Name: a.Name(), NameJA: a.NameJA()})
		}
	}
	g.mu.Unlock()

	if notify != nil {
		g.deliver(id, notify)
		data.NotificationAttempted = g.cfg.NotifyURL != ""
		if sent := g.lastNotification(id); sent != nil {
			data.NotificationStatusText = fmt.Sprintf("HTTP %d, body %q", sent.Status, sent.Body)
			if sent.Err != "" {
				data.NotificationStatusText = sent.Err
			}
		}
	}
	if p != nil && !data.Problem {
		g.mu.Lock()
		if p.state == cvsPaid {
			data.Paid = escott.CollectingAgency(p.cvsCd).NameJA()
			data.PaidAt = p.paidAt.In(jst.Zone).Format("2006/01/02 15:04:05")
		}
		g.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data)
}

func (g *Gateway) lastNotification(processID string) *SentNotification {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.cvs.sent) - 1; i >= 0; i-- {
		if g.cvs.sent[i].ProcessID == processID {
			s := g.cvs.sent[i]
			return &s
		}
	}
	return nil
}
