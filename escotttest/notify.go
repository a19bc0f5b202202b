package escotttest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"github.com/shopspring/decimal"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/jst"
)

// NotificationParams describe a payment-received notification to generate.
// Empty fields get defaults: the default merchant, random process and
// receipt numbers, 1000 yen at Seven-Eleven, paid now, Condition 000 and
// ResponseCd OK, with HashCd.
type NotificationParams struct {
	MerchantID, MerchantPass string // default DefaultMerchantID/DefaultMerchantPass
	ProcessID, ProcessPass   string
	TransactionID            string
	ReceiptNumber            string
	LinkKey                  string // MerchantFree1
	MerchantFree2            string
	MerchantFree3            string
	Amount                   decimal.Decimal // whole yen; default escott.Yen(1000)
	CvsCd                    string          // default "SEV"
	TenantID                 string          // default "0001"
	KessaiNumber             string
	PaidAt                   time.Time // NyukinDate; default time.Now()
	Condition                string    // default "000"
	ResponseCode             string    // default "OK"
	StampFlag                bool
	OmitHash                 bool // leave HashCd out
}

// NewNotification returns the fields of a valid notification as the gateway
// POSTs it (docs/protocol.md §8.1), HashCd = md5(ProcessPass + RecvNum +
// MerchantPass) in lowercase hex.
func NewNotification(p NotificationParams) url.Values {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&p.MerchantID, DefaultMerchantID)
	def(&p.MerchantPass, DefaultMerchantPass)
	def(&p.ProcessID, randomDigits(16))
	def(&p.ProcessPass, randomAlnum(16))
	def(&p.TransactionID, randomDigits(18))
	def(&p.ReceiptNumber, randomDigits(14))
	def(&p.LinkKey, randomDigits(12))
	def(&p.CvsCd, string(escott.AgencySevenEleven))
	def(&p.TenantID, escott.DefaultTenantID)
	def(&p.Condition, "000")
	def(&p.ResponseCode, "OK")
	if p.Amount.IsZero() {
		p.Amount = escott.Yen(1000)
	}
	if p.PaidAt.IsZero() {
		p.PaidAt = time.Now()
	}
	v := url.Values{}
	v.Set("MerchantId", p.MerchantID)
	v.Set("TransactionId", p.TransactionID)
	v.Set("TransactionDate", jst.Date(p.PaidAt))
	v.Set("OperateId", "2Add")
	v.Set("MerchantFree1", p.LinkKey)
	if p.MerchantFree2 != "" {
		v.Set("MerchantFree2", p.MerchantFree2)
	}
	if p.MerchantFree3 != "" {
		v.Set("MerchantFree3", p.MerchantFree3)
	}
	v.Set("ProcessId", p.ProcessID)
	v.Set("ProcessPass", p.ProcessPass)
	v.Set("ResponseCd", p.ResponseCode)
	v.Set("Condition", p.Condition)
	v.Set("Amount", p.Amount.String())
	v.Set("RecvNum", p.ReceiptNumber)
	v.Set("CvsCd", p.CvsCd)
	v.Set("TenantCd", p.TenantID)
	if p.KessaiNumber != "" {
		v.Set("KessaiNumber", p.KessaiNumber)
	}
	v.Set("NyukinDate", p.PaidAt.In(jst.Zone).Format("20060102150405"))
	flag := "0"
	if p.StampFlag {
		flag = "1"
	}
	v.Set("StampFlag", flag)
	if !p.OmitHash {
		v.Set("HashCd", NotificationHash(p.ProcessPass, p.ReceiptNumber, p.MerchantPass))
	}
	return v
}

// NotificationHash is HashCd: lowercase hex md5(ProcessPass + RecvNum + MerchantPass).
func NotificationHash(processPass, recvNum, merchantPass string) string {
	sum := md5.Sum([]byte(processPass + recvNum + merchantPass))
	return hex.EncodeToString(sum[:])
}

// NewNotificationRequest returns an *http.Request carrying NewNotification(p)
// as the gateway sends it, from the first test-environment source address
// (escott.NotifySources(escott.Test)), for calling a handler's ServeHTTP directly.
func NewNotificationRequest(p NotificationParams) *http.Request {
	return NotificationRequest(NewNotification(p))
}

// NotificationRequest wraps notification fields in a POST request from the
// first test-environment source address.
func NotificationRequest(fields url.Values) *http.Request {
	r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/escott/notify/", strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = escott.NotifySources(escott.Test)[0] + ":40000"
	return r
}
