package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/sqlstore"
)

// TestJournalPasswordInQueryNotPrinted: pgx takes the password from the
// URL's query too (?password=…), and libpq's sslpassword likewise. The
// command must hide it as it hides the one in the user info, and refuse it
// in --journal, for people and as JSON.
func TestJournalPasswordInQueryNotPrinted(t *testing.T) {
	h := newHarness(t)
	for _, src := range []string{
		"postgres://shop@127.0.0.1:1/shop?connect_timeout=5&password=" + pgPassword,
		"postgresql://127.0.0.1:1/shop?sslpassword=" + pgPassword + "&connect_timeout=5",
		"postgres://127.0.0.1:1/shop?PASSWORD=" + pgPassword + "&connect_timeout=5",
	} {
		for _, mode := range [][]string{nil, {"--json"}} {
			r := h.run(runOpts{env: map[string]string{envJournal: src}}, append([]string{"journal", "pending"}, mode...)...)
			assert.Equal(t, exitUnavailable, r.code, "%s: %s", src, r.stderr)
			r = h.run(runOpts{env: map[string]string{envJournal: ""}}, append([]string{"journal", "pending", "--journal", src}, mode...)...)
			assert.Equal(t, exitUsage, r.code, "a password in --journal shows in ps: %s", r.stderr)
			assert.Contains(t, r.stdout+r.stderr, "password")
		}
	}
}

// TestMoneyMoveNotResentAfterUnknown: after an unknown outcome, running the
// command again — the same line, or without --link-key — must not send the
// request again while the journal holds the attempt on that payment as
// unknown: exit 5, nothing sent. Once resolved, the command works again.
func TestMoneyMoveNotResentAfterUnknown(t *testing.T) {
	h := newHarness(t)
	h.srv.InjectFault(escott.OpCapture, escotttest.Fault{Kind: escotttest.FaultCloseAfterProcessing})
	r := h.run(runOpts{env: cardPass(h)}, "capture", h.card.ID, "--yes", "--link-key", "order1001")
	require.Equal(t, exitUnknown, r.code, r.stderr)
	require.Equal(t, 1, h.srv.RequestCount(escott.OpCapture))
	for _, args := range [][]string{
		{"capture", h.card.ID, "--yes", "--link-key", "order1001"},
		{"capture", h.card.ID, "--yes"},
		{"cancel", h.card.ID, "--yes", "--json"},
		{"change", h.card.ID, "--amount", "100", "--yes"},
	} {
		r = h.run(runOpts{env: cardPass(h)}, args...)
		assert.Equal(t, exitNotDone, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stdout+r.stderr, "order1001", "names the attempt to reconcile")
		assert.Equal(t, 1, h.srv.RequestCount(escott.OpCapture), "%v: sent again after an unknown outcome", args)
		assert.Zero(t, h.srv.RequestCount(escott.OpDelete)+h.srv.RequestCount(escott.OpChange), "%v", args)
	}
	var got struct{ Error errorReport }
	require.NoError(t, json.Unmarshal([]byte(h.run(runOpts{env: cardPass(h)}, "cancel", h.card.ID, "--yes", "--json").stdout), &got))
	assert.Equal(t, "not_done", got.Error.Kind)
	assert.Equal(t, "order1001", got.Error.LinkKey)

	r = h.run(runOpts{}, "journal", "resolve", "order1001", "--outcome", "succeeded", "--process-id", h.card.ID, "--yes")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = h.run(runOpts{env: cardPass(h)}, "cancel", h.card.ID, "--yes")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, h.srv.RequestCount(escott.OpDelete))
}

// TestJSONErrorsForEveryCommandLine: with --json, every error is JSON on
// stdout ({"error": {...}}) — an unknown command too, and --json spelt in
// any form the flag package accepts (--json=1, -json=t).
func TestJSONErrorsForEveryCommandLine(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"card", "refund", "1", "--json"},
		{"nosuch", "--json"},
		{"capture", "--json=1", "--bogus"},
		{"capture", "-json=t", "1", "2"},
		{"journal", "pending", "--json=TRUE", "--older-than", "xx"},
	} {
		r := h.run(runOpts{}, args...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
		var got struct{ Error errorReport }
		if assert.NoError(t, json.Unmarshal([]byte(r.stdout), &got), "%v: stdout %q", args, r.stdout) {
			assert.Equal(t, exitUsage, got.Error.Exit, "%v", args)
			assert.Equal(t, "usage", got.Error.Kind, "%v", args)
		}
	}
}

// TestJournalWriteFailureIsUnavailable: the shop's journal is reachable
// when the command starts but refuses to record the attempt (a full disk,
// a lost connection, a permission): nothing is sent, and the exit code is
// 6 (the journal could not be reached), not 7 (a bug in escott).
func TestJournalWriteFailureIsUnavailable(t *testing.T) {
	u := testPostgres(t)
	db, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := t.Context()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	table := "escott_cli_" + hex.EncodeToString(b)
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table+" CASCADE") })
	_, err = sqlstore.NewJournal(ctx, db, sqlstore.WithTable(table))
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE OR REPLACE FUNCTION `+table+`_full() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ LANGUAGE plpgsql`)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP FUNCTION IF EXISTS "+table+"_full() CASCADE") })
	_, err = db.ExecContext(ctx, `CREATE TRIGGER full_disk BEFORE INSERT OR UPDATE ON `+table+
		` FOR EACH ROW EXECUTE FUNCTION `+table+`_full()`)
	require.NoError(t, err)

	h := newHarness(t)
	h.env[envJournal] = u.String()
	h.env[envJournalTable] = table
	for _, mode := range [][]string{nil, {"--json"}} {
		r := h.run(runOpts{env: cardPass(h)}, append([]string{"capture", h.card.ID, "--yes", "--link-key", "order1001"}, mode...)...)
		assert.Equal(t, exitUnavailable, r.code, "stdout %s\nstderr %s", r.stdout, r.stderr)
		assert.Zero(t, h.srv.RequestCount(escott.OpCapture), "nothing sent without a journal record")
	}
}

// TestJournalSourceNotUnderstoodNotEchoedWithPassword: a journal given as a
// libpq key=value string (or any other form the command does not take) is
// refused as a usage error without printing its password.
func TestJournalSourceNotUnderstoodNotEchoedWithPassword(t *testing.T) {
	h := newHarness(t)
	for _, src := range []string{
		"host=127.0.0.1 port=5432 dbname=shop user=shop password=" + pgPassword,
		"host=127.0.0.1 password = '" + pgPassword + "' dbname=shop",
		"mysql://shop:" + pgPassword + "@127.0.0.1/shop",
		"shop:" + pgPassword + "@127.0.0.1/shop",
	} {
		for _, mode := range [][]string{nil, {"--json"}} {
			r := h.run(runOpts{env: map[string]string{envJournal: src}}, append([]string{"journal", "pending"}, mode...)...)
			assert.Equal(t, exitUsage, r.code, "%s: %s", src, r.stderr)
		}
	}
}
