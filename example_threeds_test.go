package escott_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// A mode B checkout: start 3-D Secure, let the shopper authenticate at
// OTDS010, accept the return at RedirectUrl, then authorise.
func ExampleThreeDSService_Start() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// The shop's return page (RedirectUrl).
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := client.ThreeDS.HandleReturn(r, nil) // mode B: Authorize records
		if err != nil {
			fmt.Println("refused or failed:", err)
			http.Error(w, "payment failed", http.StatusBadRequest)
			return
		}
		fmt.Println("SecureResultCode:", res.SecureResultCode)
		pay, err := client.ThreeDS.Authorize(r.Context(), res)
		if err != nil {
			fmt.Println("authorisation failed:", err)
			return
		}
		info, _ := srv.Process(pay.Process.ID)
		fmt.Println("paid with 3-D Secure:", info.ThreeDS)
	}))
	defer shop.Close()

	// Checkout: the token comes from the token script in the browser.
	form, err := client.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount:          escott.Yen(4980),
		Source:          srv.MustToken(escotttest.CardThreeDSFrictionless),
		BillingFullName: "TARO YAMADA",
		BillingEmail:    "taro@example.jp",
		RedirectURL:     shop.URL + "/return",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The checkout page renders form.HTML(); here a browser is simulated.
	simulateBrowser(form)
	// Output:
	// SecureResultCode: 0 authenticated
	// paid with 3-D Secure: true
}

// simulateBrowser submits the auto-submitting forms as a browser would.
func simulateBrowser(form *escott.ThreeDSForm) {
	res, err := http.PostForm(form.URL, url.Values{"MerchantId": {form.MerchantID}, "EncryptValue": {form.EncryptValue.Reveal()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	var action, ev string
	if m := formRe.FindStringSubmatch(string(body)); m != nil {
		action = m[1]
	}
	for _, m := range inputRe.FindAllStringSubmatch(string(body), -1) {
		if m[1] == "EncryptValue" {
			ev = htmlUnescape(m[2])
		}
	}
	res, err = http.PostForm(action, url.Values{"EncryptValue": {ev}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = res.Body.Close()
}

// A mode A checkout: the gateway authorises during 3-D Secure, and the
// result comes twice — the shopper's browser at RedirectUrl and the
// gateway's copy at PostUrl. One function records the order for both; the
// SDK calls it once per payment and completes the attempt only after it
// returned nil.
func ExampleThreeDSService_StartAuthorize() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	recorded := 0
	recordOrder := func(_ context.Context, res *escott.ThreeDSResult) error {
		// In one database transaction, idempotent by ProcessId:
		// mark the order res.Attempt.OrderRef paid.
		recorded++
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/return", func(w http.ResponseWriter, r *http.Request) {
		res, err := client.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: recordOrder})
		switch {
		case errors.Is(err, escott.ErrReturnInProgress):
			http.Error(w, "being processed, reload in a few seconds", http.StatusServiceUnavailable)
		case err != nil:
			http.Error(w, "payment failed", http.StatusBadRequest)
		default:
			fmt.Println("paid:", res.Payment.Amount, "already recorded:", res.Duplicate)
		}
	})
	mux.Handle("/post", client.ThreeDS.PostURLHandler(recordOrder, nil))
	shop := httptest.NewServer(mux)
	defer shop.Close()

	srv.HoldPostURL() // the browser comes back first
	form, err := client.ThreeDS.StartAuthorize(ctx, &escott.ThreeDSStartParams{
		Amount:          escott.Yen(1200),
		Source:          srv.MustToken(escotttest.CardVisa),
		BillingFullName: "HANAKO SATO",
		BillingEmail:    "hanako@example.jp",
		RedirectURL:     shop.URL + "/return",
		PostURL:         shop.URL + "/post",
		OrderRef:        "order-42",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	simulateBrowser(form)
	srv.ReleasePostURL() // the copy: acknowledged, not recorded again
	srv.WaitPostURL()
	fmt.Println("recorded:", recorded)
	// Output:
	// paid: 1200 already recorded: false
	// recorded: 1
}
