package web_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/testenv"
	"github.com/rtdw/rtdw/internal/warehouse/ads"
	"github.com/rtdw/rtdw/internal/warehouse/ads/adstest"
	"github.com/rtdw/rtdw/web"
)

// The page refreshes every 5 s; 12 s of virtual time covers the first
// load and two refreshes (the clock stands still while fetches run).
const pageBudget = 12 * time.Second

var (
	sectionRE = regexp.MustCompile(`<section [^>]*>`)
	attrRE    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	bodyRE    = regexp.MustCompile(`<body [^>]*>`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(tag, -1) {
		m[a[1]] = a[2]
	}
	return m
}

// cards returns each card's data attributes by indicator name.
func cards(dom string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, tag := range sectionRE.FindAllString(dom, -1) {
		a := attrs(tag)
		out[a["data-indicator"]] = a
	}
	return out
}

// artifactDir is where screenshots go: $RTDW_TEST_ARTIFACTS, or a
// temporary directory of the test.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("RTDW_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// expectedRows is how many rows each indicator has for the fixture's day,
// read from the hand-written answers.
func expectedRows(t *testing.T, name string) int {
	var v struct{ Rows [][]any }
	if err := json.Unmarshal([]byte(adstest.Expected[name]), &v); err != nil {
		t.Fatal(err)
	}
	return len(v.Rows)
}

// The dashboard in a real browser: every card loads its indicator for
// today (the fixture's day), draws every row with its own chart kind
// (map, word cloud, funnel ...), and the header shows the date.
func TestDashboardInChromium(t *testing.T) {
	if !web.HasCharts() {
		t.Fatal("the chart libraries are not embedded: run `make assets` (make test does)")
	}
	browser := testenv.Chromium(t)
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t)})
	url := srv.URL + "/dashboard/"

	dom := browser.DOM(url, pageBudget)
	body := attrs(bodyRE.FindString(dom))
	if body["data-assets"] != "echarts wordcloud china" {
		t.Errorf("assets loaded: %q", body["data-assets"])
	}
	if body["data-date"] != adstest.Day {
		t.Errorf("page date %q, want %s", body["data-date"], adstest.Day)
	}
	if n, _ := strconv.Atoi(body["data-refreshes"]); n < 2 {
		t.Errorf("%d refreshes in %v of page time, want at least 2", n, pageBudget)
	}
	got := cards(dom)
	for _, ind := range ads.Indicators() {
		c, ok := got[ind.Name]
		if !ok {
			t.Errorf("%s: no card", ind.Name)
			continue
		}
		want := expectedRows(t, ind.Name)
		if ind.Chart == ads.Number {
			want = 1
		}
		if c["data-status"] != "ok" || c["data-kind"] != string(ind.Chart) ||
			c["data-rows"] != strconv.Itoa(expectedRows(t, ind.Name)) || c["data-drawn"] != strconv.Itoa(want) {
			t.Errorf("%s: card %v, want status ok, kind %s, %d rows, %d drawn", ind.Name, c, ind.Chart, expectedRows(t, ind.Name), want)
		}
	}
	for _, text := range []string{
		"¥14,964.40",          // GMV
		`<time id="updated">`, // last update
		"<td>xiaomi</td>",     // the sessions table
	} {
		if !strings.Contains(dom, text) {
			t.Errorf("page lacks %q", text)
		}
	}
	if strings.Contains(dom, `<time id="updated">never</time>`) {
		t.Error("last update time never set")
	}

	shot := filepath.Join(artifactDir(t), "dashboard.png")
	browser.Height = 2300 // every card
	browser.Screenshot(url, shot, pageBudget)
	t.Logf("dashboard screenshot: %s", shot)
}

// withoutVendor hides assets/vendor/: the page of a fresh clone.
type withoutVendor struct{ fs.FS }

func (f withoutVendor) Open(name string) (fs.File, error) {
	if name == "vendor" || strings.HasPrefix(name, "vendor/") {
		return nil, fs.ErrNotExist
	}
	return f.FS.Open(name)
}

// Without `make assets` the page says so and still shows every figure,
// as tables.
func TestDashboardWithoutChartLibraries(t *testing.T) {
	browser := testenv.Chromium(t)
	srv := serve(t, web.Options{Querier: adstest.DuckDB(t), Assets: withoutVendor{web.Assets()}})
	dom := browser.DOM(srv.URL+"/dashboard/?date="+adstest.Day, pageBudget)
	if !strings.Contains(dom, "run `make assets`") {
		t.Error("no notice to run make assets")
	}
	for _, ind := range ads.Indicators() {
		c := cards(dom)[ind.Name]
		want := "table"
		if ind.Chart == ads.Number {
			want = "number"
		}
		if c["data-status"] != "ok" || c["data-kind"] != want || c["data-rows"] != strconv.Itoa(expectedRows(t, ind.Name)) {
			t.Errorf("%s: card %v, want a %s of %d rows", ind.Name, c, want, expectedRows(t, ind.Name))
		}
	}
}

// consolePage is a console page to load and what its DOM must hold.
type consolePage struct {
	name, hash string
	has        []string
}

// The console in a real browser, wide (1600 px) and on a phone (390 px):
// every page loads its API, the jobs table lists the job, the DAG has its
// operators with their counters, topics show record counts, dead letters
// their reasons, and the SQL editor runs a query; a screenshot of each.
func TestConsoleInChromium(t *testing.T) {
	browser := testenv.Chromium(t)
	r := startConsoleRun(t, web.ConsoleOptions{Querier: adstest.DuckDB(t), Dashboard: true,
		Tables: []string{"dws_trade_province_order_window"}})
	sql := "SELECT province_name, sum(order_amount) AS gmv FROM dws_trade_province_order_window GROUP BY 1 ORDER BY 2 DESC"
	pages := []consolePage{
		{"overview", "#/", []string{`id="overview"`, `data-job="` + consoleJobName + `"`, `href="dashboard/"`}},
		{"jobs", "#/jobs", []string{`data-job="` + consoleJobName + `" data-records-in="21" data-operators="2"`}},
		{"job", "#/jobs/" + consoleJobName, []string{`data-nodes="5"`, `data-node="source_orders"`, `data-node="by_user"`, `data-node="sink_user_totals"`,
			`data-node="parse" data-kind="operator" data-in="12" data-out="9"`, `data-node="sum" data-kind="operator" data-in="9" data-out="9"`,
			`data-from="by_user" data-to="sum"`, `<tr data-stage="1">`}},
		{"topics", "#/topics", []string{`data-topic="orders" data-records="12" data-exact="1"`, `data-topic="user_totals" data-records="9"`, `data-topic="dirty_data" data-records="3"`}},
		{"topic", "#/topics/orders", []string{`id="tail" data-rows="12"`, `not json`, `<tr data-partition="1">`}},
		{"deadletters", "#/deadletters", []string{`data-reason="malformed_json" data-count="2"`, `data-reason="missing_user" data-count="1"`, `id="dead-records" data-rows="3"`}},
		{"sql", "#/sql?q=" + url.QueryEscape(sql), []string{`id="result" data-rows="`, `data-status="ok"`, `<th>province_name</th>`}},
	}
	dir := artifactDir(t)
	for _, width := range []int{1600, 390} {
		for _, p := range pages {
			browser.Width, browser.Height = width, 1000
			if width == 390 {
				browser.Height = 844
			}
			if p.name == "job" {
				browser.Height = 1800 // the whole graph and its tables
			}
			u := r.srv.URL + "/" + p.hash
			shot := filepath.Join(dir, fmt.Sprintf("console-%s-%d.png", p.name, width))
			dom := browser.DOMAndScreenshot(u, shot, 2*time.Second)
			body := attrs(bodyRE.FindString(dom))
			if body["data-page"] != p.name || body["data-status"] != "ok" {
				t.Errorf("%d px %s: body %v\n%.2000s", width, p.name, body, dom)
				continue
			}
			for _, s := range p.has {
				if !strings.Contains(dom, s) {
					t.Errorf("%d px %s: page lacks %q", width, p.name, s)
				}
			}
			if p.name == "job" {
				want := map[int]string{1600: "horizontal", 390: "vertical"}[width]
				if !strings.Contains(dom, `data-orientation="`+want+`"`) {
					t.Errorf("%d px: the DAG is not %s", width, want)
				}
			}
			if p.name == "sql" && strings.Contains(dom, `id="result" data-rows="0"`) {
				t.Errorf("%d px: the query returned no rows", width)
			}
		}
	}
	t.Logf("console screenshots in %s", dir)
}
