// Command escott-sim runs the fake e-SCOTT Smart gateway of package
// escotttest as a standalone server, for manual testing and for clients
// written in other languages.
//
//	go run ./cmd/escott-sim -merchant-id 1234567 -merchant-pass testpass
//
// It prints "listening on http://HOST:PORT" as its first line and serves the
// gateway paths (/online/aut/OAUT002.do, /online/atn/OATN005.do, the token
// script at /euser/stn/CdGetJavaScript.do, …) under that origin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/escott-go/escott/escotttest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "escott-sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("escott-sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8931", "address to listen on")
	var cfg escotttest.Config
	var tenant string
	fs.StringVar(&cfg.MerchantID, "merchant-id", escotttest.DefaultMerchantID, "merchant ID (digits)")
	fs.StringVar(&cfg.MerchantPass, "merchant-pass", escotttest.DefaultMerchantPass, "merchant password")
	fs.StringVar(&tenant, "tenant-id", "0001", "tenant (shop) ID")
	fs.StringVar(&cfg.TokenAuthCode, "token-auth-code", escotttest.DefaultTokenAuthCode, "token auth code")
	fs.StringVar(&cfg.AESKey, "aes-key", escotttest.DefaultAESKey, "3-D Secure AES key (16 characters)")
	fs.StringVar(&cfg.AESIV, "aes-iv", escotttest.DefaultAESIV, "3-D Secure AES IV (16 characters)")
	fs.StringVar(&cfg.NotifyURL, "notify-url", "", "URL that receives payment-received notifications")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.TenantIDs = []string{tenant}
	if len(cfg.AESKey) != 16 || len(cfg.AESIV) != 16 {
		return errors.New("-aes-key and -aes-iv must be 16 characters")
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening on http://%s\n", ln.Addr())
	fmt.Fprintf(out, "merchant %s, tenant %s, token script /euser/stn/CdGetJavaScript.do?k_TokenNinsyoCode=%s\n",
		cfg.MerchantID, tenant, cfg.TokenAuthCode)

	srv := &http.Server{Handler: escotttest.New(cfg), ReadHeaderTimeout: 10 * time.Second}
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
