package function

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// sample is one valid call of a function; keep lists argument positions
// that are keywords (units, TRIM's symbol) rather than values.
type sample struct {
	args []row.Value
	keep []int
}

func smp(args ...row.Value) sample { return sample{args: args} }

var samples = map[string]sample{
	"CONCAT": smp(s("a"), s("b")), "CONCAT_WS": smp(s(","), s("a")), "SUBSTRING": smp(s("abc"), i(2)),
	"SUBSTR": smp(s("abc"), i(2), i(1)), "REPLACE": smp(s("abc"), s("b"), s("x")),
	"SPLIT_INDEX": smp(s("a,b"), s(","), i(1)), "SPLIT": smp(s("a,b"), s(",")),
	"REGEXP": smp(s("a1"), s(`\d`)), "REGEXP_EXTRACT": smp(s("a1"), s(`(\d)`), i(1)),
	"REGEXP_EXTRACT_ALL": smp(s("a1b2"), s(`\d`)), "REGEXP_REPLACE": smp(s("a1"), s(`\d`), s("x")),
	"UPPER": smp(s("a")), "UCASE": smp(s("a")), "LOWER": smp(s("A")), "LCASE": smp(s("A")), "INITCAP": smp(s("ab cd")),
	"TRIM":  {args: []row.Value{s("BOTH"), s(" "), s(" a ")}, keep: []int{0}},
	"LTRIM": smp(s(" a")), "RTRIM": smp(s("a ")), "BTRIM": smp(s(" a ")),
	"LPAD": smp(s("a"), i(3), s("x")), "RPAD": smp(s("a"), i(3), s("x")),
	"CHAR_LENGTH": smp(s("abc")), "CHARACTER_LENGTH": smp(s("abc")), "POSITION": smp(s("b"), s("abc")),
	"LOCATE": smp(s("b"), s("abc"), i(1)), "INSTR": smp(s("abc"), s("b")), "REVERSE": smp(s("ab")),
	"REPEAT": smp(s("ab"), i(2)), "ASCII": smp(s("a")), "CHR": smp(i(97)), "LEFT": smp(s("abc"), i(2)),
	"RIGHT": smp(s("abc"), i(2)), "TO_BASE64": smp(s("a")), "FROM_BASE64": smp(s("YQ==")),
	"STR_TO_MAP": smp(s("a=1")), "OVERLAY": smp(s("abc"), s("x"), i(2)),
	"IS_ALPHA": smp(s("a")), "IS_DIGIT": smp(s("1")), "IS_DECIMAL": smp(s("1.5")),
	"PARSE_URL": smp(s("http://h/p?k=v"), s("QUERY"), s("k")),

	"MD5": smp(s("a")), "SHA1": smp(s("a")), "SHA224": smp(s("a")), "SHA256": smp(s("a")),
	"SHA384": smp(s("a")), "SHA512": smp(s("a")), "SHA2": smp(s("a"), i(256)),

	"ABS": smp(i(-1)), "SIGN": smp(f(-2)), "FLOOR": smp(dec("1.5", 2, 1)), "CEIL": smp(f(1.5)),
	"CEILING": smp(i(1)), "ROUND": smp(f(1.25), i(1)), "TRUNCATE": smp(f(1.25), i(1)),
	"MOD": smp(i(7), i(3)), "SQRT": smp(i(4)), "EXP": smp(i(1)), "LN": smp(i(1)), "LOG10": smp(i(10)),
	"LOG2": smp(i(2)), "LOG": smp(i(2), i(8)), "SIN": smp(f(1)), "COS": smp(f(1)), "TAN": smp(f(1)),
	"COT": smp(f(1)), "ASIN": smp(f(0.5)), "ACOS": smp(f(0.5)), "ATAN": smp(f(1)), "SINH": smp(f(1)),
	"COSH": smp(f(1)), "TANH": smp(f(1)), "DEGREES": smp(f(1)), "RADIANS": smp(f(1)), "CBRT": smp(f(8)),
	"POWER": smp(i(2), i(3)), "POW": smp(i(2), i(3)), "ATAN2": smp(f(1), f(1)), "PI": smp(), "E": smp(),
	"RAND": smp(), "RAND_INTEGER": smp(i(10)), "BIN": smp(i(5)), "HEX": smp(i(255)),
	"GREATEST": smp(i(1), i(2)), "LEAST": smp(i(1), i(2)),

	"CURRENT_TIMESTAMP": smp(), "NOW": smp(), "CURRENT_ROW_TIMESTAMP": smp(), "PROCTIME": smp(),
	"LOCALTIMESTAMP": smp(), "CURRENT_DATE": smp(), "CURRENT_TIME": smp(), "LOCALTIME": smp(),
	"UNIX_TIMESTAMP": smp(s("2024-01-01 00:00:00")),
	"EXTRACT":        {args: []row.Value{s("DAY"), date("2024-01-02")}, keep: []int{0}},
	"YEAR":           smp(date("2024-01-02")), "QUARTER": smp(date("2024-01-02")), "MONTH": smp(date("2024-01-02")),
	"WEEK": smp(date("2024-01-02")), "DAYOFYEAR": smp(date("2024-01-02")), "DAYOFMONTH": smp(date("2024-01-02")),
	"DAYOFWEEK": smp(date("2024-01-02")), "HOUR": smp(ts("2024-01-02 03:04:05")),
	"MINUTE": smp(ts("2024-01-02 03:04:05")), "SECOND": smp(ts("2024-01-02 03:04:05")),
	"TIMESTAMPADD":  {args: []row.Value{s("DAY"), i(1), ts("2024-01-02 03:04:05")}, keep: []int{0}},
	"TIMESTAMPDIFF": {args: []row.Value{s("DAY"), date("2024-01-02"), date("2024-01-05")}, keep: []int{0}},
	"DATE_ADD":      smp(s("2024-01-02"), i(1)), "ADDDATE": smp(date("2024-01-02"), i(1)),
	"DATE_SUB": smp(s("2024-01-02"), i(1)), "SUBDATE": smp(s("2024-01-02"), i(1)),
	"DATEDIFF": smp(s("2024-01-02"), s("2024-01-01")), "TO_TIMESTAMP": smp(s("2024-01-02 03:04:05")),
	"TO_TIMESTAMP_LTZ": smp(bi(1700000000000), i(3)), "TO_DATE": smp(s("2024-01-02")),
	"FROM_UNIXTIME": smp(bi(0)), "CONVERT_TZ": smp(s("2024-01-02 03:04:05"), s("UTC"), s("Asia/Shanghai")),
	"DATE_FORMAT": smp(ts("2024-01-02 03:04:05"), s("yyyy")),

	"JSON_VALUE": smp(s(`{"a":1}`), s("$.a")), "JSON_QUERY": smp(s(`{"a":[1]}`), s("$.a")),
	"JSON_EXISTS": smp(s(`{"a":1}`), s("$.a")), "JSON_OBJECT": {args: []row.Value{s("k"), i(1)}, keep: []int{0}}, // a NULL key is an error
	"JSON_ARRAY": smp(i(1), s("x")), "JSON_STRING": smp(i(1)),

	"CARDINALITY": smp(arr(i(1))), "ELEMENT": smp(arr(i(1))), "ARRAY_CONTAINS": smp(arr(i(1)), i(1)),
	"ARRAY_POSITION": smp(arr(i(1)), i(1)), "ARRAY_REMOVE": smp(arr(i(1)), i(1)),
	"ARRAY_REVERSE": smp(arr(i(1))), "ARRAY_DISTINCT": smp(arr(i(1))), "ARRAY_CONCAT": smp(arr(i(1)), arr(i(2))),
	"ARRAY_JOIN": smp(arr(s("a")), s(",")),
	"MAP_KEYS":   smp(row.MapEntries([]row.Value{s("a"), i(1)})), "MAP_VALUES": smp(row.MapEntries([]row.Value{s("a"), i(1)})),
	"MAP_ENTRIES":     smp(row.MapEntries([]row.Value{s("a"), i(1)})),
	"MAP_FROM_ARRAYS": smp(arr(s("a")), arr(i(1))),

	"UUID": smp(), "TYPEOF": smp(i(1)),
}

// Every built-in has a sample; each sample binds with constant and with
// per-row arguments, returns values of its bound type, and is NULL when
// an argument is NULL if it says so (NullIfAnyNull), whether the NULL is
// a NULL literal or a NULL of the argument's type.
func TestEveryFunction(t *testing.T) {
	for _, name := range Names() {
		if _, ok := LookupTable(name); ok || strings.HasPrefix(name, "TEST_") {
			continue
		}
		if _, ok := samples[name]; !ok {
			t.Errorf("%s has no sample call", name)
		}
	}
	for name, sm := range samples {
		fn, ok := Lookup(name)
		if !ok {
			t.Errorf("%s is not registered", name)
			continue
		}
		callEnv(t, shEnv, name, sm.args...) // binds, evaluates, checks the invariants
		keep := map[int]bool{}
		for _, k := range sm.keep {
			keep[k] = true
		}
		for k := range sm.args {
			if keep[k] {
				continue
			}
			for _, typed := range []bool{false, true} {
				args := argsOf(true, sm.args)
				vals := append([]row.Value(nil), sm.args...)
				vals[k] = nl
				if typed {
					args[k] = Arg{Type: args[k].Type.WithNotNull(false)}
				} else {
					args[k] = Arg{Type: row.NullType, Const: &nl}
				}
				bd, err := fn.Bind(shEnv, args)
				if err != nil {
					t.Errorf("%s with NULL argument %d (typed %v): %v", name, k+1, typed, err)
					continue
				}
				if !bd.Type.Nullable() && bd.NullIfAnyNull {
					t.Errorf("%s with NULL argument %d: NOT NULL type %s but NullIfAnyNull", name, k+1, bd.Type)
				}
				v, err := eval(t, name, bd, vals)
				if err != nil {
					t.Errorf("%s with NULL argument %d: %v", name, k+1, err)
				} else if bd.NullIfAnyNull && !v.IsNull() {
					t.Errorf("%s with NULL argument %d = %v, want NULL (NullIfAnyNull)", name, k+1, v)
				}
			}
		}
	}
}
