package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// The browser suite drives Debian's headless Chromium over the DevTools
// protocol (chromedp) against the demo shop and its in-process fake gateway.
// One browser serves the whole run; each test gets a fresh shop, a fresh
// gateway and its own browser context (cookies included).

// testTimeout bounds each test, browser work included (screenshots, encoded
// under -race, take longer).
var testTimeout = func() time.Duration {
	if os.Getenv("ESCOTT_SCREENSHOTS") == "1" {
		return 120 * time.Second
	}
	return 30 * time.Second
}()

var browser struct {
	once    sync.Once
	ctx     context.Context
	err     error
	cleanup func()
}

func TestMain(m *testing.M) {
	if findBrowser(exec.LookPath, os.Getenv) == "" && os.Getenv("CI") == "" {
		// t.Skip's reason shows only with -v; this line shows whenever the
		// test binary's output does.
		fmt.Fprintln(os.Stderr, "SKIP: "+noBrowser)
	}
	code := m.Run()
	if browser.cleanup != nil {
		browser.cleanup()
	}
	os.Exit(code)
}

// browserEnv names the variable that points the browser suite at a browser
// (a path, or a name looked up in PATH).
const browserEnv = "ESCOTT_CHROME"

// noBrowser is the skip message.
const noBrowser = "no Chromium or Chrome found (chromium, chromium-browser, google-chrome-stable, google-chrome): " +
	"the browser suite is skipped; install one (Debian: apt-get install chromium) or set " + browserEnv + " to its path"

// findBrowser finds Chromium or Chrome: $ESCOTT_CHROME when set, else the
// usual command names (Debian's chromium package installs /usr/bin/chromium,
// Google's packages google-chrome), else Chrome's macOS location.
func findBrowser(lookPath func(string) (string, error), getenv func(string) string) string {
	if b := getenv(browserEnv); b != "" {
		p, err := lookPath(b)
		if err != nil {
			return ""
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome",
		"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"} {
		if p, err := lookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser launches Chromium once for the run.
func startBrowser(path string) {
	dir, err := os.MkdirTemp("", "checkout-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(800, 600),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	browser.ctx = ctx
	browser.cleanup = func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
	// Start the browser now, so that a broken installation fails here.
	browser.err = chromedp.Do(ctx)
}

// harness is one test's shop, gateway and browser tab.
type harness struct {
	t    *testing.T
	demo *demo
	gw   *escotttest.Server
	ctx  context.Context

	mu   sync.Mutex
	seen []string // every query and form body the shop received
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith starts a shop whose settings edit changes first.
func newHarnessWith(t *testing.T, edit func(*settings)) *harness {
	t.Helper()
	path := findBrowser(exec.LookPath, os.Getenv)
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and " + noBrowser)
		}
		t.Skip(noBrowser)
	}
	browser.once.Do(func() { startBrowser(path) })
	require.NoError(t, browser.err, "starting Chromium")

	h := &harness{t: t}
	set := defaultSettings()
	if edit != nil {
		edit(&set)
	}
	d, err := startDemo(t.Context(), demoConfig{
		Addr:     "127.0.0.1:0",
		Getenv:   func(string) string { return "" }, // always the fake gateway, a generated admin password
		Settings: set,
		Logger:   slog.New(slog.DiscardHandler),
		Wrap:     h.record,
	})
	require.NoError(t, err)
	t.Cleanup(d.Close)
	h.demo, h.gw = d, d.Gateway

	tab, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	h.ctx = ctx
	h.do(chromedp.EmulateViewport(800, 600))
	return h
}

// record keeps what the browser sent to the shop, to prove that no card
// number ever reaches it.
func (h *harness) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.mu.Lock()
		h.seen = append(h.seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+"\n"+string(body))
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *harness) requireNeverReceived(s string) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(h.t, h.seen)
	for _, got := range h.seen {
		require.NotContains(h.t, got, s, "the shop received card data")
	}
}

func (h *harness) do(actions ...chromedp.Action[chromedp.Void]) {
	h.t.Helper()
	if err := chromedp.Do(h.ctx, actions...); err != nil {
		h.t.Fatalf("%v\n%s", err, h.page())
	}
}

// page describes the current page for a failure message.
func (h *harness) page() string {
	ctx := h.ctx
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		loc = err.Error()
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " " + document.readyState + " stale=" + !!window.__stale + "\n" + (document.body ? document.body.innerText : "")`))
	if err != nil {
		body = err.Error()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := max(0, len(h.seen)-4)
	return "page " + loc + ":\n" + body + "\nlast requests to the shop:\n" + strings.Join(h.seen[n:], "\n")
}

// click clicks sel and waits until a new page has loaded that has then.
// Pages are marked first, so that the old page cannot satisfy the wait.
func (h *harness) click(sel, then string) {
	h.t.Helper()
	h.eval(`(window.__stale = true, true)`)
	h.do(chromedp.Click(chromedp.CSS(sel)))
	h.waitFor(then)
}

// waitFor polls the current page (whichever it is after redirects and
// auto-submitted forms) until it has finished loading and has sel. It gives
// up well before the test's deadline, so that the failure can show the page.
func (h *harness) waitFor(sel string) {
	h.t.Helper()
	js := fmt.Sprintf(`!window.__stale && document.readyState === "complete" && document.querySelector(%q) !== null`, sel)
	deadline := time.Now().Add(testTimeout / 2)
	for {
		ok, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s (last error: %v)\n%s", sel, err, h.page())
		}
		time.Sleep(25 * time.Millisecond) // errors while a navigation swaps the page are expected
	}
}

func (h *harness) text(sel string) string {
	h.t.Helper()
	s, err := chromedp.Run(h.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(h.t, err, sel)
	return strings.TrimSpace(s)
}

func (h *harness) eval(js string) {
	h.t.Helper()
	_, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](js))
	require.NoError(h.t, err, js)
}

func (h *harness) open(path string) {
	h.t.Helper()
	h.do(chromedp.Navigate(h.demo.URL + path))
}

// addToCart adds products on the product list.
func (h *harness) addToCart(ids ...string) {
	h.t.Helper()
	h.open("/")
	for _, id := range ids {
		h.click("#add-"+id, "#cart-total")
	}
}

// login signs in as a demo member with the header form (the first sign-in
// of a name registers it with the password).
func (h *harness) login(name string) {
	h.t.Helper()
	h.loginWith(name, memberPassword(name))
	h.waitFor("#customer")
}

func memberPassword(name string) string { return "pw-" + name + "-demo" }

// loginWith submits the header's sign-in form.
func (h *harness) loginWith(name, password string) {
	h.t.Helper()
	h.open("/")
	h.do(
		chromedp.SendKeys(chromedp.CSS("#login-name"), name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
	)
	h.click("#login", "main")
}

// adminLogin signs in as the operator with the credentials the shop
// generated at start-up.
func (h *harness) adminLogin() {
	h.t.Helper()
	a := h.demo.Shop.admin
	require.True(h.t, a.Generated, "no credentials in the environment: generated")
	h.open("/admin/login")
	h.do(
		chromedp.SendKeys(chromedp.CSS("#admin-user"), a.User),
		chromedp.SendKeys(chromedp.CSS("#admin-password"), a.Password),
	)
	h.click("#admin-login", "#nav-orders")
}

// post sends a form from the current page with fetch (same origin, the
// session cookie included) and returns the HTTP status.
func (h *harness) post(path string, form map[string]string) int {
	h.t.Helper()
	js := fmt.Sprintf(`(async () => { const b = new URLSearchParams(%s); const r = await fetch(%q, {method: "POST", body: b, redirect: "manual"}); return r.status })()`,
		mustJSON(h.t, form), path)
	st, err := chromedp.Run(h.ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	require.NoError(h.t, err)
	return st
}

// csrf is the current page's CSRF token.
func (h *harness) csrf() string {
	h.t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`document.querySelector('input[name="csrf"]').value`))
	require.NoError(h.t, err)
	require.NotEmpty(h.t, v)
	return v
}

// visible reports whether sel exists and is not hidden.
func (h *harness) visible(sel string) bool {
	h.t.Helper()
	ok, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(e => e !== null && !e.hidden && e.offsetParent !== null)(document.querySelector(%q))`, sel)))
	require.NoError(h.t, err)
	return ok
}

// value is an input's current value.
func (h *harness) value(sel string) string {
	h.t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).value`, sel)))
	require.NoError(h.t, err)
	return v
}

// typeCard types a card number and security code into the checkout's card
// form and waits for the installment choices of that number.
func (h *harness) typeCard(number string) {
	h.t.Helper()
	h.eval(`(e => { e.value = ""; e.dispatchEvent(new Event("input")); document.querySelector("#card-cvc").value = ""; return true })(document.querySelector("#card-number"))`)
	h.do(
		chromedp.SendKeys(chromedp.CSS("#card-number"), number),
		chromedp.SendKeys(chromedp.CSS("#card-cvc"), "123"),
		chromedp.WaitReady(chromedp.CSS(`#paytype[data-prefix="`+number[:2]+`"]`)),
	)
}

// storeCard registers a card for a logged-in customer through the SDK, as
// if the customer had stored it at an earlier checkout.
func (h *harness) storeCard(name, number string) escott.Member {
	h.t.Helper()
	m := escott.NewMember()
	_, err := h.demo.client.Member.Register(h.ctx, m, &escott.MemberRegisterParams{Token: h.gw.MustToken(number)})
	require.NoError(h.t, err)
	h.demo.Shop.store.setMember(name, &m)
	return m
}

// typeNewCard fills the member page's card form (it has no installments).
func (h *harness) typeNewCard(number, month, year string) {
	h.t.Helper()
	h.do(
		chromedp.SendKeys(chromedp.CSS("#card-number"), number),
		chromedp.SendKeys(chromedp.CSS("#card-cvc"), "123"),
		chromedp.SetValue(chromedp.CSS("#exp-month"), month),
		chromedp.SetValue(chromedp.CSS("#exp-year"), year),
	)
}

// exists reports whether the current page has sel.
func (h *harness) exists(sel string) bool {
	h.t.Helper()
	ok, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	require.NoError(h.t, err)
	return ok
}

func (h *harness) setChecked(sel string, on bool) {
	h.t.Helper()
	v := "false"
	if on {
		v = "true"
	}
	h.eval(`(document.querySelector("` + sel + `").checked = ` + v + `, true)`)
}

// setValue sets an input's value.
func (h *harness) setValue(sel, v string) {
	h.t.Helper()
	h.do(chromedp.SetValue(chromedp.CSS(sel), v))
}

func (h *harness) options(sel string) []string {
	h.t.Helper()
	out, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("`+sel+` option")).map(o => o.textContent)`))
	require.NoError(h.t, err)
	return out
}

// lastOrder is the newest order of the shop.
func (h *harness) lastOrder() order {
	h.t.Helper()
	list := h.demo.Shop.store.orderList()
	require.NotEmpty(h.t, list)
	o, ok := h.demo.Shop.store.order(list[0].ID)
	require.True(h.t, ok)
	return o
}

// shot writes a screenshot of the viewport to docs/screenshots when
// ESCOTT_SCREENSHOTS=1, recompressed to keep the repository small.
func (h *harness) shot(name string) {
	h.t.Helper()
	if os.Getenv("ESCOTT_SCREENSHOTS") != "1" {
		return
	}
	raw, err := chromedp.Run(h.ctx, chromedp.CaptureScreenshot())
	require.NoError(h.t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(h.t, err)
	// 256 colours are plenty for flat UI pages and halve the file size.
	pal := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(pal, pal.Rect, img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	require.NoError(h.t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, pal))
	dir := filepath.Join("..", "..", "docs", "screenshots")
	require.NoError(h.t, os.MkdirAll(dir, 0o755))
	require.NoError(h.t, os.WriteFile(filepath.Join(dir, name+".png"), buf.Bytes(), 0o644))
}

// backdate moves an order's creation back by d, to test the 90-day rule
// without waiting.
func (s *store) backdate(id string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[id].Created = s.orders[id].Created.Add(-d)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
