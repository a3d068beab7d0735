package stream_test

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// The operators the engine's data-driven and metamorphic tests build jobs
// from. Records are "key" + value text; values are integers where an
// operator adds them. Each is small enough that a plain Go reference can
// say what a chain of them must output.

// testOp makes an operator from a spec such as "window size=10000".
func testOp(spec string, cs *crashes) (stream.Factory, error) {
	name, args := parseSpec(spec)
	num := func(k string, def int64) int64 {
		if v, ok := args[k]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
		return def
	}
	switch name {
	case "buffer":
		return func() stream.Operator { return &bufferOp{} }, nil
	case "window":
		size := num("size", 10000)
		return func() stream.Operator { return &tumbleOp{size: size} }, nil
	case "dedup":
		return func() stream.Operator { return &dedupOp{} }, nil
	case "timerfail":
		at := num("at", 0)
		return func() stream.Operator { return &timerFailOp{at: at} }, nil
	case "fail":
		// fail value=X: an error (panic=1: a panic) on every record whose
		// value is X: a poison record.
		val, panics := args["value"], args["panic"] == "1"
		return func() stream.Operator { return &failOp{value: val, panics: panics} }, nil
	case "failprev":
		// failprev value=X: fails on the record after X, naming X as the
		// culprit (stream.FailedOn), as an async operator would.
		val := args["value"]
		return func() stream.Operator { return &failPrevOp{value: val} }, nil
	case "crash":
		// crash every=N: fail the task once per N records seen by the job
		// (all tasks), to test restore from checkpoints.
		every := num("every", 7)
		return func() stream.Operator { return &crashOp{every: every, c: cs} }, nil
	case "add":
		d := num("n", 1)
		return func() stream.Operator { return addOp(d) }, nil
	case "filter-odd":
		return func() stream.Operator { return oddOp{} }, nil
	case "older":
		// older by=MS: each record goes on MS older, as an interval join's
		// match carries its partner's time; a stream.WatermarkHolder.
		by := num("by", 0)
		return func() stream.Operator { return &olderOp{by: by} }, nil
	}
	return nil, fmt.Errorf("unknown operator %q", name)
}

func parseSpec(spec string) (string, map[string]string) {
	f := strings.Fields(spec)
	args := map[string]string{}
	for _, a := range f[1:] {
		k, v, _ := strings.Cut(a, "=")
		args[k] = v
	}
	return f[0], args
}

func i64(b []byte) int64 { n, _ := strconv.ParseInt(string(b), 10, 64); return n }

// bufferOp holds every record until the watermark passes its time (its
// event-time timer), then emits it: the shape of an operator that sorts or
// waits for late config, whose output timers release under a new watermark.
type bufferOp struct {
	ctx  *stream.Context
	held *state.MapState
	seq  uint64
}

func (b *bufferOp) Open(c *stream.Context) error {
	b.ctx, b.held = c, c.Map("held")
	return nil
}

func timeKey(ts int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(ts)) }

func (b *bufferOp) Process(r *stream.Record, _ stream.Emitter) error {
	b.seq++
	mk := binary.BigEndian.AppendUint64(timeKey(r.Time), b.seq)
	// value: key length, key, value
	v := binary.AppendUvarint(nil, uint64(len(r.Key)))
	v = append(append(v, r.Key...), r.Value...)
	if err := b.held.Put(timeKey(r.Time), mk, v); err != nil {
		return err
	}
	return b.ctx.RegisterTimer(state.EventTime, r.Time, timeKey(r.Time))
}

func (b *bufferOp) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	var recs []stream.Record
	err := b.held.Range(key, func(_, v []byte) bool {
		n, k := binary.Uvarint(v)
		kk := append([]byte(nil), v[k:k+int(n)]...)
		vv := append([]byte(nil), v[k+int(n):]...)
		recs = append(recs, stream.Record{Key: kk, Value: vv, Time: ts})
		return true
	})
	if err != nil {
		return err
	}
	for i := range recs {
		out.Emit(0, &recs[i])
	}
	return b.held.Clear(key)
}

// tumbleOp sums values per key in tumbling event-time windows of size ms;
// a window fires when the watermark passes its end, emitting
// "start..end=sum" with time end-1. A record behind the watermark is late:
// counted and dead-lettered (reason late). At the end of a drained input it
// emits its open windows and keeps them, so a later run continues them.
type tumbleOp struct {
	size int64
	ctx  *stream.Context
	sums *state.MapState
}

func (w *tumbleOp) Open(c *stream.Context) error { w.ctx, w.sums = c, c.Map("sums"); return nil }

func (w *tumbleOp) Process(r *stream.Record, _ stream.Emitter) error {
	end := (r.Time/w.size + 1) * w.size
	if end-1 <= w.ctx.Watermark() {
		w.ctx.CountLate()
		return stream.BadInput("late", "t=%d wm=%d", r.Time, w.ctx.Watermark())
	}
	wk := timeKey(end)
	old, _, err := w.sums.Get(r.Key, wk)
	if err != nil {
		return err
	}
	if err := w.sums.Put(r.Key, wk, strconv.AppendInt(nil, i64(old)+i64(r.Value), 10)); err != nil {
		return err
	}
	return w.ctx.RegisterTimer(state.EventTime, end-1, r.Key)
}

func (w *tumbleOp) emit(key []byte, end int64, out stream.Emitter) (bool, error) {
	v, ok, err := w.sums.Get(key, timeKey(end))
	if err != nil || !ok {
		return false, err
	}
	rec := stream.Record{Key: key, Value: fmt.Appendf(nil, "%d..%d=%s", end-w.size, end, v), Time: end - 1}
	out.Emit(0, &rec)
	return true, nil
}

func (w *tumbleOp) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if ok, err := w.emit(key, ts+1, out); err != nil || !ok {
		return err
	}
	return w.sums.Delete(key, timeKey(ts+1))
}

// OnEndOfInputTimer emits an open window at the end of a drained input
// and keeps it: a later run continues it.
func (w *tumbleOp) OnEndOfInputTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime {
		return nil
	}
	_, err := w.emit(key, ts+1, out)
	return err
}

// olderOp emits each record by ms older (a record behind its watermark is
// late, as for an interval join) and holds its output watermark back by
// as much.
type olderOp struct {
	by  int64
	ctx *stream.Context
}

func (o *olderOp) Open(c *stream.Context) error { o.ctx = c; return nil }

func (o *olderOp) WatermarkHold() time.Duration { return time.Duration(o.by) * time.Millisecond }

func (o *olderOp) Process(r *stream.Record, out stream.Emitter) error {
	if r.Time < o.ctx.Watermark() {
		o.ctx.CountLate()
		return stream.BadInput("late", "t=%d wm=%d", r.Time, o.ctx.Watermark())
	}
	rec := *r
	rec.Time -= o.by
	out.Emit(0, &rec)
	return nil
}

// dedupOp turns an upsert stream into a retract stream: for each record it
// emits "-old" for the key's previous value, if any, then the record
// itself, and then stores the record's value under the record's key, as
// operator.Dedup does: an emitter may keep using what it emitted, so
// whatever receives it must not change it (a KeyBy once replaced its key).
type dedupOp struct{ last *state.ValueState }

func (d *dedupOp) Open(c *stream.Context) error { d.last = c.Value("last"); return nil }

func (d *dedupOp) Process(r *stream.Record, out stream.Emitter) error {
	v, found, err := d.last.Get(r.Key)
	if err != nil {
		return err
	}
	if found {
		retract := stream.Record{Key: append([]byte(nil), r.Key...), Value: append([]byte("-"), v...), Time: r.Time}
		out.Emit(0, &retract)
	}
	out.Emit(0, r)
	return d.last.Put(r.Key, r.Value)
}

// timerFailOp registers a timer at each record's time and emits "fired"
// records from it; the timer at time `at` returns bad input.
type timerFailOp struct {
	ctx *stream.Context
	at  int64
}

func (o *timerFailOp) Open(c *stream.Context) error { o.ctx = c; return nil }
func (o *timerFailOp) Process(r *stream.Record, _ stream.Emitter) error {
	return o.ctx.RegisterTimer(state.EventTime, r.Time, r.Key)
}
func (o *timerFailOp) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if ts == o.at {
		return stream.BadInput("bad_timer", "timer at %d", ts)
	}
	rec := stream.Record{Key: key, Value: fmt.Appendf(nil, "fired@%d", ts), Time: ts}
	out.Emit(0, &rec)
	return nil
}

type failOp struct {
	value  string
	panics bool
}

func (failOp) Open(*stream.Context) error { return nil }
func (f *failOp) Process(r *stream.Record, out stream.Emitter) error {
	if string(r.Value) == f.value {
		if f.panics {
			panic("poison record " + f.value)
		}
		return fmt.Errorf("cannot process %q", r.Value)
	}
	out.Emit(0, r)
	return nil
}

// crashes is shared by a job's crash operators: how many records they
// saw, and which records they already failed on (each at most once, so a
// restart always makes progress and no record is ever quarantined).
type crashes struct {
	n    atomic.Int64
	done sync.Map
}

type crashOp struct {
	every int64
	c     *crashes
}

func (crashOp) Open(*stream.Context) error { return nil }
func (c *crashOp) Process(r *stream.Record, out stream.Emitter) error {
	if c.c.n.Add(1)%c.every == 0 {
		if _, again := c.c.done.LoadOrStore(r.Source.String()+"@"+strconv.FormatInt(r.Offset, 10), true); !again {
			return fmt.Errorf("injected crash")
		}
	}
	out.Emit(0, r)
	return nil
}

type addOp int64

func (addOp) Open(*stream.Context) error { return nil }
func (a addOp) Process(r *stream.Record, out stream.Emitter) error {
	rec := r.Derive(r.Key, strconv.AppendInt(nil, i64(r.Value)+int64(a), 10), r.Time)
	out.Emit(0, &rec)
	return nil
}

type oddOp struct{}

func (oddOp) Open(*stream.Context) error { return nil }
func (oddOp) Process(r *stream.Record, out stream.Emitter) error {
	if i64(r.Value)%2 != 0 {
		out.Emit(0, r)
	}
	return nil
}

// joinOp is an inner join of two keyed inputs on the record key: every
// value of one side meets every value of the other, once, emitted as
// "left*right" with the later record's time. Both sides are kept forever.
type joinOp struct{ sides [2]*state.MapState }

func (j *joinOp) Open(c *stream.Context) error {
	j.sides = [2]*state.MapState{c.Map("left"), c.Map("right")}
	return nil
}

func (j *joinOp) Process(*stream.Record, stream.Emitter) error {
	return fmt.Errorf("joinOp is a two-input operator")
}

func (j *joinOp) ProcessInput(input int, r *stream.Record, out stream.Emitter) error {
	if err := j.sides[input].Put(r.Key, r.Value, nil); err != nil {
		return err
	}
	var others [][]byte
	err := j.sides[1-input].Range(r.Key, func(v, _ []byte) bool {
		others = append(others, append([]byte(nil), v...))
		return true
	})
	if err != nil {
		return err
	}
	for _, o := range others {
		l, rr := r.Value, o
		if input == 1 {
			l, rr = o, r.Value
		}
		rec := stream.Record{Key: r.Key, Value: fmt.Appendf(nil, "%s*%s", l, rr), Time: r.Time}
		out.Emit(0, &rec)
	}
	return nil
}

// sumSchema is sumOp's output: SELECT k, SUM(v) AS total ... GROUP BY k.
var sumSchema = row.MustParseSchema("k STRING, total BIGINT")

// sumOp is an unbounded GROUP BY k SUM(v) over typed rows (k STRING, v
// BIGINT, ...) keyed by k, emitting a retract changelog as Flink's group
// aggregate: +I for a key's first total, then -U old, +U new; input
// retractions (-U, -D) subtract.
type sumOp struct{ totals *state.ValueState }

func (s *sumOp) Open(c *stream.Context) error { s.totals = c.Value("totals"); return nil }

func (s *sumOp) Process(r *stream.Record, out stream.Emitter) error {
	if r.Row == nil {
		return stream.BadInput("untyped_record", "sum needs rows")
	}
	k := r.Row.Str(0)
	d := r.Row.Int64(1)
	if r.Row.Kind.IsRetract() {
		d = -d
	}
	old, had, err := s.totals.Get([]byte(k))
	if err != nil {
		return err
	}
	total := i64(old) + d
	if had {
		before := row.NewRow(row.UpdateBefore, row.String(k), row.BigInt(i64(old)))
		rec := stream.Record{Key: r.Key, Time: r.Time, Row: &before}
		out.Emit(0, &rec)
	}
	kind := row.Insert
	if had {
		kind = row.UpdateAfter
	}
	after := row.NewRow(kind, row.String(k), row.BigInt(total))
	rec := stream.Record{Key: r.Key, Time: r.Time, Row: &after}
	out.Emit(0, &rec)
	return s.totals.Put([]byte(k), strconv.AppendInt(nil, total, 10))
}

// The harness feeds each input of a multi-input operator, restores it
// from a checkpoint, and refuses ProcessInput on a one-input operator.
func TestHarnessMultiInput(t *testing.T) {
	db := st.MemDB(t)
	h, err := stream.NewHarness(db, "join", func() stream.Operator { return &joinOp{} }, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	steps := []func() error{
		func() error { return h.ProcessInput(0, stream.Record{Key: []byte("k"), Value: []byte("l1"), Time: 1}) },
		h.Checkpoint,
		h.Restore,
		func() error { return h.ProcessInput(1, stream.Record{Key: []byte("k"), Value: []byte("r1"), Time: 2}) },
		func() error { return h.ProcessInput(1, stream.Record{Key: []byte("x"), Value: []byte("r2"), Time: 3}) },
		h.Checkpoint,
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	var got []string
	for _, r := range h.Output("out") {
		got = append(got, fmt.Sprintf("%s %s @%d", r.Key, r.Value, r.Time))
	}
	if strings.Join(got, "; ") != "k l1*r1 @2" {
		t.Fatalf("joined %q, want the left row kept across the restore meeting r1", got)
	}
	one, err := stream.NewHarness(db, "add", func() stream.Operator { return addOp(1) }, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if err := one.ProcessInput(0, stream.Record{Value: []byte("1")}); err == nil {
		t.Fatal("ProcessInput on a one-input operator was accepted")
	}
}

type failPrevOp struct {
	value string
	held  *stream.Record
}

func (*failPrevOp) Open(*stream.Context) error { return nil }
func (f *failPrevOp) Process(r *stream.Record, out stream.Emitter) error {
	if f.held != nil {
		return stream.FailedOn(f.held, fmt.Errorf("%q failed late", f.held.Value))
	}
	if string(r.Value) == f.value {
		cp := *r
		cp.Value = append([]byte(nil), r.Value...)
		f.held = &cp
		return nil
	}
	out.Emit(0, r)
	return nil
}
