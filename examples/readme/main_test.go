package main

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeProgramRuns runs the README's program against the fake gateway and
// checks what it prints.
func TestReadmeProgramRuns(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	main()
	os.Stdout = stdout
	require.NoError(t, w.Close())
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	require.NoError(t, err)
	require.Regexp(t, `^authorised 1980 yen, link key [0-9]{12}\ncaptured, sales date [0-9]{4}-[0-9]{2}-[0-9]{2}\n$`, out.String())
}
