package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/escott-go/escott"
)

// product is an item of the catalogue. Prices are whole yen. Name is the
// Japanese display name: it is also what the gateway shows the shopper on
// its payment page (ShouhinName), so it carries no translation.
type product struct {
	ID     string
	Name   string // 日本語の商品名
	NameEN string // shown small beside it
	Price  int64
}

// catalogue is the shop's product list.
var catalogue = []product{
	{ID: "tshirt", Name: "Tシャツ", NameEN: "T-shirt", Price: 2480},
	{ID: "mug", Name: "マグカップ", NameEN: "mug", Price: 1200},
	{ID: "tote", Name: "トートバッグ", NameEN: "tote bag", Price: 3300},
	{ID: "tenugui", Name: "手ぬぐい", NameEN: "tenugui towel", Price: 980},
}

func findProduct(id string) (product, bool) {
	for _, p := range catalogue {
		if p.ID == id {
			return p, true
		}
	}
	return product{}, false
}

// line is a product and quantity in a cart or an order.
type line struct {
	Product product
	Qty     int
}

// Sum is the line's amount in yen.
func (l line) Sum() int64 { return l.Product.Price * int64(l.Qty) }

func total(lines []line) int64 {
	var t int64
	for _, l := range lines {
		t += l.Sum()
	}
	return t
}

// status is an order's payment state, as the Welcart order list shows it.
type status string

const (
	statusPending    status = "pending"    // waiting for 3-D Secure
	statusAuthorized status = "authorized" // 与信済み: capture from the admin page
	statusCaptured   status = "captured"   // 売上計上済み
	statusCancelled  status = "cancelled"  // 取消済み
	statusFailed     status = "failed"     // refused: no money moved
	statusUnknown    status = "unknown"    // outcome unknown: check the console by link key
	statusUnpaid     status = "unpaid"     // online collection: 未入金
	statusPaid       status = "paid"       // online collection: 入金済み
)

// Label is the status as the operator reads it.
func (s status) Label() string {
	switch s {
	case statusPending:
		return "認証待ち"
	case statusAuthorized:
		return "与信済み"
	case statusCaptured:
		return "売上計上済み"
	case statusCancelled:
		return "取消済み"
	case statusFailed:
		return "決済エラー"
	case statusUnknown:
		return "結果不明（リンクキーで確認）"
	case statusUnpaid:
		return "未入金"
	case statusPaid:
		return "入金済み"
	}
	return string(s)
}

// ShopperLabel is the status as the shopper reads it.
func (s status) ShopperLabel() string {
	switch s {
	case statusPending:
		return "本人認証待ち"
	case statusAuthorized, statusCaptured:
		return "お支払い手続き完了"
	case statusCancelled:
		return "キャンセル済み"
	case statusFailed:
		return "お支払いできませんでした"
	case statusUnknown:
		return "確認中"
	case statusUnpaid:
		return "お支払い待ち"
	case statusPaid:
		return "お支払い済み"
	}
	return string(s)
}

// Payment methods.
const (
	methodCard   = "card"
	methodStored = "stored card"
	methodCVS    = "online collection"
)

// methodLabel is a payment method as the shopper and operator read it.
func methodLabel(m string) string {
	switch m {
	case methodCard:
		return "クレジットカード"
	case methodStored:
		return "登録済みのクレジットカード"
	case methodCVS:
		return "コンビニ・ペイジー・ネットバンキング"
	}
	return m
}

// event is one gateway operation on an order, shown on the admin page.
type event struct {
	At     time.Time
	Op     string
	OK     bool
	Detail string
}

// order is one checkout. Everything the follow-up operations need is kept:
// the link key (自由領域1 in the merchant console) and the Process.
type order struct {
	ID       string
	Created  time.Time
	Customer string
	Lines    []line
	Amount   int64
	Method   string
	Status   status
	LinkKey  string
	// MemberLinkKey is the link key of the card registration made on the
	// gateway's hosted page before the payment (link type): that payment
	// is a second attempt, with LinkKey a fresh key.
	MemberLinkKey string
	Process       escott.Process // Pass is an escott.Secret: it never prints
	PayType       escott.PayType
	Card          string                  // "VISA •••• 1111", never the number
	ThreeDS       escott.SecureResultCode // when 3-D Secure ran
	// AuthOnly is set when the card was authorised without capture (1Auth,
	// 与信): such a sale keeps the customer's member for 90 days.
	AuthOnly bool

	// Online collection. A change (2Chg) issues a new payment number,
	// FreeArea and MailURL: the order keeps the latest, and NumberChange
	// tells the operator to send the shopper the new ones.
	PaymentNumber string
	FreeArea      string
	PayLimit      time.Time
	MailURL       string
	PaidAt        time.Time
	Agency        escott.CollectingAgency
	NumberChange  *numberChange

	// ShopperJA and ShopperEN explain a failure to the shopper; Field is
	// the card-form field it is about, if any.
	ShopperJA, ShopperEN string
	Field                string
	History              []event

	session string // the cart to empty when the payment completes
}

// Expired reports whether an unpaid online-collection order passed its pay
// limit; the gateway sends no notification for that.
func (o order) Expired(now time.Time) bool {
	if o.Status != statusUnpaid {
		return false
	}
	return escott.Expired(o.PayLimit, now)
}

// numberChange is the latest change of an online-collection payment that
// replaced the payment number the shopper was given.
type numberChange struct {
	At             time.Time
	Old, New       string // payment numbers
	MailURL        string // the new payment page
	Amount         int64
	PayLimit       time.Time
	NumberReplaced bool // false if the gateway kept the number (not seen so far)
}

// errorEntry is one line of the payment-error log (Welcart: 決済エラーログ).
type errorEntry struct {
	At      time.Time
	OrderID string
	LinkKey string
	Member  string // the customer, for member operations
	Op      string
	Codes   []escott.Code
	Detail  string
}

// customer is a demo shop member. Member is set once a card is stored at the
// gateway; the shop keeps only the KaiinId and KaiinPass.
type customer struct {
	Name     string
	Member   *escott.Member
	password passwordHash // never shown, never logged
}

type session struct {
	cart     map[string]int
	customer string
	admin    bool   // signed in on /admin/login
	csrf     string // the token every state-changing form carries
}

// store keeps orders, sessions, customers and the error log in memory,
// behind one mutex. Callers get copies, so that no page renders while the
// lock is held and no gateway call is made under it.
type store struct {
	mu        sync.Mutex
	nextID    int
	orders    map[string]*order
	byLinkKey map[string]string
	sessions  map[string]*session
	customers map[string]*customer
	errors    []errorEntry
}

func newStore() *store {
	return &store{
		nextID:    1001,
		orders:    map[string]*order{},
		byLinkKey: map[string]string{},
		sessions:  map[string]*session{},
		customers: map[string]*customer{},
	}
}

var errNoOrder = errors.New("no such order")

func newSessionID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (s *store) sessionLocked(id string) *session {
	ss, ok := s.sessions[id]
	if !ok {
		ss = &session{cart: map[string]int{}}
		s.sessions[id] = ss
	}
	return ss
}

// cart returns the session's cart in catalogue order.
func (s *store) cart(sid string) []line {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessionLocked(sid)
	var out []line
	for _, p := range catalogue {
		if n := ss.cart[p.ID]; n > 0 {
			out = append(out, line{Product: p, Qty: n})
		}
	}
	return out
}

func (s *store) addToCart(sid, productID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionLocked(sid).cart[productID]++
}

func (s *store) clearCart(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessionLocked(sid).cart)
}

// customerPassword returns the customer's password hash, and whether the
// customer exists.
func (s *store) customerPassword(name string) (passwordHash, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[name]
	if !ok {
		return passwordHash{}, false
	}
	return c.password, true
}

// signUp records a new customer; it reports false if the name is taken.
func (s *store) signUp(name string, pw passwordHash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[name]; ok {
		return false
	}
	s.customers[name] = &customer{Name: name, password: pw}
	return true
}

// login signs the session in as an existing customer.
func (s *store) login(sid, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionLocked(sid).customer = name
}

// setAdmin marks the session as the operator's.
func (s *store) setAdmin(sid string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionLocked(sid).admin = on
}

// isAdmin reports whether the session signed in as the operator.
func (s *store) isAdmin(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[sid]
	return ok && ss.admin
}

// csrfToken returns the session's CSRF token, made on first use.
func (s *store) csrfToken(sid string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessionLocked(sid)
	if ss.csrf == "" {
		t, err := newSessionID()
		if err != nil {
			return "", err
		}
		ss.csrf = t
	}
	return ss.csrf, nil
}

// rotate moves a session to a new ID (at every sign-in, so that an ID known
// before the sign-in is worth nothing after it) with a new CSRF token. The
// session's orders follow it.
func (s *store) rotate(old string) (string, error) {
	id, err := newSessionID()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessionLocked(old)
	delete(s.sessions, old)
	ss.csrf = ""
	s.sessions[id] = ss
	for _, o := range s.orders {
		if o.session == old {
			o.session = id
		}
	}
	return id, nil
}

func (s *store) logout(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionLocked(sid).customer = ""
}

// customerOf returns a copy of the session's customer, or nil for a guest.
func (s *store) customerOf(sid string) *customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[s.sessionLocked(sid).customer]
	if !ok {
		return nil
	}
	cp := *c
	return &cp
}

// customerNamed returns a copy of a customer.
func (s *store) customerNamed(name string) (customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[name]
	if !ok {
		return customer{}, false
	}
	return *c, true
}

// customerList returns every customer by name.
func (s *store) customerList() []customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]customer, 0, len(s.customers))
	for _, c := range s.customers {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b customer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// lastAuthOnlySale is when the customer's latest authorisation-only sale
// was made (zero if none), for the 90-day rule of deleting a member. Every
// such order counts, also cancelled ones and ones paid with another card:
// the rule is about the customer, and erring late is safe.
func (s *store) lastAuthOnlySale(name string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, o := range s.orders {
		if o.Customer == name && o.AuthOnly && o.Created.After(last) {
			last = o.Created
		}
	}
	return last
}

// setMember stores (or, with nil, drops) the customer's gateway member.
func (s *store) setMember(name string, m *escott.Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.customers[name]; ok {
		c.Member = m
	}
}

// newOrder records an order and returns a copy with its ID.
func (s *store) newOrder(o order) order {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.ID = strconv.Itoa(s.nextID)
	s.nextID++
	s.orders[o.ID] = &o
	s.byLinkKey[o.LinkKey] = o.ID
	return o
}

// relink gives an order the link key of its next gateway attempt (the
// payment after a card registration on the hosted page), keeping the
// previous one as MemberLinkKey. Both keys keep naming the order.
func (s *store) relink(id, linkKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return errNoOrder
	}
	o.MemberLinkKey, o.LinkKey = o.LinkKey, linkKey
	s.byLinkKey[linkKey] = id
	return nil
}

// discardOrder forgets an order that never reached the gateway (the
// shopper's input was refused before anything was sent), giving its number
// back when it was the last one issued.
func (s *store) discardOrder(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return
	}
	delete(s.orders, id)
	delete(s.byLinkKey, o.LinkKey)
	if strconv.Itoa(s.nextID-1) == id {
		s.nextID--
	}
}

// orderByLinkKey returns the order of a link key.
func (s *store) orderByLinkKey(linkKey string) (order, bool) {
	s.mu.Lock()
	id, ok := s.byLinkKey[linkKey]
	s.mu.Unlock()
	if !ok {
		return order{}, false
	}
	return s.order(id)
}

func (s *store) order(id string) (order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return order{}, false
	}
	cp := *o
	cp.History = slices.Clone(o.History)
	return cp, true
}

// update changes an order under the lock. When the order completed (fn
// returns true), the cart it was made from is emptied.
func (s *store) update(id string, fn func(o *order) (completed bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return errNoOrder
	}
	if fn(o) && o.session != "" {
		if ss, ok := s.sessions[o.session]; ok {
			clear(ss.cart)
		}
	}
	return nil
}

// updateByLinkKey is update for the notification, which names the order by
// its link key.
func (s *store) updateByLinkKey(linkKey string, fn func(o *order) bool) error {
	s.mu.Lock()
	id, ok := s.byLinkKey[linkKey]
	s.mu.Unlock()
	if !ok {
		return errNoOrder
	}
	return s.update(id, fn)
}

// orderList returns every order, newest first.
func (s *store) orderList() []order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b order) int {
		ai, _ := strconv.Atoi(a.ID)
		bi, _ := strconv.Atoi(b.ID)
		return bi - ai
	})
	return out
}

func (s *store) logError(e errorEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors = append(s.errors, e)
}

// errorLog returns the payment-error log, newest first.
func (s *store) errorLog() []errorEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.errors)
	slices.Reverse(out)
	return out
}

func (s *store) clearErrors() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors = nil
}
