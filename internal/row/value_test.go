package row

import (
	"math"
	"testing"
	"unsafe"
)

func TestValueSize(t *testing.T) {
	if n := unsafe.Sizeof(Value{}); n != 40 {
		t.Errorf("Value is %d bytes, want 40", n)
	}
}

func TestCompare(t *testing.T) {
	ts := func(ms int64, ns int32) Value { return Timestamp(ms, ns) }
	d := func(s string, p, sc int) Value { return DecimalValue(MustDecimal(s, p, sc)) }
	nan := math.NaN()
	ordered := [][]Value{ // each list ascending
		{Null(), Bool(false), Bool(true)},
		{Null(), BigInt(math.MinInt64), Int(-1), TinyInt(0), SmallInt(1), BigInt(math.MaxInt64)},
		{Double(math.Inf(-1)), Double(-1e300), Float(-1), Double(-0.5), Double(0), Double(1e-300), Double(math.Inf(1)), Double(nan)},
		{d("-100000000000000000000", 38, 0), d("-1.5", 2, 1), d("0", 1, 0), d("0.01", 3, 2), d("1", 1, 0), d("12345678901234567890.1", 38, 1)},
		{String(""), String("\x00"), String("a"), String("a\x00"), String("ab"), String("b"), String("中"), String("\xff")},
		{Bytes(nil), Bytes([]byte{0}), Bytes([]byte{0, 0}), Bytes([]byte{1}), Bytes([]byte{255})},
		{Date(-719162), Date(-1), Date(0), Date(2932896)},
		{ts(MinMillis, 0), ts(-1, 999999), ts(0, 0), ts(0, 1), ts(1, 0), ts(MaxMillis, 999999)},
		{Array(nil), Array([]Value{Null()}), Array([]Value{Int(1)}), Array([]Value{Int(1), Null()}), Array([]Value{Int(1), Int(0)}), Array([]Value{Int(2)})},
		{Struct([]Value{Null(), Int(9)}), Struct([]Value{Int(1), Int(1)}), Struct([]Value{Int(1), Int(2)})},
		{Map(nil, nil), Map([]Value{String("a")}, []Value{Int(1)}), Map([]Value{String("a"), String("b")}, []Value{Int(1), Int(0)}), Map([]Value{String("a")}, []Value{Int(2)})},
		{Multiset(nil), Multiset([]Value{Int(1)}), Multiset([]Value{Int(2), Int(1), Int(1)}), Multiset([]Value{Int(1), Int(2)})},
	}
	for _, list := range ordered {
		for i := range list {
			for j := range list {
				want := cmpInt(int64(i), int64(j))
				if got := Compare(list[i], list[j]); got != want {
					t.Errorf("Compare(%v, %v) = %d, want %d", list[i], list[j], got, want)
				}
				if Equal(list[i], list[j]) != (want == 0) {
					t.Errorf("Equal(%v, %v) = %v", list[i], list[j], !(want == 0))
				}
			}
		}
	}
	equal := [][2]Value{
		{Null(), Null()},
		{Int(5), BigInt(5)},
		{Double(0), Double(math.Copysign(0, -1))},
		{Double(nan), Float(float32(nan))},
		{Float(0.5), Double(0.5)},
		{d("1.0", 2, 1), d("1.00", 3, 2)},
		{d("7", 1, 0), BigInt(7)},
		{String("x"), Char("x")},
		{Bytes([]byte("x")), BytesOf("x")},
		{Timestamp(5, 0), TimestampLTZ(5, 0)},
		{Timestamp(0, 1_500_000), Timestamp(1, 500_000)},
		{Multiset([]Value{Int(1), Int(2)}), Multiset([]Value{Int(2), Int(1)})},
		{Map([]Value{String("a"), String("b")}, []Value{Int(1), Int(2)}), Map([]Value{String("b"), String("a")}, []Value{Int(2), Int(1)})},
	}
	for _, p := range equal {
		if !Equal(p[0], p[1]) || Compare(p[0], p[1]) != 0 {
			t.Errorf("%v and %v differ", p[0], p[1])
		}
	}
	if Compare(Null(), Int(math.MinInt32)) != -1 || Compare(String(""), Null()) != 1 {
		t.Error("NULL is not first")
	}
	if Compare(Int(1), d("1.5", 2, 1)) != -1 || Compare(Double(1.6), d("1.5", 2, 1)) != 1 {
		t.Error("numeric across kinds")
	}
}

func TestValueAccessorsAndText(t *testing.T) {
	ms, ns := TimestampOfCivil(2024, 1, 2, 3, 4, 5, 500_000_000)
	big := MustDecimal("-12345678901234567890.12", 38, 2)
	cases := []struct {
		v    Value
		want string
	}{
		{Null(), "NULL"},
		{Bool(true), "true"},
		{TinyInt(-8), "-8"},
		{BigInt(math.MaxInt64), "9223372036854775807"},
		{Double(0.1), "0.1"},
		{Float(0.1), "0.1"},
		{DecimalValue(MustDecimal("9549.00", 16, 2)), "9549.00"},
		{DecimalValue(big), "-12345678901234567890.12"},
		{String("北京"), "北京"},
		{Bytes([]byte{0x0a, 0xff}), "x'0aff'"},
		{Date(19724), "2024-01-02"},
		{Time(3723 * NanosPerSecond), "01:02:03"},
		{Timestamp(ms, ns), "2024-01-02 03:04:05.5"},
		{TimestampLTZ(ms, ns), "2024-01-02 03:04:05.5Z"},
		{IntervalMonths(14), "+1-02"},
		{IntervalMonths(-14), "-1-02"},
		{IntervalMillis(93784005), "+1 02:03:04.005"},
		{Array([]Value{Int(1), Null()}), "[1, NULL]"},
		{Map([]Value{String("k")}, []Value{Int(1)}), "{k=1}"},
		{Struct([]Value{Int(1), String("a")}), "(1, a)"},
	}
	for _, c := range cases {
		if got := c.v.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	if v := DecimalValue(big); v.Decimal().Compare(big) != 0 || v.Decimal().String() != big.String() {
		t.Error("big decimal round trip through Value")
	}
	if v := Timestamp(10, -1); v.Millis() != 9 || v.NanosOfMilli() != 999999 {
		t.Errorf("Timestamp normalization: %d %d", v.Millis(), v.NanosOfMilli())
	}
	m := Map([]Value{String("a"), String("b"), String("a")}, []Value{Int(1), Int(2), Int(3)})
	if m.Len() != 3 || m.MapKey(1).Str() != "b" || m.MapValue(1).Int64() != 2 {
		t.Error("map accessors")
	}
	if v, ok := m.MapGet(String("a")); !ok || v.Int64() != 3 {
		t.Errorf("MapGet(a) = %v %v (the last entry wins)", v, ok)
	}
	if _, ok := m.MapGet(String("z")); ok {
		t.Error("MapGet(z) found")
	}
	a := Array([]Value{Int(1), Int(2)})
	if a.Len() != 2 || a.Elem(1).Int64() != 2 || Int(1).Len() != 0 || Int(1).Elems() != nil {
		t.Error("array accessors")
	}
	if Float(1.5).Float32() != 1.5 || Int(3).Float64() != 3 || DecimalValue(MustDecimal("2.5", 2, 1)).Float64() != 2.5 {
		t.Error("Float64")
	}
	r := NewRow(Insert, BigInt(1), String("x"), Double(2.5), DecimalValue(MustDecimal("1.5", 2, 1)), Timestamp(7, 0), Array([]Value{Int(1)}))
	if r.Int64(0) != 1 || r.Str(1) != "x" || r.Float64(2) != 2.5 || r.Decimal(3).String() != "1.5" || r.Millis(4) != 7 || len(r.Elems(5)) != 1 || r.IsNull(0) {
		t.Error("row getters")
	}
	c := r.Clone()
	c.Set(0, BigInt(2))
	if r.Int64(0) != 1 || c.Int64(0) != 2 || c.Equal(&r) {
		t.Error("Clone shares its slice")
	}
	c.Set(0, BigInt(1))
	if !c.Equal(&r) {
		t.Error("Equal")
	}
	r.Reset(Delete, 2)
	if r.Kind != Delete || r.Len() != 2 || !r.IsNull(0) || !r.IsNull(1) {
		t.Error("Reset")
	}
}
