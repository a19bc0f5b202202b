package escott

import (
	"net/url"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

func TestCheckReturnFieldsFormats(t *testing.T) {
	a := &ThreeDSAttempt{LinkKey: "LK1", ProcNo: "1234567", OperateID: OpThreeDS, Amount: decimal.NewFromInt(2500),
		PayType: LumpSum, MerchantFree2: "m2"}
	good := url.Values{
		"ResponseCd": {"OK"}, "SecureResultCode": {"0"}, "OperateId": {OpThreeDS}, "MerchantFree1": {"LK1"},
		"MerchantFree2": {"m2"}, "ProcNo": {"1234567"}, "TransactionId": {"123456789012345678"},
		"TransactionDate": {"20261201"}, "EncodeXId3D": {"+/8AAQIDBAUGBwgJCgsMDQ4PEBE="},
		"CAVV3D": {"AAECAwQFBgcICQoLDA0ODxAREhM="}, "MessageVersionNo3D": {"2.2.0"}, "TransactionStatus3D": {"Y"},
		"CAVVAlgorithm3D": {"2"}, "ECI3D": {"05"}, "DSTransactionId": {"0b4e8a57-3b7f-4e0c-9a4f-7d8e2c1b5a60"},
		"ThreeDSServerTransactionId": {"0B4E8A57-3B7F-4E0C-9A4F-7D8E2C1B5A60"}, "Amount": {"2500"},
		"PANCard3D": {"400000******3105"}, "SomeNewField": {"abc-1.2"},
	}
	assert.Empty(t, checkReturnFields(good, a, "1234567"))
	for k, bad := range map[string]string{
		"ResponseCd": "OK ", "SecureResultCode": "00", "OperateId": "1Auth", "MerchantFree1": "LK2",
		"MerchantFree2": "m3", "ProcNo": "0000000", "TransactionId": "12#4", "TransactionDate": "2026120",
		"EncodeXId3D": "AAECAwQFBgcICQoLDA0ODxAREh==", "CAVV3D": "AAECAwQFBgcICQoLDA0ODxAREhMU",
		"MessageVersionNo3D": "2.2", "TransactionStatus3D": "Z", "CAVVAlgorithm3D": "B", "ECI3D": "03",
		"DSTransactionId": "0b4e8a57-3b7f-4e0c-9a4f-7d8e2c1b5a6g", "Amount": "2501", "PANCard3D": "4000",
		"SomeNewField": "a\x01", "PayType": "02", "MerchantId": "7654321", "KaiinId": "M1",
	} {
		f := url.Values{}
		for kk, v := range good {
			f[kk] = v
		}
		f.Set(k, bad)
		assert.NotEmpty(t, checkReturnFields(f, a, "1234567"), "%s=%q", k, bad)
	}
	f := url.Values{}
	for kk, v := range good {
		f[kk] = v
	}
	f["ECI3D"] = []string{"05", "05"}
	assert.NotEmpty(t, checkReturnFields(f, a, "1234567"), "a repeated field")
	f = url.Values{"ResponseCd": {"U01"}, "SecureResultCode": {"2"}, "OperateId": {OpThreeDS}, "MerchantFree1": {"LK1"},
		"MerchantFree2": {"m2"}, "EncodeXId3D": {""}, "CAVV3D": {""}}
	assert.Empty(t, checkReturnFields(f, a, "1234567"), "empty 3-D Secure data fields and no ProcNo echo")
}
