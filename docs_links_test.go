package escott_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsLinks checks every relative link of the README and the documents
// it links to: the file exists, and an anchor names one of its headings (as
// GitHub spells a heading's anchor).
func TestDocsLinks(t *testing.T) {
	files := []string{"README.md", "CONTRIBUTING.md"}
	docs, err := filepath.Glob(filepath.Join("docs", "*.md"))
	require.NoError(t, err)
	files = append(files, docs...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	headingsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := map[string]bool{}
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		inCode := false
		for line := range strings.Lines(string(body)) {
			if strings.HasPrefix(line, "```") {
				inCode = !inCode
			}
			if inCode || !strings.HasPrefix(line, "#") {
				continue
			}
			a[slug(strings.TrimLeft(strings.TrimSpace(line), "# "))] = true
		}
		anchors[path] = a
		return a
	}
	checked := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range link.FindAllStringSubmatch(string(body), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := f
			if path != "" {
				resolved = filepath.Join(filepath.Dir(f), path)
				_, err := os.Stat(resolved)
				if !assert.NoError(t, err, "%s links to %s", f, target) {
					continue
				}
			}
			checked++
			if anchor == "" || !strings.HasSuffix(resolved, ".md") {
				continue
			}
			assert.True(t, headingsOf(resolved)[anchor], "%s links to %s: no such heading in %s", f, target, resolved)
		}
	}
	assert.Greater(t, checked, 50, "the links were found")
}

// slug is GitHub's anchor of a heading: lower case, punctuation dropped
// (letters, digits, '-' and '_' kept, in any script), spaces as '-'.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
