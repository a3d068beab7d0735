package exec_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/stream"
)

var rankSchema = row.MustParseSchema("p STRING, v BIGINT, id BIGINT")

// rankInput is a random changelog over (p, v, id): inserts and, unless
// appendOnly, deletes and updates of rows that exist. v (the sort key,
// sometimes NULL) and id take few values, so ties and identical rows are
// common. It returns the steps and the surviving rows with their arrival
// numbers.
func rankInput(rng *rand.Rand, n int, appendOnly bool) ([]step, []arrived) {
	var steps []step
	var live []arrived
	parts := []string{"x", "y", "z"}
	newRow := func() []row.Value {
		v := row.Null()
		if rng.IntN(6) != 0 {
			v = row.BigInt(int64(rng.IntN(8)))
		}
		return []row.Value{row.String(parts[rng.IntN(len(parts))]), v, row.BigInt(int64(rng.IntN(4)))}
	}
	for i := range n {
		ts := int64(i)
		switch op := rng.IntN(20); {
		case appendOnly || op < 11 || len(live) == 0:
			r := newRow()
			live = append(live, arrived{r, i})
			steps = append(steps, rowRec([]int{0}, row.Insert, ts, r...))
		case op < 17:
			j := rng.IntN(len(live))
			r := live[j].vals
			steps = append(steps, rowRec([]int{0}, row.Delete, ts, r...))
			live = retractEarliest(live, r)
		default: // an update of one row within its partition
			j := rng.IntN(len(live))
			old := live[j].vals
			r := newRow()
			r[0] = old[0]
			steps = append(steps, rowRec([]int{0}, row.UpdateBefore, ts, old...), rowRec([]int{0}, row.UpdateAfter, ts, r...))
			live = append(retractEarliest(live, old), arrived{r, i})
		}
	}
	return steps, live
}

// arrived is a surviving row and its arrival number.
type arrived struct {
	vals []row.Value
	seq  int
}

// retractEarliest removes the earliest row equal to r (the one Top-N
// takes out: identical rows are interchangeable, so this is the model).
func retractEarliest(live []arrived, r []row.Value) []arrived {
	for j, a := range live {
		if valuesEq(a.vals, r) {
			return slices.Delete(slices.Clone(live), j, j+1)
		}
	}
	panic("retracting a row that does not exist")
}

// expectedTop sorts each partition's surviving rows by the ORDER BY
// (then arrival) and cuts them at limit.
func expectedTop(live []arrived, order []exec.SortKey, limit int) map[string][][]row.Value {
	by := map[string][]arrived{}
	for _, a := range live {
		by[a.vals[0].Str()] = append(by[a.vals[0].Str()], a)
	}
	out := map[string][][]row.Value{}
	for p, rows := range by {
		slices.SortStableFunc(rows, func(a, b arrived) int {
			for _, k := range order {
				x, y := a.vals[k.Col], b.vals[k.Col]
				var c int
				switch {
				case x.IsNull() && y.IsNull():
				case x.IsNull() || y.IsNull():
					c = -1 // x is the NULL: first unless NULLS LAST
					if y.IsNull() {
						c = 1
					}
					if k.NullsLast {
						c = -c
					}
				default:
					c = row.Compare(x, y)
					if k.Desc {
						c = -c
					}
				}
				if c != 0 {
					return c
				}
			}
			return a.seq - b.seq
		})
		for i := 0; i < len(rows) && i < limit; i++ {
			out[p] = append(out[p], rows[i].vals)
		}
	}
	return out
}

func randomOrder(rng *rand.Rand) []exec.SortKey {
	order := []exec.SortKey{{Col: 1, Desc: rng.IntN(2) == 0, NullsLast: rng.IntN(2) == 0}}
	if rng.IntN(2) == 0 {
		order = append(order, exec.SortKey{Col: 2, Desc: rng.IntN(2) == 0})
	}
	return order
}

// The Top-N's output changelog, replayed into a table, is well-formed
// and ends equal to sorting each partition's surviving rows (ties by
// arrival) and cutting at the limit: with rank numbers (a table keyed by
// partition and rn), and without (a multiset of rows per partition, +I
// and -D only); over updating and insert-only inputs; with a tiny cache.
func TestRankDifferential(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 3))
		appendOnly := seed%3 == 0
		withRN := seed%2 == 0
		limit := 1 + rng.IntN(4)
		order := randomOrder(rng)
		steps, live := rankInput(rng, 250, appendOnly)
		spec := exec.RankSpec{PartitionKeys: []int{0}, Order: order, Limit: int64(limit), OutputRankNumber: withRN,
			InputAppendOnly: appendOnly, Schema: rankSchema, MaxCachedRows: 1 + rng.IntN(10)}
		out := runPlain(t, exec.Rank(spec), steps)
		want := expectedTop(live, order, limit)
		what := fmt.Sprintf("seed %d (limit %d, order %+v, rn %v, append-only %v)", seed, limit, order, withRN, appendOnly)
		if withRN {
			checkRankSlots(t, what, out, want)
		} else {
			checkRankSet(t, what, out, want)
		}
	}
}

func checkRankSlots(t *testing.T, what string, out []stream.Record, want map[string][][]row.Value) {
	t.Helper()
	tb := newTable(false)
	for i, r := range out {
		n := len(r.Row.Values)
		if err := tb.apply(fmt.Sprintf("%s#%s", r.Row.Values[0].Str(), r.Row.Values[n-1]), r.Row); err != nil {
			t.Fatalf("%s, output %d: %v", what, i, err)
		}
	}
	n := 0
	for p, rows := range want {
		for i, exp := range rows {
			n++
			got := tb.rows[fmt.Sprintf("%s#%d", p, i+1)]
			if len(got) == 0 || !valuesEq(got[:len(got)-1], exp) {
				t.Fatalf("%s: partition %s rank %d = %s, want %s", what, p, i+1, vals(got), vals(exp))
			}
		}
	}
	if len(tb.rows) != n {
		t.Fatalf("%s: %d ranked rows, want %d", what, len(tb.rows), n)
	}
}

func checkRankSet(t *testing.T, what string, out []stream.Record, want map[string][][]row.Value) {
	t.Helper()
	got := map[string][]string{}
	for i, r := range out {
		p, text := r.Row.Values[0].Str(), vals(r.Row.Values)
		switch r.Row.Kind {
		case row.Insert:
			got[p] = append(got[p], text)
		case row.Delete:
			j := slices.Index(got[p], text)
			if j < 0 {
				t.Fatalf("%s, output %d: -D %s not in the top-N %v", what, i, text, got[p])
			}
			got[p] = slices.Delete(got[p], j, j+1)
		default:
			t.Fatalf("%s, output %d: %s without rank numbers", what, i, r.Row.Kind)
		}
	}
	for p := range got {
		var exp []string
		for _, r := range want[p] {
			exp = append(exp, vals(r))
		}
		slices.Sort(exp)
		slices.Sort(got[p])
		if strings.Join(got[p], " ") != strings.Join(exp, " ") {
			t.Fatalf("%s: partition %s top-N %v, want %v", what, p, got[p], exp)
		}
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			t.Fatalf("%s: partition %s missing", what, p)
		}
	}
}

// Checkpoints, crashes and evictions at random points do not change the
// Top-N's committed output.
func TestRankRestore(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 5))
		appendOnly := seed%3 == 0
		order := randomOrder(rng)
		steps, _ := rankInput(rng, 200, appendOnly)
		spec := exec.RankSpec{PartitionKeys: []int{0}, Order: order, Limit: int64(1 + rng.IntN(4)),
			OutputRankNumber: seed%2 == 0, InputAppendOnly: appendOnly, Schema: rankSchema}
		want := runPlain(t, exec.Rank(spec), steps)
		spec.MaxCachedRows = 1 + rng.IntN(5)
		got := runCrashy(t, exec.Rank(spec), steps, rng, 0.1, 0.05, 5)
		sameOutput(t, want, got)
	}
}

// BenchmarkRank: a top 10 per partition (100 partitions) over an
// insert-only input of random sales.
func BenchmarkRank(b *testing.B) {
	schema := row.MustParseSchema("p BIGINT, v BIGINT")
	spec := exec.RankSpec{PartitionKeys: []int{0}, Order: []exec.SortKey{{Col: 1, Desc: true}}, Limit: 10,
		OutputRankNumber: true, InputAppendOnly: true, Schema: schema}
	h, op := opened(b, exec.Rank(spec))
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]stream.Record, 4096)
	for i := range recs {
		recs[i] = *rowRec([]int{0}, row.Insert, 0, row.BigInt(int64(i%100)), row.BigInt(rng.Int64N(1_000_000))).rec
	}
	var out countEmitter
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := op.Process(&recs[i%len(recs)], &out); err != nil {
			b.Fatal(err)
		}
		if i%100_000 == 99_999 {
			if err := h.Checkpoint(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
