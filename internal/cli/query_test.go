package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	"github.com/rtdw/rtdw/internal/connector/postgres"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
	"github.com/rtdw/rtdw/internal/testenv"
)

// rtdw query reads the default DuckDB file of the data dir in every format.
func TestQuery(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(dir, "olap", "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	rows := [][]byte{olaptest.Row(0, "1", "北京", 2, "100.5"), olaptest.Row(0, "2", `天"津`, 1, "9.99"),
		[]byte(`{"stt":"2024-06-01 10:00:10","edt":"2024-06-01 10:00:20","cur_date":"2024-06-01","province_id":"3","order_count":0}`)}
	if err := s.Upsert(ctx, tb.Name, rows); err != nil {
		t.Fatal(err)
	}
	s.Close()

	sql := "SELECT cur_date, stt, province_id AS id, province_name AS name, order_count, order_amount FROM dws_trade_province_order_window ORDER BY stt, province_id"
	for _, c := range []struct{ format, want string }{
		// The name column is 5 cells wide (天"津: two wide characters and
		// a quote) plus 2 of padding; decimals keep their scale.
		{"table", "" +
			"cur_date    stt                  id  name   order_count  order_amount\n" +
			"2024-06-01  2024-06-01 10:00:00  1   北京   2            100.50\n" +
			"2024-06-01  2024-06-01 10:00:00  2   天\"津  1            9.99\n" +
			"2024-06-01  2024-06-01 10:00:10  3   NULL   0            NULL\n"},
		{"csv", "" +
			"cur_date,stt,id,name,order_count,order_amount\n" +
			"2024-06-01,2024-06-01 10:00:00,1,北京,2,100.50\n" +
			"2024-06-01,2024-06-01 10:00:00,2,\"天\"\"津\",1,9.99\n" +
			"2024-06-01,2024-06-01 10:00:10,3,,0,\n"},
		{"json", "" +
			`{"cur_date":"2024-06-01","stt":"2024-06-01 10:00:00","id":"1","name":"北京","order_count":2,"order_amount":100.50}` + "\n" +
			`{"cur_date":"2024-06-01","stt":"2024-06-01 10:00:00","id":"2","name":"天\"津","order_count":1,"order_amount":9.99}` + "\n" +
			`{"cur_date":"2024-06-01","stt":"2024-06-01 10:00:10","id":"3","name":null,"order_count":0,"order_amount":null}` + "\n"},
	} {
		code, out, stderr := run(t, "", "--data-dir", dir, "query", "--format", c.format, sql)
		if code != 0 || out != c.want {
			t.Errorf("query --format %s: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", c.format, code, stderr, out, c.want)
		}
	}
	// SQL from stdin.
	if code, out, stderr := run(t, "SELECT COUNT(*) AS n FROM gmall_realtime.dws_trade_province_order_window", "--data-dir", dir, "query", "--format", "csv", "-"); code != 0 || out != "n\n3\n" {
		t.Errorf("query -: exit %d, %q, %q", code, out, stderr)
	}
	// Errors: bad SQL, bad flag values, no database yet, a bad olap config.
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte("olap:\n  kind: oracle\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--data-dir", dir, "query", "SELECT nope FROM dws_trade_province_order_window"}, 1, "nope"},
		{[]string{"--data-dir", dir, "query", "--format", "xml", "SELECT 1"}, 2, "--format"},
		{[]string{"--data-dir", dir, "query"}, 2, "no SQL in <stdin>"}, // stdin is no terminal, and empty
		{[]string{"--data-dir", dir, "query", "SELECT 1", "SELECT 2"}, 2, "accepts at most 1 arg"},
		{[]string{"--data-dir", dir, "query", "-f", filepath.Join(dir, "missing.sql")}, 1, "missing.sql"},
		{[]string{"--data-dir", dir, "query", "-f", cfg, "SELECT 1"}, 2, "not both"},
		{[]string{"--data-dir", dir, "query", "/* nothing but a comment */ ;"}, 2, "empty"},
		{[]string{"--data-dir", dir, "query", "  "}, 2, "empty"},
		{[]string{"--data-dir", t.TempDir(), "query", "SELECT 1"}, 1, "no database at"},
		{[]string{"--data-dir", dir, "--config", cfg, "query", "SELECT 1"}, 1, `kind "oracle"`},
	} {
		code, _, stderr := run(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("rtdw %s: exit %d (want %d), stderr %q (want %q)", strings.Join(c.args, " "), code, c.code, stderr, c.msg)
		}
	}
	if code, out, _ := run(t, "", "query", "--help"); code != 0 || !strings.Contains(out, "--format") || !strings.Contains(out, "rtdw query") {
		t.Errorf("query --help: exit %d:\n%s", code, out)
	}
}

// queryDir is a data dir whose DuckDB file holds the province table with
// one row.
func queryDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(dir, "olap", "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 2, "100.5")}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// SQL from -f FILE, from stdin with no argument, from -f -: statements
// split at ';' outside literals and comments, run in order, each result
// printed; the first error stops the script and names its line.
func TestQueryScripts(t *testing.T) {
	dir := queryDir(t)
	script := "-- a report; in two parts\n" +
		"SELECT province_name AS \"name;\", order_count FROM dws_trade_province_order_window;\n" +
		"/* the total; */ SELECT 'a;b' AS s,\n" +
		"       SUM(order_amount) AS total FROM dws_trade_province_order_window\n" // no last ';'
	want := "" +
		"name;  order_count\n" + // name; is 5 cells, 北京 4
		"北京   2\n" +
		"\n" +
		"s    total\n" +
		"a;b  100.50\n"
	file := filepath.Join(t.TempDir(), "report.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := run(t, "", "--data-dir", dir, "query", "-f", file); code != 0 || out != want {
		t.Errorf("query -f: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, out, want)
	}
	for _, args := range [][]string{{"query"}, {"query", "-f", "-"}, {"query", "-"}} {
		if code, out, stderr := run(t, script, append([]string{"--data-dir", dir}, args...)...); code != 0 || out != want {
			t.Errorf("%v with the script on stdin: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", args, code, stderr, out, want)
		}
	}
	// CSV: the results one after the other, a blank line apart; JSON: rows.
	if code, out, _ := run(t, "SELECT 1 AS a; SELECT 2 AS b;", "--data-dir", dir, "query", "--format", "csv"); code != 0 || out != "a\n1\n\nb\n2\n" {
		t.Errorf("csv script: exit %d, %q", code, out)
	}
	if code, out, _ := run(t, "SELECT 1 AS a; SELECT 2 AS b;", "--data-dir", dir, "query", "--format", "json"); code != 0 || out != "{\"a\":1}\n{\"b\":2}\n" {
		t.Errorf("json script: exit %d, %q", code, out)
	}
	// An error stops the script: what ran before is printed.
	code, out, stderr := run(t, "SELECT 1 AS a;\n\nSELECT nope FROM dws_trade_province_order_window;\nSELECT 3 AS c;\n", "--data-dir", dir, "query")
	if code != 1 || out != "a\n1\n" || !strings.Contains(stderr, "statement at line 3") || !strings.Contains(stderr, "nope") {
		t.Errorf("failing script: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// The table format aligns columns by display width: East Asian wide and
// fullwidth characters take two cells, a combining accent none.
func TestQueryWideCharacters(t *testing.T) {
	dir := queryDir(t)
	sql := "SELECT city, n FROM (VALUES (1, '東京都', 1), (2, 'ＡＢ', 22), (3, 'x', 333), (4, 'cafe\u0301', 4), (5, '서울', 55)) t(i, city, n) ORDER BY i"
	// Written by hand: the widest city, 東京都, is 6 cells; with the
	// 2 cells of padding every city is followed by 8 - its width spaces.
	want := "" +
		"city    n\n" +
		"東京都  1\n" +
		"ＡＢ    22\n" +
		"x       333\n" +
		"cafe\u0301    4\n" +
		"서울    55\n"
	if code, out, stderr := run(t, "", "--data-dir", dir, "query", sql); code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, out, want)
	}
}

// DECIMALs print exactly, in every format: all their digits (a float64
// would round 12345678901234567.89) and their scale.
func TestQueryDecimals(t *testing.T) {
	dir := queryDir(t)
	sql := "SELECT CAST('12345678901234567.89' AS DECIMAL(38,2)) AS big, CAST(-0.05 AS DECIMAL(16,2)) AS neg, CAST(3 AS DECIMAL(10,0)) AS whole, SUM(order_amount) AS total FROM dws_trade_province_order_window"
	for _, c := range []struct{ format, want string }{
		{"table", "big                   neg    whole  total\n12345678901234567.89  -0.05  3      100.50\n"},
		{"csv", "big,neg,whole,total\n12345678901234567.89,-0.05,3,100.50\n"},
		{"json", `{"big":12345678901234567.89,"neg":-0.05,"whole":3,"total":100.50}` + "\n"},
	} {
		if code, out, stderr := run(t, "", "--data-dir", dir, "query", "--format", c.format, sql); code != 0 || out != c.want {
			t.Errorf("--format %s: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", c.format, code, stderr, out, c.want)
		}
	}
}

// rtdw query is no way into the machine: DuckDB refuses to write files
// (COPY ... TO, EXPORT DATABASE), read them (read_csv) and install
// extensions, and a query cannot turn that back on; the operator can
// (--allow-external-access, olap.allow_external_access).
func TestQueryConfined(t *testing.T) {
	dir := queryDir(t)
	out := t.TempDir()
	csvFile := filepath.Join(t.TempDir(), "ok.csv")
	if err := os.WriteFile(csvFile, []byte("a,b\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"COPY (SELECT * FROM dws_trade_province_order_window) TO '" + filepath.Join(out, "copy.csv") + "'",
		"EXPORT DATABASE '" + filepath.Join(out, "export") + "'",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_csv('" + csvFile + "')",
		"INSTALL httpfs",
		"LOAD httpfs",
		"ATTACH '" + filepath.Join(out, "other.duckdb") + "' AS other",
	} {
		code, stdout, stderr := run(t, "", "--data-dir", dir, "query", sql)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "disabled") {
			t.Errorf("rtdw query %q: exit %d, stdout %q, stderr %q: want refused (external access disabled)", sql, code, stdout, stderr)
		}
	}
	for _, sql := range []string{"SET enable_external_access = true", "RESET enable_external_access", "SET allowed_directories = ['/']"} {
		code, _, stderr := run(t, "", "--data-dir", dir, "query", sql+"; SELECT * FROM read_csv('"+csvFile+"')")
		if code != 1 || !strings.Contains(stderr, "locked") {
			t.Errorf("rtdw query %q: exit %d, stderr %q: want the locked configuration to refuse it", sql, code, stderr)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("refused queries left files behind: %v", ents)
	}
	// The operator's opt-in, by flag or by rtdw.yaml.
	cfg := filepath.Join(t.TempDir(), "rtdw.yaml")
	os.WriteFile(cfg, []byte("olap:\n  allow_external_access: true\n"), 0o644)
	for _, args := range [][]string{{"query", "--allow-external-access"}, {"--config", cfg, "query"}} {
		code, stdout, stderr := run(t, "", append(append([]string{"--data-dir", dir}, args...), "--format", "csv", "SELECT * FROM read_csv('"+csvFile+"')")...)
		if code != 0 || stdout != "a,b\n1,x\n" {
			t.Errorf("rtdw %v read_csv: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// On PostgreSQL rtdw query runs READ ONLY and without the server-file
// privileges of the (superuser) role it connects as.
func TestQueryPostgresConfined(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	schema := fmt.Sprintf("query_pg_%d", time.Now().UnixNano())
	s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 2, "100.5")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte("olap:\n  kind: postgres\n  dsn: "+dsn+"\n  database: "+schema+"\n"), 0o644)
	base := []string{"--data-dir", dir, "--config", cfg, "query"}
	if code, out, stderr := run(t, "", append(base, "SELECT province_name, order_amount FROM dws_trade_province_order_window")...); code != 0 ||
		out != "province_name  order_amount\n北京           100.50\n" {
		t.Errorf("select: exit %d, stderr %q, stdout:\n%s", code, stderr, out)
	}
	for _, c := range []struct{ sql, msg string }{
		{"DELETE FROM dws_trade_province_order_window", "read-only transaction"},
		{"SELECT pg_read_file('PG_VERSION')", "permission denied"},
		{"COPY (SELECT 1) TO '" + filepath.Join(t.TempDir(), "x") + "'", "pg_write_server_files"},
		{"COPY (SELECT 1) TO PROGRAM 'true'", "pg_execute_server_program"},
	} {
		if code, _, stderr := run(t, "", append(base, c.sql)...); code != 1 || !strings.Contains(stderr, c.msg) {
			t.Errorf("rtdw query %q: exit %d, stderr %q: want refused (%s)", c.sql, code, stderr, c.msg)
		}
	}
	if code, out, stderr := run(t, "", append(base, "--allow-external-access", "--format", "csv", "SELECT length(pg_read_file('PG_VERSION')) > 0 AS ok")...); code != 0 || out != "ok\n1\n" {
		t.Errorf("--allow-external-access pg_read_file: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", append(base, "--allow-external-access", "DELETE FROM dws_trade_province_order_window")...); code != 1 || !strings.Contains(stderr, "read-only transaction") {
		t.Errorf("--allow-external-access still reads only: exit %d, stderr %q", code, stderr)
	}
}
