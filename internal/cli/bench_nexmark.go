package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/bench/nexmark"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/planner"
	"github.com/rtdw/rtdw/internal/sql/session"
	"github.com/rtdw/rtdw/internal/stream"
)

// `rtdw bench nexmark`: the Nexmark queries of bench/nexmark, each in its
// own child process, per core, against Flink's published figures.

type benchNexmarkOptions struct {
	events     int64
	queries    string
	source     string
	seed       int64
	partitions int
	interval   time.Duration
	sqlDir     string
	keep       bool
	maxRSS     int64 // MiB; 0: half the machine's memory
	timeout    time.Duration
	phase      string // internal: "gen" or "query"
	dir        string
}

// nexmarkFlinkPerCore is Flink's throughput per core (events/s) on the
// nexmark suite's 100 M events (Flink 1.13, 3 x 8 cores; the result table
// of the nexmark repository's GUIDE_V1.md). q6 has none: Flink does not
// plan it either.
var nexmarkFlinkPerCore = map[string]float64{
	"q0": 155.02e3, "q1": 157.94e3, "q2": 175.21e3, "q3": 152.12e3, "q4": 34.33e3, "q5": 22.14e3,
	"q7": 12.33e3, "q8": 146.14e3, "q9": 14.24e3, "q10": 57.81e3, "q11": 39.7e3, "q12": 75.67e3,
	"q13": 130.73e3, "q14": 161.23e3, "q15": 72.42e3, "q16": 18.65e3, "q17": 116.8e3, "q18": 53.7e3,
	"q19": 44.04e3, "q20": 18.98e3, "q21": 98.49e3, "q22": 129.96e3,
}

// nexmarkQueries are q0 ... q22.
func nexmarkQueries() []string {
	out := make([]string, 23)
	for i := range out {
		out[i] = "q" + strconv.Itoa(i)
	}
	return out
}

// nexmarkBenchResult is what a child phase reports on stdout.
type nexmarkBenchResult struct {
	Events      int64   `json:"events"`
	Wall        float64 `json:"wall_s"`
	CPU         float64 `json:"cpu_s"`
	Plan        float64 `json:"plan_s,omitempty"`
	Ingest      float64 `json:"ingest_s,omitempty"` // --source topic: writing the JSON events, not counted
	DeadLetters int64   `json:"dead_letters"`
	Late        int64   `json:"late"`
	Error       string  `json:"error,omitempty"` // the query does not plan (or failed)
	MaxRSS      int64   `json:"max_rss_kb"`
}

func newBenchNexmarkCmd(g *globals) *cobra.Command {
	o := &benchNexmarkOptions{}
	c := &cobra.Command{
		Use:   "nexmark",
		Short: "The Nexmark queries q0-q22 (bench/nexmark), per core, against Flink's published figures",
		Long: `Runs the Nexmark queries of bench/nexmark (Flink SQL, unchanged: ddl.sql and
qN.sql, as 'rtdw sql -f ddl.sql -f qN.sql --drain' runs them), each in its own
child process on a fresh embedded log, with the suite's workload: --events
events at 10 M events per second of event time, 2 % people, 6 % auctions,
92 % bids, seeded.

--source generator (default): the nexmark connector generates the events as
  part of the measured run (Flink's figures include its generator source);
--source topic: the events are first written to a topic as JSON (not
  counted) and read through a kafka table (ddl_kafka.sql), as the suite's
  Kafka variant.

Per query it prints, as the suite's summary: events, cores (CPU / wall),
wall time, CPU seconds (user+sys of the child: Cores * Time), events/s per
core, peak RSS, Flink 1.13's events/s per core (3 x 8 cores, 100 M events)
and the ratio. The first row is the generator alone: the nexmark connector
writing the events into its topic, no query. q13 first fills its side input
(side_input.sql, not counted). A query that does not plan prints the
planner's error. A child over --max-rss or --timeout is killed.
RTDW_CPUPROFILE=file profiles each query's child (file.<query>);
RTDW_MEMPROFILE=file writes its Go heap profile there every 2 s.`,
		Example: `  rtdw bench nexmark --events 1000000
  rtdw bench nexmark --events 10000000 --queries q0,q5,q7
  rtdw bench nexmark --events 1000000 --source topic --queries q0,q1`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.events <= 0 {
				return usagef("--events must be > 0")
			}
			if o.source != "generator" && o.source != "topic" {
				return usagef("--source %q: want generator or topic", o.source)
			}
			if o.partitions < 1 || o.partitions > 1024 || o.interval <= 0 {
				return usagef("--partitions must be 1..1024 and --checkpoint-interval > 0")
			}
			qs, err := o.selected()
			if err != nil {
				return err
			}
			switch o.phase {
			case "gen":
				return benchNexmarkGen(g, o)
			case "query":
				return benchNexmarkQuery(cmd.Context(), g, o, qs[0])
			case "":
				return benchNexmark(cmd.Context(), g, o, qs)
			}
			return usagef("unknown --phase %q", o.phase)
		},
	}
	f := c.Flags()
	f.Int64Var(&o.events, "events", 1_000_000, "events per query")
	f.StringVar(&o.queries, "queries", "all", "queries to run, comma-separated (q0 ... q22), or all")
	f.StringVar(&o.source, "source", "generator", "generator (the nexmark connector) or topic (JSON events in a topic, a kafka table)")
	f.Int64Var(&o.seed, "seed", 0, "the events' seed")
	f.IntVar(&o.partitions, "partitions", 1, "partitions of the events ('scan.parallelism' of the generator, the topic's partitions)")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "checkpoint interval")
	f.StringVar(&o.sqlDir, "sql-dir", "", "read ddl.sql, ddl_kafka.sql, side_input.sql and qN.sql here instead of the built-in copy of bench/nexmark")
	f.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	f.Int64Var(&o.maxRSS, "max-rss", 0, "kill a query's child above this RSS in MiB (default: half the machine's memory)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "kill a query's child after this long")
	f.StringVar(&o.phase, "phase", "", "internal")
	f.StringVar(&o.dir, "dir", "", "internal")
	for _, n := range []string{"phase", "dir"} {
		f.MarkHidden(n)
	}
	return c
}

func (o *benchNexmarkOptions) selected() ([]string, error) {
	if strings.TrimSpace(o.queries) == "all" {
		return nexmarkQueries(), nil
	}
	var out []string
	for _, q := range strings.Split(o.queries, ",") {
		q = strings.ToLower(strings.TrimSpace(q))
		if q == "" {
			continue
		}
		if !slices.Contains(nexmarkQueries(), q) {
			return nil, usagef("--queries: unknown query %q (q0 ... q22)", q)
		}
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		return nil, usagef("--queries names no query")
	}
	return out, nil
}

// sqlFile reads one of the suite's files.
func (o *benchNexmarkOptions) sqlFile(name string) (string, error) {
	var b []byte
	var err error
	if o.sqlDir != "" {
		b, err = os.ReadFile(filepath.Join(o.sqlDir, name))
	} else {
		b, err = fs.ReadFile(nexmark.Files, name)
	}
	return string(b), err
}

var (
	nexmarkEventsNumRE = regexp.MustCompile(`'events\.num'\s*=\s*'[0-9]*'`)
	nexmarkSeedRE      = regexp.MustCompile(`'seed'\s*=\s*'[0-9]*'`)
	nexmarkConnRE      = regexp.MustCompile(`'connector'\s*=\s*'nexmark'`)
)

// ddl is the event table and views for the run: ddl.sql with the run's
// events, seed and partitions, or ddl_kafka.sql.
func (o *benchNexmarkOptions) ddl() (string, error) {
	if o.source == "topic" {
		return o.sqlFile("ddl_kafka.sql")
	}
	text, err := o.sqlFile("ddl.sql")
	if err != nil {
		return "", err
	}
	if !nexmarkEventsNumRE.MatchString(text) || !nexmarkSeedRE.MatchString(text) || !nexmarkConnRE.MatchString(text) {
		return "", errors.New("bench: ddl.sql has no 'connector' = 'nexmark', 'events.num' or 'seed' option to set")
	}
	text = nexmarkEventsNumRE.ReplaceAllLiteralString(text, fmt.Sprintf("'events.num' = '%d'", o.events))
	text = nexmarkSeedRE.ReplaceAllLiteralString(text, fmt.Sprintf("'seed' = '%d'", o.seed))
	if o.partitions > 1 {
		text = nexmarkConnRE.ReplaceAllLiteralString(text, fmt.Sprintf("'connector' = 'nexmark',\n  'scan.parallelism' = '%d'", o.partitions))
	}
	return text, nil
}

func benchNexmark(ctx context.Context, g *globals, o *benchNexmarkOptions, qs []string) error {
	dir, err := os.MkdirTemp("", "rtdw-bench-nexmark-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	maxRSS := o.maxRSS << 20
	if maxRSS <= 0 {
		maxRSS = memTotal() / 2
	}
	run := func(phase, q string) nexmarkBenchResult {
		fmt.Fprintf(g.stderr, "running %s ...\n", q)
		arg := q
		if phase == "gen" {
			arg = "q0" // unused
		}
		cmd := exec.CommandContext(ctx, self, "bench", "nexmark", "--phase", phase, "--queries", arg,
			"--events", fmt.Sprint(o.events), "--source", o.source, "--seed", fmt.Sprint(o.seed),
			"--partitions", fmt.Sprint(o.partitions), "--checkpoint-interval", o.interval.String(),
			"--dir", filepath.Join(dir, q), "--log-level", "warn")
		if o.sqlDir != "" {
			cmd.Args = append(cmd.Args, "--sql-dir", o.sqlDir)
		}
		r, err := benchWatchedChild(cmd, g, maxRSS, o.timeout)
		if err != nil && r.Error == "" {
			r.Error = err.Error()
		}
		return r
	}
	base := run("gen", "generator")
	results := make([]nexmarkBenchResult, len(qs))
	for i, q := range qs {
		results[i] = run("query", q)
	}
	printNexmarkTable(g.stdout, o, base, qs, results)
	return nil
}

// printNexmarkTable prints the results as the nexmark suite's summary, with
// rtdw's columns added.
func printNexmarkTable(w io.Writer, o *benchNexmarkOptions, base nexmarkBenchResult, qs []string, rs []nexmarkBenchResult) {
	fmt.Fprintf(w, "nexmark: %d events per query, --source %s, %d partition(s), seed %d; GOMAXPROCS=%d, %s/%s; checkpoints every %s\n",
		o.events, o.source, o.partitions, o.seed, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, o.interval)
	head := []string{"Nexmark Query", "Events Num", "Cores", "Time(s)", "Cores * Time(s)", "Throughput/Cores", "Peak RSS MB", "Flink/Cores", "rtdw/Flink"}
	var rows [][]string
	k := func(x float64) string {
		switch {
		case x >= 1e6:
			return fmt.Sprintf("%.2f M/s", x/1e6)
		default:
			return fmt.Sprintf("%.2f K/s", x/1e3)
		}
	}
	line := func(name string, r nexmarkBenchResult, flink float64) []string {
		if r.Error != "" {
			return []string{name, groupDigits(o.events), "-", "-", "-", "-", fmt.Sprint(r.MaxRSS / 1024), flinkText(flink, k), "-"}
		}
		perCore := float64(r.Events) / max(r.CPU, 1e-9)
		ratio := "-"
		if flink > 0 {
			ratio = fmt.Sprintf("%.2f", perCore/flink)
		}
		return []string{name, groupDigits(r.Events), fmt.Sprintf("%.2f", r.CPU/max(r.Wall, 1e-9)), fmt.Sprintf("%.3f", r.Wall),
			fmt.Sprintf("%.3f", r.CPU), k(perCore), fmt.Sprint(r.MaxRSS / 1024), flinkText(flink, k), ratio}
	}
	rows = append(rows, line("generator", base, 0))
	var totEvents int64
	var totCPU, totWall float64
	for i, q := range qs {
		rows = append(rows, line(q, rs[i], nexmarkFlinkPerCore[q]))
		if rs[i].Error == "" {
			totEvents += rs[i].Events
			totCPU += rs[i].CPU
			totWall += rs[i].Wall
		}
	}
	if len(qs) > 1 {
		rows = append(rows, []string{"Total", groupDigits(totEvents), fmt.Sprintf("%.2f", totCPU/max(totWall, 1e-9)), fmt.Sprintf("%.3f", totWall),
			fmt.Sprintf("%.3f", totCPU), k(float64(totEvents) / max(totCPU, 1e-9)), "", "", ""})
	}
	writeBoxTable(w, head, rows)
	for i, q := range qs {
		if rs[i].Error != "" {
			fmt.Fprintf(w, "%s: %s\n", q, rs[i].Error)
		} else if rs[i].DeadLetters > 0 || rs[i].Late > 0 {
			fmt.Fprintf(w, "%s: %d dead letters, %d late records\n", q, rs[i].DeadLetters, rs[i].Late)
		}
	}
	if base.Error != "" {
		fmt.Fprintf(w, "generator: %s\n", base.Error)
	}
	fmt.Fprintln(w, "Cores * Time(s) is the child's CPU time (user+sys); with --source generator it includes generating the events, as Flink's figures include its source.")
}

func flinkText(f float64, k func(float64) string) string {
	if f == 0 {
		return "-"
	}
	return k(f)
}

// groupDigits writes n with thousands separators, as the suite prints.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// writeBoxTable prints a table framed as the suite's summary.
func writeBoxTable(w io.Writer, head []string, rows [][]string) {
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	sep := "+"
	for _, n := range width {
		sep += strings.Repeat("-", n+2) + "+"
	}
	printRow := func(r []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(&b, " %-*s |", width[i], c)
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w, sep)
	printRow(head)
	fmt.Fprintln(w, sep)
	for _, r := range rows {
		printRow(r)
	}
	fmt.Fprintln(w, sep)
}

// memTotal is the machine's memory in bytes (8 GiB when unknown).
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 8 << 30
}

// procRSS is a process's resident set in bytes (0 when unknown).
func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchWatchedChild runs a bench child, killing it (SIGKILL: a SIGTERM
// would let it commit a final checkpoint first) when its RSS exceeds
// maxRSS bytes or it runs longer than timeout.
func benchWatchedChild(cmd *exec.Cmd, g *globals, maxRSS int64, timeout time.Duration) (nexmarkBenchResult, error) {
	cmd.Stderr = g.stderr
	var out strings.Builder
	cmd.Stdout = &out
	var r nexmarkBenchResult
	if err := cmd.Start(); err != nil {
		return r, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	var killed string
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if rss := procRSS(cmd.Process.Pid); rss > maxRSS && killed == "" {
				killed = fmt.Sprintf("killed after %.0fs: RSS %d MB above --max-rss %d MB", time.Since(start).Seconds(), rss>>20, maxRSS>>20)
				cmd.Process.Kill()
			} else if time.Since(start) > timeout && killed == "" {
				killed = fmt.Sprintf("killed: still running after --timeout %s", timeout)
				cmd.Process.Kill()
			}
		}
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss
	}
	if killed != "" {
		r.Error = killed
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("child failed: %w", err)
	}
	rss := r.MaxRSS
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		return r, fmt.Errorf("bad report %q: %w", out.String(), err)
	}
	r.MaxRSS = rss
	return r, nil
}

// nexmarkSession is a session over a fresh embedded log in o.dir, as
// `rtdw sql` makes one.
func nexmarkSession(g *globals, o *benchNexmarkOptions) (rlog.Log, *session.Session, Config, error) {
	g.dataDir = o.dir
	cfg := defaultConfig()
	cfg.CheckpointInterval = o.interval
	l, err := g.openLog(cfg)
	if err != nil {
		return nil, nil, cfg, err
	}
	return l, newNexmarkSessionOn(g, o, l, cfg), cfg, nil
}

// nexmarkPlan plans a script: its jobs and their Prepare functions.
func nexmarkPlan(sess *session.Session, name, text string) ([]*planner.Job, error) {
	sc, err := sess.Execute(name, text, session.Plan)
	if err != nil {
		return nil, sqlError(err)
	}
	return sc.Jobs, nil
}

func prepareAll(jobs []*planner.Job) ([]*stream.Job, error) {
	var all []*stream.Job
	for _, j := range jobs {
		for _, p := range j.Prepare {
			if err := p(); err != nil {
				return nil, fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
		all = append(all, j.Jobs...)
	}
	return all, nil
}

// benchNexmarkGen: the generator alone, writing the events into its
// topic (a job reading them is planned, not run).
func benchNexmarkGen(g *globals, o *benchNexmarkOptions) error {
	o.source = "generator"
	l, sess, _, err := nexmarkSession(g, o)
	if err != nil {
		return err
	}
	defer l.Close()
	ddl, err := o.ddl()
	if err != nil {
		return err
	}
	if _, err := nexmarkPlan(sess, "ddl.sql", ddl); err != nil {
		return err
	}
	jobs, err := nexmarkPlan(sess, "generator.sql", `
CREATE TEMPORARY TABLE nexmark_generated (event_type INT) WITH ('connector' = 'blackhole');
INSERT INTO nexmark_generated SELECT event_type FROM nexmark;
`)
	if err != nil {
		return err
	}
	res := nexmarkBenchResult{Events: o.events}
	start, cpu0 := time.Now(), cpuSeconds()
	if _, err := prepareAll(jobs); err != nil {
		return err
	}
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	return json.NewEncoder(g.stdout).Encode(res)
}

// benchNexmarkQuery: one query, drained; with --source topic the JSON
// events are written first, for q13 its side input (neither counted).
func benchNexmarkQuery(ctx context.Context, g *globals, o *benchNexmarkOptions, q string) error {
	l, sess, cfg, err := nexmarkSession(g, o)
	if err != nil {
		return err
	}
	defer l.Close()
	res := nexmarkBenchResult{Events: o.events}
	report := func() error { return json.NewEncoder(g.stdout).Encode(res) }
	if o.source == "topic" {
		t0 := time.Now()
		if err := writeNexmarkJSON(ctx, l, "nexmark", o); err != nil {
			return err
		}
		res.Ingest = time.Since(t0).Seconds()
	}
	run := func(jobs []*stream.Job, reg *prometheus.Registry) error {
		return stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions,
			Drain: true, Metrics: stream.NewMetrics(reg), Logger: g.logger}, jobs...)
	}
	if q == "q13" {
		side, err := o.sqlFile("side_input.sql")
		if err != nil {
			return err
		}
		jobs, err := nexmarkPlan(sess, "side_input.sql", side)
		if err != nil {
			return err
		}
		all, err := prepareAll(jobs)
		if err != nil {
			return err
		}
		if err := run(all, prometheus.NewRegistry()); err != nil {
			return err
		}
		sess = newNexmarkSessionOn(g, o, l, cfg)
	}
	ddl, err := o.ddl()
	if err != nil {
		return err
	}
	text, err := o.sqlFile(q + ".sql")
	if err != nil {
		return err
	}
	text = strings.ReplaceAll(text, "'nexmark-output/", "'"+filepath.Join(o.dir, "output")+"/")
	t1 := time.Now()
	if _, err := nexmarkPlan(sess, "ddl.sql", ddl); err != nil {
		return err
	}
	jobs, err := nexmarkPlan(sess, q+".sql", text)
	if err != nil {
		res.Error = "does not plan: " + err.Error()
		return report()
	}
	res.Plan = time.Since(t1).Seconds()

	stopProfile, err := cpuProfile("." + q)
	if err != nil {
		return err
	}
	if path := os.Getenv("RTDW_MEMPROFILE"); path != "" {
		// The Go heap every 2 s (a child killed for its RSS leaves the last).
		go func() {
			for range time.Tick(2 * time.Second) {
				if f, err := os.Create(path + "." + q); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}()
	}
	reg := prometheus.NewRegistry()
	start, cpu0 := time.Now(), cpuSeconds()
	all, err := prepareAll(jobs)
	if err == nil {
		err = run(all, reg)
	}
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	stopProfile()
	if err != nil {
		res.Error = err.Error()
		return report()
	}
	res.DeadLetters = int64(counterSum(reg, "rtdw_dead_letters_total"))
	res.Late = int64(counterSum(reg, "rtdw_late_records_total"))
	return report()
}

// newNexmarkSessionOn is a fresh session on an open log.
func newNexmarkSessionOn(g *globals, o *benchNexmarkOptions, l rlog.Log, cfg Config) *session.Session {
	conn := connector.Context{Log: l, DataDir: o.dir, Out: io.Discard, Logger: g.logger}
	return session.New(catalog.OpenMemory(), map[string]string{"table.local-time-zone": cfg.Timezone}, conn, io.Discard)
}

// writeNexmarkJSON writes the run's events as JSON lines (rtdw mock
// nexmark's) into topic, event n in partition n % partitions, keyed by n.
func writeNexmarkJSON(ctx context.Context, l rlog.Log, topic string, o *benchNexmarkOptions) error {
	if err := l.CreateTopic(ctx, topic, rlog.TopicConfig{Partitions: int32(o.partitions)}); err != nil {
		return err
	}
	c := connector.NexmarkDefaults()
	c.Seed, c.Rate = uint64(o.seed), 10_000_000 // ddl.sql's first-event.rate
	gen, err := connector.NewNexmarkGenerator(c)
	if err != nil {
		return err
	}
	const batch = 4096
	recs := make([]rlog.Record, 0, batch)
	var buf []byte
	var ev connector.NexmarkEvent
	for i := range o.events {
		if len(recs) == 0 {
			buf = make([]byte, 0, batch*400)
		}
		gen.Event(i, &ev)
		start := len(buf)
		buf = binary.BigEndian.AppendUint64(buf, uint64(i))
		vstart := len(buf)
		buf = ev.AppendJSON(buf)
		recs = append(recs, rlog.Record{Topic: topic, Partition: int32(i % int64(o.partitions)), Key: buf[start:vstart:vstart],
			Value: buf[vstart:len(buf):len(buf)], Timestamp: ev.Time()})
		if len(recs) == batch || i == o.events-1 {
			if err := l.Produce(ctx, recs...); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	return nil
}
