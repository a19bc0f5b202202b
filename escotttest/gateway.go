package escotttest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
)

// Default credentials of a fake gateway whose Config leaves them empty.
const (
	DefaultMerchantID    = "1234567"
	DefaultMerchantPass  = "testpass"
	DefaultTokenAuthCode = "TESTTOKENAUTHCODE"
	DefaultAESKey        = "0123456789abcdef"
	DefaultAESIV         = "fedcba9876543210"
)

// Config configures a fake gateway. The zero value is usable.
type Config struct {
	MerchantID    string   // default DefaultMerchantID
	MerchantPass  string   // default DefaultMerchantPass
	TenantIDs     []string // registered shops; default ["0001"]
	TokenAuthCode string   // default DefaultTokenAuthCode
	AESKey, AESIV string   // 3-D Secure envelope; default DefaultAESKey/DefaultAESIV
	NotifyURL     string   // where payment-received notifications are POSTed
	// PostURLTimeout is how long a 3-D Secure PostUrl copy waits for the
	// shop's answer; zero means DefaultPostURLTimeout (30 s).
	PostURLTimeout time.Duration
	// Installments is the merchant's contract for payment divisions; the
	// default allows everything (escott.InstallmentsRevolvingAndBonus).
	Installments *escott.InstallmentSetting
	// Now replaces time.Now as the gateway's clock (see also Advance).
	Now func() time.Time
	// MemberLifetime is how long a member lives in the test environment
	// before it expires (about two months on the real one). Zero: 60 days.
	MemberLifetime time.Duration
	// Notify controls delivery and redelivery of notifications (cvs.go).
	Notify NotifySettings
	// Limits bounds what the gateway remembers; the zero value takes the
	// defaults.
	Limits Limits
}

// Limits bounds the fake gateway's memory, so that a long-running
// escott-sim stays flat however many requests it serves. A zero field takes
// its default. What is forgotten is answered as the real gateway answers for
// something it no longer holds:
//
//   - Processes: card transactions, oldest first. A follow-up of a forgotten
//     transaction answers K12, as one older than the real gateway's
//     retention (about seven months, also applied) does.
//   - CVSPayments: online-collection registrations, oldest first; their
//     follow-ups answer K12 and their payment page is gone.
//   - Members: stored-card members. Over the cap a tenth of it is forgotten
//     at once: deleted and invalid members first, oldest first, then the
//     oldest others. A forgotten member answers K71 (unknown member) and
//     its KaiinId can be registered again, as after the test environment's
//     expiry (Config.MemberLifetime).
//   - Tokens: a token lives 30 minutes (TokenLifetime); beyond the cap the
//     oldest are forgotten early. A token the fake issued but no longer
//     holds answers KI3 (expired); one it never issued answers KHZ.
//   - Requests, RequestBytes: the request log (Gateway.Requests) keeps at
//     most this many requests and bytes of request bodies, oldest dropped
//     first. Gateway.RequestCount is not affected.
type Limits struct {
	Processes    int // default DefaultMaxProcesses
	CVSPayments  int // default DefaultMaxCVSPayments
	Members      int // default DefaultMaxMembers
	Tokens       int // default DefaultMaxTokens
	Requests     int // default MaxKeptRequests
	RequestBytes int // default DefaultMaxRequestBytes
}

// Default Limits. At about 400 bytes a transaction, 650 an online-collection
// registration, 250 a member and 270 a token, a gateway whose every limit is
// full holds about 150 MB besides its 3-D Secure memory.
const (
	DefaultMaxProcesses    = 100_000
	DefaultMaxCVSPayments  = 50_000
	DefaultMaxMembers      = 50_000
	DefaultMaxTokens       = 50_000
	DefaultMaxRequestBytes = 32 << 20
)

func (l *Limits) setDefaults() {
	for _, f := range []struct {
		p *int
		d int
	}{
		{&l.Processes, DefaultMaxProcesses}, {&l.CVSPayments, DefaultMaxCVSPayments}, {&l.Members, DefaultMaxMembers},
		{&l.Tokens, DefaultMaxTokens}, {&l.Requests, MaxKeptRequests}, {&l.RequestBytes, DefaultMaxRequestBytes},
	} {
		if *f.p <= 0 {
			*f.p = f.d
		}
	}
}

// Gateway is the fake gateway as an http.Handler. Use NewServer for a running
// server, or New to mount it yourself (cmd/escott-sim does).
type Gateway struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	offset   time.Duration
	tokens   *expiring[*token]   // by token, until TokenLifetime or Limits.Tokens
	tokenKey []byte              // authenticates the tokens this gateway issued
	procs    *expiring[*process] // by ProcessId, until processRetention or Limits.Processes
	log      requestLog
	counts   map[string]int  // requests per known OperateId (UnknownOperation for the rest), never trimmed
	known    map[string]bool // the OperateIds the gateway serves
	total    int
	faults   map[string][]Fault
	members  memberState
	cvs      cvsState
	tds      tdsState
	seq      int64 // sequence for gateway-issued numbers
}

// New returns a fake gateway handler.
func New(cfg Config) *Gateway {
	if cfg.MerchantID == "" {
		cfg.MerchantID = DefaultMerchantID
	}
	if cfg.MerchantPass == "" {
		cfg.MerchantPass = DefaultMerchantPass
	}
	if len(cfg.TenantIDs) == 0 {
		cfg.TenantIDs = []string{escott.DefaultTenantID}
	}
	if cfg.TokenAuthCode == "" {
		cfg.TokenAuthCode = DefaultTokenAuthCode
	}
	if cfg.AESKey == "" && cfg.AESIV == "" {
		cfg.AESKey, cfg.AESIV = DefaultAESKey, DefaultAESIV
	}
	if cfg.Installments == nil {
		s := escott.InstallmentsRevolvingAndBonus
		cfg.Installments = &s
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MemberLifetime == 0 {
		cfg.MemberLifetime = 60 * 24 * time.Hour
	}
	cfg.Limits.setDefaults()
	g := &Gateway{
		cfg:      cfg,
		mux:      http.NewServeMux(),
		tokens:   newExpiring[*token](cfg.Limits.Tokens),
		tokenKey: make([]byte, 32),
		procs:    newExpiring[*process](cfg.Limits.Processes),
		counts:   make(map[string]int),
		known:    make(map[string]bool),
		faults:   make(map[string][]Fault),
	}
	_, _ = rand.Read(g.tokenKey) // never fails (crypto/rand)
	g.log.maxCount, g.log.maxBytes = cfg.Limits.Requests, cfg.Limits.RequestBytes
	g.members.init(cfg.Limits.Members)
	g.cvs.init(cfg.Limits.CVSPayments)
	g.tds.init()
	for op := range tdsOps {
		g.known[op] = true
	}
	g.route(pathCard, g.cardOps())
	g.route(pathToken, map[string]opFunc{"1TokenSearch": g.tokenSearch})
	g.route(pathMember, g.memberOps())
	g.route(pathCVS, g.cvsOps())
	g.mux.HandleFunc("GET "+pathScript, g.serveScript)
	g.mux.HandleFunc("POST "+pathMintToken, g.serveMintToken)
	g.mux.HandleFunc("OPTIONS "+pathMintToken, g.serveMintToken)
	g.routeBrowser(g.mux)
	g.routeCVSPages(g.mux)
	return g
}

// Gateway paths (docs/protocol.md §1).
const (
	pathCard      = "/online/aut/OAUT002.do"
	pathMember    = "/online/crp/OCRP005.do"
	pathCVS       = "/online/cnv/OCNV005.do"
	pathToken     = "/online/atn/OATN005.do"
	pathScript    = "/euser/stn/CdGetJavaScript.do"
	pathMintToken = "/euser/stn/escotttest-token" // the fake script's own token endpoint
)

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

// Now is the gateway's clock: Config.Now plus everything Advance added.
func (g *Gateway) Now() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nowLocked()
}

func (g *Gateway) nowLocked() time.Time { return g.cfg.Now().Add(g.offset) }

// Advance moves the gateway's clock forward, e.g. to expire tokens (30
// minutes) or test-environment members (about two months). Notification
// redeliveries that become due are sent before it returns (so do not call it
// from a notification receiver).
func (g *Gateway) Advance(d time.Duration) {
	g.mu.Lock()
	g.offset += d
	g.mu.Unlock()
	g.sendDueRedeliveries()
}

// Request is one server-to-server request the gateway received.
type Request struct {
	Path      string
	OperateID string
	Fields    url.Values // as received, secrets included: this is a test tool
	At        time.Time
}

// MaxKeptRequests is the default of Limits.Requests: how many requests the
// request log keeps. RequestCount counts every request regardless.
const MaxKeptRequests = 100_000

// Requests returns the requests received so far, oldest first: all of them,
// or the last ones within Limits.Requests and Limits.RequestBytes. Each call
// decodes the kept requests anew; the caller owns the result.
func (g *Gateway) Requests() []Request {
	g.mu.Lock()
	kept := slices.Clone(g.log.entries[g.log.head:])
	g.mu.Unlock()
	out := make([]Request, len(kept))
	for i, e := range kept {
		out[i] = e.request()
	}
	return out
}

// UnknownOperation is the RequestCount key of the requests whose OperateId
// the gateway does not serve (empty included): they are counted together, so
// that garbage cannot grow the counts.
const UnknownOperation = "(unknown)"

// RequestCount returns how many requests with OperateId op were received
// (all operations when op is ""). Requests with an OperateId the gateway
// does not serve are counted together: for any such op, and for
// UnknownOperation, it returns their number.
func (g *Gateway) RequestCount(op string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if op == "" {
		return g.total
	}
	return g.counts[g.countKey(op)]
}

func (g *Gateway) countKey(op string) string {
	if g.known[op] {
		return op
	}
	return UnknownOperation
}

// requestLog keeps the last requests compactly: the form as one encoded
// string, decoded only when Requests asks. Trimmed oldest first to at most
// maxCount entries and maxBytes of forms.
type requestLog struct {
	entries  []loggedRequest
	head     int // entries before head are dropped
	bytes    int // form bytes of entries[head:]
	maxCount int
	maxBytes int
}

type loggedRequest struct {
	path string // one of the gateway's path constants: shared, not copied
	form string // url.Values.Encode form (or the body it parsed from)
	at   time.Time
}

func (e loggedRequest) request() Request {
	f, err := url.ParseQuery(e.form)
	if err != nil {
		f = url.Values{}
	}
	return Request{Path: e.path, OperateID: f.Get("OperateId"), Fields: f, At: e.at}
}

func (l *requestLog) add(e loggedRequest) {
	l.entries = append(l.entries, e)
	l.bytes += len(e.form)
	for len(l.entries)-l.head > l.maxCount || l.bytes > l.maxBytes && len(l.entries)-l.head > 1 {
		l.bytes -= len(l.entries[l.head].form)
		l.entries[l.head] = loggedRequest{}
		l.head++
	}
	// Compact once a tenth of the capacity is dead: amortised O(1).
	if l.head > 0 && (l.head >= l.maxCount/10 || l.head > len(l.entries)/2) {
		l.entries = append(l.entries[:0], l.entries[l.head:]...)
		l.head = 0
	}
}

// recordLocked logs a request. form is the request's encoded form (the
// body when it parsed cleanly).
func (g *Gateway) recordLocked(path, op, form string, at time.Time) {
	g.total++
	g.counts[g.countKey(op)]++
	g.log.add(loggedRequest{path: path, form: form, at: at})
}

// FaultKind is a kind of injected failure.
type FaultKind int

const (
	// FaultLatency delays the answer by Fault.Latency, then processes normally.
	FaultLatency FaultKind = iota + 1
	// FaultCloseAfterProcessing processes the request, then closes the
	// connection without answering: the ambiguous case.
	FaultCloseAfterProcessing
	// FaultCloseBeforeProcessing closes the connection without processing.
	FaultCloseBeforeProcessing
	// FaultHTTP500 answers HTTP 500 without processing.
	FaultHTTP500
	// FaultMalformed processes the request and answers a body that is not a
	// gateway answer.
	FaultMalformed
	// FaultMaintenance answers ResponseCd=Fault.Code (default K97, gateway
	// stopped) without processing.
	FaultMaintenance
)

// Fault is an injected failure for the next Times requests of an operation.
type Fault struct {
	Kind    FaultKind
	Latency time.Duration // for FaultLatency (and added before any other kind)
	Code    string        // for FaultMaintenance
	Times   int           // how many requests it applies to; 0 means 1
}

// InjectFault makes the next requests with OperateId op fail as f says.
// Faults queue up in the order injected.
func (g *Gateway) InjectFault(op string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	g.mu.Lock()
	g.faults[op] = append(g.faults[op], f)
	g.mu.Unlock()
}

func (g *Gateway) takeFault(op string) (Fault, bool) {
	q := g.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	q[0].Times--
	if q[0].Times <= 0 {
		g.faults[op] = q[1:]
	}
	return f, true
}

// opFunc runs one operation under g.mu. It gets the parsed request and
// returns the answer fields; codes, if any, make ResponseCd.
type opFunc func(r *req) (answer, []string)

// answer is an ordered list of answer fields.
type answer []kv

type kv struct{ k, v string }

func (a *answer) set(k, v string) { *a = append(*a, kv{k, v}) }

// req is a parsed request.
type req struct {
	f   url.Values
	now time.Time
	op  string
}

func (r *req) get(k string) string { return r.f.Get(k) }
func (r *req) has(k string) bool   { _, ok := r.f[k]; return ok && r.f.Get(k) != "" }

// route serves a server-to-server endpoint with its operations.
func (g *Gateway) route(path string, ops map[string]opFunc) {
	for op := range ops {
		g.known[op] = true
	}
	g.mux.HandleFunc(path, func(w http.ResponseWriter, hr *http.Request) {
		if hr.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(hr.Body, 64<<10))
		if err != nil {
			return
		}
		raw := string(body)
		form, err := url.ParseQuery(raw)
		if err != nil {
			form, raw = url.Values{}, ""
		}
		op := form.Get("OperateId")

		g.mu.Lock()
		now := g.nowLocked()
		g.recordLocked(path, op, raw, now)
		fault, faulty := g.takeFault(op)
		g.mu.Unlock()

		if faulty && fault.Latency > 0 {
			select {
			case <-time.After(fault.Latency):
			case <-hr.Context().Done():
				return
			}
		}
		if faulty {
			switch fault.Kind {
			case FaultHTTP500:
				http.Error(w, "internal server error", http.StatusInternalServerError)
				return
			case FaultCloseBeforeProcessing:
				hangUp(w)
				return
			case FaultMaintenance:
				code := fault.Code
				if code == "" {
					code = "K97"
				}
				a := answer{}
				echo(&a, form)
				writeAnswer(w, a, []string{code})
				return
			}
		}

		g.mu.Lock()
		a, codes := g.process(&req{f: form, now: now, op: op}, ops)
		g.mu.Unlock()

		if faulty {
			switch fault.Kind {
			case FaultCloseAfterProcessing:
				hangUp(w)
				return
			case FaultMalformed:
				w.Header().Set("Content-Type", "text/html")
				_, _ = io.WriteString(w, "<html><body>Service Temporarily Unavailable</body></html>")
				return
			}
		}
		writeAnswer(w, a, codes)
	})
}

// process validates the common fields and runs the operation.
func (g *Gateway) process(r *req, ops map[string]opFunc) (answer, []string) {
	a := answer{}
	if codes := g.checkCommon(r, ops); len(codes) > 0 {
		echo(&a, r.f)
		return a, codes
	}
	out, codes := ops[r.op](r)
	echo(&a, r.f)
	return append(a, out...), codes
}

// echo adds the fields the gateway echoes in every answer.
func echo(a *answer, f url.Values) {
	for _, k := range []string{"OperateId", "MerchantFree1", "MerchantFree2", "MerchantFree3"} {
		if v := f.Get(k); v != "" {
			a.set(k, v)
		}
	}
}

// checkCommon applies the rules of docs/protocol.md §3.
func (g *Gateway) checkCommon(r *req, ops map[string]opFunc) []string {
	var c codeList
	if !r.has("MerchantId") || !r.has("MerchantPass") || !r.has("TransactionDate") || !r.has("OperateId") {
		c.add("K01")
	}
	if r.has("MerchantId") && (!ascii.IsDigits(r.get("MerchantId")) || r.get("MerchantId") != g.cfg.MerchantID) {
		c.add("K02")
	}
	if r.has("MerchantPass") && r.get("MerchantPass") != g.cfg.MerchantPass {
		c.add("K03")
	}
	if r.has("TransactionDate") && !g.validTransactionDate(r.get("TransactionDate"), r.now) {
		c.add("K05")
	}
	if _, ok := ops[r.op]; r.has("OperateId") && !ok {
		c.add("K06")
	}
	if v := r.get("MerchantFree1"); v != "" && (!ascii.IsAlnum(strings.ReplaceAll(v, "-", "a")) || len(v) > 32) { // '-' too: CS-Cart sends "<tenant>-<order id>"
		c.add("K07")
	}
	if v := r.get("MerchantFree2"); len(v) > 32 || !ascii.IsPrintable(v) {
		c.add("K08")
	}
	if v := r.get("MerchantFree3"); len([]rune(v)) > 32 || strings.ContainsAny(v, "\x00\r\n\t") {
		c.add("K09")
	}
	if t := r.get("TenantId"); t != "" {
		if len(t) != 4 || !ascii.IsDigits(t) {
			c.add("K04")
		} else if !slices.Contains(g.cfg.TenantIDs, t) {
			c.add("K13")
		}
	} else if !slices.Contains(g.cfg.TenantIDs, escott.DefaultTenantID) {
		c.add("K13")
	}
	return c
}

// validTransactionDate accepts the JST date of the gateway's clock, and the
// previous date during the first five minutes of a JST day (a request built
// just before midnight).
func (g *Gateway) validTransactionDate(s string, now time.Time) bool {
	if _, err := jst.ParseDate(s); err != nil {
		return false
	}
	return s == jst.Date(now) || s == jst.Date(now.Add(-5*time.Minute))
}

// codeList collects response codes without duplicates.
type codeList []string

func (c *codeList) add(code string) {
	if !slices.Contains(*c, code) {
		*c = append(*c, code)
	}
}

// writeAnswer writes key=value&… with ResponseCd first and a Content-Length,
// as the real gateway does.
func writeAnswer(w http.ResponseWriter, a answer, codes []string) {
	var b bytes.Buffer
	b.WriteString("ResponseCd=")
	if len(codes) == 0 {
		b.WriteString("OK")
	} else {
		b.WriteString(strings.Join(codes, "|"))
	}
	for _, p := range a {
		b.WriteByte('&')
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.v))
	}
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	_, _ = w.Write(b.Bytes())
}

// hangUp closes the client connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// Server is a running fake gateway.
type Server struct {
	*Gateway
	// URL is the origin of the server, e.g. http://127.0.0.1:41234.
	URL string
	srv *httptest.Server
}

// NewServer starts a fake gateway on a loopback port. Close it when done.
func NewServer(cfg Config) *Server {
	g := New(cfg)
	hs := httptest.NewServer(g)
	return &Server{Gateway: g, URL: hs.URL, srv: hs}
}

// NewTLSServer is NewServer over TLS; use Server.HTTPClient with it.
func NewTLSServer(cfg Config) *Server {
	g := New(cfg)
	hs := httptest.NewUnstartedServer(g)
	// Handshakes cut short when a test closes the server are not news.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	return &Server{Gateway: g, URL: hs.URL, srv: hs}
}

// Close shuts the server down, after stopping background deliveries
// (notification redeliveries and 3-D Secure PostUrl copies).
func (s *Server) Close() { s.Gateway.Close(); s.srv.Close() }

// HTTPClient returns an *http.Client that trusts the server (needed for
// NewTLSServer).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Config returns a client configuration for the fake gateway: the test
// environment with BaseURL pointing at the server.
func (s *Server) Config() escott.Config {
	return escott.Config{
		MerchantID:    s.cfg.MerchantID,
		MerchantPass:  s.cfg.MerchantPass,
		TenantID:      s.cfg.TenantIDs[0],
		Environment:   escott.Test,
		TokenAuthCode: s.cfg.TokenAuthCode,
		AESKey:        s.cfg.AESKey,
		AESIV:         s.cfg.AESIV,
		BaseURL:       s.URL,
	}
}

// Client returns a client for the server, panicking on a config error (which
// would be a bug in this package).
func (s *Server) Client(opts ...escott.Option) *escott.Client {
	if s.srv.TLS != nil {
		opts = append([]escott.Option{escott.WithHTTPClient(s.HTTPClient())}, opts...)
	}
	c, err := escott.NewClient(s.Config(), opts...)
	if err != nil {
		panic(err)
	}
	return c
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err)
		}
		b[i] = "0123456789"[v.Int64()]
	}
	return string(b)
}

func randomAlnum(n int) string {
	const set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err)
		}
		b[i] = set[v.Int64()]
	}
	return string(b)
}
