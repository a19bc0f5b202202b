package escotttest

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
)

// The link type (外部リンク型, docs/protocol.md §10a): the shop redirects the
// shopper to SSNP005ReferStart.do with MerchantId and an encrypted request;
// the fake shows its own card page (card form, the stored card of a member,
// a cancel button), runs 3-D Secure as OTDS010 does (the challenge card gets
// the same challenge page) and sends the encrypted result back to
// RedirectUrl, with MerchantId inside the envelope and, for a registration,
// KaiinId and KaiinPass, as the production clients parse it.
const (
	pathLink     = "/euser/snp/SSNP005ReferStart.do"
	pathLinkPage = "/euser/snp/escotttest-link" // the fake's card form posts here
)

// LinkCancelCode is the ResponseCd the fake's cancel button returns: P51,
// one of the codes production clients treat as "the shopper cancelled".
const LinkCancelCode = "P51"

// linkOps are the operations the hosted page accepts.
var linkOps = map[string]opFunc{"1Auth": nil, "1Gathering": nil, "4MemAdd": nil, "4MemChg": nil}

var linkTemplate = template.Must(template.New("link").Parse(`<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>escotttest card payment</title>
<style>body{font-family:sans-serif;max-width:28em;margin:2em auto}label{display:block;margin:.5em 0}</style></head>
<body><h1>{{if .Member}}カード登録 / Register your card{{else}}カード決済 / Card payment{{end}}</h1>
{{if .Amount}}<p>金額 / Amount: <strong id="amount">{{.Amount}}</strong> 円</p>{{end}}
{{if .Error}}<p id="error" style="color:#b00">{{.Error}}</p>{{end}}
<form id="card" method="post" action="{{.Action}}">
<input type="hidden" name="session" value="{{.Session}}">
{{if .Stored}}<p><label><input type="radio" name="use" value="stored" id="use-stored" checked> 登録済みカード / Stored card <span id="stored">{{.Stored}}</span></label>
<label><input type="radio" name="use" value="new" id="use-new"> 別のカード / Another card</label></p>{{end}}
<label>カード番号 / Card number <input type="text" name="cardNo" id="cardNo" inputmode="numeric" autocomplete="cc-number"></label>
<label>有効期限 / Expiry <input type="text" name="expMM" id="expMM" size="2" placeholder="MM"> / <input type="text" name="expYY" id="expYY" size="2" placeholder="YY"></label>
<label>セキュリティコード / Security code <input type="text" name="secCd" id="secCd" size="4"></label>
<button type="submit" name="action" value="pay" id="pay">{{if .Member}}登録 / Register{{else}}支払う / Pay{{end}}</button>
<button type="submit" name="action" value="cancel" id="cancel">キャンセル / Cancel</button>
</form></body></html>
`))

// serveLink is SSNP005ReferStart.do: decrypt, validate, show the card page.
// A request it cannot even return to the merchant gets an error page; a
// decrypted request with wrong fields is returned to RedirectUrl with the
// codes, as OTDS010 does.
func (g *Gateway) serveLink(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodGet && hr.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := g.openRequest(w, hr)
	if !ok {
		return
	}
	f.Del("PostUrl") // the hosted page has no server-to-server copy
	g.mu.Lock()
	now := g.nowLocked()
	op := f.Get("OperateId")
	g.recordLocked(pathLink, op, f.Encode(), now)
	info := &ThreeDSAttemptInfo{ProcNo: f.Get("ProcNo"), OperateID: op, LinkKey: f.Get("MerchantFree1"), Hosted: true}
	g.tds.attempts = capped(g.tds.attempts, info)
	r := &req{f: f, now: now, op: op}
	if codes := g.checkLinkLocked(r); len(codes) > 0 {
		out := g.finishLocked(r, info, nil, codes)
		linkResult(f, out)
		g.mu.Unlock()
		g.sendBack(w, f, out, info)
		return
	}
	s := &tdsSession{id: randomAlnum(24), f: f, info: info, link: true}
	g.tds.sessions.put(s.id, s, now.Add(challengeLifetime), now)
	page := g.linkPageLocked(s, now, "")
	g.mu.Unlock()
	writeHTML(w, page)
}

// checkLinkLocked validates a hosted-page request as OTDS010's checks do,
// without a card source (the shopper enters the card on the page).
func (g *Gateway) checkLinkLocked(r *req) []string {
	c := codeList(g.checkCommon(r, linkOps))
	if len(c) > 0 {
		return c
	}
	proc := r.get("ProcNo")
	switch {
	case len(proc) != 7 || !ascii.IsDigits(proc):
		c.add("K86")
	case g.replayLocked(r):
		c.add("K89")
	}
	memberOp := r.op == "4MemAdd" || r.op == "4MemChg"
	if !memberOp {
		parseAmount(r.get("Amount"), &c, r.has("Amount"))
		if !validPayType(r.get("PayType")) {
			c.add("K22")
		}
	}
	if memberOp || r.has("KaiinId") || r.has("KaiinPass") {
		if id := r.get("KaiinId"); id == "" || !ascii.IsAlnum(id) || len(id) > 20 {
			c.add("K45")
		}
		if p := r.get("KaiinPass"); p == "" || !ascii.IsAlnum(p) || len(p) > 20 {
			c.add("K46")
		}
	}
	if r.has("Token") {
		c.add("KIJ") // the hosted page takes the card itself
	}
	return c
}

// linkPageLocked renders the card page of session s.
func (g *Gateway) linkPageLocked(s *tdsSession, now time.Time, msg string) []byte {
	f := s.f
	data := map[string]any{
		"Action": pathLinkPage, "Session": s.id, "Error": msg,
		"Member": f.Get("OperateId") == "4MemAdd" || f.Get("OperateId") == "4MemChg",
	}
	if !data["Member"].(bool) {
		data["Amount"] = f.Get("Amount")
		if f.Get("KaiinId") != "" {
			var c codeList
			if cd, ok := g.memberCardLocked(f.Get("KaiinId"), f.Get("KaiinPass"), now, &c); ok {
				data["Stored"] = cd.masked()
			}
		}
	}
	var b bytes.Buffer
	_ = linkTemplate.Execute(&b, data)
	return b.Bytes()
}

// serveLinkPage takes the card page's form: cancel, pay with the stored
// card, or pay (register) with the card typed in.
func (g *Gateway) serveLinkPage(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, 4<<10)
	if hr.Method != http.MethodPost || hr.ParseForm() != nil {
		errorPage(w, "The request could not be read.")
		return
	}
	pf := hr.PostForm
	g.mu.Lock()
	now := g.nowLocked()
	s, ok := g.tds.sessions.get(pf.Get("session"), now)
	if !ok || s.done || !s.link || s.code != "" {
		g.mu.Unlock()
		errorPage(w, "The payment session is unknown or over.")
		return
	}
	op := s.f.Get("OperateId")
	finish := func(f url.Values, src *string, codes []string) {
		s.done = true
		g.tds.sessions.del(s.id)
		out := g.finishLocked(&req{f: f, now: now, op: op}, s.info, src, codes)
		linkResult(f, out)
		g.mu.Unlock()
		g.sendBack(w, f, out, s.info)
	}
	if pf.Get("action") == "cancel" {
		finish(s.f, nil, []string{LinkCancelCode})
		return
	}
	f := url.Values{}
	for k, v := range s.f {
		f[k] = v
	}
	var cd card
	memberOp := op == "4MemAdd" || op == "4MemChg"
	if pf.Get("use") == "stored" && !memberOp && f.Get("KaiinId") != "" {
		var c codeList
		stored, ok := g.memberCardLocked(f.Get("KaiinId"), f.Get("KaiinPass"), now, &c)
		if !ok {
			finish(s.f, nil, c)
			return
		}
		cd = stored
	} else {
		cd = card{number: strings.TrimSpace(pf.Get("cardNo")), expYY: pf.Get("expYY"), expMM: pf.Get("expMM"), secCd: pf.Get("secCd")}
		if err := validCard(cd, now); err != nil {
			// The page's own field check: the shopper stays on the page.
			page := g.linkPageLocked(s, now, "カード情報を確認してください / Check the card details ("+err.Error()+")")
			g.mu.Unlock()
			writeHTML(w, page)
			return
		}
		t := g.newTokenLocked()
		g.tokens.put(t, &token{card: cd, created: now}, now.Add(TokenLifetime), now)
		f.Set("Token", t)
		if !memberOp {
			f.Del("KaiinId") // a new card pays as itself, not as the member
			f.Del("KaiinPass")
		}
	}
	if cd.number == CardThreeDSChallenge {
		ch := &tdsSession{id: randomAlnum(24), code: randomDigits(6), f: f, cd: cd, info: s.info, link: true}
		s.done = true
		g.tds.sessions.del(s.id)
		g.tds.sessions.put(ch.id, ch, now.Add(challengeLifetime), now)
		s.info.Challenge = true
		g.mu.Unlock()
		g.challengePage(w, ch)
		return
	}
	src := "0"
	if v, ok := threeDSOutcomes[cd.number]; ok {
		src = v
	}
	finish(f, &src, nil)
}

// linkResult completes a hosted page's result as the production clients
// parse it: MerchantId inside the envelope, and the member of a
// registration. The request's Token (minted from the typed card) is not
// echoed.
func linkResult(f, out url.Values) {
	out.Set("MerchantId", f.Get("MerchantId"))
	if op := f.Get("OperateId"); op == "4MemAdd" || op == "4MemChg" {
		out.Set("KaiinId", f.Get("KaiinId"))
		out.Set("KaiinPass", f.Get("KaiinPass"))
	}
}

func writeHTML(w http.ResponseWriter, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

// LinkAttempts returns the hosted-page requests received so far, oldest
// first (the link-type entries of ThreeDSAttempts).
func (g *Gateway) LinkAttempts() []ThreeDSAttemptInfo {
	var out []ThreeDSAttemptInfo
	for _, a := range g.ThreeDSAttempts() {
		if a.Hosted {
			out = append(out, a)
		}
	}
	return out
}

// LinkShopper is what the shopper does on the hosted card page, for
// Server.PayLink.
type LinkShopper struct {
	// Card is the card number typed in (a test card); ignored with Cancel or
	// UseStoredCard. ExpYY/ExpMM default to December two years ahead,
	// SecurityCode to 123.
	Card, ExpYY, ExpMM, SecurityCode string
	// UseStoredCard pays with the member's stored card the page offers.
	UseStoredCard bool
	// Cancel presses the cancel button.
	Cancel bool
	// Answer answers a 3-D Secure challenge (nil: the right code).
	Answer func(code string) string
}

// PayLink plays the shopper's browser on the hosted card page without a
// browser: it follows the redirect, fills in the page as shopper says,
// answers a challenge, and returns what the last page POSTs back to the
// shop (deliver it with ThreeDSReturn.Request to LinkService.HandleReturn).
func (s *Server) PayLink(ctx context.Context, redirect *escott.LinkRedirect, shopper LinkShopper) (*ThreeDSReturn, error) {
	hc := s.HTTPClient()
	do := func(method, target string, fields url.Values) (*htmlForm, string, error) {
		var body io.Reader
		if fields != nil {
			body = strings.NewReader(fields.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, "", err
		}
		if fields != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := hc.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return nil, "", err
		}
		if res.StatusCode != http.StatusOK {
			return nil, "", fmt.Errorf("%w: HTTP %d from %s", ErrThreeDSPage, res.StatusCode, target)
		}
		return parseHTMLForm(s.URL, string(b)), string(b), nil
	}
	p, _, err := do(http.MethodGet, redirect.URL(), nil)
	if err != nil {
		return nil, err
	}
	if p.fields.Get("session") == "" {
		return returnOf(p, false)
	}
	fields := url.Values{"session": {p.fields.Get("session")}, "action": {"pay"}}
	switch {
	case shopper.Cancel:
		fields.Set("action", "cancel")
	case shopper.UseStoredCard:
		fields.Set("use", "stored")
	default:
		fields.Set("use", "new")
		fields.Set("cardNo", shopper.Card)
		fields.Set("expYY", shopper.ExpYY)
		fields.Set("expMM", shopper.ExpMM)
		if shopper.ExpYY == "" && shopper.ExpMM == "" {
			fields.Set("expYY", fmt.Sprintf("%02d", (s.Gateway.Now().Year()+2)%100))
			fields.Set("expMM", "12")
		}
		fields.Set("secCd", shopper.SecurityCode)
		if shopper.SecurityCode == "" {
			fields.Set("secCd", "123")
		}
	}
	p, body, err := do(http.MethodPost, p.action, fields)
	if err != nil {
		return nil, err
	}
	if strings.Contains(body, `id="error"`) {
		return nil, fmt.Errorf("%w: the card page refused the card details", ErrThreeDSPage)
	}
	challenged := false
	if p.otp != "" {
		code := p.otp
		if shopper.Answer != nil {
			code = shopper.Answer(p.otp)
		}
		challenged = true
		if p, _, err = do(http.MethodPost, p.action, url.Values{"session": {p.fields.Get("session")}, "code": {code}}); err != nil {
			return nil, err
		}
	}
	return returnOf(p, challenged)
}

func returnOf(p *htmlForm, challenged bool) (*ThreeDSReturn, error) {
	if p.fields.Get("EncryptValue") == "" || p.action == "" {
		return nil, fmt.Errorf("%w: no return form", ErrThreeDSPage)
	}
	return &ThreeDSReturn{URL: p.action, Fields: url.Values{"EncryptValue": {p.fields.Get("EncryptValue")}},
		Challenged: challenged}, nil
}
