package streamload_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
		`PROPERTIES ("replication_num" = "3", "enable_unique_key_merge_on_write" = "true", "function_column.sequence_type" = "bigint")`
	if got != want {
		t.Fatalf("Doris DDL:\n%s\nwant:\n%s", got, want)
	}
	sr := streamload.CreateTableSQL(olap.KindStarRocks, "gmall_realtime", olaptest.ProvinceTable(), 1, 4)
	if !strings.Contains(sr, "  `order_amount` DECIMAL(16,2) NULL,\n  `_rtdw_version` BIGINT NULL\n) PRIMARY KEY(`stt`, `edt`, `cur_date`, `province_id`)\nPARTITION BY date_trunc('day', `cur_date`)\n") {
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

// Doris: a zombie load task's late writes are refused by the hidden
// sequence column, for upserts and deletes.
func TestVersionedWritesDoris(t *testing.T) {
	f := newFake(t, olap.KindDoris)
	olaptest.Versioned(t, openOn(t, f))
}

// StarRocks: versioned upserts are conditional updates (merge_condition
// on _rtdw_version), so a zombie's late upsert does not replace a newer
// row; deletes are plain (StarRocks has no conditional delete).
func TestVersionedWritesStarRocks(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, olap.KindStarRocks)
	s := openOn(t, f)
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	const e = uint64(220_000_000_000)
	v := func(epoch, pos uint64) uint64 { return epoch<<22 | pos }
	n := 0
	upsert := func(vers []uint64, rows ...[]byte) {
		t.Helper()
		n++
		if err := s.UpsertVersioned(olap.WithLabel(ctx, fmt.Sprintf("rtdw_sr_%d", n)), tb.Name, rows, vers); err != nil {
			t.Fatal(err)
		}
	}
	line := func(p, name string, c int) string {
		return fmt.Sprintf("2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | %s | %s | %d | %d\n", p, name, c, c)
	}
	upsert([]uint64{v(e, 1), v(e, 1)}, olaptest.Row(0, "1", "北京", 1, "1"), olaptest.Row(0, "2", "天津", 1, "1"))
	upsert([]uint64{v(e+1, 1)}, olaptest.Row(0, "1", "北京", 2, "2"))
	// The zombie's epoch e: key 1 stays at e+1; key 2 and a new key 3 apply.
	upsert([]uint64{v(e, 2), v(e, 2), v(e, 2)}, olaptest.Row(0, "1", "北京", 9, "9"), olaptest.Row(0, "2", "天津", 9, "9"), olaptest.Row(0, "3", "河北", 9, "9"))
	want := line("1", "北京", 2) + line("2", "天津", 9) + line("3", "河北", 9)
	if got := olaptest.Dump(t, s); got != want {
		t.Fatalf("after the zombie's upserts:\n%swant:\n%s", got, want)
	}
	// A replay (equal version) applies; of two rows of a key in a call,
	// the higher version wins.
	if err := s.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 7, "7")}); err != nil {
		t.Fatal(err)
	}
	upsert([]uint64{v(e+1, 1), v(e+2, 2), v(e+2, 1)}, olaptest.Row(0, "1", "北京", 2, "2"), olaptest.Row(0, "3", "河北", 4, "4"), olaptest.Row(0, "3", "河北", 3, "3"))
	want = line("1", "北京", 2) + line("2", "天津", 9) + line("3", "河北", 4)
	if got := olaptest.Dump(t, s); got != want {
		t.Fatalf("after a replay:\n%swant:\n%s", got, want)
	}
	res, err := s.Query(ctx, "SELECT _rtdw_version FROM dws_trade_province_order_window WHERE province_id = '3'")
	if err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Format(res); got != fmt.Sprint(v(e+2, 2))+"\n" {
		t.Fatalf("version of key 3: %q", got)
	}
	// Deletes are plain loads with __op = 1.
	if err := s.DeleteVersioned(olap.WithLabel(ctx, "rtdw_sr_d"), tb.Name, [][]byte{olaptest.Row(0, "2", "", 0, "0")}, []uint64{v(e+2, 3)}); err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Dump(t, s); got != line("1", "北京", 2)+line("3", "河北", 4) || f.deletes != 1 {
		t.Fatalf("after a delete (%d rows deleted):\n%s", f.deletes, got)
	}
}

// A table created before versioned writes (no sequence or version
// column) still loads, with plain writes.
func TestVersionedWritesIntoAnOldTable(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{olap.KindDoris, olap.KindStarRocks} {
		t.Run(kind, func(t *testing.T) {
			f := newFake(t, kind)
			s := openOn(t, f)
			tb := olaptest.ProvinceTable()
			old := strings.NewReplacer(`, "function_column.sequence_type" = "bigint"`, "", "NULL,\n  `_rtdw_version` BIGINT NULL\n", "NULL\n").
				Replace(streamload.CreateTableSQL(kind, "gmall_realtime", tb, 1, 4))
			db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/", f.user, f.pass, f.mysqlAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, ddl := range []string{"CREATE DATABASE IF NOT EXISTS `gmall_realtime`", old} {
				if _, err := db.ExecContext(ctx, ddl); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.EnsureTable(ctx, tb); err != nil {
				t.Fatal(err)
			}
			lctx := olap.WithLabel(ctx, "rtdw_old_1")
			if err := s.UpsertVersioned(lctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 1, "1"), olaptest.Row(0, "2", "天津", 2, "2")}, []uint64{5, 5}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteVersioned(olap.WithLabel(ctx, "rtdw_old_2"), tb.Name, [][]byte{olaptest.Row(0, "2", "", 0, "0")}, []uint64{5}); err != nil {
				t.Fatal(err)
			}
			if got := olaptest.Dump(t, s); got != "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 1 | 1\n" {
				t.Fatalf("table: %q", got)
			}
		})
	}
}

// The FE answers its own errors as {"status":"FAILED","msg":...}: the
// message reaches the error (StarRocks/starrocks#30602's shape).
func TestLoadFrontEndError(t *testing.T) {
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"FAILED","msg":"database[db] does not exist"}`)
	}))
	defer fe.Close()
	s, err := streamload.Open(context.Background(), streamload.Options{Kind: "starrocks", FE: fe.URL, QueryAddr: "127.0.0.1:1", User: "root", Database: "db"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Load(context.Background(), streamload.Request{Table: "t", Label: "l1", Body: []byte(`[{"id":1}]`)})
	if err == nil || !strings.Contains(err.Error(), "FAILED: database[db] does not exist") {
		t.Fatalf("error %v, want the FE's msg", err)
	}
}
