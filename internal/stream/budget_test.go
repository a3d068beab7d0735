package stream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// checkpoints counts the checkpoints committed, over every job.
func checkpoints(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == "rtdw_checkpoint_duration_seconds" {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}

// MaxPendingTotal bounds what a run's tasks buffer together: with a small
// one, tasks checkpoint long before the interval or their own
// MaxPendingBytes would make them, and the result is the same.
func TestPendingTotalForcesEarlierCheckpoints(t *testing.T) {
	for _, topics := range []bool{false, true} {
		t.Run(fmt.Sprintf("repartition_topics=%v", topics), func(t *testing.T) { testPendingTotal(t, topics) })
	}
}

func testPendingTotal(t *testing.T, topics bool) {
	run := func(total int) (uint64, map[string]int, map[string]int) {
		l := openLog(t)
		if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
			t.Fatal(err)
		}
		want := produce(t, l, 0, 20000)
		reg := prometheus.NewRegistry()
		opts := stream.Options{Log: l, Drain: true, Interval: time.Hour, MaxPendingBytes: 1 << 30, MaxPendingTotal: total,
			FetchMax: 100, Metrics: stream.NewMetrics(reg), PurgeInterval: -1, Exchange: exchangeOf(topics)}
		if err := stream.Run(bg, opts, windowJob(nil)); err != nil {
			t.Fatal(err)
		}
		return checkpoints(t, reg), want, sums(t, l)
	}
	loose, want, got := run(1 << 30)
	equalMaps(t, want, got)
	tight, want, got := run(16 << 10)
	equalMaps(t, want, got)
	t.Logf("checkpoints: %d with a 16 KiB total, %d with 1 GiB", tight, loose)
	// A checkpoint on the in-memory exchange is one of the whole job (four
	// tasks here), and counts once.
	least := uint64(40)
	if !topics {
		least = 10
	}
	if tight < 4*loose || tight < least {
		t.Fatalf("%d checkpoints with a 16 KiB total, %d with 1 GiB: the total did not force any", tight, loose)
	}
}
