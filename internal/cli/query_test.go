package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
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
		{"table", "" +
			"cur_date    stt                  id  name  order_count  order_amount\n" +
			"2024-06-01  2024-06-01 10:00:00  1   北京    2            100.5\n" +
			"2024-06-01  2024-06-01 10:00:00  2   天\"津   1            9.99\n" +
			"2024-06-01  2024-06-01 10:00:10  3   NULL  0            NULL\n"},
		{"csv", "" +
			"cur_date,stt,id,name,order_count,order_amount\n" +
			"2024-06-01,2024-06-01 10:00:00,1,北京,2,100.5\n" +
			"2024-06-01,2024-06-01 10:00:00,2,\"天\"\"津\",1,9.99\n" +
			"2024-06-01,2024-06-01 10:00:10,3,,0,\n"},
		{"json", "" +
			`{"cur_date":"2024-06-01","stt":"2024-06-01 10:00:00","id":"1","name":"北京","order_count":2,"order_amount":100.5}` + "\n" +
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
		{[]string{"--data-dir", dir, "query"}, 2, "accepts 1 arg"},
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
