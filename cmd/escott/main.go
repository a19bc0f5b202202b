// Command escott is the e-SCOTT Smart operator's tool: it looks payments and
// members up at the gateway, lists the journal's attempts whose outcome
// nobody knows, records what the operator found in the merchant console, and
// captures, changes or cancels a card payment, and changes or cancels an
// unpaid online-collection payment, after asking.
//
//	escott card inquire 1234567890123456 --link-key 968181953295
//	escott journal pending
//	escott journal resolve 968181953295 --outcome succeeded --process-id 1234567890123456
//	escott capture 1234567890123456
//
// It reads the merchant's settings from the environment variables the demo
// shop and escott-sim use (ESCOTT_MERCHANT_ID, ESCOTT_MERCHANT_PASS,
// ESCOTT_ENVIRONMENT, ESCOTT_TENANT_ID, ESCOTT_BASE_URL) and the journal from
// ESCOTT_JOURNAL. Secrets (ProcessPass, KaiinPass) come from the environment,
// from stdin, or from a prompt that does not echo, never from a flag, and are
// never printed. `escott help` lists every command and the exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/escott-go/escott"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes. Scripts branch on them; `escott help` and the README list them.
const (
	exitOK           = 0 // done
	exitRefused      = 1 // the gateway refused: nothing changed there
	exitUsage        = 2 // bad command line or configuration: nothing sent
	exitUnknown      = 3 // outcome unknown: the gateway may have processed it; do not retry
	exitNotFound     = 4 // no such payment, member or pending attempt
	exitNotDone      = 5 // not confirmed, or refused by this tool before sending: nothing sent
	exitUnavailable  = 6 // the gateway or the journal could not be reached, or the gateway is busy: try later
	exitInternalFail = 7 // a bug in escott itself
)

// run is the whole command: main with its surroundings passed in, so that
// tests run it in-process. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{
		stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		now:          time.Now,
		newLinkKey:   escott.NewLinkKey,
		isTerminal:   isTerminal,
		readPassword: func() (string, error) { return readPassword(stdin) },
	}
	return a.main(ctx, args)
}

// app is one run of the command and what it talks to.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	newLinkKey     func() string
	// isTerminal reports whether r is an interactive terminal (a prompt may
	// be shown and answered).
	isTerminal func(r io.Reader) bool
	// readPassword reads one line from the terminal without echo; nil
	// reads a line of stdin (tests).
	readPassword func() (string, error)

	in *lineReader // stdin, read line by line (secrets, then the confirmation)
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) //nolint:gosec // a file descriptor fits in an int
}

// readPassword reads a line from the terminal r with echo off.
func readPassword(r io.Reader) (string, error) {
	f, ok := r.(*os.File)
	if !ok {
		return "", errors.New("not a terminal")
	}
	b, err := term.ReadPassword(int(f.Fd())) //nolint:gosec // a file descriptor fits in an int
	return string(b), err
}

// command is one subcommand.
type command struct {
	name    string // "card inquire"
	arg     string // its one positional argument, or "" for none
	summary string
	flags   func(fs *flag.FlagSet, o *options) // the command's own flags, besides the common ones
	run     func(ctx context.Context, a *app, o *options) error
}

var commands = []command{
	{"card inquire", "PROCESS_ID", "read a card payment (1Search): amount, sales date, card company", followUpFlags, cardInquire},
	{"cvs inquire", "PROCESS_ID", "read an online-collection payment (2Ref): paid or unpaid, amount, where paid", cvsFlags, cvsInquire},
	{"member show", "MEMBER_ID", "read a stored-card member (4MemRefM): status, masked card, expiry", nil, memberShow},
	{"journal pending", "", "list attempts in flight too long or with an unknown outcome, oldest first", pendingFlags, journalPending},
	{"journal resolve", "LINK_KEY", "record what the console shows for a link key: succeeded or rejected", resolveFlags, journalResolve},
	{"capture", "PROCESS_ID", "capture an authorised card payment (1Capture), after asking", captureFlags, capture},
	{"change", "PROCESS_ID", "change the amount of a card payment (1Change), after asking", changeFlags, change},
	{"cancel", "PROCESS_ID", "cancel a card payment (1Delete), after asking", followUpFlags, cancel},
	{"cvs change", "PROCESS_ID", "change the amount or pay limit of an unpaid online collection (2Chg), after asking", cvsChangeFlags, cvsChange},
	{"cvs cancel", "PROCESS_ID", "cancel an unpaid online collection (2Del), after asking", cvsMoveFlags, cvsCancel},
}

const usageText = `escott: the e-SCOTT Smart operator's tool.

Usage:
  escott COMMAND [ARGUMENT] [flags]
  escott help [COMMAND]

Commands:
%s
Flags common to every command:
  --json        print JSON on stdout for scripts (errors too, as {"error": {...}})
  --yes         do not ask before moving money or resolving (required when stdin is not a terminal)
  --pass-stdin  read ProcessPass, then KaiinPass, one line each from stdin

Environment (the same names as the demo shop and escott-sim):
  ESCOTT_MERCHANT_ID, ESCOTT_MERCHANT_PASS  the merchant's credentials (the password of ESCOTT_ENVIRONMENT)
  ESCOTT_ENVIRONMENT                        test (default) or production
  ESCOTT_TENANT_ID, ESCOTT_BASE_URL         optional: shop code (default 0001); gateway origin (escott-sim)
  ESCOTT_JOURNAL                            the shop's journal: file:/path/to/journal or postgres://...
                                            (a password in the URL only here or in PGPASSWORD, never in --journal)
  ESCOTT_JOURNAL_TABLE                      optional: the SQL journal's table (default escott_journal)
  ESCOTT_PROCESS_PASS, ESCOTT_MEMBER_PASS   ProcessPass and KaiinPass; else --pass-stdin, else a prompt
                                            that does not echo. Never a flag: flags show in ps.

Exit codes:
  0  done
  1  refused by the gateway (its codes are printed); nothing changed there
  2  usage or configuration error; nothing sent
  3  OUTCOME UNKNOWN: the request may have been processed. Do not run it again: look the link key
     up in the merchant console (自由領域1) or with "escott card/cvs inquire", then record what you
     found with "escott journal resolve"
  4  not found: no such payment (K12) or member (K71) at the gateway, or no pending attempt
  5  not done: not confirmed at the prompt, or refused before sending (an attempt on the payment or
     link key is in flight or unknown in the journal: resolve it first); nothing sent
  6  unavailable: the gateway or the journal could not be reached, or the gateway is busy (a
     temporary code); nothing changed, try again later
  7  internal error in escott (please report it)
`

func (a *app) usage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands {
		left := strings.TrimSpace(c.name + " " + c.arg)
		fmt.Fprintf(&b, "  %-28s %s\n", left, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// main dispatches to the command named by args.
func (a *app) main(ctx context.Context, args []string) int {
	a.in = &lineReader{r: a.stdin}
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, _ := findCommand(args[1:]); c != nil {
				return a.commandHelp(c)
			}
		}
		a.usage(a.stdout)
		return exitOK
	}
	c, rest := findCommand(args)
	if c == nil {
		name := strings.Join(args[:min(len(args), 2)], " ")
		if jsonRequested(args) {
			a.report(usagef("unknown command %q (see: escott help)", name), true)
			return exitUsage
		}
		fmt.Fprintf(a.stderr, "escott: unknown command %q\n\n", name)
		a.usage(a.stderr)
		return exitUsage
	}
	for _, r := range rest {
		if r == "-h" || r == "-help" || r == "--help" {
			return a.commandHelp(c)
		}
	}
	o, err := c.parse(rest)
	if err != nil {
		return a.report(err, jsonRequested(rest))
	}
	return a.report(c.run(ctx, a, o), o.json)
}

func (a *app) commandHelp(c *command) int {
	fmt.Fprintf(a.stdout, "Usage: escott %s [flags]\n\n%s.\n\nFlags:\n", strings.TrimSpace(c.name+" "+c.arg), c.summary)
	fs, _ := c.flagSet()
	fs.SetOutput(a.stdout)
	fs.PrintDefaults()
	fmt.Fprintln(a.stdout, "\nRun \"escott help\" for the environment variables and exit codes.")
	return exitOK
}

// findCommand finds the command named by the first one or two arguments.
func findCommand(args []string) (*command, []string) {
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == commands[i].name {
			return &commands[i], args[len(words):]
		}
	}
	return nil, nil
}

// jsonRequested reports whether --json is among args, so that even a
// command line that does not parse reports its error as JSON.
func jsonRequested(args []string) bool {
	for _, s := range args {
		if s == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "-"), "=")
		if !strings.HasPrefix(s, "-") || name != "json" {
			continue
		}
		if !hasValue {
			return true
		}
		if b, err := strconv.ParseBool(value); err == nil { // as the flag package reads it
			return b
		}
	}
	return false
}
