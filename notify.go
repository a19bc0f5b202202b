package escott

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/escott-go/escott/internal/redact"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// NotifySources returns the gateway's source addresses of payment-received
// notifications for env (docs/protocol.md §8.1), as SPS publishes them: a
// fresh copy the caller may change. The disaster-recovery addresses
// (13.208.56.91, 13.208.108.172, 15.152.0.135) belong to both environments,
// as in Welcart 2.12.1. A handler uses them unless WithNotifySources
// replaces them.
func NotifySources(env Environment) []string {
	if env == Production {
		return slices.Clone(productionNotifySources)
	}
	return slices.Clone(testNotifySources)
}

var (
	productionNotifySources = []string{
		"54.238.10.224", "3.114.145.91", "54.248.234.19", // production
		"13.208.56.91", "13.208.108.172", "15.152.0.135", // disaster recovery
	}
	testNotifySources = []string{
		"35.72.54.3", "54.248.208.159", "35.72.47.156", // test
		"13.208.56.91", "13.208.108.172", "15.152.0.135", // disaster recovery
	}
)

// DefaultNotifyMaxBody is the largest notification body accepted. Real ones
// are a few hundred bytes.
const DefaultNotifyMaxBody = 8 << 10

// DefaultDedupeTTL is how long the in-memory store remembers a processed
// notification. The gateway redelivers for about five hours.
const DefaultDedupeTTL = 7 * 24 * time.Hour

// Answer bodies of the notification receiver: the gateway redelivers after
// anything but NotifyAccepted.
const (
	NotifyAccepted = "0"
	NotifyRejected = "1"
)

// notifyConfig is what the receiver checks with: the client's credentials
// and the options.
type notifyConfig struct {
	MerchantID, MerchantPass string
	Environment              Environment
	AllowMissingHash         bool
	AllowedSources           []string // nil: NotifySources(Environment)
	DisableSourceCheck       bool
	TrustedProxies           []string
	MaxBody                  int64

	store   DedupeStore
	log     *slog.Logger
	now     func() time.Time
	confirm bool
}

// NotifyOption configures a NotificationHandler or NotificationParser. An
// option that cannot apply (a nil store, logger or clock, a negative body
// cap, an invalid address) is reported by Client.NotificationHandler or
// Client.NotificationParser in a *ConfigError.
type NotifyOption func(*notifyConfig) error

// WithAllowMissingHash accepts notifications without HashCd (a HashCd that
// is present is still verified). By default a notification without HashCd
// is refused with 403, in both environments, and the refusal is logged with
// this remedy: HashCd (md5 of ProcessPass + RecvNum + MerchantPass) is the
// only real authentication of a notification, and the gateway sends it. Use
// this only for a contract whose notifications demonstrably lack it; each
// one accepted without it is logged as a warning.
func WithAllowMissingHash() NotifyOption {
	return func(c *notifyConfig) error { c.AllowMissingHash = true; return nil }
}

// WithNotifySources replaces the addresses notifications may come from
// (IPs or CIDRs); the default is NotifySources of the client's environment.
func WithNotifySources(sources ...string) NotifyOption {
	return func(c *notifyConfig) error {
		if _, err := parsePrefixes(sources); err != nil {
			return errors.New("WithNotifySources: " + err.Error())
		}
		c.AllowedSources = slices.Clone(sources)
		if c.AllowedSources == nil {
			c.AllowedSources = []string{}
		}
		return nil
	}
}

// WithoutSourceCheck turns the source-address check off, for local testing
// only (e.g. with escotttest, which posts from loopback).
func WithoutSourceCheck() NotifyOption {
	return func(c *notifyConfig) error { c.DisableSourceCheck = true; return nil }
}

// WithTrustedProxies names the CIDRs or IPs of the host's own reverse
// proxies. Only when the peer is one of them is X-Forwarded-For read (right
// to left, skipping trusted proxies). Without it the header is ignored.
func WithTrustedProxies(proxies ...string) NotifyOption {
	return func(c *notifyConfig) error {
		if _, err := parsePrefixes(proxies); err != nil {
			return errors.New("WithTrustedProxies: " + err.Error())
		}
		c.TrustedProxies = slices.Clone(proxies)
		return nil
	}
}

// WithMaxBody caps the notification body; the default is
// DefaultNotifyMaxBody. n must be positive.
func WithMaxBody(n int64) NotifyOption {
	return func(c *notifyConfig) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxBody: %d is not positive", n)
		}
		c.MaxBody = n
		return nil
	}
}

// WithDedupeStore replaces the in-memory dedupe store, e.g. with one backed
// by the host's database so that several instances share it. A parser does
// not dedupe and ignores it.
func WithDedupeStore(s DedupeStore) NotifyOption {
	return func(c *notifyConfig) error {
		if s == nil {
			return errors.New("WithDedupeStore: nil store")
		}
		c.store = s
		return nil
	}
}

// WithNotifyLogger sets the logger. Rejections and warnings are logged with
// link keys and reasons, never ProcessPass or MerchantPass. The default is
// the client's logger.
func WithNotifyLogger(l *slog.Logger) NotifyOption {
	return func(c *notifyConfig) error {
		if l == nil {
			return errors.New("WithNotifyLogger: nil *slog.Logger")
		}
		c.log = l
		return nil
	}
}

// WithConfirmation makes the handler confirm each payment with an inquiry
// (2Ref) through its client before emitting it: the payment must show a
// NyukinDate and the same amount. A transport failure answers 500 so that
// the gateway redelivers. A parser does not confirm and ignores it.
func WithConfirmation() NotifyOption {
	return func(c *notifyConfig) error { c.confirm = true; return nil }
}

// WithNotifyClock replaces the client's clock for the dedupe TTL of the
// default store.
func WithNotifyClock(now func() time.Time) NotifyOption {
	return func(c *notifyConfig) error {
		if now == nil {
			return errors.New("WithNotifyClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// notifyConfig builds the receiver's settings from the client's Config and
// opts.
func (c *Client) notifyConfig(opts []NotifyOption) (notifyConfig, error) {
	nc := notifyConfig{MerchantID: c.cfg.MerchantID, MerchantPass: c.cfg.MerchantPass, Environment: c.cfg.Environment,
		log: c.log, now: c.now}
	var p []string
	for i, o := range opts {
		if o == nil {
			p = append(p, fmt.Sprintf("notify option %d is nil", i+1))
			continue
		}
		if err := o(&nc); err != nil {
			p = append(p, err.Error())
		}
	}
	if len(p) > 0 {
		return nc, &ConfigError{Problems: p}
	}
	return nc, nil
}

// PaymentReceived is a payment-received notification (入金通知) with
// Condition=000 and ResponseCd=OK: the shopper paid.
type PaymentReceived struct {
	// LinkKey is MerchantFree1 as sent in 2Add: find the order by it, or by
	// TransactionID (that of the latest 2Add or 2Chg).
	LinkKey                      string
	MerchantFree2, MerchantFree3 string
	TransactionID                string
	// Process identifies the payment for Inquire; Pass is redacted when
	// printed.
	Process Process
	// Amount paid; zero when the notification had none.
	Amount decimal.Decimal
	// ReceiptNumber (RecvNum) is the receipt number (受付番号) of the payment.
	ReceiptNumber string
	// Agency is where the shopper paid; Agency.NameJA() for display.
	Agency        CollectingAgency
	TenantID      string
	PaymentNumber string // KessaiNumber, when sent
	// PaidAt is NyukinDate in JST (Raw keeps the field as received).
	PaidAt time.Time
	// StampFlag: a revenue stamp applies (StampFlag=1).
	StampFlag bool
	// HashVerified: HashCd was present and matched.
	HashVerified bool
	// Confirmed is the inquiry made with WithConfirmation, else nil.
	Confirmed *CVSInquiry
	// Raw holds every field as received except ProcessPass.
	Raw Fields
}

// OtherEvent is a notification that is not a payment: Condition other than
// 000 or ResponseCd other than OK. No other value is documented; SPS's own
// module mails the operator.
type OtherEvent struct {
	Condition, ResponseCode string
	LinkKey                 string
	TransactionID           string
	Process                 Process
	ReceiptNumber           string
	Raw                     Fields // without ProcessPass
}

// Notification is a parsed, verified notification: exactly one of Payment
// and Other is set.
type Notification struct {
	Payment *PaymentReceived
	Other   *OtherEvent
}

// key is the stable identity of a notification for dedupe.
func (n *Notification) key() string {
	if n.Payment != nil {
		return dedupeKey("pay", n.Payment.TransactionID, n.Payment.ReceiptNumber)
	}
	o := n.Other
	return dedupeKey("other", o.TransactionID, o.ReceiptNumber, o.Condition, o.ResponseCode)
}

// maxPlainDedupeKey is the longest key stored as is; longer ones are hashed,
// so that a key always fits an indexed database column.
const maxPlainDedupeKey = 200

// dedupeKey encodes parts injectively (docs/protocol.md §8.1): two different
// lists of parts never give the same key.
//
//   - When no part contains '|' and the join is short, the key is the parts
//     joined by '|', as earlier versions wrote it, so that a store filled
//     before an upgrade still recognises the gateway's redeliveries. The
//     number of parts is fixed by the first one ("pay" or "other"), so the
//     join is injective among such keys.
//   - Otherwise the key is "v2:" followed by each part as its byte length,
//     ':' and the part; above maxPlainDedupeKey bytes it is "v2h:" and the
//     hex SHA-256 of that encoding. The prefixes keep the three forms apart
//     (a "pay|…" or "other|…" key never starts with "v2").
func dedupeKey(parts ...string) string {
	legacy := true
	for _, p := range parts {
		if strings.Contains(p, "|") {
			legacy = false
			break
		}
	}
	if legacy {
		if k := strings.Join(parts, "|"); len(k) <= maxPlainDedupeKey {
			return k
		}
	}
	var b strings.Builder
	b.WriteString("v2:")
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	if b.Len() <= maxPlainDedupeKey {
		return b.String()
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "v2h:" + hex.EncodeToString(sum[:])
}

// NotificationError is why a notification was refused. Status is the HTTP
// status to answer (with body NotifyRejected).
type NotificationError struct {
	Status int
	Reason string
}

func (e *NotificationError) Error() string {
	return fmt.Sprintf("escott: notification refused (%d): %s", e.Status, e.Reason)
}

func refuse(status int, format string, a ...any) *NotificationError {
	return &NotificationError{Status: status, Reason: fmt.Sprintf(format, a...)}
}

// notifyChecker holds the compiled checks of a receiver's settings.
type notifyChecker struct {
	cfg     notifyConfig
	allowed []netip.Prefix
	proxies []netip.Prefix
}

func newNotifyChecker(cfg notifyConfig) (*notifyChecker, error) {
	var p []string
	if cfg.MerchantID == "" {
		p = append(p, "MerchantID is required")
	}
	if cfg.MerchantPass == "" {
		p = append(p, "MerchantPass is required (HashCd)")
	}
	if cfg.Environment != Test && cfg.Environment != Production {
		p = append(p, "Environment must be escott.Test or escott.Production")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultNotifyMaxBody
	}
	src := cfg.AllowedSources
	if src == nil {
		src = testNotifySources
		if cfg.Environment == Production {
			src = productionNotifySources
		}
	}
	ck := &notifyChecker{cfg: cfg}
	var err error
	if ck.allowed, err = parsePrefixes(src); err != nil {
		p = append(p, "AllowedSources: "+err.Error())
	}
	if ck.proxies, err = parsePrefixes(cfg.TrustedProxies); err != nil {
		p = append(p, "TrustedProxies: "+err.Error())
	}
	if len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	return ck, nil
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if strings.Contains(s, "/") {
			pr, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP or CIDR", s)
			}
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP or CIDR", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func contains(list []netip.Prefix, a netip.Addr) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// source returns the client address of r: the peer, or with trusted proxies
// the right-most X-Forwarded-For entry that is not a trusted proxy.
func (ck *notifyChecker) source(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	peer = peer.Unmap().WithZone("")
	if len(ck.proxies) == 0 || !contains(ck.proxies, peer) {
		return peer, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap()
		if !contains(ck.proxies, a) {
			return a, true
		}
	}
	return peer, true
}

// NotificationParser reads and verifies payment-received notifications for
// hosts with their own router: method, size, content type, source address,
// MerchantId (constant time), HashCd and required fields. It does not dedupe
// or dispatch: prefer Client.NotificationHandler, which also dedupes. It is
// built once by Client.NotificationParser and safe for concurrent use.
type NotificationParser struct{ ck *notifyChecker }

// NotificationParser returns a parser of the notifications sent to this
// client's merchant: the credentials and environment are the client's
// Config; opts are the receiver's settings (WithNotifySources,
// WithTrustedProxies, WithAllowMissingHash, WithMaxBody …). Every problem is
// reported at once as a *ConfigError.
func (c *Client) NotificationParser(opts ...NotifyOption) (*NotificationParser, error) {
	nc, err := c.notifyConfig(opts)
	if err != nil {
		return nil, err
	}
	ck, err := newNotifyChecker(nc)
	if err != nil {
		return nil, err
	}
	return &NotificationParser{ck: ck}, nil
}

// Parse reads and verifies one notification. On failure the error is a
// *NotificationError whose Status the host should answer, with body
// NotifyRejected ("1").
func (p *NotificationParser) Parse(r *http.Request) (*Notification, error) {
	n, _, err := p.ck.parse(r)
	return n, err
}

// Format implements fmt.Formatter: a NotificationParser prints as its type
// name only, so that no credential it holds can leak through fmt.
func (p *NotificationParser) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte("*escott.NotificationParser"))
}

// parse runs every check. hashMissing reports an accepted notification
// without HashCd, for the warning.
func (ck *notifyChecker) parse(r *http.Request) (_ *Notification, hashMissing bool, _ error) {
	if r.Method != http.MethodPost {
		return nil, false, refuse(http.StatusMethodNotAllowed, "method %s", r.Method)
	}
	charset := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, false, refuse(http.StatusUnsupportedMediaType, "content type is not a form")
		}
		charset = params["charset"]
	}
	if !ck.cfg.DisableSourceCheck {
		a, ok := ck.source(r)
		if !ok || !contains(ck.allowed, a) {
			return nil, false, refuse(http.StatusForbidden, "source address %s not allowed", a)
		}
	}
	if r.ContentLength > ck.cfg.MaxBody {
		return nil, false, refuse(http.StatusRequestEntityTooLarge, "body over %d bytes", ck.cfg.MaxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, ck.cfg.MaxBody+1))
	if err != nil {
		return nil, false, refuse(http.StatusBadRequest, "reading body: %v", err)
	}
	if int64(len(body)) > ck.cfg.MaxBody {
		return nil, false, refuse(http.StatusRequestEntityTooLarge, "body over %d bytes", ck.cfg.MaxBody)
	}
	return ck.parseBody(body, charset)
}

// notifyStrictFields are the fields the SDK reads to decide, identify or
// authenticate a notification: they must be printable text (the charset
// changes nothing for them, they are ASCII at the gateway). Every other field
// is display-only and never makes a notification fail.
var notifyStrictFields = map[string]bool{
	"MerchantId": true, "TransactionId": true, "TransactionDate": true, "OperateId": true, "MerchantFree1": true,
	"ProcessId": true, "ProcessPass": true, "ResponseCd": true, "Condition": true, "Amount": true, "RecvNum": true,
	"CvsCd": true, "TenantCd": true, "NyukinDate": true, "StampFlag": true, "HashCd": true, "KessaiNumber": true,
}

// textDecoder returns the decoder of a declared charset, or nil for UTF-8,
// no charset, or one that is not known (its fields are then kept as bytes).
func textDecoder(charset string) *encoding.Decoder {
	if charset == "" {
		return nil
	}
	e, err := htmlindex.Get(charset)
	if err != nil || e == unicode.UTF8 {
		return nil
	}
	return e.NewDecoder()
}

// errHashMissing is the reason of a refusal for a missing HashCd.
const errHashMissing = "HashCd missing"

// parseBody checks the fields of a notification body, read as PHP's
// parse_str does (docs/protocol.md §2) and decoded from charset.
func (ck *notifyChecker) parseBody(body []byte, charset string) (_ *Notification, hashMissing bool, _ error) {
	f, err := wire.ParseForm(string(body))
	if err != nil {
		return nil, false, refuse(http.StatusBadRequest, "malformed form")
	}
	dec := textDecoder(charset)
	for k, v := range f {
		if dec != nil && !ascii.IsPrintable(v) {
			if d, err := dec.String(v); err == nil {
				f[k], v = d, d
			}
		}
		if notifyStrictFields[k] && !printable(v) {
			return nil, false, refuse(http.StatusBadRequest, "field %s has control characters or invalid UTF-8", k)
		}
	}
	for _, k := range []string{"MerchantId", "TransactionId", "RecvNum", "NyukinDate", "MerchantFree1"} {
		if f[k] == "" {
			return nil, false, refuse(http.StatusBadRequest, "required field %s missing", k)
		}
	}
	if subtle.ConstantTimeCompare([]byte(f["MerchantId"]), []byte(ck.cfg.MerchantID)) != 1 {
		return nil, false, refuse(http.StatusForbidden, "MerchantId does not match")
	}
	hash, hasHash := f["HashCd"]
	if hasHash || !ck.cfg.AllowMissingHash {
		if !hasHash {
			return nil, false, refuse(http.StatusForbidden, errHashMissing)
		}
		sum := md5.Sum([]byte(f["ProcessPass"] + f["RecvNum"] + ck.cfg.MerchantPass))
		want := hex.EncodeToString(sum[:])
		if subtle.ConstantTimeCompare([]byte(strings.ToLower(hash)), []byte(want)) != 1 {
			return nil, false, refuse(http.StatusForbidden, "HashCd does not match")
		}
	}
	paid, err := jst.ParseTime(f["NyukinDate"])
	if err != nil || !ascii.IsDigits(f["NyukinDate"]) {
		return nil, false, refuse(http.StatusBadRequest, "NyukinDate is not 14, 12 or 8 digits")
	}
	var amount decimal.Decimal
	if a := f["Amount"]; a != "" {
		if !ascii.IsDigits(a) || len(a) > 9 {
			return nil, false, refuse(http.StatusBadRequest, "Amount is not whole yen")
		}
		amount, _ = decimal.NewFromString(a)
	}
	for _, k := range []string{"TransactionId", "RecvNum", "MerchantFree1", "ProcessId"} {
		if v := f[k]; len(v) > 64 || !printableASCII(v) {
			return nil, false, refuse(http.StatusBadRequest, "field %s is not short ASCII", k)
		}
	}
	proc := Process{ID: f["ProcessId"], Pass: Secret(f["ProcessPass"]), LinkKey: f["MerchantFree1"]}
	raw := fieldsExcept(f, "ProcessPass")
	cond, rc := f["Condition"], f["ResponseCd"]
	// A notification without Condition and ResponseCd carries only the payment
	// fields; the payment is the only documented event, so it is one.
	if (cond == "000" || cond == "") && (rc == "OK" || rc == "") {
		return &Notification{Payment: &PaymentReceived{
			LinkKey:       f["MerchantFree1"],
			MerchantFree2: strings.ToValidUTF8(f["MerchantFree2"], "\uFFFD"),
			MerchantFree3: strings.ToValidUTF8(f["MerchantFree3"], "\uFFFD"),
			TransactionID: f["TransactionId"],
			Process:       proc,
			Amount:        amount,
			ReceiptNumber: f["RecvNum"],
			Agency:        CollectingAgency(f["CvsCd"]),
			TenantID:      f["TenantCd"],
			PaymentNumber: f["KessaiNumber"],
			PaidAt:        paid,
			StampFlag:     f["StampFlag"] == "1",
			HashVerified:  hasHash,
			Raw:           raw,
		}}, !hasHash, nil
	}
	return &Notification{Other: &OtherEvent{
		Condition: cond, ResponseCode: rc, LinkKey: f["MerchantFree1"], TransactionID: f["TransactionId"],
		Process: proc, ReceiptNumber: f["RecvNum"], Raw: raw,
	}}, !hasHash, nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// printableASCII: printable ASCII without spaces.
func printableASCII(s string) bool { return ascii.IsPrintable(s) && !strings.Contains(s, " ") }

// NotificationHandler receives payment-received notifications: an
// http.Handler to mount at the URL registered with SPS. It verifies each
// notification (see NotificationParser), dedupes it, calls the subscribers
// synchronously with the request's context, and answers as docs/protocol.md §8.1
// decides:
//
//   - accepted, or already processed (a redelivery): 200, body "0";
//   - a subscriber failed (or none is registered for payments), the dedupe
//     store failed, or confirmation could not be made: 500, body "1" — the
//     gateway redelivers, and the notification is not marked seen;
//   - the same notification is being processed by another request: 503,
//     body "1" — a redelivery will find it done;
//   - forged or malformed (GET 405, too large 413, wrong content type 415,
//     source address, MerchantId or HashCd 403, bad fields 400, confirmation
//     contradicts it 422): body "1" and no event.
//
// Register subscribers before serving.
type NotificationHandler struct {
	ck      *notifyChecker
	store   DedupeStore
	log     *slog.Logger
	confirm *Client  // nil without WithConfirmation
	obs     Observer // the client's, or nil

	mu      sync.RWMutex
	onPay   []func(context.Context, PaymentReceived) error
	onOther []func(context.Context, OtherEvent) error
}

// NotificationHandler returns a handler of the notifications sent to this
// client's merchant: the credentials and environment are the client's
// Config; opts are the receiver's settings. Every problem is reported at once
// as a *ConfigError. The handler has an in-memory dedupe store
// (DefaultDedupeTTL) unless WithDedupeStore is given, and logs with the
// client's logger unless WithNotifyLogger is given.
func (c *Client) NotificationHandler(opts ...NotifyOption) (*NotificationHandler, error) {
	nc, err := c.notifyConfig(opts)
	if err != nil {
		return nil, err
	}
	ck, err := newNotifyChecker(nc)
	if err != nil {
		return nil, err
	}
	h := &NotificationHandler{ck: ck, log: nc.log, store: nc.store, obs: c.obs}
	if nc.confirm {
		h.confirm = c
	}
	if h.store == nil {
		h.store = NewMemoryDedupeStore(DefaultDedupeTTL, nc.now)
	}
	return h, nil
}

// OnPaymentReceived adds a subscriber for payments. Subscribers run in the
// order added; the first error stops the chain and answers 500 so that the
// gateway redelivers, and then every subscriber runs again: make them
// idempotent (e.g. "mark the order paid" is).
func (h *NotificationHandler) OnPaymentReceived(fn func(context.Context, PaymentReceived) error) {
	h.mu.Lock()
	h.onPay = append(h.onPay, fn)
	h.mu.Unlock()
}

// OnOtherEvent adds a subscriber for notifications that are not payments
// (unknown Condition or ResponseCd). Without one they are logged and
// acknowledged.
func (h *NotificationHandler) OnOtherEvent(fn func(context.Context, OtherEvent) error) {
	h.mu.Lock()
	h.onOther = append(h.onOther, fn)
	h.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (h *NotificationHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in Inbound // what the observer sees: filled only with one
	if h.obs != nil {
		r = startInbound(h.obs, h.log, r, InboundNotification)
		in.Kind = InboundNotification
		defer endInboundIfPanicking(r.Context(), h.obs, h.log, &in)
	}
	status := h.handle(r, &in)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.WriteHeader(status)
	body := NotifyRejected
	if status == http.StatusOK {
		body = NotifyAccepted
	}
	_, _ = io.WriteString(w, body)
	if h.obs != nil {
		h.endNotification(r.Context(), &in, status)
	}
}

// handle answers the status of a notification and, when an observer
// watches (in.Kind is set), notes what it was in in.
func (h *NotificationHandler) handle(r *http.Request, in *Inbound) int {
	ctx := r.Context()
	n, hashMissing, err := h.ck.parse(r)
	if err != nil {
		var ne *NotificationError
		if errors.As(err, &ne) {
			in.Reason = ne.Reason
			if ne.Reason == errHashMissing {
				h.log.ErrorContext(ctx, "escott: notification refused: HashCd missing. HashCd is required by default; "+
					"if your e-SCOTT contract really sends notifications without it, use escott.WithAllowMissingHash() "+
					"(see docs/protocol.md §8.1)", "status", ne.Status, "remote", r.RemoteAddr)
				return ne.Status
			}
			h.log.WarnContext(ctx, "escott: notification refused", "status", ne.Status, "reason", ne.Reason,
				"remote", r.RemoteAddr)
			return ne.Status
		}
		return http.StatusBadRequest
	}
	linkKey, recv := "", ""
	if n.Payment != nil {
		linkKey, recv = n.Payment.LinkKey, n.Payment.ReceiptNumber
	} else {
		linkKey, recv = n.Other.LinkKey, n.Other.ReceiptNumber
	}
	if hashMissing {
		h.log.WarnContext(ctx, "escott: notification without HashCd accepted (WithAllowMissingHash is set)",
			"link_key", linkKey)
	}
	if in.Kind != 0 {
		in.LinkKey, in.Event = linkKey, "payment"
		if n.Other != nil {
			in.Event = "other"
			if n.Other.ResponseCode != "" && n.Other.ResponseCode != "OK" {
				in.Codes, _ = wire.SplitCodes(n.Other.ResponseCode)
			}
		}
	}
	return h.dispatch(ctx, n, linkKey, recv, in)
}

// dispatch dedupes and runs the subscribers. It notes a duplicate and the
// reason of a failure in in.
func (h *NotificationHandler) dispatch(ctx context.Context, n *Notification, linkKey, recv string, in *Inbound) (status int) {
	key := n.key()
	claim, err := h.store.Claim(ctx, key)
	if err != nil {
		h.log.ErrorContext(ctx, "escott: dedupe store failed", "link_key", linkKey, "err", err)
		in.Reason = "dedupe store failed"
		return http.StatusInternalServerError
	}
	switch claim {
	case ClaimSeen:
		in.Result = InboundDuplicate
		h.log.InfoContext(ctx, "escott: duplicate notification acknowledged", "link_key", linkKey, "recv_num", recv)
		return http.StatusOK
	case ClaimBusy:
		h.log.InfoContext(ctx, "escott: notification already being processed", "link_key", linkKey, "recv_num", recv)
		return http.StatusServiceUnavailable
	}
	done := false
	defer func() {
		if done {
			return
		}
		// Release on failure and on panic, so that a redelivery can succeed.
		if rerr := h.store.Release(context.WithoutCancel(ctx), key); rerr != nil {
			h.log.ErrorContext(ctx, "escott: dedupe release failed", "link_key", linkKey, "err", rerr)
		}
	}()

	h.mu.RLock()
	onPay, onOther := h.onPay, h.onOther
	h.mu.RUnlock()

	if p := n.Payment; p != nil {
		if h.confirm != nil {
			if st := h.confirmPayment(ctx, p); st != http.StatusOK {
				if st == http.StatusInternalServerError {
					in.Reason = "the confirmation inquiry failed"
				}
				return st
			}
		}
		if len(onPay) == 0 {
			h.log.ErrorContext(ctx, "escott: no OnPaymentReceived subscriber: payment not processed", "link_key", linkKey)
			in.Reason = "no OnPaymentReceived subscriber"
			return http.StatusInternalServerError
		}
		for _, fn := range onPay {
			if err := fn(ctx, *p); err != nil {
				h.log.ErrorContext(ctx, "escott: payment subscriber failed; the gateway will redeliver",
					"link_key", linkKey, "recv_num", recv, "err", err)
				in.Reason = "a subscriber failed"
				return http.StatusInternalServerError
			}
		}
	} else {
		if len(onOther) == 0 {
			h.log.WarnContext(ctx, "escott: notification that is not a payment, no subscriber",
				"link_key", linkKey, "condition", n.Other.Condition, "response_cd", n.Other.ResponseCode)
		}
		for _, fn := range onOther {
			if err := fn(ctx, *n.Other); err != nil {
				h.log.ErrorContext(ctx, "escott: event subscriber failed", "link_key", linkKey, "err", err)
				in.Reason = "a subscriber failed"
				return http.StatusInternalServerError
			}
		}
	}
	done = true
	if err := h.store.Done(context.WithoutCancel(ctx), key); err != nil {
		// Processed: acknowledge anyway; a redelivery may run the subscriber again.
		h.log.ErrorContext(ctx, "escott: dedupe store could not mark the notification seen", "link_key", linkKey, "err", err)
	}
	return http.StatusOK
}

// confirmPayment checks the payment with 2Ref.
func (h *NotificationHandler) confirmPayment(ctx context.Context, p *PaymentReceived) int {
	inq, err := h.confirm.CVS.Inquire(ctx, p.Process, nil)
	var gerr *Error
	var verr *ValidationError
	switch {
	case errors.As(err, &verr), errors.As(err, &gerr) && errors.Is(gerr, ErrUnknownProcess):
		h.log.WarnContext(ctx, "escott: notification for an unknown payment", "link_key", p.LinkKey, "err", err)
		return http.StatusUnprocessableEntity
	case err != nil:
		h.log.ErrorContext(ctx, "escott: confirmation inquiry failed; the gateway will redeliver", "link_key", p.LinkKey, "err", err)
		return http.StatusInternalServerError
	case inq.Status != CVSPaid:
		h.log.WarnContext(ctx, "escott: notification for a payment the gateway shows unpaid", "link_key", p.LinkKey)
		return http.StatusUnprocessableEntity
	case !p.Amount.IsZero() && !inq.Amount.IsZero() && !p.Amount.Equal(inq.Amount):
		h.log.WarnContext(ctx, "escott: notification amount differs from the inquiry", "link_key", p.LinkKey)
		return http.StatusUnprocessableEntity
	}
	p.Confirmed = inq
	return http.StatusOK
}

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v PaymentReceived) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v OtherEvent) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: every verb prints the exported fields
// with secrets redacted, even where fmt would not call their own methods.
func (v Notification) Format(f fmt.State, _ rune) { redact.Write(f, v) }

// Format implements fmt.Formatter: a NotificationHandler prints as its type name only, so
// that no configuration or state it holds can leak through fmt.
func (x *NotificationHandler) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte("*escott.NotificationHandler"))
}
