package shop_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package is the shop's own policy: it must not grow a dependency on the
// SDK (root package or its internals), only on the standard library and
// decimal.
func TestImportsStdlibAndDecimalOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first := strings.Split(path, "/")[0]
			ok := !strings.Contains(first, ".") || path == "github.com/shopspring/decimal"
			assert.True(t, ok, "%s imports %s", f, path)
		}
	}
}
