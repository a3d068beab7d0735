package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
)

func TestQuerySplitter(t *testing.T) {
	for _, c := range []struct {
		in        string
		backslash bool
		want      []olapStatement
	}{
		{"SELECT 1; SELECT 2;", false, []olapStatement{{"SELECT 1", 1}, {"SELECT 2", 1}}},
		{"SELECT 'a;b', \"c;d\", `e;f` FROM t", false, []olapStatement{{"SELECT 'a;b', \"c;d\", `e;f` FROM t", 1}}},
		{"SELECT 'it''s; fine';", false, []olapStatement{{"SELECT 'it''s; fine'", 1}}},
		{"-- intro; not a statement\n\n/* nor; this\n */ SELECT 1 -- the end;\n;", false, []olapStatement{{"SELECT 1 -- the end;", 4}}},
		{"SELECT $$a;b$$, $x$c;$$;d$x$, $1;", false, []olapStatement{{"SELECT $$a;b$$, $x$c;$$;d$x$, $1", 1}}},
		{";;  ;\n", false, nil},
		// 'C:\' is a whole literal in PostgreSQL and DuckDB ...
		{`SELECT 'C:\'; SELECT 2;`, false, []olapStatement{{`SELECT 'C:\'`, 1}, {"SELECT 2", 1}}},
		// ... and \' an escaped quote in MySQL's and ClickHouse's dialect.
		{`SELECT 'it\'s;'; SELECT 2;`, true, []olapStatement{{`SELECT 'it\'s;'`, 1}, {"SELECT 2", 1}}},
		{"SELECT\n  'multi\nline;'\n  AS s;\nSELECT 2", false, []olapStatement{{"SELECT\n  'multi\nline;'\n  AS s", 1}, {"SELECT 2", 5}}},
	} {
		kind := ""
		if c.backslash {
			kind = "clickhouse"
		}
		if got := splitOLAPSQL(c.in, kind); !reflect.DeepEqual(got, c.want) {
			t.Errorf("split %q:\n got %#v\nwant %#v", c.in, got, c.want)
		}
	}
}

// The interactive mode (here on a pipe: no line editing, same loop):
// statements across lines, an error that does not end the session, the
// history file, quit.
func TestQueryInteractive(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.duckdb")
	s, err := duckdb.Open(ctx, duckdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := duckdb.Open(ctx, duckdb.Options{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hist := filepath.Join(t.TempDir(), "history")
	t.Setenv("RTDW_QUERY_HISTORY", hist)
	input := "SELECT 1 AS a;\n" +
		"SELECT nope;\n" +
		"SELECT 'x;y' AS s,\n" +
		"  '北京' AS city; SELECT\n" +
		"3 AS c;\n" +
		"help\n" +
		"quit\n" +
		"SELECT 4 AS d;\n"
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(input), stdout: &out, stderr: &errb}
	if err := queryInteractive(ctx, g, &queryRunner{db: db, format: "table"}, false); err != nil {
		t.Fatal(err)
	}
	if want := "a\n1\ns    city\nx;y  北京\nc\n3\n"; out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	for _, msg := range []string{"(1 row, ", "error: ", "nope", "quit (or Ctrl-D) leaves"} {
		if !strings.Contains(errb.String(), msg) {
			t.Errorf("stderr lacks %q:\n%s", msg, errb.String())
		}
	}
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT 1 AS a;\nSELECT nope;\nSELECT 'x;y' AS s, '北京' AS city;\nSELECT 3 AS c;\n"; string(b) != want {
		t.Errorf("history:\n%s\nwant:\n%s", b, want)
	}
}
