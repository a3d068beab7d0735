package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// WindowSortKey is one ORDER BY key of a window Top-N.
type WindowSortKey struct {
	Col             int
	Desc, NullsLast bool
}

// WindowRankSpec is a window Top-N: ROW_NUMBER() OVER (PARTITION BY
// window_start, window_end, PartitionKeys... ORDER BY Order) <= Limit
// over rows carrying window columns (a windowing TVF's or a window
// aggregation's output). Window deduplication is the case Limit 1 ordered
// by the time attribute: ascending keeps the first row, descending the
// last (with LastOnTies, as Flink's keep-last-row).
type WindowRankSpec struct {
	PartitionKeys                []int // excluding the window columns
	WindowStartCol, WindowEndCol int   // TIMESTAMP(3) window bounds
	Order                        []WindowSortKey
	Limit                        int64
	OutputRankNumber             bool
	// Loc: the window columns are local times of a TIMESTAMP_LTZ time
	// attribute in this zone (WindowSpec.Loc of the window), so a window
	// fires when the instant of its local end - 1 passes; nil: the window
	// columns are on the watermark's own clock (TIMESTAMP rowtimes).
	Loc *time.Location
	// LastOnTies ranks rows with equal sort keys latest arrival first
	// (window dedup keeping the last row: Flink replaces the kept row by
	// one of equal time); otherwise earliest first, as Flink's Top-N.
	LastOnTies bool
	// MaxCachedGroups bounds the partitions a task keeps decoded in
	// memory (0: 8192).
	MaxCachedGroups int
	// UniqueKey: columns that identify a row within its window (the keys
	// of a window aggregation feeding the Top-N). A row whose window
	// holds one with the same values replaces it: a later drained run's
	// revision of a row an end of input emitted early, rather than a
	// second row. The windows then keep all their rows, as a revision may
	// bring a lower one up. Empty but not nil: one row per window (a
	// window aggregation without keys). Nil: rows are all distinct and a
	// window keeps its best Limit.
	UniqueKey []int
}

// Validate reports a spec the operator cannot run (a planning error).
func (s WindowRankSpec) Validate() error {
	if s.Limit < 1 {
		return fmt.Errorf("window_rank: limit %d", s.Limit)
	}
	if err := checkCols("window_rank unique key", s.UniqueKey...); err != nil {
		return err
	}
	if err := checkCols("window_rank partition keys", s.PartitionKeys...); err != nil {
		return err
	}
	if err := checkCols("window_rank window columns", s.WindowStartCol, s.WindowEndCol); err != nil {
		return err
	}
	for _, o := range s.Order {
		if err := checkCols("window_rank order", o.Col); err != nil {
			return err
		}
	}
	return nil
}

// WindowRank returns the window Top-N operator (Flink's WindowRank and
// WindowDeduplicate). Its input is repartitioned by stream.KeyByColumns on
// the partition keys (with or without the window columns): the record key
// identifies the partition. Per partition and window it keeps the best
// Limit rows so far (sort keys, then arrival order); when the watermark
// reaches window_end - 1 it emits them, insert-only, in rank order, each
// with its rank as a trailing BIGINT column when OutputRankNumber, timed
// as the row came, and purges the window. A row whose window has fired is
// late: counted and dead-lettered (code "late"). Input must be insert-only
// (as Flink): -U/-D rows are dead-lettered ("retract_unsupported"). At the
// end of a drained input open windows are emitted and kept.
func WindowRank(spec WindowRankSpec) stream.Factory {
	return func() stream.Operator {
		return &windowRank{spec: spec, clock: newWindowClock(WindowSpec{LTZ: spec.Loc != nil, Loc: spec.Loc})}
	}
}

type rankEntry struct {
	sk   []byte // the sort key (AppendSortKey of the order columns)
	seq  uint64 // arrival order within the partition
	time int64  // the record's time
	vals []row.Value
}

type rankWindow struct {
	end int64 // window_end, local millis
	// rows: in rank order when sorted (always without a UniqueKey);
	// byKey: with one, the position of each key's row (nil: not built).
	rows   []rankEntry
	sorted bool
	byKey  map[string]int
	// sent: the arrival numbers of the rows an end of input emitted while
	// the window was open, in rank order; nil when none was emitted.
	sent []uint64
}

type rankGroup struct {
	seq     uint64
	windows []*rankWindow // by end
}

type windowRank struct {
	spec  WindowRankSpec
	clock windowClock
	ctx   *stream.Context
	st    *state.ValueState
	cache windowCache[*rankGroup]
	width int
	eoi   map[string]bool

	sk    []byte
	out   row.Row
	rec   stream.Record
	buf   []byte
	ukBuf []byte
}

func (w *windowRank) Open(ctx *stream.Context) error {
	if err := w.spec.Validate(); err != nil {
		return err
	}
	w.ctx = ctx
	w.st = ctx.Value("windows")
	w.cache = newWindowCache[*rankGroup](w.spec.MaxCachedGroups)
	w.width = MinWidth(append(slices.Concat(w.spec.PartitionKeys, w.spec.UniqueKey), w.spec.WindowStartCol, w.spec.WindowEndCol)...)
	for _, o := range w.spec.Order {
		w.width = max(w.width, o.Col+1)
	}
	return nil
}

// sortKey appends the order columns' key of vals to dst.
func (w *windowRank) sortKey(dst []byte, vals []row.Value) []byte {
	for _, o := range w.spec.Order {
		dst = row.AppendSortKey(dst, vals[o.Col], o.Desc, o.NullsLast)
	}
	return dst
}

// less orders entries: sort key, then arrival (latest first with
// LastOnTies).
func (w *windowRank) less(a, b *rankEntry) bool {
	if c := bytes.Compare(a.sk, b.sk); c != 0 {
		return c < 0
	}
	if w.spec.LastOnTies {
		return a.seq > b.seq
	}
	return a.seq < b.seq
}

func (w *windowRank) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "window_rank", w.width)
	if err != nil {
		return err
	}
	if !in.Kind.IsAccumulate() {
		return stream.BadInput("retract_unsupported", "window_rank: a window Top-N takes insert-only input, got %s", in.Kind)
	}
	ev := in.Values[w.spec.WindowEndCol]
	if ev.Kind() != row.KindTimestamp {
		return stream.BadInput("bad_row", "window_rank: window_end (column %d) is %s, not a TIMESTAMP", w.spec.WindowEndCol, ev.Kind())
	}
	end := ev.Millis()
	if wm := w.ctx.Watermark(); w.clock.fired(end, wm) {
		w.ctx.CountLate()
		return windowLate("window_rank", rec.Time, wm)
	}
	e := w.cache.get(rec.Key)
	if e == nil {
		raw, ok, err := w.st.Get(rec.Key)
		if err != nil {
			return err
		}
		g := &rankGroup{}
		if ok {
			if g, err = w.decode(raw); err != nil {
				return fmt.Errorf("window_rank: partition %x: %w", rec.Key, err)
			}
		}
		if e, err = w.cache.add(rec.Key, g, ok, w.flush); err != nil {
			return err
		}
	}
	g := e.v
	i, found := slices.BinarySearchFunc(g.windows, end, func(x *rankWindow, end int64) int { return cmp.Compare(x.end, end) })
	if !found {
		g.windows = slices.Insert(g.windows, i, &rankWindow{end: end, sorted: true})
		if err := w.ctx.RegisterTimer(state.EventTime, w.clock.trigger(end), rec.Key); err != nil {
			return err
		}
	}
	win := g.windows[i]
	g.seq++
	e.dirty = true
	w.sk = w.sortKey(w.sk[:0], in.Values)
	cand := rankEntry{sk: w.sk, seq: g.seq}
	if w.spec.UniqueKey != nil {
		// Every row is kept, unsorted until emitted; a row of a key the
		// window has replaces that key's row.
		cand.sk, cand.time, cand.vals = bytes.Clone(w.sk), rec.Time, slices.Clone(in.Values)
		w.index(win)
		w.ukBuf = w.uniqueKey(w.ukBuf[:0], in.Values)
		if at, ok := win.byKey[string(w.ukBuf)]; ok {
			win.rows[at] = cand
		} else {
			win.byKey[string(w.ukBuf)] = len(win.rows)
			win.rows = append(win.rows, cand)
		}
		win.sorted = false
		return nil
	}
	if int64(len(win.rows)) >= w.spec.Limit && !w.less(&cand, &win.rows[len(win.rows)-1]) {
		return nil // not in the top N
	}
	cand.sk, cand.time, cand.vals = bytes.Clone(w.sk), rec.Time, slices.Clone(in.Values)
	j, _ := slices.BinarySearchFunc(win.rows, &cand, func(x rankEntry, c *rankEntry) int {
		if w.less(&x, c) {
			return -1
		}
		return 1
	})
	win.rows = slices.Insert(win.rows, j, cand)
	if int64(len(win.rows)) > w.spec.Limit {
		win.rows = win.rows[:w.spec.Limit]
	}
	return nil
}

// uniqueKey appends the UniqueKey columns' key of vals to dst.
func (w *windowRank) uniqueKey(dst []byte, vals []row.Value) []byte {
	for _, c := range w.spec.UniqueKey {
		dst = row.AppendKey(dst, vals[c])
	}
	return dst
}

// index makes win.byKey map each row's UniqueKey to its position (after a
// load or a sort).
func (w *windowRank) index(win *rankWindow) {
	if win.byKey != nil {
		return
	}
	win.byKey = make(map[string]int, len(win.rows))
	for i := range win.rows {
		w.ukBuf = w.uniqueKey(w.ukBuf[:0], win.rows[i].vals)
		win.byKey[string(w.ukBuf)] = i
	}
}

// top is win's first Limit rows in rank order: what it emits.
func (w *windowRank) top(win *rankWindow) []rankEntry {
	if !win.sorted {
		slices.SortFunc(win.rows, func(a, b rankEntry) int {
			switch {
			case w.less(&a, &b):
				return -1
			case w.less(&b, &a):
				return 1
			}
			return 0 // the same row (arrival numbers are unique)
		})
		win.sorted, win.byKey = true, nil
	}
	return win.rows[:min(int64(len(win.rows)), w.spec.Limit)]
}

// emit emits win's rows in rank order. A row an end of input already
// emitted is not emitted again: with the rank number, when it holds the
// same rank; without, when it is still in the top N (an append sink gets
// each row once, an upsert sink keyed by the rank the changed ranks).
// eoi: an end of input emits the open window; what it emitted is
// remembered in win.sent.
func (w *windowRank) emit(key []byte, win *rankWindow, out stream.Emitter, eoi bool) {
	top := w.top(win)
	for i := range top {
		r := &top[i]
		if w.sentBefore(win, i) {
			continue
		}
		vals := append(w.out.Values[:0], r.vals...)
		if w.spec.OutputRankNumber {
			vals = append(vals, row.BigInt(int64(i+1)))
		}
		w.out.Kind, w.out.Values = row.Insert, vals
		w.rec = stream.Record{Key: key, Time: r.time, Row: &w.out}
		out.Emit(0, &w.rec)
	}
	if eoi {
		win.sent = win.sent[:0]
		for _, r := range top {
			win.sent = append(win.sent, r.seq)
		}
	}
}

// sentBefore reports whether an end of input emitted win's row i as it
// would be emitted now.
func (w *windowRank) sentBefore(win *rankWindow, i int) bool {
	if w.spec.OutputRankNumber {
		return i < len(win.sent) && win.sent[i] == win.rows[i].seq
	}
	return slices.Contains(win.sent, win.rows[i].seq)
}

// OnTimer emits and purges the partition's windows due at ts.
func (w *windowRank) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	e, err := w.group(key)
	if err != nil || e == nil {
		return err
	}
	g := e.v
	n := 0
	for _, win := range g.windows {
		if w.clock.trigger(win.end) > ts {
			break
		}
		w.emit(key, win, out, false)
		n++
	}
	if n == 0 {
		return nil
	}
	g.windows = slices.Delete(g.windows, 0, n)
	e.dirty = true
	if len(g.windows) == 0 {
		w.cache.remove(e)
		if e.stored {
			return w.st.Delete(key)
		}
	}
	return nil
}

func (w *windowRank) group(key []byte) (*windowEntry[*rankGroup], error) {
	if e := w.cache.get(key); e != nil {
		return e, nil
	}
	raw, ok, err := w.st.Get(key)
	if err != nil || !ok {
		return nil, err
	}
	g, err := w.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("window_rank: partition %x: %w", key, err)
	}
	return w.cache.add(key, g, true, w.flush)
}

// OnEndOfInputTimer emits a partition's open windows once at the end of
// a drained input, keeping them.
func (w *windowRank) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime || w.eoi[string(key)] {
		return nil
	}
	if w.eoi == nil {
		w.eoi = map[string]bool{}
	}
	w.eoi[string(key)] = true
	e, err := w.group(key)
	if err != nil || e == nil {
		return err
	}
	for _, win := range e.v.windows {
		w.emit(key, win, out, true)
	}
	e.dirty = true // the windows' sent rows
	return nil
}

// EndOfInput ends the end-of-input pass.
func (w *windowRank) EndOfInput(stream.Emitter) error {
	w.eoi = nil
	return nil
}

// PrepareCheckpoint writes every changed partition to state.
func (w *windowRank) PrepareCheckpoint(stream.Emitter) error { return w.cache.flushAll(w.flush) }

func (w *windowRank) flush(e *windowEntry[*rankGroup]) error {
	if !e.dirty {
		return nil
	}
	if err := w.st.Put(e.key, w.encode(e.v)); err != nil {
		return err
	}
	e.dirty, e.stored = false, true
	return nil
}

// State layout of a partition: version 2, the arrival counter, the
// number of windows, then per window its end, its rows (each: arrival,
// time, the row's values self-described) and its sent rows (a count, then
// their arrivals). Sort keys are recomputed. Version 1 had no sent rows.
const (
	windowRankV1 = 1
	windowRankV2 = 2
)

func (w *windowRank) encode(g *rankGroup) []byte {
	b := append(w.buf[:0], windowRankV2)
	b = binary.AppendUvarint(b, g.seq)
	b = binary.AppendUvarint(b, uint64(len(g.windows)))
	for _, win := range g.windows {
		b = binary.AppendVarint(b, win.end)
		b = binary.AppendUvarint(b, uint64(len(win.rows)))
		for _, r := range win.rows {
			b = binary.AppendUvarint(b, r.seq)
			b = binary.AppendVarint(b, r.time)
			b = windowAppendValues(b, r.vals)
		}
		b = binary.AppendUvarint(b, uint64(len(win.sent)))
		for _, seq := range win.sent {
			b = binary.AppendUvarint(b, seq)
		}
	}
	w.buf = b
	return b
}

func (w *windowRank) decode(raw []byte) (*rankGroup, error) {
	r := stateReader{b: raw}
	v := r.byte1()
	if r.err == nil && v != windowRankV1 && v != windowRankV2 {
		return nil, fmt.Errorf("%w: window rank version %d", errCorruptState, v)
	}
	g := &rankGroup{seq: r.uvarint()}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errCorruptState
	}
	for range n {
		win := &rankWindow{end: r.varint(), sorted: w.spec.UniqueKey == nil}
		m := r.uvarint()
		if r.err != nil || m > uint64(len(r.b)) {
			return nil, errCorruptState
		}
		for range m {
			e := rankEntry{seq: r.uvarint(), time: r.varint(), vals: windowReadValues(&r)}
			if r.err != nil || len(e.vals) < w.width {
				return nil, errCorruptState
			}
			e.sk = w.sortKey(nil, e.vals)
			win.rows = append(win.rows, e)
		}
		if v == windowRankV2 {
			ns := r.uvarint()
			if r.err != nil || ns > uint64(len(r.b)) {
				return nil, errCorruptState
			}
			for range ns {
				win.sent = append(win.sent, r.uvarint())
			}
		}
		g.windows = append(g.windows, win)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return g, nil
}
