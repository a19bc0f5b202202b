package escott_test

import (
	"context"
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
