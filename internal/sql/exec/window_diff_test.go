package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// windowEvent is one step of a differential test: a row (kind, key,
// time, value) or a watermark.
type windowEvent struct {
	wm   int64 // > MinInt64: a watermark
	kind row.RowKind
	key  string
	t, v int64
}

var windowDiffSchema = row.MustParseSchema("k STRING, ts TIMESTAMP(3), v BIGINT")

func (e windowEvent) record() stream.Record {
	r := row.NewRow(e.kind, row.String(e.key), row.Timestamp(e.t, 0), row.BigInt(e.v))
	return stream.Record{Key: row.AppendKey(nil, r.Values[0]), Time: e.t, Row: &r}
}

// windowRandomEvents makes n rows over keys, times drifting forward with
// disorder, interleaved with watermarks lagging the largest time seen
// (so some rows are late), and -D of earlier rows when retract is set.
func windowRandomEvents(rng *rand.Rand, n int, retract bool) []windowEvent {
	var evs []windowEvent
	var rows []windowEvent
	base, maxT, wm := int64(1000), int64(0), int64(math.MinInt64)
	keys := []string{"a", "b", "c"}[:1+rng.IntN(3)]
	for range n {
		base += rng.Int64N(4)
		e := windowEvent{wm: math.MinInt64, kind: row.Insert, key: keys[rng.IntN(len(keys))],
			t: base - rng.Int64N(40), v: 1 + rng.Int64N(100)}
		if retract && len(rows) > 0 && rng.IntN(6) == 0 {
			e = rows[rng.IntN(len(rows))]
			e.kind = row.Delete
		}
		evs = append(evs, e)
		if e.kind == row.Insert {
			rows = append(rows, e)
		}
		maxT = max(maxT, e.t)
		if rng.IntN(4) == 0 && maxT-int64(rng.IntN(30)) > wm {
			wm = maxT - int64(rng.IntN(30))
			evs = append(evs, windowEvent{wm: wm})
		}
	}
	return append(evs, windowEvent{wm: math.MaxInt64 / 2})
}

// windowModelAgg computes the expected window aggregation of evs
// directly: every row counts in each window containing it that had not
// fired (watermark < end - 1) when it arrived; a row with none is late.
// Sessions are simulated per key (merge on intersect, fire at end - 1).
// Output lines: "key sum count start end" sorted, and the late count.
func windowModelAgg(spec WindowSpec, evs []windowEvent) ([]string, int) {
	wm := int64(math.MinInt64)
	late := 0
	type acc struct{ sum, n int64 }
	type win struct {
		key        string
		start, end int64
	}
	wins := map[win]*acc{}
	var out []string
	emit := func(w win, a *acc) {
		if a.n > 0 {
			out = append(out, fmt.Sprintf("%s %d %d %d %d", w.key, a.sum, a.n, w.start, w.end))
		}
	}
	sign := func(k row.RowKind) int64 {
		if k.IsRetract() {
			return -1
		}
		return 1
	}
	for _, e := range evs {
		if e.wm != math.MinInt64 {
			wm = max(wm, e.wm)
			if spec.Kind == Session {
				for w, a := range wins {
					if w.end-1 <= wm {
						emit(w, a)
						delete(wins, w)
					}
				}
			}
			continue
		}
		if spec.Kind != Session {
			any := false
			windowModelWindows(spec, e.t, func(start, end int64) {
				if end-1 > wm {
					any = true
					w := win{e.key, start, end}
					if wins[w] == nil {
						wins[w] = &acc{}
					}
					wins[w].sum += sign(e.kind) * e.v
					wins[w].n += sign(e.kind)
				}
			})
			if !any {
				late++
			}
			continue
		}
		nw := win{e.key, e.t, e.t + spec.Gap.Milliseconds()}
		a := &acc{sum: sign(e.kind) * e.v, n: sign(e.kind)}
		merged := false
		for w, o := range wins {
			if w.key == e.key && w.start <= nw.end && w.end >= nw.start {
				nw.start, nw.end = min(nw.start, w.start), max(nw.end, w.end)
				a.sum, a.n = a.sum+o.sum, a.n+o.n
				delete(wins, w)
				merged = true
			}
		}
		if !merged && nw.end-1 <= wm {
			late++
			continue
		}
		wins[nw] = a
	}
	if spec.Kind != Session {
		for w, a := range wins {
			if w.end-1 <= wm {
				emit(w, a)
			}
		}
	} else {
		for w, a := range wins {
			emit(w, a)
		}
	}
	slices.Sort(out)
	return out, late
}

// windowRun feeds evs to f under a harness, checkpointing every `every`
// events; at the crash points it restores from the last checkpoint and
// replays from there, as a restarted task. It returns the committed output
// rows and the number of late dead letters.
func windowRun(t *testing.T, f stream.Factory, evs []windowEvent, every int, crashes map[int]bool) ([]string, int) {
	t.Helper()
	h, err := stream.NewHarness(streamtest.MemDB(t), "op", f, streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	lastCP := 0
	crashed := map[int]bool{}
	for i := 0; i < len(evs); i++ {
		if crashes[i] && !crashed[i] {
			crashed[i] = true
			if err := h.Restore(); err != nil {
				t.Fatal(err)
			}
			i = lastCP - 1
			continue
		}
		e := evs[i]
		if e.wm != math.MinInt64 {
			err = h.Watermark(e.wm)
		} else {
			err = h.Process(e.record())
		}
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if (i+1)%every == 0 {
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			lastCP = i + 1
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range h.Output("out") {
		out = append(out, r.Row.String()+fmt.Sprintf(" @%d", r.Time))
	}
	late := 0
	for _, d := range h.DeadLetters() {
		if strings.HasPrefix(string(d.Header(stream.HeaderReason)), "late:") {
			late++
		} else {
			t.Fatalf("unexpected dead letter %s", d.Header(stream.HeaderReason))
		}
	}
	return out, late
}

// windowAggLines turns output rows (k, sum, count, start, end, time) into
// the model's lines.
func windowAggLines(t *testing.T, f stream.Factory, evs []windowEvent, every int, crashes map[int]bool) ([]string, []string, int) {
	raw, late := windowRun(t, f, evs, every, crashes)
	lines := make([]string, len(raw))
	for i, r := range raw {
		// +I[k, sum, n, start, end, wt] @time
		body := r[strings.IndexByte(r, '[')+1 : strings.IndexByte(r, ']')]
		p := strings.Split(body, ", ")
		s, _, _ := row.ParseTimestamp(p[3])
		e, _, _ := row.ParseTimestamp(p[4])
		lines[i] = fmt.Sprintf("%s %s %s %d %d", p[0], p[1], p[2], s, e)
	}
	sorted := slices.Clone(lines)
	slices.Sort(sorted)
	return raw, sorted, late
}

func windowRandomSpec(rng *rand.Rand) WindowSpec {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	s := WindowSpec{Kind: WindowKind(1 + rng.IntN(4)), TimeCol: 1}
	switch s.Kind {
	case Tumble:
		s.Size = ms(5 + rng.Int64N(40))
	case Hop:
		s.Slide = ms(3 + rng.Int64N(15))
		s.Size = ms(s.Slide.Milliseconds() * (1 + rng.Int64N(4)))
		if rng.IntN(3) == 0 {
			s.Size = ms(s.Slide.Milliseconds() + rng.Int64N(30)) // not a multiple: gcd slices
		}
	case Cumulate:
		s.Step = ms(2 + rng.Int64N(10))
		s.Size = ms(s.Step.Milliseconds() * (1 + rng.Int64N(6)))
	case Session:
		s.Gap = ms(1 + rng.Int64N(20))
	}
	if s.Kind != Session && rng.IntN(3) == 0 {
		s.Offset = ms(rng.Int64N(50) - 25)
	}
	return s
}

// TestWindowAggDifferential: random specs, rows and watermarks; the fired
// windows equal the model's per-window SUM/COUNT over the rows that were
// not late, the late rows are dead-lettered, and a run with crashes and
// restores at random points commits exactly the uninterrupted output.
func TestWindowAggDifferential(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		spec := windowRandomSpec(rng)
		retract := spec.Kind != Session && rng.IntN(2) == 0
		evs := windowRandomEvents(rng, 20+rng.IntN(150), retract)
		calls := []AggCall{}
		sumFn, cntFn := "sum(v)", "count(*)"
		perWindow := rng.IntN(3) == 0
		if perWindow && spec.Kind != Session {
			sumFn = "sum_nomerge(v)"
		} else if rng.IntN(2) == 0 {
			sumFn, cntFn = "SUM(v)", "COUNT(*)" // aggfn's built-ins
		}
		for _, c := range []string{sumFn, cntFn} {
			call, err := windowTestCall(c, windowDiffSchema)
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, call)
		}
		as := WindowAggSpec{Window: spec, Keys: []int{0}, Calls: calls}
		if rng.IntN(3) == 0 {
			as.MaxCachedGroups = 1 + rng.IntN(2) // exercise eviction
		}
		f := WindowAgg(as)
		name := fmt.Sprintf("seed %d %s size=%s slide=%s step=%s gap=%s offset=%s perWindow=%v retract=%v",
			seed, spec.Kind, spec.Size, spec.Slide, spec.Step, spec.Gap, spec.Offset, perWindow, retract)

		want, wantLate := windowModelAgg(spec, evs)
		every := 1 + rng.IntN(10)
		raw, got, late := windowAggLines(t, f, evs, every, nil)
		if !slices.Equal(got, want) || late != wantLate {
			t.Fatalf("%s:\n got %d late, %q\nwant %d late, %q", name, late, got, wantLate, want)
		}
		crashes := map[int]bool{}
		for range 1 + rng.IntN(3) {
			crashes[rng.IntN(len(evs))] = true
		}
		raw2, _, late2 := windowAggLines(t, f, evs, every, crashes)
		if !slices.Equal(raw, raw2) || late2 != late {
			t.Fatalf("%s: with crashes at %v:\n got %q\nwant %q", name, crashes, raw2, raw)
		}
	}
}

// windowModelWindows enumerates the aligned windows containing t by
// trying every grid start near it (independently of windowClock).
func windowModelWindows(spec WindowSpec, t int64, fn func(start, end int64)) {
	size, off := spec.Size.Milliseconds(), spec.Offset.Milliseconds()
	floorDiv := func(a, b int64) int64 {
		q := a / b
		if a%b != 0 && (a < 0) != (b < 0) {
			q--
		}
		return q
	}
	switch spec.Kind {
	case Tumble, Hop:
		g := size
		if spec.Kind == Hop {
			g = spec.Slide.Milliseconds()
		}
		k0 := floorDiv(t-off, g)
		for k := k0 - size/g - 2; k <= k0+1; k++ {
			if s := off + k*g; s <= t && t < s+size {
				fn(s, s+size)
			}
		}
	case Cumulate:
		step := spec.Step.Milliseconds()
		for k := floorDiv(t-off, size) - 1; k <= floorDiv(t-off, size)+1; k++ {
			cs := off + k*size
			for e := cs + step; e <= cs+size; e += step {
				if cs <= t && t < e {
					fn(cs, e)
				}
			}
		}
	}
}
