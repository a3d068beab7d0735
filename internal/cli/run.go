package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse"
)

type runOptions struct {
	jobs     string
	sql      []string
	resets   []string
	drain    bool
	interval time.Duration
	httpAddr string
	httpAsk  bool // --http-addr or http_addr given: no free-port fallback
	progress time.Duration
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run warehouse jobs until stopped, or with --drain until their input is processed",
		Long: `Run the warehouse's jobs (all, or those named by --jobs) exactly-once: every
checkpoint commits each task's outputs, state and input offsets atomically, so
killing rtdw at any moment and running it again gives the same results.

Without --drain, jobs run until SIGINT/SIGTERM, then commit and exit 0.
With --drain, rtdw processes the input present at start (and everything that
input produces for downstream jobs), ends every operator's input (windows
fire), commits and exits 0: the bounded, backfill mode.

Prometheus metrics, a status page and the topic commands of other rtdw
processes on this data dir are served on --http-addr (default 127.0.0.1:8088,
or a free port when that one is taken; http_addr in the config). With
--drain nothing is served unless --http-addr (or http_addr) asks for it, and
the data dir must exist: a drain processes what it holds. With
--auth-token (or RTDW_AUTH_TOKEN, auth_token in the config) every endpoint
but /healthz requires "Authorization: Bearer <token>" (or ?token= in a
browser link); an --http-addr beyond loopback logs a warning.`,
		Example: `  rtdw run                                   # every job, until Ctrl-C
  rtdw run --jobs dwd_base_log --drain       # backfill one job and exit
  rtdw run --config rtdw.yaml --checkpoint-interval 200ms`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("checkpoint-interval") {
				o.interval = cfg.CheckpointInterval
			}
			o.httpAsk = g.httpAddrAsked(cmd)
			switch {
			case o.httpAsk:
			case cfg.HTTPAddr != nil:
				o.httpAddr, o.httpAsk = *cfg.HTTPAddr, true
			case o.drain:
				o.httpAddr = "" // a bounded run binds no port unless asked
			}
			return runRun(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.jobs, "jobs", "", "comma-separated job names (see 'rtdw jobs'); default: config jobs, else all")
	f.StringArrayVar(&o.sql, "sql", nil, "Flink SQL file or directory of *.sql to run as jobs (repeatable; default: config sql); built-in jobs then run only when named by --jobs")
	f.StringArrayVar(&o.resets, "reset-job", nil, "start this SQL job from scratch after changing its SQL (new state and positions)")
	f.BoolVar(&o.drain, "drain", false, "process the input present at start, fire every window, commit and exit")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "time between atomic checkpoints (default: config, 1s)")
	httpAddrFlag(f, &o.httpAddr, "127.0.0.1:8088", "serve /metrics, a status page and topic commands here (empty: off; default off with --drain; a free port if the default is taken)")
	f.DurationVar(&o.progress, "progress", 5*time.Second, "print a progress line to stderr this often (0: never)")
	return c
}

func runRun(ctx context.Context, g *globals, cfg Config, o *runOptions) error {
	if o.interval <= 0 {
		return usagef("--checkpoint-interval must be > 0")
	}
	names := splitList(o.jobs)
	if len(names) == 0 {
		names = cfg.Jobs
	}
	if _, err := warehouse.Select(cfg.warehouse(), withoutLoad(names)); err != nil && len(names) > 0 {
		return usageError{err} // before opening anything: a typo is a usage error
	}
	sqlPaths := o.sql
	if len(sqlPaths) == 0 {
		sqlPaths = cfg.SQL
	}
	if o.drain && cfg.Mode != "kafka" && len(sqlPaths) == 0 {
		// The warehouse's jobs drain topics that must be there already;
		// SQL pipelines may write their own (mysql-cdc, datagen).
		if err := g.requireDataDir(); err != nil {
			return err // a mistyped --data-dir: nothing to drain
		}
	}
	l, err := g.openLog(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	var jobs []*stream.Job
	var services *connector.Services
	var olapSink olap.Sink
	var dims dim.Store
	if len(sqlPaths) == 0 || len(names) > 0 {
		w, err := g.openWarehouse(ctx, cfg, l, names)
		if err != nil {
			return err
		}
		defer w.close()
		jobs = append(jobs, w.jobs...)
		olapSink, dims = w.olap, w.dims
	}
	if len(sqlPaths) > 0 {
		p, err := g.planSQLPipeline(cfg, l, sqlPaths, o.resets, true, olapSink)
		if err != nil {
			return err
		}
		defer p.cat.Close()
		defer connector.CloseOLAP()
		defer connector.CloseLookups()
		services = p.services
		for _, j := range p.jobs {
			for _, prep := range j.Prepare {
				if err := prep(); err != nil {
					return fmt.Errorf("SQL job %s: %w", j.Name, err)
				}
			}
			jobs = append(jobs, j.Jobs...)
		}
	}
	reg := newRegistry()
	metrics := stream.NewMetrics(reg)
	if o.httpAddr != "" {
		srv, stop, err := g.serveOrFree(o.httpAddr, o.httpAsk, func(addr string) (string, func(), error) {
			return serveHTTP(addr, reg, l, g, consoleSetup{process: "run", jobs: jobs, querier: olapSink, olapCfg: &cfg,
				warehouse: len(sqlPaths) == 0 || len(names) > 0, dashboard: true, state: l.StateStore(), dims: dims})
		})
		if err != nil {
			return err
		}
		defer stop() // before the deferred l.Close
		fmt.Fprintf(g.stderr, "console: http://%s/ (dashboard /dashboard/, metrics /metrics)\n", srv)
	}
	started := time.Now()
	stopProgress := reportProgress(ctx, g, reg, o.progress)
	defer stopProgress()
	defer startSources(ctx, g, cfg, l)() // sources.* of rtdw.yaml, stopped before l closes
	runCtx, stopServices := ctx, func() error { return nil }
	if !o.drain {
		runCtx, stopServices = services.Start(ctx) // mysql-cdc captures next to the jobs
	}
	err = stream.Run(runCtx, stream.Options{Log: l, Interval: o.interval, Partitions: cfg.Partitions, MaxEventTimeSkew: cfg.MaxEventTimeSkew,
		Drain: o.drain, Metrics: metrics, Logger: g.logger}, jobs...)
	if serr := stopServices(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if o.drain {
		fmt.Fprintf(g.stderr, "drained %d job(s) in %s: %s\n%s", len(jobs), time.Since(started).Round(time.Millisecond), summarize(reg), jobReport(reg))
	}
	return nil
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(dim.Collectors()...)        // lookup misses
	reg.MustRegister(exec.LookupCollectors()...) // SQL lookup joins
	reg.MustRegister(olap.Collectors()...)       // the OLAP load job
	return reg
}

// summarize totals the engine counters for progress lines: records the
// jobs read from their source topics and wrote to their output topics
// (each record once, however many operators it passed), dead letters,
// and the consumer lag.
func summarize(reg *prometheus.Registry) string {
	mfs, err := reg.Gather()
	if err != nil {
		return err.Error()
	}
	sum := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum[mf.GetName()] += m.Counter.GetValue()
			case m.Gauge != nil:
				sum[mf.GetName()] += m.Gauge.GetValue()
			}
		}
	}
	return fmt.Sprintf("records in %.0f, out %.0f, dead letters %.0f, lag %.0f",
		sum["rtdw_source_records_total"], sum["rtdw_sink_records_total"], sum["rtdw_dead_letters_total"], sum["rtdw_consumer_lag"])
}

// jobReport is a line per job of what it read and wrote, per topic, for
// the summary of a drained run.
func jobReport(reg *prometheus.Registry) string {
	mfs, err := reg.Gather()
	if err != nil {
		return ""
	}
	type counts struct{ in, out map[string]float64 }
	jobs := map[string]*counts{}
	dead := map[string]float64{}
	job := func(name string) *counts {
		c := jobs[name]
		if c == nil {
			c = &counts{in: map[string]float64{}, out: map[string]float64{}}
			jobs[name] = c
		}
		return c
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case "rtdw_source_records_total":
				job(labels["job"]).in[labels["topic"]] += m.GetCounter().GetValue()
			case "rtdw_sink_records_total":
				job(labels["job"]).out[labels["topic"]] += m.GetCounter().GetValue()
			case "rtdw_dead_letters_total":
				dead[labels["job"]] += m.GetCounter().GetValue()
			}
		}
	}
	list := func(m map[string]float64) string {
		var total float64
		var parts []string
		for _, t := range slices.Sorted(maps.Keys(m)) {
			total += m[t]
			parts = append(parts, fmt.Sprintf("%s %.0f", t, m[t]))
		}
		if len(parts) == 0 {
			return "0"
		}
		return fmt.Sprintf("%.0f (%s)", total, strings.Join(parts, ", "))
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		c := jobs[name]
		fmt.Fprintf(&b, "  %s: in %s, out %s", name, list(c.in), list(c.out))
		if n := dead[name]; n > 0 {
			fmt.Fprintf(&b, ", dead letters %.0f", n)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func reportProgress(ctx context.Context, g *globals, reg *prometheus.Registry, every time.Duration) func() {
	if every <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Fprintf(g.stderr, "progress: %s\n", summarize(reg))
			}
		}
	}()
	return cancel
}

// withoutLoad drops olap_load (not a warehouse job) from job names.
func withoutLoad(names []string) []string {
	var out []string
	for _, n := range names {
		if n != LoadJob {
			out = append(out, n)
		}
	}
	return out
}
