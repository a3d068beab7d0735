package operator_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Records are "table:id:payload", keyed by the join key: "detail" rows
// (left, many per order) and "info" rows (right, one per order).
func orderJoin(left bool, ttl time.Duration) stream.Factory {
	return operator.Join(operator.JoinSpec{
		Sides: 2, Left: left, TTL: ttl,
		Side: func(r *stream.Record) (int, error) {
			switch strings.SplitN(string(r.Value), ":", 2)[0] {
			case "detail":
				return 0, nil
			case "info":
				return 1, nil
			}
			return 0, stream.BadInput("unknown_table", "%q", r.Value)
		},
		RowID: func(r *stream.Record) ([]byte, error) {
			p := strings.Split(string(r.Value), ":")
			if len(p) != 3 {
				return nil, errors.New("bad row")
			}
			return []byte(p[1]), nil
		},
		Combine: func(l []byte, rs [][]byte) ([]byte, error) {
			info := "-"
			if rs[0] != nil {
				info = strings.Split(string(rs[0]), ":")[2]
			}
			return fmt.Appendf(nil, "%s+%s", strings.Split(string(l), ":")[2], info), nil
		},
	})
}

func TestInnerJoinWaitsForEverySide(t *testing.T) {
	h := st.Run(t, orderJoin(false, 0), []st.Step{
		st.Rec("o1", "detail:d1:apple", 1), // order_detail before order_info
		st.Rec("o1", "detail:d2:pear", 2),
		st.Rec("o1", "info:o1:paid", 3), // both details join
		st.Rec("o1", "detail:d3:fig", 4),
		st.Rec("o2", "detail:d4:kiwi", 5), // never joins
		st.Rec("o1", "what:x:y", 6),       // dead-lettered
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("d1"), Value: []byte("apple+paid"), Time: 3},
		{Key: []byte("d2"), Value: []byte("pear+paid"), Time: 3},
		{Key: []byte("d3"), Value: []byte("fig+paid"), Time: 4},
	}, h.Output("out"))
	if n := len(h.DeadLetters()); n != 1 {
		t.Fatalf("%d dead letters", n)
	}
}

func TestLeftJoinEmitsPartialThenComplete(t *testing.T) {
	h := st.Run(t, orderJoin(true, 0), []st.Step{
		st.Rec("o1", "detail:d1:apple", 1),
		st.Rec("o1", "info:o1:created", 2),
		st.Rec("o1", "info:o1:paid", 3), // the right row changes: re-emitted
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("d1"), Value: []byte("apple+-"), Time: 1},
		{Key: []byte("d1"), Value: []byte("apple+created"), Time: 2},
		{Key: []byte("d1"), Value: []byte("apple+paid"), Time: 3},
	}, h.Output("out"))
}

// The TTL is event time, on the rows' own times: a detail TTL or more
// after its order_info joins nothing (left join: partial row), whatever
// the processing-time clock says.
func TestJoinStateTTL(t *testing.T) {
	h := st.Run(t, orderJoin(true, 10*time.Second), []st.Step{
		st.At(st.Epoch), st.Rec("o1", "info:o1:paid", 1000),
		st.At(st.Epoch.Add(time.Hour)), st.Rec("o1", "detail:d1:apple", 6000), // 5 s after it
		st.Rec("o1", "detail:d2:pear", 11000), // 10 s after it: expired
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("d1"), Value: []byte("apple+paid"), Time: 6000},
		{Key: []byte("d2"), Value: []byte("pear+-"), Time: 11000},
	}, h.Output("out"))
}

// The bound holds both ways, so the outcome does not depend on which side
// was read first: rows TTL or more apart never join, rows closer always do.
func TestJoinTTLIsOrderIndependent(t *testing.T) {
	const ttl = 10 * time.Second
	rows := []st.Step{
		st.Rec("o1", "detail:d1:apple", 1000),
		st.Rec("o1", "detail:d2:pear", 14000),
		st.Rec("o1", "info:o1:paid", 12000), // 11 s after d1, 2 s before d2
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}} {
		var steps []st.Step
		for _, i := range order {
			steps = append(steps, rows[i])
		}
		h := st.Run(t, orderJoin(false, ttl), steps)
		out := h.Output("out")
		if len(out) != 1 || string(out[0].Key) != "d2" || string(out[0].Value) != "pear+paid" {
			t.Fatalf("order %v: %+v", order, out)
		}
	}
}

func TestJoinRestore(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var steps []st.Step
	for i := range 300 {
		o := fmt.Sprint("o", rng.IntN(10))
		if rng.IntN(3) == 0 {
			steps = append(steps, st.Rec(o, fmt.Sprintf("info:%s:s%d", o, i), int64(i)))
		} else {
			steps = append(steps, st.Rec(o, fmt.Sprintf("detail:d%d:x%d", rng.IntN(30), i), int64(i)))
		}
	}
	st.CheckRestore(t, orderJoin(true, time.Hour), steps, 9, 6, 10)
	st.CheckRestore(t, orderJoin(false, time.Hour), steps, 9, 6, 11)
}

// A Side function naming a side the join does not have dead-letters the
// record (reason join_side) in both joins; the operator goes on.
func TestJoinSideOutOfRange(t *testing.T) {
	side := func(r *stream.Record) (int, error) { return int(r.Value[0] - '0'), nil }
	for name, f := range map[string]stream.Factory{
		"regular": operator.Join(operator.JoinSpec{Sides: 2, Side: side,
			RowID:   func(r *stream.Record) ([]byte, error) { return r.Value, nil },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) { return l, nil }}),
		"interval": operator.IntervalJoin(operator.IntervalJoinSpec{Side: side, Upper: time.Second,
			Combine: func(l, r *stream.Record) ([]byte, error) { return l.Value, nil }}),
	} {
		h := st.Run(t, f, []st.Step{st.Rec("k", "7", 1), st.Rec("k", "0", 2)})
		dl := h.DeadLetters()
		if len(dl) != 1 || !strings.HasPrefix(string(dl[0].Header(stream.HeaderReason)), "join_side") {
			t.Fatalf("%s: dead letters %s", name, st.Dump(dl))
		}
	}
}
