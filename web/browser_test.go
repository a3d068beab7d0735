package web_test

import (
	"encoding/json"
	"io/fs"
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
