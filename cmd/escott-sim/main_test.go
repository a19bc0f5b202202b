package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/jst"
)

// TestServesTheWireProtocol runs the command and talks to it like curl would.
func TestServesTheWireProtocol(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-merchant-id", "1234567", "-merchant-pass", "testpass"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "listening on http://"), line)
	origin := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	form := url.Values{
		"MerchantId": {"1234567"}, "MerchantPass": {"testpass"}, "TransactionDate": {jst.Date(time.Now())},
		"OperateId": {"1Auth"}, "MerchantFree1": {"curl1"}, "Amount": {"100"}, "PayType": {"01"}, "Token": {"nosuchtoken"},
	}
	res, err := http.PostForm(origin+"/online/aut/OAUT002.do", form)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Content-Length"))
	assert.Equal(t, "ResponseCd=KHZ&OperateId=1Auth&MerchantFree1=curl1", string(body))

	form.Set("MerchantPass", "wrong")
	form.Set("Amount", "0")
	res, err = http.PostForm(origin+"/online/aut/OAUT002.do", form)
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.True(t, strings.HasPrefix(string(body), "ResponseCd=K03&"), string(body))

	res, err = http.Get(origin + "/euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=X")
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(body), "spsvCreateToken")

	cancel()
	require.NoError(t, <-done)
}
