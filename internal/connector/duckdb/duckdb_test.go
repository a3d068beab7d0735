package duckdb_test

import (
	"context"
	"path/filepath"
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
