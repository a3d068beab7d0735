package stream_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/stream"
)

// Freshness is per partition: each task reports the age of the newest
// record it committed, and one task's value does not overwrite another's.
func TestFreshnessPerPartition(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) int64 { return now.Add(-d).UnixMilli() }
	if err := l.Produce(bg,
		rlog.Record{Topic: "in", Partition: 0, Value: []byte("a"), Timestamp: ms(20 * time.Second)},
		rlog.Record{Topic: "in", Partition: 0, Value: []byte("b"), Timestamp: ms(5 * time.Second)},
		rlog.Record{Topic: "in", Partition: 1, Value: []byte("c"), Timestamp: ms(60 * time.Second)},
	); err != nil {
		t.Fatal(err)
	}
	j := stream.NewJob("fresh")
	j.Source("in").To("out")
	m := stream.NewMetrics(prometheus.NewRegistry())
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Metrics: m, Now: func() time.Time { return now }}, j); err != nil {
		t.Fatal(err)
	}
	for part, want := range map[string]float64{"0": 5, "1": 60} {
		if got := testutil.ToFloat64(m.Freshness.WithLabelValues("fresh", part)); got != want {
			t.Errorf("partition %s: freshness %v s, want %v", part, got, want)
		}
	}
}
