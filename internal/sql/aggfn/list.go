package aggfn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// FIRST_VALUE, LAST_VALUE, LISTAGG and ARRAY_AGG keep the values in
// arrival order, as Flink's FirstValueWithRetractAggFunction,
// LastValueWithRetractAggFunction, ListAggWithRetractAggFunction and
// ArrayAggFunction do:
//
//   - A retraction removes the earliest kept value equal to it (Java's
//     List.remove and the order lists of FIRST/LAST_VALUE); a retraction of
//     a value not kept is ignored (Flink's LISTAGG parks it in a retract
//     list that only a window merge reads).
//   - FIRST_VALUE is the earliest value left, LAST_VALUE the latest; Flink
//     orders by the processing time of arrival (System.currentTimeMillis,
//     so rows of one millisecond tie), rtdw by arrival itself, which is
//     deterministic. Merge puts the other accumulator's values after this
//     one's (the operator merges the earlier slice or window first).
//   - FIRST_VALUE, LAST_VALUE and LISTAGG ignore NULLs; ARRAY_AGG keeps
//     them (Flink's RESPECT NULLS default) and is NULL for no rows.
//   - LISTAGG joins with its separator literal (',' by default) and is NULL
//     when no value is left; a NULL separator makes the result NULL.
//
// An InsertOnly FIRST_VALUE keeps the first value only, LAST_VALUE the
// last (Flink's FirstValueAggFunction / LastValueAggFunction).

type listKind uint8

const (
	listFirst listKind = iota
	listLast
	listAgg
	listArray
)

var listNames = [...]string{listFirst: "FIRST_VALUE", listLast: "LAST_VALUE", listAgg: "LISTAGG", listArray: "ARRAY_AGG"}

type listCfg struct {
	name   string
	kind   listKind
	sep    string
	sepSet bool // false: a NULL separator
	schema *row.Schema
}

func bindList(kind listKind) func([]row.Type, []*row.Value, bool) (Bound, error) {
	return func(args []row.Type, consts []*row.Value, distinct bool) (Bound, error) {
		name := listNames[kind]
		hi := 1
		if kind == listAgg {
			hi = 2
		}
		if err := argCount(name, args, 1, hi); err != nil {
			return Bound{}, err
		}
		t := args[0]
		cfg := &listCfg{name: name, kind: kind, sep: ",", sepSet: true}
		var rt row.Type
		switch kind {
		case listAgg:
			if !t.IsString() {
				return Bound{}, unsupported(name, t)
			}
			if len(args) == 2 {
				if !args[1].IsString() && !isNullType(args[1]) {
					return Bound{}, fmt.Errorf("LISTAGG's separator must be a character string, got %s", args[1])
				}
				if len(consts) < 2 || consts[1] == nil {
					return Bound{}, fmt.Errorf("LISTAGG's separator must be a character literal")
				}
				if consts[1].IsNull() {
					cfg.sepSet = false
				} else {
					cfg.sep = consts[1].Str()
				}
			}
			rt = t.WithNotNull(false)
		case listArray:
			rt = row.ArrayOf(t)
		default:
			rt = t.WithNotNull(false)
		}
		if isNullType(t) {
			return Bound{}, unsupported(name, t)
		}
		s, err := stateSchema(t)
		if err != nil {
			return Bound{}, fmt.Errorf("%s: %w", name, err)
		}
		cfg.schema = s
		b := Bound{
			Name:        name,
			Type:        rt,
			New:         func() Acc { return &listAcc{cfg: cfg} },
			Retractable: true,
			Mergeable:   true,
		}
		return finish(b, args, distinct)
	}
}

type listAcc struct {
	cfg        *listCfg
	vals       []row.Value
	insertOnly bool
}

func (a *listAcc) setInsertOnly() {
	if a.cfg.kind == listFirst || a.cfg.kind == listLast {
		a.insertOnly = true
	}
}

func (a *listAcc) keepsNulls() bool { return a.cfg.kind == listArray }

func (a *listAcc) Add(args []row.Value) error {
	v := args[0]
	if v.IsNull() && !a.keepsNulls() {
		return nil
	}
	if a.insertOnly {
		switch {
		case a.cfg.kind == listFirst && len(a.vals) > 0:
			return nil
		case a.cfg.kind == listLast && len(a.vals) > 0:
			a.vals[0] = cloneValue(v)
			return nil
		}
	}
	a.vals = append(a.vals, cloneValue(v))
	return nil
}

func (a *listAcc) Retract(args []row.Value) error {
	if a.insertOnly {
		return errInsertOnly
	}
	v := args[0]
	if v.IsNull() && !a.keepsNulls() {
		return nil
	}
	for i := range a.vals {
		if row.Equal(a.vals[i], v) {
			a.vals = slices.Delete(a.vals, i, i+1) // clears the vacated slot
			return nil
		}
	}
	return nil
}

func (a *listAcc) Merge(other Acc) error {
	o, ok := other.(*listAcc)
	if !ok || o.cfg.kind != a.cfg.kind {
		return mergeMismatch(a.cfg.name, other)
	}
	if !a.insertOnly {
		if o.insertOnly {
			return fmt.Errorf("aggfn: %s: cannot merge an insert-only accumulator into one that retracts", a.cfg.name)
		}
		a.vals = append(a.vals, o.vals...)
		return nil
	}
	if len(o.vals) == 0 {
		return nil
	}
	switch {
	case len(a.vals) == 0 && a.cfg.kind == listFirst:
		a.vals = append(a.vals, o.vals[0])
	case a.cfg.kind == listLast:
		a.vals = append(a.vals[:0], o.vals[len(o.vals)-1])
	}
	return nil
}

func (a *listAcc) Result() row.Value {
	if len(a.vals) == 0 {
		return row.Value{}
	}
	switch a.cfg.kind {
	case listFirst:
		return a.vals[0]
	case listLast:
		return a.vals[len(a.vals)-1]
	case listArray:
		return row.Array(append([]row.Value(nil), a.vals...))
	}
	if !a.cfg.sepSet {
		return row.Value{}
	}
	n := len(a.cfg.sep) * (len(a.vals) - 1)
	for _, v := range a.vals {
		n += len(v.Str())
	}
	var sb strings.Builder
	sb.Grow(n)
	for i, v := range a.vals {
		if i > 0 {
			sb.WriteString(a.cfg.sep)
		}
		sb.WriteString(v.Str())
	}
	if a.vals[0].Kind() == row.KindChar {
		return row.Char(sb.String())
	}
	return row.String(sb.String())
}

// State: version, a mode byte (0: retracting, 1: insert-only), then a row
// holding the values in arrival order as one ARRAY.
func (a *listAcc) Marshal(dst []byte) []byte {
	mode := byte(0)
	if a.insertOnly {
		mode = 1
	}
	return appendValues(append(dst, stateVersion, mode), a.cfg.name, a.cfg.schema, []row.Value{row.Array(a.vals)})
}

func (a *listAcc) Unmarshal(src []byte) error {
	a.vals = nil
	r := newReader(a.cfg.name, src)
	mode := r.byte1()
	switch {
	case r.err != nil:
	case mode > 1:
		r.fail("mode %d", mode)
	case mode == 1 && !a.insertOnly:
		r.fail("an insert-only state cannot be read by an accumulator that retracts")
	}
	cols := r.rowOf(a.cfg.schema)
	if r.err == nil {
		vals := cols[0].Elems()
		if mode == 1 && len(vals) > 1 {
			r.fail("%d values in an insert-only state", len(vals))
		}
		for _, v := range vals {
			if v.IsNull() && !a.keepsNulls() {
				r.fail("NULL value")
				break
			}
		}
		if r.err == nil {
			a.vals = append([]row.Value(nil), vals...)
			if a.insertOnly && len(a.vals) > 1 { // a retracting state read insert-only
				if a.cfg.kind == listFirst {
					a.vals = a.vals[:1]
				} else {
					a.vals = a.vals[len(a.vals)-1:]
				}
			}
		}
	}
	if err := r.done(); err != nil {
		a.vals = nil
		return err
	}
	return nil
}
