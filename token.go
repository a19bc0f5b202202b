package escott

import (
	"context"
	"errors"
	"fmt"
	"github.com/escott-go/escott/internal/redact"
	"html/template"
	"net/url"
	"slices"

	"github.com/escott-go/escott/internal/wire"
)

// OpTokenSearch is the token status inquiry.
const OpTokenSearch = "1TokenSearch"

// TokenService builds the card tokenisation script for checkout pages and
// checks tokens. Get it from Client.Token.
type TokenService struct{ c *Client }

// ErrNoTokenAuthCode is returned when Config.TokenAuthCode is empty.
var ErrNoTokenAuthCode = errors.New("escott: Config.TokenAuthCode is not set")

// ScriptURL returns the URL of the gateway's token script for the client's
// environment (or BaseURL), with the merchant's token auth code.
func (s *TokenService) ScriptURL() (string, error) {
	if s.c.cfg.TokenAuthCode == "" {
		return "", ErrNoTokenAuthCode
	}
	return s.c.origin + pathScript + "?k_TokenNinsyoCode=" + url.QueryEscape(s.c.cfg.TokenAuthCode), nil
}

// ScriptTag returns the <script> element that loads the token script on a
// checkout page, ready to put into an html/template. callback is the name of
// the page's JavaScript function that receives (token, maskedCardNo) once
// SpsvApi.spsvCreateToken(cardNo, expYY, expMM, secCd, "", "", "", "", "")
// has run; it must be a plain JavaScript identifier.
func (s *TokenService) ScriptTag(callback string) (template.HTML, error) {
	if !isJSIdent(callback) {
		return "", fmt.Errorf("escott: callback %q is not a JavaScript identifier", callback)
	}
	src, err := s.ScriptURL()
	if err != nil {
		return "", err
	}
	// Both values are escaped for an attribute; callback is an identifier.
	tag := `<script type="text/javascript" src="` + template.HTMLEscapeString(src) +
		`" callBackFunc="` + template.HTMLEscapeString(callback) + `" class="spsvToken"></script>`
	return template.HTML(tag), nil //nolint:gosec // built from escaped, validated parts
}

func isJSIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		letter := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '$'
		if !letter && !(i > 0 && b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// TokenStatus is the answer of Inquire.
type TokenStatus struct {
	ResponseCode      string // ResponseCd
	TokenResponseCode string // TokenResponseCd
	Raw               Fields
}

type tokenRequest struct {
	common
	Token string `url:"Token"`
}

// Inquire asks whether a token is usable (1TokenSearch). It does not consume
// the token. The token is usable only when both ResponseCd and
// TokenResponseCd are OK; otherwise the error is an *Error with the codes of
// both fields, ResponseCd's first, each code once (e.g. KI2 used, KI3
// expired), as Welcart and WooCommerce report them.
func (s *TokenService) Inquire(ctx context.Context, token CardToken) (*TokenStatus, error) {
	v := &validator{op: OpTokenSearch}
	v.token("Token", token)
	linkKey := s.c.linkKey(v, "")
	if err := v.err(); err != nil {
		return nil, err
	}
	resp, err := s.c.do(ctx, call{path: pathToken, op: OpTokenSearch, linkKey: linkKey, read: true,
		body: &tokenRequest{Token: string(token)}})
	var gerr *Error
	if err != nil && !(errors.As(err, &gerr) && resp != nil) {
		return nil, err
	}
	st := &TokenStatus{ResponseCode: resp.Get("ResponseCd"), TokenResponseCode: resp.Get("TokenResponseCd"), Raw: Fields{resp.Pairs}}
	if err == nil && st.TokenResponseCode == "OK" {
		return st, nil
	}
	codes := append([]string(nil), resp.Codes...)
	if tc := st.TokenResponseCode; tc != "" && tc != "OK" {
		more, cerr := wire.SplitCodes(tc)
		if cerr != nil || more == nil {
			if err != nil {
				return nil, err // the ResponseCd rejection stands on its own
			}
			return nil, &TransportError{OperateID: OpTokenSearch, Err: fmt.Errorf("bad TokenResponseCd: %w", wire.ErrMalformed)}
		}
		for _, c := range more {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
	} else if err == nil {
		// ResponseCd OK, TokenResponseCd missing: the token's state is unknown.
		return nil, &TransportError{OperateID: OpTokenSearch, Err: fmt.Errorf("no TokenResponseCd: %w", wire.ErrMalformed)}
	}
	return nil, newError(OpTokenSearch, linkKey, &wire.Response{Pairs: resp.Pairs, Codes: codes})
}

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v TokenStatus) Format(f fmt.State, _ rune) { redact.Write(f, v) }
