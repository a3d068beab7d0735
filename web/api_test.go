package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
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
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: content type %q, body %s", url, ct, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return resp.StatusCode, v
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
		if body["date"] != adstest.Day || body["name"] != ind.Name || body["chart"] != string(ind.Chart) {
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
	if g := rows(t, srv, "gmv", "?date="+adstest.OtherDay)[0][0]; g != 100000.0 {
		t.Errorf("GMV on %s = %v, want 100000", adstest.OtherDay, g)
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
