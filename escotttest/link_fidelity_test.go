package escotttest_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/jst"
)

// The hosted page (SSNP005ReferStart.do) driven with requests shaped as
// WooCommerce's process_payment / response_handler and WelcartPay's
// acting_processing / acting_transaction build them (the PHP itself runs in
// link_plugins_test.go when php and the plugins are at hand).

// plainLink is a plugin's link request: no MerchantId inside, ProcNo
// 0000000, and MerchantFree2/3 as WelcartPay sends them.
func plainLink(srv *escotttest.Server, op, linkKey string) url.Values {
	v := url.Values{}
	v.Set("MerchantPass", escotttest.DefaultMerchantPass)
	v.Set("TransactionDate", jst.Date(srv.Now()))
	v.Set("MerchantFree1", linkKey)
	v.Set("MerchantFree2", "acting_welcart_card")
	v.Set("MerchantFree3", "wc2collne")
	v.Set("TenantId", "0001")
	v.Set("OperateId", op)
	v.Set("ProcNo", "0000000")
	v.Set("RedirectUrl", "https://shop.example.jp/?page_id=5")
	return v
}

func linkTo(t *testing.T, srv *escotttest.Server, plain url.Values) *escott.LinkRedirect {
	t.Helper()
	return &escott.LinkRedirect{Endpoint: srv.URL + "/euser/snp/SSNP005ReferStart.do",
		MerchantID: escotttest.DefaultMerchantID, EncryptValue: escott.Secret(tdsCipher(t).Encrypt(plain))}
}

func linkResultOf(t *testing.T, ret *escotttest.ThreeDSReturn) url.Values {
	t.Helper()
	out, err := tdsCipher(t).Decrypt(ret.Fields.Get("EncryptValue"))
	require.NoError(t, err)
	return out
}

// After a registration on the hosted page (4MemAdd), both plugins store the
// member from the result and send the shopper back to the hosted page for
// the payment with the SAME MerchantFree1 and ProcNo 0000000, the member,
// the result's TransactionDate and its 3-D Secure fields. The gateway must
// accept it (it is not a replay: the operation differs); an exact replay of
// the payment is still K89.
func TestFakeLinkPaymentAfterRegistrationKeepsLinkKey(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	ctx := context.Background()

	reg := plainLink(srv, "4MemAdd", "2345678901")
	reg.Set("KaiinId", "w7i0001234567")
	reg.Set("KaiinPass", "123456789012")
	ret, err := srv.PayLink(ctx, linkTo(t, srv, reg), escotttest.LinkShopper{Card: escotttest.CardVisa})
	require.NoError(t, err)
	res := linkResultOf(t, ret)
	require.Equal(t, "OK", res.Get("ResponseCd"))
	require.Equal(t, reg.Get("KaiinId"), res.Get("KaiinId"), "the plugins store the member from the result")
	require.Equal(t, reg.Get("KaiinPass"), res.Get("KaiinPass"))
	require.Equal(t, escotttest.DefaultMerchantID, res.Get("MerchantId"), "both plugins require MerchantId inside")

	pay := plainLink(srv, "1Gathering", res.Get("MerchantFree1"))
	pay.Set("TransactionDate", res.Get("TransactionDate"))
	pay.Set("KaiinId", res.Get("KaiinId"))
	pay.Set("KaiinPass", res.Get("KaiinPass"))
	pay.Set("PayType", "01")
	pay.Set("Amount", "1980")
	for _, f := range []string{"EncodeXId3D", "MessageVersionNo3D", "TransactionStatus3D", "CAVVAlgorithm3D", "ECI3D",
		"CAVV3D", "SecureResultCode", "DSTransactionId", "ThreeDSServerTransactionId"} {
		if res.Has(f) {
			pay.Set(f, res.Get(f))
		}
	}
	ret, err = srv.PayLink(ctx, linkTo(t, srv, pay), escotttest.LinkShopper{UseStoredCard: true})
	require.NoError(t, err)
	out := linkResultOf(t, ret)
	require.Equal(t, "OK", out.Get("ResponseCd"), "the payment after the registration is accepted")
	proc, ok := srv.Process(out.Get("ProcessId"))
	require.True(t, ok)
	assert.True(t, proc.Amount.Equal(escott.Yen(1980)))

	ret, err = srv.PayLink(ctx, linkTo(t, srv, pay), escotttest.LinkShopper{UseStoredCard: true})
	require.NoError(t, err)
	assert.Equal(t, "K89", linkResultOf(t, ret).Get("ResponseCd"), "an exact replay of the payment")
}

// WelcartPay's My Page registers a stored card on the hosted page without
// MerchantFree1 or MerchantFree2, always with ProcNo 0000000: two customers'
// registrations are not replays of each other.
func TestFakeLinkRegistrationsWithoutLinkKey(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	t.Cleanup(srv.Close)
	for _, id := range []string{"w7i0001234567", "w8i0007654321"} {
		reg := plainLink(srv, "4MemAdd", "")
		reg.Del("MerchantFree1")
		reg.Del("MerchantFree2")
		reg.Set("RedirectUrl", "https://shop.example.jp/?page_id=6")
		reg.Set("KaiinId", id)
		reg.Set("KaiinPass", "123456789012")
		ret, err := srv.PayLink(context.Background(), linkTo(t, srv, reg), escotttest.LinkShopper{Card: escotttest.CardVisa})
		require.NoError(t, err)
		res := linkResultOf(t, ret)
		assert.Equal(t, "OK", res.Get("ResponseCd"), id)
		assert.Equal(t, id, res.Get("KaiinId"))
		_, ok := srv.Member(id)
		assert.True(t, ok, id)
	}
}
