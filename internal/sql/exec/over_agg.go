package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// OverSpec is an OVER aggregation: agg(...) OVER (PARTITION BY
// PartitionKeys ORDER BY the time attribute ROWS|RANGE BETWEEN ...
// PRECEDING AND CURRENT ROW), every call over the same window (as Flink
// requires for streaming).
type OverSpec struct {
	PartitionKeys []int
	// TimeCol is the rowtime column (TIMESTAMP(3) or TIMESTAMP_LTZ(3)), or
	// -1 for processing time.
	TimeCol int
	// Rows: a ROWS frame (Preceding rows before the current one), else a
	// RANGE frame (rows at most PrecedingTime older than the current
	// one). Unbounded: UNBOUNDED PRECEDING. CURRENT ROW as the start is
	// Preceding 0 / PrecedingTime 0.
	Rows          bool
	Preceding     int64
	PrecedingTime time.Duration
	Unbounded     bool
	Calls         []AggCall
	// MaxCachedGroups bounds the partitions a task keeps decoded in
	// memory (0: 8192).
	MaxCachedGroups int
}

// Validate reports a spec the operator cannot run (a planning error).
func (s OverSpec) Validate() error {
	if s.TimeCol < -1 {
		return fmt.Errorf("over_agg: time column %d", s.TimeCol)
	}
	if s.Preceding < 0 || s.PrecedingTime < 0 {
		return fmt.Errorf("over_agg: negative preceding bound")
	}
	if err := checkCols("over_agg partition keys", s.PartitionKeys...); err != nil {
		return err
	}
	return validateWindowCalls("over_agg", s.Calls)
}

// OverAgg returns the OVER aggregation (Flink's RowTime/ProcTime
// Rows/Range Bounded/Unbounded PrecedingFunctions). Its input is
// repartitioned by stream.KeyByColumns on the partition keys (the record
// key identifies the partition). Each input row is emitted once,
// insert-only, with one column per call appended: the calls' results
// over its frame.
//
// Event time: rows are buffered until the watermark reaches their time,
// then processed in time order: all rows of one time together in RANGE
// mode (they see each other, and share one result), one by one in
// arrival order in ROWS mode. A RANGE frame holds the rows whose time is
// within PrecedingTime of the current row's, bounds included (Flink
// retracts a row when current - its time > the interval); a ROWS frame
// the Preceding rows before the current one. A row at or behind the
// watermark when it arrives is late: counted and dead-lettered ("late").
// (Flink only drops rows at or before the last time it processed for
// the partition: rtdw judges every operator by its watermark, so late
// rows do not depend on the arrival order of other partitions.)
//
// Processing time: each row is processed when it arrives, with the
// task's clock as its time (rows of one millisecond do not see later
// ones).
//
// Rows leaving a bounded frame are retracted from the accumulators when
// every call can retract, else the accumulators are rebuilt from the
// frame. A bounded RANGE partition that stays quiet for the interval is
// purged. Input must be insert-only (as Flink): -U/-D rows are
// dead-lettered ("retract_unsupported"). At the end of a drained input
// the buffered rows are emitted as if the watermark had passed them,
// without being consumed (a later run continues); each row remembers
// what it emitted, and is not emitted again (at another end of input,
// or when the watermark passes it) unless its result changed.
func OverAgg(spec OverSpec) stream.Factory {
	return func() stream.Operator {
		return &overAgg{spec: spec, calls: newWindowCalls(spec.Calls)}
	}
}

// overGroup is one partition's state. The accumulators and the rows
// waiting for the watermark stay in memory (written back at checkpoints);
// the frame's rows live in map state under an arrival sequence number.
type overGroup struct {
	lastTs     int64  // time of the last processed rows
	head, next uint64 // the frame is rows [head, next)
	headTs     int64  // time of row head, when head < next
	accs       []aggfn.Acc
	pending    []overPending // by time
}

type overPending struct {
	ts   int64
	rows [][]row.Value
	// sent: per row, the output emitted at an end of input (row.AppendKey
	// of its values), nil when none; nil when no row was sent.
	sent [][]byte
}

type overAgg struct {
	spec    OverSpec
	calls   windowCalls
	ctx     *stream.Context
	groups  *state.ValueState
	frame   *state.MapState // key -> seq (8 bytes) -> time, row
	cache   windowCache[*overGroup]
	width   int
	bounded bool
	rebuild bool // a call cannot retract: rebuild from the frame
	domain  state.TimeDomain
	eoi     map[string]bool

	dry     map[uint64]overFrameRow // end-of-input overlay of frame writes
	isDry   bool
	results []row.Value
	rowKey  []byte
	out     row.Row
	rec     stream.Record
	buf     []byte
	accBuf  []byte
	kbuf    [8]byte
}

type overFrameRow struct {
	ts   int64
	vals []row.Value
}

func (o *overAgg) Open(ctx *stream.Context) error {
	if err := o.spec.Validate(); err != nil {
		return err
	}
	o.ctx = ctx
	o.groups = ctx.Value("over")
	o.frame = ctx.Map("frame")
	o.cache = newWindowCache[*overGroup](o.spec.MaxCachedGroups)
	o.width = max(MinWidth(o.spec.PartitionKeys...), o.calls.width, o.spec.TimeCol+1)
	o.bounded = !o.spec.Unbounded
	o.rebuild = o.bounded && !o.calls.retractable
	o.domain = state.EventTime
	if o.spec.TimeCol < 0 {
		o.domain = state.ProcessingTime
	}
	return nil
}

func (o *overAgg) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "over_agg", o.width)
	if err != nil {
		return err
	}
	if !in.Kind.IsAccumulate() {
		return stream.BadInput("retract_unsupported", "over_agg: an OVER aggregation takes insert-only input, got %s", in.Kind)
	}
	if o.domain == state.ProcessingTime {
		e, err := o.group(rec.Key, true)
		if err != nil {
			return err
		}
		e.dirty, e.used = true, true
		return o.process(rec.Key, e.v, o.ctx.Now().UnixMilli(), [][]row.Value{in.Values}, nil, rec.Time, out)
	}
	ts, err := windowTimeOf(in, o.spec.TimeCol, "over_agg")
	if err != nil {
		return err
	}
	if wm := o.ctx.Watermark(); ts <= wm {
		o.ctx.CountLate()
		return windowLate("over_agg", ts, wm)
	}
	e, err := o.group(rec.Key, true)
	if err != nil {
		return err
	}
	g := e.v
	i, found := slices.BinarySearchFunc(g.pending, ts, func(p overPending, ts int64) int { return cmp.Compare(p.ts, ts) })
	if !found {
		g.pending = slices.Insert(g.pending, i, overPending{ts: ts})
		if err := o.ctx.RegisterTimer(state.EventTime, ts, rec.Key); err != nil {
			return err
		}
	}
	p := &g.pending[i]
	p.rows = append(p.rows, slices.Clone(in.Values))
	if p.sent != nil {
		p.sent = append(p.sent, nil)
	}
	e.dirty, e.used = true, true
	return nil
}

// group returns the partition's entry (created when create is set).
func (o *overAgg) group(key []byte, create bool) (*windowEntry[*overGroup], error) {
	if e := o.cache.get(key); e != nil {
		return e, nil
	}
	raw, ok, err := o.groups.Get(key)
	if err != nil {
		return nil, err
	}
	var g *overGroup
	switch {
	case ok:
		if g, err = o.decode(raw); err != nil {
			return nil, fmt.Errorf("over_agg: partition %x: %w", key, err)
		}
	case create:
		g = &overGroup{lastTs: math.MinInt64, accs: o.calls.newAccs()}
	default:
		return nil, nil
	}
	return o.cache.add(key, g, ok, o.flush)
}

// OnTimer processes the partition's rows of time ts, or purges a bounded
// RANGE partition whose frame can no longer reach a new row.
func (o *overAgg) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	e, err := o.group(key, false)
	if err != nil || e == nil {
		return err
	}
	g := e.v
	for len(g.pending) > 0 && g.pending[0].ts <= ts {
		p := g.pending[0]
		g.pending = g.pending[1:]
		e.dirty = true
		if err := o.process(key, g, p.ts, p.rows, p.sent, p.ts, out); err != nil {
			return err
		}
	}
	if o.bounded && !o.spec.Rows && len(g.pending) == 0 && g.lastTs < ts-o.spec.PrecedingTime.Milliseconds() {
		// Every row to come is after the watermark (>= ts): the frame's
		// rows are all more than the interval older.
		for s := g.head; s < g.next; s++ {
			if err := o.frame.Delete(key, o.seqKey(s)); err != nil {
				return err
			}
		}
		o.cache.remove(e)
		if e.stored {
			return o.groups.Delete(key)
		}
	}
	return nil
}

// process computes and emits the results of rows, all of time ts, timed
// recTime (the rowtime, or the input record's time in processing time).
// sent, when not nil, holds per row what an end of input emitted.
func (o *overAgg) process(key []byte, g *overGroup, ts int64, rows [][]row.Value, sent [][]byte, recTime int64, out stream.Emitter) error {
	sentOf := func(i int) *[]byte {
		if sent == nil {
			return nil
		}
		return &sent[i]
	}
	if o.spec.Rows {
		for i, r := range rows {
			ok, err := o.add(key, g, r, ts)
			if err != nil {
				return err
			}
			if !ok {
				continue // dead-lettered
			}
			if o.bounded {
				if err := o.push(key, g, ts, r); err != nil {
					return err
				}
				for g.next-g.head > uint64(o.spec.Preceding)+1 {
					if err := o.pop(key, g); err != nil {
						return err
					}
				}
				if o.rebuild {
					if err := o.rebuildAccs(key, g); err != nil {
						return err
					}
				}
			}
			o.emit(key, g, r, recTime, out, sentOf(i))
		}
		g.lastTs = ts
		return nil
	}
	// RANGE: retract what the new time pushes out, then add every row of
	// the time, emit them all with the same results.
	if o.bounded {
		cutoff := ts - o.spec.PrecedingTime.Milliseconds()
		for g.head < g.next && g.headTs < cutoff {
			if err := o.pop(key, g); err != nil {
				return err
			}
		}
	}
	var kept []int
	for i, r := range rows {
		ok, err := o.add(key, g, r, ts)
		if err != nil {
			return err
		}
		if ok {
			kept = append(kept, i)
			if o.bounded {
				if err := o.push(key, g, ts, r); err != nil {
					return err
				}
			}
		}
	}
	if o.rebuild {
		if err := o.rebuildAccs(key, g); err != nil {
			return err
		}
	}
	for _, i := range kept {
		o.emit(key, g, rows[i], recTime, out, sentOf(i))
	}
	g.lastTs = ts
	if o.bounded && !o.isDry {
		// The purge check (see OnTimer), when no row came in the meantime.
		return o.ctx.RegisterTimer(o.domain, ts+o.spec.PrecedingTime.Milliseconds()+1, key)
	}
	return nil
}

// add accumulates one row (unless rebuilding); false with a nil error
// when the row failed an aggregate and was dead-lettered.
func (o *overAgg) add(key []byte, g *overGroup, r []row.Value, ts int64) (bool, error) {
	if o.rebuild {
		return true, nil
	}
	o.calls.load(&row.Row{Values: r})
	err := o.calls.apply(g.accs, true, "over_agg")
	if b, ok := stream.AsBadInput(err); ok {
		if !o.isDry {
			rr := row.NewRow(row.Insert, r...)
			o.ctx.DeadLetter(&stream.Record{Key: key, Time: ts, Row: &rr}, b)
		}
		return false, nil
	}
	return err == nil, err
}

// emit emits a row's result. sent, when not nil, is what an end of input
// emitted for the row: the same result is not emitted again, and an end
// of input records what it emits.
func (o *overAgg) emit(key []byte, g *overGroup, r []row.Value, recTime int64, out stream.Emitter, sent *[]byte) {
	vals := append(o.out.Values[:0], r...)
	for _, a := range g.accs {
		vals = append(vals, a.Result())
	}
	o.out.Kind, o.out.Values = row.Insert, vals
	if sent != nil {
		o.rowKey = row.AppendKey(o.rowKey[:0], vals...)
		if *sent != nil && bytes.Equal(*sent, o.rowKey) {
			return
		}
		if o.isDry {
			*sent = slices.Clone(o.rowKey)
		}
	}
	o.rec = stream.Record{Key: key, Time: recTime, Row: &o.out}
	out.Emit(0, &o.rec)
}

func (o *overAgg) seqKey(s uint64) []byte {
	binary.BigEndian.PutUint64(o.kbuf[:], s)
	return o.kbuf[:]
}

// push appends a row to the frame.
func (o *overAgg) push(key []byte, g *overGroup, ts int64, r []row.Value) error {
	if g.head == g.next {
		g.headTs = ts
	}
	s := g.next
	g.next++
	if o.isDry {
		o.dry[s] = overFrameRow{ts: ts, vals: r}
		return nil
	}
	o.buf = windowAppendValues(binary.AppendVarint(o.buf[:0], ts), r)
	return o.frame.Put(key, o.seqKey(s), o.buf)
}

// frameRow reads row s of the frame.
func (o *overAgg) frameRow(key []byte, s uint64) (overFrameRow, error) {
	if fr, ok := o.dry[s]; ok {
		return fr, nil
	}
	raw, ok, err := o.frame.Get(key, o.seqKey(s))
	if err != nil {
		return overFrameRow{}, err
	}
	if !ok {
		return overFrameRow{}, fmt.Errorf("over_agg: partition %x: frame row %d missing: %w", key, s, errCorruptState)
	}
	r := stateReader{b: raw}
	fr := overFrameRow{ts: r.varint(), vals: windowReadValues(&r)}
	if err := r.done(); err != nil {
		return overFrameRow{}, err
	}
	return fr, nil
}

// pop removes the frame's oldest row, retracting it.
func (o *overAgg) pop(key []byte, g *overGroup) error {
	s := g.head
	if !o.rebuild {
		fr, err := o.frameRow(key, s)
		if err != nil {
			return err
		}
		o.calls.load(&row.Row{Values: fr.vals})
		if err := o.calls.apply(g.accs, false, "over_agg"); err != nil {
			return fmt.Errorf("over_agg: retracting a row leaving the frame: %v", err)
		}
	}
	g.head++
	if !o.isDry {
		if err := o.frame.Delete(key, o.seqKey(s)); err != nil {
			return err
		}
	}
	if g.head < g.next {
		fr, err := o.frameRow(key, g.head)
		if err != nil {
			return err
		}
		g.headTs = fr.ts
	}
	return nil
}

// rebuildAccs recomputes the accumulators from the frame (calls that
// cannot retract).
func (o *overAgg) rebuildAccs(key []byte, g *overGroup) error {
	g.accs = o.calls.newAccs()
	for s := g.head; s < g.next; s++ {
		fr, err := o.frameRow(key, s)
		if err != nil {
			return err
		}
		o.calls.load(&row.Row{Values: fr.vals})
		if err := o.calls.apply(g.accs, true, "over_agg"); err != nil {
			return fmt.Errorf("over_agg: rebuilding the frame: %v", err)
		}
	}
	return nil
}

// OnEndOfInputTimer emits a partition's buffered rows at the end of a
// drained input as if the watermark had passed them, on a copy of its
// state (the rows stay buffered for a later run).
func (o *overAgg) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime || o.eoi[string(key)] {
		return nil
	}
	if o.eoi == nil {
		o.eoi = map[string]bool{}
	}
	o.eoi[string(key)] = true
	e, err := o.group(key, false)
	if err != nil || e == nil || len(e.v.pending) == 0 {
		return err
	}
	e.dirty = true // the rows remember what they emit
	for i := range e.v.pending {
		if p := &e.v.pending[i]; p.sent == nil {
			p.sent = make([][]byte, len(p.rows))
		}
	}
	g := *e.v
	g.accs = make([]aggfn.Acc, len(e.v.accs))
	for i, a := range e.v.accs {
		c := o.spec.Calls[i].Fn.New()
		if err := c.Unmarshal(a.Marshal(nil)); err != nil {
			return err
		}
		g.accs[i] = c
	}
	o.isDry, o.dry = true, map[uint64]overFrameRow{}
	defer func() { o.isDry, o.dry = false, nil }()
	for _, p := range g.pending {
		if err := o.process(key, &g, p.ts, p.rows, p.sent, p.ts, out); err != nil {
			return err
		}
	}
	return nil
}

// EndOfInput ends the end-of-input pass.
func (o *overAgg) EndOfInput(stream.Emitter) error {
	o.eoi = nil
	return nil
}

// PrepareCheckpoint writes every changed partition to state.
func (o *overAgg) PrepareCheckpoint(stream.Emitter) error { return o.cache.flushAll(o.flush) }

func (o *overAgg) flush(e *windowEntry[*overGroup]) error {
	if !e.dirty {
		return nil
	}
	if err := o.groups.Put(e.key, o.encode(e.v)); err != nil {
		return err
	}
	e.dirty, e.stored = false, true
	return nil
}

// State layout of a partition: version 2, lastTs, head, next, headTs,
// the accumulators, then the buffered rows: the number of times, and per
// time the time, the number of rows and each row's values followed by
// the length and bytes of what an end of input emitted for it (0: none).
// Version 1 had no emitted outputs.
const (
	overGroupV1 = 1
	overGroupV2 = 2
)

func (o *overAgg) encode(g *overGroup) []byte {
	b := append(o.buf[:0], overGroupV2)
	b = binary.AppendVarint(b, g.lastTs)
	b = binary.AppendUvarint(b, g.head)
	b = binary.AppendUvarint(b, g.next)
	b = binary.AppendVarint(b, g.headTs)
	b = windowAppendAccs(b, g.accs, &o.accBuf)
	b = binary.AppendUvarint(b, uint64(len(g.pending)))
	for _, p := range g.pending {
		b = binary.AppendVarint(b, p.ts)
		b = binary.AppendUvarint(b, uint64(len(p.rows)))
		for i, r := range p.rows {
			b = windowAppendValues(b, r)
			var sent []byte
			if p.sent != nil {
				sent = p.sent[i]
			}
			b = binary.AppendUvarint(b, uint64(len(sent)))
			b = append(b, sent...)
		}
	}
	o.buf = b
	return b
}

func (o *overAgg) decode(raw []byte) (*overGroup, error) {
	r := stateReader{b: raw}
	v := r.byte1()
	if r.err == nil && v != overGroupV1 && v != overGroupV2 {
		return nil, fmt.Errorf("%w: over state version %d", errCorruptState, v)
	}
	g := &overGroup{lastTs: r.varint(), head: r.uvarint(), next: r.uvarint(), headTs: r.varint()}
	var err error
	if g.accs, err = o.calls.readAccs(&r); err != nil {
		return nil, err
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errCorruptState
	}
	for range n {
		p := overPending{ts: r.varint()}
		m := r.uvarint()
		if r.err != nil || m > uint64(len(r.b)) {
			return nil, errCorruptState
		}
		for range m {
			p.rows = append(p.rows, windowReadValues(&r))
			if v == overGroupV1 {
				continue
			}
			n := r.uvarint()
			if r.err != nil || n > uint64(len(r.b)) {
				return nil, errCorruptState
			}
			if n > 0 {
				if p.sent == nil {
					p.sent = make([][]byte, len(p.rows)-1, m)
				}
				p.sent = append(p.sent, slices.Clone(r.b[:n]))
				r.b = r.b[n:]
			} else if p.sent != nil {
				p.sent = append(p.sent, nil)
			}
		}
		g.pending = append(g.pending, p)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return g, nil
}
