package escotttest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Close cancels a PostUrl delivery stuck on a slow receiver instead of
// leaking its goroutine.
func TestCloseCancelsPostURL(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer slow.Close()
	defer close(block) // runs first: unblock the receiver before closing it
	srv := escotttest.NewServer(escotttest.Config{})
	c := srv.Client()
	form, err := c.ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
		Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "A B",
		BillingEmail: "a@example.jp", RedirectURL: slow.URL + "/return", PostURL: slow.URL + "/post",
	})
	require.NoError(t, err)
	res, err := http.PostForm(form.URL, url.Values{"MerchantId": {form.MerchantID}, "EncryptValue": {form.EncryptValue.Reveal()}})
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Regexp(t, regexp.MustCompile(`name="EncryptValue"`), string(body))

	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cancel the PostUrl delivery")
	}
	d := srv.PostURLDeliveries()
	require.Len(t, d, 1)
	assert.NotEmpty(t, d[0].Err)
	atts := srv.ThreeDSAttempts()
	require.Len(t, atts, 1)
	assert.NotEmpty(t, atts[0].ProcessID, "mode A authorised at the gateway")
}

// The fake waits Config.PostURLTimeout for the shop's answer to a PostUrl
// copy (SPS's receivers sleep 10 s, so the real wait is longer): a receiver
// slower than the wait counts as not answered, one within it as delivered.
func TestPostURLTimeoutIsConfigurable(t *testing.T) {
	for name, tc := range map[string]struct {
		wait      time.Duration
		delivered bool
	}{
		"receiver slower than the wait": {wait: 100 * time.Millisecond, delivered: false},
		"receiver within the wait":      {wait: 5 * time.Second, delivered: true},
	} {
		t.Run(name, func(t *testing.T) {
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/post" {
					select {
					case <-time.After(400 * time.Millisecond):
					case <-r.Context().Done():
					}
				}
				_, _ = io.WriteString(w, "0")
			}))
			defer slow.Close()
			srv := escotttest.NewServer(escotttest.Config{PostURLTimeout: tc.wait})
			defer srv.Close()
			form, err := srv.Client().ThreeDS.StartAuthorize(context.Background(), &escott.ThreeDSStartParams{
				Amount: escott.Yen(100), Source: srv.MustToken(escotttest.CardVisa), BillingFullName: "A B",
				BillingEmail: "a@example.jp", RedirectURL: slow.URL + "/return", PostURL: slow.URL + "/post",
			})
			require.NoError(t, err)
			res, err := http.PostForm(form.URL, url.Values{"MerchantId": {form.MerchantID}, "EncryptValue": {form.EncryptValue.Reveal()}})
			require.NoError(t, err)
			_ = res.Body.Close()
			require.Eventually(t, func() bool {
				d := srv.PostURLDeliveries()
				return len(d) == 1 && (d[0].StatusCode != 0 || d[0].Err != "")
			}, 10*time.Second, 20*time.Millisecond)
			d := srv.PostURLDeliveries()[0]
			if tc.delivered {
				assert.Equal(t, http.StatusOK, d.StatusCode, d.Err)
			} else {
				assert.Zero(t, d.StatusCode)
				assert.NotEmpty(t, d.Err)
			}
		})
	}
}
