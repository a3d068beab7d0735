package expr

import (
	"errors"
	"math"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestLiterals(t *testing.T) {
	cases := []struct {
		e    ast.Expr
		typ  string
		want row.Value
	}{
		{i("42"), "INT NOT NULL", row.Int(42)},
		{i("2147483647"), "INT NOT NULL", row.Int(math.MaxInt32)},
		{i("2147483648"), "BIGINT NOT NULL", row.BigInt(2147483648)},
		{i("9223372036854775808"), "DECIMAL(19, 0) NOT NULL", dec("9223372036854775808", 19, 0)},
		{d("1.5"), "DECIMAL(2, 1) NOT NULL", dec("1.5", 2, 1)},
		{d("0.05"), "DECIMAL(3, 2) NOT NULL", dec("0.05", 3, 2)},
		{d(".5"), "DECIMAL(1, 1) NOT NULL", dec("0.5", 1, 1)},
		{f("1e3"), "DOUBLE NOT NULL", row.Double(1000)},
		{s("abc"), "CHAR(3) NOT NULL", row.Char("abc")},
		{s("中文"), "CHAR(2) NOT NULL", row.Char("中文")},
		{bl(true), "BOOLEAN NOT NULL", row.Bool(true)},
		{null(), "NULL", row.Null()},
		{typed("DATE", "2024-02-29"), "DATE NOT NULL", date(2024, 2, 29)},
		{typed("TIME", "12:34:56.789"), "TIME(3) NOT NULL", row.Time((12*3600+34*60+56)*1e9 + 789e6)},
		{typed("TIMESTAMP", "2024-01-02 03:04:05"), "TIMESTAMP(0) NOT NULL", ts(2024, 1, 2, 3, 4, 5, 0)},
		{typed("TIMESTAMP", "2024-01-02 03:04:05.123"), "TIMESTAMP(3) NOT NULL", ts(2024, 1, 2, 3, 4, 5, 123e6)},
		// 08:00 in Shanghai is midnight UTC.
		{typed("TIMESTAMP_LTZ", "2024-01-01 08:00:00"), "TIMESTAMP_LTZ(0) NOT NULL", row.TimestampLTZ(1704067200000, 0)},
		{interval("10", "MINUTE", ""), "INTERVAL MINUTE NOT NULL", row.IntervalMillis(600_000)},
		{interval("1 02:03:04.5", "DAY", "SECOND"), "", row.IntervalMillis(86_400_000 + 2*3_600_000 + 3*60_000 + 4_500)},
		{interval("1-2", "YEAR", "MONTH"), "", row.IntervalMonths(14)},
		{interval("-3", "MONTH", ""), "", row.IntervalMonths(-3)},
		{interval("100", "DAY", ""), "", row.IntervalMillis(100 * 86_400_000)},
	}
	for _, c := range cases {
		v, cp := eval(t, c.e)
		if !cp.Const {
			t.Errorf("%v: literal not constant", c.want)
		}
		if c.typ != "" && cp.Type.String() != c.typ {
			t.Errorf("%v: type %s, want %s", c.want, cp.Type, c.typ)
		}
		if !same(v, c.want) {
			t.Errorf("value %v (%s), want %v (%s)", v, v.Kind(), c.want, c.want.Kind())
		}
	}
	for _, bad := range []ast.Expr{
		typed("DATE", "2023-02-29"), typed("TIMESTAMP", "2024-13-01 00:00:00"), typed("TIME", "25:00:00"),
		interval("1 25", "DAY", "HOUR"), interval("x", "DAY", ""), i(string(make([]byte, 40, 40))),
	} {
		ce := compileErr(t, bad)
		if ce.Pos != pos {
			t.Errorf("%v: position %v", ce, ce.Pos)
		}
	}
}

func TestArithmetic(t *testing.T) {
	cases := []struct {
		name string
		e    ast.Expr
		typ  string
		want row.Value
	}{
		{"int+int", bin("+", i("1"), i("2")), "INT NOT NULL", row.Int(3)},
		{"bigint col", bin("+", ref("a"), i("1")), "BIGINT", row.BigInt(43)},
		{"int overflow wraps", bin("+", i("2147483647"), i("1")), "INT NOT NULL", row.Int(math.MinInt32)},
		{"int mul wraps", bin("*", i("65536"), i("65536")), "INT NOT NULL", row.Int(0)},
		{"bigint overflow wraps", bin("+", i("9223372036854775807"), cast(i("1"), "BIGINT")), "BIGINT NOT NULL", row.BigInt(math.MinInt64)},
		{"tinyint wraps", bin("+", cast(i("127"), "TINYINT"), cast(i("1"), "TINYINT")), "TINYINT NOT NULL", row.TinyInt(-128)},
		{"int div truncates", bin("/", i("7"), i("2")), "INT NOT NULL", row.Int(3)},
		{"neg div truncates", bin("/", neg(i("7")), i("2")), "INT NOT NULL", row.Int(-3)},
		{"mod sign of dividend", bin("%", neg(i("7")), i("3")), "INT NOT NULL", row.Int(-1)},
		{"mod divisor type", bin("%", ref("a"), i("5")), "INT", row.Int(2)},
		{"min/-1 wraps", bin("/", cast(neg(i("2147483648")), "INT"), neg(i("1"))), "INT NOT NULL", row.Int(math.MinInt32)},
		{"0.1+0.2", bin("+", d("0.1"), d("0.2")), "DECIMAL(3, 1) NOT NULL", dec("0.3", 3, 1)},
		{"decimal+int", bin("+", d("1.5"), i("2")), "DECIMAL(12, 1) NOT NULL", dec("3.5", 12, 1)},
		{"decimal*decimal", bin("*", ref("price"), ref("price")), "DECIMAL(21, 4)", dec("399.6001", 21, 4)},
		{"price*qty", bin("*", ref("price"), ref("qty")), "DECIMAL(21, 2)", dec("59.97", 21, 2)},
		{"decimal div", bin("/", d("1.00"), i("3")), "DECIMAL(14, 13) NOT NULL", dec("0.3333333333333", 14, 13)},
		{"decimal div rounds half up", bin("/", d("2.0"), d("3.0")), "DECIMAL(8, 6) NOT NULL", dec("0.666667", 8, 6)},
		{"decimal mod", bin("%", d("7.5"), i("2")), "DECIMAL(2, 1) NOT NULL", dec("1.5", 2, 1)},
		{"double", bin("*", ref("x"), i("2")), "DOUBLE", row.Double(5)},
		{"decimal+double", bin("+", ref("price"), ref("x")), "DOUBLE", row.Double(22.49)},
		{"float", bin("+", cast(d("0.1"), "FLOAT"), cast(d("0.2"), "FLOAT")), "FLOAT NOT NULL", row.Float(float32(0.1) + float32(0.2))},
		{"double div zero", bin("/", ref("x"), f("0e0")), "DOUBLE", row.Double(math.Inf(1))},
		{"double mod", bin("%", f("7.5e0"), f("2e0")), "DOUBLE NOT NULL", row.Double(1.5)},
		{"null operand", bin("+", ref("n"), i("1")), "INT", row.Null()},
		{"null literal", bin("+", null(), i("1")), "INT", row.Null()},
		{"unary minus", neg(ref("price")), "DECIMAL(10, 2)", dec("-19.99", 10, 2)},
		{"unary minus int min wraps", neg(cast(neg(i("2147483648")), "INT")), "INT NOT NULL", row.Int(math.MinInt32)},
		{"negative literal is INT", neg(i("2147483648")), "INT NOT NULL", row.Int(math.MinInt32)},
		{"negative literal is BIGINT", neg(i("9223372036854775808")), "BIGINT NOT NULL", row.BigInt(math.MinInt64)},
		{"plus", &ast.Unary{At: at(), Op: "+", X: i("5")}, "INT NOT NULL", row.Int(5)},
		{"concat", bin("||", ref("b"), s("!")), "STRING", row.String("xyz!")},
		{"concat chars", bin("||", s("ab"), s("c")), "CHAR(3) NOT NULL", row.Char("abc")},
		{"concat null", bin("||", ref("ns"), s("!")), "STRING", row.Null()},
		{"paren", paren(bin("*", paren(bin("+", i("1"), i("2"))), i("3"))), "INT NOT NULL", row.Int(9)},
	}
	for _, c := range cases {
		v, cp := eval(t, c.e)
		if got := cp.Type.String(); got != c.typ {
			t.Errorf("%s: type %s, want %s", c.name, got, c.typ)
		}
		if !same(v, c.want) {
			t.Errorf("%s: %v (%s), want %v (%s)", c.name, v, v.Kind(), c.want, c.want.Kind())
		}
	}
}

func TestDecimalOverflowIsNull(t *testing.T) {
	// DECIMAL(38, 0) * 10 overflows 38 digits: NULL, as Flink.
	big := d("99999999999999999999999999999999999999.")
	v, cp := eval(t, bin("*", big, i("10")))
	if !v.IsNull() {
		t.Fatalf("overflow gave %v (%s)", v, cp.Type)
	}
}

func TestDivisionByZero(t *testing.T) {
	for _, e := range []ast.Expr{
		bin("/", ref("a"), i("0")),
		bin("%", ref("a"), i("0")),
		bin("/", ref("price"), d("0.0")),
		bin("%", ref("price"), i("0")),
		bin("/", interval("1", "DAY", ""), i("0")),
	} {
		err := evalErr(t, e)
		if !errors.Is(err, errDivByZero) {
			t.Errorf("got %v, want division by zero", err)
		}
	}
	// A constant division by zero stays a runtime error (not folded).
	cp, err := Compile(bin("/", i("1"), i("0")), scope())
	if err != nil {
		t.Fatal(err)
	}
	if cp.Const {
		t.Error("1/0 folded")
	}
}

func TestTemporalArithmetic(t *testing.T) {
	cases := []struct {
		name string
		e    ast.Expr
		typ  string
		want row.Value
	}{
		{"month clamps", bin("+", typed("DATE", "2024-01-31"), interval("1", "MONTH", "")), "DATE NOT NULL", date(2024, 2, 29)},
		{"month clamps non-leap", bin("+", typed("DATE", "2023-01-31"), interval("1", "MONTH", "")), "DATE NOT NULL", date(2023, 2, 28)},
		{"minus month", bin("-", typed("DATE", "2024-03-31"), interval("1", "MONTH", "")), "DATE NOT NULL", date(2024, 2, 29)},
		{"year to month", bin("+", typed("DATE", "2024-02-29"), interval("1-0", "YEAR", "MONTH")), "DATE NOT NULL", date(2025, 2, 28)},
		{"date plus days", bin("+", ref("dt"), interval("2", "DAY", "")), "DATE", date(2024, 2, 2)},
		{"interval plus date", bin("+", interval("2", "DAY", ""), ref("dt")), "DATE", date(2024, 2, 2)},
		{"ts month clamps", bin("+", ref("ts"), interval("1", "MONTH", "")), "TIMESTAMP(3)", ts(2024, 2, 29, 10, 30, 0, 0)},
		{"ts plus hours", bin("+", ref("ts"), interval("15", "HOUR", "")), "TIMESTAMP(3)", ts(2024, 2, 1, 1, 30, 0, 0)},
		{"ts minus seconds", bin("-", ref("ts"), interval("1.5", "SECOND", "")), "TIMESTAMP(3)", ts(2024, 1, 31, 10, 29, 58, 500e6)},
		{"ltz plus minutes", bin("+", ref("ltz"), interval("10", "MINUTE", "")), "TIMESTAMP_LTZ(3)", row.TimestampLTZ(1704067200000+600000, 0)},
		{"time wraps", bin("+", typed("TIME", "23:00:00"), interval("2", "HOUR", "")), "TIME(0) NOT NULL", row.Time(3600 * 1e9)},
		{"interval sum", bin("+", interval("1", "DAY", ""), interval("1", "HOUR", "")), "", row.IntervalMillis(25 * 3_600_000)},
		{"interval times", bin("*", interval("2", "HOUR", ""), i("3")), "", row.IntervalMillis(6 * 3_600_000)},
		{"interval neg", neg(interval("2", "MONTH", "")), "", row.IntervalMonths(-2)},
	}
	for _, c := range cases {
		v, cp := eval(t, c.e)
		if c.typ != "" && cp.Type.String() != c.typ {
			t.Errorf("%s: type %s, want %s", c.name, cp.Type, c.typ)
		}
		if !same(v, c.want) {
			t.Errorf("%s: %v, want %v", c.name, v, c.want)
		}
	}
	// LTZ + 1 month happens in the session zone: 2024-01-31 20:00 in
	// Shanghai (12:00 UTC) + 1 month = 2024-02-29 20:00 Shanghai.
	jan31 := bin("+", typed("TIMESTAMP_LTZ", "2024-01-31 20:00:00"), interval("1", "MONTH", ""))
	v, _ := eval(t, jan31)
	if want := int64(1709208000000); v.Millis() != want { // 2024-02-29T12:00:00Z
		t.Errorf("ltz + month = %d, want %d", v.Millis(), want)
	}
	for _, bad := range []ast.Expr{
		bin("-", ref("ts"), ref("ts")),
		bin("+", ref("ts"), ref("ts")),
		bin("+", ref("b"), i("1")),
		bin("*", ref("ok"), i("1")),
		bin("||", ref("a"), s("x")),
		bin("+", null(), null()),
		neg(ref("b")),
	} {
		compileErr(t, bad)
	}
}
