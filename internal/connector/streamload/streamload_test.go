package streamload_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/streamload"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

func openOn(t *testing.T, f *fake) *streamload.Sink {
	s, err := streamload.Open(context.Background(), streamload.Options{Kind: f.kind, FE: f.fe.URL, QueryAddr: f.mysqlAddr, User: f.user, Password: f.pass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	for _, kind := range []string{olap.KindDoris, olap.KindStarRocks} {
		t.Run(kind, func(t *testing.T) {
			olaptest.Run(t, func(t *testing.T) olap.Sink { return openOn(t, newFake(t, kind)) })
		})
	}
}

// A batch replayed under its label is not loaded again; a lost response
// and "Publish Timeout" count as loaded; a failed load reports its error URL.
func TestLabels(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{olap.KindDoris, olap.KindStarRocks} {
		t.Run(kind, func(t *testing.T) {
			f := newFake(t, kind)
			s := openOn(t, f)
			tb := olaptest.ProvinceTable()
			if err := s.EnsureTable(ctx, tb); err != nil {
				t.Fatal(err)
			}
			if len(f.ddl) != 1 {
				t.Fatalf("DDL: %q", f.ddl)
			}
			batch := [][]byte{olaptest.Row(0, "1", "北京", 1, "10")}
			lctx := olap.WithLabel(ctx, "rtdw_job_t_p0_0_0_abc")
			f.loseNextAck = true
			if err := s.Upsert(lctx, tb.Name, batch); err == nil {
				t.Fatal("a lost acknowledgement was not reported")
			}
			// The retry (the task's replay) uses the same label: not loaded twice.
			if err := s.Upsert(lctx, tb.Name, batch); err != nil {
				t.Fatalf("replay under the same label: %v", err)
			}
			// Meanwhile the row changed in the table: had the replay loaded, it would be back to 1.
			f.nextStatus = "Publish Timeout"
			if err := s.Upsert(olap.WithLabel(ctx, "rtdw_job_t_p0_1_1_def"), tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 2, "20")}); err != nil {
				t.Fatalf("Publish Timeout is a success: %v", err)
			}
			if err := s.Upsert(lctx, tb.Name, batch); err != nil {
				t.Fatal(err)
			}
			if got := olaptest.Dump(t, s); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 2 | 20\n" {
				t.Fatalf("table: %q", got)
			}
			if f.loads != 4 {
				t.Fatalf("BE saw %d loads, want 4", f.loads)
			}
			// Bad credentials are an error, not a silent success.
			bad, err := streamload.Open(ctx, streamload.Options{Kind: kind, FE: f.fe.URL, QueryAddr: f.mysqlAddr, User: "root", Password: "wrong"})
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			if err := bad.EnsureTable(ctx, tb); err == nil {
				t.Fatal("DDL with a wrong password succeeded")
			}
		})
	}
}

func TestDDL(t *testing.T) {
	got := streamload.CreateTableSQL(olap.KindDoris, "gmall_realtime", olaptest.ProvinceTable(), 3, 8)
	want := "CREATE TABLE IF NOT EXISTS `gmall_realtime`.`dws_trade_province_order_window` (\n" +
		"  `stt` DATETIME NOT NULL,\n" +
		"  `edt` DATETIME NOT NULL,\n" +
		"  `cur_date` DATE NOT NULL,\n" +
		"  `province_id` VARCHAR(256) NOT NULL,\n" +
		"  `province_name` STRING NULL,\n" +
		"  `order_count` BIGINT NULL,\n" +
		"  `order_amount` DECIMAL(16,2) NULL\n" +
		") UNIQUE KEY(`stt`, `edt`, `cur_date`, `province_id`)\n" +
		"AUTO PARTITION BY RANGE (date_trunc(`cur_date`, 'day')) ()\n" +
		"DISTRIBUTED BY HASH(`stt`, `edt`, `cur_date`, `province_id`) BUCKETS 8\n" +
		`PROPERTIES ("replication_num" = "3", "enable_unique_key_merge_on_write" = "true")`
	if got != want {
		t.Fatalf("Doris DDL:\n%s\nwant:\n%s", got, want)
	}
	sr := streamload.CreateTableSQL(olap.KindStarRocks, "gmall_realtime", olaptest.ProvinceTable(), 1, 4)
	if !strings.Contains(sr, ") PRIMARY KEY(`stt`, `edt`, `cur_date`, `province_id`)\nPARTITION BY date_trunc('day', `cur_date`)\n") {
		t.Fatalf("StarRocks DDL:\n%s", sr)
	}
}

// Deletes load the keys with StarRocks' __op or Doris' delete sign.
func TestDeletes(t *testing.T) {
	for _, kind := range []string{olap.KindDoris, olap.KindStarRocks} {
		t.Run(kind, func(t *testing.T) {
			f := newFake(t, kind)
			olaptest.Deletes(t, openOn(t, f))
			if f.deletes != 4 {
				t.Fatalf("%d rows deleted, want 4 (3, the replay refused by its label, then 1)", f.deletes)
			}
		})
	}
}
