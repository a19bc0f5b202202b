// Command cvs runs the whole online-collection flow against the built-in fake
// gateway: register a payment (2Add), mount the payment-received notification
// handler, pay on the fake's payment page, and confirm with an inquiry (2Ref).
//
//	go run ./examples/cvs
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/shop"
)

// orderStore is the host's order store.
type orderStore struct {
	mu     sync.Mutex
	orders map[string]string // link key → status
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := &orderStore{orders: map[string]string{}}

	// 1. The receiver's URL (registered with SPS in production) and the
	// fake gateway posting notifications to it.
	mux := http.NewServeMux()
	receiver := httptest.NewServer(mux)
	defer receiver.Close()
	gw := escotttest.NewServer(escotttest.Config{NotifyURL: receiver.URL + "/escott/notify/"})
	defer gw.Close()
	client := gw.Client(escott.WithLogger(logger))

	// 2. The notification receiver, built from the client: its Config gives
	// the merchant ID, the password HashCd is checked with and the
	// environment's source addresses.
	h, err := client.NotificationHandler(
		escott.WithoutSourceCheck(), // the fake posts from loopback; never in production
		escott.WithNotifyLogger(logger))
	if err != nil {
		return err
	}
	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.orders[p.LinkKey]; !ok {
			return fmt.Errorf("unknown order %s", p.LinkKey) // answered 500 "1": the gateway redelivers
		}
		s.orders[p.LinkKey] = "paid"
		fmt.Printf("notification: order %s paid %s yen at %s (%s), receipt %s\n",
			p.LinkKey, p.Amount, p.Agency.NameJA(), p.PaidAt.Format("2006-01-02 15:04"), p.ReceiptNumber)
		return nil
	})
	mux.Handle("POST /escott/notify/", h)

	// 3. The order: fee by policy, then 2Add.
	goods := escott.Yen(4980)
	policy := shop.FixedFee(escott.Yen(330)).WithLimit(escott.Yen(200000))
	fee, err := policy.Fee(goods)
	if err != nil {
		return fmt.Errorf("online collection not offered: %w", err)
	}
	ctx := context.Background()
	pay, err := client.CVS.Register(ctx, &escott.CVSParams{
		Amount:       goods.Add(fee),
		PayLimitDays: 7,
		Name:         "山田 太郎",
		NameKana:     "やまだ たろう",
		Phone:        "090-1234-5678",
		ProductNames: []string{"ｸﾞﾘｰﾝﾃｨｰ 500ml", "Tシャツ"},
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.orders[pay.Process.LinkKey] = "unpaid"
	s.mu.Unlock()
	fmt.Printf("registered: order %s, payment number %s, pay by %s, %s yen\n",
		pay.Process.LinkKey, pay.PaymentNumber, pay.PayLimit.Format("2006-01-02 15:04"), pay.Amount)
	fmt.Printf("redirect the shopper to %s\nput in the order mail: %s\n", pay.RedirectURL, pay.MailURL)

	// 4. The shopper pays at Lawson on the payment page.
	page, err := url.Parse(pay.MailURL)
	if err != nil {
		return err
	}
	form := url.Values{"code": {pay.FreeArea}, "rkbn": {"2"}, "cvs": {"LSN"}}
	page.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, page.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()

	// 5. The order is paid, and the gateway agrees.
	s.mu.Lock()
	fmt.Println("order status:", s.orders[pay.Process.LinkKey])
	s.mu.Unlock()
	inq, err := client.CVS.Inquire(ctx, pay.Process, nil)
	if err != nil {
		return err
	}
	fmt.Printf("2Ref: %s at %s, NyukinDate %s\n", inq.Status, inq.Agency.Name(), inq.Raw.Get("NyukinDate"))
	return nil
}
