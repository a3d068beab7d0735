package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

type demoOptions struct {
	httpAddr string
	httpAsk  bool
	seed     int64
	rate     float64
	date     string
	drain    bool
	sessions int
	users    int
	progress time.Duration
}

func newDemoCmd(g *globals) *cobra.Command {
	o := &demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole warehouse on the mock shop and serve the live dashboard",
		Long: `Start the mock shop (business database changes into topic_db, app logs into
topic_log), every warehouse job (DIM, DWD, DWS), the load of the DWS tables
into the OLAP database (embedded DuckDB by default) and the dashboard, in one
process. The shop runs at the pace of the wall clock (its day began half an
hour ago, written at once, so the dashboard has figures within seconds), or
at --rate records per second. A progress line shows events in, the lag of
each layer and the last window loaded. Stop with Ctrl-C; run again with the
same data dir to continue where it stopped: the results are those of a run
that never stopped.

With --drain the shop simulates the whole day --date as fast as it can, the
jobs process it, and rtdw exits 0, leaving the topics and the DWS tables in
the data dir (query them with 'rtdw query').

The dashboard is served on --http-addr: 127.0.0.1:8080 by default, or a free
port when that one is taken (the URL is printed); with --drain nothing is
served. 'make demo HTTP=127.0.0.1:9000' (or PORT=9000) picks the address.`,
		Example: `  rtdw demo                                   # then open the printed URL
  rtdw demo --rate 2000 --http-addr 127.0.0.1:9000
  rtdw demo --date 2026-11-21 --drain --sessions 2000
  rtdw query "SELECT sum(order_amount) FROM dws_trade_province_order_window"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			o.httpAsk = g.httpAddrAsked(cmd, "http")
			return runDemo(cmd.Context(), g, cfg, o, cmd.Flags().Changed)
		},
	}
	f := c.Flags()
	httpAddrFlag(f, &o.httpAddr, "127.0.0.1:8080", "serve the dashboard, its API and /metrics here (empty: off; a free port if the default is taken)", "http")
	f.Int64Var(&o.seed, "seed", 1, "mock shop seed: the same seed gives the same shop")
	f.Float64Var(&o.rate, "rate", 0, "records per second (0: follow the wall clock; the shop's day began 30 min ago)")
	f.StringVar(&o.date, "date", "", "business date yyyy-MM-dd (default: today in the business time zone)")
	f.BoolVar(&o.drain, "drain", false, "simulate the whole day as fast as possible, process it, exit 0")
	f.IntVar(&o.sessions, "sessions", 0, "sessions over the day (default 100000 live, 10000 with --drain)")
	f.IntVar(&o.users, "users", 1000, "users registered before the day")
	f.DurationVar(&o.progress, "progress", 5*time.Second, "interval of the progress line on stderr (0: none)")
	return c
}

// liveBackfill is how much of a live day the shop has simulated when the
// demo starts. Its first order comes a minute or two into its day, its
// first refund 15-20 minutes in (a refund follows a paid order by 10
// minutes or more): half an hour shows every dashboard card with figures.
const liveBackfill = 30 * time.Minute

// liveStart is the start of a live shop's day at now: liveBackfill ago,
// but not before the day's midnight.
func liveStart(now, day time.Time) int64 {
	return max(now.Add(-liveBackfill).UnixMilli(), day.UnixMilli())
}

// demoState pins a data dir's shop, so a restarted demo continues the
// same deterministic shop instead of starting another.
type demoState struct {
	Seed     int64  `json:"seed"`
	Date     string `json:"date"`
	Start    int64  `json:"start"` // the shop's first session, epoch ms
	Sessions int    `json:"sessions"`
	Users    int    `json:"users"`
}

func loadDemoState(path string, want demoState, changed func(string) bool) (demoState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, _ := json.Marshal(want)
		return want, writeFileAtomic(path, b, 0o644)
	}
	if err != nil {
		return want, err
	}
	var have demoState
	if err := json.Unmarshal(b, &have); err != nil {
		return want, fmt.Errorf("%s: %w", path, err)
	}
	if (changed("seed") && have.Seed != want.Seed) || (changed("date") && have.Date != want.Date) ||
		(changed("sessions") && have.Sessions != want.Sessions) || (changed("users") && have.Users != want.Users) {
		return want, usagef("this data dir holds the shop of seed %d, date %s, %d sessions, %d users: use another --data-dir for another shop",
			have.Seed, have.Date, have.Sessions, have.Users)
	}
	return have, nil
}

func runDemo(ctx context.Context, g *globals, cfg Config, o *demoOptions, changed func(string) bool) error {
	if cfg.Mode == "kafka" {
		return usagef("demo runs embedded (one process); for cluster mode start 'rtdw mock --to kafka' and 'rtdw worker'")
	}
	if o.rate < 0 || o.sessions < 0 || o.users < 1 {
		return usagef("demo: --rate and --sessions must be >= 0, --users >= 1")
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return fmt.Errorf("timezone %q: %w", cfg.Timezone, err)
	}
	now := time.Now().In(loc)
	want := demoState{Seed: o.seed, Date: o.date, Sessions: o.sessions, Users: o.users}
	if want.Date == "" {
		want.Date = now.Format("2006-01-02")
	}
	day, err := time.ParseInLocation("2006-01-02", want.Date, loc)
	if err != nil {
		return usagef("demo: --date %q is not a yyyy-MM-dd date", want.Date)
	}
	want.Start = day.UnixMilli()
	if want.Sessions == 0 {
		want.Sessions = 100_000
		if o.drain {
			want.Sessions = 10_000
		}
	}
	if !o.drain && want.Date == now.Format("2006-01-02") {
		// Live: the shop's events happen as they are shown. Its day began
		// liveBackfill ago (not before midnight): that much is written at
		// once, so the dashboard has orders, a map and refunds within
		// seconds instead of minutes.
		want.Start = liveStart(now, day)
	}
	l, err := g.openLog(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	st, err := loadDemoState(filepath.Join(g.dataDir, "demo.json"), want, changed)
	if err != nil {
		return err
	}
	// The shop's clock runs ahead of the wall clock when it does not
	// follow it (--rate, a drain of today): its events, up to a day and
	// its late payments and refunds after the day's start, are not the
	// far-future timestamps the skew limit is for.
	skew := cfg.MaxEventTimeSkew
	if skew >= 0 && (o.rate > 0 || o.drain) {
		if ahead := time.Until(time.UnixMilli(st.Start).Add(72 * time.Hour)); ahead > 0 {
			skew = max(skew, 24*time.Hour) + ahead
		}
	}
	for _, t := range []string{ods.TopicDB, "topic_log"} {
		if _, err := rlog.EnsureTopic(ctx, l, t, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
			return err
		}
	}
	// With sources.mysql the business database is real: the shop only
	// simulates the apps' logs (feed the database with 'rtdw mock --to mysql').
	logsOnly := cfg.Sources.MySQL != nil
	shop, written, err := resumeShop(ctx, l, st, loc, logsOnly)
	if err != nil {
		return err
	}
	w, err := g.openWarehouse(ctx, cfg, l, cfg.Jobs)
	if err != nil {
		return err
	}
	defer w.close()
	reg := newRegistry()
	metrics := stream.NewMetrics(reg)

	if o.drain {
		n, err := pumpShop(ctx, shop, demoSink(l, logsOnly), 0, 0)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(g.stderr, "demo: simulated %d records of %s (%d were already there)\n", n, st.Date, written)
		}
		started := time.Now()
		stopProgress := reportProgress(ctx, g, reg, o.progress)
		err = stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions, MaxEventTimeSkew: skew,
			Drain: true, Metrics: metrics, Logger: g.logger}, w.jobs...)
		stopProgress()
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "demo: drained %d jobs in %s: %s\n%s", len(w.jobs), time.Since(started).Round(time.Millisecond), summarize(reg), jobReport(reg))
		return printTableCounts(ctx, g, w.olap)
	}

	if o.httpAddr != "" {
		addr, stopHTTP, err := g.serveOrFree(o.httpAddr, o.httpAsk, func(addr string) (string, func(), error) {
			return serveHTTP(addr, reg, l, g, consoleSetup{process: "demo", jobs: w.jobs, querier: w.olap, olapCfg: &cfg,
				warehouse: true, dashboard: true, state: l.StateStore(), dims: w.dims})
		})
		if err != nil {
			return err
		}
		defer stopHTTP() // before the deferred l.Close
		fmt.Fprintf(g.stdout, "dashboard: http://%s/dashboard/\n", addr)
		fmt.Fprintf(g.stderr, "demo: console (jobs, topics, dead letters, SQL): http://%s/\n", addr)
		if g.authToken != "" {
			fmt.Fprintf(g.stderr, "demo: the dashboard wants the --auth-token: open http://%s/dashboard/?token=<token> once (a cookie keeps it)\n", addr)
		}
	}
	defer startSources(ctx, g, cfg, l)() // sources.* of rtdw.yaml (a MySQL database), as rtdw run
	pace := "following the wall clock"
	if o.rate > 0 {
		pace = fmt.Sprintf("%.0f records/s", o.rate)
	}
	fmt.Fprintf(g.stderr, "demo: shop of %s (seed %d) %s; %d jobs running; Ctrl-C stops (run again to continue)\n", st.Date, st.Seed, pace, len(w.jobs))
	fmt.Fprintf(g.stderr, "demo: data dir %s%s: rtdw query, topic, dim and job read it while the demo runs\n", g.dataDir, dataDirHint(g.dataDir))

	shopDone := make(chan error, 1)
	go func() {
		_, err := pumpShop(ctx, shop, demoSink(l, logsOnly), o.rate, st.Start)
		if ctx.Err() == nil && err != nil {
			g.logger.Error("mock shop stopped", "err", err)
		}
		shopDone <- err
	}()
	stop := demoProgress(ctx, g, reg, l, w.olap, o.progress)
	defer stop()
	err = stream.Run(ctx, stream.Options{Log: l, Interval: cfg.CheckpointInterval, Partitions: cfg.Partitions, MaxEventTimeSkew: skew,
		Metrics: metrics, Logger: g.logger}, w.jobs...)
	<-shopDone // it writes to l: wait before l closes
	return err
}

// resumeShop makes the pinned shop and skips the records already in the
// topics: the shop is deterministic and its sink commits whole events, so
// the records present are exactly a prefix of its output.
func resumeShop(ctx context.Context, l rlog.Log, st demoState, loc *time.Location, logsOnly bool) (*mock.Shop, int64, error) {
	var have int64
	topics := []string{ods.TopicDB, "topic_log"}
	if logsOnly {
		topics = topics[1:]
	}
	for _, t := range topics {
		info, err := l.DescribeTopic(ctx, t)
		if err != nil {
			return nil, 0, err
		}
		for p := int32(0); p < info.Partitions; p++ {
			start, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: t, Partition: p})
			if err != nil {
				return nil, 0, err
			}
			if start > 0 {
				return nil, 0, fmt.Errorf("%s lost records to retention: the shop cannot be resumed in this data dir", t)
			}
			have += end
		}
	}
	shop, err := mock.NewShop(mock.ShopConfig{Seed: st.Seed, Date: st.Date, Location: loc, Start: st.Start,
		Sessions: st.Sessions, Users: st.Users, Bootstrap: true})
	if err != nil {
		return nil, 0, usageError{err}
	}
	for skipped := int64(0); skipped < have; {
		ev, ok := shop.Next()
		if !ok {
			break
		}
		if !logsOnly || ev.Txn == nil {
			skipped += int64(mock.Records(ev))
		}
	}
	return shop, have, nil
}

// demoSink writes the shop to topic_db and topic_log, or to topic_log only.
func demoSink(l rlog.Log, logsOnly bool) mock.Sink {
	s := mock.NewLogSink(l, ods.TopicDB, "topic_log")
	if logsOnly {
		return logsSink{s}
	}
	return s
}

// shopLinger is how long a paced shop's records wait for more before
// they are flushed (pumpShop).
const shopLinger = 5 * time.Millisecond

// logsSink drops the shop's database changes.
type logsSink struct{ *mock.LogSink }

func (s logsSink) Write(ctx context.Context, ev mock.Event) (int, error) {
	if ev.Txn != nil {
		return 0, nil
	}
	return s.LogSink.Write(ctx, ev)
}

// pumpShop writes the shop's events to sink until it ends or ctx does:
// as fast as possible (rate 0, start 0), at rate records per second, or
// at the wall clock (rate 0): an event is written when the clock reaches
// its time. A paced shop's records wait up to shopLinger for more before
// a flush, as a Kafka producer's wait up to linger.ms: at thousands of
// records a second, a durable commit of the log per event cost more CPU
// than the jobs reading them.
func pumpShop(ctx context.Context, shop *mock.Shop, sink mock.Sink, rate float64, start int64) (int64, error) {
	began := time.Now()
	flushed := began
	var n int64
	defer sink.Flush(context.WithoutCancel(ctx))
	for ctx.Err() == nil {
		ev, ok := shop.Next()
		if !ok {
			break
		}
		var wait time.Duration
		switch {
		case rate > 0:
			wait = time.Duration(float64(n)/rate*float64(time.Second)) - time.Since(began)
		case start > 0:
			wait = time.Until(time.UnixMilli(ev.TS))
		}
		if wait > 0 {
			if now := time.Now(); wait >= shopLinger || now.Sub(flushed) >= shopLinger {
				if err := sink.Flush(ctx); err != nil {
					if stopped(ctx, err) {
						return n, nil // as below; the deferred flush writes what the sink holds
					}
					return n, err
				}
				flushed = now
			}
			select {
			case <-ctx.Done():
				return n, nil // the event is written by the next run
			case <-time.After(wait):
			}
		}
		k, err := sink.Write(ctx, ev)
		n += int64(k)
		if err != nil && !stopped(ctx, err) {
			return n, err
		}
	}
	return n, sink.Flush(context.WithoutCancel(ctx))
}

// stopped: err is ctx's own, ended while a flush was under way; the
// sink keeps what it could not write, and pumpShop's last flush (without
// ctx) writes it.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// demoProgress prints, every interval: events in, consumer lag per layer
// and the last window loaded into the OLAP database.
func demoProgress(ctx context.Context, g *globals, reg *prometheus.Registry, l rlog.Log, q olap.Querier, every time.Duration) func() {
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
			}
			fmt.Fprintf(g.stderr, "demo: %s\n", progressLine(ctx, reg, l, q))
		}
	}()
	return cancel
}

func progressLine(ctx context.Context, reg *prometheus.Registry, l rlog.Log, q olap.Querier) string {
	var in int64
	for _, t := range []string{ods.TopicDB, "topic_log"} {
		info, err := l.DescribeTopic(ctx, t)
		if err != nil {
			continue
		}
		for p := int32(0); p < info.Partitions; p++ {
			_, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: t, Partition: p})
			in += end
		}
	}
	lag := map[string]float64{}
	if mfs, err := reg.Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() != "rtdw_consumer_lag" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "job" {
						layer, _, _ := strings.Cut(lp.GetValue(), "_")
						lag[layer] += m.GetGauge().GetValue()
					}
				}
			}
		}
	}
	var layers []string
	for _, k := range []string{"dim", "dwd", "dws", "olap"} {
		layers = append(layers, fmt.Sprintf("%s %.0f", k, lag[k]))
	}
	last := "-"
	if q != nil {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if r, err := q.Query(qctx, "SELECT max(edt) FROM dws_traffic_vc_ch_ar_is_new_page_view_window"); err == nil && len(r.Rows) == 1 && r.Rows[0][0] != nil {
			last = fmt.Sprint(r.Rows[0][0])
			if t, ok := r.Rows[0][0].(time.Time); ok {
				last = t.Format("2006-01-02 15:04:05")
			}
		}
		cancel()
	}
	return fmt.Sprintf("events in %d | lag %s | last window closed %s", in, strings.Join(layers, ", "), last)
}

// printTableCounts prints each DWS table's row count after a drained demo.
func printTableCounts(ctx context.Context, g *globals, q olap.Querier) error {
	if q == nil {
		return nil
	}
	var names []string
	for _, t := range dws.Tables() {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		r, err := q.Query(ctx, "SELECT count(*) FROM "+n)
		if err != nil {
			return fmt.Errorf("olap: %w", err)
		}
		fmt.Fprintf(g.stdout, "%-50s %v rows\n", n, r.Rows[0][0])
	}
	return nil
}

// dataDirHint tells how other commands find a data dir that is not the
// default one.
func dataDirHint(dir string) string {
	if filepath.Clean(dir) == filepath.Clean(defaultDataDir) {
		return ""
	}
	return " (give other commands --data-dir " + dir + ")"
}

// defaultDataDir is --data-dir's default (make demo uses it too, so the
// other commands find the demo's data without a flag).
const defaultDataDir = "./rtdw-data"
