package operator_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
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
