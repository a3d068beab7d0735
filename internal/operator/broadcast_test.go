package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// tableRules routes "table:payload" records to "topic|payload" when a rule
// "table=topic" (a broadcast "table=topic" record; "table=" deletes) exists.
type tableRules map[string]string

func (r tableRules) Apply(rec *stream.Record, _ stream.Emitter) error {
	table, topic, ok := strings.Cut(string(rec.Value), "=")
	if !ok {
		return stream.BadInput("bad_rule", "%q", rec.Value)
	}
	if topic == "" {
		delete(r, table)
	} else {
		r[table] = topic
	}
	return nil
}

func (r tableRules) Route(rec *stream.Record, out stream.Emitter, final bool) (bool, error) {
	table, payload, ok := strings.Cut(string(rec.Value), ":")
	if !ok {
		return false, stream.BadInput("bad_record", "%q", rec.Value)
	}
	topic, ok := r[table]
	if !ok {
		return final, nil // final: not a routed table, dropped
	}
	o := rec.Derive(rec.Key, []byte(topic+"|"+payload), rec.Time)
	out.Emit(0, &o)
	return true, nil
}

func (r tableRules) Marshal() ([]byte, error) { return json.Marshal(map[string]string(r)) }
func (r tableRules) Unmarshal(b []byte) error { return json.Unmarshal(b, (*map[string]string)(&r)) }

func newTableRules() Rules { return tableRules{"dflt": "d"} }

func rule(v string) st.Step {
	return st.Step{Rec: &stream.Record{Key: []byte("rule"), Value: []byte(v),
		Headers: []rlog.Header{{Key: stream.HeaderBroadcast, Value: []byte("1")}}}}
}

func TestBroadcastHoldsUntilWatermark(t *testing.T) {
	steps := []st.Step{
		st.Rec("k1", "dflt:a", 100),  // default rule: routed at once
		st.Rec("k1", "x:b", 110),     // no rule for x yet: held
		st.Rec("k2", "nope:c", 120),  // never gets a rule: held, then dropped
		rule("x=X"),                  // the config row arrives after its data
		st.Rec("k1", "dflt:d", 130),  // k1 has a held record: held behind it
		st.Rec("k3", "x:e", 140),     // rule known: routed at once
		st.Rec("k9", "garbage", 150), // bad input: dead-lettered at once
		st.WM(115),                   // releases x:b and then dflt:d? no: d is 130
		st.WM(200),
		rule("x="),
		st.Rec("k3", "x:f", 300), // rule deleted: held until the end
		st.End(),
	}
	h := st.Run(t, Broadcast(newTableRules, 0), steps)
	got := values(h.Output("out"))
	want := "d|a X|e X|b d|d"
	if got != want {
		t.Fatalf("routed %q, want %q", got, want)
	}
	if dl := h.DeadLetters(); len(dl) != 1 || string(dl[0].Value) != "garbage" {
		t.Fatalf("dead letters %v", dl)
	}
	st.CheckRestore(t, Broadcast(newTableRules, 0), steps, 3, 3, 7)
}

func TestBroadcastRulesSurviveRestore(t *testing.T) {
	steps := []st.Step{rule("x=X"), st.CP(), st.Rec("k", "x:a", 10), st.CP()}
	st.CheckRestore(t, Broadcast(newTableRules, 0), steps, 1, 2, 3)
	h := st.Run(t, Broadcast(newTableRules, 0), steps)
	if got := values(h.Output("out")); got != "X|a" {
		t.Fatalf("got %q", got)
	}
}

// TestBroadcastJob runs the pattern on the real runner: the config row is
// in one partition, after the data in log order, and every task routes its
// records by it.
func TestBroadcastJob(t *testing.T) {
	ctx := context.Background()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(ctx, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	var recs []rlog.Record
	want := map[string]bool{}
	for i := range 40 {
		k := fmt.Sprintf("k%d", i)
		recs = append(recs, rlog.Record{Topic: "in", Partition: rlog.AutoPartition, Key: []byte(k),
			Value: fmt.Appendf(nil, "x:%d", i), Timestamp: int64(1000 + i)})
		want[fmt.Sprintf("X|%d", i)] = true
	}
	recs = append(recs, rlog.Record{Topic: "in", Partition: 0, Key: []byte("cfg"), Value: []byte("x=X"), Timestamp: 1040},
		rlog.Record{Topic: "in", Partition: 2, Key: []byte("late"), Value: []byte("y:never"), Timestamp: 5000})
	if err := l.Commit(ctx, &rlog.Txn{Records: recs}); err != nil {
		t.Fatal(err)
	}
	j := stream.NewJob("bcast")
	j.Source("in").
		Broadcast("config", func(r *stream.Record) bool { return strings.Contains(string(r.Value), "=") }).
		Process("route", Broadcast(func() Rules { return tableRules{} }, 0)).Main().
		To("out")
	if err := stream.Run(ctx, stream.Options{Log: l, Drain: true}, j); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for p := int32(0); p < 4; p++ {
		out, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "out", Partition: p}, 0, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if got[string(r.Value)] {
				t.Errorf("duplicate %s", r.Value)
			}
			got[string(r.Value)] = true
		}
	}
	var missing []string
	for v := range want {
		if !got[v] {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(got) != len(want) {
		t.Fatalf("missing %v; got %d records, want %d", missing, len(got), len(want))
	}
}

// A held record keeps its headers through state (a checkpoint and a
// restore in between): what the rules see at its release is what they
// would have seen at once (ods.NormalizeDeferring's records are told by a
// header).
func TestBroadcastHeldRecordKeepsItsHeaders(t *testing.T) {
	h, err := stream.NewHarness(st.MemDB(t), "bc", Broadcast(newTableRules, time.Hour), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hs := []rlog.Header{{Key: "rtdw.table", Value: []byte("x")}, {Key: "trace", Value: []byte("t1")}}
	for _, step := range []func() error{
		func() error {
			return h.Process(stream.Record{Key: []byte("k"), Value: []byte("x:a"), Time: 10, Headers: hs})
		},
		h.Checkpoint,
		h.Restore,
		func() error { return h.Process(*rule("x=X").Rec) },
		func() error { return h.Watermark(10) },
		h.Checkpoint,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	out := h.Output("out")
	if len(out) != 1 || string(out[0].Value) != "X|a" {
		t.Fatalf("released %v", values(out))
	}
	if got := fmt.Sprint(out[0].Headers); got != fmt.Sprint(hs) {
		t.Fatalf("released with headers %s, want %s", got, fmt.Sprint(hs))
	}
}
