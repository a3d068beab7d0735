package expr

import (
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Comparisons are SQL's: NULL compared with anything is NULL (UNKNOWN);
// numbers compare by value across kinds; FLOAT and DOUBLE as Java's
// primitives (NaN is neither equal to, less nor greater than anything,
// and unequal to everything); strings and bytes bytewise (UTF-8 code
// point order); DATE, TIMESTAMP and TIMESTAMP_LTZ in time order, a
// TIMESTAMP read in the session time zone against a TIMESTAMP_LTZ (as
// Flink casts it), a DATE as its midnight; ARRAY, MAP and ROW compare
// with = and <> (ARRAY and ROW also order), element by element.

// cmpFn compares two non-NULL values: -1, 0, +1, or unordered (NaN).
type cmpFn = func(a, b row.Value) int

const unordered = 2

func cmpInt64(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	return unordered
}

func cmpTS(am int64, an int32, bm int64, bn int32) int {
	if c := cmpInt64(am, bm); c != 0 {
		return c
	}
	return cmpInt64(int64(an), int64(bn))
}

// comparator returns the comparison of values of types lt and rt, which
// must be comparable (comparableTypes).
func comparator(lt, rt row.Type, loc *time.Location) cmpFn {
	lk, rk := lt.Kind, rt.Kind
	switch {
	case isIntKind(lk) && isIntKind(rk), lk == row.KindBoolean, lk == row.KindTime, isIntervalKind(lk),
		lk == row.KindDate && rk == row.KindDate:
		return func(a, b row.Value) int { return cmpInt64(a.Int64(), b.Int64()) }
	case isNumKind(lk) && isNumKind(rk):
		if isApproxKind(lk) || isApproxKind(rk) {
			return func(a, b row.Value) int { return cmpFloat(a.Float64(), b.Float64()) }
		}
		return func(a, b row.Value) int { return toDecimal(a).Compare(toDecimal(b)) }
	case isStrKind(lk) || isBinKind(lk):
		return func(a, b row.Value) int { return strings.Compare(a.Str(), b.Str()) }
	case isDatetimeKind(lk):
		if lk == rk {
			return func(a, b row.Value) int { return cmpTS(a.Millis(), a.NanosOfMilli(), b.Millis(), b.NanosOfMilli()) }
		}
		ltz := lk == row.KindTimestampLTZ || rk == row.KindTimestampLTZ
		pl, pr := placeOnTimeLine(lk, ltz, loc), placeOnTimeLine(rk, ltz, loc)
		return func(a, b row.Value) int {
			am, an := pl(a)
			bm, bn := pr(b)
			return cmpTS(am, an, bm, bn)
		}
	}
	return row.Compare
}

// placeOnTimeLine returns a date-time value of kind k as millis and
// nanos comparable with the other operand: instants when either side is a
// TIMESTAMP_LTZ (a DATE or TIMESTAMP read in the session time zone), else
// wall-clock values (a DATE at its midnight).
func placeOnTimeLine(k row.Kind, ltz bool, loc *time.Location) func(row.Value) (int64, int32) {
	switch {
	case k == row.KindDate && ltz:
		return func(v row.Value) (int64, int32) { return row.LocalToInstant(int64(v.Days())*row.MillisPerDay, loc), 0 }
	case k == row.KindDate:
		return func(v row.Value) (int64, int32) { return int64(v.Days()) * row.MillisPerDay, 0 }
	case k == row.KindTimestamp && ltz:
		return func(v row.Value) (int64, int32) { return row.LocalToInstant(v.Millis(), loc), v.NanosOfMilli() }
	}
	return func(v row.Value) (int64, int32) { return v.Millis(), v.NanosOfMilli() }
}

// cmpPred returns the test of a comparison result for op.
func cmpPred(op string) func(c int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c == -1 }
	case "<=":
		return func(c int) bool { return c == -1 || c == 0 }
	case ">":
		return func(c int) bool { return c == 1 }
	}
	return func(c int) bool { return c == 1 || c == 0 }
}

// flipOp mirrors an operator for swapped operands (a < b == b > a).
func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

var (
	trueVal  = row.Bool(true)
	falseVal = row.Bool(false)
)

func boolVal(b bool) row.Value {
	if b {
		return trueVal
	}
	return falseVal
}

func (c *compiler) comparison(n *ast.Binary, op string) (*Compiled, error) {
	l, err := c.expr(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(n.R)
	if err != nil {
		return nil, err
	}
	ordered := op != "=" && op != "<>"
	if l, r, err = c.temporalPair(n, l, r); err != nil {
		return nil, err
	}
	if !comparableTypes(l.Type, r.Type, ordered) {
		return nil, errAt(n, "Cannot apply '%s' to arguments of type '%s %s %s'. Supported form(s): '<COMPARABLE_TYPE> %s <COMPARABLE_TYPE>'",
			op, typeArg(l.Type), op, typeArg(r.Type), op)
	}
	t := row.BooleanType.WithNotNull(!nullable(l.Type, r.Type))
	if l.Type.Kind == row.KindNull || r.Type.Kind == row.KindNull {
		return c.constant(row.BooleanType, row.Value{}), nil
	}
	if f := fastCompare(l, r, op); f != nil {
		return c.node(t, f, l, r), nil
	}
	if l.Const && r.col > 0 {
		if f := fastCompare(r, l, flipOp(op)); f != nil {
			return c.node(t, f, l, r), nil
		}
	}
	cmp := comparator(l.Type, r.Type, locOf(c.env))
	var f binFn
	switch op {
	case "=":
		f = func(a, b row.Value) (row.Value, error) { return boolVal(cmp(a, b) == 0), nil }
	case "<>":
		f = func(a, b row.Value) (row.Value, error) { return boolVal(cmp(a, b) != 0), nil }
	case "<":
		f = func(a, b row.Value) (row.Value, error) { return boolVal(cmp(a, b) == -1), nil }
	case "<=":
		f = func(a, b row.Value) (row.Value, error) { x := cmp(a, b); return boolVal(x == -1 || x == 0), nil }
	case ">":
		f = func(a, b row.Value) (row.Value, error) { return boolVal(cmp(a, b) == 1), nil }
	default:
		f = func(a, b row.Value) (row.Value, error) { x := cmp(a, b); return boolVal(x == 1 || x == 0), nil }
	}
	return c.node(t, binEval(l, r, f), l, r), nil
}

// fastCompare specializes a column compared with a constant for integer
// (and other int64-valued) kinds, floating point and strings: one closure
// reading the row, no calls.
func fastCompare(l, r *Compiled, op string) Func {
	if l.col == 0 || !r.Const {
		return nil
	}
	i := l.col - 1
	b, ok := constValue(r)
	if !ok || b.IsNull() {
		return nil
	}
	lk, rk := l.Type.Kind, r.Type.Kind
	switch {
	case isIntKind(lk) && isIntKind(rk), lk == rk && (lk == row.KindDate || lk == row.KindTime || lk == row.KindBoolean):
		k := b.Int64()
		switch op {
		case "=":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Int64() == k), nil
			}
		case "<>":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Int64() != k), nil
			}
		case "<":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Int64() < k), nil
			}
		case "<=":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Int64() <= k), nil
			}
		case ">":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Int64() > k), nil
			}
		}
		return func(rw *row.Row) (row.Value, error) {
			v := rw.Values[i]
			if v.IsNull() {
				return v, nil
			}
			return boolVal(v.Int64() >= k), nil
		}
	case isApproxKind(lk) && isNumKind(rk) && rk != row.KindDecimal:
		k := b.Float64()
		if isIntKind(rk) {
			k = float64(b.Int64())
		}
		pred := cmpPred(op)
		return func(rw *row.Row) (row.Value, error) {
			v := rw.Values[i]
			if v.IsNull() {
				return v, nil
			}
			return boolVal(pred(cmpFloat(v.Float64(), k))), nil
		}
	case isStrKind(lk) && isStrKind(rk), isBinKind(lk) && isBinKind(rk):
		k := b.Str()
		switch op {
		case "=":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Str() == k), nil
			}
		case "<>":
			return func(rw *row.Row) (row.Value, error) {
				v := rw.Values[i]
				if v.IsNull() {
					return v, nil
				}
				return boolVal(v.Str() != k), nil
			}
		}
		pred := cmpPred(op)
		return func(rw *row.Row) (row.Value, error) {
			v := rw.Values[i]
			if v.IsNull() {
				return v, nil
			}
			return boolVal(pred(strings.Compare(v.Str(), k))), nil
		}
	}
	return nil
}

// ---------------------------------------------------------------- IS DISTINCT FROM

func (c *compiler) isDistinct(n *ast.IsDistinct) (*Compiled, error) {
	l, err := c.expr(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(n.R)
	if err != nil {
		return nil, err
	}
	if l, r, err = c.temporalPair(n, l, r); err != nil {
		return nil, err
	}
	if !comparableTypes(l.Type, r.Type, false) {
		return nil, cannotApply(n, "IS DISTINCT FROM", l.Type, r.Type)
	}
	cmp := comparator(l.Type, r.Type, locOf(c.env))
	not := n.Not
	lf, rf := l.Eval, r.Eval
	f := func(rw *row.Row) (row.Value, error) {
		a, err := lf(rw)
		if err != nil {
			return a, err
		}
		b, err := rf(rw)
		if err != nil {
			return b, err
		}
		var same bool
		switch {
		case a.IsNull() || b.IsNull():
			same = a.IsNull() && b.IsNull()
		default:
			x := cmp(a, b)
			same = x == 0 || x == unordered && row.Equal(a, b) // NaN is not distinct from NaN
		}
		return boolVal(same == not), nil
	}
	return c.node(row.BooleanType.WithNotNull(true), f, l, r), nil
}

// ---------------------------------------------------------------- three-valued helpers

// tv is a three-valued truth: tvFalse, tvTrue or tvNull.
type tv uint8

const (
	tvFalse tv = iota
	tvTrue
	tvNull
)

func tvOf(v row.Value) tv {
	switch {
	case v.IsNull():
		return tvNull
	case v.Bool():
		return tvTrue
	}
	return tvFalse
}

func (t tv) value() row.Value {
	switch t {
	case tvTrue:
		return trueVal
	case tvFalse:
		return falseVal
	}
	return row.Value{}
}

func and3(a, b tv) tv {
	switch {
	case a == tvFalse || b == tvFalse:
		return tvFalse
	case a == tvNull || b == tvNull:
		return tvNull
	}
	return tvTrue
}

func or3(a, b tv) tv {
	switch {
	case a == tvTrue || b == tvTrue:
		return tvTrue
	case a == tvNull || b == tvNull:
		return tvNull
	}
	return tvFalse
}

func not3(a tv) tv {
	switch a {
	case tvTrue:
		return tvFalse
	case tvFalse:
		return tvTrue
	}
	return tvNull
}

// ---------------------------------------------------------------- BETWEEN

// between compiles x [NOT] BETWEEN [SYMMETRIC] lo AND hi as x >= lo AND
// x <= hi (either order when SYMMETRIC), three-valued, x evaluated once.
func (c *compiler) between(n *ast.Between) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	lo, err := c.expr(n.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := c.expr(n.Hi)
	if err != nil {
		return nil, err
	}
	if lo, err = c.temporalOperand(n, x.Type, lo); err != nil {
		return nil, err
	}
	if hi, err = c.temporalOperand(n, x.Type, hi); err != nil {
		return nil, err
	}
	if !comparableTypes(x.Type, lo.Type, true) || !comparableTypes(x.Type, hi.Type, true) {
		return nil, cannotApply(n, "BETWEEN ASYMMETRIC", x.Type, lo.Type, hi.Type)
	}
	t := row.BooleanType.WithNotNull(!nullable(x.Type, lo.Type, hi.Type))
	if x.Type.Kind == row.KindNull {
		return c.constant(row.BooleanType, row.Value{}), nil
	}
	loc := locOf(c.env)
	nullCmp := func(row.Value, row.Value) int { return 0 }
	cl, ch := nullCmp, nullCmp
	if lo.Type.Kind != row.KindNull {
		cl = comparator(x.Type, lo.Type, loc)
	}
	if hi.Type.Kind != row.KindNull {
		ch = comparator(x.Type, hi.Type, loc)
	}
	ge := func(v, b row.Value, cmp cmpFn) tv {
		if b.IsNull() {
			return tvNull
		}
		r := cmp(v, b)
		return boolTV(r == 1 || r == 0)
	}
	le := func(v, b row.Value, cmp cmpFn) tv {
		if b.IsNull() {
			return tvNull
		}
		r := cmp(v, b)
		return boolTV(r == -1 || r == 0)
	}
	xf, lf, hf := x.Eval, lo.Eval, hi.Eval
	sym, not := n.Symmetric, n.Not
	f := func(rw *row.Row) (row.Value, error) {
		v, err := xf(rw)
		if err != nil || v.IsNull() {
			return row.Value{}, err
		}
		a, err := lf(rw)
		if err != nil {
			return a, err
		}
		b, err := hf(rw)
		if err != nil {
			return b, err
		}
		res := and3(ge(v, a, cl), le(v, b, ch))
		if sym {
			res = or3(res, and3(ge(v, b, ch), le(v, a, cl)))
		}
		if not {
			res = not3(res)
		}
		return res.value(), nil
	}
	return c.node(t, f, x, lo, hi), nil
}

func boolTV(b bool) tv {
	if b {
		return tvTrue
	}
	return tvFalse
}

// ---------------------------------------------------------------- IN

// inList compiles x [NOT] IN (e1, ...): TRUE when x equals an element,
// else NULL when x or an element is NULL, else FALSE (NOT IN negates).
// A list of constants becomes a hash set of the values converted to the
// common type of x and the list.
func (c *compiler) inList(n *ast.InList) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	list, err := c.exprs(n.List)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = c.temporalOperand(n, x.Type, list[i]); err != nil {
			return nil, err
		}
	}
	ts := make([]row.Type, 0, len(list)+1)
	ts = append(ts, x.Type)
	for _, e := range list {
		ts = append(ts, e.Type)
	}
	common, ok := CommonType(ts...)
	if !ok {
		return nil, errAt(n, "Values passed to IN operator must have compatible types")
	}
	t := row.BooleanType.WithNotNull(!nullable(ts...))
	if x.Type.Kind == row.KindNull || len(list) == 0 {
		return c.constant(row.BooleanType, row.Value{}), nil
	}
	not := n.Not
	result := func(found, sawNull bool) row.Value {
		switch {
		case found:
			return boolVal(!not)
		case sawNull:
			return row.Value{}
		}
		return boolVal(not)
	}
	if allConst(list) {
		set, err := newValueSet(x.Type, common, list, c)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		hasNull := set.hasNull
		f := unEval(x, func(v row.Value) (row.Value, error) {
			found, err := set.contains(v)
			if err != nil {
				return row.Value{}, err
			}
			return result(found, hasNull), nil
		})
		return c.node(t, f, x), nil
	}
	loc := locOf(c.env)
	cmps := make([]cmpFn, len(list))
	evals := make([]Func, len(list))
	for i, e := range list {
		evals[i] = e.Eval
		if e.Type.Kind != row.KindNull {
			cmps[i] = comparator(x.Type, e.Type, loc)
		}
	}
	xf := x.Eval
	f := func(rw *row.Row) (row.Value, error) {
		v, err := xf(rw)
		if err != nil || v.IsNull() {
			return row.Value{}, err
		}
		sawNull := false
		for i, ef := range evals {
			e, err := ef(rw)
			if err != nil {
				return e, err
			}
			if e.IsNull() {
				sawNull = true
				continue
			}
			if cmps[i](v, e) == 0 {
				return result(true, false), nil
			}
		}
		return result(false, sawNull), nil
	}
	return c.node(t, f, append([]*Compiled{x}, list...)...), nil
}

// valueSet is a set of constant values keyed by their common type.
type valueSet struct {
	hasNull bool
	ints    map[int64]struct{}
	floats  map[float64]struct{}
	strs    map[string]struct{} // strings and bytes, or row.AppendKey of other kinds
	conv    castFn              // x to the common type (keys of other kinds)
	keyed   bool                // strs holds AppendKey keys
}

func newValueSet(xt, common row.Type, list []*Compiled, c *compiler) (*valueSet, error) {
	s := &valueSet{}
	k := common.Kind
	switch {
	case isIntKind(k), k == row.KindBoolean, k == row.KindDate, k == row.KindTime, isIntervalKind(k):
		s.ints = map[int64]struct{}{}
	case isApproxKind(k):
		s.floats = map[float64]struct{}{}
	case isStrKind(k), isBinKind(k):
		s.strs = map[string]struct{}{}
	default:
		s.strs = map[string]struct{}{}
		s.keyed = true
		conv, err := castFunc(xt, common, c.env, true)
		if err != nil {
			return nil, err
		}
		s.conv = conv
	}
	for _, e := range list {
		v, ok := constValue(e)
		if !ok {
			return nil, errAt(nil, "IN list element is not constant")
		}
		if v.IsNull() {
			s.hasNull = true
			continue
		}
		conv, err := castFunc(e.Type, common, c.env, true)
		if err != nil {
			return nil, err
		}
		v, err = conv(v)
		if err != nil {
			return nil, err
		}
		if v.IsNull() {
			s.hasNull = true
			continue
		}
		switch {
		case s.ints != nil:
			s.ints[v.Int64()] = struct{}{}
		case s.floats != nil:
			s.floats[v.Float64()] = struct{}{}
		case s.keyed:
			s.strs[string(row.AppendKey(nil, v))] = struct{}{}
		default:
			s.strs[v.Str()] = struct{}{}
		}
	}
	return s, nil
}

func (s *valueSet) contains(v row.Value) (bool, error) {
	switch {
	case s.ints != nil:
		_, ok := s.ints[v.Int64()]
		return ok, nil
	case s.floats != nil:
		_, ok := s.floats[v.Float64()]
		return ok, nil
	case s.keyed:
		x, err := s.conv(v)
		if err != nil || x.IsNull() {
			return false, err
		}
		var buf [48]byte
		_, ok := s.strs[string(row.AppendKey(buf[:0], x))]
		return ok, nil
	}
	_, ok := s.strs[v.Str()]
	return ok, nil
}
