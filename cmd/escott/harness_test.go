package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The fixed clock of the tests: 10:00 in Tokyo on the day of the session.
var testNow = time.Date(2026, 12, 2, 10, 0, 0, 0, jst)

// Secrets the environment of every test run holds. None may ever be printed.
const (
	merchantPass  = "MerchSecret77"
	memberPass    = "KaiinSecret55"
	tokenAuthCode = "TOKENSECRET99"
	aesKey        = "AesKeySecret16ch"
	aesIV         = "AesIVSecret16chr"
	pgPassword    = "PgSecret0042"
)

// harness is a fake gateway with a card payment, a captured member payment
// and an online-collection payment on it, a file journal with attempts that
// need attention, and the environment the command reads.
type harness struct {
	t       *testing.T
	srv     *escotttest.Server
	client  *escott.Client
	env     map[string]string
	card    escott.Process // authorised, 1980 yen
	member  escott.Process // captured, paid by member M0001, 3300 yen
	cvs     escott.Process // online collection, 3240 yen, unpaid
	journal string         // path of the file journal
	keys    int            // link keys handed out
	secrets []string
	names   map[string]string // dynamic value → placeholder in golden files
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	now := func() time.Time { return testNow }
	srv := escotttest.NewServer(escotttest.Config{MerchantPass: merchantPass, TokenAuthCode: tokenAuthCode,
		AESKey: aesKey, AESIV: aesIV, Now: now})
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, client: srv.Client(escott.WithClock(now)), names: map[string]string{}}
	ctx := t.Context()

	pay, err := h.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: srv.MustToken(escotttest.CardVisa),
		Capture: escott.CaptureLater, LinkKey: "order1001"})
	require.NoError(t, err)
	h.card = pay.Process

	m := escott.Member{ID: "M0001", Pass: memberPass}
	_, err = h.client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardJCB)})
	require.NoError(t, err)
	pay, err = h.client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(3300), Source: m, LinkKey: "order1002"})
	require.NoError(t, err)
	h.member = pay.Process

	cv, err := h.client.CVS.Register(ctx, &escott.CVSParams{Amount: escott.Yen(3240), Name: "山田 太郎", NameKana: "ﾔﾏﾀﾞ ﾀﾛｳ",
		Phone: "03-1234-5678", ProductNames: []string{"Tシャツ"}, LinkKey: "order1003"})
	require.NoError(t, err)
	h.cvs = cv.Process
	h.names[cv.PaymentNumber] = "<PAYMENT_NUMBER>"

	h.journal = filepath.Join(t.TempDir(), "escott.journal")
	fillJournal(t, h.journal)

	h.env = map[string]string{
		envMerchantID: escotttest.DefaultMerchantID, envMerchantPass: merchantPass, envBaseURL: srv.URL,
		"ESCOTT_TOKEN_AUTH_CODE": tokenAuthCode, "ESCOTT_AES_KEY": aesKey, "ESCOTT_AES_IV": aesIV,
		envJournal: "file:" + h.journal,
	}
	h.secrets = []string{merchantPass, memberPass, tokenAuthCode, aesKey, aesIV, pgPassword,
		h.card.Pass.Reveal(), h.member.Pass.Reveal(), h.cvs.Pass.Reveal()}
	h.names[h.card.ID] = "<CARD_PROCESS>"
	h.names[h.member.ID] = "<MEMBER_PROCESS>"
	h.names[h.cvs.ID] = "<CVS_PROCESS>"
	h.names[srv.URL] = "<GATEWAY>"
	h.names[h.journal] = "<JOURNAL>"
	return h
}

// fillJournal writes what a crashed shop leaves: an attempt left in flight
// two hours ago, one whose outcome is unknown since yesterday, one in flight
// for a minute (a payment being made now), and one that finished.
func fillJournal(t *testing.T, path string) {
	t.Helper()
	ctx := t.Context()
	j, err := journal.OpenFile(path)
	require.NoError(t, err)
	defer j.Close()
	begin := func(a escott.Attempt) { require.NoError(t, j.Begin(ctx, a)) }
	begin(escott.Attempt{LinkKey: "714205938817", Operation: "1Gathering", Amount: "5400", OrderRef: "A-1041",
		Started: testNow.Add(-26 * time.Hour)})
	require.NoError(t, j.Finish(ctx, "714205938817", escott.AttemptResult{Outcome: escott.OutcomeUnknown, At: testNow.Add(-26 * time.Hour).Add(time.Minute)}))
	begin(escott.Attempt{LinkKey: "503118264470", Operation: "1Auth", Amount: "12800", OrderRef: "A-1042",
		Started: testNow.Add(-2*time.Hour - 5*time.Minute)})
	begin(escott.Attempt{LinkKey: "881204567301", Operation: "1Gathering", Amount: "980", OrderRef: "A-1043",
		Started: testNow.Add(-time.Minute)})
	begin(escott.Attempt{LinkKey: "120000000001", Operation: "1Gathering", Amount: "100", Started: testNow.Add(-3 * time.Hour)})
	require.NoError(t, j.Finish(ctx, "120000000001", escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: "1111", At: testNow}))
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runOpts say how stdin looks to the command.
type runOpts struct {
	stdin    string
	terminal bool              // stdin is a terminal: prompts may be answered
	env      map[string]string // added to (or, with "", removed from) the harness's environment
}

// run runs the command in-process with the fixed clock, and checks that no
// secret reached its output, whatever the command and the mode.
func (h *harness) run(o runOpts, args ...string) result {
	h.t.Helper()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	for k, v := range o.env {
		env[k] = v
	}
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin: strings.NewReader(o.stdin), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
		now:    func() time.Time { return testNow },
		newLinkKey: func() string {
			h.keys++
			return fmt.Sprintf("cli%09d", h.keys)
		},
		isTerminal: func(io.Reader) bool { return o.terminal },
	}
	ctx, cancel := context.WithTimeout(h.t.Context(), 30*time.Second)
	defer cancel()
	code := a.main(ctx, args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range h.secrets {
		assert.NotContains(h.t, r.stdout, s, "a secret on stdout of %v", args)
		assert.NotContains(h.t, r.stderr, s, "a secret on stderr of %v", args)
	}
	return r
}

// localAddr matches a loopback address with its port, which changes from
// run to run.
var localAddr = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// txID matches the gateway's transaction IDs, new with every answer.
var txID = regexp.MustCompile(`\b[0-9]{18}\b`)

// golden compares r with testdata/name.golden (rewritten with -update),
// after replacing the values that change from run to run.
func (h *harness) golden(name string, args []string, r result) {
	h.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "$ escott %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	got := b.String()
	for v, name := range h.names {
		got = strings.ReplaceAll(got, v, name)
	}
	got = txID.ReplaceAllString(got, "<TRANSACTION>")
	got = localAddr.ReplaceAllString(got, "127.0.0.1:<PORT>")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(h.t, os.MkdirAll("testdata", 0o755))
		require.NoError(h.t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(h.t, err, "run go test -run %s -update to create it", h.t.Name())
	assert.Equal(h.t, string(want), got, "golden file %s (go test -update rewrites it)", path)
}
