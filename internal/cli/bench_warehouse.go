package cli

import (
	"bufio"
	"bytes"
	"cmp"
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
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

type benchWarehouseOptions struct {
	sessions int
	seed     int64
	date     string
	rate     float64
	live     time.Duration
	interval time.Duration
	keep     bool
	runs     int
	phase    string // internal: run one side in a child process
	dir      string
}

func (o *benchWarehouseOptions) validate() error {
	if o.sessions <= 0 {
		return usagef("--sessions must be > 0")
	}
	if o.runs <= 0 {
		return usagef("--runs must be > 0")
	}
	if o.rate <= 0 {
		return usagef("--rate must be > 0")
	}
	if o.live < 0 || o.interval <= 0 {
		return usagef("--live must be >= 0 and --checkpoint-interval > 0")
	}
	if _, err := time.Parse("2006-01-02", o.date); err != nil {
		return usagef("--date %q is not a yyyy-MM-dd date", o.date)
	}
	return nil
}

func newBenchWarehouseCmd(g *globals) *cobra.Command {
	o := &benchWarehouseOptions{}
	c := &cobra.Command{
		Use:   "warehouse",
		Short: "The whole warehouse (DIM, DWD, DWS, OLAP load) on a simulated day vs a bare JSON decode+encode loop",
		Long: `Simulates a day of --sessions mock-shop sessions into an embedded log (not
timed, in a child process of its own, so (b)'s peak RSS is the engine's),
then, each in its own child process:
  (a) a bare loop: parse every ODS record (topic_db and topic_log) with
      fastjson and encode it again, discard: the floor of any JSON pipeline;
  (b) the warehouse drained layer by layer, the job set of 'rtdw demo':
      dim_app + the DWD jobs, then the DWS jobs, then the load of the DWS
      rows into DuckDB, each with exactly-once checkpoints.
It prints wall and CPU time (user+sys of the child), ODS records/s per core
(records in / CPU seconds) per layer and for the whole warehouse, peak RSS,
the ratio of per-core throughput to (a), and the keyed state and timers
each layer's checkpoints committed (rtdw_state_written_bytes_total), with
its three largest states.
Then, unless --live 0, (c) freshness: the demo's live path (shop at --rate
records/s, every job, the load, in one process) for --live; for every closed
10-second window of dws_traffic_vc_ch_ar_is_new_page_view_window, the time
its rows appeared in DuckDB (polled every 100 ms) minus the wall time the
last app log of that window was written to topic_log; p50 and p99; and its
CPU per ODS record (the shop's and the polls' included) next to (b)'s.

Profiles of (b): RTDW_CPUPROFILE=file (CPU, with pprof labels job and
partition: go tool pprof -tags), and of (c) in file.live; RTDW_MEMPROFILE=file
writes the Go heap at the end of each layer (file.0, file.1, file.2) and
near its peak (file.peak). RTDW_MEMORY=size (for example 384MiB) gives the
children a memory budget, as the memory key of rtdw.yaml does (README,
"The memory budget").`,
		Example: `  rtdw bench warehouse
  rtdw bench warehouse --sessions 20000 --live 30s --rate 2000`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			switch o.phase {
			case "bare":
				return benchWarehouseBare(cmd.Context(), g, o)
			case "simulate":
				return benchWarehouseSimulate(cmd.Context(), g, o)
			case "engine":
				return benchWarehouseEngine(cmd.Context(), g, o)
			case "live":
				return benchWarehouseLive(cmd.Context(), g, o)
			case "":
				return benchWarehouse(cmd.Context(), g, o)
			}
			return usagef("unknown --phase %q", o.phase)
		},
	}
	f := c.Flags()
	f.IntVar(&o.sessions, "sessions", 10_000, "sessions of the simulated day (as demo --drain)")
	f.Int64Var(&o.seed, "seed", 1, "mock shop seed")
	f.StringVar(&o.date, "date", "2024-06-01", "business date of the simulated day")
	f.Float64Var(&o.rate, "rate", 2000, "records per second of the shop in the freshness run")
	f.DurationVar(&o.live, "live", 25*time.Second, "length of the freshness run (0: skip it)")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "checkpoint interval of every job")
	f.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	f.IntVar(&o.runs, "runs", 1, "run (a) and (b) this many times, alternating, and report medians (the day is simulated again for each (b))")
	f.StringVar(&o.phase, "phase", "", "internal")
	f.StringVar(&o.dir, "dir", "", "internal")
	for _, n := range []string{"phase", "dir"} {
		f.MarkHidden(n)
	}
	return c
}

// warehouseLayer is one measured step of the drained warehouse.
type warehouseLayer struct {
	Name        string   `json:"name"`
	Wall        float64  `json:"wall_s"`
	CPU         float64  `json:"cpu_s"`
	DeadLetters int64    `json:"dead_letters"`
	StateBytes  int64    `json:"state_bytes"` // keyed state and timers its checkpoints committed
	StateTop    []string `json:"state_top"`   // its largest states, "job/operator/state MB"
}

// warehouseResult is what a child phase reports on stdout.
type warehouseResult struct {
	Records int64            `json:"records"` // ODS records (topic_db + topic_log)
	DB      int64            `json:"topic_db"`
	Wall    float64          `json:"wall_s"`
	CPU     float64          `json:"cpu_s"`
	Ingest  float64          `json:"ingest_s,omitempty"`
	Layers  []warehouseLayer `json:"layers,omitempty"`
	Rows    int64            `json:"dws_rows,omitempty"`
	MaxRSS  int64            `json:"max_rss_kb"`
	// MaxLive is the engine's largest live Go heap after a collection
	// (less noisy than RSS, which follows the collector's timing).
	MaxLive int64 `json:"max_live_heap_bytes,omitempty"`
	// The largest RSS the engine sampled (KiB), split into anonymous
	// memory and file-backed pages (the binary's: DuckDB's code is most of
	// it), and the layer running then.
	PeakAnon  int64  `json:"peak_anon_kb,omitempty"`
	PeakFile  int64  `json:"peak_file_kb,omitempty"`
	PeakPhase string `json:"peak_phase,omitempty"`
	// Freshness run.
	Windows int     `json:"windows,omitempty"`
	Open    int     `json:"open_windows,omitempty"`
	P50     float64 `json:"p50_ms,omitempty"`
	P99     float64 `json:"p99_ms,omitempty"`
	Max     float64 `json:"max_ms,omitempty"`
	Written int64   `json:"written,omitempty"`
}

func benchWarehouse(ctx context.Context, g *globals, o *benchWarehouseOptions) error {
	dir, err := os.MkdirTemp("", "rtdw-bench-warehouse-")
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
	// The engine's data dir is filled by a child of its own, so the
	// engine's peak RSS is its own, not the simulator's.
	dirs := map[string]string{"simulate": "engine"}
	run := func(phase string) (warehouseResult, error) {
		fmt.Fprintf(g.stderr, "running (%s) ...\n", phase)
		sub := phase
		if d, ok := dirs[phase]; ok {
			sub = d
		}
		cmd := exec.CommandContext(ctx, self, "bench", "warehouse", "--phase", phase, "--dir", filepath.Join(dir, sub),
			"--sessions", fmt.Sprint(o.sessions), "--seed", fmt.Sprint(o.seed), "--date", o.date, "--rate", fmt.Sprint(o.rate),
			"--live", o.live.String(), "--checkpoint-interval", o.interval.String(), "--log-level", "warn")
		r, rss, err := benchChild[warehouseResult](cmd, g, phase)
		r.MaxRSS = rss
		return r, err
	}
	// Runs alternate (a) and (b), so a machine's drift touches both sides.
	var as, bs []warehouseResult
	var sim warehouseResult
	for i := range o.runs {
		a, err := run("bare")
		if err != nil {
			return err
		}
		if i > 0 { // a fresh copy of the day: (b) consumed the last one
			if err := os.RemoveAll(filepath.Join(dir, "engine")); err != nil {
				return err
			}
		}
		if sim, err = run("simulate"); err != nil {
			return err
		}
		b, err := run("engine")
		if err != nil {
			return err
		}
		b.Records, b.DB, b.Ingest = sim.Records, sim.DB, sim.Ingest
		if a.Records != b.Records {
			return fmt.Errorf("bench: (a) read %d ODS records, (b) %d: the runs did different work", a.Records, b.Records)
		}
		if i > 0 && b.Rows != bs[0].Rows {
			return fmt.Errorf("bench: run %d loaded %d DWS rows, run 1 %d: the same day gave different results", i+1, b.Rows, bs[0].Rows)
		}
		as, bs = append(as, a), append(bs, b)
	}
	a, b := medianWarehouse(as), medianWarehouse(bs)
	var c warehouseResult
	if o.live > 0 {
		if c, err = run("live"); err != nil {
			return err
		}
	}

	fmt.Fprintf(g.stdout, "warehouse: %d sessions of %s (seed %d) = %d ODS records (topic_db %d, topic_log %d); GOMAXPROCS=%d, %s/%s; checkpoints every %s\n",
		o.sessions, o.date, o.seed, b.Records, b.DB, b.Records-b.DB, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, o.interval)
	if o.runs > 1 {
		fmt.Fprintf(g.stdout, "medians of %d runs; each run's whole-warehouse cpu s (b): %s, ratio to (a): %s\n", o.runs,
			each(bs, func(r warehouseResult) string { return fmt.Sprintf("%.2f", r.CPU) }),
			eachPair(as, bs, func(a, b warehouseResult) string { return fmt.Sprintf("%.4f", a.CPU/b.CPU) }))
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\twall s\tcpu s\tODS records/s\tODS records/s/core\tper core vs (a)\t")
	perCore := func(cpu float64) float64 { return float64(b.Records) / cpu }
	row := func(name string, wall, cpu float64) {
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%.0f\t%.0f\t%.3f\t\n", name, wall, cpu, float64(b.Records)/wall, perCore(cpu), perCore(cpu)/perCore(a.CPU))
	}
	row("(a) bare JSON decode+encode", a.Wall, a.CPU)
	var dead int64
	for _, l := range b.Layers {
		row("(b) "+l.Name, l.Wall, l.CPU)
		dead += l.DeadLetters
	}
	row("(b) whole warehouse, ODS -> DWS in OLAP", b.Wall, b.CPU)
	w.Flush()
	split := ""
	if b.PeakAnon > 0 {
		split = fmt.Sprintf("sampled at its peak: %d MB anonymous + %d MB file-backed, during %s; ", b.PeakAnon/1024, b.PeakFile/1024, b.PeakPhase)
	}
	fmt.Fprintf(g.stdout, "peak RSS: (a) %d MB, (b) %d MB (%sits live Go heap at most %d MB); DWS rows loaded: %d; dead letters: %d; simulating the day took %.2fs and %d MB in its own process (not counted)\n",
		a.MaxRSS/1024, b.MaxRSS/1024, split, b.MaxLive>>20, b.Rows, dead, b.Ingest, sim.MaxRSS/1024)
	var state []string
	for _, l := range b.Layers {
		top := ""
		if len(l.StateTop) > 0 {
			top = " (" + strings.Join(l.StateTop, ", ") + ")"
		}
		state = append(state, fmt.Sprintf("%s %.1f MB%s", l.Name, float64(l.StateBytes)/1e6, top))
	}
	fmt.Fprintf(g.stdout, "keyed state and timers committed at checkpoints (b): %s\n", strings.Join(state, ", "))
	if o.live > 0 {
		fmt.Fprintf(g.stdout, "freshness (c): shop at %.0f records/s for %s (%d records), all jobs live: %d windows closed, %d still open at the end;\n"+
			"  last app log of a window written -> its row visible in DuckDB: p50 %.0f ms, p99 %.0f ms, max %.0f ms; peak RSS %d MB;\n"+
			"  cpu %.2f s in %.2f s (the shop and the 100 ms DuckDB polls included): %.0f µs per ODS record, (b) %.0f µs\n",
			o.rate, o.live, c.Written, c.Windows, c.Open, c.P50, c.P99, c.Max, c.MaxRSS/1024,
			c.CPU, c.Wall, 1e6*c.CPU/float64(max(c.Written, 1)), 1e6*b.CPU/float64(max(b.Records, 1)))
		if c.Windows == 0 {
			return fmt.Errorf("bench: no window closed in the freshness run; run it longer (--live)")
		}
	}
	return nil
}

// medianWarehouse is the median run of rs, field by field (layers by
// position); counts are the first run's (every run did the same work).
func medianWarehouse(rs []warehouseResult) warehouseResult {
	m := rs[0]
	m.Layers = slices.Clone(m.Layers)
	m.Wall = medianBy(rs, func(r *warehouseResult) float64 { return r.Wall })
	m.CPU = medianBy(rs, func(r *warehouseResult) float64 { return r.CPU })
	m.Ingest = medianBy(rs, func(r *warehouseResult) float64 { return r.Ingest })
	m.MaxRSS = int64(medianBy(rs, func(r *warehouseResult) float64 { return float64(r.MaxRSS) }))
	m.MaxLive = int64(medianBy(rs, func(r *warehouseResult) float64 { return float64(r.MaxLive) }))
	m.PeakAnon = int64(medianBy(rs, func(r *warehouseResult) float64 { return float64(r.PeakAnon) }))
	m.PeakFile = int64(medianBy(rs, func(r *warehouseResult) float64 { return float64(r.PeakFile) }))
	for i := range m.Layers {
		m.Layers[i].Wall = medianBy(rs, func(r *warehouseResult) float64 { return r.Layers[i].Wall })
		m.Layers[i].CPU = medianBy(rs, func(r *warehouseResult) float64 { return r.Layers[i].CPU })
	}
	return m
}

// benchShop is the simulated day both sides process.
func benchShop(o *benchWarehouseOptions, loc *time.Location, start int64) (*mock.Shop, error) {
	return mock.NewShop(mock.ShopConfig{Seed: o.seed, Date: o.date, Location: loc, Start: start,
		Sessions: o.sessions, Users: 1000, Bootstrap: true})
}

// benchWarehouseBare: the shop's records as the lines a JSON sink writes
// (not timed), then parse and re-encode each one, discard.
func benchWarehouseBare(ctx context.Context, g *globals, o *benchWarehouseOptions) error {
	loc, err := time.LoadLocation(defaultConfig().Timezone)
	if err != nil {
		return err
	}
	shop, err := benchShop(o, loc, 0)
	if err != nil {
		return err
	}
	var db, lg bytes.Buffer
	if _, err := pumpShop(ctx, shop, mock.NewJSONSink(&db, &lg), 0, 0); err != nil {
		return err
	}
	var res warehouseResult
	start, cpu0 := time.Now(), cpuSeconds()
	var p fastjson.Parser
	var out []byte
	sink := bufio.NewWriterSize(io.Discard, 64<<10)
	for i, b := range []*bytes.Buffer{&db, &lg} {
		for line := range bytes.Lines(b.Bytes()) {
			v, err := p.ParseBytes(bytes.TrimSuffix(line, []byte("\n")))
			if err != nil {
				return fmt.Errorf("bench: the shop wrote a line that is not JSON: %w", err)
			}
			out = v.MarshalTo(out[:0])
			sink.Write(out)
			res.Records++
			if i == 0 {
				res.DB++
			}
		}
	}
	sink.Flush()
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	return json.NewEncoder(g.stdout).Encode(res)
}

// benchData opens the phase's data dir with the default configuration.
func benchData(g *globals, o *benchWarehouseOptions) (Config, rlog.Log, *time.Location, error) {
	g.dataDir = o.dir
	cfg := defaultConfig()
	cfg.CheckpointInterval = o.interval
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return cfg, nil, nil, err
	}
	l, err := g.openLog(cfg)
	if err != nil {
		return cfg, nil, nil, err
	}
	return cfg, l, loc, nil
}

func ensureShopTopics(ctx context.Context, l rlog.Log, cfg Config) error {
	for _, t := range []string{ods.TopicDB, "topic_log"} {
		if _, err := rlog.EnsureTopic(ctx, l, t, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
			return err
		}
	}
	return nil
}

// benchWarehouseSimulate: simulate the day into topic_db and topic_log of
// the engine's data dir (not counted).
func benchWarehouseSimulate(ctx context.Context, g *globals, o *benchWarehouseOptions) error {
	cfg, l, loc, err := benchData(g, o)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := ensureShopTopics(ctx, l, cfg); err != nil {
		return err
	}
	shop, err := benchShop(o, loc, 0)
	if err != nil {
		return err
	}
	t0 := time.Now()
	var res warehouseResult
	if res.Records, err = pumpShop(ctx, shop, mock.NewLogSink(l, ods.TopicDB, "topic_log"), 0, 0); err != nil {
		return err
	}
	res.DB = shop.Stats().Changes
	res.Ingest = time.Since(t0).Seconds()
	return json.NewEncoder(g.stdout).Encode(res)
}

// benchWarehouseEngine: drain the warehouse over the simulated day one
// layer after the other.
func benchWarehouseEngine(ctx context.Context, g *globals, o *benchWarehouseOptions) error {
	cfg, l, _, err := benchData(g, o)
	if err != nil {
		return err
	}
	defer l.Close()
	var res warehouseResult

	stopProfile, err := cpuProfile("")
	if err != nil {
		return err
	}
	defer stopProfile()
	var profile string
	if path := os.Getenv("RTDW_MEMPROFILE"); path != "" {
		profile = path + ".peak"
	}
	mem := watchMemory(profile)
	defer mem.Stop()
	var lower, summary []string
	for _, j := range warehouse.Jobs() {
		if strings.HasPrefix(j.Name, "dws_") {
			summary = append(summary, j.Name)
		} else {
			lower = append(lower, j.Name)
		}
	}
	for i, layer := range []struct {
		name string
		jobs []string
	}{{"dim + dwd (" + fmt.Sprint(len(lower)) + " jobs)", lower}, {"dws (" + fmt.Sprint(len(summary)) + " jobs)", summary}, {"olap load into DuckDB", []string{LoadJob}}} {
		mem.SetPhase(layer.name)
		w, err := g.openWarehouse(ctx, cfg, l, layer.jobs)
		if err != nil {
			return err
		}
		reg := prometheus.NewRegistry()
		start, cpu0 := time.Now(), cpuSeconds()
		err = stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions,
			Drain: true, Metrics: stream.NewMetrics(reg), Logger: g.logger}, w.jobs...)
		m := warehouseLayer{Name: layer.name, Wall: time.Since(start).Seconds(), CPU: cpuSeconds() - cpu0,
			DeadLetters: int64(counterSum(reg, "rtdw_dead_letters_total"))}
		m.StateBytes, m.StateTop = stateWritten(reg, 3)
		if path := os.Getenv("RTDW_MEMPROFILE"); path != "" { // the Go heap in use at the end of each layer
			if f, ferr := os.Create(fmt.Sprintf("%s.%d", path, i)); ferr == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
		if err == nil && w.olap != nil {
			res.Rows, err = countDWSRows(ctx, w)
		}
		w.close()
		if err != nil {
			return err
		}
		res.Layers = append(res.Layers, m)
		res.Wall += m.Wall
		res.CPU += m.CPU
	}
	p := mem.Stop()
	res.MaxLive, res.PeakAnon, res.PeakFile, res.PeakPhase = p.Live, p.Anon, p.File, p.Phase
	return json.NewEncoder(g.stdout).Encode(res)
}

func countDWSRows(ctx context.Context, w *warehouseRun) (int64, error) {
	var n int64
	for _, t := range dws.Tables() {
		r, err := w.olap.Query(ctx, "SELECT count(*) FROM "+t.Name)
		if err != nil {
			return 0, fmt.Errorf("olap: %w", err)
		}
		var c int64
		fmt.Sscan(fmt.Sprint(r.Rows[0][0]), &c)
		n += c
	}
	return n, nil
}

// counterSum adds up every series of a counter.
func counterSum(reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var s float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				s += m.GetCounter().GetValue()
			}
		}
	}
	return s
}

// stateWritten is the bytes all states' checkpoints committed
// (rtdw_state_written_bytes_total) and the n states that committed the
// most, largest first: "job/operator/state MB".
func stateWritten(reg *prometheus.Registry, n int) (int64, []string) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, nil
	}
	var total float64
	type series struct {
		name string
		v    float64
	}
	var all []series
	for _, mf := range mfs {
		if mf.GetName() != "rtdw_state_written_bytes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			all = append(all, series{l["job"] + "/" + l["operator"] + "/" + l["state"], m.GetCounter().GetValue()})
			total += m.GetCounter().GetValue()
		}
	}
	slices.SortFunc(all, func(a, b series) int { return cmp.Compare(b.v, a.v) })
	var out []string
	for _, x := range all[:min(n, len(all))] {
		if x.v >= 0.05e6 {
			out = append(out, fmt.Sprintf("%s %.1f", x.name, x.v/1e6))
		}
	}
	return int64(total), out
}

// freshnessTable is the table whose windows the freshness run times: the
// page-view table, fed by every page log, so every window has rows.
const freshnessTable = "dws_traffic_vc_ch_ar_is_new_page_view_window"

// windowStamps wraps the log the shop writes to and notes, per 10-second
// window, when the last app log of that window became readable (Produce
// returned: the records are committed).
type windowStamps struct {
	rlog.Log
	mu      sync.Mutex
	written map[int64]time.Time // window start, epoch ms -> wall time
}

func (s *windowStamps) Produce(ctx context.Context, recs ...rlog.Record) error {
	if err := s.Log.Produce(ctx, recs...); err != nil {
		return err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.Topic == "topic_log" {
			s.written[r.Timestamp-r.Timestamp%10_000] = now
		}
	}
	return nil
}

// benchWarehouseLive runs the demo's live path (shop at a fixed rate, every
// job, the load) and times each window from its last event written to its
// rows visible in DuckDB.
func benchWarehouseLive(ctx context.Context, g *globals, o *benchWarehouseOptions) error {
	cfg, l, loc, err := benchData(g, o)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := ensureShopTopics(ctx, l, cfg); err != nil {
		return err
	}
	now := time.Now().In(loc)
	lo := *o
	lo.date, lo.sessions = now.Format("2006-01-02"), 100_000 // as demo's live default: the day starts now
	shop, err := benchShop(&lo, loc, now.UnixMilli())
	if err != nil {
		return err
	}
	w, err := g.openWarehouse(ctx, cfg, l, nil)
	if err != nil {
		return err
	}
	defer w.close()
	stopProfile, err := cpuProfile(".live")
	if err != nil {
		return err
	}
	defer stopProfile()
	start, cpu0 := time.Now(), cpuSeconds()
	ctx, cancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() {
		runDone <- stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions,
			Metrics: stream.NewMetrics(nil), Logger: g.logger}, w.jobs...)
	}()
	running := true
	defer func() { // the jobs use l and w: stop them before the deferred closes
		cancel()
		if running {
			<-runDone
		}
	}()

	stamps := &windowStamps{Log: l, written: map[int64]time.Time{}}
	seen := map[int64]time.Time{}
	var pollErr error
	var newest time.Time // the latest window seen
	poll := func() error {
		// Only the last minute's windows and later (they close in order): a
		// query over the whole table would cost more CPU every poll, and
		// count against the engine's.
		q := "SELECT DISTINCT CAST(stt AS VARCHAR) FROM " + freshnessTable
		if !newest.IsZero() {
			q += " WHERE stt >= TIMESTAMP '" + newest.Add(-time.Minute).Format("2006-01-02 15:04:05") + "'"
		}
		r, err := w.olap.Query(ctx, q)
		if err != nil {
			pollErr = err // the load job creates the table when it starts
			return nil
		}
		at := time.Now()
		for _, row := range r.Rows {
			t, err := time.ParseInLocation("2006-01-02 15:04:05", fmt.Sprint(row[0]), loc)
			if err != nil {
				return fmt.Errorf("olap: stt %v: %w", row[0], err)
			}
			if _, ok := seen[t.UnixMilli()]; !ok {
				seen[t.UnixMilli()] = at
			}
			if t.After(newest) {
				newest = t
			}
		}
		return nil
	}
	shopCtx, stopShop := context.WithTimeout(ctx, o.live)
	defer stopShop()
	shopDone := make(chan error, 1)
	var written int64
	go func() {
		var err error
		written, err = pumpShop(shopCtx, shop, mock.NewLogSink(stamps, ods.TopicDB, "topic_log"), o.rate, 0)
		shopDone <- err
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// After the shop stops, windows in flight get a few checkpoints to land.
	var grace <-chan time.Time
	for done := false; !done; {
		select {
		case err := <-shopDone:
			if err != nil {
				return err
			}
			grace = time.After(5*cfg.CheckpointInterval + 2*time.Second)
		case err := <-runDone:
			running = false
			return fmt.Errorf("bench: the jobs stopped: %v", err)
		case <-grace:
			done = true
		case <-tick.C:
			if err := poll(); err != nil {
				return err
			}
		}
	}
	cancel()
	running = false
	if err := <-runDone; err != nil {
		return err
	}
	if len(seen) == 0 && pollErr != nil {
		return fmt.Errorf("bench: no window became visible; last query error: %w", pollErr)
	}

	res := warehouseResult{Written: written, Wall: time.Since(start).Seconds(), CPU: cpuSeconds() - cpu0}
	stamps.mu.Lock()
	defer stamps.mu.Unlock()
	var lat []float64
	for win, wrote := range stamps.written {
		at, ok := seen[win]
		if !ok {
			res.Open++
			continue
		}
		lat = append(lat, float64(at.Sub(wrote).Milliseconds()))
	}
	slices.Sort(lat)
	res.Windows = len(lat)
	if len(lat) > 0 {
		res.P50, res.P99, res.Max = percentile(lat, 0.50), percentile(lat, 0.99), lat[len(lat)-1]
	}
	return json.NewEncoder(g.stdout).Encode(res)
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
