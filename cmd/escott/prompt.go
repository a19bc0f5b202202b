package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/escott-go/escott"
)

// lineReader reads stdin one line at a time, for the secrets and then the
// confirmation, without reading ahead of what it returns more than bufio does.
type lineReader struct {
	r  io.Reader
	br *bufio.Reader
}

// line returns the next line without its end, or io.EOF when there is none.
func (l *lineReader) line() (string, error) {
	if l.br == nil {
		l.br = bufio.NewReader(l.r)
	}
	s, err := l.br.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// secret gets a secret the command needs: from the environment variable,
// else the next line of stdin with --pass-stdin, else a prompt on a
// terminal that does not echo. Never from a flag: flags show in ps.
func (a *app) secret(o *options, envName, what string) (escott.Secret, error) {
	if v := a.getenv(envName); v != "" {
		return escott.Secret(v), nil
	}
	if o.passStdin {
		v, err := a.in.line()
		if err != nil || v == "" {
			return "", usagef("--pass-stdin: no %s on stdin", what)
		}
		return escott.Secret(v), nil
	}
	if !a.isTerminal(a.stdin) {
		return "", usagef("%s is needed: set %s, or pass --pass-stdin and write it on stdin (never as a flag)", what, envName)
	}
	fmt.Fprintf(a.stderr, "%s (not shown): ", what)
	read := a.in.line
	if a.readPassword != nil {
		read = a.readPassword
	}
	v, err := read()
	fmt.Fprintln(a.stderr)
	if err != nil || v == "" {
		return "", usagef("no %s entered", what)
	}
	return escott.Secret(v), nil
}

// notDoneError is an action the operator did not confirm, or that this tool
// refused before sending anything.
type notDoneError struct{ msg string }

func (e *notDoneError) Error() string { return e.msg }

// confirm asks the operator before an action, on stderr, and reads y/N from
// stdin. Without a terminal it refuses unless --yes was given: a script that
// forgot --yes must not hang or move money.
func (a *app) confirm(o *options, question, nothing string) error {
	if o.yes {
		return nil
	}
	if o.passStdin || !a.isTerminal(a.stdin) {
		return &notDoneError{"not confirmed: stdin is not a terminal, so nobody can answer the question; " +
			"pass --yes to confirm in a script. " + nothing}
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	ans, err := a.in.line()
	if err != nil {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "y", "yes":
		return nil
	}
	return &notDoneError{"not confirmed. " + nothing}
}
