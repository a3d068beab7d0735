package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/dwd"
)

type benchOptions struct {
	events   int64
	mode     string
	phase    string // internal: run one side in a child process
	input    string
	dir      string
	interval time.Duration
	keep     bool
	noSync   bool
	runs     int
}

func newBenchCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput and memory against a baseline run in the same command",
	}
	o := &benchOptions{}
	ls := &cobra.Command{
		Use:   "log-split",
		Short: "dwd_base_log through the engine vs a bare parse-split-serialize loop",
		Long: `Generates --events app-log lines, then runs, each in its own child process:
  (a) a bare loop: read line, parse (fastjson), split and serialize with the
      job's own split code, discard: the physical limit of this work;
  (a2) the same loop writing each output framed (length, CRC-32C) to a file
      in 256 KiB chunks, synced at the end: the floor of a durable log;
  (b) the engine: dwd_base_log drained from topic_log with exactly-once
      checkpoints (validation, keyBy through a repartition topic, is_new
      state, five output topics, dead letters), loading excluded.
With --mode kafka it also runs
  (c) cluster mode: the same job as one rtdw worker (group session, Kafka
      transactions, changelog) against an in-process kfake broker, whose
      CPU is counted too.
It prints events/s, events/s per core (from the child's CPU time), peak RSS,
and the ratio to (a) and to (a2) of per-core throughput.`,
		Example: `  rtdw bench log-split --events 1000000
  rtdw bench log-split --events 300000 --mode kafka`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.events <= 0 {
				return usagef("--events must be > 0")
			}
			if o.runs <= 0 {
				return usagef("--runs must be > 0")
			}
			switch o.phase {
			case "bare", "write":
				return benchBare(g, o, o.phase == "write")
			case "engine":
				return benchEngine(cmd.Context(), g, o)
			case "kafka":
				return benchKafka(cmd.Context(), g, o)
			case "":
				if o.mode != "embedded" && o.mode != "kafka" {
					return usagef("--mode %q: want embedded or kafka", o.mode)
				}
				return benchLogSplit(cmd.Context(), g, o)
			}
			return usagef("unknown --phase %q", o.phase)
		},
	}
	f := ls.Flags()
	f.Int64Var(&o.events, "events", 1_000_000, "app-log lines to process")
	f.StringVar(&o.mode, "mode", "embedded", "embedded, or kafka to add a cluster-mode run on an in-process kfake broker")
	f.DurationVar(&o.interval, "checkpoint-interval", time.Second, "engine checkpoint interval")
	f.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	f.IntVar(&o.runs, "runs", 1, "run every side this many times, alternating, and report medians")
	f.BoolVar(&o.noSync, "no-sync", false, "engine without fsync at checkpoints (kill -9 safe, not power-loss safe)")
	f.StringVar(&o.phase, "phase", "", "internal")
	f.StringVar(&o.input, "input", "", "internal")
	f.StringVar(&o.dir, "dir", "", "internal")
	for _, n := range []string{"phase", "input", "dir"} {
		f.MarkHidden(n)
	}
	c.AddCommand(ls, newBenchWarehouseCmd(g))
	c.AddCommand(newBenchSQLCmd(g))
	c.AddCommand(newBenchNexmarkCmd(g))
	return c
}

// medianBench is the median run of rs, field by field; counts are the
// first run's (every run did the same work). No runs: the zero result.
func medianBench(rs []benchResult) benchResult {
	if len(rs) == 0 {
		return benchResult{}
	}
	m := rs[0]
	m.Wall = medianBy(rs, func(r *benchResult) float64 { return r.Wall })
	m.CPU = medianBy(rs, func(r *benchResult) float64 { return r.CPU })
	m.Ingest = medianBy(rs, func(r *benchResult) float64 { return r.Ingest })
	m.MaxRSS = int64(medianBy(rs, func(r *benchResult) float64 { return float64(r.MaxRSS) }))
	for _, r := range rs[1:] {
		if r.Outputs != m.Outputs {
			m.Outputs = -1 // reported below as runs that did different work
		}
	}
	return m
}

// benchResult is what a child phase reports on stdout.
type benchResult struct {
	Events  int64   `json:"events"`
	Outputs int64   `json:"outputs"`
	Wall    float64 `json:"wall_s"`
	CPU     float64 `json:"cpu_s"`
	Ingest  float64 `json:"ingest_s,omitempty"`
	MaxRSS  int64   `json:"max_rss_kb"`
}

func benchLogSplit(ctx context.Context, g *globals, o *benchOptions) error {
	dir, err := os.MkdirTemp("", "rtdw-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	input := filepath.Join(dir, "topic_log.jsonl")
	fmt.Fprintf(g.stderr, "generating %d app-log lines (mock seed 1) in %s ...\n", o.events, dir)
	if err := writeMockLines(input, o.events); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	run := func(phase string) (benchResult, error) {
		fmt.Fprintf(g.stderr, "running (%s) ...\n", phase)
		// Each run starts from an empty directory (the engine's loads topic_log).
		sub := filepath.Join(dir, phase)
		if err := os.RemoveAll(sub); err != nil {
			return benchResult{}, err
		}
		cmd := exec.CommandContext(ctx, self, "bench", "log-split", "--phase", phase, "--events", fmt.Sprint(o.events),
			"--input", input, "--dir", sub, "--checkpoint-interval", o.interval.String(), "--log-level", "warn",
			"--no-sync="+fmt.Sprint(o.noSync))
		r, rss, err := benchChild[benchResult](cmd, g, phase)
		r.MaxRSS = rss
		return r, err
	}
	phases := []string{"bare", "write", "engine"}
	if o.mode == "kafka" {
		phases = append(phases, "kafka")
	}
	// Runs alternate the sides, so a machine's drift touches them all.
	results := map[string][]benchResult{}
	for range o.runs {
		for _, ph := range phases {
			r, err := run(ph)
			if err != nil {
				return err
			}
			results[ph] = append(results[ph], r)
		}
	}
	a, a2, b, k := medianBench(results["bare"]), medianBench(results["write"]), medianBench(results["engine"]), medianBench(results["kafka"])
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(g.stdout, "log-split: %d events, GOMAXPROCS=%d, %s/%s, fsync at checkpoints: %v\n", o.events, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, !o.noSync)
	if o.runs > 1 {
		fmt.Fprintf(g.stdout, "medians of %d runs; each run's engine cpu s: %s, ratio b/a: %s\n", o.runs,
			each(results["engine"], func(r benchResult) string { return fmt.Sprintf("%.2f", r.CPU) }),
			eachPair(results["bare"], results["engine"], func(a, b benchResult) string { return fmt.Sprintf("%.3f", a.CPU/b.CPU) }))
	}
	fmt.Fprintln(w, "\twall s\tcpu s\tevents/s\tevents/s/core\tpeak RSS MB\toutputs\t")
	row := func(name string, r benchResult) {
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%.0f\t%.0f\t%d\t%d\t\n", name, r.Wall, r.CPU, float64(r.Events)/r.Wall, float64(r.Events)/r.CPU, r.MaxRSS/1024, r.Outputs)
	}
	row("(a) bare parse-split-serialize", a)
	row("(a2) bare, outputs framed to a file", a2)
	row("(b) engine, exactly-once", b)
	if o.mode == "kafka" {
		row("(c) worker on kfake, exactly-once", k)
	}
	w.Flush()
	perCore := func(r benchResult) float64 { return float64(r.Events) / r.CPU }
	fmt.Fprintf(g.stdout, "ratio b/a per core: %.2f   (wall: %.2f; loading topic_log for (b) took %.2fs, not counted)\n",
		perCore(b)/perCore(a), a.Wall/b.Wall, b.Ingest)
	fmt.Fprintf(g.stdout, "ratio b/a2 per core: %.2f   (a2/a: %.2f: what writing the outputs durably costs the bare loop)\n",
		perCore(b)/perCore(a2), perCore(a2)/perCore(a))
	if o.mode == "kafka" {
		fmt.Fprintf(g.stdout, "ratio c/a per core: %.2f   c/b: %.2f   (wall c/b: %.2f; loading topic_log for (c) took %.2fs, not counted)\n",
			perCore(k)/perCore(a), perCore(k)/perCore(b), b.Wall/k.Wall, k.Ingest)
	}
	if a2.Outputs != a.Outputs {
		return fmt.Errorf("bench: (a) produced %d outputs, (a2) %d: the runs did different work", a.Outputs, a2.Outputs)
	}
	if a.Outputs != b.Outputs || o.mode == "kafka" && k.Outputs != a.Outputs {
		return fmt.Errorf("bench: (a) produced %d outputs, (b) %d, (c) %d: the runs did different work", a.Outputs, b.Outputs, k.Outputs)
	}
	return nil
}

func writeMockLines(path string, n int64) error {
	gen, err := mock.NewLogGenerator(mock.LogConfig{Seed: 1})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 0, 4096)
	for range n {
		buf = append(gen.Next(buf[:0]), '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// median of xs (the mean of the middle two for an even count); xs is
// sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// medianBy is the median of f over the runs rs.
func medianBy[T any](rs []T, f func(*T) float64) float64 {
	xs := make([]float64, len(rs))
	for i := range rs {
		xs[i] = f(&rs[i])
	}
	return median(xs)
}

// each formats every run's f, separated by slashes.
func each[T any](rs []T, f func(T) string) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = f(r)
	}
	return strings.Join(parts, " / ")
}

// eachPair formats f of every run's pair of sides, separated by slashes.
func eachPair[T any](as, bs []T, f func(a, b T) string) string {
	parts := make([]string, len(as))
	for i := range as {
		parts[i] = f(as[i], bs[i])
	}
	return strings.Join(parts, " / ")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func report(g *globals, r benchResult) error { return json.NewEncoder(g.stdout).Encode(r) }

// benchBare: read, parse, split, serialize, discard. With write (the
// "write" phase) each output is instead framed as a log frames it (length,
// CRC-32C) and written to a file in 256 KiB chunks, synced at the end: the
// floor of any durable log under the same work.
func benchBare(g *globals, o *benchOptions, write bool) error {
	f, err := os.Open(o.input)
	if err != nil {
		return err
	}
	defer f.Close()
	var out *os.File
	if write {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return err
		}
		if out, err = os.Create(filepath.Join(o.dir, "outputs")); err != nil {
			return err
		}
		defer out.Close()
	}
	start, cpu0 := time.Now(), cpuSeconds()
	r := bufio.NewReaderSize(f, 1<<20)
	var p fastjson.Parser
	var buf []byte
	var res benchResult
	sink := bufio.NewWriterSize(io.Discard, 64<<10)
	emit := func(_ int, b []byte, _ int64) { res.Outputs++; sink.Write(b) }
	if write {
		sink = bufio.NewWriterSize(out, 256<<10)
		var hdr [8]byte
		castagnoli := crc32.MakeTable(crc32.Castagnoli)
		emit = func(_ int, b []byte, _ int64) {
			res.Outputs++
			binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
			binary.BigEndian.PutUint32(hdr[4:], crc32.Checksum(b, castagnoli))
			sink.Write(hdr[:])
			sink.Write(b)
		}
	}
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			res.Events++
			v, perr := p.ParseBytes(bytes.TrimSuffix(line, []byte("\n")))
			if perr == nil {
				ts := v.GetInt64("ts")
				buf = dwd.SplitLog(v, ts, buf, emit)
			}
		}
		if err != nil {
			break
		}
	}
	if err := sink.Flush(); err != nil {
		return err
	}
	if write && !o.noSync {
		if err := out.Sync(); err != nil {
			return err
		}
	}
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	return report(g, res)
}

// benchEngine: load topic_log (not timed), then drain dwd_base_log.
func benchEngine(ctx context.Context, g *globals, o *benchOptions) error {
	mem, err := g.applyMemory(defaultConfig()) // RTDW_MEMORY
	if err != nil {
		return err
	}
	l, err := embedded.Open(embedded.Options{Dir: o.dir, Logger: g.logger, NoSync: o.noSync, CacheBytes: mem.BlockCache})
	if err != nil {
		return err
	}
	defer l.Close()
	res, err := loadBenchInput(ctx, l, o)
	if err != nil {
		return err
	}
	metrics := stream.NewMetrics(nil)
	stopProfile, err := cpuProfile("")
	if err != nil {
		return err
	}
	defer stopProfile()
	start, cpu0 := time.Now(), cpuSeconds()
	err = stream.Run(ctx, stream.Options{Log: l, Drain: true, Interval: o.interval, Metrics: metrics, Logger: g.logger},
		dwd.BaseLog(dwd.BaseLogConfig{}))
	if err != nil {
		return err
	}
	res.Wall, res.CPU = time.Since(start).Seconds(), cpuSeconds()-cpu0
	for _, t := range []string{dwd.TopicTrafficErr, dwd.TopicTrafficStart, dwd.TopicTrafficDisp, dwd.TopicTrafficAction, dwd.TopicTrafficPage} {
		info, err := l.DescribeTopic(ctx, t)
		if err != nil {
			return err
		}
		for p := int32(0); p < info.Partitions; p++ {
			_, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: t, Partition: p})
			res.Outputs += end
		}
	}
	return report(g, res)
}

// loadBenchInput creates topic_log with a partition per core (at least 2)
// and loads the input file into it, keyed by mid; the time it took is
// reported, not counted.
func loadBenchInput(ctx context.Context, l rlog.Log, o *benchOptions) (benchResult, error) {
	t0 := time.Now()
	if err := l.CreateTopic(ctx, dwd.TopicLog, rlog.TopicConfig{Partitions: benchPartitions()}); err != nil {
		return benchResult{}, err
	}
	f, err := os.Open(o.input)
	if err != nil {
		return benchResult{}, err
	}
	defer f.Close()
	emit, flush := mockProducer(ctx, l, dwd.TopicLog)
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := readLine(r)
		if len(line) > 0 {
			if err := emit(line); err != nil {
				return benchResult{}, err
			}
		}
		if err != nil {
			break
		}
	}
	if err := flush(); err != nil {
		return benchResult{}, err
	}
	return benchResult{Events: o.events, Ingest: time.Since(t0).Seconds()}, nil
}

func benchPartitions() int32 { return int32(max(2, runtime.GOMAXPROCS(0))) }

// benchChild runs one bench phase in a child process (so its CPU time and
// peak RSS are its own) and decodes the JSON report it prints; it returns
// the child's peak RSS in KiB beside the report.
func benchChild[T any](cmd *exec.Cmd, g *globals, phase string) (T, int64, error) {
	cmd.Stderr = g.stderr
	var r T
	out, err := cmd.Output()
	if err != nil {
		return r, 0, fmt.Errorf("bench phase %s: %w", phase, err)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return r, 0, fmt.Errorf("bench phase %s: bad report %q: %w", phase, out, err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return r, rss, nil
}

// cpuProfile starts a CPU profile into the file $RTDW_CPUPROFILE+suffix
// when the variable is set (go tool pprof bin/rtdw FILE); stop ends it and
// closes the file (nothing to stop without one).
func cpuProfile(suffix string) (stop func(), err error) {
	path := os.Getenv("RTDW_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path + suffix)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
