package aggfn

import (
	"slices"

	"github.com/rtdw/rtdw/internal/row"
)

// sortedBag is a multiset of values with a signed count each, sorted by
// row.Compare (the order of row.AppendKey's memcomparable keys, so equal
// values such as 1.0 and 1.00 are one entry). Entries live in chunks of
// at most maxChunk, so an insert moves at most a chunk, not the whole bag,
// and the smallest and largest values are at the ends. A count is never
// 0: an entry whose count reaches 0 is removed. Negative counts are
// retractions that came before their value (Flink keeps them too).
type sortedBag struct {
	chunks [][]bagEntry
	// fast compares values of kind by their int64 (integers, DATE, TIME,
	// intervals, BOOLEAN) or float64 (FLOAT, DOUBLE) instead of through
	// row.Compare, the same order for values of one kind; a value of
	// another kind turns it off for good.
	fast fastCmp
	kind row.Kind
}

type fastCmp uint8

const (
	cmpGeneric fastCmp = iota
	cmpInt
	cmpFloat
)

// newBag returns an empty bag for values of type t.
func newBag(t row.Type) sortedBag {
	switch t.Kind {
	case row.KindBoolean, row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt,
		row.KindDate, row.KindTime, row.KindIntervalYearMonth, row.KindIntervalDayTime:
		return sortedBag{fast: cmpInt, kind: t.Kind}
	case row.KindFloat, row.KindDouble:
		return sortedBag{fast: cmpFloat, kind: t.Kind}
	}
	return sortedBag{}
}

type bagEntry struct {
	v row.Value
	n int64
}

const maxChunk = 512

func (b *sortedBag) len() int {
	n := 0
	for _, c := range b.chunks {
		n += len(c)
	}
	return n
}

// search finds v: its chunk and position, or where it would be inserted.
func (b *sortedBag) search(v row.Value) (ci, i int, found bool) {
	if b.fast != cmpGeneric && v.Kind() != b.kind {
		b.fast = cmpGeneric
	}
	if len(b.chunks) == 0 {
		return 0, 0, false
	}
	switch b.fast {
	case cmpInt:
		return b.searchInt(v.Int64())
	case cmpFloat:
		return b.searchFloat(v.Float64())
	}
	// the first chunk whose last value is >= v, then the first value >= v
	lo, hi := 0, len(b.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := b.chunks[m]
		if row.Compare(c[len(c)-1].v, v) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(b.chunks) {
		return lo - 1, len(b.chunks[lo-1]), false
	}
	c := b.chunks[lo]
	l, h := 0, len(c)
	for l < h {
		m := int(uint(l+h) >> 1)
		if row.Compare(c[m].v, v) < 0 {
			l = m + 1
		} else {
			h = m
		}
	}
	return lo, l, l < len(c) && row.Compare(c[l].v, v) == 0
}

// searchInt is search for values compared by their int64.
func (b *sortedBag) searchInt(x int64) (ci, i int, found bool) {
	lo, hi := 0, len(b.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := b.chunks[m]
		if c[len(c)-1].v.Int64() < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(b.chunks) {
		return lo - 1, len(b.chunks[lo-1]), false
	}
	c := b.chunks[lo]
	l, h := 0, len(c)
	for l < h {
		m := int(uint(l+h) >> 1)
		if c[m].v.Int64() < x {
			l = m + 1
		} else {
			h = m
		}
	}
	return lo, l, l < len(c) && c[l].v.Int64() == x
}

// searchFloat is search for FLOAT or DOUBLE values.
func (b *sortedBag) searchFloat(x float64) (ci, i int, found bool) {
	lo, hi := 0, len(b.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := b.chunks[m]
		if row.CompareFloat(c[len(c)-1].v.Float64(), x) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(b.chunks) {
		return lo - 1, len(b.chunks[lo-1]), false
	}
	c := b.chunks[lo]
	l, h := 0, len(c)
	for l < h {
		m := int(uint(l+h) >> 1)
		if row.CompareFloat(c[m].v.Float64(), x) < 0 {
			l = m + 1
		} else {
			h = m
		}
	}
	return lo, l, l < len(c) && row.CompareFloat(c[l].v.Float64(), x) == 0
}

// add adds delta to v's count. v must not be NULL.
func (b *sortedBag) add(v row.Value, delta int64) {
	ci, i, found := b.search(v)
	if found {
		e := &b.chunks[ci][i]
		e.n += delta
		if e.n == 0 {
			b.remove(ci, i)
		}
		return
	}
	if delta == 0 {
		return
	}
	e := bagEntry{v: cloneValue(v), n: delta}
	if len(b.chunks) == 0 {
		b.chunks = [][]bagEntry{{e}}
		return
	}
	c := slices.Insert(b.chunks[ci], i, e)
	if len(c) > maxChunk {
		half := len(c) / 2
		tail := slices.Clone(c[half:])
		clear(c[half:])
		b.chunks[ci] = c[:half]
		b.chunks = slices.Insert(b.chunks, ci+1, tail)
		return
	}
	b.chunks[ci] = c
}

func (b *sortedBag) remove(ci, i int) {
	c := slices.Delete(b.chunks[ci], i, i+1)
	if len(c) == 0 {
		b.chunks = slices.Delete(b.chunks, ci, ci+1)
		return
	}
	b.chunks[ci] = c
}

// first returns the smallest value with a positive count.
func (b *sortedBag) first() (row.Value, bool) {
	for _, c := range b.chunks {
		for _, e := range c {
			if e.n > 0 {
				return e.v, true
			}
		}
	}
	return row.Value{}, false
}

// last returns the largest value with a positive count.
func (b *sortedBag) last() (row.Value, bool) {
	for ci := len(b.chunks) - 1; ci >= 0; ci-- {
		c := b.chunks[ci]
		for i := len(c) - 1; i >= 0; i-- {
			if c[i].n > 0 {
				return c[i].v, true
			}
		}
	}
	return row.Value{}, false
}

func (b *sortedBag) each(f func(e bagEntry)) {
	for _, c := range b.chunks {
		for _, e := range c {
			f(e)
		}
	}
}

func (b *sortedBag) merge(o *sortedBag) {
	if o.fast == cmpGeneric || o.kind != b.kind {
		b.fast = cmpGeneric
	}
	if len(b.chunks) == 0 {
		for _, c := range o.chunks {
			b.chunks = append(b.chunks, slices.Clone(c))
		}
		return
	}
	o.each(func(e bagEntry) { b.add(e.v, e.n) })
}

// reset empties the bag, keeping its comparison.
func (b *sortedBag) reset() { b.chunks = nil }

// appendState appends the bag as a row of (values ARRAY<T>, counts
// ARRAY<BIGINT>) in sorted order.
func (b *sortedBag) appendState(dst []byte, name string, s *row.Schema) []byte {
	n := b.len()
	vals := make([]row.Value, 0, n)
	counts := make([]int64, 0, n)
	b.each(func(e bagEntry) {
		vals = append(vals, e.v)
		counts = append(counts, e.n)
	})
	return appendValues(dst, name, s, []row.Value{row.Array(vals), row.Array(countValues(counts))})
}

// readState reads what appendState wrote, checking that the values are
// non-NULL and strictly increasing and the counts non-zero.
func (b *sortedBag) readState(r *reader, s *row.Schema) {
	cols := r.rowOf(s)
	if r.err != nil {
		return
	}
	vals, counts := cols[0].Elems(), cols[1].Elems()
	if len(vals) != len(counts) {
		r.fail("%d values and %d counts", len(vals), len(counts))
		return
	}
	b.chunks = nil
	var c []bagEntry
	for i, v := range vals {
		n := counts[i]
		switch {
		case v.IsNull():
			r.fail("NULL value")
		case n.IsNull() || n.Int64() == 0:
			r.fail("zero count")
		case i > 0 && row.Compare(vals[i-1], v) >= 0:
			r.fail("values not strictly increasing")
		}
		if r.err != nil {
			b.chunks = nil
			return
		}
		if len(c) == maxChunk/2 {
			b.chunks = append(b.chunks, c)
			c = nil
		}
		c = append(c, bagEntry{v: v, n: n.Int64()})
	}
	if len(c) > 0 {
		b.chunks = append(b.chunks, c)
	}
}
