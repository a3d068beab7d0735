package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// IntervalJoinSpec is an interval (time-bounded) join:
//
//	FROM l [LEFT|RIGHT|FULL] JOIN r ON l.k = r.k
//	  AND r.t BETWEEN l.t + Lower AND l.t + Upper AND cond
//
// (every bound the planner derives from <, <=, >=, >, BETWEEN or l.t = r.t,
// inclusive: a strict bound is the inclusive one 1 ms inside). Both inputs
// are repartitioned by stream.KeyByColumns on their equi-join keys
// (Connect: input 0 left, 1 right).
type IntervalJoinSpec struct {
	Type                    JoinType
	LeftSchema, RightSchema *row.Schema
	// LeftTimeCol/RightTimeCol are the rowtime columns (TIMESTAMP(3) or
	// TIMESTAMP_LTZ(3), epoch milliseconds), or both -1 for a
	// processing-time interval join (a row's time is the task's clock when
	// it arrives).
	LeftTimeCol, RightTimeCol int
	// Lower <= Upper: right.t BETWEEN left.t + Lower AND left.t + Upper,
	// inclusive (Flink's bounds), at millisecond precision.
	Lower, Upper time.Duration
	// Cond is the residual condition over the joined row; nil = none.
	Cond func(joined *row.Row) (bool, error)
	// LeftKeys/RightKeys/NullSafe: as JoinSpec's (optional).
	LeftKeys, RightKeys []int
	NullSafe            []bool
	// MaxCachedRows bounds the rows a task keeps decoded in memory (0:
	// DefaultJoinCachedRows).
	MaxCachedRows int
}

// Validate reports a spec the operator cannot run (a planning error).
func (s IntervalJoinSpec) Validate() error {
	if !s.Type.valid() {
		return fmt.Errorf("interval_join: join type %d", uint8(s.Type))
	}
	if s.LeftSchema == nil || s.RightSchema == nil {
		return errors.New("interval_join: missing input schema")
	}
	if s.Lower > s.Upper {
		return fmt.Errorf("interval_join: lower bound %s is above the upper bound %s", s.Lower, s.Upper)
	}
	switch {
	case s.LeftTimeCol == -1 && s.RightTimeCol == -1: // processing time
	case s.LeftTimeCol < 0 || s.RightTimeCol < 0:
		return fmt.Errorf("interval_join: time columns %d and %d: both rowtime or both -1 (processing time)", s.LeftTimeCol, s.RightTimeCol)
	default:
		if err := joinTimeCol("interval_join left time", s.LeftSchema, s.LeftTimeCol); err != nil {
			return err
		}
		if err := joinTimeCol("interval_join right time", s.RightSchema, s.RightTimeCol); err != nil {
			return err
		}
	}
	return validateJoinKeys("interval_join", s.LeftSchema, s.RightSchema, s.LeftKeys, s.RightKeys, s.NullSafe)
}

// IntervalJoin returns the interval join (Flink's RowTimeIntervalJoin and
// ProcTimeIntervalJoin) over append-only inputs: a -U/-D row is
// dead-lettered (code "retract_unsupported"); +U counts as an insert. Its
// output is insert-only: left values then right values, NULLs for the
// missing side.
//
//   - A row joins at once every kept row of the other side whose time is
//     in its interval and for which Cond holds, emitting +I(l, r) keyed and
//     timed as the arriving record.
//   - A left row at t is kept until the watermark passes t + Upper (no
//     right row on time can match it after that), a right row at t until
//     it passes t - Lower; event-time timers (processing-time timers for a
//     processing-time join) drop them then, as Flink's cleanup timers do
//     (at watermark >= bound + 1). An outer side's row that never matched
//     is emitted as +I(row, NULLs) when it is dropped (record time: its
//     row time), or at once when it arrives already past its bound.
//   - A row whose time is behind the watermark (t < watermark) is late:
//     rows it should have matched may already be gone, so rather than
//     joining it partially (what Flink does) it is counted
//     (Context.CountLate) and dead-lettered (code "late"). A row on time
//     always finds every row it matches. Processing time is never late.
//   - A NULL time dead-letters the row ("null_rowtime"); a row with a NULL
//     `=` key (LeftKeys/RightKeys) matches nothing and is not kept (an
//     outer side emits it padded at once).
//
// At the end of a drained input the unmatched rows of outer sides are
// emitted padded, as the final watermark would, and kept, marked padded:
// a later run continuing the input may still match them (then both rows
// are in the output: insert-only output cannot take the padded row back),
// and does not pad them again.
func IntervalJoin(spec IntervalJoinSpec) stream.Factory {
	return func() stream.Operator { return &intervalJoin{spec: spec} }
}

type intervalJoin struct {
	spec         IntervalJoinSpec
	ctx          *stream.Context
	schemas      [2]*row.Schema
	timeCols     [2]int
	lower, upper int64
	domain       state.TimeDomain
	rows         [2]*state.MapState // join key -> time + seq -> entry
	nullKey      joinNullKeys
	cache        joinCache
	out          joinOut
	eoi          map[string]bool // keys emitted in this end-of-input pass

	enc, val, mk []byte
	hits         []*joinEntry
}

// State layout of a kept row: version 1, matched (uvarint: 0 no, 1 yes,
// intervalPadded), the row's binary encoding; its map key is the 8-byte
// time (joinTimeKey) and an 8-byte sequence number among the rows of its
// key, side and time.
const intervalEntryV1 = 1

// intervalPadded is entry.assoc of an outer row an end of input emitted
// padded: it is not padded again (a later match is still emitted).
const intervalPadded = 2

func (j *intervalJoin) Open(ctx *stream.Context) error {
	if err := j.spec.Validate(); err != nil {
		return err
	}
	j.ctx = ctx
	j.schemas = [2]*row.Schema{j.spec.LeftSchema, j.spec.RightSchema}
	j.timeCols = [2]int{j.spec.LeftTimeCol, j.spec.RightTimeCol}
	j.lower, j.upper = j.spec.Lower.Milliseconds(), j.spec.Upper.Milliseconds()
	j.domain = state.EventTime
	if j.spec.LeftTimeCol < 0 {
		j.domain = state.ProcessingTime
	}
	j.rows = [2]*state.MapState{ctx.Map("left"), ctx.Map("right")}
	j.nullKey = joinNullKeys{cols: [2][]int{j.spec.LeftKeys, j.spec.RightKeys}, nullSafe: j.spec.NullSafe}
	j.cache = newJoinCache(j.spec.MaxCachedRows, j.flush)
	j.out = newJoinOut(j.spec.Cond, j.spec.LeftSchema, j.spec.RightSchema)
	return nil
}

// WatermarkHold is how much older than the watermark an output row's
// times may be: a row on time (at or after the watermark) matches rows up
// to the bounds away, so both sides' times stay time attributes after the
// join when the operators after it see the watermark held back by as
// much (Flink's interval join output delay).
func (j *intervalJoin) WatermarkHold() time.Duration {
	if j.spec.LeftTimeCol < 0 {
		return 0
	}
	return max(0, -j.spec.Lower, j.spec.Upper)
}

// progress is the watermark, or the clock of a processing-time join.
func (j *intervalJoin) progress() int64 {
	if j.domain == state.ProcessingTime {
		return j.ctx.Now().UnixMilli()
	}
	return j.ctx.Watermark()
}

// due is when a row of side at time t is dropped (its timer): once
// progress passes its last matching time of the other side.
func (j *intervalJoin) due(side int, t int64) int64 {
	if side == 0 {
		return joinAdd(joinAdd(t, j.upper), 1)
	}
	return joinAdd(joinAdd(t, -j.lower), 1)
}

// span is the time range of the other side's rows a row of side at t
// matches.
func (j *intervalJoin) span(side int, t int64) (lo, hi int64) {
	if side == 0 {
		return joinAdd(t, j.lower), joinAdd(t, j.upper)
	}
	return joinAdd(t, -j.upper), joinAdd(t, -j.lower)
}

// Process is not called on a two-input operator.
func (j *intervalJoin) Process(*stream.Record, stream.Emitter) error {
	return errors.New("interval_join: a two-input operator needs stream.Connect")
}

func (j *intervalJoin) ProcessInput(input int, rec *stream.Record, out stream.Emitter) (err error) {
	in, err := joinTypedRow(rec, "interval_join", input, j.schemas)
	if err != nil {
		return err
	}
	if in.Kind.IsRetract() {
		return stream.BadInput("retract_unsupported", "interval_join: %s row: an interval join needs insert-only input", in.Kind)
	}
	side := input
	x := in.Values
	p := j.progress()
	var t int64
	if j.domain == state.EventTime {
		if t, err = joinRowTime(in, j.timeCols[side], "interval_join"); err != nil {
			return err
		}
		if p != stream.MinWatermark && t < p {
			j.ctx.CountLate()
			return windowLate("interval_join", t, p)
		}
	} else {
		t = p
	}
	if j.enc, err = joinEncodeRow(j.enc[:0], j.schemas[side], x, "interval_join"); err != nil {
		return err
	}
	inOuter := j.spec.Type.outer(side)
	if j.nullKey.has(side, x) {
		if inOuter {
			j.out.sendSide(out, rec, row.Insert, side, x, nil)
		}
		return nil
	}

	kr, err := j.load(rec.Key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	lo, hi := j.span(side, t)
	others := kr.sides[1-side]
	j.hits = j.hits[:0]
	for i := sort.Search(len(others), func(i int) bool { return others[i].wrote >= lo }); i < len(others) && others[i].wrote <= hi; i++ {
		ok, err := j.out.matchSide(side, x, others[i].vals)
		if err != nil {
			return err
		}
		if ok {
			j.hits = append(j.hits, others[i])
		}
	}
	otherOuter := j.spec.Type.outer(1 - side)
	for _, m := range j.hits {
		j.out.sendSide(out, rec, row.Insert, side, x, m.vals)
		if otherOuter && m.assoc == 0 {
			m.assoc = 1
			j.cache.touch(kr, m)
		}
	}
	matched := len(j.hits) > 0
	due := j.due(side, t)
	if p != math.MinInt64 && p >= due {
		// No row of the other side on time can match it any more.
		if inOuter && !matched {
			j.out.sendSide(out, rec, row.Insert, side, x, nil)
		}
		return nil
	}

	// Keep it: its sequence follows the last row of its time.
	rows := kr.sides[side]
	pos := sort.Search(len(rows), func(i int) bool { return rows[i].wrote > t })
	seq := uint64(0)
	if pos > 0 && rows[pos-1].wrote == t {
		seq = binary.BigEndian.Uint64(rows[pos-1].mk[8:]) + 1
	}
	e := &joinEntry{vals: append([]row.Value(nil), x...), enc: append([]byte(nil), j.enc...), wrote: t}
	e.mk = binary.BigEndian.AppendUint64(joinTimeKey(make([]byte, 0, 16), t), seq)
	if matched {
		e.assoc = 1
	}
	j.cache.insert(kr, side, pos, e)
	j.cache.touch(kr, e)
	return j.ctx.RegisterTimer(j.domain, due, rec.Key)
}

// done ends the use of kr, keeping the first error.
func (j *intervalJoin) done(kr *joinKeyRows, err *error) {
	if derr := j.cache.done(kr); *err == nil {
		*err = derr
	}
}

// flush writes the changed rows of kr to state.
func (j *intervalJoin) flush(kr *joinKeyRows) error {
	for s := range kr.sides {
		for _, e := range kr.sides[s] {
			if !e.dirty {
				continue
			}
			b := append(j.val[:0], intervalEntryV1)
			b = binary.AppendUvarint(b, uint64(e.assoc))
			b = append(b, e.enc...)
			j.val = b
			if err := j.rows[s].Put(kr.key, e.mk, b); err != nil {
				return err
			}
			e.dirty, e.stored = false, true
		}
	}
	return nil
}

// PrepareCheckpoint writes every changed row to state.
func (j *intervalJoin) PrepareCheckpoint(stream.Emitter) error { return j.cache.flushAll() }

// OnTimer drops the rows of key no row on time can match any more,
// emitting the unmatched ones of outer sides padded.
func (j *intervalJoin) OnTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
	kr, err := j.load(key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	p := j.progress()
	for s := range kr.sides {
		for i := 0; i < len(kr.sides[s]); {
			e := kr.sides[s][i]
			if p < j.due(s, e.wrote) {
				i++
				continue
			}
			if j.spec.Type.outer(s) && e.assoc == 0 {
				j.out.sendSide(out, j.out.at(key, e.wrote), row.Insert, s, e.vals, nil)
			}
			j.cache.remove(kr, s, i)
			if e.stored {
				if err := j.rows[s].Delete(key, e.mk); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// OnEndOfInputTimer emits, once per key, the unmatched rows of outer
// sides padded, as the final watermark of a bounded input would, keeping
// them.
func (j *intervalJoin) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
	if d != j.domain || j.eoi[string(key)] || (!j.spec.Type.outer(0) && !j.spec.Type.outer(1)) {
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
	for s := range kr.sides {
		if !j.spec.Type.outer(s) {
			continue
		}
		for _, e := range kr.sides[s] {
			if e.assoc == 0 {
				j.out.sendSide(out, j.out.at(key, e.wrote), row.Insert, s, e.vals, nil)
				e.assoc = intervalPadded
				j.cache.touch(kr, e)
			}
		}
	}
	return nil
}

// EndOfInput ends the end-of-input pass.
func (j *intervalJoin) EndOfInput(stream.Emitter) error {
	j.eoi = nil
	return nil
}

// load returns the kept rows of key from memory or state.
func (j *intervalJoin) load(key []byte) (*joinKeyRows, error) {
	if kr := j.cache.get(key); kr != nil {
		return kr, nil
	}
	kr := &joinKeyRows{key: append([]byte(nil), key...)}
	for s := range kr.sides {
		var bad error
		err := j.rows[s].Range(key, func(mk, v []byte) bool {
			r := stateReader{b: v}
			if ver := r.byte1(); r.err == nil && ver != intervalEntryV1 || len(mk) != 16 {
				bad = fmt.Errorf("%w: interval join entry (version %d, key of %d bytes)", errCorruptState, ver, len(mk))
				return false
			}
			e := &joinEntry{mk: append([]byte(nil), mk...), assoc: int64(r.uvarint()), wrote: joinKeyTime(mk), stored: true}
			if r.err != nil {
				bad = r.err
				return false
			}
			e.enc = append([]byte(nil), r.b...)
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
			return nil, fmt.Errorf("interval_join: key %x: %w", key, err)
		}
	}
	j.cache.add(kr)
	return kr, nil
}
