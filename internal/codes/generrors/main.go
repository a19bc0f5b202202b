// Command generrors writes the root package's errors_gen.go from the
// response-code table: go generate runs it from errors.go.
package main

import (
	"fmt"
	"os"

	"github.com/escott-go/escott/internal/codes"
)

func main() {
	out := "errors_gen.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	src, err := codes.GenerateErrors()
	if err == nil {
		err = os.WriteFile(out, src, 0o644) //nolint:gosec // a source file of the repository, readable by all
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "generrors:", err)
		os.Exit(1)
	}
}
