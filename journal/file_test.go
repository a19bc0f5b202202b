package journal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/journaltest"
)

func openTestFile(t *testing.T, path string) *File {
	t.Helper()
	j, err := OpenFile(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func TestFileModeAndLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.log")
	j := openTestFile(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// flock is per open file, so a second open in this process is refused
	// just like one from another process.
	_, err = OpenFile(path)
	require.ErrorIs(t, err, ErrLocked)

	require.NoError(t, j.Close())
	require.NoError(t, j.Close(), "Close twice is harmless")
	require.ErrorIs(t, j.Begin(context.Background(), escott.Attempt{LinkKey: "x"}), os.ErrClosed)

	j2, err := OpenFile(path) // the lock went with Close
	require.NoError(t, err)
	require.NoError(t, j2.Close())
}

func TestFileTornLastLine(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "journal.log")
	j := openTestFile(t, path)
	a := escott.Attempt{LinkKey: "torn-a", Operation: "1Gathering", Amount: "1200", OrderRef: "A-1", Started: t0}
	require.NoError(t, j.Begin(ctx, a))
	require.NoError(t, j.Close())

	// A crash in the middle of the next append leaves half a line.
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"k":"begin","link_key":"torn-b","op":"1Au`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	j = openTestFile(t, path)
	p, err := j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	journaltest.AssertAttempts(t, []escott.Attempt{a}, p)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, whole, after, "the torn tail is cut off")

	// And the journal goes on working: new records replay cleanly.
	require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: "torn-b", Operation: "1Auth", Started: t0.Add(time.Second)}))
	require.NoError(t, j.Finish(ctx, "torn-a", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0.Add(time.Minute)}))
	require.NoError(t, j.Close())
	j = openTestFile(t, path)
	p, err = j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "torn-b", p[0].LinkKey)
}

func TestFileDamageInTheMiddleIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.log")
	j := openTestFile(t, path)
	require.NoError(t, j.Begin(context.Background(), escott.Attempt{LinkKey: "a"}))
	require.NoError(t, j.Close())

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append([]byte("not json\n"), b...), 0o600))
	_, err = OpenFile(path)
	require.ErrorContains(t, err, "line 1")

	// A finish for an attempt never begun means records went missing.
	require.NoError(t, os.WriteFile(path, []byte(`{"k":"finish","link_key":"zz","outcome":1}`+"\n"), 0o600))
	_, err = OpenFile(path)
	require.ErrorContains(t, err, "without a begin")
}

// compactUnsupported reports whether Compact is unavailable here (Windows),
// checking that it then says so with errors.ErrUnsupported.
func compactUnsupported(t *testing.T, j *File) bool {
	t.Helper()
	if renameOverOpenFile {
		return false
	}
	require.ErrorIs(t, j.Compact(), errors.ErrUnsupported)
	return true
}

func TestFileCompact(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "journal.log")
	j := openTestFile(t, path)
	if compactUnsupported(t, j) {
		return
	}
	for i := range 50 {
		k := "done-" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: k, Operation: "1Gathering", Started: t0}))
		require.NoError(t, j.Finish(ctx, k, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}))
	}
	u := escott.Attempt{LinkKey: "unknown", Operation: "1Auth", Amount: "700", OrderRef: "U", Started: t0.Add(time.Second)}
	require.NoError(t, j.Begin(ctx, u))
	require.NoError(t, j.Finish(ctx, "unknown", escott.AttemptResult{Outcome: escott.OutcomeUnknown, ProcessID: "PU", At: t0.Add(2 * time.Second)}))
	require.ErrorIs(t, j.Begin(ctx, u), escott.ErrJournalUnresolved, "an unknown link key stays blocked until resolved")
	open := escott.Attempt{LinkKey: "open", Operation: "1Capture", ProcessID: "P2", Started: t0}
	require.NoError(t, j.Begin(ctx, open))

	before, err := os.Stat(path)
	require.NoError(t, err)
	want, err := j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, want, 2)

	require.NoError(t, j.Compact())
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, after.Size(), before.Size()/10)
	assert.Equal(t, os.FileMode(0o600), after.Mode().Perm())
	got, err := j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	journaltest.AssertAttempts(t, want, got)

	// Still locked, still appending to the new file.
	_, err = OpenFile(path)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, j.Finish(ctx, "open", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, At: t0}))
	require.NoError(t, j.Close())

	j = openTestFile(t, path)
	got, err = j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	journaltest.AssertAttempts(t, want[1:], got) // "open" (oldest) has finished
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte("done-")), "finished attempts are gone from the file")
}

func TestFileRefusesFinishInFlight(t *testing.T) {
	j := openTestFile(t, filepath.Join(t.TempDir(), "journal.log"))
	require.NoError(t, j.Begin(context.Background(), escott.Attempt{LinkKey: "a"}))
	require.Error(t, j.Finish(context.Background(), "a", escott.AttemptResult{Outcome: escott.OutcomeInFlight}))
	require.ErrorIs(t, j.Begin(context.Background(), escott.Attempt{LinkKey: "a"}), escott.ErrJournalInFlight, "still open")
}

// A file written before Resolve existed has only begin and finish records; it
// still opens, and a resolve appended to it replays, through Compact too.
func TestFileResolveOnOldFile(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "journal.log")
	old := `{"k":"begin","link_key":"u","op":"1Gathering","amount":"300","started":"2026-11-26T10:00:00Z"}
{"k":"finish","link_key":"u","outcome":3,"at":"2026-11-26T10:01:00Z"}
{"k":"begin","link_key":"c","op":"1Auth","amount":"400","started":"2026-11-26T10:02:00Z"}
{"k":"begin","link_key":"keep","op":"1Auth","amount":"500","started":"2026-11-26T10:03:00Z"}
`
	require.NoError(t, os.WriteFile(path, []byte(old), 0o600))
	j := openTestFile(t, path)
	p, err := j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, p, 3)

	require.NoError(t, j.Resolve(ctx, "u", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "P-found", At: t0.Add(time.Hour)}))
	require.NoError(t, j.Resolve(ctx, "c", escott.AttemptResult{Outcome: escott.OutcomeRejected, At: t0.Add(time.Hour)}))
	require.NoError(t, j.Close())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(raw, []byte(old)), "appended, not rewritten")
	assert.Contains(t, string(raw), `"k":"resolve","link_key":"u","process_id":"P-found","outcome":1`)

	keep := escott.Attempt{LinkKey: "keep", Operation: "1Auth", Amount: "500", Started: t0.Add(3 * time.Minute)}
	j = openTestFile(t, path)
	p, err = j.Pending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	journaltest.AssertAttempts(t, []escott.Attempt{keep}, p)
	require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: "c", Operation: "1Auth", Started: t0.Add(time.Hour)}), "c is free again after replay")

	if compactUnsupported(t, j) {
		return
	}
	require.NoError(t, j.Compact())
	require.NoError(t, j.Close())
	raw, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), `"link_key":"u"`, "a resolved attempt is dropped by Compact")
	j = openTestFile(t, path)
	p, err = j.Pending(ctx, t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, p, 2)
	assert.Equal(t, []string{"keep", "c"}, []string{p[0].LinkKey, p[1].LinkKey})
}

func TestFileResolveWithoutAttemptIsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.log")
	// A resolve for an attempt that was never open means records went missing.
	rec := `{"k":"begin","link_key":"a"}` + "\n" + `{"k":"finish","link_key":"a","outcome":1}` + "\n" +
		`{"k":"resolve","link_key":"a","outcome":2}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(rec), 0o600))
	_, err := OpenFile(path)
	require.ErrorContains(t, err, "line 3")
	require.ErrorContains(t, err, "resolved without")
}
