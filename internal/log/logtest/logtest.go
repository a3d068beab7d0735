// Package logtest is the conformance suite every log.Log implementation
// must pass: the embedded store today, the Kafka backend tomorrow.
package logtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Factory returns a fresh, empty log; the suite closes it.
type Factory func(t *testing.T) rlog.Log

type suiteTest struct {
	name string
	fn   func(t *testing.T, l rlog.Log)
}

// dataPlane is what every backend must do: topics, keyed produce, fetch,
// long poll, offsets and group offsets.
var dataPlane = []suiteTest{
	{"Topics", testTopics},
	{"ProduceFetchRoundTrip", testRoundTrip},
	{"KeyedPartitioning", testKeyedPartitioning},
	{"FetchBounds", testFetchBounds},
	{"LongPoll", testLongPoll},
	{"GroupOffsets", testGroupOffsets},
	{"ConcurrentProducers", testConcurrentProducers},
}

// transactions: atomic records + group offsets + state in one Txn. The
// Kafka backend provides these through a worker's group session instead
// (docs/decisions/2026-11-21-cluster-mode-plan.md).
var transactions = []suiteTest{
	{"TxnAtomic", testTxnAtomic},
	{"TxnState", testTxnState},
	{"TxnConcurrent", testTxnConcurrent},
}

// Run runs the whole conformance suite.
func Run(t *testing.T, open Factory) { run(t, open, append(dataPlane, transactions...)) }

// RunDataPlane runs the data-plane part of the suite.
func RunDataPlane(t *testing.T, open Factory) { run(t, open, dataPlane) }

func run(t *testing.T, open Factory, tests []suiteTest) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := open(t)
			defer l.Close()
			tc.fn(t, l)
		})
	}
}

var ctx = context.Background()

// RunRecordDeleter checks log.RecordDeleter on a log that implements it.
func RunRecordDeleter(t *testing.T, open Factory) {
	l := open(t)
	defer l.Close()
	d, ok := l.(rlog.RecordDeleter)
	if !ok {
		t.Fatalf("%T does not implement log.RecordDeleter", l)
	}
	mustCreate(t, l, "d", 2)
	tp, other := rlog.TopicPartition{Topic: "d"}, rlog.TopicPartition{Topic: "d", Partition: 1}
	for i := range 10 {
		if err := l.Produce(ctx, rlog.Record{Topic: "d", Partition: 0, Value: fmt.Appendf(nil, "%d", i)},
			rlog.Record{Topic: "d", Partition: 1, Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 4, other: 0}); err != nil {
		t.Fatal(err)
	}
	check := func(start int64) {
		t.Helper()
		if s, e, err := l.Offsets(ctx, tp); err != nil || s != start || e != 10 {
			t.Fatalf("offsets [%d,%d), %v; want [%d,10)", s, e, err, start)
		}
		if s, e, err := l.Offsets(ctx, other); err != nil || s != 0 || e != 10 {
			t.Fatalf("the other partition: [%d,%d), %v", s, e, err)
		}
		if _, err := l.Fetch(ctx, tp, start-1, 10, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
			t.Fatalf("fetch below the start: %v", err)
		}
		recs, err := l.Fetch(ctx, tp, start, 100, 0)
		if err != nil || len(recs) != int(10-start) || recs[0].Offset != start || string(recs[0].Value) != fmt.Sprint(start) {
			t.Fatalf("fetch from the start: %d records, %v", len(recs), err)
		}
	}
	check(4)
	// At or below the start: nothing happens.
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 2}); err != nil {
		t.Fatalf("below the start: %v", err)
	}
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 4}); err != nil {
		t.Fatalf("at the start: %v", err)
	}
	check(4)
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 11}); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("past the end: %v", err)
	}
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{{Topic: "d", Partition: 2}: 1}); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("a missing partition: %v", err)
	}
	if err := d.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 9}); err != nil {
		t.Fatal(err)
	}
	check(9)
}

func mustCreate(t *testing.T, l rlog.Log, name string, parts int32) {
	t.Helper()
	if err := l.CreateTopic(ctx, name, rlog.TopicConfig{Partitions: parts}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

// ReadAll returns every record of a topic, partition by partition.
func ReadAll(t testing.TB, l rlog.Log, topic string) []rlog.Record {
	t.Helper()
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []rlog.Record
	for p := int32(0); p < info.Partitions; p++ {
		out = append(out, fetchAll(t, l, rlog.TopicPartition{Topic: topic, Partition: p})...)
	}
	return out
}

func fetchAll(t testing.TB, l rlog.Log, tp rlog.TopicPartition) []rlog.Record {
	t.Helper()
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var out []rlog.Record
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			// On Kafka, transaction markers and aborted records take
			// offsets that a read_committed fetch skips: what is left
			// below end is none of ours.
			break
		}
		out = append(out, recs...)
		off = recs[len(recs)-1].Offset + 1
	}
	return out
}

func testTopics(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "b", 3)
	mustCreate(t, l, "a", 1)
	if err := l.CreateTopic(ctx, "a", rlog.TopicConfig{Partitions: 1}); !errors.Is(err, rlog.ErrTopicExists) {
		t.Fatalf("duplicate create: got %v, want ErrTopicExists", err)
	}
	for _, bad := range []rlog.TopicConfig{{Partitions: 0}, {Partitions: 1, Retention: -1}} {
		if err := l.CreateTopic(ctx, "c", bad); !errors.Is(err, rlog.ErrInvalidTopicConfig) {
			t.Fatalf("create with %+v: got %v, want ErrInvalidTopicConfig", bad, err)
		}
	}
	if err := l.CreateTopic(ctx, "bad name!", rlog.TopicConfig{Partitions: 1}); err == nil {
		t.Fatal("topic name with space and ! accepted")
	}
	info, err := l.DescribeTopic(ctx, "b")
	if err != nil || info.Partitions != 3 || info.Name != "b" {
		t.Fatalf("describe b = %+v, %v", info, err)
	}
	if _, err := l.DescribeTopic(ctx, "nope"); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("describe unknown: %v", err)
	}
	list, err := l.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range list {
		names = append(names, ti.Name)
	}
	if fmt.Sprint(names) != "[a b]" {
		t.Fatalf("list = %v, want [a b]", names)
	}
	if err := l.Produce(ctx, rlog.Record{Topic: "nope", Value: []byte("x")}); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("produce to unknown topic: %v", err)
	}
	if info, err := rlog.EnsureTopic(ctx, l, "b", rlog.TopicConfig{Partitions: 7}); err != nil || info.Partitions != 3 {
		t.Fatalf("EnsureTopic on existing topic changed it: %+v %v", info, err)
	}
}

func testRoundTrip(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "t", 1)
	in := []rlog.Record{
		{Topic: "t", Partition: 0, Key: []byte("k1"), Value: []byte(`{"a":1}`), Timestamp: 1700000000123,
			Headers: []rlog.Header{{Key: "h", Value: []byte("v")}, {Key: "empty", Value: []byte{}}}},
		{Topic: "t", Partition: 0, Key: nil, Value: []byte("no key"), Timestamp: 5},
		{Topic: "t", Partition: 0, Key: []byte("tomb"), Value: nil, Timestamp: 6},
		{Topic: "t", Partition: 0, Key: []byte{}, Value: []byte{}, Timestamp: 7},
	}
	if err := l.Produce(ctx, in...); err != nil {
		t.Fatal(err)
	}
	got := fetchAll(t, l, rlog.TopicPartition{Topic: "t"})
	if len(got) != len(in) {
		t.Fatalf("got %d records, want %d", len(got), len(in))
	}
	for i, r := range got {
		w := in[i]
		if r.Offset != int64(i) || r.Topic != "t" || r.Partition != 0 {
			t.Errorf("record %d: at %s/%d@%d", i, r.Topic, r.Partition, r.Offset)
		}
		if !bytes.Equal(r.Key, w.Key) || (r.Key == nil) != (w.Key == nil) {
			t.Errorf("record %d: key %q (nil=%v), want %q (nil=%v)", i, r.Key, r.Key == nil, w.Key, w.Key == nil)
		}
		if !bytes.Equal(r.Value, w.Value) || (r.Value == nil) != (w.Value == nil) {
			t.Errorf("record %d: value %q (nil=%v), want %q (nil=%v)", i, r.Value, r.Value == nil, w.Value, w.Value == nil)
		}
		if r.Timestamp != w.Timestamp {
			t.Errorf("record %d: timestamp %d, want %d", i, r.Timestamp, w.Timestamp)
		}
		if len(r.Headers) != len(w.Headers) {
			t.Errorf("record %d: headers %v, want %v", i, r.Headers, w.Headers)
		}
	}
	if string(got[0].Header("h")) != "v" || got[0].Header("missing") != nil {
		t.Errorf("header lookup: %q", got[0].Header("h"))
	}
	// A record without a timestamp gets the append time.
	before := time.Now().Add(-time.Minute).UnixMilli()
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("now")}); err != nil {
		t.Fatal(err)
	}
	recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 4, 1, 0)
	if err != nil || len(recs) != 1 || recs[0].Timestamp < before {
		t.Fatalf("append-time stamp: %+v %v", recs, err)
	}
}

func testKeyedPartitioning(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "k", 4)
	var recs []rlog.Record
	for i := range 200 {
		recs = append(recs, rlog.Record{Topic: "k", Partition: rlog.AutoPartition, Key: fmt.Appendf(nil, "mid_%d", i%20), Value: fmt.Appendf(nil, "%d", i)})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	total := 0
	for p := int32(0); p < 4; p++ {
		lastSeq := map[string]int{}
		for _, r := range fetchAll(t, l, rlog.TopicPartition{Topic: "k", Partition: p}) {
			total++
			if want := rlog.PartitionFor(r.Key, 4); want != p {
				t.Fatalf("key %s in partition %d, want %d", r.Key, p, want)
			}
			var seq int
			fmt.Sscan(string(r.Value), &seq)
			if prev, ok := lastSeq[string(r.Key)]; ok && seq <= prev {
				t.Fatalf("key %s out of order: %d after %d", r.Key, seq, prev)
			}
			lastSeq[string(r.Key)] = seq
		}
	}
	if total != 200 {
		t.Fatalf("fetched %d records, want 200", total)
	}
	// Null keys are spread, not piled on one partition.
	var nulls []rlog.Record
	for range 40 {
		nulls = append(nulls, rlog.Record{Topic: "k", Partition: rlog.AutoPartition, Value: []byte("n")})
	}
	if err := l.Produce(ctx, nulls...); err != nil {
		t.Fatal(err)
	}
	used := 0
	for p := int32(0); p < 4; p++ {
		for _, r := range fetchAll(t, l, rlog.TopicPartition{Topic: "k", Partition: p}) {
			if r.Key == nil {
				used++
				break
			}
		}
	}
	if used < 2 {
		t.Fatalf("null-key records landed on %d partition(s), want them spread", used)
	}
}

func testFetchBounds(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "f", 1)
	tp := rlog.TopicPartition{Topic: "f"}
	for i := range 10 {
		if err := l.Produce(ctx, rlog.Record{Topic: "f", Partition: 0, Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	start, end, err := l.Offsets(ctx, tp)
	if err != nil || start != 0 || end != 10 {
		t.Fatalf("offsets = %d %d %v, want 0 10", start, end, err)
	}
	recs, err := l.Fetch(ctx, tp, 3, 4, 0)
	if err != nil || len(recs) != 4 || recs[0].Offset != 3 || string(recs[3].Value) != "6" {
		t.Fatalf("fetch 3..7 = %v %v", recs, err)
	}
	if recs, err := l.Fetch(ctx, tp, 3, math.MaxInt, 0); err != nil || len(recs) != 7 {
		t.Fatalf("fetch with a huge max = %d records, %v; want 7", len(recs), err)
	}
	if recs, err := l.Fetch(ctx, tp, 10, 4, 0); err != nil || len(recs) != 0 {
		t.Fatalf("fetch at end = %v %v, want empty", recs, err)
	}
	if _, err := l.Fetch(ctx, tp, 11, 4, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("fetch past end: %v", err)
	}
	if _, err := l.Fetch(ctx, tp, -1, 4, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("fetch negative: %v", err)
	}
	if _, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "f", Partition: 1}, 0, 4, 0); err == nil {
		t.Fatal("fetch from a partition that does not exist succeeded")
	}
}

func testLongPoll(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "lp", 1)
	tp := rlog.TopicPartition{Topic: "lp"}
	t0 := time.Now()
	recs, err := l.Fetch(ctx, tp, 0, 10, 50*time.Millisecond)
	if err != nil || len(recs) != 0 || time.Since(t0) < 40*time.Millisecond {
		t.Fatalf("empty long poll returned %v %v after %s", recs, err, time.Since(t0))
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		l.Produce(ctx, rlog.Record{Topic: "lp", Partition: 0, Value: []byte("wake")})
	}()
	recs, err = l.Fetch(ctx, tp, 0, 10, 10*time.Second)
	if err != nil || len(recs) != 1 || string(recs[0].Value) != "wake" {
		t.Fatalf("long poll = %v %v", recs, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := l.Fetch(cctx, tp, 1, 10, 10*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled long poll: %v", err)
	}
}

func testGroupOffsets(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "g", 2)
	tp0, tp1 := rlog.TopicPartition{Topic: "g", Partition: 0}, rlog.TopicPartition{Topic: "g", Partition: 1}
	if _, ok, err := l.CommittedOffset(ctx, "grp", tp0); err != nil || ok {
		t.Fatalf("fresh group has an offset: %v %v", ok, err)
	}
	if err := l.CommitOffsets(ctx, "grp", map[rlog.TopicPartition]int64{tp0: 5, tp1: 7}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitOffsets(ctx, "other", map[rlog.TopicPartition]int64{tp0: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		g    string
		tp   rlog.TopicPartition
		want int64
		ok   bool
	}{{"grp", tp0, 5, true}, {"grp", tp1, 7, true}, {"other", tp0, 1, true}, {"other", tp1, 0, false}} {
		got, ok, err := l.CommittedOffset(ctx, c.g, c.tp)
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("%s %s = %d %v %v, want %d %v", c.g, c.tp, got, ok, err, c.want, c.ok)
		}
	}
}

func testTxnAtomic(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "in", 1)
	mustCreate(t, l, "out", 2)
	in := rlog.TopicPartition{Topic: "in"}
	txn := &rlog.Txn{
		Records: []rlog.Record{{Topic: "out", Partition: 0, Value: []byte("a")}, {Topic: "out", Partition: 1, Value: []byte("b")}},
		Group:   "job", Offsets: map[rlog.TopicPartition]int64{in: 42},
	}
	if err := l.Commit(ctx, txn); err != nil {
		t.Fatal(err)
	}
	if off, ok, _ := l.CommittedOffset(ctx, "job", in); !ok || off != 42 {
		t.Fatalf("txn offset = %d %v", off, ok)
	}
	// A txn that cannot complete leaves nothing behind.
	bad := &rlog.Txn{
		Records: []rlog.Record{{Topic: "out", Partition: 0, Value: []byte("c")}, {Topic: "missing", Value: []byte("d")}},
		Group:   "job", Offsets: map[rlog.TopicPartition]int64{in: 99},
	}
	if err := l.Commit(ctx, bad); err == nil {
		t.Fatal("txn to a missing topic committed")
	}
	if off, _, _ := l.CommittedOffset(ctx, "job", in); off != 42 {
		t.Fatalf("failed txn moved the offset to %d", off)
	}
	for p, want := range []int{1, 1} {
		if got := len(fetchAll(t, l, rlog.TopicPartition{Topic: "out", Partition: int32(p)})); got != want {
			t.Fatalf("out/%d has %d records after a failed txn, want %d", p, got, want)
		}
	}
	// The next txn gets the next offsets: no gap left by the failed one.
	if err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "out", Partition: 0, Value: []byte("e")}}}); err != nil {
		t.Fatal(err)
	}
	if recs := fetchAll(t, l, rlog.TopicPartition{Topic: "out"}); len(recs) != 2 || recs[1].Offset != 1 || string(recs[1].Value) != "e" {
		t.Fatalf("after failed txn: %+v", recs)
	}
}

func testTxnState(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "s", 1)
	db := l.StateStore()
	key := []byte("\x2fconformance-state")
	b := db.NewIndexedBatch()
	if err := b.Set(key, []byte("v1"), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Get(key); err == nil {
		t.Fatal("state visible before commit")
	}
	if err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "s", Partition: 0, Value: []byte("x")}}, State: b}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	v, c, err := db.Get(key)
	if err != nil || string(v) != "v1" {
		t.Fatalf("state after commit = %q %v", v, err)
	}
	c.Close()
	// A failing txn drops its state writes too.
	b = db.NewIndexedBatch()
	b.Set(key, []byte("v2"), nil)
	if err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "missing", Value: []byte("x")}}, State: b}); err == nil {
		t.Fatal("txn to a missing topic committed")
	}
	b.Close()
	v, c, _ = db.Get(key)
	if string(v) != "v1" {
		t.Fatalf("failed txn changed state to %q", v)
	}
	c.Close()
}

func testConcurrentProducers(t *testing.T, l rlog.Log) {
	mustCreate(t, l, "c", 1)
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := l.Produce(ctx, rlog.Record{Topic: "c", Partition: 0, Value: fmt.Appendf(nil, "%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	recs := fetchAll(t, l, rlog.TopicPartition{Topic: "c"})
	seen := map[string]bool{}
	for i, r := range recs {
		if r.Offset != int64(i) {
			t.Fatalf("offset gap: record %d has offset %d", i, r.Offset)
		}
		seen[string(r.Value)] = true
	}
	if len(recs) != writers*each || len(seen) != writers*each {
		t.Fatalf("got %d records (%d distinct), want %d", len(recs), len(seen), writers*each)
	}
}

// testTxnConcurrent: txns committed at once (tasks checkpointing together)
// are each all or nothing, whatever else commits with them: every valid
// txn's records appear once, in its committer's order, with its offset and
// state; an invalid one (unknown topic) fails alone and leaves nothing.
func testTxnConcurrent(t *testing.T, l rlog.Log) {
	const writers, each = 8, 25
	mustCreate(t, l, "own", writers)
	mustCreate(t, l, "both", 1)
	invalid := func(i int) bool { return i%5 == 4 }
	db := l.StateStore()
	stateKey := func(w, i int) []byte { return fmt.Appendf(nil, "\x2fconformance-concurrent-%d-%d", w, i) }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				recs := []rlog.Record{
					{Topic: "own", Partition: int32(w), Value: fmt.Appendf(nil, "%d-%d", w, i)},
					{Topic: "both", Partition: 0, Value: fmt.Appendf(nil, "%d-%d", w, i)},
				}
				if invalid(i) {
					recs = append(recs, rlog.Record{Topic: "missing", Value: []byte("x")})
				}
				b := db.NewIndexedBatch()
				b.Set(stateKey(w, i), []byte("v"), nil)
				err := l.Commit(ctx, &rlog.Txn{Records: recs, State: b,
					Group: "concurrent", Offsets: map[rlog.TopicPartition]int64{{Topic: "own", Partition: int32(w)}: int64(i + 1)}})
				b.Close()
				if invalid(i) != (err != nil) {
					t.Errorf("writer %d txn %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	both := map[string]bool{}
	last := map[int]int{}
	for _, r := range fetchAll(t, l, rlog.TopicPartition{Topic: "both"}) {
		var w, i int
		fmt.Sscanf(string(r.Value), "%d-%d", &w, &i)
		if prev, ok := last[w]; invalid(i) || both[string(r.Value)] || ok && prev >= i {
			t.Fatalf("both/0: record %q at %d (duplicate: %v, after %d-%d)", r.Value, r.Offset, both[string(r.Value)], w, prev)
		}
		last[w], both[string(r.Value)] = i, true
	}
	for w := range writers {
		var got, want []string
		for _, r := range fetchAll(t, l, rlog.TopicPartition{Topic: "own", Partition: int32(w)}) {
			got = append(got, string(r.Value))
		}
		for i := range each {
			_, c, err := db.Get(stateKey(w, i))
			if err == nil {
				c.Close()
			}
			if invalid(i) != (err != nil) {
				t.Fatalf("state of writer %d txn %d: %v", w, i, err)
			}
			if !invalid(i) {
				want = append(want, fmt.Sprintf("%d-%d", w, i))
				if !both[want[len(want)-1]] {
					t.Fatalf("both/0 misses %s", want[len(want)-1])
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("own/%d = %v, want %v", w, got, want)
		}
		if off, ok, err := l.CommittedOffset(ctx, "concurrent", rlog.TopicPartition{Topic: "own", Partition: int32(w)}); !ok || off != each-1 || err != nil {
			t.Fatalf("writer %d's offset %d %v %v, want %d", w, off, ok, err, each-1)
		}
	}
	if len(both) != writers*(each-each/5) {
		t.Fatalf("both/0 has %d records, want %d", len(both), writers*(each-each/5))
	}
}
