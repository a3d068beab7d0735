package dws

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
)

func TestTables(t *testing.T) {
	ts := Tables()
	if len(ts) != 11 {
		t.Fatalf("%d tables, SPEC §4 has 11", len(ts))
	}
	jobs := map[string]bool{}
	for _, j := range Jobs() {
		jobs[j.Name] = true
	}
	for _, tb := range ts {
		if err := tb.Validate(); err != nil {
			t.Error(err)
		}
		if !jobs[tb.Name] {
			t.Errorf("table %s has no job of its name", tb.Name)
		}
	}
	// Two tables spelled out by hand.
	want := map[string][]string{
		TableSkuOrder: {"stt", "edt", "cur_date", "sku_id", "sku_name", "spu_id", "spu_name", "trademark_id", "trademark_name",
			"category1_id", "category1_name", "category2_id", "category2_name", "category3_id", "category3_name",
			"original_amount", "activity_reduce_amount", "coupon_reduce_amount", "order_amount"},
		TableVcChArIsNewPageView: {"stt", "edt", "cur_date", "vc", "ch", "ar", "is_new", "uv_ct", "sv_ct", "pv_ct", "dur_sum"},
	}
	for _, tb := range ts {
		w, ok := want[tb.Name]
		if !ok {
			continue
		}
		if got := tb.ColumnNames(); !reflect.DeepEqual(got, w) {
			t.Errorf("%s columns:\n got %v\nwant %v", tb.Name, got, w)
		}
	}
	sku := skuOrderTable.olap()
	if !reflect.DeepEqual(sku.Key, []string{"stt", "edt", "cur_date", "sku_id"}) || sku.PartitionBy != "cur_date" {
		t.Errorf("sku key %v partition %s", sku.Key, sku.PartitionBy)
	}
	if c, _ := sku.Column("order_amount"); c.Type != olap.Decimal {
		t.Errorf("order_amount is %s", c.Type)
	}
	if c, _ := sku.Column("stt"); c.Type != olap.DateTime {
		t.Errorf("stt is %s", c.Type)
	}
}

func TestParseCents(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "12": 1200, "12.5": 1250, "12.34": 1234, "0.005": 1, "0.004": 0, "-1.005": -101,
		"2999.00": 299900, ".5": 50, "1e3": 100000, "4999.995": 500000,
	} {
		if got, ok := parseCents(in); !ok || got != want {
			t.Errorf("parseCents(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1.x", "-"} {
		if _, ok := parseCents(bad); ok {
			t.Errorf("parseCents(%q) accepted", bad)
		}
	}
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 1234: "12.34", -1250: "-12.50", 100: "1.00"} {
		if got := string(appendCents(nil, c)); got != want {
			t.Errorf("appendCents(%d) = %s, want %s", c, got, want)
		}
	}
}

func TestSplitKeyword(t *testing.T) {
	for in, want := range map[string][]string{
		"小米手机":      {"小米", "手机"},
		"苹果手机":      {"苹果", "手机"},
		"笔记本":       {"笔记本"},
		"图书":        {"图书"},
		"华为手机 5G":   {"华为", "手机", "5g"},
		"Apple, 口红": {"apple", "口红"},
		" ":         nil,
	} {
		got, err := splitKeyword(in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("splitKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

// Unbounded run: one partition of the input has traffic, the other none.
// The silent partition holds the window stage's watermark back until it
// is idle (IdleTimeout); then the window its sibling's watermark passed
// closes, while the next one stays open. Polls with a generous deadline.
func TestWindowClosesWhenAnInputGoesIdle(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.CreateTopic(ctx, TopicUserRegister, rlog.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	var recs []rlog.Record
	for _, line := range []string{
		`{"id":1,"create_time":"2026-11-21 09:00:01","ts":1795222801}`,
		`{"id":2,"create_time":"2026-11-21 09:00:05","ts":1795222805}`,
		`{"id":3,"create_time":"2026-11-21 09:00:15","ts":1795222815}`, // watermark 09:00:12
	} {
		recs = append(recs, rlog.Record{Topic: TopicUserRegister, Partition: 0, Value: []byte(line)})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- stream.Run(ctx, stream.Options{Log: l, Interval: 20 * time.Millisecond, Partitions: 2, Logger: slog.New(slog.DiscardHandler)},
			UserRegister(Config{IdleTimeout: 200 * time.Millisecond}))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var rows []rlog.Record
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := l.DescribeTopic(ctx, TableUserRegister); err == nil {
			if rows = logtest.ReadAll(t, l, TableUserRegister); len(rows) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the first window did not close after the silent partition went idle")
		}
	}
	var row map[string]any
	json.Unmarshal(rows[0].Value, &row)
	if len(rows) != 1 || row["stt"] != "2026-11-21 09:00:00" || row["register_ct"] != 2.0 ||
		!strings.HasPrefix(string(rows[0].Key), "2026-11-21 09:00:00|2026-11-21 09:00:10|") {
		t.Fatalf("rows when the first window closed: %s", dumpRecords(rows))
	}
}

func dumpRecords(rs []rlog.Record) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(string(r.Key) + " " + string(r.Value) + "\n")
	}
	return b.String()
}
