package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
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

// checkLayout fails the test unless the page the browser loaded last
// laid out at width (a phone's 390 px too, under headless Chromium's
// 500 px window minimum) and nothing overflows it sideways (a phone would
// zoom out to show it: its viewport would be wider than width).
func checkLayout(t *testing.T, browser *testenv.Browser, width int, page string) {
	t.Helper()
	if l := browser.Layout(); l.ClientWidth != width || l.InnerWidth != width || l.ScrollWidth != width {
		t.Errorf("%d px %s: laid out %d px wide in a viewport of %d, content %d wide; want %d",
			width, page, l.ClientWidth, l.InnerWidth, l.ScrollWidth, width)
	}
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

// longSKUs is the fixture with SKU names as the shop's are: long, and
// alike up to their last words.
type longSKUs struct{ olap.Querier }

const skuPrefix = "Apple iPhone 15 Pro Max 256GB 5G "

func (q longSKUs) Query(ctx context.Context, sql string, args ...any) (*olap.Result, error) {
	res, err := q.Querier.Query(ctx, sql, args...)
	if err == nil && strings.HasPrefix(sql, "SELECT sku_name,") {
		for _, r := range res.Rows {
			r[0] = skuPrefix + r[0].(string)
		}
	}
	return res, err
}

// card returns the HTML of the named card.
func card(dom, name string) string {
	i := strings.Index(dom, `data-indicator="`+name+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(dom[i:], "</section>")
	if j < 0 {
		return dom[i:]
	}
	return dom[i : i+j]
}

var (
	valueRE   = regexp.MustCompile(`class="value" data-value="([^"]*)"`)
	updatedRE = regexp.MustCompile(`<time id="updated"[^>]*>(\d\d:\d\d:\d\d) Asia/Shanghai</time>`)
	titleRE   = regexp.MustCompile(`<h2>([^<]*)</h2>`)
)

// value is the figure of a number card.
func value(t *testing.T, dom, name string) float64 {
	t.Helper()
	m := valueRE.FindStringSubmatch(card(dom, name))
	if m == nil {
		t.Errorf("%s: no figure", name)
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Errorf("%s: figure %q", name, m[1])
	}
	return v
}

// The dashboard in a real browser, wide (1600 px) and on a phone (390 px):
// every card loads its indicator for today (the fixture's day) and draws
// every row with its own chart kind (map, word cloud, funnel ...); no card
// is empty; the figures (GMV, orders, average order value) agree and are
// compared with yesterday; the funnel has readable stages and the
// conversion between them; no chart's labels overlap; SKU names stay
// distinct when cut; the word cloud has its words; "Updated" is in the
// warehouse's zone. A screenshot of each width.
func TestDashboardInChromium(t *testing.T) {
	if !web.HasCharts() {
		t.Fatal("the chart libraries are not embedded: run `make assets` (make test does)")
	}
	browser := testenv.Chromium(t)
	srv := serve(t, web.Options{Querier: longSKUs{adstest.DuckDB(t)}})
	url := srv.URL + "/dashboard/"
	dir := artifactDir(t)

	for _, width := range []int{1600, 390} {
		browser.Width, browser.Height = width, 2400 // every card
		if width == 390 {
			browser.Height = 6800
		}
		shot := filepath.Join(dir, fmt.Sprintf("dashboard-%d.png", width))
		dom := browser.Screenshot(url, shot, pageBudget)
		t.Logf("dashboard screenshot: %s", shot)
		checkLayout(t, browser, width, "dashboard")
		checkDashboard(t, width, dom)
	}

	// A past day: its figures are labelled with the date, and the day
	// before it has no data, so no comparison ("—", not 0%).
	browser.Width, browser.Height = 1600, 1200
	dom := browser.DOM(url+"?date="+adstest.OtherDay, 2*time.Second)
	checkLayout(t, browser, 1600, "dashboard of "+adstest.OtherDay)
	for _, name := range []string{"gmv", "orders", "aov"} {
		c := card(dom, name)
		title := titleRE.FindStringSubmatch(c)
		if title == nil || !strings.HasSuffix(title[1], " "+adstest.OtherDay) {
			t.Errorf("%s on %s: title %v, want it to end in the date", name, adstest.OtherDay, title)
		}
		if !strings.Contains(c, `data-compare="—"`) {
			t.Errorf("%s on %s: compared with a day without data: %.300s", name, adstest.OtherDay, c)
		}
	}
	if c := cards(dom)["gmv_trend"]; c["data-series"] != "1" || c["data-drawn"] == "0" {
		t.Errorf("GMV trend on %s: %v, want one line (no yesterday)", adstest.OtherDay, c)
	}
	if g := value(t, dom, "gmv"); g != 105000 {
		t.Errorf("GMV on %s: %v", adstest.OtherDay, g)
	}
	// More users ordered (84) than added to cart (70) that day: the ratio
	// is shown as it is, marked, and explained (stages are not subsets).
	f := card(dom, "funnel")
	if !strings.Contains(f, `class="conv over" title="Ordered users per 100 Added to cart users today: more than Added to cart, because each stage counts its own users`) ||
		!strings.Contains(f, "↓ 120.0%") || strings.Count(f, `class="conv over"`) != 1 {
		t.Errorf("funnel on %s: an order stage above the cart stage is not marked: %.1500s", adstest.OtherDay, f)
	}
}

func checkDashboard(t *testing.T, width int, dom string) {
	t.Helper()
	body := attrs(bodyRE.FindString(dom))
	if body["data-assets"] != "echarts wordcloud china" {
		t.Errorf("%d px: assets loaded: %q", width, body["data-assets"])
	}
	if body["data-date"] != adstest.Day {
		t.Errorf("%d px: page date %q, want %s", width, body["data-date"], adstest.Day)
	}
	if n, _ := strconv.Atoi(body["data-refreshes"]); n < 2 {
		t.Errorf("%d px: %d refreshes in %v of page time, want at least 2", width, n, pageBudget)
	}
	got := cards(dom)
	for _, ind := range ads.Indicators() {
		c, ok := got[ind.Name]
		if !ok {
			t.Errorf("%d px: %s: no card", width, ind.Name)
			continue
		}
		rows := expectedRows(t, ind.Name)
		drawn, _ := strconv.Atoi(c["data-drawn"])
		want := rows
		switch ind.Chart {
		case ads.Number:
			want = 1
		case ads.Trend: // the minutes between are drawn too
			want = max(rows, drawn)
		}
		if c["data-status"] != "ok" || c["data-kind"] != string(ind.Chart) ||
			c["data-rows"] != strconv.Itoa(rows) || drawn != want || drawn == 0 {
			t.Errorf("%d px: %s: card %v, want status ok, kind %s, %d rows, %d drawn", width, ind.Name, c, ind.Chart, rows, want)
		}
		// Labels and ticks never run into each other.
		switch ind.Chart {
		case ads.Ranking, ads.Bar, ads.Line, ads.Trend:
			if c["data-overlaps"] != "0" || c["data-texts"] == "" || c["data-texts"] == "0" {
				t.Errorf("%d px: %s: %s overlapping labels of %s", width, ind.Name, c["data-overlaps"], c["data-texts"])
			}
		}
	}
	if strings.Contains(dom, `class="empty"`) || strings.Contains(dom, `class="error"`) {
		t.Errorf("%d px: an empty or failing card", width)
	}

	// The figures: GMV, orders, their quotient, each against yesterday
	// by this time (GMV 14964.40 vs 100000.00: down 85.0%).
	gmv, orders, aov := value(t, dom, "gmv"), value(t, dom, "orders"), value(t, dom, "aov")
	if gmv != 14964.4 || orders <= 0 || math.Abs(aov-gmv/orders) > 0.005 {
		t.Errorf("%d px: GMV %v, orders %v, AOV %v: want AOV = GMV/orders", width, gmv, orders, aov)
	}
	for name, want := range map[string]string{"gmv": "▼ 85.0%", "orders": "▼ 44.4%", "aov": "▼ 73.1%"} {
		if c := got[name]["data-compare"]; c != want {
			t.Errorf("%d px: %s against yesterday %q, want %q", width, name, c, want)
		}
		if title := titleRE.FindStringSubmatch(card(dom, name)); title == nil || !strings.HasSuffix(title[1], " today") {
			t.Errorf("%d px: %s title %v", width, name, title)
		}
	}
	for _, text := range []string{
		"¥14,964.40",      // GMV
		"¥2,992.88",       // AOV
		"<td>xiaomi</td>", // the sessions table
	} {
		if !strings.Contains(dom, text) {
			t.Errorf("%d px: page lacks %q", width, text)
		}
	}

	// The GMV per minute, and yesterday's.
	if c := got["gmv_trend"]; c["data-series"] != "2" {
		t.Errorf("%d px: GMV trend %v, want today's and yesterday's lines", width, c)
	}

	// The funnel: stages by name, the conversion from each to the next
	// (11/18, 7/11, 5/7, 4/5).
	f := card(dom, "funnel")
	for _, text := range []string{">Home page<", ">Product page<", ">Added to cart<", ">Ordered<", ">Paid<",
		"↓ 61.1%", "↓ 63.6%", "↓ 71.4%", "↓ 80.0%"} {
		if !strings.Contains(f, text) {
			t.Errorf("%d px: the funnel lacks %q", width, text)
		}
	}
	if strings.Contains(f, ">good_detail<") || strings.Contains(f, ">cart_add<") {
		t.Errorf("%d px: the funnel shows stage ids", width)
	}

	// SKU names cut in the middle: distinct, each with its own end.
	labels := strings.Split(got["top_skus"]["data-labels"], "|")
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			t.Errorf("%d px: SKU label %q twice in %q", width, l, labels)
		}
		seen[l] = true
		if strings.HasPrefix(l, skuPrefix) {
			t.Errorf("%d px: SKU label %q not cut", width, l)
		}
	}
	if len(labels) != 4 || !strings.HasSuffix(labels[0], "12") || !strings.HasSuffix(labels[1], "10X") {
		t.Errorf("%d px: SKU labels %q, want the ends of iPhone 12, Redmi 10X ...", width, labels)
	}

	// The word cloud has laid out its words (all four).
	if n, _ := strconv.Atoi(got["search_keywords"]["data-texts"]); n < expectedRows(t, "search_keywords") {
		t.Errorf("%d px: the word cloud shows %d words", width, n)
	}

	// The last update, in the warehouse's zone (the fixture's clock:
	// 12:00 in Shanghai).
	if m := updatedRE.FindStringSubmatch(dom); m == nil || m[1] != "12:00:00" || body["data-zone"] != "Asia/Shanghai" {
		t.Errorf("%d px: last update %v, zone %q, want 12:00:00 Asia/Shanghai", width, m, body["data-zone"])
	}
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
	checkLayout(t, browser, browser.Width, "dashboard without charts")
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
			dom := browser.Screenshot(u, shot, 2*time.Second)
			checkLayout(t, browser, width, p.name)
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
