package dws

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// echo passes its input on: what eventOrdered releases, in order.
type echo struct{}

func (echo) Open(*stream.Context) error { return nil }
func (echo) Process(r *stream.Record, out stream.Emitter) error {
	o := r.Derive(r.Key, r.Value, r.Time)
	out.Emit(0, &o)
	return nil
}

// eventOrdered releases records in event-time order (same time: key
// order, then arrival), a record at or behind the watermark at once, as a
// plain reference model does: with a few records waiting and with
// megabytes of them, across checkpoints and restores.
func TestEventOrderedAgainstAReference(t *testing.T) {
	for _, big := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(7, uint64(len(fmt.Sprint(big)))))
		pad, wmEvery := 20, 20
		if big {
			pad, wmEvery = 5000, 400 // megabytes wait at once
		}
		type waiting struct {
			t   int64
			key string
			seq int
			v   string
		}
		var (
			steps []st.Step
			want  []string
			held  []waiting
			wm    int64 = -1 << 62
			most  int   // the most bytes waiting at once
		)
		release := func(upTo int64) {
			slices.SortStableFunc(held, func(a, b waiting) int {
				return cmp.Or(cmp.Compare(a.t, b.t), strings.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
			})
			n := 0
			for n < len(held) && held[n].t <= upTo {
				want = append(want, held[n].v)
				n++
			}
			held = held[n:]
		}
		for i := range 1500 {
			size := 0
			for _, w := range held {
				size += len(w.v)
			}
			most = max(most, size)
			switch r := rng.IntN(wmEvery); {
			case r == 0:
				wm += int64(rng.IntN(40))
				steps = append(steps, st.WM(wm))
				release(wm)
			case r == 1:
				steps = append(steps, st.CP())
			default:
				ts := max(wm, 0) + int64(rng.IntN(60)) - 10
				key := fmt.Sprintf("k%d", rng.IntN(12))
				v := fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", pad))
				steps = append(steps, st.Rec(key, v, ts))
				if ts <= wm {
					want = append(want, v)
				} else {
					held = append(held, waiting{ts, key, i, v})
				}
			}
		}
		steps = append(steps, st.End())
		release(1 << 62)
		if big && most <= 2<<20 {
			t.Fatalf("at most %d bytes waited at once, want megabytes", most)
		}

		f := eventOrdered(func() stream.Operator { return echo{} })
		h := st.Run(t, f, steps)
		var got []string
		for _, r := range h.Output("out") {
			got = append(got, string(r.Value))
		}
		if len(got) != len(want) {
			t.Fatalf("big=%v: %d records out, want %d", big, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("big=%v: record %d is %.20s, want %.20s", big, i, got[i], want[i])
			}
		}
		st.CheckRestore(t, f, steps, 50, 4, 11)
	}
}
