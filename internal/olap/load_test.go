package olap_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
	"github.com/rtdw/rtdw/internal/stream"
)

var bg = context.Background()

// crashingSink loads every batch, then reports a failure for the first
// `crashes` batches, as if the process died after the load and before the
// checkpoint committed: the task restarts and replays those rows.
type crashingSink struct {
	olap.Sink
	mu      sync.Mutex
	crashes int
	labels  []string
}

func (c *crashingSink) Upsert(ctx context.Context, table string, rows [][]byte) error {
	if err := c.Sink.Upsert(ctx, table, rows); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, _ := olap.Label(ctx)
	c.labels = append(c.labels, l)
	if c.crashes > 0 {
		c.crashes--
		return errors.New("injected crash after the load, before the checkpoint")
	}
	return nil
}

func produce(t *testing.T, l rlog.Log, rows ...string) {
	t.Helper()
	var recs []rlog.Record
	for _, r := range rows {
		// Keyed by province, so a province's rows stay in order in one partition.
		key := r
		if i := strings.Index(r, `"province_id":"`); i >= 0 {
			key = r[i : i+17]
		}
		recs = append(recs, rlog.Record{Topic: "dws_trade_province_order_window", Partition: rlog.AutoPartition, Key: []byte(key), Value: []byte(r)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
}

func TestLoadJobReplaysIdempotently(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	db, err := duckdb.Open(bg, duckdb.Options{Path: filepath.Join(t.TempDir(), "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := rlog.EnsureTopic(bg, l, "dws_trade_province_order_window", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	row := func(sec int, p, name string, n int, amt string) string {
		return string(olaptest.Row(sec, p, name, n, amt))
	}
	produce(t, l,
		row(0, "1", "北京", 1, "10.00"),
		row(0, "2", "天津", 2, "20.00"),
		row(0, "1", "北京", 2, "25.00"), // the window re-emitted: replaces the first row
		row(10, "3", "河北", 1, "3.50"),
		`{"stt":"2024-06-01 10:00:00","edt":"2024-06-01 10:00:10","cur_date":"2024-06-01","order_count":1}`,
		`{"stt":"2024-06-01 10:00:00","edt":"2024-06-01 10:00:10","cur_date":"2024-06-01","province_id":"9","order_count":"many"}`,
		`{"stt":"10:00","edt":"2024-06-01 10:00:10","cur_date":"2024-06-01","province_id":"9"}`,
		`not json`,
	)
	sink := &crashingSink{Sink: db, crashes: 2}
	opts := stream.Options{Log: l, Drain: true, Interval: 10 * time.Millisecond, MaxRestarts: 10, Metrics: stream.NewMetrics(nil)}
	tables := []olap.Table{olaptest.ProvinceTable()}
	if err := stream.Run(bg, opts, olap.LoadJob("dws_load", tables, sink)); err != nil {
		t.Fatal(err)
	}
	want := "2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | 2 | 25\n" +
		"2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 2 | 天津 | 2 | 20\n" +
		"2024-06-01 10:00:10 | 2024-06-01 10:00:20 | 2024-06-01 | 3 | 河北 | 1 | 3.5\n"
	if got := olaptest.Dump(t, db); got != want {
		t.Fatalf("after a drain with 2 crashes between load and checkpoint:\n%s\nwant:\n%s", got, want)
	}
	// Each crashed batch was loaded again under the same label.
	seen := map[string]int{}
	for _, lb := range sink.labels {
		seen[lb]++
		if !strings.HasPrefix(lb, "rtdw_dws_load_dws_trade_province_order_window_p") || len(lb) > 128 {
			t.Fatalf("label %q", lb)
		}
	}
	replayed := 0
	for _, n := range seen {
		if n > 1 {
			replayed++
		}
	}
	if replayed == 0 {
		t.Fatalf("no batch was replayed under its label: %v", sink.labels)
	}
	// Bad rows are dead letters with their reasons, counted.
	var reasons []string
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		reason, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		reasons = append(reasons, reason)
	}
	if got := strings.Join(sortStrings(reasons), ","); got != "olap_bad_value,olap_bad_value,olap_malformed_json,olap_missing_key" {
		t.Fatalf("dead letter reasons: %s", got)
	}
	if n := testutil.ToFloat64(opts.Metrics.DeadLetters.WithLabelValues("dws_load", "olap_bad_value")); n != 2 {
		t.Fatalf("dead letters counted: %v", n)
	}

	// The whole input replayed by a job that starts from scratch (a new
	// group): still one row per key.
	if err := stream.Run(bg, opts, olap.LoadJob("dws_load_again", tables, db)); err != nil {
		t.Fatal(err)
	}
	if got := olaptest.Dump(t, db); got != want {
		t.Fatalf("after replaying everything:\n%s\nwant:\n%s", got, want)
	}

	// A later re-emission of a window with new values replaces its row.
	produce(t, l, row(10, "3", "河北", 2, "7.25"))
	if err := stream.Run(bg, opts, olap.LoadJob("dws_load", tables, db)); err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(want, "3 | 河北 | 1 | 3.5", "3 | 河北 | 2 | 7.25", 1)
	if got := olaptest.Dump(t, db); got != want {
		t.Fatalf("after a re-emitted window:\n%s\nwant:\n%s", got, want)
	}
	// Embedded tasks have no zombies (stream.Context.Exclusive): DuckDB
	// gets plain writes, no versions (the Harness-driven zombie test,
	// TestLoadJobFencesAZombie, covers the versioned path).
	if has, err := olap.HasTable(bg, db, "_rtdw_versions"); err != nil {
		t.Fatal(err)
	} else if has {
		res, err := db.Query(bg, "SELECT count(*) FROM _rtdw_versions")
		if err != nil {
			t.Fatal(err)
		}
		if n := fmt.Sprint(res.Rows[0][0]); n != "0" {
			t.Fatalf("an embedded load wrote %s versions", n)
		}
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestLoadJobPanicsOnAnInvalidTable(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "key column") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	bad := olaptest.ProvinceTable()
	bad.Key = []string{"province_id"}
	olap.LoadJob("x", []olap.Table{bad}, nil)
}
