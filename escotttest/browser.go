package escotttest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/escott-go/escott"
)

// ThreeDSReturn is what the gateway's last page makes the shopper's browser
// POST back to the shop: the form fields (EncryptValue) and the RedirectUrl.
type ThreeDSReturn struct {
	URL        string     // the shop's RedirectUrl
	Fields     url.Values // the auto-submitted form: EncryptValue
	Challenged bool       // a challenge page was shown and answered
}

// Request builds the browser's POST of the return, ready for
// ThreeDSService.HandleReturn or for a handler's ServeHTTP.
func (r *ThreeDSReturn) Request(ctx context.Context) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, strings.NewReader(r.Fields.Encode()))
	if err != nil {
		panic(err) // r.URL came from the gateway's own page
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "127.0.0.1:50000"
	return req
}

// ErrThreeDSPage reports a gateway page that is not one a browser could go on
// from (an error page, an unexpected status).
var ErrThreeDSPage = errors.New("escotttest: unexpected 3-D Secure page")

var (
	pageFormRe  = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	pageInputRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
	pageOTPRe   = regexp.MustCompile(`<strong id="otp">([0-9]+)</strong>`)
)

// Authenticate plays the shopper's browser through 3-D Secure without a
// browser: it submits form to OTDS010 as the checkout page's auto-submitting
// form would, answers a challenge with answer(code shown on the page) — pass
// nil to answer with the right code, or return a wrong one to fail — and
// returns the return that the gateway's last page POSTs to the shop. It does
// not deliver it: call ThreeDSReturn.Request and hand it to the shop.
func (s *Server) Authenticate(ctx context.Context, form *escott.ThreeDSForm, answer func(code string) string) (*ThreeDSReturn, error) {
	hc := s.HTTPClient()
	post := func(action string, fields url.Values) (*htmlForm, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(fields.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: HTTP %d from %s", ErrThreeDSPage, res.StatusCode, action)
		}
		return parseHTMLForm(s.URL, string(body)), nil
	}
	start := parseHTMLForm(s.URL, string(form.HTML()))
	p, err := post(start.action, start.fields)
	if err != nil {
		return nil, err
	}
	ret := &ThreeDSReturn{}
	if p.otp != "" {
		code := p.otp
		if answer != nil {
			code = answer(p.otp)
		}
		ret.Challenged = true
		if p, err = post(p.action, url.Values{"session": {p.fields.Get("session")}, "code": {code}}); err != nil {
			return nil, err
		}
	}
	if p.fields.Get("EncryptValue") == "" || p.action == "" {
		return nil, fmt.Errorf("%w: no return form", ErrThreeDSPage)
	}
	ret.URL, ret.Fields = p.action, url.Values{"EncryptValue": {p.fields.Get("EncryptValue")}}
	return ret, nil
}

// htmlForm is the first form of a page, as a browser without JavaScript sees it.
type htmlForm struct {
	action string
	fields url.Values
	otp    string
}

func parseHTMLForm(base, body string) *htmlForm {
	f := &htmlForm{fields: url.Values{}}
	if m := pageFormRe.FindStringSubmatch(body); m != nil {
		f.action = html.UnescapeString(m[1])
		if strings.HasPrefix(f.action, "/") {
			f.action = base + f.action
		}
	}
	for _, m := range pageInputRe.FindAllStringSubmatch(body, -1) {
		f.fields.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if m := pageOTPRe.FindStringSubmatch(body); m != nil {
		f.otp = m[1]
	}
	return f
}
