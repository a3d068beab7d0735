package operator_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// "L:x" rows join "R:y" rows of the same key that are 0..10 ms later.
func pairJoin() stream.Factory {
	return operator.IntervalJoin(operator.IntervalJoinSpec{
		Lower: 0, Upper: 10 * time.Millisecond,
		Side: func(r *stream.Record) (int, error) {
			if strings.HasPrefix(string(r.Value), "L:") {
				return 0, nil
			}
			return 1, nil
		},
		Combine: func(l, r *stream.Record) ([]byte, error) {
			return fmt.Appendf(nil, "%s@%d+%s@%d", l.Value[2:], l.Time, r.Value[2:], r.Time), nil
		},
	})
}

func TestIntervalJoinByHand(t *testing.T) {
	h := st.Run(t, pairJoin(), []st.Step{
		st.Rec("k", "L:a", 100),
		st.Rec("k", "R:b", 105), // within [100, 110]: joins a
		st.Rec("k", "R:c", 111), // too late for a
		st.Rec("k", "R:d", 95),  // before a: no
		st.Rec("j", "R:e", 104), // another key: no
		st.Rec("k", "L:f", 101), // joins b (105) and c (111)
		st.WM(112),              // a (until 110) and f (until 111) are purged
		st.Rec("k", "R:g", 112), // on time, but nothing left to join
		st.Rec("k", "L:h", 100), // late: behind the watermark
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("k"), Value: []byte("a@100+b@105"), Time: 105},
		{Key: []byte("k"), Value: []byte("f@101+b@105"), Time: 105},
		{Key: []byte("k"), Value: []byte("f@101+c@111"), Time: 111},
	}, h.Output("out"))
	st.Equal(t, "late", []stream.Record{{Key: []byte("k"), Value: []byte("L:h"), Time: 100}}, h.Output(operator.PortLate))
	if h.Late() != 1 {
		t.Fatalf("late = %d", h.Late())
	}
}

// Against a nested-loop reference: with the watermark trailing the
// records by more than the join bound, every on-time pair joins exactly
// once, whatever the arrival order.
func TestIntervalJoinMatchesNestedLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type row struct {
		key, side string
		t         int64
		id        int
	}
	var rows []row
	var steps []st.Step
	for i := range 400 {
		r := row{fmt.Sprint("k", rng.IntN(5)), []string{"L", "R"}[rng.IntN(2)], int64(i) + int64(rng.IntN(8)), i}
		rows = append(rows, r)
		steps = append(steps, st.Rec(r.key, fmt.Sprintf("%s:%d", r.side, r.id), r.t))
		if i%20 == 19 {
			steps = append(steps, st.WM(int64(i)-30)) // trails by more than disorder + bound
		}
	}
	want := map[string]int{}
	for _, l := range rows {
		for _, r := range rows {
			if l.side == "L" && r.side == "R" && l.key == r.key && r.t >= l.t && r.t <= l.t+10 {
				want[fmt.Sprintf("%d@%d+%d@%d", l.id, l.t, r.id, r.t)]++
			}
		}
	}
	h := st.Run(t, pairJoin(), steps)
	got := map[string]int{}
	for _, r := range h.Output("out") {
		got[string(r.Value)]++
	}
	if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%d joined pairs, want %d (or they differ)", len(got), len(want))
	}
	if n := len(h.Output(operator.PortLate)); n != 0 {
		t.Fatalf("%d late rows with a trailing watermark", n)
	}
	st.CheckRestore(t, pairJoin(), steps, 17, 6, 13)
}
