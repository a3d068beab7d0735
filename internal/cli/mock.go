package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
)

type mockOptions struct {
	seed      int64
	date      string
	users     int
	devices   int
	sessions  int
	rate      float64
	realtime  bool
	duration  time.Duration
	disorder  time.Duration
	bootstrap bool
	progress  time.Duration

	to        string
	out       string
	url       string
	httpBatch int
	dsn       string
	brokers   []string
	topicDB   string
	topicLog  string
}

func newMockCmd(g *globals) *cobra.Command {
	o := &mockOptions{}
	c := &cobra.Command{
		Use:   "mock",
		Short: "Simulate the gmall shop: app logs and business-database changes",
		Long: `Simulate the gmall shop for one business day: users, devices and sessions
browsing along weighted page paths (app logs: start, page, displays, actions,
err) and the business they do (register, favor, coupons, cart, orders with
their discount split, payment, cancel, refund, comments) as database changes.
The same --seed and flags give the same output, byte for byte.

Targets (--to):
  embedded  topic_db (Maxwell JSON, keyed by primary key) and topic_log (keyed
            by mid) in the data dir's embedded log (or the running rtdw's)
  kafka     the same topics on Kafka (--brokers, or kafka.brokers of rtdw.yaml)
  file      --out DIR: DIR/topic_db.jsonl and DIR/topic_log.jsonl
  mysql     --dsn: real INSERT/UPDATE/DELETE transactions (run 'mock init' first)
  http      --url: POST app logs to a log collector (database changes dropped)

Records come in event-time order, as a real shop emits them; --disorder adds
bounded lateness to app logs for tests. By default the run goes as fast as it
can; --rate paces it, --realtime follows the wall clock.`,
		Example: `  rtdw mock --to file --out ./shop --sessions 2000
  rtdw mock --to embedded --seed 7 --date 2026-11-21       # then: rtdw run --drain
  rtdw mock --to kafka --brokers 127.0.0.1:9092 --rate 500
  rtdw mock init --to mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:33306)/'
  rtdw mock --to mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:33306)/' --realtime --duration 10m
  rtdw mock --to http --url http://127.0.0.1:8081/applog`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runMock(cmd.Context(), g, cfg, o, cmd.Flags().Changed)
		},
	}
	f := c.Flags()
	f.Int64Var(&o.seed, "seed", 1, "random seed: the same seed and flags give the same output")
	f.StringVar(&o.date, "date", "2026-11-21", "business date yyyy-MM-dd (with --realtime: today unless given)")
	f.IntVar(&o.users, "users", 1000, "users registered before the day (ids 1..N); half the sessions are theirs")
	f.IntVar(&o.devices, "devices", 2000, "distinct devices (mids)")
	f.IntVar(&o.sessions, "sessions", 10000, "sessions over the 24 hours of the day")
	f.Float64Var(&o.rate, "rate", 0, "records per second after the bootstrap snapshot (0: as fast as possible)")
	f.BoolVar(&o.realtime, "realtime", false, "follow the wall clock: the day starts now, at the current time of day")
	f.DurationVar(&o.duration, "duration", 0, "stop after this wall-clock time (0: when the day's sessions and their follow-ups are done)")
	f.DurationVar(&o.disorder, "disorder", 0, "delay app logs by up to this much in the output (bounded out-of-orderness, for tests)")
	f.BoolVar(&o.bootstrap, "bootstrap", true, "first emit the dimension rows and existing users as Maxwell bootstrap records (embedded, kafka, file)")
	f.DurationVar(&o.progress, "progress", 2*time.Second, "interval of progress lines on stderr (0: none)")
	f.StringVar(&o.to, "to", "embedded", "target: embedded, kafka, file, mysql or http")
	f.StringVar(&o.out, "out", "", "file: the directory for topic_db.jsonl and topic_log.jsonl")
	f.StringVar(&o.url, "url", "", "http: the log collector's URL")
	f.IntVar(&o.httpBatch, "http-batch", 100, "http: log lines per POST (newline-separated; 1 posts one JSON object each)")
	f.StringVar(&o.dsn, "dsn", "", "mysql: user:password@tcp(host:port)/")
	f.StringSliceVar(&o.brokers, "brokers", nil, "kafka: bootstrap brokers (default: kafka.brokers of rtdw.yaml)")
	f.StringVar(&o.topicDB, "topic-db", "topic_db", "embedded/kafka: topic of database changes")
	f.StringVar(&o.topicLog, "topic-log", "topic_log", "embedded/kafka: topic of app logs")
	c.AddCommand(newMockLogsCmd(g), newMockInitCmd(g))
	c.AddCommand(newMockNexmarkCmd(g))
	return c
}

func runMock(ctx context.Context, g *globals, cfg Config, o *mockOptions, changed func(string) bool) error {
	if o.rate < 0 || o.duration < 0 || o.disorder < 0 || o.sessions < 1 || o.users < 1 || o.devices < 1 {
		return usagef("mock: --rate, --duration and --disorder must be >= 0; --sessions, --users and --devices >= 1")
	}
	if o.realtime && o.rate > 0 {
		return usagef("mock: give --rate or --realtime, not both")
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return fmt.Errorf("timezone %q: %w", cfg.Timezone, err)
	}
	sc := mock.ShopConfig{Seed: o.seed, Date: o.date, Location: loc, Users: o.users, Devices: o.devices,
		Sessions: o.sessions, Disorder: o.disorder, Bootstrap: o.bootstrap}
	if o.realtime {
		now := time.Now().In(loc)
		if !changed("date") {
			sc.Date = now.Format("2006-01-02")
		}
		day, err := time.ParseInLocation("2006-01-02", sc.Date, loc)
		if err != nil {
			return usagef("mock: --date %q is not a yyyy-MM-dd date", sc.Date)
		}
		y, m, d := now.Date()
		sc.Start = day.UnixMilli() + now.Sub(time.Date(y, m, d, 0, 0, 0, 0, loc)).Milliseconds()
	}

	var sink mock.Sink
	var closeSink func() error
	switch o.to {
	case "file":
		if o.out == "" {
			return usagef("mock --to file: --out DIR is required")
		}
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		dbf, err := os.Create(filepath.Join(o.out, "topic_db.jsonl"))
		if err != nil {
			return err
		}
		logf, err := os.Create(filepath.Join(o.out, "topic_log.jsonl"))
		if err != nil {
			dbf.Close()
			return err
		}
		sink = mock.NewJSONSink(dbf, logf)
		closeSink = func() error { return errors.Join(dbf.Close(), logf.Close()) }
	case "embedded", "kafka":
		if o.to == "kafka" {
			cfg.Mode = "kafka"
			if len(o.brokers) > 0 {
				cfg.Kafka.Brokers = o.brokers
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return usagef("mock --to kafka: give --brokers host:port (or kafka.brokers in rtdw.yaml)")
			}
		} else {
			cfg.Mode = "embedded"
		}
		l, err := g.openTopics(cfg)
		if err != nil {
			return err
		}
		for _, t := range []string{o.topicDB, o.topicLog} {
			if _, err := rlog.EnsureTopic(ctx, l, t, rlog.TopicConfig{Partitions: cfg.Partitions}); err != nil {
				l.Close()
				return err
			}
		}
		sink = mock.NewLogSink(l, o.topicDB, o.topicLog)
		closeSink = l.Close
	case "mysql":
		if o.dsn == "" {
			return usagef("mock --to mysql: --dsn is required, e.g. 'user:password@tcp(127.0.0.1:3306)/'")
		}
		db, err := mock.OpenMySQL(ctx, o.dsn)
		if err != nil {
			return err
		}
		base, err := mock.MySQLIDBase(ctx, db)
		if err != nil {
			db.Close()
			return err
		}
		if base["user_info"] < int64(o.users) {
			db.Close()
			return fmt.Errorf("mock --to mysql: the database has %d users, --users is %d: run `rtdw mock init --to mysql --users %d` first",
				base["user_info"], o.users, o.users)
		}
		sc.IDBase = base
		sc.Bootstrap = false // mock init loaded the seed
		ms, err := mock.NewMySQLSink(ctx, db)
		if err != nil {
			db.Close()
			return err
		}
		sink = ms
		closeSink = func() error { return errors.Join(ms.Close(), db.Close()) }
	case "http":
		if o.url == "" {
			return usagef("mock --to http: --url is required")
		}
		sc.Bootstrap = false
		sink = mock.NewHTTPSink(o.url, o.httpBatch).WithToken(g.authToken)
		closeSink = func() error { return nil }
	default:
		return usagef("mock: --to %q: want embedded, kafka, file, mysql or http", o.to)
	}

	shop, err := mock.NewShop(sc)
	if err != nil {
		closeSink()
		return usageError{err}
	}
	err = pumpMock(ctx, g, shop, sink, o, sc.Start, loc)
	if ferr := sink.Flush(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	if cerr := closeSink(); err == nil {
		err = cerr
	}
	return err
}

// pumpMock moves events from the shop to the sink, paced, with progress.
func pumpMock(ctx context.Context, g *globals, shop *mock.Shop, sink mock.Sink, o *mockOptions, simStart int64, loc *time.Location) error {
	start := time.Now()
	lastProgress := start
	var n, lastN int64
	var simNow int64
	report := func(final bool) {
		el := time.Since(start)
		st := shop.Stats()
		clock := "-"
		if simNow > 0 {
			clock = time.UnixMilli(simNow).In(loc).Format("2006-01-02 15:04:05")
		}
		if final {
			fmt.Fprintf(g.stderr, "mock: done: %d records (%d log lines, %d row changes in %d transactions, %d sessions) in %s, %.0f records/s; simulated clock %s\n",
				n, st.Logs, st.Changes, st.Txns, st.Sessions, el.Round(time.Millisecond), float64(n)/el.Seconds(), clock)
			return
		}
		since := time.Since(lastProgress).Seconds()
		fmt.Fprintf(g.stderr, "mock: %d records, %.0f/s, simulated clock %s\n", n, float64(n-lastN)/since, clock)
		lastProgress, lastN = time.Now(), n
	}
	for i := 0; ; i++ {
		if i&255 == 0 {
			if ctx.Err() != nil {
				break
			}
			if o.duration > 0 && time.Since(start) >= o.duration {
				break
			}
			if o.progress > 0 && time.Since(lastProgress) >= o.progress {
				report(false)
			}
		}
		ev, ok := shop.Next()
		if !ok {
			break
		}
		simNow = ev.TS
		var wait time.Duration
		switch {
		case o.rate > 0:
			wait = time.Duration(float64(n)/o.rate*float64(time.Second)) - time.Since(start)
		case o.realtime:
			wait = time.Duration(ev.TS-simStart)*time.Millisecond - time.Since(start)
		}
		if wait > 0 {
			// Make what is written visible before idling.
			if err := sink.Flush(ctx); err != nil {
				return err
			}
			if o.duration > 0 {
				wait = min(wait, o.duration-time.Since(start))
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			if ctx.Err() != nil || o.duration > 0 && time.Since(start) >= o.duration {
				break
			}
		}
		k, err := sink.Write(ctx, ev)
		n += int64(k)
		if err != nil {
			return err
		}
	}
	report(true)
	return nil
}
