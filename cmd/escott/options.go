package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// options are every command's flags and its positional argument.
type options struct {
	arg string // the positional argument (PROCESS_ID, MEMBER_ID or LINK_KEY)

	json      bool
	yes       bool
	passStdin bool
	journal   string

	linkKey      string        // follow-ups: MerchantFree1 to send
	member       string        // follow-ups of a member payment: KaiinId
	amount       string        // change
	salesDate    string        // capture: YYYY-MM-DD
	olderThan    time.Duration // journal: in-flight attempts older than this need attention
	outcome      string        // resolve: succeeded or rejected
	processID    string        // resolve
	cancelled    bool          // cvs inquire
	payLimit     string        // cvs change: YYYY-MM-DD
	payLimitDays int           // cvs change
}

// usageError is a command line or configuration that cannot work. Nothing
// was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// defaultOlderThan is how long an attempt may stay in flight before the
// journal commands list it: longer than any call (the SDK's default timeout
// is a minute), so that a payment being made right now is not listed.
const defaultOlderThan = 10 * time.Minute

// flagSet builds the command's flags over a fresh options.
func (c *command) flagSet() (*flag.FlagSet, *options) {
	o := &options{olderThan: defaultOlderThan}
	fs := flag.NewFlagSet("escott "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.json, "json", false, "print JSON for scripts")
	fs.BoolVar(&o.yes, "yes", false, "do not ask for confirmation (scripts)")
	fs.BoolVar(&o.passStdin, "pass-stdin", false, "read ProcessPass, then KaiinPass, one line each from stdin")
	fs.StringVar(&o.journal, "journal", "", "the journal: file:/path or postgres://host/db (default $ESCOTT_JOURNAL; no password here)")
	if c.flags != nil {
		c.flags(fs, o)
	}
	return fs, o
}

// parse parses args, allowing flags before and after the positional
// argument.
func (c *command) parse(args []string) (*options, error) {
	fs, o := c.flagSet()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, usagef("%s: %v (see: escott help %s)", c.name, err, c.name)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	switch {
	case c.arg == "" && len(pos) > 0:
		return o, usagef("%s takes no argument, got %q", c.name, pos[0])
	case c.arg != "" && len(pos) != 1:
		return o, usagef("%s wants one %s (see: escott help %s)", c.name, c.arg, c.name)
	}
	if len(pos) == 1 {
		o.arg = pos[0]
	}
	return o, nil
}

func followUpFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.linkKey, "link-key", "", "link key (自由領域1) to send; default: a new one")
	fs.StringVar(&o.member, "member", "", "KaiinId, when the payment was made with a stored card (KaiinPass from $ESCOTT_MEMBER_PASS)")
}

func captureFlags(fs *flag.FlagSet, o *options) {
	followUpFlags(fs, o)
	fs.StringVar(&o.salesDate, "sales-date", "", "sales date YYYY-MM-DD (JST); default today, never in the future")
}

func changeFlags(fs *flag.FlagSet, o *options) {
	followUpFlags(fs, o)
	fs.StringVar(&o.amount, "amount", "", "the new amount in whole yen (required)")
}

func cvsFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.linkKey, "link-key", "", "link key (自由領域1) to send; default: a new one")
	fs.BoolVar(&o.cancelled, "cancelled", false, "the shop cancelled this payment (2Del): report K12 as cancelled, not as not found")
}

func cvsMoveFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.linkKey, "link-key", "", "link key (自由領域1) to send; default: a new one")
}

func cvsChangeFlags(fs *flag.FlagSet, o *options) {
	cvsMoveFlags(fs, o)
	fs.StringVar(&o.amount, "amount", "", "the new amount in whole yen; default: the current one")
	fs.StringVar(&o.payLimit, "pay-limit", "", "the new pay limit YYYY-MM-DD (until 23:59 JST)")
	fs.IntVar(&o.payLimitDays, "pay-limit-days", 0, "the new pay limit in days from today, 1 to 60 (default 7 when neither is given)")
}

func pendingFlags(fs *flag.FlagSet, o *options) {
	fs.DurationVar(&o.olderThan, "older-than", defaultOlderThan, "list in-flight attempts started longer ago than this (unknown ones always)")
}

func resolveFlags(fs *flag.FlagSet, o *options) {
	pendingFlags(fs, o)
	fs.StringVar(&o.outcome, "outcome", "", "what the console shows: succeeded (found, give --process-id) or rejected (not found)")
	fs.StringVar(&o.processID, "process-id", "", "the ProcessId the console shows for the link key (with --outcome succeeded)")
}

// checkDigits reports whether s is non-empty ASCII digits.
func checkDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
