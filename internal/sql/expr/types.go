package expr

import (
	"github.com/rtdw/rtdw/internal/row"
)

// Type helpers: Flink's type families, the least restrictive common type
// (LogicalTypeMerging.findCommonType) and implicit casts
// (LogicalTypeCasts.supportsImplicitCast).

func isIntKind(k row.Kind) bool    { return k >= row.KindTinyInt && k <= row.KindBigInt }
func isApproxKind(k row.Kind) bool { return k == row.KindFloat || k == row.KindDouble }
func isNumKind(k row.Kind) bool    { return k >= row.KindTinyInt && k <= row.KindDecimal }
func isExactKind(k row.Kind) bool  { return isIntKind(k) || k == row.KindDecimal }
func isStrKind(k row.Kind) bool    { return k == row.KindChar || k == row.KindVarChar }
func isBinKind(k row.Kind) bool    { return k == row.KindBinary || k == row.KindVarBinary }
func isTSKind(k row.Kind) bool     { return k == row.KindTimestamp || k == row.KindTimestampLTZ }
func isIntervalKind(k row.Kind) bool {
	return k == row.KindIntervalYearMonth || k == row.KindIntervalDayTime
}

// isDatetimeKind: DATE, TIMESTAMP and TIMESTAMP_LTZ (mutually comparable).
func isDatetimeKind(k row.Kind) bool { return k == row.KindDate || isTSKind(k) }

// intDecimalPrecision is the DECIMAL precision an integer kind converts
// to in DECIMAL arithmetic (Flink: TINYINT 3, SMALLINT 5, INT 10,
// BIGINT 19 digits).
func intDecimalPrecision(k row.Kind) int {
	switch k {
	case row.KindTinyInt:
		return 3
	case row.KindSmallInt:
		return 5
	case row.KindInt:
		return 10
	}
	return 19
}

// decimalPS returns the DECIMAL(p, s) an exact numeric type is in
// DECIMAL arithmetic.
func decimalPS(t row.Type) (int, int) {
	if t.Kind == row.KindDecimal {
		return t.Precision, t.Scale
	}
	return intDecimalPrecision(t.Kind), 0
}

// timePrecision returns the fractional-second precision of a TIME,
// TIMESTAMP or TIMESTAMP_LTZ type (0 for DATE).
func timePrecision(t row.Type) int {
	if t.Kind == row.KindDate {
		return 0
	}
	return t.Precision
}

func nullable(ts ...row.Type) bool {
	for _, t := range ts {
		if !t.NotNull {
			return true
		}
	}
	return false
}

// CommonType returns the least restrictive type of ts, as Flink derives
// it for CASE, COALESCE, IN, UNION and ARRAY/MAP constructors: numbers
// widen along TINYINT < SMALLINT < INT < BIGINT < DECIMAL < FLOAT <
// DOUBLE (DECIMALs merge to the integral digits and scale of both,
// capped at 38 by giving up scale, as Flink; a DECIMAL with an
// approximate number is DOUBLE);
// CHAR(n) of one length stay CHAR(n), other strings become VARCHAR of the
// longest; DATE < TIMESTAMP < TIMESTAMP_LTZ with the largest precision;
// ARRAY, MAP, MULTISET and ROW (same arity; field names of the first)
// merge element-wise. NULL merges with anything; the result is nullable
// when any input is. It reports false when the types have no common type
// (a number and a string, say).
func CommonType(ts ...row.Type) (row.Type, bool) {
	var known []row.Type
	anyNull := false
	for _, t := range ts {
		if t.Kind == row.KindNull {
			anyNull = true
			continue
		}
		known = append(known, t)
	}
	if len(known) == 0 {
		return row.NullType, true
	}
	out, ok := commonKnown(known)
	if !ok {
		return row.Type{}, false
	}
	return out.WithNotNull(!anyNull && !nullable(known...)), true
}

// commonKnown merges non-NULL types, ignoring nullability of the result
// (children keep theirs).
func commonKnown(ts []row.Type) (row.Type, bool) {
	first := ts[0]
	k := first.Kind
	switch {
	case isNumKind(k):
		return commonNumeric(ts)
	case isStrKind(k) || isBinKind(k):
		return commonString(ts)
	case isDatetimeKind(k):
		kind, prec := row.KindDate, 0
		for _, t := range ts {
			if !isDatetimeKind(t.Kind) {
				return row.Type{}, false
			}
			if t.Kind > kind { // DATE < TIMESTAMP < TIMESTAMP_LTZ in Kind order
				kind = t.Kind
			}
			prec = max(prec, timePrecision(t))
		}
		if kind == row.KindDate {
			return row.DateType, true
		}
		return row.Type{Kind: kind, Precision: prec}, true
	case k == row.KindTime:
		prec := 0
		for _, t := range ts {
			if t.Kind != row.KindTime {
				return row.Type{}, false
			}
			prec = max(prec, t.Precision)
		}
		return row.TimeOf(prec), true
	case k == row.KindBoolean:
		for _, t := range ts {
			if t.Kind != k {
				return row.Type{}, false
			}
		}
		return row.BooleanType, true
	case isIntervalKind(k):
		out := first.WithNotNull(false)
		for _, t := range ts[1:] {
			if t.Kind != k {
				return row.Type{}, false
			}
			if t.Res != out.Res {
				out.Res = row.ResDefault
				if k == row.KindIntervalDayTime {
					out.Res = row.ResDayToSecond
				}
			}
			out.Precision = max(out.Precision, t.Precision)
			out.Scale = max(out.Scale, t.Scale)
		}
		return out, true
	case k == row.KindArray || k == row.KindMultiset:
		elems := make([]row.Type, len(ts))
		for i, t := range ts {
			if t.Kind != k || t.Elem == nil {
				return row.Type{}, false
			}
			elems[i] = *t.Elem
		}
		e, ok := CommonType(elems...)
		if !ok {
			return row.Type{}, false
		}
		if k == row.KindArray {
			return row.ArrayOf(e), true
		}
		return row.MultisetOf(e), true
	case k == row.KindMap:
		keys := make([]row.Type, len(ts))
		vals := make([]row.Type, len(ts))
		for i, t := range ts {
			if t.Kind != k || t.Key == nil || t.Elem == nil {
				return row.Type{}, false
			}
			keys[i], vals[i] = *t.Key, *t.Elem
		}
		kt, ok1 := CommonType(keys...)
		vt, ok2 := CommonType(vals...)
		if !ok1 || !ok2 {
			return row.Type{}, false
		}
		return row.MapOf(kt, vt), true
	case k == row.KindRow:
		n := len(first.Fields)
		fields := make([]row.Field, n)
		for i := 0; i < n; i++ {
			fts := make([]row.Type, len(ts))
			for j, t := range ts {
				if t.Kind != k || len(t.Fields) != n {
					return row.Type{}, false
				}
				fts[j] = t.Fields[i].Type
			}
			ft, ok := CommonType(fts...)
			if !ok {
				return row.Type{}, false
			}
			fields[i] = row.Field{Name: first.Fields[i].Name, Type: ft, Description: first.Fields[i].Description}
		}
		return row.RowOf(fields...), true
	}
	return row.Type{}, false
}

func commonNumeric(ts []row.Type) (row.Type, bool) {
	var anyDouble, anyFloat, anyDecimal bool
	intKind := row.KindTinyInt
	intDigits, scale := 0, 0
	for _, t := range ts {
		switch {
		case t.Kind == row.KindDouble:
			anyDouble = true
		case t.Kind == row.KindFloat:
			anyFloat = true
		case t.Kind == row.KindDecimal:
			anyDecimal = true
			intDigits = max(intDigits, t.Precision-t.Scale)
			scale = max(scale, t.Scale)
		case isIntKind(t.Kind):
			intKind = max(intKind, t.Kind)
			intDigits = max(intDigits, intDecimalPrecision(t.Kind))
		default:
			return row.Type{}, false
		}
	}
	switch {
	case anyDouble || anyFloat && anyDecimal:
		return row.DoubleType, true
	case anyFloat:
		return row.FloatType, true
	case anyDecimal:
		// Flink's common DECIMAL (LogicalTypeMerging): keep the integral
		// digits, give up scale as far as 0 (not the 6 arithmetic keeps:
		// a CASE of DECIMAL(38, 0) and DECIMAL(10, 10) is DECIMAL(38, 0)).
		intDigits = min(intDigits, row.MaxDecimalPrecision)
		scale = min(scale, row.MaxDecimalPrecision-intDigits)
		return row.DecimalOf(intDigits+scale, scale), true
	}
	return row.Type{Kind: intKind}, true
}

func commonString(ts []row.Type) (row.Type, bool) {
	bin := isBinKind(ts[0].Kind)
	allFixed := true
	n := ts[0].Precision
	sameLen := true
	for _, t := range ts {
		if bin && !isBinKind(t.Kind) || !bin && !isStrKind(t.Kind) {
			return row.Type{}, false
		}
		if t.Kind == row.KindVarChar || t.Kind == row.KindVarBinary {
			allFixed = false
		}
		if t.Precision != n {
			sameLen = false
		}
		n = max(n, t.Precision)
	}
	switch {
	case allFixed && sameLen && bin:
		return row.BinaryOf(n), true
	case allFixed && sameLen:
		return row.CharOf(n), true
	case bin:
		return row.VarBinaryOf(n), true
	}
	return row.VarCharOf(n), true
}

// implicitCast reports whether a value of type from converts to type to
// implicitly (INSERT INTO a column, a UNION branch, a CASE branch), as
// Flink's LogicalTypeCasts.supportsImplicitCast, nullability aside: a
// NULL converts to anything; integers widen; any number converts to
// DECIMAL and DOUBLE, integers and DECIMAL to FLOAT; strings to VARCHAR
// (CHAR only to CHAR), bytes likewise; DATE and TIMESTAMP to DATE, TIME
// and TIMESTAMP to TIME; DATE, TIMESTAMP and TIMESTAMP_LTZ to either
// timestamp (rtdw also accepts DATE and TIMESTAMP_LTZ there, so every
// CommonType is reachable); intervals of one kind; ARRAY, MAP, MULTISET
// and ROW when their children do.
func implicitCast(from, to row.Type) bool {
	fk, tk := from.Kind, to.Kind
	if fk == row.KindNull {
		return true
	}
	switch tk {
	case row.KindBoolean:
		return fk == tk
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		return isIntKind(fk) && fk <= tk
	case row.KindDecimal, row.KindDouble:
		return isNumKind(fk)
	case row.KindFloat:
		return isNumKind(fk) && fk != row.KindDouble
	case row.KindChar:
		return fk == row.KindChar
	case row.KindVarChar:
		return isStrKind(fk)
	case row.KindBinary:
		return fk == row.KindBinary
	case row.KindVarBinary:
		return isBinKind(fk)
	case row.KindDate:
		return fk == row.KindDate || fk == row.KindTimestamp
	case row.KindTime:
		return fk == row.KindTime || fk == row.KindTimestamp
	case row.KindTimestamp, row.KindTimestampLTZ:
		return isDatetimeKind(fk)
	case row.KindIntervalYearMonth, row.KindIntervalDayTime:
		return fk == tk
	case row.KindArray, row.KindMultiset:
		return fk == tk && from.Elem != nil && to.Elem != nil && implicitCast(*from.Elem, *to.Elem)
	case row.KindMap:
		return fk == tk && from.Key != nil && to.Key != nil && from.Elem != nil && to.Elem != nil &&
			implicitCast(*from.Key, *to.Key) && implicitCast(*from.Elem, *to.Elem)
	case row.KindRow:
		if fk != tk || len(from.Fields) != len(to.Fields) {
			return false
		}
		for i := range from.Fields {
			if !implicitCast(from.Fields[i].Type, to.Fields[i].Type) {
				return false
			}
		}
		return true
	}
	return false
}

// sameType reports t and u equal but for nullability (and, for strings,
// CHAR vs VARCHAR lengths count: they are different types).
func sameType(t, u row.Type) bool {
	return t.WithNotNull(false).Equal(u.WithNotNull(false))
}

// comparable reports whether values of t and u compare with = and <>
// (ordered: with < too). NULL compares with anything.
func comparableTypes(t, u row.Type, ordered bool) bool {
	a, b := t.Kind, u.Kind
	switch {
	case a == row.KindNull || b == row.KindNull:
		return true
	case isNumKind(a):
		return isNumKind(b)
	case isStrKind(a):
		return isStrKind(b)
	case isBinKind(a):
		return isBinKind(b)
	case isDatetimeKind(a):
		return isDatetimeKind(b)
	case a == row.KindBoolean, a == row.KindTime, isIntervalKind(a):
		return a == b
	case a == row.KindArray, a == row.KindMap, a == row.KindMultiset, a == row.KindRow:
		if a != b {
			return false
		}
		if ordered && a != row.KindArray && a != row.KindRow {
			return false
		}
		_, ok := CommonType(t, u)
		return ok
	}
	return false
}

// familyName is a type's family in Calcite's "No match found for
// function signature" messages.
func familyName(t row.Type) string {
	switch k := t.Kind; {
	case k == row.KindNull:
		return "NULL"
	case isNumKind(k):
		return "NUMERIC"
	case isStrKind(k):
		return "CHARACTER"
	case isBinKind(k):
		return "BINARY"
	case k == row.KindBoolean:
		return "BOOLEAN"
	case k == row.KindDate:
		return "DATE"
	case k == row.KindTime:
		return "TIME"
	case k == row.KindTimestamp:
		return "TIMESTAMP"
	case k == row.KindTimestampLTZ:
		return "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
	case k == row.KindIntervalYearMonth:
		return "INTERVAL_YEAR_MONTH"
	case k == row.KindIntervalDayTime:
		return "INTERVAL_DAY_TIME"
	case k == row.KindArray:
		return "ARRAY"
	case k == row.KindMap:
		return "MAP"
	case k == row.KindMultiset:
		return "MULTISET"
	case k == row.KindRow:
		return "ROW"
	}
	return "ANY"
}
