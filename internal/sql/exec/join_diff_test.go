package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Differential and crash tests of the join operators: random inputs on
// both sides, the operator's output compared with a model computed
// independently (a nested-loop join of the rows alive), and runs with
// random checkpoints and crashes compared with the uninterrupted run.

// joinStep is one input of a two-input test: a record for an input, a
// watermark, a clock move, or a checkpoint.
type joinStep struct {
	input int
	rec   *stream.Record
	wm    int64
	clock time.Time
	cp    bool
}

func joinFeed(h *stream.Harness, s joinStep) error {
	switch {
	case s.rec != nil:
		return h.ProcessInput(s.input, *s.rec)
	case s.cp:
		return h.Checkpoint()
	case !s.clock.IsZero():
		return h.SetTime(s.clock)
	default:
		return h.Watermark(s.wm)
	}
}

// joinRunCrashy feeds steps, checkpointing after a step with probability
// pCP and crashing (restore, then replay from the last checkpoint, as a
// restarted task re-reads its input) with probability pCrash; pCP 0 and
// pCrash 0 is the uninterrupted run. It returns the committed output and
// dead-letter reasons.
func joinRunCrashy(t testing.TB, f stream.Factory, steps []joinStep, rng *rand.Rand, pCP, pCrash float64) ([]stream.Record, []string) {
	t.Helper()
	h, err := stream.NewHarness(streamtest.MemDB(t), "op", f, streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	last, crashes := 0, 0
	for i := 0; i < len(steps); i++ {
		if crashes < 20 && rng != nil && rng.Float64() < pCrash {
			crashes++
			if err := h.Restore(); err != nil {
				t.Fatalf("restore at %d: %v", i, err)
			}
			i = last - 1
			continue
		}
		if err := joinFeed(h, steps[i]); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if steps[i].cp || rng != nil && rng.Float64() < pCP {
			if !steps[i].cp {
				if err := h.Checkpoint(); err != nil {
					t.Fatal(err)
				}
			}
			last = i + 1
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	var dead []string
	for _, d := range h.DeadLetters() {
		dead = append(dead, string(d.Header(stream.HeaderReason)))
	}
	return h.Output("out"), dead
}

func joinRecText(r stream.Record) string { return fmt.Sprintf("%x %s @%d", r.Key, r.Row, r.Time) }

func joinSameOutput(t testing.TB, want, got []stream.Record) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if a, b := joinRecText(want[i]), joinRecText(got[i]); a != b {
			t.Fatalf("record %d: %s, uninterrupted run: %s", i, b, a)
		}
	}
	if len(want) != len(got) {
		t.Fatalf("%d records, uninterrupted run %d", len(got), len(want))
	}
}

// joinMaterialize applies a changelog to a multiset of rows (+I/+U add
// one, -U/-D remove one equal row, which must be there).
func joinMaterialize(ms map[string]int, recs []stream.Record) error {
	for _, r := range recs {
		k := joinValsText(r.Row.Values)
		if r.Row.Kind.IsAccumulate() {
			ms[k]++
			continue
		}
		if ms[k] == 0 {
			return fmt.Errorf("%s of a row not in the output", r.Row)
		}
		if ms[k]--; ms[k] == 0 {
			delete(ms, k)
		}
	}
	return nil
}

func joinValsText(vals []row.Value) string {
	r := row.Row{Kind: row.Insert, Values: vals}
	return r.String()[2:]
}

// joinMultisetText lists a multiset sorted, one row per copy.
func joinMultisetText(ms map[string]int) string {
	var out []string
	for k, n := range ms {
		for range n {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// joinModel is the expected join of the rows alive: a nested loop over
// both sides (keys: column 0, NULL never equal; cond: left.v <= right.w,
// columns 2).
func joinModel(jt JoinType, cond bool, left, right [][]row.Value) map[string]int {
	match := func(l, r []row.Value) bool {
		if l[0].IsNull() || r[0].IsNull() || row.Compare(l[0], r[0]) != 0 {
			return false
		}
		return !cond || row.Compare(l[2], r[2]) <= 0
	}
	nulls := func(n int) []row.Value { return make([]row.Value, n) }
	out := map[string]int{}
	rightHit := make([]bool, len(right))
	for _, l := range left {
		hit := false
		for ri, r := range right {
			if match(l, r) {
				out[joinValsText(append(slices.Clone(l), r...))]++
				hit, rightHit[ri] = true, true
			}
		}
		if !hit && jt.outer(0) {
			out[joinValsText(append(slices.Clone(l), nulls(3)...))]++
		}
	}
	if jt.outer(1) {
		for ri, r := range right {
			if !rightHit[ri] {
				out[joinValsText(append(nulls(3), r...))]++
			}
		}
	}
	return out
}

var joinDiffSchema = row.MustParseSchema("k STRING, id BIGINT, v BIGINT")

// joinRandomChangelog makes a valid changelog of both sides, keeping the
// alive rows of each side in the model after every step (alive[i] is the
// model after steps[:i+1]). unique: column 1 (id) is each side's unique
// key, and updates come as -U/+U pairs or, keeping the join key, as a
// lone +U (an upsert); else rows are a multiset with many duplicates.
func joinRandomChangelog(rng *rand.Rand, n int, unique bool) (steps []joinStep, alive [][2][][]row.Value) {
	var live [2][][]row.Value
	keys := []row.Value{row.String("a"), row.String("b"), row.String("c"), row.Null()}
	randRow := func(id int64) []row.Value {
		k := keys[rng.IntN(3)]
		if rng.IntN(12) == 0 {
			k = row.Null()
		}
		return []row.Value{k, row.BigInt(id), row.BigInt(rng.Int64N(4))}
	}
	emit := func(side int, kind row.RowKind, vals []row.Value) {
		r := row.NewRow(kind, slices.Clone(vals)...)
		rec := &stream.Record{Key: row.AppendKey(nil, vals[0]), Row: &r, Time: int64(len(steps))}
		steps = append(steps, joinStep{input: side, rec: rec})
		alive = append(alive, [2][][]row.Value{slices.Clone(live[0]), slices.Clone(live[1])})
	}
	remove := func(side, i int) { live[side] = slices.Delete(live[side], i, i+1) }
	for range n {
		side := rng.IntN(2)
		if unique {
			id := rng.Int64N(6)
			i := slices.IndexFunc(live[side], func(r []row.Value) bool { return r[1].Int64() == id })
			if i < 0 {
				nr := randRow(id)
				live[side] = append(live[side], nr)
				emit(side, row.Insert, nr)
				continue
			}
			old := live[side][i]
			switch rng.IntN(5) {
			case 0, 1:
				remove(side, i)
				emit(side, row.Delete, old)
			case 2, 3:
				remove(side, i)
				emit(side, row.UpdateBefore, old)
				nr := randRow(id)
				live[side] = append(live[side], nr)
				emit(side, row.UpdateAfter, nr)
			default: // an upsert without -U, in the same join key
				nr := randRow(id)
				nr[0] = old[0]
				live[side][i] = nr
				emit(side, row.UpdateAfter, nr)
			}
			continue
		}
		if len(live[side]) == 0 || rng.IntN(5) < 3 {
			nr := randRow(0)
			live[side] = append(live[side], nr)
			emit(side, row.Insert, nr)
			continue
		}
		i := rng.IntN(len(live[side]))
		old := live[side][i]
		remove(side, i)
		if rng.IntN(2) == 0 {
			emit(side, row.Delete, old)
			continue
		}
		emit(side, row.UpdateBefore, old)
		nr := randRow(0)
		live[side] = append(live[side], nr)
		emit(side, row.UpdateAfter, nr)
	}
	return steps, alive
}

func joinDiffSpec(jt JoinType, unique, cond bool) JoinSpec {
	spec := JoinSpec{Type: jt, LeftSchema: joinDiffSchema, RightSchema: joinDiffSchema,
		LeftKeys: []int{0}, RightKeys: []int{0}, MaxCachedRows: 7, EagerRows: 2} // evictions and partial sides
	if unique {
		spec.LeftUniqueKey, spec.RightUniqueKey = []int{1}, []int{1}
	}
	if cond {
		spec.Cond = func(r *row.Row) (bool, error) { return row.Compare(r.Values[2], r.Values[5]) <= 0, nil }
	}
	return spec
}

// TestJoinDifferential: for every join type, with and without unique
// keys and a residual condition, random changelogs of both sides; at
// random checkpoints the materialized output changelog must equal the
// nested-loop join of the rows alive, and runs with random crashes must
// commit exactly the uninterrupted run's output.
func TestJoinDifferential(t *testing.T) {
	for _, jt := range []JoinType{InnerJoin, LeftJoin, RightJoin, FullJoin} {
		for _, unique := range []bool{false, true} {
			for _, cond := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/unique=%v/cond=%v", jt, unique, cond), func(t *testing.T) {
					for seed := range uint64(12) {
						rng := rand.New(rand.NewPCG(seed, uint64(jt)<<2|b2u(unique)<<1|b2u(cond)))
						steps, alive := joinRandomChangelog(rng, 120, unique)
						f := Join(joinDiffSpec(jt, unique, cond))
						joinCheckModel(t, f, steps, alive, jt, cond, rng)
						want, dead := joinRunCrashy(t, f, steps, nil, 0, 0)
						if len(dead) > 0 {
							t.Fatalf("seed %d: dead letters %v", seed, dead)
						}
						got, _ := joinRunCrashy(t, f, steps, rng, 0.2, 0.05)
						joinSameOutput(t, want, got)
					}
				})
			}
		}
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// joinCheckModel feeds steps, checkpointing at random, and compares the
// materialized committed output with the model at every checkpoint.
func joinCheckModel(t *testing.T, f stream.Factory, steps []joinStep, alive [][2][][]row.Value, jt JoinType, cond bool, rng *rand.Rand) {
	t.Helper()
	h, err := stream.NewHarness(streamtest.MemDB(t), "op", f, streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ms := map[string]int{}
	seen := 0
	for i, s := range steps {
		if err := joinFeed(h, s); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if i != len(steps)-1 && rng.IntN(4) != 0 {
			continue
		}
		if err := h.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		out := h.Output("out")
		if err := joinMaterialize(ms, out[seen:]); err != nil {
			t.Fatalf("after step %d (%s): %v", i, s.rec.Row, err)
		}
		seen = len(out)
		want := joinModel(jt, cond, alive[i][0], alive[i][1])
		if a, b := joinMultisetText(want), joinMultisetText(ms); a != b {
			t.Fatalf("after step %d (%s, input %d): output\n%s\nwant\n%s", i, s.rec.Row, s.input, b, a)
		}
	}
}

// TestJoinTTLCrash: with an event-time TTL (state expiring as the
// watermark moves) and a tiny cache, crashes and restores commit exactly
// the uninterrupted output.
func TestJoinTTLCrash(t *testing.T) {
	for _, jt := range []JoinType{InnerJoin, LeftJoin, FullJoin} {
		for seed := range uint64(8) {
			rng := rand.New(rand.NewPCG(seed, 99))
			steps, _ := joinRandomChangelog(rng, 150, seed%2 == 0)
			// Watermarks every few records; the TTL is a few watermarks.
			var timed []joinStep
			wm := int64(0)
			for _, s := range steps {
				timed = append(timed, s)
				if rng.IntN(4) == 0 {
					wm += rng.Int64N(5)
					timed = append(timed, joinStep{wm: wm})
				}
			}
			spec := joinDiffSpec(jt, seed%2 == 0, seed%3 == 0)
			spec.StateTTL, spec.EventTimeTTL = 12*time.Millisecond, true
			f := Join(spec)
			want, _ := joinRunCrashy(t, f, timed, nil, 0, 0)
			got, _ := joinRunCrashy(t, f, timed, rng, 0.2, 0.05)
			joinSameOutput(t, want, got)
		}
	}
}
