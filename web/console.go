package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
)

// ConsoleOptions configure the web console of a long-running command (the
// Flink Web UI's role): its jobs, topics, dead letters and a SQL editor.
type ConsoleOptions struct {
	// Process names the command in the header ("run", "demo", "sql", "worker").
	Process string
	// Log holds the topics (counts, tails, dead letters, lag).
	Log rlog.Log
	// Gatherer has the engine's metrics (stream.NewMetrics registered on
	// it): records in/out per operator, dead letters by reason, lag,
	// watermarks, checkpoint durations, restarts.
	Gatherer prometheus.Gatherer
	// Jobs are the jobs the process runs (their graphs are drawn).
	Jobs []*stream.Job
	// Querier runs the SQL editor's queries: the confined OLAP query path
	// (olap.Querier). Nil: /api/query answers 503.
	Querier olap.Querier
	// Tables lists OLAP tables the editor offers (optional).
	Tables []string
	// QueryTimeout bounds one query (default 10 s); MaxRows caps the rows
	// an answer holds (default 1000; more is marked truncated).
	QueryTimeout time.Duration
	MaxRows      int
	// State is the store keyed state lives in (the embedded log's
	// StateStore, a worker's local store): state size per job. Nil: unknown.
	State *pebble.DB
	// CountRecords counts a topic's records by reading them (incrementally)
	// instead of subtracting offsets: on Kafka, transaction markers and
	// aborted records take offsets too.
	CountRecords bool
	// LagFromLog computes a job's consumer lag from its group's committed
	// offsets when the engine publishes none (cluster mode); GroupOf names
	// a job's consumer group (default: the job name).
	LagFromLog bool
	GroupOf    func(job string) string
	// Dashboard links the ADS dashboard (/dashboard/, mounted separately).
	Dashboard bool
	// GuardHost refuses (403) a request that reached a loopback address
	// under another Host than localhost or a loopback IP: a page whose
	// name was rebound to 127.0.0.1 (DNS rebinding) reading records
	// through the user's browser. Set it when no token guards the server.
	GuardHost bool
	// SampleEvery is how often metrics are sampled for rates and the last
	// checkpoint (default 1 s); RateWindow the span rates average over
	// (default 10 s).
	SampleEvery time.Duration
	RateWindow  time.Duration
	// ScanBudget bounds the reading one request may do to count records
	// or dead letters (default 2 s); what is left is read by the next.
	ScanBudget time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Assets are the console's files (default Assets(), directory console/).
	Assets fs.FS
}

func (o *ConsoleOptions) validate() error {
	if o.Log == nil {
		return errors.New("web: ConsoleOptions.Log is required")
	}
	if o.Gatherer == nil {
		o.Gatherer = prometheus.NewRegistry()
	}
	if o.QueryTimeout < 0 || o.MaxRows < 0 || o.SampleEvery < 0 || o.RateWindow < 0 || o.ScanBudget < 0 {
		return errors.New("web: console durations and limits must not be negative")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.QueryTimeout, 10*time.Second)
	def(&o.SampleEvery, time.Second)
	def(&o.RateWindow, 10*time.Second)
	def(&o.ScanBudget, 2*time.Second)
	if o.MaxRows == 0 {
		o.MaxRows = 1000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.GroupOf == nil {
		o.GroupOf = func(job string) string { return job }
	}
	if o.Assets == nil {
		o.Assets = Assets()
	}
	if o.Process == "" {
		o.Process = "rtdw"
	}
	return nil
}

// Console serves the console's pages (/, /console/) and its JSON API:
// /api/overview, /api/jobs, /api/jobs/{name}, /api/topics,
// /api/topics/{name}, /api/topics/{name}/tail, /api/deadletters and
// /api/query. Register mounts it; Close stops its metrics sampler.
type Console struct {
	o       ConsoleOptions
	mux     *http.ServeMux
	started time.Time
	jobs    []consoleJob

	sampler *sampler
	counts  *recordCounter
	dead    *deadLetterScan
	cache   ttlCache
	stop    context.CancelFunc
	done    chan struct{}
}

type consoleJob struct {
	job   *stream.Job
	graph stream.Graph
	err   string // the graph does not plan (the run refused it)
}

// NewConsole returns the console and starts sampling the metrics.
func NewConsole(o ConsoleOptions) (*Console, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	c := &Console{o: o, mux: http.NewServeMux(), started: o.Now(), counts: newRecordCounter(), dead: newDeadLetterScan(), done: make(chan struct{})}
	for _, j := range o.Jobs {
		g, err := j.Describe()
		cj := consoleJob{job: j, graph: g}
		if err != nil {
			cj.err = err.Error()
		}
		c.jobs = append(c.jobs, cj)
	}
	sort.Slice(c.jobs, func(a, b int) bool { return c.jobs[a].graph.Job < c.jobs[b].graph.Job })
	c.sampler = newSampler(o.Gatherer, o.Now, o.RateWindow)
	c.sampler.sample()
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go func() {
		defer close(c.done)
		t := time.NewTicker(o.SampleEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.sampler.sample()
			}
		}
	}()

	pages, err := fs.Sub(o.Assets, "console")
	if err != nil {
		cancel()
		return nil, err
	}
	c.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, pages, "index.html")
	})
	c.mux.Handle("GET /console/", http.StripPrefix("/console/", http.FileServerFS(pages)))
	c.mux.HandleFunc("/api/overview", getOnly(c.overview))
	c.mux.HandleFunc("/api/jobs", getOnly(c.jobList))
	c.mux.HandleFunc("/api/jobs/{name}", getOnly(c.jobDetail))
	c.mux.HandleFunc("/api/topics", getOnly(c.topicList))
	c.mux.HandleFunc("/api/topics/{name}", getOnly(c.topicDetail))
	c.mux.HandleFunc("/api/topics/{name}/tail", getOnly(c.topicTail))
	c.mux.HandleFunc("/api/deadletters", getOnly(c.deadLetters))
	c.mux.HandleFunc("/api/query", c.query)
	return c, nil
}

// Register mounts the console on mux: /, /console/ and its /api/ paths;
// any other /api/ path is a JSON 404 (the ADS API and /api/log/ are
// mounted by their own handlers and win, being more specific).
func (c *Console) Register(mux *http.ServeMux) {
	for _, p := range []string{"/{$}", "/console/", "/api/overview", "/api/jobs", "/api/jobs/", "/api/topics", "/api/topics/", "/api/deadletters", "/api/query"} {
		mux.Handle(p, c)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API path: "+r.URL.Path)
	})
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.o.GuardHost && !loopbackHost(r) {
		writeError(w, http.StatusForbidden, "this server listens on loopback without a token: open it as http://127.0.0.1:<port>/ or http://localhost:<port>/ (behind a proxy, set --auth-token)")
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// The mux's own 404 and 405 are text: answer JSON under the API.
		if _, pattern := c.mux.Handler(r); pattern == "" {
			writeError(w, http.StatusNotFound, "no such API path: "+r.URL.Path)
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// loopbackHost: the request did not reach a loopback address, or names
// one (localhost, a loopback IP) in its Host.
func loopbackHost(r *http.Request) bool {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return true
	}
	if tcp, ok := la.(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = strings.Trim(r.Host, "[]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close stops the metrics sampler.
func (c *Console) Close() {
	c.stop()
	<-c.done
}

// --- /api/overview ---

type overview struct {
	Process   string    `json:"process"`
	Started   time.Time `json:"started"`
	Now       time.Time `json:"now"`
	UptimeS   float64   `json:"uptime_s"`
	Jobs      int       `json:"jobs"`
	Operators int       `json:"operators"`
	Topics    int       `json:"topics"`
	Totals    totals    `json:"totals"`
	Dashboard bool      `json:"dashboard"`
	SQL       bool      `json:"sql"`
	Tables    []string  `json:"tables"`
	MaxRows   int       `json:"max_rows"`
	Links     []link    `json:"links"`
}

type totals struct {
	RecordsIn   float64 `json:"records_in"`
	RecordsOut  float64 `json:"records_out"`
	RateIn      float64 `json:"rate_in"`
	RateOut     float64 `json:"rate_out"`
	DeadLetters float64 `json:"dead_letters"`
	Late        float64 `json:"late"`
	Lag         float64 `json:"lag"`
	Restarts    float64 `json:"restarts"`
	Checkpoints uint64  `json:"checkpoints"`
}

type link struct {
	Title string `json:"title"`
	Href  string `json:"href"`
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	now := c.o.Now()
	ov := overview{Process: c.o.Process, Started: c.started, Now: now, UptimeS: now.Sub(c.started).Seconds(), Jobs: len(c.jobs),
		Dashboard: c.o.Dashboard, SQL: c.o.Querier != nil, Tables: c.o.Tables, MaxRows: c.o.MaxRows}
	if ov.Tables == nil {
		ov.Tables = []string{}
	}
	cur, old := c.sampler.window()
	for _, j := range c.jobs {
		s := c.summarize(r.Context(), j, cur, old)
		ov.Operators += s.Operators
		ov.Totals.RecordsIn += s.RecordsIn
		ov.Totals.RecordsOut += s.RecordsOut
		ov.Totals.RateIn += s.RateIn
		ov.Totals.RateOut += s.RateOut
		ov.Totals.DeadLetters += s.DeadLetters
		ov.Totals.Late += s.Late
		ov.Totals.Lag += s.Lag
		ov.Totals.Restarts += s.Restarts
		ov.Totals.Checkpoints += s.Checkpoint.Count
	}
	if topics, err := c.o.Log.ListTopics(r.Context()); err == nil {
		for _, t := range topics {
			if !internalTopic(t.Name) {
				ov.Topics++
			}
		}
	}
	if c.o.Dashboard {
		ov.Links = append(ov.Links, link{"Dashboard", "/dashboard/"})
	}
	ov.Links = append(ov.Links, link{"Metrics", "/metrics"})
	writeJSON(w, http.StatusOK, ov)
}

// --- /api/jobs ---

type jobSummary struct {
	Name        string          `json:"name"`
	Status      string          `json:"status"` // running, invalid
	Error       string          `json:"error,omitempty"`
	Operators   int             `json:"operators"`
	Stages      int             `json:"stages"`
	Tasks       int             `json:"tasks"` // parallelism summed over stages
	Inputs      []string        `json:"inputs"`
	Outputs     []string        `json:"outputs"`
	RecordsIn   float64         `json:"records_in"`
	RecordsOut  float64         `json:"records_out"`
	RateIn      float64         `json:"rate_in"`
	RateOut     float64         `json:"rate_out"`
	Late        float64         `json:"late"`
	Lag         float64         `json:"lag"`
	LagSource   string          `json:"lag_source"` // metrics, log, none
	Watermark   *int64          `json:"watermark_ms"`
	Checkpoint  checkpointStats `json:"checkpoint"`
	Restarts    float64         `json:"restarts"`
	DeadLetters float64         `json:"dead_letters"`
	StateBytes  *uint64         `json:"state_bytes"`
	// Time is how the job's tasks spent the rate window, in percent:
	// busy (processing), idle (waiting for input), commit (checkpoints:
	// rtdw's backpressure). Nil before a window has passed.
	Time *taskTime `json:"time"`
}

type taskTime struct {
	Busy   float64 `json:"busy_pct"`
	Idle   float64 `json:"idle_pct"`
	Commit float64 `json:"commit_pct"`
}

type checkpointStats struct {
	// Count and AvgMs are over the process's life; LastMs is the mean of
	// the checkpoints of the last sample interval and LastAt when the
	// console saw them (within SampleEvery).
	Count  uint64     `json:"count"`
	AvgMs  float64    `json:"avg_ms"`
	LastMs *float64   `json:"last_ms"`
	LastAt *time.Time `json:"last_at"`
	// Failures are task failures recovered from the last checkpoint
	// (rtdw_task_restarts_total): the engine restarts a task whose
	// checkpoint fails.
	Failures float64 `json:"failures"`
	// Size is the job's state on disk (what a checkpoint persists); nil
	// when unknown.
	SizeBytes *uint64 `json:"size_bytes"`
}

func (c *Console) jobList(w http.ResponseWriter, r *http.Request) {
	cur, old := c.sampler.window()
	out := make([]jobSummary, 0, len(c.jobs))
	for _, j := range c.jobs {
		out = append(out, c.summarize(r.Context(), j, cur, old))
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) summarize(ctx context.Context, j consoleJob, cur, old *snapshot) jobSummary {
	g := j.graph
	s := jobSummary{Name: g.Job, Status: "running", Error: j.err, Stages: len(g.Stages), Inputs: g.Inputs, Outputs: g.Outputs, LagSource: "none"}
	if j.err != "" {
		s.Status = "invalid"
	}
	for _, n := range g.Nodes {
		if n.Kind == "operator" {
			s.Operators++
		}
	}
	for _, st := range g.Stages {
		s.Tasks += c.parallelism(ctx, st.Topics)
	}
	m := cur.job(g.Job)
	om := old.job(g.Job)
	dt := cur.at.Sub(old.at).Seconds()
	for op, v := range m.in {
		s.RecordsIn += v
		s.RateIn += rate(v, om.in[op], dt)
	}
	for op, v := range m.out {
		s.RecordsOut += v
		s.RateOut += rate(v, om.out[op], dt)
	}
	for _, v := range m.late {
		s.Late += v
	}
	for _, v := range m.deadLetters {
		s.DeadLetters += v
	}
	s.Restarts = m.restarts
	var total float64
	d := map[string]float64{}
	for _, st := range []string{"busy", "idle", "commit"} {
		d[st] = max(0, m.taskTime[st]-om.taskTime[st])
		total += d[st]
	}
	if total > 0 {
		s.Time = &taskTime{Busy: 100 * d["busy"] / total, Idle: 100 * d["idle"] / total, Commit: 100 * d["commit"] / total}
	}
	if len(m.lag) > 0 {
		s.LagSource = "metrics"
		for _, v := range m.lag {
			s.Lag += v
		}
	} else if c.o.LagFromLog {
		if lag, ok := c.logLag(ctx, j); ok {
			s.LagSource = "log"
			for _, v := range lag {
				s.Lag += float64(v)
			}
		}
	}
	if wm, ok := m.minWatermark(); ok {
		s.Watermark = &wm
	}
	s.Checkpoint = c.checkpoint(g.Job, m)
	s.StateBytes = c.stateSize(g.Job)
	s.Checkpoint.SizeBytes = s.StateBytes
	return s
}

func (c *Console) checkpoint(job string, m *jobMetrics) checkpointStats {
	cs := checkpointStats{Count: m.cpCount, Failures: m.restarts}
	if m.cpCount > 0 {
		cs.AvgMs = m.cpSum / float64(m.cpCount) * 1000
	}
	if last, ok := c.sampler.lastCheckpoint(job); ok {
		at, ms := last.at, last.ms
		cs.LastAt, cs.LastMs = &at, &ms
	}
	return cs
}

func rate(now, before, dt float64) float64 {
	if dt < 0.5 || now < before {
		return 0
	}
	return (now - before) / dt
}

// --- /api/jobs/{name} ---

type jobDetail struct {
	jobSummary
	Graph       stream.Graph   `json:"graph"`
	Nodes       []nodeStats    `json:"nodes"`
	StageStats  []stageStats   `json:"stage_stats"`
	Lag         []partitionLag `json:"lag_partitions"`
	DeadReasons []reasonCount  `json:"dead_letter_reasons"`
}

type nodeStats struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Stage       int      `json:"stage"`
	Parallelism int      `json:"parallelism"`
	RecordsIn   *float64 `json:"records_in"` // nil: the engine counts operators only
	RecordsOut  *float64 `json:"records_out"`
	RateIn      float64  `json:"rate_in"`
	RateOut     float64  `json:"rate_out"`
	Late        float64  `json:"late"`
}

type stageStats struct {
	ID          int              `json:"id"`
	Topics      []string         `json:"topics"`
	Parallelism int              `json:"parallelism"`
	Watermark   *int64           `json:"watermark_ms"`
	Partitions  []partitionWmark `json:"watermarks"`
	Lag         float64          `json:"lag"`
	// BusyPct: the share of the job's task time (rate window) spent on
	// this stage's records and timers (Flink's busy time of a vertex).
	BusyPct *float64 `json:"busy_pct"`
}

type partitionWmark struct {
	Partition int   `json:"partition"`
	Watermark int64 `json:"watermark_ms"`
}

type partitionLag struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Lag       int64  `json:"lag"`
}

type reasonCount struct {
	Reason string  `json:"reason"`
	Job    string  `json:"job,omitempty"`
	Count  float64 `json:"count"`
}

func (c *Console) findJob(name string) (consoleJob, bool) {
	for _, j := range c.jobs {
		if j.graph.Job == name {
			return j, true
		}
	}
	return consoleJob{}, false
}

func (c *Console) jobDetail(w http.ResponseWriter, r *http.Request) {
	j, ok := c.findJob(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, "no job "+r.PathValue("name")+" in this process (GET /api/jobs lists them)")
		return
	}
	ctx := r.Context()
	cur, old := c.sampler.window()
	d := jobDetail{jobSummary: c.summarize(ctx, j, cur, old), Graph: j.graph}
	m, om := cur.job(j.graph.Job), old.job(j.graph.Job)
	dt := cur.at.Sub(old.at).Seconds()
	stagePar := map[int]int{}
	for _, st := range j.graph.Stages {
		stagePar[st.ID] = c.parallelism(ctx, st.Topics)
	}
	for _, n := range j.graph.Nodes {
		ns := nodeStats{Name: n.Name, Kind: n.Kind, Stage: n.Stage, Parallelism: stagePar[n.Stage]}
		if n.Kind == "operator" {
			in, out := m.in[n.Name], m.out[n.Name]
			ns.RecordsIn, ns.RecordsOut = &in, &out
			ns.RateIn, ns.RateOut = rate(in, om.in[n.Name], dt), rate(out, om.out[n.Name], dt)
			ns.Late = m.late[n.Name]
		}
		if n.Kind == "keyby" && n.WrittenBy >= 0 {
			ns.Parallelism = stagePar[n.WrittenBy]
		}
		d.Nodes = append(d.Nodes, ns)
	}
	lagByTopic := map[string]int64{}
	if len(m.lag) > 0 {
		for k, v := range m.lag {
			d.Lag = append(d.Lag, partitionLag{Topic: k.topic, Partition: k.partition, Lag: int64(v)})
			lagByTopic[k.topic] += int64(v)
		}
	} else if c.o.LagFromLog {
		lag, _ := c.logLag(ctx, j)
		for k, v := range lag {
			d.Lag = append(d.Lag, partitionLag{Topic: k.topic, Partition: k.partition, Lag: v})
			lagByTopic[k.topic] += v
		}
	}
	sort.Slice(d.Lag, func(a, b int) bool {
		if d.Lag[a].Topic != d.Lag[b].Topic {
			return d.Lag[a].Topic < d.Lag[b].Topic
		}
		return d.Lag[a].Partition < d.Lag[b].Partition
	})
	var taskTotal float64 // the job's task time in the rate window
	for _, state := range []string{"busy", "idle", "commit"} {
		taskTotal += max(0, m.taskTime[state]-om.taskTime[state])
	}
	for _, st := range j.graph.Stages {
		ss := stageStats{ID: st.ID, Topics: st.Topics, Parallelism: stagePar[st.ID]}
		for p, wm := range m.watermarks[st.ID] {
			ss.Partitions = append(ss.Partitions, partitionWmark{Partition: p, Watermark: wm})
			if ss.Watermark == nil || wm < *ss.Watermark {
				v := wm
				ss.Watermark = &v
			}
		}
		sort.Slice(ss.Partitions, func(a, b int) bool { return ss.Partitions[a].Partition < ss.Partitions[b].Partition })
		for _, t := range st.Topics {
			ss.Lag += float64(lagByTopic[t])
		}
		if taskTotal > 0 {
			v := 100 * max(0, m.stageBusy[st.ID]-om.stageBusy[st.ID]) / taskTotal
			ss.BusyPct = &v
		}
		d.StageStats = append(d.StageStats, ss)
	}
	for reason, n := range m.deadLetters {
		d.DeadReasons = append(d.DeadReasons, reasonCount{Reason: reason, Count: n})
	}
	sort.Slice(d.DeadReasons, func(a, b int) bool { return d.DeadReasons[a].Reason < d.DeadReasons[b].Reason })
	writeJSON(w, http.StatusOK, d)
}

// parallelism is the number of tasks of a stage reading topics: task p
// reads partition p of each, so the widest input decides.
func (c *Console) parallelism(ctx context.Context, topics []string) int {
	n := 0
	for _, t := range topics {
		n = max(n, int(c.partitions(ctx, t)))
	}
	return n
}

// partitions is a topic's partition count, cached (it is fixed at
// creation); 0 for a topic that does not exist yet.
func (c *Console) partitions(ctx context.Context, topic string) int32 {
	v, err := c.cache.get("parts/"+topic, time.Minute, c.o.Now, func() (any, error) {
		info, err := c.o.Log.DescribeTopic(ctx, topic)
		if err != nil {
			return int32(0), err
		}
		return info.Partitions, nil
	})
	if err != nil {
		return 0
	}
	return v.(int32)
}

type lagKey struct {
	topic     string
	partition int
}

// logLag is a job's lag from its group's committed offsets (cluster mode,
// where tasks publish none), cached for a few seconds.
func (c *Console) logLag(ctx context.Context, j consoleJob) (map[lagKey]int64, bool) {
	v, err := c.cache.get("lag/"+j.graph.Job, 3*time.Second, c.o.Now, func() (any, error) {
		group := c.o.GroupOf(j.graph.Job)
		deadline := time.Now().Add(c.o.ScanBudget / 4)
		out := map[lagKey]int64{}
		for _, st := range j.graph.Stages {
			for _, t := range st.Topics {
				parts := c.partitions(ctx, t)
				for p := int32(0); p < parts; p++ {
					tp := rlog.TopicPartition{Topic: t, Partition: p}
					start, end, err := c.o.Log.Offsets(ctx, tp)
					if err != nil {
						return nil, err
					}
					off, ok, err := c.o.Log.CommittedOffset(ctx, group, tp)
					if err != nil {
						return nil, err
					}
					if !ok {
						off = start
					}
					off = max(off, start)
					lag := max(0, end-off)
					if lag > 0 && c.o.CountRecords {
						// Markers after the last committed records take
						// offsets: count what is left to read.
						lag, _, err = countRange(ctx, c.o.Log, tp, off, end, deadline)
						if err != nil {
							return nil, err
						}
					}
					out[lagKey{t, int(p)}] = lag
				}
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, false
	}
	return v.(map[lagKey]int64), true
}

// stateSize estimates the bytes a job's keyed state takes on disk.
func (c *Console) stateSize(job string) *uint64 {
	if c.o.State == nil {
		return nil
	}
	v, err := c.cache.get("state/"+job, 5*time.Second, c.o.Now, func() (any, error) {
		return stateBytes(c.o.State, job)
	})
	if err != nil {
		return nil
	}
	n := v.(uint64)
	return &n
}

// --- small helpers ---

// ttlCache keeps computed values for a while.
type ttlCache struct {
	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	v   any
	err error
	at  time.Time
}

func (c *ttlCache) get(key string, ttl time.Duration, now func() time.Time, f func() (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now().Sub(e.at) < ttl {
		return e.v, e.err
	}
	v, err := f()
	if err != nil && !ok {
		return v, err // not cached: a topic created later is seen then
	}
	if err != nil {
		return e.v, e.err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cached{}
	}
	c.m[key] = cached{v: v, at: now()}
	c.mu.Unlock()
	return v, nil
}

// internalTopic: the engine's repartition and changelog topics, Kafka's own.
func internalTopic(name string) bool { return strings.HasPrefix(name, "_") }

func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errors.New(name + " must be an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi))
	}
	return n, nil
}
