package aggfn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// Distinct wraps a bound function for f(DISTINCT x, ...): each distinct
// combination of argument values counts once. The accumulator keeps a
// count per distinct argument tuple (keyed by row.AppendKey of all the
// arguments, so 1.0 and 1.00 are one value, and NULL is a value like any
// other, as Flink's distinct MapView); the first Add of a tuple forwards
// Add to b's accumulator, the Retract of its last copy forwards Retract. A
// Retract of a tuple not seen is ignored, as Flink does. Merge adds the
// other accumulator's tuples this one does not have, so the result is
// mergeable whether b is or not; it retracts when b does.
//
// args are the argument types b was bound to. Bind does this for every
// built-in function and user function when distinct is true.
func Distinct(b Bound, args []row.Type) (Bound, error) {
	if len(args) == 0 {
		return Bound{}, fmt.Errorf("%s(DISTINCT) needs an argument", b.Name)
	}
	s, err := stateSchema(append(slices.Clone(args), row.BigIntType)...)
	if err != nil {
		return Bound{}, fmt.Errorf("%s: %w", b.Name, err)
	}
	cfg := &distinctCfg{name: b.Name, nargs: len(args), schema: s}
	if len(args) == 1 {
		switch k := args[0].Kind; k {
		case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
			cfg.intKind = k
		}
	}
	inner := b.New
	nb := b
	nb.Mergeable = true
	nb.New = func() Acc { return &distinctAcc{cfg: cfg, inner: inner()} }
	return nb, nil
}

type distinctCfg struct {
	name   string
	nargs  int
	schema *row.Schema // state: one ARRAY column per argument, then the counts
	// intKind: the one argument is an integer of this kind, and the
	// accumulator counts values in a map of int64 (no pointers for the
	// collector to scan, no key strings: COUNT(DISTINCT bidder) over
	// millions of bidders); 0 otherwise. The state format is the same.
	intKind row.Kind
}

type distinctAcc struct {
	cfg   *distinctCfg
	inner Acc
	seen  map[string]*distinctEntry
	// With cfg.intKind: the count of each value, and of NULL.
	ints  map[int64]int64
	nullN int64
}

type distinctEntry struct {
	args []row.Value
	n    int64
}

func (a *distinctAcc) setInsertOnly() {
	if io, ok := a.inner.(insertOnlyAcc); ok {
		io.setInsertOnly()
	}
}

func (a *distinctAcc) check(args []row.Value) error {
	if len(args) != a.cfg.nargs {
		return fmt.Errorf("aggfn: %s(DISTINCT): %d arguments for %d", a.cfg.name, len(args), a.cfg.nargs)
	}
	return nil
}

func (a *distinctAcc) addInt(args []row.Value, by int64) error {
	v := args[0]
	if v.IsNull() {
		if a.nullN == 0 {
			if err := a.inner.Add(args); err != nil {
				return err
			}
		}
		a.nullN += by
		return nil
	}
	if a.ints == nil {
		a.ints = map[int64]int64{}
	}
	x := v.Int64()
	if n, ok := a.ints[x]; ok {
		a.ints[x] = n + by
		return nil
	}
	if err := a.inner.Add(args); err != nil {
		return err
	}
	a.ints[x] = by
	return nil
}

func (a *distinctAcc) retractInt(args []row.Value) error {
	v := args[0]
	if v.IsNull() {
		switch {
		case a.nullN == 0:
		case a.nullN > 1:
			a.nullN--
		default:
			if err := a.inner.Retract(args); err != nil {
				return err
			}
			a.nullN = 0
		}
		return nil
	}
	x := v.Int64()
	n, ok := a.ints[x]
	switch {
	case !ok:
	case n > 1:
		a.ints[x] = n - 1
	default:
		if err := a.inner.Retract(args); err != nil {
			return err
		}
		delete(a.ints, x)
	}
	return nil
}

// intValue is x as a value of the argument's kind.
func (a *distinctAcc) intValue(x int64) row.Value { return intOfKind(a.cfg.intKind, x) }

// sortedInts is the integer arguments in key order (row.AppendKey orders
// integers numerically).
func (a *distinctAcc) sortedInts() []int64 {
	xs := make([]int64, 0, len(a.ints))
	for x := range a.ints {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	return xs
}

func (a *distinctAcc) Add(args []row.Value) error {
	if err := a.check(args); err != nil {
		return err
	}
	if a.cfg.intKind != 0 {
		return a.addInt(args, 1)
	}
	var buf [64]byte
	key := row.AppendKey(buf[:0], args...)
	if e := a.seen[string(key)]; e != nil {
		e.n++
		return nil
	}
	if err := a.inner.Add(args); err != nil {
		return err
	}
	a.put(string(key), args, 1)
	return nil
}

func (a *distinctAcc) put(key string, args []row.Value, n int64) {
	if a.cfg.intKind != 0 {
		if args[0].IsNull() {
			a.nullN = n
			return
		}
		if a.ints == nil {
			a.ints = map[int64]int64{}
		}
		a.ints[args[0].Int64()] = n
		return
	}
	if a.seen == nil {
		a.seen = map[string]*distinctEntry{}
	}
	kept := make([]row.Value, len(args))
	for i, v := range args {
		kept[i] = cloneValue(v)
	}
	a.seen[key] = &distinctEntry{args: kept, n: n}
}

func (a *distinctAcc) Retract(args []row.Value) error {
	if err := a.check(args); err != nil {
		return err
	}
	if a.cfg.intKind != 0 {
		return a.retractInt(args)
	}
	var buf [64]byte
	key := row.AppendKey(buf[:0], args...)
	e := a.seen[string(key)]
	if e == nil {
		return nil
	}
	if e.n > 1 {
		e.n--
		return nil
	}
	if err := a.inner.Retract(args); err != nil {
		return err
	}
	delete(a.seen, string(key))
	return nil
}

func (a *distinctAcc) Merge(other Acc) error {
	o, ok := other.(*distinctAcc)
	if !ok || o.cfg.nargs != a.cfg.nargs || o.cfg.intKind != a.cfg.intKind {
		return mergeMismatch(a.cfg.name+"(DISTINCT)", other)
	}
	if a.cfg.intKind != 0 {
		// In key order (NULL first), as the generic path: the order
		// matters to order-sensitive inner functions.
		if o.nullN > 0 {
			if err := a.addInt([]row.Value{{}}, o.nullN); err != nil {
				return err
			}
		}
		for _, x := range o.sortedInts() {
			if err := a.addInt([]row.Value{a.intValue(x)}, o.ints[x]); err != nil {
				return err
			}
		}
		return nil
	}
	for _, k := range o.sortedKeys() { // a deterministic order for order-sensitive functions
		oe := o.seen[k]
		if e := a.seen[k]; e != nil {
			e.n += oe.n
			continue
		}
		if err := a.inner.Add(oe.args); err != nil {
			return err
		}
		a.put(k, oe.args, oe.n)
	}
	return nil
}

func (a *distinctAcc) Result() row.Value { return a.inner.Result() }

func (a *distinctAcc) sortedKeys() []string {
	keys := make([]string, 0, len(a.seen))
	for k := range a.seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}

// State: version, the inner accumulator's state (uvarint length, bytes),
// then a row with one ARRAY column per argument and one of counts: the
// distinct argument tuples in key order.
func (a *distinctAcc) Marshal(dst []byte) []byte {
	inner := a.inner.Marshal(nil)
	dst = binary.AppendUvarint(append(dst, stateVersion), uint64(len(inner)))
	dst = append(dst, inner...)
	var cols [][]row.Value
	var counts []int64
	if a.cfg.intKind != 0 {
		xs := a.sortedInts()
		vals := make([]row.Value, 0, len(xs)+1)
		counts = make([]int64, 0, len(xs)+1)
		if a.nullN > 0 {
			vals, counts = append(vals, row.Value{}), append(counts, a.nullN)
		}
		for _, x := range xs {
			vals, counts = append(vals, a.intValue(x)), append(counts, a.ints[x])
		}
		cols = [][]row.Value{vals}
	} else {
		keys := a.sortedKeys()
		cols = make([][]row.Value, a.cfg.nargs)
		counts = make([]int64, len(keys))
		for i := range cols {
			cols[i] = make([]row.Value, len(keys))
		}
		for j, k := range keys {
			e := a.seen[k]
			for i := range cols {
				cols[i][j] = e.args[i]
			}
			counts[j] = e.n
		}
	}
	vals := make([]row.Value, 0, a.cfg.nargs+1)
	for _, c := range cols {
		vals = append(vals, row.Array(c))
	}
	vals = append(vals, row.Array(countValues(counts)))
	return appendValues(dst, a.cfg.name+"(DISTINCT)", a.cfg.schema, vals)
}

func (a *distinctAcc) Unmarshal(src []byte) error {
	a.seen, a.ints, a.nullN = nil, nil, 0
	name := a.cfg.name + "(DISTINCT)"
	r := newReader(name, src)
	inner := r.sized()
	if r.err == nil {
		if err := a.inner.Unmarshal(inner); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	cols := r.rowOf(a.cfg.schema)
	if r.err == nil {
		counts := cols[a.cfg.nargs].Elems()
		for i := 0; i < a.cfg.nargs && r.err == nil; i++ {
			if len(cols[i].Elems()) != len(counts) {
				r.fail("%d values of argument %d for %d counts", len(cols[i].Elems()), i, len(counts))
			}
		}
		var prev []byte
		args := make([]row.Value, a.cfg.nargs)
		for j := 0; j < len(counts) && r.err == nil; j++ {
			for i := range args {
				args[i] = cols[i].Elem(j)
			}
			key := row.AppendKey(nil, args...)
			switch n := counts[j]; {
			case n.IsNull() || n.Int64() <= 0:
				r.fail("count %s", n)
			case j > 0 && bytes.Compare(prev, key) >= 0:
				r.fail("argument values not strictly increasing")
			default:
				a.put(string(key), args, n.Int64())
			}
			prev = key
		}
	}
	if err := r.done(); err != nil {
		a.seen, a.ints, a.nullN = nil, nil, 0
		return err
	}
	return nil
}
