package escotttest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// mint posts card data the way the token script does in a browser.
func mint(t *testing.T, srv *escotttest.Server, authCode, number, yy, mm, sec string) map[string]string {
	t.Helper()
	res, err := http.PostForm(srv.URL+"/euser/stn/escotttest-token", url.Values{
		"k_TokenNinsyoCode": {authCode}, "cardNo": {number}, "expYY": {yy}, "expMM": {mm}, "secCd": {sec},
	})
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"), "the checkout page is on another origin")
	var out map[string]string
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out
}

func TestScriptBackEndMintsUsableTokens(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	out := mint(t, srv, escotttest.DefaultTokenAuthCode, "4111 1111 1111 1111", "39", "12", "123")
	require.NotEmpty(t, out["token"], out)
	assert.Equal(t, "411111******1111", out["masked"])

	c := srv.Client()
	_, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(10), Source: escott.CardToken(out["token"])})
	require.NoError(t, err)

	assert.Equal(t, "KI1", mint(t, srv, "WRONG", escotttest.CardVisa, "39", "12", "123")["error"])
	assert.Equal(t, "K20", mint(t, srv, escotttest.DefaultTokenAuthCode, "4111111111111112", "39", "12", "123")["error"], "Luhn")
	assert.Equal(t, "K20", mint(t, srv, escotttest.DefaultTokenAuthCode, escotttest.CardVisa, "20", "01", "123")["error"], "expired")
	assert.Equal(t, "K20", mint(t, srv, escotttest.DefaultTokenAuthCode, escotttest.CardVisa, "39", "13", "123")["error"], "month")
	assert.Equal(t, "K20", mint(t, srv, escotttest.DefaultTokenAuthCode, escotttest.CardVisa, "39", "12", "12")["error"], "security code")
}

func TestScriptServesTheSpsvAPI(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	res, err := http.Get(srv.URL + `/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=` + url.QueryEscape(`"</script>`))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	js := string(body)
	assert.Contains(t, res.Header.Get("Content-Type"), "javascript")
	assert.Contains(t, js, "spsvCreateToken")
	assert.Contains(t, js, `getAttribute("callBackFunc")`)
	assert.NotContains(t, js, `"</script>`, "the auth code is escaped into the script")
	assert.Contains(t, js, `\u003c/script\u003e`)
}

func TestWireFormat(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	res, err := http.Post(srv.URL+"/online/aut/OAUT002.do", "application/x-www-form-urlencoded",
		strings.NewReader("MerchantId=1234567&OperateId=1Auth&MerchantFree1=abc"))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, "ResponseCd=K01&OperateId=1Auth&MerchantFree1=abc", string(body))
	assert.Equal(t, "48", res.Header.Get("Content-Length"))

	res, err = http.Get(srv.URL + "/online/aut/OAUT002.do")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

func TestTLSServer(t *testing.T) {
	srv := escotttest.NewTLSServer(escotttest.Config{})
	defer srv.Close()
	c := srv.Client()
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(10), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	assert.NotEmpty(t, pay.Process.ID)
}
