package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/sql/planner"
	"github.com/rtdw/rtdw/internal/sql/session"
	"github.com/rtdw/rtdw/internal/stream"
)

type sqlOptions struct {
	files    []string
	exec     string
	drain    bool
	explain  bool
	format   string
	interval time.Duration
	resets   []string
	httpAddr string
}

func newSQLCmd(g *globals) *cobra.Command {
	o := &sqlOptions{}
	c := &cobra.Command{
		Use:   "sql",
		Short: "Run Flink SQL: DDL into the catalog, each INSERT / statement set as an exactly-once job",
		Long: `Run Flink SQL files on rtdw (docs/sql.md): CREATE TABLE / VIEW / DATABASE go to
the catalog in the data dir (durable: a later 'rtdw sql -e' sees them), SET
changes the session, and each INSERT INTO or statement set becomes a job that
runs exactly-once on the log rtdw runs on, resuming from its checkpoint when
run again (a job's name is SET 'pipeline.name', else a hash of its SQL).

Every file is parsed first: a syntax error anywhere runs nothing. Then the
statements run in order: DDL and SET take effect at once, each INSERT,
statement set and SELECT is planned. A statement that fails prints
file:line:column, the line and a caret and exits 1 before any job starts;
DDL before it has been applied (as in Flink's SQL client).

Without --drain jobs run until SIGINT/SIGTERM. With --drain each job
processes what its sources hold at start, fires every window, commits and
exits 0. A SELECT prints its result: the final table (--format table, the
default, or json: one object per row) or the changelog with +I -U +U -D
(--format changelog). Without -f and -e, statements are read from stdin
(end each with ';').`,
		Example: `  rtdw sql -f warehouse.sql                  # DDL + jobs, until Ctrl-C
  rtdw sql -f warehouse.sql --drain          # bounded: process what is there, exit
  rtdw sql -f warehouse.sql --explain        # print each job's plan, run nothing
  rtdw sql -e "SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id" --drain
  rtdw sql -e "SHOW TABLES"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("checkpoint-interval") {
				o.interval = cfg.CheckpointInterval
			}
			if o.interval <= 0 {
				return usagef("--checkpoint-interval must be > 0")
			}
			// An empty -e (an unset shell variable) is a mistake: without
			// -f it would open the interactive client on stdin.
			if cmd.Flags().Changed("execute") && strings.TrimSpace(o.exec) == "" {
				return usagef("-e/--execute: no SQL (an empty string)")
			}
			switch o.format {
			case "table", "json", "changelog":
			default:
				return usagef("--format must be table, json or changelog")
			}
			return runSQL(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "SQL file to run (repeatable; '-' reads stdin)")
	f.StringVarP(&o.exec, "execute", "e", "", "SQL statements to run")
	f.BoolVar(&o.drain, "drain", false, "bounded: process the input present at start, fire every window, commit and exit")
	f.BoolVar(&o.explain, "explain", false, "print each job's plan and run nothing")
	f.StringVar(&o.format, "format", "table", "how a SELECT's result prints: table, json or changelog")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "time between atomic checkpoints (default: config, 1s)")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:0", "without --drain: serve /metrics and topic commands of this data dir here (empty: off)")
	f.StringArrayVar(&o.resets, "reset-job", nil, "start this SQL job from scratch (new state and positions): after changing its SQL")
	return c
}

type sqlSource struct{ name, text string }

func runSQL(ctx context.Context, g *globals, cfg Config, o *sqlOptions) error {
	var srcs []sqlSource
	for _, f := range o.files {
		var b []byte
		var err error
		if f == "-" {
			b, err = io.ReadAll(g.stdin)
		} else {
			b, err = os.ReadFile(f)
		}
		if err != nil {
			return usageError{err}
		}
		srcs = append(srcs, sqlSource{f, string(b)})
	}
	if o.exec != "" {
		srcs = append(srcs, sqlSource{"<command line>", o.exec})
	}
	// Parse everything first: a syntax error anywhere starts nothing.
	for _, s := range srcs {
		if _, err := parser.Parse(s.name, s.text); err != nil {
			return sqlError(err)
		}
	}
	if err := os.MkdirAll(g.dataDir, 0o755); err != nil {
		return err
	}
	cat, err := catalog.Open(filepath.Join(g.dataDir, "catalog"))
	if err != nil {
		return err
	}
	defer cat.Close()
	defer connector.CloseOLAP()
	defer connector.CloseLookups()
	var l rlog.Log
	if !o.explain {
		if l, err = g.openLog(cfg); err != nil {
			return err
		}
		defer l.Close()
	}
	olapCfg := cfg.OLAP
	olapCfg.DataDir, olapCfg.Logger = g.dataDir, g.logger
	conn := connector.Context{Log: l, KafkaMode: cfg.Mode == "kafka", DataDir: g.dataDir, OLAP: &olapCfg, Out: g.stdout, Logger: g.logger}
	sess := session.New(cat, map[string]string{"table.local-time-zone": cfg.Timezone}, conn, g.stdout)
	reg, err := openSQLJobRegistry(g.dataDir)
	if err != nil {
		return err
	}
	if !o.explain {
		if err := reg.applyResets(o.resets); err != nil {
			return err
		}
	}
	sess.Rename = reg.name
	mode := session.Plan
	if o.explain {
		// --explain runs nothing, DDL included: tables, views and
		// functions are made for this session only, so explaining a file
		// and then running it works.
		mode, sess.TemporaryDDL = session.Explain, true
	}
	if len(srcs) == 0 {
		return sqlInteractive(ctx, g, cfg, o, sess, reg)
	}
	var services connector.Services // mysql-cdc captures, run next to unbounded jobs
	sess.Conn.AddService = services.Add
	sess.JobNames = map[string]bool{} // across files: they run as one
	var jobs []*planner.Job
	var queries []*session.Query
	for _, s := range srcs {
		sc, err := sess.Execute(s.name, s.text, mode)
		if err != nil {
			if errors.Is(err, catalog.ErrExists) && !o.explain {
				// Flink's client starts each session with an empty catalog,
				// so its scripts re-run; rtdw's catalog outlives the run.
				return fmt.Errorf("%w\nThe catalog in the data dir is durable: an earlier run made it. Write CREATE ... IF NOT EXISTS, or run the file with rtdw run --sql (its DDL is temporary).", sqlError(err))
			}
			return sqlError(err)
		}
		jobs = append(jobs, sc.Jobs...)
		queries = append(queries, sc.Queries...)
	}
	if o.explain {
		return nil
	}
	// Every statement planned: only now are plans and --reset-job
	// recorded (also for a run of DDL only, which succeeds).
	if err := reg.check(jobs); err != nil {
		return err
	}
	if len(jobs)+len(queries) == 0 {
		return nil
	}
	return runSQLJobs(ctx, g, cfg, o, l, jobs, queries, &services)
}

// sqlError prints a SQL error as file:line:column, the line and a caret
// and makes the command exit 1.
func sqlError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return errors.New(pe.Error())
	}
	return err
}

func runSQLJobs(ctx context.Context, g *globals, cfg Config, o *sqlOptions, l rlog.Log, jobs []*planner.Job, queries []*session.Query, services *connector.Services) error {
	var all []*stream.Job
	for _, j := range append(jobs, queryJobs(queries)...) {
		for _, p := range j.Prepare {
			if err := p(); err != nil {
				return fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
		all = append(all, j.Jobs...)
	}
	started := time.Now()
	reg := newRegistry()
	if !o.drain && o.httpAddr != "" {
		// Long-running jobs: /metrics, and topic commands on this data
		// dir go through this process (as with rtdw run).
		srv, stop, err := serveHTTP(o.httpAddr, reg, l, g, consoleSetup{process: "sql", jobs: all, olapCfg: &cfg, state: l.StateStore()})
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(g.stderr, "console: http://%s/ (metrics /metrics)\n", srv)
	}
	runCtx, stopServices := ctx, func() error { return nil }
	if !o.drain {
		runCtx, stopServices = services.Start(ctx)
	}
	err := stream.Run(runCtx, stream.Options{Log: l, Interval: o.interval, Partitions: cfg.Partitions, MaxEventTimeSkew: cfg.MaxEventTimeSkew,
		Drain: o.drain, Metrics: stream.NewMetrics(reg), Logger: g.logger}, all...)
	if serr := stopServices(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	for _, q := range queries {
		printResult(g.stdout, q, o.format)
	}
	if o.drain && len(jobs) > 0 {
		// Every job that ran, queries included: the totals and the
		// per-job lines cover them too.
		ran := slices.Concat(jobs, queryJobs(queries))
		names := make([]string, len(ran))
		for i, j := range ran {
			names[i] = j.Name
		}
		fmt.Fprintf(g.stderr, "drained %d SQL job(s) (%s) in %s: %s\n%s", len(ran), strings.Join(names, ", "), time.Since(started).Round(time.Millisecond), summarize(reg), jobReport(reg))
	}
	return nil
}

func queryJobs(qs []*session.Query) []*planner.Job {
	out := make([]*planner.Job, len(qs))
	for i, q := range qs {
		out[i] = q.Job
	}
	return out
}

// printResult prints a query's result: the final table sorted (tasks
// deliver rows concurrently, so arrival order across keys is not
// meaningful), JSON lines, or the changelog in arrival order.
func printResult(w io.Writer, q *session.Query, format string) {
	header := make([]string, len(q.Columns))
	for i, c := range q.Columns {
		header[i] = c.Name
	}
	switch format {
	case "changelog":
		rows := [][]string{}
		for _, r := range q.Rows.Rows() {
			rows = append(rows, append([]string{r.Kind.String()}, cells(r)...))
		}
		session.WriteTable(w, append([]string{"op"}, header...), rows)
	case "json":
		// One object per row, its members in column order, each value as
		// the json format writes it (ROW an object, ARRAY an array, MAP
		// and MULTISET objects, BYTES base64). Column names may repeat,
		// so the values are encoded one at a time, not as a Schema's row.
		encs := make([]*row.JSONValueEncoder, len(q.Columns))
		for i, c := range q.Columns {
			// A NULL map key cannot be a JSON key: shown as "null"
			// rather than failing the result.
			encs[i] = row.NewJSONValueEncoder(c.Type, row.JSONOptions{MapNullKeyMode: row.MapNullKeyLiteral})
		}
		var b []byte
		for _, r := range sortedTable(q) {
			b = append(b, '{')
			for i, v := range r.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, []byte(header[i]))
				b = append(b, ':')
				n := len(b)
				var err error
				if b, err = encs[i].Append(b, v); err != nil {
					// A value its column's type does not describe (a
					// planner bug): its text rather than no result.
					b = jsonw.AppendString(b[:n], []byte(v.String()))
				}
			}
			b = append(b, "}\n"...)
		}
		w.Write(b)
	default:
		rows := [][]string{}
		for _, r := range sortedTable(q) {
			rows = append(rows, cells(r))
		}
		session.WriteTable(w, header, rows)
	}
}

func sortedTable(q *session.Query) []row.Row {
	t := q.Rows.Table()
	sort.SliceStable(t, func(i, j int) bool {
		for k := range t[i].Values {
			if c := row.Compare(t[i].Values[k], t[j].Values[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	return t
}

func cells(r row.Row) []string {
	out := make([]string, len(r.Values))
	for i, v := range r.Values {
		out[i] = v.String()
	}
	return out
}
