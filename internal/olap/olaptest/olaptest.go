// Package olaptest is the conformance suite every olap.Sink passes: the
// same hand-written rows and expected answers for DuckDB, PostgreSQL, and
// the Stream Load and ClickHouse protocol fakes.
package olaptest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
)

// ProvinceTable is a hand-written copy of dws_trade_province_order_window's
// columns (SPEC §4), the example table of the tests.
func ProvinceTable() olap.Table {
	return olap.Table{
		Name: "dws_trade_province_order_window",
		Columns: []olap.Column{
			{Name: "stt", Type: olap.DateTime},
			{Name: "edt", Type: olap.DateTime},
			{Name: "cur_date", Type: olap.Date},
			{Name: "province_id", Type: olap.String},
			{Name: "province_name", Type: olap.String},
			{Name: "order_count", Type: olap.Int64},
			{Name: "order_amount", Type: olap.Decimal},
		},
		Key:         []string{"stt", "edt", "cur_date", "province_id"},
		PartitionBy: "cur_date",
	}
}

// Row is one JSON row of ProvinceTable for the 10-second window starting
// sec seconds after 2024-06-01 10:00:00.
func Row(sec int, province, name string, count int, amount string) []byte {
	stt := time.Date(2024, 6, 1, 10, 0, sec, 0, time.UTC)
	return fmt.Appendf(nil, `{"stt":%q,"edt":%q,"cur_date":"2024-06-01","province_id":%q,"province_name":%q,"order_count":%d,"order_amount":%s}`,
		stt.Format(olap.DateTimeLayout), stt.Add(10*time.Second).Format(olap.DateTimeLayout), province, name, count, amount)
}

// Dump is the whole ProvinceTable, one line per row ordered by key, values
// formatted by olap.FormatValue and separated by " | ".
func Dump(t testing.TB, q olap.Querier) string {
	t.Helper()
	res, err := q.Query(context.Background(), "SELECT stt, edt, cur_date, province_id, province_name, order_count, order_amount FROM dws_trade_province_order_window ORDER BY stt, province_id")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	return Format(res)
}

// Format renders a result as Dump does.
func Format(res *olap.Result) string {
	var b strings.Builder
	for _, r := range res.Rows {
		for i, v := range r {
			if i > 0 {
				b.WriteString(" | ")
			}
			var typ olap.Type
			if i < len(res.Types) {
				typ = res.Types[i]
			}
			if v == nil {
				b.WriteString("NULL")
				continue
			}
			b.WriteString(olap.FormatValue(v, typ))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Run runs the suite; open returns a new, empty sink for each subtest.
func Run(t *testing.T, open func(t *testing.T) olap.Sink) {
	ctx := context.Background()
	table := ProvinceTable()
	ensure := func(t *testing.T, s olap.Sink) {
		t.Helper()
		if err := s.EnsureTable(ctx, table); err != nil {
			t.Fatalf("EnsureTable: %v", err)
		}
	}
	upsert := func(t *testing.T, s olap.Sink, rows ...[]byte) {
		t.Helper()
		if err := s.Upsert(ctx, table.Name, rows); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
	}
	check := func(t *testing.T, s olap.Sink, want string) {
		t.Helper()
		if got := Dump(t, s); got != want {
			t.Fatalf("table:\n%s\nwant:\n%s", got, want)
		}
	}

	t.Run("UpsertReplacesByKey", func(t *testing.T) {
		s := open(t)
		ensure(t, s)
		ensure(t, s) // idempotent
		upsert(t, s, Row(0, "1", "北京", 2, "100.50"), Row(0, "2", "天津", 1, "9.90"), Row(10, "1", "北京", 1, "5"))
		want := "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 2 | 100.5\n" +
			"2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 2 | 天津 | 1 | 9.9\n" +
			"2024-06-01 10:00:10 | 2024-06-01 10:00:20 | 2024-06-01 | 1 | 北京 | 1 | 5\n"
		check(t, s, want)
		// The same batch again (a replay): nothing changes.
		upsert(t, s, Row(0, "1", "北京", 2, "100.50"), Row(0, "2", "天津", 1, "9.90"), Row(10, "1", "北京", 1, "5"))
		check(t, s, want)
		// A re-emitted window replaces its row.
		upsert(t, s, Row(0, "2", "天津", 3, "29.70"))
		check(t, s, "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 2 | 100.5\n"+
			"2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 2 | 天津 | 3 | 29.7\n"+
			"2024-06-01 10:00:10 | 2024-06-01 10:00:20 | 2024-06-01 | 1 | 北京 | 1 | 5\n")
	})

	t.Run("HasTableInItsOwnSchema", func(t *testing.T) {
		s := open(t)
		if _, ok := s.(olap.SchemaOwner); !ok {
			t.Fatal("the sink does not tell its schema (olap.SchemaOwner)")
		}
		ensure(t, s)
		for name, want := range map[string]bool{table.Name: true, table.Name + "_missing": false} {
			if has, err := olap.HasTable(ctx, s, name); err != nil || has != want {
				t.Fatalf("HasTable(%s) = %v, %v; want %v", name, has, err, want)
			}
		}
	})

	t.Run("LastRowOfAKeyInABatchWins", func(t *testing.T) {
		s := open(t)
		ensure(t, s)
		upsert(t, s, Row(0, "1", "北京", 1, "1"), Row(0, "1", "北京", 2, "2"), Row(0, "1", "北京", 3, "3.333"))
		check(t, s, "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 3 | 3.33\n")
	})

	t.Run("NullsDecimalsAndAggregates", func(t *testing.T) {
		s := open(t)
		ensure(t, s)
		upsert(t, s,
			[]byte(`{"stt":"2024-06-01 23:59:50","edt":"2024-06-02 00:00:00","cur_date":"2024-06-01","province_id":7,"order_count":"4","order_amount":0.125}`),
			Row(0, "8", "河北", 1, "123456789012.345"))
		check(t, s, "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 8 | 河北 | 1 | 123456789012.35\n"+
			"2024-06-01 23:59:50 | 2024-06-02 00:00:00 | 2024-06-01 | 7 | NULL | 4 | 0.13\n")
		res, err := s.Query(ctx, "SELECT SUM(order_amount) AS gmv, COUNT(*) AS n FROM dws_trade_province_order_window WHERE cur_date = '2024-06-01'")
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(res); got != "123456789012.48 | 2\n" || strings.Join(res.Columns, ",") != "gmv,n" {
			t.Fatalf("aggregate: columns %v rows %q", res.Columns, got)
		}
	})

	t.Run("BadRowFailsTheWholeBatch", func(t *testing.T) {
		s := open(t)
		ensure(t, s)
		err := s.Upsert(ctx, table.Name, [][]byte{Row(0, "1", "北京", 1, "1"), []byte(`{"stt":"2024-06-01 10:00:00"}`)})
		if err == nil || !strings.Contains(err.Error(), "olap_missing_key") {
			t.Fatalf("Upsert with a row without its key: err = %v, want olap_missing_key", err)
		}
		check(t, s, "")
		if err := s.Upsert(ctx, "no_such_table", [][]byte{Row(0, "1", "北京", 1, "1")}); err == nil {
			t.Fatal("Upsert into a table never ensured: no error")
		}
		if _, err := s.Query(ctx, "SELEC nonsense"); err == nil {
			t.Fatal("bad SQL: no error")
		}
	})

	t.Run("ConcurrentEnsureAndLoad", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for p := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.EnsureTable(ctx, table); err != nil {
					errs <- err
					return
				}
				for i := range 5 {
					if err := s.Upsert(ctx, table.Name, [][]byte{Row(i*10, fmt.Sprint(p), "p", i, "1.00")}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		res, err := s.Query(ctx, "SELECT COUNT(*), SUM(order_count) FROM dws_trade_province_order_window")
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(res); got != "20 | 40\n" {
			t.Fatalf("after 4 concurrent loaders: %q, want 20 rows summing to 40", got)
		}
	})
}

// Deletes checks an olap.Deleter: upserted rows deleted by key (JSON of
// the key columns, or whole rows), a missing key and a second delete
// changing nothing, a key upserted again after its delete.
func Deletes(t *testing.T, s olap.Sink) {
	t.Helper()
	ctx := context.Background()
	d, ok := s.(olap.Deleter)
	if !ok {
		t.Fatalf("%T is no olap.Deleter", s)
	}
	tb := ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	load := func(label string, rows ...[]byte) {
		t.Helper()
		if err := s.Upsert(olap.WithLabel(ctx, label), tb.Name, rows); err != nil {
			t.Fatal(err)
		}
	}
	del := func(label string, keys ...[]byte) {
		t.Helper()
		if err := d.Delete(olap.WithLabel(ctx, label), tb.Name, keys); err != nil {
			t.Fatal(err)
		}
	}
	load("rtdw_del_1", Row(0, "1", "北京", 1, "1.50"), Row(0, "2", "上海", 2, "2"), Row(10, "1", "北京", 3, "3"))
	key := []byte(`{"stt":"2024-06-01 10:00:00","edt":"2024-06-01 10:00:10","cur_date":"2024-06-01","province_id":"1"}`)
	missing := []byte(`{"stt":"2024-06-01 11:00:00","edt":"2024-06-01 11:00:10","cur_date":"2024-06-01","province_id":"9"}`)
	del("rtdw_del_2", key, missing, Row(10, "1", "北京", 3, "3"))
	del("rtdw_del_2", key) // a replay
	del("rtdw_del_3", key)
	if got := Dump(t, s); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 2 | 上海 | 2 | 2\n" {
		t.Fatalf("after deletes:\n%s", got)
	}
	load("rtdw_del_4", Row(0, "1", "北京", 4, "4"))
	if got := Dump(t, s); !strings.Contains(got, "| 1 | 北京 | 4 | 4\n") {
		t.Fatalf("upserted again after the delete:\n%s", got)
	}
}

// Versioned checks an olap.VersionedSink's guard
// (docs/decisions/2026-12-06-fencing-sink-writes.md): the worker that took
// a partition over writes epoch e+1, then a zombie flushes its epoch e
// late; the zombie's writes are refused, equal versions (replays) apply,
// and a delete's version stays behind (a tombstone).
func Versioned(t *testing.T, s olap.Sink) {
	t.Helper()
	ctx := context.Background()
	vs, ok := s.(olap.VersionedSink)
	if !ok {
		t.Fatalf("%T is no olap.VersionedSink", s)
	}
	tb := ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	const e = uint64(220_000_000_000) // about the epoch of a task started in 2026
	v := func(epoch uint64, pos uint64) uint64 { return epoch<<22 | pos }
	names := map[string]string{"1": "北京", "2": "天津", "3": "河北", "4": "山西", "5": "内蒙古"}
	row := func(p string, n int) []byte { return Row(0, p, names[p], n, fmt.Sprint(n)) }
	line := func(p string, n int) string {
		return fmt.Sprintf("2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | %s | %s | %d | %d\n", p, names[p], n, n)
	}
	label := 0
	upsert := func(vers []uint64, rows ...[]byte) {
		t.Helper()
		label++
		if err := vs.UpsertVersioned(olap.WithLabel(ctx, fmt.Sprintf("rtdw_v_%d", label)), tb.Name, rows, vers); err != nil {
			t.Fatalf("UpsertVersioned: %v", err)
		}
	}
	del := func(vers []uint64, keys ...[]byte) {
		t.Helper()
		label++
		if err := vs.DeleteVersioned(olap.WithLabel(ctx, fmt.Sprintf("rtdw_v_%d", label)), tb.Name, keys, vers); err != nil {
			t.Fatalf("DeleteVersioned: %v", err)
		}
	}
	check := func(when, want string) {
		t.Helper()
		if got := Dump(t, s); got != want {
			t.Fatalf("%s:\n%s\nwant:\n%s", when, got, want)
		}
	}

	// Epoch e, committed: keys 1, 2, 3 (a table that also holds a row
	// written without a version, key 5).
	if err := s.Upsert(ctx, tb.Name, [][]byte{row("5", 1)}); err != nil {
		t.Fatal(err)
	}
	upsert([]uint64{v(e, 1), v(e, 1), v(e, 1)}, row("1", 1), row("2", 1), row("3", 1))
	check("epoch e", line("1", 1)+line("2", 1)+line("3", 1)+line("5", 1))

	// The new owner writes epoch e+1: keys 1 and 2, and deletes 3.
	upsert([]uint64{v(e+1, 1), v(e+1, 1)}, row("1", 2), row("2", 2))
	del([]uint64{v(e+1, 1)}, row("3", 0))
	want := line("1", 2) + line("2", 2) + line("5", 1)
	check("epoch e+1", want)

	// The zombie flushes its epoch e late: a newer position in the older
	// epoch. Key 1 is not set back, 3 is not resurrected, 2 not deleted;
	// its write of key 4 (which nobody else wrote) and of the unversioned
	// key 5 apply.
	upsert([]uint64{v(e, 2), v(e, 2), v(e, 2), v(e, 2)}, row("1", 9), row("3", 9), row("4", 9), row("5", 9))
	del([]uint64{v(e, 3)}, row("2", 0))
	want = line("1", 2) + line("2", 2) + line("4", 9) + line("5", 9)
	check("after the zombie's late flush", want)

	// A replay (equal versions) applies again: key 1 overwritten without a
	// version in between comes back to the replayed row; key 3, written
	// without a version, is deleted again by the replayed delete.
	if err := s.Upsert(ctx, tb.Name, [][]byte{row("1", 7), row("3", 7)}); err != nil {
		t.Fatal(err)
	}
	upsert([]uint64{v(e+1, 1)}, row("1", 2))
	del([]uint64{v(e+1, 1)}, row("3", 0))
	check("after a replay of epoch e+1", want)

	// Several writes of one key in a call: the highest version wins,
	// wherever it is.
	upsert([]uint64{v(e+2, 3), v(e+2, 2)}, row("4", 3), row("4", 2))
	want = line("1", 2) + line("2", 2) + line("4", 3) + line("5", 9)
	check("a call with two writes of a key", want)

	// A newer upsert replaces a tombstone; an older delete is then refused.
	upsert([]uint64{v(e+2, 1)}, row("3", 4))
	del([]uint64{v(e+1, 7)}, row("3", 0))
	want = line("1", 2) + line("2", 2) + line("3", 4) + line("4", 3) + line("5", 9)
	check("a newer upsert after a delete", want)

	// A delete of a key never written leaves a tombstone all the same.
	del([]uint64{v(e+2, 1)}, Row(0, "6", "", 0, "0"))
	upsert([]uint64{v(e+1, 1)}, Row(0, "6", "x", 1, "1"))
	check("an older upsert after a delete of a new key", want)
}
