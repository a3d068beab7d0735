package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/stream"
)

// WindowKind is the kind of a window TVF (or legacy group window).
type WindowKind uint8

// Window kinds, as Flink's windowing TVFs.
const (
	Tumble WindowKind = iota + 1
	Hop
	Cumulate
	Session
)

func (k WindowKind) String() string {
	switch k {
	case Tumble:
		return "TUMBLE"
	case Hop:
		return "HOP"
	case Cumulate:
		return "CUMULATE"
	case Session:
		return "SESSION"
	}
	return fmt.Sprintf("WindowKind(%d)", uint8(k))
}

// WindowSpec is a window over a time attribute: TUMBLE(size [, offset]),
// HOP(slide, size [, offset]), CUMULATE(step, size [, offset]) or
// SESSION(gap). Durations are taken at millisecond precision.
type WindowSpec struct {
	Kind WindowKind
	// TimeCol is the rowtime column (TIMESTAMP(3) or TIMESTAMP_LTZ(3),
	// whose epoch milliseconds are the event time the watermark is
	// measured in), or -1 for processing-time windows.
	TimeCol int
	// LTZ: the time attribute is a TIMESTAMP_LTZ (processing time always
	// is one in Flink). Windows are then aligned on the wall clock of Loc
	// (nil: UTC), as Flink's shift time zone: a 1-day TUMBLE starts at
	// local midnight, and window_start/window_end are that zone's local
	// TIMESTAMP(3) values.
	LTZ bool
	Loc *time.Location
	// Size of TUMBLE, HOP and CUMULATE windows; Slide of HOP, Step of
	// CUMULATE (Size a multiple of it), Gap of SESSION; Offset shifts the
	// alignment of TUMBLE, HOP and CUMULATE windows (may be negative).
	Size, Slide, Step, Gap, Offset time.Duration
}

// Validate reports a spec no operator can run (a planning error).
func (s WindowSpec) Validate() error {
	pos := func(name string, d time.Duration) error {
		if d < time.Millisecond {
			return fmt.Errorf("%s window: %s %s must be at least 1ms", s.Kind, name, d)
		}
		return nil
	}
	if s.TimeCol < -1 {
		return fmt.Errorf("%s window: time column %d", s.Kind, s.TimeCol)
	}
	switch s.Kind {
	case Tumble:
		return pos("size", s.Size)
	case Hop:
		if err := pos("size", s.Size); err != nil {
			return err
		}
		if err := pos("slide", s.Slide); err != nil {
			return err
		}
		if s.Slide > s.Size {
			// Rows between windows would belong to none (Flink refuses it too).
			return fmt.Errorf("HOP window: slide %s is larger than size %s", s.Slide, s.Size)
		}
		return nil
	case Cumulate:
		if err := pos("size", s.Size); err != nil {
			return err
		}
		if err := pos("step", s.Step); err != nil {
			return err
		}
		if s.Size.Milliseconds()%s.Step.Milliseconds() != 0 {
			return fmt.Errorf("CUMULATE window: size %s is not a multiple of step %s", s.Size, s.Step)
		}
		return nil
	case Session:
		if s.Offset != 0 {
			return fmt.Errorf("SESSION window: no offset")
		}
		return pos("gap", s.Gap)
	}
	return fmt.Errorf("window kind %d", uint8(s.Kind))
}

// windowMod is a mod b in [0, b).
func windowMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// windowAlign is the largest point <= t of the grid {off + k*g}.
func windowAlign(t, g, off int64) int64 { return t - windowMod(t-off, g) }

func windowGCD(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// windowClock does the time arithmetic of one window spec: window
// assignment on local (shifted) milliseconds, the ends grid, and the
// instant at which a window fires. Times called "local" are TIMESTAMP
// milliseconds (wall clock read as UTC): for TIMESTAMP rowtimes they are
// the event times themselves, for TIMESTAMP_LTZ ones the instants shifted
// into Loc.
type windowClock struct {
	kind                        WindowKind
	size, slide, step, gap, off int64
	unit                        int64 // the slice (bucket) length of aligned windows
	grid, gridOff               int64 // window ends are gridOff + k*grid
	zone                        windowZone
	lastEnd, lastTrig           int64 // trigger cache
}

func newWindowClock(s WindowSpec) windowClock {
	c := windowClock{kind: s.Kind, size: s.Size.Milliseconds(), slide: s.Slide.Milliseconds(),
		step: s.Step.Milliseconds(), gap: s.Gap.Milliseconds(), off: s.Offset.Milliseconds(),
		lastEnd: math.MinInt64}
	if s.LTZ && s.Loc != nil && s.Loc != time.UTC {
		c.zone.loc = s.Loc
	}
	switch s.Kind {
	case Tumble:
		c.unit, c.grid, c.gridOff = c.size, c.size, c.off
	case Hop:
		c.unit, c.grid, c.gridOff = windowGCD(c.size, c.slide), c.slide, c.off+c.size
	case Cumulate:
		c.unit, c.grid, c.gridOff = c.step, c.step, c.off
	}
	return c
}

// local converts an event time (or processing time) to local millis.
func (c *windowClock) local(t int64) int64 { return c.zone.toLocal(t) }

// trigger is the instant (watermark) at which the window ending at the
// local time end fires: when the watermark reaches end - 1, as Flink.
func (c *windowClock) trigger(end int64) int64 {
	if c.zone.loc == nil {
		return end - 1
	}
	if end != c.lastEnd {
		c.lastEnd, c.lastTrig = end, c.zone.toInstant(end-1)
	}
	return c.lastTrig
}

// fired reports whether the window ending at end has fired at progress.
func (c *windowClock) fired(end, progress int64) bool { return c.trigger(end) <= progress }

// windows calls fn for each aligned window containing local time t, in
// order of their ends.
func (c *windowClock) windows(t int64, fn func(start, end int64)) {
	switch c.kind {
	case Tumble:
		s := windowAlign(t, c.size, c.off)
		fn(s, s+c.size)
	case Hop:
		last := windowAlign(t, c.slide, c.off)
		first := last
		for first-c.slide+c.size > t {
			first -= c.slide
		}
		for s := first; s <= last; s += c.slide {
			fn(s, s+c.size)
		}
	case Cumulate:
		cs := windowAlign(t, c.size, c.off)
		for e := windowAlign(t, c.step, c.off) + c.step; e <= cs+c.size; e += c.step {
			fn(cs, e)
		}
	}
}

// lastEndOf is the end of the last aligned window containing local time
// t (a row is late when that one has fired).
func (c *windowClock) lastEndOf(t int64) int64 {
	switch c.kind {
	case Tumble, Cumulate:
		return windowAlign(t, c.size, c.off) + c.size
	default: // Hop
		return windowAlign(t, c.slide, c.off) + c.size
	}
}

// startOf is the start of the aligned window ending at end.
func (c *windowClock) startOf(end int64) int64 {
	if c.kind == Cumulate {
		return windowAlign(end-1, c.size, c.off)
	}
	return end - c.size
}

// nextEnd is the first window end of the grid after local time t.
func (c *windowClock) nextEnd(t int64) int64 { return windowAlign(t, c.grid, c.gridOff) + c.grid }

// closedEnd is the last window end of the grid that has fired at
// progress (every window ending at or before it has fired).
func (c *windowClock) closedEnd(progress int64) int64 {
	if progress == math.MinInt64 {
		return math.MinInt64
	}
	e := windowAlign(c.local(progress)+1, c.grid, c.gridOff)
	for c.fired(e+c.grid, progress) {
		e += c.grid
	}
	for !c.fired(e, progress) {
		e -= c.grid
	}
	return e
}

// windowTime is the value of window_time for the window ending at end
// (window_end - 1 ms) and the record time of its rows: a TIMESTAMP(3) of
// the local time, or for LTZ windows the TIMESTAMP_LTZ(3) of the instant
// the window fires (Flink's toEpochMills; in a daylight-saving overlap the
// later of the two instants, so a window's rows are never behind the
// watermark that fired it).
func (c *windowClock) windowTime(end int64, ltz bool) (row.Value, int64) {
	if !ltz {
		return row.Timestamp(end-1, 0), end - 1
	}
	t := c.trigger(end)
	return row.TimestampLTZ(t, 0), t
}

// windowZone converts between instants and wall-clock millis of a time
// zone, caching the zone period the last instant fell in (one offset
// lookup per period, not per row). loc == nil: UTC, no shift.
type windowZone struct {
	loc    *time.Location
	lo, hi int64 // [lo, hi): instants with offset off
	off    int64
	valid  bool
}

func (z *windowZone) offsetAt(inst int64) int64 {
	if !z.valid || inst < z.lo || inst >= z.hi {
		t := time.UnixMilli(inst).In(z.loc)
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		z.off, z.lo, z.hi, z.valid = int64(off)*1000, math.MinInt64, math.MaxInt64, true
		if !start.IsZero() {
			z.lo = start.UnixMilli()
		}
		if !end.IsZero() {
			z.hi = end.UnixMilli()
		}
	}
	return z.off
}

func (z *windowZone) toLocal(inst int64) int64 {
	if z.loc == nil {
		return inst
	}
	return inst + z.offsetAt(inst)
}

// toInstant returns the instant whose wall clock is local: in an overlap
// (the wall clock runs twice) the later one, in a gap (it never shows
// local) the first instant after the gap, as Flink's toEpochMillsForTimer.
func (z *windowZone) toInstant(local int64) int64 {
	if z.loc == nil {
		return local
	}
	const day = 86_400_000
	c1, c2 := local-z.offsetAt(local-day), local-z.offsetAt(local+day)
	best, ok := int64(math.MinInt64), false
	for _, c := range [2]int64{c1, c2} {
		if z.toLocal(c) == local && c > best {
			best, ok = c, true
		}
	}
	if ok {
		return best
	}
	// A gap: the first instant whose wall clock is past local.
	lo, hi := min(c1, c2), max(c1, c2)
	for lo < hi {
		m := lo + (hi-lo)/2
		if z.toLocal(m) > local {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// windowCache keeps decoded per-key state of a window operator in memory,
// bounded in entries: past the bound, entries not used since the previous
// eviction are written back (flush) and dropped (second chance), and if
// still past it, all others but the one in use. Operators write every
// dirty entry back in PrepareCheckpoint, so state always holds a restart
// point.
type windowCache[V any] struct {
	m          map[string]*windowEntry[V]
	maxN, limN int
}

type windowEntry[V any] struct {
	key    []byte
	v      V
	dirty  bool // changed since written to state
	stored bool // state holds a version of it
	used   bool // used since the last eviction
}

// windowDefaultCached is the default bound of windowCache entries.
const windowDefaultCached = 8192

func newWindowCache[V any](maxN int) windowCache[V] {
	if maxN <= 0 {
		maxN = windowDefaultCached
	}
	return windowCache[V]{m: map[string]*windowEntry[V]{}, maxN: maxN, limN: maxN}
}

func (c *windowCache[V]) get(key []byte) *windowEntry[V] {
	e := c.m[string(key)]
	if e != nil {
		e.used = true
	}
	return e
}

// add caches v for key (copied) and evicts if past the bound.
func (c *windowCache[V]) add(key []byte, v V, stored bool, flush func(*windowEntry[V]) error) (*windowEntry[V], error) {
	e := &windowEntry[V]{key: append([]byte(nil), key...), v: v, stored: stored}
	c.m[string(e.key)] = e
	if len(c.m) > c.limN {
		return e, c.evict(e, flush)
	}
	return e, nil
}

func (c *windowCache[V]) remove(e *windowEntry[V]) { delete(c.m, string(e.key)) }

func (c *windowCache[V]) evict(cur *windowEntry[V], flush func(*windowEntry[V]) error) error {
	for k, e := range c.m {
		if e != cur && !e.used {
			if err := flush(e); err != nil {
				return err
			}
			delete(c.m, k)
		}
		e.used = false
	}
	if len(c.m) > c.maxN {
		for k, e := range c.m {
			if e != cur {
				if err := flush(e); err != nil {
					return err
				}
				delete(c.m, k)
			}
		}
	}
	c.limN = max(c.maxN, 2*len(c.m))
	return nil
}

func (c *windowCache[V]) flushAll(flush func(*windowEntry[V]) error) error {
	for _, e := range c.m {
		if err := flush(e); err != nil {
			return err
		}
	}
	return nil
}

// windowTimeOf reads a row's time attribute: the epoch milliseconds of a
// TIMESTAMP or TIMESTAMP_LTZ column. A NULL time is bad input (Flink drops
// such rows with a metric; rtdw dead-letters them, code "null_rowtime").
func windowTimeOf(in *row.Row, col int, op string) (int64, error) {
	v := in.Values[col]
	switch v.Kind() {
	case row.KindTimestamp, row.KindTimestampLTZ:
		return v.Millis(), nil
	case row.KindNull:
		return 0, stream.BadInput("null_rowtime", "%s: the time attribute (column %d) is NULL", op, col)
	}
	return 0, stream.BadInput("bad_row", "%s: the time attribute (column %d) is a %s, not a timestamp", op, col, v.Kind())
}

// windowLate is the dead letter of a row that arrived after every window
// (or OVER frame) it belongs to had fired.
func windowLate(op string, t, wm int64) *stream.BadInputError {
	return &stream.BadInputError{Code: "late", Detail: fmt.Sprintf("%s: time %s is behind the watermark %s",
		op, row.AppendTimestamp(nil, t, 0, 3), row.AppendTimestamp(nil, wm, 0, 3))}
}

// windowCalls applies a row to aggregate calls: the arguments of every
// call, its FILTER, and Add or Retract with the undo rules of group_agg.
type windowCalls struct {
	calls []AggCall
	args  [][]row.Value
	skip  []bool
	width int
	// retractable: every call can retract; mergeable: every call merges.
	retractable, mergeable bool
}

func newWindowCalls(calls []AggCall) windowCalls {
	w := windowCalls{calls: calls, args: make([][]row.Value, len(calls)), skip: make([]bool, len(calls)),
		retractable: true, mergeable: true}
	for _, c := range calls {
		w.width = max(w.width, MinWidth(c.Args...), c.Filter+1)
		w.retractable = w.retractable && c.Fn.Retractable
		w.mergeable = w.mergeable && c.Fn.Mergeable
	}
	return w
}

func validateWindowCalls(op string, calls []AggCall) error {
	for i, c := range calls {
		if c.Fn.New == nil {
			return fmt.Errorf("%s: call %d (%s) has no accumulator constructor", op, i, c.Fn.Name)
		}
		if err := checkCols(op+" "+c.Fn.Name, c.Args...); err != nil {
			return err
		}
		if c.Filter < -1 {
			return fmt.Errorf("%s: call %d filter column %d", op, i, c.Filter)
		}
	}
	return nil
}

// load takes the arguments and filters of in.
func (w *windowCalls) load(in *row.Row) {
	for i, c := range w.calls {
		w.skip[i] = c.Filter >= 0 && !(in.Values[c.Filter].Kind() == row.KindBoolean && in.Values[c.Filter].Bool())
		a := w.args[i][:0]
		for _, col := range c.Args {
			a = append(a, in.Values[col])
		}
		w.args[i] = a
	}
}

// newAccs returns fresh accumulators of every call.
func (w *windowCalls) newAccs() []aggfn.Acc {
	accs := make([]aggfn.Acc, len(w.calls))
	for i, c := range w.calls {
		accs[i] = c.Fn.New()
	}
	return accs
}

// apply adds (accumulate) or retracts the loaded row to accs. On an error
// it undoes the calls already applied and returns a BadInputError (code
// "agg_error"), or a task error when they cannot be undone.
func (w *windowCalls) apply(accs []aggfn.Acc, accumulate bool, op string) error {
	for i, c := range w.calls {
		if w.skip[i] {
			continue
		}
		var err error
		if accumulate {
			err = accs[i].Add(w.args[i])
		} else {
			err = accs[i].Retract(w.args[i])
		}
		if err == nil {
			continue
		}
		bad := stream.BadInput("agg_error", "%s: %s: %v", op, c.Fn.Name, err)
		for j := range i {
			if w.skip[j] {
				continue
			}
			var uerr error
			switch {
			case !accumulate:
				uerr = accs[j].Add(w.args[j])
			case w.calls[j].Fn.Retractable:
				uerr = accs[j].Retract(w.args[j])
			default:
				uerr = fmt.Errorf("%s cannot retract", w.calls[j].Fn.Name)
			}
			if uerr != nil {
				return fmt.Errorf("%s: %v, and undoing %s failed: %v", op, bad, w.calls[j].Fn.Name, uerr)
			}
		}
		return bad
	}
	return nil
}

// appendAccs appends the accumulators' state, each length-prefixed.
func windowAppendAccs(dst []byte, accs []aggfn.Acc, scratch *[]byte) []byte {
	for _, a := range accs {
		*scratch = a.Marshal((*scratch)[:0])
		dst = binary.AppendUvarint(dst, uint64(len(*scratch)))
		dst = append(dst, *scratch...)
	}
	return dst
}

// readAccs reads what windowAppendAccs wrote into fresh accumulators.
func (w *windowCalls) readAccs(r *stateReader) ([]aggfn.Acc, error) {
	accs := make([]aggfn.Acc, len(w.calls))
	for i, c := range w.calls {
		b := r.bytes()
		if r.err != nil {
			return nil, r.err
		}
		a := c.Fn.New()
		if err := a.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("%w: %s accumulator: %v", errCorruptState, c.Fn.Name, err)
		}
		accs[i] = a
	}
	return accs, nil
}

// Self-describing value encoding, for the values window operators keep in
// state (group keys, buffered rows): a kind byte, then the payload, so no
// schema is needed to read them back. Nested values recurse.

func windowAppendValues(dst []byte, vals []row.Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vals)))
	for _, v := range vals {
		dst = windowAppendValue(dst, v)
	}
	return dst
}

func windowAppendValue(dst []byte, v row.Value) []byte {
	k := v.Kind()
	dst = append(dst, byte(k))
	switch k {
	case row.KindNull:
	case row.KindBoolean, row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt,
		row.KindDate, row.KindTime, row.KindIntervalYearMonth, row.KindIntervalDayTime:
		dst = binary.AppendVarint(dst, v.Int64())
	case row.KindFloat, row.KindDouble:
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Float64()))
	case row.KindDecimal:
		d := v.Decimal()
		dst = append(dst, byte(d.Precision()), byte(d.Scale()))
		if u, ok := d.Unscaled(); ok {
			dst = binary.AppendVarint(append(dst, 0), u)
		} else {
			b := d.BigUnscaled()
			sign := byte(1)
			if b.Sign() < 0 {
				sign = 2
			}
			mag := b.Bytes()
			dst = binary.AppendUvarint(append(dst, sign), uint64(len(mag)))
			dst = append(dst, mag...)
		}
	case row.KindChar, row.KindVarChar, row.KindBinary, row.KindVarBinary:
		s := v.Str()
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	case row.KindTimestamp, row.KindTimestampLTZ:
		dst = binary.AppendVarint(dst, v.Millis())
		dst = binary.AppendUvarint(dst, uint64(v.NanosOfMilli()))
	case row.KindArray, row.KindMultiset, row.KindRow, row.KindMap:
		dst = windowAppendValues(dst, v.Elems())
	}
	return dst
}

func windowReadValues(r *stateReader) []row.Value {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	vals := make([]row.Value, n)
	for i := range vals {
		vals[i] = windowReadValue(r)
	}
	return vals
}

func windowReadValue(r *stateReader) row.Value {
	k := row.Kind(r.byte1())
	switch k {
	case row.KindNull:
		return row.Null()
	case row.KindBoolean:
		return row.Bool(r.varint() != 0)
	case row.KindTinyInt:
		return row.TinyInt(int8(r.varint()))
	case row.KindSmallInt:
		return row.SmallInt(int16(r.varint()))
	case row.KindInt:
		return row.Int(int32(r.varint()))
	case row.KindBigInt:
		return row.BigInt(r.varint())
	case row.KindDate:
		return row.Date(int32(r.varint()))
	case row.KindTime:
		return row.Time(r.varint())
	case row.KindIntervalYearMonth:
		return row.IntervalMonths(int32(r.varint()))
	case row.KindIntervalDayTime:
		return row.IntervalMillis(r.varint())
	case row.KindFloat, row.KindDouble:
		if len(r.b) < 8 {
			r.fail()
			return row.Null()
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		if k == row.KindFloat {
			return row.Float(float32(f))
		}
		return row.Double(f)
	case row.KindDecimal:
		p, s := int(r.byte1()), int(r.byte1())
		var d row.Decimal
		var ok bool
		switch tag := r.byte1(); tag {
		case 0:
			d, ok = row.NewDecimal(r.varint(), p, s)
		case 1, 2:
			mag := r.bytes()
			b := new(big.Int).SetBytes(mag)
			if tag == 2 {
				b.Neg(b)
			}
			d, ok = row.DecimalFromBig(b, p, s)
		}
		if !ok {
			r.fail()
			return row.Null()
		}
		return row.DecimalValue(d)
	case row.KindChar:
		return row.Char(string(r.bytes()))
	case row.KindVarChar:
		return row.String(string(r.bytes()))
	case row.KindVarBinary:
		return row.BytesOf(string(r.bytes()))
	case row.KindBinary:
		b := r.bytes()
		return windowBinaryValue(b, r)
	case row.KindTimestamp:
		return row.Timestamp(r.varint(), int32(r.uvarint()))
	case row.KindTimestampLTZ:
		return row.TimestampLTZ(r.varint(), int32(r.uvarint()))
	case row.KindArray:
		return row.Array(windowReadValues(r))
	case row.KindMultiset:
		return row.Multiset(windowReadValues(r))
	case row.KindRow:
		return row.Struct(windowReadValues(r))
	case row.KindMap:
		kv := windowReadValues(r)
		if len(kv)%2 != 0 {
			r.fail()
			return row.Null()
		}
		return row.MapEntries(kv)
	}
	r.fail()
	return row.Null()
}

// windowBinaryValue makes a fixed-length BINARY value (the row package
// builds those only when decoding a BINARY(n) column).
func windowBinaryValue(b []byte, r *stateReader) row.Value {
	s := row.MustSchema(row.Column{Name: "b", Type: row.BinaryOf(max(len(b), 1))})
	src, err := row.AppendRow(nil, s, &row.Row{Values: []row.Value{row.Bytes(b)}})
	var out row.Row
	if err == nil {
		err = row.DecodeRow(src, s, &out)
	}
	if err != nil || len(out.Values) != 1 {
		r.fail()
		return row.Null()
	}
	return out.Values[0]
}
