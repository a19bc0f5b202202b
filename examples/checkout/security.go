package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Environment variables of the operator's sign-in.
const (
	envAdminUser     = "ESCOTT_DEMO_ADMIN_USER"
	envAdminPassword = "ESCOTT_DEMO_ADMIN_PASSWORD"
)

// adminCredentials is the operator's sign-in for /admin.
type adminCredentials struct {
	User      string
	Password  string // compared in constant time; never logged
	Generated bool   // made at start-up (fake gateway only): print it
}

// loadAdminCredentials reads the operator's sign-in from the environment.
// Against the real gateway both are required; against the fake a random
// password is generated when none is set, so /admin is never open.
func loadAdminCredentials(getenv func(string) string, realGateway bool) (adminCredentials, error) {
	c := adminCredentials{User: getenv(envAdminUser), Password: getenv(envAdminPassword)}
	if c.User != "" && c.Password != "" {
		if len(c.Password) < 12 {
			return c, fmt.Errorf("%s must be at least 12 characters", envAdminPassword)
		}
		return c, nil
	}
	if realGateway {
		return c, fmt.Errorf("set %s and %s: the admin pages move money and are not served without a sign-in", envAdminUser, envAdminPassword)
	}
	if c.User == "" {
		c.User = "admin"
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return c, err
	}
	c.Password, c.Generated = base64.RawURLEncoding.EncodeToString(b), true
	return c, nil
}

// check compares a submitted sign-in in constant time.
func (c adminCredentials) check(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(c.User))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(c.Password))
	return u&p == 1
}

// passwordHash is a demo member's password, as PBKDF2-HMAC-SHA256.
type passwordHash struct {
	salt, key []byte
}

// pbkdf2Iterations follows OWASP's current advice for PBKDF2-HMAC-SHA256.
const pbkdf2Iterations = 600_000

func hashPassword(pw string) (passwordHash, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return passwordHash{}, err
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, pbkdf2Iterations, 32)
	if err != nil {
		return passwordHash{}, err
	}
	return passwordHash{salt: salt, key: key}, nil
}

// matches reports whether pw is the password, in constant time.
func (h passwordHash) matches(pw string) bool {
	if len(h.key) == 0 {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, pw, h.salt, pbkdf2Iterations, len(h.key))
	return err == nil && subtle.ConstantTimeCompare(key, h.key) == 1
}

// errCSRF is a state-changing request without the session's token.
var errCSRF = errors.New("missing or wrong CSRF token")

// csrfExempt lists the POST endpoints the gateway calls: they carry no
// session and are authenticated by their own means (the notification's
// merchant ID and hash, the 3-D Secure envelope bound to a pending attempt).
func csrfExempt(path string) bool {
	return strings.HasPrefix(path, notifyPath) || path == threeDSReturnPath || path == linkReturnPath
}

// checkCSRF refuses a state-changing request whose form does not carry the
// session's token.
func (s *shop) checkCSRF(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || csrfExempt(r.URL.Path) {
		return nil
	}
	want, err := s.store.csrfToken(sessionID(r))
	if err != nil {
		return err
	}
	got := r.PostFormValue("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// isAdminPath reports whether the path belongs to the operator.
func isAdminPath(path string) bool {
	return (path == "/admin" || strings.HasPrefix(path, "/admin/")) && path != adminLoginPath
}

const adminLoginPath = "/admin/login"

func (s *shop) adminLoginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin_login", "管理者ログイン", map[string]any{"Back": safeNext(r.URL.Query().Get("next"))})
}

// adminLogin signs the operator in: a new session ID, marked admin.
func (s *shop) adminLogin(w http.ResponseWriter, r *http.Request) {
	if !s.admin.check(r.PostFormValue("user"), r.PostFormValue("password")) {
		s.log.Warn("admin sign-in refused", "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "admin_login", "管理者ログイン", map[string]any{
			"Back": safeNext(r.PostFormValue("next")), "Failed": true, "User": r.PostFormValue("user"),
		})
		return
	}
	sid, err := s.rotateSession(w, r)
	if err != nil {
		s.log.Error("session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.store.setAdmin(sid, true)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *shop) adminLogout(w http.ResponseWriter, r *http.Request) {
	s.store.setAdmin(sessionID(r), false)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeNext is a local /admin page to go to after signing in.
func safeNext(p string) string {
	if strings.HasPrefix(p, "/admin/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n") {
		return p
	}
	return "/admin/orders"
}

// rotateSession gives the browser a new session ID carrying the same data,
// and returns it.
func (s *shop) rotateSession(w http.ResponseWriter, r *http.Request) (string, error) {
	sid, err := s.store.rotate(sessionID(r))
	if err != nil {
		return "", err
	}
	setSessionCookie(w, r, sid)
	return sid, nil
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}
