package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	sqlexec "github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/session"
	"github.com/rtdw/rtdw/internal/stream"
)

// `rtdw bench sql`: SQL jobs against the same query as a hand-built Go
// job on the engine and as a bare Go loop, per core.

type benchSQLOptions struct {
	events   int64
	keys     int
	queries  string
	interval time.Duration
	keep     bool
	phase    string // internal: run one side of one query in a child process
	dir      string
	suffix   string // internal: appended to the profile file names
}

// The three sides of a query, in the order they run and print.
const (
	sideBare = "bare"
	sideGo   = "go-job"
	sideSQL  = "sql"
)

var benchSQLSides = []string{sideBare, sideGo, sideSQL}

// benchSQLResult is what a child phase reports on stdout.
type benchSQLResult struct {
	Events      int64   `json:"events"`
	Outputs     int64   `json:"outputs"` // records in the output topic (bare: records encoded)
	Wall        float64 `json:"wall_s"`
	CPU         float64 `json:"cpu_s"`
	Ingest      float64 `json:"ingest_s,omitempty"` // writing the events to the log, not counted
	Plan        float64 `json:"plan_s,omitempty"`   // SQL: parsing and planning, not counted
	DeadLetters int64   `json:"dead_letters"`
	MaxRSS      int64   `json:"max_rss_kb"`
}

// The events topic the engine sides read, and the table over it.
const (
	benchEventsTopic = "bench_events"
	benchEventsDDL   = `CREATE TABLE ev (
  id BIGINT,
  uid STRING,
  amount DECIMAL(10, 2),
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'kafka', 'topic' = '` + benchEventsTopic + `', 'format' = 'json');
`
	benchOutTopic = "bench_out"
	// benchEpoch is the first event's time: 2024-06-01 00:00:00.000.
	benchEpoch int64 = 1717200000000
	// benchStep is the event time between two events.
	benchStep int64 = 10
)

// benchEventSchema is the events' row type (ev's columns).
var benchEventSchema = row.MustSchema(
	row.Column{Name: "id", Type: row.BigIntType},
	row.Column{Name: "uid", Type: row.StringType},
	row.Column{Name: "amount", Type: row.DecimalOf(10, 2)},
	row.Column{Name: "ts", Type: row.TimestampOf(3)},
)

// sqlBenchQuery is one measured query: its SQL (the sink table, then the
// INSERT), the same query as a hand-built engine job, and as a bare loop.
type sqlBenchQuery struct {
	name   string
	text   string // what the table prints
	sink   string // CREATE TABLE out ...
	insert string
	goJob  func() (*stream.Job, error)
	bare   func(events [][]byte, w *bufio.Writer) (int64, error)
}

var sqlBenchQueries = []sqlBenchQuery{
	{
		name: "filter",
		text: "WHERE amount > 10, project amount * 2",
		sink: `CREATE TABLE out (id BIGINT, uid STRING, amt2 DECIMAL(21, 2))
  WITH ('connector' = 'kafka', 'topic' = '` + benchOutTopic + `', 'format' = 'json');
`,
		insert: `INSERT INTO out SELECT id, uid, amount * 2 AS amt2 FROM ev WHERE amount > 10;`,
		goJob:  goFilterJob,
		bare:   bareFilter,
	},
	{
		name: "window",
		text: "10 s TUMBLE by uid: COUNT(*), SUM(amount)",
		sink: `CREATE TABLE out (uid STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT, total DECIMAL(38, 2))
  WITH ('connector' = 'kafka', 'topic' = '` + benchOutTopic + `', 'format' = 'json');
`,
		insert: `INSERT INTO out SELECT uid, window_start, window_end, COUNT(*), SUM(amount)
  FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY uid, window_start, window_end;`,
		goJob: goWindowJob,
		bare:  bareWindow,
	},
	{
		name: "group",
		text: "unbounded GROUP BY uid into upsert-kafka",
		sink: `CREATE TABLE out (uid STRING, cnt BIGINT, total DECIMAL(38, 2), PRIMARY KEY (uid) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = '` + benchOutTopic + `', 'key.format' = 'json', 'value.format' = 'json');
`,
		insert: `INSERT INTO out SELECT uid, COUNT(*), SUM(amount) FROM ev GROUP BY uid;`,
		goJob:  goGroupJob,
		bare:   bareGroup,
	},
}

func sqlBenchQueryNamed(name string) (sqlBenchQuery, bool) {
	for _, q := range sqlBenchQueries {
		if q.name == name {
			return q, true
		}
	}
	return sqlBenchQuery{}, false
}

func (o *benchSQLOptions) selected() ([]sqlBenchQuery, error) {
	var out []sqlBenchQuery
	for _, n := range strings.Split(o.queries, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		q, ok := sqlBenchQueryNamed(n)
		if !ok {
			names := make([]string, len(sqlBenchQueries))
			for i, q := range sqlBenchQueries {
				names[i] = q.name
			}
			return nil, usagef("--queries: unknown query %q (known: %s)", n, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(out, func(x sqlBenchQuery) bool { return x.name == n }) {
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		return nil, usagef("--queries names no query")
	}
	return out, nil
}

func newBenchSQLCmd(g *globals) *cobra.Command {
	o := &benchSQLOptions{}
	c := &cobra.Command{
		Use:   "sql",
		Short: "SQL jobs vs the same query as a hand-built Go job and as a bare Go loop",
		Long: `Generates --events JSON events
  {"id":i,"uid":"u<i % keys>","amount":<0.00..19.99>,"ts":"yyyy-MM-dd HH:mm:ss.SSS"}
(event time advancing 10 ms per event, deterministic) and runs each query
three ways, each in its own child process:
  bare    a plain Go loop over the events in memory: fastjson decode, the
          query's logic in Go (a map for aggregates), encode the output
          JSON, discard: the physical limit of the work;
  go-job  the query hand-built on the engine: a typed source (the json
          format's decoder, decoding the columns the query reads, with
          ev's watermark), a hand-written Go operator for the filter
          query's WHERE and SELECT, the SQL layer's window / group
          aggregation operators (internal/sql/exec) built by hand without
          the planner, the json encoder; drained with exactly-once
          checkpoints;
  sql     the query through the SQL layer: CREATE TABLE ev (kafka, json,
          WATERMARK ts - 3 s), CREATE TABLE out, INSERT INTO out ...
          planned by a session and drained like 'rtdw sql --drain'.
The engine sides read the events from a topic of a fresh embedded log
(partitions and fsync as the default config; writing it is not counted).
Queries:
  filter  INSERT INTO out SELECT id, uid, amount * 2 AS amt2 FROM ev WHERE amount > 10
  window  ... SELECT uid, window_start, window_end, COUNT(*), SUM(amount)
          FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
          GROUP BY uid, window_start, window_end
  group   ... SELECT uid, COUNT(*), SUM(amount) FROM ev GROUP BY uid (upsert-kafka sink)
It prints CPU time (user+sys of the child), events/s per core, peak RSS,
output records, and the per-core throughput of sql relative to go-job and
to bare. The three sides of a query must write the same number of output
records, or the command fails.
RTDW_CPUPROFILE=file profiles the sql side (file.<query> when several
queries run); RTDW_MEMPROFILE=file writes its Go heap at the end.`,
		Example: `  rtdw bench sql
  rtdw bench sql --events 5000000 --keys 1000 --queries filter,window
  RTDW_CPUPROFILE=cpu.prof rtdw bench sql --queries filter && go tool pprof -top cpu.prof`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.events <= 0 || o.keys <= 0 {
				return usagef("--events and --keys must be > 0")
			}
			if o.interval <= 0 {
				return usagef("--checkpoint-interval must be > 0")
			}
			qs, err := o.selected()
			if err != nil {
				return err
			}
			switch o.phase {
			case sideBare:
				return benchSQLBare(g, o, qs[0])
			case sideGo, sideSQL:
				return benchSQLEngine(cmd.Context(), g, o, qs[0], o.phase)
			case "":
				return benchSQL(cmd.Context(), g, o, qs)
			}
			return usagef("unknown --phase %q", o.phase)
		},
	}
	f := c.Flags()
	f.Int64Var(&o.events, "events", 1_000_000, "events to generate")
	f.IntVar(&o.keys, "keys", 100, "distinct uid values (group keys)")
	f.StringVar(&o.queries, "queries", "filter,window,group", "queries to run, comma-separated: filter, window, group")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "checkpoint interval of the engine sides")
	f.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	f.StringVar(&o.phase, "phase", "", "internal")
	f.StringVar(&o.dir, "dir", "", "internal")
	f.StringVar(&o.suffix, "profile-suffix", "", "internal")
	for _, n := range []string{"phase", "dir", "profile-suffix"} {
		f.MarkHidden(n)
	}
	return c
}

func benchSQL(ctx context.Context, g *globals, o *benchSQLOptions, qs []sqlBenchQuery) error {
	dir, err := os.MkdirTemp("", "rtdw-bench-sql-")
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
	results := make([]map[string]benchSQLResult, len(qs))
	for i, q := range qs {
		results[i] = map[string]benchSQLResult{}
		for _, side := range benchSQLSides {
			fmt.Fprintf(g.stderr, "running %s (%s) ...\n", q.name, side)
			cmd := exec.CommandContext(ctx, self, "bench", "sql", "--phase", side, "--queries", q.name,
				"--events", fmt.Sprint(o.events), "--keys", fmt.Sprint(o.keys), "--dir", filepath.Join(dir, q.name+"-"+side),
				"--checkpoint-interval", o.interval.String(), "--log-level", "warn")
			if len(qs) > 1 {
				cmd.Args = append(cmd.Args, "--profile-suffix", "."+q.name)
			}
			r, rss, err := benchChild[benchSQLResult](cmd, g, q.name+" "+side)
			if err != nil {
				return err
			}
			r.MaxRSS = rss
			results[i][side] = r
		}
	}

	fmt.Fprintf(g.stdout, "sql: %d events, %d keys; GOMAXPROCS=%d, %s/%s; %d partitions, checkpoints every %s, fsync at checkpoints\n",
		o.events, o.keys, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, defaultConfig().Partitions, o.interval)
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "query\tside\tevents\toutputs\twall s\tcpu s\tevents/s/core\tpeak RSS MB\tsql/go-job\tsql/bare\t")
	perCore := func(r benchSQLResult) float64 { return float64(r.Events) / max(r.CPU, 1e-6) }
	var problems []string
	for i, q := range qs {
		res := results[i]
		sql := res[sideSQL]
		for _, side := range benchSQLSides {
			r := res[side]
			ratios := "\t"
			if side == sideSQL {
				ratios = fmt.Sprintf("%.3f\t%.3f", perCore(sql)/perCore(res[sideGo]), perCore(sql)/perCore(res[sideBare]))
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%.2f\t%.2f\t%.0f\t%d\t%s\t\n", q.name, side, r.Events, r.Outputs, r.Wall, r.CPU, perCore(r), r.MaxRSS/1024, ratios)
			if r.Outputs != res[sideBare].Outputs {
				problems = append(problems, fmt.Sprintf("%s: %s wrote %d output records, bare %d", q.name, side, r.Outputs, res[sideBare].Outputs))
			}
			if r.DeadLetters > 0 {
				problems = append(problems, fmt.Sprintf("%s: %s dead-lettered %d records", q.name, side, r.DeadLetters))
			}
		}
	}
	w.Flush()
	for i, q := range qs {
		res := results[i]
		fmt.Fprintf(g.stdout, "%-7s %s; sql per core = %.3f x go-job, %.3f x bare; writing the events took %.2fs, planning %.0f ms (not counted)\n",
			q.name+":", q.text, perCore(res[sideSQL])/perCore(res[sideGo]), perCore(res[sideSQL])/perCore(res[sideBare]),
			res[sideSQL].Ingest, res[sideSQL].Plan*1000)
	}
	if len(problems) > 0 {
		return fmt.Errorf("bench: the sides did different work:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// appendBenchEvent appends event i as JSON.
func appendBenchEvent(dst []byte, i int64, keys int) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, i, 10)
	dst = append(dst, `,"uid":"u`...)
	dst = strconv.AppendInt(dst, i%int64(keys), 10)
	dst = append(dst, `","amount":`...)
	dst = appendCents(dst, benchCents(i))
	dst = append(dst, `,"ts":"`...)
	dst = row.AppendTimestamp(dst, benchEventTime(i), 0, 3)
	return append(dst, `"}`...)
}

// benchCents is event i's amount in cents: 0.00 .. 19.99, so about half
// the events pass amount > 10.
func benchCents(i int64) int64 { return i * 7919 % 2000 }

func benchEventTime(i int64) int64 { return benchEpoch + i*benchStep }

// appendCents appends cents/100 with two decimals.
func appendCents(dst []byte, c int64) []byte {
	if c < 0 {
		dst = append(dst, '-')
		c = -c
	}
	dst = strconv.AppendInt(dst, c/100, 10)
	dst = append(dst, '.', byte('0'+c%100/10), byte('0'+c%10))
	return dst
}

// parseCents reads a JSON number with at most two decimals as cents.
func parseCents(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var c int64
	frac := -1
	for _, ch := range b {
		switch {
		case ch == '.' && frac < 0:
			frac = 0
		case ch >= '0' && ch <= '9' && frac < 2:
			c = c*10 + int64(ch-'0')
			if frac >= 0 {
				frac++
			}
		default:
			return 0, false
		}
	}
	for ; frac < 2; frac++ {
		c *= 10
	}
	if neg {
		c = -c
	}
	return c, true
}

// writeBenchEvents writes the events into the topic (not timed), keyed
// by uid, with their event time as the record timestamp.
func writeBenchEvents(ctx context.Context, l rlog.Log, o *benchSQLOptions, partitions int32) error {
	if err := l.CreateTopic(ctx, benchEventsTopic, rlog.TopicConfig{Partitions: partitions}); err != nil {
		return err
	}
	const batch = 2000
	recs := make([]rlog.Record, 0, batch)
	for i := range o.events {
		v := appendBenchEvent(nil, i, o.keys)
		key := []byte("u" + strconv.FormatInt(i%int64(o.keys), 10))
		recs = append(recs, rlog.Record{Topic: benchEventsTopic, Partition: rlog.AutoPartition, Key: key, Value: v, Timestamp: benchEventTime(i)})
		if len(recs) == batch || i == o.events-1 {
			if err := l.Produce(ctx, recs...); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	return nil
}

// benchSQLBare: the events in memory (not timed), then the bare loop.
func benchSQLBare(g *globals, o *benchSQLOptions, q sqlBenchQuery) error {
	events := make([][]byte, o.events)
	var buf []byte
	for i := range o.events {
		if cap(buf)-len(buf) < 256 {
			buf = make([]byte, 0, 1<<20)
		}
		start := len(buf)
		buf = appendBenchEvent(buf, i, o.keys)
		events[i] = buf[start:len(buf):len(buf)]
	}
	res := benchSQLResult{Events: o.events}
	sink := bufio.NewWriterSize(io.Discard, 64<<10)
	start, cpu0 := time.Now(), cpuSeconds()
	n, err := q.bare(events, sink)
	if err != nil {
		return err
	}
	sink.Flush()
	res.Wall, res.CPU, res.Outputs = time.Since(start).Seconds(), cpuSeconds()-cpu0, n
	return json.NewEncoder(g.stdout).Encode(res)
}

// bareFilter: keep amount > 10, encode {id, uid, amt2}.
func bareFilter(events [][]byte, w *bufio.Writer) (int64, error) {
	var p fastjson.Parser
	var out, num []byte
	var n int64
	for _, e := range events {
		v, err := p.ParseBytes(e)
		if err != nil {
			return n, err
		}
		num = v.Get("amount").MarshalTo(num[:0])
		c, ok := parseCents(num)
		if !ok {
			return n, fmt.Errorf("bench: amount %s", num)
		}
		if c <= 1000 {
			continue
		}
		out = append(out[:0], `{"id":`...)
		out = v.Get("id").MarshalTo(out)
		out = append(out, `,"uid":`...)
		out = v.Get("uid").MarshalTo(out)
		out = append(out, `,"amt2":`...)
		out = appendCents(out, 2*c)
		out = append(out, '}')
		w.Write(out)
		n++
	}
	return n, nil
}

type bareAgg struct{ count, cents int64 }

// bareWindow: 10-second tumbling windows per uid, fired when the
// watermark (largest time seen - 3 s) passes their end, as the engine
// fires them; the rest at the end of the input.
func bareWindow(events [][]byte, w *bufio.Writer) (int64, error) {
	const size, delay = 10_000, 3_000
	var p fastjson.Parser
	var out, num []byte
	var n int64
	windows := map[int64]map[string]*bareAgg{}
	var open []int64 // window starts, ascending
	maxTs := int64(-1 << 62)
	fire := func(upTo int64) {
		for len(open) > 0 && open[0]+size-1 <= upTo {
			start := open[0]
			open = open[1:]
			for uid, a := range windows[start] {
				out = append(out[:0], `{"uid":`...)
				out = strconv.AppendQuote(out, uid)
				out = append(out, `,"window_start":"`...)
				out = row.AppendTimestamp(out, start, 0, 3)
				out = append(out, `","window_end":"`...)
				out = row.AppendTimestamp(out, start+size, 0, 3)
				out = append(out, `","cnt":`...)
				out = strconv.AppendInt(out, a.count, 10)
				out = append(out, `,"total":`...)
				out = appendCents(out, a.cents)
				out = append(out, '}')
				w.Write(out)
				n++
			}
			delete(windows, start)
		}
	}
	for _, e := range events {
		v, err := p.ParseBytes(e)
		if err != nil {
			return n, err
		}
		ts, _, err := row.ParseTimestamp(string(v.GetStringBytes("ts")))
		if err != nil {
			return n, err
		}
		num = v.Get("amount").MarshalTo(num[:0])
		c, ok := parseCents(num)
		if !ok {
			return n, fmt.Errorf("bench: amount %s", num)
		}
		start := ts - ((ts%size)+size)%size
		win, ok := windows[start]
		if !ok {
			win = map[string]*bareAgg{}
			windows[start] = win
			i, _ := slices.BinarySearch(open, start)
			open = slices.Insert(open, i, start)
		}
		uid := v.GetStringBytes("uid")
		a, ok := win[string(uid)]
		if !ok {
			a = &bareAgg{}
			win[string(uid)] = a
		}
		a.count++
		a.cents += c
		if ts > maxTs {
			maxTs = ts
			fire(maxTs - delay)
		}
	}
	fire(1<<62 - 1)
	return n, nil
}

// bareGroup: per uid COUNT and SUM, each update encoded as the upsert
// record {uid} / {uid, cnt, total}.
func bareGroup(events [][]byte, w *bufio.Writer) (int64, error) {
	var p fastjson.Parser
	var key, out, num []byte
	var n int64
	groups := map[string]*bareAgg{}
	for _, e := range events {
		v, err := p.ParseBytes(e)
		if err != nil {
			return n, err
		}
		num = v.Get("amount").MarshalTo(num[:0])
		c, ok := parseCents(num)
		if !ok {
			return n, fmt.Errorf("bench: amount %s", num)
		}
		uid := v.GetStringBytes("uid")
		a, ok := groups[string(uid)]
		if !ok {
			a = &bareAgg{}
			groups[string(uid)] = a
		}
		a.count++
		a.cents += c
		key = append(key[:0], `{"uid":`...)
		key = v.Get("uid").MarshalTo(key)
		key = append(key, '}')
		out = append(out[:0], `{"uid":`...)
		out = v.Get("uid").MarshalTo(out)
		out = append(out, `,"cnt":`...)
		out = strconv.AppendInt(out, a.count, 10)
		out = append(out, `,"total":`...)
		out = appendCents(out, a.cents)
		out = append(out, '}')
		w.Write(key)
		w.Write(out)
		n++
	}
	return n, nil
}

// benchSQLEngine: the events into a fresh log (not timed), then the
// query's job, hand-built (go-job) or planned from SQL, drained.
func benchSQLEngine(ctx context.Context, g *globals, o *benchSQLOptions, q sqlBenchQuery, side string) error {
	g.dataDir = o.dir
	cfg := defaultConfig()
	cfg.CheckpointInterval = o.interval
	l, err := g.openLog(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	res := benchSQLResult{Events: o.events}
	t0 := time.Now()
	if err := writeBenchEvents(ctx, l, o, cfg.Partitions); err != nil {
		return err
	}
	res.Ingest = time.Since(t0).Seconds()

	var jobs []*stream.Job
	if side == sideGo {
		j, err := q.goJob()
		if err != nil {
			return err
		}
		jobs = append(jobs, j)
	} else {
		// As `rtdw sql --drain`: a session plans the script, each job's
		// Prepare runs, then the engine jobs run.
		t1 := time.Now()
		conn := connector.Context{Log: l, DataDir: o.dir, Out: io.Discard, Logger: g.logger}
		sess := session.New(catalog.OpenMemory(), map[string]string{"table.local-time-zone": cfg.Timezone}, conn, io.Discard)
		sc, err := sess.Execute("bench-"+q.name+".sql", benchEventsDDL+q.sink+q.insert, session.Plan)
		if err != nil {
			return sqlError(err)
		}
		for _, j := range sc.Jobs {
			for _, p := range j.Prepare {
				if err := p(); err != nil {
					return fmt.Errorf("job %s: %w", j.Name, err)
				}
			}
			jobs = append(jobs, j.Jobs...)
		}
		res.Plan = time.Since(t1).Seconds()
	}
	// The sql side's run is profiled (go tool pprof bin/rtdw $RTDW_CPUPROFILE),
	// not the counting of its output after it.
	stopProfile := func() {}
	if side == sideSQL {
		if stopProfile, err = cpuProfile(o.suffix); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	start, cpu0 := time.Now(), cpuSeconds()
	err = stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions,
		Drain: true, Metrics: stream.NewMetrics(reg), Logger: g.logger}, jobs...)
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	stopProfile()
	if err != nil {
		return err
	}
	if side == sideSQL {
		if path := os.Getenv("RTDW_MEMPROFILE"); path != "" { // the Go heap in use at the end of the run
			if f, ferr := os.Create(path + o.suffix); ferr == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	res.DeadLetters = int64(counterSum(reg, "rtdw_dead_letters_total"))
	if res.Outputs, err = countCommitted(ctx, l, benchOutTopic); err != nil {
		return err
	}
	return json.NewEncoder(g.stdout).Encode(res)
}

// The go-job sides: the query as a Go programmer writes it on the engine.

// goEventSource reads the events topic as typed rows of the named
// columns of ev (the json format's decoder, reading only those fields, as
// the SQL source does after projection pushdown), with the event time and
// watermark of ev (ts - 3 s); ts must be one of the columns.
func goEventSource(j *stream.Job, cols ...string) (stream.Stream, *row.Schema, error) {
	var sc []row.Column
	ts := -1
	for i, name := range cols {
		k := benchEventSchema.Index(name)
		if k < 0 {
			return stream.Stream{}, nil, fmt.Errorf("bench: ev has no column %s", name)
		}
		sc = append(sc, benchEventSchema.Column(k))
		if name == "ts" {
			ts = i
		}
	}
	if ts < 0 {
		return stream.Stream{}, nil, fmt.Errorf("bench: the source needs ts for its watermark")
	}
	schema, err := row.NewSchema(sc...)
	if err != nil {
		return stream.Stream{}, nil, err
	}
	f, err := format.Lookup(format.JSON, schema, nil)
	if err != nil {
		return stream.Stream{}, nil, err
	}
	decode := stream.Decoded(func() stream.RowDecode {
		dec, err := f.NewDecoder()
		if err != nil {
			panic(err) // json decodes every schema
		}
		var b format.Batch
		return func(value []byte, emit func(*row.Row)) error {
			if err := dec.Decode(value, &b); err != nil {
				return stream.BadInput("bad_event", "%v", err)
			}
			for i := range b.Rows {
				emit(&b.Rows[i])
			}
			return nil
		}
	})
	eventTime := stream.EventTime(func(rec *stream.Record) (int64, bool) {
		if rec.Row == nil || rec.Row.Values[ts].IsNull() {
			return 0, false
		}
		return rec.Row.Values[ts].Millis(), true
	})
	return j.Source(benchEventsTopic, decode, eventTime, stream.OutOfOrderness(3*time.Second)), schema, nil
}

// goJSONEncode makes a sink encoder writing the columns cols of a row as
// a JSON object of schema (the json format's encoder).
func goJSONEncode(schema *row.Schema, cols []int) (func() stream.RowEncode, error) {
	f, err := format.Lookup(format.JSON, schema, nil)
	if err != nil {
		return nil, err
	}
	return func() stream.RowEncode {
		enc, err := f.NewEncoder()
		if err != nil {
			panic(err) // json encodes every schema
		}
		var sub row.Row
		return func(dst []byte, r *row.Row) ([]byte, error) {
			sub.Kind = row.Insert
			sub.Values = sub.Values[:0]
			for _, c := range cols {
				sub.Values = append(sub.Values, r.Values[c])
			}
			out, _, err := enc.Append(dst, &sub)
			return out, err
		}
	}, nil
}

// goFilter is WHERE amount > 10 and the projection id, uid, amount * 2.
type goFilter struct {
	ten, two row.Decimal
	out      row.Row
	rec      stream.Record
}

func (f *goFilter) Open(*stream.Context) error {
	f.ten, _ = row.NewDecimal(10, 10, 0)
	f.two, _ = row.NewDecimal(2, 10, 0)
	return nil
}

func (f *goFilter) Process(rec *stream.Record, out stream.Emitter) error {
	r := rec.Row
	if r == nil || len(r.Values) != 4 {
		return stream.BadInput("untyped_record", "filter needs an event row")
	}
	a := r.Values[2]
	if a.IsNull() || a.Decimal().Compare(f.ten) <= 0 {
		return nil
	}
	amt2, ok := a.Decimal().Mul(f.two)
	if !ok {
		return stream.BadInput("overflow", "amount * 2 overflows")
	}
	f.out.Kind = r.Kind
	f.out.Values = append(f.out.Values[:0], r.Values[0], r.Values[1], row.DecimalValue(amt2))
	f.rec = rec.Derive(rec.Key, nil, rec.Time)
	f.rec.Row = &f.out
	out.Emit(0, &f.rec)
	return nil
}

func goFilterJob() (*stream.Job, error) {
	j := stream.NewJob("bench_go_filter")
	src, _, err := goEventSource(j, "id", "uid", "amount", "ts")
	if err != nil {
		return nil, err
	}
	outSchema := row.MustSchema(
		row.Column{Name: "id", Type: row.BigIntType},
		row.Column{Name: "uid", Type: row.StringType},
		row.Column{Name: "amt2", Type: row.DecimalOf(21, 2)})
	enc, err := goJSONEncode(outSchema, []int{0, 1, 2})
	if err != nil {
		return nil, err
	}
	src.Process("filter", func() stream.Operator { return &goFilter{} }).Main().ToRows(benchOutTopic, enc)
	return j, nil
}

// benchCountSum binds COUNT(*) and SUM(amount) over column amount.
func benchCountSum(amount int) ([]sqlexec.AggCall, error) {
	count, _ := aggfn.Lookup("COUNT")
	sum, _ := aggfn.Lookup("SUM")
	if count == nil || sum == nil {
		return nil, fmt.Errorf("bench: COUNT or SUM is not registered")
	}
	c, err := count.Bind(nil, nil, false)
	if err != nil {
		return nil, err
	}
	s, err := sum.Bind([]row.Type{row.DecimalOf(10, 2)}, []*row.Value{nil}, false)
	if err != nil {
		return nil, err
	}
	return []sqlexec.AggCall{{Fn: c, Filter: -1}, {Fn: s, Args: []int{amount}, Filter: -1}}, nil
}

func goWindowJob() (*stream.Job, error) {
	j := stream.NewJob("bench_go_window")
	src, schema, err := goEventSource(j, "uid", "amount", "ts")
	if err != nil {
		return nil, err
	}
	calls, err := benchCountSum(1)
	if err != nil {
		return nil, err
	}
	spec := sqlexec.WindowAggSpec{Window: sqlexec.WindowSpec{Kind: sqlexec.Tumble, TimeCol: 2, Size: 10 * time.Second}, Keys: []int{0}, Calls: calls}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	// The window's output is uid, cnt, total, window_start, window_end,
	// window_time; the sink writes uid, window_start, window_end, cnt, total.
	outSchema := row.MustSchema(
		row.Column{Name: "uid", Type: row.StringType},
		row.Column{Name: "window_start", Type: row.TimestampOf(3)},
		row.Column{Name: "window_end", Type: row.TimestampOf(3)},
		row.Column{Name: "cnt", Type: row.BigIntType},
		row.Column{Name: "total", Type: row.DecimalOf(38, 2)})
	enc, err := goJSONEncode(outSchema, []int{0, 3, 4, 1, 2})
	if err != nil {
		return nil, err
	}
	src.KeyByColumns("by_uid", schema, 0).
		Process("window", sqlexec.WindowAgg(spec)).Main().
		ToRows(benchOutTopic, enc)
	return j, nil
}

// goUpsertEncode writes a group's row as upsert-kafka does: key {uid},
// value {uid, cnt, total}; -U rows are skipped (the +U replaces them).
type goUpsertEncode struct {
	kenc, venc stream.RowEncode
	kbuf, vbuf []byte
}

func (e *goUpsertEncode) Open(*stream.Context) error { return nil }

func (e *goUpsertEncode) Process(rec *stream.Record, out stream.Emitter) error {
	r := rec.Row
	if r == nil {
		return stream.BadInput("untyped_record", "upsert encode needs a row")
	}
	if r.Kind == row.UpdateBefore {
		return nil
	}
	var err error
	if e.kbuf, err = e.kenc(e.kbuf[:0], r); err != nil {
		return stream.BadInput("encode_failed", "%v", err)
	}
	cp := *rec
	cp.Row, cp.Key, cp.Value = nil, e.kbuf, nil
	if r.Kind != row.Delete {
		if e.vbuf, err = e.venc(e.vbuf[:0], r); err != nil {
			return stream.BadInput("encode_failed", "%v", err)
		}
		cp.Value = e.vbuf
	}
	out.Emit(0, &cp)
	return nil
}

func goGroupJob() (*stream.Job, error) {
	j := stream.NewJob("bench_go_group")
	src, schema, err := goEventSource(j, "uid", "amount", "ts")
	if err != nil {
		return nil, err
	}
	calls, err := benchCountSum(1)
	if err != nil {
		return nil, err
	}
	spec := sqlexec.GroupAggSpec{Keys: []int{0}, Calls: calls}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	keySchema := row.MustSchema(row.Column{Name: "uid", Type: row.StringType})
	outSchema := row.MustSchema(
		row.Column{Name: "uid", Type: row.StringType},
		row.Column{Name: "cnt", Type: row.BigIntType},
		row.Column{Name: "total", Type: row.DecimalOf(38, 2)})
	kenc, err := goJSONEncode(keySchema, []int{0})
	if err != nil {
		return nil, err
	}
	venc, err := goJSONEncode(outSchema, []int{0, 1, 2})
	if err != nil {
		return nil, err
	}
	src.KeyByColumns("by_uid", schema, 0).
		Process("group", sqlexec.GroupAgg(spec)).Main().
		Process("upsert_encode", func() stream.Operator { return &goUpsertEncode{kenc: kenc(), venc: venc()} }).Main().
		To(benchOutTopic)
	return j, nil
}
