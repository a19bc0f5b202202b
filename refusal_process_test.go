package escott_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// finishSpy records the outcomes a journal is given.
type finishSpy struct {
	escott.Journal
	mu       sync.Mutex
	finished []escott.AttemptResult
}

func (j *finishSpy) Finish(ctx context.Context, linkKey string, r escott.AttemptResult) error {
	j.mu.Lock()
	j.finished = append(j.finished, r)
	j.mu.Unlock()
	return j.Journal.Finish(ctx, linkKey, r)
}

// A refusal that still names a transaction (the code table's K40: "the
// transaction went through, but the security code did not match") is never
// dropped: the error carries the Process, so that the shop can cancel it,
// and the journal records its ProcessId.
func TestRefusalThatNamesAProcessKeepsIt(t *testing.T) {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		_, _ = fmt.Fprintf(w, "ResponseCd=K40&OperateId=%s&MerchantFree1=%s&ProcessId=PROC40&ProcessPass=PASS40&TransactionId=1",
			r.PostForm.Get("OperateId"), r.PostForm.Get("MerchantFree1"))
	}))
	defer gw.Close()
	fake := escotttest.NewServer(escotttest.Config{})
	defer fake.Close()
	conf := fake.Config()
	conf.BaseURL = gw.URL
	spy := &finishSpy{Journal: escott.NewMemoryJournal()}
	c, err := escott.NewClient(conf, escott.WithJournal(spy))
	require.NoError(t, err)

	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: escott.Yen(1980), Source: escott.CardToken("tok")})
	var gerr *escott.Error
	require.ErrorAs(t, err, &gerr)
	require.NotNil(t, gerr.Process, "the transaction the refusal names")
	assert.Equal(t, "PROC40", gerr.Process.ID)
	assert.Equal(t, "PASS40", gerr.Process.Pass.Reveal())
	assert.Equal(t, gerr.LinkKey, gerr.Process.LinkKey)
	assert.Contains(t, err.Error(), "PROC40")
	assert.NotContains(t, err.Error(), "PASS40")
	assert.NotContains(t, fmt.Sprintf("%+v", gerr), "PASS40")

	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.Len(t, spy.finished, 1)
	assert.Equal(t, escott.OutcomeRejected, spy.finished[0].Outcome)
	assert.Equal(t, "PROC40", spy.finished[0].ProcessID)
}
