package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

// A load tries a plain INSERT first. One that finds a key loaded already
// writes nothing and is done again as INSERT OR REPLACE, and the table's
// next replaceLoads loads replace at once; then INSERT is tried again.
// Whatever the path, the table holds each key once, with its last row.
func TestInsertFirstThenReplace(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "t.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	upsert := func(rows ...[]byte) {
		t.Helper()
		if err := s.Upsert(ctx, tb.Name, rows); err != nil {
			t.Fatal(err)
		}
	}
	dump := func() string { t.Helper(); return olaptest.Dump(t, s) }

	upsert(olaptest.Row(0, "1", "a", 1, "1.00"), olaptest.Row(0, "2", "b", 2, "2.00"))
	if n := s.replaces[tb.Name]; n != 0 {
		t.Fatalf("new keys: %d replacing loads to come, want 0", n)
	}
	// Province 2 again, with province 3: the INSERT fails as a whole.
	upsert(olaptest.Row(0, "2", "b", 5, "5.00"), olaptest.Row(0, "3", "c", 3, "3.00"))
	if n := s.replaces[tb.Name]; n != replaceLoads {
		t.Fatalf("after a conflict: %d replacing loads to come, want %d", n, replaceLoads)
	}
	want := "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | a | 1 | 1\n" +
		"2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 2 | b | 5 | 5\n" +
		"2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 3 | c | 3 | 3\n"
	if got := dump(); got != want {
		t.Fatalf("after the replace:\n%s\nwant:\n%s", got, want)
	}
	for i := range replaceLoads {
		upsert(olaptest.Row(10+i, "1", "a", 1, "1.00"))
	}
	if n := s.replaces[tb.Name]; n != 0 {
		t.Fatalf("after %d loads: %d replacing loads to come", replaceLoads, n)
	}
	upsert(olaptest.Row(0, "1", "a", 7, "7.00")) // INSERT again: fails, replaces
	if n := s.replaces[tb.Name]; n != replaceLoads {
		t.Fatalf("a conflict after the replacing loads: %d to come, want %d", n, replaceLoads)
	}
	res, err := s.Query(ctx, "SELECT count(*), sum(order_count) FROM dws_trade_province_order_window")
	if err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Format(res); got != "19 | 31\n" { // 3 + 16 rows; 7 + 5 + 3 + 16
		t.Fatalf("count | sum = %q, want 19 | 31", got)
	}
}
