package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// Pieces the join operators (join.go, interval_join.go, temporal_join.go,
// window_join.go) share: the rows of a join key decoded in memory, the
// NULL-key rule, the residual condition and the output rows.

// joinEntry is one kept row of a join side.
type joinEntry struct {
	mk   []byte      // its map key in state (the sort order of the side)
	vals []row.Value // its values (owned)
	enc  []byte      // regular join with a unique key: the row's binary encoding
	// count: the regular join's multiplicity; assoc: its number of
	// associations (outer sides), the interval join's matched flag
	// (or intervalPadded), or the window join's sent flag; wrote: the
	// regular join's TTL write time, or the interval join's row time.
	count, assoc, wrote int64
	// sent: temporal join: what an end of input emitted for a left row
	// (temporalJoin.outcome), nil when nothing.
	sent   []byte
	kind   row.RowKind // temporal join: a left row's kind; a version's (Delete: no row)
	dirty  bool        // changed since written to state
	stored bool        // state holds a version of it
}

// joinKeyRows is what a join keeps for one key: the rows of each side,
// in map-key order (the order state iterates them in, so a reloaded key
// behaves exactly as the cached one).
type joinKeyRows struct {
	key   []byte
	sides [2][]*joinEntry
	// partial[s]: side s holds only some of the key's rows (those read so
	// far, and the ones changed since); state has the others (the regular
	// join loads a large side lazily: see regularJoin.load).
	partial [2]bool
	used    bool // found in memory again since the last eviction
	dirty   bool // some entry is dirty (the key is listed in joinCache.dirty)
}

func (k *joinKeyRows) empty() bool { return len(k.sides[0]) == 0 && len(k.sides[1]) == 0 }

// find returns the index of mk in side s and whether it is there (else
// where it would go).
func (k *joinKeyRows) find(s int, mk []byte) (int, bool) {
	rows := k.sides[s]
	i := sort.Search(len(rows), func(i int) bool { return bytes.Compare(rows[i].mk, mk) >= 0 })
	return i, i < len(rows) && bytes.Equal(rows[i].mk, mk)
}

// joinCache holds the decoded rows of recently used keys, bounded in
// rows. Changed entries are written back (flush) when their key leaves
// memory and at every checkpoint, so a row inserted and removed between
// two checkpoints costs no state write, and a row whose counters change
// many times is written once; state always holds a restart point.
type joinCache struct {
	m                map[string]*joinKeyRows
	rows             int // entries held
	maxRows, limRows int
	dirty            []*joinKeyRows // keys with dirty entries
	flush            func(k *joinKeyRows) error
}

// DefaultJoinCachedRows bounds the rows a join task keeps decoded in
// memory unless its spec says otherwise.
const DefaultJoinCachedRows = 100_000

func newJoinCache(maxRows int, flush func(k *joinKeyRows) error) joinCache {
	if maxRows <= 0 {
		maxRows = DefaultJoinCachedRows
	}
	return joinCache{m: map[string]*joinKeyRows{}, maxRows: maxRows, limRows: maxRows, flush: flush}
}

// get returns the cached rows of key, or nil.
func (c *joinCache) get(key []byte) *joinKeyRows {
	k := c.m[string(key)]
	if k != nil {
		k.used = true
	}
	return k
}

// add caches k (its rows already loaded).
func (c *joinCache) add(k *joinKeyRows) {
	k.used = true
	c.m[string(k.key)] = k
	c.rows += len(k.sides[0]) + len(k.sides[1])
}

func (c *joinCache) insert(k *joinKeyRows, s, i int, e *joinEntry) {
	k.sides[s] = slices.Insert(k.sides[s], i, e)
	c.rows++
}

func (c *joinCache) remove(k *joinKeyRows, s, i int) {
	k.sides[s] = slices.Delete(k.sides[s], i, i+1)
	c.rows--
}

// touch marks e of k changed.
func (c *joinCache) touch(k *joinKeyRows, e *joinEntry) {
	e.dirty = true
	if !k.dirty {
		k.dirty = true
		c.dirty = append(c.dirty, k)
	}
}

// done ends the use of k by a record or timer: an empty key leaves
// memory, and past the bound the keys not used since the previous
// eviction go (then, if still past it, all but k), written back first.
// The next eviction comes when the cached rows have doubled again.
func (c *joinCache) done(k *joinKeyRows) error {
	if k.empty() {
		delete(c.m, string(k.key))
		return nil
	}
	if c.rows <= c.limRows {
		return nil
	}
	for key, o := range c.m {
		if o != k && !o.used {
			if err := c.drop(key, o); err != nil {
				return err
			}
		}
		o.used = false
	}
	if c.rows > c.maxRows {
		for key, o := range c.m {
			if o != k {
				if err := c.drop(key, o); err != nil {
					return err
				}
			}
		}
	}
	// The dropped keys were flushed: forget them in the dirty list too,
	// or each reload of a key between two checkpoints would keep its old
	// rows alive there (a whole key per reload).
	c.dirty = slices.DeleteFunc(c.dirty, func(o *joinKeyRows) bool { return !o.dirty })
	c.limRows = max(c.maxRows, 2*c.rows)
	return nil
}

func (c *joinCache) drop(key string, k *joinKeyRows) error {
	if k.dirty {
		if err := c.flush(k); err != nil {
			return err
		}
		k.dirty = false
	}
	delete(c.m, key)
	c.rows -= len(k.sides[0]) + len(k.sides[1])
	return nil
}

// flushAll writes every changed entry back (PrepareCheckpoint).
func (c *joinCache) flushAll() error {
	for _, k := range c.dirty {
		if k.dirty {
			if err := c.flush(k); err != nil {
				return err
			}
			k.dirty = false
		}
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return nil
}

// joinNullKeys tells the rows whose equi-join key holds a NULL compared
// with `=` (not IS NOT DISTINCT FROM): they match no row, as Flink's
// JoinConditionWithNullFilters decides.
type joinNullKeys struct {
	cols     [2][]int
	nullSafe []bool
}

func (n *joinNullKeys) has(side int, vals []row.Value) bool {
	for i, c := range n.cols[side] {
		if vals[c].IsNull() && (i >= len(n.nullSafe) || !n.nullSafe[i]) {
			return true
		}
	}
	return false
}

// validateJoinKeys checks the optional equi-join key columns of a spec.
func validateJoinKeys(op string, left, right *row.Schema, lk, rk []int, nullSafe []bool) error {
	if len(lk) != len(rk) {
		return fmt.Errorf("%s: %d left key columns, %d right", op, len(lk), len(rk))
	}
	if len(nullSafe) != 0 && len(nullSafe) != len(lk) {
		return fmt.Errorf("%s: %d null-safe flags for %d keys", op, len(nullSafe), len(lk))
	}
	if err := joinCheckCols(op+" left key", left, lk...); err != nil {
		return err
	}
	return joinCheckCols(op+" right key", right, rk...)
}

// joinCheckCols reports a column index outside the schema.
func joinCheckCols(what string, s *row.Schema, cols ...int) error {
	for _, c := range cols {
		if c < 0 || c >= s.Len() {
			return fmt.Errorf("%s: column %d of a %d-column schema", what, c, s.Len())
		}
	}
	return nil
}

// joinTimeCol checks that column c of s is a time attribute (TIMESTAMP or
// TIMESTAMP_LTZ, whose epoch milliseconds are the event time).
func joinTimeCol(what string, s *row.Schema, c int) error {
	if err := joinCheckCols(what, s, c); err != nil {
		return err
	}
	switch k := s.Column(c).Type.Kind; k {
	case row.KindTimestamp, row.KindTimestampLTZ:
		return nil
	default:
		return fmt.Errorf("%s: column %d is a %s, not a TIMESTAMP or TIMESTAMP_LTZ", what, c, k)
	}
}

// joinOut evaluates the residual condition and emits joined rows: left
// values then right values, NULLs for a missing side.
type joinOut struct {
	cond   func(*row.Row) (bool, error)
	nulls  [2][]row.Value
	joined row.Row
	emit   RowEmitter
	rec    stream.Record // the input of records emitted from timers
}

func newJoinOut(cond func(*row.Row) (bool, error), left, right *row.Schema) joinOut {
	return joinOut{cond: cond, nulls: [2][]row.Value{make([]row.Value, left.Len()), make([]row.Value, right.Len())}}
}

// match evaluates the condition on left ++ right (true without one); an
// error is the record's dead letter (code "eval_error").
func (j *joinOut) match(left, right []row.Value) (bool, error) {
	if j.cond == nil {
		return true, nil
	}
	j.joined.Kind = row.Insert
	j.joined.Values = append(append(j.joined.Values[:0], left...), right...)
	ok, err := j.cond(&j.joined)
	if err != nil {
		return false, EvalError(err)
	}
	return ok, nil
}

// send emits left ++ right with kind (nil: the side's NULLs), keyed and
// timed as in.
func (j *joinOut) send(out stream.Emitter, in *stream.Record, kind row.RowKind, left, right []row.Value) {
	if left == nil {
		left = j.nulls[0]
	}
	if right == nil {
		right = j.nulls[1]
	}
	j.emit.Set(left, right)
	j.emit.Emit(out, in, kind)
}

// at returns a record keyed key and timed t, for rows emitted from timers.
func (j *joinOut) at(key []byte, t int64) *stream.Record {
	j.rec = stream.Record{Key: key, Time: t}
	return &j.rec
}

// sendSide is send with the values of an input side and of the other
// side (nil: NULLs) put in left, right order.
func (j *joinOut) sendSide(out stream.Emitter, in *stream.Record, kind row.RowKind, side int, own, other []row.Value) {
	if side == 0 {
		j.send(out, in, kind, own, other)
	} else {
		j.send(out, in, kind, other, own)
	}
}

// matchSide is match with the values of an input side and of the other.
func (j *joinOut) matchSide(side int, own, other []row.Value) (bool, error) {
	if side == 0 {
		return j.match(own, other)
	}
	return j.match(other, own)
}

// joinTypedRow reads an input row of a join: typed, exactly as wide as
// its side's schema.
func joinTypedRow(rec *stream.Record, op string, input int, schemas [2]*row.Schema) (*row.Row, error) {
	if input != 0 && input != 1 {
		return nil, stream.BadInput("bad_input", "%s: input %d of a two-input join", op, input)
	}
	w := schemas[input].Len()
	in, err := TypedRow(rec, op, w)
	if err != nil {
		return nil, err
	}
	if len(in.Values) != w {
		return nil, stream.BadInput("bad_row", "%s: %s row of %d columns, schema has %d", op, joinSideName(input), len(in.Values), w)
	}
	return in, nil
}

func joinSideName(side int) string {
	if side == 0 {
		return "left"
	}
	return "right"
}

// joinRowTime reads a row's time attribute (epoch ms); NULL is bad input.
func joinRowTime(in *row.Row, col int, op string) (int64, error) {
	return windowTimeOf(in, col, op)
}

// joinTimeKey is the 8-byte map key ordering times (the sign bit flipped,
// so negative times sort first), optionally followed by a sequence.
func joinTimeKey(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
}

func joinKeyTime(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

// joinAdd is a + b saturating at the int64 range (timer arithmetic on
// extreme times must not wrap).
func joinAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

// joinEncodeRow appends the binary encoding of vals (as an insert) under
// s; a value the schema cannot hold is bad input.
func joinEncodeRow(dst []byte, s *row.Schema, vals []row.Value, op string) ([]byte, error) {
	return joinEncodeRowKind(dst, s, row.Insert, vals, op)
}

// joinEncodeRowKind is joinEncodeRow keeping the row kind.
func joinEncodeRowKind(dst []byte, s *row.Schema, kind row.RowKind, vals []row.Value, op string) ([]byte, error) {
	r := row.Row{Kind: kind, Values: vals}
	b, err := row.AppendRow(dst, s, &r)
	if err != nil {
		return dst, stream.BadInput("bad_row", "%s: %v", op, err)
	}
	return b, nil
}

// joinDecodeRow decodes a kept row into owned values.
func joinDecodeRow(b []byte, s *row.Schema) ([]row.Value, error) {
	var r row.Row
	if err := row.DecodeRow(b, s, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorruptState, err)
	}
	return r.Values, nil
}

// keyFilter is a Bloom filter of join keys (1 MiB, three probes): "not
// there" is certain, "there" is wrong for a few percent of keys once
// about a million are in, which then costs only the state lookup the
// filter saves otherwise.
type keyFilter struct {
	bits []uint64
	seed maphash.Seed
}

const keyFilterBits = 1 << 23

func (f *keyFilter) probes(key []byte) (h1, h2 uint64) {
	h := maphash.Bytes(f.seed, key)
	return h, h>>33 | h<<31 | 1
}

func (f *keyFilter) add(key []byte) {
	if f.bits == nil {
		f.bits = make([]uint64, keyFilterBits/64)
		f.seed = maphash.MakeSeed()
	}
	h1, h2 := f.probes(key)
	for i := range uint64(3) {
		b := (h1 + i*h2) % keyFilterBits
		f.bits[b/64] |= 1 << (b % 64)
	}
}

func (f *keyFilter) mayHave(key []byte) bool {
	if f.bits == nil {
		return false
	}
	h1, h2 := f.probes(key)
	for i := range uint64(3) {
		b := (h1 + i*h2) % keyFilterBits
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
