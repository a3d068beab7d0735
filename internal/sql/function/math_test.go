package function

import (
	"math"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestMathFunctions(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		c("ABS", i(5), i(-5)),
		c("ABS", dec("1.50", 5, 2), dec("-1.50", 5, 2)),
		c("ABS", row.TinyInt(-128), row.TinyInt(-128)), // Java's overflow
		c("ABS", f(2.5), f(-2.5)),
		c("ABS", nl, nl),

		// DECIMAL: HALF_UP, the type from Flink's DecimalRoundType.
		c("ROUND", dec("1.24", 5, 2), dec("1.235", 5, 3), i(2)),
		c("ROUND", dec("1.23", 5, 2), dec("1.234", 5, 3), i(2)),
		c("ROUND", dec("-1.24", 5, 2), dec("-1.235", 5, 3), i(2)),
		c("ROUND", dec("120", 4, 0), dec("123.45", 5, 2), i(-1)),
		c("ROUND", dec("100.0", 4, 1), dec("99.99", 4, 2), i(1)),
		c("ROUND", dec("2", 2, 0), dec("1.50", 3, 2)),
		c("ROUND", dec("1.5", 3, 1), dec("1.5", 3, 1), i(3)),
		// DOUBLE: HALF_UP on the shortest decimal text (BigDecimal.valueOf).
		c("ROUND", f(1.01), f(1.005), i(2)),
		c("ROUND", f(3), f(2.5)),
		c("ROUND", f(-3), f(-2.5)),
		c("ROUND", f(1200), f(1234.5678), i(-2)),
		c("ROUND", f(0), f(0.004), i(2)),
		c("ROUND", f(0.01), f(0.006), i(2)),
		c("ROUND", f(10), f(9.96), i(1)),
		c("ROUND", i(20), i(15), i(-1)),
		c("ROUND", i(-20), i(-15), i(-1)),
		c("ROUND", i(10), i(14), i(-1)),
		c("ROUND", bi(15), bi(15), i(2)),
		c("ROUND", nl, f(1.5), nl),
		c("ROUND", nl, dec("1.5", 2, 1), nl),

		// Flink docs: 42.324.truncate(2) to 42.32, and 42.324.truncate() to 42.0.
		c("TRUNCATE", f(42.32), f(42.324), i(2)),
		c("TRUNCATE", f(42), f(42.324)),
		c("TRUNCATE", f(0.29), f(0.29), i(2)),
		c("TRUNCATE", f(-1.9), f(-1.99), i(1)),
		c("TRUNCATE", dec("42.32", 5, 2), dec("42.324", 5, 3), i(2)),
		c("TRUNCATE", dec("-42.32", 5, 2), dec("-42.329", 5, 3), i(2)),
		c("TRUNCATE", dec("120", 4, 0), dec("123.45", 5, 2), i(-1)),
		c("TRUNCATE", dec("1.5", 3, 1), dec("1.5", 3, 1), i(4)),
		c("TRUNCATE", i(120), i(123), i(-1)),
		c("TRUNCATE", i(-120), i(-129), i(-1)),

		c("FLOOR", dec("-2", 5, 0), dec("-1.50", 5, 2)),
		c("FLOOR", dec("1", 5, 0), dec("1.99", 5, 2)),
		c("CEIL", dec("2", 5, 0), dec("1.20", 5, 2)),
		c("CEIL", dec("-1", 5, 0), dec("-1.20", 5, 2)),
		c("CEILING", dec("1000", 5, 0), dec("999.99", 5, 2)),
		c("FLOOR", f(-2), f(-1.5)),
		c("CEIL", row.Float(2), row.Float(1.25)),
		c("CEIL", i(3), i(3)),

		c("MOD", i(1), i(7), i(3)),
		c("MOD", i(-1), i(-7), i(3)), // the dividend's sign
		c("MOD", i(1), bi(7), i(3)),  // the divisor's type
		c("MOD", bi(1), i(7), bi(3)),
		c("MOD", dec("1.5", 3, 1), dec("7.5", 2, 1), i(2)),
		c("MOD", f(1.5), f(7.5), f(2)),
		c("MOD", nl, i(7), nl),

		c("POWER", f(1024), i(2), i(10)),
		c("POW", f(0.25), f(2), i(-2)),
		c("SQRT", f(4), i(16)),
		c("EXP", f(1), i(0)),
		c("LN", f(0), i(1)),
		c("LOG10", f(3), i(1000)),
		c("LOG2", f(3), i(8)),
		c("LOG", f(3), i(2), i(8)),
		c("LOG", f(0), f(1)),
		c("SIN", f(0), f(0)),
		c("COS", f(1), f(0)),
		c("DEGREES", f(180), f(math.Pi)),
		c("RADIANS", f(math.Pi), i(180)),
		c("ATAN2", f(math.Pi/4), f(1), f(1)),
		c("SIGN", i(-1), i(-3)),
		c("SIGN", bi(0), bi(0)),
		c("SIGN", dec("1.00", 3, 2), dec("2.50", 3, 2)),
		c("SIGN", f(-1), f(-0.5)),
		c("PI", f(math.Pi)),
		c("E", f(math.E)),

		// Flink docs: 4.bin() returns "100" and 12.bin() returns "1100"; a numeric 20
		// leads to "14", 100 to "64", a string "hello,world" to "68656C6C6F2C776F726C64".
		c("BIN", s("100"), i(4)),
		c("BIN", s("1100"), i(12)),
		c("HEX", s("14"), i(20)),
		c("HEX", s("64"), i(100)),
		c("HEX", s("68656C6C6F2C776F726C64"), s("hello,world")),
		c("HEX", s("FFFFFFFFFFFFFFFF"), i(-1)),

		c("GREATEST", dec("3.0", 11, 1), i(1), dec("2.5", 2, 1), i(3)),
		c("GREATEST", bi(5), i(1), bi(5)),
		c("GREATEST", nl, i(1), nl),
		c("LEAST", s("a"), s("b"), s("a")),
		c("LEAST", ts("2024-01-01 00:00:00"), date("2024-01-02"), ts("2024-01-01 00:00:00")),
		c("GREATEST", f(2.5), i(1), f(2.5)),
	})
}

func TestMathTypes(t *testing.T) {
	nn := func(t row.Type) Arg { return Arg{Type: t.WithNotNull(true)} }
	two := i(2)
	for _, tc := range []struct {
		name string
		args []Arg
		want string
	}{
		{"ROUND", []Arg{nn(row.DecimalOf(10, 4)), {Type: row.IntType.WithNotNull(true), Const: &two}}, "DECIMAL(9, 2) NOT NULL"},
		{"ROUND", []Arg{nn(row.DoubleType)}, "DOUBLE NOT NULL"},
		{"FLOOR", []Arg{{Type: row.DecimalOf(10, 2)}}, "DECIMAL(10, 0)"},
		{"MOD", []Arg{nn(row.BigIntType), nn(row.IntType)}, "INT NOT NULL"},
		{"MOD", []Arg{nn(row.DecimalOf(10, 2)), nn(row.IntType)}, "DECIMAL(10, 2)"},
		{"POWER", []Arg{nn(row.IntType), {Type: row.IntType}}, "DOUBLE"},
		{"GREATEST", []Arg{nn(row.IntType), nn(row.DecimalOf(5, 2))}, "DECIMAL(12, 2) NOT NULL"},
		{"GREATEST", []Arg{nn(row.TinyIntType), {Type: row.BigIntType}}, "BIGINT"},
		{"RAND", nil, "DOUBLE NOT NULL"},
		{"ABS", []Arg{nn(row.SmallIntType)}, "SMALLINT NOT NULL"},
	} {
		if got := bind(t, utcEnv, tc.name, tc.args...).Type.String(); got != tc.want {
			t.Errorf("%s%s: type %s, want %s", tc.name, argList(tc.args), got, tc.want)
		}
	}
	errContains(t, bindErr(t, "ROUND", Arg{Type: row.DecimalOf(10, 2)}, Arg{Type: row.IntType}), "needs a literal")
	errContains(t, bindErr(t, "ABS", Arg{Type: row.StringType}), "ABS expects (NUMERIC), got (STRING)")
	errContains(t, bindErr(t, "GREATEST", Arg{Type: row.IntType}, Arg{Type: row.StringType}), "one comparable type")
	_, err := callEnvErr(t, utcEnv, "MOD", i(7), i(0))
	errContains(t, err, "division by zero")
}

// RAND(seed) is java.util.Random: new Random(42).nextDouble() is
// 0.7275636800328681 and then 0.6832234717598454, so a seeded RAND gives
// Flink's sequence.
func TestRandSeeded(t *testing.T) {
	seed := i(42)
	bd := bind(t, utcEnv, "RAND", Arg{Type: row.IntType.WithNotNull(true), Const: &seed})
	if !bd.Dynamic {
		t.Error("RAND is not Dynamic")
	}
	for _, want := range []float64{0.7275636800328681, 0.6832234717598454} {
		if v, _ := bd.Eval(nil); v.Float64() != want {
			t.Errorf("RAND(42) = %v, want %v", v, want)
		}
	}
	bd = bind(t, utcEnv, "RAND_INTEGER", Arg{Type: row.IntType, Const: &seed}, Arg{Type: row.IntType})
	// new Random(42).nextInt(10) is 0, then 3.
	for _, want := range []int64{0, 3} {
		if v, _ := bd.Eval([]row.Value{seed, i(10)}); v.Int64() != want {
			t.Errorf("RAND_INTEGER(42, 10) = %v, want %d", v, want)
		}
	}
	bd = bind(t, utcEnv, "RAND")
	for k := 0; k < 100; k++ {
		if v, _ := bd.Eval(nil); v.Float64() < 0 || v.Float64() >= 1 {
			t.Fatalf("RAND() = %v", v)
		}
	}
	bd = bind(t, utcEnv, "RAND_INTEGER", Arg{Type: row.IntType})
	for k := 0; k < 100; k++ {
		if v, _ := bd.Eval([]row.Value{i(3)}); v.Int64() < 0 || v.Int64() >= 3 {
			t.Fatalf("RAND_INTEGER(3) = %v", v)
		}
	}
	if _, err := bd.Eval([]row.Value{i(0)}); err == nil {
		t.Error("RAND_INTEGER(0): no error")
	}
}
