package escott_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/envelope"
)

// After a card registration on the hosted page, WooCommerce and WelcartPay
// send the shopper back to the hosted page to pay with the card just stored,
// forwarding the registration's 3-D Secure result in the payment request
// (link_plugins_test.go runs their PHP). The SDK does the same with Start,
// Member and ThreeDS; ThreeDS without Member is refused.
func TestLinkPaymentAfterRegistrationForwardsThreeDS(t *testing.T) {
	srv, c := newTest(t)
	ctx := context.Background()
	shop := newLinkShop()
	m := escott.Member{ID: "chain1", Pass: "pass1234"}
	rd, err := c.Link.StartMember(ctx, &escott.LinkMemberParams{Member: m, RedirectURL: linkReturnURL})
	require.NoError(t, err)
	ret, err := srv.PayLink(ctx, rd, escotttest.LinkShopper{Card: escotttest.CardThreeDSChallenge})
	require.NoError(t, err)
	reg, err := c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.NoError(t, err)
	require.NotEmpty(t, reg.ThreeDS.SecureResultCode)

	_, err = c.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(1980), RedirectURL: linkReturnURL,
		ThreeDS: &reg.ThreeDS})
	require.ErrorIs(t, err, escott.ErrValidation, "ThreeDS only with the member it authenticated")

	rd, err = c.Link.Start(ctx, &escott.LinkStartParams{Amount: escott.Yen(1980), RedirectURL: linkReturnURL,
		Member: reg.Member, ThreeDS: &reg.ThreeDS})
	require.NoError(t, err)
	ci, err := envelope.New(escotttest.DefaultAESKey, escotttest.DefaultAESIV)
	require.NoError(t, err)
	req, err := ci.Decrypt(rd.EncryptValue.Reveal())
	require.NoError(t, err)
	assert.Equal(t, m.ID, req.Get("KaiinId"))
	for f, want := range map[string]string{
		"SecureResultCode": reg.ThreeDS.SecureResultCode, "EncodeXId3D": reg.ThreeDS.EncodeXID3D,
		"MessageVersionNo3D": reg.ThreeDS.MessageVersionNo3D, "TransactionStatus3D": reg.ThreeDS.TransactionStatus3D,
		"CAVVAlgorithm3D": reg.ThreeDS.CAVVAlgorithm3D, "ECI3D": reg.ThreeDS.ECI3D, "CAVV3D": reg.ThreeDS.CAVV3D,
		"DSTransactionId": reg.ThreeDS.DSTransactionID, "ThreeDSServerTransactionId": reg.ThreeDS.ThreeDSServerTransactionID,
	} {
		require.NotEmpty(t, want, f)
		assert.Equal(t, want, req.Get(f), f)
	}

	ret, err = srv.PayLink(ctx, rd, escotttest.LinkShopper{UseStoredCard: true})
	require.NoError(t, err)
	res, err := c.Link.HandleReturn(ret.Request(ctx), shop.params())
	require.NoError(t, err)
	require.NotNil(t, res.Payment)
	proc, ok := srv.Process(res.Payment.Process.ID)
	require.True(t, ok)
	assert.Equal(t, m.ID, proc.MemberID)
}
