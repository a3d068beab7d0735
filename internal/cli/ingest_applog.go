package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/connector/applog"
	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/remote"
)

func init() { ingestCommands = append(ingestCommands, newIngestApplogCmd) }

type ingestApplogOptions struct {
	listen       string
	files        []string
	once         bool
	topic        string
	dirtyTopic   string
	maxBody      int64
	maxLine      int
	maxInFlight  int
	poll         time.Duration
	positionFile string
	requestIDTTL time.Duration
	progress     time.Duration
	name         string
}

func newIngestApplogCmd(g *globals) *cobra.Command {
	o := &ingestApplogOptions{}
	c := &cobra.Command{
		Use:   "applog",
		Short: "Collect app logs over HTTP and from log files into topic_log (the nginx + Flume role)",
		Long: `Collect app logs (one JSON object per line) into topic_log, keyed by
common.mid, from an HTTP endpoint (--http-addr) and/or by tailing files (--files).

HTTP: POST /applog with newline-separated JSON lines, plain or
"Content-Encoding: gzip". The answer is 200 {"lines":N,"bad":M} only once the
whole batch is in the log; on any other answer nothing was acknowledged and
the client should retry. 400 = unreadable request (bad gzip, no lines),
413 = body over --max-body (compressed or not, or so many tiny lines that
its batch would take over 4 × --max-body in memory), 415 = other encodings,
503 = the log failed or --max-inflight requests are already being served
(retry; the latter with Retry-After, before the body is sent when the
client asks "Expect: 100-continue"). A retry after a lost 200 writes the batch
twice, as with any at-least-once HTTP ingestion, unless the client sends an
X-Request-Id header: a request id already committed (remembered for
--request-id-ttl) is answered 200 {"duplicate":true} without writing again.
/metrics serves the counters (rtdw_applog_lines_total, _bad_lines_total,
_bytes_total, _http_requests_total). A client is cut off after 10 s
sending headers, when its body arrives slower than 16 KiB/s on average
after 5 s or is not complete after 60 s (408), and after 60 s idle
between requests. With --auth-token (or RTDW_AUTH_TOKEN, auth_token in the config)
every request but GET /healthz needs "Authorization: Bearer <token>";
listening beyond loopback without one logs a warning.

Files: every file matching a --files pattern (repeatable; quote it so the
shell does not expand it) is read from its start and followed. Rotation by
rename finishes the old file before the new one is read (match the rotated
names too, e.g. 'app.log*', or keep only the live name: a renamed file
that was being read is still finished); copytruncate (the file shrinks
below the position) restarts at 0; a last line without its newline waits
for it. Compressed rotated files must not match the pattern.

Every line is checked on its own: valid UTF-8, a JSON object, a non-empty
string common.mid. A bad line goes to dirty_data with header rtdw.reason
("invalid_json: ...", "missing_mid: ..."), rtdw.job ingest_applog and
rtdw.source (http:CLIENT or file:PATH@OFFSET); the rest of its batch is kept.

Delivery: in embedded mode each batch commits atomically with the file
positions (device + inode, offset) and request ids, in the data dir's
store: kill -9 at any moment neither loses nor duplicates a line. On Kafka
(mode: kafka) each batch is one Kafka transaction holding its records, the
file positions and the request id as records of the compacted topic
_rtdw-ingest-applog-<name>-position: exactly-once too (for read_committed
readers). The transactional id <group_id_prefix>ingest-applog-<name> is the
collector's identity: a second one with the same --name fences the first,
which stops. Only through a running rtdw holding the data dir do positions
go to --position-file after each write: at-least-once (a crash in between
re-sends the last chunk), and X-Request-Id is not checked.

Stop with Ctrl-C or SIGTERM: requests in flight finish, the tail commits.`,
		Example: `  # HTTP collector; the mock shop posts its app logs to it
  rtdw ingest applog --http-addr 127.0.0.1:8081
  rtdw mock --to http --url http://127.0.0.1:8081/applog
  curl --data-binary @logs.jsonl http://127.0.0.1:8081/applog
  gzip -c logs.jsonl | curl --data-binary @- -H 'Content-Encoding: gzip' http://127.0.0.1:8081/applog

  # tail the app servers' log files (and serve /metrics)
  rtdw ingest applog --files '/var/log/app/*.log' --http-addr 127.0.0.1:8081

  # import existing files once and exit (resumable: positions are kept)
  rtdw ingest applog --files 'archive/app.log*' --once`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			g.httpAddrAsked(cmd, "listen") // a note if the old name is used
			if o.listen == "" && len(o.files) == 0 {
				return usagef("ingest applog: give --http-addr ADDR (HTTP) and/or --files GLOB (tail)")
			}
			if o.once && len(o.files) == 0 {
				return usagef("ingest applog: --once needs --files")
			}
			if o.maxBody < 1 || o.maxLine < 1 || o.maxInFlight < 1 || o.poll <= 0 {
				return usagef("ingest applog: --max-body, --max-line, --max-inflight and --poll must be positive")
			}
			for _, p := range o.files {
				if _, err := filepath.Match(p, ""); err != nil {
					return usagef("ingest applog: --files %q: %v", p, err)
				}
			}
			if o.positionFile == "" {
				o.positionFile = filepath.Join(g.dataDir, "applog-positions.json")
			}
			return runIngestApplog(cmd.Context(), g, cfg, o)
		},
	}
	f := c.Flags()
	httpAddrFlag(f, &o.listen, "", "HTTP address for POST /applog and /metrics, e.g. 127.0.0.1:8081 (port 0: any free port)", "listen")
	f.StringArrayVar(&o.files, "files", nil, "glob of log files to tail (repeatable), e.g. '/var/log/app/*.log'")
	f.BoolVar(&o.once, "once", false, "read the files to their current end, commit and exit (no HTTP)")
	f.StringVar(&o.topic, "topic", "topic_log", "topic of good lines")
	f.StringVar(&o.dirtyTopic, "dirty-topic", "dirty_data", "topic of bad lines (dead letters)")
	f.Int64Var(&o.maxBody, "max-body", 16<<20, "largest request body in bytes, compressed or decompressed (413 above)")
	f.IntVar(&o.maxInFlight, "max-inflight", 4, "requests with a body served at once; more get 503 with Retry-After (memory: at most about this × 4 × --max-body). Requests in flight share commits: more of them serve many small POSTs faster")
	f.IntVar(&o.maxLine, "max-line", 1<<20, "longest line in bytes; a longer line is dead-lettered (line_too_long)")
	f.DurationVar(&o.poll, "poll", 250*time.Millisecond, "how often files are checked for new lines and rotation")
	f.StringVar(&o.positionFile, "position-file", "", "file positions when tailing through a running rtdw (at-least-once); unused in embedded mode (the data dir's store) and on Kafka (the position topic); default <data-dir>/applog-positions.json")
	f.DurationVar(&o.requestIDTTL, "request-id-ttl", 24*time.Hour, "how long an X-Request-Id is remembered for retries")
	f.StringVar(&o.name, "name", "applog", "collector identity on Kafka: position topic _rtdw-ingest-applog-<name>-position and transactional id")
	f.DurationVar(&o.progress, "progress", 10*time.Second, "interval of progress lines on stderr (0: none)")
	return c
}

func runIngestApplog(ctx context.Context, g *globals, cfg Config, o *ingestApplogOptions) error {
	l, err := g.openTopics(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	reg := newRegistry()
	c, err := applog.New(ctx, applog.Options{
		Log: l, Topic: o.topic, DirtyTopic: o.dirtyTopic, Partitions: cfg.Partitions,
		PositionFile: o.positionFile, RequestIDTTL: o.requestIDTTL, Registerer: reg, Logger: g.logger,
		Name: o.name, TransactionalID: cfg.Kafka.GroupIDPrefix + "ingest-applog-" + o.name, TransactionTimeout: cfg.Kafka.TransactionTimeout,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if !c.Exactly() {
		g.logger.Warn("applog: this log has no state store: file positions go to the position file (at-least-once), X-Request-Id is not checked", "position_file", o.positionFile)
	}

	if o.once {
		t, err := c.NewTailer(applog.TailOptions{Globs: o.files, MaxLine: o.maxLine, Poll: o.poll})
		if err != nil {
			return err
		}
		defer t.Close()
		if err := t.Poll(ctx); err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "applog: %s\n", applogSummary(reg))
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if o.listen != "" {
		stop, addr, err := serveApplog(ctx, g, o, c, reg, l)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(g.stdout, "applog: POST http://%s/applog (metrics on /metrics)\n", addr)
	}
	if len(o.files) > 0 {
		t, err := c.NewTailer(applog.TailOptions{Globs: o.files, MaxLine: o.maxLine, Poll: o.poll})
		if err != nil {
			return err
		}
		defer t.Close()
		fmt.Fprintf(g.stdout, "applog: tailing %s\n", strings.Join(o.files, " "))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- t.Run(ctx)
		}()
	}
	if f, ok := g.stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	var tick <-chan time.Time
	if o.progress > 0 {
		tk := time.NewTicker(o.progress)
		defer tk.Stop()
		tick = tk.C
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-c.Fenced():
			cancel()
			wg.Wait()
			return errors.New("ingest applog: another collector with the same --name took over (fenced on Kafka); stopping")
		case err := <-errc:
			if err != nil {
				cancel()
				wg.Wait()
				return err
			}
		case <-tick:
			fmt.Fprintf(g.stderr, "applog: %s\n", applogSummary(reg))
		}
	}
	wg.Wait()
	fmt.Fprintf(g.stderr, "applog: stopped: %s\n", applogSummary(reg))
	return nil
}

// serveApplog serves POST /applog and /metrics on o.listen; with an
// embedded log it also serves the topic API and advertises it in the data
// dir, so `rtdw topic tail` works while the collector holds the data dir.
// stop drains requests in flight.
func serveApplog(ctx context.Context, g *globals, o *ingestApplogOptions, c *applog.Collector, reg *prometheus.Registry, l rlog.Log) (func(), string, error) {
	mux := http.NewServeMux()
	mux.Handle("/applog", c.Handler(applog.HTTPOptions{MaxBody: o.maxBody, MaxLine: o.maxLine}))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, "", fmt.Errorf("ingest applog: --http-addr: %w", err)
	}
	var addrPath string
	if l.StateStore() != nil { // embedded: we hold the data dir

		var tok [16]byte
		rand.Read(tok[:])
		token := hex.EncodeToString(tok[:])
		mux.Handle("/api/log/", remote.Handler(l, token))
		addrPath = filepath.Join(g.dataDir, addrFile)
		if err := writeFileAtomic(addrPath, []byte(ln.Addr().String()+"\n"+token+"\n"), 0o600); err != nil {
			g.logger.Warn("cannot advertise the HTTP address for topic commands", "err", err)
			addrPath = ""
		}
	}
	gopt := g.guard()
	gopt.MaxInFlight, gopt.MaxBody = o.maxInFlight, o.maxBody
	if l.StateStore() != nil {
		gopt.MaxBody = max(o.maxBody, remote.MaxRequestBody) // /api/log/produce; /applog caps its own
	}
	// A large body may take all of ReadTimeout to arrive and then a commit:
	// the answer gets a minute more.
	gopt.WriteTimeout = httpguard.DefaultReadTimeout + time.Minute
	gopt.BaseContext = context.WithoutCancel(ctx)
	srv := httpguard.NewServer(o.listen, mux, gopt)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.logger.Error("applog: http", "err", err)
		}
	}()
	stop := func() {
		if addrPath != "" {
			os.Remove(addrPath)
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return stop, ln.Addr().String(), nil
}

// applogSummary totals the collector's counters for progress lines.
func applogSummary(reg *prometheus.Registry) string {
	mfs, err := reg.Gather()
	if err != nil {
		return err.Error()
	}
	sum := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.Counter != nil {
				sum[mf.GetName()] += m.Counter.GetValue()
			}
		}
	}
	return fmt.Sprintf("%.0f lines (%.0f bad, %.0f bytes), %.0f requests",
		sum["rtdw_applog_lines_total"], sum["rtdw_applog_bad_lines_total"], sum["rtdw_applog_bytes_total"], sum["rtdw_applog_http_requests_total"])
}
