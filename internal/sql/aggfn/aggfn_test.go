package aggfn

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestResultTypes(t *testing.T) {
	ts3 := row.TimestampOf(3)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"COUNT", nil, "BIGINT NOT NULL"},
		{"COUNT", []string{"STRING"}, "BIGINT NOT NULL"},
		{"count", []string{"INT", "STRING"}, "BIGINT NOT NULL"},
		{"SUM", []string{"TINYINT"}, "TINYINT"},
		{"SUM", []string{"SMALLINT NOT NULL"}, "SMALLINT"},
		{"SUM", []string{"INT"}, "INT"},
		{"SUM", []string{"BIGINT"}, "BIGINT"},
		{"SUM", []string{"FLOAT"}, "FLOAT"},
		{"SUM", []string{"DOUBLE"}, "DOUBLE"},
		{"SUM", []string{"DECIMAL(10, 2)"}, "DECIMAL(38, 2)"},
		{"SUM", []string{"DECIMAL(38, 18)"}, "DECIMAL(38, 18)"},
		{"SUM0", []string{"INT"}, "INT NOT NULL"},
		{"$SUM0", []string{"DECIMAL(5, 1)"}, "DECIMAL(38, 1) NOT NULL"},
		{"AVG", []string{"TINYINT"}, "TINYINT"},
		{"AVG", []string{"INT"}, "INT"},
		{"AVG", []string{"BIGINT"}, "BIGINT"},
		{"AVG", []string{"FLOAT"}, "FLOAT"},
		{"AVG", []string{"DOUBLE"}, "DOUBLE"},
		{"AVG", []string{"DECIMAL(10, 2)"}, "DECIMAL(38, 6)"},
		{"AVG", []string{"DECIMAL(20, 8)"}, "DECIMAL(38, 8)"},
		{"MIN", []string{"STRING NOT NULL"}, "STRING"},
		{"MAX", []string{"DECIMAL(10, 2)"}, "DECIMAL(10, 2)"},
		{"MAX", []string{ts3.String()}, "TIMESTAMP(3)"},
		{"MAX", []string{"BOOLEAN"}, "BOOLEAN"},
		{"MIN", []string{"DATE"}, "DATE"},
		{"FIRST_VALUE", []string{"BIGINT NOT NULL"}, "BIGINT"},
		{"LAST_VALUE", []string{"ROW<a INT>"}, "ROW<`a` INT>"},
		{"LISTAGG", []string{"STRING"}, "STRING"},
		{"LISTAGG", []string{"VARCHAR(10)"}, "VARCHAR(10)"},
		{"COLLECT", []string{"INT"}, "MULTISET<INT> NOT NULL"},
		{"ARRAY_AGG", []string{"STRING"}, "ARRAY<STRING>"},
		{"VAR_POP", []string{"DOUBLE"}, "DOUBLE"},
		{"VAR_SAMP", []string{"INT"}, "INT"},
		{"VARIANCE", []string{"FLOAT"}, "FLOAT"},
		{"STDDEV_POP", []string{"DECIMAL(10, 2)"}, "DECIMAL(38, 6)"},
		{"STDDEV", []string{"BIGINT"}, "BIGINT"},
	} {
		args := make([]row.Type, len(c.args))
		for i, a := range c.args {
			args[i] = row.MustParseType(a)
		}
		for _, distinct := range []bool{false, true} {
			if distinct && len(args) == 0 {
				continue
			}
			b := bind(t, c.name, distinct, args, nil)
			if got := b.Type.String(); got != c.want {
				t.Errorf("%s(%v) distinct=%v: type %s, want %s", c.name, c.args, distinct, got, c.want)
			}
			if !b.Retractable || !b.Mergeable {
				t.Errorf("%s: Retractable %v Mergeable %v", c.name, b.Retractable, b.Mergeable)
			}
		}
	}
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct {
		name     string
		args     []row.Type
		consts   []*row.Value
		distinct bool
		want     string
	}{
		{"SUM", []row.Type{strT}, nil, false, "SUM does not support argument type STRING"},
		{"AVG", []row.Type{row.DateType}, nil, false, "AVG does not support argument type DATE"},
		{"SUM", nil, nil, false, "SUM takes 1 argument(s), got 0"},
		{"SUM", []row.Type{intT, intT}, nil, false, "SUM takes 1 argument(s), got 2"},
		{"MAX", []row.Type{row.ArrayOf(intT)}, nil, false, "MAX does not support argument type ARRAY<INT>"},
		{"MIN", []row.Type{row.NullType}, nil, false, "MIN does not support argument type NULL"},
		{"LISTAGG", []row.Type{intT}, nil, false, "LISTAGG does not support argument type INT"},
		{"LISTAGG", []row.Type{strT, strT}, []*row.Value{nil, nil}, false, "separator must be a character literal"},
		{"LISTAGG", []row.Type{strT, intT}, []*row.Value{nil, nil}, false, "separator must be a character string"},
		{"COUNT", nil, nil, true, "COUNT(DISTINCT *)"},
		{"VAR_POP", []row.Type{strT}, nil, false, "VAR_POP does not support argument type STRING"},
	} {
		f, ok := Lookup(c.name)
		if !ok {
			t.Fatalf("Lookup(%s)", c.name)
		}
		consts := c.consts
		if consts == nil {
			consts = make([]*row.Value, len(c.args))
		}
		_, err := f.Bind(c.args, consts, c.distinct)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s(%v): error %v, want %q", c.name, c.args, err, c.want)
		}
	}
}

func TestLookupIsCaseInsensitive(t *testing.T) {
	for _, n := range []string{"count", "Sum", "listagg", "First_Value", "$sum0", "stddev_samp"} {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Lookup(%q) failed", n)
		}
		if !IsBuiltin(n) {
			t.Errorf("IsBuiltin(%q) = false", n)
		}
	}
}

// TestEmptyAndNulls: the result of no rows, and of NULL rows only, which
// every function but COUNT(*) and ARRAY_AGG ignores.
func TestEmptyAndNulls(t *testing.T) {
	for _, c := range []struct {
		name  string
		arg   row.Type
		empty string // Result().String() of no rows and of NULLs only
	}{
		{"COUNT", intT, "0"},
		{"SUM", intT, "NULL"},
		{"SUM", dec102, "NULL"},
		{"SUM", doubleT, "NULL"},
		{"SUM0", intT, "0"},
		{"SUM0", doubleT, "0"},
		{"SUM0", dec102, "0.00"},
		{"AVG", intT, "NULL"},
		{"AVG", dec102, "NULL"},
		{"MIN", intT, "NULL"},
		{"MAX", strT, "NULL"},
		{"FIRST_VALUE", intT, "NULL"},
		{"LAST_VALUE", intT, "NULL"},
		{"LISTAGG", strT, "NULL"},
		{"COLLECT", intT, "[]"},
		{"VAR_POP", doubleT, "NULL"},
		{"STDDEV_SAMP", doubleT, "NULL"},
	} {
		b := bind1(t, c.name, c.arg)
		acc := b.New()
		if got := acc.Result(); got.String() != c.empty && !(c.empty == "NULL" && got.IsNull()) {
			t.Errorf("%s(%s) of no rows: %v, want %s", c.name, c.arg, got, c.empty)
		}
		for range 3 {
			mustAdd(t, acc, row.Value{})
		}
		if got := acc.Result(); got.String() != c.empty && !(c.empty == "NULL" && got.IsNull()) {
			t.Errorf("%s(%s) of NULLs: %v, want %s", c.name, c.arg, got, c.empty)
		}
		mustRetract(t, acc, row.Value{})
		if got := acc.Result(); got.String() != c.empty && !(c.empty == "NULL" && got.IsNull()) {
			t.Errorf("%s(%s) after retracting a NULL: %v, want %s", c.name, c.arg, got, c.empty)
		}
	}

	star := bind(t, "COUNT", false, nil, nil).New()
	mustAdd(t, star)
	mustAdd(t, star)
	checkResult(t, "COUNT(*)", star.Result(), row.BigInt(2))
	arr := bind1(t, "ARRAY_AGG", intT).New()
	checkResult(t, "ARRAY_AGG of no rows", arr.Result(), row.Value{})
	mustAdd(t, arr, row.Value{})
	mustAdd(t, arr, row.Int(1))
	if got := arr.Result().String(); got != "[NULL, 1]" {
		t.Errorf("ARRAY_AGG(NULL, 1) = %s, want [NULL, 1]", got)
	}
}

func TestCountMultipleArgs(t *testing.T) {
	acc := bind(t, "COUNT", false, []row.Type{intT, strT}, nil).New()
	mustAdd(t, acc, row.Int(1), row.String("a"))
	mustAdd(t, acc, row.Int(1), row.Value{})
	mustAdd(t, acc, row.Value{}, row.String("a"))
	mustAdd(t, acc, row.Int(2), row.String(""))
	checkResult(t, "COUNT(x, y)", acc.Result(), row.BigInt(2))
	mustRetract(t, acc, row.Int(1), row.Value{}) // not counted, so not uncounted
	checkResult(t, "COUNT(x, y)", acc.Result(), row.BigInt(2))
}

func TestSumDecimalExact(t *testing.T) {
	b := bind1(t, "SUM", row.DecimalOf(3, 1))
	acc := b.New()
	for range 10 {
		mustAdd(t, acc, dec("0.1", 3, 1))
	}
	got := acc.Result()
	if got.String() != "1.0" || got.Decimal().Precision() != 38 || got.Decimal().Scale() != 1 {
		t.Fatalf("SUM of ten 0.1 = %v (DECIMAL(%d, %d)), want 1.0 as DECIMAL(38, 1)",
			got, got.Decimal().Precision(), got.Decimal().Scale())
	}
	// DOUBLE for contrast: 0.1 * 10 is not 1 in binary floating point
	d := bind1(t, "SUM", doubleT).New()
	for range 10 {
		mustAdd(t, d, row.Double(0.1))
	}
	if d.Result().Float64() == 1 {
		t.Fatal("ten 0.1 doubles sum to exactly 1?")
	}
}

func TestSumOverflow(t *testing.T) {
	// INT sums wrap in 32 bits, as Java's int arithmetic in Flink.
	acc := bind1(t, "SUM", intT).New()
	mustAdd(t, acc, row.Int(math.MaxInt32))
	mustAdd(t, acc, row.Int(1))
	checkResult(t, "SUM(INT) wrapping", acc.Result(), row.Int(math.MinInt32))
	mustRetract(t, acc, row.Int(1))
	checkResult(t, "SUM(INT) unwrapping", acc.Result(), row.Int(math.MaxInt32))

	// DECIMAL sums beyond 38 digits are NULL, and come back exactly.
	b := bind1(t, "SUM", row.DecimalOf(38, 0))
	d := b.New()
	nines := dec(strings.Repeat("9", 38), 38, 0)
	mustAdd(t, d, nines)
	mustAdd(t, d, nines)
	checkResult(t, "SUM beyond 38 digits", d.Result(), row.Value{})
	d = roundTrip(t, b, d)
	mustAdd(t, d, dec("1", 38, 0))
	checkResult(t, "SUM beyond 38 digits", d.Result(), row.Value{})
	mustRetract(t, d, nines) // 10^38: still 39 digits
	checkResult(t, "SUM of 10^38", d.Result(), row.Value{})
	d = roundTrip(t, b, d)
	mustRetract(t, d, dec("1", 38, 0))
	checkResult(t, "SUM back within 38 digits", d.Result(), nines)
	mustRetract(t, d, dec("-1", 38, 0))
	mustAdd(t, d, dec("-1", 38, 0))
	checkResult(t, "SUM back within 38 digits", d.Result(), nines)
	if d.(*decSumAcc).over != nil {
		t.Error("the sum still keeps a big.Int")
	}
}

func TestSumRetractToNull(t *testing.T) {
	sum := bind1(t, "SUM", bigintT).New()
	sum0 := bind1(t, "SUM0", bigintT).New()
	for _, a := range []Acc{sum, sum0} {
		mustAdd(t, a, row.BigInt(5))
		mustAdd(t, a, row.BigInt(-5))
	}
	// a sum of 0 is not NULL: two values are in it
	checkResult(t, "SUM(5, -5)", sum.Result(), row.BigInt(0))
	for _, a := range []Acc{sum, sum0} {
		mustRetract(t, a, row.BigInt(5))
		mustRetract(t, a, row.BigInt(-5))
	}
	checkResult(t, "SUM of nothing left", sum.Result(), row.Value{})
	checkResult(t, "SUM0 of nothing left", sum0.Result(), row.BigInt(0))

	// a retraction before its row: the count goes negative, the sum is
	// not NULL (Flink's count != 0 test), then the row cancels it out
	mustRetract(t, sum, row.BigInt(3))
	checkResult(t, "SUM after an early retraction", sum.Result(), row.BigInt(-3))
	mustAdd(t, sum, row.BigInt(3))
	checkResult(t, "SUM after the row came", sum.Result(), row.Value{})
}

func TestSumFloat(t *testing.T) {
	// SUM(FLOAT) adds in float32: 16777216 + 1 is 16777216 in float32
	acc := bind1(t, "SUM", floatT).New()
	mustAdd(t, acc, row.Float(16777216))
	mustAdd(t, acc, row.Float(1))
	checkResult(t, "SUM(FLOAT)", acc.Result(), row.Float(16777216))
	if acc.Result().Kind() != row.KindFloat {
		t.Fatalf("SUM(FLOAT) is a %s", acc.Result().Kind())
	}
	// AVG(FLOAT) adds in DOUBLE and returns FLOAT
	avg := bind1(t, "AVG", floatT).New()
	mustAdd(t, avg, row.Float(16777216))
	mustAdd(t, avg, row.Float(1))
	mustAdd(t, avg, row.Float(1))
	checkResult(t, "AVG(FLOAT)", avg.Result(), row.Float(float32(16777218.0/3)))
}

func TestAvg(t *testing.T) {
	avg := func(arg row.Type, vals ...row.Value) row.Value {
		acc := bind1(t, "AVG", arg).New()
		for _, v := range vals {
			mustAdd(t, acc, v)
		}
		return acc.Result()
	}
	// integer AVG is integer division, truncated toward zero (Flink)
	checkResult(t, "AVG(1, 2)", avg(intT, row.Int(1), row.Int(2)), row.Int(1))
	checkResult(t, "AVG(-1, -2)", avg(intT, row.Int(-1), row.Int(-2)), row.Int(-1))
	checkResult(t, "AVG(1, 2, NULL)", avg(intT, row.Int(1), row.Int(2), row.Value{}, row.Int(6)), row.Int(3))
	// TINYINT values add in BIGINT: no overflow at 127 + 127
	checkResult(t, "AVG(TINYINT)", avg(row.TinyIntType, row.TinyInt(127), row.TinyInt(127)), row.TinyInt(127))
	checkResult(t, "AVG(DOUBLE)", avg(doubleT, row.Double(1), row.Double(2)), row.Double(1.5))
	// DECIMAL(10, 2): DECIMAL(38, 6), HALF_UP
	got := avg(dec102, dec("1.00", 10, 2), dec("2.00", 10, 2), dec("2.00", 10, 2))
	if got.String() != "1.666667" {
		t.Errorf("AVG(1.00, 2.00, 2.00) = %v, want 1.666667", got)
	}
	got = avg(dec102, dec("-0.01", 10, 2), dec("0.00", 10, 2), dec("0.00", 10, 2))
	if got.String() != "-0.003333" {
		t.Errorf("AVG(-0.01, 0, 0) = %v, want -0.003333", got)
	}
	got = avg(dec102, dec("0.01", 10, 2), dec("0.01", 10, 2), dec("0.00", 10, 2), dec("0.00", 10, 2), dec("0.00", 10, 2),
		dec("0.00", 10, 2), dec("0.00", 10, 2), dec("0.00", 10, 2))
	if got.String() != "0.002500" {
		t.Errorf("AVG = %v, want 0.002500", got)
	}
}

func TestMaxRetraction(t *testing.T) {
	b := bind1(t, "MAX", intT)
	acc := b.New()
	for _, v := range []int32{5, 9, 7, 9} {
		mustAdd(t, acc, row.Int(v))
	}
	checkResult(t, "MAX", acc.Result(), row.Int(9))
	mustRetract(t, acc, row.Int(9))
	checkResult(t, "MAX with one 9 left", acc.Result(), row.Int(9))
	acc = roundTrip(t, b, acc)
	mustRetract(t, acc, row.Int(9))
	checkResult(t, "MAX after the 9s", acc.Result(), row.Int(7))
	mustRetract(t, acc, row.Int(7))
	checkResult(t, "MAX after 7", acc.Result(), row.Int(5))
	mustRetract(t, acc, row.Int(5))
	checkResult(t, "MAX of nothing", acc.Result(), row.Value{})

	// an early retraction is remembered: the row it retracts cancels it
	mustRetract(t, acc, row.Int(4))
	checkResult(t, "MAX after an early retraction", acc.Result(), row.Value{})
	mustAdd(t, acc, row.Int(3))
	checkResult(t, "MAX", acc.Result(), row.Int(3))
	mustAdd(t, acc, row.Int(4))
	checkResult(t, "MAX once 4 came", acc.Result(), row.Int(3))
	acc = roundTrip(t, b, acc)
	mustAdd(t, acc, row.Int(4))
	checkResult(t, "MAX with a 4", acc.Result(), row.Int(4))
}

func TestMinMaxDecimalAndStrings(t *testing.T) {
	// 1.0 and 1.00 are one value; retracting one copy keeps the other
	acc := bind1(t, "MIN", dec102).New()
	mustAdd(t, acc, dec("1.00", 10, 2))
	mustAdd(t, acc, dec("1.5", 10, 1))
	mustAdd(t, acc, dec("1.0", 10, 1))
	mustRetract(t, acc, dec("1.00", 10, 2))
	if got := acc.Result(); got.Decimal().Compare(row.MustDecimal("1", 10, 0)) != 0 {
		t.Errorf("MIN = %v, want 1", got)
	}
	// strings compare by bytes (UTF-8 code points)
	s := bind1(t, "MAX", strT).New()
	for _, w := range []string{"b", "a", "中", "ba", "b\x00"} {
		mustAdd(t, s, row.String(w))
	}
	checkResult(t, "MAX(strings)", s.Result(), row.String("中"))
	mustRetract(t, s, row.String("中"))
	checkResult(t, "MAX(strings)", s.Result(), row.String("ba"))
	mustRetract(t, s, row.String("ba"))
	checkResult(t, "MAX(strings)", s.Result(), row.String("b\x00"))
}

// TestMinMaxManyValues crosses the bag's chunk size.
func TestMinMaxManyValues(t *testing.T) {
	b := bind1(t, "MIN", bigintT)
	acc := b.New()
	const n = 5000
	for i := range n {
		mustAdd(t, acc, row.BigInt(int64((i*7919)%n))) // a permutation of 0..n-1
	}
	acc = roundTrip(t, b, acc)
	for i := range n - 1 {
		checkResult(t, "MIN", acc.Result(), row.BigInt(int64(i)))
		mustRetract(t, acc, row.BigInt(int64(i)))
	}
	checkResult(t, "MIN", acc.Result(), row.BigInt(n-1))
}

func TestFirstLastValue(t *testing.T) {
	first := bind1(t, "FIRST_VALUE", strT).New()
	last := bind1(t, "LAST_VALUE", strT).New()
	for _, w := range []string{"a", "b", "a"} {
		mustAdd(t, first, row.String(w))
		mustAdd(t, last, row.String(w))
	}
	mustAdd(t, first, row.Value{}) // ignored
	mustAdd(t, last, row.Value{})
	checkResult(t, "FIRST_VALUE", first.Result(), row.String("a"))
	checkResult(t, "LAST_VALUE", last.Result(), row.String("a"))
	// retracting "a" removes the earliest "a": first becomes "b", last stays "a"
	mustRetract(t, first, row.String("a"))
	mustRetract(t, last, row.String("a"))
	checkResult(t, "FIRST_VALUE", first.Result(), row.String("b"))
	checkResult(t, "LAST_VALUE", last.Result(), row.String("a"))
	mustRetract(t, last, row.String("a"))
	checkResult(t, "LAST_VALUE", last.Result(), row.String("b"))
	mustRetract(t, last, row.String("zzz")) // never added: ignored
	checkResult(t, "LAST_VALUE", last.Result(), row.String("b"))
}

func TestListAgg(t *testing.T) {
	sep := row.String("|")
	b := bind(t, "LISTAGG", false, []row.Type{strT, strT}, []*row.Value{nil, &sep})
	acc := b.New()
	for _, w := range []string{"a", "b", "a", "c"} {
		mustAdd(t, acc, row.String(w), sep)
	}
	mustAdd(t, acc, row.Value{}, sep)
	checkResult(t, "LISTAGG", acc.Result(), row.String("a|b|a|c"))
	mustRetract(t, acc, row.String("a"), sep) // the earliest "a", as Java's List.remove
	checkResult(t, "LISTAGG", acc.Result(), row.String("b|a|c"))
	acc = roundTrip(t, b, acc)
	mustRetract(t, acc, row.String("c"), sep)
	checkResult(t, "LISTAGG", acc.Result(), row.String("b|a"))

	// default separator ','; a NULL separator literal makes the result NULL
	def := bind1(t, "LISTAGG", strT).New()
	mustAdd(t, def, row.String("x"))
	mustAdd(t, def, row.String("y"))
	checkResult(t, "LISTAGG", def.Result(), row.String("x,y"))
	null := row.Value{}
	n := bind(t, "LISTAGG", false, []row.Type{strT, row.NullType}, []*row.Value{nil, &null}).New()
	mustAdd(t, n, row.String("x"), null)
	checkResult(t, "LISTAGG with a NULL separator", n.Result(), row.Value{})
}

func TestCollect(t *testing.T) {
	b := bind1(t, "COLLECT", strT)
	acc := b.New()
	for _, w := range []string{"b", "a", "b"} {
		mustAdd(t, acc, row.String(w))
	}
	mustAdd(t, acc, row.Value{})
	got := acc.Result()
	if got.Kind() != row.KindMultiset || got.Len() != 3 {
		t.Fatalf("COLLECT = %v (%s)", got, got.Kind())
	}
	checkResult(t, "COLLECT", got, row.Multiset([]row.Value{row.String("a"), row.String("b"), row.String("b")}))
	mustRetract(t, acc, row.String("b"))
	checkResult(t, "COLLECT", acc.Result(), row.Multiset([]row.Value{row.String("a"), row.String("b")}))
}

func TestVariance(t *testing.T) {
	vals := []float64{2, 4, 4, 4, 5, 5, 7, 9} // mean 5, sum of squares 32
	res := func(name string, arg row.Type, conv func(float64) row.Value) row.Value {
		acc := bind1(t, name, arg).New()
		for _, v := range vals {
			mustAdd(t, acc, conv(v))
		}
		return acc.Result()
	}
	d := func(f float64) row.Value { return row.Double(f) }
	i := func(f float64) row.Value { return row.Int(int32(f)) }
	checkResult(t, "VAR_POP", res("VAR_POP", doubleT, d), row.Double(4))
	checkResult(t, "STDDEV_POP", res("STDDEV_POP", doubleT, d), row.Double(2))
	if got := res("VAR_SAMP", doubleT, d).Float64(); math.Abs(got-32.0/7) > 1e-12 {
		t.Errorf("VAR_SAMP = %v, want %v", got, 32.0/7)
	}
	if got := res("STDDEV_SAMP", doubleT, d).Float64(); math.Abs(got-math.Sqrt(32.0/7)) > 1e-12 {
		t.Errorf("STDDEV_SAMP = %v", got)
	}
	// INT: the DOUBLE result truncated to INT
	checkResult(t, "VAR_SAMP(INT)", res("VAR_SAMP", intT, i), row.Int(4))       // 4.571...
	checkResult(t, "STDDEV_SAMP(INT)", res("STDDEV_SAMP", intT, i), row.Int(2)) // 2.138...
	got := res("VAR_SAMP", dec102, func(f float64) row.Value { return dec(formatF(f), 10, 2) })
	if got.String() != "4.571429" {
		t.Errorf("VAR_SAMP(DECIMAL) = %v, want 4.571429", got)
	}
	// one value: VAR_SAMP is NULL, VAR_POP 0
	one := bind1(t, "VAR_SAMP", doubleT).New()
	mustAdd(t, one, row.Double(3))
	checkResult(t, "VAR_SAMP of one value", one.Result(), row.Value{})
	pop := bind1(t, "VAR_POP", doubleT).New()
	mustAdd(t, pop, row.Double(3))
	checkResult(t, "VAR_POP of one value", pop.Result(), row.Double(0))
	// an unmatched retraction (+1, +2, -3) makes m2 negative: NULL
	mustAdd(t, pop, row.Double(1))
	mustRetract(t, pop, row.Double(3))
	mustAdd(t, pop, row.Double(2))
	mustRetract(t, pop, row.Double(3))
	mustAdd(t, pop, row.Double(3))
	mustRetract(t, pop, row.Double(9))
	if got := pop.Result(); !got.IsNull() {
		t.Errorf("VAR_POP after unmatched retractions = %v, want NULL", got)
	}
}

func formatF(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(row.Double(f).String(), "0"), ".")
}

func TestDistinct(t *testing.T) {
	b := bind(t, "COUNT", true, []row.Type{intT}, nil)
	acc := b.New()
	for _, v := range []int32{1, 2, 2, 3, 3, 3} {
		mustAdd(t, acc, row.Int(v))
	}
	mustAdd(t, acc, row.Value{})
	checkResult(t, "COUNT(DISTINCT)", acc.Result(), row.BigInt(3))
	mustRetract(t, acc, row.Int(3))
	mustRetract(t, acc, row.Int(2))
	checkResult(t, "COUNT(DISTINCT) with copies left", acc.Result(), row.BigInt(3))
	acc = roundTrip(t, b, acc)
	mustRetract(t, acc, row.Int(2))
	checkResult(t, "COUNT(DISTINCT) without 2", acc.Result(), row.BigInt(2))
	mustRetract(t, acc, row.Int(7)) // never added: ignored
	checkResult(t, "COUNT(DISTINCT)", acc.Result(), row.BigInt(2))

	// several arguments: the tuple is the value
	m := bind(t, "COUNT", true, []row.Type{intT, strT}, nil).New()
	mustAdd(t, m, row.Int(1), row.String("a"))
	mustAdd(t, m, row.Int(1), row.String("b"))
	mustAdd(t, m, row.Int(1), row.String("a"))
	checkResult(t, "COUNT(DISTINCT x, y)", m.Result(), row.BigInt(2))

	// SUM(DISTINCT) over decimals: 1.0 and 1.00 are one value
	s := bind(t, "SUM", true, []row.Type{dec102}, nil).New()
	mustAdd(t, s, dec("1.00", 10, 2))
	mustAdd(t, s, dec("1.0", 10, 1))
	mustAdd(t, s, dec("2.50", 10, 2))
	if got := s.Result().String(); got != "3.50" {
		t.Errorf("SUM(DISTINCT 1.00, 1.0, 2.50) = %s, want 3.50", got)
	}

	// merging: the other's values this one lacks are added once
	x, y := b.New(), b.New()
	mustAdd(t, x, row.Int(1))
	mustAdd(t, x, row.Int(2))
	mustAdd(t, y, row.Int(2))
	mustAdd(t, y, row.Int(3))
	if err := x.Merge(y); err != nil {
		t.Fatal(err)
	}
	checkResult(t, "merged COUNT(DISTINCT)", x.Result(), row.BigInt(3))
	mustRetract(t, x, row.Int(2)) // two copies after the merge
	checkResult(t, "merged COUNT(DISTINCT)", x.Result(), row.BigInt(3))
	mustRetract(t, x, row.Int(2))
	checkResult(t, "merged COUNT(DISTINCT)", x.Result(), row.BigInt(2))
}

func TestInsertOnly(t *testing.T) {
	b := InsertOnly(bind1(t, "MAX", bigintT))
	acc := b.New()
	for _, v := range []int64{3, 9, 1} {
		mustAdd(t, acc, row.BigInt(v))
	}
	checkResult(t, "insert-only MAX", acc.Result(), row.BigInt(9))
	if err := acc.Retract([]row.Value{row.BigInt(9)}); !errors.Is(err, errInsertOnly) {
		t.Errorf("Retract on an insert-only MAX: %v", err)
	}
	state := roundTrip(t, b, acc).Marshal(nil)
	if len(state) > 8 {
		t.Errorf("insert-only MAX state is %d bytes: %x", len(state), state)
	}
	// a retracting state reads into an insert-only accumulator...
	full := bind1(t, "MAX", bigintT)
	racc := full.New()
	mustAdd(t, racc, row.BigInt(4))
	mustAdd(t, racc, row.BigInt(8))
	io := b.New()
	if err := io.Unmarshal(racc.Marshal(nil)); err != nil {
		t.Fatal(err)
	}
	checkResult(t, "converted MAX", io.Result(), row.BigInt(8))
	// ... but not the reverse
	if err := full.New().Unmarshal(state); !errors.Is(err, ErrCorruptState) {
		t.Errorf("an insert-only state into a retracting MAX: %v", err)
	}
	// FIRST_VALUE keeps one value
	fv := InsertOnly(bind1(t, "FIRST_VALUE", strT))
	f := fv.New()
	for _, w := range []string{"x", "y", "z"} {
		mustAdd(t, f, row.String(w))
	}
	checkResult(t, "insert-only FIRST_VALUE", f.Result(), row.String("x"))
	if n := len(f.(*listAcc).vals); n != 1 {
		t.Errorf("insert-only FIRST_VALUE keeps %d values", n)
	}
}

func TestMergeMismatch(t *testing.T) {
	a := bind1(t, "SUM", intT).New()
	if err := a.Merge(bind1(t, "COUNT", intT).New()); err == nil {
		t.Error("SUM merged a COUNT")
	}
	m := bind1(t, "MAX", intT).New()
	if err := m.Merge(bind1(t, "MIN", intT).New()); err == nil {
		t.Error("MAX merged a MIN")
	}
}

func TestCorruptStates(t *testing.T) {
	for _, c := range fuzzFuncs(t) {
		acc := c.New()
		for _, bad := range [][]byte{nil, {}, {2}, {stateVersion}, {stateVersion, 0xff, 0xff}} {
			if err := acc.Unmarshal(bad); !errors.Is(err, ErrCorruptState) {
				t.Errorf("%s: Unmarshal(%x) = %v, want ErrCorruptState", c.Name, bad, err)
			}
		}
		good := c.New().Marshal(nil)
		if err := acc.Unmarshal(append(good, 0)); !errors.Is(err, ErrCorruptState) {
			t.Errorf("%s: trailing byte: %v", c.Name, err)
		}
	}
	// semantic checks: an unsorted MAX map, a zero count
	b := bind1(t, "MAX", intT)
	s, _ := stateSchema(intT, row.BigIntType)
	for _, vals := range [][]row.Value{
		{row.Array([]row.Value{row.Int(2), row.Int(1)}), row.Array([]row.Value{row.BigInt(1), row.BigInt(1)})},
		{row.Array([]row.Value{row.Int(1)}), row.Array([]row.Value{row.BigInt(0)})},
		{row.Array([]row.Value{row.Int(1), row.Int(1)}), row.Array([]row.Value{row.BigInt(1), row.BigInt(1)})},
		{row.Array([]row.Value{row.Value{}}), row.Array([]row.Value{row.BigInt(1)})},
		{row.Array([]row.Value{row.Int(1)}), row.Array([]row.Value{})},
	} {
		state := appendValues([]byte{stateVersion, 0}, "MAX", s, vals)
		if err := b.New().Unmarshal(state); !errors.Is(err, ErrCorruptState) {
			t.Errorf("MAX state %v: %v", vals, err)
		}
	}
}

func TestMinMaxFastCompareFallback(t *testing.T) {
	// a BIGINT MAX fed INT values too (a planner that does not cast): the
	// values still order numerically
	b := bind1(t, "MAX", bigintT)
	acc := b.New()
	mustAdd(t, acc, row.BigInt(5))
	mustAdd(t, acc, row.Int(7))
	mustAdd(t, acc, row.BigInt(6))
	checkResult(t, "MAX over mixed integer kinds", acc.Result(), row.BigInt(7))
	mustRetract(t, acc, row.BigInt(7))
	checkResult(t, "MAX over mixed integer kinds", acc.Result(), row.BigInt(6))
	roundTrip(t, b, acc)

	// doubles: NaN above +Inf (row.Compare's order), -0.0 equal to 0.0
	d := bind1(t, "MAX", doubleT).New()
	for _, f := range []float64{math.Inf(1), math.NaN(), -1, math.Copysign(0, -1), 0} {
		mustAdd(t, d, row.Double(f))
	}
	if got := d.Result().Float64(); !math.IsNaN(got) {
		t.Errorf("MAX with NaN = %v", got)
	}
	mustRetract(t, d, row.Double(math.NaN()))
	checkResult(t, "MAX", d.Result(), row.Double(math.Inf(1)))
	mustRetract(t, d, row.Double(math.Inf(1)))
	mustRetract(t, d, row.Double(0)) // removes one of the two zeros
	checkResult(t, "MAX", d.Result(), row.Double(0))
	mustRetract(t, d, row.Double(0))
	checkResult(t, "MAX", d.Result(), row.Double(-1))
}

func TestUserFunc(t *testing.T) {
	newAcc := func() Acc { return &countAcc{star: true} } // COUNT(*)'s accumulator, as a user's: counts rows
	for _, c := range []struct {
		u    UserFunc
		want string
	}{
		{UserFunc{Name: "", Result: bigintT, New: newAcc}, "invalid"},
		{UserFunc{Name: " x", Result: bigintT, New: newAcc}, "invalid"},
		{UserFunc{Name: "sum", Result: bigintT, New: newAcc}, "SUM is a built-in"},
		{UserFunc{Name: "u1", Result: bigintT}, "New is nil"},
		{UserFunc{Name: "u1", Result: row.DecimalOf(50, 0), New: newAcc}, "result type"},
	} {
		if err := RegisterUserFunc(c.u); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RegisterUserFunc(%+v) = %v, want %q", c.u, err, c.want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("RegisterUser of a built-in name did not panic")
			}
		}()
		RegisterUser("MAX", bigintT, newAcc, intT)
	}()

	err := RegisterUserFunc(UserFunc{Name: "my_count", Result: bigintT.WithNotNull(true),
		Args: []row.Type{intT, strT, dec102, row.ArrayOf(intT)}, New: newAcc, NoRetract: true})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := Lookup("MY_COUNT")
	if !ok {
		t.Fatal("MY_COUNT not found")
	}
	args := []row.Type{row.SmallIntType, row.VarCharOf(3), row.DecimalOf(5, 1), row.ArrayOf(intT).WithNotNull(true)}
	b, err := f.Bind(args, make([]*row.Value, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	if b.Retractable || !b.Mergeable || b.Type.String() != "BIGINT NOT NULL" || b.Name != "MY_COUNT" {
		t.Errorf("bound %+v", b)
	}
	for _, bad := range [][]row.Type{
		{bigintT, strT, dec102, row.ArrayOf(intT)},       // BIGINT for INT
		{intT, row.BytesType, dec102, row.ArrayOf(intT)}, // bytes for a string
		{intT, strT, intT, row.ArrayOf(intT)},            // INT for DECIMAL
		{intT, strT, dec102, row.ArrayOf(bigintT)},       // ARRAY<BIGINT> for ARRAY<INT>
		{intT, strT, dec102},                             // too few
	} {
		if _, err := f.Bind(bad, make([]*row.Value, len(bad)), false); err == nil {
			t.Errorf("MY_COUNT bound %v", bad)
		}
	}
	// NULL literals are accepted anywhere; DISTINCT wraps the user function
	nulls := []row.Type{row.NullType, row.NullType, row.NullType, row.NullType}
	d, err := f.Bind(nulls, make([]*row.Value, 4), true)
	if err != nil {
		t.Fatal(err)
	}
	acc := d.New()
	for range 3 {
		mustAdd(t, acc, row.Value{}, row.Value{}, row.Value{}, row.Value{})
	}
	checkResult(t, "MY_COUNT(DISTINCT NULLs)", acc.Result(), row.BigInt(1)) // one distinct tuple
	roundTrip(t, d, acc)
}
