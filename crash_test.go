//go:build unix

package escott_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

// Set only in the child process of TestCrashMidPaymentIsRecoverable.
const (
	crashJournalEnv = "ESCOTT_CRASH_JOURNAL"
	crashGatewayEnv = "ESCOTT_CRASH_GATEWAY"
	crashTokenEnv   = "ESCOTT_CRASH_TOKEN"
)

// TestCrashChild is the shop process that dies mid-payment. It does nothing
// unless started by TestCrashMidPaymentIsRecoverable.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashJournalEnv)
	if path == "" {
		t.Skip("runs only as the child of TestCrashMidPaymentIsRecoverable")
	}
	j, err := journal.OpenFile(path)
	require.NoError(t, err)
	c, err := escott.NewClient(escott.Config{
		MerchantID: escotttest.DefaultMerchantID, MerchantPass: escotttest.DefaultMerchantPass,
		Environment: escott.Test, BaseURL: os.Getenv(crashGatewayEnv),
	}, escott.WithJournal(j))
	require.NoError(t, err)
	// The gateway holds the answer back; the parent kills us meanwhile.
	_, err = c.Card.Pay(context.Background(), &escott.PaymentParams{
		Amount: yen(12800), Source: escott.CardToken(os.Getenv(crashTokenEnv)), LinkKey: "CRASH0001", OrderRef: "order-42",
	})
	t.Fatalf("the payment returned (%v): the process should have been killed first", err)
}

// TestCrashMidPaymentIsRecoverable kills a shop process while its payment is
// on the wire (SIGKILL: no deferred code runs), then recovers the attempt
// from the file journal and finds it at the gateway by its link key.
func TestCrashMidPaymentIsRecoverable(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	srv.InjectFault(escott.OpGathering, escotttest.Fault{Kind: escotttest.FaultLatency, Latency: 2 * time.Second})
	path := filepath.Join(t.TempDir(), "journal.log")

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashJournalEnv+"="+path, crashGatewayEnv+"="+srv.URL,
		crashTokenEnv+"="+string(srv.MustToken(escotttest.CardVisa)))
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for srv.RequestCount(escott.OpGathering) == 0 {
		require.True(t, time.Now().Before(deadline), "the child never sent its payment")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	// The shop restarts and looks for what needs attention.
	j, err := journal.OpenFile(path)
	require.NoError(t, err)
	defer j.Close()
	pending, err := j.Pending(context.Background(), time.Now())
	require.NoError(t, err)
	require.Len(t, pending, 1)
	a := pending[0]
	assert.Equal(t, "CRASH0001", a.LinkKey)
	assert.Equal(t, escott.OpGathering, a.Operation)
	assert.Equal(t, "12800", a.Amount)
	assert.Equal(t, "order-42", a.OrderRef)
	assert.Equal(t, escott.OutcomeInFlight, a.Outcome)

	// The operator finds the payment under that link key (自由領域1). The
	// fake's request log plays the console here.
	var found bool
	for _, r := range srv.Requests() {
		found = found || r.OperateID == escott.OpGathering && r.Fields.Get("MerchantFree1") == a.LinkKey
	}
	assert.True(t, found, "the gateway received the payment under the recovered link key")
	// And the double-submit guard still holds for that order.
	err = j.Begin(context.Background(), escott.Attempt{LinkKey: "CRASH0001", Operation: escott.OpGathering})
	assert.ErrorIs(t, err, escott.ErrJournalInFlight)
}
