package operator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// Window is an event-time window [Start, End) in epoch milliseconds.
type Window struct{ Start, End int64 }

// Aggregator folds a key's records of one window into an accumulator and
// turns the accumulator into output when the window closes. Accumulators
// are bytes because they live in keyed state (checkpointed, restored).
// TumblingWindowOf with an AggregatorOf avoids re-encoding them per record.
type Aggregator interface {
	// Add returns acc (nil for the window's first record) with rec folded in.
	Add(acc []byte, rec *stream.Record) ([]byte, error)
	// Emit writes the closed window's result for key to out (port 0).
	Emit(key []byte, w Window, acc []byte, out stream.Emitter) error
}

// AggregatorOf folds a key's records of one window into a decoded
// accumulator A. The window keeps A in memory while the task runs and
// writes it to keyed state (Encode) only at checkpoints and when it evicts
// it; after a restart it reads it back (Decode). One AggregatorOf serves
// every task of the job, concurrently: it must keep no mutable state of
// its own (A may be mutable: each window has its own).
type AggregatorOf[A any] interface {
	// New returns the accumulator of a window with no records yet.
	New() A
	// Decode reads an accumulator Encode wrote (b is the caller's to keep).
	Decode(b []byte) (A, error)
	// Add folds rec into acc and returns the result (acc itself, when A is
	// a pointer). An Add that returns a BadInputError must leave acc as it
	// was: the record is dead-lettered and the window goes on.
	Add(acc A, rec *stream.Record) (A, error)
	// Encode appends acc's encoding to dst.
	Encode(acc A, dst []byte) []byte
	// Emit writes the window's result for key to out (port 0). It must not
	// change acc: at the end of a drained input the window stays open.
	Emit(key []byte, w Window, acc A, out stream.Emitter) error
}

// Sizer is optionally implemented by an AggregatorOf: Size estimates the
// memory an accumulator holds, in bytes, for the window's memory bound.
// It is called after every Add, so it must be cheap (kept up to date by
// Add, not computed).
type Sizer[A any] interface{ Size(acc A) int }

// Window ports: results, and records that arrived after their window closed.
const (
	PortWindows = "windows"
	PortLate    = "late"
)

// In-memory accumulators per task: past either bound, those not added to
// since the previous eviction are written to state and dropped (see evict).
const (
	windowMaxCached      = 8192
	windowMaxCachedBytes = 16 << 20
)

// TumblingWindow aggregates records, per key, into event-time tumbling
// windows of size: a window [s, s+size) fires when the watermark reaches
// s+size-1 (Flink's semantics), emitting once. A record whose window has
// already fired is late: it is counted (rtdw_late_records_total) and
// emitted unchanged on the "late" port, never silently dropped; with
// AllowedLateness, a record that comes within the lateness after its
// window fired updates the window instead, which is emitted again (see
// AllowedLateness). It must follow a KeyBy. At the end of a drained input
// every open window is emitted without being discarded, so a later run
// that continues it re-emits the complete window if it changed (sinks
// upsert by window and key); an unchanged window is not emitted again.
func TumblingWindow(size time.Duration, agg Aggregator, opts ...WindowOption) stream.Factory {
	return TumblingWindowOf[[]byte](size, bytesAgg{agg}, opts...)
}

// TumblingWindowOf is TumblingWindow with a decoded accumulator: each
// (key, window) accumulator stays in memory while the task runs, so a
// record costs one Add, not a decode and an encode of the whole window.
// State holds the encoded accumulator as of the last checkpoint (every
// in-memory change is written at PrepareCheckpoint), so a restarted task
// resumes exactly; a window that fires is emitted from memory and its
// state deleted. The in-memory set is bounded (WindowMemory): past a
// bound, the accumulators not added to since the previous eviction are
// written to state and dropped (second chance: a window that keeps
// receiving records stays), and past the entry bound all others too
// (so at most twice the entry bound are held). The byte bound is soft: an
// accumulator in use stays however large, as it would have to be decoded
// for its next record anyway. Late records, EndOfInput and timers behave
// as TumblingWindow's. A window that fired is never in memory: with
// AllowedLateness its accumulator is kept in state only, where a record
// within the lateness finds it.
func TumblingWindowOf[A any](size time.Duration, agg AggregatorOf[A], opts ...WindowOption) stream.Factory {
	ms := size.Milliseconds()
	if ms <= 0 {
		panic(fmt.Sprintf("operator: window size %s must be at least 1ms", size))
	}
	o := windowOpts{maxN: windowMaxCached, maxBytes: windowMaxCachedBytes}
	for _, opt := range opts {
		opt(&o)
	}
	sizer, _ := agg.(Sizer[A])
	return func() stream.Operator {
		return &tumbling[A]{size: ms, agg: agg, sizer: sizer, cache: map[string]*winEntry[A]{},
			maxN: o.maxN, maxBytes: o.maxBytes, lateness: o.lateness}
	}
}

// WindowOption tunes TumblingWindowOf.
type WindowOption func(*windowOpts)

type windowOpts struct {
	maxN, maxBytes int
	lateness       int64 // ms; 0: none
}

// AllowedLateness keeps a window's accumulator for d of event time after
// the window fired, as Flink's allowedLateness with its event-time trigger:
// a record for a fired window [s, e) that arrives while the watermark is
// below e-1+d is added to the window, and the window is emitted again at
// once, complete (a late firing per such record: an upsert of the same
// window key, so a sink or table keyed by window and key holds the
// corrected row). A record of a window with no record before is a window
// of its own (emitted at once with that record). Records later than that
// go to the "late" port as without lateness. d <= 0 (the default): no
// lateness.
//
// The accumulator of a fired window lives in keyed state only (never in
// the in-memory set): a late record costs a read, a decode, an encode and
// a write of its window. State holds every window that fired within the
// last d of event time (for a day and 10 s windows, each key's windows of
// the day); each entry expires d after its last write, measured on the
// watermark (Context.EventTimeTTL), and checkpoints sweep expired entries
// off disk. A watermark that passes e-1+d at once keeps nothing.
func AllowedLateness(d time.Duration) WindowOption {
	return func(o *windowOpts) {
		o.lateness = 0
		if d > 0 {
			o.lateness = max(d.Milliseconds(), 1)
		}
	}
}

// WindowMemory bounds the accumulators a task keeps in memory: entries
// (default 8192) and bytes as the aggregator's Sizer estimates them
// (default 16 MiB). Tests use tiny bounds to exercise eviction.
func WindowMemory(entries, bytes int) WindowOption {
	return func(o *windowOpts) { o.maxN, o.maxBytes = max(entries, 1), max(bytes, 0) }
}

// bytesAgg serves an Aggregator as an AggregatorOf[[]byte].
type bytesAgg struct{ a Aggregator }

func (b bytesAgg) New() []byte                       { return nil }
func (b bytesAgg) Decode(raw []byte) ([]byte, error) { return raw, nil }
func (b bytesAgg) Add(acc []byte, r *stream.Record) ([]byte, error) {
	return b.a.Add(acc[:len(acc):len(acc)], r) // an append must not write into the kept acc
}
func (b bytesAgg) Encode(acc, dst []byte) []byte { return append(dst, acc...) }
func (b bytesAgg) Size(acc []byte) int           { return len(acc) }
func (b bytesAgg) Emit(key []byte, w Window, acc []byte, out stream.Emitter) error {
	return b.a.Emit(key, w, acc, out)
}

// winEntry is one (key, window) accumulator held in memory.
type winEntry[A any] struct {
	key    []byte
	end    int64
	acc    A
	size   int
	dirty  bool // changed since it was last written to state
	stored bool // state holds a version of it (to delete when it fires)
	used   bool // added to again (after its first record) since the last eviction
}

type tumbling[A any] struct {
	size  int64
	agg   AggregatorOf[A]
	sizer Sizer[A]
	ctx   *stream.Context
	accs  *state.MapState // key -> window end (8 bytes, big endian) -> encoded accumulator
	// sent: key -> window end -> the encoded accumulator an end of input
	// emitted the open window with; emitting the window again from the
	// same accumulator (the next run's end of input, the firing) is
	// skipped, so a consumer sees each window once per change.
	sent *state.MapState
	sbuf []byte
	// anySent: sent may hold entries (it did when the task opened, or an
	// end of input wrote one since); without any, a firing needs no
	// lookup of it (a Pebble read per window, nearly always absent).
	anySent bool
	// fired: key -> window end -> the encoded accumulator of a window that
	// fired less than lateness ago (event time); nil without lateness.
	fired    *state.MapState
	lateness int64

	cache          map[string]*winEntry[A] // key + window end (8 bytes) -> accumulator
	bytes          int                     // sum of the cached entries' sizes
	maxN, maxBytes int                     // the bounds
	limN, limBytes int                     // evict when past these (>= the bounds)
	kbuf, ebuf     []byte
}

func (w *tumbling[A]) Ports() []string { return []string{PortWindows, PortLate} }

func (w *tumbling[A]) Open(ctx *stream.Context) error {
	w.ctx, w.accs, w.sent = ctx, ctx.Map("windows"), ctx.Map("sent")
	empty, err := w.sent.Empty()
	if err != nil {
		return err
	}
	w.anySent = !empty
	if w.lateness > 0 {
		// An entry written at watermark wm >= end-1 expires at wm+lateness
		// >= end-1+lateness: never before the window's records stop being
		// accepted (inLateness).
		w.fired = ctx.Map("fired", ctx.EventTimeTTL(time.Duration(w.lateness)*time.Millisecond))
	}
	w.limN, w.limBytes = w.maxN, w.maxBytes
	return nil
}

func (w *tumbling[A]) windowOf(t int64) Window {
	start := t - ((t%w.size)+w.size)%w.size // floor, also for negative times
	return Window{Start: start, End: start + w.size}
}

func endKey(end int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(end)) }

// cacheKey is key + window end in w.kbuf (valid until the next call).
func (w *tumbling[A]) cacheKey(key []byte, end int64) []byte {
	w.kbuf = binary.BigEndian.AppendUint64(append(w.kbuf[:0], key...), uint64(end))
	return w.kbuf
}

func (w *tumbling[A]) sizeOf(acc A) int {
	if w.sizer == nil {
		return 0
	}
	return w.sizer.Size(acc)
}

func (w *tumbling[A]) Process(rec *stream.Record, out stream.Emitter) error {
	win := w.windowOf(rec.Time)
	if wm := w.ctx.Watermark(); win.End-1 <= wm {
		// The window has fired (its timer fires as the watermark reaches
		// end-1, before any record under that watermark comes).
		if w.inLateness(win.End, wm) {
			return w.lateFiring(rec, win, out)
		}
		w.ctx.CountLate()
		out.Emit(1, rec)
		return nil
	}
	ck := w.cacheKey(rec.Key, win.End)
	if e := w.cache[string(ck)]; e != nil {
		acc, err := w.agg.Add(e.acc, rec)
		if err != nil {
			return err
		}
		e.acc, e.dirty, e.used = acc, true, true
		if w.sizer != nil {
			n := w.sizer.Size(acc)
			w.bytes += n - e.size
			e.size = n
			if w.bytes > w.limBytes {
				return w.evict(e)
			}
		}
		return nil
	}
	// First record of this (key, window) since the task started or the
	// entry was evicted: state may hold it.
	acc, stored, err := w.addStored(w.accs, rec, win.End)
	if err != nil {
		return err // nothing cached, no timer: as if the record never came
	}
	e := &winEntry[A]{key: bytes.Clone(rec.Key), end: win.End, acc: acc, size: w.sizeOf(acc), dirty: true, stored: stored}
	w.cache[string(w.cacheKey(rec.Key, win.End))] = e
	w.bytes += e.size
	// Registering is idempotent: a stored window has its timer already.
	if err := w.ctx.RegisterTimer(state.EventTime, win.End-1, rec.Key); err != nil {
		return err
	}
	if len(w.cache) > w.limN || w.bytes > w.limBytes {
		return w.evict(e)
	}
	return nil
}

// inLateness reports whether the window ending at end, which has fired
// (end-1 <= wm), still takes records: wm < end-1+lateness.
func (w *tumbling[A]) inLateness(end, wm int64) bool {
	return w.lateness > 0 && uint64(wm)-uint64(end-1) < uint64(w.lateness) // no overflow: wm >= end-1
}

// lateFiring adds rec to its fired window's kept accumulator (a new one
// if the window had no record) and emits the window again, complete.
func (w *tumbling[A]) lateFiring(rec *stream.Record, win Window, out stream.Emitter) error {
	acc, _, err := w.addStored(w.fired, rec, win.End)
	if err != nil {
		return err // bad input: the kept accumulator is as it was
	}
	w.ebuf = w.agg.Encode(acc, w.ebuf[:0])
	if err := w.fired.Put(rec.Key, endKey(win.End), w.ebuf); err != nil {
		return err
	}
	return w.agg.Emit(rec.Key, win, acc, out)
}

// addStored adds rec to the accumulator m holds for (rec.Key, end), a new
// one if m holds none (stored: whether it held one). m is left as it was.
func (w *tumbling[A]) addStored(m *state.MapState, rec *stream.Record, end int64) (acc A, stored bool, err error) {
	raw, stored, err := m.Get(rec.Key, endKey(end))
	if err != nil {
		return acc, false, err
	}
	if stored {
		if acc, err = w.agg.Decode(raw); err != nil {
			return acc, stored, err
		}
	} else {
		acc = w.agg.New()
	}
	acc, err = w.agg.Add(acc, rec)
	return acc, stored, err
}

// flush writes e to state if it changed since it was last written.
func (w *tumbling[A]) flush(e *winEntry[A]) error {
	if !e.dirty {
		return nil
	}
	w.ebuf = w.agg.Encode(e.acc, w.ebuf[:0])
	if err := w.accs.Put(e.key, endKey(e.end), w.ebuf); err != nil {
		return err
	}
	e.dirty, e.stored = false, true
	return nil
}

// drop flushes e and forgets it (it is read back from state when needed).
func (w *tumbling[A]) drop(k string, e *winEntry[A]) error {
	if err := w.flush(e); err != nil {
		return err
	}
	delete(w.cache, k)
	w.bytes -= e.size
	return nil
}

// evict brings the in-memory set back under its bounds, keeping cur (the
// entry just used): entries not added to since the previous eviction (or
// since their first record) go first (second chance: a window that keeps
// receiving records, however large, stays); if the entry count
// is still past its bound, every other entry goes. The next eviction comes
// when the set has grown again to twice what it kept (at least the
// bounds), so its scans cost O(1) per record amortized. The byte bound is
// soft: hot entries are kept (they would be read back at once).
func (w *tumbling[A]) evict(cur *winEntry[A]) error {
	for k, e := range w.cache {
		if e != cur && !e.used {
			if err := w.drop(k, e); err != nil {
				return err
			}
		}
		e.used = false
	}
	if len(w.cache) > w.maxN {
		for k, e := range w.cache {
			if e != cur {
				if err := w.drop(k, e); err != nil {
					return err
				}
			}
		}
	}
	w.limN = max(w.maxN, 2*len(w.cache))
	w.limBytes = max(w.maxBytes, 2*w.bytes)
	return nil
}

// PrepareCheckpoint writes every changed accumulator to state: the
// checkpoint must hold them all, since a restarted task starts from it.
func (w *tumbling[A]) PrepareCheckpoint(stream.Emitter) error {
	for _, e := range w.cache {
		if err := w.flush(e); err != nil {
			return err
		}
	}
	return nil
}

// lookup returns the (key, window end) accumulator, from memory or state.
func (w *tumbling[A]) lookup(key []byte, end int64) (acc A, ok bool, err error) {
	if e := w.cache[string(w.cacheKey(key, end))]; e != nil {
		return e.acc, true, nil
	}
	raw, ok, err := w.accs.Get(key, endKey(end))
	if err != nil || !ok {
		return acc, false, err
	}
	acc, err = w.agg.Decode(raw)
	return acc, err == nil, err
}

func (w *tumbling[A]) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	win := Window{Start: ts + 1 - w.size, End: ts + 1}
	acc, ok, err := w.lookup(key, win.End)
	if err != nil || !ok {
		return err
	}
	sent, same, err := w.sentAs(key, win.End, acc)
	if err != nil {
		return err
	}
	if !same {
		if err := w.agg.Emit(key, win, acc, out); err != nil {
			return err
		}
	}
	if sent {
		if err := w.sent.Delete(key, endKey(win.End)); err != nil {
			return err
		}
	}
	if w.inLateness(win.End, w.ctx.Watermark()) {
		// Kept in state only, for records within the lateness.
		w.ebuf = w.agg.Encode(acc, w.ebuf[:0])
		if err := w.fired.Put(key, endKey(win.End), w.ebuf); err != nil {
			return err
		}
	}
	return w.forget(key, win.End)
}

// sentAs reports whether an end of input emitted the window (key, end),
// and whether it did so with acc as it is now.
func (w *tumbling[A]) sentAs(key []byte, end int64, acc A) (sent, same bool, err error) {
	if !w.anySent {
		return false, false, nil
	}
	raw, sent, err := w.sent.Get(key, endKey(end))
	if err != nil || !sent {
		return sent, false, err
	}
	w.sbuf = w.agg.Encode(acc, w.sbuf[:0])
	return true, bytes.Equal(raw, w.sbuf), nil
}

// forget removes the (key, window end) accumulator from memory and state.
func (w *tumbling[A]) forget(key []byte, end int64) error {
	ck := string(w.cacheKey(key, end))
	if e := w.cache[ck]; e != nil {
		delete(w.cache, ck)
		w.bytes -= e.size
		if !e.stored {
			return nil // never written: nothing to delete
		}
	}
	return w.accs.Delete(key, endKey(end))
}

// OnEndOfInputTimer emits an open window at the end of a drained input,
// keeping it (and its timer) so a later run continues it; not when an
// earlier end of input emitted it as it is (sent). Only open windows have
// timers: a fired window kept for its lateness was emitted as it is (at
// its firing or its last late firing).
func (w *tumbling[A]) OnEndOfInputTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime {
		return nil
	}
	win := Window{Start: ts + 1 - w.size, End: ts + 1}
	acc, ok, err := w.lookup(key, win.End)
	if err != nil || !ok {
		return err // !ok: a timer without a window
	}
	if _, same, err := w.sentAs(key, win.End, acc); err != nil || same {
		return err
	}
	w.sbuf = w.agg.Encode(acc, w.sbuf[:0])
	w.anySent = true
	if err := w.sent.Put(key, endKey(win.End), w.sbuf); err != nil {
		return err
	}
	return w.agg.Emit(key, win, acc, out)
}
