package clickhouse_test

import (
	"context"
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
		"`province_name` Nullable(String), `order_count` Nullable(Int64), `order_amount` Nullable(Decimal(16, 2))) ENGINE = ReplacingMergeTree PARTITION BY `cur_date` " +
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
