package aggfn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// init registers the built-in functions (see IsBuiltin).
func init() {
	for _, f := range []*Func{
		{Name: "COUNT", Bind: bindCount},
		{Name: "SUM", Bind: bindSum(modeSum)},
		{Name: "SUM0", Bind: bindSum(modeSum0)},
		{Name: "$SUM0", Bind: bindSum(modeSum0)},
		{Name: "AVG", Bind: bindSum(modeAvg)},
		{Name: "MIN", Bind: bindMinMax(false)},
		{Name: "MAX", Bind: bindMinMax(true)},
		{Name: "COLLECT", Bind: bindCollect},
		{Name: "FIRST_VALUE", Bind: bindList(listFirst)},
		{Name: "LAST_VALUE", Bind: bindList(listLast)},
		{Name: "LISTAGG", Bind: bindList(listAgg)},
		{Name: "ARRAY_AGG", Bind: bindList(listArray)},
		{Name: "JSON_OBJECTAGG", Bind: bindJSONAgg(true)},
		{Name: "JSON_ARRAYAGG", Bind: bindJSONAgg(false)},
		{Name: "LAG", Bind: bindLag},
		{Name: "VAR_POP", Bind: bindVariance(true, false)},
		{Name: "VAR_SAMP", Bind: bindVariance(false, false)},
		{Name: "VARIANCE", Bind: bindVariance(false, false)},
		{Name: "STDDEV_POP", Bind: bindVariance(true, true)},
		{Name: "STDDEV_SAMP", Bind: bindVariance(false, true)},
		{Name: "STDDEV", Bind: bindVariance(false, true)},
	} {
		builtins[f.Name] = true
		Register(f)
	}
}

// builtins holds the built-in names, which user functions cannot take.
var builtins = map[string]bool{}

// IsBuiltin reports whether name (any case) is a built-in aggregate
// function, which user functions cannot replace.
//
// The built-in functions have Flink's names, argument checks and result types
// (Bound.Type). Every built-in but LAG (an OVER window function, lag.go) is
// retractable and mergeable, and DISTINCT works on each (see Distinct). Add and Retract take one value per bound
// argument, literal ones included (LISTAGG's separator), of the bound
// argument types; FILTER (WHERE ...) is the operator's business. Result types
// are nullable except COUNT, $SUM0 and COLLECT; Flink (Calcite) makes
// SUM/MIN/MAX/AVG/FIRST_VALUE/LAST_VALUE of a NOT NULL argument NOT NULL
// when the query has a GROUP BY and no FILTER, which Bind cannot see: a
// planner that wants Flink's exact nullability tightens Bound.Type itself.
//
//	COUNT(*), COUNT(x, ...)    BIGINT NOT NULL; rows whose arguments are all non-NULL
//	SUM(x)                     TINYINT/SMALLINT/INT/BIGINT/FLOAT/DOUBLE: x's type (integer sums
//	                           wrap around as Java's do); DECIMAL(p, s): DECIMAL(38, s);
//	                           NULL when no non-NULL value is left
//	$SUM0(x), SUM0(x)          as SUM, NOT NULL: 0 instead of NULL
//	AVG(x)                     x's type for integers (integer division of the BIGINT sum by
//	                           the count, truncated toward zero) and FLOAT/DOUBLE;
//	                           DECIMAL(p, s): DECIMAL(38, max(6, s)), rounded HALF_UP
//	MIN(x), MAX(x)             x's type; BOOLEAN, numbers, strings, bytes, DATE, TIME,
//	                           TIMESTAMP(_LTZ), INTERVAL
//	FIRST_VALUE(x), LAST_VALUE(x)  x's type; NULLs ignored
//	LISTAGG(x [, 'sep'])       x's type (a character string); sep a literal, ',' by default;
//	                           NULL when no non-NULL value
//	COLLECT(x)                 MULTISET<x's type> NOT NULL; NULLs ignored; empty, not NULL
//	ARRAY_AGG(x)               ARRAY<x's type>, NULLs kept (Flink's RESPECT NULLS default),
//	                           NULL when no row
//	JSON_OBJECTAGG(k, json, 'NULL ON NULL'|'ABSENT ON NULL'), JSON_ARRAYAGG(json, ...)
//	                           STRING NOT NULL; the value as JSON text (see json.go)
//	STDDEV_POP, STDDEV_SAMP, STDDEV, VAR_POP, VAR_SAMP, VARIANCE (x)
//	                           x's type, DECIMAL(p, s): DECIMAL(38, max(6, s)); computed in
//	                           DOUBLE with Welford's algorithm as Flink, then cast
func IsBuiltin(name string) bool { return builtins[strings.ToUpper(name)] }

func argCount(name string, args []row.Type, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		switch {
		case lo == hi:
			return fmt.Errorf("%s takes %d argument(s), got %d", name, lo, len(args))
		default:
			return fmt.Errorf("%s takes %d to %d arguments, got %d", name, lo, hi, len(args))
		}
	}
	return nil
}

func unsupported(name string, t row.Type) error {
	return fmt.Errorf("%s does not support argument type %s", name, t.WithNotNull(false))
}

func isNullType(t row.Type) bool { return t.Kind == row.KindNull }

// finish wraps a bound function for DISTINCT when asked.
func finish(b Bound, args []row.Type, distinct bool) (Bound, error) {
	if !distinct {
		return b, nil
	}
	return Distinct(b, args)
}

// InsertOnly returns b for an operator whose input never retracts (an
// insert-only stream: Flink picks MaxAggFunction rather than
// MaxWithRetractAggFunction for it). Its accumulators keep less state where
// a function can (MIN and MAX keep the extreme value instead of a count per
// distinct value, FIRST_VALUE and LAST_VALUE one value instead of the
// list), Retract returns an error, and Bound.Retractable is false. Other
// functions and user functions are unchanged apart from Retractable.
//
// A state an InsertOnly accumulator wrote cannot be read by one that
// retracts (Unmarshal fails); the reverse works.
func InsertOnly(b Bound) Bound {
	nb := b
	nb.Retractable = false
	newAcc := b.New
	nb.New = func() Acc {
		a := newAcc()
		if io, ok := a.(insertOnlyAcc); ok {
			io.setInsertOnly()
		}
		return a
	}
	return nb
}

// insertOnlyAcc is an accumulator with a leaner insert-only mode.
type insertOnlyAcc interface{ setInsertOnly() }

var errInsertOnly = errors.New("aggfn: Retract on an insert-only accumulator")

func mergeMismatch(name string, other Acc) error {
	return fmt.Errorf("aggfn: %s: cannot merge a %T", name, other)
}
