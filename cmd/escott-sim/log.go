package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// loggedFields are the request fields the log shows. Everything else stays
// out: passwords, tokens, card and member data, encrypted 3-D Secure values.
var loggedFields = []string{"OperateId", "MerchantId", "TenantId", "MerchantFree1", "ProcessId", "Amount"}

// maxLoggedBody bounds how much of a request or answer the log reads.
const maxLoggedBody = 64 << 10

// logRequests writes one line per call to w: time, method, path, the
// non-secret request fields, the HTTP status, the answer's ResponseCd and the
// duration.
func logRequests(next http.Handler, w io.Writer) http.Handler {
	var mu sync.Mutex // one line at a time
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fields := url.Values{}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxLoggedBody))
			if err == nil {
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
				if form, err := url.ParseQuery(string(body)); err == nil {
					for _, k := range loggedFields {
						if v := form.Get(k); v != "" {
							fields.Set(k, v)
						}
					}
				}
			}
		}
		rec := &recorder{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		line := fmt.Sprintf("%s %s %s", start.UTC().Format(time.RFC3339), r.Method, r.URL.Path)
		if len(fields) > 0 {
			line += " " + fields.Encode()
		}
		line += fmt.Sprintf(" -> %d", rec.status)
		if ans, err := url.ParseQuery(rec.body.String()); err == nil && ans.Get("ResponseCd") != "" {
			line += " ResponseCd=" + url.QueryEscape(ans.Get("ResponseCd"))
		}
		line += fmt.Sprintf(" %s\n", time.Since(start).Round(time.Microsecond))
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, line)
	})
}

// recorder keeps the status and the start of a form-encoded answer.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	if ct := r.Header().Get("Content-Type"); (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") ||
		strings.HasPrefix(ct, "text/plain")) && r.body.Len() < maxLoggedBody {
		r.body.Write(b[:min(len(b), maxLoggedBody-r.body.Len())])
	}
	return r.ResponseWriter.Write(b)
}

// Flush passes flushes through (the challenge page streams nothing, but a
// handler may flush).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
