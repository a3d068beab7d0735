package stream_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	rlog "github.com/rtdw/rtdw/internal/log"
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
