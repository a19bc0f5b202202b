// Package journal records money-moving gateway attempts before they are sent
// and their outcomes after, so that an attempt whose answer was lost (a crash,
// a timeout, a dropped connection) can be found again and matched in the
// gateway's merchant console by its link key (自由領域1). It is the Go
// counterpart of the Welcart module's 決済直前ログ.
//
// The escott client calls [Journal.Begin] before each money-moving request
// and [Journal.Finish] after it; if Begin fails, nothing is sent. Begin also
// acts as the double-submit guard: a second attempt for a link key whose
// first attempt is still in flight is refused with [ErrInFlight]. An
// [Attempt] holds only what finds it again in the console — link key,
// operation, amount, ProcessId, the host's order reference, times, outcome
// and response codes — never a password, token or card data.
//
// # Choosing a journal
//
// All three implementations pass the same contract test; they differ in what
// survives and who can share it:
//
//   - [NewMemory], the client's default: lost on restart, one process.
//   - [OpenFile]: an append-only file, each record fsynced before Begin or
//     Finish returns, replayed on open; a lock keeps a second process out
//     ([ErrLocked]; flock on Unix, LockFileEx on Windows). Call
//     [File.Compact] now and then to drop finished records (not available
//     on Windows, where it returns an error wrapping errors.ErrUnsupported).
//     For one server process.
//   - [NewSQL]: one row per attempt in a database/sql database (tested
//     against PostgreSQL); a partial unique index makes the double-submit
//     guard hold across every instance. For several instances behind a load
//     balancer. Finished rows stay as a history.
//
// Give it to the client with escott.WithJournal.
//
// # Recovery
//
// [Journal.Pending] lists the attempts that need an operator: those still in
// flight after a cut-off (their process probably died) and those whose
// outcome is [Unknown], oldest first. For each, search the link key in the
// merchant console (自由領域1), then record what was found with
// [Journal.Resolve]: [Succeeded] with the ProcessId shown there, or
// [Rejected] when the console has no such transaction. Resolving takes the
// attempt off the pending list and frees its link key.
//
//	pending, err := j.Pending(ctx, time.Now().Add(-10*time.Minute))
//	for _, a := range pending {
//		// look a.LinkKey up in the console, then:
//		err = j.Resolve(ctx, a.LinkKey, journal.Result{Outcome: journal.Succeeded, ProcessID: found})
//	}
package journal
