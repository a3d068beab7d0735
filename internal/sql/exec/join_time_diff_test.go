package exec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// Differential tests of the time-based joins: random rows of both sides
// with disordered times and lagging watermarks; the output must equal a
// model computed directly from the definitions, and runs with random
// crashes must commit the uninterrupted run's output.

// joinTimedSchema: join key, row time, value.
var joinTimedSchema = row.MustParseSchema("k STRING, t TIMESTAMP(3), v BIGINT")

type joinTimedRow struct {
	side int
	kind row.RowKind
	vals []row.Value
	wm   int64 // > MinInt64: a watermark step instead
}

func (r joinTimedRow) t() int64 { return r.vals[1].Millis() }

// joinRandomTimed makes n rows over keys a, b (and a few NULL keys),
// times drifting forward with disorder, interleaved with watermarks that
// lag the largest time seen (so some rows are late), and ends with a
// watermark past everything.
func joinRandomTimed(rng *rand.Rand, n int, kinds func(side int) row.RowKind) []joinTimedRow {
	var out []joinTimedRow
	base, maxT, wm := int64(1000), int64(0), int64(math.MinInt64)
	keys := []row.Value{row.String("a"), row.String("b")}
	for range n {
		base += rng.Int64N(3)
		side := rng.IntN(2)
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(15) == 0 {
			k = row.Null()
		}
		t := base - rng.Int64N(25)
		out = append(out, joinTimedRow{side: side, kind: kinds(side), wm: math.MinInt64,
			vals: []row.Value{k, row.Timestamp(t, 0), row.BigInt(rng.Int64N(5))}})
		maxT = max(maxT, t)
		if rng.IntN(4) == 0 && maxT-rng.Int64N(20) > wm {
			wm = maxT - rng.Int64N(20)
			out = append(out, joinTimedRow{wm: wm})
		}
	}
	return append(out, joinTimedRow{wm: math.MaxInt64 / 2})
}

// joinTimedSteps turns rows into harness steps (keyed by key columns of
// the row, timed by column 1).
func joinTimedSteps(rows []joinTimedRow, key func(vals []row.Value) []byte) []joinStep {
	var steps []joinStep
	for _, r := range rows {
		if r.wm != math.MinInt64 {
			steps = append(steps, joinStep{wm: r.wm})
			continue
		}
		rr := row.NewRow(r.kind, slices.Clone(r.vals)...)
		steps = append(steps, joinStep{input: r.side, rec: &stream.Record{Key: key(r.vals), Time: r.t(), Row: &rr}})
	}
	return steps
}

func joinKeyCol0(vals []row.Value) []byte { return row.AppendKey(nil, vals[0]) }

func joinKeyEq(a, b row.Value) bool { return !a.IsNull() && !b.IsNull() && row.Compare(a, b) == 0 }

func joinPadded(side int, vals []row.Value) string {
	nulls := make([]row.Value, len(vals))
	if side == 0 {
		return joinValsText(append(slices.Clone(vals), nulls...))
	}
	return joinValsText(append(nulls, vals...))
}

// joinOutputSet materializes an insert-only output (any other kind fails).
func joinOutputSet(t *testing.T, recs []stream.Record) map[string]int {
	t.Helper()
	ms := map[string]int{}
	for _, r := range recs {
		if r.Row.Kind != row.Insert {
			t.Fatalf("%s in an insert-only output", r.Row)
		}
		ms[joinValsText(r.Row.Values)]++
	}
	return ms
}

func joinLateReasons(dead []string) (late int, other []string) {
	for _, d := range dead {
		if len(d) >= 4 && d[:4] == "late" {
			late++
		} else {
			other = append(other, d)
		}
	}
	return late, other
}

// TestIntervalJoinDifferential: every join type, random bounds, with and
// without a residual condition (left.v <= right.v).
func TestIntervalJoinDifferential(t *testing.T) {
	for _, jt := range []JoinType{InnerJoin, LeftJoin, RightJoin, FullJoin} {
		for seed := range uint64(25) {
			rng := rand.New(rand.NewPCG(seed, uint64(jt)+7))
			lower := rng.Int64N(41) - 20
			upper := lower + rng.Int64N(25)
			cond := seed%2 == 1
			rows := joinRandomTimed(rng, 150, func(int) row.RowKind { return row.Insert })
			spec := IntervalJoinSpec{Type: jt, LeftSchema: joinTimedSchema, RightSchema: joinTimedSchema,
				LeftTimeCol: 1, RightTimeCol: 1, Lower: time.Duration(lower) * time.Millisecond,
				Upper: time.Duration(upper) * time.Millisecond, LeftKeys: []int{0}, RightKeys: []int{0}, MaxCachedRows: 9}
			if cond {
				spec.Cond = func(r *row.Row) (bool, error) { return row.Compare(r.Values[2], r.Values[5]) <= 0, nil }
			}
			// The model: rows on time (t >= the watermark when they
			// arrive) join every row on time of the other side in range.
			var on [2][][]row.Value
			wm, late := int64(math.MinInt64), 0
			for _, r := range rows {
				if r.wm != math.MinInt64 {
					wm = max(wm, r.wm)
					continue
				}
				if wm != math.MinInt64 && r.t() < wm {
					late++
					continue
				}
				on[r.side] = append(on[r.side], r.vals)
			}
			want := map[string]int{}
			hit := [2][]bool{make([]bool, len(on[0])), make([]bool, len(on[1]))}
			for li, l := range on[0] {
				for ri, r := range on[1] {
					d := r[1].Millis() - l[1].Millis()
					if joinKeyEq(l[0], r[0]) && d >= lower && d <= upper && (!cond || row.Compare(l[2], r[2]) <= 0) {
						want[joinValsText(append(slices.Clone(l), r...))]++
						hit[0][li], hit[1][ri] = true, true
					}
				}
			}
			for s := range 2 {
				if jt.outer(s) {
					for i, v := range on[s] {
						if !hit[s][i] {
							want[joinPadded(s, v)]++
						}
					}
				}
			}
			steps := joinTimedSteps(rows, joinKeyCol0)
			f := IntervalJoin(spec)
			out, dead := joinRunCrashy(t, f, steps, nil, 0, 0)
			gotLate, other := joinLateReasons(dead)
			if len(other) > 0 || gotLate != late {
				t.Fatalf("%s seed %d: late %d (want %d), other dead letters %v", jt, seed, gotLate, late, other)
			}
			if a, b := joinMultisetText(want), joinMultisetText(joinOutputSet(t, out)); a != b {
				t.Fatalf("%s seed %d [%d, %d]: output\n%s\nwant\n%s", jt, seed, lower, upper, b, a)
			}
			crashy, _ := joinRunCrashy(t, f, steps, rng, 0.2, 0.05)
			joinSameOutput(t, out, crashy)
		}
	}
}

// TestTemporalJoinDifferential: a versioned table's changelog (+I/+U/-D,
// and -U rows that carry nothing) and probe rows; each probe row on time
// is joined, when the watermark reaches it, with the latest version at or
// before its time among the versions received until then (the last
// received among equal times).
func TestTemporalJoinDifferential(t *testing.T) {
	for _, jt := range []JoinType{InnerJoin, LeftJoin} {
		for seed := range uint64(25) {
			rng := rand.New(rand.NewPCG(seed, uint64(jt)+31))
			cond := seed%2 == 1
			rightKinds := []row.RowKind{row.Insert, row.UpdateAfter, row.UpdateAfter, row.Delete, row.UpdateBefore}
			rows := joinRandomTimed(rng, 150, func(side int) row.RowKind {
				if side == 0 {
					return row.Insert
				}
				return rightKinds[rng.IntN(len(rightKinds))]
			})
			spec := TemporalJoinSpec{Type: jt, LeftSchema: joinTimedSchema, RightSchema: joinTimedSchema, LeftTimeCol: 1, RightTimeCol: 1, MaxCachedRows: 5}
			if cond {
				spec.Cond = func(r *row.Row) (bool, error) { return row.Compare(r.Values[2], r.Values[5]) <= 0, nil }
			}
			type version struct {
				vals []row.Value
				del  bool
			}
			var versions []version // in arrival order
			var pending [][]row.Value
			want := map[string]int{}
			late := 0
			release := func(l []row.Value) {
				var best *version
				for i := range versions {
					v := &versions[i]
					if row.Compare(v.vals[0], l[0]) != 0 || v.vals[0].IsNull() != l[0].IsNull() || v.vals[1].Millis() > l[1].Millis() {
						continue
					}
					if best == nil || v.vals[1].Millis() >= best.vals[1].Millis() {
						best = v
					}
				}
				if best != nil && !best.del && (!cond || row.Compare(l[2], best.vals[2]) <= 0) {
					want[joinValsText(append(slices.Clone(l), best.vals...))]++
				} else if jt == LeftJoin {
					want[joinPadded(0, l)]++
				}
			}
			wm := int64(math.MinInt64)
			for _, r := range rows {
				switch {
				case r.wm != math.MinInt64:
					wm = max(wm, r.wm)
					pending = slices.DeleteFunc(pending, func(l []row.Value) bool {
						if l[1].Millis() <= wm {
							release(l)
							return true
						}
						return false
					})
				case r.side == 1:
					if r.kind != row.UpdateBefore {
						versions = append(versions, version{vals: r.vals, del: r.kind == row.Delete})
					}
				case wm != math.MinInt64 && r.t() < wm:
					late++
				case r.t() <= wm:
					release(r.vals)
				default:
					pending = append(pending, r.vals)
				}
			}
			steps := joinTimedSteps(rows, joinKeyCol0)
			f := TemporalJoin(spec)
			out, dead := joinRunCrashy(t, f, steps, nil, 0, 0)
			gotLate, other := joinLateReasons(dead)
			if len(other) > 0 || gotLate != late {
				t.Fatalf("%s seed %d: late %d (want %d), other dead letters %v", jt, seed, gotLate, late, other)
			}
			if a, b := joinMultisetText(want), joinMultisetText(joinOutputSet(t, out)); a != b {
				t.Fatalf("%s seed %d: output\n%s\nwant\n%s", jt, seed, b, a)
			}
			crashy, _ := joinRunCrashy(t, f, steps, rng, 0.2, 0.05)
			joinSameOutput(t, out, crashy)
		}
	}
}

// TestWindowJoinDifferential: tumbling windows of 10 ms (window_end in
// column 1 of the inputs, derived from a row time), keyed by key and
// window; each window's rows on time are joined with a nested loop.
func TestWindowJoinDifferential(t *testing.T) {
	for _, jt := range []JoinType{InnerJoin, LeftJoin, RightJoin, FullJoin} {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, uint64(jt)+57))
			cond := seed%2 == 1
			rows := joinRandomTimed(rng, 150, func(int) row.RowKind { return row.Insert })
			for i := range rows { // column 1 becomes the window end
				if rows[i].wm == math.MinInt64 {
					rows[i].vals[1] = row.Timestamp((rows[i].t()/10+1)*10, 0)
				}
			}
			spec := WindowJoinSpec{Type: jt, LeftSchema: joinTimedSchema, RightSchema: joinTimedSchema,
				LeftWindowEnd: 1, RightWindowEnd: 1, LeftKeys: []int{0}, RightKeys: []int{0}, MaxCachedRows: 5}
			if cond {
				spec.Cond = func(r *row.Row) (bool, error) { return row.Compare(r.Values[2], r.Values[5]) <= 0, nil }
			}
			type group struct {
				k   string
				end int64
			}
			wins := map[group]*[2][][]row.Value{}
			var order []group
			wm, late := int64(math.MinInt64), 0
			for _, r := range rows {
				if r.wm != math.MinInt64 {
					wm = max(wm, r.wm)
					continue
				}
				end := r.t()
				if wm != math.MinInt64 && end-1 <= wm {
					late++
					continue
				}
				g := group{r.vals[0].String(), end}
				if wins[g] == nil {
					wins[g] = &[2][][]row.Value{}
					order = append(order, g)
				}
				wins[g][r.side] = append(wins[g][r.side], r.vals)
			}
			want := map[string]int{}
			for _, g := range order {
				w := wins[g]
				joinModelInto(want, jt, cond, w[0], w[1])
			}
			steps := joinTimedSteps(rows, func(vals []row.Value) []byte { return row.AppendKey(nil, vals[0], vals[1]) })
			f := WindowJoin(spec)
			out, dead := joinRunCrashy(t, f, steps, nil, 0, 0)
			gotLate, other := joinLateReasons(dead)
			if len(other) > 0 || gotLate != late {
				t.Fatalf("%s seed %d: late %d (want %d), other dead letters %v", jt, seed, gotLate, late, other)
			}
			if a, b := joinMultisetText(want), joinMultisetText(joinOutputSet(t, out)); a != b {
				t.Fatalf("%s seed %d: output\n%s\nwant\n%s", jt, seed, b, a)
			}
			crashy, _ := joinRunCrashy(t, f, steps, rng, 0.2, 0.05)
			joinSameOutput(t, out, crashy)
		}
	}
}

// joinModelInto adds the nested-loop join of one window's rows (key
// column 0, NULL never equal; cond left.v <= right.v).
func joinModelInto(want map[string]int, jt JoinType, cond bool, left, right [][]row.Value) {
	hit := make([]bool, len(right))
	for _, l := range left {
		any := false
		for ri, r := range right {
			if joinKeyEq(l[0], r[0]) && (!cond || row.Compare(l[2], r[2]) <= 0) {
				want[joinValsText(append(slices.Clone(l), r...))]++
				any, hit[ri] = true, true
			}
		}
		if !any && jt.outer(0) {
			want[joinPadded(0, l)]++
		}
	}
	if jt.outer(1) {
		for ri, r := range right {
			if !hit[ri] {
				want[joinPadded(1, r)]++
			}
		}
	}
}
