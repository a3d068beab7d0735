package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

func open(t *testing.T) olap.Sink {
	s, err := duckdb.Open(context.Background(), duckdb.Options{Path: filepath.Join(t.TempDir(), "olap", "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { olaptest.Run(t, open) }

// The dashboard queries while a job loads: reads see whole batches only.
func TestQueriesWhileLoading(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := range 50 {
			// Each batch adds two rows of one order each.
			if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(i*10, "1", "a", 1, "1"), olaptest.Row(i*10, "2", "b", 1, "1")}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for loading := true; loading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			loading = false
		default:
		}
		res, err := s.Query(ctx, "SELECT COUNT(*) FROM dws_trade_province_order_window")
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0][0].(int64); n%2 != 0 {
			t.Fatalf("a query saw %d rows: half a batch", n)
		}
	}
	if got := olaptest.Format(must(s.Query(ctx, "SELECT COUNT(*) FROM gmall_realtime.dws_trade_province_order_window"))); got != "100\n" {
		t.Fatalf("rows after the loads (table named with its database): %q", got)
	}
}

func must(r *olap.Result, err error) *olap.Result {
	if err != nil {
		panic(err)
	}
	return r
}

// Rows survive a reopen; a read-only open (rtdw query) reads them and
// cannot change them.
func TestReopenAndReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gmall_realtime.duckdb")
	if _, err := duckdb.Open(ctx, duckdb.Options{Path: path + ".missing", ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file: no error")
	}
	s, err := duckdb.Open(ctx, duckdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 3, "4.50")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := duckdb.Open(ctx, duckdb.Options{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := olaptest.Dump(t, ro); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 3 | 4.5\n" {
		t.Fatalf("after reopen: %q", got)
	}
	if _, err := ro.Query(ctx, "DELETE FROM dws_trade_province_order_window"); err == nil {
		t.Fatal("a delete through a read-only sink succeeded")
	}
}

// TestDeletes: the shared olap.Deleter check (rows deleted by key, a
// second delete of the same keys changes nothing).
func TestDeletes(t *testing.T) { olaptest.Deletes(t, open(t)) }

// Queries see the warehouse tables only, on the sink the warehouse loads
// (whose Querier serves the dashboard API) as on a read-only one (rtdw
// query): no file read or written, no extension installed, no setting
// changed, one statement at a time; loads go on. With AllowExternalAccess
// files are readable.
func TestQueriesConfined(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "gmall_realtime.duckdb")
	s, err := duckdb.Open(ctx, duckdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	load := func(i int) {
		t.Helper()
		if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(i*10, "1", "北京", 1, "4.50")}); err != nil {
			t.Fatal(err)
		}
	}
	load(0)
	out := t.TempDir()
	csvFile := filepath.Join(t.TempDir(), "ok.csv")
	if err := os.WriteFile(csvFile, []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	escapes := []string{
		"COPY dws_trade_province_order_window TO '" + filepath.Join(out, "copy.csv") + "'",
		"EXPORT DATABASE '" + filepath.Join(out, "export") + "'",
		"SELECT * FROM read_csv('/etc/passwd')",
		"INSTALL httpfs",
		"SELECT * FROM read_csv('" + csvFile + "')",
		"ATTACH '" + filepath.Join(out, "other.duckdb") + "' AS other",
	}
	confined := func(name string, q olap.Querier) {
		t.Helper()
		for _, sql := range escapes {
			if _, err := q.Query(ctx, sql); err == nil || !strings.Contains(err.Error(), "disabled by configuration") {
				t.Errorf("%s: %q: %v, want refused as external access", name, sql, err)
			}
		}
		for _, sql := range []string{"SET enable_external_access = true", "RESET enable_external_access", "SET memory_limit = '100GB'"} {
			if _, err := q.Query(ctx, sql); err == nil || !strings.Contains(err.Error(), "locked") {
				t.Errorf("%s: %q: %v, want the locked configuration to refuse it", name, sql, err)
			}
		}
		// Several statements would run outside the rolled-back transaction.
		if _, err := q.Query(ctx, "ROLLBACK; DELETE FROM dws_trade_province_order_window"); err == nil || !strings.Contains(err.Error(), "one SQL statement") {
			t.Errorf("%s: two statements: %v", name, err)
		}
		if got := olaptest.Format(must(q.Query(ctx, "SELECT COUNT(*) FROM dws_trade_province_order_window;"))); got == "0\n" {
			t.Errorf("%s: the rows are gone", name)
		}
	}
	confined("loading sink", s)
	load(1) // loads are not affected
	if got := olaptest.Format(must(s.Query(ctx, "SELECT COUNT(*) FROM dws_trade_province_order_window"))); got != "2\n" {
		t.Fatalf("rows after a load: %q", got)
	}
	s.Close()
	ro, err := duckdb.Open(ctx, duckdb.Options{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	confined("read-only sink", ro)
	ro.Close()
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("refused queries left files behind: %v", ents)
	}
	allowed, err := duckdb.Open(ctx, duckdb.Options{Path: path, ReadOnly: true, AllowExternalAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	defer allowed.Close()
	if got := olaptest.Format(must(allowed.Query(ctx, "SELECT a FROM read_csv('"+csvFile+"')"))); got != "1\n" {
		t.Errorf("read_csv with external access allowed: %q", got)
	}
}

// WithExactDecimals: DECIMALs come back as DecimalStrings with all their
// digits and their scale; without it, as float64.
func TestExactDecimals(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	sql := "SELECT CAST('12345678901234567.89' AS DECIMAL(38,2)), CAST(-0.05 AS DECIMAL(16,2)), CAST(0 AS DECIMAL(16,2)), CAST(7 AS DECIMAL(4,0)), CAST(NULL AS DECIMAL(16,2))"
	res := must(s.Query(olap.WithExactDecimals(ctx), sql))
	want := []any{olap.DecimalString("12345678901234567.89"), olap.DecimalString("-0.05"), olap.DecimalString("0.00"), olap.DecimalString("7"), nil}
	if !reflect.DeepEqual(res.Rows[0], want) {
		t.Errorf("exact: %#v, want %#v", res.Rows[0], want)
	}
	if res := must(s.Query(ctx, sql)); res.Rows[0][1] != -0.05 {
		t.Errorf("not exact: %#v", res.Rows[0])
	}
}

// A zombie load task's late writes are refused (olap.VersionedSink).
func TestVersionedWrites(t *testing.T) { olaptest.Versioned(t, open(t)) }
