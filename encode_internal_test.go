package escott

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-querystring/query"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/internal/wire"
)

// requestTypes lists every wire request struct of the package.
var requestTypes = []withCommon{
	&cardRequest{}, &tokenRequest{}, &memberRequest{}, &memberRefRequest{}, &cvsRequest{},
}

// fillStrings sets every string field (embedded ones included) to a value
// derived from its name, and returns the url tag names it expects on the wire.
func fillStrings(t *testing.T, v reflect.Value) []string {
	t.Helper()
	var names []string
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Anonymous && f.Kind() == reflect.Struct {
			names = append(names, fillStrings(t, f)...)
			continue
		}
		require.Equal(t, reflect.String, f.Kind(), "field %s: request fields are strings", sf.Name)
		name, _, _ := strings.Cut(sf.Tag.Get("url"), ",")
		require.NotEmpty(t, name, "field %s has no url tag", sf.Name)
		f.SetString("v" + sf.Name + " +&=日本")
		names = append(names, name)
	}
	return names
}

// TestEveryRequestFieldEncodes is the strictness check the design asks for:
// every field of every request struct reaches the wire with its value, and
// the fast encoder writes exactly what go-querystring writes.
func TestEveryRequestFieldEncodes(t *testing.T) {
	for _, r := range requestTypes {
		v := reflect.ValueOf(r).Elem()
		t.Run(v.Type().Name(), func(t *testing.T) {
			names := fillStrings(t, v)
			form, err := wire.Encode(r)
			require.NoError(t, err)
			got, err := url.ParseQuery(form)
			require.NoError(t, err)
			assert.Len(t, got, len(names), "no field lost, none invented")
			for _, n := range names {
				assert.Contains(t, got.Get(n), " +&=日本", n)
			}
			want, err := query.Values(r)
			require.NoError(t, err)
			assert.Equal(t, want.Encode(), form)
		})
	}
}

// TestRequestTypesListed finds every struct embedding common in the
// package's source, so that a new request type cannot escape the test above.
func TestRequestTypesListed(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		{
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						if id, ok := fld.Type.(*ast.Ident); ok && len(fld.Names) == 0 && id.Name == "common" {
							found = append(found, ts.Name.Name)
						}
					}
				}
				return true
			})
		}
	}
	var listed []string
	for _, r := range requestTypes {
		listed = append(listed, reflect.TypeOf(r).Elem().Name())
	}
	assert.ElementsMatch(t, found, listed)
}
