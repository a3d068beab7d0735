// Package streamtest helps test operators: it drives a stream.Harness
// through a script of records, watermarks, clock moves and checkpoints,
// crashes and restores it at chosen points, and checks that the committed
// output equals the uninterrupted run's (Arroyo-style golden comparison).
package streamtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/stream"
)

// Step is one input to an operator: a record, a watermark, a clock move,
// the end of input, or a checkpoint.
type Step struct {
	Rec        *stream.Record
	Watermark  int64
	Time       time.Time
	End        bool
	Checkpoint bool
}

// Rec, WM, At, End and CP build steps.
func Rec(key, value string, ts int64) Step {
	return Step{Rec: &stream.Record{Key: []byte(key), Value: []byte(value), Time: ts}}
}
func WM(wm int64) Step    { return Step{Watermark: wm} }
func At(t time.Time) Step { return Step{Time: t} }
func End() Step           { return Step{End: true} }
func CP() Step            { return Step{Checkpoint: true} }

var Epoch = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// MemDB returns an in-memory Pebble store closed at the end of the test.
func MemDB(t testing.TB) *pebble.DB {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: Quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Run feeds steps to a new harness and checkpoints at the end.
func Run(t testing.TB, f stream.Factory, steps []Step) *stream.Harness {
	t.Helper()
	h, err := stream.NewHarness(MemDB(t), "op", f, Epoch)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(steps); i++ {
		if err := apply(h, steps[i]); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	return h
}

func apply(h *stream.Harness, s Step) error {
	switch {
	case s.Rec != nil:
		return h.Process(*s.Rec)
	case s.Checkpoint:
		return h.Checkpoint()
	case s.End:
		return h.EndOfInput()
	case !s.Time.IsZero():
		return h.SetTime(s.Time)
	default:
		return h.Watermark(s.Watermark)
	}
}

// CheckRestore runs steps uninterrupted, then again with crashes: at each of
// `crashes` random points the harness restores from its last checkpoint and
// replays from there, as a restarted task re-reads its input from the
// committed offset. Checkpoints are inserted every `every` steps in both
// runs. Committed outputs of every port and dead letters must be equal.
func CheckRestore(t *testing.T, f stream.Factory, steps []Step, every, crashes int, seed uint64) {
	t.Helper()
	withCP := func() []Step {
		var out []Step
		for i, s := range steps {
			out = append(out, s)
			if (i+1)%every == 0 {
				out = append(out, CP())
			}
		}
		return out
	}()
	want := Run(t, f, withCP)

	rng := rand.New(rand.NewPCG(seed, 1))
	crashAt := map[int]bool{}
	for range crashes {
		crashAt[rng.IntN(len(withCP))] = true
	}
	h, err := stream.NewHarness(MemDB(t), "op", f, Epoch)
	if err != nil {
		t.Fatal(err)
	}
	lastCP := 0
	for i := 0; i < len(withCP); i++ {
		if crashAt[i] {
			delete(crashAt, i)
			if err := h.Restore(); err != nil {
				t.Fatalf("restore at step %d: %v", i, err)
			}
			i = lastCP - 1
			continue
		}
		if err := apply(h, withCP[i]); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if withCP[i].Checkpoint {
			lastCP = i + 1
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, port := range Ports(f) {
		Equal(t, "port "+port, want.Output(port), h.Output(port))
	}
	Equal(t, "dead letters", want.DeadLetters(), h.DeadLetters())
}

// Ports returns an operator's output port names.
func Ports(f stream.Factory) []string {
	if p, ok := f().(stream.Ported); ok {
		return p.Ports()
	}
	return []string{"out"}
}

// Equal compares record sequences by key, value and time.
func Equal(t testing.TB, what string, want, got []stream.Record) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d records, want %d\n got: %s\nwant: %s", what, len(got), len(want), Dump(got), Dump(want))
	}
	for i := range want {
		if !bytes.Equal(want[i].Key, got[i].Key) || !bytes.Equal(want[i].Value, got[i].Value) || want[i].Time != got[i].Time {
			t.Fatalf("%s: record %d = %s, want %s", what, i, Dump(got[i:i+1]), Dump(want[i:i+1]))
		}
	}
}

// Dump formats records one per line as key|value|time.
func Dump(recs []stream.Record) string {
	var b bytes.Buffer
	for _, r := range recs {
		fmt.Fprintf(&b, "\n  %s|%s|%d", r.Key, r.Value, r.Time)
	}
	return b.String()
}

// Quiet is a Pebble logger that drops informational chatter.
type Quiet struct{}

func (Quiet) Infof(string, ...any)      {}
func (Quiet) Errorf(f string, a ...any) { fmt.Printf("pebble: "+f+"\n", a...) }
func (Quiet) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
