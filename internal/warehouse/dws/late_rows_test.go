package dws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

// detailLine is an order detail of dwd_trade_order_detail at t0+sec.
func detailLine(id, sec, sku, province int, cents int64) string {
	amt := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	return fmt.Sprintf(`{"id":%d,"order_id":%d,"user_id":%d,"sku_id":%d,"sku_name":"s","province_id":%d,"activity_id":null,`+
		`"activity_rule_id":null,"coupon_id":null,"date_id":"2026-11-21","create_time":"2026-11-21 09:00:00","sku_num":1,`+
		`"split_original_amount":%s,"split_activity_amount":0.00,"split_coupon_amount":0.00,"split_total_amount":%s,"ts":%d}`,
		id, id, id%7, sku, province, amt, amt, (t0/1000)+int64(sec))
}

// dwdSums sums split_total_amount (cents) per window start and dimension
// (sku_id or province_id) of the details, for windows starting before
// t0+before seconds.
func dwdSums(t *testing.T, lines []string, dim string, before int) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		ts, _ := d["ts"].(json.Number).Int64()
		start := ts*1000 - (ts*1000)%10_000
		if start >= t0+int64(before)*1000 {
			continue
		}
		c, ok := parseCents(d["split_total_amount"].(json.Number).String())
		if !ok {
			t.Fatalf("amount of %s", line)
		}
		out[fmt.Sprintf("%s/%s", time.UnixMilli(start).In(Shanghai()).Format(time.DateTime), d[dim])] += c
	}
	return out
}

// dwsSums reads a DWS topic: the last row per key (rows are upserts), as
// order_amount (cents) per stt and dimension, for the windows starting
// before t0+before seconds; and how many keys were emitted more than once.
func dwsSums(t *testing.T, l rlog.Log, table, dim string, before int) (map[string]int64, int) {
	t.Helper()
	if _, err := l.DescribeTopic(context.Background(), table); err != nil {
		return nil, 0
	}
	last := map[string][]byte{}
	seen := map[string]int{}
	for _, r := range logtest.ReadAll(t, l, table) {
		last[string(r.Key)] = r.Value
		seen[string(r.Key)]++
	}
	cutoff := time.UnixMilli(t0 + int64(before)*1000).In(Shanghai()).Format(time.DateTime)
	out := map[string]int64{}
	for _, v := range last {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatal(err)
		}
		stt, _ := row["stt"].(string)
		if stt >= cutoff {
			continue
		}
		amount, _ := row["order_amount"].(json.Number)
		c, ok := parseCents(amount.String())
		if !ok {
			t.Fatalf("order_amount of %s", v)
		}
		out[fmt.Sprintf("%s/%v", stt, row[dim])] += c
	}
	again := 0
	for _, n := range seen {
		if n > 1 {
			again++
		}
	}
	return out, again
}

func sumsDiff(want, got map[string]int64) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		if want[k] != got[k] {
			fmt.Fprintf(&b, "  %s: DWS %d, DWD %d\n", k, got[k], want[k])
		}
	}
	return b.String()
}

// Issue 16, case 1: a restart must not lose orders. A live run reads order
// details on three of four partitions; the fourth is empty, goes idle, and
// the windows up to 09:00:50 fire. The run stops. Before the restart the
// fourth partition receives a delayed batch of details of 09:00:03 to
// 09:00:35 (a DWD task that caught up late), the others more details. The
// restarted run starts from the checkpointed watermark (09:00:57), so
// every delayed detail comes after its window fired: within the allowed
// lateness it updates its window, whose row is emitted again, and the DWS
// sums of sku and province order amounts equal the DWD sums, window by
// window; nothing is dead-lettered as late. Polls with a generous
// deadline; the outcome does not depend on timing.
func TestRestartCatchUpLateDetailsUpdateRows(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, TopicOrderDetail, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	var all []string
	produce := func(p int32, lines ...string) {
		t.Helper()
		var recs []rlog.Record
		for _, line := range lines {
			recs = append(recs, rlog.Record{Topic: TopicOrderDetail, Partition: p, Key: inputKey(TopicOrderDetail, []byte(line)), Value: []byte(line)})
		}
		if err := l.Produce(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		all = append(all, lines...)
	}
	busy := func(from, to int) { // one detail a second on partitions 0-2
		for p := range 3 {
			var lines []string
			for s := from; s <= to; s++ {
				id := 1000 + s*3 + p
				lines = append(lines, detailLine(id, s, 1+(s+p)%3, 1+p%2, 10_000+int64(s)*131+int64(p)*17))
			}
			produce(int32(p), lines...)
		}
	}
	cfg := Config{Dims: openDims(t), LookupMissRetry: -1, IdleTimeout: 100 * time.Millisecond}
	run := func() (stop func()) {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- stream.Run(rctx, stream.Options{Log: l, Interval: 20 * time.Millisecond, Partitions: 4, Logger: slog.New(slog.DiscardHandler)},
				SkuOrder(cfg), ProvinceOrder(cfg))
		}()
		return func() {
			t.Helper()
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	// waitEqual polls until both tables hold the DWD sums of the windows
	// starting before t0+before seconds.
	waitEqual := func(what string, before int) (reemitted int) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			wantSku, wantProv := dwdSums(t, all, "sku_id", before), dwdSums(t, all, "province_id", before)
			gotSku, againSku := dwsSums(t, l, TableSkuOrder, "sku_id", before)
			gotProv, againProv := dwsSums(t, l, TableProvinceOrder, "province_id", before)
			diff := sumsDiff(wantSku, gotSku) + sumsDiff(wantProv, gotProv)
			if diff == "" {
				return againSku + againProv
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the DWS sums differ from the DWD sums:\n%s", what, diff)
			}
		}
	}

	busy(0, 60) // watermark 09:00:57 once partition 3 is idle: windows before 09:00:50 fire
	stop := run()
	waitEqual("first run", 50)
	stop()

	var delayed []string
	for s := 3; s <= 35; s += 2 {
		delayed = append(delayed, detailLine(5000+s, s, 1+s%3, 1+s%2, 20_000+int64(s)*7))
	}
	produce(3, delayed...)
	busy(61, 90) // watermark 09:01:27: windows before 09:01:20 fire
	stop = run()
	reemitted := waitEqual("after the restart", 80)
	stop()

	if reemitted == 0 {
		t.Fatal("no row was emitted twice: no detail came after its window fired")
	}
	if _, err := l.DescribeTopic(ctx, TopicDirty); err == nil {
		for _, r := range logtest.ReadAll(t, l, TopicDirty) {
			t.Errorf("dead letter %s: %s", r.Header(stream.HeaderReason), r.Value)
		}
	}
}
