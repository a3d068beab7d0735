// Package odstest feeds the jobs that read topic_db in tests: a simulated
// shop day as the shop's log sink writes it (with the rtdw.table and
// rtdw.ts headers), odd records mixed in, the same records without
// headers, and a drained run whose outcome two runs can be compared by.
package odstest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

type capture struct {
	rlog.Log
	recs []rlog.Record
}

func (c *capture) Produce(_ context.Context, recs ...rlog.Record) error {
	for _, r := range recs {
		if r.Topic == ods.TopicDB {
			c.recs = append(c.recs, r)
		}
	}
	return nil
}

// ShopTopicDB returns the topic_db records mock.LogSink writes for a shop
// day of cfg.
func ShopTopicDB(t testing.TB, cfg mock.ShopConfig) []rlog.Record {
	t.Helper()
	sh, err := mock.NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	s := mock.NewLogSink(c, ods.TopicDB, "topic_log")
	ctx := context.Background()
	for {
		ev, ok := sh.Next()
		if !ok {
			break
		}
		if _, err := s.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return c.recs
}

// Extra is an odd topic_db record with the headers a producer could have
// put on it; %[1]d in Value is the time (epoch seconds) it is mixed in at.
type Extra struct {
	Value  string
	Table  string // rtdw.table; "" for none
	TS     bool   // with rtdw.ts (the time it is mixed in at)
	BadTS  string // a rtdw.ts no producer writes, instead
	Reason string // what it is
}

// Extras are malformed records with headers that look valid, headers that
// do not match their records, other formats, and config rows.
var Extras = []Extra{
	{`{"database":"gmall","table":"sku_info"`, "sku_info", true, "", "truncated, header of a table the fact jobs skip"},
	{`{"database":"gmall","table":"order_detail"`, "order_detail", true, "", "truncated, header of a table the order jobs read"},
	{`{"hello":1}`, "cart_info", true, "", "JSON but no change"},
	{`[1,2,3]`, "sku_info", true, "", "JSON but no object"},
	{`{"database":"gmall","table":"favor_info","type":"insert","ts":%[1]d}`, "favor_info", true, "", "no data"},
	{`{"database":"gmall","table":"favor_info","type":"bogus","ts":%[1]d,"data":{"id":1}}`, "favor_info", true, "", "unknown type"},
	{`{"database":"gmall","table":"sku_info","type":"insert","ts":0,"data":{"id":1}}`, "sku_info", false, "", "ts 0"},
	{`{"database":"gmall","table":"sku_info","type":"insert","ts":%[1]d,"data":{"id":990001,"sku_name":"a` + "\x01" + `b"}}`, "sku_info", true, "", "a raw control character (the parser takes it, the validator does not)"},
	{`{"database":"gmall","table":"base_trademark","type":"insert","ts":%[1]d,"data":{}}`, "base_trademark", true, "", "empty data"},
	{`{"database":"gmall","table":"base_trademark","type":"insert","ts":%[1]d,"data":{"tm_name":"no id"}}`, "base_trademark", true, "", "no id"},
	{`{"database":"gmall","table":"sku_info","type":"insert","ts":%[1]d,"data":{"id":1,"x":` + strings.Repeat("[", 320) + strings.Repeat("]", 320) + `}}`, "sku_info", true, "", "nested deeper than the parser goes"},
	{`{"database":"gmall","table":"comment_info","type":"insert","ts":%[1]d,"data":{"id":990002,"user_id":1,"sku_id":1,"appraise":"1201","comment_txt":"ok"}}`, "base_region", true, "", "header names another table than the record"},
	{`{"database":"gmall","table":"favor_info","type":"insert","ts":%[1]d,"data":{"id":990003,"user_id":1,"sku_id":1,"create_time":"2024-06-01 10:00:00"}}`, "sku_info", true, "", "header names another table than the record"},
	{`{"database":"other","table":"order_detail","type":"insert","ts":%[1]d,"data":{"id":1,"order_id":2}}`, "order_detail", true, "", "another database"},
	{`{"database":"other","table":"order_detail","type":"insert","ts":%[1]d,"data":{"id":1,"order_id":2}}`, "sku_info", true, "", "another database, header of another table"},
	{`{"database":"gmall","t\u0061ble":"cart_info","type":"insert","ts":%[1]d,"data":{"id":990004,"user_id":1,"sku_id":1,"sku_num":3}}`, "sku_info", true, "", "escaped key"},
	{`{"database":"gmall","table":"sku_info","type":"table-alter","ts":%[1]d,"def":{}}`, "sku_info", true, "", "DDL"},
	{`{"before":null,"after":{"id":990005,"user_id":1,"sku_id":1,"sku_num":2},"source":{"db":"gmall","table":"cart_info","ts_ms":%[1]d000},"op":"c","ts_ms":%[1]d000}`, "cart_info", true, "", "Debezium"},
	{`{"before":null,"after":{"id":990006,"user_id":1,"sku_id":1,"sku_num":2},"source":{"db":"gmall","table":"cart_info","ts_ms":%[1]d000},"op":"c","ts_ms":%[1]d000}`, "sku_info", true, "", "Debezium, header of another table"},
	{`{"database":"gmall","table":"spu_info","type":"insert","ts":%[1]d,"data":{"id":990007,"spu_name":"s"}}`, "spu_info", false, "abc", "rtdw.ts no producer writes"},
	{`{"database":"gmall","table":"spu_info","type":"insert","ts":%[1]d,"data":{"id":990008,"spu_name":"t"},"op":"c"}`, "spu_info", true, "", "a key of another format's envelope"},
	{`{"database":"gmall_config","table":"table_process_dim","type":"insert","ts":%[1]d,"data":{"source_table":"cart_info","sink_table":"dim_cart_info","sink_family":"info","sink_columns":"id,user_id,sku_num","sink_row_key":"id"}}`, "table_process_dim", true, "", "a config row of dim_app"},
	{`{"database":"gmall_config","table":"table_process_dwd","type":"insert","ts":%[1]d,"data":{"source_table":"cart_info","source_type":"update","sink_table":"dwd_cart_updates","sink_columns":"id,sku_num"}}`, "table_process_dwd", true, "", "a config row of dwd_base_db"},
}

// WithExtras mixes Extras into recs: after every step-th record, the next
// one, at that record's time (so no extra moves a watermark), keyed
// "extra-<i>". Its log timestamp is that time too, as the shop's sink
// writes (a malformed record gets the same event time with or without
// its rtdw.ts header only then: see ods.EventTime).
func WithExtras(recs []rlog.Record, step int) []rlog.Record {
	var out []rlog.Record
	n := 0
	for i, r := range recs {
		out = append(out, r)
		if (i+1)%step != 0 {
			continue
		}
		ms, err := strconv.ParseInt(string(r.Header(topicdb.HeaderTS)), 10, 64)
		if err != nil {
			panic(fmt.Sprintf("odstest: a shop record without rtdw.ts: %s", r.Value))
		}
		e := Extras[n%len(Extras)]
		x := rlog.Record{Topic: r.Topic, Partition: rlog.AutoPartition, Key: []byte("extra-" + strconv.Itoa(n)),
			Value: []byte(fmt.Sprintf(e.Value, ms/1000)), Timestamp: ms}
		if strings.Count(e.Value, "%[1]d") == 0 {
			x.Value = []byte(e.Value)
		}
		if e.Table != "" {
			x.Headers = append(x.Headers, rlog.Header{Key: topicdb.HeaderTable, Value: []byte(e.Table)})
		}
		switch {
		case e.BadTS != "":
			x.Headers = append(x.Headers, rlog.Header{Key: topicdb.HeaderTS, Value: []byte(e.BadTS)})
		case e.TS:
			x.Headers = append(x.Headers, rlog.Header{Key: topicdb.HeaderTS, Value: []byte(strconv.FormatInt(ms, 10))})
		}
		out = append(out, x)
		n++
	}
	return out
}

// Stripped returns recs without their topic_db headers: what a producer
// that does not write them (a user's Maxwell) would have written.
func Stripped(recs []rlog.Record) []rlog.Record {
	out := make([]rlog.Record, len(recs))
	for i, r := range recs {
		r.Headers = ods.StripHeaders(r.Headers)
		out[i] = r
	}
	return out
}

// Drain produces recs into topic_db of a fresh embedded log and runs the
// jobs build returns, drained, with every topic of the given number of
// partitions and a processing-time clock that does not move: no TTL
// expires, no hold times out, and watermarks reach later stages only at
// the end. With one partition a job is one task, so its outcome depends
// on its input alone, record for record (with more, the order in which a
// task reads its repartition input against its own varies, and with it
// what a join emits first).
func Drain(t testing.TB, recs []rlog.Record, partitions int32, build func(l *embedded.Log) []*stream.Job) *embedded.Log {
	return drain(t, recs, partitions, false, build)
}

// DrainThrottled is Drain on a slow machine: the first 300 fetches of
// topic_db partition 1 and the first 100 of partition 1 of every
// repartition topic come back empty, partition 0 of every repartition
// topic gives at most 5 records a fetch, tasks checkpoint (and so pass
// watermarks on) every 5 ms, and the processing-time clock moves 50 ms
// each time it is read (so idle timeouts and processing-time TTLs, were
// they used, would run out). A drained run's outcome must not
// change (docs/reliability.md, "Event time and drains").
func DrainThrottled(t testing.TB, recs []rlog.Record, partitions int32, build func(l *embedded.Log) []*stream.Job) *embedded.Log {
	return drain(t, recs, partitions, true, build)
}

func drain(t testing.TB, recs []rlog.Record, partitions int32, throttle bool, build func(l *embedded.Log) []*stream.Job) *embedded.Log {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()
	if err := l.CreateTopic(ctx, ods.TopicDB, rlog.TopicConfig{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); i += 2000 {
		if err := l.Produce(ctx, recs[i:min(i+2000, len(recs))]...); err != nil {
			t.Fatal(err)
		}
	}
	// After any simulated day: no record is ahead of the clock (future_event_time).
	now := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := stream.Options{Log: l, Drain: true, Partitions: partitions, Interval: time.Hour, Now: func() time.Time { return now }}
	if throttle {
		var ticks atomic.Int64
		opts.Log = &throttledLog{Log: l, starved: map[rlog.TopicPartition]int{}}
		opts.Interval = 5 * time.Millisecond
		opts.Now = func() time.Time { return now.Add(time.Duration(ticks.Add(1)) * 50 * time.Millisecond) }
	}
	if err := stream.Run(ctx, opts, build(l)...); err != nil {
		t.Fatal(err)
	}
	return l
}

// throttledLog starves and throttles fetches (see DrainThrottled).
type throttledLog struct {
	rlog.Log
	mu      sync.Mutex
	starved map[rlog.TopicPartition]int // empty fetches given so far
}

func (l *throttledLog) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) ([]rlog.Record, error) {
	repartition := strings.HasPrefix(tp.Topic, "_rtdw-")
	starve := 0
	switch {
	case tp.Topic == ods.TopicDB && tp.Partition == 1:
		starve = 300
	case repartition && tp.Partition == 1:
		starve = 100
	case repartition && tp.Partition == 0:
		max = min(max, 5)
	}
	l.mu.Lock()
	if l.starved[tp] < starve {
		l.starved[tp]++
		l.mu.Unlock()
		return nil, nil
	}
	l.mu.Unlock()
	return l.Log.Fetch(ctx, tp, offset, max, wait)
}

// Outcome lists every record of every topic of l but topic_db and the
// repartition topics, one line each, sorted: topic, partition, key, value,
// timestamp and headers (in order; a dead letter's without the topic_db
// headers, since it carries its input's).
func Outcome(t testing.TB, l rlog.Log) []string {
	t.Helper()
	topics, err := l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ti := range topics {
		if ti.Name == ods.TopicDB || strings.HasPrefix(ti.Name, "_rtdw-") {
			continue
		}
		for _, r := range logtest.ReadAll(t, l, ti.Name) {
			dead := r.Header(stream.HeaderReason) != nil
			var hs []string
			for _, h := range r.Headers {
				if !dead || !ods.IsTopicDBHeader(h.Key) {
					hs = append(hs, h.Key+"="+string(h.Value))
				}
			}
			out = append(out, fmt.Sprintf("%s %d %q %q %d %q", ti.Name, r.Partition, r.Key, r.Value, r.Timestamp, hs))
		}
	}
	sort.Strings(out)
	return out
}

// Diff describes how two outcomes differ ("" if they do not).
func Diff(a, b []string) string {
	ia, ib := map[string]int{}, map[string]int{}
	for _, s := range a {
		ia[s]++
	}
	for _, s := range b {
		ib[s]++
	}
	var d []string
	short := func(s string) string {
		if len(s) > 400 {
			return s[:400] + "..."
		}
		return s
	}
	for s, n := range ia {
		if ib[s] != n {
			d = append(d, fmt.Sprintf("-%d/+%d %s", n, ib[s], short(s)))
		}
	}
	for s, n := range ib {
		if _, ok := ia[s]; !ok {
			d = append(d, fmt.Sprintf("-0/+%d %s", n, short(s)))
		}
	}
	sort.Strings(d)
	if len(d) > 20 {
		d = append(d[:20], fmt.Sprintf("... %d more", len(d)-20))
	}
	return strings.Join(d, "\n")
}

// HoldsUncoveredWithoutAllocating checks that route (a broadcast router's
// Route with final false) holds a deferred record of a table its rules do
// not cover (order_info), the bulk of a router's input, without allocating.
func HoldsUncoveredWithoutAllocating(t *testing.T, route func(*stream.Record) (bool, error)) {
	t.Helper()
	rec := &stream.Record{Value: []byte(`{"database":"gmall","table":"order_info","type":"update","ts":1717200000,"data":{"id":1,"order_status":"1002"},"old":{"order_status":"1001"}}`),
		Headers: []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte("order_info")}}}
	if n := testing.AllocsPerRun(100, func() {
		if handled, err := route(rec); handled || err != nil {
			t.Fatalf("handled %v, %v: want it held", handled, err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
}
