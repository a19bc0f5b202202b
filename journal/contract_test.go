package journal_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/journaltest"
	"github.com/escott-go/escott/journal"
)

// The shared contract (internal/journaltest) for the file journal; the
// memory journal runs it in package escott, the SQL journal in the
// PostgreSQL test module (internal/pgtest).

func TestFileContract(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) escott.Journal {
		j, err := journal.OpenFile(filepath.Join(t.TempDir(), "journal.log"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = j.Close() })
		return j
	})
}

// The contract again, but every answer comes from a freshly replayed file.
func TestFileContractAfterReopen(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) escott.Journal {
		return &reopening{t: t, path: filepath.Join(t.TempDir(), "journal.log")}
	})
}

// reopening opens the file for each call and closes it after, so that all
// state must survive a replay. Calls are serialised, as one process at a time
// can hold the file.
type reopening struct {
	t    *testing.T
	path string
	mu   sync.Mutex
}

func (r *reopening) with(fn func(j *journal.File) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, err := journal.OpenFile(r.path)
	require.NoError(r.t, err)
	defer func() { require.NoError(r.t, j.Close()) }()
	return fn(j)
}

func (r *reopening) Begin(ctx context.Context, a escott.Attempt) error {
	return r.with(func(j *journal.File) error { return j.Begin(ctx, a) })
}

func (r *reopening) Finish(ctx context.Context, k string, res escott.AttemptResult) error {
	return r.with(func(j *journal.File) error { return j.Finish(ctx, k, res) })
}

func (r *reopening) Resolve(ctx context.Context, k string, res escott.AttemptResult) error {
	return r.with(func(j *journal.File) error { return j.Resolve(ctx, k, res) })
}

func (r *reopening) Pending(ctx context.Context, olderThan time.Time) (p []escott.Attempt, err error) {
	err = r.with(func(j *journal.File) error { p, err = j.Pending(ctx, olderThan); return err })
	return p, err
}
