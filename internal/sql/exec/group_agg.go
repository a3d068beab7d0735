package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// AggCall is one aggregate call of a GROUP BY: the bound function, its
// argument columns of the input row, and the FILTER (WHERE ...) clause
// as a BOOLEAN input column (computed by a Calc before the aggregate).
type AggCall struct {
	Fn     aggfn.Bound
	Args   []int // input column indexes; COUNT(*) has none
	Filter int   // index of a BOOLEAN input column for FILTER (WHERE ..); -1: none
}

// GroupAggSpec is an unbounded GROUP BY. Its input is repartitioned by
// stream.KeyByColumns on Keys, so the record key is the group key and
// keyed state is per group; a GROUP BY without keys (a global aggregate)
// is keyed by the planner to one constant key.
type GroupAggSpec struct {
	Keys  []int
	Calls []AggCall
	// GenerateUpdateBefore: a retract changelog (-U old, +U new) rather
	// than an upsert one (+U new only; downstream upserts by the keys).
	GenerateUpdateBefore bool
	// StateTTL forgets a group this long (in event time: the operator's
	// watermark, see stream.Context.EventTimeTTL) after its last update,
	// as table.exec.state.ttl; 0 keeps groups forever.
	StateTTL time.Duration
	// MaxCachedGroups bounds the groups whose decoded accumulators a task
	// keeps in memory (0: DefaultMaxCachedGroups).
	MaxCachedGroups int
}

// DefaultMaxCachedGroups is GroupAggSpec.MaxCachedGroups' default.
const DefaultMaxCachedGroups = 16384

// Validate reports a spec the operator cannot run (a planning error).
func (s GroupAggSpec) Validate() error {
	if err := checkCols("group_agg keys", s.Keys...); err != nil {
		return err
	}
	for i, c := range s.Calls {
		if c.Fn.New == nil {
			return fmt.Errorf("group_agg: call %d (%s) has no accumulator constructor", i, c.Fn.Name)
		}
		if err := checkCols("group_agg "+c.Fn.Name, c.Args...); err != nil {
			return err
		}
		if c.Filter < -1 {
			return fmt.Errorf("group_agg: call %d filter column %d", i, c.Filter)
		}
	}
	return nil
}

// GroupAgg returns the unbounded group aggregate, with the semantics of
// Flink's GroupAggFunction:
//
//   - per group it keeps the calls' accumulators and a record counter
//     (input +I/+U count one up, -U/-D one down);
//   - +I/+U rows are added to the accumulators, -U/-D rows retracted (a
//     call whose FILTER column is not TRUE skips the row; the counter
//     still counts it);
//   - the first row of a group emits +I (keys, results); a later row emits
//     nothing if the results did not change and no StateTTL is set (with a
//     TTL Flink re-emits, so downstream state is refreshed), otherwise
//     -U (old results; only with GenerateUpdateBefore) and +U (new);
//   - when the counter comes back to 0 the group emits -D (old results)
//     and its state is cleared;
//   - a retraction for a group without state (never seen, or expired) is
//     ignored, as Flink does; such rows are counted and logged at
//     checkpoints.
//
// Output rows are the group's key columns (from the input row) followed
// by one column per call, with the input record's key and time.
//
// Accumulators of recently used groups stay decoded in memory (at most
// MaxCachedGroups, evicting those not used since the previous eviction,
// written to state when evicted) and every changed one is written back
// in PrepareCheckpoint, so a record costs the calls' Add and Result, not
// an unmarshal and marshal of every accumulator (Flink's mini-batch idea,
// made exact by the checkpoint write-back). TTL expiry is decided from
// the event time of each group's last update (ttlNow of the updating
// record, stored with the group) and the ttlNow of the record that finds
// it, so results depend neither on when checkpoints or evictions happen
// nor, for records on time, on how far the watermark had got.
//
// An aggregate error (Acc.Add or Retract) dead-letters the record (code
// "agg_error") after undoing the calls already applied; when that cannot
// be undone (a call without retraction) the task fails and restarts from
// its checkpoint, and the runtime quarantines the record if it keeps
// failing. A retraction reaching a call that cannot retract is dead-
// lettered (code "retract_unsupported": the planner should not allow it).
func GroupAgg(spec GroupAggSpec) stream.Factory {
	return func() stream.Operator {
		n := spec.MaxCachedGroups
		if n <= 0 {
			n = DefaultMaxCachedGroups
		}
		return &groupAgg{spec: spec, maxN: n, width: MinWidth(spec.Keys...)}
	}
}

// aggGroup is one group's decoded state.
type aggGroup struct {
	key    []byte
	accs   []aggfn.Acc
	res    []row.Value // the results as of the last update (what was emitted)
	count  int64       // Flink's record counter
	wrote  int64       // event time of the last update (TTL, ttlNow); MinWatermark: unknown
	dirty  bool        // changed since written to state
	stored bool        // state holds a version of it
	used   bool        // found in memory again since the last eviction (or its load)
}

type groupAgg struct {
	spec  GroupAggSpec
	ctx   *stream.Context
	accs  *state.ValueState // group key -> encoded group (TTL handle when StateTTL > 0)
	width int

	cache      map[string]*aggGroup
	maxN, limN int

	args    [][]row.Value // per call, reused
	skip    []bool        // per call: filtered out for this row
	keyVals []row.Value
	newRes  []row.Value
	emit    RowEmitter
	buf     []byte
	accBuf  []byte

	ignored, reported int64 // retractions of groups without state
}

func (g *groupAgg) Open(ctx *stream.Context) error {
	if err := g.spec.Validate(); err != nil {
		return err
	}
	g.ctx = ctx
	g.accs = ctx.Value("groups")
	if g.spec.StateTTL > 0 {
		g.accs = ctx.Value("groups", ctx.EventTimeTTL(g.spec.StateTTL))
	}
	g.cache = map[string]*aggGroup{}
	g.limN = g.maxN
	n := len(g.spec.Calls)
	g.args = make([][]row.Value, n)
	g.skip = make([]bool, n)
	for _, c := range g.spec.Calls {
		g.width = max(g.width, MinWidth(c.Args...), c.Filter+1)
	}
	return nil
}

func (g *groupAgg) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "group_agg", g.width)
	if err != nil {
		return err
	}
	accumulate := in.Kind.IsAccumulate()
	for i, c := range g.spec.Calls {
		if !accumulate && !c.Fn.Retractable {
			return stream.BadInput("retract_unsupported", "group_agg: %s cannot retract a %s row", c.Fn.Name, in.Kind)
		}
		g.skip[i] = c.Filter >= 0 && !(in.Values[c.Filter].Kind() == row.KindBoolean && in.Values[c.Filter].Bool())
		a := g.args[i][:0]
		for _, col := range c.Args {
			a = append(a, in.Values[col])
		}
		g.args[i] = a
	}

	now := ttlNow(g.ctx.Watermark(), rec.Time)
	grp, err := g.lookup(rec.Key, now)
	if err != nil {
		return err
	}
	first := grp == nil
	if first {
		if !accumulate {
			g.ignored++ // Flink: no accumulator is created for a retraction
			return nil
		}
		grp = &aggGroup{accs: make([]aggfn.Acc, len(g.spec.Calls)), wrote: stream.MinWatermark}
		for i, c := range g.spec.Calls {
			grp.accs[i] = c.Fn.New()
		}
	}
	if err := g.apply(grp, accumulate); err != nil {
		return err
	}
	if accumulate {
		grp.count++
	} else {
		grp.count--
	}

	g.keyVals = g.keyVals[:0]
	for _, k := range g.spec.Keys {
		g.keyVals = append(g.keyVals, in.Values[k])
	}
	if grp.count == 0 {
		// The last row of the group was retracted (first is false here:
		// a new group's count is 1).
		g.emit.Set(g.keyVals, grp.res)
		g.emit.Emit(out, rec, row.Delete)
		return g.forget(rec.Key, grp)
	}

	newRes := g.newRes[:0]
	for _, a := range grp.accs {
		newRes = append(newRes, a.Result())
	}
	grp.wrote, grp.dirty = max(grp.wrote, now), true
	if first {
		grp.res = newRes
		g.newRes = make([]row.Value, 0, len(newRes))
		grp.key = bytes.Clone(rec.Key)
		g.cache[string(grp.key)] = grp
		g.emit.Set(g.keyVals, newRes)
		g.emit.Emit(out, rec, row.Insert)
		if len(g.cache) > g.limN {
			return g.evict(grp)
		}
		return nil
	}
	old := grp.res
	grp.res, g.newRes = newRes, old
	if g.spec.StateTTL <= 0 && valuesEqual(old, newRes) {
		return nil
	}
	if g.spec.GenerateUpdateBefore {
		g.emit.Set(g.keyVals, old)
		g.emit.Emit(out, rec, row.UpdateBefore)
	}
	g.emit.Set(g.keyVals, newRes)
	g.emit.Emit(out, rec, row.UpdateAfter)
	return nil
}

// apply adds (or retracts) the row's arguments to every call not filtered
// out. On an error it undoes the calls already applied and returns a
// BadInputError, or a task error when they cannot be undone.
func (g *groupAgg) apply(grp *aggGroup, accumulate bool) error {
	for i, c := range g.spec.Calls {
		if g.skip[i] {
			continue
		}
		var err error
		if accumulate {
			err = grp.accs[i].Add(g.args[i])
		} else {
			err = grp.accs[i].Retract(g.args[i])
		}
		if err == nil {
			continue
		}
		bad := stream.BadInput("agg_error", "%s: %v", c.Fn.Name, err)
		if grp.key == nil {
			return bad // a new group: dropped, nothing to undo
		}
		for j := range i {
			if g.skip[j] {
				continue
			}
			var uerr error
			switch {
			case !accumulate:
				uerr = grp.accs[j].Add(g.args[j])
			case g.spec.Calls[j].Fn.Retractable:
				uerr = grp.accs[j].Retract(g.args[j])
			default:
				uerr = fmt.Errorf("%s cannot retract", g.spec.Calls[j].Fn.Name)
			}
			if uerr != nil {
				// The group is half updated: only a restart from the
				// checkpoint can put it right.
				return fmt.Errorf("group_agg: %v, and undoing %s failed: %v", bad, g.spec.Calls[j].Fn.Name, uerr)
			}
		}
		return bad
	}
	return nil
}

// lookup returns the group of key from memory or state; nil when it has
// none (or it expired at event time now).
func (g *groupAgg) lookup(key []byte, now int64) (*aggGroup, error) {
	if grp := g.cache[string(key)]; grp != nil {
		if !ttlExpired(grp.wrote, now, g.spec.StateTTL) {
			grp.used = true
			return grp, nil
		}
		return nil, g.forget(key, grp)
	}
	raw, ok, err := g.accs.Get(key)
	if err != nil || !ok {
		return nil, err
	}
	grp, err := g.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("group_agg: group %x: %w", key, err)
	}
	grp.stored = true
	if ttlExpired(grp.wrote, now, g.spec.StateTTL) {
		return nil, g.accs.Delete(key)
	}
	grp.key = bytes.Clone(key)
	g.cache[string(grp.key)] = grp
	if len(g.cache) > g.limN {
		if err := g.evict(grp); err != nil {
			return nil, err
		}
	}
	return grp, nil
}

// forget removes a group from memory and state.
func (g *groupAgg) forget(key []byte, grp *aggGroup) error {
	delete(g.cache, string(key))
	if grp.stored {
		return g.accs.Delete(key)
	}
	return nil
}

// State layout of a group: version 1, the record counter (varint), the
// watermark of the last update (varint), the number of calls, then each
// accumulator as a length-prefixed Acc.Marshal.
const groupStateV1 = 1

func (g *groupAgg) encode(grp *aggGroup) []byte {
	b := append(g.buf[:0], groupStateV1)
	b = binary.AppendVarint(b, grp.count)
	b = binary.AppendVarint(b, grp.wrote)
	b = binary.AppendUvarint(b, uint64(len(grp.accs)))
	for _, a := range grp.accs {
		g.accBuf = a.Marshal(g.accBuf[:0])
		b = binary.AppendUvarint(b, uint64(len(g.accBuf)))
		b = append(b, g.accBuf...)
	}
	g.buf = b
	return b
}

func (g *groupAgg) decode(raw []byte) (*aggGroup, error) {
	r := stateReader{b: raw}
	if v := r.byte1(); r.err == nil && v != groupStateV1 {
		return nil, fmt.Errorf("%w: group state version %d", errCorruptState, v)
	}
	grp := &aggGroup{count: r.varint(), wrote: r.varint()}
	if n := r.uvarint(); r.err == nil && n != uint64(len(g.spec.Calls)) {
		return nil, fmt.Errorf("%w: %d accumulators, the query has %d calls", errCorruptState, n, len(g.spec.Calls))
	}
	grp.accs = make([]aggfn.Acc, len(g.spec.Calls))
	grp.res = make([]row.Value, len(g.spec.Calls))
	for i, c := range g.spec.Calls {
		b := r.bytes()
		if r.err != nil {
			break
		}
		a := c.Fn.New()
		if err := a.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("%w: %s accumulator: %v", errCorruptState, c.Fn.Name, err)
		}
		grp.accs[i], grp.res[i] = a, a.Result()
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return grp, nil
}

// flush writes grp to state if it changed since it was last written,
// stamped with its last update's event time (the state sweeps it once the
// watermark passes that plus the TTL; a group without one never expires).
func (g *groupAgg) flush(grp *aggGroup) error {
	if !grp.dirty {
		return nil
	}
	if err := g.accs.PutWrittenAt(grp.key, g.encode(grp), grp.wrote); err != nil {
		return err
	}
	grp.dirty, grp.stored = false, true
	return nil
}

// evict brings the in-memory groups back under the bound, keeping cur:
// groups not used since the previous eviction go first (second chance),
// then, if still too many, all others. The next eviction comes when the
// set has doubled again, so eviction costs O(1) per record amortized.
func (g *groupAgg) evict(cur *aggGroup) error {
	for k, grp := range g.cache {
		if grp != cur && !grp.used {
			if err := g.flush(grp); err != nil {
				return err
			}
			delete(g.cache, k)
		}
		grp.used = false
	}
	if len(g.cache) > g.maxN {
		for k, grp := range g.cache {
			if grp != cur {
				if err := g.flush(grp); err != nil {
					return err
				}
				delete(g.cache, k)
			}
		}
	}
	g.limN = max(g.maxN, 2*len(g.cache))
	return nil
}

// PrepareCheckpoint writes every changed group to state.
func (g *groupAgg) PrepareCheckpoint(stream.Emitter) error {
	for _, grp := range g.cache {
		if err := g.flush(grp); err != nil {
			return err
		}
	}
	if g.ignored != g.reported {
		g.ctx.Logger.Info("group_agg ignored retractions of groups without state (never seen or expired), as Flink does",
			"job", g.ctx.Job, "operator", g.ctx.Operator, "partition", g.ctx.Partition, "count", g.ignored)
		g.reported = g.ignored
	}
	return nil
}
