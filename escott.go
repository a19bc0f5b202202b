package escott

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/envelope"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
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

// Gateway endpoint paths (docs/protocol.md §1).
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
// settings to JSON cannot leak them. Unlike a Secret, a Config is settings,
// not data to round-trip: it is read from the environment or a secret store,
// never from its own JSON.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
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
	case !ascii.IsDigits(c.MerchantID) || len(c.MerchantID) > 32:
		p = append(p, "MerchantID must be half-width digits")
	}
	switch {
	case c.MerchantPass == "":
		p = append(p, "MerchantPass is required")
	case !ascii.IsAlnum(c.MerchantPass) || len(c.MerchantPass) > 32:
		p = append(p, "MerchantPass must be half-width alphanumerics (at most 32)")
	}
	if c.TenantID == "" {
		c.TenantID = DefaultTenantID
	} else if len(c.TenantID) != 4 || !ascii.IsDigits(c.TenantID) {
		p = append(p, "TenantID must be 4 digits (0001 for a single shop)")
	}
	if c.Environment != Test && c.Environment != Production {
		p = append(p, "Environment must be escott.Test or escott.Production")
	}
	if c.TokenAuthCode != "" && (!ascii.IsAlnum(c.TokenAuthCode) || len(c.TokenAuthCode) > 32) {
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
	// Link runs link-type payments on the gateway's hosted card page (SSNP005).
	Link *LinkService

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
	journal  Journal
	retry    RetryPolicy
	timeout  time.Duration
	sleep    func(context.Context, time.Duration) error
	userHTTP bool
	tdsStore ThreeDSStore
	obs      Observer  // nil: no observer, see observe.go
	notes    sync.Pool // *callNote of observed calls

	// Built once per client, so that a call does not rebuild them.
	direct      bool                       // send with hc's Transport, see (*Client).post
	endpoints   endpoints                  // the gateway URL of each server endpoint
	headers     [2][]string                // Content-Type and User-Agent values, shared read-only
	header      http.Header                // both, for requests to an *http.Transport (read-only)
	answerBufs  sync.Pool                  // *[]byte buffers answers are read into
	cardReqs    sync.Pool                  // cleared *cardRequest of Pay, see getCardRequest
	day         atomic.Pointer[cachedDate] // TransactionDate of the last call
	answerDates dateCache                  // the last date parsed from an answer
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

// Option configures a Client. An Option that cannot apply (a nil logger,
// journal, clock or HTTP client, a negative timeout, a nil Option) is
// reported by NewClient in its *ConfigError, together with the Config's own
// problems.
type Option func(*options) error

// options are what the Options set, before NewClient builds the client.
type options struct {
	hc       *http.Client
	log      *slog.Logger
	now      func() time.Time
	newKey   func() (string, error)
	journal  Journal
	retry    RetryPolicy
	timeout  time.Duration
	tdsStore ThreeDSStore
	obs      Observer
}

// WithHTTPClient makes the client send requests with hc; set its Timeout
// (the reference clients use 60 s). hc is never modified: NewClient takes a
// copy of it (later changes to hc's fields are not seen; its Transport is
// shared) whose CheckRedirect follows no redirect, since a gateway call is
// never redirected. Requests go to hc's Transport with hc's Timeout as a
// deadline on each attempt, body included (as http.Client applies it): the
// SDK skips http.Client's redirect and cookie handling, which a gateway call
// does not use, unless hc has a cookie Jar. Whatever hc's Transport, a
// money-moving request is sent at most once: its body can be read only once
// and has no GetBody, so net/http cannot replay it after an HTTP/2 stream
// reset or GOAWAY.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		o.hc = hc
		return nil
	}
}

// WithLogger sets the logger. The client logs operation names, link keys,
// durations and response codes at debug level, and never a secret. A nil
// logger is a configuration error (omit the option to log nothing).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil *slog.Logger")
		}
		o.log = l
		return nil
	}
}

// WithClock replaces time.Now, e.g. for tests around the JST date boundary.
// A nil clock is a configuration error.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithLinkKeyGenerator replaces the generator of link keys (MerchantFree1).
// Keys must be unique per order, ASCII alphanumerics, at most 32 characters.
// A nil generator is a configuration error.
func WithLinkKeyGenerator(gen func() (string, error)) Option {
	return func(o *options) error {
		if gen == nil {
			return errors.New("WithLinkKeyGenerator: nil generator")
		}
		o.newKey = gen
		return nil
	}
}

// WithJournal sets where money-moving attempts are recorded before they are
// sent. The default is an in-memory journal. A nil journal is a
// configuration error.
func WithJournal(j Journal) Option {
	return func(o *options) error {
		if j == nil {
			return errors.New("WithJournal: nil journal")
		}
		o.journal = j
		return nil
	}
}

// WithTimeout bounds every call, retries included, whatever the HTTP client.
// A money-moving call that times out after its request left returns an
// *OutcomeUnknownError: the gateway may still have processed it. Zero means
// no bound besides the HTTP client's; a negative d is a configuration error.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout: negative timeout %v", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy. A MaxAttempts below 1 means
// 1 (no retries); negative delays are a configuration error.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) error {
		if p.BaseDelay < 0 || p.MaxDelay < 0 {
			return errors.New("WithRetryPolicy: negative delay")
		}
		o.retry = p
		return nil
	}
}

// DefaultTimeout is the timeout of the default HTTP client, as the reference
// clients use.
const DefaultTimeout = 60 * time.Second

// NewClient validates cfg, reporting every problem at once as a *ConfigError,
// and returns a client.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	var problems []string
	var cerr *ConfigError
	if errors.As(cfg.validate(), &cerr) {
		problems = cerr.Problems
	}
	o := options{
		log:     slog.New(slog.DiscardHandler),
		now:     time.Now,
		newKey:  func() (string, error) { return NewLinkKey(), nil },
		journal: NewMemoryJournal(),
		retry:   DefaultRetryPolicy(),
	}
	for i, opt := range opts {
		if opt == nil {
			problems = append(problems, fmt.Sprintf("option %d is nil", i+1))
			continue
		}
		if err := opt(&o); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	c := &Client{clientRef: &clientRef{&clientState{
		cfg:      cfg,
		hc:       o.hc,
		userHTTP: o.hc != nil,
		log:      o.log,
		now:      o.now,
		newKey:   o.newKey,
		journal:  o.journal,
		retry:    o.retry,
		timeout:  o.timeout,
		tdsStore: o.tdsStore,
		obs:      o.obs,
		sleep:    sleepCtx,
	}}}
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
	c.initRequestPath()
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
	c.Link = &LinkService{c: c}
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
func (c *Client) Journal() Journal { return c.journal }

// NewLinkKey returns a fresh random 12-digit link key from crypto/rand.
// It cannot fail: since Go 1.24 crypto/rand.Read never returns an error (a
// system without a working random source crashes the program irrecoverably
// instead), so a key is never made from anything but good randomness.
func NewLinkKey() string { return randomDigits(12) }

// randomDigits returns n (1–19) uniformly random decimal digits: one
// uniformly random number below 10ⁿ, zero-padded, from 8 bytes of
// crypto/rand (read again in the rare case the number falls in the last,
// incomplete range of 10ⁿ, so that every key is equally likely).
// crypto/rand.Read does not fail (Go ≥ 1.24 crashes the program instead), so
// neither does this; n outside 1–19 is a programming error and panics.
func randomDigits(n int) string {
	if n < 1 || n > 19 {
		panic(fmt.Sprintf("escott: randomDigits(%d): 1 to 19 digits", n))
	}
	bound := uint64(1)
	for range n {
		bound *= 10
	}
	limit := math.MaxUint64 - math.MaxUint64%bound // a multiple of bound
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if v := binary.LittleEndian.Uint64(b[:]); v < limit {
			var out [19]byte
			v %= bound
			for i := n - 1; i >= 0; i-- {
				out[i] = byte('0' + v%10)
				v /= 10
			}
			return string(out[:n])
		}
	}
}

// common holds the fields every request carries (docs/protocol.md §3). It is
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
	note     *callNote // set while an Observer watches the call, see observe.go
}

// do runs one operation through the one request path: fill the common
// fields, encode, journal, POST, decode, check that the answer is this
// request's, and map it. WithTimeout and ctx bound the whole call, journal
// included, and nothing is sent once the bound has passed.
func (c *Client) do(ctx context.Context, k call) (*wire.Response, error) {
	if c.obs != nil && k.note == nil {
		return c.observeCall(ctx, k) // calls do again, with k.note set
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	now := c.now()
	k.body.setCommon(common{
		MerchantID:      c.cfg.MerchantID,
		MerchantPass:    c.cfg.MerchantPass,
		TransactionDate: c.transactionDate(now),
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
		if err := c.begin(ctx, k, Attempt{
			LinkKey: k.linkKey, Operation: k.op, Amount: k.amount, ProcessID: k.procID, OrderRef: k.orderRef, Started: now,
		}); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(ctx, k, form)
	if k.money {
		r := AttemptResult{At: c.now()}
		switch {
		case err == nil && resp.OK():
			r.Outcome, r.ProcessID = OutcomeSucceeded, resp.Get("ProcessId")
		case err == nil:
			r.Outcome, r.Codes, r.ProcessID = OutcomeRejected, resp.Codes, resp.Get("ProcessId")
		case isOutcomeUnknown(err):
			r.Outcome = OutcomeUnknown
		default:
			r.Outcome = OutcomeRejected
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

// isOutcomeUnknown reports whether err is an *OutcomeUnknownError. It is a
// function of its own so that the call path does not allocate the target of
// errors.As when there is no error.
func isOutcomeUnknown(err error) bool {
	var ou *OutcomeUnknownError
	return errors.As(err, &ou)
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
func (c *Client) begin(ctx context.Context, k call, a Attempt) error {
	var err error
	if _, mem := c.journal.(*MemoryJournal); mem || ctx.Done() == nil {
		err = c.journal.Begin(ctx, a)
	} else if err = c.beginBounded(ctx, k.op, k.linkKey, a); errors.Is(err, errLateBegin) {
		return fmt.Errorf("escott: %s: journal did not record the attempt in time, nothing sent: %w", k.op, context.Cause(ctx))
	}
	if errors.Is(err, ErrJournalInFlight) {
		return &InFlightError{OperateID: k.op, LinkKey: k.linkKey}
	}
	if errors.Is(err, ErrJournalUnresolved) {
		return &UnresolvedError{OperateID: k.op, LinkKey: k.linkKey}
	}
	if err != nil {
		// Without a record we may not send: a lost answer could not be recovered.
		return fmt.Errorf("escott: %s: journal: %w", k.op, err)
	}
	if ctx.Err() != nil {
		c.finish(ctx, k, AttemptResult{Outcome: OutcomeRejected, At: c.now()})
		return fmt.Errorf("escott: %s: journal recorded the attempt too late, nothing sent: %w", k.op, context.Cause(ctx))
	}
	return nil
}

var errLateBegin = errors.New("journal Begin still running at the deadline")

// beginBounded runs Begin until ctx is done, in a goroutine so that a journal
// ignoring ctx cannot hold the caller. When Begin records the attempt after
// that, the attempt is closed as not sent.
func (c *Client) beginBounded(ctx context.Context, op, linkKey string, a Attempt) error {
	done := make(chan error, 1)
	go func() { done <- c.journal.Begin(ctx, a) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		go func() {
			if err := <-done; err == nil {
				c.finish(ctx, call{op: op, linkKey: linkKey}, AttemptResult{Outcome: OutcomeRejected, At: c.now()})
			}
		}()
		return errLateBegin
	}
}

// finish records the outcome. It runs detached from ctx's cancellation (a
// cancel racing the write must not lose a payment's outcome) and bounded by
// FinishTimeout; the caller waits for it until ctx's deadline plus
// FinishGrace at most.
func (c *Client) finish(ctx context.Context, k call, r AttemptResult) {
	if _, mem := c.journal.(*MemoryJournal); mem {
		// The memory journal neither blocks nor looks at its context.
		if err := c.journal.Finish(ctx, k.linkKey, r); err != nil {
			c.log.ErrorContext(ctx, "escott: journal finish failed", "op", k.op, "link_key", k.linkKey, "err", err)
		}
		return
	}
	c.finishBounded(ctx, k.op, k.linkKey, r)
}

// finishBounded is finish for a journal that may block.
func (c *Client) finishBounded(ctx context.Context, op, linkKey string, r AttemptResult) {
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
	endpoint := c.endpoints.get(c.origin, k.path)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if k.note != nil {
			k.note.attempts = attempt
		}
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
// (httptrace, see exchange), to see a replay by a host transport that
// buffered the body.
type onceBody struct {
	s      string
	i      int
	read   atomic.Bool
	writes atomic.Int32
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

// exchange is one attempt's request body, request and decoded answer,
// allocated together; hostExchange adds what a request through a host's own
// RoundTripper needs.
type exchange struct {
	body onceBody
	resp wire.Response
	req  http.Request
}

// hostExchange is an exchange through a RoundTripper other than
// *http.Transport, which may buffer and re-send a body (the trace counts the
// writes) or, against the RoundTripper contract, change a request's URL or
// headers (each request has its own copy).
type hostExchange struct {
	exchange
	trace httptrace.ClientTrace
	url   url.URL
}

// endpoints are the server endpoints of the gateway, built once.
type endpoints struct{ card, member, cvs, token endpoint }

// endpoint is one gateway URL. req, when set, is a POST to it as
// http.NewRequest builds it: calls copy its URL and Host rather than parse
// the URL again.
type endpoint struct {
	url string
	req *http.Request
}

func newEndpoint(url string) endpoint {
	// The template is never sent: calls copy its URL and Host only.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, nil)
	if err != nil {
		return endpoint{url: url} // each call reports the error
	}
	return endpoint{url: url, req: req}
}

func (e *endpoints) get(origin, path string) endpoint {
	switch path {
	case pathCard:
		return e.card
	case pathMember:
		return e.member
	case pathCVS:
		return e.cvs
	case pathToken:
		return e.token
	}
	return endpoint{url: origin + path}
}

// newRequest builds a POST of body to e, as http.NewRequestWithContext
// does, in *req. With u nil the request shares e's URL and the client's
// header map, which the caller must know the transport only reads; otherwise
// u is where the request's copy of the URL goes and the header map is the
// request's own.
func (e endpoint) newRequest(ctx context.Context, body io.ReadCloser, u *url.URL, shared http.Header, req *http.Request) (*http.Request, error) {
	if e.req == nil {
		return http.NewRequestWithContext(ctx, http.MethodPost, e.url, body)
	}
	r := http.Request{
		Method: http.MethodPost, URL: e.req.URL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: shared, Body: body, Host: e.req.Host,
	}
	if u != nil {
		*u = *e.req.URL
		r.URL, r.Header = u, make(http.Header, 2)
	}
	// WithContext is the only way to set the context; its copy does not
	// escape, so the request lives in *req, allocated with the exchange.
	*req = *r.WithContext(ctx)
	return req, nil
}

// cachedDate is the JST date of one day, as TransactionDate.
type cachedDate struct {
	day int64 // days since 1970-01-01 in JST
	s   string
}

// transactionDate returns jst.Date(now), formatting it once per day.
func (c *Client) transactionDate(now time.Time) string {
	day := (now.Unix() + 9*60*60) / (24 * 60 * 60) // JST is UTC+9 all year round
	if now.Unix() < -9*60*60 {
		return jst.Date(now) // before 1970 in JST: not worth caching
	}
	if d := c.day.Load(); d != nil && d.day == day {
		return d.s
	}
	d := &cachedDate{day: day, s: jst.Date(now)}
	c.day.Store(d)
	return d.s
}

// initRequestPath builds what every call shares: the endpoint URLs and the
// header values.
func (c *Client) initRequestPath() {
	c.endpoints = endpoints{
		card: newEndpoint(c.origin + pathCard), member: newEndpoint(c.origin + pathMember),
		cvs: newEndpoint(c.origin + pathCVS), token: newEndpoint(c.origin + pathToken),
	}
	// Capacity equals length: a transport appending to a header value
	// (Header.Add) gets a new array and cannot write into these.
	c.headers = [2][]string{{"application/x-www-form-urlencoded"}, {"escott-go"}}
	c.header = http.Header{"Content-Type": c.headers[0], "User-Agent": c.headers[1]}
	u, err := url.Parse(c.origin)
	c.direct = c.hc.Jar == nil && err == nil && u.User == nil
}

// post sends a request built by roundTrip. A gateway call needs nothing of
// http.Client but its Transport and Timeout: it follows no redirect (a 3xx
// is an answer like any other that is not 200) and carries no cookies. So,
// unless the host's client has a cookie jar or the origin carries user
// info, post hands the request to the Transport itself, with the client's
// Timeout as a deadline on ctx (covering the answer's body too, as
// http.Client's does); that spares a call http.Client's redirect
// bookkeeping (copies of the header and URL) and, with a Timeout, its timer
// goroutine. Otherwise it uses http.Client.Do, as before.
func (c *Client) post(req *http.Request) (*http.Response, error) {
	if !c.direct {
		res, err := c.hc.Do(req)
		return res, sanitizeURLError(err)
	}
	rt := c.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	res, err := rt.RoundTrip(req)
	if err != nil {
		if res != nil && res.Body != nil {
			_ = res.Body.Close() // a broken transport: the answer is ignored, as http.Client does
		}
		if rhe := (tls.RecordHeaderError{}); errors.As(err, &rhe) && string(rhe.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, fmt.Errorf("post: %w", err)
	}
	if res == nil {
		return nil, fmt.Errorf("post: the transport (%T) returned neither an answer nor an error", rt)
	}
	if res.Body == nil {
		if res.ContentLength > 0 {
			return nil, fmt.Errorf("post: the transport (%T) returned an answer of %d bytes without a body", rt, res.ContentLength)
		}
		res.Body = http.NoBody
	}
	return res, nil
}

// stdTransport reports whether requests go straight (see post) to an
// *http.Transport, which neither re-sends a body that has no GetBody nor
// changes a request's URL or headers.
func (c *Client) stdTransport() bool {
	if !c.direct {
		return false // http.Client.Do adds the jar's cookies to the request's header
	}
	rt := c.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	_, ok := rt.(*http.Transport)
	return ok
}

// getCardRequest returns an empty card request from the client's pool.
func (c *Client) getCardRequest() *cardRequest {
	if r, ok := c.cardReqs.Get().(*cardRequest); ok {
		return r
	}
	return new(cardRequest)
}

// putCardRequest clears r, secrets included, and returns it to the pool.
// The caller must hold no reference to r, nor to anything of it but
// strings.
func (c *Client) putCardRequest(r *cardRequest) {
	*r = cardRequest{}
	c.cardReqs.Put(r)
}

// answerBufSize is the capacity of a pooled answer buffer: far above a
// gateway answer (a few hundred bytes); larger ones get their own.
const answerBufSize = 4 << 10

// readAnswer reads at most wire.MaxBody+1 bytes of an answer, into a
// pooled buffer when it fits. The caller returns bp to the pool once done
// with the bytes.
func (c *Client) readAnswer(r io.Reader) (bp *[]byte, _ []byte, _ error) {
	bp, _ = c.answerBufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, answerBufSize)
		bp = &b
	}
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // a body larger than the pooled buffer: grow
		}
		n, err := r.Read(b[len(b):min(cap(b), wire.MaxBody+1)])
		b = b[:len(b)+n]
		if err == io.EOF || len(b) > wire.MaxBody {
			return bp, b, nil
		}
		if err != nil {
			return bp, nil, fmt.Errorf("read answer: %w", err)
		}
	}
}

// roundTrip sends one POST. reached reports whether the request may have
// reached the gateway: true once the HTTP client started reading its body.
func (c *Client) roundTrip(ctx context.Context, endpoint endpoint, form string, k call) (_ *wire.Response, reached bool, _ error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err // nothing is sent once the bound has passed, whatever the transport
	}
	if t := c.hc.Timeout; c.direct && t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t) // http.Client's Timeout, see post
		defer cancel()
	}
	// net/http's own Transport never writes a body twice (it is read
	// once, has no GetBody and is not an idempotent request's) and never
	// changes a request's URL or header: its requests share the endpoint's
	// URL and the client's header map and carry no trace. Requests through
	// any other RoundTripper get their own copies and the write counter.
	var (
		x   *exchange
		req *http.Request
		err error
	)
	if c.stdTransport() {
		x = &exchange{body: onceBody{s: form}}
		req, err = endpoint.newRequest(ctx, &x.body, nil, c.header, &x.req)
	} else {
		hx := &hostExchange{exchange: exchange{body: onceBody{s: form}}}
		x = &hx.exchange
		hx.trace.WroteRequest = x.body.wrote
		req, err = endpoint.newRequest(httptrace.WithClientTrace(ctx, &hx.trace), &x.body, &hx.url, nil, &x.req)
	}
	body := &x.body
	if err != nil {
		return nil, false, fmt.Errorf("build request: %w", sanitizeURLError(err))
	}
	req.ContentLength = int64(len(form))
	req.GetBody = nil
	if len(req.Header) == 0 { // the request's own header map, not the shared one
		req.Header["Content-Type"] = c.headers[0]
		req.Header["User-Agent"] = c.headers[1]
	}
	res, err := c.post(req)
	if err != nil {
		return nil, body.read.Load(), err
	}
	defer res.Body.Close()
	bp, raw, err := c.readAnswer(res.Body)
	defer c.answerBufs.Put(bp)
	if err != nil {
		return nil, true, err
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
	r := &x.resp
	if err := wire.DecodeInto(r, raw); err != nil { // copies what it keeps of raw
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
