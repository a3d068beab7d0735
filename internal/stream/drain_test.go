package stream_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// eoiOp passes records through and emits one "eoi" record at end of input.
type eoiOp struct{}

func (eoiOp) Open(*stream.Context) error { return nil }
func (eoiOp) Process(r *stream.Record, out stream.Emitter) error {
	out.Emit(0, r)
	return nil
}
func (eoiOp) EndOfInput(out stream.Emitter) error {
	rec := stream.Record{Key: []byte("eoi"), Value: []byte("eoi"), Time: 1}
	out.Emit(0, &rec)
	return nil
}

// failingEOI's EndOfInput fails the first `fails` times across tasks.
type failingEOI struct{ calls *atomic.Int64 }

func (f failingEOI) Open(*stream.Context) error { return nil }
func (f failingEOI) Process(r *stream.Record, out stream.Emitter) error {
	out.Emit(0, r)
	return nil
}
func (f failingEOI) EndOfInput(stream.Emitter) error {
	if f.calls.Add(1) <= 4 {
		return errors.New("injected end-of-input failure")
	}
	return nil
}

// A fused task that fails in its downstream stage's EndOfInput, after its
// upstream stage ended and committed, must not end the upstream stage again
// when it restarts in the same drained run (found in review: 7-8 "eoi"
// records instead of 4).
func TestDrainRestartDoesNotRepeatEndOfInput(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4})
	var recs []rlog.Record
	for i := range 40 {
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 4), Value: fmt.Appendf(nil, "k%d", i)})
	}
	l.Produce(bg, recs...)
	var calls atomic.Int64
	j := stream.NewJob("eoi")
	j.Source("in").Process("pass", func() stream.Operator { return eoiOp{} }).Main().
		KeyBy("by_v", func(r *stream.Record) ([]byte, error) { return r.Value, nil }).
		Process("s1", func() stream.Operator { return failingEOI{&calls} }).Main().To("out")
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Interval: 5 * time.Millisecond, MaxRestarts: 100}, j); err != nil {
		t.Fatal(err)
	}
	n, total := 0, 0
	for _, r := range logtest.ReadAll(t, l, "out") {
		total++
		if string(r.Value) == "eoi" {
			n++
		}
	}
	if calls.Load() <= 4 {
		t.Fatal("no end-of-input failure was injected")
	}
	if n != 4 || total != 44 {
		t.Fatalf("out has %d eoi records (want one per task, 4) and %d records (want 44)", n, total)
	}
}

// The harness's end of input: windows still open at the end are emitted,
// and a crash/restore run gives the same committed output.
func TestHarnessEndOfInput(t *testing.T) {
	f := func() stream.Operator { return &windowSum{} }
	steps := []st.Step{st.Rec("a", "a,1,1", 1), st.Rec("a", "a,2,12", 12), st.WM(10), st.Rec("b", "b,5,25", 25), st.End()}
	h := st.Run(t, f, steps)
	var got []string
	for _, r := range h.Output("out") {
		got = append(got, string(r.Value))
	}
	// [0,10) closes at watermark 10; [10,20) and [20,30) only at end of input.
	if strings.Join(got, " ") != "a:10:1 a:20:2 b:30:5" {
		t.Fatalf("outputs %v", got)
	}
	var long []st.Step
	for i := range 120 {
		k := fmt.Sprint(i % 5)
		long = append(long, st.Rec(k, fmt.Sprintf("%s,%d,%d", k, i, i*2+1), int64(i*2+1)))
		if i%30 == 29 {
			long = append(long, st.WM(int64(i*2-20)))
		}
	}
	st.CheckRestore(t, f, append(long, st.End()), 7, 5, 9)
}

// A key function's plain error (not a BadInputError) still dead-letters the
// record, with reason bad_key, and the job goes on.
func TestKeyFunctionErrorIsDeadLettered(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	l.Produce(bg, rlog.Record{Topic: "in", Partition: 0, Value: []byte("?")}, rlog.Record{Topic: "in", Partition: 0, Value: []byte("k")})
	j := stream.NewJob("keys")
	j.Source("in").KeyBy("by_value", func(r *stream.Record) ([]byte, error) {
		if string(r.Value) == "?" {
			return nil, errors.New("no key in ?")
		}
		return r.Value, nil
	}).Process("pass", func() stream.Operator { return eoiOp{} }).Main().To("out")
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Interval: 5 * time.Millisecond}, j); err != nil {
		t.Fatal(err)
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || string(dl[0].Header(stream.HeaderReason)) != "bad_key: no key in ?" {
		t.Fatalf("dead letters: %+v", dl)
	}
	if out := logtest.ReadAll(t, l, "out"); len(out) != 2 { // "k" and the eoi record
		t.Fatalf("out has %d records, want 2", len(out))
	}
}

// Tombstones (null values) and empty records carry no event: they are
// skipped and counted, not dead-lettered, and the job goes on.
func TestTombstonesAndEmptyRecordsAreSkippedAndCounted(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
	l.Produce(bg, rlog.Record{Topic: "in", Partition: 0, Key: []byte("k"), Value: nil},
		rlog.Record{Topic: "in", Partition: 0, Value: []byte{}},
		rlog.Record{Topic: "in", Partition: 0, Value: []byte("x")})
	j := stream.NewJob("skip")
	j.Source("in").Process("pass", func() stream.Operator { return eoiOp{} }).Main().To("out")
	metrics := stream.NewMetrics(nil)
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Interval: 5 * time.Millisecond, Metrics: metrics}, j); err != nil {
		t.Fatal(err)
	}
	if out := logtest.ReadAll(t, l, "out"); len(out) != 2 || string(out[0].Value) != "x" { // "x" and the eoi record
		t.Fatalf("out: %+v", out)
	}
	if dl := logtest.ReadAll(t, l, "dirty_data"); len(dl) != 0 {
		t.Fatalf("dead letters: %+v", dl)
	}
	if n := testutil.ToFloat64(metrics.Skipped.WithLabelValues("skip", "in")); n != 2 {
		t.Fatalf("rtdw_skipped_records_total = %v, want 2", n)
	}
}
