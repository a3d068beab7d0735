package operator_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

func win(k, v string, ts int64) stream.Record {
	return stream.Record{Key: []byte(k), Value: []byte(v), Time: ts}
}

// Allowed lateness (issue 16, case 1): a record for a fired window within
// the lateness updates the window, which is emitted again at once; past
// the lateness it goes to the late port; a bad one changes nothing.
func TestTumblingWindowAllowedLateness(t *testing.T) {
	f := operator.TumblingWindow(10*time.Millisecond, sum{}, operator.AllowedLateness(30*time.Millisecond))
	h := st.Run(t, f, []st.Step{
		st.Rec("a", "1", 3), st.Rec("b", "10", 5),
		st.WM(9),            // [0,10) fires for a and b: kept until the watermark reaches 9+30
		st.Rec("a", "2", 7), // late, within the lateness: a's window again, 3
		st.Rec("c", "5", 8), // late, a key without a window there: its own window, 5
		st.Rec("b", "x", 4), // bad input: dead-lettered, b's window unchanged
		st.Rec("b", "1", 4), // 11, not 11 plus anything from "x"
		st.WM(38),
		st.Rec("a", "4", 1), // 38 < 39: still within, 7
		st.CP(),
		st.WM(39),
		st.Rec("a", "100", 2), // 39: past the lateness, late
		st.Rec("c", "1", 9),   // also late
		st.Rec("a", "1", 45),
		st.WM(200),           // [40,50) fires past its lateness at once: nothing kept
		st.Rec("a", "1", 46), // late
	})
	st.Equal(t, "windows", []stream.Record{
		{Key: []byte("a"), Value: []byte("0-10:1"), Time: 9},
		{Key: []byte("b"), Value: []byte("0-10:10"), Time: 9},
		{Key: []byte("a"), Value: []byte("0-10:3"), Time: 9},
		{Key: []byte("c"), Value: []byte("0-10:5"), Time: 9},
		{Key: []byte("b"), Value: []byte("0-10:11"), Time: 9},
		{Key: []byte("a"), Value: []byte("0-10:7"), Time: 9},
		{Key: []byte("a"), Value: []byte("40-50:1"), Time: 49},
	}, h.Output(operator.PortWindows))
	st.Equal(t, "late", []stream.Record{
		{Key: []byte("a"), Value: []byte("100"), Time: 2},
		{Key: []byte("c"), Value: []byte("1"), Time: 9},
		{Key: []byte("a"), Value: []byte("1"), Time: 46},
	}, h.Output(operator.PortLate))
	if h.Late() != 3 || len(h.DeadLetters()) != 1 {
		t.Fatalf("late %d, dead letters %d", h.Late(), len(h.DeadLetters()))
	}
}

// An end of input emits open windows only: a fired window kept for its
// lateness was emitted as it is, by its firing or its last late firing,
// and a restarted run's end of input does not emit it again either.
func TestTumblingWindowLatenessAndEndOfInput(t *testing.T) {
	f := operator.TumblingWindow(10*time.Millisecond, sum{}, operator.AllowedLateness(time.Second))
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	step := func(what string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := h.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	rec := func(k, v string, ts int64) func() error {
		return func() error { return h.Process(win(k, v, ts)) }
	}
	wm := func(wm int64) func() error { return func() error { return h.Watermark(wm) } }
	step("a 1", rec("a", "1", 3))
	step("watermark", wm(9))  // fires 0-10:1
	step("end", h.EndOfInput) // nothing open
	step("a 1 late", rec("a", "1", 4))
	step("end", h.EndOfInput)
	step("restore", h.Restore)
	step("end", h.EndOfInput)
	step("a 5", rec("a", "5", 13))
	step("end, open window", h.EndOfInput) // 10-20:5, remembered as sent
	step("restore", h.Restore)
	step("watermark", wm(19)) // fires as sent: not again
	step("a 1 late", rec("a", "1", 15))
	step("end", h.EndOfInput)
	step("a 2 late", rec("a", "2", 2))
	st.Equal(t, "windows", []stream.Record{
		{Key: []byte("a"), Value: []byte("0-10:1"), Time: 9},
		{Key: []byte("a"), Value: []byte("0-10:2"), Time: 9},
		{Key: []byte("a"), Value: []byte("10-20:5"), Time: 19},
		{Key: []byte("a"), Value: []byte("10-20:6"), Time: 19},
		{Key: []byte("a"), Value: []byte("0-10:4"), Time: 9},
	}, h.Output(operator.PortWindows))
	if n := len(h.Output(operator.PortLate)); n != 0 {
		t.Fatalf("%d late records", n)
	}
}

// latenessSteps: records out of order by up to 200 ms against a watermark
// that follows the latest time closely, so many records come after their
// window fired, some within a 100 ms lateness and some past it; bad input,
// drained-run ends and (in the caller) checkpoints between.
func latenessSteps(seed uint64, n, keys int) []st.Step {
	rng := rand.New(rand.NewPCG(seed, 9))
	var steps []st.Step
	for i := range n {
		ts := int64(1000+i*3) - int64(rng.IntN(200))
		v := strconv.Itoa(rng.IntN(30))
		if rng.IntN(60) == 0 {
			v = "x"
		}
		steps = append(steps, st.Rec(fmt.Sprint("k", rng.IntN(keys)), v, ts))
		if i%10 == 9 {
			steps = append(steps, st.WM(int64(1000+i*3)-5))
		}
		if i%170 == 169 {
			steps = append(steps, st.End())
		}
	}
	return append(steps, st.End())
}

// Restores from checkpoints at random points give the uninterrupted run's
// output with lateness: windows, late firings, late records and dead
// letters, with the default memory bounds and bounds that evict at once.
func TestTumblingWindowLatenessRestore(t *testing.T) {
	var n int
	agg := distinctSum{encodes: &n}
	steps := latenessSteps(1, 700, 5)
	late := operator.AllowedLateness(100 * time.Millisecond)
	for name, f := range map[string]stream.Factory{
		"bytes":      operator.TumblingWindow(50*time.Millisecond, sum{}, late),
		"default":    operator.TumblingWindowOf(50*time.Millisecond, agg, late),
		"1 entry":    operator.TumblingWindowOf(50*time.Millisecond, agg, late, operator.WindowMemory(1, 1<<30)),
		"byte bound": operator.TumblingWindowOf(50*time.Millisecond, agg, operator.WindowMemory(1000, 100), late),
	} {
		t.Run(name, func(t *testing.T) {
			h := st.Run(t, f, steps)
			if len(h.Output(operator.PortLate)) < 20 {
				t.Fatalf("only %d late records: the case does not reach past the lateness", len(h.Output(operator.PortLate)))
			}
			for seed := range uint64(3) {
				st.CheckRestore(t, f, steps, 9+int(seed), 6, seed)
			}
		})
	}
}

// The last emission of every window is the sum of all its records that
// did not go to the late port (a sink upserting by window and key ends
// with the totals of its input), and with a lateness longer than any
// disorder no record is late at all.
func TestTumblingWindowLatenessTotals(t *testing.T) {
	for _, lateness := range []time.Duration{100 * time.Millisecond, time.Second} {
		steps := latenessSteps(2, 1500, 7)
		h := st.Run(t, operator.TumblingWindow(50*time.Millisecond, sum{}, operator.AllowedLateness(lateness)), steps)
		want := map[string]int{} // key/window start -> sum of the records that are not late
		windowOf := func(ts int64) int64 { return ts - ((ts%50)+50)%50 }
		for _, s := range steps {
			if s.Rec == nil {
				continue
			}
			v, err := strconv.Atoi(string(s.Rec.Value))
			if err != nil {
				continue // dead-lettered
			}
			want[fmt.Sprintf("%s/%d", s.Rec.Key, windowOf(s.Rec.Time))] += v
		}
		for _, r := range h.Output(operator.PortLate) {
			v, _ := strconv.Atoi(string(r.Value))
			want[fmt.Sprintf("%s/%d", r.Key, windowOf(r.Time))] -= v
		}
		got := map[string]int{}
		for _, r := range h.Output(operator.PortWindows) {
			span, total, _ := strings.Cut(string(r.Value), ":")
			start, _, _ := strings.Cut(span, "-")
			n, _ := strconv.Atoi(total)
			got[fmt.Sprintf("%s/%s", r.Key, start)] = n // upsert: the last one holds
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("lateness %s: window %s: last emitted %d, want %d", lateness, k, got[k], v)
			}
		}
		late := len(h.Output(operator.PortLate))
		switch {
		case lateness == time.Second && late != 0:
			t.Errorf("lateness 1s: %d late records", late)
		case lateness < time.Second && late == 0:
			t.Errorf("lateness %s: no late record: the case is too easy", lateness)
		}
	}
}

// countFired is how many entries the "fired" state of the harness's
// operator "op" holds for keys, as stored (expired or not).
func countFired(t *testing.T, db *pebble.DB, keys ...string) int {
	t.Helper()
	s := state.NewStore(db, time.Now)
	defer s.Close()
	n := 0
	m := s.Map(state.Scope{Job: "harness", Operator: "op"}, "fired")
	for _, k := range keys {
		if err := m.Range([]byte(k), func(_, _ []byte) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// A fired window's accumulator stays in state for the lateness only: past
// it, its records are late and a checkpoint's sweep deletes the entry
// (here run by hand: the harness does not sweep, a task does at every
// checkpoint).
func TestTumblingWindowLatenessStateExpires(t *testing.T) {
	db := st.MemDB(t)
	f := operator.TumblingWindow(10*time.Millisecond, sum{}, operator.AllowedLateness(100*time.Millisecond))
	h, err := stream.NewHarness(db, "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		do(h.Process(win(fmt.Sprint("k", i%3), "1", int64(i))))
	}
	do(h.Watermark(29)) // three windows of three keys fire
	do(h.Checkpoint())
	if n := countFired(t, db, "k0", "k1", "k2"); n != 9 {
		t.Fatalf("%d fired windows kept, want 9", n)
	}
	do(h.Process(win("k0", "5", 0)))  // within: 0-10:9
	do(h.Watermark(109))              // [0,10) past its lateness (9+100), [10,20) not
	do(h.Process(win("k1", "5", 1)))  // late
	do(h.Process(win("k1", "5", 11))) // within: 10-20:9
	do(h.Checkpoint())
	sweep := func(wm int64) {
		t.Helper()
		s := state.NewStore(db, time.Now)
		defer s.Close()
		sc := state.Scope{Job: "harness", Operator: "op"}
		s.Map(sc, "fired", state.WithEventTimeTTL(time.Hour, func() int64 { return wm })) // marks the scope as having TTL state
		if _, err := s.SweepAt(sc, 1000, wm); err != nil {
			t.Fatal(err)
		}
		do(s.Batch().Commit(pebble.NoSync))
	}
	// An entry expires the lateness after the watermark it was last
	// written at (here 29, when the windows fired), never earlier: at 128
	// the windows [20,30) still take records, and their entries are there.
	sweep(128)
	if n := countFired(t, db, "k0", "k1", "k2"); n != 9 {
		t.Fatalf("%d fired windows kept, want 9", n)
	}
	do(h.Restore()) // the sweep wrote past the harness's store
	do(h.Watermark(128))
	do(h.Process(win("k2", "1", 25))) // within: 20-30:5
	do(h.Watermark(1000))
	for _, k := range []string{"k0", "k1", "k2"} {
		do(h.Process(win(k, "1", 25))) // every window past its lateness: late
	}
	do(h.Checkpoint())
	sweep(1000)
	if n := countFired(t, db, "k0", "k1", "k2"); n != 0 {
		t.Fatalf("%d fired windows left past their lateness", n)
	}
	got := h.Output(operator.PortWindows)
	if len(got) != 12 || string(got[9].Value) != "0-10:9" || string(got[10].Value) != "10-20:9" || string(got[11].Value) != "20-30:5" {
		t.Fatalf("windows: %s", st.Dump(got))
	}
	if n := len(h.Output(operator.PortLate)); n != 4 {
		t.Fatalf("%d late records, want 4", n)
	}
}
