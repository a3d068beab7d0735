package expr

import (
	"math"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Arithmetic follows Flink: integers combine to the wider operand type
// and wrap on overflow as Java (INT + INT is INT; % takes the divisor's
// type, as Calcite's MOD); an integer divided by zero is an error; a
// DECIMAL operand makes the operation DECIMAL with Flink's result type
// (row.DecimalAddType and friends; integers count as DECIMAL(3/5/10/19,
// 0)), a result beyond the precision is NULL and a zero divisor an
// error; a FLOAT or DOUBLE operand makes it floating point (DOUBLE unless
// both are FLOAT or integers with a FLOAT), and x / 0.0 is Infinity or
// NaN. Dates and timestamps add and subtract intervals.

// binFn computes an operator on two non-NULL values.
type binFn = func(a, b row.Value) (row.Value, error)

// binEval evaluates l and r and applies f unless one is NULL (then the
// result is NULL), reading plain columns and constants directly.
func binEval(l, r *Compiled, f binFn) Func {
	lf, rf := l.Eval, r.Eval
	switch {
	case l.col > 0 && r.col > 0:
		i, j := l.col-1, r.col-1
		return func(rw *row.Row) (row.Value, error) {
			a, b := rw.Values[i], rw.Values[j]
			if a.IsNull() || b.IsNull() {
				return row.Value{}, nil
			}
			return f(a, b)
		}
	case l.col > 0 && r.Const:
		i := l.col - 1
		b, _ := constValue(r)
		if b.IsNull() {
			return nullFunc
		}
		return func(rw *row.Row) (row.Value, error) {
			a := rw.Values[i]
			if a.IsNull() {
				return row.Value{}, nil
			}
			return f(a, b)
		}
	case l.Const && r.col > 0:
		j := r.col - 1
		a, _ := constValue(l)
		if a.IsNull() {
			return nullFunc
		}
		return func(rw *row.Row) (row.Value, error) {
			b := rw.Values[j]
			if b.IsNull() {
				return row.Value{}, nil
			}
			return f(a, b)
		}
	case r.Const && !l.Const:
		b, _ := constValue(r)
		if b.IsNull() {
			return nullFunc
		}
		return func(rw *row.Row) (row.Value, error) {
			a, err := lf(rw)
			if err != nil || a.IsNull() {
				return row.Value{}, err
			}
			return f(a, b)
		}
	}
	return func(rw *row.Row) (row.Value, error) {
		a, err := lf(rw)
		if err != nil || a.IsNull() {
			return row.Value{}, err
		}
		b, err := rf(rw)
		if err != nil || b.IsNull() {
			return row.Value{}, err
		}
		return f(a, b)
	}
}

func nullFunc(*row.Row) (row.Value, error) { return row.Value{}, nil }

// unEval applies f to a non-NULL operand.
func unEval(x *Compiled, f func(row.Value) (row.Value, error)) Func {
	if x.col > 0 {
		i := x.col - 1
		return func(rw *row.Row) (row.Value, error) {
			v := rw.Values[i]
			if v.IsNull() {
				return v, nil
			}
			return f(v)
		}
	}
	g := x.Eval
	return func(rw *row.Row) (row.Value, error) {
		v, err := g(rw)
		if err != nil || v.IsNull() {
			return row.Value{}, err
		}
		return f(v)
	}
}

func (c *compiler) binary(n *ast.Binary) (*Compiled, error) {
	op := strings.ToUpper(n.Op)
	switch op {
	case "AND", "OR":
		return c.logic(n, op)
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if op == "!=" {
			op = "<>"
		}
		return c.comparison(n, op)
	case "||":
		return c.concat(n)
	case "+", "-", "*", "/", "%":
		return c.arith(n, op)
	}
	return nil, errAt(n, "unknown operator %s", n.Op)
}

func (c *compiler) arith(n *ast.Binary, op string) (*Compiled, error) {
	l, err := c.expr(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(n.R)
	if err != nil {
		return nil, err
	}
	lt, rt := l.Type, r.Type
	lk, rk := lt.Kind, rt.Kind
	if lk == row.KindNull || rk == row.KindNull {
		other := lt
		if lk == row.KindNull {
			other = rt
		}
		if other.Kind == row.KindNull {
			return nil, errAt(n, "Illegal use of 'NULL'")
		}
		ok := isNumKind(other.Kind) || isIntervalKind(other.Kind) ||
			(op == "+" || op == "-") && (isDatetimeKind(other.Kind) || other.Kind == row.KindTime)
		if !ok {
			return nil, cannotApply(n, op, lt, rt)
		}
		return c.constant(other.WithNotNull(false), row.Value{}), nil
	}
	if isIntervalKind(lk) || isIntervalKind(rk) || isDatetimeKind(lk) || isDatetimeKind(rk) ||
		lk == row.KindTime || rk == row.KindTime {
		return c.temporalArith(n, op, l, r)
	}
	if !isNumKind(lk) || !isNumKind(rk) {
		return nil, cannotApply(n, op, lt, rt)
	}
	notNull := !nullable(lt, rt)
	var t row.Type
	var f binFn
	switch {
	case isApproxKind(lk) || isApproxKind(rk):
		if lk == row.KindDouble || rk == row.KindDouble || lk == row.KindDecimal || rk == row.KindDecimal {
			t, f = row.DoubleType, doubleArith(op)
		} else {
			t, f = row.FloatType, floatArith(op)
		}
	case lk == row.KindDecimal || rk == row.KindDecimal:
		p1, s1 := decimalPS(lt)
		p2, s2 := decimalPS(rt)
		var p, s int
		switch op {
		case "+", "-":
			p, s = row.DecimalAddType(p1, s1, p2, s2)
		case "*":
			p, s = row.DecimalMulType(p1, s1, p2, s2)
		case "/":
			p, s = row.DecimalDivType(p1, s1, p2, s2)
		case "%":
			p, s = row.DecimalModType(p1, s1, p2, s2)
		}
		t, f = row.DecimalOf(p, s), decimalArith(op, p, s)
	default:
		k := max(lk, rk)
		if op == "%" {
			k = rk // Calcite's MOD: the divisor's type (the remainder fits it)
		}
		t, f = row.Type{Kind: k}, intArith(op, k)
	}
	return c.node(t.WithNotNull(notNull), binEval(l, r, f), l, r), nil
}

func intArith(op string, k row.Kind) binFn {
	big := k == row.KindBigInt
	switch op {
	case "+":
		if big {
			return func(a, b row.Value) (row.Value, error) { return row.BigInt(a.Int64() + b.Int64()), nil }
		}
		return func(a, b row.Value) (row.Value, error) { return intValue(k, a.Int64()+b.Int64()), nil }
	case "-":
		if big {
			return func(a, b row.Value) (row.Value, error) { return row.BigInt(a.Int64() - b.Int64()), nil }
		}
		return func(a, b row.Value) (row.Value, error) { return intValue(k, a.Int64()-b.Int64()), nil }
	case "*":
		if big {
			return func(a, b row.Value) (row.Value, error) { return row.BigInt(a.Int64() * b.Int64()), nil }
		}
		return func(a, b row.Value) (row.Value, error) { return intValue(k, a.Int64()*b.Int64()), nil }
	case "/":
		return func(a, b row.Value) (row.Value, error) {
			d := b.Int64()
			if d == 0 {
				return row.Value{}, errDivByZero
			}
			return intValue(k, a.Int64()/d), nil // MinInt64 / -1 wraps, as Java
		}
	}
	return func(a, b row.Value) (row.Value, error) {
		d := b.Int64()
		if d == 0 {
			return row.Value{}, errDivByZero
		}
		return intValue(k, a.Int64()%d), nil // the dividend's sign, as Java
	}
}

func doubleArith(op string) binFn {
	switch op {
	case "+":
		return func(a, b row.Value) (row.Value, error) { return row.Double(a.Float64() + b.Float64()), nil }
	case "-":
		return func(a, b row.Value) (row.Value, error) { return row.Double(a.Float64() - b.Float64()), nil }
	case "*":
		return func(a, b row.Value) (row.Value, error) { return row.Double(a.Float64() * b.Float64()), nil }
	case "/":
		return func(a, b row.Value) (row.Value, error) { return row.Double(a.Float64() / b.Float64()), nil }
	}
	return func(a, b row.Value) (row.Value, error) { return row.Double(math.Mod(a.Float64(), b.Float64())), nil }
}

// floatArith computes in single precision, as Java's float arithmetic.
func floatArith(op string) binFn {
	f32 := func(v row.Value) float32 {
		if isIntKind(v.Kind()) {
			return float32(v.Int64())
		}
		return float32(v.Float64())
	}
	switch op {
	case "+":
		return func(a, b row.Value) (row.Value, error) { return row.Float(f32(a) + f32(b)), nil }
	case "-":
		return func(a, b row.Value) (row.Value, error) { return row.Float(f32(a) - f32(b)), nil }
	case "*":
		return func(a, b row.Value) (row.Value, error) { return row.Float(f32(a) * f32(b)), nil }
	case "/":
		return func(a, b row.Value) (row.Value, error) { return row.Float(f32(a) / f32(b)), nil }
	}
	return func(a, b row.Value) (row.Value, error) {
		return row.Float(float32(math.Mod(float64(f32(a)), float64(f32(b))))), nil
	}
}

// toDecimal returns an integer or DECIMAL value as a Decimal (integers
// at Flink's DECIMAL precision of their kind).
func toDecimal(v row.Value) row.Decimal {
	if v.Kind() == row.KindDecimal {
		return v.Decimal()
	}
	d, _ := row.DecimalFromInt64(v.Int64(), intDecimalPrecision(v.Kind()), 0)
	return d
}

// decResult returns d as DECIMAL(p, s), NULL when it does not fit.
func decResult(d row.Decimal, ok bool, p, s int) (row.Value, error) {
	if ok && (d.Precision() != p || d.Scale() != s) {
		d, ok = d.Rescale(p, s)
	}
	if !ok {
		return row.Value{}, nil // overflow: NULL, as Flink
	}
	return row.DecimalValue(d), nil
}

func decimalArith(op string, p, s int) binFn {
	switch op {
	case "+":
		return func(a, b row.Value) (row.Value, error) {
			d, ok := toDecimal(a).AddTo(toDecimal(b), p, s)
			return decResult(d, ok, p, s)
		}
	case "-":
		return func(a, b row.Value) (row.Value, error) {
			d, ok := toDecimal(a).SubTo(toDecimal(b), p, s)
			return decResult(d, ok, p, s)
		}
	case "*":
		return func(a, b row.Value) (row.Value, error) {
			d, ok := toDecimal(a).Mul(toDecimal(b))
			return decResult(d, ok, p, s)
		}
	case "/":
		return func(a, b row.Value) (row.Value, error) {
			y := toDecimal(b)
			if y.IsZero() {
				return row.Value{}, errDivByZero
			}
			d, ok := toDecimal(a).DivTo(y, p, s)
			return decResult(d, ok, p, s)
		}
	}
	return func(a, b row.Value) (row.Value, error) {
		y := toDecimal(b)
		if y.IsZero() {
			return row.Value{}, errDivByZero
		}
		d, ok := toDecimal(a).Mod(y)
		return decResult(d, ok, p, s)
	}
}

func (c *compiler) unary(n *ast.Unary) (*Compiled, error) {
	op := strings.ToUpper(n.Op)
	if op == "NOT" {
		return c.not(n)
	}
	if lit, ok := n.X.(*ast.Literal); ok && op == "-" && lit.Kind == ast.IntLit {
		return c.signedIntLiteral(lit, true)
	}
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	t := x.Type
	k := t.Kind
	if k == row.KindNull {
		return nil, errAt(n, "Illegal use of 'NULL'")
	}
	if !isNumKind(k) && !isIntervalKind(k) {
		return nil, cannotApply(n, op, t)
	}
	if op == "+" {
		return x, nil
	}
	if op != "-" {
		return nil, errAt(n, "unknown operator %s", n.Op)
	}
	var f func(row.Value) (row.Value, error)
	switch {
	case isIntKind(k):
		f = func(v row.Value) (row.Value, error) { return intValue(k, -v.Int64()), nil }
	case k == row.KindDecimal:
		f = func(v row.Value) (row.Value, error) { return row.DecimalValue(v.Decimal().Neg()), nil }
	case k == row.KindFloat:
		f = func(v row.Value) (row.Value, error) { return row.Float(-float32(v.Float64())), nil }
	case k == row.KindDouble:
		f = func(v row.Value) (row.Value, error) { return row.Double(-v.Float64()), nil }
	case k == row.KindIntervalYearMonth:
		f = func(v row.Value) (row.Value, error) { return row.IntervalMonths(int32(-v.Int64())), nil }
	default:
		f = func(v row.Value) (row.Value, error) { return row.IntervalMillis(-v.Int64()), nil }
	}
	return c.node(t, unEval(x, f), x), nil
}

// concat compiles ||: strings (or bytes) only, as Calcite; CHAR || CHAR
// is CHAR(n + m), otherwise VARCHAR(n + m).
func (c *compiler) concat(n *ast.Binary) (*Compiled, error) {
	l, err := c.expr(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(n.R)
	if err != nil {
		return nil, err
	}
	lt, rt := l.Type, r.Type
	if lt.Kind == row.KindNull || rt.Kind == row.KindNull {
		other := lt
		if lt.Kind == row.KindNull {
			other = rt
		}
		if other.Kind != row.KindNull && !isStrKind(other.Kind) && !isBinKind(other.Kind) {
			return nil, cannotApply(n, "||", lt, rt)
		}
		if isBinKind(other.Kind) {
			return c.constant(row.BytesType, row.Value{}), nil
		}
		return c.constant(row.StringType, row.Value{}), nil
	}
	length := int64(lt.Precision) + int64(rt.Precision)
	if length > row.MaxLength {
		length = row.MaxLength
	}
	var t row.Type
	switch {
	case isStrKind(lt.Kind) && isStrKind(rt.Kind):
		if lt.Kind == row.KindChar && rt.Kind == row.KindChar {
			t = row.CharOf(int(length))
		} else {
			t = row.VarCharOf(int(length))
		}
		k := t.Kind
		return c.node(t.WithNotNull(!nullable(lt, rt)), binEval(l, r, func(a, b row.Value) (row.Value, error) {
			return strValue(k, a.Str()+b.Str()), nil
		}), l, r), nil
	case isBinKind(lt.Kind) && isBinKind(rt.Kind):
		if lt.Kind == row.KindBinary && rt.Kind == row.KindBinary {
			t = row.BinaryOf(int(length))
		} else {
			t = row.VarBinaryOf(int(length))
		}
		return c.node(t.WithNotNull(!nullable(lt, rt)), binEval(l, r, func(a, b row.Value) (row.Value, error) {
			return row.BytesOf(a.Str() + b.Str()), nil
		}), l, r), nil
	}
	return nil, cannotApply(n, "||", lt, rt)
}

// ---------------------------------------------------------------- date-time

// temporalArith compiles date-time +/- interval, interval +/- interval,
// and interval * or / a number. DATE + INTERVAL is a DATE (a day-time
// interval adds its whole days); a year-month interval adds months to
// the date, clamped to the end of the month (2024-01-31 + 1 month =
// 2024-02-29); TIMESTAMP_LTZ adds months in the session time zone.
func (c *compiler) temporalArith(n *ast.Binary, op string, l, r *Compiled) (*Compiled, error) {
	lt, rt := l.Type, r.Type
	lk, rk := lt.Kind, rt.Kind
	notNull := !nullable(lt, rt)
	isDT := func(k row.Kind) bool { return isDatetimeKind(k) || k == row.KindTime }
	switch {
	case isDT(lk) && isIntervalKind(rk) && (op == "+" || op == "-"):
		f, err := c.datetimePlus(n, lt, rt, op == "-", false)
		if err != nil {
			return nil, err
		}
		return c.node(lt.WithNotNull(notNull), binEval(l, r, f), l, r), nil
	case isIntervalKind(lk) && isDT(rk) && op == "+":
		f, err := c.datetimePlus(n, rt, lt, false, true)
		if err != nil {
			return nil, err
		}
		return c.node(rt.WithNotNull(notNull), binEval(l, r, f), l, r), nil
	case isIntervalKind(lk) && lk == rk && (op == "+" || op == "-"):
		t, _ := CommonType(lt, rt)
		neg := op == "-"
		ym := lk == row.KindIntervalYearMonth
		return c.node(t.WithNotNull(notNull), binEval(l, r, func(a, b row.Value) (row.Value, error) {
			y := b.Int64()
			if neg {
				y = -y
			}
			if ym {
				return row.IntervalMonths(int32(a.Int64() + y)), nil
			}
			return row.IntervalMillis(a.Int64() + y), nil
		}), l, r), nil
	case isIntervalKind(lk) && isNumKind(rk) && (op == "*" || op == "/"),
		isNumKind(lk) && isIntervalKind(rk) && op == "*":
		it, nt := lt, rt
		swap := false
		if isNumKind(lk) {
			it, nt, swap = rt, lt, true
		}
		ym := it.Kind == row.KindIntervalYearMonth
		div := op == "/"
		exact := isIntKind(nt.Kind)
		mk := func(x int64) row.Value {
			if ym {
				return row.IntervalMonths(int32(x))
			}
			return row.IntervalMillis(x)
		}
		return c.node(it.WithNotNull(notNull), binEval(l, r, func(a, b row.Value) (row.Value, error) {
			iv, nv := a, b
			if swap {
				iv, nv = b, a
			}
			if exact {
				m := nv.Int64()
				if div {
					if m == 0 {
						return row.Value{}, errDivByZero
					}
					return mk(iv.Int64() / m), nil
				}
				return mk(iv.Int64() * m), nil
			}
			m := nv.Float64()
			if div {
				if m == 0 {
					return row.Value{}, errDivByZero
				}
				return mk(int64(float64(iv.Int64()) / m)), nil
			}
			return mk(int64(float64(iv.Int64()) * m)), nil
		}), l, r), nil
	case isDT(lk) && isDT(rk) && op == "-":
		return nil, errAt(n, "Cannot apply '-' to arguments of type '%s - %s': use TIMESTAMPDIFF(unit, t1, t2) for the difference of two date-times", typeArg(lt), typeArg(rt))
	}
	return nil, cannotApply(n, op, lt, rt)
}

// datetimePlus returns dt + iv (dt - iv when neg) for a date-time of type
// dt and an interval of type it; swapped when the interval is the left
// operand.
func (c *compiler) datetimePlus(n ast.Node, dt, it row.Type, neg, swapped bool) (binFn, error) {
	ym := it.Kind == row.KindIntervalYearMonth
	var f func(v row.Value, d int64) row.Value
	switch dt.Kind {
	case row.KindDate:
		if ym {
			f = func(v row.Value, m int64) row.Value { return row.Date(int32(addMonthsDays(int64(v.Days()), m))) }
		} else {
			f = func(v row.Value, ms int64) row.Value { return row.Date(v.Days() + int32(ms/row.MillisPerDay)) }
		}
	case row.KindTime:
		if ym {
			return nil, errAt(n, "Cannot apply '+' to arguments of type '%s + %s'", typeArg(dt), typeArg(it))
		}
		f = func(v row.Value, ms int64) row.Value {
			ns := (v.Int64() + (ms%row.MillisPerDay)*row.NanosPerMilli) % row.NanosPerDay
			if ns < 0 {
				ns += row.NanosPerDay
			}
			return row.Time(ns)
		}
	case row.KindTimestamp:
		if ym {
			f = func(v row.Value, m int64) row.Value {
				return row.Timestamp(addMonthsMillis(v.Millis(), m), v.NanosOfMilli())
			}
		} else {
			f = func(v row.Value, ms int64) row.Value { return row.Timestamp(v.Millis()+ms, v.NanosOfMilli()) }
		}
	case row.KindTimestampLTZ:
		if ym {
			// Months go onto the instant's UTC date: Flink's ADD_MONTHS
			// on the epoch milliseconds, whatever the session zone.
			f = func(v row.Value, m int64) row.Value {
				return row.TimestampLTZ(addMonthsMillis(v.Millis(), m), v.NanosOfMilli())
			}
		} else {
			f = func(v row.Value, ms int64) row.Value { return row.TimestampLTZ(v.Millis()+ms, v.NanosOfMilli()) }
		}
	}
	if swapped {
		return func(a, b row.Value) (row.Value, error) { return f(b, a.Int64()), nil }, nil
	}
	if neg {
		return func(a, b row.Value) (row.Value, error) { return f(a, -b.Int64()), nil }, nil
	}
	return func(a, b row.Value) (row.Value, error) { return f(a, b.Int64()), nil }, nil
}

// addMonthsDays adds months to a date, clamping the day to the month's
// last (Jan 31 + 1 month = Feb 28/29), as java.time's plusMonths.
func addMonthsDays(days, months int64) int64 {
	y, m, d := row.CivilFromDays(days)
	total := int64(y)*12 + int64(m-1) + months
	ny := floorDiv(total, 12)
	nm := int(total-ny*12) + 1
	d = min(d, daysInMonth(int(ny), nm))
	return row.DaysFromCivil(int(ny), nm, d)
}

// addMonthsMillis adds months to a wall-clock timestamp's date, keeping
// its time of day.
func addMonthsMillis(ms, months int64) int64 {
	days := floorDiv(ms, row.MillisPerDay)
	return addMonthsDays(days, months)*row.MillisPerDay + (ms - days*row.MillisPerDay)
}
