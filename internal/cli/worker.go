package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse"
)

type workerOptions struct {
	jobs     string
	sql      []string
	stateDir string
	id       string
	interval time.Duration
	httpAddr string
	progress time.Duration
}

func newWorkerCmd(g *globals) *cobra.Command {
	o := &workerOptions{}
	c := &cobra.Command{
		Use:   "worker",
		Short: "Run jobs in cluster mode as one of any number of workers sharing Kafka partitions",
		Long: `Run warehouse jobs on Kafka (mode: kafka in rtdw.yaml). Each job is a Kafka
consumer group (kafka.group_id_prefix + job name); start as many workers as you
like, on any machines, and they share each job's partitions. Partition p of
every input of a job (its source and its repartition topics) goes to the same
worker, which runs that partition's task.

Exactly-once: at each checkpoint a worker commits, in one Kafka transaction,
the outputs of all its tasks, their state changes (to a compacted changelog
topic per stateful operator) and the input offsets. When a worker stops or
dies, its partitions move to the others, which restore the tasks' state from
the changelogs and continue from the committed offsets. A transaction left
open by a stopped worker is aborted by the broker after
kafka.transaction_timeout and its work redone; read_committed consumers never
see it.

Local state lives in --state-dir (default: a temporary directory, removed on
exit, or by the next worker started on the machine if this one is killed):
it is a cache of the changelogs, restored on every assignment.`,
		Example: `  rtdw kafka-dev --listen 127.0.0.1:9092 --data-dir ./kafka &   # or a real cluster
  cat > rtdw.yaml <<EOF
  mode: kafka
  kafka:
    brokers: ["127.0.0.1:9092"]
  EOF
  rtdw --config rtdw.yaml worker --jobs dwd_base_log &
  rtdw --config rtdw.yaml worker --jobs dwd_base_log &     # a second worker shares the partitions`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("checkpoint-interval") {
				o.interval = cfg.CheckpointInterval
			}
			return runWorker(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.jobs, "jobs", "", "comma-separated job names (see 'rtdw jobs'); default: config jobs, else all")
	f.StringArrayVar(&o.sql, "sql", nil, "Flink SQL file or directory of *.sql to run as jobs (repeatable; default: config sql); built-in jobs then run only when named by --jobs")
	f.StringVar(&o.stateDir, "state-dir", "", "local state directory (default: a temporary one, removed on exit, or by the next worker if this one is killed)")
	f.StringVar(&o.id, "id", "", "worker id in transactional ids and logs (default: host-pid-random)")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "time between transactions (default: config, 1s)")
	f.StringVar(&o.httpAddr, "http-addr", "", "serve the web console, Prometheus /metrics and /debug/pprof/ here, e.g. 127.0.0.1:9108 (empty: off)")
	f.DurationVar(&o.progress, "progress", 10*time.Second, "print a progress line to stderr this often (0: never)")
	return c
}

func runWorker(ctx context.Context, g *globals, cfg Config, o *workerOptions) error {
	if cfg.Mode != "kafka" {
		return usagef("rtdw worker runs in cluster mode: set `mode: kafka` and kafka.brokers in the --config file (embedded mode runs jobs with `rtdw run`)")
	}
	if o.interval <= 0 {
		return usagef("--checkpoint-interval must be > 0")
	}
	names := splitList(o.jobs)
	if len(names) == 0 {
		names = cfg.Jobs
	}
	if _, err := warehouse.Select(cfg.warehouse(), withoutLoad(names)); err != nil && len(names) > 0 {
		return usageError{err}
	}
	if o.id == "" {
		host, _ := os.Hostname()
		var b [3]byte
		rand.Read(b[:])
		o.id = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	dir := o.stateDir
	var err error
	if dir == "" {
		var release func()
		if dir, release, err = workerTempDir(g.logger); err != nil {
			return err
		}
		defer release()
	}
	if _, err := g.applyMemory(cfg); err != nil {
		return err
	}
	db, err := state.OpenLocal(dir, g.logger)
	if err != nil {
		return fmt.Errorf("%w (is another worker using --state-dir %s?)", err, dir)
	}
	defer db.Close()
	l, err := cfg.Kafka.open()
	if err != nil {
		return err
	}
	defer l.Close()
	sqlPaths := o.sql
	if len(sqlPaths) == 0 {
		sqlPaths = cfg.SQL
	}
	var jobs []*stream.Job
	var services *connector.Services
	if len(sqlPaths) > 0 {
		// Every worker plans the same files into the same jobs (names are
		// stable), and the jobs' consumer groups share the partitions.
		// Plan changes are not checked here: no data dir is shared.
		p, err := g.planSQLPipeline(cfg, l, sqlPaths, nil, false, nil)
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
	if len(sqlPaths) == 0 || len(names) > 0 {
		w, err := g.openWarehouse(ctx, cfg, l, names)
		if err != nil {
			return err
		}
		defer w.close()
		jobs = append(jobs, w.jobs...)
	}
	reg := newRegistry()
	metrics := stream.NewMetrics(reg)
	if o.httpAddr != "" {
		addr, stop, err := serveConsole(o.httpAddr, reg, l, g, workerConsole(cfg, jobs, db))
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(g.stderr, "console: http://%s/ (metrics /metrics)\n", addr)
	}
	stopProgress := reportProgress(ctx, g, reg, o.progress)
	defer stopProgress()
	fmt.Fprintf(g.stderr, "worker %s: %d job(s) on %v; Ctrl-C commits and leaves the group\n", o.id, len(jobs), cfg.Kafka.Brokers)
	k := cfg.Kafka
	runCtx, stopServices := services.Start(ctx) // mysql-cdc captures next to the jobs
	err = stream.RunWorker(runCtx, stream.WorkerOptions{
		Options: stream.Options{Log: l, Interval: o.interval, Partitions: cfg.Partitions, MaxEventTimeSkew: cfg.MaxEventTimeSkew,
			MaxRecordBytes: k.MaxRecordBytes, Metrics: metrics, Logger: g.logger},
		State: db,
		NewSession: func(job string, topics []string) (stream.Session, error) {
			return l.NewSession(kafka.SessionOptions{
				Group: k.GroupIDPrefix + job, TransactionalID: k.GroupIDPrefix + job + "-" + o.id, Topics: topics,
				TransactionTimeout: k.TransactionTimeout, SessionTimeout: k.SessionTimeout,
				MaxBatchBytes: int32(k.MaxBatchBytes), Logger: g.logger,
			})
		},
	}, jobs...)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if serr := stopServices(); err == nil {
		err = serr
	}
	return err
}
