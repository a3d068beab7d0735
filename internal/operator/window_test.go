package operator_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// sum adds the records' integer values; a window emits "start-end:sum" at
// the window's last millisecond.
type sum struct{}

func (sum) Add(acc []byte, r *stream.Record) ([]byte, error) {
	a, _ := strconv.Atoi(string(acc))
	n, err := strconv.Atoi(string(r.Value))
	if err != nil {
		return nil, stream.BadInput("not_a_number", "%q", r.Value)
	}
	return strconv.AppendInt(nil, int64(a+n), 10), nil
}

func (sum) Emit(key []byte, w operator.Window, acc []byte, out stream.Emitter) error {
	rec := stream.Record{Key: key, Value: fmt.Appendf(nil, "%d-%d:%s", w.Start, w.End, acc), Time: w.End - 1}
	out.Emit(0, &rec)
	return nil
}

func TestTumblingWindowByHand(t *testing.T) {
	f := operator.TumblingWindow(10*time.Millisecond, sum{})
	h := st.Run(t, f, []st.Step{
		st.Rec("a", "1", 3), st.Rec("b", "10", 5), st.Rec("a", "2", 12),
		st.Rec("a", "4", 9),   // out of order, its window still open
		st.WM(8),              // nothing closes: [0,10) closes at 9
		st.WM(9),              // [0,10) closes for a and b
		st.Rec("a", "100", 7), // late: its window closed
		st.Rec("b", "x", 15),  // bad input: dead-lettered
		st.Rec("b", "-3", -4), // before the epoch (the window [-10,0))... also late
		st.WM(25),
		st.Rec("a", "5", 31),
		st.End(), // the open window [30,40) is emitted and kept
	})
	st.Equal(t, "windows", []stream.Record{
		{Key: []byte("a"), Value: []byte("0-10:5"), Time: 9},
		{Key: []byte("b"), Value: []byte("0-10:10"), Time: 9},
		{Key: []byte("a"), Value: []byte("10-20:2"), Time: 19},
		{Key: []byte("a"), Value: []byte("30-40:5"), Time: 39},
	}, h.Output(operator.PortWindows))
	st.Equal(t, "late", []stream.Record{
		{Key: []byte("a"), Value: []byte("100"), Time: 7},
		{Key: []byte("b"), Value: []byte("-3"), Time: -4},
	}, h.Output(operator.PortLate))
	if h.Late() != 2 || len(h.DeadLetters()) != 1 {
		t.Fatalf("late %d, dead letters %d", h.Late(), len(h.DeadLetters()))
	}
	// A later run continues the window kept at the end of input.
	if err := h.Process(stream.Record{Key: []byte("a"), Value: []byte("6"), Time: 35}); err != nil {
		t.Fatal(err)
	}
	if err := h.Watermark(40); err != nil {
		t.Fatal(err)
	}
	h.Checkpoint()
	got := h.Output(operator.PortWindows)
	if last := got[len(got)-1]; string(last.Value) != "30-40:11" {
		t.Fatalf("continued window: %s", st.Dump(got))
	}
}

// Restores from checkpoints at random points give the uninterrupted run's
// windows, late records and dead letters.
func TestTumblingWindowRestore(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var steps []st.Step
	for i := range 400 {
		ts := int64(i*3) + int64(rng.IntN(20)) - 10 // out of order by up to 10 ms
		steps = append(steps, st.Rec(fmt.Sprint("k", rng.IntN(4)), strconv.Itoa(rng.IntN(100)), ts))
		if i%25 == 24 {
			steps = append(steps, st.WM(int64(i*3)-5))
		}
	}
	steps = append(steps, st.End())
	st.CheckRestore(t, operator.TumblingWindow(50*time.Millisecond, sum{}), steps, 13, 6, 9)
}

// distinctAcc is a decoded accumulator changed in place: the sum of a
// window's values and the distinct values seen.
type distinctAcc struct {
	sum  int64
	seen map[int64]bool
}

// distinctSum is an AggregatorOf: a window emits "start-end:sum/distinct".
// It counts its Encode calls (state writes) and Decode calls (reads).
type distinctSum struct{ encodes, decodes *int }

func (distinctSum) New() *distinctAcc { return &distinctAcc{seen: map[int64]bool{}} }

func (d distinctSum) Decode(b []byte) (*distinctAcc, error) {
	if d.decodes != nil {
		*d.decodes++
	}
	a := &distinctAcc{seen: map[int64]bool{}}
	sum, vals, _ := strings.Cut(string(b), ";")
	var err error
	if a.sum, err = strconv.ParseInt(sum, 10, 64); err != nil {
		return nil, err
	}
	for _, v := range strings.Split(vals, ",") {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, err
		}
		a.seen[n] = true
	}
	return a, nil
}

func (distinctSum) Add(a *distinctAcc, r *stream.Record) (*distinctAcc, error) {
	n, err := strconv.ParseInt(string(r.Value), 10, 64)
	if err != nil {
		return nil, stream.BadInput("not_a_number", "%q", r.Value) // before touching a
	}
	a.sum += n
	a.seen[n] = true
	return a, nil
}

func (d distinctSum) Encode(a *distinctAcc, dst []byte) []byte {
	*d.encodes++
	dst = strconv.AppendInt(dst, a.sum, 10)
	dst = append(dst, ';')
	vals := make([]int64, 0, len(a.seen))
	for v := range a.seen {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	for _, v := range vals {
		dst = append(strconv.AppendInt(dst, v, 10), ',')
	}
	return dst
}

func (distinctSum) Size(a *distinctAcc) int { return 16 + 8*len(a.seen) }

func (distinctSum) Emit(key []byte, w operator.Window, a *distinctAcc, out stream.Emitter) error {
	rec := stream.Record{Key: key, Value: fmt.Appendf(nil, "%d-%d:%d/%d", w.Start, w.End, a.sum, len(a.seen)), Time: w.End - 1}
	out.Emit(0, &rec)
	return nil
}

func windowSteps(seed uint64, n, keys int) []st.Step {
	rng := rand.New(rand.NewPCG(seed, 4))
	var steps []st.Step
	for i := range n {
		ts := int64(i*3) + int64(rng.IntN(20)) - 10 // out of order by up to 10 ms
		v := strconv.Itoa(rng.IntN(30))
		if rng.IntN(50) == 0 {
			v = "x" // bad input
		}
		steps = append(steps, st.Rec(fmt.Sprint("k", rng.IntN(keys)), v, ts))
		if i%25 == 24 {
			steps = append(steps, st.WM(int64(i*3)-5))
		}
		if i%150 == 149 {
			steps = append(steps, st.End()) // a drained run ends; the next continues
		}
	}
	return append(steps, st.End())
}

// The decoded accumulators live in memory between checkpoints: restores
// from checkpoints at random points still give the uninterrupted run's
// output, with the default bounds and with bounds that evict at once.
func TestTumblingWindowOfRestore(t *testing.T) {
	var n int
	agg := distinctSum{encodes: &n}
	steps := windowSteps(5, 600, 6)
	for name, f := range map[string]stream.Factory{
		"default":    operator.TumblingWindowOf(50*time.Millisecond, agg),
		"1 entry":    operator.TumblingWindowOf(50*time.Millisecond, agg, operator.WindowMemory(1, 1<<30)),
		"byte bound": operator.TumblingWindowOf(50*time.Millisecond, agg, operator.WindowMemory(1000, 100)),
	} {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(4) {
				st.CheckRestore(t, f, steps, 7+int(seed), 5, seed)
			}
		})
	}
}

// Past its bound the window writes accumulators to state and drops them
// (before any checkpoint); the output is the unbounded window's.
func TestTumblingWindowEvicts(t *testing.T) {
	steps := windowSteps(7, 2000, 40)
	var unbounded, bounded int
	want := st.Run(t, operator.TumblingWindowOf(50*time.Millisecond, distinctSum{encodes: &unbounded}), steps)
	f := operator.TumblingWindowOf(50*time.Millisecond, distinctSum{encodes: &bounded}, operator.WindowMemory(3, 1<<30))
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		var err error
		switch {
		case s.Rec != nil:
			err = h.Process(*s.Rec)
		case s.End:
			err = h.EndOfInput()
		default:
			err = h.Watermark(s.Watermark)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if bounded == 0 {
		t.Fatal("no accumulator written before the checkpoint: nothing was evicted")
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{operator.PortWindows, operator.PortLate} {
		st.Equal(t, p, want.Output(p), h.Output(p))
	}
	if len(want.Output(operator.PortWindows)) < 100 || len(h.DeadLetters()) != len(want.DeadLetters()) {
		t.Fatalf("%d windows, %d/%d dead letters", len(want.Output(operator.PortWindows)), len(h.DeadLetters()), len(want.DeadLetters()))
	}
}

// A window that keeps receiving records stays in memory while windows of
// one record each are evicted around it (second chance).
func TestTumblingWindowKeepsHotWindow(t *testing.T) {
	var enc, dec int
	f := operator.TumblingWindowOf(time.Second, distinctSum{encodes: &enc, decodes: &dec}, operator.WindowMemory(50, 400))
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for i := range 3000 {
		sum += i % 700
		for _, r := range []stream.Record{
			{Key: []byte("hot"), Value: []byte(strconv.Itoa(i % 700)), Time: int64(i % 1000)},
			{Key: fmt.Appendf(nil, "cold%d", i), Value: []byte("1"), Time: int64(i % 1000)},
		} {
			if err := h.Process(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if enc < 2900 || dec != 0 {
		t.Fatalf("%d accumulators written, %d read back: want the cold ones written, the hot one never read back", enc, dec)
	}
	if err := h.Watermark(999); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	got := h.Output(operator.PortWindows)
	if len(got) != 3001 {
		t.Fatalf("%d windows", len(got))
	}
	for _, r := range got {
		if string(r.Key) == "hot" && string(r.Value) != fmt.Sprintf("0-1000:%d/700", sum) {
			t.Fatalf("hot window: %s", r.Value)
		}
	}
}

// A window an end of input emitted is not emitted again while unchanged:
// not by a restarted run's end of input, nor when the watermark passes
// it; a window that changed is emitted again (issue: drained restarts
// re-emitted every open window into the DWS topics).
func TestTumblingWindowEndOfInputEmitsOncePerChange(t *testing.T) {
	f := operator.TumblingWindow(10*time.Millisecond, sum{})
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
		return func() error { return h.Process(stream.Record{Key: []byte(k), Value: []byte(v), Time: ts}) }
	}
	step("a 1", rec("a", "1", 3))
	step("b 2", rec("b", "2", 4))
	step("end", h.EndOfInput)
	step("restore", h.Restore)
	step("end again", h.EndOfInput) // unchanged: nothing
	step("a 5", rec("a", "5", 6))
	step("end, a changed", h.EndOfInput)
	step("restore", h.Restore)
	step("watermark", func() error { return h.Watermark(9) }) // both windows as last emitted: nothing
	step("a 7", rec("a", "7", 13))
	step("end", h.EndOfInput)
	step("a 1", rec("a", "1", 14))
	step("watermark", func() error { return h.Watermark(19) }) // changed since: emitted
	st.Equal(t, "windows", []stream.Record{
		{Key: []byte("a"), Value: []byte("0-10:1"), Time: 9},
		{Key: []byte("b"), Value: []byte("0-10:2"), Time: 9},
		{Key: []byte("a"), Value: []byte("0-10:6"), Time: 9},
		{Key: []byte("a"), Value: []byte("10-20:7"), Time: 19},
		{Key: []byte("a"), Value: []byte("10-20:8"), Time: 19},
	}, h.Output(operator.PortWindows))
}
