package escott

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/envelope"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
	"github.com/escott-go/escott/journal"
)

// Environment selects the gateway: the test environment or production.
type Environment int

const (
	// Test is the gateway's test environment (https://www.test.e-scott.jp).
	// It is closed on Wednesdays and outside business hours; use escotttest
	// for offline tests.
	Test Environment = iota + 1
	// Production is the live gateway (https://www.e-scott.jp).
	Production
)

// String returns "test" or "production".
func (e Environment) String() string {
	switch e {
	case Test:
		return "test"
	case Production:
		return "production"
	}
	return fmt.Sprintf("Environment(%d)", int(e))
}

// Origin returns the gateway origin of the environment.
func (e Environment) Origin() string {
	switch e {
	case Production:
		return "https://www.e-scott.jp"
	case Test:
		return "https://www.test.e-scott.jp"
	}
	return ""
}

// Gateway endpoint paths (PROTOCOL.md §1).
const (
	pathCard   = "/online/aut/OAUT002.do"
	pathMember = "/online/crp/OCRP005.do"
	pathCVS    = "/online/cnv/OCNV005.do"
	pathToken  = "/online/atn/OATN005.do"
	// PathThreeDS is the browser endpoint of 3-D Secure (OTDS010).
	pathThreeDS = "/online/tds/OTDS010.do"
	pathScript  = "/euser/stn/CdGetJavaScript.do"
)

// DefaultTenantID is the shop code of a merchant with one shop, and the only
// one valid in the test environment.
const DefaultTenantID = "0001"

// Config holds a merchant's gateway settings, as shown in the e-SCOTT Smart
// merchant console and the SPS contract documents.
//
// MerchantPass differs between the test environment and production; the
// merchant ID is the same. Formatting a Config with %v or a logger never
// reveals MerchantPass, TokenAuthCode, AESKey or AESIV.
type Config struct {
	MerchantID    string      // マーチャントID: half-width digits
	MerchantPass  string      // マーチャントパスワード: alphanumerics; per environment
	TenantID      string      // 店舗コード: 4 digits; DefaultTenantID when empty
	Environment   Environment // Test or Production; required
	TokenAuthCode string      // トークン決済認証コード: alphanumerics, at most 32; needed for the token script
	AESKey        string      // 暗号化キー (3-D Secure): 16 characters; set together with AESIV
	AESIV         string      // 初期化ベクトル (3-D Secure): 16 characters
	// BaseURL overrides the gateway origin, e.g. with escotttest's URL. It
	// must be https unless the host is a loopback address.
	BaseURL string
}

// String describes the config without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("escott.Config{MerchantID:%s TenantID:%s Environment:%s BaseURL:%s MerchantPass:%s TokenAuthCode:%s AESKey:%s AESIV:%s}",
		c.MerchantID, c.TenantID, c.Environment, c.BaseURL,
		redactedIfSet(c.MerchantPass), redactedIfSet(c.TokenAuthCode), redactedIfSet(c.AESKey), redactedIfSet(c.AESIV))
}

// GoString is String, so %#v does not reveal secrets either.
func (c Config) GoString() string { return c.String() }

// Format implements fmt.Formatter so that every verb is redacted.
func (c Config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the config with its secrets redacted, so that dumping
// settings to JSON cannot leak them.
func (c Config) MarshalJSON() ([]byte, error) {
	return marshalJSON(map[string]string{
		"MerchantID": c.MerchantID, "TenantID": c.TenantID, "Environment": c.Environment.String(), "BaseURL": c.BaseURL,
		"MerchantPass": redactedIfSet(c.MerchantPass), "TokenAuthCode": redactedIfSet(c.TokenAuthCode),
		"AESKey": redactedIfSet(c.AESKey), "AESIV": redactedIfSet(c.AESIV),
	})
}

func redactedIfSet(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

const redacted = "[REDACTED]"

// ConfigError lists every problem found in a Config.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "escott: invalid config: " + strings.Join(e.Problems, "; ")
}

func (c *Config) validate() error {
	var p []string
	switch {
	case c.MerchantID == "":
		p = append(p, "MerchantID is required")
	case !isDigits(c.MerchantID) || len(c.MerchantID) > 32:
		p = append(p, "MerchantID must be half-width digits")
	}
	switch {
	case c.MerchantPass == "":
		p = append(p, "MerchantPass is required")
	case !isAlnum(c.MerchantPass) || len(c.MerchantPass) > 32:
		p = append(p, "MerchantPass must be half-width alphanumerics (at most 32)")
	}
	if c.TenantID == "" {
		c.TenantID = DefaultTenantID
	} else if len(c.TenantID) != 4 || !isDigits(c.TenantID) {
		p = append(p, "TenantID must be 4 digits (0001 for a single shop)")
	}
	if c.Environment != Test && c.Environment != Production {
		p = append(p, "Environment must be escott.Test or escott.Production")
	}
	if c.TokenAuthCode != "" && (!isAlnum(c.TokenAuthCode) || len(c.TokenAuthCode) > 32) {
		p = append(p, "TokenAuthCode must be alphanumerics, at most 32")
	}
	if (c.AESKey == "") != (c.AESIV == "") {
		p = append(p, "AESKey and AESIV must be set together")
	}
	if c.AESKey != "" && !isPrintable16(c.AESKey) {
		p = append(p, "AESKey must be 16 half-width characters")
	}
	if c.AESIV != "" && !isPrintable16(c.AESIV) {
		p = append(p, "AESIV must be 16 half-width characters")
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			p = append(p, err.Error())
		}
	}
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return errors.New("BaseURL must be an origin such as https://host:port")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("BaseURL must use https unless it is a loopback address")
	}
	return errors.New("BaseURL must use https")
}

// validURL: an absolute URL of at most max bytes, https (or http on a
// loopback host, for local testing), without user info or fragment. Used for
// the URLs the gateway sends a shopper's browser to.
func validURL(s string, max int) bool {
	if len(s) > max {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && u.Fragment == "" && u.User == nil &&
		(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname()))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isPrintable16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Client talks to e-SCOTT Smart. It is safe for concurrent use; create one per
// merchant configuration and reuse it (it reuses connections).
type Client struct {
	// Card takes and manages card payments (OAUT002).
	Card *CardService
	// Token builds the token script tag and checks tokens (OATN005).
	Token *TokenService
	// Member manages stored-card members (OCRP005).
	Member *MemberService
	// CVS registers and manages online-collection payments (OCNV005).
	CVS *CVSService
	// ThreeDS runs 3-D Secure authentication (OTDS010).
	ThreeDS *ThreeDSService

	// The state, secrets included, lives two pointers away from any Client
	// value: fmt prints a pointer it meets below the top level as an address,
	// so even a Client in an unexported field of the host's own struct, where
	// fmt cannot call Format, prints no secret.
	*clientRef
}

// clientRef is the first of the two pointers between a Client and its state.
type clientRef struct{ *clientState }

// clientState is what a Client holds.
type clientState struct {
	cfg      Config
	cipher   *envelope.Cipher // nil without AESKey/AESIV
	origin   string
	hc       *http.Client
	log      *slog.Logger
	now      func() time.Time
	newKey   func() (string, error)
	journal  journal.Journal
	retry    RetryPolicy
	timeout  time.Duration
	sleep    func(context.Context, time.Duration) error
	userHTTP bool
	tdsStore ThreeDSStore
}

// RetryPolicy bounds the retries of read-only calls and of requests whose
// connection was never made. Money-moving requests that may have reached the
// gateway are never retried, whatever the policy.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first; 1 disables retries
	BaseDelay   time.Duration // first backoff; doubled each time, with full jitter
	MaxDelay    time.Duration // cap of one backoff
}

// DefaultRetryPolicy is three attempts with 200 ms to 2 s jittered backoff.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send requests with hc; set its Timeout
// (the reference clients use 60 s). hc is never modified: NewClient takes a
// copy of it (later changes to hc's fields are not seen; its Transport is
// shared) whose CheckRedirect follows no redirect, since a gateway call is
// never redirected. Whatever hc's Transport, a money-moving request is sent
// at most once: its body can be read only once and has no GetBody, so
// net/http cannot replay it after an HTTP/2 stream reset or GOAWAY.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc; c.userHTTP = true }
}

// WithLogger sets the logger. The client logs operation names, link keys,
// durations and response codes at debug level, and never a secret.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock replaces time.Now, e.g. for tests around the JST date boundary.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLinkKeyGenerator replaces the generator of link keys (MerchantFree1).
// Keys must be unique per order, ASCII alphanumerics, at most 32 characters.
func WithLinkKeyGenerator(gen func() (string, error)) Option {
	return func(c *Client) { c.newKey = gen }
}

// WithJournal sets where money-moving attempts are recorded before they are
// sent. The default is an in-memory journal.
func WithJournal(j journal.Journal) Option { return func(c *Client) { c.journal = j } }

// WithTimeout bounds every call, retries included, whatever the HTTP client.
// A money-moving call that times out after its request left returns an
// *OutcomeUnknownError: the gateway may still have processed it.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// DefaultTimeout is the timeout of the default HTTP client, as the reference
// clients use.
const DefaultTimeout = 60 * time.Second

// NewClient validates cfg, reporting every problem at once as a *ConfigError,
// and returns a client.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{clientRef: &clientRef{&clientState{
		cfg:     cfg,
		log:     slog.New(discardHandler{}),
		now:     time.Now,
		newKey:  NewLinkKey,
		journal: journal.NewMemory(),
		retry:   DefaultRetryPolicy(),
		sleep:   sleepCtx,
	}}}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		// HTTP/1.1 only, as the production clients speak (docs/protocol.md
		// §2): one broken connection then loses at most one call's answer,
		// not every call multiplexed on it.
		var protocols http.Protocols
		protocols.SetHTTP1(true)
		c.hc = &http.Client{
			Timeout: DefaultTimeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout: 10 * time.Second,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     90 * time.Second,
				Protocols:           &protocols,
			},
		}
	} else {
		// The gateway never redirects a server call. Following one would
		// re-send a payment (307/308 re-POST the body) or carry the merchant
		// password to another host, so no redirect is followed whatever the
		// host's CheckRedirect. The host's client is copied, not modified.
		hc := *c.hc
		c.hc = &hc
	}
	c.hc.CheckRedirect = noRedirect
	if c.retry.MaxAttempts < 1 {
		c.retry.MaxAttempts = 1
	}
	c.origin = cfg.Environment.Origin()
	if cfg.BaseURL != "" {
		c.origin = strings.TrimSuffix(cfg.BaseURL, "/")
	}
	if cfg.AESKey != "" {
		ci, err := envelope.New(cfg.AESKey, cfg.AESIV)
		if err != nil {
			return nil, &ConfigError{Problems: []string{"AESKey/AESIV: " + err.Error()}}
		}
		c.cipher = ci
	}
	c.Card = &CardService{c: c}
	c.Token = &TokenService{c: c}
	c.Member = &MemberService{c: c}
	c.CVS = &CVSService{c: c}
	c.ThreeDS = &ThreeDSService{c: c}
	if c.tdsStore == nil {
		c.tdsStore = newThreeDSStore(c)
	}
	return c, nil
}

// Environment returns the configured environment.
func (c *Client) Environment() Environment { return c.cfg.Environment }

// Origin returns the gateway origin requests are sent to.
func (c *Client) Origin() string { return c.origin }

// Journal returns the journal in use, so that an operator tool can list
// attempts that need recovery.
func (c *Client) Journal() journal.Journal { return c.journal }

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// NewLinkKey returns a fresh random 12-digit link key from crypto/rand.
func NewLinkKey() (string, error) { return randomDigits(12) }

func randomDigits(n int) (string, error) {
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("escott: random: %w", err)
		}
		for _, b := range buf {
			// 250 = 25×10: rejecting 250–255 keeps every digit equally likely.
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out), nil
}

// common holds the fields every request carries (PROTOCOL.md §3). It is
// embedded in each request struct so that go-querystring flattens it.
type common struct {
	MerchantID      string `url:"MerchantId"`
	MerchantPass    string `url:"MerchantPass"`
	TransactionDate string `url:"TransactionDate"`
	OperateID       string `url:"OperateId"`
	MerchantFree1   string `url:"MerchantFree1,omitempty"`
	MerchantFree2   string `url:"MerchantFree2,omitempty"`
	MerchantFree3   string `url:"MerchantFree3,omitempty"`
	TenantID        string `url:"TenantId,omitempty"`
}

type withCommon interface{ setCommon(common) }

func (c *common) setCommon(v common) { *c = v }

// call describes one gateway operation.
type call struct {
	path     string
	op       string
	linkKey  string
	free2    string
	free3    string
	money    bool   // money-moving: journaled, never re-sent once it may have arrived
	read     bool   // read-only: retried even after it reached the gateway
	once     bool   // not money-moving but not repeatable either (consumes a token)
	amount   string // for the journal
	procID   string // for the journal
	orderRef string
	body     withCommon
}

// do runs one operation through the one request path: fill the common
// fields, encode, journal, POST, decode, check that the answer is this
// request's, and map it. WithTimeout and ctx bound the whole call, journal
// included, and nothing is sent once the bound has passed.
func (c *Client) do(ctx context.Context, k call) (*wire.Response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	now := c.now()
	k.body.setCommon(common{
		MerchantID:      c.cfg.MerchantID,
		MerchantPass:    c.cfg.MerchantPass,
		TransactionDate: jst.Date(now),
		OperateID:       k.op,
		MerchantFree1:   k.linkKey,
		MerchantFree2:   k.free2,
		MerchantFree3:   k.free3,
		TenantID:        c.cfg.TenantID,
	})
	form, err := wire.Encode(k.body)
	if err != nil {
		return nil, fmt.Errorf("escott: %s: %w", k.op, err)
	}
	if k.money {
		if err := c.begin(ctx, k, journal.Attempt{
			LinkKey: k.linkKey, Operation: k.op, Amount: k.amount, ProcessID: k.procID, OrderRef: k.orderRef, Started: now,
		}); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(ctx, k, form)
	if k.money {
		r := journal.Result{At: c.now()}
		var ou *OutcomeUnknownError
		switch {
		case err == nil && resp.OK():
			r.Outcome, r.ProcessID = journal.Succeeded, resp.Get("ProcessId")
		case err == nil:
			r.Outcome, r.Codes = journal.Rejected, resp.Codes
		case errors.As(err, &ou):
			r.Outcome = journal.Unknown
		default:
			r.Outcome = journal.Rejected
		}
		c.finish(ctx, k, r)
	}
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return resp, newError(k.op, k.linkKey, resp)
	}
	return resp, nil
}

// FinishGrace is how long a call waits for the journal to record its
// outcome once the call's deadline has passed. The journal write goes on in
// the background (for up to FinishTimeout) when it takes longer; until it
// lands, the attempt is listed as in flight by Journal.Pending.
const FinishGrace = 100 * time.Millisecond

// FinishTimeout bounds the journal write of an outcome, which runs detached
// from the caller's cancellation so that an outcome is recorded even when the
// caller gave up.
const FinishTimeout = 30 * time.Second

// begin records the attempt before it is sent, within ctx's bound even when
// the journal ignores ctx (a file lock, an exhausted SQL pool). An error
// means nothing was sent. An attempt that Begin records after the bound has
// passed is closed as not sent, so that it is not left in flight.
func (c *Client) begin(ctx context.Context, k call, a journal.Attempt) error {
	var err error
	if _, mem := c.journal.(*journal.Memory); mem || ctx.Done() == nil {
		err = c.journal.Begin(ctx, a)
	} else if err = c.beginBounded(ctx, k.op, k.linkKey, a); errors.Is(err, errLateBegin) {
		return fmt.Errorf("escott: %s: journal did not record the attempt in time, nothing sent: %w", k.op, context.Cause(ctx))
	}
	if errors.Is(err, journal.ErrInFlight) {
		return &InFlightError{OperateID: k.op, LinkKey: k.linkKey}
	}
	if err != nil {
		// Without a record we may not send: a lost answer could not be recovered.
		return fmt.Errorf("escott: %s: journal: %w", k.op, err)
	}
	if ctx.Err() != nil {
		c.finish(ctx, k, journal.Result{Outcome: journal.Rejected, At: c.now()})
		return fmt.Errorf("escott: %s: journal recorded the attempt too late, nothing sent: %w", k.op, context.Cause(ctx))
	}
	return nil
}

var errLateBegin = errors.New("journal Begin still running at the deadline")

// beginBounded runs Begin until ctx is done, in a goroutine so that a journal
// ignoring ctx cannot hold the caller. When Begin records the attempt after
// that, the attempt is closed as not sent.
func (c *Client) beginBounded(ctx context.Context, op, linkKey string, a journal.Attempt) error {
	done := make(chan error, 1)
	go func() { done <- c.journal.Begin(ctx, a) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		go func() {
			if err := <-done; err == nil {
				c.finish(ctx, call{op: op, linkKey: linkKey}, journal.Result{Outcome: journal.Rejected, At: c.now()})
			}
		}()
		return errLateBegin
	}
}

// finish records the outcome. It runs detached from ctx's cancellation (a
// cancel racing the write must not lose a payment's outcome) and bounded by
// FinishTimeout; the caller waits for it until ctx's deadline plus
// FinishGrace at most.
func (c *Client) finish(ctx context.Context, k call, r journal.Result) {
	if _, mem := c.journal.(*journal.Memory); mem {
		// The memory journal neither blocks nor looks at its context.
		if err := c.journal.Finish(ctx, k.linkKey, r); err != nil {
			c.log.ErrorContext(ctx, "escott: journal finish failed", "op", k.op, "link_key", k.linkKey, "err", err)
		}
		return
	}
	c.finishBounded(ctx, k.op, k.linkKey, r)
}

// finishBounded is finish for a journal that may block.
func (c *Client) finishBounded(ctx context.Context, op, linkKey string, r journal.Result) {
	k := call{op: op, linkKey: linkKey}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FinishTimeout)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- c.journal.Finish(fctx, k.linkKey, r)
	}()
	logErr := func(err error) {
		if err != nil {
			c.log.ErrorContext(fctx, "escott: journal finish failed; the attempt stays in flight in the journal",
				"op", k.op, "link_key", k.linkKey, "outcome", r.Outcome.String(), "err", err)
		}
	}
	select {
	case err := <-done:
		logErr(err)
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(FinishGrace)
	defer t.Stop()
	select {
	case err := <-done:
		logErr(err)
	case <-t.C:
		c.log.WarnContext(fctx, "escott: journal finish still running after the deadline; continuing in the background",
			"op", k.op, "link_key", k.linkKey, "outcome", r.Outcome.String())
		go func() { logErr(<-done) }()
	}
}

// ErrNotThisAnswer is wrapped by the error of an answer that does not echo
// the OperateId and link key (MerchantFree1) of the request it came back to
// (docs/protocol.md §2): it is another request's answer, or none. A
// money-moving or state-changing call then has an unknown outcome; a
// read-only call a transport error.
var ErrNotThisAnswer = errors.New("the answer does not echo the request's OperateId and link key")

// errReplayed: the request was written more than once within one
// http.Client.Do (a host transport that buffers and re-sends bodies).
var errReplayed = errors.New("the HTTP client sent the request more than once")

// errUnframed: an HTTP/1 answer without Content-Length or chunked framing.
var errUnframed = errors.New("answer has no Content-Length: it may be truncated")

// send POSTs the form, retrying only when that cannot double a payment.
func (c *Client) send(ctx context.Context, k call, form string) (*wire.Response, error) {
	endpoint := c.origin + k.path
	var lastErr error
	for attempt := 1; ; attempt++ {
		debug := c.log.Enabled(ctx, slog.LevelDebug)
		var start time.Time
		if debug {
			start = time.Now()
		}
		resp, reached, err := c.roundTrip(ctx, endpoint, form, k)
		if debug {
			dur := time.Since(start)
			if err == nil {
				c.log.DebugContext(ctx, "escott: gateway answered", "op", k.op, "link_key", k.linkKey,
					"attempt", attempt, "duration", dur, "response_cd", resp.Get("ResponseCd"))
			} else {
				c.log.DebugContext(ctx, "escott: gateway call failed", "op", k.op, "link_key", k.linkKey,
					"attempt", attempt, "duration", dur, "reached", reached, "err", err)
			}
		}
		if err == nil {
			return resp, nil
		}
		if reached && !k.read {
			// The gateway may have processed it (a payment, a consumed
			// token, a member's new state): never send it again, and never
			// report it as not processed.
			return nil, &OutcomeUnknownError{OperateID: k.op, LinkKey: k.linkKey, Err: err}
		}
		lastErr = err
		if ctx.Err() != nil || attempt >= c.retry.MaxAttempts {
			break
		}
		if serr := c.sleep(ctx, c.backoff(attempt)); serr != nil {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(lastErr, ctx.Err()) {
		lastErr = fmt.Errorf("%w (after %w)", ctx.Err(), lastErr)
	}
	return nil, &TransportError{OperateID: k.op, Err: lastErr}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay << (attempt - 1)
	if d <= 0 || (c.retry.MaxDelay > 0 && d > c.retry.MaxDelay) {
		d = c.retry.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	return time.Duration(mrand.Int64N(int64(d)) + 1) //nolint:gosec // jitter needs no cryptographic randomness
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// onceBody is a request body that can be read only once: it is not one of
// the types for which http.NewRequest sets GetBody, so no layer of net/http
// (HTTP/2 retry after a stream reset or GOAWAY, HTTP/1 retry on a reused
// connection, a 307/308 redirect) can rewind and re-send it. It records
// whether anything read it: a request whose body was never read cannot have
// reached the gateway. It also counts the times the request was written
// (httptrace), to see a replay by a host transport that buffered the body.
type onceBody struct {
	s      string
	i      int
	read   atomic.Bool
	writes atomic.Int32
	trace  httptrace.ClientTrace
}

func (b *onceBody) wrote(httptrace.WroteRequestInfo) { b.writes.Add(1) }

// Close implements io.Closer, so that http.NewRequest uses the body as is.
func (b *onceBody) Close() error { return nil }

func (b *onceBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	if b.i >= len(b.s) {
		return 0, io.EOF
	}
	n := copy(p, b.s[b.i:])
	b.i += n
	return n, nil
}

// roundTrip sends one POST. reached reports whether the request may have
// reached the gateway: true once the HTTP client started reading its body.
func (c *Client) roundTrip(ctx context.Context, endpoint, form string, k call) (_ *wire.Response, reached bool, _ error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err // nothing is sent once the bound has passed, whatever the transport
	}
	body := &onceBody{s: form}
	body.trace.WroteRequest = body.wrote
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, &body.trace), http.MethodPost, endpoint, body)
	if err != nil {
		return nil, false, fmt.Errorf("build request: %w", sanitizeURLError(err))
	}
	req.ContentLength = int64(len(form))
	req.GetBody = nil
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "escott-go")
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, body.read.Load(), sanitizeURLError(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, wire.MaxBody+1))
	if err != nil {
		return nil, true, fmt.Errorf("read answer: %w", err)
	}
	if body.writes.Load() > 1 {
		return nil, true, errReplayed
	}
	if res.StatusCode != http.StatusOK {
		return nil, true, &HTTPStatusError{StatusCode: res.StatusCode}
	}
	if res.ProtoMajor == 1 && res.ContentLength < 0 && len(res.TransferEncoding) == 0 && !res.Uncompressed {
		// Delimited by the connection's close only: a cut connection looks
		// like the end, so the answer may be truncated. The gateway sends a
		// Content-Length (docs/protocol.md §2).
		return nil, true, errUnframed
	}
	r, err := wire.Decode(raw)
	if err != nil {
		return nil, true, err
	}
	if r.Get("OperateId") != k.op || r.Get("MerchantFree1") != k.linkKey {
		return nil, true, fmt.Errorf("%w: OperateId %q, MerchantFree1 %q", ErrNotThisAnswer, r.Get("OperateId"), r.Get("MerchantFree1"))
	}
	return r, true, nil
}

// sanitizeURLError drops the URL from a *url.Error: it never carries secrets
// (they travel in the body), but keeping errors short and stable helps.
func sanitizeURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// Secret is a string that formats as [REDACTED] with every fmt verb, in
// slog, and in JSON. Reveal returns the value, for storing it.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns [REDACTED] (or "" when empty).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form.
func (s Secret) GoString() string { return `escott.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter, redacting every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in encoders (JSON, XML, slog's JSON handler).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// secretFields are the raw answer fields that must never be printed.
var secretFields = map[string]bool{
	"ProcessPass": true, "KaiinPass": true, "MerchantPass": true, "Token": true, "EncryptValue": true,
	"CardNo": true, "SecCd": true, "CardExp": true, "NewKaiinPass": true,
}

// Fields holds the raw fields of a gateway answer. Formatting it with fmt or
// slog redacts the secret ones (ProcessPass, KaiinPass, CardNo …); Get
// returns any value as received.
type Fields map[string]string

// Get returns the raw value of key.
func (f Fields) Get(key string) string { return f[key] }

// String formats the fields with secrets redacted, keys sorted.
func (f Fields) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte(':')
		if secretFields[k] && f[k] != "" {
			b.WriteString(redacted)
		} else {
			b.WriteString(f[k])
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Format implements fmt.Formatter so that every verb is redacted.
func (f Fields) Format(s fmt.State, _ rune) { _, _ = io.WriteString(s, f.String()) }

// LogValue implements slog.LogValuer.
func (f Fields) LogValue() slog.Value { return slog.StringValue(f.String()) }

// MarshalJSON redacts secrets in JSON output too.
func (f Fields) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(f))
	for k, v := range f {
		if secretFields[k] && v != "" {
			v = redacted
		}
		m[k] = v
	}
	return marshalJSON(m)
}

func isDigits(s string) bool { return ascii.IsDigits(s) }

func isAlnum(s string) bool { return ascii.IsAlnum(s) }

// Format implements fmt.Formatter: a Client, or a pointer to one, prints as
// its type name only, with every verb, so that no configuration or state it
// holds can leak through fmt. The services do the same.
func (Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.Client") }

// Format implements fmt.Formatter: the service prints as its type name only.
func (CardService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.CardService") }

// Format implements fmt.Formatter: the service prints as its type name only.
func (TokenService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.TokenService") }

// Format implements fmt.Formatter: the service prints as its type name only.
func (MemberService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.MemberService") }

// Format implements fmt.Formatter: the service prints as its type name only.
func (CVSService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.CVSService") }

// Format implements fmt.Formatter: the service prints as its type name only.
func (ThreeDSService) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "escott.ThreeDSService") }

// LogValue implements slog.LogValuer: a Client logs as its type name only.
func (Client) LogValue() slog.Value { return slog.StringValue("escott.Client") }
