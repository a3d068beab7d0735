package stream_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// A job's input and output are counted as records of its source and
// output topics, not summed over operators (a record through three
// operators is one record); repartition topics and dead letters are not
// outputs. The series exist from the start, at zero.
func TestJobMetricsCountTopicsNotOperators(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 2})
	reg := prometheus.NewRegistry()
	m := stream.NewMetrics(reg)
	j := stream.NewJob("m")
	s := j.Source("in").
		Process("check", func() stream.Operator { return rejectBad{} }).Main().
		KeyBy("by_value", func(r *stream.Record) ([]byte, error) { return r.Value, nil })
	s.To("out")
	s.To("copy")

	// Nothing to read yet: the series are there, at zero.
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 2, Metrics: m}, j); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rtdw_source_records_total", "rtdw_sink_records_total", "rtdw_checkpoint_failures_total", "rtdw_records_in_total", "rtdw_task_restarts_total", "rtdw_task_seconds_total"} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n == 0 {
			t.Errorf("%s: %d series before any data (%v)", name, n, err)
		}
	}
	if v := testutil.ToFloat64(m.SourceRecords.WithLabelValues("m", "in")); v != 0 {
		t.Fatalf("source records %v before any data", v)
	}

	var recs []rlog.Record
	for i := range 10 {
		v := "x"
		if i == 3 {
			v = "bad"
		}
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 2), Value: []byte(v + string(rune('a'+i)))})
	}
	recs[3].Value = []byte("bad")
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 2, Metrics: m}, j); err != nil {
		t.Fatal(err)
	}
	// 10 read, 1 dead-lettered, 9 written to each of two topics.
	for _, c := range []struct {
		what string
		got  float64
		want float64
	}{
		{"source in", testutil.ToFloat64(m.SourceRecords.WithLabelValues("m", "in")), 10},
		{"sink out", testutil.ToFloat64(m.SinkRecords.WithLabelValues("m", "out")), 9},
		{"sink copy", testutil.ToFloat64(m.SinkRecords.WithLabelValues("m", "copy")), 9},
		{"dead letters", testutil.ToFloat64(m.DeadLetters.WithLabelValues("m", "bad_value")), 1},
		{"checkpoint failures", testutil.ToFloat64(m.CheckpointFailures.WithLabelValues("m")), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if v := testutil.ToFloat64(m.LastCheckpoint.WithLabelValues("m")); v < 1.7e9 {
		t.Errorf("last checkpoint %v", v)
	}
	if v := testutil.ToFloat64(m.StoreBytes); v <= 0 {
		t.Errorf("state store bytes %v", v)
	}
	for _, st := range []string{"busy", "commit"} {
		if v := testutil.ToFloat64(m.TaskTime.WithLabelValues("m", st)); v <= 0 {
			t.Errorf("task time %s = %v", st, v)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "rtdw_sink_records_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v := lp.GetValue(); lp.GetName() == "topic" && (strings.HasPrefix(v, "_rtdw") || v == "dirty_data") {
					t.Errorf("internal or dead-letter topic %s counted as an output", v)
				}
			}
		}
	}
}

// rejectBad dead-letters the value "bad" and passes the others on.
type rejectBad struct{}

func (rejectBad) Open(*stream.Context) error { return nil }
func (rejectBad) Process(r *stream.Record, out stream.Emitter) error {
	if string(r.Value) == "bad" {
		return stream.BadInput("bad_value", "bad")
	}
	out.Emit(0, r)
	return nil
}

// putter keeps a 1,000-byte value per key.
type putter struct{ v *state.ValueState }

func (p *putter) Open(ctx *stream.Context) error { p.v = ctx.Value("v"); return nil }
func (p *putter) Process(r *stream.Record, out stream.Emitter) error {
	return p.v.Put(r.Key, bytes.Repeat([]byte{'v'}, 1000))
}

// rtdw_state_written_bytes_total counts the state a job's checkpoints
// commit: 20 keys of 1,000 bytes, then the same 20 again (a second run
// rewrites them), each with a short key and Pebble's few bytes per entry.
func TestStateWrittenCountsCommittedState(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 2})
	reg := prometheus.NewRegistry()
	m := stream.NewMetrics(reg)
	stateful := stream.NewJob("stateful")
	stateful.Source("in").KeyBy("by_value", func(r *stream.Record) ([]byte, error) { return r.Value, nil }).
		Process("put", func() stream.Operator { return &putter{} })
	stateless := stream.NewJob("stateless")
	stateless.Source("in").KeyBy("by_value", func(r *stream.Record) ([]byte, error) { return r.Value, nil }).To("out")
	written := func() (float64, float64) {
		return stateWritten(t, reg, "stateful"), stateWritten(t, reg, "stateless")
	}
	for run := 1; run <= 2; run++ {
		var recs []rlog.Record
		for i := range 20 {
			recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 2), Value: fmt.Appendf(nil, "key%02d", i)})
		}
		if err := l.Produce(bg, recs...); err != nil {
			t.Fatal(err)
		}
		if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 2, Metrics: m}, stateful, stateless); err != nil {
			t.Fatal(err)
		}
		sf, sl := written()
		// What the state itself adds over a job that keeps none (its
		// bookkeeping: offsets, watermarks).
		if got, lo, hi := sf-sl, float64(run*20*1000), float64(run*20*1200); got < lo || got > hi {
			t.Errorf("after run %d: the stateful job committed %.0f bytes more than the stateless one, want %.0f..%.0f", run, got, lo, hi)
		}
		// All of it is the put operator's state "v".
		if got, lo, hi := testutil.ToFloat64(m.StateWritten.WithLabelValues("stateful", "put", "v")), float64(run*20*1000), float64(run*20*1100); got < lo || got > hi {
			t.Errorf("after run %d: state put/v committed %.0f bytes, want %.0f..%.0f", run, got, lo, hi)
		}
	}
}

// stateWritten sums rtdw_state_written_bytes_total over a job's operators
// and states.
func stateWritten(t *testing.T, reg *prometheus.Registry, job string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "rtdw_state_written_bytes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "job" && l.GetValue() == job {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// In a drained run, records keyed into a stage that waits for the
// watermark go through the repartition topic even for the task's own
// partition, so they reach the window together with the watermark
// markers committed with them: the windows they open close before the
// next checkpoint and never reach state. A thousand 10 ms windows, each
// worth some 60 bytes of window and timer state, in one partition: had
// they arrived ahead of their markers (in process), the checkpoint ending
// the first stage would have committed every one of them.
func TestDrainedWindowsCloseBeforeTheirCheckpoint(t *testing.T) {
	l := openLog(t)
	l.CreateTopic(bg, "ev", rlog.TopicConfig{Partitions: 1})
	var recs []rlog.Record
	for i := range 1000 {
		recs = append(recs, rlog.Record{Topic: "ev", Value: fmt.Appendf(nil, "k,1,%d", base+int64(i)*10)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := stream.NewMetrics(reg)
	windows := stream.NewJob("windows")
	windows.Source("ev", stream.EventTime(csvTime), stream.OutOfOrderness(0)).KeyBy("by_key", csvKey).
		Process("sum", func() stream.Operator { return &windowSum{} }).Main().To("sums")
	pass := stream.NewJob("pass")
	pass.Source("ev", stream.EventTime(csvTime), stream.OutOfOrderness(0)).KeyBy("by_key", csvKey).To("copy")
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 1, Metrics: m}, windows, pass); err != nil {
		t.Fatal(err)
	}
	if got := logtest.ReadAll(t, l, "sums"); len(got) != 1000 {
		t.Fatalf("%d windows emitted, want 1000", len(got))
	}
	w := stateWritten(t, reg, "windows") - stateWritten(t, reg, "pass")
	if w > 1000*60/10 {
		t.Errorf("the window job committed %.0f bytes of state more than a stateless one: its windows reached state", w)
	}
}
