package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSim runs the command with args and returns its origin, its banner and
// a stop function that waits for it to end.
func startSim(t *testing.T, stderr io.Writer, args ...string) (origin, banner string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	br := bufio.NewReader(pr)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		lines = append(lines, line)
		if strings.HasPrefix(line, "get a token:") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.True(t, strings.HasPrefix(lines[0], "listening on http://"), lines[0])
	return strings.TrimSpace(strings.TrimPrefix(lines[0], "listening on ")), strings.Join(lines, "")
}

// post sends a form like curl -d does and returns the answer's fields.
func post(t *testing.T, origin, path string, form url.Values) url.Values {
	t.Helper()
	res, err := http.PostForm(origin+path, form)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	ans, err := url.ParseQuery(string(body))
	require.NoError(t, err, string(body))
	return ans
}

// The README's curl walk-through, as plain HTTP form posts: a token without a
// browser, an authorization, its capture and an inquiry, all answered OK.
func TestCurlWalkthrough(t *testing.T) {
	var log syncBuffer
	origin, _ := startSim(t, &log, "-log")

	// escott-sim token 4111111111111111 12/30 123
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"token", "-sim", origin, "4111111111111111", "12/30", "123"}, &out, io.Discard))
	token := strings.TrimSpace(out.String())
	require.NotEmpty(t, token)

	// The same, as curl would: one POST, a JSON answer.
	res, err := http.PostForm(origin+"/euser/stn/escotttest-token", url.Values{
		"k_TokenNinsyoCode": {"TESTTOKENAUTHCODE"}, "cardNo": {"4111111111111111"}, "expYY": {"30"}, "expMM": {"12"}, "secCd": {"123"},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(body), `"token":"`)

	today := time.Now().In(time.FixedZone("JST", 9*3600)).Format("20060102")
	common := func(op string) url.Values {
		return url.Values{
			"MerchantId": {"1234567"}, "MerchantPass": {"testpass"}, "TenantId": {"0001"},
			"TransactionDate": {today}, "OperateId": {op}, "MerchantFree1": {"order42"},
		}
	}

	auth := common("1Auth")
	auth.Set("Token", token)
	auth.Set("Amount", "1980")
	auth.Set("PayType", "01")
	a := post(t, origin, "/online/aut/OAUT002.do", auth)
	require.Equal(t, "OK", a.Get("ResponseCd"), a.Encode())
	pid, ppass := a.Get("ProcessId"), a.Get("ProcessPass")
	require.NotEmpty(t, pid)
	require.NotEmpty(t, ppass)

	capture := common("1Capture")
	capture.Set("ProcessId", pid)
	capture.Set("ProcessPass", ppass)
	capture.Set("SalesDate", today)
	c := post(t, origin, "/online/aut/OAUT002.do", capture)
	require.Equal(t, "OK", c.Get("ResponseCd"), c.Encode())

	search := common("1Search")
	search.Set("ProcessId", pid)
	search.Set("ProcessPass", ppass)
	s := post(t, origin, "/online/aut/OAUT002.do", search)
	require.Equal(t, "OK", s.Get("ResponseCd"), s.Encode())
	assert.Equal(t, "1980", s.Get("Amount"), s.Encode())

	// One log line per call, with the operation and the result, and no
	// secret: not the password, the token, the process password or the card.
	require.Eventually(t, func() bool { return strings.Count(log.String(), "\n") >= 5 }, 5*time.Second, 10*time.Millisecond)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.Len(t, lines, 5, log.String())
	assert.Contains(t, lines[0], "POST /euser/stn/escotttest-token -> 200")
	assert.Contains(t, lines[2], "OperateId=1Auth")
	assert.Contains(t, lines[2], "ResponseCd=OK")
	assert.Contains(t, lines[3], "OperateId=1Capture")
	assert.Contains(t, lines[4], "OperateId=1Search")
	for _, secret := range []string{"testpass", token, ppass, "4111111111111111", "TESTTOKENAUTHCODE", "MerchantPass", "Token="} {
		assert.NotContains(t, log.String(), secret)
	}
}

func TestHelpExitsZeroWithUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"token", "-h"}} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, io.Discard)
		require.ErrorIs(t, err, flag.ErrHelp, "main exits 0 on flag.ErrHelp")
		assert.Contains(t, out.String(), "Usage")
	}
	var out bytes.Buffer
	_ = run(context.Background(), []string{"-h"}, &out, io.Discard)
	assert.Contains(t, out.String(), "escott-sim token")
	for _, e := range endpoints {
		assert.Contains(t, out.String(), e.path)
	}
}

// The banner lists every endpoint, and every endpoint it lists is served.
func TestBannerListsEveryEndpoint(t *testing.T) {
	origin, banner := startSim(t, io.Discard)
	for _, e := range endpoints {
		assert.Contains(t, banner, e.path)
		req, err := http.NewRequest(e.method, origin+e.path, strings.NewReader(""))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		assert.NotEqual(t, http.StatusNotFound, res.StatusCode, "%s %s", e.method, e.path)
	}
	// escotttest's operations: each listed one is known to the gateway (an
	// unknown OperateId is refused before its fields are checked).
	for _, e := range endpoints[:4] {
		ops := strings.Fields(e.what[strings.Index(e.what, ":")+1:])
		for _, op := range ops {
			ans := post(t, origin, e.path, url.Values{"OperateId": {op}})
			assert.NotContains(t, ans.Get("ResponseCd"), "K06", "%s is an unknown OperateId", op)
			assert.Equal(t, op, ans.Get("OperateId"), op)
		}
	}
}
