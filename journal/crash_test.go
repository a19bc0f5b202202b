//go:build unix

package journal

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/journaltest"
)

// crashEnv names the journal file the child process writes to; set only in
// the child.
const crashEnv = "ESCOTT_JOURNAL_CRASH_CHILD"

var crashStart = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// TestFileCrashChild is the child half of TestFileSurvivesCrash: it does
// nothing unless started by it.
func TestFileCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the child of TestFileSurvivesCrash")
	}
	ctx := context.Background()
	j, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// One attempt that completes, and one that is mid-payment when the
	// process dies: Begin returned, the request would now be on the wire.
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.Begin(ctx, escott.Attempt{LinkKey: "crash-done", Operation: "1Auth", Amount: "500", Started: crashStart}))
	must(j.Finish(ctx, "crash-done", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P1", At: crashStart}))
	must(j.Begin(ctx, escott.Attempt{LinkKey: "crash-open", Operation: "1Gathering", Amount: "12800", OrderRef: "order #42", Started: crashStart.Add(time.Second)}))
	os.Stdout.WriteString("ready\n")
	select {} // wait for SIGKILL; Finish never comes
}

func TestFileSurvivesCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("child")
	}
	path := filepath.Join(t.TempDir(), "journal.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- "ready"
				return
			}
		}
		close(ready)
	}()
	select {
	case s, ok := <-ready:
		require.True(t, ok && s == "ready", "child ended without getting ready")
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not get ready")
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred code, no flush
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Contains(t, exitErr.String(), "killed")

	// The dead process's lock is gone with it; the open attempt is there.
	j := openTestFile(t, path)
	p, err := j.Pending(context.Background(), crashStart.Add(time.Hour))
	require.NoError(t, err)
	journaltest.AssertAttempts(t, []escott.Attempt{{
		LinkKey: "crash-open", Operation: "1Gathering", Amount: "12800", OrderRef: "order #42",
		Started: crashStart.Add(time.Second), Outcome: escott.OutcomeInFlight,
	}}, p)
	require.ErrorIs(t, j.Begin(context.Background(), escott.Attempt{LinkKey: "crash-open"}), escott.ErrJournalInFlight,
		"the guard holds across the restart")
}
