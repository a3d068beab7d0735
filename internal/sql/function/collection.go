package function

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// Collection functions (ARRAY[...] and MAP[...] constructors and the
// subscripts a[i], m[k] are the expression compiler's). Elements compare
// as IS NOT DISTINCT FROM (a NULL needle finds a NULL element), numbers
// by value across types.

func isArrayT(t row.Type) bool { return isNullT(t) || t.Kind == row.KindArray }
func isMapT(t row.Type) bool   { return isNullT(t) || t.Kind == row.KindMap }

// elemType is the element type of an ARRAY / MULTISET type (NULL for a
// NULL type).
func elemType(t row.Type) row.Type {
	if t.Elem != nil {
		return *t.Elem
	}
	return row.NullType
}

func init() {
	reg("CARDINALITY", func(_ *Env, args []Arg) (Bound, error) {
		ok := func(t row.Type) bool {
			return isNullT(t) || t.Kind == row.KindArray || t.Kind == row.KindMap || t.Kind == row.KindMultiset
		}
		if len(args) != 1 || !ok(args[0].Type) {
			return Bound{}, sigError("CARDINALITY", "(ARRAY or MAP or MULTISET)", args)
		}
		return Bound{Type: withNull(row.IntType, args[0].Type.Nullable()), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			return row.Int(int32(a[0].Len())), nil
		}}, nil
	})
	reg("ELEMENT", func(_ *Env, args []Arg) (Bound, error) {
		if len(args) != 1 || !isArrayT(args[0].Type) {
			return Bound{}, sigError("ELEMENT", "(ARRAY)", args)
		}
		return Bound{Type: withNull(elemType(args[0].Type), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			switch n := a[0].Len(); n {
			case 0:
				return null, nil
			case 1:
				return a[0].Elem(0), nil
			default:
				return null, fmt.Errorf("ELEMENT: the array has %d elements, expected at most one", n)
			}
		}}, nil
	})
	reg("ARRAY_CONTAINS", func(_ *Env, args []Arg) (Bound, error) {
		if err := checkNeedle("ARRAY_CONTAINS", args); err != nil {
			return Bound{}, err
		}
		return Bound{Type: withNull(row.BooleanType, args[0].Type.Nullable()), Eval: func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			return row.Bool(indexOf(a[0].Elems(), a[1]) >= 0), nil
		}}, nil
	})
	reg("ARRAY_POSITION", func(_ *Env, args []Arg) (Bound, error) {
		if err := checkNeedle("ARRAY_POSITION", args); err != nil {
			return Bound{}, err
		}
		return Bound{Type: withNull(row.IntType, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			return row.Int(int32(indexOf(a[0].Elems(), a[1]) + 1)), nil
		}}, nil
	})
	reg("ARRAY_REMOVE", func(_ *Env, args []Arg) (Bound, error) {
		if err := checkNeedle("ARRAY_REMOVE", args); err != nil {
			return Bound{}, err
		}
		return Bound{Type: args[0].Type, Eval: func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			out := make([]row.Value, 0, a[0].Len())
			for _, e := range a[0].Elems() {
				if !row.Equal(e, a[1]) {
					out = append(out, e)
				}
			}
			return row.Array(out), nil
		}}, nil
	})
	arrayFn := func(name string, fn func([]row.Value) []row.Value) {
		reg(name, func(_ *Env, args []Arg) (Bound, error) {
			if len(args) != 1 || !isArrayT(args[0].Type) {
				return Bound{}, sigError(name, "(ARRAY)", args)
			}
			return Bound{Type: args[0].Type, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				return row.Array(fn(a[0].Elems())), nil
			}}, nil
		})
	}
	arrayFn("ARRAY_REVERSE", func(es []row.Value) []row.Value {
		out := make([]row.Value, len(es))
		for i, e := range es {
			out[len(es)-1-i] = e
		}
		return out
	})
	arrayFn("ARRAY_DISTINCT", func(es []row.Value) []row.Value {
		out := make([]row.Value, 0, len(es))
		for _, e := range es {
			if indexOf(out, e) < 0 {
				out = append(out, e)
			}
		}
		return out
	})
	reg("ARRAY_CONCAT", bindArrayConcat)
	reg("ARRAY_JOIN", bindArrayJoin)
	mapFn := func(name string, result func(row.Type) row.Type, fn func(m row.Value) row.Value) {
		reg(name, func(_ *Env, args []Arg) (Bound, error) {
			if len(args) != 1 || !isMapT(args[0].Type) {
				return Bound{}, sigError(name, "(MAP)", args)
			}
			return Bound{Type: withNull(result(args[0].Type), args[0].Type.Nullable()), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				return fn(a[0]), nil
			}}, nil
		})
	}
	keyOf := func(t row.Type) row.Type {
		if t.Key != nil {
			return *t.Key
		}
		return row.NullType
	}
	mapFn("MAP_KEYS", func(t row.Type) row.Type { return row.ArrayOf(keyOf(t)) }, func(m row.Value) row.Value {
		out := make([]row.Value, m.Len())
		for i := range out {
			out[i] = m.MapKey(i)
		}
		return row.Array(out)
	})
	mapFn("MAP_VALUES", func(t row.Type) row.Type { return row.ArrayOf(elemType(t)) }, func(m row.Value) row.Value {
		out := make([]row.Value, m.Len())
		for i := range out {
			out[i] = m.MapValue(i)
		}
		return row.Array(out)
	})
	mapFn("MAP_ENTRIES", func(t row.Type) row.Type {
		return row.ArrayOf(row.RowOf(row.Field{Name: "key", Type: keyOf(t)}, row.Field{Name: "value", Type: elemType(t)}))
	}, func(m row.Value) row.Value {
		out := make([]row.Value, m.Len())
		for i := range out {
			out[i] = row.Struct([]row.Value{m.MapKey(i), m.MapValue(i)})
		}
		return row.Array(out)
	})
	reg("MAP_FROM_ARRAYS", func(_ *Env, args []Arg) (Bound, error) {
		if len(args) != 2 || !isArrayT(args[0].Type) || !isArrayT(args[1].Type) {
			return Bound{}, sigError("MAP_FROM_ARRAYS", "(ARRAY, ARRAY)", args)
		}
		t := row.MapOf(elemType(args[0].Type), elemType(args[1].Type))
		return Bound{Type: withNull(t, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			if a[0].Len() != a[1].Len() {
				return null, fmt.Errorf("MAP_FROM_ARRAYS: the key array has %d elements and the value array %d; they must be equal", a[0].Len(), a[1].Len())
			}
			return row.Map(a[0].Elems(), a[1].Elems()), nil
		}}, nil
	})
}

// checkNeedle checks (ARRAY, value) with the value comparable to the
// elements.
func checkNeedle(name string, args []Arg) error {
	if len(args) != 2 || !isArrayT(args[0].Type) {
		return sigError(name, "(ARRAY, element)", args)
	}
	et := elemType(args[0].Type)
	if isNullT(et) || isNullT(args[1].Type) {
		return nil
	}
	if _, ok := merge2(et.WithNotNull(false), args[1].Type.WithNotNull(false)); !ok {
		return fmt.Errorf("%s: the element %s cannot be compared with the array's %s elements", name, argList(args[1:]), et.WithNotNull(false))
	}
	return nil
}

func indexOf(es []row.Value, v row.Value) int {
	for i, e := range es {
		if row.Equal(e, v) {
			return i
		}
	}
	return -1
}

func bindArrayConcat(_ *Env, args []Arg) (Bound, error) {
	if len(args) == 0 {
		return Bound{}, sigError("ARRAY_CONCAT", "(ARRAY, ...)", args)
	}
	elems := make([]row.Type, 0, len(args))
	for _, a := range args {
		if !isArrayT(a.Type) {
			return Bound{}, sigError("ARRAY_CONCAT", "(ARRAY, ...)", args)
		}
		elems = append(elems, elemType(a.Type))
	}
	et, ok := commonType(elems)
	if !ok {
		return Bound{}, fmt.Errorf("ARRAY_CONCAT expects arrays of one element type, got %s", argList(args))
	}
	return Bound{Type: withNull(row.ArrayOf(et), anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		n := 0
		for _, v := range a {
			if v.IsNull() {
				return null, nil
			}
			n += v.Len()
		}
		out := make([]row.Value, 0, n)
		for _, v := range a {
			for _, e := range v.Elems() {
				out = append(out, convertTo(e, et))
			}
		}
		return row.Array(out), nil
	}}, nil
}

// bindArrayJoin is ARRAY_JOIN(array<string>, delimiter [, nullReplacement]):
// NULL elements are skipped unless a replacement is given; as in Flink,
// a NULL argument, the replacement included, makes the result NULL.
func bindArrayJoin(_ *Env, args []Arg) (Bound, error) {
	strArr := func(t row.Type) bool { return isNullT(t) || t.Kind == row.KindArray && isStrT(elemType(t)) }
	s := sig{"(ARRAY<STRING>, STRING[, STRING])", 2, cls(strArr, isStrT, isStrT), false}
	if err := s.check("ARRAY_JOIN", args); err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.StringType, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		sep := a[1].Str()
		var b strings.Builder
		first := true
		for _, e := range a[0].Elems() {
			if e.IsNull() {
				if len(a) < 3 {
					continue
				}
				e = a[2]
			}
			if !first {
				b.WriteString(sep)
			}
			first = false
			b.WriteString(e.Str())
		}
		return row.String(b.String()), nil
	}}, nil
}
