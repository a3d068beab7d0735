package stream_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
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
