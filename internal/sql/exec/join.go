package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// JoinType is the kind of a join: which sides are outer (padded with
// NULLs when a row has no match).
type JoinType uint8

// Join types. The zero value is an inner join.
const (
	InnerJoin JoinType = iota
	LeftJoin
	RightJoin
	FullJoin
)

func (t JoinType) String() string {
	switch t {
	case InnerJoin:
		return "INNER"
	case LeftJoin:
		return "LEFT"
	case RightJoin:
		return "RIGHT"
	case FullJoin:
		return "FULL"
	}
	return fmt.Sprintf("JoinType(%d)", uint8(t))
}

// outer reports whether side (0 left, 1 right) is an outer side.
func (t JoinType) outer(side int) bool {
	if side == 0 {
		return t == LeftJoin || t == FullJoin
	}
	return t == RightJoin || t == FullJoin
}

func (t JoinType) valid() bool { return t <= FullJoin }

// JoinSpec is a regular (unwindowed) equi-join: FROM l [LEFT|RIGHT|FULL]
// JOIN r ON l.k = r.k AND cond. Both inputs are repartitioned by
// stream.KeyByColumns on their equi-join key columns (Connect: input 0 is
// the left side, input 1 the right), so the record key is the join key and
// the rows of one key meet in one task.
type JoinSpec struct {
	Type                    JoinType
	LeftSchema, RightSchema *row.Schema
	// Cond is the residual (non-equi) condition over the joined row (left
	// values then right values); nil = none.
	Cond func(joined *row.Row) (bool, error)
	// LeftUniqueKey/RightUniqueKey: column indexes of a side's unique key
	// when the planner knows one (a primary key, group keys), nil
	// otherwise: the side's state per join key is then a map unique key ->
	// row instead of a multiset of rows.
	LeftUniqueKey, RightUniqueKey []int
	// StateTTL (table.exec.state.ttl) forgets a row this long after its
	// last write (its insertion or an update of its association count);
	// 0 keeps rows forever.
	StateTTL time.Duration
	// SideTTL, when set for a side (left 0, right 1), replaces StateTTL
	// for that side's rows (the STATE_TTL hint names one input).
	SideTTL [2]time.Duration
	// EventTimeTTL measures StateTTL on the operator's watermark
	// (deterministic: a replay expires the same rows; rtdw's option)
	// instead of processing time (Flink's).
	EventTimeTTL bool
	// LeftKeys/RightKeys (optional): the equi-join key columns the inputs
	// are keyed by, pairwise. A row with a NULL in a key compared with `=`
	// matches no row, as in SQL (the key bytes of two NULLs are equal, so
	// without them NULL keys would join); NullSafe[i] marks key i as
	// IS NOT DISTINCT FROM, where NULL matches NULL. nil NullSafe: all `=`.
	LeftKeys, RightKeys []int
	NullSafe            []bool
	// MaxCachedRows bounds the rows a task keeps decoded in memory (0:
	// DefaultJoinCachedRows).
	MaxCachedRows int
	// EagerRows: how many rows of a side load with their key from state
	// (0: DefaultJoinEagerRows); the rest load when a row of the other
	// side needs to match them.
	EagerRows int
}

// TTL is the state TTL of side s's rows: its SideTTL, else StateTTL
// (0: none).
func (s JoinSpec) TTL(side int) time.Duration {
	if s.SideTTL[side] > 0 {
		return s.SideTTL[side]
	}
	return s.StateTTL
}

// Validate reports a spec the operator cannot run (a planning error).
func (s JoinSpec) Validate() error {
	if !s.Type.valid() {
		return fmt.Errorf("join: join type %d", uint8(s.Type))
	}
	if s.LeftSchema == nil || s.RightSchema == nil {
		return errors.New("join: missing input schema")
	}
	if s.StateTTL < 0 || s.SideTTL[0] < 0 || s.SideTTL[1] < 0 {
		return fmt.Errorf("join: negative state TTL")
	}
	if s.EagerRows < 0 {
		return fmt.Errorf("join: negative EagerRows %d", s.EagerRows)
	}
	if err := joinCheckCols("join left unique key", s.LeftSchema, s.LeftUniqueKey...); err != nil {
		return err
	}
	if err := joinCheckCols("join right unique key", s.RightSchema, s.RightUniqueKey...); err != nil {
		return err
	}
	return validateJoinKeys("join", s.LeftSchema, s.RightSchema, s.LeftKeys, s.RightKeys, s.NullSafe)
}

// Join returns the regular join (Flink's StreamingJoinOperator) over
// append-only or changelog inputs. Output rows are the left values then
// the right values, NULLs for the missing side of an outer join, keyed and
// timed as the input record that caused them.
//
// Per join key and side it keeps the rows seen (+I/+U add one, -U/-D
// remove one): a multiset of rows with their multiplicity, or with a
// unique key a map unique key -> row; an outer side also keeps each row's
// number of associations (matching rows of the other side, counted with
// multiplicity). An input row on side S matches the rows of the other
// side for which Cond holds on the joined row. Output, exactly as
// StreamingJoinOperator's documented algorithm:
//
//   - accumulate (+I/+U) on an outer side S: no match -> +I(row, NULLs);
//     else for each match m (each copy of it): -D(NULLs, m) first when the
//     other side is outer and m had no association, then +I(row, m); the
//     row is kept with its association count;
//   - accumulate on an inner side: kept; for each match (each copy), when
//     the other side is outer: -D(NULLs, m) if m had no association, then
//     +I(row, m); when both sides are inner the output takes the input's
//     kind (+I or +U);
//   - retract (-U/-D): one copy of the row leaves the state; no match ->
//     -D(row, NULLs) on an outer side (nothing on an inner one); else for
//     each match (each copy): -D(row, m) on an outer side S, the input's
//     kind (-U or -D) on an inner one; and when the other side is outer
//     and m loses its last association, +I(NULLs, m) after it.
//
// So a LEFT join's left row without a match emits +I(l, NULLs); its first
// match emits -D(l, NULLs) then +I(l, r); losing its last match (a right
// -U/-D) emits -D(l, r) then +I(l, NULLs). Outer joins retract with
// -D/+I (Flink's choice, FLINK-17337), inner joins pass -U/+U through.
// The materialized output (+I/+U add a row, -U/-D remove one) is at every
// moment the join of the rows in state.
//
// Where rtdw differs from Flink:
//
//   - with a StateTTL, a retraction is matched against the other side
//     whether or not its own row is still in state (as Flink, so a row
//     expired by TTL still retracts its joined rows downstream); without
//     one a retraction of a row never kept is a malformed changelog and
//     is ignored (Flink would emit retractions of rows it never emitted);
//     both are counted and logged at checkpoints;
//   - with a unique key, an accumulate row whose key is already in state
//     (an upsert without -U) first retracts the kept row (-U when the
//     input is +U, else -D; -D on outer sides), so downstream never keeps
//     a stale joined row; Flink's planner always sends -U first, which
//     this does not change;
//   - with a unique key, a retraction joins the kept row (what was
//     emitted) rather than the retraction's own values when they differ;
//   - an association count is the number of matching rows of the other
//     side with their multiplicity, always kept exact (recent Flink's
//     isAdditionalMatch does not count again a row whose copy, or unique
//     key, is already in state).
//
// A row with a NULL in a `=` key (LeftKeys/RightKeys) matches nothing
// (an outer side's row stays padded), as Flink's null filter decides.
//
// StateTTL expires rows TTL after their last write, by the watermark
// (EventTimeTTL) or processing time: an expired row is dropped (a later
// match of it on the other side finds nothing, an outer row's late match
// may then be emitted padded, as Flink with TTL). Bad input never reaches
// state: a row of the wrong width or types ("bad_row"), a condition error
// ("eval_error") are dead-lettered before anything is emitted.
//
// A key's rows stay decoded in memory while it is used (MaxCachedRows, in
// map-key order, the order state iterates them in) and changed entries
// are written to state at each checkpoint or when the key leaves memory,
// so a reloaded key behaves exactly as the cached one did. A reloaded
// side of more than EagerRows rows loads the rest only when a row of the
// other side must be matched against it; a row of its own side looks up
// its own entry alone.
func Join(spec JoinSpec) stream.Factory {
	return func() stream.Operator { return &regularJoin{spec: spec} }
}

type regularJoin struct {
	spec    JoinSpec
	ctx     *stream.Context
	schemas [2]*row.Schema
	uk      [2][]int
	rows    [2]*state.MapState // join key -> map key -> entry (TTL handles)
	nullKey joinNullKeys
	ttl     [2]int64         // per side, ms; 0: none
	ttlDur  [2]time.Duration // the same, as durations
	cache   joinCache
	eager   int // EagerRows
	out     joinOut
	// fresh: the operator's state was empty when it opened, so a key
	// holds rows in state only if this instance wrote them, and seen
	// (a Bloom filter of the keys it gave rows) answers "certainly
	// absent" without seeking Pebble for each new key (Nexmark q7: a
	// join on price, nearly every key new).
	fresh bool
	seen  keyFilter

	mk, enc, val []byte
	m1, m2       []*joinEntry // matches of the row (and of the row it replaces)

	ignored, reported int64 // retractions of rows not in state
}

// State layout of an entry: version 1, count (uvarint), associations
// (uvarint), TTL write time (varint; MinInt64: unknown), then with a
// unique key the row's binary encoding (the map key is then the unique
// key's row.AppendKey; without one it is the row's binary encoding).
const joinEntryV1 = 1

func (j *regularJoin) Open(ctx *stream.Context) error {
	if err := j.spec.Validate(); err != nil {
		return err
	}
	j.ctx = ctx
	j.schemas = [2]*row.Schema{j.spec.LeftSchema, j.spec.RightSchema}
	j.uk = [2][]int{j.spec.LeftUniqueKey, j.spec.RightUniqueKey}
	var opts [2][]state.Option
	for s := range 2 {
		d := j.spec.TTL(s)
		if d <= 0 {
			continue
		}
		j.ttl[s], j.ttlDur[s] = max(d.Milliseconds(), 1), d
		if j.spec.EventTimeTTL {
			opts[s] = append(opts[s], ctx.EventTimeTTL(d))
		} else {
			opts[s] = append(opts[s], state.WithTTL(d))
		}
	}
	j.rows = [2]*state.MapState{ctx.Map("left", opts[0]...), ctx.Map("right", opts[1]...)}
	j.fresh = true
	for _, m := range j.rows {
		empty, err := m.Empty()
		if err != nil {
			return err
		}
		j.fresh = j.fresh && empty
	}
	j.nullKey = joinNullKeys{cols: [2][]int{j.spec.LeftKeys, j.spec.RightKeys}, nullSafe: j.spec.NullSafe}
	j.cache = newJoinCache(j.spec.MaxCachedRows, j.flush)
	j.eager = j.spec.EagerRows
	if j.eager <= 0 {
		j.eager = DefaultJoinEagerRows
	}
	j.out = newJoinOut(j.spec.Cond, j.spec.LeftSchema, j.spec.RightSchema)
	return nil
}

// now is the TTL clock for a record with time t: its ttlNow (event-time
// TTL) or processing time (ms).
func (j *regularJoin) now(t int64) int64 {
	if j.spec.EventTimeTTL {
		return ttlNow(j.ctx.Watermark(), t)
	}
	return j.ctx.Now().UnixMilli()
}

// expired reports whether a row of side s outlived its side's TTL.
func (j *regularJoin) expired(e *joinEntry, s int, now int64) bool {
	if j.ttl[s] == 0 {
		return false
	}
	if j.spec.EventTimeTTL {
		return ttlExpired(e.wrote, now, j.ttlDur[s])
	}
	return now >= joinAdd(e.wrote, j.ttl[s])
}

// Process is not called on a two-input operator (stream.Connect calls
// ProcessInput).
func (j *regularJoin) Process(rec *stream.Record, _ stream.Emitter) error {
	return errors.New("join: a two-input operator needs stream.Connect")
}

func (j *regularJoin) ProcessInput(input int, rec *stream.Record, out stream.Emitter) error {
	in, err := joinTypedRow(rec, "join", input, j.schemas)
	if err != nil {
		return err
	}
	side := input
	x := in.Values

	// Encode first: a row the schema cannot hold is bad input.
	if j.enc, err = joinEncodeRow(j.enc[:0], j.schemas[side], x, "join"); err != nil {
		return err
	}
	if j.uk[side] != nil {
		j.mk = j.mk[:0]
		for _, c := range j.uk[side] {
			j.mk = row.AppendKey(j.mk, x[c])
		}
	} else {
		j.mk = append(j.mk[:0], j.enc...)
	}

	kr, err := j.load(rec.Key)
	if err != nil {
		return err
	}
	err = j.process(rec, out, kr, side, in)
	if derr := j.cache.done(kr); err == nil {
		err = derr
	}
	return err
}

// process applies an input row (encoded in j.enc, its map key in j.mk) to
// the rows of its key.
func (j *regularJoin) process(rec *stream.Record, out stream.Emitter, kr *joinKeyRows, side int, in *row.Row) error {
	x := in.Values
	accumulate := in.Kind.IsAccumulate()
	inOuter := j.spec.Type.outer(side)
	now := j.now(rec.Time)
	if j.ttl[0] > 0 || j.ttl[1] > 0 {
		if err := j.expire(kr, now); err != nil {
			return err
		}
	}
	pos, found, err := j.findOwn(kr, side, j.mk, now)
	if err != nil {
		return err
	}
	var own *joinEntry
	if found {
		own = kr.sides[side][pos]
	}
	if err := j.complete(kr, 1-side, now); err != nil {
		return err
	}

	// Every condition is evaluated before anything changes, so an error
	// dead-letters the record with no effect.
	var old []row.Value // the kept row this one replaces or retracts (unique key)
	if own != nil && j.uk[side] != nil {
		old = own.vals
		if j.m2, err = j.matches(kr, side, old, j.m2[:0]); err != nil {
			return err
		}
	}
	probe := x
	if !accumulate && old != nil {
		probe = old
		j.m1 = append(j.m1[:0], j.m2...)
	} else if j.m1, err = j.matches(kr, side, x, j.m1[:0]); err != nil {
		return err
	}

	if !accumulate {
		if own == nil {
			j.ignored++
			if j.ttl[side] == 0 {
				return nil // never kept: a malformed changelog, ignored
			}
		}
		return j.retract(out, rec, kr, side, probe, own, pos, j.m1, in.Kind, now)
	}
	if old != nil {
		// An upsert of a kept unique key: retract the kept row first.
		kind := row.Delete
		if in.Kind == row.UpdateAfter {
			kind = row.UpdateBefore
		}
		if err := j.retract(out, rec, kr, side, old, own, pos, j.m2, kind, now); err != nil {
			return err
		}
		own = nil
	}

	n := int64(0) // associations of the new row
	otherOuter := j.spec.Type.outer(1 - side)
	if inOuter && len(j.m1) == 0 {
		j.out.sendSide(out, rec, row.Insert, side, x, nil)
	}
	for _, m := range j.m1 {
		for range m.count {
			if otherOuter && m.assoc == 0 {
				j.out.sendSide(out, rec, row.Delete, side, nil, m.vals)
			}
			kind := row.Insert
			if !inOuter && !otherOuter {
				kind = in.Kind
			}
			j.out.sendSide(out, rec, kind, side, x, m.vals)
		}
		n += m.count
		if otherOuter {
			m.assoc++
			j.write(kr, m, now)
		}
	}
	j.add(kr, side, x, now, n)
	return nil
}

// matches appends the entries of the other side matching vals on side
// (none for a NULL `=` key: the other side's rows of the key have it too).
func (j *regularJoin) matches(kr *joinKeyRows, side int, vals []row.Value, dst []*joinEntry) ([]*joinEntry, error) {
	if j.nullKey.has(side, vals) {
		return dst, nil
	}
	for _, e := range kr.sides[1-side] {
		ok, err := j.out.matchSide(side, vals, e.vals)
		if err != nil {
			return dst, err
		}
		if ok {
			dst = append(dst, e)
		}
	}
	return dst, nil
}

// retract removes one copy of own (if kept, at pos) and emits the
// retractions of vals' joined rows with ms.
func (j *regularJoin) retract(out stream.Emitter, rec *stream.Record, kr *joinKeyRows, side int, vals []row.Value,
	own *joinEntry, pos int, ms []*joinEntry, kind row.RowKind, now int64) error {
	if own != nil {
		own.count--
		if own.count <= 0 {
			j.cache.remove(kr, side, pos)
			if err := j.forget(kr, side, own); err != nil {
				return err
			}
		} else {
			j.write(kr, own, now)
		}
	}
	inOuter, otherOuter := j.spec.Type.outer(side), j.spec.Type.outer(1-side)
	if len(ms) == 0 {
		if inOuter {
			j.out.sendSide(out, rec, row.Delete, side, vals, nil)
		}
		return nil
	}
	if inOuter {
		kind = row.Delete
	}
	for _, m := range ms {
		for range m.count {
			j.out.sendSide(out, rec, kind, side, vals, m.vals)
			if otherOuter && m.assoc == 1 {
				j.out.sendSide(out, rec, row.Insert, side, nil, m.vals)
			}
		}
		if otherOuter && m.assoc > 0 {
			m.assoc--
			j.write(kr, m, now)
		}
	}
	return nil
}

// add keeps one more copy of the row in j.mk/j.enc with n associations.
func (j *regularJoin) add(kr *joinKeyRows, side int, x []row.Value, now int64, n int64) {
	pos, found := kr.find(side, j.mk)
	var e *joinEntry
	if found {
		e = kr.sides[side][pos]
		e.count++
	} else {
		e = &joinEntry{mk: append([]byte(nil), j.mk...), vals: append([]row.Value(nil), x...), count: 1, wrote: math.MinInt64}
		if j.uk[side] != nil {
			e.enc = append([]byte(nil), j.enc...)
		}
		j.cache.insert(kr, side, pos, e)
		if j.fresh {
			j.seen.add(kr.key)
		}
	}
	if j.spec.Type.outer(side) {
		e.assoc = n
	}
	j.write(kr, e, now)
}

// write marks e changed at now, restarting its TTL (it reaches state at
// the next checkpoint or when its key leaves memory). Event time: its
// latest write counts, an out-of-order record does not move it back; an
// unknown time (MinInt64) never expires, the state's rule.
func (j *regularJoin) write(kr *joinKeyRows, e *joinEntry, now int64) {
	e.wrote = max(e.wrote, now)
	j.cache.touch(kr, e)
}

// forget removes a dropped entry from state.
func (j *regularJoin) forget(kr *joinKeyRows, side int, e *joinEntry) error {
	if !e.stored {
		return nil
	}
	return j.rows[side].Delete(kr.key, e.mk)
}

// flush writes the changed entries of kr to state, stamped with their
// last write's time on an event-time TTL (the state sweeps them when the
// watermark passes it plus the TTL).
func (j *regularJoin) flush(kr *joinKeyRows) error {
	for s := range kr.sides {
		for _, e := range kr.sides[s] {
			if !e.dirty {
				continue
			}
			b := append(j.val[:0], joinEntryV1)
			b = binary.AppendUvarint(b, uint64(e.count))
			b = binary.AppendUvarint(b, uint64(max(e.assoc, 0)))
			b = binary.AppendVarint(b, e.wrote)
			b = append(b, e.enc...)
			j.val = b
			if err := j.rows[s].PutWrittenAt(kr.key, e.mk, b, e.wrote); err != nil {
				return err
			}
			e.dirty, e.stored = false, true
		}
	}
	return nil
}

// expire drops the rows of kr whose TTL ran out.
func (j *regularJoin) expire(kr *joinKeyRows, now int64) error {
	for s := range kr.sides {
		for i := 0; i < len(kr.sides[s]); {
			e := kr.sides[s][i]
			if !j.expired(e, s, now) {
				i++
				continue
			}
			j.cache.remove(kr, s, i)
			if err := j.forget(kr, s, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// DefaultJoinEagerRows is how many rows of a side load with their key: a
// larger side loads the rest only when a row of the other side needs to
// match it. A key with many rows on one side and few on the other
// (Nexmark q5: every auction of a window against the window's one
// maximum) then takes the many rows' inserts without reading them all
// back after each eviction.
const DefaultJoinEagerRows = 1024

// load returns the rows of key from memory or state: each side's first
// EagerRows rows, the side marked partial when it has more.
func (j *regularJoin) load(key []byte) (*joinKeyRows, error) {
	if kr := j.cache.get(key); kr != nil {
		return kr, nil
	}
	kr := &joinKeyRows{key: append([]byte(nil), key...)}
	if j.fresh && !j.seen.mayHave(key) {
		j.cache.add(kr) // never given rows: nothing in state
		return kr, nil
	}
	for s := range kr.sides {
		var bad error
		err := j.rows[s].Range(key, func(mk, v []byte) bool {
			if len(kr.sides[s]) == j.eager {
				kr.partial[s] = true
				return false
			}
			e, err := j.decode(s, mk, v)
			if err != nil {
				bad = err
				return false
			}
			kr.sides[s] = append(kr.sides[s], e)
			return true
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return nil, fmt.Errorf("join: key %x: %w", key, err)
		}
	}
	j.cache.add(kr)
	return kr, nil
}

// complete loads the rest of a partial side: the rows in state it does
// not hold yet (a row it holds is newer than state's copy), less those
// whose TTL ran out (dropped, as expire drops the loaded ones).
func (j *regularJoin) complete(kr *joinKeyRows, s int, now int64) error {
	if !kr.partial[s] {
		return nil
	}
	var expired [][]byte
	var bad error
	err := j.rows[s].Range(kr.key, func(mk, v []byte) bool {
		pos, found := kr.find(s, mk)
		if found {
			return true
		}
		e, err := j.decode(s, mk, v)
		if err != nil {
			bad = err
			return false
		}
		if j.expired(e, s, now) {
			expired = append(expired, e.mk)
			return true
		}
		j.cache.insert(kr, s, pos, e)
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return fmt.Errorf("join: key %x: %w", kr.key, err)
	}
	for _, mk := range expired {
		if err := j.rows[s].Delete(kr.key, mk); err != nil {
			return err
		}
	}
	kr.partial[s] = false
	return nil
}

// findOwn is kr.find for a row's own side, reading the row's entry from
// state into a partial side that does not hold it (an expired entry is
// dropped and not found).
func (j *regularJoin) findOwn(kr *joinKeyRows, s int, mk []byte, now int64) (int, bool, error) {
	pos, found := kr.find(s, mk)
	if found || !kr.partial[s] {
		return pos, found, nil
	}
	v, ok, err := j.rows[s].Get(kr.key, mk)
	if err != nil || !ok {
		return pos, false, err
	}
	e, err := j.decode(s, mk, v)
	if err != nil {
		return pos, false, fmt.Errorf("join: key %x: %w", kr.key, err)
	}
	if j.expired(e, s, now) {
		return pos, false, j.rows[s].Delete(kr.key, mk)
	}
	j.cache.insert(kr, s, pos, e)
	return pos, true, nil
}

func (j *regularJoin) decode(side int, mk, v []byte) (*joinEntry, error) {
	r := stateReader{b: v}
	if ver := r.byte1(); r.err == nil && ver != joinEntryV1 {
		return nil, fmt.Errorf("%w: join entry version %d", errCorruptState, ver)
	}
	e := &joinEntry{mk: append([]byte(nil), mk...), count: int64(r.uvarint()), assoc: int64(r.uvarint()), wrote: r.varint(), stored: true}
	if r.err != nil || e.count <= 0 {
		return nil, errCorruptState
	}
	src := e.mk
	if j.uk[side] != nil {
		e.enc = append([]byte(nil), r.b...)
		src = e.enc
	}
	vals, err := joinDecodeRow(src, j.schemas[side])
	if err != nil {
		return nil, err
	}
	e.vals = vals
	return e, nil
}

// PrepareCheckpoint writes every changed entry to state and logs the
// retractions that found no kept row.
func (j *regularJoin) PrepareCheckpoint(stream.Emitter) error {
	if err := j.cache.flushAll(); err != nil {
		return err
	}
	if j.ignored != j.reported {
		j.ctx.Logger.Info("join got retractions of rows it did not keep (expired by the state TTL, or never seen)",
			"job", j.ctx.Job, "operator", j.ctx.Operator, "partition", j.ctx.Partition, "count", j.ignored)
		j.reported = j.ignored
	}
	return nil
}
