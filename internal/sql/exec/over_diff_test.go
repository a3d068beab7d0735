package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

var overDiffSchema = row.MustParseSchema("id BIGINT, k STRING, ts TIMESTAMP(3), v BIGINT")

type overEvent struct {
	wm    int64 // > MinInt64: a watermark
	id    int64
	key   string
	t, v  int64
	order int // arrival index, for the model
}

// overModel computes each non-late row's results directly from the
// definition: the rows of its partition that were not late, ordered by
// time then arrival; RANGE: those within PrecedingTime before it (bound
// included; equal times included); ROWS: it and the Preceding before it.
// Lines "id sum max" sorted, and the late count.
func overModel(spec OverSpec, evs []overEvent) ([]string, int) {
	wm := int64(math.MinInt64)
	var kept []overEvent
	late := 0
	for _, e := range evs {
		if e.wm != math.MinInt64 {
			wm = max(wm, e.wm)
			continue
		}
		if e.t <= wm {
			late++
			continue
		}
		kept = append(kept, e)
	}
	// Only rows the final watermark passed are emitted.
	byKey := map[string][]overEvent{}
	for _, e := range kept {
		if e.t <= wm {
			byKey[e.key] = append(byKey[e.key], e)
		}
	}
	var out []string
	for _, rows := range byKey {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].t < rows[j].t })
		for i, r := range rows {
			var frame []overEvent
			switch {
			case !spec.Rows:
				for _, o := range rows {
					if o.t <= r.t && (spec.Unbounded || o.t >= r.t-spec.PrecedingTime.Milliseconds()) {
						frame = append(frame, o)
					}
				}
			case spec.Unbounded:
				frame = rows[:i+1]
			default:
				frame = rows[max(0, i-int(spec.Preceding)) : i+1]
			}
			sum, mx := int64(0), int64(math.MinInt64)
			for _, o := range frame {
				sum += o.v
				mx = max(mx, o.v)
			}
			out = append(out, fmt.Sprintf("%d %d %d", r.id, sum, mx))
		}
	}
	slices.Sort(out)
	return out, late
}

func overRun(t *testing.T, f stream.Factory, evs []overEvent, every int, crashes map[int]bool) ([]string, []string, int) {
	t.Helper()
	h, err := stream.NewHarness(streamtest.MemDB(t), "op", f, streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	lastCP := 0
	done := map[int]bool{}
	for i := 0; i < len(evs); i++ {
		if crashes[i] && !done[i] {
			done[i] = true
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
			r := row.NewRow(row.Insert, row.BigInt(e.id), row.String(e.key), row.Timestamp(e.t, 0), row.BigInt(e.v))
			err = h.Process(stream.Record{Key: row.AppendKey(nil, r.Values[1]), Time: e.t, Row: &r})
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
	var raw, lines []string
	for _, r := range h.Output("out") {
		raw = append(raw, fmt.Sprintf("%s @%d", r.Row, r.Time))
		v := r.Row.Values
		lines = append(lines, fmt.Sprintf("%d %s %s", v[0].Int64(), v[4].AppendText(nil), v[5].AppendText(nil)))
	}
	slices.Sort(lines)
	late := 0
	for _, d := range h.DeadLetters() {
		if !strings.HasPrefix(string(d.Header(stream.HeaderReason)), "late:") {
			t.Fatalf("unexpected dead letter %s", d.Header(stream.HeaderReason))
		}
		late++
	}
	return raw, lines, late
}

// TestOverAggDifferential: random OVER frames, rows and watermarks; every
// row the watermark passed is emitted with the model's SUM and MAX over
// its frame (MAX cannot retract: the frame is rebuilt), late rows are
// dead-lettered, and crashes with restores change nothing.
func TestOverAggDifferential(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		spec := OverSpec{PartitionKeys: []int{1}, TimeCol: 2, Rows: rng.IntN(2) == 0, MaxCachedGroups: 1 + rng.IntN(3)}
		switch rng.IntN(4) {
		case 0:
			spec.Unbounded = true
		default:
			spec.Preceding = rng.Int64N(5)
			spec.PrecedingTime = time.Duration(rng.Int64N(30)) * time.Millisecond
		}
		fns := []string{"sum(v)", "max(v)"}
		if rng.IntN(2) == 0 {
			fns = []string{"SUM(v)", "MAX(v)"} // aggfn's built-ins (MAX retracts)
		}
		for _, c := range fns {
			call, err := windowTestCall(c, overDiffSchema)
			if err != nil {
				t.Fatal(err)
			}
			spec.Calls = append(spec.Calls, call)
		}
		var evs []overEvent
		base, maxT, wm := int64(1000), int64(0), int64(math.MinInt64)
		keys := []string{"a", "b", "c"}[:1+rng.IntN(3)]
		for i := range 20 + rng.IntN(120) {
			base += rng.Int64N(5)
			e := overEvent{wm: math.MinInt64, id: int64(i), key: keys[rng.IntN(len(keys))], t: base - rng.Int64N(20), v: 1 + rng.Int64N(50)}
			evs = append(evs, e)
			maxT = max(maxT, e.t)
			if rng.IntN(3) == 0 && maxT-int64(rng.IntN(15)) > wm {
				wm = maxT - int64(rng.IntN(15))
				evs = append(evs, overEvent{wm: wm})
			}
		}
		evs = append(evs, overEvent{wm: base + 1000})
		f := OverAgg(spec)
		name := fmt.Sprintf("seed %d rows=%v unbounded=%v preceding=%d/%s", seed, spec.Rows, spec.Unbounded, spec.Preceding, spec.PrecedingTime)
		want, wantLate := overModel(spec, evs)
		every := 1 + rng.IntN(8)
		raw, got, late := overRun(t, f, evs, every, nil)
		if !slices.Equal(got, want) || late != wantLate {
			t.Fatalf("%s:\n got %d late %q\nwant %d late %q", name, late, got, wantLate, want)
		}
		crashes := map[int]bool{}
		for range 1 + rng.IntN(3) {
			crashes[rng.IntN(len(evs))] = true
		}
		raw2, _, late2 := overRun(t, f, evs, every, crashes)
		if !slices.Equal(raw, raw2) || late != late2 {
			t.Fatalf("%s: crashes at %v:\n got %q\nwant %q", name, crashes, raw2, raw)
		}
	}
}
