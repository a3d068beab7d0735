package exec

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// TestJoinsThroughEngine runs the joins as the planner wires them: two
// typed topics of two partitions, each side re-keyed on its join key
// (KeyByColumns), stream.Connect'ed into the join, drained, so the rows of
// a key meet in one task under the least of the inputs' watermarks.
func TestJoinsThroughEngine(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()
	produce := func(topic string, lines ...string) {
		if _, err := rlog.EnsureTopic(ctx, l, topic, rlog.TopicConfig{Partitions: 2}); err != nil {
			t.Fatal(err)
		}
		var recs []rlog.Record
		for i, v := range lines {
			recs = append(recs, rlog.Record{Topic: topic, Partition: rlog.AutoPartition, Key: []byte(strconv.Itoa(i)),
				Value: []byte(v), Timestamp: int64(1000 + i)})
		}
		if err := l.Produce(ctx, recs...); err != nil {
			t.Fatal(err)
		}
	}
	// The Orders/Shipments data of the interval join script; times in
	// minutes after 10:00.
	orders := row.MustParseSchema("id BIGINT, product STRING, t TIMESTAMP(3)")
	ships := row.MustParseSchema("ship BIGINT, order_id BIGINT, status STRING, t TIMESTAMP(3)")
	produce("orders", "1,iphone,0", "2,mac,2", "3,huawei,3", "4,pad,5")
	produce("ships", "0,1,shipped,60", "1,2,delivered,420", "2,3,shipped,120", "3,4,shipped,90")

	run := func(name string, f stream.Factory) []string {
		var mu sync.Mutex
		var got []string
		j := stream.NewJob(name)
		left := joinEngineSource(j, "orders", orders, 2).KeyByColumns("ko", orders, 0)
		right := joinEngineSource(j, "ships", ships, 3).KeyByColumns("ks", ships, 1)
		stream.Connect("join", f, left, right).Main().Process("collect", Collect(func(r row.Row) {
			mu.Lock()
			got = append(got, r.String())
			mu.Unlock()
		}))
		if err := stream.Run(ctx, stream.Options{Log: l, Drain: true, Partitions: 2, Interval: 10 * time.Millisecond}, j); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	ts := func(min int) string {
		return string(row.AppendTimestamp(nil, time.Date(2020, 4, 1, 10, min, 0, 0, time.UTC).UnixMilli(), 0, 3))
	}
	join := func(id int, product string, om, ship int, status string, sm int) string {
		return fmt.Sprintf("+I[%d, %s, %s, %d, %d, %s, %s]", id, product, strings.TrimSuffix(ts(om), ".000"), ship, id, status, strings.TrimSuffix(ts(sm), ".000"))
	}
	want := []string{join(1, "iphone", 0, 0, "shipped", 60), join(3, "huawei", 3, 2, "shipped", 120), join(4, "pad", 5, 3, "shipped", 90)}
	slices.Sort(want)

	got := run("interval", IntervalJoin(IntervalJoinSpec{LeftSchema: orders, RightSchema: ships, LeftTimeCol: 2, RightTimeCol: 3,
		Upper: 4 * time.Hour, LeftKeys: []int{0}, RightKeys: []int{1}}))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("interval join:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The regular join with the same condition as a residual one.
	got = run("regular", Join(JoinSpec{LeftSchema: orders, RightSchema: ships, LeftKeys: []int{0}, RightKeys: []int{1},
		Cond: func(r *row.Row) (bool, error) {
			d := r.Values[6].Millis() - r.Values[2].Millis()
			return d >= 0 && d <= (4*time.Hour).Milliseconds(), nil
		}}))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("regular join:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if dl := joinEngineCount(t, l, "dirty_data"); dl != 0 {
		t.Errorf("%d dead letters", dl)
	}
}

// joinEngineSource reads a topic of comma-separated values typed by s
// (a TIMESTAMP column: minutes after 2020-04-01 10:00), event time from
// column timeCol, no out-of-orderness.
func joinEngineSource(j *stream.Job, topic string, s *row.Schema, timeCol int) stream.Stream {
	base := time.Date(2020, 4, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
	decode := func() stream.RowDecode {
		return func(value []byte, emit func(*row.Row)) error {
			f := strings.Split(string(value), ",")
			if len(f) != s.Len() {
				return stream.BadInput("bad_csv", "%q", value)
			}
			r := row.Row{Kind: row.Insert, Values: make([]row.Value, len(f))}
			for i, v := range f {
				switch s.Column(i).Type.Kind {
				case row.KindBigInt:
					n, _ := strconv.ParseInt(v, 10, 64)
					r.Values[i] = row.BigInt(n)
				case row.KindTimestamp:
					n, _ := strconv.ParseInt(v, 10, 64)
					r.Values[i] = row.Timestamp(base+n*60_000, 0)
				default:
					r.Values[i] = row.String(v)
				}
			}
			emit(&r)
			return nil
		}
	}
	return j.Source(topic, stream.Decoded(decode), stream.OutOfOrderness(0),
		stream.EventTime(func(rec *stream.Record) (int64, bool) {
			if rec.Row == nil {
				return 0, false
			}
			return rec.Row.Values[timeCol].Millis(), true
		}))
}

func joinEngineCount(t *testing.T, l rlog.Log, topic string) int {
	t.Helper()
	n := 0
	for p := int32(0); p < 4; p++ {
		recs, err := l.Fetch(context.Background(), rlog.TopicPartition{Topic: topic, Partition: p}, 0, 1000, 0)
		if err != nil {
			continue
		}
		for _, r := range recs {
			if r.Header(stream.HeaderControl) == nil {
				n++
			}
		}
	}
	return n
}
