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

// newSession returns a session over cat on a fresh embedded log, and
// its output.
func newSession(t *testing.T, cat *catalog.Manager) (*session.Session, *bytes.Buffer) {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var out bytes.Buffer
	return session.New(cat, nil, connector.Context{Log: l, DataDir: t.TempDir(), Out: &out}, &out), &out
}

// SHOW FUNCTIONS lists each user function once, beside the built-ins.
func TestShowFunctionsListsUserFunctionsOnce(t *testing.T) {
	s, out := newSession(t, catalog.OpenMemory())
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
