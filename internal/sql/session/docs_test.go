package session_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/function"
)

var rewriteDocs = flag.Bool("rewrite-docs", false, "regenerate the generated sections of docs/sql.md")

// TestSQLDocsGenerated keeps docs/sql.md's connector options and function
// list equal to the code (regenerate with -rewrite-docs).
func TestSQLDocsGenerated(t *testing.T) {
	const path = "../../../docs/sql.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var fns []string
	for _, n := range function.Names() {
		if !strings.HasPrefix(n, "TEST_") { // this test binary's own user functions
			fns = append(fns, n)
		}
	}
	var fl strings.Builder
	for i, n := range fns {
		if i > 0 {
			fl.WriteString(", ")
		}
		fl.WriteString("`" + n + "`")
	}
	fl.WriteString("\n")
	sections := map[string]string{"connectors": connector.Markdown(), "functions": fl.String()}
	out := doc
	for name, body := range sections {
		begin := "<!-- BEGIN generated " + name + " -->\n"
		end := "<!-- END generated " + name + " -->"
		i, j := strings.Index(out, begin), strings.Index(out, end)
		if i < 0 || j < i {
			t.Fatalf("docs/sql.md has no %q ... %q section", begin, end)
		}
		out = out[:i+len(begin)] + body + out[j:]
	}
	if out == doc {
		return
	}
	if *rewriteDocs {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/sql.md's generated sections are stale: run go test ./internal/sql/session -run TestSQLDocsGenerated -rewrite-docs")
}
