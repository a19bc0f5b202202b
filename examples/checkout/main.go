// Command checkout is a small web shop that takes payments through
// e-SCOTT Smart with the escott SDK: a reference integration to copy.
//
//	go run ./examples/checkout
//
// It prints the URL to open. By default it starts the fake gateway
// (escotttest) in the same process, so every flow works offline: card
// payment by token, 3-D Secure with a challenge, stored cards, installments,
// online collection with its payment-received notification, and an admin
// page with capture, change and cancel. With ESCOTT_MERCHANT_ID,
// ESCOTT_MERCHANT_PASS, ESCOTT_TOKEN_AUTH_CODE, ESCOTT_AES_KEY and
// ESCOTT_AES_IV set (and optionally ESCOTT_ENVIRONMENT=test or production,
// ESCOTT_TENANT_ID and ESCOTT_BASE_URL) it talks to that gateway instead; a
// missing variable is named in the error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "checkout:", err)
		os.Exit(1)
	}
}

// run starts the shop, prints "open URL" as its first line, and serves until
// ctx is done.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("checkout", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (:0 for a free port)")
	mode := fs.String("mode", "auth", "処理区分: auth (与信, capture later on the admin page) or capture (与信売上計上)")
	inst := fs.String("installments", "installments", "支払回数: lump (一括のみ), installments (分割), bonus (分割とボーナス)")
	tds := fs.String("3ds", "", "3-Dセキュアの方式 (always on): A (認証と与信を一括) or B (認証後に与信); default $"+envThreeDSMode+", else B")
	card := fs.String("card", "token", "カード決済の方式: token (ショップの画面でカード入力) or link (外部リンク型); switchable on /admin/settings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := parseSettings(*mode, *inst)
	if err != nil {
		return err
	}
	if set.Card, err = parseCardMethod(*card); err != nil {
		return err
	}
	if *tds == "" {
		*tds = os.Getenv(envThreeDSMode)
	}
	if set.ThreeDS, err = parseThreeDSMode(*tds); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := startDemo(ctx, demoConfig{Addr: *addr, Getenv: os.Getenv, Settings: set, Logger: logger})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "open %s/\n", d.URL); err != nil {
		d.Close()
		return err
	}
	if a := d.Shop.admin; a.Generated {
		// Demo only: against the real gateway the sign-in must be set.
		_, _ = fmt.Fprintf(stdout, "admin %s/admin/ user %s password %s (set %s and %s to choose them)\n",
			d.URL, a.User, a.Password, envAdminUser, envAdminPassword)
	}
	if d.Gateway != nil {
		logger.Info("using the built-in fake gateway", "url", d.Gateway.URL)
	} else {
		logger.Info("using the e-SCOTT Smart gateway", "environment", d.client.Environment())
	}
	select {
	case <-ctx.Done():
	case err := <-d.served:
		d.Close()
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = d.server.Shutdown(shutdown)
	d.Close()
	return err
}

func parseSettings(mode, inst string) (settings, error) {
	set := defaultSettings()
	switch mode {
	case "auth":
		set.Capture = escott.CaptureLater
	case "capture":
		set.Capture = escott.CaptureNow
	default:
		return set, fmt.Errorf("-mode must be auth or capture, not %q", mode)
	}
	switch inst {
	case "lump":
		set.Installments = escott.LumpSumOnly
	case "installments":
		set.Installments = escott.InstallmentsAndRevolving
	case "bonus":
		set.Installments = escott.InstallmentsRevolvingAndBonus
	default:
		return set, fmt.Errorf("-installments must be lump, installments or bonus, not %q", inst)
	}
	return set, nil
}

// demoConfig configures startDemo.
type demoConfig struct {
	Addr     string
	Getenv   func(string) string // os.Getenv, or a map lookup in tests
	Settings settings
	Logger   *slog.Logger
	// Wrap, when set, wraps the shop's handler (tests record requests).
	Wrap func(http.Handler) http.Handler
}

// demo is a running shop, with the fake gateway when no real credentials
// were given.
type demo struct {
	URL     string             // e.g. http://127.0.0.1:8080
	Gateway *escotttest.Server // nil against the real gateway
	Shop    *shop              // for tests
	client  *escott.Client     // the shop's client
	server  *http.Server       // serving the shop
	served  <-chan error       // Serve's result
	closeFn func()             // stops the fake gateway
}

// startDemo listens on cfg.Addr first, so that the fake gateway can be
// told the shop's notification URL, then starts the gateway and the shop.
func startDemo(ctx context.Context, cfg demoConfig) (*demo, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	base := "http://" + displayAddr(ln.Addr())
	d := &demo{URL: base, closeFn: func() {}}

	var nopts []escott.NotifyOption
	if usesRealGateway(cfg.Getenv) {
		ccfg, err := realConfig(cfg.Getenv)
		if err == nil {
			d.client, err = escott.NewClient(ccfg, escott.WithLogger(cfg.Logger))
		}
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
	} else {
		inst := cfg.Settings.Installments
		gw := escotttest.NewServer(escotttest.Config{
			NotifyURL:    base + notifyPath, // the fake POSTs payment-received notifications here
			Installments: &inst,
		})
		d.Gateway, d.closeFn = gw, gw.Close
		d.client = gw.Client(escott.WithLogger(cfg.Logger))
		// The fake posts from loopback: the source check is for the real
		// gateway's addresses only.
		nopts = append(nopts, escott.WithoutSourceCheck())
	}

	admin, err := loadAdminCredentials(cfg.Getenv, d.Gateway == nil)
	if err == nil {
		d.Shop, err = newShop(d.client, nopts, cfg.Settings, admin, cfg.Logger)
	}
	if err != nil {
		_ = ln.Close()
		d.closeFn()
		return nil, err
	}
	var h http.Handler = d.Shop
	if cfg.Wrap != nil {
		h = cfg.Wrap(h)
	}
	d.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	d.served = served
	go func() {
		err := d.server.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		served <- err
	}()
	return d, nil
}

// Close stops the shop and the fake gateway.
func (d *demo) Close() {
	_ = d.server.Close()
	d.closeFn()
}

// Environment variables that configure the real gateway: one set, shared by
// the README, the examples and escott-sim.
const (
	envMerchantID    = "ESCOTT_MERCHANT_ID"
	envMerchantPass  = "ESCOTT_MERCHANT_PASS"
	envTenantID      = "ESCOTT_TENANT_ID"
	envEnvironment   = "ESCOTT_ENVIRONMENT"
	envTokenAuthCode = "ESCOTT_TOKEN_AUTH_CODE"
	envAESKey        = "ESCOTT_AES_KEY"
	envAESIV         = "ESCOTT_AES_IV"
	envBaseURL       = "ESCOTT_BASE_URL"
)

// requiredEnv are the variables the demo needs for a real gateway: the token
// script needs the auth code, 3-D Secure the AES key and IV.
var requiredEnv = []string{envMerchantID, envMerchantPass, envTokenAuthCode, envAESKey, envAESIV}

// usesRealGateway reports whether any of the real gateway's variables is
// set; then all the required ones must be.
func usesRealGateway(getenv func(string) string) bool {
	for _, k := range append(requiredEnv, envTenantID, envEnvironment, envBaseURL, "ESCOTT_ENV") {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// realConfig reads the real gateway's settings from the environment and
// names the first variable that is missing or wrong.
func realConfig(getenv func(string) string) (escott.Config, error) {
	if getenv("ESCOTT_ENV") != "" {
		return escott.Config{}, fmt.Errorf("ESCOTT_ENV is now called %s", envEnvironment)
	}
	for _, k := range requiredEnv {
		if getenv(k) == "" {
			return escott.Config{}, fmt.Errorf("%s is not set: set %s to use a real gateway, or unset them all for the built-in fake",
				k, strings.Join(requiredEnv, ", "))
		}
	}
	env := escott.Test
	switch e := getenv(envEnvironment); e {
	case "", "test":
	case "production":
		env = escott.Production
	default:
		return escott.Config{}, fmt.Errorf("%s must be test or production, not %q", envEnvironment, e)
	}
	c := escott.Config{
		MerchantID:    getenv(envMerchantID),
		MerchantPass:  getenv(envMerchantPass),
		TenantID:      getenv(envTenantID),
		TokenAuthCode: getenv(envTokenAuthCode),
		AESKey:        getenv(envAESKey),
		AESIV:         getenv(envAESIV),
		Environment:   env,
		BaseURL:       getenv(envBaseURL),
	}
	if c.BaseURL != "" {
		// Check it here to name the variable; NewClient checks the rest.
		probe := escott.Config{MerchantID: "1", MerchantPass: "x", Environment: escott.Test, BaseURL: c.BaseURL}
		if _, err := escott.NewClient(probe); err != nil {
			return escott.Config{}, fmt.Errorf("%s: %w", envBaseURL, err)
		}
	}
	return c, nil
}

// displayAddr turns a listener address into one a browser can open: an
// unspecified host (":0", "0.0.0.0") becomes 127.0.0.1.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		port := 0
		if ok {
			port = tcp.Port
		}
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	}
	return tcp.String()
}
