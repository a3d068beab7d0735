package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse"
	"github.com/rtdw/rtdw/internal/warehouse/dwd"
)

type demoOptions struct {
	backfill int64
	rate     float64
	httpAddr string
	seed     int64
}

func newDemoCmd(g *globals) *cobra.Command {
	o := &demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole warehouse on the mock shop and serve the dashboard",
		Long: `Start the mock shop and every warehouse job in one process: a backfill of
simulated app logs is written first, then new logs keep arriving at --rate while
the jobs run exactly-once. The status page and /metrics are served on
--http-addr. Stop with Ctrl-C; run again to continue where it stopped.`,
		Example: `  rtdw demo
  rtdw demo --rate 2000 --http-addr 127.0.0.1:9000`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("http-addr") {
				o.httpAddr = cfg.HTTPAddr
			}
			return runDemo(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	f.Int64Var(&o.backfill, "backfill", 100_000, "app-log lines to write before starting, if topic_log is empty")
	f.Float64Var(&o.rate, "rate", 500, "live app-log lines per second")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8088", "serve the dashboard and /metrics here")
	f.Int64Var(&o.seed, "seed", 1, "mock shop seed")
	return c
}

func runDemo(ctx context.Context, g *globals, cfg Config, o *demoOptions) error {
	l, err := g.openLog(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	if _, err := rlog.EnsureTopic(ctx, l, dwd.TopicLog, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
		return err
	}
	var have int64
	for p := int32(0); p < cfg.Partitions; p++ {
		_, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: dwd.TopicLog, Partition: p})
		have += end
	}
	loc, _ := time.LoadLocation(cfg.Timezone)
	// Continue the same deterministic stream after a restart: skip what exists.
	gen, err := mock.NewLogGenerator(mock.LogConfig{Seed: o.seed, Location: loc})
	if err != nil {
		return err
	}
	for range have {
		gen.Next(nil)
	}
	emit, flush := mockProducer(ctx, l, dwd.TopicLog)
	if have == 0 && o.backfill > 0 {
		fmt.Fprintf(g.stderr, "writing %d simulated app logs to %s ...\n", o.backfill, dwd.TopicLog)
		for range o.backfill {
			if err := emit(gen.Next(nil)); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	reg := newRegistry()
	addr, stopHTTP, err := serveHTTP(o.httpAddr, reg, l, g)
	if err != nil {
		return err
	}
	defer stopHTTP()                     // before the deferred l.Close
	defer startSources(ctx, g, cfg, l)() // sources.* of rtdw.yaml (a MySQL database), as rtdw run
	fmt.Fprintf(g.stdout, "dashboard: http://%s/\n", addr)
	fmt.Fprintf(g.stderr, "jobs running; live logs at %.0f/s; Ctrl-C stops (run again to continue)\n", o.rate)

	go func() { // the live shop
		start := time.Now()
		for n := int64(0); ctx.Err() == nil; n++ {
			if ahead := time.Duration(float64(n)/o.rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
			if err := emit(gen.Next(nil)); err != nil && ctx.Err() == nil {
				g.logger.Error("mock shop", "err", err)
				return
			}
		}
	}()
	stop := reportProgress(ctx, g, reg, 10*time.Second)
	defer stop()
	jobs, err := warehouse.Select(cfg.warehouse(), cfg.Jobs)
	if err != nil {
		return err
	}
	return stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions,
		Metrics: stream.NewMetrics(reg), Logger: g.logger}, jobs...)
}
