package dwd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// factCase is one golden case of a fact job (format: testdata/README of
// the fact files, see the header of testdata/trade_order_detail.txt).
type factCase struct {
	name   string
	in     []factInput
	dims   map[string]string // table/key -> row
	out    []string
	lineNo int
}

type factInput struct {
	clock   int64 // epoch seconds the processing-time clock is set to
	key     []byte
	value   []byte
	headers []rlog.Header
}

// mapDims is the tests' dimension store: rows written by the case.
type mapDims struct {
	mu   sync.Mutex
	rows map[string]string
}

func (d *mapDims) Get(_ context.Context, table, key string) ([]byte, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.rows[table+"/"+key]
	return []byte(r), ok, nil
}

// readFactGolden reads a fact golden file. In "in", a row is
//
//	<ts> <table> <type> <data JSON> [<old JSON>]
//
// (a Maxwell record of database gmall, keyed by data.id, processed with the
// clock at ts), or "raw <line>" (the exact record, at the previous clock),
// or "dim <table> <key> <row JSON>" (a dimension row). In "out", a line is
// "<topic> <key> <json>" or "dirty_data <reason code> <exact line>|@<n>"
// (@n: the n-th record of "in", counting from 1).
func readFactGolden(t *testing.T, path string) []factCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []factCase
	var cur *factCase
	section := ""
	var clock int64
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || (strings.TrimSpace(line) == "" && section != "out"):
		case strings.HasPrefix(line, "case "):
			cases = append(cases, factCase{name: line[5:], lineNo: n, dims: map[string]string{}})
			cur, section, clock = &cases[len(cases)-1], "case", 0
		case line == "in" || line == "out":
			section = line
		case line == "end":
			section = ""
		case section == "in" && strings.HasPrefix(line, "raw "):
			cur.in = append(cur.in, factInput{clock: clock, value: []byte(line[4:])})
		case section == "in" && strings.HasPrefix(line, "dim "):
			p := strings.SplitN(line, " ", 4)
			if len(p) != 4 {
				t.Fatalf("%s:%d: want dim <table> <key> <row>", path, n)
			}
			cur.dims[p[1]+"/"+p[2]] = p[3]
		case section == "in":
			in, err := maxwellLine(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			clock = in.clock
			cur.in = append(cur.in, in)
		case section == "out":
			if strings.TrimSpace(line) != "" {
				cur.out = append(cur.out, line)
			}
		default:
			t.Fatalf("%s:%d: unexpected line %q", path, n, line)
		}
	}
	return cases
}

// maxwellLine turns "<ts> <table> <type> <data> [<old>]" into a record.
func maxwellLine(line string) (factInput, error) {
	p := strings.SplitN(line, " ", 4)
	if len(p) != 4 {
		return factInput{}, fmt.Errorf("want <ts> <table> <type> <data> [<old>]: %q", line)
	}
	ts, err := strconv.ParseInt(p[0], 10, 64)
	if err != nil {
		return factInput{}, err
	}
	d := json.NewDecoder(strings.NewReader(p[3]))
	d.UseNumber()
	var data, old json.RawMessage
	if err := d.Decode(&data); err != nil {
		return factInput{}, fmt.Errorf("data: %v", err)
	}
	if d.More() {
		if err := d.Decode(&old); err != nil {
			return factInput{}, fmt.Errorf("old: %v", err)
		}
	}
	v := fmt.Sprintf(`{"database":"gmall","table":%q,"type":%q,"ts":%d,"xid":7,"commit":true,"data":%s`, p[1], p[2], ts, data)
	if old != nil {
		v += `,"old":` + string(old)
	}
	v += "}"
	var id struct {
		ID json.RawMessage `json:"id"`
	}
	json.Unmarshal(data, &id)
	var key []byte
	if len(id.ID) > 0 && string(id.ID) != "null" {
		key = []byte(strings.Trim(string(id.ID), `"`))
	}
	return factInput{clock: ts, key: key, value: []byte(v)}, nil
}

// runFactGolden runs every case of path through the job build makes: each
// input record is produced to topic_db (4 partitions) and processed by a
// drained run whose processing-time clock is the record's ts (the joins'
// TTLs are event time: the clock matters only to what counts as ahead of
// it), so the outcome is deterministic. Each case
// runs in every header mode (headerModes): the outcome is the golden one
// whether the records carry topic_db headers or not, right or wrong.
func runFactGolden(t *testing.T, path string, build func(FactConfig) *stream.Job) {
	for _, c := range readFactGolden(t, path) {
		for _, mode := range headerModes {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				runFactCase(t, path, c, withGoldenHeaders(c.in, mode), build)
			})
		}
	}
}

// headerModes: the records as written ("plain"); with the headers a
// producer of rtdw writes, and for records that are no decodable change a
// table no job reads ("headers"); with that table in every rtdw.table
// header, so that it belies most records ("lying").
var headerModes = []string{"plain", "headers", "lying"}

const noJobsTable = "no_job_reads_this"

func withGoldenHeaders(in []factInput, mode string) []factInput {
	if mode == "plain" {
		return in
	}
	dec, _ := topicdb.NewDecoder(topicdb.Auto)
	et := ods.EventTime(topicdb.Auto)
	out := make([]factInput, len(in))
	for i, x := range in {
		table := noJobsTable
		if mode == "headers" {
			if cs, err := dec.Decode(x.value); err == nil && len(cs) > 0 {
				table = cs[0].Table
				for _, c := range cs {
					if c.Table != table {
						table = noJobsTable
					}
				}
			} else if v, err := fastjson.ParseBytes(x.value); err == nil && v.Get("table") != nil {
				table = string(v.GetStringBytes("table")) // a DDL event states its table
			}
		}
		x.headers = []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte(table)}}
		ts, ok := et(&stream.Record{Value: x.value})
		if !ok && x.clock > 0 {
			ts, ok = x.clock*1000, true // malformed: the time it was written at
		}
		if ok {
			x.headers = append(x.headers, rlog.Header{Key: topicdb.HeaderTS, Value: []byte(strconv.FormatInt(ts, 10))})
		}
		out[i] = x
	}
	return out
}

func runFactCase(t *testing.T, path string, c factCase, in []factInput, build func(FactConfig) *stream.Job) {
	dims := &mapDims{rows: c.dims}
	got := runFact(t, in, func() *stream.Job { return build(FactConfig{Dims: dims}) })
	topic := build(FactConfig{}).Name
	want := map[string][]string{}
	for _, o := range c.out {
		tp, rest, _ := strings.Cut(o, " ")
		key, val, _ := strings.Cut(rest, " ")
		if tp == TopicDirty {
			if n, err := strconv.Atoi(strings.TrimPrefix(val, "@")); err == nil && strings.HasPrefix(val, "@") {
				val = string(c.in[n-1].value)
			}
			want[tp] = append(want[tp], key+" "+val)
			continue
		}
		want[tp] = append(want[tp], key+" "+canon(t, []byte(val)))
	}
	for _, tp := range []string{TopicDirty, topic} {
		var g []string
		for _, r := range got[tp] {
			if tp == TopicDirty {
				code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
				g = append(g, code+" "+string(r.Value))
				continue
			}
			g = append(g, string(r.Key)+" "+canon(t, r.Value))
			checkFactTime(t, r)
			for _, h := range r.Headers {
				if ods.IsTopicDBHeader(h.Key) {
					t.Errorf("output %s carries header %s", r.Value, h.Key)
				}
			}
		}
		sort.Strings(g)
		w := want[tp]
		sort.Strings(w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:%d %s:\n got: %s\nwant: %s", path, c.lineNo, tp, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
		}
	}
	for tp := range want {
		if tp != TopicDirty && tp != topic {
			t.Errorf("%s:%d: output topic %s is not the job's", path, c.lineNo, tp)
		}
	}
}

// runFact produces each input and drains the job once per input, with the
// clock at the input's time; it returns the records of the job's outputs.
func runFact(t *testing.T, in []factInput, build func() *stream.Job) map[string][]rlog.Record {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, FactInput, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	job := build()
	for _, r := range in {
		if err := l.Produce(ctx, rlog.Record{Topic: FactInput, Partition: rlog.AutoPartition, Key: r.key, Value: r.value, Headers: r.headers}); err != nil {
			t.Fatal(err)
		}
		now := time.Unix(r.clock, 0)
		if r.clock == 0 {
			// A raw record before any timed one: no clock was set; one after
			// every case's data keeps it from being ahead (future_event_time).
			now = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		opts := stream.Options{Log: l, Drain: true, Interval: 50 * time.Millisecond, Now: func() time.Time { return now }}
		if err := stream.Run(ctx, opts, build()); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][]rlog.Record{}
	for _, topic := range job.OutputTopics() {
		out[topic] = logtest.ReadAll(t, l, topic)
	}
	return out
}

// checkFactTime: every output's event time is its ts in milliseconds.
func checkFactTime(t *testing.T, r rlog.Record) {
	var v struct {
		TS int64 `json:"ts"`
	}
	json.Unmarshal(r.Value, &v)
	if r.Timestamp != v.TS*1000 {
		t.Errorf("record time %d, want ts*1000 = %d: %s", r.Timestamp, v.TS*1000, r.Value)
	}
}

func TestOrderDetailGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_order_detail.txt", OrderDetail)
}

func TestCartAddGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_cart_add.txt", CartAdd)
}

func TestCommentInfoGolden(t *testing.T) {
	runFactGolden(t, "testdata/interaction_comment_info.txt", CommentInfo)
}

func TestOrderCancelGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_order_cancel.txt", OrderCancel)
}

func TestPaymentSuccessGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_order_payment_success.txt", PaymentSuccess)
}

func TestOrderRefundGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_order_refund.txt", OrderRefund)
}

func TestRefundPaymentSuccessGolden(t *testing.T) {
	runFactGolden(t, "testdata/trade_refund_payment_success.txt", RefundPaymentSuccess)
}
