package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/escott-go/escott"
)

// attemptJSON is a journal attempt in JSON output. Attempts hold no secrets.
type attemptJSON struct {
	LinkKey    string   `json:"link_key"`
	Operation  string   `json:"operation"`
	Amount     string   `json:"amount,omitempty"`
	ProcessID  string   `json:"process_id,omitempty"`
	OrderRef   string   `json:"order_ref,omitempty"`
	Started    string   `json:"started"` // RFC 3339, JST
	AgeSeconds int64    `json:"age_seconds"`
	Outcome    string   `json:"outcome"` // "in flight" or "unknown"
	Codes      []string `json:"codes,omitempty"`
}

func attemptOut(at escott.Attempt, now time.Time) attemptJSON {
	return attemptJSON{
		LinkKey: at.LinkKey, Operation: at.Operation, Amount: at.Amount, ProcessID: at.ProcessID, OrderRef: at.OrderRef,
		Started: at.Started.In(jst).Format(time.RFC3339), AgeSeconds: int64(now.Sub(at.Started) / time.Second),
		Outcome: at.Outcome.String(), Codes: at.Codes,
	}
}

func journalPending(ctx context.Context, a *app, o *options) error {
	if o.olderThan < 0 {
		return usagef("--older-than must not be negative")
	}
	j, err := a.requireJournal(ctx, o)
	if err != nil {
		return err
	}
	defer j.close()
	now := a.now()
	list, err := j.Pending(ctx, now.Add(-o.olderThan))
	if err != nil {
		return &unavailableError{msg: "journal " + j.name, err: err}
	}
	out := make([]attemptJSON, 0, len(list))
	for _, at := range list {
		out = append(out, attemptOut(at, now))
	}
	if o.json {
		return printJSON(a.stdout, struct {
			Journal   string        `json:"journal"`
			AsOf      string        `json:"as_of"`
			OlderThan string        `json:"in_flight_older_than"`
			Attempts  []attemptJSON `json:"attempts"`
		}{j.name, now.In(jst).Format(time.RFC3339), o.olderThan.String(), out})
	}
	if len(list) == 0 {
		fmt.Fprintf(a.stdout, "Nothing pending in %s: no attempt with an unknown outcome, none in flight for more than %s.\n", j.name, o.olderThan)
		return nil
	}
	fmt.Fprintf(a.stdout, "%d pending in %s (in flight for more than %s, or unknown), oldest first:\n", len(list), j.name, o.olderThan)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LINK KEY\tOPERATION\tAMOUNT\tPROCESS ID\tORDER\tSTARTED\tAGE\tOUTCOME")
	for i, at := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", at.LinkKey, at.Operation, orNone(at.Amount), orNone(at.ProcessID),
			orNone(at.OrderRef), stamp(at.Started), age(now.Sub(at.Started)), out[i].Outcome)
	}
	_ = tw.Flush()
	fmt.Fprintln(a.stdout, "For each: search the link key in the merchant console (自由領域1); one with a PROCESS ID (a follow-up)")
	fmt.Fprintln(a.stdout, "can also be read with: escott card inquire PROCESS_ID --link-key LINK_KEY (ProcessPass from the order). Then:")
	fmt.Fprintln(a.stdout, "  escott journal resolve LINK_KEY --outcome succeeded --process-id ID   (found)")
	fmt.Fprintln(a.stdout, "  escott journal resolve LINK_KEY --outcome rejected                    (not found)")
	return nil
}

func journalResolve(ctx context.Context, a *app, o *options) error {
	var r escott.AttemptResult
	switch o.outcome {
	case "succeeded":
		if o.processID == "" {
			return usagef("--outcome succeeded wants --process-id: the ProcessId the console shows for link key %s", o.arg)
		}
		if !isAlnum(o.processID) {
			return usagef("--process-id %q: want the ProcessId as the console shows it (letters and digits)", o.processID)
		}
		r = escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: o.processID}
	case "rejected":
		if o.processID != "" {
			return usagef("--outcome rejected takes no --process-id: rejected means the console has no such transaction")
		}
		r = escott.AttemptResult{Outcome: escott.OutcomeRejected}
	case "":
		return usagef("resolve wants --outcome succeeded (the console shows the transaction) or --outcome rejected (it does not)")
	default:
		return usagef("--outcome %q: want succeeded or rejected", o.outcome)
	}
	if o.olderThan < 0 {
		return usagef("--older-than must not be negative")
	}
	j, err := a.requireJournal(ctx, o)
	if err != nil {
		return err
	}
	defer j.close()
	now := a.now()
	// Every attempt under the link key, in flight of any age included, to
	// refuse resolving one whose request may still be answered.
	all, err := j.Pending(ctx, now.Add(time.Nanosecond))
	if err != nil {
		return &unavailableError{msg: "journal " + j.name, err: err}
	}
	var mine []escott.Attempt
	for _, at := range all {
		if at.LinkKey == o.arg {
			mine = append(mine, at)
		}
	}
	if len(mine) == 0 {
		return &notFoundError{fmt.Sprintf("no attempt with link key %s is in flight or unknown in %s (already resolved, or finished with an answer)", o.arg, j.name)}
	}
	var desc []string
	for _, at := range mine {
		if at.Outcome == escott.OutcomeInFlight && now.Sub(at.Started) < o.olderThan {
			return &notDoneError{fmt.Sprintf("attempt %s (%s) is still in flight, started %s ago: its answer may still arrive. "+
				"Wait, or pass --older-than %s if you know its process is gone. Nothing was recorded.",
				o.arg, at.Operation, age(now.Sub(at.Started)), age(now.Sub(at.Started)))}
		}
		d := fmt.Sprintf("%s %s, %s since %s", at.Operation, orNone(yen(at.Amount)), at.Outcome, stamp(at.Started))
		desc = append(desc, d)
	}
	what := "REJECTED (the console has no such transaction)"
	if r.Outcome == escott.OutcomeSucceeded {
		what = "SUCCEEDED with process " + r.ProcessID
	}
	q := fmt.Sprintf("Record link key %s (%s) as %s in %s?", o.arg, strings.Join(desc, "; "), what, j.name)
	if err := a.confirm(o, q, "Nothing was recorded."); err != nil {
		return err
	}
	r.At = now
	if err := j.Resolve(ctx, o.arg, r); err != nil {
		if errors.Is(err, escott.ErrJournalNotFound) {
			return &notFoundError{fmt.Sprintf("link key %s was resolved or finished meanwhile in %s", o.arg, j.name)}
		}
		return &unavailableError{msg: "journal " + j.name, err: err}
	}
	if o.json {
		return printJSON(a.stdout, struct {
			Journal   string        `json:"journal"`
			LinkKey   string        `json:"link_key"`
			Outcome   string        `json:"outcome"`
			ProcessID string        `json:"process_id,omitempty"`
			At        string        `json:"at"`
			Resolved  []attemptJSON `json:"resolved"`
		}{j.name, o.arg, r.Outcome.String(), r.ProcessID, now.In(jst).Format(time.RFC3339), attemptsOut(mine, now)})
	}
	n := "1 attempt"
	if len(mine) > 1 {
		n = fmt.Sprintf("%d attempts", len(mine))
	}
	fmt.Fprintf(a.stdout, "Recorded: link key %s %s (%s) in %s.\n", o.arg, r.Outcome, n, j.name)
	if r.Outcome == escott.OutcomeSucceeded {
		fmt.Fprintln(a.stdout, "Now complete the order in the shop. The journal holds no ProcessPass: do the follow-ups of a recovered payment "+
			"(capture, or cancel if the order is void) in the merchant console, or here with the pass from the console.")
	} else {
		fmt.Fprintln(a.stdout, "The order is unpaid; the shopper may pay again (under a new link key).")
	}
	return nil
}

func attemptsOut(list []escott.Attempt, now time.Time) []attemptJSON {
	out := make([]attemptJSON, 0, len(list))
	for _, at := range list {
		out = append(out, attemptOut(at, now))
	}
	return out
}

func isAlnum(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
