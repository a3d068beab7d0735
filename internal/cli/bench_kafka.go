package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

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
	t0 := time.Now()
	parts := int32(max(2, runtime.GOMAXPROCS(0)))
	if err := l.CreateTopic(ctx, dwd.TopicLog, rlog.TopicConfig{Partitions: parts}); err != nil {
		return err
	}
	f, err := os.Open(o.input)
	if err != nil {
		return err
	}
	emit, flush := mockProducer(ctx, l, dwd.TopicLog)
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := readLine(r)
		if len(line) > 0 {
			if err := emit(line); err != nil {
				return err
			}
		}
		if err != nil {
			break
		}
	}
	f.Close()
	if err := flush(); err != nil {
		return err
	}
	res := benchResult{Events: o.events, Ingest: time.Since(t0).Seconds()}
	db, err := state.OpenLocal(o.dir, g.logger)
	if err != nil {
		return err
	}
	defer db.Close()
	job := dwd.BaseLog(dwd.BaseLogConfig{})
	const group = "rtdw-bench-dwd_base_log"
	start, cpu0 := time.Now(), cpuSeconds()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- stream.RunWorker(wctx, stream.WorkerOptions{
			Options: stream.Options{Log: l, Interval: o.interval, Partitions: parts, Metrics: stream.NewMetrics(nil), Logger: g.logger},
			State:   db,
			NewSession: func(job string, topics []string) (stream.Session, error) {
				return l.NewSession(kafka.SessionOptions{Group: group, TransactionalID: group + "-1", Topics: topics, Logger: g.logger})
			},
		}, job)
	}()
	for {
		ok, err := groupCaughtUp(ctx, l, group, job.Name)
		if err != nil {
			stop()
			return err
		}
		if ok {
			break
		}
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("worker stopped early: %v", err)
		case <-time.After(50 * time.Millisecond):
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

// groupCaughtUp: the group committed past every record of the job's
// source and repartition topics (transaction markers take offsets too, so
// "past every record" is checked by fetching after the committed offset).
func groupCaughtUp(ctx context.Context, l *kafka.Log, group, job string) (bool, error) {
	topics, err := l.ListTopics(ctx)
	if err != nil {
		return false, err
	}
	for _, info := range topics {
		if info.Name != dwd.TopicLog && !(strings.HasPrefix(info.Name, "_rtdw-"+job+"-") && strings.HasSuffix(info.Name, "-repartition")) {
			continue
		}
		for p := int32(0); p < info.Partitions; p++ {
			tp := rlog.TopicPartition{Topic: info.Name, Partition: p}
			_, end, err := l.Offsets(ctx, tp)
			if err != nil {
				return false, err
			}
			off, _, err := l.CommittedOffset(ctx, group, tp)
			if err != nil {
				return false, err
			}
			if off >= end {
				continue
			}
			recs, err := l.Fetch(ctx, tp, off, 1, 0)
			if err != nil || len(recs) > 0 {
				return false, err
			}
		}
	}
	return true, nil
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
