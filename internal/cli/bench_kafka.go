package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/dwd"
)

// benchKafka: dwd_base_log on an in-process kfake broker, run by one
// worker (group session, transactions, changelogs) until its group has
// committed the end of every input. The broker's CPU is in the figure: it
// shares the process, as it would share a machine with a small cluster.
func benchKafka(ctx context.Context, g *globals, o *benchOptions) error {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := kafka.Open(kafka.Options{Brokers: c.ListenAddrs()})
	if err != nil {
		return err
	}
	defer l.Close()
	res, err := loadBenchInput(ctx, l, o)
	if err != nil {
		return err
	}
	parts := benchPartitions()
	db, err := state.OpenLocal(o.dir, g.logger)
	if err != nil {
		return err
	}
	defer db.Close()
	job := dwd.BaseLog(dwd.BaseLogConfig{})
	const group = "rtdw-bench-dwd_base_log"
	metrics := stream.NewMetrics(nil)
	start, cpu0 := time.Now(), cpuSeconds()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- stream.RunWorker(wctx, stream.WorkerOptions{
			Options: stream.Options{Log: l, Interval: o.interval, Partitions: parts, Metrics: metrics, Logger: g.logger},
			State:   db,
			NewSession: func(job string, topics []string) (stream.Session, error) {
				return l.NewSession(kafka.SessionOptions{Group: group, TransactionalID: group + "-1", Topics: topics, Logger: g.logger})
			},
		}, job)
	}()
	// Done when every event's processing is committed: the counters are
	// published at commits. (Waiting for the group's offsets to pass the
	// last watermark markers would add idle checkpoint intervals.)
	for !allCommitted(metrics, job.Name, o.events) {
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("worker stopped early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	stop()
	if err := <-done; err != nil {
		return err
	}
	for _, t := range []string{dwd.TopicTrafficErr, dwd.TopicTrafficStart, dwd.TopicTrafficDisp, dwd.TopicTrafficAction, dwd.TopicTrafficPage} {
		n, err := countCommitted(ctx, l, t)
		if err != nil {
			return err
		}
		res.Outputs += n
	}
	return report(g, res)
}

// countCommitted counts the records a read_committed reader sees in topic.
func countCommitted(ctx context.Context, l rlog.Log, topic string) (int64, error) {
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for p := int32(0); p < info.Partitions; p++ {
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		_, end, err := l.Offsets(ctx, tp)
		if err != nil {
			return 0, err
		}
		for off := int64(0); off < end; {
			recs, err := l.Fetch(ctx, tp, off, 100000, 0)
			if err != nil {
				return 0, err
			}
			if len(recs) == 0 {
				break
			}
			n += int64(len(recs))
			off = recs[len(recs)-1].Offset + 1
		}
	}
	return n, nil
}

// allCommitted: dwd_base_log's operators have committed every event:
// etl saw them all, and each later operator saw what the one before
// emitted (records crossing the repartition topic included).
func allCommitted(m *stream.Metrics, job string, events int64) bool {
	get := func(v *prometheus.CounterVec, op string) float64 {
		var d dto.Metric
		v.WithLabelValues(job, op).Write(&d)
		return d.GetCounter().GetValue()
	}
	return get(m.RecordsIn, "etl") == float64(events) &&
		get(m.RecordsIn, "fix_is_new") == get(m.RecordsOut, "etl") &&
		get(m.RecordsIn, "split") == get(m.RecordsOut, "fix_is_new")
}
