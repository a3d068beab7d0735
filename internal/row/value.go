package row

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"unsafe"
)

// Value is one SQL value: a compact struct (40 bytes) holding scalars
// inline, so a row of ints, doubles, dates, timestamps and short decimals
// is one []Value with no allocation per field. The zero Value is NULL.
//
// Representation, by Kind:
//
//	BOOLEAN                     i = 0 or 1
//	TINYINT SMALLINT INT BIGINT i (sign-extended)
//	FLOAT DOUBLE                i = IEEE-754 bits of the float64 (a FLOAT is widened exactly)
//	DECIMAL                     i = unscaled value, prec/scale = the type's; when the unscaled
//	                            value does not fit an int64: flagBig, s = big-endian magnitude,
//	                            i = sign (-1 or 1)
//	CHAR VARCHAR BINARY VARBINARY s (a Go string; bytes are held as a string too)
//	DATE                        i = days since 1970-01-01
//	TIME                        i = nanoseconds of the day
//	TIMESTAMP TIMESTAMP_LTZ     i = milliseconds since the epoch, n = nanoseconds within the
//	                            millisecond [0, 999999]; a TIMESTAMP is a wall-clock
//	                            (local) date-time read as if UTC, a TIMESTAMP_LTZ an instant
//	INTERVAL YEAR TO MONTH      i = months
//	INTERVAL DAY TO SECOND      i = milliseconds
//	ARRAY MULTISET ROW          p, i = the elements (fields) as a []Value of length i
//	MAP                         p, i = keys and values interleaved: k0 v0 k1 v1 ...
//
// Values are immutable: strings and element slices may be shared between
// rows, operators and state, so nobody modifies them after construction.
type Value struct {
	k     Kind
	f     uint8 // flags
	prec  uint8 // DECIMAL precision
	scale uint8 // DECIMAL scale
	n     int32 // TIMESTAMP: nanoseconds within the millisecond
	i     int64
	s     string
	p     *Value // elements of ARRAY, MULTISET, MAP, ROW
}

const (
	flagBig   uint8 = 1 << iota // DECIMAL unscaled value in s (magnitude) and i (sign)
	flagArena                   // decoder internal: string pending in an arena (i = offset, n = length)
	flagUnset                   // decoder internal: field not seen yet
)

// Constructors.

// Null returns NULL (the zero Value).
func Null() Value { return Value{} }

func Bool(b bool) Value {
	v := Value{k: KindBoolean}
	if b {
		v.i = 1
	}
	return v
}
func TinyInt(x int8) Value   { return Value{k: KindTinyInt, i: int64(x)} }
func SmallInt(x int16) Value { return Value{k: KindSmallInt, i: int64(x)} }
func Int(x int32) Value      { return Value{k: KindInt, i: int64(x)} }
func BigInt(x int64) Value   { return Value{k: KindBigInt, i: x} }
func Float(x float32) Value  { return Value{k: KindFloat, i: int64(math.Float64bits(float64(x)))} }
func Double(x float64) Value { return Value{k: KindDouble, i: int64(math.Float64bits(x))} }

// String returns a VARCHAR / STRING value.
func String(s string) Value { return Value{k: KindVarChar, s: s} }

// Char returns a CHAR value (no padding is added).
func Char(s string) Value { return Value{k: KindChar, s: s} }

// Bytes returns a VARBINARY / BYTES value holding a copy of b.
func Bytes(b []byte) Value { return Value{k: KindVarBinary, s: string(b)} }

// BytesOf returns a VARBINARY / BYTES value holding the bytes of s.
func BytesOf(s string) Value { return Value{k: KindVarBinary, s: s} }

// Date returns a DATE of days since 1970-01-01.
func Date(days int32) Value { return Value{k: KindDate, i: int64(days)} }

// Time returns a TIME of nanoseconds since midnight.
func Time(nanosOfDay int64) Value { return Value{k: KindTime, i: nanosOfDay} }

// Timestamp returns a TIMESTAMP (a wall-clock date-time, no zone) from
// milliseconds since the epoch plus nanoseconds, normalized so that the
// nanoseconds are within the millisecond.
func Timestamp(millis int64, nanos int32) Value {
	millis, nanos = normTS(millis, nanos)
	return Value{k: KindTimestamp, i: millis, n: nanos}
}

// TimestampLTZ returns a TIMESTAMP_LTZ (an instant) like Timestamp.
func TimestampLTZ(millis int64, nanos int32) Value {
	millis, nanos = normTS(millis, nanos)
	return Value{k: KindTimestampLTZ, i: millis, n: nanos}
}

func normTS(millis int64, nanos int32) (int64, int32) {
	if nanos >= 0 && nanos < NanosPerMilli {
		return millis, nanos
	}
	q := int64(nanos) / NanosPerMilli
	r := int64(nanos) % NanosPerMilli
	if r < 0 {
		q--
		r += NanosPerMilli
	}
	return millis + q, int32(r)
}

// IntervalMonths returns an INTERVAL YEAR TO MONTH.
func IntervalMonths(months int32) Value { return Value{k: KindIntervalYearMonth, i: int64(months)} }

// IntervalMillis returns an INTERVAL DAY TO SECOND.
func IntervalMillis(ms int64) Value { return Value{k: KindIntervalDayTime, i: ms} }

// DecimalValue returns d as a Value of DECIMAL(d.Precision(), d.Scale()).
func DecimalValue(d Decimal) Value {
	v := Value{k: KindDecimal, prec: d.p, scale: d.s, i: d.u}
	if d.b != nil {
		v.f = flagBig
		v.i = int64(d.b.Sign())
		v.s = string(d.b.Bytes())
	}
	return v
}

// Array returns an ARRAY holding elems (not copied).
func Array(elems []Value) Value { return composite(KindArray, elems) }

// Multiset returns a MULTISET holding elems, duplicates repeated (not copied).
func Multiset(elems []Value) Value { return composite(KindMultiset, elems) }

// Struct returns a ROW value holding fields (not copied).
func Struct(fields []Value) Value { return composite(KindRow, fields) }

// Map returns a MAP of keys[i] -> values[i]; keys and values must have the
// same length.
func Map(keys, values []Value) Value {
	if len(keys) != len(values) {
		panic("row.Map: keys and values differ in length")
	}
	kv := make([]Value, 2*len(keys))
	for i := range keys {
		kv[2*i], kv[2*i+1] = keys[i], values[i]
	}
	return composite(KindMap, kv)
}

// MapEntries returns a MAP of interleaved keys and values k0 v0 k1 v1 ...
// (not copied).
func MapEntries(kv []Value) Value {
	if len(kv)%2 != 0 {
		panic("row.MapEntries: odd number of keys and values")
	}
	return composite(KindMap, kv)
}

func composite(k Kind, elems []Value) Value {
	return Value{k: k, p: unsafe.SliceData(elems), i: int64(len(elems))}
}

// Accessors. Each reads the representation its Kind documents; calling
// one for another Kind returns a meaningless value, not a panic.

// IsNull reports NULL.
func (v Value) IsNull() bool { return v.k == KindNull }

// Kind returns the kind of the value's type (KindNull for NULL).
func (v Value) Kind() Kind { return v.k }

func (v Value) Bool() bool { return v.i != 0 }

// Int64 returns an integer (any width), a DATE's days, a TIME's
// nanoseconds, an interval's months or milliseconds.
func (v Value) Int64() int64 { return v.i }

// Float64 returns a FLOAT or DOUBLE; integers and DECIMALs are converted.
func (v Value) Float64() float64 {
	switch v.k {
	case KindFloat, KindDouble:
		return math.Float64frombits(uint64(v.i))
	case KindDecimal:
		return v.Decimal().Float64()
	}
	return float64(v.i)
}

// Float32 returns a FLOAT.
func (v Value) Float32() float32 { return float32(v.Float64()) }

// Str returns the text of CHAR / VARCHAR, or the bytes of BINARY /
// VARBINARY as a string.
func (v Value) Str() string { return v.s }

// Bytes returns a copy of the bytes of BINARY / VARBINARY (or a string's).
func (v Value) Bytes() []byte { return []byte(v.s) }

// Decimal returns a DECIMAL.
func (v Value) Decimal() Decimal {
	if v.f&flagBig != 0 {
		b := new(big.Int).SetBytes([]byte(v.s))
		if v.i < 0 {
			b.Neg(b)
		}
		return Decimal{b: b, p: v.prec, s: v.scale}
	}
	return Decimal{u: v.i, p: v.prec, s: v.scale}
}

// Days returns a DATE's days since 1970-01-01.
func (v Value) Days() int32 { return int32(v.i) }

// Millis returns a TIMESTAMP's or TIMESTAMP_LTZ's milliseconds since the epoch.
func (v Value) Millis() int64 { return v.i }

// NanosOfMilli returns a TIMESTAMP's nanoseconds within its millisecond.
func (v Value) NanosOfMilli() int32 { return v.n }

// Len returns the number of elements of an ARRAY or MULTISET, fields of
// a ROW, entries of a MAP.
func (v Value) Len() int {
	switch {
	case v.k < KindArray:
		return 0
	case v.k == KindMap:
		return int(v.i / 2)
	}
	return int(v.i)
}

// Elems returns the elements of an ARRAY or MULTISET, or the fields of a
// ROW; the slice must not be modified.
func (v Value) Elems() []Value {
	if v.k < KindArray || v.p == nil {
		return nil
	}
	return unsafe.Slice(v.p, v.i)
}

// Elem returns element (or field) i.
func (v Value) Elem(i int) Value { return v.Elems()[i] }

// MapKey returns the key of MAP entry i.
func (v Value) MapKey(i int) Value { return v.Elems()[2*i] }

// MapValue returns the value of MAP entry i.
func (v Value) MapValue(i int) Value { return v.Elems()[2*i+1] }

// MapGet returns the value for key (the last entry wins) and whether it
// was found. A NULL key finds the NULL-keyed entry.
func (v Value) MapGet(key Value) (Value, bool) {
	kv := v.Elems()
	for i := len(kv) - 2; i >= 0; i -= 2 {
		if Equal(kv[i], key) {
			return kv[i+1], true
		}
	}
	return Value{}, false
}

// Comparison.

type family uint8

const (
	famNull family = iota
	famBool
	famNumeric
	famString
	famBinary
	famDate
	famTime
	famTimestamp
	famIntervalYM
	famIntervalDT
	famArray
	famMap
	famMultiset
	famRow
)

func (k Kind) family() family {
	switch k {
	case KindNull:
		return famNull
	case KindBoolean:
		return famBool
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindFloat, KindDouble, KindDecimal:
		return famNumeric
	case KindChar, KindVarChar:
		return famString
	case KindBinary, KindVarBinary:
		return famBinary
	case KindDate:
		return famDate
	case KindTime:
		return famTime
	case KindTimestamp, KindTimestampLTZ:
		return famTimestamp
	case KindIntervalYearMonth:
		return famIntervalYM
	case KindIntervalDayTime:
		return famIntervalDT
	case KindArray:
		return famArray
	case KindMap:
		return famMap
	case KindMultiset:
		return famMultiset
	}
	return famRow
}

func isInt(k Kind) bool   { return k >= KindTinyInt && k <= KindBigInt }
func isFloat(k Kind) bool { return k == KindFloat || k == KindDouble }

// Compare orders two values: -1, 0 or +1. NULL sorts before every value
// and equals NULL (Flink's default NULLS FIRST for ascending order; SQL's
// three-valued "=" is the caller's business). Within a type family the
// order is SQL's: numbers by value across integer, DECIMAL and
// floating-point kinds (NaN above +Infinity and equal to itself, -0.0 equal
// to 0.0), strings and bytes bytewise (Go string order, i.e. UTF-8 code
// point order), temporal values in time order, ARRAY and ROW
// lexicographically (a prefix first), MAP and MULTISET as their entries
// sorted. Values of different families order by family, an arbitrary but
// fixed order. AppendKey's bytes order as Compare for values of one type.
func Compare(a, b Value) int {
	if a.k == b.k {
		return compareSame(a, b)
	}
	fa, fb := a.k.family(), b.k.family()
	if fa != fb {
		return cmpInt(int64(fa), int64(fb))
	}
	switch fa {
	case famNumeric:
		return compareNumeric(a, b)
	case famTimestamp:
		return compareTS(a, b)
	}
	return compareSame(a, b) // same representation: CHAR vs VARCHAR, BINARY vs VARBINARY
}

// Equal reports Compare(a, b) == 0: NULL equals NULL (IS NOT DISTINCT FROM).
func Equal(a, b Value) bool {
	if a.k == b.k {
		switch a.k {
		case KindNull:
			return true
		case KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindDate, KindTime,
			KindIntervalYearMonth, KindIntervalDayTime:
			return a.i == b.i
		case KindChar, KindVarChar, KindBinary, KindVarBinary:
			return a.s == b.s
		case KindTimestamp, KindTimestampLTZ:
			return a.i == b.i && a.n == b.n
		}
	}
	return Compare(a, b) == 0
}

func compareTS(a, b Value) int {
	if c := cmpInt(a.i, b.i); c != 0 {
		return c
	}
	return cmpInt(int64(a.n), int64(b.n))
}

// CompareFloat orders doubles as Compare does: -0.0 equals 0.0, NaN is
// above +Inf and equal to itself (a total order, unlike <).
func CompareFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	}
	return -1
}

func compareNumeric(a, b Value) int {
	switch {
	case isInt(a.k) && isInt(b.k):
		return cmpInt(a.i, b.i)
	case isFloat(a.k) || isFloat(b.k):
		return CompareFloat(a.Float64(), b.Float64())
	}
	return a.asDecimal().Compare(b.asDecimal())
}

// asDecimal returns an integer or DECIMAL value as a Decimal.
func (v Value) asDecimal() Decimal {
	if v.k == KindDecimal {
		return v.Decimal()
	}
	return Decimal{u: v.i, p: 19}
}

func compareSame(a, b Value) int {
	switch a.k {
	case KindNull:
		return 0
	case KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindDate, KindTime,
		KindIntervalYearMonth, KindIntervalDayTime:
		return cmpInt(a.i, b.i)
	case KindFloat, KindDouble:
		return CompareFloat(a.Float64(), b.Float64())
	case KindDecimal:
		if a.f|b.f == 0 && a.scale == b.scale {
			return cmpInt(a.i, b.i)
		}
		return a.Decimal().Compare(b.Decimal())
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	case KindTimestamp, KindTimestampLTZ:
		return compareTS(a, b)
	case KindArray, KindRow:
		return compareSeq(a.Elems(), b.Elems(), 1)
	case KindMultiset:
		return compareSeq(sortedElems(a.Elems(), 1), sortedElems(b.Elems(), 1), 1)
	case KindMap:
		return compareSeq(sortedElems(a.Elems(), 2), sortedElems(b.Elems(), 2), 2)
	}
	return 0
}

// compareSeq compares sequences of groups of width values lexicographically.
func compareSeq(x, y []Value, width int) int {
	n := min(len(x), len(y))
	for i := 0; i < n; i++ {
		if c := Compare(x[i], y[i]); c != 0 {
			return c
		}
	}
	return cmpInt(int64(len(x)/width), int64(len(y)/width))
}

// sortedElems returns the groups of width values (1: elements, 2: map
// entries) sorted by Compare, as a new slice when they are not sorted.
func sortedElems(x []Value, width int) []Value {
	cmp := func(i, j int) int {
		for k := 0; k < width; k++ {
			if c := Compare(x[i+k], x[j+k]); c != 0 {
				return c
			}
		}
		return 0
	}
	sorted := true
	for i := width; i < len(x); i += width {
		if cmp(i-width, i) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return x
	}
	idx := make([]int, len(x)/width)
	for i := range idx {
		idx[i] = i * width
	}
	slices.SortStableFunc(idx, cmp)
	out := make([]Value, 0, len(x))
	for _, i := range idx {
		out = append(out, x[i:i+width]...)
	}
	return out
}

// String renders v for messages and tests, like Flink's row printing:
// NULL, 42, 9549.00, abc, 2024-01-02 03:04:05.5, [1, 2], {k=v}, (1, abc).
// Bytes print as x'0a0b'.
func (v Value) String() string { return string(v.AppendText(nil)) }

// AppendText appends v.String() to dst.
func (v Value) AppendText(dst []byte) []byte {
	switch v.k {
	case KindNull:
		return append(dst, "NULL"...)
	case KindBoolean:
		return strconv.AppendBool(dst, v.i != 0)
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt:
		return strconv.AppendInt(dst, v.i, 10)
	case KindFloat:
		return strconv.AppendFloat(dst, v.Float64(), 'g', -1, 32)
	case KindDouble:
		return strconv.AppendFloat(dst, v.Float64(), 'g', -1, 64)
	case KindDecimal:
		return v.Decimal().Append(dst)
	case KindChar, KindVarChar:
		return append(dst, v.s...)
	case KindBinary, KindVarBinary:
		const hex = "0123456789abcdef"
		dst = append(dst, "x'"...)
		for i := 0; i < len(v.s); i++ {
			dst = append(dst, hex[v.s[i]>>4], hex[v.s[i]&15])
		}
		return append(dst, '\'')
	case KindDate:
		return AppendDate(dst, int32(v.i))
	case KindTime:
		return appendTimeTrim(dst, v.i)
	case KindTimestamp:
		return appendTimestampTrim(dst, v.i, v.n, ' ')
	case KindTimestampLTZ:
		return append(appendTimestampTrim(dst, v.i, v.n, ' '), 'Z')
	case KindIntervalYearMonth:
		return appendIntervalMonths(dst, v.i)
	case KindIntervalDayTime:
		return appendIntervalMillis(dst, v.i)
	case KindArray, KindMultiset:
		dst = append(dst, '[')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = e.AppendText(dst)
		}
		return append(dst, ']')
	case KindMap:
		dst = append(dst, '{')
		kv := v.Elems()
		for i := 0; i < len(kv); i += 2 {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = kv[i].AppendText(dst)
			dst = append(dst, '=')
			dst = kv[i+1].AppendText(dst)
		}
		return append(dst, '}')
	case KindRow:
		dst = append(dst, '(')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = e.AppendText(dst)
		}
		return append(dst, ')')
	}
	return dst
}

// appendIntervalMonths prints as Flink: +1-02 (years-months).
func appendIntervalMonths(dst []byte, m int64) []byte {
	if m < 0 {
		dst = append(dst, '-')
		m = -m
	} else {
		dst = append(dst, '+')
	}
	dst = strconv.AppendInt(dst, m/12, 10)
	dst = append(dst, '-')
	return append2(dst, int(m%12))
}

// appendIntervalMillis prints as Flink: +1 02:03:04.005 (days hh:mm:ss.fff).
func appendIntervalMillis(dst []byte, ms int64) []byte {
	u := uint64(ms)
	if ms < 0 {
		dst = append(dst, '-')
		u = uint64(-ms)
	} else {
		dst = append(dst, '+')
	}
	dst = strconv.AppendUint(dst, u/MillisPerDay, 10)
	dst = append(dst, ' ')
	r := u % MillisPerDay
	dst = append2(dst, int(r/3600000))
	dst = append(dst, ':')
	dst = append2(dst, int(r/60000%60))
	dst = append(dst, ':')
	dst = append2(dst, int(r/1000%60))
	dst = append(dst, '.')
	return appendDigits(dst, int(r%1000), 3)
}

// b2s views b as a string without copying; only for transient strings
// that never outlive b's contents (parsing scratch).
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as a byte slice that must not be modified.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
