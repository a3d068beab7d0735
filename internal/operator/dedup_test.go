package operator_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

func TestDedupByHand(t *testing.T) {
	f := operator.Dedup(5*time.Second, time.Hour)
	at := func(s int) st.Step { return st.At(st.Epoch.Add(time.Duration(s) * time.Second)) }
	h := st.Run(t, f, []st.Step{
		at(0),
		st.Rec("d1", "partial", 1), // a left join's partial row...
		at(2),
		st.Rec("d1", "complete", 2), // ...completed within the wait
		st.Rec("d2", "only", 3),
		at(5),                       // d1's wait ends: its latest row
		at(7),                       // d2's wait ends
		st.Rec("d1", "complete", 2), // a replay: already counted
		st.Rec("d2", "changed", 9),  // a change after emission: correction
		st.Rec("d3", "pending", 10),
		st.End(), // d3 still waiting: emitted
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("d1"), Value: []byte("complete"), Time: 2},
		{Key: []byte("d2"), Value: []byte("only"), Time: 3},
		{Key: []byte("d2"), Value: []byte("changed"), Time: 9},
		{Key: []byte("d3"), Value: []byte("pending"), Time: 10},
	}, h.Output(operator.PortDeduped))
	st.Equal(t, "retract", []stream.Record{
		{Key: []byte("d2"), Value: []byte("only"), Time: 3},
	}, h.Output(operator.PortRetract))
}

// The remembered value expires after the TTL, in event time: a record of
// the key a TTL later starts over (a new occurrence, not a correction),
// however little processing time passed.
func TestDedupTTL(t *testing.T) {
	f := operator.Dedup(time.Second, time.Minute)
	h := st.Run(t, f, []st.Step{
		st.At(st.Epoch), st.Rec("k", "a", 1000),
		st.At(st.Epoch.Add(2 * time.Second)),
		st.Rec("k", "b", 61000), // a minute after a
		st.At(st.Epoch.Add(4 * time.Second)),
		st.Rec("k", "c", 62000), // a change within the TTL of b
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("k"), Value: []byte("a"), Time: 1000},
		{Key: []byte("k"), Value: []byte("b"), Time: 61000},
		{Key: []byte("k"), Value: []byte("c"), Time: 62000},
	}, h.Output(operator.PortDeduped))
	st.Equal(t, "retract", []stream.Record{
		{Key: []byte("k"), Value: []byte("b"), Time: 61000},
	}, h.Output(operator.PortRetract))
}

// With no wait a record is emitted at once (nothing depends on when the
// processing-time clock moves); a change is a correction and the new value.
func TestDedupNoWait(t *testing.T) {
	h := st.Run(t, operator.Dedup(0, time.Hour), []st.Step{
		st.Rec("d1", "partial", 1),
		st.Rec("d1", "partial", 1), // a replay: dropped
		st.Rec("d1", "complete", 1),
		st.Rec("d2", "only", 2),
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("d1"), Value: []byte("partial"), Time: 1},
		{Key: []byte("d1"), Value: []byte("complete"), Time: 1},
		{Key: []byte("d2"), Value: []byte("only"), Time: 2},
	}, h.Output(operator.PortDeduped))
	st.Equal(t, "retract", []stream.Record{
		{Key: []byte("d1"), Value: []byte("partial"), Time: 1},
	}, h.Output(operator.PortRetract))
}

func TestDedupRestore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var steps []st.Step
	clock := st.Epoch
	for i := range 300 {
		steps = append(steps, st.Rec(fmt.Sprint("id", rng.IntN(40)), fmt.Sprint("v", rng.IntN(3)), int64(i)))
		if i%7 == 0 {
			clock = clock.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			steps = append(steps, st.At(clock))
		}
	}
	steps = append(steps, st.End())
	st.CheckRestore(t, operator.Dedup(2*time.Second, time.Hour), steps, 11, 6, 8)
}
