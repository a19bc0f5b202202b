package escott

import (
	"testing"
	"time"

	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/wire"
)

// gatheringAnswer is a typical 1Gathering answer as the gateway sends it.
const gatheringAnswer = "ResponseCd=OK&OperateId=1Gathering&MerchantFree1=123456789012&MerchantFree2=order-42" +
	"&TransactionId=123456789012345678&TransactionDate=20261126&ProcessId=1234567890123456" +
	"&ProcessPass=AbCdEfGhIjKlMnOp&CompanyCd=VI&ApproveNo=1234567&McSecCd=0"

// BenchmarkEncodeDecodeGathering is the SDK's whole codec cost of one card
// payment: the request struct with its common fields encoded to a form, and
// the answer decoded and turned into a Payment.
func BenchmarkEncodeDecodeGathering(b *testing.B) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, jst.Zone)
	b.ReportAllocs()
	for b.Loop() {
		req := &cardRequest{Token: "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl", Amount: "1980", PayType: "01"}
		req.setCommon(common{
			MerchantID: "1234567", MerchantPass: "testpass", TransactionDate: jst.Date(now), OperateID: OpGathering,
			MerchantFree1: "123456789012", MerchantFree2: "order-42", TenantID: "0001",
		})
		if _, err := wire.Encode(req); err != nil {
			b.Fatal(err)
		}
		resp, err := wire.Decode([]byte(gatheringAnswer))
		if err != nil {
			b.Fatal(err)
		}
		_ = paymentFrom(OpGathering, resp, "123456789012", nil, nil)
	}
}

// BenchmarkEncodeCard is the encoding of one card payment request alone.
func BenchmarkEncodeCard(b *testing.B) {
	req := &cardRequest{Token: "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl", Amount: "1980", PayType: "01"}
	req.setCommon(common{
		MerchantID: "1234567", MerchantPass: "testpass", TransactionDate: "20261126", OperateID: OpGathering,
		MerchantFree1: "123456789012", TenantID: "0001",
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.Encode(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGathering is the decoding of one card payment answer and
// the Payment built from it.
func BenchmarkDecodeGathering(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		resp, err := wire.Decode([]byte(gatheringAnswer))
		if err != nil {
			b.Fatal(err)
		}
		_ = paymentFrom(OpGathering, resp, "123456789012", nil, nil)
	}
}

// BenchmarkNewLinkKey is the generation of one 12-digit link key.
func BenchmarkNewLinkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(NewLinkKey()) != 12 {
			b.Fatal("not 12 digits")
		}
	}
}
