package escotttest

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
)

// TokenLifetime is how long a token stays usable (docs/protocol.md §5).
const TokenLifetime = 30 * time.Minute

// token is a card token minted by the token script.
type token struct {
	card    card
	created time.Time
	used    bool
}

// ErrBadCard is returned by MintToken for card data the token script refuses.
var ErrBadCard = errors.New("escotttest: card data refused by the token script")

// MintToken makes a token as the token script would in a browser, for tests
// that do not run a browser. expiry is "MMYY"-free: pass the two-digit year
// and month; "" for both uses a date two years ahead. secCd may be "".
func (g *Gateway) MintToken(number, expYY, expMM, secCd string) (escott.CardToken, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.nowLocked()
	if expYY == "" && expMM == "" {
		expYY = fmt.Sprintf("%02d", (now.In(jst.Zone).Year()+2)%100)
		expMM = "12"
	}
	cd := card{number: number, expYY: expYY, expMM: expMM, secCd: secCd}
	if err := validCard(cd, now); err != nil {
		return "", err
	}
	t := g.newTokenLocked()
	g.tokens.put(t, &token{card: cd, created: now}, now.Add(TokenLifetime), now)
	return escott.CardToken(t), nil
}

// newTokenLocked makes a token of 48 letters and digits: 36 random, then 12
// of a MAC under the gateway's key, so that the gateway recognises its own
// tokens after it forgot them (see issuedToken).
func (g *Gateway) newTokenLocked() string {
	t := randomAlnum(tokenRandomLen)
	return t + g.tokenMAC(t)
}

const tokenRandomLen = 36

func (g *Gateway) tokenMAC(s string) string {
	h := hmac.New(sha256.New, g.tokenKey)
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// issuedToken reports whether t is a token this gateway minted.
func (g *Gateway) issuedToken(t string) bool {
	return len(t) == tokenRandomLen+12 && hmac.Equal([]byte(t[tokenRandomLen:]), []byte(g.tokenMAC(t[:tokenRandomLen])))
}

// MustToken is MintToken for a test card with a future expiry and the
// security code 123; it panics on error.
func (g *Gateway) MustToken(number string) escott.CardToken {
	t, err := g.MintToken(number, "", "", "123")
	if err != nil {
		panic(err)
	}
	return t
}

// validCard checks what the token script checks: a Luhn-valid number of 14 to
// 16 digits, a two-digit month and year not in the past, and a 3–4 digit
// security code when given.
func validCard(cd card, now time.Time) error {
	if len(cd.number) < 14 || len(cd.number) > 16 || !ascii.IsDigits(cd.number) || !luhn(cd.number) {
		return fmt.Errorf("%w: card number", ErrBadCard)
	}
	yy, err1 := strconv.Atoi(cd.expYY)
	mm, err2 := strconv.Atoi(cd.expMM)
	if len(cd.expYY) != 2 || len(cd.expMM) != 2 || err1 != nil || err2 != nil || mm < 1 || mm > 12 {
		return fmt.Errorf("%w: expiry", ErrBadCard)
	}
	n := now.In(jst.Zone)
	if 2000+yy < n.Year() || 2000+yy == n.Year() && mm < int(n.Month()) {
		return fmt.Errorf("%w: expiry in the past", ErrBadCard)
	}
	if cd.secCd != "" && (len(cd.secCd) < 3 || len(cd.secCd) > 4 || !ascii.IsDigits(cd.secCd)) {
		return fmt.Errorf("%w: security code", ErrBadCard)
	}
	return nil
}

func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// lookupToken checks a token without consuming it.
func (g *Gateway) lookupToken(t string, now time.Time, c *codeList) (*token, bool) {
	if t == "" || len(t) > 128 || !ascii.IsAlnum(t) {
		c.add("KHX")
		return nil, false
	}
	tk, ok := g.tokens.get(t, now)
	switch {
	case ok && tk.used:
		c.add("KI2")
	case ok:
		return tk, true
	case g.issuedToken(t):
		// Expired (TokenLifetime), or forgotten early (Limits.Tokens):
		// either way it is a token of ours that is no longer usable.
		c.add("KI3")
	default:
		c.add("KHZ")
	}
	return nil, false
}

// useToken checks and consumes a token.
func (g *Gateway) useToken(t string, now time.Time, c *codeList) (card, bool) {
	tk, ok := g.lookupToken(t, now, c)
	if !ok {
		return card{}, false
	}
	tk.used = true
	return tk.card, true
}

func (g *Gateway) tokenSearch(r *req) (answer, []string) {
	if !r.has("Token") {
		return nil, []string{"K01"}
	}
	var c codeList
	a := answer{}
	if _, ok := g.lookupToken(r.get("Token"), r.now, &c); ok {
		a.set("TokenResponseCd", "OK")
	} else {
		a.set("TokenResponseCd", strings.Join(c, "|"))
	}
	a.set("TransactionDate", jst.Date(r.now))
	return a, nil
}

//go:embed script.js
var scriptSource string

var scriptTemplate = template.Must(template.New("script").Parse(scriptSource))

// serveScript serves the token script (CdGetJavaScript.do). A wrong token
// auth code gets a script whose spsvCreateToken always fails, as a real
// browser integration would see.
func (g *Gateway) serveScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = scriptTemplate.Execute(w, map[string]any{
		"MintPath": pathMintToken,
		"AuthCode": jsString(r.URL.Query().Get("k_TokenNinsyoCode")),
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// serveMintToken is the fake script's back end: it turns card data posted by
// the browser into a token. Answers are JSON {"token":…,"masked":…} or
// {"error":"KI1"}.
func (g *Gateway) serveMintToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"K01"}`))
		return
	}
	if r.PostForm.Get("k_TokenNinsyoCode") != g.cfg.TokenAuthCode {
		_, _ = w.Write([]byte(`{"error":"KI1"}`))
		return
	}
	number := strings.ReplaceAll(strings.ReplaceAll(r.PostForm.Get("cardNo"), " ", ""), "-", "")
	t, err := g.MintToken(number, r.PostForm.Get("expYY"), r.PostForm.Get("expMM"), r.PostForm.Get("secCd"))
	if err != nil {
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "K20", "message": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"token": string(t), "masked": card{number: number}.masked()})
}
