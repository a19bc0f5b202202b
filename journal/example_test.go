package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/journal"
)

// A file journal keeps an attempt whose answer never came across a restart;
// an operator lists it by link key.
func ExampleOpenFile() {
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "escott-journal.log")
	ctx := context.Background()
	started := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

	j, err := journal.OpenFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	// What the client does before sending a payment; then the process dies.
	_ = j.Begin(ctx, escott.Attempt{
		LinkKey: "20261126-0042", Operation: "1Gathering", Amount: "12800", OrderRef: "order 42", Started: started,
	})
	_ = j.Close()

	// After the restart:
	j, err = journal.OpenFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer j.Close()
	pending, _ := j.Pending(ctx, started.Add(10*time.Minute))
	for _, a := range pending {
		fmt.Println(a.LinkKey, a.Operation, a.Amount, a.OrderRef, a.Outcome)
	}
	// Output:
	// 20261126-0042 1Gathering 12800 order 42 in flight
}
