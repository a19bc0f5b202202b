package chaos

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The proxy's faults as a plain net/http client sees them: this pins down
// what the chaos test relies on, e.g. that Go's HTTP/2 client replays a POST
// after RST_STREAM(PROTOCOL_ERROR) or GOAWAY, and follows 307/308.
func TestProxyFaults(t *testing.T) {
	var arrivals atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		arrivals.Add(1)
		f, _ := url.ParseQuery(string(body))
		_, _ = io.WriteString(w, "ResponseCd=OK&MerchantFree1="+f.Get("MerchantFree1")+"&OperateId=1Auth&ProcessId=P"+f.Get("MerchantFree1"))
	}))
	defer up.Close()
	var kind atomic.Int32
	px, err := New(Options{Upstream: up.URL, SlowDelay: 300 * time.Millisecond,
		Decide: func(url.Values) Kind { return Kind(kind.Load()) }})
	require.NoError(t, err)
	defer px.Close()

	post := func(hc *http.Client, base, key string) (string, int, error) {
		res, err := hc.Post(base+"/online/aut/OAUT002.do", "application/x-www-form-urlencoded",
			strings.NewReader("OperateId=1Auth&MerchantFree1="+key))
		if err != nil {
			return "", 0, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), res.StatusCode, err
	}
	cases := []struct {
		kind     Kind
		h2       bool
		arrivals int32
		ok       bool // the client got a 200 answer
	}{
		{None, true, 1, true},
		{StreamReset, true, 2, true}, // replayed by net/http
		{GoAway, true, 2, true},      // replayed by net/http
		{RedirectAfter, true, 2, true},
		{RedirectAway, true, 1, true}, // and the other host got it
		{ResetAfter, false, 1, false},
		{CloseAfter, false, 1, false},
		{ResetBefore, false, 0, false},
		{Partial, false, 1, false},
		{Slow, false, 1, true},
		{Swap, false, 1, true},
	}
	for i, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			arrivals.Store(0)
			kind.Store(int32(tc.kind))
			hc, base := &http.Client{}, px.PlainURL
			if tc.h2 {
				hc, base = px.Client(), px.TLSURL
			}
			start := time.Now()
			body, status, err := post(hc, base, "K"+string(rune('a'+i)))
			px.Wait()
			assert.Equal(t, tc.arrivals, arrivals.Load())
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, status)
				assert.Contains(t, body, "ResponseCd=OK")
			} else {
				assert.True(t, err != nil || status != http.StatusOK, "status %d body %q", status, body)
			}
			switch tc.kind {
			case Slow:
				assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
			case RedirectAway:
				assert.Len(t, px.AwayRequests(), 1)
				assert.Contains(t, body, "FORGED")
			case StreamReset, GoAway:
				s := px.Sightings()
				assert.Equal(t, "HTTP/2.0", s[len(s)-1].Proto)
			}
		})
	}
}
