package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for the PostgreSQL journal

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/journal"
	"github.com/escott-go/escott/sqlstore"
)

// Environment variables: the gateway's are the demo shop's and escott-sim's.
const (
	envMerchantID   = "ESCOTT_MERCHANT_ID"
	envMerchantPass = "ESCOTT_MERCHANT_PASS"
	envEnvironment  = "ESCOTT_ENVIRONMENT"
	envTenantID     = "ESCOTT_TENANT_ID"
	envBaseURL      = "ESCOTT_BASE_URL"
	envJournal      = "ESCOTT_JOURNAL"
	envJournalTable = "ESCOTT_JOURNAL_TABLE"
	envProcessPass  = "ESCOTT_PROCESS_PASS"
	envMemberPass   = "ESCOTT_MEMBER_PASS"
)

// gatewayConfig reads the merchant's settings and names the variable that
// is missing or wrong.
func (a *app) gatewayConfig() (escott.Config, error) {
	for _, k := range []string{envMerchantID, envMerchantPass} {
		if a.getenv(k) == "" {
			return escott.Config{}, usagef("%s is not set (the merchant's settings come from %s, %s, %s)",
				k, envMerchantID, envMerchantPass, envEnvironment)
		}
	}
	env := escott.Test
	switch e := a.getenv(envEnvironment); e {
	case "", "test":
	case "production":
		env = escott.Production
	default:
		return escott.Config{}, usagef("%s must be test or production, not %q", envEnvironment, e)
	}
	cfg := escott.Config{
		MerchantID:   a.getenv(envMerchantID),
		MerchantPass: a.getenv(envMerchantPass),
		TenantID:     a.getenv(envTenantID),
		Environment:  env,
		BaseURL:      a.getenv(envBaseURL),
	}
	return cfg, nil
}

// client builds the gateway client, with the journal j for money-moving
// calls (nil: the SDK's in-memory journal).
func (a *app) client(cfg escott.Config, j escott.Journal) (*escott.Client, error) {
	opts := []escott.Option{escott.WithClock(a.now), escott.WithLinkKeyGenerator(func() (string, error) { return a.newLinkKey(), nil })}
	if j != nil {
		opts = append(opts, escott.WithJournal(j))
	}
	c, err := escott.NewClient(cfg, opts...)
	if err != nil {
		var ce *escott.ConfigError
		if errors.As(err, &ce) {
			return nil, usagef("configuration: %s (from %s, %s, %s, %s, %s)", strings.Join(ce.Problems, "; "),
				envMerchantID, envMerchantPass, envEnvironment, envTenantID, envBaseURL)
		}
		return nil, err
	}
	return c, nil
}

// journalSource returns where the journal is: --journal, else
// ESCOTT_JOURNAL, and whether it came from the flag.
func (a *app) journalSource(o *options) (string, bool) {
	if o.journal != "" {
		return o.journal, true
	}
	return a.getenv(envJournal), false
}

// openedJournal is a journal and how to let it go.
type openedJournal struct {
	escott.Journal
	name  string // where it is, without any password
	close func()
}

// Begin records the attempt of a money move before the SDK sends it. A
// journal that fails to record it (full, unreachable, refused) is
// unavailable: nothing was sent, try again later.
func (j *openedJournal) Begin(ctx context.Context, a escott.Attempt) error {
	err := j.Journal.Begin(ctx, a)
	if err != nil && !errors.Is(err, escott.ErrJournalInFlight) && !errors.Is(err, escott.ErrJournalUnresolved) {
		return &unavailableError{msg: "journal " + j.name + " did not record the attempt, nothing sent", err: err}
	}
	return err
}

// unavailableError is a gateway or journal that could not be reached, or
// that answered "busy". Nothing changed.
type unavailableError struct {
	msg string
	err error
}

func (e *unavailableError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

func (e *unavailableError) Unwrap() error { return e.err }

// openJournal opens the journal the options or the environment name. It
// never creates one: a journal that does not exist is a wrong path, not an
// empty journal, and saying "nothing pending" would hide the real one.
func (a *app) openJournal(ctx context.Context, o *options) (*openedJournal, error) {
	src, fromFlag := a.journalSource(o)
	if src == "" {
		return nil, nil //nolint:nilnil // no journal configured is not an error for every command
	}
	switch {
	case strings.HasPrefix(src, "file:"):
		return openFileJournal(strings.TrimPrefix(src, "file:"))
	case strings.HasPrefix(src, "postgres://"), strings.HasPrefix(src, "postgresql://"):
		return a.openSQLJournal(ctx, src, fromFlag)
	}
	return nil, usagef("journal %q: want file:/path/to/journal or postgres://host/dbname", redactSource(src))
}

func openFileJournal(path string) (*openedJournal, error) {
	if path == "" {
		return nil, usagef("journal file: the path is empty (file:/path/to/journal)")
	}
	if _, err := os.Stat(path); err != nil { //nolint:gosec // the path is the operator's configuration
		return nil, usagef("journal file %s: %v (escott never creates a journal: give the shop's)", path, err)
	}
	j, err := journal.OpenFile(path)
	if errors.Is(err, journal.ErrLocked) {
		return nil, &unavailableError{msg: "journal file " + path + " is in use by another process (the shop?): " +
			"a file journal serves one process at a time; run this while the shop is stopped, " +
			"or give the shop the PostgreSQL journal"}
	}
	if err != nil {
		return nil, &unavailableError{msg: "journal file " + path, err: err}
	}
	return &openedJournal{Journal: j, name: "file:" + path, close: func() { _ = j.Close() }}, nil
}

// tablePattern is what sqlstore.WithTable accepts: an identifier, optionally
// qualified by a schema.
var tablePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func (a *app) openSQLJournal(ctx context.Context, src string, fromFlag bool) (*openedJournal, error) {
	u, err := url.Parse(src)
	if err != nil {
		return nil, usagef("journal: not a PostgreSQL URL") // the parse error may quote the password
	}
	if len(urlPasswords(u)) > 0 && fromFlag {
		return nil, usagef("--journal holds a password, and flags show in ps: put the URL in %s, or the password in PGPASSWORD or ~/.pgpass", envJournal)
	}
	name := redactURL(u)
	table := a.getenv(envJournalTable)
	if table == "" {
		table = sqlstore.DefaultJournalTable
	}
	if !tablePattern.MatchString(table) {
		return nil, usagef("%s %q: want a table name, optionally with its schema (shop.escott_journal)", envJournalTable, table)
	}
	db, err := sql.Open("pgx", src)
	if err != nil {
		return nil, usagef("journal %s: %v", name, scrub(err, u))
	}
	fail := func(err error) (*openedJournal, error) {
		_ = db.Close()
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		return fail(&unavailableError{msg: "journal " + name, err: errors.New(scrub(err, u))})
	}
	// The SQL journal creates its table when missing; an operator's tool
	// pointed at the wrong database must say so instead.
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		return fail(&unavailableError{msg: "journal " + name, err: errors.New(scrub(err, u))})
	}
	if !exists {
		return fail(usagef("journal %s has no table %s: is it the shop's database? (%s names another table)", name, table, envJournalTable))
	}
	j, err := sqlstore.NewJournal(ctx, db, sqlstore.WithTable(table))
	if err != nil {
		return fail(&unavailableError{msg: "journal " + name, err: errors.New(scrub(err, u))})
	}
	return &openedJournal{Journal: j, name: name + " table " + table, close: func() { _ = db.Close() }}, nil
}

// isPasswordParam reports whether a query parameter of a PostgreSQL URL
// holds a secret: pgx reads password (and sslpassword) from the query too.
func isPasswordParam(key string) bool {
	return strings.Contains(strings.ToLower(key), "password")
}

// urlPasswords returns the URL's passwords: in the user info and in the
// query.
func urlPasswords(u *url.URL) []string {
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p)
	}
	for k, vs := range u.Query() {
		if isPasswordParam(k) {
			for _, v := range vs {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// redactURL is u.Redacted with the query's passwords hidden too.
func redactURL(u *url.URL) string {
	cp := *u
	q := cp.Query()
	hidden := false
	for k := range q {
		if isPasswordParam(k) {
			q[k] = []string{"xxxxx"}
			hidden = true
		}
	}
	if hidden {
		cp.RawQuery = q.Encode()
	}
	return cp.Redacted()
}

// scrub returns err's text with the URL's passwords removed, should a driver
// ever quote them.
func scrub(err error, u *url.URL) string {
	s := err.Error()
	for _, p := range urlPasswords(u) {
		s = strings.ReplaceAll(s, p, "xxxxx")
	}
	return s
}

// keywordPassword matches a password in a libpq key=value string
// ("host=db password=secret", "password = 'se cret'").
var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

// redactSource hides a password in a journal source that is not one we know.
func redactSource(src string) string {
	if u, err := url.Parse(src); err == nil && u.Scheme != "" && (u.User != nil || u.RawQuery != "") {
		return redactURL(u)
	}
	if i := strings.LastIndex(src, "@"); i >= 0 {
		return "xxxxx" + src[i:]
	}
	return keywordPassword.ReplaceAllString(src, "${1}xxxxx")
}

// requireJournal opens the journal for a journal command.
func (a *app) requireJournal(ctx context.Context, o *options) (*openedJournal, error) {
	j, err := a.openJournal(ctx, o)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, usagef("no journal: set %s (file:/path or postgres://...) or pass --journal", envJournal)
	}
	return j, nil
}

// describeEnv is the environment line shown in prompts and headers.
func describeEnv(cfg escott.Config) string {
	s := fmt.Sprintf("%s environment, merchant %s", cfg.Environment, cfg.MerchantID)
	if cfg.BaseURL != "" {
		s += " at " + cfg.BaseURL
	}
	return s
}
