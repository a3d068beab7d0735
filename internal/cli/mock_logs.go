package cli

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
)

type mockLogsOptions struct {
	count   int64
	seed    int64
	date    string
	devices int
	rate    float64
	toTopic string
}

// newMockLogsCmd: app logs only, the fast path demos and benchmarks use.
func newMockLogsCmd(g *globals) *cobra.Command {
	o := &mockLogsOptions{}
	logs := &cobra.Command{
		Use:   "logs",
		Short: "Generate app-log lines only (topic_log format), deterministic per seed",
		Long: `Generate app-log lines only, without the business database: the quick way to
fill topic_log. 'rtdw mock' simulates the whole shop (logs and database).`,
		Example: `  rtdw mock logs --count 5 --seed 42
  rtdw mock logs --count 100000 | rtdw topic produce topic_log --key-field common.mid
  rtdw mock logs --count 100000 --to-topic topic_log    # same, in one process`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runMockLogs(cmd.Context(), g, cfg, o)
		},
	}
	f := logs.Flags()
	f.Int64Var(&o.count, "count", 1000, "lines to generate (0: until stopped)")
	f.Int64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same lines")
	f.StringVar(&o.date, "date", "2026-11-21", "business date (yyyy-MM-dd) of the log times")
	f.IntVar(&o.devices, "devices", 1000, "distinct devices (mids)")
	f.Float64Var(&o.rate, "rate", 0, "lines per second (0: as fast as possible)")
	f.StringVar(&o.toTopic, "to-topic", "", "append to this topic (keyed by common.mid) instead of stdout")
	return logs
}

func runMockLogs(ctx context.Context, g *globals, cfg Config, o *mockLogsOptions) error {
	if o.count < 0 || o.rate < 0 {
		return usagef("--count and --rate must be >= 0")
	}
	loc, _ := time.LoadLocation(cfg.Timezone)
	gen, err := mock.NewLogGenerator(mock.LogConfig{Seed: o.seed, Date: o.date, Devices: o.devices, Location: loc})
	if err != nil {
		return usageError{err}
	}
	var emit func(line []byte) error
	var done func() error
	if o.toTopic == "" {
		w := bufio.NewWriterSize(g.stdout, 256<<10)
		emit = func(line []byte) error { w.Write(line); return w.WriteByte('\n') }
		done = w.Flush
	} else {
		l, err := g.openTopics(cfg)
		if err != nil {
			return err
		}
		defer l.Close()
		if _, err := rlog.EnsureTopic(ctx, l, o.toTopic, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
			return err
		}
		emit, done = mockProducer(ctx, l, o.toTopic)
	}
	start := time.Now()
	var n int64
	for o.count == 0 || n < o.count {
		if ctx.Err() != nil {
			break
		}
		if o.rate > 0 {
			if ahead := time.Duration(float64(n)/o.rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		if err := emit(gen.Next(nil)); err != nil {
			return err
		}
		n++
	}
	if err := done(); err != nil {
		return err
	}
	if o.toTopic != "" {
		fmt.Fprintf(g.stderr, "generated %d lines into %s in %s\n", n, o.toTopic, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// mockProducer batches generated lines into a topic, keyed by common.mid.
func mockProducer(ctx context.Context, l rlog.Log, topic string) (emit func([]byte) error, flush func() error) {
	var recs []rlog.Record
	path := []string{"common", "mid"}
	p := new(fastjson.Parser)
	last := time.Now()
	flush = func() error {
		if len(recs) == 0 {
			return nil
		}
		err := l.Produce(ctx, recs...)
		recs, last = recs[:0], time.Now()
		return err
	}
	emit = func(line []byte) error {
		recs = append(recs, rlog.Record{Topic: topic, Partition: rlog.AutoPartition, Key: keyOf(p, line, path), Value: line})
		if len(recs) >= 2000 || time.Since(last) > 200*time.Millisecond {
			return flush()
		}
		return nil
	}
	return emit, flush
}
