package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/escott-go/escott"
)

// ErrLocked is returned by OpenFile when another process (or another File in
// this process) holds the journal file open. A file journal serves exactly
// one process; several shop instances share the SQL journal instead.
var ErrLocked = errors.New("journal: file is in use by another process")

// File is an append-only file escott.Journal that survives a crash: every Begin,
// Finish and Resolve appends one JSON line and fsyncs it before returning, so
// an attempt whose Begin returned is on disk before its request is sent.
// OpenFile replays the file to rebuild the open attempts.
//
// Like escott.MemoryJournal, it answers Pending from memory and forgets attempts that ended
// with a definite answer (their lines stay in the file until Compact). It is
// safe for concurrent use within one process; an advisory lock keeps a second
// process out: flock on Unix, LockFileEx on Windows. On Windows, Compact is
// not available (it returns an error wrapping errors.ErrUnsupported), because
// Windows cannot rename a file over one that is open.
type File struct {
	mu       sync.Mutex
	path     string
	f        *os.File // nil once closed
	size     int64    // bytes of whole records; a failed append is cut back to it
	inFlight map[string]escott.Attempt
	unknown  []escott.Attempt
}

// fileRecord is one line of the file. It mirrors escott.Attempt and
// escott.AttemptResult and, like them, holds no secrets.
type fileRecord struct {
	Kind      string         `json:"k"` // "begin", "finish" or "resolve"
	LinkKey   string         `json:"link_key"`
	Operation string         `json:"op,omitempty"`
	Amount    string         `json:"amount,omitempty"`
	ProcessID string         `json:"process_id,omitempty"`
	OrderRef  string         `json:"order_ref,omitempty"`
	Started   time.Time      `json:"started,omitzero"`
	Outcome   escott.Outcome `json:"outcome,omitempty"`
	Codes     []string       `json:"codes,omitempty"`
	At        time.Time      `json:"at,omitzero"`
}

const (
	kindBegin   = "begin"
	kindFinish  = "finish"
	kindResolve = "resolve" // absent from files written before Resolve existed
)

// OpenFile opens or creates the journal at path (mode 0600), takes its lock
// and replays it. A last line cut short by a crash mid-write is dropped; any
// other damage is an error, because silently skipping a record could hide an
// attempt that moved money.
func OpenFile(path string) (*File, error) {
	f, err := openLocked(path)
	if err != nil {
		return nil, err
	}
	j := &File{path: path, f: f, inFlight: make(map[string]escott.Attempt)}
	if err := j.replay(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("journal: replay %s: %w", path, err)
	}
	return j, nil
}

// openLocked opens path and takes an exclusive, non-blocking lock on it. It
// checks that the locked file is still the one at path: Compact replaces the
// file by rename, and a lock on the replaced file would guard nothing.
func openLocked(path string) (*os.File, error) {
	for range 5 {
		_, statErr := os.Stat(path) //nolint:gosec // the path is the operator's configuration, not outside input
		created := errors.Is(statErr, os.ErrNotExist)
		// No O_APPEND: records are written at the end the journal keeps
		// (write uses WriteAt), which works the same on every system; on
		// Windows an O_APPEND file could not be truncated after a torn write.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // the path is the operator's configuration, not outside input
		if err != nil {
			return nil, fmt.Errorf("journal: open: %w", err)
		}
		if err := lockFile(f); err != nil {
			_ = f.Close()
			if errors.Is(err, errWouldBlock) {
				return nil, fmt.Errorf("%w: %s", ErrLocked, path)
			}
			return nil, fmt.Errorf("journal: lock %s: %w", path, err)
		}
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path) //nolint:gosec // the path is the operator's configuration, not outside input
		if err1 == nil && err2 == nil && os.SameFile(fi, pi) {
			if created {
				// Make the new directory entry durable too.
				if err := syncDir(path); err != nil {
					_ = f.Close()
					return nil, err
				}
			}
			return f, nil
		}
		_ = f.Close() // replaced under us; try the new file
	}
	return nil, fmt.Errorf("journal: open %s: file keeps being replaced", path)
}

// syncDir makes a new or renamed directory entry durable where the system
// needs it (Unix); see syncDirNeeded.
func syncDir(path string) error {
	if !syncDirNeeded {
		return nil
	}
	d, err := os.Open(filepath.Dir(path)) //nolint:gosec // the path is the operator's configuration, not outside input
	if err != nil {
		return fmt.Errorf("journal: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: sync directory: %w", err)
	}
	return nil
}

// replay reads every record and truncates a torn tail so that the next
// append starts on a fresh line.
func (j *File) replay() error {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(j.f)
	var off int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				// A record is only complete with its newline: this is a
				// write cut short by a crash, so its Begin or Finish never
				// returned. Drop it.
				if err := j.f.Truncate(off); err != nil {
					return fmt.Errorf("drop torn last line: %w", err)
				}
				if err := j.f.Sync(); err != nil {
					return err
				}
			}
			break
		}
		if err != nil {
			return err
		}
		var rec fileRecord
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\n")), &rec); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if err := j.apply(rec); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		off += int64(len(line))
	}
	j.size = off
	return nil
}

// apply updates the in-memory state with one record, as Begin, Finish and
// Resolve do.
func (j *File) apply(rec fileRecord) error {
	switch rec.Kind {
	case kindBegin:
		if _, ok := j.inFlight[rec.LinkKey]; ok {
			return fmt.Errorf("link key %q begun twice", rec.LinkKey)
		}
		j.inFlight[rec.LinkKey] = escott.Attempt{
			LinkKey: rec.LinkKey, Operation: rec.Operation, Amount: rec.Amount,
			ProcessID: rec.ProcessID, OrderRef: rec.OrderRef, Started: rec.Started,
			Outcome: escott.OutcomeInFlight, Codes: rec.Codes,
		}
	case kindFinish:
		a, ok := j.inFlight[rec.LinkKey]
		if !ok {
			return fmt.Errorf("link key %q finished without a begin", rec.LinkKey)
		}
		delete(j.inFlight, rec.LinkKey)
		if rec.Outcome == escott.OutcomeUnknown {
			a.Outcome, a.Finished = escott.OutcomeUnknown, rec.At
			if rec.ProcessID != "" {
				a.ProcessID = rec.ProcessID
			}
			j.unknown = append(j.unknown, a)
		}
	case kindResolve:
		if !resolve(j.inFlight, &j.unknown, rec.LinkKey) {
			return fmt.Errorf("link key %q resolved without an open or unknown attempt", rec.LinkKey)
		}
	default:
		return fmt.Errorf("unknown record kind %q", rec.Kind)
	}
	return nil
}

// write appends one record and fsyncs. Called with j.mu held.
func (j *File) write(rec fileRecord) error {
	if j.f == nil {
		return fmt.Errorf("journal: %w", os.ErrClosed)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	b = append(b, '\n')
	if _, err := j.f.WriteAt(b, j.size); err != nil {
		// Cut a partial line off so the next record is not glued to it.
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("journal: write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("journal: sync: %w", err)
	}
	j.size += int64(len(b))
	return nil
}

// Begin implements escott.Journal. The record is on disk when it returns nil.
func (j *File) Begin(_ context.Context, a escott.Attempt) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.inFlight[a.LinkKey]; ok {
		return escott.ErrJournalInFlight
	}
	if slices.ContainsFunc(j.unknown, func(u escott.Attempt) bool { return u.LinkKey == a.LinkKey }) {
		return escott.ErrJournalUnresolved
	}
	rec := beginRecord(a)
	if err := j.write(rec); err != nil {
		return err
	}
	return j.apply(rec)
}

// Finish implements escott.Journal. The outcome must be OutcomeSucceeded,
// OutcomeRejected or OutcomeUnknown.
func (j *File) Finish(_ context.Context, linkKey string, r escott.AttemptResult) error {
	if err := checkOutcome(r.Outcome); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.inFlight[linkKey]; !ok {
		return escott.ErrJournalNotFound
	}
	rec := fileRecord{
		Kind: kindFinish, LinkKey: linkKey, Outcome: r.Outcome,
		ProcessID: r.ProcessID, Codes: r.Codes, At: r.At,
	}
	if err := j.write(rec); err != nil {
		return err
	}
	return j.apply(rec)
}

// Resolve implements escott.Journal. The record is on disk when it returns nil;
// afterwards, like a definite Finish, the resolved attempts are forgotten
// (their lines stay until Compact).
func (j *File) Resolve(_ context.Context, linkKey string, r escott.AttemptResult) error {
	if err := checkResolution(&r); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.inFlight[linkKey]; !ok && !slices.ContainsFunc(j.unknown, func(a escott.Attempt) bool { return a.LinkKey == linkKey }) {
		return escott.ErrJournalNotFound
	}
	rec := fileRecord{
		Kind: kindResolve, LinkKey: linkKey, Outcome: r.Outcome,
		ProcessID: r.ProcessID, Codes: r.Codes, At: r.At,
	}
	if err := j.write(rec); err != nil {
		return err
	}
	return j.apply(rec)
}

// Pending implements escott.Journal.
func (j *File) Pending(_ context.Context, olderThan time.Time) ([]escott.Attempt, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]escott.Attempt, 0, len(j.unknown))
	for _, a := range j.unknown {
		a.Codes = slices.Clone(a.Codes)
		out = append(out, a)
	}
	for _, a := range j.inFlight {
		if a.Started.Before(olderThan) {
			a.Codes = slices.Clone(a.Codes)
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(x, y escott.Attempt) int { return x.Started.Compare(y.Started) })
	return out, nil
}

// Compact rewrites the file with only the attempts that still need
// attention (in flight or unknown), dropping the records of finished ones.
// It writes a new file, fsyncs it and renames it over the old one, so a crash
// during Compact leaves either the old file or the new one, never a mix.
func (j *File) Compact() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal: %w", os.ErrClosed)
	}
	if !renameOverOpenFile {
		return fmt.Errorf("journal: compact: %w on %s: the file cannot be replaced while it is open", errors.ErrUnsupported, runtime.GOOS)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode adds the newline
	add := func(rec fileRecord) error { return enc.Encode(rec) }
	// Unknown attempts first, in the order they ended, then the open ones: a
	// link key whose attempt ended unknown may have been begun again since.
	for _, a := range j.unknown {
		if err := add(beginRecord(a)); err != nil {
			return fmt.Errorf("journal: compact: %w", err)
		}
		end := fileRecord{Kind: kindFinish, LinkKey: a.LinkKey, Outcome: escott.OutcomeUnknown, At: a.Finished}
		if err := add(end); err != nil {
			return fmt.Errorf("journal: compact: %w", err)
		}
	}
	open := make([]escott.Attempt, 0, len(j.inFlight))
	for _, a := range j.inFlight {
		open = append(open, a)
	}
	slices.SortFunc(open, func(x, y escott.Attempt) int { return x.Started.Compare(y.Started) })
	for _, a := range open {
		if err := add(beginRecord(a)); err != nil {
			return fmt.Errorf("journal: compact: %w", err)
		}
	}

	tmp := j.path + ".compact"
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // the path is the operator's configuration, not outside input
	if err != nil {
		return fmt.Errorf("journal: compact: %w", err)
	}
	fail := func(err error) error {
		_ = nf.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("journal: compact: %w", err)
	}
	// Lock the new file before it appears at path, so no other process can
	// take it in between.
	if err := lockFile(nf); err != nil {
		return fail(err)
	}
	if _, err := nf.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	if err := nf.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fail(err)
	}
	if err := syncDir(j.path); err != nil {
		// The rename happened; keep going with the new file.
		_ = j.f.Close()
		j.f, j.size = nf, int64(buf.Len())
		return err
	}
	_ = j.f.Close()
	j.f, j.size = nf, int64(buf.Len())
	return nil
}

// Close closes the file and releases its lock. Later calls return an error
// wrapping os.ErrClosed.
func (j *File) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("journal: close: %w", err)
	}
	return nil
}

// beginRecord is the record Begin writes for a. An unknown attempt's
// ProcessID learnt at Finish is kept too, which replays to the same attempt.
func beginRecord(a escott.Attempt) fileRecord {
	return fileRecord{
		Kind: kindBegin, LinkKey: a.LinkKey, Operation: a.Operation, Amount: a.Amount,
		ProcessID: a.ProcessID, OrderRef: a.OrderRef, Started: a.Started, Codes: slices.Clone(a.Codes),
	}
}

// checkOutcome refuses a Finish that does not end the attempt.
func checkOutcome(o escott.Outcome) error {
	switch o {
	case escott.OutcomeSucceeded, escott.OutcomeRejected, escott.OutcomeUnknown:
		return nil
	}
	return fmt.Errorf("journal: Finish with outcome %q: want succeeded, rejected or unknown", o)
}

// resolve drops linkKey's in-flight and unknown attempts, and reports
// whether there were any.
func resolve(inFlight map[string]escott.Attempt, unknown *[]escott.Attempt, linkKey string) bool {
	_, found := inFlight[linkKey]
	delete(inFlight, linkKey)
	n := len(*unknown)
	*unknown = slices.DeleteFunc(*unknown, func(a escott.Attempt) bool { return a.LinkKey == linkKey })
	return found || len(*unknown) < n
}

// checkResolution refuses a Resolve that does not say what happened, and
// stamps one that gives no time with now.
func checkResolution(r *escott.AttemptResult) error {
	switch r.Outcome {
	case escott.OutcomeSucceeded, escott.OutcomeRejected:
	default:
		return fmt.Errorf("journal: Resolve with outcome %q: want succeeded or rejected", r.Outcome)
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	return nil
}
