package dwd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
)

var splitTopics = []string{TopicTrafficErr, TopicTrafficStart, TopicTrafficDisp, TopicTrafficAction, TopicTrafficPage}

// runBaseLog produces lines to topic_log keyed by common.mid (as
// `rtdw topic produce --key-field common.mid` does), drains dwd_base_log
// and returns every record of its output topics.
func runBaseLog(t *testing.T, lines [][]byte) map[string][]rlog.Record {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, TopicLog, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	var recs []rlog.Record
	for _, line := range lines {
		var key []byte
		var m struct {
			Common struct {
				Mid string `json:"mid"`
			} `json:"common"`
		}
		if json.Unmarshal(line, &m) == nil && m.Common.Mid != "" {
			key = []byte(m.Common.Mid)
		}
		recs = append(recs, rlog.Record{Topic: TopicLog, Partition: rlog.AutoPartition, Key: key, Value: line})
		if len(recs) == 5000 {
			if err := l.Produce(ctx, recs...); err != nil {
				t.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	opts := stream.Options{Log: l, Drain: true, Interval: 50 * time.Millisecond}
	if err := stream.Run(ctx, opts, BaseLog(BaseLogConfig{})); err != nil {
		t.Fatal(err)
	}
	out := map[string][]rlog.Record{}
	for _, topic := range append([]string{TopicDirty}, splitTopics...) {
		out[topic] = logtest.ReadAll(t, l, topic)
	}
	return out
}

type goldenCase struct {
	name   string
	in     [][]byte
	out    []string // "<topic> <key> <json>"
	lineNo int
}

func readGolden(t *testing.T, path string) []goldenCase {
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
		case strings.HasPrefix(line, "#") || (line == "" && section == ""):
		case strings.HasPrefix(line, "case "):
			cases = append(cases, goldenCase{name: line[5:], lineNo: n})
			cur, section = &cases[len(cases)-1], "case"
		case line == "in" || line == "out":
			section = line
		case line == "end":
			section = ""
		case section == "in":
			if h, ok := strings.CutPrefix(line, "hex:"); ok {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatalf("%s:%d: %v", path, n, err)
				}
				cur.in = append(cur.in, b)
				continue
			}
			cur.in = append(cur.in, []byte(line))
		case section == "out":
			cur.out = append(cur.out, line)
		default:
			t.Fatalf("%s:%d: unexpected line %q", path, n, line)
		}
	}
	return cases
}

// canon re-encodes JSON with sorted keys so equal values compare equal.
func canon(t *testing.T, b []byte) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("output is not JSON: %v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestBaseLogGolden(t *testing.T) {
	for _, c := range readGolden(t, "testdata/base_log.txt") {
		t.Run(c.name, func(t *testing.T) {
			got := runBaseLog(t, c.in)
			want := map[string][]string{}
			for _, o := range c.out {
				topic, rest, _ := strings.Cut(o, " ")
				key, val, _ := strings.Cut(rest, " ")
				if topic == TopicDirty {
					if h, ok := strings.CutPrefix(val, "hex:"); ok {
						b, _ := hex.DecodeString(h)
						val = string(b)
					}
					want[topic] = append(want[topic], key+" "+val) // key is the reason code
					continue
				}
				want[topic] = append(want[topic], key+" "+canon(t, []byte(val)))
			}
			for _, topic := range append([]string{TopicDirty}, splitTopics...) {
				var g []string
				for _, r := range got[topic] {
					if topic == TopicDirty {
						code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
						g = append(g, code+" "+string(r.Value))
						continue
					}
					g = append(g, string(r.Key)+" "+canon(t, r.Value))
					checkTime(t, topic, r)
				}
				sort.Strings(g)
				w := want[topic]
				sort.Strings(w)
				if !reflect.DeepEqual(g, w) {
					t.Errorf("testdata/base_log.txt:%d %s:\n got: %s\nwant: %s", c.lineNo, topic, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
				}
			}
		})
	}
}

// checkTime: every output's event time is its ts (an action's own ts if it has one).
func checkTime(t *testing.T, topic string, r rlog.Record) {
	var v struct {
		TS     int64 `json:"ts"`
		Action struct {
			TS int64 `json:"ts"`
		} `json:"action"`
	}
	json.Unmarshal(r.Value, &v)
	want := v.TS
	if topic == TopicTrafficAction && v.Action.TS != 0 {
		want = v.Action.TS
	}
	if want != 0 && r.Timestamp != want {
		t.Errorf("%s record time %d, want %d: %s", topic, r.Timestamp, want, r.Value)
	}
}

func TestBaseLogDeadLetterDetails(t *testing.T) {
	huge := fmt.Appendf(nil, `{"common":{"mid":"mid_1","is_new":"1"},"page":{"page_id":"home","x":"%s"},"ts":1795222800000}`, strings.Repeat("a", MaxLogLine))
	got := runBaseLog(t, [][]byte{huge, []byte("nope")})
	dl := got[TopicDirty]
	if len(dl) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dl))
	}
	sort.Slice(dl, func(i, j int) bool { return len(dl[i].Value) > len(dl[j].Value) })
	if r := string(dl[0].Header(stream.HeaderReason)); !strings.HasPrefix(r, "too_large: ") || len(dl[0].Value) != len(huge) {
		t.Fatalf("huge line: reason %q, %d bytes kept", r, len(dl[0].Value))
	}
	if j := string(dl[1].Header(stream.HeaderJob)); j != "dwd_base_log/etl" {
		t.Fatalf("job header %q", j)
	}
	if s := string(dl[1].Header(stream.HeaderSource)); !strings.HasPrefix(s, "topic_log/") || !strings.HasSuffix(s, "@0") {
		t.Fatalf("source header %q", s)
	}
}

// reference is an independent implementation of SPEC §3.1 with
// encoding/json maps, the model the job is checked against.
func reference(t *testing.T, lines [][]byte, loc *time.Location) map[string][]string {
	out := map[string][]string{}
	first := map[string]string{}
	put := func(topic, mid string, v any) {
		b, _ := json.Marshal(v)
		out[topic] = append(out[topic], mid+" "+canon(t, b))
	}
	for _, line := range lines {
		var rec map[string]any
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		if d.Decode(&rec) != nil {
			out[TopicDirty] = append(out[TopicDirty], string(line))
			continue
		}
		common := rec["common"].(map[string]any)
		mid := common["mid"].(string)
		tsNum, _ := rec["ts"].(json.Number).Int64()
		day := time.UnixMilli(tsNum).In(loc)
		today := day.Format(time.DateOnly)
		yesterday := day.AddDate(0, 0, -1).Format(time.DateOnly)
		switch f, ok := first[mid]; {
		case common["is_new"] == "1" && !ok:
			first[mid] = today
		case common["is_new"] == "1" && f != today:
			common["is_new"] = "0"
		case common["is_new"] == "0" && !ok:
			first[mid] = yesterday
		}
		if _, ok := rec["err"]; ok {
			put(TopicTrafficErr, mid, rec)
			delete(rec, "err")
		}
		if start, ok := rec["start"]; ok {
			put(TopicTrafficStart, mid, map[string]any{"common": common, "start": start, "ts": rec["ts"]})
			continue
		}
		page, ok := rec["page"]
		if !ok {
			continue
		}
		ds, _ := rec["displays"].([]any)
		for _, dsp := range ds {
			put(TopicTrafficDisp, mid, map[string]any{"common": common, "page": page, "display": dsp, "ts": rec["ts"]})
		}
		as, _ := rec["actions"].([]any)
		for _, a := range as {
			put(TopicTrafficAction, mid, map[string]any{"common": common, "page": page, "action": a})
		}
		put(TopicTrafficPage, mid, map[string]any{"common": common, "page": page, "ts": rec["ts"]})
	}
	return out
}

// The job on 30,000 simulated logs (with 3% err, is_new resets, a few
// corrupt lines) equals the reference implementation, topic by topic.
func TestBaseLogMatchesReferenceOnSimulatedLogs(t *testing.T) {
	gen, err := mock.NewLogGenerator(mock.LogConfig{Seed: 7, Devices: 300})
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for i := range 30000 {
		if i%5000 == 4999 {
			lines = append(lines, []byte(`{"common":`)) // truncated line
			continue
		}
		lines = append(lines, gen.Next(nil))
	}
	got := runBaseLog(t, lines)
	want := reference(t, lines, ShanghaiLocation())
	for _, topic := range append([]string{TopicDirty}, splitTopics...) {
		var g []string
		for _, r := range got[topic] {
			if topic == TopicDirty {
				g = append(g, string(r.Value))
				continue
			}
			g = append(g, string(r.Key)+" "+canon(t, r.Value))
		}
		w := want[topic]
		sort.Strings(g)
		sort.Strings(w)
		if len(g) != len(w) {
			t.Fatalf("%s: %d records, reference has %d", topic, len(g), len(w))
		}
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("%s: record differs from reference:\n got: %s\nwant: %s", topic, g[i], w[i])
			}
		}
		if len(w) == 0 && topic != TopicDirty {
			t.Fatalf("%s: the simulated input produced nothing; the comparison is empty", topic)
		}
	}
}
