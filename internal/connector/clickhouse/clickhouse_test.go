package clickhouse_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/clickhouse"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

func openOn(t *testing.T, f *fake, password string) *clickhouse.Sink {
	s, err := clickhouse.Open(context.Background(), clickhouse.Options{URL: f.srv.URL, User: f.user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	olaptest.Run(t, func(t *testing.T) olap.Sink { f := newFake(t); return openOn(t, f, f.pass) })
}

// A replayed batch carries the same deduplication token and is dropped.
func TestInsertDeduplication(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	s := openOn(t, f, f.pass)
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	a := olap.WithLabel(ctx, "rtdw_job_t_p0_0_0_aaa")
	if err := s.Upsert(a, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 1, "1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(olap.WithLabel(ctx, "rtdw_job_t_p0_1_1_bbb"), tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 2, "2")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(a, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 1, "1")}); err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Dump(t, s); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 2 | 2\n" {
		t.Fatalf("table: %q", got)
	}
	if f.inserts != 2 {
		t.Fatalf("%d inserts stored rows, want 2 (the replay is deduplicated)", f.inserts)
	}
	if err := openOn(t, f, "wrong").EnsureTable(ctx, tb); err == nil || !strings.Contains(err.Error(), "Authentication failed") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestDDL(t *testing.T) {
	got := clickhouse.CreateTableSQL("gmall_realtime", olaptest.ProvinceTable())
	want := "CREATE TABLE IF NOT EXISTS `gmall_realtime`.`dws_trade_province_order_window` (`stt` DateTime, `edt` DateTime, `cur_date` Date, `province_id` String, " +
		"`province_name` Nullable(String), `order_count` Nullable(Int64), `order_amount` Nullable(Decimal(16, 2)), " +
		"`_rtdw_version` UInt64 DEFAULT 0, `_rtdw_is_deleted` UInt8 DEFAULT 0) ENGINE = ReplacingMergeTree(`_rtdw_version`, `_rtdw_is_deleted`) PARTITION BY `cur_date` " +
		"ORDER BY (`stt`, `edt`, `cur_date`, `province_id`) SETTINGS non_replicated_deduplication_window = 1000"
	if got != want {
		t.Fatalf("DDL:\n%s\nwant:\n%s", got, want)
	}
}

func TestDeletes(t *testing.T) {
	f := newFake(t)
	olaptest.Deletes(t, openOn(t, f, f.pass))
	if f.deletes != 3 {
		t.Fatalf("%d DELETEs, want 3", f.deletes)
	}
}

// A zombie load task's late writes are refused: the versions and delete
// flags of ReplacingMergeTree(_rtdw_version, _rtdw_is_deleted).
func TestVersionedWrites(t *testing.T) {
	f := newFake(t)
	olaptest.Versioned(t, openOn(t, f, f.pass))
	if f.deletes != 0 {
		t.Fatalf("%d lightweight DELETEs: versioned deletes insert tombstones", f.deletes)
	}
}

// A table created before versioned writes (a plain ReplacingMergeTree,
// whose engine cannot be altered) still loads, with plain writes.
func TestVersionedWritesIntoAnOldTable(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	tb := olaptest.ProvinceTable()
	old := strings.NewReplacer(", `_rtdw_version` UInt64 DEFAULT 0, `_rtdw_is_deleted` UInt8 DEFAULT 0", "",
		"ReplacingMergeTree(`_rtdw_version`, `_rtdw_is_deleted`)", "ReplacingMergeTree").Replace(clickhouse.CreateTableSQL("gmall_realtime", tb))
	for _, ddl := range []string{"CREATE DATABASE IF NOT EXISTS `gmall_realtime`", old} {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL, strings.NewReader(ddl))
		req.Header.Set("X-ClickHouse-User", f.user)
		req.Header.Set("X-ClickHouse-Key", f.pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d", ddl, resp.StatusCode)
		}
	}
	s := openOn(t, f, f.pass)
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertVersioned(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 1, "1"), olaptest.Row(0, "2", "天津", 2, "2")}, []uint64{5, 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVersioned(ctx, tb.Name, [][]byte{olaptest.Row(0, "2", "", 0, "0")}, []uint64{5}); err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Dump(t, s); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 1 | 1\n" {
		t.Fatalf("table: %q", got)
	}
	if f.deletes != 1 {
		t.Fatalf("%d lightweight DELETEs, want 1 (a plain delete)", f.deletes)
	}
}
