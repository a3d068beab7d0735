package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

var hookSchema = row.MustParseSchema("k STRING, v STRING, src STRING, off BIGINT, ts BIGINT")

// recordRows decodes a record into a row of its key, value, topic/partition,
// offset and log timestamp; a value "bad" is bad input.
func recordRows() stream.RecordDecode {
	var r row.Row
	return func(rec *stream.Record, emit func(*row.Row)) error {
		if string(rec.Value) == "bad" {
			return stream.BadInput("bad_value", "value %q", rec.Value)
		}
		r.Reset(row.Insert, hookSchema.Len())
		r.Set(0, row.String(string(rec.Key)))
		r.Set(1, row.String(string(rec.Value)))
		r.Set(2, row.String(rec.Source.String()))
		r.Set(3, row.BigInt(rec.Offset))
		r.Set(4, row.BigInt(rec.Time))
		emit(&r)
		return nil
	}
}

func rowText() func() stream.RowEncode {
	return func() stream.RowEncode {
		return func(dst []byte, r *row.Row) ([]byte, error) { return append(dst, r.String()...), nil }
	}
}

func values(t *testing.T, l rlog.Log, topic string) []string {
	var out []string
	for _, r := range logtest.ReadAll(t, l, topic) {
		out = append(out, string(r.Value))
	}
	return out
}

func TestDecodedRecordsSeeKeyAndPosition(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	l.Produce(bg, rlog.Record{Topic: "in", Key: []byte("a"), Value: []byte("x"), Timestamp: 1000},
		rlog.Record{Topic: "in", Key: []byte("b"), Value: []byte("bad"), Timestamp: 2000},
		rlog.Record{Topic: "in", Key: []byte("c"), Value: []byte("y"), Timestamp: 3000},
		rlog.Record{Topic: "in", Key: []byte("t"), Value: nil, Timestamp: 4000}) // a tombstone reaches the decoder
	j := stream.NewJob("dec")
	j.Source("in", stream.DecodedRecords(recordRows)).ToRows("out", rowText())
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 1}, j); err != nil {
		t.Fatal(err)
	}
	want := []string{"+I[a, x, in/0, 0, 1000]", "+I[c, y, in/0, 2, 3000]", "+I[t, , in/0, 3, 4000]"}
	if got := values(t, l, "out"); !slices.Equal(got, want) {
		t.Fatalf("out = %q, want %q", got, want)
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || string(dl[0].Value) != "bad" || string(dl[0].Header(stream.HeaderReason)) != `bad_value: value "bad"` {
		t.Fatalf("dead letters = %+v", dl)
	}
}

// StartAt applies to a job's first run only: a job starting at the end of
// its topic skips what is there, and what arrives later (even while it is
// stopped) is read by the next run.
func TestStartAtAppliesOnce(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 2})
	produce := func(vals ...string) {
		for i, v := range vals {
			l.Produce(bg, rlog.Record{Topic: "in", Partition: int32(i % 2), Value: []byte(v)})
		}
	}
	var calls atomic.Int64
	latest := stream.StartAt(func(_ context.Context, _ rlog.Log, _ rlog.TopicPartition, start, end int64) (int64, error) {
		calls.Add(1)
		return end + 10, nil // clamped to end
	})
	job := func() *stream.Job {
		j := stream.NewJob("latest")
		j.Source("in", latest, stream.DecodedRecords(recordRows)).ToRows("out", rowText())
		return j
	}
	run := func() {
		t.Helper()
		if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 1}, job()); err != nil {
			t.Fatal(err)
		}
	}
	produce("old1", "old2")
	run()
	if got := values(t, l, "out"); len(got) != 0 {
		t.Fatalf("first run read %q, want nothing", got)
	}
	if calls.Load() != 2 {
		t.Fatalf("start chosen %d times, want once per partition", calls.Load())
	}
	produce("new1", "new2")
	run()
	var got []string
	for _, v := range values(t, l, "out") {
		got = append(got, v[:len("+I[, new1")])
	}
	slices.Sort(got)
	if want := []string{"+I[, new1", "+I[, new2"}; !slices.Equal(got, want) {
		t.Fatalf("second run read %q, want %q", got, want)
	}
	if calls.Load() != 2 {
		t.Fatalf("start chosen again on restart (%d calls)", calls.Load())
	}

	// A start function's error fails the run.
	j := stream.NewJob("broken")
	j.Source("in", stream.StartAt(func(context.Context, rlog.Log, rlog.TopicPartition, int64, int64) (int64, error) {
		return 0, errors.New("no such timestamp")
	})).To("out2")
	err := stream.Run(bg, stream.Options{Log: l, Drain: true, MaxRestarts: 1, RestartBackoff: time.Millisecond}, j)
	if err == nil {
		t.Fatal("a failing start function did not fail the run")
	}
}

// committedOp counts its checkpoints: prepared, and committed as told by
// CheckpointCommitted; it fails its first commit notification when asked.
type committedOp struct {
	prepared, committed *atomic.Int64
	failFirst           *atomic.Bool
	ctx                 *stream.Context
}

func (c *committedOp) Open(ctx *stream.Context) error { c.ctx = ctx; return nil }
func (c *committedOp) Process(rec *stream.Record, out stream.Emitter) error {
	// State written per record: every checkpoint has something to commit.
	return c.ctx.Value("n").Put([]byte("n"), rec.Value)
}
func (c *committedOp) PrepareCheckpoint(stream.Emitter) error {
	c.prepared.Add(1)
	return nil
}
func (c *committedOp) CheckpointCommitted() error {
	if c.failFirst.CompareAndSwap(true, false) {
		return errors.New("injected publication failure")
	}
	c.committed.Add(1)
	return nil
}

func TestCheckpointListener(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	for i := range 5 {
		l.Produce(bg, rlog.Record{Topic: "in", Value: fmt.Appendf(nil, "v%d", i)})
	}
	var prepared, committed atomic.Int64
	var fail atomic.Bool
	fail.Store(true)
	j := stream.NewJob("listen")
	j.Source("in").Process("op", func() stream.Operator {
		return &committedOp{prepared: &prepared, committed: &committed, failFirst: &fail}
	})
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, FetchMax: 1, Interval: time.Nanosecond, MaxRestarts: 5, RestartBackoff: time.Millisecond}, j); err != nil {
		t.Fatal(err)
	}
	if fail.Load() {
		t.Fatal("the failure was not injected")
	}
	// The first commit's notification failed; the task restarted and
	// went on: every later commit was notified.
	if committed.Load() < 2 || committed.Load() > prepared.Load() {
		t.Fatalf("committed %d, prepared %d", committed.Load(), prepared.Load())
	}

	// Under the harness, Checkpoint notifies too.
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var p2, c2 atomic.Int64
	var f2 atomic.Bool
	h, err := stream.NewHarness(db, "op", func() stream.Operator { return &committedOp{prepared: &p2, committed: &c2, failFirst: &f2} }, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Process(stream.Record{Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if p2.Load() != 1 || c2.Load() != 1 {
		t.Fatalf("harness: prepared %d, committed %d; want 1, 1", p2.Load(), c2.Load())
	}
}

// wmProbe passes rows through and remembers the highest watermark it saw.
type wmProbe struct{ max *atomic.Int64 }

func (p wmProbe) Open(*stream.Context) error { return nil }
func (p wmProbe) Process(rec *stream.Record, out stream.Emitter) error {
	out.Emit(0, rec)
	return nil
}
func (p wmProbe) OnWatermark(wm int64, _ stream.Emitter) error {
	if wm > p.max.Load() {
		p.max.Store(wm)
	}
	return nil
}

// A filter pushed into a source drops rows before any operator, yet the
// rows it drops still set event time: the watermark is the unfiltered
// source's (b's 20000 moves it), so where the filter runs changes no
// window. A row the filter fails on is dead-lettered, the job goes on.
// A source with two readers takes no filter.
func TestPushFilterKeepsWatermark(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	l.Produce(bg, rlog.Record{Topic: "in", Key: []byte("a"), Value: []byte("x"), Timestamp: 1000},
		rlog.Record{Topic: "in", Key: []byte("b"), Value: []byte("x"), Timestamp: 20000},
		rlog.Record{Topic: "in", Key: []byte("e"), Value: []byte("x"), Timestamp: 3000},
		rlog.Record{Topic: "in", Key: []byte("a"), Value: []byte("y"), Timestamp: 2000})
	j := stream.NewJob("push")
	src := j.Source("in", stream.DecodedRecords(recordRows), stream.OutOfOrderness(0),
		stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Row.Values[4].Int64(), true }))
	var wm atomic.Int64
	wm.Store(stream.MinWatermark)
	src.Process("probe", func() stream.Operator { return wmProbe{&wm} }).Main().ToRows("out", rowText())
	if !src.PushFilter(func(r *row.Row) (bool, error) {
		switch r.Values[0].Str() {
		case "e":
			return false, stream.BadInput("eval_error", "no e")
		case "b":
			return false, nil
		}
		return true, nil
	}) {
		t.Fatal("PushFilter refused a source with one reader")
	}
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 1}, j); err != nil {
		t.Fatal(err)
	}
	want := []string{"+I[a, x, in/0, 0, 1000]", "+I[a, y, in/0, 3, 2000]"}
	if got := values(t, l, "out"); !slices.Equal(got, want) {
		t.Fatalf("out = %q, want %q", got, want)
	}
	if got := wm.Load(); got < 19999 {
		t.Fatalf("watermark %d: the rejected row at 20000 did not move it", got)
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || string(dl[0].Key) != "e" || string(dl[0].Header(stream.HeaderReason)) != "eval_error: no e" {
		t.Fatalf("dead letters = %+v", dl)
	}

	j2 := stream.NewJob("shared")
	s2 := j2.Source("in", stream.DecodedRecords(recordRows))
	s2.Process("p1", func() stream.Operator { return wmProbe{&wm} }).Main().ToRows("o1", rowText())
	s2.Process("p2", func() stream.Operator { return wmProbe{&wm} }).Main().ToRows("o2", rowText())
	if s2.PushFilter(func(*row.Row) (bool, error) { return false, nil }) {
		t.Fatal("PushFilter took a source two operators read")
	}
}

// A typed source dead-letters a row whose event time is implausible
// (future_event_time) before its filter sees it, and a row its filter
// fails on with an error that is not bad input (eval_error); the others
// go on.
func TestTypedSourceDeadLettersEventTimeAndFilterErrors(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	l.Produce(bg, rlog.Record{Topic: "in", Key: []byte("a"), Value: []byte("x"), Timestamp: 1000},
		rlog.Record{Topic: "in", Key: []byte("f"), Value: []byte("x"), Timestamp: year3000},
		rlog.Record{Topic: "in", Key: []byte("e"), Value: []byte("x"), Timestamp: 2000})
	j := stream.NewJob("typed")
	src := j.Source("in", stream.DecodedRecords(recordRows),
		stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Row.Values[4].Int64(), true }))
	var wm atomic.Int64
	src.Process("probe", func() stream.Operator { return wmProbe{&wm} }).Main().ToRows("out", rowText())
	if !src.PushFilter(func(r *row.Row) (bool, error) {
		if r.Values[0].Str() == "e" {
			return false, errors.New("boom")
		}
		return true, nil
	}) {
		t.Fatal("PushFilter refused a source with one reader")
	}
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 1}, j); err != nil {
		t.Fatal(err)
	}
	if got, want := values(t, l, "out"), []string{"+I[a, x, in/0, 0, 1000]"}; !slices.Equal(got, want) {
		t.Fatalf("out = %q, want %q", got, want)
	}
	var got []string
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		got = append(got, string(r.Key)+" "+code+" "+string(r.Header(stream.HeaderJob)))
	}
	if want := []string{"f future_event_time typed/source_in", "e eval_error typed/source_in"}; !slices.Equal(got, want) {
		t.Fatalf("dead letters = %q, want %q", got, want)
	}
}

// A job reads a topic through one source: its tasks keep their input
// positions per topic partition, so a second source of the same topic is
// refused with a message that says what to do, not a clash of node names.
func TestTwoSourcesOfOneTopicAreRefused(t *testing.T) {
	j := stream.NewJob("twice")
	a := j.Source("shared")
	b := j.Source("shared")
	stream.Union("both", a, b).To("out")
	err := j.Validate()
	if err == nil || !strings.Contains(err.Error(), `reads topic "shared" through two sources`) {
		t.Fatalf("Validate() = %v", err)
	}
	ok := stream.NewJob("once")
	ok.Source("a").To("out")
	ok.Source("b").To("out2")
	if err := ok.Validate(); err != nil {
		t.Fatalf("two topics: %v", err)
	}
}
