package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// WindowJoinSpec is a window join: two window TVFs (or window
// aggregations / Top-Ns) of the same windowing joined
//
//	ON l.window_start = r.window_start AND l.window_end = r.window_end
//	AND l.k = r.k AND cond
//
// The planner keys both inputs by their join keys plus window_start and
// window_end (stream.KeyByColumns; Connect: input 0 left, 1 right), so the
// rows of one window and key meet in one task.
type WindowJoinSpec struct {
	Type                    JoinType
	LeftSchema, RightSchema *row.Schema
	// LeftWindowEnd/RightWindowEnd are the window_end columns (TIMESTAMP(3),
	// the local wall clock of the window).
	LeftWindowEnd, RightWindowEnd int
	// Cond is the residual condition over the joined row; nil = none.
	Cond func(joined *row.Row) (bool, error)
	// Loc: the windows are over a TIMESTAMP_LTZ time attribute and
	// window_end is their wall clock in this zone (Flink's shift time
	// zone), so a window fires when the instant of window_end - 1 there is
	// reached; nil: window_end is itself the instant (TIMESTAMP windows).
	Loc *time.Location
	// LeftKeys/RightKeys/NullSafe: as JoinSpec's (optional).
	LeftKeys, RightKeys []int
	NullSafe            []bool
	// MaxCachedRows bounds the rows a task keeps decoded in memory (0:
	// DefaultJoinCachedRows).
	MaxCachedRows int
	// LeftUniqueKey/RightUniqueKey: columns that identify a row of that
	// side within its window (the keys of a window aggregation feeding
	// it; nil: none). A row whose window holds one of that side with the
	// same values replaces it: a later drained run's revision of a row an
	// end of input emitted early, rather than a second row.
	LeftUniqueKey, RightUniqueKey []int
}

// Validate reports a spec the operator cannot run (a planning error).
func (s WindowJoinSpec) Validate() error {
	for _, k := range [][]int{s.LeftUniqueKey, s.RightUniqueKey} {
		if err := checkCols("window_join unique key", k...); err != nil {
			return err
		}
	}
	if !s.Type.valid() {
		return fmt.Errorf("window_join: join type %d", uint8(s.Type))
	}
	if s.LeftSchema == nil || s.RightSchema == nil {
		return errors.New("window_join: missing input schema")
	}
	if err := joinTimeCol("window_join left window_end", s.LeftSchema, s.LeftWindowEnd); err != nil {
		return err
	}
	if err := joinTimeCol("window_join right window_end", s.RightSchema, s.RightWindowEnd); err != nil {
		return err
	}
	return validateJoinKeys("window_join", s.LeftSchema, s.RightSchema, s.LeftKeys, s.RightKeys, s.NullSafe)
}

// WindowJoin returns the window join (Flink's WindowJoinOperator). Rows of
// both sides are buffered per key and window until the watermark reaches
// window_end - 1, then joined and the window's state cleared; the output
// is insert-only, left values then right values, keyed by the key and
// timed at the window's last millisecond (window_time), as Flink's
// join processors emit it:
//
//   - INNER: for each left row (arrival order), each matching right row;
//   - LEFT: the same, and a left row without a match padded with NULLs;
//   - RIGHT: for each right row each matching left row, or the right row
//     padded;
//   - FULL: LEFT's output, then every right row no left row matched,
//     padded.
//
// A row whose window has fired is late: counted and dead-lettered (code
// "late"; Flink drops it with a metric). The inputs must be insert-only
// (Flink's requirement): a -U/-D row is dead-lettered
// ("retract_unsupported"); +U counts as an insert. A NULL window_end is
// bad input ("null_rowtime"); a row with a NULL `=` key
// (LeftKeys/RightKeys) matches nothing; a Cond error met when a window
// fires makes the pair unmatched and dead-letters the joined pair
// ("eval_error").
//
// At the end of a drained input every window not yet fired is joined and
// emitted, its rows kept and marked sent. A later run continuing the
// input (its firing, or another end of input) emits only what those rows
// did not: pairs with a new row, and padding of a new row without a
// match. A row padded early and matched later keeps its padded row in the
// output (insert-only output cannot take it back). A key's rows stay decoded in memory
// while it is used (MaxCachedRows) and are written back at checkpoints,
// so a window that opens and fires between two checkpoints costs no state
// write.
func WindowJoin(spec WindowJoinSpec) stream.Factory {
	return func() stream.Operator { return &windowJoin{spec: spec} }
}

// A key's rows (joinKeyRows): per side, the rows under their window end
// (joinTimeKey of the local window_end) and an 8-byte sequence (arrival
// order within the window); entry.wrote is the window end, entry.assoc 1
// when an end of input emitted the row's window (sent).
type windowJoin struct {
	spec    WindowJoinSpec
	ctx     *stream.Context
	schemas [2]*row.Schema
	ends    [2]int
	uniq    [2][]int
	zone    windowZone
	rows    [2]*state.MapState // key -> window end + seq -> row
	nullKey joinNullKeys
	cache   joinCache
	out     joinOut
	eoi     map[string]bool

	enc, val, mk []byte
	matched      []bool
}

// State layout of a buffered row: a version byte, then its binary
// encoding. windowJoinSentV1 marks a row an end of input emitted.
const (
	windowJoinV1     = 1
	windowJoinSentV1 = 2
)

func (j *windowJoin) Open(ctx *stream.Context) error {
	if err := j.spec.Validate(); err != nil {
		return err
	}
	j.ctx = ctx
	j.schemas = [2]*row.Schema{j.spec.LeftSchema, j.spec.RightSchema}
	j.ends = [2]int{j.spec.LeftWindowEnd, j.spec.RightWindowEnd}
	j.uniq = [2][]int{j.spec.LeftUniqueKey, j.spec.RightUniqueKey}
	if j.spec.Loc != nil && j.spec.Loc != time.UTC {
		j.zone.loc = j.spec.Loc
	}
	j.rows = [2]*state.MapState{ctx.Map("left"), ctx.Map("right")}
	j.nullKey = joinNullKeys{cols: [2][]int{j.spec.LeftKeys, j.spec.RightKeys}, nullSafe: j.spec.NullSafe}
	j.cache = newJoinCache(j.spec.MaxCachedRows, j.flush)
	j.out = newJoinOut(j.spec.Cond, j.spec.LeftSchema, j.spec.RightSchema)
	return nil
}

// trigger is the watermark at which the window ending at (local) end
// fires: the instant of end - 1.
func (j *windowJoin) trigger(end int64) int64 { return j.zone.toInstant(joinAdd(end, -1)) }

// Process is not called on a two-input operator.
func (j *windowJoin) Process(*stream.Record, stream.Emitter) error {
	return errors.New("window_join: a two-input operator needs stream.Connect")
}

func (j *windowJoin) ProcessInput(input int, rec *stream.Record, _ stream.Emitter) (err error) {
	in, err := joinTypedRow(rec, "window_join", input, j.schemas)
	if err != nil {
		return err
	}
	if in.Kind.IsRetract() {
		return stream.BadInput("retract_unsupported", "window_join: %s row: a window join needs insert-only input", in.Kind)
	}
	end, err := joinRowTime(in, j.ends[input], "window_join")
	if err != nil {
		return err
	}
	trig := j.trigger(end)
	if wm := j.ctx.Watermark(); wm != stream.MinWatermark && trig <= wm {
		j.ctx.CountLate()
		return &stream.BadInputError{Code: "late", Detail: fmt.Sprintf("window_join: window ending %s has fired (watermark %s)",
			row.AppendTimestamp(nil, end, 0, 3), row.AppendTimestamp(nil, wm, 0, 3))}
	}
	if j.enc, err = joinEncodeRow(j.enc[:0], j.schemas[input], in.Values, "window_join"); err != nil {
		return err
	}
	kr, err := j.load(rec.Key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	if uk := j.uniq[input]; uk != nil {
		// A revision replaces the row of its key in the window.
		rows := kr.sides[input]
		for i := sort.Search(len(rows), func(i int) bool { return rows[i].wrote >= end }); i < len(rows) && rows[i].wrote == end; i++ {
			if sameCols(rows[i].vals, in.Values, uk) {
				if rows[i].stored {
					if err := j.rows[input].Delete(rec.Key, rows[i].mk); err != nil {
						return err
					}
				}
				j.cache.remove(kr, input, i)
				break
			}
		}
	}
	rows := kr.sides[input]
	pos := sort.Search(len(rows), func(i int) bool { return rows[i].wrote > end })
	seq := uint64(0)
	if pos > 0 && rows[pos-1].wrote == end {
		seq = binary.BigEndian.Uint64(rows[pos-1].mk[8:]) + 1
	}
	e := &joinEntry{vals: append([]row.Value(nil), in.Values...), enc: append([]byte(nil), j.enc...), wrote: end}
	e.mk = binary.BigEndian.AppendUint64(joinTimeKey(make([]byte, 0, 16), end), seq)
	j.cache.insert(kr, input, pos, e)
	j.cache.touch(kr, e)
	return j.ctx.RegisterTimer(state.EventTime, trig, rec.Key)
}

// done ends the use of kr, keeping the first error.
func (j *windowJoin) done(kr *joinKeyRows, err *error) {
	if derr := j.cache.done(kr); *err == nil {
		*err = derr
	}
}

// OnTimer joins and emits the key's windows that have fired, and forgets
// their rows.
func (j *windowJoin) OnTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
	kr, err := j.load(key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	wm := j.ctx.Watermark()
	for {
		end, ok := j.firstWindow(kr)
		if !ok || j.trigger(end) > wm {
			return nil
		}
		var n [2]int
		for s := range kr.sides {
			for n[s] < len(kr.sides[s]) && kr.sides[s][n[s]].wrote == end {
				n[s]++
			}
		}
		j.join(kr, end, kr.sides[0][:n[0]], kr.sides[1][:n[1]], out, false)
		for s := range kr.sides {
			for _, e := range kr.sides[s][:n[s]] {
				if e.stored {
					if err := j.rows[s].Delete(key, e.mk); err != nil {
						return err
					}
				}
			}
			kr.sides[s] = slices.Delete(kr.sides[s], 0, n[s])
			j.cache.rows -= n[s]
		}
	}
}

// firstWindow is the earliest window end with rows of kr.
func (j *windowJoin) firstWindow(kr *joinKeyRows) (int64, bool) {
	end, ok := int64(0), false
	for s := range kr.sides {
		if len(kr.sides[s]) > 0 && (!ok || kr.sides[s][0].wrote < end) {
			end, ok = kr.sides[s][0].wrote, true
		}
	}
	return end, ok
}

// join emits the join of one window's rows, but what an end of input
// emitted before (a pair of sent rows, a sent row's padding); eoi: this
// is an end of input, which marks the rows sent.
func (j *windowJoin) join(kr *joinKeyRows, end int64, lefts, rights []*joinEntry, out stream.Emitter, eoi bool) {
	in := j.out.at(kr.key, j.trigger(end))
	t := j.spec.Type
	if t == RightJoin {
		for _, r := range rights {
			any := false
			for _, l := range lefts {
				if j.pair(kr.key, in.Time, l, r) {
					if l.assoc == 0 || r.assoc == 0 {
						j.out.send(out, in, row.Insert, l.vals, r.vals)
					}
					any = true
				}
			}
			if !any && r.assoc == 0 {
				j.out.send(out, in, row.Insert, nil, r.vals)
			}
		}
	} else {
		j.matched = append(j.matched[:0], make([]bool, len(rights))...)
		for _, l := range lefts {
			any := false
			for ri, r := range rights {
				if j.pair(kr.key, in.Time, l, r) {
					if l.assoc == 0 || r.assoc == 0 {
						j.out.send(out, in, row.Insert, l.vals, r.vals)
					}
					any, j.matched[ri] = true, true
				}
			}
			if !any && t.outer(0) && l.assoc == 0 {
				j.out.send(out, in, row.Insert, l.vals, nil)
			}
		}
		if t == FullJoin {
			for ri, r := range rights {
				if !j.matched[ri] && r.assoc == 0 {
					j.out.send(out, in, row.Insert, nil, r.vals)
				}
			}
		}
	}
	if eoi {
		for _, side := range [2][]*joinEntry{lefts, rights} {
			for _, e := range side {
				if e.assoc == 0 {
					e.assoc = 1
					j.cache.touch(kr, e)
				}
			}
		}
	}
}

// pair reports whether l and r join: no NULL `=` key, and Cond holds (an
// error dead-letters the pair, unless both rows were sent and it was
// dead-lettered then, and counts as no match).
func (j *windowJoin) pair(key []byte, tm int64, le, re *joinEntry) bool {
	l, r := le.vals, re.vals
	if j.nullKey.has(0, l) || j.nullKey.has(1, r) {
		return false
	}
	ok, err := j.out.match(l, r)
	if err == nil {
		return ok
	}
	if le.assoc == 0 || re.assoc == 0 {
		b, isBad := stream.AsBadInput(err)
		if !isBad {
			b = &stream.BadInputError{Code: "eval_error", Detail: err.Error()}
		}
		joined := row.Row{Kind: row.Insert, Values: append(append([]row.Value(nil), l...), r...)}
		j.ctx.DeadLetter(&stream.Record{Key: key, Time: tm, Row: &joined}, b)
	}
	return false
}

// flush writes the changed rows of kr to state.
func (j *windowJoin) flush(kr *joinKeyRows) error {
	for s := range kr.sides {
		for _, e := range kr.sides[s] {
			if !e.dirty {
				continue
			}
			ver := byte(windowJoinV1)
			if e.assoc == 1 {
				ver = windowJoinSentV1
			}
			j.val = append(append(j.val[:0], ver), e.enc...)
			if err := j.rows[s].Put(kr.key, e.mk, j.val); err != nil {
				return err
			}
			e.dirty, e.stored = false, true
		}
	}
	return nil
}

// PrepareCheckpoint writes every changed row to state.
func (j *windowJoin) PrepareCheckpoint(stream.Emitter) error { return j.cache.flushAll() }

// load returns the buffered rows of key from memory or state.
func (j *windowJoin) load(key []byte) (*joinKeyRows, error) {
	if kr := j.cache.get(key); kr != nil {
		return kr, nil
	}
	kr := &joinKeyRows{key: append([]byte(nil), key...)}
	for s := range kr.sides {
		var bad error
		err := j.rows[s].Range(key, func(mk, v []byte) bool {
			if len(mk) != 16 || len(v) < 1 || v[0] != windowJoinV1 && v[0] != windowJoinSentV1 {
				bad = fmt.Errorf("%w: window join row", errCorruptState)
				return false
			}
			e := &joinEntry{mk: append([]byte(nil), mk...), enc: append([]byte(nil), v[1:]...), wrote: joinKeyTime(mk), stored: true}
			if v[0] == windowJoinSentV1 {
				e.assoc = 1
			}
			if e.vals, bad = joinDecodeRow(e.enc, j.schemas[s]); bad != nil {
				return false
			}
			kr.sides[s] = append(kr.sides[s], e)
			return true
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return nil, fmt.Errorf("window_join: key %x: %w", key, err)
		}
	}
	j.cache.add(kr)
	return kr, nil
}

// OnEndOfInputTimer joins and emits, once per key, the windows not yet
// fired at the end of a drained input, keeping their rows.
func (j *windowJoin) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
	if d != state.EventTime || j.eoi[string(key)] {
		return nil
	}
	if j.eoi == nil {
		j.eoi = map[string]bool{}
	}
	j.eoi[string(key)] = true
	kr, err := j.load(key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	var n [2]int
	for {
		end, ok := int64(0), false
		for s := range kr.sides {
			if n[s] < len(kr.sides[s]) && (!ok || kr.sides[s][n[s]].wrote < end) {
				end, ok = kr.sides[s][n[s]].wrote, true
			}
		}
		if !ok {
			return nil
		}
		var from [2]int
		for s := range kr.sides {
			from[s] = n[s]
			for n[s] < len(kr.sides[s]) && kr.sides[s][n[s]].wrote == end {
				n[s]++
			}
		}
		j.join(kr, end, kr.sides[0][from[0]:n[0]], kr.sides[1][from[1]:n[1]], out, true)
	}
}

// EndOfInput ends the end-of-input pass.
func (j *windowJoin) EndOfInput(stream.Emitter) error {
	j.eoi = nil
	return nil
}

// sameCols reports whether a and b hold equal values in cols (NULL equal
// to NULL).
func sameCols(a, b []row.Value, cols []int) bool {
	for _, c := range cols {
		if a[c].IsNull() != b[c].IsNull() || !a[c].IsNull() && !row.Equal(a[c], b[c]) {
			return false
		}
	}
	return true
}
