package exec_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Helpers of the differential and metamorphic tests: feed steps to an
// operator uninterrupted or with random checkpoints and crashes, and
// materialize an output changelog into a table, checking that it is a
// well-formed one on the way.

// step is a typed record (keyed by the test) or a watermark.
type step struct {
	rec *stream.Record
	wm  int64
}

func rowRec(key []int, kind row.RowKind, ts int64, vals ...row.Value) step {
	r := row.NewRow(kind, vals...)
	var k []byte
	for _, c := range key {
		k = row.AppendKey(k, vals[c])
	}
	return step{rec: &stream.Record{Key: k, Time: ts, Row: &r}}
}

func feed(h *stream.Harness, s step) error {
	if s.rec == nil {
		return h.Watermark(s.wm)
	}
	return h.Process(*s.rec)
}

// runPlain feeds every step, then checkpoints once: the reference run.
func runPlain(t testing.TB, f stream.Factory, steps []step) []stream.Record {
	t.Helper()
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i, s := range steps {
		if err := feed(h, s); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.DeadLetters()); n > 0 {
		t.Fatalf("%d dead letters: %s", n, h.DeadLetters()[0].Header(stream.HeaderReason))
	}
	return h.Output("out")
}

// runCrashy feeds the steps with a checkpoint after a step with
// probability pCP and a crash (restore, then replay from the last
// checkpoint, as a restarted task re-reads its input) with probability
// pCrash, at most maxCrashes times.
func runCrashy(t testing.TB, f stream.Factory, steps []step, rng *rand.Rand, pCP, pCrash float64, maxCrashes int) []stream.Record {
	t.Helper()
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	last, crashes := 0, 0
	for i := 0; i < len(steps); i++ {
		if crashes < maxCrashes && rng.Float64() < pCrash {
			crashes++
			if err := h.Restore(); err != nil {
				t.Fatalf("restore at %d: %v", i, err)
			}
			i = last - 1
			continue
		}
		if err := feed(h, steps[i]); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if rng.Float64() < pCP {
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			last = i + 1
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	return h.Output("out")
}

func recText(r stream.Record) string {
	return fmt.Sprintf("%x %s @%d", r.Key, r.Row, r.Time)
}

// sameOutput requires two committed outputs to be equal record by record.
func sameOutput(t testing.TB, want, got []stream.Record) {
	t.Helper()
	n := min(len(want), len(got))
	for i := range n {
		if recText(want[i]) != recText(got[i]) {
			t.Fatalf("record %d: %s, uninterrupted run: %s", i, recText(got[i]), recText(want[i]))
		}
	}
	if len(want) != len(got) {
		t.Fatalf("%d records, uninterrupted run %d", len(got), len(want))
	}
}

// table materializes a changelog keyed by id(row): +I needs the id
// absent, -U and -D need it present with an equal row, +U needs it absent
// after a -U (retract mode) or replaces (upsert mode).
type table struct {
	rows   map[string][]row.Value
	upsert bool
}

func newTable(upsert bool) *table { return &table{rows: map[string][]row.Value{}, upsert: upsert} }

func vals(vs []row.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func (tb *table) apply(id string, r *row.Row) error {
	cur, ok := tb.rows[id]
	switch r.Kind {
	case row.Insert:
		if ok {
			return fmt.Errorf("+I %s: %s already holds %s", vals(r.Values), id, vals(cur))
		}
	case row.UpdateAfter:
		if ok && !tb.upsert {
			return fmt.Errorf("+U %s: %s still holds %s (no -U before)", vals(r.Values), id, vals(cur))
		}
	case row.UpdateBefore, row.Delete:
		if !ok || !valuesEq(cur, r.Values) {
			return fmt.Errorf("%s %s: %s holds %s (present %v)", r.Kind, vals(r.Values), id, vals(cur), ok)
		}
		delete(tb.rows, id)
		return nil
	}
	tb.rows[id] = append([]row.Value(nil), r.Values...)
	return nil
}

func valuesEq(a, b []row.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !row.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
