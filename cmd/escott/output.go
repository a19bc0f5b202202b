package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/escott-go/escott"
)

// jst is the gateway's time zone: operators read times as the merchant
// console shows them.
var jst = time.FixedZone("JST", 9*60*60)

// pair is one line of a result shown to a person.
type pair struct{ label, value string }

// printPairs writes a title and aligned label/value lines.
func printPairs(w io.Writer, title string, pairs []pair) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range pairs {
		fmt.Fprintf(tw, "  %s\t%s\n", p.label, p.value)
	}
	_ = tw.Flush()
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// orNone shows an empty value as "-".
func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// day formats a date the gateway gave, or "" for none.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jst).Format("2006-01-02")
}

// stamp formats a time in JST, as the merchant console shows it.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jst).Format("2006-01-02 15:04:05 MST")
}

// age formats a duration for people: 45s, 12m, 3h05m, 2d04h.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// codeJSON is a gateway response code in JSON output.
type codeJSON struct {
	Code      string `json:"code"`
	Class     string `json:"class"`
	Message   string `json:"message"`
	MessageJA string `json:"message_ja"`
}

func codesJSON(cs []escott.Code) []codeJSON {
	out := make([]codeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, codeJSON{Code: c.Value, Class: c.Class.String(), Message: c.Message, MessageJA: c.MessageJA})
	}
	return out
}

// errorReport is what a failed command prints: on stderr for people, on
// stdout as {"error": ...} with --json.
type errorReport struct {
	Exit      int        `json:"exit"`
	Kind      string     `json:"kind"`
	Message   string     `json:"message"`
	Operation string     `json:"operation,omitempty"`
	LinkKey   string     `json:"link_key,omitempty"`
	Codes     []codeJSON `json:"codes,omitempty"`
	Next      string     `json:"next,omitempty"`
}

// nextError adds what the operator should do next to an error.
type nextError struct {
	err  error
	next string
}

func (e *nextError) Error() string { return e.err.Error() }
func (e *nextError) Unwrap() error { return e.err }

func withNext(err error, next string) error {
	if err == nil {
		return nil
	}
	return &nextError{err: err, next: next}
}

// notFoundError is a missing pending attempt (the gateway's "not found"
// are its codes).
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// classify turns a command's error into its exit code and report.
func classify(err error) errorReport {
	r := errorReport{Exit: exitInternalFail, Kind: "internal", Message: err.Error()}
	var (
		next      *nextError
		usage     *usageError
		unknown   *escott.OutcomeUnknownError
		gw        *escott.Error
		valid     *escott.ValidationError
		inFl      *escott.InFlightError
		unsettled *unsettledError
		tr        *escott.TransportError
		unav      *unavailableError
		notDone   *notDoneError
		nf        *notFoundError
	)
	if errors.As(err, &next) {
		r.Next = next.next
	}
	switch {
	case errors.As(err, &unknown):
		r.Exit, r.Kind, r.Operation, r.LinkKey = exitUnknown, "outcome_unknown", unknown.OperateID, unknown.LinkKey
		r.Message = fmt.Sprintf("OUTCOME UNKNOWN: %s (link key %s) may have been processed by the gateway; no answer was read (%v)",
			unknown.OperateID, unknown.LinkKey, unknown.Err)
		if r.Next == "" {
			r.Next = "Do not run it again. Search the link key in the merchant console (自由領域1), then record what you found: escott journal resolve " + unknown.LinkKey
		}
	case errors.As(err, &gw):
		r.Operation, r.LinkKey, r.Codes = gw.OperateID, gw.LinkKey, codesJSON(gw.Codes)
		var cs []string
		for _, c := range gw.Codes {
			cs = append(cs, c.String())
		}
		r.Message = fmt.Sprintf("refused by the gateway: %s (link key %s): %s", gw.OperateID, gw.LinkKey, strings.Join(cs, "; "))
		switch {
		case errors.Is(err, escott.ErrUnknownProcess):
			r.Exit, r.Kind = exitNotFound, "not_found"
			if r.Next == "" {
				r.Next = "Check the ProcessId and ProcessPass: the gateway has no such transaction (or no longer: it keeps them about seven months)."
			}
		case errors.Is(err, escott.ErrMemberMismatch):
			r.Exit, r.Kind = exitNotFound, "not_found"
			r.Next = "The gateway does not know this member (expired test member, or another environment): drop the shop's stored-card registration; the shopper registers the card again."
		case errors.Is(err, escott.ErrWrongState):
			r.Exit, r.Kind = exitRefused, "refused"
			if r.Next == "" {
				r.Next = "The payment's state does not allow this (already captured, changed or cancelled?): check it with escott card inquire or in the console."
			}
		case errors.Is(err, escott.ErrTemporary):
			r.Exit, r.Kind = exitUnavailable, "unavailable"
			r.Next = "The gateway is busy or stopped; nothing changed. Try again later."
		default:
			r.Exit, r.Kind = exitRefused, "refused"
		}
		if gw.Process != nil {
			r.Next = strings.TrimSpace(r.Next + " The refusal still names process " + gw.Process.ID + ": check it in the console.")
		}
	case errors.As(err, &unsettled):
		r.Exit, r.Kind, r.Operation, r.LinkKey = exitNotDone, "not_done", unsettled.at.Operation, unsettled.at.LinkKey
		r.Next = fmt.Sprintf("Do not send it again before you know: search 自由領域1 = %s in the merchant console, record it with "+
			"escott journal resolve %s --outcome succeeded|rejected, then run this command again if it is still needed.",
			unsettled.at.LinkKey, unsettled.at.LinkKey)
	case errors.As(err, &inFl):
		r.Exit, r.Kind, r.Operation, r.LinkKey = exitNotDone, "not_done", inFl.OperateID, inFl.LinkKey
		r.Message = fmt.Sprintf("not sent: the journal has an attempt with link key %s in flight", inFl.LinkKey)
		r.Next = "Wait for it; if it is stale (escott journal pending), check the console and resolve it first, or send with another --link-key."
	case errors.As(err, &valid):
		r.Exit, r.Kind, r.Operation = exitUsage, "usage", valid.OperateID
		var fs []string
		for _, f := range valid.Fields {
			fs = append(fs, f.Field+": "+f.Problem)
		}
		r.Message = "invalid input, nothing sent: " + strings.Join(fs, "; ")
	case errors.As(err, &usage):
		r.Exit, r.Kind = exitUsage, "usage"
	case errors.As(err, &notDone):
		r.Exit, r.Kind = exitNotDone, "not_done"
	case errors.As(err, &nf):
		r.Exit, r.Kind = exitNotFound, "not_found"
	case errors.As(err, &tr):
		r.Exit, r.Kind, r.Operation = exitUnavailable, "unavailable", tr.OperateID
		r.Message = fmt.Sprintf("the gateway could not be reached for %s: %v", tr.OperateID, tr.Err)
		r.Next = "Nothing changed. Try again later; check ESCOTT_BASE_URL and the network."
	case errors.As(err, &unav):
		r.Exit, r.Kind = exitUnavailable, "unavailable"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		r.Exit, r.Kind = exitUnavailable, "unavailable"
	}
	return r
}

// report prints err (if any) and returns the exit code.
func (a *app) report(err error, asJSON bool) int {
	if err == nil {
		return exitOK
	}
	r := classify(err)
	if asJSON {
		_ = printJSON(a.stdout, struct {
			Error errorReport `json:"error"`
		}{r})
	}
	fmt.Fprintf(a.stderr, "escott: %s\n", r.Message)
	for _, c := range r.Codes {
		fmt.Fprintf(a.stderr, "  %s  %s / %s (%s)\n", c.Code, c.Message, c.MessageJA, c.Class)
	}
	if r.Next != "" {
		fmt.Fprintf(a.stderr, "next: %s\n", r.Next)
	}
	return r.Exit
}
