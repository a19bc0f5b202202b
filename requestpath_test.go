package escott_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/wire"
)

// echoTransport answers every card request from memory with an answer that
// echoes its OperateId and link key, plus extra fields, and records the
// request headers it saw.
type echoTransport struct {
	extra   func(form url.Values) string
	mu      sync.Mutex
	headers []http.Header
	body    func(answer string) io.ReadCloser
}

func (t *echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.headers = append(t.headers, r.Header.Clone())
	t.mu.Unlock()
	// A transport that breaks the RoundTripper contract by changing the
	// request's headers must not change the next request's.
	r.Header.Add("User-Agent", "intruder")
	answer := "ResponseCd=OK&OperateId=" + form.Get("OperateId") + "&MerchantFree1=" + form.Get("MerchantFree1") +
		"&ProcessId=" + form.Get("MerchantFree1") + "&ProcessPass=pass"
	if t.extra != nil {
		answer += t.extra(form)
	}
	body := io.NopCloser(strings.NewReader(answer))
	if t.body != nil {
		body = t.body(answer)
	}
	return &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, Body: body, ContentLength: int64(len(answer)),
		Header: http.Header{}, Request: r}, nil
}

func echoClient(t *testing.T, tr *echoTransport) *escott.Client {
	t.Helper()
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
		escott.WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	return c
}

func payWith(c *escott.Client, linkKey string) (*escott.Payment, error) {
	return c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(1980),
		Source: escott.CardToken("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl"), LinkKey: linkKey})
}

// TestRequestHeadersEveryCall: every request carries exactly the form
// content type and the SDK's user agent, whatever a transport did to the
// previous request's headers.
func TestRequestHeadersEveryCall(t *testing.T) {
	tr := &echoTransport{}
	c := echoClient(t, tr)
	for i := range 3 {
		_, err := payWith(c, "key"+strconv.Itoa(i))
		require.NoError(t, err)
	}
	require.Len(t, tr.headers, 3)
	for _, h := range tr.headers {
		assert.Equal(t, []string{"application/x-www-form-urlencoded"}, h["Content-Type"])
		assert.Equal(t, []string{"escott-go"}, h["User-Agent"])
	}
}

// TestAnswerSizes: an answer larger than the read buffer is read whole; one
// larger than wire.MaxBody is refused, and since the payment may have been
// taken, its outcome is unknown.
func TestAnswerSizes(t *testing.T) {
	big := strings.Repeat("a", 20<<10)
	tr := &echoTransport{extra: func(url.Values) string { return "&Memo=" + big }}
	pay, err := payWith(echoClient(t, tr), "bigkey")
	require.NoError(t, err)
	assert.Equal(t, big, pay.Raw.Get("Memo"))
	assert.Equal(t, "bigkey", pay.Process.ID)

	huge := strings.Repeat("a", wire.MaxBody)
	tr = &echoTransport{extra: func(url.Values) string { return "&Memo=" + huge }}
	_, err = payWith(echoClient(t, tr), "hugekey")
	var ou *escott.OutcomeUnknownError
	require.ErrorAs(t, err, &ou)
	assert.ErrorIs(t, err, wire.ErrMalformed)
}

type failingBody struct {
	r io.Reader
}

func (b failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (failingBody) Close() error { return nil }

// TestAnswerReadError: a body that breaks off is an unknown outcome, not a
// decoded answer of what arrived.
func TestAnswerReadError(t *testing.T) {
	tr := &echoTransport{body: func(answer string) io.ReadCloser {
		return failingBody{r: io.LimitReader(strings.NewReader(answer), int64(len(answer)))}
	}}
	_, err := payWith(echoClient(t, tr), "cutkey")
	var ou *escott.OutcomeUnknownError
	require.ErrorAs(t, err, &ou)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestConcurrentAnswersStayApart: answers read into pooled buffers by
// concurrent calls never mix: each payment has its own answer's values.
func TestConcurrentAnswersStayApart(t *testing.T) {
	tr := &echoTransport{extra: func(f url.Values) string {
		return "&Memo=" + strings.Repeat(f.Get("MerchantFree1"), 50)
	}}
	c := echoClient(t, tr)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				key := strconv.Itoa(g) + "x" + strconv.Itoa(i)
				pay, err := payWith(c, key)
				switch {
				case err != nil:
					errs <- err
				case pay.Process.ID != key || pay.Raw.Get("Memo") != strings.Repeat(key, 50):
					errs <- errors.New("answer of another call: " + key)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// blockingTransport waits for the request's context to end.
type blockingTransport struct{}

func (blockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// TestHTTPClientTimeout: the Timeout of the host's http.Client bounds each
// attempt, and a payment it cut off after sending has an unknown outcome.
func TestHTTPClientTimeout(t *testing.T) {
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
		escott.WithHTTPClient(&http.Client{Transport: blockingTransport{}, Timeout: 50 * time.Millisecond}))
	require.NoError(t, err)
	start := time.Now()
	_, err = payWith(c, "slowkey")
	var ou *escott.OutcomeUnknownError
	require.ErrorAs(t, err, &ou)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// recordingJar is a cookie jar that counts its use.
type recordingJar struct {
	mu         sync.Mutex
	set, asked int
}

func (j *recordingJar) SetCookies(*url.URL, []*http.Cookie) { j.mu.Lock(); j.set++; j.mu.Unlock() }
func (j *recordingJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.asked++
	return nil
}

// TestHTTPClientWithJar: a host client with a cookie jar is used as
// http.Client, jar included.
func TestHTTPClientWithJar(t *testing.T) {
	jar := &recordingJar{}
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
		escott.WithHTTPClient(&http.Client{Transport: &echoTransport{}, Jar: jar}))
	require.NoError(t, err)
	_, err = payWith(c, "jarkey")
	require.NoError(t, err)
	assert.Equal(t, 1, jar.asked)
}

// brokenTransport returns what no transport should.
type brokenTransport struct{ res *http.Response }

func (t brokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	if t.res != nil {
		t.res.Request = r
	}
	return t.res, nil
}

// TestBrokenTransport: a transport returning no answer, or an answer
// without a body, gives an error (the payment's outcome unknown, since the
// request was read), never a panic or a payment.
func TestBrokenTransport(t *testing.T) {
	for name, res := range map[string]*http.Response{
		"nil answer":       nil,
		"nil body":         {StatusCode: http.StatusOK, ProtoMajor: 1, Header: http.Header{}},
		"nil body, length": {StatusCode: http.StatusOK, ProtoMajor: 1, Header: http.Header{}, ContentLength: 10},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
				escott.WithHTTPClient(&http.Client{Transport: brokenTransport{res: res}}))
			require.NoError(t, err)
			_, err = payWith(c, "brokenkey")
			var ou *escott.OutcomeUnknownError
			require.ErrorAs(t, err, &ou)
		})
	}
}

// TestPaymentFieldsAsRaw: each typed field of a payment is its answer's raw
// value (Raw.Get: the last value of a key that comes twice, unescaped and
// trimmed), whatever the order of the pairs.
func TestPaymentFieldsAsRaw(t *testing.T) {
	extra := "&CompanyCd=JC&TransactionId=123456789012345678&ApproveNo=1111111&McSecCd=0&CompanyCd=%20VI+&ApproveNo=2222222" +
		"&MerchantFree2=a%2Bb&MerchantFree3=c+d&TransactionDate=20261126&SalesDate=20261201&McSecCd=1"
	c := echoClient(t, &echoTransport{extra: func(url.Values) string { return extra }})
	pay, err := payWith(c, "KEY1")
	require.NoError(t, err)
	assert.Equal(t, "KEY1", pay.Process.ID)
	assert.Equal(t, "pass", pay.Process.Pass.Reveal())
	assert.Equal(t, "KEY1", pay.Process.LinkKey)
	assert.Equal(t, "VI", pay.CompanyCode)
	assert.Equal(t, "2222222", pay.ApprovalNumber)
	assert.Equal(t, escott.SecurityCodeResult("1"), pay.SecurityCodeResult)
	assert.Equal(t, "123456789012345678", pay.TransactionID)
	assert.Equal(t, "KEY1", pay.MerchantFree1)
	assert.Equal(t, "a+b", pay.MerchantFree2)
	assert.Equal(t, "c d", pay.MerchantFree3)
	assert.Equal(t, "2026-11-26", pay.TransactionDate.Format(time.DateOnly))
	assert.Equal(t, "2026-12-01", pay.SalesDate.Format(time.DateOnly))
	for k, v := range map[string]string{"CompanyCd": pay.CompanyCode, "ApproveNo": pay.ApprovalNumber,
		"McSecCd": string(pay.SecurityCodeResult), "MerchantFree2": pay.MerchantFree2, "ProcessId": pay.Process.ID} {
		assert.Equal(t, pay.Raw.Get(k), v, k)
	}
}

// TestRequestHeadersStdTransport: requests to an *http.Transport share one
// read-only header map and URL per client; every request still arrives with
// exactly the form content type and the SDK's user agent at the gateway's
// path, from many goroutines at once (run with -race).
func TestRequestHeadersStdTransport(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = io.WriteString(w, "ResponseCd=OK&OperateId="+r.PostForm.Get("OperateId")+"&MerchantFree1="+
			r.PostForm.Get("MerchantFree1")+"&ProcessId=1&ProcessPass=p")
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test,
		BaseURL: srv.URL}, escott.WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute}))
	require.NoError(t, err)
	const workers, per = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				_, err := payWith(c, "K"+strconv.Itoa(w)+"x"+strconv.Itoa(i))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, workers*per)
	for i, h := range seen {
		assert.Equal(t, []string{"application/x-www-form-urlencoded"}, h["Content-Type"])
		assert.Equal(t, []string{"escott-go"}, h["User-Agent"])
		assert.Equal(t, "/online/aut/OAUT002.do", paths[i])
	}
}
