package escotttest

import (
	"github.com/shopspring/decimal"
	"strconv"
	"strings"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
)

// Test cards. The success cards are the numbers developers everywhere already
// type; the others make the gateway answer one class of failure each when
// they pay or are checked. Any future expiry and any 3–4 digit security code
// work.
const (
	CardVisa       = "4111111111111111" // VISA, succeeds
	CardMastercard = "5555555555554444" // Mastercard, succeeds
	// CardMastercard2Series is a 2-series Mastercard (BIN range 2221–2720):
	// a Mastercard for brand, CompanyCd and payment divisions. Succeeds.
	CardMastercard2Series = "2223000048400011"
	CardJCB               = "3530111333300000" // JCB, succeeds
	CardAmex              = "378282246310005"  // American Express, succeeds
	CardDiners            = "36666666666660"   // Diners Club, succeeds

	CardDeclined          = "4000000000000002" // G12 card unusable (declined)
	CardExpired           = "4000000000000069" // C13 expired card (declined)
	CardSecurityCode      = "4000000000000127" // G44 security code wrong (declined)
	CardLimitExceeded     = "4000000000009995" // G55 limit exceeded (declined)
	CardIssuerUnavailable = "4000000000000119" // G95 issuer online service closed (temporary)
	CardCentreClosed      = "4000000000000101" // C80 card company centre closed (temporary)
	CardSystemError       = "4000000000000093" // C02 system error (temporary)
)

// CardAuthAssist is a VISA card whose issuer holds authentication-assist
// data (認証アシスト): the AuthAssist* values. A 1Check, 1Auth or 1Gathering
// with it that sends one of KanaSei, KanaMei, BirthDay, TelNo with another
// value is refused: K41 birthday, K42 phone, K43 kana surname, K44 kana given
// name (no transaction is made; the token is used up like for a decline).
// Fields not sent are not checked. For every other card the fake knows no
// holder data and checks the formats only.
const CardAuthAssist = "4000000000000036"

// The holder data of CardAuthAssist, as the gateway expects them: kana in
// half-width katakana, birthday MMDD, last four digits of the phone.
const (
	AuthAssistKanaSei  = "ﾔﾏﾀﾞ"
	AuthAssistKanaMei  = "ﾊﾅｺ"
	AuthAssistBirthDay = "0615"
	AuthAssistTelNo    = "5678"
)

// assistFormat adds the format codes of the security code and the
// authentication-assist fields: K24 SecCd (3–4 digits), K25 KanaSei and K26
// KanaMei (half-width katakana, at most 20 characters: SPS's own module
// converts to half-width before sending), K27 BirthDay (MMDD), K28 TelNo (4
// digits).
func assistFormat(r *req, c *codeList) {
	if v := r.get("SecCd"); v != "" && (len(v) < 3 || len(v) > 4 || !ascii.IsDigits(v)) {
		c.add("K24")
	}
	if v := r.get("KanaSei"); v != "" && !halfWidthKana(v) {
		c.add("K25")
	}
	if v := r.get("KanaMei"); v != "" && !halfWidthKana(v) {
		c.add("K26")
	}
	if v := r.get("BirthDay"); v != "" && !validMMDD(v) {
		c.add("K27")
	}
	if v := r.get("TelNo"); v != "" && (len(v) != 4 || !ascii.IsDigits(v)) {
		c.add("K28")
	}
}

// assistMismatch compares what was sent with what the issuer holds: K40 for
// a security code that differs from the card's (a payment by member may send
// SecCd), K41–K44 for CardAuthAssist's holder data.
func assistMismatch(r *req, cd card) []string {
	var c codeList
	if v := r.get("SecCd"); v != "" && cd.secCd != "" && v != cd.secCd {
		c.add("K40")
	}
	if cd.number != CardAuthAssist {
		return c
	}
	for _, f := range []struct{ field, want, code string }{
		{"BirthDay", AuthAssistBirthDay, "K41"}, {"TelNo", AuthAssistTelNo, "K42"},
		{"KanaSei", AuthAssistKanaSei, "K43"}, {"KanaMei", AuthAssistKanaMei, "K44"},
	} {
		if v := r.get(f.field); v != "" && v != f.want {
			c.add(f.code)
		}
	}
	return c
}

func halfWidthKana(s string) bool {
	n := 0
	for _, r := range s {
		n++
		if r < 0xFF66 || r > 0xFF9F {
			return false
		}
	}
	return n <= 20
}

func validMMDD(s string) bool {
	if len(s) != 4 || !ascii.IsDigits(s) {
		return false
	}
	mm, _ := strconv.Atoi(s[:2])
	dd, _ := strconv.Atoi(s[2:])
	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= time.Date(2024, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// cardOutcomes maps failure cards to the code the authorisation answers.
var cardOutcomes = map[string]string{
	CardDeclined:          "G12",
	CardExpired:           "C13",
	CardSecurityCode:      "G44",
	CardLimitExceeded:     "G55",
	CardIssuerUnavailable: "G95",
	CardCentreClosed:      "C80",
	CardSystemError:       "C02",
}

// card is the card data behind a token or a member.
type card struct {
	number string
	expYY  string
	expMM  string
	secCd  string
}

func (c card) brand() escott.Brand { return escott.BrandOf(c.number) }

func (c card) masked() string {
	n := len(c.number)
	return c.number[:6] + strings.Repeat("*", n-10) + c.number[n-4:]
}

// companyCodes are the fake's CompanyCd values (the real ones are not public).
var companyCodes = map[escott.Brand]string{
	escott.BrandVisa: "VI", escott.BrandMastercard: "MC", escott.BrandJCB: "JC",
	escott.BrandAmex: "AX", escott.BrandDiners: "DC",
}

type procState int

const (
	stateAuthorized procState = iota + 1
	stateCaptured
	stateCancelled
)

func (s procState) String() string {
	switch s {
	case stateAuthorized:
		return "authorized"
	case stateCaptured:
		return "captured"
	case stateCancelled:
		return "cancelled"
	}
	return "unknown"
}

// process is one card transaction.
type process struct {
	id, pass  string
	card      card
	memberID  string
	amount    int64
	payType   string
	state     procState
	mode      procState // the state the first operation left: stateAuthorized (1Auth, 1Check) or stateCaptured (1Gathering); 1ReAuth keeps it
	salesDate string
	txID      string
	created   time.Time
	threeDS   bool
}

// processRetention is how long the gateway keeps transactions (about seven
// months); older ones answer K12. The fake also forgets the oldest beyond
// Limits.Processes, with the same answer.
const processRetention = 210 * 24 * time.Hour

// ProcessInfo describes a transaction held by the fake gateway.
type ProcessInfo struct {
	ID        string
	State     string          // "authorized", "captured" or "cancelled"
	Amount    decimal.Decimal // whole yen
	PayType   string
	SalesDate string // YYYYMMDD, "" before capture
	MemberID  string // KaiinId when paid by a member
	Brand     escott.Brand
	ThreeDS   bool // authorised with 3-D Secure data
}

// Process returns the state of a transaction by ProcessId.
func (g *Gateway) Process(id string) (ProcessInfo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.procs.get(id, g.nowLocked())
	if !ok {
		return ProcessInfo{}, false
	}
	return ProcessInfo{ID: p.id, State: p.state.String(), Amount: escott.Yen(p.amount), PayType: p.payType,
		SalesDate: p.salesDate, MemberID: p.memberID, Brand: p.card.brand(), ThreeDS: p.threeDS}, true
}

func (g *Gateway) cardOps() map[string]opFunc {
	return map[string]opFunc{
		"1Check":     g.cardCheck,
		"1Auth":      func(r *req) (answer, []string) { return g.authorize(r, stateAuthorized) },
		"1Gathering": func(r *req) (answer, []string) { return g.authorize(r, stateCaptured) },
		"1Capture":   g.capture,
		"1Change":    g.change,
		"1Delete":    g.cancel,
		"1Search":    g.search,
		"1ReAuth":    g.reauth,
	}
}

// cardSource resolves Token or KaiinId/KaiinPass to a card, consuming the
// token. It reports the codes of a bad source.
func (g *Gateway) cardSource(r *req, c *codeList) (card, string, bool) {
	hasToken, hasMember := r.has("Token"), r.has("KaiinId") || r.has("KaiinPass")
	switch {
	case hasToken && r.has("ProcessId"):
		c.add("KIJ")
	case hasToken && hasMember:
		c.add("KIL")
	case hasToken:
		if cd, ok := g.useToken(r.get("Token"), r.now, c); ok {
			return cd, "", true
		}
	case hasMember:
		if cd, ok := g.memberCardLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, c); ok {
			return cd, r.get("KaiinId"), true
		}
	default:
		c.add("K01")
	}
	return card{}, "", false
}

func (g *Gateway) cardCheck(r *req) (answer, []string) {
	var c codeList
	if assistFormat(r, &c); len(c) > 0 {
		return nil, c
	}
	cd, member, ok := g.cardSource(r, &c)
	if !ok {
		return nil, c
	}
	if codes := assistMismatch(r, cd); len(codes) > 0 {
		return nil, codes
	}
	if code, bad := cardOutcomes[cd.number]; bad {
		return nil, []string{code}
	}
	a := answer{}
	p := g.newProcess(cd, member, 0, "", stateAuthorized, r.now)
	g.describe(&a, p, r)
	a.set("ApproveNo", randomDigits(7))
	a.set("McSecCd", secResult(cd, r))
	return a, nil
}

func (g *Gateway) authorize(r *req, to procState) (answer, []string) {
	var c codeList
	amount, amountOK := parseAmount(r.get("Amount"), &c, r.has("Amount"))
	pt := r.get("PayType")
	if !validPayType(pt) {
		c.add("K22")
	}
	tds, tdsCodes := g.checkThreeDSFieldsLocked(r)
	for _, code := range tdsCodes {
		c.add(code)
	}
	assistFormat(r, &c)
	if len(c) > 0 {
		return nil, c
	}
	cd, member, ok := g.cardSource(r, &c)
	if !ok || !amountOK {
		return nil, c
	}
	if code := g.payTypeCode(cd, pt); code != "" {
		return nil, []string{code}
	}
	if codes := assistMismatch(r, cd); len(codes) > 0 {
		return nil, codes
	}
	if code, bad := cardOutcomes[cd.number]; bad {
		return nil, []string{code}
	}
	p := g.newProcess(cd, member, amount, pt, to, r.now)
	p.threeDS = tds
	a := answer{}
	g.describe(&a, p, r)
	a.set("ApproveNo", randomDigits(7))
	a.set("McSecCd", secResult(cd, r))
	return a, nil
}

// payTypeCode applies the merchant contract and the brand rules.
func (g *Gateway) payTypeCode(cd card, pt string) string {
	setting := *g.cfg.Installments
	p := escott.PayType(pt)
	if p == escott.LumpSum {
		return ""
	}
	// Not in the contract at all.
	switch {
	case setting == escott.LumpSumOnly && p == escott.Revolving, setting != escott.InstallmentsRevolvingAndBonus && p == escott.Bonus:
		return "C10"
	case setting == escott.LumpSumOnly:
		return "C12"
	}
	if !escott.PayTypeAllowed(cd.number, setting, p) {
		if p == escott.Bonus || p == escott.Revolving {
			return "G78"
		}
		return "G74"
	}
	return ""
}

func (g *Gateway) newProcess(cd card, member string, amount int64, pt string, st procState, now time.Time) *process {
	p := &process{
		id: randomDigits(16), pass: randomAlnum(16), card: cd, memberID: member, amount: amount,
		payType: pt, state: st, mode: st, txID: randomDigits(18), created: now,
	}
	if st == stateCaptured {
		p.salesDate = jst.Date(now)
	}
	g.procs.put(p.id, p, now.Add(processRetention), now)
	return p
}

// describe adds the transaction fields of an answer.
func (g *Gateway) describe(a *answer, p *process, r *req) {
	a.set("TransactionId", p.txID)
	a.set("TransactionDate", jst.Date(r.now))
	a.set("ProcessId", p.id)
	a.set("ProcessPass", p.pass)
	a.set("CompanyCd", companyCodes[p.card.brand()])
}

// secResult is McSecCd: 0 when a security code was checked (the token's or
// a SecCd sent with a member payment, which matched), 8 when none was set.
func secResult(cd card, r *req) string {
	if cd.secCd == "" && r.get("SecCd") == "" {
		return "8"
	}
	return "0"
}

// processKeys reads ProcessId and ProcessPass of a follow-up: K01 when one
// is missing, K10/K11 for their format. ok is false when any code was added.
func processKeys(r *req, c *codeList) (id, pass string, ok bool) {
	if !r.has("ProcessId") || !r.has("ProcessPass") {
		c.add("K01")
		return "", "", false
	}
	id, pass = r.get("ProcessId"), r.get("ProcessPass")
	if !ascii.IsAlnum(id) || len(id) > 32 {
		c.add("K10")
	}
	if !ascii.IsAlnum(pass) || len(pass) > 32 {
		c.add("K11")
	}
	return id, pass, len(*c) == 0
}

// lookupProcess finds the process of a follow-up and checks the member
// fields against the original (K80/K81).
func (g *Gateway) lookupProcess(r *req, c *codeList) *process {
	if r.has("Token") {
		c.add("KIJ")
	}
	id, pass, ok := processKeys(r, c)
	if !ok {
		return nil
	}
	p, ok := g.procs.get(id, r.now) // forgotten after processRetention or beyond Limits.Processes
	if !ok || p.pass != pass {
		c.add("K12")
		return nil
	}
	sentMember := r.has("KaiinId")
	switch {
	case p.memberID == "" && sentMember:
		c.add("K81")
		return nil
	case p.memberID != "" && !sentMember:
		c.add("K80")
		return nil
	case sentMember && r.get("KaiinId") != p.memberID:
		c.add("K80")
		return nil
	}
	return p
}

func (g *Gateway) capture(r *req) (answer, []string) {
	var c codeList
	p := g.lookupProcess(r, &c)
	sales, salesOK := parseSalesDate(r, &c, true)
	if p == nil || !salesOK {
		return nil, c
	}
	if p.state != stateAuthorized {
		return nil, []string{"K14"}
	}
	p.state, p.salesDate = stateCaptured, sales
	a := answer{}
	g.followUpAnswer(&a, p, r)
	return a, nil
}

func (g *Gateway) change(r *req) (answer, []string) {
	var c codeList
	p := g.lookupProcess(r, &c)
	amount, amountOK := parseAmount(r.get("Amount"), &c, r.has("Amount"))
	if p == nil || !amountOK {
		return nil, c
	}
	if p.state == stateCancelled {
		return nil, []string{"K14"}
	}
	if amount == p.amount {
		return nil, []string{"K23"}
	}
	p.amount = amount
	a := answer{}
	g.followUpAnswer(&a, p, r)
	if p.salesDate != "" {
		a.set("SalesDate", p.salesDate)
	}
	return a, nil
}

func (g *Gateway) cancel(r *req) (answer, []string) {
	var c codeList
	p := g.lookupProcess(r, &c)
	if p == nil {
		return nil, c
	}
	if p.state == stateCancelled {
		return nil, []string{"K14"}
	}
	p.state = stateCancelled
	a := answer{}
	g.followUpAnswer(&a, p, r)
	return a, nil
}

func (g *Gateway) search(r *req) (answer, []string) {
	var c codeList
	p := g.lookupProcess(r, &c)
	if p == nil {
		return nil, c
	}
	a := answer{}
	g.followUpAnswer(&a, p, r)
	if p.amount > 0 {
		a.set("Amount", strconv.FormatInt(p.amount, 10))
	}
	if p.salesDate != "" {
		a.set("SalesDate", p.salesDate)
	}
	return a, nil
}

// reauth re-authorises a process (1ReAuth). SalesDate is required: missing
// or malformed or in the future, it is K39 (WooCommerce 1.1.15 fixed exactly
// that K39; Welcart and SPS's modules always send it). The new process keeps
// the original's mode: a re-authorised 1Auth is authorised only (1Capture
// records it later), a re-authorised 1Gathering is captured again on
// SalesDate (and 1Capture answers K14 for it).
func (g *Gateway) reauth(r *req) (answer, []string) {
	var c codeList
	old := g.lookupProcess(r, &c)
	amount, amountOK := parseAmount(r.get("Amount"), &c, r.has("Amount"))
	sales, salesOK := parseSalesDate(r, &c, false)
	if salesOK && sales == "" {
		c.add("K39")
		salesOK = false
	}
	if old == nil || !amountOK || !salesOK {
		return nil, c
	}
	if code, bad := cardOutcomes[old.card.number]; bad {
		return nil, []string{code}
	}
	pt := old.payType
	if pt == "" {
		pt = string(escott.LumpSum)
	}
	mode := old.mode
	if mode != stateCaptured {
		mode = stateAuthorized
	}
	p := g.newProcess(old.card, old.memberID, amount, pt, mode, r.now)
	if mode == stateCaptured {
		p.salesDate = sales
	}
	a := answer{}
	g.describe(&a, p, r)
	a.set("ApproveNo", randomDigits(7))
	return a, nil
}

func (g *Gateway) followUpAnswer(a *answer, p *process, r *req) {
	a.set("TransactionId", randomDigits(18))
	a.set("TransactionDate", jst.Date(r.now))
	a.set("ProcessId", p.id)
	a.set("ProcessPass", p.pass)
	a.set("CompanyCd", companyCodes[p.card.brand()])
}

// parseAmount checks Amount: digits, at most 7, not 0 (K23).
func parseAmount(s string, c *codeList, present bool) (int64, bool) {
	if !present {
		c.add("K01")
		return 0, false
	}
	if !ascii.IsDigits(s) || len(s) > 7 {
		c.add("K23")
		return 0, false
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	if n == 0 {
		c.add("K23")
		return 0, false
	}
	return n, true
}

// parseSalesDate checks SalesDate: a JST date not in the future (K39).
func parseSalesDate(r *req, c *codeList, required bool) (string, bool) {
	s := r.get("SalesDate")
	if s == "" {
		if required {
			c.add("K01")
			return "", false
		}
		return "", true
	}
	d, err := jst.ParseDate(s)
	if err != nil || d.After(jst.Today(r.now)) {
		c.add("K39")
		return "", false
	}
	return s, true
}

func validPayType(pt string) bool {
	return len(pt) == 2 && ascii.IsDigits(pt) && pt != "00"
}
