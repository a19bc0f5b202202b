package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/journal"
)

// TestBinariesSession builds the real escott-sim and escott and runs every
// command of escott against the simulator: the simulator as a separate
// process, the tool as an operator's script runs it, stdin not a terminal.
func TestBinariesSession(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	sim, cli := filepath.Join(dir, "escott-sim"), filepath.Join(dir, "escott")
	for _, b := range []struct{ out, pkg string }{{sim, "github.com/escott-go/escott/cmd/escott-sim"}, {cli, "."}} {
		out, err := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg).CombinedOutput()
		require.NoError(t, err, "go build %s: %s", b.pkg, out)
	}

	// The simulator, with a merchant password of its own.
	simCmd := exec.CommandContext(ctx, sim, "-addr", "127.0.0.1:0", "-merchant-pass", merchantPass, "-max-processes", "1000")
	simOut, err := simCmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, simCmd.Start())
	t.Cleanup(func() {
		_ = simCmd.Process.Signal(os.Interrupt)
		_ = simCmd.Wait()
	})
	br := bufio.NewReader(simOut)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	origin := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	require.True(t, strings.HasPrefix(origin, "http://127.0.0.1:"), line)
	go func() { _, _ = io.Copy(io.Discard, br) }()

	// A shop's payment: a token from the simulator, an authorisation by the SDK.
	tok, err := exec.CommandContext(ctx, sim, "token", "-sim", origin, escotttest.CardVisa, "12/30", "123").Output()
	require.NoError(t, err)
	client, err := escott.NewClient(escott.Config{MerchantID: escotttest.DefaultMerchantID, MerchantPass: merchantPass,
		Environment: escott.Test, BaseURL: origin})
	require.NoError(t, err)
	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{Amount: escott.Yen(1980), Source: escott.CardToken(strings.TrimSpace(string(tok))),
		Capture: escott.CaptureLater, LinkKey: "order42"})
	require.NoError(t, err)

	tok, err = exec.CommandContext(ctx, sim, "token", "-sim", origin, escotttest.CardJCB, "12/30", "123").Output()
	require.NoError(t, err)
	member := escott.Member{ID: "M0001", Pass: memberPass}
	_, err = client.Member.Register(ctx, member, &escott.MemberRegisterParams{Token: escott.CardToken(strings.TrimSpace(string(tok)))})
	require.NoError(t, err)
	cvs, err := client.CVS.Register(ctx, &escott.CVSParams{Amount: escott.Yen(3240), Name: "山田 太郎", NameKana: "ﾔﾏﾀﾞ ﾀﾛｳ",
		Phone: "03-1234-5678", ProductNames: []string{"Tシャツ"}})
	require.NoError(t, err)

	// The shop's journal, with a checkout that crashed mid-request.
	jpath := filepath.Join(dir, "shop.journal")
	j, err := journal.OpenFile(jpath)
	require.NoError(t, err)
	require.NoError(t, j.Begin(ctx, escott.Attempt{LinkKey: "714205938817", Operation: "1Gathering", Amount: "5400",
		Started: time.Now().Add(-2 * time.Hour)}))
	require.NoError(t, j.Close())

	env := append(os.Environ(), envMerchantID+"="+escotttest.DefaultMerchantID, envMerchantPass+"="+merchantPass,
		envBaseURL+"="+origin, envJournal+"=file:"+jpath, envProcessPass+"="+pay.Process.Pass.Reveal(), envMemberPass+"="+memberPass)
	escottRun := func(args ...string) (int, string, string) {
		cmd := exec.CommandContext(ctx, cli, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		for _, s := range []string{merchantPass, pay.Process.Pass.Reveal(), memberPass, cvs.Process.Pass.Reveal()} {
			assert.NotContains(t, stdout.String()+stderr.String(), s, "a secret in the output of %v", args)
		}
		return code, stdout.String(), stderr.String()
	}

	code, out, _ := escottRun("card", "inquire", pay.Process.ID, "--link-key", "order42")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "1980 yen")

	code, _, errOut := escottRun("capture", pay.Process.ID, "--link-key", "order42")
	assert.Equal(t, exitNotDone, code, "no terminal, no --yes: nothing sent")
	assert.Contains(t, errOut, "pass --yes")

	code, out, _ = escottRun("capture", pay.Process.ID, "--link-key", "order42", "--yes")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Captured card payment")

	code, out, _ = escottRun("change", pay.Process.ID, "--link-key", "order42", "--amount", "1500", "--yes")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "1500 yen")

	code, out, _ = escottRun("cancel", pay.Process.ID, "--link-key", "order42", "--yes", "--json")
	assert.Equal(t, exitOK, code)
	var got cardPaymentJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "1Delete", got.Operation)

	code, out, _ = escottRun("member", "show", "M0001")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "353011******0000")

	env = append(env, envProcessPass+"="+cvs.Process.Pass.Reveal()) // the last one wins
	code, out, _ = escottRun("cvs", "inquire", cvs.Process.ID)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "unpaid")

	code, out, _ = escottRun("journal", "pending")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "714205938817")
	code, _, _ = escottRun("journal", "resolve", "714205938817", "--outcome", "rejected", "--yes")
	assert.Equal(t, exitOK, code)
	code, out, _ = escottRun("journal", "pending")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Nothing pending")

	code, _, errOut = escottRun("card", "inquire", "9999999999999999")
	assert.Equal(t, exitNotFound, code, errOut)
}
