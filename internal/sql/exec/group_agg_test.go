package exec_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// aggInput is a random changelog over (k STRING, v BIGINT): inserts,
// deletes of rows that exist, and updates (-U of an existing row, +U of
// a new one), over a few keys, v sometimes NULL; with watermarks when
// wms. It returns the steps and the rows that survive.
func aggInput(rng *rand.Rand, n int, wms bool) ([]step, [][]row.Value) {
	var steps []step
	var live [][]row.Value
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	val := func() row.Value {
		if rng.IntN(8) == 0 {
			return row.Null()
		}
		return row.BigInt(int64(rng.IntN(11) - 5))
	}
	var wm int64
	for i := range n {
		ts := int64(i)
		if wms && rng.IntN(10) == 0 {
			wm += int64(rng.IntN(4000))
			steps = append(steps, step{wm: wm})
		}
		// About as many deletes as inserts, so groups empty out and
		// come back.
		switch op := rng.IntN(20); {
		case op < 9 || len(live) == 0:
			r := []row.Value{row.String(keys[rng.IntN(len(keys))]), val()}
			live = append(live, r)
			steps = append(steps, rowRec([]int{0}, row.Insert, ts, r...))
		case op < 17:
			j := rng.IntN(len(live))
			r := live[j]
			live = append(live[:j], live[j+1:]...)
			steps = append(steps, rowRec([]int{0}, row.Delete, ts, r...))
		default: // an update of one row (its key may change)
			j := rng.IntN(len(live))
			old := live[j]
			r := []row.Value{row.String(keys[rng.IntN(len(keys))]), val()}
			live[j] = r
			steps = append(steps, rowRec([]int{0}, row.UpdateBefore, ts, old...), rowRec([]int{0}, row.UpdateAfter, ts, r...))
		}
	}
	return steps, live
}

var aggCalls = []exec.AggCall{
	{Fn: testSum, Args: []int{1}, Filter: -1},
	{Fn: testCount, Filter: -1},
	{Fn: testCount, Args: []int{1}, Filter: -1},
}

// The output changelog of a GROUP BY k with SUM(v), COUNT(*), COUNT(v)
// over random inserts, deletes and updates, replayed into a table, is
// well-formed (every -U/-D retracts what the table holds) and ends equal
// to the aggregate computed directly from the surviving rows; groups left
// without rows are gone. Retract and upsert output, any cache size.
func TestGroupAggDifferential(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		steps, live := aggInput(rng, 300, false)
		spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls, GenerateUpdateBefore: seed%2 == 0, MaxCachedGroups: 1 + rng.IntN(6)}
		out := runPlain(t, exec.GroupAgg(spec), steps)

		tb := newTable(!spec.GenerateUpdateBefore)
		for i, r := range out {
			if err := tb.apply(r.Row.Values[0].Str(), r.Row); err != nil {
				t.Fatalf("seed %d, output %d: %v", seed, i, err)
			}
		}
		type agg struct {
			sum, n, nv int64
		}
		want := map[string]*agg{}
		for _, r := range live {
			a := want[r[0].Str()]
			if a == nil {
				a = &agg{}
				want[r[0].Str()] = a
			}
			a.n++
			if !r[1].IsNull() {
				a.sum += r[1].Int64()
				a.nv++
			}
		}
		if len(tb.rows) != len(want) {
			t.Fatalf("seed %d: %d groups, want %d", seed, len(tb.rows), len(want))
		}
		for k, a := range want {
			sum := row.Null()
			if a.nv > 0 {
				sum = row.BigInt(a.sum)
			}
			exp := []row.Value{row.String(k), sum, row.BigInt(a.n), row.BigInt(a.nv)}
			if got := tb.rows[k]; !valuesEq(got, exp) {
				t.Fatalf("seed %d: group %s = %s, want %s", seed, k, vals(got), vals(exp))
			}
		}
	}
}

// Checkpoints and crashes at random points (and evictions from a tiny
// cache) do not change the committed output: it equals the uninterrupted
// run's, record for record, with and without a state TTL.
func TestGroupAggRestore(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 11))
		ttl := time.Duration(0)
		if seed%2 == 1 {
			ttl = time.Duration(2000+rng.IntN(8000)) * time.Millisecond
		}
		steps, _ := aggInput(rng, 200, true)
		spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls, GenerateUpdateBefore: seed%3 != 0, StateTTL: ttl}
		want := runPlain(t, exec.GroupAgg(spec), steps)
		spec.MaxCachedGroups = 1 + rng.IntN(3)
		got := runCrashy(t, exec.GroupAgg(spec), steps, rng, 0.1, 0.05, 5)
		sameOutput(t, want, got)
	}
}

// Records without a row or too narrow for the spec are dead-lettered,
// and the group is not touched.
func TestGroupAggBadInput(t *testing.T) {
	spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls, GenerateUpdateBefore: true}
	h, err := stream.NewHarness(st.MemDB(t), "op", exec.GroupAgg(spec), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	short := row.NewRow(row.Insert, row.String("a"))
	for _, rec := range []stream.Record{{Key: []byte("a"), Value: []byte("x")}, {Key: []byte("a"), Row: &short}} {
		if err := h.Process(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range h.DeadLetters() {
		got = append(got, string(d.Header(stream.HeaderReason)))
	}
	want := []string{"untyped_record: group_agg needs a typed row", "bad_row: group_agg: row of 1 columns, want at least 2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dead letters %q, want %q", got, want)
	}
	if n := len(h.Output("out")); n != 0 {
		t.Fatalf("%d outputs", n)
	}
}

// State that is not what the operator wrote (an unknown version,
// truncated bytes, another number of calls) fails the task with an
// error, never a panic.
func TestGroupAggCorruptState(t *testing.T) {
	db := st.MemDB(t)
	spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls}
	h, err := stream.NewHarness(db, "op", exec.GroupAgg(spec), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	s := rowRec([]int{0}, row.Insert, 0, row.String("a"), row.BigInt(1))
	if err := h.Process(*s.rec); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	h.Close()
	// A state entry is an expiry varint (0: none) then the operator's
	// bytes: group state version 1, count, watermark, calls, accumulators.
	for _, payload := range [][]byte{{0, 9}, {0, 1, 2}, {0}, {0, 1, 2, 1, 1}, {0, 1, 2, 1, 3, 1, 2}} {
		it, err := db.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := db.NewBatch()
		n := 0
		for it.First(); it.Valid(); it.Next() {
			if bytes.Contains(it.Key(), []byte("groups")) {
				n++
				if err := b.Set(bytes.Clone(it.Key()), payload, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		it.Close()
		if err := b.Commit(pebble.NoSync); err != nil || n != 1 {
			t.Fatalf("%d group entries, %v", n, err)
		}
		h, err := stream.NewHarness(db, "op", exec.GroupAgg(spec), st.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		err = h.Process(*s.rec)
		h.Close()
		if err == nil {
			t.Fatalf("payload %v accepted", payload)
		}
		if _, bad := stream.AsBadInput(err); bad {
			t.Fatalf("payload %v: %v is a dead letter, want a task error", payload, err)
		}
	}
}

// countEmitter counts what an operator emits.
type countEmitter struct{ n int }

func (c *countEmitter) Emit(int, *stream.Record) { c.n++ }

// opened opens the operator f makes under a harness (its keyed state and
// clock) and returns the instance, for benchmarks that call Process
// directly, without the harness copying every output.
func opened(b *testing.B, f stream.Factory) (*stream.Harness, stream.Operator) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: st.Quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var op stream.Operator
	h, err := stream.NewHarness(db, "op", func() stream.Operator { op = f(); return op }, st.Epoch)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h, op
}

// BenchmarkGroupAgg: SUM and COUNT grouped by one of 1,000 keys (every
// record an update: -U and +U out), accumulators cached in memory and
// written to state at checkpoints, one every 100,000 records.
func BenchmarkGroupAgg(b *testing.B) {
	spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls[:2], GenerateUpdateBefore: true}
	h, op := opened(b, exec.GroupAgg(spec))
	const keys = 1000
	recs := make([]stream.Record, keys)
	for i := range recs {
		recs[i] = *rowRec([]int{0}, row.Insert, 0, row.String(fmt.Sprintf("key-%d", i)), row.BigInt(int64(i))).rec
	}
	var out countEmitter
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := op.Process(&recs[i%keys], &out); err != nil {
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
	if out.n < b.N {
		b.Fatalf("%d outputs for %d records", out.n, b.N)
	}
}

// BenchmarkGroupAggManyKeys: 200,000 groups for 16,384 cached ones, so
// most records read their group back from state (the store's cache and
// Pebble) and evictions write groups back: the cold end of the range.
func BenchmarkGroupAggManyKeys(b *testing.B) {
	spec := exec.GroupAggSpec{Keys: []int{0}, Calls: aggCalls[:2], GenerateUpdateBefore: true}
	h, op := opened(b, exec.GroupAgg(spec))
	const keys = 200_000
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]stream.Record, 1<<16)
	for i := range recs {
		recs[i] = *rowRec([]int{0}, row.Insert, 0, row.String(fmt.Sprintf("key-%d", rng.IntN(keys))), row.BigInt(int64(i))).rec
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
