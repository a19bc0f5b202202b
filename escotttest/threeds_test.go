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
