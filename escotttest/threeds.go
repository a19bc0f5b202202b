package escotttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/envelope"
	"github.com/escott-go/escott/internal/jst"
)

// 3-D Secure test cards (Luhn-valid, VISA-like). Each makes OTDS010 answer
// one SecureResultCode. The ordinary success cards (CardVisa …) and the
// failure cards of the authorisation authenticate frictionless (0). A 3Secure
// (mode B) result with code 2, 3 or 4 comes with ResponseCd U01, U02 or U15,
// as at the real gateway; the payment may go on (docs/protocol.md §7.4).
const (
	CardThreeDSFrictionless = "4000000000003105" // SecureResultCode 0 without a challenge
	CardThreeDSChallenge    = "4000000000003204" // challenge page: right code 0, wrong code 1
	CardThreeDSFailed       = "4000000000003303" // SecureResultCode 1, authentication failed
	CardThreeDSNotEnrolled  = "4000000000003402" // SecureResultCode 2, not enrolled
	CardThreeDSAttempt      = "4000000000003501" // SecureResultCode 4, attempt
	CardThreeDSMaintenance  = "4000000000003600" // SecureResultCode 8, maintenance
	// CardThreeDSIssuerNotParticipating: SecureResultCode 3, issuer not participating.
	CardThreeDSIssuerNotParticipating = "4000000000003709"
)

// threeDSOutcomes maps the non-challenge 3-D Secure cards to their result.
var threeDSOutcomes = map[string]string{
	CardThreeDSFailed:                 "1",
	CardThreeDSNotEnrolled:            "2",
	CardThreeDSIssuerNotParticipating: "3",
	CardThreeDSAttempt:                "4",
	CardThreeDSMaintenance:            "8",
}

const (
	pathThreeDS   = "/online/tds/OTDS010.do"
	pathChallenge = "/online/tds/escotttest-challenge" // the fake's challenge page
)

// DefaultPostURLTimeout is how long the fake waits for the shop's answer to
// one server-to-server PostUrl copy when Config.PostURLTimeout is zero. SPS's
// own PostUrl receivers sleep 10 s before answering, so the gateway evidently
// waits longer than that (docs/protocol.md §7.3).
const DefaultPostURLTimeout = 30 * time.Second

// postURLTimeout is the configured wait for one PostUrl delivery.
func (g *Gateway) postURLTimeout() time.Duration {
	if g.cfg.PostURLTimeout > 0 {
		return g.cfg.PostURLTimeout
	}
	return DefaultPostURLTimeout
}

// threeDSFields are the 3-D Secure result fields with the code the
// authorisation answers when one differs from what OTDS010 issued.
//
// This value comparison is the fake's own rule, to catch an integration that
// loses or mixes up the 3-D Secure values between authentication and
// authorisation. At the real gateway K30–K37 are format checks of these
// fields (docs/protocol.md §7.4); it is not documented to compare them with
// the issued values, so a test passing here proves the values are forwarded,
// not that the real gateway would refuse a mismatch with these codes.
var threeDSFields = []struct{ name, code string }{
	{"MessageVersionNo3D", "K30"},
	{"DSTransactionId", "K31"},
	{"ThreeDSServerTransactionId", "K31"},
	{"EncodeXId3D", "K32"},
	{"TransactionStatus3D", "K33"},
	{"SecureResultCode", "K33"},
	{"CAVVAlgorithm3D", "K34"},
	{"CAVV3D", "K35"},
	{"ECI3D", "K36"},
}

// ThreeDSMemory is how long the fake remembers a completed OTDS010 attempt
// (to answer K89 to its exact replay) and the 3-D Secure values it issued
// for the authorisation that follows.
const ThreeDSMemory = 24 * time.Hour

// MaxKeptThreeDS bounds the inspection lists of ThreeDSAttempts and
// PostURLDeliveries, as MaxKeptRequests bounds the request log.
const MaxKeptThreeDS = 10_000

// challengeLifetime is how long a challenge page stays answerable (the
// gateway's own 3-D Secure session ends after about 40 minutes, KHW).
const challengeLifetime = time.Hour

// MaxRememberedThreeDS bounds the memory of completed attempts and of issued
// 3-D Secure values: beyond it the oldest entries are forgotten early, so a
// replay older than the last MaxRememberedThreeDS attempts is no longer
// answered K89. Open challenges are capped at MaxKeptThreeDS.
const MaxRememberedThreeDS = 100_000

// tdsState holds 3-D Secure attempts. Guarded by g.mu, except the delivery
// context and wait group. Every map expires its entries (ThreeDSMemory) and
// every list is capped, so a long-running escott-sim stays flat.
type tdsState struct {
	cipher    *envelope.Cipher
	completed *expiring[struct{}]    // MerchantFree1+"\x00"+ProcNo of completed attempts
	sessions  *expiring[*tdsSession] // open challenges
	issued    *expiring[url.Values]  // by "T:"+token or "M:"+KaiinId
	attempts  []*ThreeDSAttemptInfo

	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closed     bool
	hold       bool
	held       []heldPost
	deliveries []PostURLDelivery
	hc         *http.Client
}

// tdsSession is one OTDS010 request waiting for its challenge.
type tdsSession struct {
	id   string
	code string
	f    url.Values
	cd   card
	info *ThreeDSAttemptInfo
	done bool
	link bool // a hosted card page (link type) session; code is "" until its challenge
}

// ThreeDSAttemptInfo describes an OTDS010 request the fake received.
type ThreeDSAttemptInfo struct {
	ProcNo           string
	OperateID        string // 3Secure, 1Auth, 1Gathering, 4MemAdd, 4MemChg
	LinkKey          string // MerchantFree1
	Challenge        bool   // a challenge page was shown
	Completed        bool   // the result was sent back
	ResponseCode     string // of the result
	SecureResultCode string // of the result
	ProcessID        string // mode A: the authorisation made
	PostURL          string
	Hosted           bool // a link-type request (SSNP005ReferStart.do), not OTDS010
}

// PostURLDelivery is one server-to-server copy POSTed to a PostUrl.
type PostURLDelivery struct {
	URL        string
	LinkKey    string
	StatusCode int    // 0 when no answer
	Err        string // transport error, if any
}

func (s *tdsState) init() {
	s.completed = newExpiring[struct{}](MaxRememberedThreeDS)
	s.sessions = newExpiring[*tdsSession](MaxKeptThreeDS)
	s.issued = newExpiring[url.Values](MaxRememberedThreeDS)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hc = &http.Client{} // each delivery is bounded by its context (postURLTimeout)
}

// routeBrowser adds the pages a shopper's browser visits.
func (g *Gateway) routeBrowser(mux *http.ServeMux) {
	if ci, err := envelope.New(g.cfg.AESKey, g.cfg.AESIV); err == nil {
		g.tds.cipher = ci
	}
	mux.HandleFunc(pathThreeDS, g.serveThreeDS)
	mux.HandleFunc(pathChallenge, g.serveChallenge)
	mux.HandleFunc(pathLink, g.serveLink)
	mux.HandleFunc(pathLinkPage, g.serveLinkPage)
}

// ThreeDSAttempts returns the OTDS010 requests received so far, oldest first.
func (g *Gateway) ThreeDSAttempts() []ThreeDSAttemptInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]ThreeDSAttemptInfo, len(g.tds.attempts))
	for i, a := range g.tds.attempts {
		out[i] = *a
	}
	return out
}

// PostURLDeliveries returns the PostUrl copies sent so far.
func (g *Gateway) PostURLDeliveries() []PostURLDelivery {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.tds.deliveries)
}

// HoldPostURL queues PostUrl copies instead of sending them, so a test can
// make the browser return arrive first. ReleasePostURL sends them.
func (g *Gateway) HoldPostURL() {
	g.mu.Lock()
	g.tds.hold = true
	g.mu.Unlock()
}

// ReleasePostURL sends the queued PostUrl copies and stops holding.
func (g *Gateway) ReleasePostURL() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tds.hold = false
	for _, p := range g.tds.held {
		g.launchPostLocked(p)
	}
	g.tds.held = nil
}

// WaitPostURL waits until the PostUrl copies sent so far have been answered
// (or timed out).
func (g *Gateway) WaitPostURL() { g.tds.wg.Wait() }

// stopThreeDS cancels PostUrl deliveries and waits for them (Server.Close).
func (g *Gateway) stopThreeDS() {
	g.mu.Lock()
	g.tds.closed = true
	g.tds.held = nil
	g.mu.Unlock()
	g.tds.cancel()
	g.tds.wg.Wait()
}

// errorPage answers an HTML error page, as the real OTDS010 does when it
// cannot even return to the merchant.
func errorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = pageTemplate.ExecuteTemplate(w, "error", msg)
}

var pageTemplate = template.Must(template.New("pages").Parse(`
{{define "error"}}<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head>
<body><h1>3-D Secure error</h1><p>{{.}}</p></body></html>{{end}}
{{define "post"}}<!DOCTYPE html><html><head><meta charset="utf-8"><title>3-D Secure</title></head>
<body><form id="ret" method="post" action="{{.Action}}">
<input type="hidden" name="EncryptValue" value="{{.EncryptValue}}">
<noscript><button type="submit">Return to the shop</button></noscript></form>
<script>document.getElementById("ret").submit();</script></body></html>{{end}}
{{define "challenge"}}<!DOCTYPE html><html><head><meta charset="utf-8"><title>escotttest 3-D Secure challenge</title></head>
<body><h1>Card issuer authentication (test)</h1>
<p>Your one-time code is <strong id="otp">{{.Code}}</strong></p>
<form id="challenge" method="post" action="{{.Action}}">
<input type="hidden" name="session" value="{{.Session}}">
<label>Code <input type="text" name="code" autocomplete="one-time-code"></label>
<button type="submit">Authenticate</button></form></body></html>{{end}}
`))

// tdsOps lists the operations OTDS010 accepts; checkCommon only needs the keys.
var tdsOps = map[string]opFunc{"3Secure": nil, "1Auth": nil, "1Gathering": nil, "4MemAdd": nil, "4MemChg": nil}

// serveThreeDS is OTDS010: decrypt, validate, then challenge or answer.
func (g *Gateway) serveThreeDS(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := g.openRequest(w, hr)
	if !ok {
		return
	}

	g.mu.Lock()
	now := g.nowLocked()
	op := f.Get("OperateId")
	g.recordLocked(pathThreeDS, op, f.Encode(), now)
	info := &ThreeDSAttemptInfo{ProcNo: f.Get("ProcNo"), OperateID: op, LinkKey: f.Get("MerchantFree1"), PostURL: f.Get("PostUrl")}
	g.tds.attempts = capped(g.tds.attempts, info)
	r := &req{f: f, now: now, op: op}
	cd, codes := g.checkThreeDSLocked(r)
	if len(codes) > 0 {
		out := g.finishLocked(r, info, nil, codes)
		g.mu.Unlock()
		g.sendBack(w, f, out, info)
		return
	}
	if cd.number == CardThreeDSChallenge {
		s := &tdsSession{id: randomAlnum(24), code: randomDigits(6), f: f, cd: cd, info: info}
		g.tds.sessions.put(s.id, s, now.Add(challengeLifetime), now)
		info.Challenge = true
		g.mu.Unlock()
		g.challengePage(w, s)
		return
	}
	src := "0"
	if v, ok := threeDSOutcomes[cd.number]; ok {
		src = v
	}
	out := g.finishLocked(r, info, &src, nil)
	g.mu.Unlock()
	g.sendBack(w, f, out, info)
}

// openRequest reads and decrypts a browser request to OTDS010 or the hosted
// page (MerchantId and EncryptValue, from the form or the query). A request
// that cannot be returned to the merchant gets an error page and false.
func (g *Gateway) openRequest(w http.ResponseWriter, hr *http.Request) (url.Values, bool) {
	hr.Body = http.MaxBytesReader(w, hr.Body, 64<<10)
	if err := hr.ParseForm(); err != nil || len(hr.URL.RawQuery) > 64<<10 {
		errorPage(w, "The request could not be read.")
		return nil, false
	}
	if g.tds.cipher == nil {
		errorPage(w, "3-D Secure and the link type are not configured (no AES key).")
		return nil, false
	}
	mid := hr.Form.Get("MerchantId")
	if mid != g.cfg.MerchantID {
		errorPage(w, "Unknown merchant.")
		return nil, false
	}
	f, err := g.tds.cipher.Decrypt(hr.Form.Get("EncryptValue"))
	if err != nil {
		errorPage(w, "The encrypted request could not be decrypted (check the AES key and IV).")
		return nil, false
	}
	if !f.Has("MerchantId") {
		// Production clients put it inside the envelope as well; one that
		// differs from the outer one is refused by the common checks (K02).
		f.Set("MerchantId", mid)
	}
	if !validReturnURL(f.Get("RedirectUrl")) {
		errorPage(w, "RedirectUrl is missing or invalid.")
		return nil, false
	}
	return f, true
}

// checkThreeDSLocked validates an OTDS010 request and finds its card.
func (g *Gateway) checkThreeDSLocked(r *req) (card, []string) {
	c := codeList(g.checkCommon(r, tdsOps))
	if len(c) > 0 {
		return card{}, c
	}
	proc := r.get("ProcNo")
	switch {
	case len(proc) != 7 || !ascii.IsDigits(proc):
		c.add("K86")
	case g.replayLocked(r):
		// Only an exact replay: SPS's own modules send 0000000 on every
		// order (docs/protocol.md §7.2).
		c.add("K89")
	}
	memberOp := r.op == "4MemAdd" || r.op == "4MemChg"
	if !memberOp {
		parseAmount(r.get("Amount"), &c, r.has("Amount"))
	}
	if r.op == "1Auth" || r.op == "1Gathering" {
		if !validPayType(r.get("PayType")) {
			c.add("K22")
		}
		if p := r.get("PostUrl"); p != "" && !validReturnURL(p) {
			c.add("K87")
		}
	}
	if memberOp {
		if id := r.get("KaiinId"); !ascii.IsAlnum(id) || len(id) > 20 {
			c.add("K45")
		}
		if p := r.get("KaiinPass"); !ascii.IsAlnum(p) || len(p) > 20 {
			c.add("K46")
		}
		if !r.has("Token") {
			c.add("K01")
		}
	}
	if len(c) > 0 {
		return card{}, c
	}
	hasToken, hasMember := r.has("Token"), r.has("KaiinId") || r.has("KaiinPass")
	switch {
	case hasToken && (hasMember && !memberOp):
		c.add("KIL")
	case hasToken:
		// 3Secure does not consume the token (docs/protocol.md §5).
		if tk, ok := g.lookupToken(r.get("Token"), r.now, &c); ok {
			return tk.card, nil
		}
	case hasMember:
		if cd, ok := g.memberCardLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, &c); ok {
			return cd, nil
		}
	default:
		c.add("K01")
	}
	return card{}, c
}

// finishLocked completes an attempt with SecureResultCode src (nil when the
// request was refused with codes) and returns the result fields.
func (g *Gateway) finishLocked(r *req, info *ThreeDSAttemptInfo, src *string, codes []string) url.Values {
	out := url.Values{}
	for _, k := range []string{"OperateId", "MerchantFree1", "MerchantFree2", "MerchantFree3"} {
		if v := r.get(k); v != "" {
			out.Set(k, v)
		}
	}
	out.Set("TransactionDate", jst.Date(r.now))
	if p := r.get("ProcNo"); p != "" {
		out.Set("ProcNo", p)
	}
	if src != nil {
		tds := issueThreeDS(*src)
		for k, v := range tds {
			out[k] = v
		}
		exp := r.now.Add(ThreeDSMemory)
		switch {
		case r.has("Token") && r.op != "4MemAdd" && r.op != "4MemChg":
			g.tds.issued.put("T:"+r.get("Token"), tds, exp, r.now)
		case r.has("KaiinId") && r.op != "4MemAdd" && r.op != "4MemChg":
			g.tds.issued.put("M:"+r.get("KaiinId"), tds, exp, r.now)
		}
		codes = g.operateLocked(r, *src, tds, out, info)
	}
	rc := "OK"
	if len(codes) > 0 {
		rc = strings.Join(codes, "|")
	}
	out.Set("ResponseCd", rc)
	if !out.Has("TransactionId") {
		out.Set("TransactionId", randomDigits(18))
	}
	if mf, p := r.get("MerchantFree1"), r.get("ProcNo"); p != "" && !slices.Contains(codes, "K89") {
		g.tds.completed.put(mf+"\x00"+p, struct{}{}, r.now.Add(ThreeDSMemory), r.now)
	}
	info.Completed, info.ResponseCode, info.SecureResultCode = true, rc, out.Get("SecureResultCode")
	return out
}

// operateLocked runs what the envelope asked after authentication: nothing
// for 3Secure, the authorisation in mode A, the member operation for
// 4MemAdd/4MemChg. It returns the answer codes.
func (g *Gateway) operateLocked(r *req, src string, tds url.Values, out url.Values, info *ThreeDSAttemptInfo) []string {
	if r.op == "3Secure" {
		// Mode B: the result is decided on SecureResultCode; 2, 3 and 4 come
		// with these codes (docs/protocol.md §7.4).
		if u, ok := map[string]string{"2": "U01", "3": "U02", "4": "U15"}[src]; ok {
			return []string{u}
		}
		return nil
	}
	if src == "1" || src == "8" || src == "9" {
		if src == "1" {
			return []string{"U04"} // authentication NG
		}
		return []string{"U14"} // maintenance
	}
	switch r.op {
	case "1Auth", "1Gathering":
		f := url.Values{}
		for k, v := range r.f {
			f[k] = v
		}
		for k, v := range tds {
			f[k] = v
		}
		st := stateCaptured
		if r.op == "1Auth" {
			st = stateAuthorized
		}
		a, codes := g.authorize(&req{f: f, now: r.now, op: r.op}, st)
		for _, p := range a {
			out.Set(p.k, p.v)
		}
		info.ProcessID = out.Get("ProcessId")
		return codes
	case "4MemAdd", "4MemChg":
		var c codeList
		tk, ok := g.lookupToken(r.get("Token"), r.now, &c)
		if !ok {
			return c
		}
		var codes []string
		if r.op == "4MemAdd" {
			codes = g.addMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), tk.card, r.now)
		} else {
			codes = g.changeMemberCardLocked(r.get("KaiinId"), r.get("KaiinPass"), tk.card, r.now)
		}
		if len(codes) == 0 {
			tk.used = true
			out.Set("CompanyCd", companyCodes[tk.card.brand()])
		}
		return codes
	}
	return nil
}

// issueThreeDS makes the 3-D Secure fields of a result. CAVV3D and
// EncodeXId3D start with "+/" and end with "=", so the '+'/space rules of the
// envelope are exercised on every return.
func issueThreeDS(src string) url.Values {
	v := url.Values{}
	v.Set("SecureResultCode", src)
	v.Set("MessageVersionNo3D", "2.2.0")
	v.Set("DSTransactionId", uuid())
	v.Set("ThreeDSServerTransactionId", uuid())
	v.Set("EncodeXId3D", base64Value())
	status, eci := "N", "07"
	switch src {
	case "0":
		status, eci = "Y", "05"
	case "4":
		status, eci = "A", "06"
	case "2", "8":
		status = "U"
	}
	v.Set("TransactionStatus3D", status)
	v.Set("ECI3D", eci)
	if src == "0" || src == "4" {
		v.Set("CAVVAlgorithm3D", "2")
		v.Set("CAVV3D", base64Value())
	}
	return v
}

func base64Value() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	b[0], b[1] = 0xfb, 0xff // "+/" at the start
	return base64.StdEncoding.EncodeToString(b)
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// sendBack renders the auto-POST page to RedirectUrl and, in mode A, sends
// the PostUrl copy.
func (g *Gateway) sendBack(w http.ResponseWriter, req url.Values, out url.Values, info *ThreeDSAttemptInfo) {
	ev := g.tds.cipher.Encrypt(out)
	if p := req.Get("PostUrl"); p != "" && (info.OperateID == "1Auth" || info.OperateID == "1Gathering") {
		g.schedulePost(p, info.LinkKey, ev)
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTemplate.ExecuteTemplate(w, "post", map[string]string{"Action": req.Get("RedirectUrl"), "EncryptValue": ev})
}

// schedulePost sends the server-to-server copy in the background (or queues
// it while held). Deliveries stop when the server closes.
func (g *Gateway) schedulePost(target, linkKey, ev string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := heldPost{target: target, linkKey: linkKey, ev: ev}
	if g.tds.hold {
		g.tds.held = append(g.tds.held, d)
		return
	}
	g.launchPostLocked(d)
}

// heldPost is a PostUrl copy not yet sent.
type heldPost struct{ target, linkKey, ev string }

// launchPostLocked starts one delivery. The wait group is incremented under
// g.mu, never after stopThreeDS has begun waiting.
func (g *Gateway) launchPostLocked(p heldPost) {
	if g.tds.closed {
		return
	}
	g.tds.wg.Add(1)
	go func() {
		defer g.tds.wg.Done()
		d := PostURLDelivery{URL: p.target, LinkKey: p.linkKey}
		ctx, cancel := context.WithTimeout(g.tds.ctx, g.postURLTimeout())
		defer cancel()
		body := url.Values{"EncryptValue": {p.ev}}.Encode()
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, strings.NewReader(body))
		if err == nil {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			var res *http.Response
			res, err = g.tds.hc.Do(hr)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
				_ = res.Body.Close()
				d.StatusCode = res.StatusCode
			}
		}
		if err != nil {
			d.Err = err.Error()
		}
		g.mu.Lock()
		g.tds.deliveries = capped(g.tds.deliveries, d)
		g.mu.Unlock()
	}()
}

func (g *Gateway) challengePage(w http.ResponseWriter, s *tdsSession) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	var b bytes.Buffer
	_ = pageTemplate.ExecuteTemplate(&b, "challenge", map[string]string{"Code": s.code, "Action": pathChallenge, "Session": s.id})
	_, _ = w.Write(b.Bytes())
}

// serveChallenge shows the challenge page again (GET ?session=) or checks
// the typed code (POST) and returns the result to the merchant.
func (g *Gateway) serveChallenge(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, 4<<10)
	if err := hr.ParseForm(); err != nil {
		errorPage(w, "The request could not be read.")
		return
	}
	g.mu.Lock()
	s, ok := g.tds.sessions.get(hr.Form.Get("session"), g.nowLocked())
	if !ok || s.done || s.code == "" {
		g.mu.Unlock()
		errorPage(w, "The authentication session is unknown or over.")
		return
	}
	if hr.Method != http.MethodPost {
		g.mu.Unlock()
		g.challengePage(w, s)
		return
	}
	s.done = true
	g.tds.sessions.del(s.id)
	src := "1"
	if hr.PostForm.Get("code") == s.code {
		src = "0"
	}
	r := &req{f: s.f, now: g.nowLocked(), op: s.f.Get("OperateId")}
	out := g.finishLocked(r, s.info, &src, nil)
	if s.link {
		linkResult(s.f, out)
	}
	g.mu.Unlock()
	g.sendBack(w, s.f, out, s.info)
}

func validReturnURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(s) <= 256
}

// checkThreeDSFieldsLocked checks the 3-D Secure fields of an authorisation
// against what OTDS010 issued for the same token or member: each field that
// differs gives its code (K30–K36). The comparison is the fake's own check
// (see threeDSFields); the real gateway's K30–K37 are format checks. It
// reports whether 3-D Secure data was sent at all.
func (g *Gateway) checkThreeDSFieldsLocked(r *req) (bool, []string) {
	sent := false
	for _, fd := range threeDSFields {
		if r.has(fd.name) {
			sent = true
		}
	}
	if !sent {
		return false, nil
	}
	var iss url.Values
	switch {
	case r.has("Token"):
		iss, _ = g.tds.issued.get("T:"+r.get("Token"), r.now)
	case r.has("KaiinId"):
		iss, _ = g.tds.issued.get("M:"+r.get("KaiinId"), r.now)
	}
	var c codeList
	for _, fd := range threeDSFields {
		if r.get(fd.name) != iss.Get(fd.name) {
			c.add(fd.code)
		}
	}
	return true, c
}

// replayLocked reports whether r repeats an attempt already completed: the
// same MerchantFree1 and ProcNo.
func (g *Gateway) replayLocked(r *req) bool {
	_, ok := g.tds.completed.get(r.get("MerchantFree1")+"\x00"+r.get("ProcNo"), r.now)
	return ok
}

// capped appends v, dropping the oldest tenth once MaxKeptThreeDS is reached.
func capped[T any](list []T, v T) []T {
	if len(list) >= MaxKeptThreeDS {
		list = append(list[:0], list[MaxKeptThreeDS/10:]...)
	}
	return append(list, v)
}
