package exec_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// collector keeps what an operator emits (rows cloned, as receivers do).
type collector struct{ recs []stream.Record }

func (c *collector) Emit(_ int, r *stream.Record) {
	cp := *r
	if r.Row != nil {
		rr := r.Row.Clone()
		cp.Row = &rr
	}
	c.recs = append(c.recs, cp)
}

func open(t *testing.T, f stream.Factory) stream.Operator {
	t.Helper()
	var op stream.Operator
	h, err := stream.NewHarness(st.MemDB(t), "op", func() stream.Operator { op = f(); return op }, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return op
}

// A Calc keeps the record's key, time, headers and source position, and
// the row's kind; a filter-only Calc forwards the very record; errors are
// dead letters coded eval_error, emitting nothing.
func TestCalc(t *testing.T) {
	in := row.NewRow(row.UpdateBefore, row.BigInt(4), row.String("x"))
	rec := stream.Record{Key: []byte("k"), Time: 77, Headers: []rlog.Header{{Key: "h", Value: []byte("v")}}, Offset: 9, Row: &in}

	double := func(r *row.Row) (row.Value, error) { return row.BigInt(2 * r.Int64(0)), nil }
	col1 := func(r *row.Row) (row.Value, error) { return r.Values[1], nil }
	op := open(t, exec.Calc(exec.CalcSpec{Projections: []expr.Func{col1, double}}))
	var out collector
	for range 2 { // the output row is reused
		if err := op.Process(&rec, &out); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range out.recs {
		if string(o.Key) != "k" || o.Time != 77 || o.Offset != 9 || len(o.Headers) != 1 || len(o.Value) != 0 {
			t.Fatalf("record %+v", o)
		}
		if o.Row.String() != "-U[x, 8]" {
			t.Fatalf("row %s", o.Row)
		}
	}

	pass := open(t, exec.Calc(exec.CalcSpec{Filter: func(r *row.Row) (bool, error) { return r.Int64(0) > 3, nil }}))
	var got []*stream.Record
	if err := pass.Process(&rec, emitFunc(func(r *stream.Record) { got = append(got, r) })); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != &rec {
		t.Fatalf("filter-only calc emitted %v, want the input record itself", got)
	}

	boom := errors.New("boom")
	failing := open(t, exec.Calc(exec.CalcSpec{Projections: []expr.Func{double, func(*row.Row) (row.Value, error) { return row.Value{}, boom }}}))
	out = collector{}
	err := failing.Process(&rec, &out)
	if b, ok := stream.AsBadInput(err); !ok || b.Code != "eval_error" || len(out.recs) != 0 {
		t.Fatalf("error %v, %d outputs", err, len(out.recs))
	}
	err = failing.Process(&stream.Record{Value: []byte("{}")}, &out)
	if b, ok := stream.AsBadInput(err); !ok || b.Code != "untyped_record" {
		t.Fatalf("untyped record: %v", err)
	}
}

type emitFunc func(*stream.Record)

func (f emitFunc) Emit(_ int, r *stream.Record) { f(r) }

// A table function failing midway, or emitting a row of the wrong width,
// dead-letters the record without emitting any of its rows.
func TestCorrelateErrors(t *testing.T) {
	in := row.NewRow(row.Insert, row.BigInt(1))
	rec := stream.Record{Row: &in}
	cases := map[string]exec.CorrelateSpec{
		"fails midway": {Width: 1, Eval: func(r *row.Row, emit func(...row.Value)) error {
			emit(row.BigInt(1))
			return errors.New("no more")
		}},
		"wrong width": {Width: 2, Eval: func(r *row.Row, emit func(...row.Value)) error {
			emit(row.BigInt(1), row.BigInt(2))
			emit(row.BigInt(1))
			return nil
		}},
		"not an array": {Width: 1, Eval: exec.UnnestArray(0, false)},
	}
	for name, spec := range cases {
		op := open(t, exec.Correlate(spec))
		var out collector
		err := op.Process(&rec, &out)
		if b, ok := stream.AsBadInput(err); !ok || b.Code != "eval_error" || len(out.recs) != 0 {
			t.Fatalf("%s: %v, %d outputs", name, err, len(out.recs))
		}
	}
}

// Collect hands fn clones: the row stays intact after the input row is
// reused.
func TestCollect(t *testing.T) {
	var mu sync.Mutex
	var got []row.Row
	op := open(t, exec.Collect(func(r row.Row) { mu.Lock(); got = append(got, r); mu.Unlock() }))
	in := row.NewRow(row.Insert, row.String("a"))
	if err := op.Process(&stream.Record{Row: &in}, nil); err != nil {
		t.Fatal(err)
	}
	in.Kind, in.Values[0] = row.Delete, row.String("b")
	if err := op.Process(&stream.Record{Row: &in}, nil); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[+I[a] -D[b]]" {
		t.Fatalf("collected %v", got)
	}
	if _, ok := stream.AsBadInput(op.Process(&stream.Record{}, nil)); !ok {
		t.Fatal("an untyped record was accepted")
	}
}

// Dedup, every mode, over random rows with crashes and checkpoints: the
// committed output equals the uninterrupted run's.
func TestDedupRestore(t *testing.T) {
	sc := row.MustParseSchema("k STRING, ts BIGINT, v BIGINT")
	for seed := range uint64(24) {
		rng := rand.New(rand.NewPCG(seed, 9))
		spec := exec.DedupSpec{KeepLast: seed%2 == 0, TimeCol: -1, GenerateUpdateBefore: seed%3 == 0, Schema: sc}
		if seed%4 >= 2 {
			spec.TimeCol, spec.RowTime = 1, true
		}
		var steps []step
		for i := range 150 {
			kind := row.Insert
			if spec.KeepLast && !spec.RowTime && rng.IntN(8) == 0 {
				kind = row.Delete
			}
			steps = append(steps, rowRec([]int{0}, kind, int64(i),
				row.String(string(rune('a'+rng.IntN(6)))), row.BigInt(int64(rng.IntN(20))), row.BigInt(int64(rng.IntN(3)))))
		}
		want := runPlain(t, exec.Dedup(spec), steps)
		got := runCrashy(t, exec.Dedup(spec), steps, rng, 0.1, 0.05, 5)
		sameOutput(t, want, got)
	}
}

// A Top-N refuses rows of another width than its schema's, and fails the
// task (an error, not a dead letter, not a panic) on state it cannot read.
func TestRankBadRowsAndState(t *testing.T) {
	spec := exec.RankSpec{PartitionKeys: []int{0}, Order: []exec.SortKey{{Col: 1}}, Limit: 2, Schema: rankSchema}
	op := open(t, exec.Rank(spec))
	short := row.NewRow(row.Insert, row.String("p"), row.BigInt(1))
	err := op.Process(&stream.Record{Key: []byte("p"), Row: &short}, &collector{})
	if b, ok := stream.AsBadInput(err); !ok || b.Code != "bad_row" {
		t.Fatalf("short row: %v", err)
	}
	wrongType := row.NewRow(row.Insert, row.String("p"), row.String("not a number"), row.BigInt(1))
	err = op.Process(&stream.Record{Key: []byte("p"), Row: &wrongType}, &collector{})
	if b, ok := stream.AsBadInput(err); !ok || b.Code != "bad_row" {
		t.Fatalf("a STRING in a BIGINT column: %v", err)
	}
	if err := (exec.RankSpec{Order: spec.Order, Limit: 0, Schema: rankSchema}).Validate(); err == nil {
		t.Fatal("limit 0 accepted")
	}
	if err := (exec.RankSpec{Order: []exec.SortKey{{Col: 3}}, Limit: 1, Schema: rankSchema}).Validate(); err == nil {
		t.Fatal("order by column 3 of 3 accepted")
	}
}

// Dedup refuses retractions where Flink requires an insert-only input,
// and rows whose row time is NULL.
func TestDedupBadInput(t *testing.T) {
	sc := row.MustParseSchema("k STRING, ts BIGINT")
	del := row.NewRow(row.Delete, row.String("a"), row.BigInt(1))
	null := row.NewRow(row.Insert, row.String("a"), row.Null())
	for _, c := range []struct {
		spec exec.DedupSpec
		r    *row.Row
		code string
	}{
		{exec.DedupSpec{TimeCol: -1, Schema: sc}, &del, "unexpected_retraction"},
		{exec.DedupSpec{KeepLast: true, TimeCol: 1, RowTime: true, Schema: sc}, &del, "unexpected_retraction"},
		{exec.DedupSpec{TimeCol: 1, RowTime: true, Schema: sc}, &null, "null_rowtime"},
	} {
		op := open(t, exec.Dedup(c.spec))
		var out collector
		err := op.Process(&stream.Record{Key: []byte("a"), Row: c.r}, &out)
		if b, ok := stream.AsBadInput(err); !ok || b.Code != c.code || len(out.recs) != 0 {
			t.Fatalf("%+v: %v, want %s", c.spec, err, c.code)
		}
	}
}

// An Expand copies a row once per grouping set, in order: the set's keys
// kept, the others NULL, its values appended; the kind (a retraction
// leaves every set), key and time are the input's.
func TestExpand(t *testing.T) {
	spec := exec.ExpandSpec{Width: 3,
		Nulls:  [][]int{nil, {1}, {0, 1}},
		Append: [][]row.Value{{row.BigInt(0)}, {row.BigInt(1)}, {row.BigInt(2)}}}
	in := row.NewRow(row.UpdateBefore, row.String("a"), row.String("b"), row.BigInt(7))
	rec := stream.Record{Key: []byte("k"), Time: 77, Row: &in}
	var out collector
	if err := open(t, exec.Expand(spec)).Process(&rec, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{"-U[a, b, 7, 0]", "-U[a, NULL, 7, 1]", "-U[NULL, NULL, 7, 2]"}
	if len(out.recs) != len(want) {
		t.Fatalf("%d rows, want %d", len(out.recs), len(want))
	}
	for i, o := range out.recs {
		if got := o.Row.String(); got != want[i] || string(o.Key) != "k" || o.Time != 77 {
			t.Errorf("copy %d: %s key %q time %d, want %s key k time 77", i, got, o.Key, o.Time, want[i])
		}
	}
	if in.Values[1].IsNull() {
		t.Error("the input row was changed")
	}
	bad := spec
	bad.Nulls = [][]int{{3}, nil, nil}
	if bad.Validate() == nil {
		t.Error("a NULL column past the row's width validated")
	}
	bad = spec
	bad.Append = [][]row.Value{{row.BigInt(0)}, {}, {row.BigInt(2)}}
	if bad.Validate() == nil {
		t.Error("copies of different widths validated")
	}
}

// CurrentWatermark appends the operator's watermark: NULL before the
// first one, then a TIMESTAMP(3) (or TIMESTAMP_LTZ(3)) of it; the rest
// of the record is kept.
func TestCurrentWatermark(t *testing.T) {
	for _, ltz := range []bool{false, true} {
		h, err := stream.NewHarness(st.MemDB(t), "op", exec.CurrentWatermark(ltz), st.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		in := row.NewRow(row.UpdateAfter, row.BigInt(1))
		if err := h.Process(stream.Record{Key: []byte("k"), Time: 5, Row: &in}); err != nil {
			t.Fatal(err)
		}
		if err := h.Watermark(1_700_000_000_000); err != nil {
			t.Fatal(err)
		}
		if err := h.Process(stream.Record{Key: []byte("k"), Time: 6, Row: &in}); err != nil {
			t.Fatal(err)
		}
		if err := h.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		wm := "2023-11-14 22:13:20"
		if ltz {
			wm += "Z"
		}
		want := []string{"+U[1, NULL]", "+U[1, " + wm + "]"}
		out := h.Output("out")
		if len(out) != 2 {
			t.Fatalf("ltz %v: %d records, want 2", ltz, len(out))
		}
		for i, o := range out {
			if got := o.Row.String(); got != want[i] || string(o.Key) != "k" || o.Time != int64(5+i) {
				t.Errorf("ltz %v: record %d: %s key %q time %d, want %s", ltz, i, got, o.Key, o.Time, want[i])
			}
		}
		h.Close()
	}
}
