package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/connector/mysqlcdc"
	rlog "github.com/rtdw/rtdw/internal/log"
)

func init() { ingestCommands = append(ingestCommands, newIngestMySQLCmd) }

type ingestMySQLOptions struct {
	dsn       string
	databases []string
	tables    []string
	snapshot  string
	topic     string
	name      string
	serverID  uint32
	reset     bool
	httpAddr  string
}

func newIngestMySQLCmd(g *globals) *cobra.Command {
	o := &ingestMySQLOptions{}
	c := &cobra.Command{
		Use:   "mysql",
		Short: "Capture a MySQL/MariaDB binlog into topic_db as Maxwell JSON (the Maxwell role)",
		Long: `Read a MySQL or MariaDB server's binlog as a replica and write every row
change of the captured databases into topic_db, as Maxwell does: one JSON
object per row (database, table, type, ts, xid, commit/xoffset, data, old),
keyed by primary key ({"database":..,"table":..,"pk.id":..}).

On its first run it snapshots every captured table (bootstrap-start,
bootstrap-insert per row, bootstrap-complete) in a consistent read whose
binlog position the server reports, then streams the binlog from exactly
there: no row is missed or doubled between snapshot and binlog, even with
writes during the snapshot. Each commit to the log holds the records of
whole transactions and the binlog position after them, so after a crash
(even kill -9) it resumes with no loss and no duplicates. ALTER TABLE
mid-stream is followed from the binlog itself.

The server needs binlog_format=ROW and binlog_row_image=FULL (log_bin on),
and the user needs SELECT, RELOAD, REPLICATION SLAVE and REPLICATION CLIENT.
If the stored position was purged from the server, run again with --reset to
snapshot again. It runs until stopped (Ctrl-C).

With mode: kafka in rtdw.yaml the records go to topic_db on Kafka, and each
commit is one Kafka transaction holding them and the position, as a record
of the compacted topic _rtdw-ingest-mysql-<name>-position. The transactional
id <group_id_prefix>ingest-mysql-<name> is the reader's identity: a second
reader with the same --name fences the first, which stops.

The position carries the server's GTID state (MariaDB gtid_binlog_pos,
MySQL Executed_Gtid_Set when gtid_mode=ON); the reader resumes by GTID when
it is known, so a failover to a replica with other binlog file names
resumes in the right place, and by file + position otherwise.`,
		Example: `  rtdw mock init --to mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:3306)/'
  rtdw ingest mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:3306)/' --databases gmall,gmall_config
  rtdw ingest mysql --dsn 'root:pw@tcp(db:3306)/' --databases gmall --tables order_info,order_detail
  rtdw ingest mysql --dsn 'root:pw@tcp(db:3306)/' --databases gmall --snapshot only   # bootstrap, then exit
  rtdw topic tail topic_db --from-beginning --max 5`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runIngestMySQL(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.dsn, "dsn", "", "server, go-sql-driver form: user:password@tcp(host:port)/")
	f.StringSliceVar(&o.databases, "databases", nil, "databases to capture, comma-separated (every table of them)")
	f.StringSliceVar(&o.tables, "tables", nil, "capture only these tables (table or db.table), comma-separated")
	f.StringVar(&o.snapshot, "snapshot", mysqlcdc.SnapshotInitial, "initial (snapshot when no position is stored, then stream), never (stream from now), only (snapshot, then exit)")
	f.StringVar(&o.topic, "topic", "topic_db", "topic for the changes (created if missing)")
	f.StringVar(&o.name, "name", "mysql", "name of the stored position (one per captured server)")
	f.Uint32Var(&o.serverID, "server-id", 0, "replica server id to register with (0: random; must differ from other replicas)")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:0", "serve /metrics, and topic commands (rtdw topic tail) on the same --data-dir, here (\"\": off)")
	f.BoolVar(&o.reset, "reset", false, "forget the stored position and snapshot again (after it was purged from the server)")
	return c
}

func runIngestMySQL(ctx context.Context, g *globals, cfg Config, o *ingestMySQLOptions) error {
	if o.dsn == "" {
		return usagef("ingest mysql: --dsn is required, e.g. 'user:password@tcp(127.0.0.1:3306)/'")
	}
	if len(o.databases) == 0 {
		return usagef("ingest mysql: --databases is required, e.g. --databases gmall,gmall_config")
	}
	switch o.snapshot {
	case mysqlcdc.SnapshotInitial, mysqlcdc.SnapshotNever, mysqlcdc.SnapshotOnly:
	default:
		return usagef("ingest mysql: --snapshot %q: want initial, never or only", o.snapshot)
	}
	var l rlog.Log
	var err error
	if cfg.Mode == "kafka" {
		// The position goes to a compacted topic in the same Kafka
		// transaction as the records (mysqlcdc.PositionTopic).
		l, err = cfg.Kafka.open()
	} else {
		l, err = g.openLog(cfg)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if _, err := rlog.EnsureTopic(ctx, l, o.topic, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	rows := prometheus.NewCounter(prometheus.CounterOpts{Name: "rtdw_mysqlcdc_rows_total", Help: "Binlog row changes committed to the topic (snapshot rows not counted)."})
	commits := prometheus.NewCounter(prometheus.CounterOpts{Name: "rtdw_mysqlcdc_commits_total", Help: "Commits (records + binlog position) to the log."})
	reg.MustRegister(rows, commits)
	if o.httpAddr != "" && cfg.Mode == "kafka" {
		addr, stop, err := serveMetrics(o.httpAddr, reg, g)
		if err != nil {
			return err
		}
		defer stop()
		g.logger.Info("ingest mysql: serving", "metrics", addr)
	} else if o.httpAddr != "" {
		// While the reader holds the data dir, topic commands go through it.
		addr, stop, err := serveHTTP(o.httpAddr, reg, l, g, consoleSetup{process: "ingest mysql", state: l.StateStore()})
		if err != nil {
			return err
		}
		defer stop()
		g.logger.Info("ingest mysql: serving", "http", addr)
	}
	var total, last = 0, mysqlcdc.Position{}
	start := time.Now()
	err = mysqlcdc.Run(ctx, l, mysqlcdc.Config{
		DSN: o.dsn, Databases: o.databases, Tables: o.tables, Snapshot: o.snapshot, Topic: o.topic,
		Name: o.name, ServerID: o.serverID, Reset: o.reset, Logger: g.logger, Location: cfg.location(),
		TransactionalID: cfg.Kafka.GroupIDPrefix + "ingest-mysql-" + o.name, TransactionTimeout: cfg.Kafka.TransactionTimeout,
		OnCommit: func(n int, p mysqlcdc.Position) { rows.Add(float64(n)); commits.Inc(); total += n; last = p },
	})
	if err == nil {
		fmt.Fprintf(g.stderr, "ingest mysql: %d binlog row changes into %s in %s; position %s\n",
			total, o.topic, time.Since(start).Round(time.Millisecond), last)
	}
	return err
}
