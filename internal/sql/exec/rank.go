package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// SortKey is one ORDER BY column: ascending NULLS FIRST unless told
// otherwise (Flink's defaults: NULLS FIRST for ASC, and DESC sets
// NullsLast as the planner derives it).
type SortKey struct {
	Col             int
	Desc, NullsLast bool
}

// AppendSortKeys appends the memcomparable key of vals under keys: the
// bytes order rows as ORDER BY orders them, and equal sort values give
// equal bytes.
func AppendSortKeys(dst []byte, vals []row.Value, keys []SortKey) []byte {
	for _, k := range keys {
		dst = row.AppendSortKey(dst, vals[k.Col], k.Desc, k.NullsLast)
	}
	return dst
}

// RankSpec is a Top-N: ROW_NUMBER() OVER (PARTITION BY PartitionKeys
// ORDER BY Order) filtered to rn <= Limit.
type RankSpec struct {
	PartitionKeys []int
	Order         []SortKey
	Limit         int64 // rn <= Limit; at least 1
	// OutputRankNumber appends rn (BIGINT) to each output row; without it
	// the output is the input columns.
	OutputRankNumber bool
	// InputAppendOnly: the input is insert-only, so only the top Limit
	// rows of a partition are kept (Flink's AppendOnlyTopNFunction);
	// otherwise every row is kept, since a retraction may bring a lower
	// one up (RetractableTopNFunction).
	InputAppendOnly bool
	// Schema is the input rows' schema: kept rows are stored in its
	// binary row format.
	Schema *row.Schema
	// MaxCachedRows bounds the rows of recently used partitions a task
	// keeps decoded in memory (0: DefaultMaxCachedRows). State is written
	// through, so dropping a partition from memory costs only its reload.
	MaxCachedRows int
}

// DefaultMaxCachedRows is RankSpec.MaxCachedRows' default.
const DefaultMaxCachedRows = 100_000

// Validate reports a spec the operator cannot run (a planning error).
func (s RankSpec) Validate() error {
	if s.Schema == nil {
		return errors.New("rank: no input schema")
	}
	if s.Limit < 1 {
		return fmt.Errorf("rank: limit %d, want at least 1", s.Limit)
	}
	if len(s.Order) == 0 {
		return errors.New("rank: no ORDER BY")
	}
	cols := slices.Clone(s.PartitionKeys)
	for _, k := range s.Order {
		cols = append(cols, k.Col)
	}
	if err := checkCols("rank", cols...); err != nil {
		return err
	}
	if w := MinWidth(cols...); w > s.Schema.Len() {
		return fmt.Errorf("rank: column %d of a %d-column schema", w-1, s.Schema.Len())
	}
	return nil
}

// Rank returns the Top-N operator. Its input is repartitioned by the
// partition keys (the record key is the partition). It keeps the sorted
// rows of each partition in keyed state (map state, the map key being the
// row's sort key and arrival number, so state iterates in rank order) and
// emits a retract changelog of the partition's top Limit rows, as Flink's
// AppendOnlyTopNFunction and RetractableTopNFunction do:
//
//   - with OutputRankNumber, each rank is a slot: a row entering the top-N
//     at rank r updates every slot from r down (-U the slot's old row,
//     +U its new one, with the slot's rn), and fills an empty last slot
//     with +I; a retracted row updates the slots from its rank down the
//     same way, and an emptied last slot emits -D;
//   - without it, the row entering emits +I and the row pushed out of the
//     top-N -D (the -D first); a retracted row emits -D and the row moving
//     up into the top-N +I.
//
// Ties (equal sort keys) rank by arrival: the earlier row ranks first, and
// a new row goes after the rows it ties with. A retraction removes the
// earliest kept row equal to it (all columns, NULL equal to NULL) among
// those with its sort key; a retraction matching no kept row is ignored
// (Flink's lenient mode), counted and logged at checkpoints. A retraction
// on an InputAppendOnly rank is dead-lettered (code "unexpected_retraction").
func Rank(spec RankSpec) stream.Factory {
	return func() stream.Operator {
		n := spec.MaxCachedRows
		if n <= 0 {
			n = DefaultMaxCachedRows
		}
		lim := spec.Limit
		if lim > math.MaxInt32 {
			lim = math.MaxInt32
		}
		return &rank{spec: spec, maxRows: n, limRows: n, n: int(lim)}
	}
}

// rankRow is one kept row: its map key (sort key + 8-byte arrival number)
// and its values.
type rankRow struct {
	mk  []byte
	row row.Row
}

func (r *rankRow) sortKey() []byte { return r.mk[:len(r.mk)-8] }

// rankPart is one partition's kept rows, in rank order.
type rankPart struct {
	key  []byte
	rows []*rankRow
	next uint64 // arrival number of the next row
	used bool
}

type rank struct {
	spec  RankSpec
	n     int // Limit
	width int
	ctx   *stream.Context
	rows  *state.MapState // partition key -> sort key + arrival -> binary row

	cache            map[string]*rankPart
	cached           int // rows held by cache
	maxRows, limRows int

	emit       RowEmitter
	rn         [1]row.Value
	skBuf, enc []byte

	ignored, reported int64
}

func (o *rank) Open(ctx *stream.Context) error {
	if err := o.spec.Validate(); err != nil {
		return err
	}
	o.ctx, o.rows = ctx, ctx.Map("rows")
	o.cache = map[string]*rankPart{}
	o.width = o.spec.Schema.Len()
	return nil
}

func (o *rank) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "rank", o.width)
	if err != nil {
		return err
	}
	if len(in.Values) != o.width {
		return stream.BadInput("bad_row", "rank: row of %d columns, schema has %d", len(in.Values), o.width)
	}
	accumulate := in.Kind.IsAccumulate()
	if !accumulate && o.spec.InputAppendOnly {
		return stream.BadInput("unexpected_retraction", "rank: %s row on an insert-only Top-N", in.Kind)
	}
	o.skBuf = AppendSortKeys(o.skBuf[:0], in.Values, o.spec.Order)
	p, err := o.partition(rec.Key)
	if err != nil {
		return err
	}
	if accumulate {
		err = o.insert(p, rec, in, out)
	} else {
		err = o.retract(p, rec, in, out)
	}
	if err != nil {
		return err
	}
	if len(p.rows) == 0 {
		delete(o.cache, string(p.key))
	} else if o.cached > o.limRows {
		o.evict(p)
	}
	return nil
}

func (o *rank) insert(p *rankPart, rec *stream.Record, in *row.Row, out stream.Emitter) error {
	mk := binary.BigEndian.AppendUint64(o.skBuf, p.next)
	o.skBuf = mk
	pos := sort.Search(len(p.rows), func(i int) bool { return bytes.Compare(p.rows[i].mk, mk) > 0 })
	if o.spec.InputAppendOnly && pos >= o.n {
		return nil // below the top-N of an insert-only input: never needed
	}
	kept := row.Row{Kind: row.Insert, Values: in.Values}
	enc, err := row.AppendRow(o.enc[:0], o.spec.Schema, &kept)
	if err != nil {
		return stream.BadInput("bad_row", "rank: %v", err)
	}
	o.enc = enc
	if err := o.rows.Put(p.key, mk, enc); err != nil {
		return err
	}
	rr := &rankRow{mk: bytes.Clone(mk), row: kept.Clone()}
	p.rows = slices.Insert(p.rows, pos, rr)
	p.next++
	o.cached++
	rows := p.rows
	if pos < o.n {
		if o.spec.OutputRankNumber {
			for r := pos; r < o.n && r < len(rows); r++ {
				if r+1 < len(rows) { // the slot had a row: the one now below
					o.send(out, rec, row.UpdateBefore, rows[r+1], r)
					o.send(out, rec, row.UpdateAfter, rows[r], r)
				} else {
					o.send(out, rec, row.Insert, rows[r], r)
				}
			}
		} else {
			if len(rows) > o.n {
				o.send(out, rec, row.Delete, rows[o.n], -1)
			}
			o.send(out, rec, row.Insert, rr, -1)
		}
	}
	if o.spec.InputAppendOnly && len(rows) > o.n {
		for _, r := range rows[o.n:] {
			if err := o.rows.Delete(p.key, r.mk); err != nil {
				return err
			}
		}
		o.cached -= len(rows) - o.n
		clear(rows[o.n:])
		p.rows = rows[:o.n]
	}
	return nil
}

func (o *rank) retract(p *rankPart, rec *stream.Record, in *row.Row, out stream.Emitter) error {
	sk := o.skBuf
	rows := p.rows
	pos := -1
	for i := sort.Search(len(rows), func(i int) bool { return bytes.Compare(rows[i].sortKey(), sk) >= 0 }); i < len(rows) && bytes.Equal(rows[i].sortKey(), sk); i++ {
		if valuesEqual(rows[i].row.Values, in.Values) {
			pos = i
			break
		}
	}
	if pos < 0 {
		o.ignored++
		return nil
	}
	removed := rows[pos]
	if err := o.rows.Delete(p.key, removed.mk); err != nil {
		return err
	}
	oldLen := len(rows)
	rows = slices.Delete(rows, pos, pos+1)
	p.rows = rows
	o.cached--
	if pos >= o.n {
		return nil
	}
	if o.spec.OutputRankNumber {
		for r := pos; r < o.n && r < oldLen; r++ {
			was := removed
			if r > pos {
				was = rows[r-1]
			}
			if r < len(rows) {
				o.send(out, rec, row.UpdateBefore, was, r)
				o.send(out, rec, row.UpdateAfter, rows[r], r)
			} else {
				o.send(out, rec, row.Delete, was, r)
			}
		}
		return nil
	}
	o.send(out, rec, row.Delete, removed, -1)
	if oldLen > o.n {
		o.send(out, rec, row.Insert, rows[o.n-1], -1)
	}
	return nil
}

// send emits r with kind; with OutputRankNumber, rank is its 0-based slot.
func (o *rank) send(out stream.Emitter, rec *stream.Record, kind row.RowKind, r *rankRow, rank int) {
	if o.spec.OutputRankNumber {
		o.rn[0] = row.BigInt(int64(rank) + 1)
		o.emit.Set(r.row.Values, o.rn[:])
	} else {
		o.emit.Set(r.row.Values)
	}
	o.emit.Emit(out, rec, kind)
}

// partition returns the partition of key, loading it from state when it
// is not in memory.
func (o *rank) partition(key []byte) (*rankPart, error) {
	if p := o.cache[string(key)]; p != nil {
		p.used = true
		return p, nil
	}
	p := &rankPart{key: bytes.Clone(key), used: true}
	var bad error
	err := o.rows.Range(key, func(mk, v []byte) bool {
		if len(mk) < 8 {
			bad = fmt.Errorf("%w: rank map key of %d bytes", errCorruptState, len(mk))
			return false
		}
		rr := &rankRow{mk: bytes.Clone(mk)}
		if err := row.DecodeRow(v, o.spec.Schema, &rr.row); err != nil {
			bad = err
			return false
		}
		rr.row.Kind = row.Insert
		p.rows = append(p.rows, rr)
		p.next = max(p.next, binary.BigEndian.Uint64(mk[len(mk)-8:])+1)
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, fmt.Errorf("rank: partition %x: %w", key, err)
	}
	o.cache[string(p.key)] = p
	o.cached += len(p.rows)
	return p, nil
}

// evict drops partitions from memory (state is current: nothing to
// write): those not used since the previous eviction, then, if still past
// the bound, all but cur. The next eviction comes when the cached rows
// have doubled again.
func (o *rank) evict(cur *rankPart) {
	for k, p := range o.cache {
		if p != cur && !p.used {
			delete(o.cache, k)
			o.cached -= len(p.rows)
		}
		p.used = false
	}
	if o.cached > o.maxRows {
		for k, p := range o.cache {
			if p != cur {
				delete(o.cache, k)
				o.cached -= len(p.rows)
			}
		}
	}
	o.limRows = max(o.maxRows, 2*o.cached)
}

// PrepareCheckpoint has nothing to write (state is written through); it
// logs the retractions that matched no row.
func (o *rank) PrepareCheckpoint(stream.Emitter) error {
	if o.ignored != o.reported {
		o.ctx.Logger.Info("rank ignored retractions matching no kept row (lenient, as Flink)",
			"job", o.ctx.Job, "operator", o.ctx.Operator, "partition", o.ctx.Partition, "count", o.ignored)
		o.reported = o.ignored
	}
	return nil
}
