package dws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// A golden file holds cases for one job (format: testdata/README).
type goldenCase struct {
	name   string
	runs   [][]string      // input lines, one drained run each
	clock  []time.Duration // each run's processing time, after the first's
	rows   []string        // "<key> <json>": the table's final rows
	dirty  []string        // "<reason> <json>"
	late   int
	lineNo int
}

func readGolden(t *testing.T, path string) []goldenCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []goldenCase
	var cur *goldenCase
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" && section != "in":
		case strings.HasPrefix(line, "case "):
			cases = append(cases, goldenCase{name: line[5:], lineNo: n})
			cur, section = &cases[len(cases)-1], "case"
		case line == "in":
			section = line
			cur.runs = append(cur.runs, nil)
			cur.clock = append(cur.clock, 0)
		case line == "out":
			section = line
		case line == "end":
			section = ""
		case section == "in" && strings.HasPrefix(line, "next run"):
			// "next run +25h": the run's processing time is that much later
			// (state TTLs are processing time)
			after := cur.clock[len(cur.clock)-1]
			if d, ok := strings.CutPrefix(line, "next run +"); ok {
				dd, err := time.ParseDuration(d)
				if err != nil {
					t.Fatalf("%s:%d: %v", path, n, err)
				}
				after += dd
			}
			cur.runs = append(cur.runs, nil)
			cur.clock = append(cur.clock, after)
		case section == "in":
			cur.runs[len(cur.runs)-1] = append(cur.runs[len(cur.runs)-1], line)
		case section == "out" && strings.HasPrefix(line, "late "):
			fmt.Sscanf(line, "late %d", &cur.late)
		case section == "out" && strings.HasPrefix(line, "dirty_data "):
			reason, val, _ := strings.Cut(strings.TrimPrefix(line, "dirty_data "), " ")
			cur.dirty = append(cur.dirty, reason+" "+canonOrRaw([]byte(val)))
		case section == "out" && strings.HasPrefix(line, "row "):
			// row <key with spaces allowed up to " {"> <json>
			rest := strings.TrimPrefix(line, "row ")
			i := strings.Index(rest, " {")
			if i < 0 {
				t.Fatalf("%s:%d: row without JSON", path, n)
			}
			cur.rows = append(cur.rows, rest[:i]+" "+canon(t, []byte(rest[i+1:])))
		default:
			t.Fatalf("%s:%d: unexpected line %q", path, n, line)
		}
	}
	return cases
}

// canon re-encodes JSON with sorted keys so equal values compare equal.
func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// canonOrRaw is canon for JSON, the bytes themselves for anything else
// (a malformed input's dead letter).
func canonOrRaw(b []byte) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&v) != nil || d.More() {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// inputKey is how the producers of each input topic key it: page logs by
// common.mid, DB facts by their first column.
func inputKey(topic string, line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return nil
	}
	var k any
	switch topic {
	case TopicTrafficPage:
		c, _ := m["common"].(map[string]any)
		k = c["mid"]
	case TopicOrderPaymentSuccess:
		k = m["order_detail_id"]
	default:
		k = m["id"]
	}
	if k == nil {
		return nil
	}
	return []byte(fmt.Sprint(k))
}

// openDims fills a real dimension store (Pebble) with testdata/dims.txt:
// "<table> <key> <json row>" per line.
func openDims(t *testing.T) dim.Store {
	t.Helper()
	s, err := dim.OpenPebble(streamtest.MemDB(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/dims.txt")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	created := map[string]bool{}
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, " ", 3)
		if len(parts) != 3 {
			t.Fatalf("testdata/dims.txt:%d: want <table> <key> <json>", n+1)
		}
		if !created[parts[0]] {
			var row map[string]any
			if err := json.Unmarshal([]byte(parts[2]), &row); err != nil {
				t.Fatalf("testdata/dims.txt:%d: %v", n+1, err)
			}
			var cols []string
			for c := range row {
				cols = append(cols, c)
			}
			sort.Strings(cols)
			if err := s.CreateTable(ctx, dim.Table{Name: parts[0], Columns: cols, RowKey: "id"}); err != nil {
				t.Fatal(err)
			}
			created[parts[0]] = true
		}
		if err := s.Put(ctx, parts[0], parts[1], []byte(parts[2])); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

type runResult struct {
	rows  map[string]string // key -> canonical last row
	all   []rlog.Record     // every row record, in order
	dirty []string
	late  float64
}

// runJob produces each run's lines to a one-partition input topic and
// drains the job once per run on a processing-time clock that stands
// still within the run (at clock[i] after the start): no checkpoint
// before the end of a run and no input going idle, so which windows the
// watermark closes does not depend on timing.
func runJob(t *testing.T, build func(Config) *stream.Job, cfg Config, topic, table string, runs [][]string, clock []time.Duration) runResult {
	return runJobOn(t, 1, build, cfg, topic, table, runs, clock)
}

// runJobOn is runJob on an input of the given partition count (keyed
// records spread by the partitioner).
func runJobOn(t *testing.T, partitions int32, build func(Config) *stream.Job, cfg Config, topic, table string, runs [][]string, clock []time.Duration) runResult {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, topic, rlog.TopicConfig{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	opts := stream.Options{Log: l, Drain: true, Interval: time.Hour, Partitions: partitions, Metrics: stream.NewMetrics(reg),
		Logger: slog.New(slog.DiscardHandler)}
	job := build(cfg)
	start := time.Now()
	for i, lines := range runs {
		now := start.Add(clock[i])
		opts.Now = func() time.Time { return now }
		var recs []rlog.Record
		for _, line := range lines {
			p := int32(0)
			if partitions > 1 {
				p = rlog.AutoPartition
			}
			recs = append(recs, rlog.Record{Topic: topic, Partition: p, Key: inputKey(topic, []byte(line)), Value: []byte(line)})
		}
		if len(recs) > 0 {
			if err := l.Produce(ctx, recs...); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Run(ctx, opts, job); err != nil {
			t.Fatal(err)
		}
	}
	res := runResult{rows: map[string]string{}, late: testutil.ToFloat64(opts.Metrics.Late.WithLabelValues(job.Name, "window"))}
	res.all = logtest.ReadAll(t, l, table)
	for _, r := range res.all {
		res.rows[string(r.Key)] = canon(t, r.Value)
	}
	for _, r := range logtest.ReadAll(t, l, TopicDirty) {
		code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		res.dirty = append(res.dirty, code+" "+canonOrRaw(r.Value))
	}
	return res
}

var goldenJobs = []struct {
	file  string
	build func(Config) *stream.Job
	topic string
	table *table
}{
	{"keyword.txt", KeywordPageView, TopicTrafficPage, keywordTable},
	{"vc_ch_ar_is_new.txt", VcChArIsNewPageView, TopicTrafficPage, vcChArIsNewTable},
	{"home_detail.txt", HomeDetailPageView, TopicTrafficPage, homeDetailTable},
	{"user_login.txt", UserLogin, TopicTrafficPage, userLoginTable},
	{"user_register.txt", UserRegister, TopicUserRegister, userRegisterTable},
	{"cart_add_uu.txt", CartAddUu, TopicCartAdd, cartAddUuTable},
	{"payment_suc.txt", PaymentSuc, TopicOrderPaymentSuccess, paymentSucTable},
	{"order.txt", Order, TopicOrderDetail, orderTable},
	{"sku_order.txt", SkuOrder, TopicOrderDetail, skuOrderTable},
	{"province_order.txt", ProvinceOrder, TopicOrderDetail, provinceOrderTable},
	{"trademark_category_user_refund.txt", TmCategoryRefund, TopicOrderRefund, tmCategoryRefundTable},
}

func TestGolden(t *testing.T) {
	for _, g := range goldenJobs {
		t.Run(strings.TrimSuffix(g.file, ".txt"), func(t *testing.T) {
			path := "testdata/" + g.file
			cases := readGolden(t, path)
			if len(cases) == 0 {
				t.Fatalf("%s: no cases", path)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					cfg := Config{Dims: openDims(t), LookupMissRetry: -1}
					got := runJob(t, g.build, cfg, g.topic, g.table.name, c.runs, c.clock)
					var rows []string
					for k, v := range got.rows {
						rows = append(rows, k+" "+v)
					}
					checkRows(t, g.table, got.all)
					sort.Strings(rows)
					sort.Strings(c.rows)
					if !reflect.DeepEqual(rows, c.rows) {
						t.Errorf("%s:%d rows:\n got: %s\nwant: %s", path, c.lineNo, strings.Join(rows, "\n      "), strings.Join(c.rows, "\n      "))
					}
					sort.Strings(got.dirty)
					sort.Strings(c.dirty)
					if !reflect.DeepEqual(got.dirty, c.dirty) && (len(got.dirty) > 0 || len(c.dirty) > 0) {
						t.Errorf("%s:%d dirty_data:\n got: %s\nwant: %s", path, c.lineNo, strings.Join(got.dirty, "\n      "), strings.Join(c.dirty, "\n      "))
					}
					if int(got.late) != c.late {
						t.Errorf("%s:%d: %v late records counted, want %d", path, c.lineNo, got.late, c.late)
					}
				})
			}
		})
	}
}

// checkRows: every row has exactly the table's columns, and its key is
// its key columns joined with "|".
func checkRows(t *testing.T, tb *table, recs []rlog.Record) {
	t.Helper()
	ot := tb.olap()
	for _, r := range recs {
		// What the loader will do with it (olap.LoadJob decodes every row).
		if _, err := olap.DecodeRow(&ot, r.Value, nil); err != nil {
			t.Errorf("the loader cannot decode the row: %v: %s", err, r.Value)
		}
		var row map[string]any
		if err := json.Unmarshal(r.Value, &row); err != nil {
			t.Fatalf("row is not JSON: %s", r.Value)
		}
		if len(row) != len(ot.Columns) {
			t.Errorf("row has %d columns, table %d: %s", len(row), len(ot.Columns), r.Value)
		}
		var key []string
		for _, k := range ot.Key {
			s, _ := row[k].(string)
			key = append(key, s)
		}
		if want := strings.Join(key, "|"); string(r.Key) != want {
			t.Errorf("row key %q, want %q", r.Key, want)
		}
	}
}

// Single-run cases give the same rows when the input has 4 partitions:
// records then cross the repartition topics between tasks, and a window
// closes only when every upstream task's watermark passed it.
func TestGoldenOnFourPartitions(t *testing.T) {
	for _, g := range goldenJobs {
		for _, c := range readGolden(t, "testdata/"+g.file) {
			if len(c.runs) != 1 {
				continue // lateness across runs depends on which task saw what
			}
			t.Run(strings.TrimSuffix(g.file, ".txt")+"/"+c.name, func(t *testing.T) {
				got := runJobOn(t, 4, g.build, Config{Dims: openDims(t), LookupMissRetry: -1}, g.topic, g.table.name, c.runs, c.clock)
				var rows []string
				for k, v := range got.rows {
					rows = append(rows, k+" "+v)
				}
				sort.Strings(rows)
				sort.Strings(c.rows)
				if !reflect.DeepEqual(rows, c.rows) {
					t.Errorf("testdata/%s:%d rows:\n got: %s\nwant: %s", g.file, c.lineNo, strings.Join(rows, "\n      "), strings.Join(c.rows, "\n      "))
				}
				if got.late != 0 {
					t.Errorf("%v late records", got.late)
				}
			})
		}
	}
}
