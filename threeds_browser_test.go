package escott_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// The tests drive the 3-D Secure pages the way a browser without JavaScript
// would: read the form out of the HTML and submit it with net/http.

var (
	formRe  = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	inputRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

// page is a form found in an HTML page.
type page struct {
	status int
	body   string
	action string
	fields url.Values
}

func parsePage(t *testing.T, base string, status int, body string) page {
	t.Helper()
	p := page{status: status, body: body, fields: url.Values{}}
	if m := formRe.FindStringSubmatch(body); m != nil {
		p.action = html.UnescapeString(m[1])
		if strings.HasPrefix(p.action, "/") {
			p.action = base + p.action
		}
	}
	for _, m := range inputRe.FindAllStringSubmatch(body, -1) {
		p.fields.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return p
}

func postForm(t *testing.T, base, action string, fields url.Values) page {
	t.Helper()
	res, err := http.PostForm(action, fields)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return parsePage(t, base, res.StatusCode, string(b))
}

// authenticate plays the shopper's browser through OTDS010 with the fake's
// Authenticate (answering a challenge with code(otp), nil for the right
// code) and returns the page that goes back to the shop.
func authenticate(t *testing.T, srv *escotttest.Server, form *escott.ThreeDSForm, code func(otp string) string) page {
	t.Helper()
	if code == nil {
		code = func(string) string { t.Fatal("unexpected challenge"); return "" }
	}
	ret, err := srv.Authenticate(context.Background(), form, code)
	require.NoError(t, err)
	return page{status: http.StatusOK, action: ret.URL, fields: ret.Fields}
}

// merchantSite is the merchant's site: /return receives the browser return, /post
// the PostUrl copy.
type merchantSite struct {
	*httptest.Server
	mu       sync.Mutex
	returns  []outcome
	postHits []*escott.ThreeDSResult
}

type outcome struct {
	res *escott.ThreeDSResult
	err error
}

func newShop(t *testing.T, c *escott.Client) *merchantSite {
	t.Helper()
	s := &merchantSite{}
	mux := http.NewServeMux()
	mux.HandleFunc("/return", func(w http.ResponseWriter, r *http.Request) {
		res, err := c.ThreeDS.HandleReturn(r, recordNothing)
		res = resultOf(res, err)
		s.mu.Lock()
		s.returns = append(s.returns, outcome{res, err})
		s.mu.Unlock()
		if res == nil {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "thanks")
	})
	mux.Handle("/post", c.ThreeDS.PostURLHandler(bothOutcomes(func(_ context.Context, res *escott.ThreeDSResult) error {
		s.mu.Lock()
		s.postHits = append(s.postHits, res)
		s.mu.Unlock()
		return nil
	})))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// deliver POSTs the gateway's return page to the shop as the browser would
// and returns what the shop's handler got.
func (s *merchantSite) deliver(t *testing.T, ret page) outcome {
	t.Helper()
	require.Equal(t, s.URL+"/return", ret.action)
	res, err := http.PostForm(ret.action, ret.fields)
	require.NoError(t, err)
	_ = res.Body.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.returns)
	return s.returns[len(s.returns)-1]
}

func (s *merchantSite) posts() []*escott.ThreeDSResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*escott.ThreeDSResult(nil), s.postHits...)
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
