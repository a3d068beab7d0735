package expr

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// CAST and TRY_CAST follow Flink 1.15+ (table.exec.legacy-cast-behaviour
// disabled, Flink's default):
//
//   - a string that is not a value of the target type is an error for
//     CAST (the row is dead-lettered) and NULL for TRY_CAST; strings are
//     trimmed first; '1.9' casts to the INT 1 (Flink truncates a fraction);
//     an integer out of the target's range is an error;
//   - numbers convert as Java does: integers narrow by wrapping
//     (CAST(300 AS TINYINT) = 44), DOUBLE to an integer truncates toward
//     zero and saturates (NaN is 0), to DECIMAL rounds HALF_UP and a value
//     that does not fit the precision is NULL (a NaN or infinite DOUBLE is
//     an error); DECIMAL to an integer truncates;
//   - BOOLEAN <-> integers and DECIMAL (1 / 0); strings 'true', 't',
//     'yes', 'y', '1' and 'false', 'f', 'no', 'n', '0' (any case) to
//     BOOLEAN; BOOLEAN to string is 'TRUE' / 'FALSE';
//   - to CHAR(n) / VARCHAR(n) / BINARY(n) / VARBINARY(n) the value is
//     truncated to n characters (bytes), CHAR and BINARY padded to n;
//   - numbers print as Java does (DOUBLE 1.0E10, 0.001, 100.0; DECIMAL
//     with its scale), DATE 'yyyy-MM-dd', TIME(p) and TIMESTAMP(p) with
//     exactly p fraction digits, TIMESTAMP_LTZ in the session time zone;
//     ARRAY [a, b], MAP {k=v}, ROW (a, b);
//   - DATE, TIME, TIMESTAMP and TIMESTAMP_LTZ convert among themselves
//     (TIMESTAMP <-> TIMESTAMP_LTZ in the session time zone); numbers do
//     not convert to timestamps (TO_TIMESTAMP_LTZ does that), as Flink;
//   - single-field intervals <-> exact numbers in the field's unit;
//   - ARRAY, MAP, MULTISET and ROW element by element.

// castFn converts one value; NULL converts to NULL.
type castFn = func(row.Value) (row.Value, error)

// CastFunc returns the conversion of CAST(x AS to) (TRY_CAST when try:
// a failing conversion gives NULL) for values of type from. It is shared
// by CAST and Coerce. The error reports a pair of types Flink cannot
// cast between.
func CastFunc(from, to row.Type, try bool, env *function.Env) (func(row.Value) (row.Value, error), error) {
	f, err := castFunc(from, to, env, false)
	if err != nil {
		return nil, err
	}
	if try {
		return tryWrap(f), nil
	}
	return f, nil
}

func tryWrap(f castFn) castFn {
	return func(v row.Value) (row.Value, error) {
		out, err := f(v)
		if err != nil {
			return row.Value{}, nil
		}
		return out, nil
	}
}

// Coerce converts c implicitly to type to: an INSERT INTO column, a
// UNION branch, a CASE branch. Only Flink's implicit casts are allowed
// (widening; see implicitCast), otherwise it is an *Error. Strings are
// not truncated to the target's length (Flink's sink length enforcer is
// off by default). The result has type to, nullable if c is.
func Coerce(c *Compiled, to row.Type) (*Compiled, error) {
	out, err := coerce(c, to)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return out, nil
}

func coerce(c *Compiled, to row.Type) (*Compiled, error) {
	rt := to
	if nullable(c.Type) {
		rt = to.WithNotNull(false)
	}
	if sameType(c.Type, to) {
		cp := *c
		cp.Type = rt
		return &cp, nil
	}
	if !implicitCast(c.Type, to) {
		return nil, fmt.Errorf("cannot implicitly cast %s to %s", c.Type, to)
	}
	f, err := castFunc(c.Type, to, c.env, true)
	if err != nil {
		return nil, err
	}
	return applyCast(c, rt, f), nil
}

// applyCast returns f applied to c's value, folded when c is constant.
func applyCast(c *Compiled, t row.Type, f castFn) *Compiled {
	if v, ok := constValue(c); ok {
		if out, err := f(v); err == nil {
			return constOf(t, out, c.env)
		}
	}
	var eval Func
	if c.col > 0 {
		i := c.col - 1
		eval = func(r *row.Row) (row.Value, error) { return f(r.Values[i]) }
	} else {
		g := c.Eval
		eval = func(r *row.Row) (row.Value, error) {
			v, err := g(r)
			if err != nil {
				return v, err
			}
			return f(v)
		}
	}
	return &Compiled{Type: t, Eval: eval, env: c.env}
}

// cast compiles CAST / TRY_CAST.
func (c *compiler) cast(n *ast.Cast) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	to := n.Type
	if err := to.ValidateDeclared(); err != nil {
		return nil, errAt(n, "invalid type %s: %v", to, err)
	}
	f, err := castFunc(x.Type, to, c.env, false)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	// As Flink, CAST keeps the operand's nullability (a DECIMAL overflow
	// still yields NULL); TRY_CAST is nullable.
	notNull := x.Type.NotNull && !n.Try
	if n.Try {
		f = tryWrap(f)
	}
	return applyCast(x, to.WithNotNull(notNull), f), nil
}

func unsupportedCast(from, to row.Type) error {
	return fmt.Errorf("Cast function cannot convert value of type %s to type %s", from.WithNotNull(false), to.WithNotNull(false))
}

// castFunc builds the conversion; implicit skips the length adjustment
// of strings and bytes.
func castFunc(from, to row.Type, env *function.Env, implicit bool) (castFn, error) {
	f, err := castRaw(from, to, env, implicit)
	if err != nil {
		return nil, err
	}
	return func(v row.Value) (row.Value, error) {
		if v.IsNull() {
			return v, nil
		}
		return f(v)
	}, nil
}

// castRaw builds the conversion of non-NULL values.
func castRaw(from, to row.Type, env *function.Env, implicit bool) (castFn, error) {
	fk, tk := from.Kind, to.Kind
	if fk == row.KindNull {
		return func(row.Value) (row.Value, error) { return row.Value{}, nil }, nil
	}
	loc := locOf(env)
	switch {
	case isStrKind(tk):
		return castToString(from, to, loc, implicit)
	case isBinKind(tk):
		var f castFn
		switch {
		case isBinKind(fk), isStrKind(fk):
			f = func(v row.Value) (row.Value, error) { return row.BytesOf(v.Str()), nil }
		default:
			return nil, unsupportedCast(from, to)
		}
		if implicit || to.Precision >= row.MaxLength {
			return f, nil
		}
		n, pad := to.Precision, tk == row.KindBinary
		return func(v row.Value) (row.Value, error) {
			v, _ = f(v)
			s := v.Str()
			switch {
			case len(s) > n:
				return row.BytesOf(s[:n]), nil
			case pad && len(s) < n:
				return row.BytesOf(s + strings.Repeat("\x00", n-len(s))), nil
			}
			return v, nil
		}, nil
	case tk == row.KindBoolean:
		switch {
		case fk == row.KindBoolean:
			return identity, nil
		case isStrKind(fk):
			return func(v row.Value) (row.Value, error) {
				switch strings.ToLower(trimJava(v.Str())) {
				case "t", "true", "y", "yes", "1":
					return row.Bool(true), nil
				case "f", "false", "n", "no", "0":
					return row.Bool(false), nil
				}
				return row.Value{}, fmt.Errorf("Cannot parse '%s' as BOOLEAN", v.Str())
			}, nil
		case isIntKind(fk):
			return func(v row.Value) (row.Value, error) { return row.Bool(v.Int64() != 0), nil }, nil
		}
	case isIntKind(tk):
		return castToInt(from, to)
	case tk == row.KindDecimal:
		return castToDecimal(from, to)
	case tk == row.KindFloat || tk == row.KindDouble:
		return castToFloat(from, to)
	case tk == row.KindDate, tk == row.KindTime, isTSKind(tk):
		return castToTemporal(from, to, loc)
	case isIntervalKind(tk):
		switch {
		case fk == tk:
			return identity, nil
		case isExactKind(fk):
			unit, ok := intervalUnit(to)
			if !ok {
				break
			}
			toInt, err := castToInt(from, row.BigIntType)
			if err != nil {
				return nil, err
			}
			return func(v row.Value) (row.Value, error) {
				n, err := toInt(v)
				if err != nil {
					return n, err
				}
				if tk == row.KindIntervalYearMonth {
					return row.IntervalMonths(int32(n.Int64() * unit)), nil
				}
				return row.IntervalMillis(n.Int64() * unit), nil
			}, nil
		}
	case tk == row.KindArray || tk == row.KindMultiset:
		if fk != tk || from.Elem == nil || to.Elem == nil {
			break
		}
		ef, err := castFunc(*from.Elem, *to.Elem, env, implicit)
		if err != nil {
			return nil, err
		}
		if sameType(*from.Elem, *to.Elem) {
			return identity, nil
		}
		return func(v row.Value) (row.Value, error) {
			in := v.Elems()
			out := make([]row.Value, len(in))
			for i, e := range in {
				x, err := ef(e)
				if err != nil {
					return row.Value{}, err
				}
				out[i] = x
			}
			if tk == row.KindArray {
				return row.Array(out), nil
			}
			return row.Multiset(out), nil
		}, nil
	case tk == row.KindMap:
		if fk != tk || from.Key == nil || to.Key == nil || from.Elem == nil || to.Elem == nil {
			break
		}
		kf, err := castFunc(*from.Key, *to.Key, env, implicit)
		if err != nil {
			return nil, err
		}
		vf, err := castFunc(*from.Elem, *to.Elem, env, implicit)
		if err != nil {
			return nil, err
		}
		if sameType(*from.Key, *to.Key) && sameType(*from.Elem, *to.Elem) {
			return identity, nil
		}
		return func(v row.Value) (row.Value, error) {
			in := v.Elems()
			out := make([]row.Value, len(in))
			for i := 0; i+1 < len(in); i += 2 {
				k, err := kf(in[i])
				if err != nil {
					return row.Value{}, err
				}
				x, err := vf(in[i+1])
				if err != nil {
					return row.Value{}, err
				}
				out[i], out[i+1] = k, x
			}
			return row.MapEntries(out), nil
		}, nil
	case tk == row.KindRow:
		if fk != tk || len(from.Fields) != len(to.Fields) {
			break
		}
		fs := make([]castFn, len(to.Fields))
		same := true
		for i := range fs {
			f, err := castFunc(from.Fields[i].Type, to.Fields[i].Type, env, implicit)
			if err != nil {
				return nil, err
			}
			fs[i] = f
			same = same && sameType(from.Fields[i].Type, to.Fields[i].Type)
		}
		if same {
			return identity, nil
		}
		return func(v row.Value) (row.Value, error) {
			in := v.Elems()
			out := make([]row.Value, len(fs))
			for i, f := range fs {
				if i >= len(in) {
					break
				}
				x, err := f(in[i])
				if err != nil {
					return row.Value{}, err
				}
				out[i] = x
			}
			return row.Struct(out), nil
		}, nil
	}
	return nil, unsupportedCast(from, to)
}

func identity(v row.Value) (row.Value, error) { return v, nil }

// intervalUnit is the unit of a single-field interval type: months or
// milliseconds per field unit.
func intervalUnit(t row.Type) (int64, bool) {
	switch t.Res {
	case row.ResYear:
		return 12, true
	case row.ResMonth:
		return 1, true
	case row.ResDay:
		return row.MillisPerDay, true
	case row.ResHour:
		return 3_600_000, true
	case row.ResMinute:
		return 60_000, true
	case row.ResSecond:
		return 1000, true
	}
	return 0, false
}

// trimJava drops leading and trailing characters <= ' ', as Java's trim.
func trimJava(s string) string {
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// ---------------------------------------------------------------- to strings

func strValue(k row.Kind, s string) row.Value {
	if k == row.KindChar {
		return row.Char(s)
	}
	return row.String(s)
}

func castToString(from, to row.Type, loc *time.Location, implicit bool) (castFn, error) {
	tk := to.Kind
	var f castFn
	switch fk := from.Kind; {
	case isStrKind(fk):
		if fk == tk {
			f = identity
		} else {
			f = func(v row.Value) (row.Value, error) { return strValue(tk, v.Str()), nil }
		}
	case isBinKind(fk):
		if implicit {
			return nil, unsupportedCast(from, to)
		}
		f = func(v row.Value) (row.Value, error) {
			return strValue(tk, strings.ToValidUTF8(v.Str(), "\uFFFD")), nil
		}
	default:
		app, err := textAppender(from, loc)
		if err != nil {
			return nil, unsupportedCast(from, to)
		}
		f = func(v row.Value) (row.Value, error) {
			var buf [64]byte
			return strValue(tk, string(app(buf[:0], v))), nil
		}
	}
	if implicit || to.Precision >= row.MaxLength {
		return f, nil
	}
	n, pad := to.Precision, tk == row.KindChar
	return func(v row.Value) (row.Value, error) {
		v, err := f(v)
		if err != nil {
			return v, err
		}
		s := v.Str()
		if len(s) <= n && !pad {
			return v, nil // fewer bytes than n: fewer characters too
		}
		cnt := utf8.RuneCountInString(s)
		switch {
		case cnt > n:
			i, k := 0, 0
			for k < n {
				_, size := utf8.DecodeRuneInString(s[i:])
				i += size
				k++
			}
			return strValue(tk, s[:i]), nil
		case pad && cnt < n:
			return strValue(tk, s+strings.Repeat(" ", n-cnt)), nil
		}
		return v, nil
	}, nil
}

// textAppender returns how a value of type t prints in CAST(x AS STRING).
func textAppender(t row.Type, loc *time.Location) (func([]byte, row.Value) []byte, error) {
	switch k := t.Kind; {
	case k == row.KindBoolean:
		return func(dst []byte, v row.Value) []byte {
			if v.Bool() {
				return append(dst, "TRUE"...)
			}
			return append(dst, "FALSE"...)
		}, nil
	case isIntKind(k):
		return func(dst []byte, v row.Value) []byte { return strconv.AppendInt(dst, v.Int64(), 10) }, nil
	case k == row.KindFloat:
		return func(dst []byte, v row.Value) []byte { return appendJavaFloat(dst, v.Float64(), 32) }, nil
	case k == row.KindDouble:
		return func(dst []byte, v row.Value) []byte { return appendJavaFloat(dst, v.Float64(), 64) }, nil
	case k == row.KindDecimal:
		return func(dst []byte, v row.Value) []byte { return v.Decimal().Append(dst) }, nil
	case isStrKind(k):
		return func(dst []byte, v row.Value) []byte { return append(dst, v.Str()...) }, nil
	case isBinKind(k):
		return func(dst []byte, v row.Value) []byte { return append(dst, strings.ToValidUTF8(v.Str(), "\uFFFD")...) }, nil
	case k == row.KindDate:
		return func(dst []byte, v row.Value) []byte { return row.AppendDate(dst, v.Days()) }, nil
	case k == row.KindTime:
		p := t.Precision
		return func(dst []byte, v row.Value) []byte { return row.AppendTime(dst, v.Int64(), p) }, nil
	case k == row.KindTimestamp:
		p := t.Precision
		return func(dst []byte, v row.Value) []byte {
			return row.AppendTimestamp(dst, v.Millis(), v.NanosOfMilli(), p)
		}, nil
	case k == row.KindTimestampLTZ:
		p := t.Precision
		return func(dst []byte, v row.Value) []byte {
			return row.AppendTimestamp(dst, row.InstantToLocal(v.Millis(), loc), v.NanosOfMilli(), p)
		}, nil
	case isIntervalKind(k):
		return func(dst []byte, v row.Value) []byte { return v.AppendText(dst) }, nil
	case k == row.KindArray || k == row.KindMultiset:
		if t.Elem == nil {
			break
		}
		ea, err := textAppender(*t.Elem, loc)
		if err != nil {
			return nil, err
		}
		if k == row.KindMultiset {
			// Flink prints a MULTISET as a map of element to count.
			return func(dst []byte, v row.Value) []byte {
				es := v.Elems()
				counted := make([]bool, len(es))
				dst = append(dst, '{')
				first := true
				for i, e := range es {
					if counted[i] {
						continue
					}
					n := 0
					for j := i; j < len(es); j++ {
						if !counted[j] && row.Equal(es[j], e) {
							counted[j] = true
							n++
						}
					}
					if !first {
						dst = append(dst, ", "...)
					}
					first = false
					dst = appendElem(dst, e, ea)
					dst = append(dst, '=')
					dst = strconv.AppendInt(dst, int64(n), 10)
				}
				return append(dst, '}')
			}, nil
		}
		return func(dst []byte, v row.Value) []byte {
			dst = append(dst, '[')
			for i, e := range v.Elems() {
				if i > 0 {
					dst = append(dst, ", "...)
				}
				dst = appendElem(dst, e, ea)
			}
			return append(dst, ']')
		}, nil
	case k == row.KindMap:
		if t.Key == nil || t.Elem == nil {
			break
		}
		ka, err := textAppender(*t.Key, loc)
		if err != nil {
			return nil, err
		}
		va, err := textAppender(*t.Elem, loc)
		if err != nil {
			return nil, err
		}
		return func(dst []byte, v row.Value) []byte {
			dst = append(dst, '{')
			kv := v.Elems()
			for i := 0; i+1 < len(kv); i += 2 {
				if i > 0 {
					dst = append(dst, ", "...)
				}
				dst = appendElem(dst, kv[i], ka)
				dst = append(dst, '=')
				dst = appendElem(dst, kv[i+1], va)
			}
			return append(dst, '}')
		}, nil
	case k == row.KindRow:
		fas := make([]func([]byte, row.Value) []byte, len(t.Fields))
		for i, f := range t.Fields {
			a, err := textAppender(f.Type, loc)
			if err != nil {
				return nil, err
			}
			fas[i] = a
		}
		return func(dst []byte, v row.Value) []byte {
			dst = append(dst, '(')
			for i, e := range v.Elems() {
				if i > 0 {
					dst = append(dst, ", "...)
				}
				if i < len(fas) {
					dst = appendElem(dst, e, fas[i])
				}
			}
			return append(dst, ')')
		}, nil
	}
	return nil, errors.New("no text form")
}

func appendElem(dst []byte, v row.Value, a func([]byte, row.Value) []byte) []byte {
	if v.IsNull() {
		return append(dst, "NULL"...)
	}
	return a(dst, v)
}

// appendJavaFloat appends f as Java's Double.toString (bitSize 64) or
// Float.toString (32) prints it: the shortest digits that read back,
// plain for 1e-3 <= |f| < 1e7 with at least one fraction digit (100.0),
// else computerized scientific notation (1.0E10, 1.5E-5).
func appendJavaFloat(dst []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if bitSize == 32 {
		f = float64(float32(f))
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, bitSize)
		for _, ch := range dst[start:] {
			if ch == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'E', -1, bitSize) // 1.5E+07, 1E-05
	e := 0
	for e < len(s) && s[e] != 'E' {
		e++
	}
	mant, exp := s[:e], s[e+1:]
	dst = append(dst, mant...)
	hasDot := false
	for _, ch := range mant {
		if ch == '.' {
			hasDot = true
		}
	}
	if !hasDot {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}

// ---------------------------------------------------------------- to numbers

// intValue returns x narrowed (wrapping, as Java) to integer kind k.
func intValue(k row.Kind, x int64) row.Value {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(x))
	case row.KindSmallInt:
		return row.SmallInt(int16(x))
	case row.KindInt:
		return row.Int(int32(x))
	}
	return row.BigInt(x)
}

func intBits(k row.Kind) int {
	switch k {
	case row.KindTinyInt:
		return 8
	case row.KindSmallInt:
		return 16
	case row.KindInt:
		return 32
	}
	return 64
}

// javaF2I converts a double to integer kind k as Java's (byte) / (short)
// / (int) / (long) casts: truncation toward zero, saturation at the int
// (long) range, NaN to 0, then narrowing by wrapping.
func javaF2I(k row.Kind, f float64) int64 {
	if f != f {
		return 0
	}
	if k == row.KindBigInt {
		switch {
		case f >= 9.223372036854775807e18:
			return math.MaxInt64
		case f <= -9.223372036854775808e18:
			return math.MinInt64
		}
		return int64(f)
	}
	var i int32
	switch {
	case f >= 2147483647:
		i = math.MaxInt32
	case f <= -2147483648:
		i = math.MinInt32
	default:
		i = int32(f)
	}
	return intValue(k, int64(i)).Int64()
}

func castToInt(from, to row.Type) (castFn, error) {
	tk := to.Kind
	switch fk := from.Kind; {
	case isIntKind(fk):
		if fk <= tk {
			if fk == tk {
				return identity, nil
			}
			return func(v row.Value) (row.Value, error) { return intValue(tk, v.Int64()), nil }, nil
		}
		return func(v row.Value) (row.Value, error) { return intValue(tk, v.Int64()), nil }, nil
	case fk == row.KindDecimal:
		return func(v row.Value) (row.Value, error) {
			n, _ := v.Decimal().Int64() // beyond int64: the low 64 bits, as BigDecimal.longValue
			return intValue(tk, n), nil
		}, nil
	case isApproxKind(fk):
		return func(v row.Value) (row.Value, error) { return intValue(tk, javaF2I(tk, v.Float64())), nil }, nil
	case fk == row.KindBoolean:
		return func(v row.Value) (row.Value, error) { return intValue(tk, v.Int64()), nil }, nil
	case isStrKind(fk):
		bits := intBits(tk)
		return func(v row.Value) (row.Value, error) {
			n, err := parseIntFlink(v.Str(), bits)
			if err != nil {
				return row.Value{}, fmt.Errorf("Cannot cast '%s' to %s: %v", v.Str(), tk, err)
			}
			return intValue(tk, n), nil
		}, nil
	case isIntervalKind(fk):
		unit, ok := intervalUnit(from)
		if !ok {
			break
		}
		return func(v row.Value) (row.Value, error) { return intValue(tk, v.Int64()/unit), nil }, nil
	}
	return nil, unsupportedCast(from, to)
}

var (
	errEmptyNumber = errors.New("empty input")
	errBadChar     = errors.New("invalid character found")
	errOverflow    = errors.New("overflow")
)

// parseIntFlink parses an integer as Flink's BinaryStringDataUtil.toLong
// after trimming: an optional sign, digits, and an optional fraction that
// is checked and dropped ('1.9' is 1); out of range for bits is an error.
func parseIntFlink(s string, bits int) (int64, error) {
	s = trimJava(s)
	if s == "" {
		return 0, errEmptyNumber
	}
	i := 0
	neg := s[0] == '-'
	if neg || s[0] == '+' {
		i++
	}
	digits := 0
	var u uint64
	for ; i < len(s) && s[i] != '.'; i++ {
		ch := s[i]
		if ch < '0' || ch > '9' {
			return 0, errBadChar
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, errOverflow
		}
		u = u*10 + uint64(ch-'0')
		digits++
	}
	if i < len(s) { // the '.'
		for i++; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, errBadChar
			}
			digits++
		}
	}
	if digits == 0 {
		return 0, errBadChar
	}
	limit := uint64(1) << (bits - 1) // |min|
	if neg {
		if u > limit {
			return 0, errOverflow
		}
		return -int64(u), nil // u == limit: -2^(bits-1), exact in int64
	}
	if u >= limit {
		return 0, errOverflow
	}
	return int64(u), nil
}

// parseFloatJava parses a number as Java's Double.parseDouble: trimmed,
// an optional d/f suffix, NaN and [+-]Infinity spelled exactly.
func parseFloatJava(s string) (float64, bool) {
	s = trimJava(s)
	if n := len(s); n > 1 && strings.IndexByte("dDfF", s[n-1]) >= 0 && s[n-2] != 'x' && s[n-2] != 'X' {
		if !strings.ContainsAny(s, "xX") {
			s = s[:n-1]
		}
	}
	body := strings.TrimLeft(s, "+-")
	if body == "" || strings.ContainsRune(s, '_') {
		return 0, false
	}
	if c := body[0]; c < '0' || c > '9' {
		if c != '.' && body != "NaN" && body != "Infinity" {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

func castToDecimal(from, to row.Type) (castFn, error) {
	p, s := to.Precision, to.Scale
	switch fk := from.Kind; {
	case fk == row.KindDecimal:
		if from.Precision == p && from.Scale == s {
			return identity, nil
		}
		return func(v row.Value) (row.Value, error) {
			d, ok := v.Decimal().Rescale(p, s)
			if !ok {
				return row.Value{}, nil // overflow: NULL, as Flink
			}
			return row.DecimalValue(d), nil
		}, nil
	case isIntKind(fk), fk == row.KindBoolean:
		return func(v row.Value) (row.Value, error) {
			d, ok := row.DecimalFromInt64(v.Int64(), p, s)
			if !ok {
				return row.Value{}, nil
			}
			return row.DecimalValue(d), nil
		}, nil
	case isApproxKind(fk):
		return func(v row.Value) (row.Value, error) {
			f := v.Float64()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return row.Value{}, fmt.Errorf("Cannot cast %s to %s", strconv.FormatFloat(f, 'g', -1, 64), to.WithNotNull(false))
			}
			d, ok := row.DecimalFromFloat(f, p, s)
			if !ok {
				return row.Value{}, nil
			}
			return row.DecimalValue(d), nil
		}, nil
	case isStrKind(fk):
		return func(v row.Value) (row.Value, error) {
			d, err := row.ParseDecimal(v.Str(), p, s)
			if err != nil {
				return row.Value{}, fmt.Errorf("Cannot cast '%s' to %s: %v", v.Str(), to.WithNotNull(false), err)
			}
			return row.DecimalValue(d), nil
		}, nil
	case isIntervalKind(fk):
		unit, ok := intervalUnit(from)
		if !ok {
			break
		}
		return func(v row.Value) (row.Value, error) {
			d, ok := row.DecimalFromInt64(v.Int64()/unit, p, s)
			if !ok {
				return row.Value{}, nil
			}
			return row.DecimalValue(d), nil
		}, nil
	}
	return nil, unsupportedCast(from, to)
}

func castToFloat(from, to row.Type) (castFn, error) {
	dbl := to.Kind == row.KindDouble
	mk := func(f float64) row.Value {
		if dbl {
			return row.Double(f)
		}
		return row.Float(float32(f))
	}
	switch fk := from.Kind; {
	case fk == to.Kind:
		return identity, nil
	case isIntKind(fk), fk == row.KindBoolean:
		if dbl {
			return func(v row.Value) (row.Value, error) { return row.Double(float64(v.Int64())), nil }, nil
		}
		return func(v row.Value) (row.Value, error) { return row.Float(float32(v.Int64())), nil }, nil
	case fk == row.KindDecimal, isApproxKind(fk):
		return func(v row.Value) (row.Value, error) { return mk(v.Float64()), nil }, nil
	case isStrKind(fk):
		return func(v row.Value) (row.Value, error) {
			f, ok := parseFloatJava(v.Str())
			if !ok {
				return row.Value{}, fmt.Errorf("Cannot cast '%s' to %s", v.Str(), to.Kind)
			}
			return mk(f), nil
		}, nil
	}
	return nil, unsupportedCast(from, to)
}

// ---------------------------------------------------------------- temporal

func castToTemporal(from, to row.Type, loc *time.Location) (castFn, error) {
	fk, tk := from.Kind, to.Kind
	p := to.Precision
	// Every source first becomes a wall-clock (local) timestamp, or an
	// instant for TIMESTAMP_LTZ, then the target takes its part.
	switch {
	case isStrKind(fk):
		switch tk {
		case row.KindDate:
			return func(v row.Value) (row.Value, error) {
				d, ok := parseDateLenient(v.Str())
				if !ok {
					return row.Value{}, fmt.Errorf("Cannot cast '%s' to DATE", v.Str())
				}
				return row.Date(d), nil
			}, nil
		case row.KindTime:
			return func(v row.Value) (row.Value, error) {
				t, ok := parseTimeLenient(v.Str())
				if !ok {
					return row.Value{}, fmt.Errorf("Cannot cast '%s' to TIME", v.Str())
				}
				return row.Time(row.TruncateTime(t, p)), nil
			}, nil
		case row.KindTimestamp:
			return func(v row.Value) (row.Value, error) {
				ms, ns, ok := parseTimestampLenient(v.Str())
				if !ok {
					return row.Value{}, fmt.Errorf("Cannot cast '%s' to TIMESTAMP", v.Str())
				}
				ms, ns = row.TruncateTimestamp(ms, ns, p)
				return row.Timestamp(ms, ns), nil
			}, nil
		case row.KindTimestampLTZ:
			return func(v row.Value) (row.Value, error) {
				ms, ns, err := parseLTZ(v.Str(), loc)
				if err != nil {
					return row.Value{}, fmt.Errorf("Cannot cast '%s' to TIMESTAMP_LTZ", v.Str())
				}
				ms, ns = row.TruncateTimestamp(ms, ns, p)
				return row.TimestampLTZ(ms, ns), nil
			}, nil
		}
	case fk == row.KindDate:
		switch tk {
		case row.KindDate:
			return identity, nil
		case row.KindTimestamp:
			return func(v row.Value) (row.Value, error) {
				return row.Timestamp(int64(v.Days())*row.MillisPerDay, 0), nil
			}, nil
		case row.KindTimestampLTZ:
			return func(v row.Value) (row.Value, error) {
				return row.TimestampLTZ(row.LocalToInstant(int64(v.Days())*row.MillisPerDay, loc), 0), nil
			}, nil
		}
	case fk == row.KindTime:
		switch tk {
		case row.KindTime:
			if p >= from.Precision {
				return identity, nil
			}
			return func(v row.Value) (row.Value, error) { return row.Time(row.TruncateTime(v.Int64(), p)), nil }, nil
		case row.KindTimestamp, row.KindTimestampLTZ:
			return func(v row.Value) (row.Value, error) {
				ns := row.TruncateTime(v.Int64(), p)
				ms, sub := ns/row.NanosPerMilli, int32(ns%row.NanosPerMilli)
				if tk == row.KindTimestamp {
					return row.Timestamp(ms, sub), nil
				}
				return row.TimestampLTZ(row.LocalToInstant(ms, loc), sub), nil
			}, nil
		}
	case isTSKind(fk):
		ltz := fk == row.KindTimestampLTZ
		local := func(v row.Value) int64 {
			if ltz {
				return row.InstantToLocal(v.Millis(), loc)
			}
			return v.Millis()
		}
		switch tk {
		case row.KindDate:
			return func(v row.Value) (row.Value, error) {
				return row.Date(int32(floorDiv(local(v), row.MillisPerDay))), nil
			}, nil
		case row.KindTime:
			return func(v row.Value) (row.Value, error) {
				ms := local(v)
				nod := (ms-floorDiv(ms, row.MillisPerDay)*row.MillisPerDay)*row.NanosPerMilli + int64(v.NanosOfMilli())
				return row.Time(row.TruncateTime(nod, p)), nil
			}, nil
		case row.KindTimestamp:
			return func(v row.Value) (row.Value, error) {
				ms, ns := row.TruncateTimestamp(local(v), v.NanosOfMilli(), p)
				return row.Timestamp(ms, ns), nil
			}, nil
		case row.KindTimestampLTZ:
			if ltz {
				return func(v row.Value) (row.Value, error) {
					ms, ns := row.TruncateTimestamp(v.Millis(), v.NanosOfMilli(), p)
					return row.TimestampLTZ(ms, ns), nil
				}, nil
			}
			return func(v row.Value) (row.Value, error) {
				ms, ns := row.TruncateTimestamp(row.LocalToInstant(v.Millis(), loc), v.NanosOfMilli(), p)
				return row.TimestampLTZ(ms, ns), nil
			}, nil
		}
	}
	return nil, unsupportedCast(from, to)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Lenient date-time parsing, as Flink's DateTimeUtils: surrounding
// blanks are ignored, months, days, hours, minutes and seconds may have
// one digit, a DATE accepts a timestamp text (its date part), a
// TIMESTAMP a date alone (midnight) and 'T' as the separator.

// num reads 1..max digits at s[i:].
func num(s string, i, maxDigits int) (v, next int, ok bool) {
	j := i
	for j < len(s) && j-i < maxDigits && s[j] >= '0' && s[j] <= '9' {
		v = v*10 + int(s[j]-'0')
		j++
	}
	return v, j, j > i
}

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDatePart reads y-m-d at the start of s.
func parseDatePart(s string) (days int64, rest string, ok bool) {
	y, i, ok1 := num(s, 0, 4)
	if !ok1 || i >= len(s) || s[i] != '-' {
		return 0, s, false
	}
	m, j, ok2 := num(s, i+1, 2)
	if !ok2 || j >= len(s) || s[j] != '-' {
		return 0, s, false
	}
	d, k, ok3 := num(s, j+1, 2)
	if !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, s, false
	}
	return row.DaysFromCivil(y, m, d), s[k:], true
}

// parseTimePart reads h:m[:s[.f]] at the start of s: nanoseconds of the day.
func parseTimePart(s string) (int64, string, bool) {
	h, i, ok1 := num(s, 0, 2)
	if !ok1 || i >= len(s) || s[i] != ':' {
		return 0, s, false
	}
	mi, j, ok2 := num(s, i+1, 2)
	if !ok2 || h > 23 || mi > 59 {
		return 0, s, false
	}
	sec := 0
	var frac int64
	if j < len(s) && s[j] == ':' {
		var ok bool
		sec, j, ok = num(s, j+1, 2)
		if !ok || sec > 59 {
			return 0, s, false
		}
		if j < len(s) && s[j] == '.' {
			k := j + 1
			digits := 0
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				if digits < 9 {
					frac = frac*10 + int64(s[k]-'0')
					digits++
				}
				k++
			}
			if k == j+1 {
				return 0, s, false
			}
			for ; digits < 9; digits++ {
				frac *= 10
			}
			j = k
		}
	}
	return (int64(h)*3600+int64(mi)*60+int64(sec))*row.NanosPerSecond + frac, s[j:], true
}

func parseDateLenient(s string) (int32, bool) {
	s = trimJava(s)
	days, rest, ok := parseDatePart(s)
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != 'T' {
		return 0, false
	}
	return int32(days), true
}

func parseTimeLenient(s string) (int64, bool) {
	t, rest, ok := parseTimePart(trimJava(s))
	return t, ok && rest == ""
}

func parseTimestampLenient(s string) (int64, int32, bool) {
	ms, ns, rest, ok := parseTimestampPart(trimJava(s))
	return ms, ns, ok && rest == ""
}

func parseTimestampPart(s string) (int64, int32, string, bool) {
	days, rest, ok := parseDatePart(s)
	if !ok {
		return 0, 0, s, false
	}
	var nod int64
	if rest != "" && (rest[0] == ' ' || rest[0] == 'T') {
		r := strings.TrimLeft(rest[1:], " ")
		var ok bool
		nod, rest, ok = parseTimePart(r)
		if !ok {
			return 0, 0, s, false
		}
	}
	return days*row.MillisPerDay + nod/row.NanosPerMilli, int32(nod % row.NanosPerMilli), rest, true
}

// parseLTZ parses an instant: a date-time in zone loc, or followed by
// 'Z' or a numeric offset.
func parseLTZ(s string, loc *time.Location) (int64, int32, error) {
	s = trimJava(s)
	ms, ns, rest, ok := parseTimestampPart(s)
	if !ok {
		return 0, 0, errors.New("malformed timestamp")
	}
	rest = strings.TrimLeft(rest, " ")
	switch {
	case rest == "":
		return row.LocalToInstant(ms, loc), ns, nil
	case rest == "Z" || rest == "z":
		return ms, ns, nil
	case rest[0] == '+' || rest[0] == '-':
		h, i, ok1 := num(rest, 1, 2)
		mi := 0
		ok2 := true
		if i < len(rest) {
			if rest[i] == ':' {
				i++
			}
			mi, i, ok2 = num(rest, i, 2)
		}
		if !ok1 || !ok2 || i != len(rest) || h > 18 || mi > 59 {
			return 0, 0, errors.New("malformed offset")
		}
		off := int64(h*3600+mi*60) * 1000
		if rest[0] == '-' {
			off = -off
		}
		return ms - off, ns, nil
	}
	return 0, 0, errors.New("malformed timestamp")
}
