package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunPrintsURLFirst starts the demo as `go run` does, on a free port,
// and checks that the first line is the URL to open and that it serves the
// shop.
func TestRunPrintsURLFirst(t *testing.T) {
	t.Setenv(envAdminUser, "")
	t.Setenv(envAdminPassword, "")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, pw)
		_ = pw.Close()
	}()
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Regexp(t, `^open http://127\.0\.0\.1:[0-9]+/\n$`, line)
	// Against the fake, without credentials in the environment, the
	// operator's generated sign-in comes next.
	admin, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Regexp(t, `^admin http://127\.0\.0\.1:[0-9]+/admin/ user \S+ password \S{16,} `, admin)
	url := strings.TrimSuffix(strings.TrimPrefix(line, "open "), "\n")

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), yen(catalogue[0].Price))

	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NoError(t, <-done)
}

func TestRunRejectsBadFlags(t *testing.T) {
	err := run(t.Context(), []string{"-mode", "later"}, io.Discard)
	require.ErrorContains(t, err, "-mode")
}
