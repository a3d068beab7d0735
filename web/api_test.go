package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ads"
	"github.com/rtdw/rtdw/internal/warehouse/ads/adstest"
	"github.com/rtdw/rtdw/web"
)

// noon on the fixture's day in Shanghai: the default day is adstest.Day.
var fixtureNow = func() time.Time { return time.Date(2024, 6, 8, 4, 0, 0, 0, time.UTC) }

func serve(t *testing.T, o web.Options) *httptest.Server {
	t.Helper()
	if o.Now == nil {
		o.Now = fixtureNow
	}
	h, err := web.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// get returns the status and the decoded JSON body, checking the content type.
func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	var v map[string]any
	code := getJSON(t, url, &v)
	return code, v
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAPIList(t *testing.T) {
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	status, body := get(t, srv.URL+"/api/ads")
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	if body["today"] != adstest.Day {
		t.Errorf("today = %v, want %s", body["today"], adstest.Day)
	}
	list := body["indicators"].([]any)
	if len(list) != len(ads.Indicators()) {
		t.Fatalf("%d indicators listed", len(list))
	}
	for i, ind := range ads.Indicators() {
		e := list[i].(map[string]any)
		if e["name"] != ind.Name || e["title"] != ind.Title || e["chart"] != string(ind.Chart) || e["sql"] != ind.SQL {
			t.Errorf("entry %d = %v, want %s", i, e, ind.Name)
		}
	}
}

// Every indicator's JSON equals the hand-computed answer for the fixture.
func TestAPIIndicators(t *testing.T) {
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	for _, ind := range ads.Indicators() {
		status, body := get(t, srv.URL+"/api/ads/"+ind.Name+"?date="+adstest.Day)
		if status != 200 {
			t.Fatalf("%s: status %d: %v", ind.Name, status, body)
		}
		want := decode(t, adstest.Expected[ind.Name])
		got := map[string]any{"columns": body["columns"], "rows": body["rows"]}
		if !reflect.DeepEqual(got, want) {
			b, _ := json.Marshal(got)
			t.Errorf("%s:\ngot  %s\nwant %s", ind.Name, b, adstest.Expected[ind.Name])
		}
		if body["date"] != adstest.Day || body["name"] != ind.Name || body["chart"] != string(ind.Chart) ||
			body["today"] != adstest.Day || body["zone"] != "Asia/Shanghai" {
			t.Errorf("%s: header fields %v %v %v", ind.Name, body["date"], body["name"], body["chart"])
		}
	}
}

func rows(t *testing.T, srv *httptest.Server, name, query string) [][]any {
	t.Helper()
	status, body := get(t, srv.URL+"/api/ads/"+name+query)
	if status != 200 {
		t.Fatalf("%s: status %d: %v", name, status, body)
	}
	var out [][]any
	for _, r := range body["rows"].([]any) {
		out = append(out, r.([]any))
	}
	return out
}

// The same money through three tables and queries: GMV, the provinces'
// sum, the SKUs' sum and the trademarks' sum agree (14964.40, by hand);
// the funnel narrows; the top-N are ordered.
func TestAPICrossChecks(t *testing.T) {
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	gmv := rows(t, srv, "gmv", "")[0][0].(float64) // no date: today = the fixture's day
	if gmv != 14964.4 {
		t.Fatalf("GMV = %v, want 14964.40", gmv)
	}
	for _, name := range []string{"province_gmv", "top_skus", "top_trademarks", "top_categories"} {
		var sum float64
		for _, r := range rows(t, srv, name, "?date="+adstest.Day) {
			sum += r[1].(float64)
		}
		if int64(sum*100+0.5) != 1496440 {
			t.Errorf("%s sums to %v, GMV is %v", name, sum, gmv)
		}
	}
	var prev float64 = -1
	for i, r := range rows(t, srv, "funnel", "?date="+adstest.Day) {
		n := r[1].(float64)
		if i > 0 && n > prev {
			t.Errorf("funnel widens at %v: %v > %v", r[0], n, prev)
		}
		prev = n
	}
	top := rows(t, srv, "top_skus", "?date="+adstest.Day)
	if top[0][0] != "iPhone 12" || len(top) != 4 {
		t.Errorf("top SKUs %v", top)
	}
	// The other day has its own figures.
	if g := rows(t, srv, "gmv", "?date="+adstest.OtherDay)[0][0]; g != 105000.0 {
		t.Errorf("GMV on %s = %v, want 105000", adstest.OtherDay, g)
	}
	// AOV is GMV over orders, to the cent; the per-minute trend sums to GMV.
	orders := rows(t, srv, "orders", "?date="+adstest.Day)[0][0].(float64)
	aov := rows(t, srv, "aov", "?date="+adstest.Day)[0][0].(float64)
	if orders != 5 || math.Abs(aov-gmv/orders) > 0.005 {
		t.Errorf("orders %v, AOV %v, GMV %v", orders, aov, gmv)
	}
	var trend float64
	for _, r := range rows(t, srv, "gmv_trend", "?date="+adstest.Day) {
		if v, ok := r[1].(float64); ok {
			trend += v
		}
	}
	if int64(trend*100+0.5) != 1496440 {
		t.Errorf("the GMV trend sums to %v", trend)
	}
	// Yesterday (before the fixture's days) has no data: no comparison.
	if y := rows(t, srv, "gmv", "?date="+adstest.OtherDay)[0][1]; y != nil {
		t.Errorf("GMV of the day before %s = %v, want null", adstest.OtherDay, y)
	}
}

type failing struct{}

func (failing) Query(context.Context, string, ...any) (*olap.Result, error) {
	return nil, errors.New("catalog error: table dws_trade_sku_order_window does not exist")
}

func TestAPIErrors(t *testing.T) {
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	for _, c := range []struct {
		path   string
		status int
		says   string
	}{
		{"/api/ads/nope", 404, "unknown indicator nope"},
		{"/api/ads/gmv?date=2024-13-01", 400, "yyyy-MM-dd"},
		{"/api/ads/gmv?date=08.06.2024", 400, "yyyy-MM-dd"},
		{"/api/ads/gmv/extra", 404, "no such API path"},
	} {
		status, body := get(t, srv.URL+c.path)
		if status != c.status || !strings.Contains(body["error"].(string), c.says) {
			t.Errorf("GET %s = %d %v, want %d with %q", c.path, status, body, c.status, c.says)
		}
	}
	resp, err := http.Post(srv.URL+"/api/ads/gmv", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("POST: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	status, body := get(t, serve(t, web.Options{}).URL+"/api/ads/gmv")
	if status != 503 || !strings.Contains(body["error"].(string), "no OLAP database") {
		t.Errorf("without a querier: %d %v", status, body)
	}
	status, body = get(t, serve(t, web.Options{Querier: failing{}}).URL+"/api/ads/gmv")
	if status != 500 || !strings.Contains(body["error"].(string), "does not exist") {
		t.Errorf("failing querier: %d %v", status, body)
	}
}

func TestDashboardFiles(t *testing.T) {
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	resp, err := http.Get(srv.URL + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<title>gmall real-time</title>") {
		t.Fatalf("GET /dashboard: %d %.200s", resp.StatusCode, b)
	}
	for _, p := range []string{"/dashboard/app.js", "/dashboard/style.css"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// --- the console's API, against a real embedded run ---

// consoleJobName is the fixture job: orders → parse (dead-letters bad
// records) → key by user → a running sum per user (keyed state) →
// user_totals.
const consoleJobName = "console_orders"

// consoleOrders are the fixture's input: 9 good orders of 3 users and 3
// dead letters (2 malformed_json, 1 missing_user).
var consoleOrders = []string{
	`{"user":"ann","amount":10}`, `{"user":"bob","amount":5}`, `not json`, `{"user":"cid","amount":7}`,
	`{"user":"ann","amount":1}`, `{"user":""}`, `{"user":"bob","amount":2}`, `{"user":"ann","amount":3}`,
	`{also not json`, `{"user":"cid","amount":1}`, `{"user":"bob","amount":8}`, `{"user":"ann","amount":4}`,
}

const (
	goodOrders = 9
	badOrders  = 3
)

type parseOp struct{}

func (parseOp) Open(*stream.Context) error { return nil }
func (parseOp) Process(rec *stream.Record, out stream.Emitter) error {
	var o struct {
		User   string `json:"user"`
		Amount int64  `json:"amount"`
	}
	if err := json.Unmarshal(rec.Value, &o); err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	if o.User == "" {
		return stream.BadInput("missing_user", "an order without a user")
	}
	rec.Key = []byte(o.User)
	out.Emit(0, rec)
	return nil
}

type sumOp struct{ sums *state.ValueState }

func (s *sumOp) Open(ctx *stream.Context) error {
	s.sums = ctx.Value("sum")
	return nil
}
func (s *sumOp) Process(rec *stream.Record, out stream.Emitter) error {
	var o struct{ Amount int64 }
	json.Unmarshal(rec.Value, &o)
	var sum int64
	if b, ok, err := s.sums.Get(rec.Key); err != nil {
		return err
	} else if ok {
		sum, _ = strconv.ParseInt(string(b), 10, 64)
	}
	sum += o.Amount
	if err := s.sums.Put(rec.Key, []byte(strconv.FormatInt(sum, 10))); err != nil {
		return err
	}
	out.Emit(0, &stream.Record{Key: rec.Key, Value: []byte(fmt.Sprintf(`{"user":%q,"total":%d}`, rec.Key, sum)), Time: rec.Time})
	return nil
}

func consoleJob() *stream.Job {
	j := stream.NewJob(consoleJobName)
	j.Source("orders", stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Time, r.Time > 0 })).
		Process("parse", func() stream.Operator { return parseOp{} }).Main().
		KeyBy("by_user", func(r *stream.Record) ([]byte, error) { return r.Key, nil }).
		Process("sum", func() stream.Operator { return &sumOp{} }).Main().
		To("user_totals")
	return j
}

// consoleRun is the fixture: an embedded log, the job running unbounded
// (checkpoints every 50 ms) until it processed every order, and a console
// on it, served.
type consoleRun struct {
	log     *embedded.Log
	reg     *prometheus.Registry
	console *web.Console
	srv     *httptest.Server
}

func startConsoleRun(t *testing.T, o web.ConsoleOptions) *consoleRun {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(t.TempDir(), "log"), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()
	if err := l.CreateTopic(ctx, "orders", rlog.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	var recs []rlog.Record
	for i, v := range consoleOrders {
		recs = append(recs, rlog.Record{Topic: "orders", Partition: int32(i % 2), Key: []byte(strconv.Itoa(i)), Value: []byte(v), Timestamp: now - int64(len(consoleOrders)-i)*1000})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	metrics := stream.NewMetrics(reg)
	job := consoleJob()
	if o.Log == nil {
		o.Log = l
	}
	o.Gatherer, o.Jobs, o.State, o.Process = reg, []*stream.Job{job}, l.StateStore(), "test"
	if o.SampleEvery == 0 {
		o.SampleEvery = 20 * time.Millisecond
	}
	c, err := web.NewConsole(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- stream.Run(runCtx, stream.Options{Log: l, Interval: 50 * time.Millisecond, Partitions: 2, Metrics: metrics,
			Logger: slog.New(slog.DiscardHandler)}, job)
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v", err)
		}
	})
	mux := http.NewServeMux()
	c.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r := &consoleRun{log: l, reg: reg, console: c, srv: srv}
	// Every order processed and committed, and a checkpoint seen since.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var jobs []map[string]any
		getJSON(t, srv.URL+"/api/jobs", &jobs)
		j := jobs[0]
		cp := j["checkpoint"].(map[string]any)
		if j["records_out"].(float64) >= 2*goodOrders && j["dead_letters"].(float64) == badOrders && cp["last_at"] != nil && j["lag"].(float64) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job never processed its input: %v", j)
		}
	}
	return r
}

// getJSON decodes the JSON answer of GET url into v, checking the content
// type, and returns the status.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: %d, content type %q: %s", url, resp.StatusCode, ct, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return resp.StatusCode
}

func postQuery(t *testing.T, url, sql string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"sql": sql})
	resp, err := http.Post(url+"/api/query", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, v
}

func TestConsoleJobs(t *testing.T) {
	r := startConsoleRun(t, web.ConsoleOptions{})
	var jobs []map[string]any
	if code := getJSON(t, r.srv.URL+"/api/jobs", &jobs); code != 200 || len(jobs) != 1 {
		t.Fatalf("/api/jobs: %d %v", code, jobs)
	}
	j := jobs[0]
	cp := j["checkpoint"].(map[string]any)
	if j["name"] != consoleJobName || j["status"] != "running" || j["operators"] != 2.0 || j["stages"] != 2.0 || j["tasks"] != 4.0 ||
		j["lag_source"] != "metrics" || j["restarts"] != 0.0 || j["watermark_ms"] == nil ||
		cp["count"].(float64) < 1 || cp["last_ms"] == nil || cp["avg_ms"].(float64) <= 0 {
		t.Errorf("job summary: %v", j)
	}
	// How the tasks spent the window: three shares of 100 %.
	if tt, ok := j["time"].(map[string]any); !ok {
		t.Errorf("no task time split: %v", j["time"])
	} else if sum := tt["busy_pct"].(float64) + tt["idle_pct"].(float64) + tt["commit_pct"].(float64); sum < 99.9 || sum > 100.1 || tt["idle_pct"].(float64) <= 0 {
		t.Errorf("task time split %v sums to %v", tt, sum)
	}
	// parse reads every order and passes the good ones; sum gets those.
	if j["records_in"] != float64(len(consoleOrders)+goodOrders) || j["records_out"] != float64(2*goodOrders) {
		t.Errorf("records in %v, out %v", j["records_in"], j["records_out"])
	}

	var d struct {
		Name string
		Time *struct {
			Busy float64 `json:"busy_pct"`
		}
		Graph stream.Graph
		Nodes []struct {
			Name        string
			Kind        string
			Stage       int
			Parallelism int
			RecordsIn   *float64 `json:"records_in"`
			RecordsOut  *float64 `json:"records_out"`
		}
		StageStats []struct {
			ID          int
			Topics      []string
			Parallelism int
			Watermark   *int64   `json:"watermark_ms"`
			BusyPct     *float64 `json:"busy_pct"`
		} `json:"stage_stats"`
		Reasons []struct {
			Reason string
			Count  float64
		} `json:"dead_letter_reasons"`
	}
	if code := getJSON(t, r.srv.URL+"/api/jobs/"+consoleJobName, &d); code != 200 {
		t.Fatalf("/api/jobs/%s: %d", consoleJobName, code)
	}
	var got []string
	for _, n := range d.Nodes {
		got = append(got, n.Kind+":"+n.Name)
	}
	if want := "source:source_orders operator:parse keyby:by_user operator:sum sink:sink_user_totals"; strings.Join(got, " ") != want {
		t.Errorf("nodes %v, want %s", got, want)
	}
	counts := map[string][2]float64{}
	for _, n := range d.Nodes {
		if n.Parallelism != 2 {
			t.Errorf("%s: parallelism %d", n.Name, n.Parallelism)
		}
		if n.RecordsIn != nil {
			counts[n.Name] = [2]float64{*n.RecordsIn, *n.RecordsOut}
		}
	}
	if counts["parse"] != [2]float64{float64(len(consoleOrders)), goodOrders} || counts["sum"] != [2]float64{goodOrders, goodOrders} {
		t.Errorf("operator counts %v", counts)
	}
	if len(d.Graph.Stages) != 2 || d.Graph.Nodes[3].Inputs[0].From != "by_user" || d.Graph.Nodes[2].WrittenBy != 0 || d.Graph.Nodes[2].Stage != 1 {
		t.Errorf("graph %+v", d.Graph)
	}
	if len(d.StageStats) != 2 || d.StageStats[0].Watermark == nil || d.StageStats[1].Topics[0] != "_rtdw-"+consoleJobName+"-by_user-repartition" {
		t.Errorf("stages %+v", d.StageStats)
	}
	// Each stage's share of the tasks' time; together at most the busy share.
	if d.Time == nil {
		t.Error("job detail without the task time split")
	} else {
		tt := d.Time.Busy
		var sum float64
		for _, st := range d.StageStats {
			if st.BusyPct == nil || *st.BusyPct < 0 {
				t.Errorf("stage %d busy %v", st.ID, st.BusyPct)
				continue
			}
			sum += *st.BusyPct
		}
		if sum > tt+0.5 {
			t.Errorf("stages busy %.2f%% in all, the tasks %.2f%%", sum, tt)
		}
	}
	if len(d.Reasons) != 2 || d.Reasons[0].Reason != "malformed_json" || d.Reasons[0].Count != 2 || d.Reasons[1].Count != 1 {
		t.Errorf("dead letter reasons %+v", d.Reasons)
	}
	var e map[string]any
	if code := getJSON(t, r.srv.URL+"/api/jobs/nope", &e); code != 404 || !strings.Contains(e["error"].(string), "no job nope") {
		t.Errorf("unknown job: %d %v", code, e)
	}

	var ov map[string]any
	getJSON(t, r.srv.URL+"/api/overview", &ov)
	tot := ov["totals"].(map[string]any)
	if ov["process"] != "test" || ov["jobs"] != 1.0 || ov["topics"] != 3.0 || tot["dead_letters"] != float64(badOrders) || tot["records_out"] != float64(2*goodOrders) {
		t.Errorf("overview %v", ov)
	}

	// The job's state size: its key spans on disk, once a flush wrote the
	// sums to a table (the size is cached for 5 s).
	if err := r.log.StateStore().Flush(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		getJSON(t, r.srv.URL+"/api/jobs", &jobs)
		size, _ := jobs[0]["state_bytes"].(float64)
		cp := jobs[0]["checkpoint"].(map[string]any)
		if size > 0 && cp["size_bytes"] == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state size %v, checkpoint size %v after a flush", jobs[0]["state_bytes"], cp["size_bytes"])
		}
	}
}

func TestConsoleTopics(t *testing.T) {
	r := startConsoleRun(t, web.ConsoleOptions{})
	var topics []struct {
		Name                string
		Partitions, Records int64
		Exact, Internal     bool
		ReadBy              []string `json:"read_by"`
		WrittenBy           []string `json:"written_by"`
	}
	getJSON(t, r.srv.URL+"/api/topics", &topics)
	got := map[string]int64{}
	for _, tp := range topics {
		got[tp.Name] = tp.Records
		if !tp.Exact || tp.Internal {
			t.Errorf("%+v", tp)
		}
		if tp.Name == "orders" && (len(tp.ReadBy) != 1 || tp.ReadBy[0] != consoleJobName || tp.Partitions != 2) {
			t.Errorf("orders: %+v", tp)
		}
	}
	if want := map[string]int64{"orders": int64(len(consoleOrders)), "user_totals": goodOrders, "dirty_data": badOrders}; !reflect.DeepEqual(got, want) {
		t.Errorf("topics %v, want %v", got, want)
	}
	getJSON(t, r.srv.URL+"/api/topics?all=1", &topics)
	if len(topics) != 4 {
		t.Errorf("with internal topics: %+v", topics)
	}

	var d struct {
		Records        int64
		PartitionStats []struct{ Partition, Records int64 } `json:"partition_stats"`
	}
	getJSON(t, r.srv.URL+"/api/topics/orders", &d)
	if d.Records != int64(len(consoleOrders)) || len(d.PartitionStats) != 2 || d.PartitionStats[1].Records != int64(len(consoleOrders)/2) {
		t.Errorf("orders: %+v", d)
	}

	var tail struct {
		Records []struct {
			Partition   int32
			Offset      int64
			Key, Value  *string
			TimestampMs int64 `json:"timestamp_ms"`
		}
	}
	getJSON(t, r.srv.URL+"/api/topics/orders/tail?limit=3", &tail)
	if len(tail.Records) != 3 || *tail.Records[0].Value != consoleOrders[len(consoleOrders)-1] || *tail.Records[2].Value != consoleOrders[len(consoleOrders)-3] {
		t.Errorf("tail, newest first: %+v", tail.Records)
	}
	getJSON(t, r.srv.URL+"/api/topics/orders/tail?partition=0", &tail)
	if len(tail.Records) != len(consoleOrders)/2 || tail.Records[0].Partition != 0 || tail.Records[0].Offset != int64(len(consoleOrders)/2-1) {
		t.Errorf("tail of partition 0: %+v", tail.Records)
	}
	for path, want := range map[string]int{
		"/api/topics/nope":                     404,
		"/api/topics/nope/tail":                404,
		"/api/topics/orders/tail?limit=0":      400,
		"/api/topics/orders/tail?partition=7":  400,
		"/api/topics/orders/tail?limit=banana": 400,
		"/api/nothing":                         404,
	} {
		var e map[string]any
		if code := getJSON(t, r.srv.URL+path, &e); code != want || e["error"] == nil {
			t.Errorf("GET %s: %d %v, want %d", path, code, e, want)
		}
	}
}

// markerLog is a log whose every record is followed by a transaction
// marker, as on Kafka: offsets double, reads skip the markers.
type markerLog struct{ rlog.Log }

func (m markerLog) Offsets(ctx context.Context, tp rlog.TopicPartition) (int64, int64, error) {
	s, e, err := m.Log.Offsets(ctx, tp)
	return 2 * s, 2 * e, err
}

func (m markerLog) Fetch(ctx context.Context, tp rlog.TopicPartition, off int64, max int, wait time.Duration) ([]rlog.Record, error) {
	recs, err := m.Log.Fetch(ctx, tp, (off+1)/2, max, wait)
	for i := range recs {
		recs[i].Offset *= 2
	}
	return recs, err
}

// Records, not offsets: where markers take offsets, the console counts
// by reading (and remembers where it stopped).
func TestConsoleCountsRecordsNotOffsets(t *testing.T) {
	for _, count := range []bool{false, true} {
		l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ctx := context.Background()
		l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
		produce := func(n int) {
			for i := 0; i < n; i++ {
				if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("v")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		produce(5)
		c, err := web.NewConsole(web.ConsoleOptions{Log: markerLog{l}, CountRecords: count})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		mux := http.NewServeMux()
		c.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		want := map[bool]int64{false: 10, true: 5}[count]
		var topics []struct{ Records int64 }
		getJSON(t, srv.URL+"/api/topics", &topics)
		if topics[0].Records != want {
			t.Errorf("CountRecords %v: %d records, want %d", count, topics[0].Records, want)
		}
		produce(3)
		getJSON(t, srv.URL+"/api/topics", &topics)
		if want = map[bool]int64{false: 16, true: 8}[count]; topics[0].Records != want {
			t.Errorf("CountRecords %v, after 3 more: %d records, want %d", count, topics[0].Records, want)
		}
	}
}

func TestConsoleDeadLetters(t *testing.T) {
	r := startConsoleRun(t, web.ConsoleOptions{})
	type rec struct {
		Reason, Detail, Job, Operator, Source string
		Value                                 *string
	}
	var d struct {
		Topics   []string
		Complete bool
		Reasons  []struct {
			Reason, Job string
			Count       int64
			SinceStart  float64 `json:"since_start"`
		}
		Records []rec
	}
	getJSON(t, r.srv.URL+"/api/deadletters", &d)
	if !d.Complete || len(d.Topics) != 1 || d.Topics[0] != "dirty_data" || len(d.Records) != badOrders {
		t.Fatalf("dead letters: %+v", d)
	}
	if len(d.Reasons) != 2 || d.Reasons[0].Reason != "malformed_json" || d.Reasons[0].Count != 2 || d.Reasons[0].SinceStart != 2 ||
		d.Reasons[0].Job != consoleJobName || d.Reasons[1].Reason != "missing_user" || d.Reasons[1].Count != 1 {
		t.Errorf("reasons %+v", d.Reasons)
	}
	getJSON(t, r.srv.URL+"/api/deadletters?reason=malformed_json", &d)
	if len(d.Records) != 2 {
		t.Fatalf("malformed_json records: %+v", d.Records)
	}
	for _, x := range d.Records {
		if x.Reason != "malformed_json" || x.Job != consoleJobName || x.Operator != "parse" || !strings.HasPrefix(x.Source, "orders/") ||
			x.Detail == "" || (*x.Value != "not json" && *x.Value != "{also not json") {
			t.Errorf("record %+v", x)
		}
	}
	getJSON(t, r.srv.URL+"/api/deadletters?reason=missing_user&job=other", &d)
	if len(d.Records) != 0 {
		t.Errorf("another job's: %+v", d.Records)
	}
	// The topic's count persists: a new console (a restarted process)
	// reads the same counts, though its counter starts at 0.
	c2, err := web.NewConsole(web.ConsoleOptions{Log: r.log, Jobs: []*stream.Job{consoleJob()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	mux := http.NewServeMux()
	c2.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	getJSON(t, srv.URL+"/api/deadletters", &d)
	if len(d.Reasons) != 2 || d.Reasons[0].Count != 2 || d.Reasons[0].SinceStart != 0 {
		t.Errorf("after a restart: %+v", d.Reasons)
	}
}

func TestConsoleQuery(t *testing.T) {
	r := startConsoleRun(t, web.ConsoleOptions{Querier: adstest.DuckDB(t), MaxRows: 5})
	code, res := postQuery(t, r.srv.URL, "SELECT count(*) AS n, sum(order_amount) AS amount FROM dws_trade_province_order_window WHERE cur_date = DATE '"+adstest.Day+"';")
	if code != 200 || !reflect.DeepEqual(res["columns"], []any{"n", "amount"}) || len(res["rows"].([]any)) != 1 || res["truncated"] != false {
		t.Fatalf("query: %d %v", code, res)
	}
	code, res = postQuery(t, r.srv.URL, "SELECT i FROM range(100) t(i) ORDER BY i -- a trailing comment")
	rows := res["rows"].([]any)
	if code != 200 || len(rows) != 5 || res["truncated"] != true || rows[4].([]any)[0] != 4.0 {
		t.Errorf("capped: %d %v", code, res)
	}
	code, res = postQuery(t, r.srv.URL, "SELECT DATE '2024-06-08' AS d, 'it''s -- DELETE; not' AS s")
	if code != 200 || !reflect.DeepEqual(res["rows"], []any{[]any{"2024-06-08", "it's -- DELETE; not"}}) {
		t.Errorf("a date and a string that only look like SQL: %d %v", code, res)
	}
	if code, res = postQuery(t, r.srv.URL, "DESCRIBE dws_trade_province_order_window"); code != 200 || len(res["rows"].([]any)) == 0 {
		t.Errorf("DESCRIBE: %d %v", code, res)
	}
	for sql, says := range map[string]string{
		"DELETE FROM dws_trade_province_order_window":                      "read-only",
		"SELECT 1; DROP TABLE dws_trade_province_order_window":             "one statement",
		"WITH x AS (SELECT 1) DELETE FROM dws_trade_province_order_window": "DELETE is not allowed",
		"EXPLAIN ANALYZE UPDATE dws_trade_province_order_window SET x = 1": "UPDATE is not allowed",
		"SELECT * FROM read_csv('/etc/passwd')":                            "", // the backend refuses: no external access
		"COPY dws_trade_province_order_window TO '/tmp/x.csv'":             "read-only",
		"SELECT E'\\'' DELETE FROM t --'":                                  "DELETE is not allowed",
		"  ":                                                               "empty",
		"SELECT nope FROM nowhere":                                         "nowhere",
	} {
		code, res := postQuery(t, r.srv.URL, sql)
		if code != 400 || !strings.Contains(res["error"].(string), says) {
			t.Errorf("%q: %d %v, want 400 saying %q", sql, code, res, says)
		}
	}
	resp, err := http.Get(r.srv.URL + "/api/query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /api/query: %d", resp.StatusCode)
	}
	// A form or text body is what a cross-site page can send without a
	// CORS preflight: refused.
	resp, err = http.Post(r.srv.URL+"/api/query", "text/plain", strings.NewReader(`{"sql": "SELECT 1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("text/plain: %d", resp.StatusCode)
	}
	// A timeout stops the query; without an OLAP database there is none.
	slow := startConsoleRun(t, web.ConsoleOptions{Querier: adstest.DuckDB(t), QueryTimeout: time.Nanosecond})
	if code, res := postQuery(t, slow.srv.URL, "SELECT 1"); code != 400 || !strings.Contains(res["error"].(string), "longer than") {
		t.Errorf("timeout: %d %v", code, res)
	}
	none := startConsoleRun(t, web.ConsoleOptions{})
	if code, res := postQuery(t, none.srv.URL, "SELECT 1"); code != 503 || !strings.Contains(res["error"].(string), "no OLAP database") {
		t.Errorf("no querier: %d %v", code, res)
	}
}

func TestConsolePages(t *testing.T) {
	r := startConsoleRun(t, web.ConsoleOptions{GuardHost: true})
	// Without a token, a page whose name was rebound to 127.0.0.1 (DNS
	// rebinding) reads nothing.
	for host, want := range map[string]int{"evil.example:80": 403, "localhost:80": 200, strings.TrimPrefix(r.srv.URL, "http://"): 200} {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/topics/orders/tail", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	for path, says := range map[string]string{"/": "<h1>rtdw</h1>", "/console/console.js": "api/jobs", "/console/console.css": ".dag"} {
		resp, err := http.Get(r.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), says) {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, b)
		}
	}
}
