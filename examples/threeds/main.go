// Command threeds runs both 3-D Secure flows against the fake gateway
// escotttest, playing the shopper's browser with net/http:
//
//	go run ./examples/threeds
//
// Mode B (Start → challenge → HandleReturn → Authorize) is what the Welcart
// module does; mode A (StartAuthorize → HandleReturn / PostURLHandler) lets
// the gateway authorise itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func main() {
	gw := escotttest.NewServer(escotttest.Config{})
	defer gw.Close()
	client := gw.Client()
	ctx := context.Background()

	// recordOrder is the shop's recording of a mode A payment (mark the
	// order paid, in one database transaction, idempotent by ProcessId). The
	// SDK calls it once per payment, from the return page or the PostUrl
	// copy, whichever comes first, and completes the attempt only after it
	// returned nil.
	recordOrder := func(_ context.Context, res *escott.ThreeDSResult) error {
		log.Printf("mode A paid: order %s recorded, process %s", res.LinkKey, res.Payment.Process.ID)
		return nil
	}

	mux := http.NewServeMux()
	// RedirectUrl: the shopper's browser comes back here.
	mux.HandleFunc("/3ds/return", func(w http.ResponseWriter, r *http.Request) {
		res, err := client.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: recordOrder})
		var failed *escott.AuthenticationError
		switch {
		case errors.As(err, &failed):
			log.Printf("authentication or payment failed: %v", err)
			_, _ = io.WriteString(w, "Please use another card.")
			return
		case errors.Is(err, escott.ErrReturnInProgress):
			// The PostUrl copy (or a double click) is recording it now.
			http.Error(w, "Your payment is being processed; reload in a few seconds.", http.StatusServiceUnavailable)
			return
		case err != nil:
			log.Printf("return refused or not recorded: %v", err)
			http.Error(w, "refused", http.StatusBadRequest)
			return
		case res.Payment != nil: // mode A: authorised, confirmed and recorded
			log.Printf("mode A return: process %s (already recorded: %t)", res.Payment.Process.ID, res.Duplicate)
		default: // mode B: authorise now; Authorize completes the attempt
			pay, err := client.ThreeDS.Authorize(r.Context(), res)
			if err != nil {
				log.Printf("authorisation failed: %v", err)
				return
			}
			log.Printf("mode B paid: process %s, SecureResultCode %s", pay.Process.ID, res.SecureResultCode)
		}
		_, _ = io.WriteString(w, "Thank you!")
	})
	// PostUrl: the gateway's server-to-server copy in mode A, recorded by the
	// same function.
	mux.Handle("/3ds/post", client.ThreeDS.PostURLHandler(recordOrder, func(_ context.Context, fail *escott.AuthenticationError) error {
		log.Printf("PostUrl copy: %s failed: %v", fail.LinkKey, fail)
		return nil
	}))
	shop := httptest.NewServer(mux)
	defer shop.Close()

	// Mode B with a card that asks for a challenge.
	form, err := client.ThreeDS.Start(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(4980), Source: gw.MustToken(escotttest.CardThreeDSChallenge),
		BillingFullName: "TARO YAMADA", BillingEmail: "taro@example.jp", RedirectURL: shop.URL + "/3ds/return",
	})
	if err != nil {
		log.Fatal(err)
	}
	browse(gw.URL, form)

	// Mode A with a PostUrl copy.
	form, err = client.ThreeDS.StartAuthorize(ctx, &escott.ThreeDSStartParams{
		Amount: escott.Yen(1200), Source: gw.MustToken(escotttest.CardVisa),
		BillingFullName: "HANAKO SATO", BillingEmail: "hanako@example.jp",
		RedirectURL: shop.URL + "/3ds/return", PostURL: shop.URL + "/3ds/post",
	})
	if err != nil {
		log.Fatal(err)
	}
	browse(gw.URL, form)
	gw.WaitPostURL()
}

var (
	actionRe = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
	otpRe    = regexp.MustCompile(`<strong id="otp">([0-9]+)</strong>`)
)

// browse does what the shopper's browser does: submit the checkout form to
// OTDS010, type the one-time code if challenged, follow the auto-POST back.
func browse(origin string, form *escott.ThreeDSForm) {
	page := post(form.URL, url.Values{"MerchantId": {form.MerchantID}, "EncryptValue": {form.EncryptValue.Reveal()}})
	for i := 0; i < 3; i++ {
		action, fields := parse(page)
		if action == "" {
			fmt.Println(page)
			return
		}
		if m := otpRe.FindStringSubmatch(page); m != nil {
			fields.Set("code", m[1]) // the shopper reads the code and types it
		}
		if action[0] == '/' {
			action = origin + action
		}
		page = post(action, fields)
	}
}

func parse(page string) (string, url.Values) {
	fields := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		fields.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if m := actionRe.FindStringSubmatch(page); m != nil {
		return html.UnescapeString(m[1]), fields
	}
	return "", fields
}

func post(target string, fields url.Values) string {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(fields.Encode()))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	return string(b)
}
