// Package journal is the file implementation of escott.Journal: an
// append-only file, each record fsynced before Begin or Finish returns and
// replayed on open, so that an attempt whose answer was lost to a crash can
// be found again and matched in the gateway's merchant console by its link
// key (自由領域1).
//
// The Journal interface, its Attempt and AttemptResult records and the
// default in-memory journal (escott.NewMemoryJournal) are in package escott;
// the SQL journal shared by several instances is sqlstore.NewJournal. All
// three pass the same contract test; they differ in what survives and who
// can share it:
//
//   - escott.NewMemoryJournal, the client's default: lost on restart, one
//     process.
//   - [OpenFile]: survives a crash; a lock keeps a second process out
//     ([ErrLocked]; flock on Unix, LockFileEx on Windows). Call
//     [File.Compact] now and then to drop finished records (not available
//     on Windows, where it returns an error wrapping errors.ErrUnsupported).
//     For one server process.
//   - sqlstore.NewJournal: one row per attempt in a database/sql database
//     (tested against PostgreSQL); a partial unique index makes the
//     double-submit guard hold across every instance. For several instances
//     behind a load balancer. Finished rows stay as a history.
//
// Give it to the client with escott.WithJournal.
//
// # Recovery
//
// Pending lists the attempts that need an operator: those still in flight
// after a cut-off (their process probably died) and those whose outcome is
// escott.OutcomeUnknown, oldest first. For each, search the link key in the
// merchant console (自由領域1), then record what was found with Resolve:
// escott.OutcomeSucceeded with the ProcessId shown there, or
// escott.OutcomeRejected when the console has no such transaction. Resolving
// takes the attempt off the pending list and frees its link key.
//
//	pending, err := j.Pending(ctx, time.Now().Add(-10*time.Minute))
//	for _, a := range pending {
//		// look a.LinkKey up in the console, then:
//		err = j.Resolve(ctx, a.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: found})
//	}
package journal
