package expr

import (
	"math"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestCastMatrix(t *testing.T) {
	cases := []struct {
		x    ast.Expr
		to   string
		want row.Value
	}{
		// strings to numbers: trimmed, fractions truncated for integers
		{s("42"), "INT", row.Int(42)},
		{s(" -17 "), "BIGINT", row.BigInt(-17)},
		{s("1.9"), "INT", row.Int(1)},
		{s("-1.9"), "INT", row.Int(-1)},
		{s("+7"), "TINYINT", row.TinyInt(7)},
		{s("-128"), "TINYINT", row.TinyInt(-128)},
		{s("9223372036854775807"), "BIGINT", row.BigInt(math.MaxInt64)},
		{s("-9223372036854775808"), "BIGINT", row.BigInt(math.MinInt64)},
		{s("12.345"), "DECIMAL(5, 2)", dec("12.35", 5, 2)},
		{s("1e2"), "DECIMAL(5, 1)", dec("100.0", 5, 1)},
		{s("2.5"), "DOUBLE", row.Double(2.5)},
		{s("1.5d"), "DOUBLE", row.Double(1.5)},
		{s("-Infinity"), "DOUBLE", row.Double(math.Inf(-1))},
		{s("0.1"), "FLOAT", row.Float(0.1)},
		// numbers to numbers
		{i("300"), "TINYINT", row.TinyInt(44)},
		{i("70000"), "SMALLINT", row.SmallInt(4464)},
		{f("2.9e0"), "INT", row.Int(2)},
		{f("-2.9e0"), "INT", row.Int(-2)},
		{f("1e10"), "INT", row.Int(math.MaxInt32)},
		{f("1e10"), "TINYINT", row.TinyInt(-1)}, // (byte)(int)1e10 = (byte)0x7fffffff
		{f("1e30"), "BIGINT", row.BigInt(math.MaxInt64)},
		{d("-7.99"), "INT", row.Int(-7)},
		{d("1.005"), "DECIMAL(3, 2)", dec("1.01", 3, 2)}, // HALF_UP
		{d("-1.005"), "DECIMAL(3, 2)", dec("-1.01", 3, 2)},
		{d("123.4"), "DECIMAL(3, 1)", row.Null()}, // overflow: NULL
		{i("123"), "DECIMAL(2, 0)", row.Null()},
		{f("0.125e0"), "DECIMAL(3, 2)", dec("0.13", 3, 2)},
		{i("7"), "DOUBLE", row.Double(7)},
		{d("0.1"), "DOUBLE", row.Double(0.1)},
		{i("3"), "DECIMAL(4, 2)", dec("3.00", 4, 2)},
		// booleans
		{s("TRUE"), "BOOLEAN", row.Bool(true)},
		{s(" yes "), "BOOLEAN", row.Bool(true)},
		{s("0"), "BOOLEAN", row.Bool(false)},
		{s("f"), "BOOLEAN", row.Bool(false)},
		{i("2"), "BOOLEAN", row.Bool(true)},
		{i("0"), "BOOLEAN", row.Bool(false)},
		{bl(true), "INT", row.Int(1)},
		{bl(true), "DECIMAL(3, 1)", dec("1.0", 3, 1)},
		{bl(false), "DOUBLE", row.Double(0)},
		{bl(true), "STRING", row.String("TRUE")},
		// to strings
		{i("42"), "STRING", row.String("42")},
		{neg(i("42")), "VARCHAR(10)", row.String("-42")},
		{d("1.50"), "STRING", row.String("1.50")},
		{f("1e0"), "STRING", row.String("1.0")},
		{f("100e0"), "STRING", row.String("100.0")},
		{f("1e7"), "STRING", row.String("1.0E7")},
		{f("1.5e-5"), "STRING", row.String("1.5E-5")},
		{f("0.001e0"), "STRING", row.String("0.001")},
		{f("123456.789e0"), "STRING", row.String("123456.789")},
		{neg(f("2.5e20")), "STRING", row.String("-2.5E20")},
		{cast(d("0.1"), "FLOAT"), "STRING", row.String("0.1")},
		{s("abcdef"), "VARCHAR(3)", row.String("abc")},
		{s("ab"), "CHAR(4)", row.Char("ab  ")},
		{s("中文字"), "VARCHAR(2)", row.String("中文")},
		{s("abc"), "STRING", row.String("abc")},
		{typed("DATE", "2024-03-05"), "STRING", row.String("2024-03-05")},
		{typed("TIME", "01:02:03.5"), "STRING", row.String("01:02:03.5")},
		{typed("TIMESTAMP", "2024-01-02 03:04:05"), "STRING", row.String("2024-01-02 03:04:05")},
		{cast(typed("TIMESTAMP", "2024-01-02 03:04:05"), "TIMESTAMP(3)"), "STRING", row.String("2024-01-02 03:04:05.000")},
		{ref("ltz"), "STRING", row.String("2024-01-01 08:00:00.000")}, // in Shanghai
		{interval("2", "DAY", ""), "STRING", row.String("+2 00:00:00.000")},
		{ref("arr"), "STRING", row.String("[p, q]")},
		{ref("m"), "STRING", row.String("{k1=1, k2=2}")},
		{ref("r"), "STRING", row.String("((7), hh)")},
		// bytes
		{s("hi"), "BYTES", row.BytesOf("hi")},
		{cast(s("hi"), "BYTES"), "STRING", row.String("hi")},
		{s("hi"), "BINARY(3)", row.BytesOf("hi\x00")},
		// temporal
		{s("2024-02-29"), "DATE", date(2024, 2, 29)},
		{s("2024-2-9"), "DATE", date(2024, 2, 9)},
		{s("2024-02-29 10:00:00"), "DATE", date(2024, 2, 29)},
		{s("10:20"), "TIME", row.Time((10*3600 + 20*60) * 1e9)},
		{s("2024-01-02 03:04:05.123456"), "TIMESTAMP(3)", ts(2024, 1, 2, 3, 4, 5, 123e6)},
		{s("2024-01-02T03:04:05"), "TIMESTAMP", ts(2024, 1, 2, 3, 4, 5, 0)},
		{s("2024-01-02"), "TIMESTAMP", ts(2024, 1, 2, 0, 0, 0, 0)},
		{s("2024-01-01 08:00:00"), "TIMESTAMP_LTZ(3)", row.TimestampLTZ(1704067200000, 0)},
		{s("2024-01-01 00:00:00Z"), "TIMESTAMP_LTZ(3)", row.TimestampLTZ(1704067200000, 0)},
		{typed("DATE", "2024-01-02"), "TIMESTAMP(3)", ts(2024, 1, 2, 0, 0, 0, 0)},
		{ref("ts"), "DATE", date(2024, 1, 31)},
		{ref("ts"), "TIME(0)", row.Time((10*3600 + 30*60) * 1e9)},
		{ref("ts"), "TIMESTAMP_LTZ(3)", row.TimestampLTZ(1706668200000, 0)}, // 10:30 Shanghai = 02:30Z
		{ref("ltz"), "TIMESTAMP(3)", ts(2024, 1, 1, 8, 0, 0, 0)},
		{ref("ltz"), "DATE", date(2024, 1, 1)},
		{typed("TIMESTAMP", "2024-01-02 03:04:05.999"), "TIMESTAMP(0)", ts(2024, 1, 2, 3, 4, 5, 0)},
		{typed("TIME", "01:00:00"), "TIMESTAMP(0)", ts(1970, 1, 1, 1, 0, 0, 0)},
		// intervals and numbers
		{i("3"), "INTERVAL DAY", row.IntervalMillis(3 * 86_400_000)},
		{interval("36", "HOUR", ""), "INT", row.Int(36)},
		{i("2"), "INTERVAL YEAR", row.IntervalMonths(24)},
		// NULL
		{null(), "INT", row.Null()},
		{ref("n"), "STRING", row.Null()},
		// constructed
		{ref("arr"), "ARRAY<VARCHAR(1)>", row.Array([]row.Value{row.String("p"), row.String("q")})},
		{&ast.ArrayCtor{At: at(), Elems: []ast.Expr{s("1"), s("2")}}, "ARRAY<INT>", row.Array([]row.Value{row.Int(1), row.Int(2)})},
		{ref("m"), "MAP<STRING, BIGINT>", row.Map([]row.Value{row.String("k1"), row.String("k2")}, []row.Value{row.BigInt(1), row.BigInt(2)})},
		{&ast.RowCtor{At: at(), Args: []ast.Expr{i("1"), s("x")}}, "ROW<a STRING, b STRING>", row.Struct([]row.Value{row.String("1"), row.String("x")})},
	}
	for n, c := range cases {
		v, cp := eval(t, cast(c.x, c.to))
		want := row.MustParseType(c.to)
		if !cp.Type.WithNotNull(false).Equal(want.WithNotNull(false)) {
			t.Errorf("#%d CAST AS %s: type %s", n, c.to, cp.Type)
		}
		if !same(v, c.want) {
			t.Errorf("#%d CAST(... AS %s) = %v (%s), want %v (%s)", n, c.to, v, v.Kind(), c.want, c.want.Kind())
		}
	}
}

func TestCastFailures(t *testing.T) {
	bad := []struct {
		x  ast.Expr
		to string
	}{
		{s("abc"), "INT"},
		{s(""), "INT"},
		{s("1x"), "BIGINT"},
		{s("2147483648"), "INT"},
		{s("128"), "TINYINT"},
		{s("99999999999999999999"), "BIGINT"},
		{s("1.2.3"), "DECIMAL(5, 2)"},
		{s("12345"), "DECIMAL(3, 0)"},
		{s("abc"), "DOUBLE"},
		{s("inf"), "DOUBLE"},
		{s("maybe"), "BOOLEAN"},
		{s("2024-02-30"), "DATE"},
		{s("noon"), "TIME"},
		{s("2024-01-01 25:00:00"), "TIMESTAMP"},
		{bin("/", f("0e0"), f("0e0")), "DECIMAL(5, 2)"},
	}
	for _, c := range bad {
		if err := evalErr(t, cast(c.x, c.to)); err == nil {
			t.Errorf("CAST(%v AS %s) did not fail", c.x, c.to)
		}
		v, cp := eval(t, tryCast(c.x, c.to))
		if !v.IsNull() || cp.Type.NotNull {
			t.Errorf("TRY_CAST(... AS %s) = %v (%s), want NULL", c.to, v, cp.Type)
		}
	}
	// TRY_CAST('abc' AS INT) is NULL, CAST('abc' AS INT) an error.
	if err := evalErr(t, cast(s("abc"), "INT")); err == nil || !strings.Contains(err.Error(), "abc") {
		t.Errorf("error %v", err)
	}
	// Pairs Flink cannot cast are compile errors at the CAST.
	for _, c := range []struct {
		x  ast.Expr
		to string
	}{
		{i("1"), "TIMESTAMP(3)"},
		{ref("a"), "TIMESTAMP_LTZ(3)"},
		{ref("a"), "DATE"},
		{typed("DATE", "2024-01-01"), "TIME"},
		{d("1.5"), "BOOLEAN"},
		{ref("x"), "BOOLEAN"},
		{ref("arr"), "MAP<STRING, STRING>"},
		{ref("b"), "INTERVAL DAY"},
		{ref("a"), "BYTES"},
	} {
		ce := compileErr(t, cast(c.x, c.to))
		if !strings.Contains(ce.Msg, "Cast function cannot convert value of type") || ce.Pos != pos {
			t.Errorf("CAST AS %s: %v", c.to, ce)
		}
	}
}

func TestCastNullability(t *testing.T) {
	_, cp := eval(t, cast(i("1"), "BIGINT"))
	if !cp.Type.NotNull {
		t.Error("CAST of NOT NULL is nullable")
	}
	_, cp = eval(t, tryCast(i("1"), "BIGINT"))
	if cp.Type.NotNull {
		t.Error("TRY_CAST is NOT NULL")
	}
	_, cp = eval(t, cast(ref("a"), "INT"))
	if cp.Type.NotNull {
		t.Error("CAST of nullable is NOT NULL")
	}
}

func TestCoerce(t *testing.T) {
	sc := scope()
	a, _ := Compile(ref("a"), sc)
	d2, err := Coerce(a, row.DecimalOf(20, 1))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := d2.Eval(testRow())
	if !same(v, dec("42.0", 20, 1)) || d2.Type.String() != "DECIMAL(20, 1)" {
		t.Errorf("BIGINT -> DECIMAL(20, 1): %v %s", v, d2.Type)
	}
	dbl, err := Coerce(a, row.DoubleType)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := dbl.Eval(testRow()); !same(v, row.Double(42)) {
		t.Errorf("BIGINT -> DOUBLE: %v", v)
	}
	// Widening only.
	for _, to := range []row.Type{row.IntType, row.StringType, row.BooleanType, row.TimestampOf(3)} {
		if _, err := Coerce(a, to); err == nil {
			t.Errorf("BIGINT coerced to %s", to)
		} else if _, ok := err.(*Error); !ok {
			t.Errorf("error %T", err)
		}
	}
	// CHAR literal to VARCHAR: not truncated (no length enforcement), retagged.
	lit, _ := Compile(s("abcdef"), sc)
	vc, err := Coerce(lit, row.VarCharOf(3))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := vc.Eval(nil); !same(v, row.String("abcdef")) || !vc.Const {
		t.Errorf("CHAR -> VARCHAR(3): %v const=%v", v, vc.Const)
	}
	// NULL to anything; NOT NULL target from a nullable source stays nullable.
	nl, _ := Compile(null(), sc)
	ni, err := Coerce(nl, row.IntType.WithNotNull(true))
	if err != nil || ni.Type.NotNull {
		t.Errorf("NULL -> INT NOT NULL: %v %v", ni, err)
	}
	// TIMESTAMP -> TIMESTAMP_LTZ in the scope's zone.
	tsc, _ := Compile(ref("ts"), sc)
	l, err := Coerce(tsc, row.TimestampLTZOf(3))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Eval(testRow()); v.Millis() != 1706668200000 {
		t.Errorf("TIMESTAMP -> LTZ: %v", v)
	}
	// A hand-made constant (the planner builds some) folds too.
	one := row.BigInt(1)
	hand := &Compiled{Type: row.BigIntType.WithNotNull(true), Const: true, Eval: func(*row.Row) (row.Value, error) { return one, nil }}
	hd, err := Coerce(hand, row.DecimalOf(19, 0))
	if err != nil || !hd.Const {
		t.Fatalf("hand-made: %v %v", hd, err)
	}
}

func TestCastFuncShared(t *testing.T) {
	f, err := CastFunc(row.StringType, row.IntType, true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f(row.String("x")); err != nil || !v.IsNull() {
		t.Errorf("try: %v %v", v, err)
	}
	if v, _ := f(row.String("12")); !same(v, row.Int(12)) {
		t.Errorf("12: %v", v)
	}
	if v, _ := f(row.Null()); !v.IsNull() {
		t.Errorf("NULL: %v", v)
	}
	if _, err := CastFunc(row.BigIntType, row.TimestampLTZOf(3), false, nil); err == nil {
		t.Error("BIGINT -> TIMESTAMP_LTZ allowed")
	}
}

func TestJavaFloatText(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {-0.5, 64, "-0.5"}, {1e-3, 64, "0.001"}, {9.99e-4, 64, "9.99E-4"},
		{9999999, 64, "9999999.0"}, {1e7, 64, "1.0E7"}, {1.2345e21, 64, "1.2345E21"},
		{math.NaN(), 64, "NaN"}, {math.Inf(1), 64, "Infinity"}, {math.Copysign(0, -1), 64, "-0.0"},
		{float64(float32(3.14)), 32, "3.14"}, {sum(0.1, 0.2), 64, "0.30000000000000004"},
	} {
		if got := string(appendJavaFloat(nil, c.f, c.bits)); got != c.want {
			t.Errorf("%v: %s, want %s", c.f, got, c.want)
		}
	}
}

func sum(a, b float64) float64 { return a + b }
