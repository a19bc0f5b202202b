package sqlstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// TestDedupeKeysThroughHandler: notifications whose identifying fields
// contain '|' (which used to collide) and one whose key is longer than an
// index entry may be both reach the subscribers once each with the SQL store.
func TestDedupeKeysThroughHandler(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	st, err := sqlstore.NewDedupeStore(ctx, db, sqlstore.WithTable(testTable(t, db, "escott_ddk")))
	require.NoError(t, err)
	client, err := escott.NewClient(escott.Config{MerchantID: escotttest.DefaultMerchantID,
		MerchantPass: escotttest.DefaultMerchantPass, Environment: escott.Test})
	require.NoError(t, err)
	h, err := client.NotificationHandler(escott.WithDedupeStore(st))
	require.NoError(t, err)
	var mu sync.Mutex
	var pays, others []string
	h.OnPaymentReceived(func(_ context.Context, p escott.PaymentReceived) error {
		mu.Lock()
		defer mu.Unlock()
		pays = append(pays, p.TransactionID+"/"+p.ReceiptNumber)
		return nil
	})
	h.OnOtherEvent(func(_ context.Context, o escott.OtherEvent) error {
		mu.Lock()
		defer mu.Unlock()
		others = append(others, o.Condition)
		return nil
	})
	serve := func(p escotttest.NotificationParams) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, escotttest.NewNotificationRequest(p))
		return w.Code
	}
	a := escotttest.NotificationParams{TransactionID: "T1|R", ReceiptNumber: "X"}
	b := escotttest.NotificationParams{TransactionID: "T1", ReceiptNumber: "R|X"}
	long := escotttest.NotificationParams{TransactionID: "T2", ReceiptNumber: "R", Condition: strings.Repeat("9", 3000)}
	for _, p := range []escotttest.NotificationParams{a, b, long, a, b, long} {
		assert.Equal(t, http.StatusOK, serve(p))
	}
	assert.Equal(t, []string{"T1|R/X", "T1/R|X"}, pays, "each payment once")
	assert.Len(t, others, 1, "the long key is stored and dedupes")
}
