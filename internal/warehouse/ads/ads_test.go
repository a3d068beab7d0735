package ads_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/warehouse/ads"
	"github.com/rtdw/rtdw/internal/warehouse/ads/adstest"
)

// asJSON is a result as the API writes it, decoded again so that numbers
// compare by value (7997 == 7997.0).
func asJSON(t *testing.T, res *olap.Result) any {
	t.Helper()
	b, err := json.Marshal(map[string]any{"columns": res.Columns, "rows": res.Rows})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("expected JSON %s: %v", s, err)
	}
	return v
}

// The fixture loaded through the DuckDB sink, as the DWS jobs load.
func TestIndicatorsOnDuckDB(t *testing.T) {
	q := adstest.DuckDB(t)
	checkIndicators(t, q)
	checkEmptyDay(t, q)
}

// The same SQL on PostgreSQL (a real server) gives the same answers.
func TestIndicatorsOnPostgres(t *testing.T) {
	q := adstest.Postgres(t)
	checkIndicators(t, q)
	checkEmptyDay(t, q)
}

func checkIndicators(t *testing.T, q olap.Querier) {
	ctx := context.Background()
	if len(adstest.Expected) != len(ads.Indicators()) {
		t.Fatalf("%d expectations for %d indicators", len(adstest.Expected), len(ads.Indicators()))
	}
	for _, ind := range ads.Indicators() {
		t.Run(ind.Name, func(t *testing.T) {
			want, ok := adstest.Expected[ind.Name]
			if !ok {
				t.Fatalf("no expected result for %s", ind.Name)
			}
			res, err := ads.Query(ctx, q, ind.Name, adstest.Day)
			if err != nil {
				t.Fatal(err)
			}
			if got := asJSON(t, res); !reflect.DeepEqual(got, decode(t, want)) {
				b, _ := json.Marshal(got)
				t.Errorf("got  %s\nwant %s", b, want)
			}
		})
	}
}

// On a day without rows every indicator answers (no SQL error on empty
// sums), totals are zero and rankings are empty.
func checkEmptyDay(t *testing.T, q olap.Querier) {
	for _, ind := range ads.Indicators() {
		res, err := ads.Query(context.Background(), q, ind.Name, "2030-01-01")
		if err != nil {
			t.Fatalf("%s: %v", ind.Name, err)
		}
		for _, row := range res.Rows {
			for _, v := range row[1:] {
				if v != int64(0) && v != float64(0) && v != nil {
					t.Errorf("%s: row %v on an empty day", ind.Name, row)
				}
			}
		}
		switch ind.Name {
		case "gmv", "aov":
			// Zero, and no yesterday to compare with.
			if len(res.Rows) != 1 || res.Rows[0][0] != float64(0) || res.Rows[0][1] != nil {
				t.Errorf("%s on an empty day: %v", ind.Name, res.Rows)
			}
		case "orders":
			if len(res.Rows) != 1 || res.Rows[0][0] != int64(0) || res.Rows[0][1] != nil {
				t.Errorf("orders on an empty day: %v", res.Rows)
			}
		case "funnel":
			if len(res.Rows) != 5 {
				t.Errorf("funnel on an empty day: %v", res.Rows)
			}
		case "top_skus", "channel_uv", "search_keywords", "gmv_trend":
			if len(res.Rows) != 0 {
				t.Errorf("%s on an empty day: %v", ind.Name, res.Rows)
			}
		}
	}
}

func TestQueryErrors(t *testing.T) {
	q := adstest.DuckDB(t)
	ctx := context.Background()
	if _, err := ads.Query(ctx, q, "nope", adstest.Day); !errors.Is(err, ads.ErrUnknown) {
		t.Errorf("unknown indicator: %v", err)
	}
	for _, day := range []string{"", "2024-6-8", "2024-02-30", "today", "2024-06-08'; DROP TABLE x; --"} {
		if _, err := ads.Query(ctx, q, "gmv", day); !errors.Is(err, ads.ErrBadDay) {
			t.Errorf("day %q: %v", day, err)
		}
	}
}

func TestIndicatorDefinitions(t *testing.T) {
	seen := map[string]bool{}
	for _, ind := range ads.Indicators() {
		if ind.Name == "" || ind.Title == "" || ind.Chart == "" || ind.SQL == "" {
			t.Errorf("incomplete indicator %+v", ind)
		}
		if seen[ind.Name] {
			t.Errorf("duplicate name %s", ind.Name)
		}
		seen[ind.Name] = true
		// The day is the only parameter, and every table is read for it.
		if !strings.Contains(ind.SQL, "cur_date = CAST($1 AS DATE)") || strings.Contains(ind.SQL, "$2") || strings.Contains(ind.SQL, "?") {
			t.Errorf("%s: the day must be $1 compared with cur_date", ind.Name)
		}
		if strings.Count(ind.SQL, "FROM dws_") != strings.Count(ind.SQL, "cur_date = CAST($1 AS DATE)") {
			t.Errorf("%s: a table read without the day filter", ind.Name)
		}
	}
	if _, ok := ads.Lookup("gmv"); !ok {
		t.Error("Lookup(gmv)")
	}
}

func TestToday(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 16:30 UTC on June 7 is 00:30 on June 8 in Shanghai.
	now := time.Date(2024, 6, 7, 16, 30, 0, 0, time.UTC)
	if got := ads.Today(now, sh); got != "2024-06-08" {
		t.Errorf("Today = %s, want 2024-06-08", got)
	}
	if got := ads.Today(now, time.UTC); got != "2024-06-07" {
		t.Errorf("Today UTC = %s", got)
	}
}
