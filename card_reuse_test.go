package escott_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// TestPayCarriesNothingFromTheLastPayment: the request of a payment has only
// its own fields, whatever the payment before it sent (a stored card and its
// password, a security code, authentication assist, a failed validation):
// Pay reuses its request struct from call to call.
func TestPayCarriesNothingFromTheLastPayment(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	m := escott.NewMember()
	_, err := c.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(700), Source: m, SecurityCode: "123",
		MerchantFree2: "two", MerchantFree3: "three", PayType: "03"})
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(2000), Source: srv.MustToken(escotttest.CardAuthAssist),
		AuthAssist: &escott.AuthAssist{KanaSurname: "やまだ", KanaGivenName: "ハナコ", Birthday: "0615", PhoneLast4: "5678"}})
	require.NoError(t, err)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(1), Source: m, SecurityCode: "12345678"}) // refused before sending
	require.ErrorIs(t, err, escott.ErrValidation)

	tok := srv.MustToken(escotttest.CardVisa)
	_, err = c.Card.Pay(ctx, &escott.PaymentParams{Amount: yen(500), Source: tok})
	require.NoError(t, err)
	reqs := srv.Requests()
	sent := reqs[len(reqs)-1].Fields
	keys := make([]string, 0, len(sent))
	for k := range sent {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"MerchantId", "MerchantPass", "TransactionDate", "OperateId", "MerchantFree1",
		"TenantId", "Token", "Amount", "PayType"}, keys)
	assert.Equal(t, "500", sent.Get("Amount"))
	assert.Equal(t, "01", sent.Get("PayType"))
	assert.Equal(t, string(tok), sent.Get("Token"))
}
