package exec

import (
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

func TestJoinSpecsValidate(t *testing.T) {
	kv := row.MustParseSchema("k STRING, v BIGINT")
	kt := row.MustParseSchema("k STRING, t TIMESTAMP(3)")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"ok", JoinSpec{Type: FullJoin, LeftSchema: kv, RightSchema: kv, LeftUniqueKey: []int{0}}.Validate(), ""},
		{"type", JoinSpec{Type: 9, LeftSchema: kv, RightSchema: kv}.Validate(), "join type"},
		{"schema", JoinSpec{LeftSchema: kv}.Validate(), "schema"},
		{"ttl", JoinSpec{LeftSchema: kv, RightSchema: kv, StateTTL: -time.Second}.Validate(), "TTL"},
		{"unique key", JoinSpec{LeftSchema: kv, RightSchema: kv, RightUniqueKey: []int{2}}.Validate(), "unique key"},
		{"keys", JoinSpec{LeftSchema: kv, RightSchema: kv, LeftKeys: []int{0}}.Validate(), "key columns"},
		{"nullsafe", JoinSpec{LeftSchema: kv, RightSchema: kv, LeftKeys: []int{0}, RightKeys: []int{0}, NullSafe: []bool{true, false}}.Validate(), "null-safe"},
		{"interval ok", IntervalJoinSpec{LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1, Upper: time.Second}.Validate(), ""},
		{"interval proctime", IntervalJoinSpec{LeftSchema: kv, RightSchema: kv, LeftTimeCol: -1, RightTimeCol: -1}.Validate(), ""},
		{"interval bounds", IntervalJoinSpec{LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1, Lower: time.Second}.Validate(), "lower bound"},
		{"interval mixed time", IntervalJoinSpec{LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: -1}.Validate(), "both rowtime"},
		{"interval time type", IntervalJoinSpec{LeftSchema: kv, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1}.Validate(), "not a TIMESTAMP"},
		{"temporal ok", TemporalJoinSpec{Type: LeftJoin, LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1}.Validate(), ""},
		{"temporal full", TemporalJoinSpec{Type: FullJoin, LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1}.Validate(), "INNER or LEFT"},
		{"temporal time", TemporalJoinSpec{LeftSchema: kt, RightSchema: kt, LeftTimeCol: -1, RightTimeCol: 1}.Validate(), "column -1"},
		{"window ok", WindowJoinSpec{Type: RightJoin, LeftSchema: kt, RightSchema: kt, LeftWindowEnd: 1, RightWindowEnd: 1}.Validate(), ""},
		{"window end", WindowJoinSpec{LeftSchema: kt, RightSchema: kt, LeftWindowEnd: 0, RightWindowEnd: 1}.Validate(), "not a TIMESTAMP"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: error %v, want one with %q", c.name, c.err, c.want)
		}
	}
}

// TestJoinBadInput: records no join can process are dead-lettered, never
// crash the task, and leave no trace in the output.
func TestJoinBadInput(t *testing.T) {
	kv := row.MustParseSchema("k STRING, v BIGINT")
	kt := row.MustParseSchema("k STRING, t TIMESTAMP(3)")
	ops := map[string]stream.Factory{
		"join":          Join(JoinSpec{Type: FullJoin, LeftSchema: kv, RightSchema: kt}),
		"interval_join": IntervalJoin(IntervalJoinSpec{Type: FullJoin, LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1}),
		"temporal_join": TemporalJoin(TemporalJoinSpec{Type: LeftJoin, LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1}),
		"window_join":   WindowJoin(WindowJoinSpec{Type: FullJoin, LeftSchema: kt, RightSchema: kt, LeftWindowEnd: 1, RightWindowEnd: 1}),
	}
	for name, f := range ops {
		h, err := stream.NewHarness(streamtest.MemDB(t), "op", f, streamtest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		narrow := row.NewRow(row.Insert, row.String("a"))
		wrongType := row.NewRow(row.Insert, row.BigInt(1), row.Timestamp(0, 0))
		nullTime := row.NewRow(row.Insert, row.String("a"), row.Null())
		badKind := row.NewRow(row.RowKind(42), row.String("a"), row.Timestamp(0, 0))
		for i, in := range []struct {
			input int
			rec   stream.Record
		}{
			{0, stream.Record{Key: []byte("a"), Value: []byte("{}")}}, // untyped
			{1, stream.Record{Key: []byte("a"), Row: &narrow}},
			{1, stream.Record{Key: []byte("a"), Row: &wrongType}},
			{1, stream.Record{Key: []byte("a"), Row: &nullTime}},
			{0, stream.Record{Key: []byte("a"), Row: &badKind}},
			{2, stream.Record{Key: []byte("a"), Row: &nullTime}},
		} {
			if name == "join" && i == 3 {
				continue // a regular join has no time attribute: NULL is a value
			}
			if err := h.ProcessInput(in.input, in.rec); err != nil {
				t.Fatalf("%s: record %d failed the task: %v", name, i, err)
			}
		}
		if err := h.Watermark(1 << 40); err != nil {
			t.Fatal(err)
		}
		if err := h.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if n := len(h.Output("out")); n != 0 {
			t.Errorf("%s: %d outputs of bad input: %s", name, n, h.Output("out")[0].Row)
		}
		want := 6
		if name == "join" {
			want = 5
		}
		if n := len(h.DeadLetters()); n != want {
			t.Errorf("%s: %d dead letters, want %d", name, n, want)
		}
		if err := h.Process(stream.Record{}); err == nil {
			t.Errorf("%s: Process on a two-input operator did not fail", name)
		}
		h.Close()
	}
}

// An event-time interval join holds the watermark after it back by the
// farthest its bounds let a match's times lie behind the arriving row's:
// right.t BETWEEN left.t + Lower AND left.t + Upper.
func TestIntervalJoinWatermarkHold(t *testing.T) {
	kt := row.MustParseSchema("k STRING, t TIMESTAMP(3)")
	for _, c := range []struct {
		lower, upper, want time.Duration
		proc               bool
	}{
		{-4 * time.Hour, 0, 4 * time.Hour, false},
		{0, 4 * time.Hour, 4 * time.Hour, false},
		{-time.Second, 3 * time.Second, 3 * time.Second, false},
		{time.Second, 3 * time.Second, 3 * time.Second, false},
		{-5 * time.Second, -2 * time.Second, 5 * time.Second, false},
		{-time.Hour, time.Hour, 0, true}, // processing time: no watermark
	} {
		spec := IntervalJoinSpec{Type: InnerJoin, LeftSchema: kt, RightSchema: kt, LeftTimeCol: 1, RightTimeCol: 1, Lower: c.lower, Upper: c.upper}
		if c.proc {
			spec.LeftTimeCol, spec.RightTimeCol = -1, -1
		}
		h, ok := IntervalJoin(spec)().(stream.WatermarkHolder)
		if !ok {
			t.Fatal("the interval join is no stream.WatermarkHolder")
		}
		if got := h.WatermarkHold(); got != c.want {
			t.Errorf("bounds [%s, %s] proc=%v: hold %s, want %s", c.lower, c.upper, c.proc, got, c.want)
		}
	}
}
