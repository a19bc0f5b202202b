// Command escott-sim runs the fake e-SCOTT Smart gateway of package
// escotttest as a standalone server, for manual testing and for clients
// written in any language.
//
//	go run ./cmd/escott-sim -log
//	go run ./cmd/escott-sim token 4111111111111111 12/30 123
//
// It prints "listening on http://HOST:PORT" as its first line, then the
// merchant it accepts and every endpoint it serves under that origin. With
// -log it writes one line per gateway call to stderr, with the operation,
// the result code and no secret (no password, token, card number or
// encrypted field).
//
// The -max-* flags bound what the fake remembers (escotttest.Config.Limits),
// so that a long-running simulator stays flat: beyond a bound the oldest
// transactions, payments, members or tokens are forgotten and answered as
// the real gateway answers for what it no longer holds (K12, K71, KI3).
//
// The token subcommand asks a running escott-sim for a card token, as the
// browser's token script would, so a payment can be tried with curl alone.
// The same endpoint takes a plain form POST:
//
//	curl -s http://127.0.0.1:8931/euser/stn/escotttest-token \
//	  -d k_TokenNinsyoCode=TESTTOKENAUTHCODE -d cardNo=4111111111111111 -d expYY=30 -d expMM=12 -d secCd=123
//
// Flags default to the ESCOTT_* environment variables the SDK's examples use
// (ESCOTT_MERCHANT_ID, ESCOTT_MERCHANT_PASS, ESCOTT_TENANT_ID,
// ESCOTT_TOKEN_AUTH_CODE, ESCOTT_AES_KEY, ESCOTT_AES_IV; the token
// subcommand's -sim defaults to ESCOTT_BASE_URL), then to escotttest's
// defaults.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/escott-go/escott/escotttest"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // usage printed; asking for help is not an error
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "escott-sim:", err)
		os.Exit(1)
	}
}

// Environment variables shared with the SDK's examples.
const (
	envMerchantID    = "ESCOTT_MERCHANT_ID"
	envMerchantPass  = "ESCOTT_MERCHANT_PASS"
	envTenantID      = "ESCOTT_TENANT_ID"
	envTokenAuthCode = "ESCOTT_TOKEN_AUTH_CODE"
	envAESKey        = "ESCOTT_AES_KEY"
	envAESIV         = "ESCOTT_AES_IV"
	envBaseURL       = "ESCOTT_BASE_URL"
)

// defaultAddr is where the simulator listens unless told otherwise.
const defaultAddr = "127.0.0.1:8931"

// pathMintToken is escotttest's token endpoint (what its token script calls).
const pathMintToken = "/euser/stn/escotttest-token"

// endpoint is one path the simulator serves, for the banner.
type endpoint struct {
	method, path, what string
}

// endpoints lists everything escotttest serves; the test checks that each is
// routed.
var endpoints = []endpoint{
	{"POST", "/online/aut/OAUT002.do", "card: 1Check 1Auth 1Gathering 1Capture 1Change 1Delete 1Search 1ReAuth"},
	{"POST", "/online/crp/OCRP005.do", "members: 4MemAdd 4MemChg 4MemRef 4MemRefM 4MemRefToken 4MemInval 4MemUnInval 4MemDel"},
	{"POST", "/online/cnv/OCNV005.do", "online collection: 2Add 2Chg 2Del 2Ref"},
	{"POST", "/online/atn/OATN005.do", "token search: 1TokenSearch"},
	{"POST", "/online/tds/OTDS010.do", "3-D Secure: the browser posts EncryptValue here"},
	{"GET", "/online/tds/escotttest-challenge", "3-D Secure challenge page (the fake's own)"},
	{"GET", "/euser/snp/SSNP005ReferStart.do", "hosted card page (link type): ?MerchantId=..&EncryptValue=.. (POST too)"},
	{"GET", "/euser/stn/CdGetJavaScript.do", "token script for browsers (?k_TokenNinsyoCode=CODE)"},
	{"POST", pathMintToken, "card token without a browser: k_TokenNinsyoCode cardNo expYY expMM secCd -> JSON {\"token\":...}"},
	{"GET", "/JLP/JLPcon", "online-collection payment page (production path)"},
	{"GET", "/JLPCT/JLPcon", "online-collection payment page (test path)"},
}

const usageHead = `escott-sim: the fake e-SCOTT Smart gateway, for any language.

Usage:
  escott-sim [flags]                         serve the gateway
  escott-sim token [flags] NUMBER MM/YY CVC  get a card token from a running escott-sim

Flags default to ESCOTT_MERCHANT_ID, ESCOTT_MERCHANT_PASS, ESCOTT_TENANT_ID,
ESCOTT_TOKEN_AUTH_CODE, ESCOTT_AES_KEY and ESCOTT_AES_IV when they are set.

Serve flags:
`

// run dispatches to serve or token. Usage goes to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return token(ctx, args[1:], stdout)
	}
	return serve(ctx, args, stdout, stderr)
}

// envOr returns the variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("escott-sim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprint(stdout, usageHead)
		fs.PrintDefaults()
		fmt.Fprintln(stdout, "\nEndpoints:")
		printEndpoints(stdout)
	}
	addr := fs.String("addr", defaultAddr, "address to listen on")
	logCalls := fs.Bool("log", false, "log one line per gateway call to stderr (operation and result code; no secrets)")
	var cfg escotttest.Config
	var tenant string
	fs.StringVar(&cfg.MerchantID, "merchant-id", envOr(envMerchantID, escotttest.DefaultMerchantID), "merchant ID (digits)")
	fs.StringVar(&cfg.MerchantPass, "merchant-pass", envOr(envMerchantPass, escotttest.DefaultMerchantPass), "merchant password")
	fs.StringVar(&tenant, "tenant-id", envOr(envTenantID, "0001"), "tenant (shop) ID")
	fs.StringVar(&cfg.TokenAuthCode, "token-auth-code", envOr(envTokenAuthCode, escotttest.DefaultTokenAuthCode), "token auth code")
	fs.StringVar(&cfg.AESKey, "aes-key", envOr(envAESKey, escotttest.DefaultAESKey), "3-D Secure AES key (16 characters)")
	fs.StringVar(&cfg.AESIV, "aes-iv", envOr(envAESIV, escotttest.DefaultAESIV), "3-D Secure AES IV (16 characters)")
	fs.StringVar(&cfg.NotifyURL, "notify-url", "", "URL that receives payment-received notifications")
	limitFlags(fs, &cfg.Limits)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.TenantIDs = []string{tenant}
	if len(cfg.AESKey) != 16 || len(cfg.AESIV) != 16 {
		return errors.New("-aes-key and -aes-iv must be 16 characters")
	}
	if err := checkLimits(cfg.Limits); err != nil {
		return err
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	origin := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "listening on %s\n", origin)
	fmt.Fprintf(stdout, "merchant %s, tenant %s, token auth code %s (password, AES key and IV as set by flags)\n",
		cfg.MerchantID, tenant, cfg.TokenAuthCode)
	printEndpoints(stdout)
	l := cfg.Limits
	fmt.Fprintf(stdout, "memory bounds: %d card transactions, %d online-collection payments, %d members, %d tokens; "+
		"request log %d requests, %d bytes (oldest forgotten first)\n",
		l.Processes, l.CVSPayments, l.Members, l.Tokens, l.Requests, l.RequestBytes)
	fmt.Fprintf(stdout, "get a token: escott-sim token -sim %s 4111111111111111 12/30 123\n", origin)

	var h http.Handler = escotttest.New(cfg)
	if *logCalls {
		h = logRequests(h, stderr)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// limitFlags binds the fake's memory bounds (escotttest.Limits) to flags,
// defaulting to escotttest's defaults so that -h shows them.
func limitFlags(fs *flag.FlagSet, l *escotttest.Limits) {
	fs.IntVar(&l.Processes, "max-processes", escotttest.DefaultMaxProcesses,
		"card transactions kept; beyond it the oldest answer K12, as past the real gateway's retention")
	fs.IntVar(&l.CVSPayments, "max-cvs-payments", escotttest.DefaultMaxCVSPayments,
		"online-collection payments kept; beyond it the oldest answer K12")
	fs.IntVar(&l.Members, "max-members", escotttest.DefaultMaxMembers,
		"stored-card members kept; beyond it a tenth is forgotten (deleted and invalid first) and answers K71")
	fs.IntVar(&l.Tokens, "max-tokens", escotttest.DefaultMaxTokens,
		"card tokens kept (each lives 30 minutes); beyond it the oldest answer KI3")
	fs.IntVar(&l.Requests, "max-requests", escotttest.MaxKeptRequests, "requests kept in the inspection log")
	fs.IntVar(&l.RequestBytes, "max-request-bytes", escotttest.DefaultMaxRequestBytes, "bytes of request bodies kept in the inspection log")
}

// checkLimits refuses a bound the fake cannot honour: zero or less would
// silently mean "the default" in escotttest.Config.
func checkLimits(l escotttest.Limits) error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"-max-processes", l.Processes}, {"-max-cvs-payments", l.CVSPayments}, {"-max-members", l.Members},
		{"-max-tokens", l.Tokens}, {"-max-requests", l.Requests}, {"-max-request-bytes", l.RequestBytes},
	} {
		if f.v < 1 {
			return fmt.Errorf("%s must be at least 1, not %d", f.name, f.v)
		}
	}
	return nil
}

func printEndpoints(w io.Writer) {
	for _, e := range endpoints {
		fmt.Fprintf(w, "  %-4s %-34s %s\n", e.method, e.path, e.what)
	}
}

// token mints a card token from a running simulator through its token
// endpoint and prints it.
func token(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("escott-sim token", flag.ContinueOnError)
	fs.SetOutput(stdout)
	sim := fs.String("sim", envOr(envBaseURL, "http://"+defaultAddr), "origin of the running escott-sim")
	code := fs.String("token-auth-code", envOr(envTokenAuthCode, escotttest.DefaultTokenAuthCode), "token auth code the simulator was started with")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "Usage: escott-sim token [flags] NUMBER MM/YY CVC\n\nPrints a one-use card token from a running escott-sim, e.g. for 4111111111111111 12/30 123.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		fs.Usage()
		return errors.New("token wants NUMBER MM/YY CVC")
	}
	mm, yy, ok := strings.Cut(fs.Arg(1), "/")
	if !ok || len(mm) != 2 || len(yy) != 2 {
		return fmt.Errorf("expiry %q: want MM/YY, e.g. 12/30", fs.Arg(1))
	}
	form := url.Values{
		"k_TokenNinsyoCode": {*code}, "cardNo": {fs.Arg(0)}, "expYY": {yy}, "expMM": {mm}, "secCd": {fs.Arg(2)},
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(*sim, "/")+pathMintToken, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is escott-sim running at %s? %w", *sim, err)
	}
	defer res.Body.Close()
	var ans struct {
		Token, Masked, Error, Message string
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 4<<10)).Decode(&ans); err != nil {
		return fmt.Errorf("token endpoint at %s answered %s: %w", *sim, res.Status, err)
	}
	if ans.Error != "" || ans.Token == "" {
		return fmt.Errorf("token refused: %s %s", ans.Error, ans.Message)
	}
	fmt.Fprintln(stdout, ans.Token)
	return nil
}
