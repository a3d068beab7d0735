package aggfn

import (
	"cmp"
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
)

// MIN and MAX keep every distinct non-NULL value with its count in a
// sortedBag (Flink's MinWithRetractAggFunction / MaxWithRetractAggFunction
// keep a MapView of value -> count), so retracting the current extreme
// finds the next one. The result is the smallest (largest) value whose
// count is positive, NULL when there is none. An InsertOnly accumulator
// keeps only the extreme value (Flink's MinAggFunction / MaxAggFunction).
//
// COLLECT keeps the same bag and returns the values with a positive count
// as a MULTISET, each repeated count times, in value order (Flink's
// CollectAggFunction: NULLs ignored, an empty multiset for no values).

type bagKind uint8

const (
	bagMin bagKind = iota
	bagMax
	bagCollect
)

type bagCfg struct {
	name   string
	kind   bagKind
	schema *row.Schema // state: (values ARRAY<T>, counts ARRAY<BIGINT>)
	one    *row.Schema // insert-only MIN/MAX state: (value ARRAY<T>), empty or one value
}

func minMaxComparable(t row.Type) bool {
	switch t.Kind {
	case row.KindNull, row.KindArray, row.KindMap, row.KindMultiset, row.KindRow:
		return false
	}
	return true
}

func bindMinMax(isMax bool) func([]row.Type, []*row.Value, bool) (Bound, error) {
	return func(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
		name, kind := "MIN", bagMin
		if isMax {
			name, kind = "MAX", bagMax
		}
		if err := argCount(name, args, 1, 1); err != nil {
			return Bound{}, err
		}
		if !minMaxComparable(args[0]) {
			return Bound{}, unsupported(name, args[0])
		}
		return bindBag(name, kind, args[0], args[0].WithNotNull(false), distinct)
	}
}

func bindCollect(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
	if err := argCount("COLLECT", args, 1, 1); err != nil {
		return Bound{}, err
	}
	if isNullType(args[0]) {
		return Bound{}, unsupported("COLLECT", args[0])
	}
	return bindBag("COLLECT", bagCollect, args[0], row.MultisetOf(args[0]).WithNotNull(true), distinct)
}

func bindBag(name string, kind bagKind, t, rt row.Type, distinct bool) (Bound, error) {
	s, err := stateSchema(t, row.BigIntType)
	if err != nil {
		return Bound{}, fmt.Errorf("%s: %w", name, err)
	}
	one, err := stateSchema(t)
	if err != nil {
		return Bound{}, fmt.Errorf("%s: %w", name, err)
	}
	cfg := &bagCfg{name: name, kind: kind, schema: s, one: one}
	b := Bound{
		Name:        name,
		Type:        rt,
		New:         func() Acc { return &bagAcc{cfg: cfg, bag: newBag(t)} },
		Retractable: true,
		Mergeable:   true,
	}
	return finish(b, []row.Type{t}, distinct)
}

type bagAcc struct {
	cfg *bagCfg
	bag sortedBag
	// insert-only MIN/MAX: the extreme value (NULL for none)
	insertOnly bool
	best       row.Value
}

func (a *bagAcc) setInsertOnly() {
	if a.cfg.kind != bagCollect {
		a.insertOnly = true
	}
}

// better reports whether v beats the current best.
func (a *bagAcc) better(v row.Value) bool {
	if a.best.IsNull() {
		return true
	}
	var c int
	switch {
	case a.bag.fast == cmpInt && v.Kind() == a.bag.kind && a.best.Kind() == a.bag.kind:
		c = cmp.Compare(v.Int64(), a.best.Int64())
	case a.bag.fast == cmpFloat && v.Kind() == a.bag.kind && a.best.Kind() == a.bag.kind:
		c = row.CompareFloat(v.Float64(), a.best.Float64())
	default:
		c = row.Compare(v, a.best)
	}
	if a.cfg.kind == bagMax {
		return c > 0
	}
	return c < 0
}

func (a *bagAcc) Add(args []row.Value) error {
	v := args[0]
	if v.IsNull() {
		return nil
	}
	if a.insertOnly {
		if a.better(v) {
			a.best = cloneValue(v)
		}
		return nil
	}
	a.bag.add(v, 1)
	return nil
}

func (a *bagAcc) Retract(args []row.Value) error {
	if a.insertOnly {
		return errInsertOnly
	}
	if v := args[0]; !v.IsNull() {
		a.bag.add(v, -1)
	}
	return nil
}

func (a *bagAcc) Merge(other Acc) error {
	o, ok := other.(*bagAcc)
	if !ok || o.cfg.kind != a.cfg.kind {
		return mergeMismatch(a.cfg.name, other)
	}
	switch {
	case a.insertOnly:
		v := o.best
		if !o.insertOnly {
			v = o.extreme()
		}
		if !v.IsNull() && a.better(v) {
			a.best = v
		}
	case o.insertOnly:
		return fmt.Errorf("aggfn: %s: cannot merge an insert-only accumulator into one that retracts", a.cfg.name)
	default:
		a.bag.merge(&o.bag)
	}
	return nil
}

func (a *bagAcc) extreme() row.Value {
	if a.insertOnly {
		return a.best
	}
	var v row.Value
	if a.cfg.kind == bagMax {
		v, _ = a.bag.last()
	} else {
		v, _ = a.bag.first()
	}
	return v
}

func (a *bagAcc) Result() row.Value {
	if a.cfg.kind != bagCollect {
		return a.extreme()
	}
	var elems []row.Value
	a.bag.each(func(e bagEntry) {
		for i := int64(0); i < e.n; i++ {
			elems = append(elems, e.v)
		}
	})
	if elems == nil {
		elems = []row.Value{}
	}
	return row.Multiset(elems)
}

// State: version, a mode byte (0: the bag, 1: insert-only MIN/MAX), then
// a row: the bag's values and counts in value order, or the one extreme
// value (an empty array for none).
func (a *bagAcc) Marshal(dst []byte) []byte {
	if a.insertOnly {
		var vals []row.Value
		if !a.best.IsNull() {
			vals = []row.Value{a.best}
		}
		return appendValues(append(dst, stateVersion, 1), a.cfg.name, a.cfg.one, []row.Value{row.Array(vals)})
	}
	return a.bag.appendState(append(dst, stateVersion, 0), a.cfg.name, a.cfg.schema)
}

func (a *bagAcc) Unmarshal(src []byte) error {
	a.bag.reset()
	a.best = row.Value{}
	r := newReader(a.cfg.name, src)
	switch mode := r.byte1(); {
	case r.err != nil:
	case mode == 0:
		a.bag.readState(r, a.cfg.schema)
		if r.err == nil && a.insertOnly {
			a.best = a.extreme0()
			a.bag.reset()
		}
	case mode == 1 && a.cfg.kind != bagCollect:
		if !a.insertOnly {
			r.fail("an insert-only state cannot be read by an accumulator that retracts")
			break
		}
		cols := r.rowOf(a.cfg.one)
		if r.err != nil {
			break
		}
		switch vals := cols[0].Elems(); {
		case len(vals) > 1:
			r.fail("%d values in an insert-only state", len(vals))
		case len(vals) == 1 && vals[0].IsNull():
			r.fail("NULL value")
		case len(vals) == 1:
			a.best = vals[0]
		}
	default:
		r.fail("mode %d", mode)
	}
	if err := r.done(); err != nil {
		a.bag.reset()
		a.best = row.Value{}
		return err
	}
	return nil
}

// extreme0 is the bag's extreme, read while converting a retracting state
// into an insert-only one.
func (a *bagAcc) extreme0() row.Value {
	if a.cfg.kind == bagMax {
		v, _ := a.bag.last()
		return v
	}
	v, _ := a.bag.first()
	return v
}
