package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// TemporalJoinSpec is an event-time temporal join against a versioned
// table:
//
//	FROM l [LEFT] JOIN r FOR SYSTEM_TIME AS OF l.rowtime ON l.k = r.pk AND cond
//
// The right input is the versioned table's changelog (its primary key is
// the join key); both inputs are repartitioned by stream.KeyByColumns on
// the join key (Connect: input 0 left, 1 right).
type TemporalJoinSpec struct {
	Type                    JoinType // InnerJoin or LeftJoin
	LeftSchema, RightSchema *row.Schema
	// LeftTimeCol is the probe row's event time, RightTimeCol the version
	// time of the versioned table's rows (TIMESTAMP(3) or
	// TIMESTAMP_LTZ(3) columns, epoch milliseconds).
	LeftTimeCol, RightTimeCol int
	// Cond is the residual condition over the joined row; nil = none.
	Cond func(joined *row.Row) (bool, error)
	// MaxCachedRows bounds the rows a task keeps decoded in memory (0:
	// DefaultJoinCachedRows).
	MaxCachedRows int
}

// Validate reports a spec the operator cannot run (a planning error).
func (s TemporalJoinSpec) Validate() error {
	if s.Type != InnerJoin && s.Type != LeftJoin {
		return fmt.Errorf("temporal_join: %s join (INNER or LEFT only)", s.Type)
	}
	if s.LeftSchema == nil || s.RightSchema == nil {
		return errors.New("temporal_join: missing input schema")
	}
	if err := joinTimeCol("temporal_join left time", s.LeftSchema, s.LeftTimeCol); err != nil {
		return err
	}
	return joinTimeCol("temporal_join right time", s.RightSchema, s.RightTimeCol)
}

// TemporalJoin returns the event-time temporal join (Flink's
// TemporalRowTimeJoinOperator):
//
//   - a right row is a version of its key valid from its time: +I/+U
//     store it (a version at the same time as a kept one replaces it), -D
//     stores "no row from then on"; -U rows are ignored (the +U that
//     follows carries the new version; Flink's planner sends none);
//   - a left row is buffered until the watermark reaches its time, then
//     joined with the version valid at it: the latest version with time
//     <= the left row's time. When that version is a row and Cond holds,
//     the output is the left values then the version's; otherwise an
//     inner join emits nothing and a LEFT join the left values and NULLs.
//     The output row takes the left row's kind (insert-only for an
//     append-only probe side), keyed by the join key and timed by the left
//     row's time; rows released by one watermark come out in arrival order
//     per key;
//   - versions are dropped once no buffered or future left row can need
//     them: of the versions at or before the watermark only the latest is
//     kept (a deletion too, as Flink: a late version older than it must
//     not come back to life); every left row and version registers an
//     event-time timer at its time (after the watermark), so a key's
//     versions shrink to one as time passes;
//   - a left row behind the watermark (time < watermark) is late: the
//     versions it needs may be gone, so it is counted and dead-lettered
//     (code "late") rather than joined with the wrong version (Flink joins
//     it with what is left); a left row at the watermark is joined at once.
//     Right rows are never late: a version behind the watermark still
//     applies to every left row not yet emitted;
//   - a NULL time dead-letters the row ("null_rowtime"); a Cond error met
//     when a left row is released dead-letters that row ("eval_error") and
//     emits nothing for it.
//
// At the end of a drained input the buffered left rows are joined with
// the versions known then and emitted, and stay buffered, remembering
// what they emitted: a later run continuing the input emits a row again
// only if it joins another version then (an append sink then holds both
// rows, an upsert sink the second). A key's rows stay decoded in memory
// while it is used (MaxCachedRows) and are written back at checkpoints.
func TemporalJoin(spec TemporalJoinSpec) stream.Factory {
	return func() stream.Operator { return &temporalJoin{spec: spec} }
}

// A key's rows (joinKeyRows): side 0 the buffered left rows under an
// 8-byte sequence (arrival order), side 1 the versions under their 8-byte
// time (joinTimeKey); entry.wrote is the row's time, entry.kind the left
// row's kind or the version's (Delete: no row from then on).
type temporalJoin struct {
	spec    TemporalJoinSpec
	ctx     *stream.Context
	schemas [2]*row.Schema
	times   [2]int
	rows    [2]*state.MapState // join key -> seq | time -> entry
	cache   joinCache
	out     joinOut
	eoi     map[string]bool

	enc, val, mk []byte
	outcome      []byte // scratch: a left row's outcome (emit)
	dead         []temporalDead
}

// temporalDead is a released left row whose condition failed.
type temporalDead struct {
	rec stream.Record
	err *stream.BadInputError
}

// State layout of an entry: version 1, a deletion flag byte (versions),
// then the row's binary encoding (its kind included; a left row's kind is
// the input's). Left rows have no flag byte; a left row an end of input
// emitted is version temporalSentV2: its sent outcome (uvarint length,
// bytes) precedes its encoding.
const (
	temporalV1     = 1
	temporalSentV2 = 2
)

func (j *temporalJoin) Open(ctx *stream.Context) error {
	if err := j.spec.Validate(); err != nil {
		return err
	}
	j.ctx = ctx
	j.schemas = [2]*row.Schema{j.spec.LeftSchema, j.spec.RightSchema}
	j.times = [2]int{j.spec.LeftTimeCol, j.spec.RightTimeCol}
	j.rows = [2]*state.MapState{ctx.Map("left"), ctx.Map("right")}
	j.cache = newJoinCache(j.spec.MaxCachedRows, j.flush)
	j.out = newJoinOut(j.spec.Cond, j.spec.LeftSchema, j.spec.RightSchema)
	return nil
}

// Process is not called on a two-input operator.
func (j *temporalJoin) Process(*stream.Record, stream.Emitter) error {
	return errors.New("temporal_join: a two-input operator needs stream.Connect")
}

func (j *temporalJoin) ProcessInput(input int, rec *stream.Record, out stream.Emitter) (err error) {
	in, err := joinTypedRow(rec, "temporal_join", input, j.schemas)
	if err != nil {
		return err
	}
	t, err := joinRowTime(in, j.times[input], "temporal_join")
	if err != nil {
		return err
	}
	wm := j.ctx.Watermark()
	if input == 0 && wm != stream.MinWatermark && t < wm {
		j.ctx.CountLate()
		return windowLate("temporal_join", t, wm)
	}
	if input == 1 && in.Kind == row.UpdateBefore {
		return nil // the +U that follows carries the new version
	}
	kind := in.Kind
	if input == 1 && kind != row.Delete {
		kind = row.Insert
	}
	if j.enc, err = joinEncodeRowKind(j.enc[:0], j.schemas[input], kind, in.Values, "temporal_join"); err != nil {
		return err
	}
	kr, err := j.load(rec.Key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)

	if input == 1 {
		j.mk = joinTimeKey(j.mk[:0], t)
		pos, found := kr.find(1, j.mk)
		e := &joinEntry{mk: append([]byte(nil), j.mk...), wrote: t, kind: kind}
		if found {
			e = kr.sides[1][pos]
			e.kind = kind
		} else {
			j.cache.insert(kr, 1, pos, e)
		}
		e.vals, e.enc = nil, append(e.enc[:0], j.enc...)
		if kind != row.Delete {
			e.vals = append([]row.Value(nil), in.Values...)
		}
		j.cache.touch(kr, e)
		// A version after the watermark cleans up the ones it supersedes
		// when the watermark reaches it; one at or before it at the next
		// watermark.
		return j.ctx.RegisterTimer(state.EventTime, max(t, joinAdd(wm, 1)), rec.Key)
	}
	if t <= wm {
		// At the watermark: every version it can need is known.
		right, err := j.versionFor(kr, t, in.Values)
		if err != nil {
			return err
		}
		if right != nil || j.spec.Type == LeftJoin {
			j.out.send(out, rec, in.Kind, in.Values, right)
		}
		return nil
	}
	seq := uint64(0)
	if n := len(kr.sides[0]); n > 0 {
		seq = binary.BigEndian.Uint64(kr.sides[0][n-1].mk) + 1
	}
	e := &joinEntry{mk: binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq), vals: append([]row.Value(nil), in.Values...),
		enc: append([]byte(nil), j.enc...), wrote: t, kind: in.Kind}
	j.cache.insert(kr, 0, len(kr.sides[0]), e)
	j.cache.touch(kr, e)
	return j.ctx.RegisterTimer(state.EventTime, t, rec.Key)
}

// done ends the use of kr, keeping the first error.
func (j *temporalJoin) done(kr *joinKeyRows, err *error) {
	if derr := j.cache.done(kr); *err == nil {
		*err = derr
	}
}

// versionFor returns the values of kr's version valid at t if it is a row
// for which Cond holds with left, else nil.
func (j *temporalJoin) versionFor(kr *joinKeyRows, t int64, left []row.Value) ([]row.Value, error) {
	vs := kr.sides[1]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].wrote > t }) - 1
	if i < 0 || vs[i].kind == row.Delete {
		return nil, nil
	}
	ok, err := j.out.match(left, vs[i].vals)
	if err != nil || !ok {
		return nil, err
	}
	return vs[i].vals, nil
}

// OnTimer releases the key's left rows at or before the watermark and
// drops the versions nothing needs any more.
func (j *temporalJoin) OnTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
	kr, err := j.load(key)
	if err != nil {
		return err
	}
	defer j.done(kr, &err)
	wm := j.ctx.Watermark()
	n := 0
	for _, l := range kr.sides[0] {
		if l.wrote <= wm {
			j.emit(kr, l, out, false)
			n++
		}
	}
	if n > 0 {
		kept := kr.sides[0][:0]
		for _, l := range kr.sides[0] {
			if l.wrote > wm {
				kept = append(kept, l)
			} else if err := j.forget(kr, 0, l); err != nil {
				return err
			}
		}
		clear(kr.sides[0][len(kept):])
		kr.sides[0] = kept
		j.cache.rows -= n
	}
	// Of the versions at or before the watermark keep the latest.
	vs := kr.sides[1]
	if keep := sort.Search(len(vs), func(i int) bool { return vs[i].wrote > wm }) - 1; keep > 0 {
		for _, v := range vs[:keep] {
			if err := j.forget(kr, 1, v); err != nil {
				return err
			}
		}
		kr.sides[1] = append(vs[:0], vs[keep:]...)
		clear(vs[len(kr.sides[1]):])
		j.cache.rows -= keep
	}
	return j.flushDead()
}

// Outcomes of a left row (the first byte of joinEntry.sent): joined with
// a version (its values' key follows), padded or dropped (no version, or
// the condition false), dead-lettered (a condition error).
const (
	temporalJoined = 1 + iota
	temporalUnmatched
	temporalFailed
)

// emit joins left row l with its version and emits it; a row whose
// condition fails is dead-lettered instead (after the outputs). What an
// end of input emitted for l is not emitted again; eoi: this is an end of
// input, and l remembers what it emitted.
func (j *temporalJoin) emit(kr *joinKeyRows, l *joinEntry, out stream.Emitter, eoi bool) {
	right, err := j.versionFor(kr, l.wrote, l.vals)
	if l.sent != nil || eoi {
		switch {
		case err != nil:
			j.outcome = append(j.outcome[:0], temporalFailed)
		case right != nil:
			j.outcome = row.AppendKey(append(j.outcome[:0], temporalJoined), right...)
		default:
			j.outcome = append(j.outcome[:0], temporalUnmatched)
		}
		same := bytes.Equal(l.sent, j.outcome)
		if eoi && !same {
			l.sent = append(l.sent[:0], j.outcome...)
			j.cache.touch(kr, l)
		}
		if same {
			return
		}
	}
	if err != nil {
		b, ok := stream.AsBadInput(err)
		if !ok {
			b = &stream.BadInputError{Code: "eval_error", Detail: err.Error()}
		}
		r := row.Row{Kind: l.kind, Values: l.vals}
		j.dead = append(j.dead, temporalDead{rec: stream.Record{Key: kr.key, Time: l.wrote, Row: &r}, err: b})
		return
	}
	if right != nil || j.spec.Type == LeftJoin {
		j.out.send(out, j.out.at(kr.key, l.wrote), l.kind, l.vals, right)
	}
}

// flushDead dead-letters the rows whose condition failed.
func (j *temporalJoin) flushDead() error {
	for i := range j.dead {
		j.ctx.DeadLetter(&j.dead[i].rec, j.dead[i].err)
	}
	clear(j.dead)
	j.dead = j.dead[:0]
	return nil
}

// forget removes a dropped entry from state.
func (j *temporalJoin) forget(kr *joinKeyRows, side int, e *joinEntry) error {
	if !e.stored {
		return nil
	}
	return j.rows[side].Delete(kr.key, e.mk)
}

// flush writes the changed entries of kr to state.
func (j *temporalJoin) flush(kr *joinKeyRows) error {
	for s := range kr.sides {
		for _, e := range kr.sides[s] {
			if !e.dirty {
				continue
			}
			b := append(j.val[:0], temporalV1)
			if s == 0 && e.sent != nil {
				b[0] = temporalSentV2
				b = binary.AppendUvarint(b, uint64(len(e.sent)))
				b = append(b, e.sent...)
			}
			if s == 1 {
				flag := byte(0)
				if e.kind == row.Delete {
					flag = 1
				}
				b = append(b, flag)
			}
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

// PrepareCheckpoint writes every changed entry to state.
func (j *temporalJoin) PrepareCheckpoint(stream.Emitter) error { return j.cache.flushAll() }

// load returns the rows of key from memory or state.
func (j *temporalJoin) load(key []byte) (*joinKeyRows, error) {
	if kr := j.cache.get(key); kr != nil {
		return kr, nil
	}
	kr := &joinKeyRows{key: append([]byte(nil), key...)}
	for s := range kr.sides {
		var bad error
		err := j.rows[s].Range(key, func(mk, v []byte) bool {
			if len(mk) != 8 || len(v) < 1+s || v[0] != temporalV1 && (s == 1 || v[0] != temporalSentV2) {
				bad = fmt.Errorf("%w: temporal join entry", errCorruptState)
				return false
			}
			e := &joinEntry{mk: append([]byte(nil), mk...), stored: true}
			if v[0] == temporalSentV2 {
				r := stateReader{b: v[1:]}
				e.sent = slices.Clone(r.bytes())
				if r.err != nil || e.sent == nil {
					bad = fmt.Errorf("%w: temporal join entry", errCorruptState)
					return false
				}
				e.enc = append([]byte(nil), r.b...)
			} else {
				e.enc = append([]byte(nil), v[1+s:]...)
			}
			var r row.Row
			if err := row.DecodeRow(e.enc, j.schemas[s], &r); err != nil {
				bad = fmt.Errorf("%w: %v", errCorruptState, err)
				return false
			}
			e.kind = r.Kind
			if s == 0 {
				t, err := joinRowTime(&r, j.times[0], "temporal_join")
				if err != nil {
					bad = fmt.Errorf("%w: %v", errCorruptState, err)
					return false
				}
				e.wrote, e.vals = t, r.Values
			} else {
				e.wrote = joinKeyTime(mk)
				if v[1] == 1 {
					e.kind = row.Delete
				} else {
					e.vals = r.Values
				}
			}
			kr.sides[s] = append(kr.sides[s], e)
			return true
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return nil, fmt.Errorf("temporal_join: key %x: %w", key, err)
		}
	}
	j.cache.add(kr)
	return kr, nil
}

// OnEndOfInputTimer joins and emits, once per key, the buffered left rows
// with the versions known at the end of a drained input, keeping them.
func (j *temporalJoin) OnEndOfInputTimer(d state.TimeDomain, _ int64, key []byte, out stream.Emitter) (err error) {
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
	for _, l := range kr.sides[0] {
		j.emit(kr, l, out, true)
	}
	return j.flushDead()
}

// EndOfInput ends the end-of-input pass.
func (j *temporalJoin) EndOfInput(stream.Emitter) error {
	j.eoi = nil
	return nil
}
