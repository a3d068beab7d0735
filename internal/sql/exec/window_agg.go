package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// WindowAggSpec is a window aggregation: GROUP BY window_start,
// window_end, Keys... over a windowing TVF (or a legacy group window
// TUMBLE/HOP/SESSION(ts, ...) in GROUP BY, planned the same way). Its
// input is the TVF's input (the window is assigned here, from
// Window.TimeCol, as Flink merges the TVF into WindowAggregate),
// repartitioned by stream.KeyByColumns on Keys: the record key is the
// group key (a GROUP BY without keys is keyed to one constant key).
type WindowAggSpec struct {
	Window WindowSpec
	Keys   []int
	Calls  []AggCall
	// MaxCachedGroups bounds the groups whose decoded windows a task keeps
	// in memory (0: 8192).
	MaxCachedGroups int

	// perWindow forces one accumulator set per window instead of shared
	// slices (what calls that cannot merge get); for tests and benchmarks.
	perWindow bool
}

// Validate reports a spec the operator cannot run (a planning error).
func (s WindowAggSpec) Validate() error {
	if err := s.Window.Validate(); err != nil {
		return err
	}
	if err := checkCols("window_agg keys", s.Keys...); err != nil {
		return err
	}
	if err := validateWindowCalls("window_agg", s.Calls); err != nil {
		return err
	}
	if s.Window.Kind == Session {
		for _, c := range s.Calls {
			if !c.Fn.Mergeable {
				return fmt.Errorf("window_agg: %s cannot merge, which SESSION windows need", c.Fn.Name)
			}
		}
	}
	return nil
}

// WindowAgg returns the window aggregation (Flink's WindowAggregate with
// the SlicingWindowOperator for TUMBLE/HOP/CUMULATE and the session
// window operator for SESSION). Output rows, insert-only (+I), are the
// group's key columns, one column per call, then window_start,
// window_end (TIMESTAMP(3), local wall clock) and window_time (window_end
// - 1 ms, the time attribute's type), the record keyed by the group and
// timed by window_time (see WindowTVF for LTZ and window_time).
//
// Semantics, as Flink:
//
//   - A window fires once, when the operator's watermark reaches
//     window_end - 1 (for an LTZ time attribute: the instant the local
//     window_end - 1 occurs), emitting its final result; a window without
//     rows (or whose rows were all retracted) emits nothing; state of a
//     window is purged when no later window needs it.
//   - A row counts in every window containing it that had not fired when
//     it arrived. When all of them had fired, the row is late: counted
//     (Context.CountLate) and dead-lettered (code "late"). A HOP row
//     whose first windows have fired still counts in its later ones.
//   - SESSION: per group, a row opens [t, t + gap), merged with every
//     session it overlaps or touches (Flink's TimeWindow.intersects);
//     a session fires when the watermark reaches its end - 1. A row is
//     late when it merges with no open session and its own [t, t+gap)
//     has fired.
//   - Processing-time windows (TimeCol -1) assign the task's clock and
//     fire on processing-time timers; nothing is late (a row arriving in
//     the millisecond its window fired counts in the next one).
//   - Input should be insert-only (Flink requires an append stream). A
//     -U/-D row is retracted from the windows a +I of it would go to when
//     every call can retract, else dead-lettered (code
//     "retract_unsupported"); a window's row counter decides emptiness.
//   - A NULL time attribute dead-letters the row ("null_rowtime"); an
//     aggregate error dead-letters it ("agg_error").
//
// TUMBLE/HOP/CUMULATE share slices (Flink's slice-shared assigner): a
// group keeps one accumulator set per slice (gcd(size, slide) for HOP,
// the step for CUMULATE, the window for TUMBLE), so a row costs one Add
// however many windows it is in, and a firing window merges its slices.
// CUMULATE folds the slices of fired windows into one running set. When
// a call cannot merge (Bound.Mergeable false), HOP and CUMULATE keep one
// set per window instead. A group's windows stay decoded in memory
// (at most MaxCachedGroups groups; past it those not used since the
// previous eviction are written to state and dropped) and every changed
// group is written back in PrepareCheckpoint. A group's timers form a
// chain: firing a window registers the group's next window with rows (a
// new slice registers its own first window).
//
// At the end of a drained input every open window is emitted without
// being discarded, so a later run continuing it emits it again, complete
// (sinks upsert by window and key), as operator.TumblingWindow.
func WindowAgg(spec WindowAggSpec) stream.Factory {
	return func() stream.Operator {
		w := &windowAgg{spec: spec, clock: newWindowClock(spec.Window), calls: newWindowCalls(spec.Calls)}
		w.perWindow = spec.perWindow || (!w.calls.mergeable && spec.Window.Kind != Tumble)
		return w
	}
}

// winBucket is one accumulator set of a group: a slice, a window (per
// window mode), CUMULATE's running set [cycle start, last fired end), or
// a session. Times are local milliseconds, [start, end).
type winBucket struct {
	start, end int64
	count      int64 // rows added minus rows retracted
	accs       []aggfn.Acc
}

// winGroup is one group's windows.
type winGroup struct {
	keyVals []row.Value
	// fired: aligned windows ending at or before it have fired (or had
	// closed before any row of the group reached them).
	fired   int64
	buckets []*winBucket // by end (aligned) or start (sessions); disjoint
	// sent: the windows an end of input emitted while still open, with
	// the row emitted (row.AppendKey of its values): emitting the same
	// row again (the next run's end of input, the real firing) is
	// skipped, so a consumer sees each window once per change.
	sent []sentWindow
}

type sentWindow struct {
	start, end int64
	row        []byte
}

// sentAt returns the index of window [start, end) in g.sent, or -1.
func (g *winGroup) sentAt(start, end int64) int {
	return slices.IndexFunc(g.sent, func(s sentWindow) bool { return s.start == start && s.end == end })
}

type windowAgg struct {
	spec      WindowAggSpec
	clock     windowClock
	calls     windowCalls
	perWindow bool
	ctx       *stream.Context
	groups    *state.ValueState
	cache     windowCache[*winGroup]
	domain    state.TimeDomain
	width     int
	ltzOut    bool
	eoi       map[string]bool // groups emitted in this end-of-input pass

	closedProgress, closed int64 // clock.closedEnd cache

	applied, created []*winBucket
	out              row.Row
	rec              stream.Record
	buf              []byte
	accBuf           []byte
	rowKey           []byte
}

func (w *windowAgg) Open(ctx *stream.Context) error {
	if err := w.spec.Validate(); err != nil {
		return err
	}
	w.ctx = ctx
	w.groups = ctx.Value("windows")
	w.cache = newWindowCache[*winGroup](w.spec.MaxCachedGroups)
	w.domain = state.EventTime
	if w.spec.Window.TimeCol < 0 {
		w.domain = state.ProcessingTime
	}
	w.ltzOut = w.spec.Window.LTZ || w.spec.Window.TimeCol < 0
	w.width = max(MinWidth(w.spec.Keys...), w.calls.width, w.spec.Window.TimeCol+1)
	w.closedProgress = math.MinInt64
	w.closed = math.MinInt64
	return nil
}

// progress is what decides whether a window has fired: the watermark, or
// for processing-time windows the clock.
func (w *windowAgg) progress() int64 {
	if w.domain == state.ProcessingTime {
		return w.ctx.Now().UnixMilli()
	}
	return w.ctx.Watermark()
}

func (w *windowAgg) closedEnd(p int64) int64 {
	if p != w.closedProgress {
		w.closedProgress, w.closed = p, w.clock.closedEnd(p)
	}
	return w.closed
}

func (w *windowAgg) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "window_agg", w.width)
	if err != nil {
		return err
	}
	accumulate := in.Kind.IsAccumulate()
	if !accumulate && !w.calls.retractable {
		return stream.BadInput("retract_unsupported", "window_agg: cannot retract a %s row (an aggregate cannot retract)", in.Kind)
	}
	var t int64
	if w.spec.Window.TimeCol >= 0 {
		if t, err = windowTimeOf(in, w.spec.Window.TimeCol, "window_agg"); err != nil {
			return err
		}
	} else {
		t = w.ctx.Now().UnixMilli()
	}
	lt := w.clock.local(t)
	p := w.progress()
	if w.domain == state.ProcessingTime {
		// A row arriving in the very millisecond its window fired (end - 1)
		// belongs to the next millisecond: processing time is never late,
		// and a fired window must not fire again.
		last := lt + w.clock.gap
		if w.spec.Window.Kind != Session {
			last = w.clock.lastEndOf(lt)
		}
		if w.clock.fired(last, p) {
			t, lt = t+1, lt+1
		}
	}
	w.calls.load(in)
	if w.spec.Window.Kind == Session {
		return w.processSession(rec, in, t, lt, p, accumulate)
	}
	if w.domain == state.EventTime && w.clock.fired(w.clock.lastEndOf(lt), p) {
		w.ctx.CountLate()
		return windowLate("window_agg", t, p)
	}
	e, g, err := w.group(rec.Key)
	if err != nil {
		return err
	}
	if g == nil {
		g = &winGroup{fired: math.MinInt64}
	}
	if w.domain == state.EventTime {
		// Timers due at the watermark have fired before it reached this
		// operator. Processing-time timers fire between fetches, so the
		// clock can be past a window whose timer is still due: only
		// OnTimer moves fired then (a row's own window is never closed).
		g.fired = max(g.fired, w.closedEnd(p))
	}
	w.applied, w.created = w.applied[:0], w.created[:0]
	if w.perWindow {
		w.clock.windows(lt, func(start, end int64) {
			if err == nil && end > g.fired {
				err = w.add(g, w.bucket(g, start, end), accumulate)
			}
		})
	} else {
		b := g.find(lt)
		if b == nil {
			s := windowAlign(lt, w.clock.unit, w.clock.off)
			b = w.bucket(g, s, s+w.clock.unit)
		}
		err = w.add(g, b, accumulate)
	}
	if err != nil {
		return w.failed(g, err, accumulate)
	}
	for _, b := range w.created {
		// A new bucket: its first unfired window needs a timer (the
		// group's timer chain may not reach it).
		if end, ok := w.nextWindow(g, g.fired, b); ok {
			if err := w.ctx.RegisterTimer(w.domain, w.clock.trigger(end), rec.Key); err != nil {
				return err
			}
		}
	}
	if e == nil {
		g.keyVals = make([]row.Value, len(w.spec.Keys))
		for i, k := range w.spec.Keys {
			g.keyVals[i] = in.Values[k]
		}
		if e, err = w.cache.add(rec.Key, g, false, w.flush); err != nil {
			return err
		}
	}
	e.dirty, e.used = true, true
	return nil
}

// bucket returns g's bucket [start, end), created if missing (listed in
// w.created).
func (w *windowAgg) bucket(g *winGroup, start, end int64) *winBucket {
	i := len(g.buckets)
	for i > 0 && g.buckets[i-1].end >= end {
		if b := g.buckets[i-1]; b.end == end && b.start == start {
			return b
		}
		i--
	}
	b := &winBucket{start: start, end: end, accs: w.calls.newAccs()}
	g.buckets = slices.Insert(g.buckets, i, b)
	w.created = append(w.created, b)
	return b
}

// find returns the bucket of g holding local time t (slicing mode).
func (g *winGroup) find(t int64) *winBucket {
	for i := len(g.buckets) - 1; i >= 0; i-- {
		if b := g.buckets[i]; b.start <= t && t < b.end {
			return b
		}
	}
	return nil
}

// add applies the loaded row to b (listed in w.applied).
func (w *windowAgg) add(g *winGroup, b *winBucket, accumulate bool) error {
	if err := w.calls.apply(b.accs, accumulate, "window_agg"); err != nil {
		return err
	}
	if accumulate {
		b.count++
	} else {
		b.count--
	}
	w.applied = append(w.applied, b)
	return nil
}

// failed undoes a row that failed on one of its buckets (apply undid that
// one): the buckets it was applied to get it taken back, the buckets it
// created go. err is returned unless the undo itself fails.
func (w *windowAgg) failed(g *winGroup, err error, accumulate bool) error {
	for _, b := range w.applied {
		if accumulate && !w.calls.retractable {
			return fmt.Errorf("window_agg: %v, on a row already added to another window, which an aggregate cannot retract", err)
		}
		if uerr := w.calls.apply(b.accs, !accumulate, "window_agg"); uerr != nil {
			return fmt.Errorf("window_agg: %v, and undoing it failed: %v", err, uerr)
		}
		if accumulate {
			b.count--
		} else {
			b.count++
		}
	}
	g.buckets = slices.DeleteFunc(g.buckets, func(b *winBucket) bool { return slices.Contains(w.created, b) })
	return err
}

// firstEnd and lastEnd are the ends of the first and last aligned windows
// bucket b is part of.
func (w *windowAgg) firstEnd(b *winBucket) int64 {
	if w.perWindow {
		return b.end
	}
	return w.clock.nextEnd(b.end - 1)
}

func (w *windowAgg) lastEnd(b *winBucket) int64 {
	if w.perWindow {
		return b.end
	}
	return w.clock.lastEndOf(b.start)
}

// nextWindow is the end of g's first window after the end `after` with
// rows (of bucket only, when only != nil).
func (w *windowAgg) nextWindow(g *winGroup, after int64, only *winBucket) (int64, bool) {
	lo := int64(math.MinInt64)
	if after != math.MinInt64 {
		lo = w.clock.nextEnd(after)
	}
	best, ok := int64(math.MaxInt64), false
	for _, b := range g.buckets {
		if only != nil && b != only {
			continue
		}
		e := max(w.firstEnd(b), lo)
		if e <= w.lastEnd(b) && e < best {
			best, ok = e, true
		}
	}
	return best, ok
}

// group returns the cache entry and windows of key (nil, nil if none).
func (w *windowAgg) group(key []byte) (*windowEntry[*winGroup], *winGroup, error) {
	if e := w.cache.get(key); e != nil {
		return e, e.v, nil
	}
	raw, ok, err := w.groups.Get(key)
	if err != nil || !ok {
		return nil, nil, err
	}
	g, err := w.decode(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("window_agg: group %x: %w", key, err)
	}
	e, err := w.cache.add(key, g, true, w.flush)
	if err != nil {
		return nil, nil, err
	}
	e.used = true
	return e, g, nil
}

// flush writes e to state if it changed since it was last written.
func (w *windowAgg) flush(e *windowEntry[*winGroup]) error {
	if !e.dirty {
		return nil
	}
	if err := w.groups.Put(e.key, w.encode(e.v)); err != nil {
		return err
	}
	e.dirty, e.stored = false, true
	return nil
}

// forget removes a group without windows from memory and state.
func (w *windowAgg) forget(e *windowEntry[*winGroup]) error {
	w.cache.remove(e)
	if e.stored {
		return w.groups.Delete(e.key)
	}
	return nil
}

// PrepareCheckpoint writes every changed group to state.
func (w *windowAgg) PrepareCheckpoint(stream.Emitter) error { return w.cache.flushAll(w.flush) }

// State layout of a group: version 1, the key values (self-describing),
// fired (varint), the number of buckets, then per bucket start, end and
// count (varints) and each accumulator length-prefixed. Version 2 (a
// group with windows emitted at an end of input) adds the number of them
// and per window start, end (varints) and the row (length-prefixed).
const (
	windowGroupV1 = 1
	windowGroupV2 = 2
)

func (w *windowAgg) encode(g *winGroup) []byte {
	ver := byte(windowGroupV1)
	if len(g.sent) > 0 {
		ver = windowGroupV2
	}
	b := append(w.buf[:0], ver)
	b = windowAppendValues(b, g.keyVals)
	b = binary.AppendVarint(b, g.fired)
	b = binary.AppendUvarint(b, uint64(len(g.buckets)))
	for _, k := range g.buckets {
		b = binary.AppendVarint(b, k.start)
		b = binary.AppendVarint(b, k.end)
		b = binary.AppendVarint(b, k.count)
		b = windowAppendAccs(b, k.accs, &w.accBuf)
	}
	if ver == windowGroupV2 {
		b = binary.AppendUvarint(b, uint64(len(g.sent)))
		for _, s := range g.sent {
			b = binary.AppendVarint(b, s.start)
			b = binary.AppendVarint(b, s.end)
			b = binary.AppendUvarint(b, uint64(len(s.row)))
			b = append(b, s.row...)
		}
	}
	w.buf = b
	return b
}

func (w *windowAgg) decode(raw []byte) (*winGroup, error) {
	r := stateReader{b: raw}
	ver := r.byte1()
	if r.err == nil && ver != windowGroupV1 && ver != windowGroupV2 {
		return nil, fmt.Errorf("%w: window group version %d", errCorruptState, ver)
	}
	g := &winGroup{keyVals: windowReadValues(&r), fired: r.varint()}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errCorruptState
	}
	g.buckets = make([]*winBucket, n)
	for i := range g.buckets {
		b := &winBucket{start: r.varint(), end: r.varint(), count: r.varint()}
		var err error
		if b.accs, err = w.calls.readAccs(&r); err != nil {
			return nil, err
		}
		g.buckets[i] = b
	}
	if ver == windowGroupV2 {
		n := r.uvarint()
		if r.err != nil || n > uint64(len(r.b)) {
			return nil, errCorruptState
		}
		g.sent = make([]sentWindow, n)
		for i := range g.sent {
			g.sent[i] = sentWindow{start: r.varint(), end: r.varint()}
			g.sent[i].row = slices.Clone(r.bytes())
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return g, nil
}

// OnTimer fires key's windows due at ts.
func (w *windowAgg) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	e, g, err := w.group(key)
	if err != nil || g == nil {
		return err
	}
	if w.spec.Window.Kind == Session {
		return w.fireSessions(e, ts, out)
	}
	fired := false
	for {
		end, ok := w.nextWindow(g, g.fired, nil)
		if !ok || w.clock.trigger(end) > ts {
			break
		}
		if err := w.emitWindow(key, g, end, out, true); err != nil {
			return err
		}
		g.fired, fired = end, true
	}
	if fired {
		g.sent = slices.DeleteFunc(g.sent, func(s sentWindow) bool { return s.end <= g.fired })
		e.dirty = true
		g.buckets = slices.DeleteFunc(g.buckets, func(b *winBucket) bool { return w.lastEnd(b) <= g.fired })
		if len(g.buckets) == 0 {
			return w.forget(e)
		}
	}
	// The group's timer chain: its next window with rows.
	if end, ok := w.nextWindow(g, g.fired, nil); ok {
		return w.ctx.RegisterTimer(w.domain, w.clock.trigger(end), key)
	}
	return nil
}

// emitWindow emits g's window ending at end (nothing when it holds no
// rows). fire: the window fires (its timer), and CUMULATE folds its
// slices into one running set; else an end of input emits it while open
// (emitRow's eoi). A Merge failure (an aggregate bug: merging is total)
// fails the task.
func (w *windowAgg) emitWindow(key []byte, g *winGroup, end int64, out stream.Emitter, fire bool) error {
	start := w.clock.startOf(end)
	var first *winBucket
	n, count := 0, int64(0)
	for _, b := range g.buckets {
		if w.perWindow && b.end == end && b.start == start || !w.perWindow && b.start >= start && b.end <= end {
			if first == nil {
				first = b
			}
			n++
			count += b.count
		}
	}
	if n == 0 {
		return nil
	}
	accs := first.accs
	if n > 1 {
		accs = w.calls.newAccs()
		for _, b := range g.buckets {
			if b.start >= start && b.end <= end {
				for i, a := range accs {
					if err := a.Merge(b.accs[i]); err != nil {
						return fmt.Errorf("window_agg: merging slices of %s: %w", w.spec.Calls[i].Fn.Name, err)
					}
				}
			}
		}
	}
	if count > 0 {
		w.emitRow(key, g, accs, start, end, out, !fire)
	}
	if fire && !w.perWindow && w.spec.Window.Kind == Cumulate && end < start+w.clock.size {
		base := &winBucket{start: start, end: end, count: count, accs: accs}
		g.buckets = slices.DeleteFunc(g.buckets, func(b *winBucket) bool { return b.start >= start && b.end <= end })
		i := slices.IndexFunc(g.buckets, func(b *winBucket) bool { return b.end > end })
		if i < 0 {
			i = len(g.buckets)
		}
		g.buckets = slices.Insert(g.buckets, i, base)
	}
	return nil
}

// emitRow emits g's window [start, end) with the results of accs. eoi:
// the end of a drained input emits the window while it is open; the row
// is remembered in g.sent, and a later emission of the same row (another
// end of input, the firing) is skipped. The caller marks g dirty.
func (w *windowAgg) emitRow(key []byte, g *winGroup, accs []aggfn.Acc, start, end int64, out stream.Emitter, eoi bool) {
	vals := append(w.out.Values[:0], g.keyVals...)
	for _, a := range accs {
		vals = append(vals, a.Result())
	}
	wt, tm := w.clock.windowTime(end, w.ltzOut)
	w.out.Kind, w.out.Values = row.Insert, append(vals, row.Timestamp(start, 0), row.Timestamp(end, 0), wt)
	if i := g.sentAt(start, end); i >= 0 || eoi {
		w.rowKey = row.AppendKey(w.rowKey[:0], w.out.Values...)
		same := i >= 0 && bytes.Equal(g.sent[i].row, w.rowKey)
		switch {
		case eoi && i >= 0:
			g.sent[i].row = append(g.sent[i].row[:0], w.rowKey...)
		case eoi:
			g.sent = append(g.sent, sentWindow{start: start, end: end, row: slices.Clone(w.rowKey)})
		default:
			g.sent = slices.Delete(g.sent, i, i+1) // fired: done with it
		}
		if same {
			return
		}
	}
	w.rec = stream.Record{Key: key, Time: tm, Row: &w.out}
	out.Emit(0, &w.rec)
}

// OnEndOfInputTimer emits every open window of key at the end of a
// drained input, once per group however many timers it has, keeping
// them (a later run continues them).
func (w *windowAgg) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	if d != w.domain || w.eoi[string(key)] {
		return nil
	}
	if w.eoi == nil {
		w.eoi = map[string]bool{}
	}
	w.eoi[string(key)] = true
	e, g, err := w.group(key)
	if err != nil || g == nil {
		return err
	}
	e.dirty = true // g.sent changes
	if w.spec.Window.Kind == Session {
		for _, b := range g.buckets {
			if b.count > 0 {
				w.emitRow(key, g, b.accs, b.start, b.end, out, true)
			}
		}
		return nil
	}
	for after := g.fired; ; {
		end, ok := w.nextWindow(g, after, nil)
		if !ok {
			return nil
		}
		if err := w.emitWindow(key, g, end, out, false); err != nil {
			return err
		}
		after = end
	}
}

// EndOfInput ends the end-of-input pass.
func (w *windowAgg) EndOfInput(stream.Emitter) error {
	w.eoi = nil
	return nil
}
