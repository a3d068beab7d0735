package stream_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// base is the event time the tests' records start at (2024-06-01), well
// past any plausibility floor and behind any clock they run on.
const base = int64(1717200000000)

// throttledLog starves chosen partitions: their first fetches return
// nothing (however much the partition holds), and later ones at most
// limit records: what a slow broker, a busy machine or a task that
// reaches its inputs late looks like to the engine.
type throttledLog struct {
	rlog.Log
	mu      sync.Mutex
	starve  map[rlog.TopicPartition]int // fetches left that return nothing
	limit   map[rlog.TopicPartition]int // most records per fetch
	starved int                         // fetches starved so far
}

func (l *throttledLog) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) ([]rlog.Record, error) {
	l.mu.Lock()
	if n := l.starve[tp]; n > 0 {
		l.starve[tp] = n - 1
		l.starved++
		l.mu.Unlock()
		return nil, nil
	}
	if m, ok := l.limit[tp]; ok {
		max = min(max, m)
	}
	l.mu.Unlock()
	return l.Log.Fetch(ctx, tp, offset, max, wait)
}

func (l *throttledLog) starvedFetches() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.starved
}

// tickingClock is a processing-time clock that moves a millisecond each
// time it is read: the more a run loops (the slower its input), the more
// processing time passes, so anything that depends on it shows.
func tickingClock(start time.Time) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// "key,n,ts[,side]" records: event time ts.
func csvTime(r *stream.Record) (int64, bool) {
	parts := strings.Split(string(r.Value), ",")
	if len(parts) < 3 {
		return 0, false
	}
	ts, err := strconv.ParseInt(parts[2], 10, 64)
	return ts, err == nil
}

func csvKey(r *stream.Record) ([]byte, error) {
	k, _, ok := strings.Cut(string(r.Value), ",")
	if !ok || k == "" {
		return nil, stream.BadInput("no_key", "%q", r.Value)
	}
	return []byte(k), nil
}

// joinWindowJob reads "key,n,ts,side" records (side L or R) from the
// partitions of "ev", re-keys them by key and feeds two branches: 10 ms
// tumbling window sums to "sums", and an inner join of each key's L and
// R rows less than ttl apart (event time) to "joined".
func joinWindowJob(ooo, idle, ttl time.Duration) *stream.Job {
	j := stream.NewJob("jw")
	keyed := j.Source("ev", stream.EventTime(csvTime), stream.OutOfOrderness(ooo), stream.IdleTimeout(idle)).
		KeyBy("by_key", csvKey)
	keyed.Process("sum", func() stream.Operator { return &windowSum{} }).Main().To("sums")
	field := func(r *stream.Record, i int) string { return strings.Split(string(r.Value), ",")[i] }
	keyed.Process("join", operator.Join(operator.JoinSpec{
		Sides: 2, TTL: ttl,
		Side: func(r *stream.Record) (int, error) {
			if field(r, 3) == "L" {
				return 0, nil
			}
			return 1, nil
		},
		RowID: func(r *stream.Record) ([]byte, error) { return []byte(field(r, 1)), nil },
		Combine: func(l []byte, rs [][]byte) ([]byte, error) {
			return fmt.Appendf(nil, "%s|%s", l, rs[0]), nil
		},
	})).Main().To("joined")
	return j
}

// joinWindowInput is n pairs of rows: pair m's L row on partition m%4 at
// base+5m, its R row on the next partition, up to 40 ms before or 68 ms
// after it, so within a partition event times go back by up to 108 ms.
func joinWindowInput(n int) (recs []rlog.Record, sums map[string]int, joins int) {
	sums = map[string]int{}
	add := func(p int, key string, id int, ts int64, side string) {
		recs = append(recs, rlog.Record{Topic: "ev", Partition: int32(p % 4), Value: fmt.Appendf(nil, "%s,%d,%d,%s", key, id, ts, side)})
		sums[fmt.Sprintf("%s:%d", key, (ts/10+1)*10)] += id
	}
	for m := range n {
		// One pair per join key: a key's right row is its latest, and
		// "latest" among rows of different partitions is arrival order.
		key := fmt.Sprintf("p%d", m)
		lt := base + int64(m)*5
		delta := int64(m%13)*9 - 40
		add(m, key, m, lt, "L")
		add(m+1, key, m, lt+delta, "R")
		if delta < 50 && delta > -50 {
			joins++
		}
	}
	return recs, sums, joins
}

// outcome lists a run's output topics, record by record, sorted (the
// order of records of different tasks in one partition is the commit
// order of the tasks, which timing decides).
func outcome(t *testing.T, l rlog.Log, topics ...string) []string {
	var out []string
	for _, topic := range topics {
		for _, r := range logtest.ReadAll(t, l, topic) {
			out = append(out, fmt.Sprintf("%s/%d %s %s @%d %s", topic, r.Partition, r.Key, r.Value, r.Timestamp, r.Header(stream.HeaderReason)))
		}
	}
	slices.Sort(out)
	return out
}

// Issue 16, case 2: a drained run's output does not depend on the
// machine's speed. The same input drained once quietly and once with
// starved and short fetches (on a source partition and on the repartition
// topic) and a processing-time clock that runs with every loop gives the
// same output topics, record for record, with no record late: in a drain
// no input goes idle (a starved partition used to, after the idle
// timeout, letting the others' watermark run ahead and making its records
// late), and the join's TTL is event time (it used to expire rows by the
// clock).
func TestThrottledDrainEqualsQuietDrain(t *testing.T) {
	for _, topics := range []bool{false, true} {
		t.Run(fmt.Sprintf("repartition_topics=%v", topics), func(t *testing.T) { testThrottledDrain(t, topics) })
	}
}

func testThrottledDrain(t *testing.T, topics bool) {
	recs, sums, joins := joinWindowInput(1200)
	run := func(throttle bool) ([]string, rlog.Log) {
		el := openLog(t)
		var l rlog.Log = el
		var tl *throttledLog
		if throttle {
			rep := func(p int32) rlog.TopicPartition {
				return rlog.TopicPartition{Topic: "_rtdw-jw-by_key-repartition", Partition: p}
			}
			tl = &throttledLog{Log: el,
				starve: map[rlog.TopicPartition]int{{Topic: "ev", Partition: 1}: 300, rep(3): 200},
				limit:  map[rlog.TopicPartition]int{{Topic: "ev", Partition: 2}: 1, rep(0): 7}}
			l = tl
		}
		if err := l.CreateTopic(bg, "ev", rlog.TopicConfig{Partitions: 4}); err != nil {
			t.Fatal(err)
		}
		if err := l.Produce(bg, recs...); err != nil {
			t.Fatal(err)
		}
		opts := stream.Options{Log: l, Drain: true, Interval: 5 * time.Millisecond, Exchange: exchangeOf(topics),
			Now: tickingClock(time.UnixMilli(base).Add(24 * time.Hour))}
		// Idle after a nanosecond: any quiet moment would do.
		if err := stream.Run(bg, opts, joinWindowJob(200*time.Millisecond, time.Nanosecond, 50*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		// On the in-memory exchange the repartition topic is not read:
		// only the source's starved fetches count.
		if least := map[bool]int{false: 300, true: 500}[topics]; throttle && tl.starvedFetches() < least {
			t.Fatalf("only %d fetches starved", tl.starvedFetches())
		}
		return outcome(t, el, "sums", "joined", "dirty_data"), el
	}
	quiet, ql := run(false)
	throttled, _ := run(true)
	if !slices.Equal(quiet, throttled) {
		var diff []string
		for _, s := range quiet {
			if !slices.Contains(throttled, s) {
				diff = append(diff, "- "+s)
			}
		}
		for _, s := range throttled {
			if !slices.Contains(quiet, s) {
				diff = append(diff, "+ "+s)
			}
		}
		t.Fatalf("quiet (-) and throttled (+) drains differ in %d of %d/%d records:\n%s", len(diff), len(quiet), len(throttled), strings.Join(diff[:min(len(diff), 20)], "\n"))
	}
	// And the output is the right one: every window, every join, no
	// dead letter (none late).
	if dl := logtest.ReadAll(t, ql, "dirty_data"); len(dl) != 0 {
		t.Fatalf("%d dead letters, the first: %s (%s)", len(dl), dl[0].Value, dl[0].Header(stream.HeaderReason))
	}
	got := map[string]int{}
	for _, r := range logtest.ReadAll(t, ql, "sums") {
		parts := strings.Split(string(r.Value), ":")
		n, _ := strconv.Atoi(parts[2])
		got[parts[0]+":"+parts[1]] += n
	}
	equalMaps(t, sums, got)
	if n := len(logtest.ReadAll(t, ql, "joined")); n != joins {
		t.Fatalf("%d joined rows, want %d", n, joins)
	}
}

// Issue 16, case 2, unbounded: a partition whose fetches come back empty
// while it still has records (starved) is not idle, however long it has
// been quiet: the watermark waits for it, and none of its records is
// late. Once every input has read everything and is quiet, they go idle
// and the windows up to the largest watermark close.
func TestStarvedInputIsNotIdleWhileItLags(t *testing.T) {
	el := openLog(t)
	tl := &throttledLog{Log: el, starve: map[rlog.TopicPartition]int{{Topic: "in", Partition: 1}: 400}}
	if err := el.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	var recs []rlog.Record
	const n, ooo = 2000, 5
	for i := range n {
		ts := base + int64(i)
		key := fmt.Sprintf("k%d", i%7)
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 4), Value: fmt.Appendf(nil, "%s,%d,%d", key, i, ts)})
		// Every window but the last closes once all inputs are idle: the
		// watermark is then the largest of theirs, base+n-1-ooo.
		if end := (ts/10 + 1) * 10; end-1 <= base+n-1-ooo {
			want[fmt.Sprintf("%s:%d", key, end)] += i
		}
	}
	if err := el.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	j := stream.NewJob("wsum")
	j.Source("in", stream.EventTime(csvTime), stream.OutOfOrderness(ooo*time.Millisecond), stream.IdleTimeout(time.Nanosecond)).
		KeyBy("by_key", csvKey).
		Process("sum", func() stream.Operator { return &windowSum{} }).Main().
		To("out")
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx, stream.Options{Log: tl, Interval: 5 * time.Millisecond}, j) }()
	defer func() { cancel(); <-done }()
	// Until the windows closed, or a record went wrong (late).
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, err := el.DescribeTopic(bg, "out"); err == nil && len(logtest.ReadAll(t, el, "out")) >= len(want) {
			break
		}
		if _, err := el.DescribeTopic(bg, "dirty_data"); err == nil && len(logtest.ReadAll(t, el, "dirty_data")) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("windows did not close (%d starved fetches)", tl.starvedFetches())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	if tl.starvedFetches() < 400 {
		t.Fatalf("only %d fetches starved", tl.starvedFetches())
	}
	if dl := logtest.ReadAll(t, el, "dirty_data"); len(dl) != 0 {
		t.Fatalf("%d dead letters, the first: %s (%s)", len(dl), dl[0].Value, dl[0].Header(stream.HeaderReason))
	}
	equalMaps(t, want, sums(t, el))
}

// Issue 16, case 3: one record with an event time far ahead of the clock
// (year 3000) is dead-lettered (future_event_time) without moving the
// watermark, so the records after it are not late; one stamped before
// the floor (seconds read as milliseconds: 1970) is dead-lettered too
// (implausible_event_time). The clock is Options.Now, also in a drain.
func TestFarFutureAndImplausibleEventTimesAreDeadLettered(t *testing.T) {
	l := openLog(t)
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rec := func(n int, ts int64) rlog.Record {
		return rlog.Record{Topic: "in", Partition: 0, Value: fmt.Appendf(nil, "k,%d,%d", n, ts)}
	}
	in := []rlog.Record{rec(1, base+1), rec(2, base+2), rec(100, year3000), rec(200, base/1000), rec(3, base+13), rec(4, base+25)}
	if err := l.Produce(bg, in...); err != nil {
		t.Fatal(err)
	}
	j := stream.NewJob("wsum")
	j.Source("in", stream.EventTime(csvTime), stream.OutOfOrderness(5*time.Millisecond)).
		KeyBy("by_key", csvKey).
		Process("sum", func() stream.Operator { return &windowSum{} }).Main().
		To("out")
	now := time.UnixMilli(base).Add(time.Hour)
	opts := stream.Options{Log: l, Drain: true, Interval: time.Millisecond, Metrics: stream.NewMetrics(prometheus.NewRegistry()),
		MinEventTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Now: func() time.Time { return now }}
	if err := stream.Run(bg, opts, j); err != nil {
		t.Fatal(err)
	}
	k := func(end int64) string { return fmt.Sprintf("k:%d", base+end) }
	equalMaps(t, map[string]int{k(10): 3, k(20): 3, k(30): 4}, sums(t, l))
	var reasons []string
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		reasons = append(reasons, code+" "+string(r.Value)+" "+string(r.Header(stream.HeaderJob)))
	}
	wantDL := []string{
		fmt.Sprintf("future_event_time k,100,%d wsum/source_in", year3000),
		fmt.Sprintf("implausible_event_time k,200,%d wsum/source_in", base/1000),
	}
	if !slices.Equal(reasons, wantDL) {
		t.Fatalf("dead letters:\n%s\nwant:\n%s", strings.Join(reasons, "\n"), strings.Join(wantDL, "\n"))
	}
	for _, code := range []string{"future_event_time", "implausible_event_time"} {
		if n := testutil.ToFloat64(opts.Metrics.DeadLetters.WithLabelValues("wsum", code)); n != 1 {
			t.Fatalf("rtdw_dead_letters_total{reason=%q} = %v, want 1", code, n)
		}
	}

	// A source's own settings win: no floor, any future (negative skew).
	l2 := openLog(t)
	l2.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	l2.Produce(bg, rec(1, base+1), rec(2, year3000), rec(3, 1))
	j = stream.NewJob("lenient")
	j.Source("in", stream.EventTime(csvTime), stream.MinEventTime(time.UnixMilli(1)), stream.MaxEventTimeSkew(-1)).To("out")
	opts.Log = l2
	if err := stream.Run(bg, opts, j); err != nil {
		t.Fatal(err)
	}
	if dl := logtest.ReadAll(t, l2, "dirty_data"); len(dl) != 0 {
		t.Fatalf("dead letters: %s", dl[0].Header(stream.HeaderReason))
	}
	if out := logtest.ReadAll(t, l2, "out"); len(out) != 3 || out[1].Timestamp != year3000 {
		t.Fatalf("out: %+v", out)
	}
}
