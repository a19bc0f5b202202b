package escott_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

func TestPayCaptureChangeInquireCancel(t *testing.T) {
	ctx := context.Background()
	srv, c := newTest(t)
	pay, err := c.Card.Pay(ctx, &escott.PaymentParams{
		Amount: decimal.NewFromInt(1500), Source: srv.MustToken(escotttest.CardVisa), Mode: escott.AuthOnly,
	})
	require.NoError(t, err)
	assert.Equal(t, escott.OpAuth, pay.OperateID)
	assert.Len(t, pay.Process.LinkKey, 12)
	assert.Equal(t, pay.Process.LinkKey, pay.MerchantFree1)
	assert.NotEmpty(t, pay.Process.ID)
	info, ok := srv.Process(pay.Process.ID)
	require.True(t, ok)
	assert.Equal(t, "authorized", info.State)

	_, err = c.Card.Capture(ctx, pay.Process, nil)
	require.NoError(t, err)
	info, _ = srv.Process(pay.Process.ID)
	assert.Equal(t, "captured", info.State)

	_, err = c.Card.ChangeAmount(ctx, pay.Process, decimal.NewFromInt(1200))
	require.NoError(t, err)
	got, err := c.Card.Inquire(ctx, pay.Process)
	require.NoError(t, err)
	assert.True(t, got.Amount.Equal(decimal.NewFromInt(1200)))

	_, err = c.Card.Cancel(ctx, pay.Process)
	require.NoError(t, err)
	_, err = c.Card.Cancel(ctx, pay.Process)
	require.ErrorIs(t, err, escott.ErrState)
}
