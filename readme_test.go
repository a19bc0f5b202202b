package escott_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeProgramIsCompiled keeps the README's complete program identical,
// byte for byte, to examples/readme/main.go, which CI builds and runs. It reads
// both files from the repository root, so it works whether examples/ is part of
// this module or a nested one.
func TestReadmeProgramIsCompiled(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	program, err := os.ReadFile(filepath.Join("examples", "readme", "main.go"))
	require.NoError(t, err)

	blocks := regexp.MustCompile("(?s)```go\n(.*?)```\n").FindAllSubmatch(readme, -1)
	var programs [][]byte
	for _, b := range blocks {
		if regexp.MustCompile(`(?m)^package main$`).Match(b[1]) {
			programs = append(programs, b[1])
		}
	}
	require.Len(t, programs, 1, "README.md must hold exactly one complete program (a ```go block with package main)")
	require.Equal(t, string(program), string(programs[0]),
		"README.md's program differs from examples/readme/main.go: change both together")
}
