package row

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		text string
		p, s int
		want string // "overflow" or "syntax" for errors
	}{
		{"9549.00", 16, 2, "9549.00"},
		{"9549", 16, 2, "9549.00"},
		{"9549.0", 16, 2, "9549.00"},
		{"1.005", 10, 2, "1.01"}, // HALF_UP on the text, not on a double (1.00499999...)
		{"-1.005", 10, 2, "-1.01"},
		{"1.004999", 10, 2, "1.00"},
		{"0.005", 3, 2, "0.01"},
		{"0.0049", 3, 2, "0.00"},
		{"0.000000001", 10, 2, "0.00"},
		{"-0.00", 5, 2, "0.00"},
		{"1e3", 10, 2, "1000.00"},
		{"1.5E-1", 5, 2, "0.15"},
		{"-2.5e+2", 5, 0, "-250"},
		{"2.5", 5, 0, "3"},
		{"-2.5", 5, 0, "-3"},
		{".5", 3, 1, "0.5"},
		{"5.", 3, 1, "5.0"},
		{"+7", 3, 1, "7.0"},
		{" 12.5 ", 5, 1, "12.5"},
		{"00012.50", 4, 2, "12.50"},
		{"99.994", 4, 2, "99.99"},
		{"99.995", 4, 2, "overflow"}, // rounds to 100.00: 5 digits
		{"12345678.9", 8, 1, "overflow"},
		{"1e100000000", 38, 0, "overflow"},
		{"1e-100000000", 38, 2, "0.00"},
		{"999999999999999999", 18, 0, "999999999999999999"},
		{"9999999999999999999", 19, 0, "9999999999999999999"},
		{"12345678901234567890.123", 38, 3, "12345678901234567890.123"},
		{"12345678901234567890.125", 38, 2, "12345678901234567890.13"},
		{"-99999999999999999999999999999999999999", 38, 0, "-99999999999999999999999999999999999999"},
		{"99999999999999999999999999999999999999.5", 38, 0, "overflow"},
		{"0.00000000000000000000000000000000000001", 38, 38, "0.00000000000000000000000000000000000001"},
		{"abc", 10, 2, "syntax"},
		{"", 10, 2, "syntax"},
		{".", 10, 2, "syntax"},
		{"1e", 10, 2, "syntax"},
		{"1.2.3", 10, 2, "syntax"},
		{"--1", 10, 2, "syntax"},
		{"1 2", 10, 2, "syntax"},
		{"NaN", 10, 2, "syntax"},
	}
	for _, c := range cases {
		d, err := ParseDecimal(c.text, c.p, c.s)
		var got string
		switch {
		case errors.Is(err, ErrDecimalOverflow):
			got = "overflow"
		case err != nil:
			got = "syntax"
		default:
			got = d.String()
			if d.Precision() != c.p || d.Scale() != c.s {
				t.Errorf("ParseDecimal(%q) type = %s", c.text, d.Type())
			}
		}
		if got != c.want {
			t.Errorf("ParseDecimal(%q, %d, %d) = %s, want %s", c.text, c.p, c.s, got, c.want)
		}
	}
}

func dec(s string, p, sc int) Decimal { return MustDecimal(s, p, sc) }

func TestDecimalArithmetic(t *testing.T) {
	type op func(a, b Decimal) (Decimal, bool)
	add := func(a, b Decimal) (Decimal, bool) { return a.Add(b) }
	sub := func(a, b Decimal) (Decimal, bool) { return a.Sub(b) }
	mul := func(a, b Decimal) (Decimal, bool) { return a.Mul(b) }
	div := func(a, b Decimal) (Decimal, bool) { return a.Div(b) }
	mod := func(a, b Decimal) (Decimal, bool) { return a.Mod(b) }
	cases := []struct {
		name     string
		op       op
		a, b     Decimal
		want     string // "NULL" for !ok
		wp, wsca int
	}{
		{"0.1+0.2", add, dec("0.1", 2, 1), dec("0.2", 2, 1), "0.3", 3, 1},
		{"1.5+2.25", add, dec("1.5", 2, 1), dec("2.25", 3, 2), "3.75", 4, 2},
		{"9549.00+0", add, dec("9549.00", 16, 2), dec("0", 16, 2), "9549.00", 17, 2},
		{"-5.5+2", add, dec("-5.5", 3, 1), dec("2", 1, 0), "-3.5", 4, 1},
		{"1.00-2.005", sub, dec("1.00", 3, 2), dec("2.005", 4, 3), "-1.005", 5, 3},
		{"max+1 overflows", add, dec("99999999999999999999999999999999999999", 38, 0), dec("1", 1, 0), "NULL", 38, 0},
		{"int64 overflow to big", add, dec("9223372036854775807", 19, 0), dec("1", 19, 0), "9223372036854775808", 20, 0},
		{"big-big back to compact", sub, dec("9223372036854775808", 20, 0), dec("9223372036854775807", 20, 0), "1", 21, 0},
		{"(38,8)+(32,8) loses a digit of scale", add, dec("0.12345678", 38, 8), dec("0.00000005", 32, 8), "0.1234568", 38, 7},
		{"1.10*2.5", mul, dec("1.10", 3, 2), dec("2.5", 2, 1), "2.750", 6, 3},
		{"-3*0.5", mul, dec("-3", 1, 0), dec("0.5", 1, 1), "-1.5", 3, 1},
		{"big product", mul, dec("12345678901234567890.12", 22, 2), dec("10", 2, 0), "123456789012345678901.20", 25, 2},
		{"price*qty", mul, dec("8197.00", 16, 2), dec("3", 19, 0), "24591.00", 36, 2},
		{"(30,10)*(30,10) rounds to scale 6", mul, dec("1.0000005", 30, 10), dec("1", 30, 10), "1.000001", 38, 6},
		{"1/3", div, dec("1", 10, 0), dec("3", 10, 0), "0.33333333333", 21, 11},
		{"2/3 HALF_UP", div, dec("2", 10, 0), dec("3", 10, 0), "0.66666666667", 21, 11},
		{"-2/3", div, dec("-2", 10, 0), dec("3", 10, 0), "-0.66666666667", 21, 11},
		{"10.00/4", div, dec("10.00", 4, 2), dec("4", 1, 0), "2.500000", 8, 6},
		{"1/0", div, dec("1", 10, 0), dec("0", 10, 0), "NULL", 21, 11},
		{"9549.00/1.00", div, dec("9549.00", 16, 2), dec("1.00", 3, 2), "9549.000000", 22, 6},
		{"big/big", div, dec("100000000000000000000", 38, 0), dec("3", 38, 0), "33333333333333333333.333333", 38, 6},
		{"10.5%3", mod, dec("10.5", 3, 1), dec("3", 1, 0), "1.5", 2, 1},
		{"-10.5%3", mod, dec("-10.5", 3, 1), dec("3", 1, 0), "-1.5", 2, 1},
		{"7%0", mod, dec("7", 1, 0), dec("0", 1, 0), "NULL", 1, 0},
	}
	for _, c := range cases {
		got, ok := c.op(c.a, c.b)
		s := "NULL"
		if ok {
			s = got.String()
			if got.Precision() != c.wp || got.Scale() != c.wsca {
				t.Errorf("%s: type %s, want DECIMAL(%d, %d)", c.name, got.Type(), c.wp, c.wsca)
			}
		}
		if s != c.want {
			t.Errorf("%s = %s, want %s", c.name, s, c.want)
		}
	}
}

func TestDecimalTypes(t *testing.T) {
	// Flink's LogicalTypeMergingTest cases.
	check := func(name string, p, s, wp, ws int) {
		t.Helper()
		if p != wp || s != ws {
			t.Errorf("%s = (%d, %d), want (%d, %d)", name, p, s, wp, ws)
		}
	}
	p, s := DecimalDivType(32, 8, 38, 8)
	check("div(32,8,38,8)", p, s, 38, 6)
	p, s = DecimalDivType(30, 20, 30, 20)
	check("div(30,20,30,20)", p, s, 38, 8)
	p, s = DecimalMulType(30, 10, 30, 10)
	check("mul(30,10,30,10)", p, s, 38, 6)
	p, s = DecimalMulType(30, 20, 30, 20)
	check("mul(30,20,30,20)", p, s, 38, 17)
	p, s = DecimalMulType(38, 2, 38, 3)
	check("mul(38,2,38,3)", p, s, 38, 5)
	p, s = DecimalModType(30, 10, 30, 10)
	check("mod(30,10,30,10)", p, s, 30, 10)
	p, s = DecimalModType(30, 20, 25, 20)
	check("mod(30,20,25,20)", p, s, 25, 20)
	p, s = DecimalModType(10, 10, 10, 10)
	check("mod(10,10,10,10)", p, s, 10, 10)
	p, s = DecimalAddType(38, 8, 32, 8)
	check("add(38,8,32,8)", p, s, 38, 7)
	p, s = DecimalAddType(32, 8, 38, 8)
	check("add(32,8,38,8)", p, s, 38, 7)
	p, s = DecimalAddType(30, 20, 28, 20)
	check("add(30,20,28,20)", p, s, 31, 20)
	p, s = DecimalAddType(10, 10, 10, 10)
	check("add(10,10,10,10)", p, s, 11, 10)
	p, s = DecimalAddType(38, 5, 38, 4)
	check("add(38,5,38,4)", p, s, 38, 5)
	p, s = DecimalRoundType(32, 8, 5)
	check("round(32,8,5)", p, s, 30, 5)
	p, s = DecimalAvgType(16, 2)
	check("avg(16,2)", p, s, 38, 6)
	p, s = DecimalAvgType(20, 10)
	check("avg(20,10)", p, s, 38, 10)
	p, s = DecimalSumType(16, 2)
	check("sum(16,2)", p, s, 38, 2)
}

func TestDecimalRescaleRound(t *testing.T) {
	cases := []struct {
		d    Decimal
		p, s int
		want string
	}{
		{dec("1.005", 4, 3), 3, 2, "1.01"},
		{dec("-1.005", 4, 3), 3, 2, "-1.01"},
		{dec("1.004", 4, 3), 3, 2, "1.00"},
		{dec("123.456", 6, 3), 5, 2, "123.46"},
		{dec("123.456", 6, 3), 4, 2, "NULL"},
		{dec("123.456", 6, 3), 10, 5, "123.45600"},
		{dec("9.5", 2, 1), 1, 0, "NULL"}, // rounds to 10
		{dec("9.4", 2, 1), 1, 0, "9"},
		{dec("0.5", 1, 1), 1, 0, "1"},
		{dec("12345678901234567890.5", 38, 1), 38, 0, "12345678901234567891"},
		{dec("0.00000000000000000000000000000000000005", 38, 38), 38, 37, "0.0000000000000000000000000000000000001"},
		{dec("-0.00000000000000000000000000000000000004", 38, 38), 10, 0, "0"},
		{dec("5", 1, 0), 38, 37, "5.0000000000000000000000000000000000000"},
	}
	for _, c := range cases {
		got, ok := c.d.Rescale(c.p, c.s)
		s := "NULL"
		if ok {
			s = got.String()
		}
		if s != c.want {
			t.Errorf("%s.Rescale(%d, %d) = %s, want %s", c.d, c.p, c.s, s, c.want)
		}
	}
	rounds := []struct {
		d    Decimal
		r    int
		want string
	}{
		{dec("123.456", 6, 3), 2, "123.46"},
		{dec("123.456", 6, 3), 0, "123"},
		{dec("123.456", 6, 3), -1, "120"},
		{dec("155", 3, 0), -1, "160"},
		{dec("-155", 3, 0), -1, "-160"},
		{dec("123.456", 6, 3), 5, "123.456"},
	}
	for _, c := range rounds {
		got, ok := c.d.Round(c.r)
		if !ok || got.String() != c.want {
			t.Errorf("%s.Round(%d) = %s %v, want %s", c.d, c.r, got, ok, c.want)
		}
	}
}

func TestDecimalConversions(t *testing.T) {
	if d, ok := DecimalFromFloat(1.005, 10, 2); !ok || d.String() != "1.01" {
		t.Errorf("DecimalFromFloat(1.005) = %s %v (Flink: BigDecimal.valueOf then HALF_UP)", d, ok)
	}
	if d, ok := DecimalFromFloat(0.1, 10, 2); !ok || d.String() != "0.10" {
		t.Errorf("DecimalFromFloat(0.1) = %s", d)
	}
	if _, ok := DecimalFromFloat(math.NaN(), 10, 2); ok {
		t.Error("NaN converted")
	}
	if _, ok := DecimalFromFloat(1e20, 10, 2); ok {
		t.Error("1e20 fits DECIMAL(10, 2)")
	}
	if d, ok := DecimalFromInt64(-42, 5, 2); !ok || d.String() != "-42.00" {
		t.Errorf("DecimalFromInt64 = %s %v", d, ok)
	}
	if _, ok := DecimalFromInt64(1000, 5, 2); ok {
		t.Error("1000 fits DECIMAL(5, 2)")
	}
	for _, c := range []struct {
		d Decimal
		f float64
	}{
		{dec("0.1", 2, 1), 0.1}, {dec("9549.00", 16, 2), 9549}, {dec("-1.5", 2, 1), -1.5},
		{dec("12345678901234567890.12345", 38, 5), 12345678901234567890.12345},
		{dec("0.3333333333333333333333", 30, 22), 0.3333333333333333333333},
	} {
		if got := c.d.Float64(); got != c.f {
			t.Errorf("%s.Float64() = %v, want %v", c.d, got, c.f)
		}
	}
	if i, ok := dec("-12.99", 4, 2).Int64(); !ok || i != -12 {
		t.Errorf("Int64 = %d %v", i, ok)
	}
	if _, ok := dec("99999999999999999999", 20, 0).Int64(); ok {
		t.Error("Int64 of 1e20 fits")
	}
	if d, ok := NewDecimal(954900, 16, 2); !ok || d.String() != "9549.00" {
		t.Errorf("NewDecimal = %s", d)
	}
	if _, ok := NewDecimal(1000, 3, 0); ok {
		t.Error("NewDecimal(1000, 3, 0) fits")
	}
	b, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	if d, ok := DecimalFromBig(b, 38, 4); !ok || d.String() != "-12345678901234567890123456.7890" || d.BigUnscaled().Cmp(b) != 0 {
		t.Errorf("DecimalFromBig = %s", d)
	}
	for _, c := range []struct {
		a, b Decimal
		want int
	}{
		{dec("1.0", 2, 1), dec("1.00", 3, 2), 0},
		{dec("-0.5", 2, 1), dec("0.25", 3, 2), -1},
		{dec("100000000000000000000", 38, 0), dec("99999999999999999999.99", 38, 2), 1},
		{dec("-100000000000000000000", 38, 0), dec("5", 1, 0), -1},
		{dec("9223372036854775807", 19, 0), dec("9223372036854775807.0", 20, 1), 0},
	} {
		if got := c.a.Compare(c.b); got != c.want {
			t.Errorf("Compare(%s, %s) = %d", c.a, c.b, got)
		}
		if got := c.b.Compare(c.a); got != -c.want {
			t.Errorf("Compare(%s, %s) = %d", c.b, c.a, got)
		}
	}
	if d := dec("-5", 1, 0).Abs(); d.String() != "5" {
		t.Error("Abs")
	}
	if d := dec("-9223372036854775808", 19, 0).Neg(); d.String() != "9223372036854775808" {
		t.Errorf("Neg(MinInt64) = %s", d)
	}
}

// refDecimal computes r rounded HALF_UP at scale s, or "NULL" when it does
// not fit precision p: the reference for the random arithmetic test.
func refDecimal(r *big.Rat, p, s int) string {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(bigTen(s)))
	num, den := scaled.Num(), scaled.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2))
		if twice.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if q.CmpAbs(bigTen(p)) >= 0 {
		return "NULL"
	}
	d, _ := DecimalFromBig(q, p, s)
	return d.String()
}

func randDecimal(r *rand.Rand) Decimal {
	p := 1 + r.IntN(MaxDecimalPrecision)
	s := r.IntN(p + 1)
	digits := 1 + r.IntN(p)
	if r.IntN(3) == 0 {
		digits = min(p, 1+r.IntN(4))
	}
	b := new(big.Int)
	for i := 0; i < digits; i++ {
		b.Mul(b, big.NewInt(10))
		b.Add(b, big.NewInt(int64(r.IntN(10))))
	}
	if r.IntN(2) == 0 {
		b.Neg(b)
	}
	d, ok := DecimalFromBig(b, p, s)
	if !ok {
		panic("randDecimal")
	}
	return d
}

func ratOf(d Decimal) *big.Rat {
	return new(big.Rat).SetFrac(d.BigUnscaled(), bigTen(d.Scale()))
}

func TestDecimalRandomAgainstBigRat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 4000; i++ {
		a, b := randDecimal(r), randDecimal(r)
		ra, rb := ratOf(a), ratOf(b)
		check := func(name string, got Decimal, ok bool, exact *big.Rat, p, s int) {
			t.Helper()
			want := "NULL"
			if exact != nil {
				want = refDecimal(exact, p, s)
			}
			g := "NULL"
			if ok {
				g = got.String()
				if got.Precision() != p || got.Scale() != s {
					t.Fatalf("%s %s %s: type %s, want (%d, %d)", a, name, b, got.Type(), p, s)
				}
			}
			if g != want {
				t.Fatalf("%s(%s) %s %s(%s) = %s, want %s", a, a.Type(), name, b, b.Type(), g, want)
			}
		}
		p, s := DecimalAddType(a.Precision(), a.Scale(), b.Precision(), b.Scale())
		got, ok := a.Add(b)
		check("+", got, ok, new(big.Rat).Add(ra, rb), p, s)
		got, ok = a.Sub(b)
		check("-", got, ok, new(big.Rat).Sub(ra, rb), p, s)
		p, s = DecimalMulType(a.Precision(), a.Scale(), b.Precision(), b.Scale())
		got, ok = a.Mul(b)
		check("*", got, ok, new(big.Rat).Mul(ra, rb), p, s)
		p, s = DecimalDivType(a.Precision(), a.Scale(), b.Precision(), b.Scale())
		got, ok = a.Div(b)
		var exact *big.Rat
		if !b.IsZero() {
			exact = new(big.Rat).Quo(ra, rb)
		}
		check("/", got, ok, exact, p, s)
		if c := a.Compare(b); c != ra.Cmp(rb) {
			t.Fatalf("Compare(%s, %s) = %d", a, b, c)
		}
		np, ns := r.IntN(MaxDecimalPrecision)+1, 0
		ns = r.IntN(np + 1)
		got, ok = a.Rescale(np, ns)
		check("rescale", got, ok, ra, np, ns)
		// Text round trip.
		back, err := ParseDecimal(a.String(), a.Precision(), a.Scale())
		if err != nil || back.Compare(a) != 0 || back.String() != a.String() {
			t.Fatalf("ParseDecimal(%s) = %s %v", a, back, err)
		}
		// Float64 is correctly rounded.
		want, _ := ra.Float64()
		if f := a.Float64(); f != want {
			t.Fatalf("%s.Float64() = %v, want %v", a, f, want)
		}
	}
}
