package session_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/session"
)

// SHOW FUNCTIONS lists each user function once, beside the built-ins.
func TestShowFunctionsListsUserFunctionsOnce(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out bytes.Buffer
	s := session.New(catalog.OpenMemory(), nil, connector.Context{Log: l, DataDir: t.TempDir(), Out: &out}, &out)
	if _, err := s.Execute("f.sql", "CREATE FUNCTION myf AS 'UPPER'; CREATE TEMPORARY FUNCTION tf AS 'LOWER'; SHOW FUNCTIONS;", session.Plan); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(out.String(), "\n") {
		name := strings.ToLower(strings.Trim(line, "| "))
		counts[name]++
	}
	if counts["myf"] != 1 || counts["tf"] != 1 || counts["upper"] != 1 {
		t.Fatalf("myf %d, tf %d, upper %d times in:\n%s", counts["myf"], counts["tf"], counts["upper"], out.String())
	}
}
