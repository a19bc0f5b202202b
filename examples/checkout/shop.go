package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/escott-go/escott"
	policy "github.com/escott-go/escott/shop"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// notifyPath is the payment-received notification URL registered with SPS
// (入金通知URL): https and ending with a slash in production.
const notifyPath = "/escott/notify/"

const sessionCookie = "shop_session"

// settings are the merchant settings of the Welcart e-SCOTT Smart screen.
type settings struct {
	Capture      escott.Capture            // 処理区分
	Installments escott.InstallmentSetting // 支払回数
	Registration policy.RegistrationPolicy // クレジットカードの登録
	CVSFee       policy.FeePolicy          // オンライン収納代行の手数料
	PayLimitDays int                       // 支払期限日数
	ThreeDS      threeDSMode               // 3-Dセキュアの方式 (A or B): always on
	Card         cardMethod                // カード決済の方式 at start-up; the operator switches it on /admin/settings
}

func defaultSettings() settings {
	return settings{
		Capture:      escott.CaptureLater,
		Installments: escott.InstallmentsAndRevolving,
		Registration: policy.MemberChooses,
		CVSFee:       policy.FixedFee(escott.Yen(220)),
		PayLimitDays: escott.DefaultPayLimitDays,
		ThreeDS:      threeDSModeB,
		Card:         cardByToken,
	}
}

// shop is the web shop: an http.Handler.
type shop struct {
	admin  adminCredentials
	client *escott.Client
	set    settings
	store  *store
	log    *slog.Logger
	pages  map[string]*template.Template
	mux    *http.ServeMux
	card   atomic.Value // cardMethod, switched by the operator at run time
}

// newShop builds the shop around a client and the settings of its
// notification receiver.
func newShop(client *escott.Client, nopts []escott.NotifyOption, set settings, admin adminCredentials, log *slog.Logger) (*shop, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if admin.User == "" || admin.Password == "" {
		return nil, errors.New("the admin pages need a user and password")
	}
	s := &shop{admin: admin, client: client, set: set, store: newStore(), log: log, pages: map[string]*template.Template{}}
	for _, name := range []string{"home", "checkout", "order", "orders", "admin", "errors", "message", "member", "admin_members", "admin_member", "admin_login", "confirm", "admin_settings"} {
		files := []string{"templates/layout.html", "templates/" + name + ".html"}
		if name == "checkout" || name == "member" {
			files = append(files, "templates/card_fields.html") // the token form's card fields
		}
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	notify, err := client.NotificationHandler(append(nopts, escott.WithNotifyLogger(log))...)
	if err != nil {
		return nil, err
	}
	notify.OnPaymentReceived(s.paymentReceived)
	notify.OnOtherEvent(s.otherEvent)

	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.home)
	m.HandleFunc("POST /cart", s.cartAction)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /checkout", s.checkout)
	m.HandleFunc("GET /paytypes", s.payTypes)
	m.HandleFunc("POST /checkout/card", s.payByCard)
	m.HandleFunc("POST /checkout/stored", s.payByStoredCard)
	m.HandleFunc("POST /checkout/cvs", s.payByCVS)
	m.HandleFunc("POST "+threeDSReturnPath, s.threeDSReturn)
	m.HandleFunc("GET /3ds/refused", s.threeDSRefused)
	m.HandleFunc("POST /checkout/link", s.payByLink)
	m.HandleFunc("GET "+linkReturnPath, s.linkReturn)
	m.HandleFunc("POST "+linkReturnPath, s.linkReturn)
	m.HandleFunc("GET /admin/settings", s.settingsPage)
	m.HandleFunc("POST /admin/settings", s.saveSettings)
	m.HandleFunc("GET /orders/{id}", s.orderPage)
	m.HandleFunc("GET "+adminLoginPath, s.adminLoginPage)
	m.HandleFunc("POST "+adminLoginPath, s.adminLogin)
	m.HandleFunc("POST /admin/logout", s.adminLogout)
	m.HandleFunc("GET /admin/{$}", s.orders)
	m.HandleFunc("GET /admin/orders", s.orders)
	m.HandleFunc("GET /admin/orders/{id}", s.adminPage)
	m.HandleFunc("POST /admin/orders/{id}/{action}", s.adminAction)
	m.HandleFunc("GET /member", s.memberPage)
	m.HandleFunc("POST /member/card", s.changeCard)
	m.HandleFunc("GET /admin/members", s.adminMembers)
	m.HandleFunc("GET /admin/members/{name}", s.adminMember)
	m.HandleFunc("POST /admin/members/{name}/delete", s.deleteMember)
	m.HandleFunc("GET /admin/errors", s.errorsPage)
	m.HandleFunc("POST /admin/errors/clear", s.clearErrors)
	m.Handle("POST "+notifyPath, notify)
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux = m
	if set.Card == "" {
		set.Card = cardByToken
	}
	s.card.Store(set.Card)
	return s, nil
}

// ServeHTTP implements http.Handler: sessions, the operator's sign-in for
// /admin, and the CSRF check of every state-changing form.
func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Frame-Options", "DENY")
	if strings.HasPrefix(r.URL.Path, "/static/") || csrfExempt(r.URL.Path) {
		// The gateway's calls (notification, 3-D Secure return) carry no
		// session: they must not make one, nor replace the shopper's.
		s.mux.ServeHTTP(w, r)
		return
	}
	r = withSession(w, r)
	if isAdminPath(r.URL.Path) && !s.store.isAdmin(sessionID(r)) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, adminLoginPath+"?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		s.message(w, r, http.StatusUnauthorized, "管理者ログイン", "管理者としてログインしてください。 (Sign in as the operator.)")
		return
	}
	if err := s.checkCSRF(r); err != nil {
		s.log.Warn("form refused", "path", r.URL.Path, "err", err)
		s.message(w, r, http.StatusForbidden, "フォームの有効期限切れ",
			"このフォームは受け付けられません。ページを開き直してからもう一度お試しください。 (The form was refused: reload the page and try again.)")
		return
	}
	s.mux.ServeHTTP(w, r)
}

var templateFuncs = template.FuncMap{
	"yen":      yen,
	"opname":   opName,
	"method":   methodLabel,
	"tdslabel": threeDSLabel,
	"paylimit": payLimitText,
	"path":     url.PathEscape,
	"paytype":  policy.PayTypeLabel[escott.PayType],
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jstZone).Format("2006-01-02")
	},
	"months": func() []string {
		return []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jstZone).Format("2006-01-02 15:04:05")
	},
}

// jstZone shows times as the merchant console does.
var jstZone = time.FixedZone("JST", 9*60*60)

// yen formats an amount as "¥2,480".
func yen(v int64) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	b.WriteString("¥")
	if v < 0 {
		b.WriteByte('-')
		s = s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// view is what every page template gets: the layout's data and the page's.
type view struct {
	Title    string
	CSRF     string // the session's token, for the layout's forms
	Admin    bool   // the operator is signed in: show the admin menu
	Customer *customer
	Cart     int // items in the cart
	Errors   int // entries in the payment-error log (the admin banner)
	Body     any
}

func (s *shop) render(w http.ResponseWriter, r *http.Request, status int, page, title string, body any) {
	sid := sessionID(r)
	n := 0
	for _, l := range s.store.cart(sid) {
		n += l.Qty
	}
	token, err := s.store.csrfToken(sid)
	if err != nil {
		s.log.Error("csrf token", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if m, ok := body.(map[string]any); ok {
		m["CSRF"] = token // every page's forms post it back
	}
	v := view{Title: title, CSRF: token, Admin: s.store.isAdmin(sid), Customer: s.store.customerOf(sid), Cart: n, Errors: len(s.store.errorLog()), Body: body}
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, v); err != nil {
		s.log.Error("render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// message renders a short page with a title and text.
func (s *shop) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	s.render(w, r, status, "message", title, text)
}

type sessionKey struct{}

// withSession gives every request a session: the cookie's, or a new one.
func withSession(w http.ResponseWriter, r *http.Request) *http.Request {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) == 32 {
		return r.WithContext(context.WithValue(r.Context(), sessionKey{}, c.Value))
	}
	id, err := newSessionID()
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	setSessionCookie(w, r, id)
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, id))
}

// sessionID is the request's session (set by ServeHTTP).
func sessionID(r *http.Request) string {
	id, _ := r.Context().Value(sessionKey{}).(string)
	return id
}

func (s *shop) home(w http.ResponseWriter, r *http.Request) {
	lines := s.store.cart(sessionID(r))
	s.render(w, r, http.StatusOK, "home", "商品一覧", map[string]any{
		"Products": catalogue, "Lines": lines, "Total": total(lines),
	})
}

func (s *shop) cartAction(w http.ResponseWriter, r *http.Request) {
	sid := sessionID(r)
	if r.PostFormValue("clear") != "" {
		s.store.clearCart(sid)
	} else if p, ok := findProduct(r.PostFormValue("product")); ok {
		s.store.addToCart(sid, p.ID)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// login signs a demo member in with name and password. A name seen for
// the first time becomes a new member with that password (demo sign-up);
// an existing name needs its password.
func (s *shop) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	if name == "" || len(name) > 40 || len(pw) < 8 || len(pw) > 128 {
		s.message(w, r, http.StatusBadRequest, "ログイン",
			"お名前（40文字以内）とパスワード（8文字以上）を入力してください。 (Enter a name of at most 40 characters and a password of at least 8.)")
		return
	}
	if h, ok := s.store.customerPassword(name); ok {
		if !h.matches(pw) {
			s.message(w, r, http.StatusUnauthorized, "ログイン",
				"お名前またはパスワードが違います。 (Wrong name or password.)")
			return
		}
	} else {
		h, err := hashPassword(pw)
		if err != nil {
			s.startFailed(w, r, err)
			return
		}
		if !s.store.signUp(name, h) {
			s.message(w, r, http.StatusConflict, "ログイン", "もう一度お試しください。 (Please try again.)")
			return
		}
	}
	sid, err := s.rotateSession(w, r)
	if err != nil {
		s.startFailed(w, r, err)
		return
	}
	s.store.login(sid, name)
	http.Redirect(w, r, safeBack(r), http.StatusSeeOther)
}

func (s *shop) logout(w http.ResponseWriter, r *http.Request) {
	s.store.logout(sessionID(r))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeBack returns the local page to go back to after a form.
func safeBack(r *http.Request) string {
	if b := r.PostFormValue("back"); strings.HasPrefix(b, "/") && !strings.HasPrefix(b, "//") {
		return b
	}
	return "/"
}

// payTypes answers the payment divisions for the first digits of a card
// number, from the SDK's rule: the checkout page calls it as the shopper
// types. The page sends two digits only; that is all the rule needs.
func (s *shop) payTypes(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	type choice struct {
		Value string `json:"value"`
		Label string `json:"label"`
	}
	out := struct {
		Brand   string   `json:"brand"`
		Choices []choice `json:"choices"`
	}{Brand: string(escott.BrandOf(prefix)), Choices: []choice{}}
	for _, pt := range escott.PayTypeChoices(prefix, s.set.Installments) {
		out.Choices = append(out.Choices, choice{string(pt), policy.PayTypeLabel(pt)})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *shop) orders(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "orders", "受注一覧", map[string]any{
		"Orders": s.store.orderList(), "Now": time.Now(), "ErrorCount": len(s.store.errorLog()),
	})
}

// orderPage is the shopper's order: shown to the session that made it or
// the member it belongs to, to nobody else.
func (s *shop) orderPage(w http.ResponseWriter, r *http.Request) {
	o, ok := s.store.order(r.PathValue("id"))
	if !ok || !s.owns(r, o) {
		if r.URL.Query().Get("again") != "" {
			s.threeDSRefused(w, r)
			return
		}
		s.message(w, r, http.StatusNotFound, "ご注文", "ご注文が見つかりません。 (No such order.)")
		return
	}
	s.render(w, r, http.StatusOK, "order", "ご注文 "+o.ID, map[string]any{
		"Order": o, "Now": time.Now(), "Again": r.URL.Query().Get("again") != "",
	})
}

// owns reports whether the request's shopper made the order.
func (s *shop) owns(r *http.Request, o order) bool {
	if o.session != "" && o.session == sessionID(r) {
		return true
	}
	c := s.store.customerOf(sessionID(r))
	return c != nil && o.Customer != "" && o.Customer == c.Name
}

// fail records a failed gateway operation in the payment-error log and
// returns the messages for the shopper.
func (s *shop) fail(o *order, op string, err error) (ja, en string) {
	return s.logFailure(errorEntry{At: time.Now(), OrderID: o.ID, LinkKey: o.LinkKey, Op: op}, err)
}

// logFailure records e with err's codes in the payment-error log and
// returns the messages for the shopper.
func (s *shop) logFailure(e errorEntry, err error) (ja, en string) {
	e.Detail = operatorDetail(err, e.LinkKey)
	var gwErr *escott.Error
	var authErr *escott.AuthenticationError
	var valErr *escott.ValidationError
	switch {
	case errors.As(err, &gwErr):
		e.Codes = gwErr.Codes
		ja, en = gwErr.ShopperMessage("ja"), gwErr.ShopperMessage("en")
	case errors.As(err, &authErr):
		ja, en = "カード会社の本人認証（3-Dセキュア）ができませんでした。別のカードをご利用ください。",
			"The card issuer could not authenticate you (3-D Secure). Please use another card."
	case errors.Is(err, escott.ErrOutcomeUnknown):
		ja, en = "決済結果を確認できませんでした。二重決済を防ぐため、再度お支払いにならず、ショップにお問い合わせください。",
			"We could not confirm the payment. To avoid paying twice, do not pay again: please contact the shop."
	case errors.As(err, &valErr):
		ja, en = "入力内容をご確認ください。", "Please check what you entered."
	case errors.Is(err, escott.ErrJournalUnresolved):
		ja, en = "前回のお支払いの結果を確認中です。二重決済を防ぐため、ショップにお問い合わせください。",
			"The result of your previous payment is being checked. To avoid paying twice, please contact the shop."
	default:
		ja, en = "ただいま決済できません。しばらくしてからお試しください。", "The payment could not be made now. Please try again later."
	}
	s.store.logError(e)
	s.log.Warn("payment operation failed", "order", e.OrderID, "link_key", e.LinkKey, "customer", e.Member, "op", e.Op, "err", err)
	return ja, en
}
