package row

import (
	"bytes"
	"math"
	"testing"
)

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// TestKeyOrder: for random values of random types, bytes.Compare of the
// keys agrees with Compare, in both directions and null placements.
func TestKeyOrder(t *testing.T) {
	g := newGen(5)
	for i := 0; i < 400; i++ {
		typ := g.typ(2)
		typ.NotNull = false
		vals := make([]Value, 24)
		for j := range vals {
			vals[j] = g.value(typ)
		}
		// Near-duplicates make ties and close calls likely.
		vals = append(vals, vals[0], vals[1])
		for _, a := range vals {
			for _, b := range vals {
				want := Compare(a, b)
				ka, kb := AppendKey(nil, a), AppendKey(nil, b)
				if got := sign(bytes.Compare(ka, kb)); got != want {
					t.Fatalf("%s: Compare(%v, %v) = %d but keys compare %d\n% x\n% x", typ, a, b, want, got, ka, kb)
				}
				da, db := AppendSortKey(nil, a, true, true), AppendSortKey(nil, b, true, true)
				var wantDesc int // DESC NULLS LAST
				switch {
				case a.IsNull() && b.IsNull():
				case a.IsNull():
					wantDesc = 1
				case b.IsNull():
					wantDesc = -1
				default:
					wantDesc = -want
				}
				if got := sign(bytes.Compare(da, db)); got != wantDesc {
					t.Fatalf("%s DESC NULLS LAST: %v vs %v = %d, want %d", typ, a, b, got, wantDesc)
				}
			}
		}
	}
}

// TestKeyComposite: keys of several columns order column by column.
func TestKeyComposite(t *testing.T) {
	g := newGen(6)
	s := g.schema(3, 1)
	rows := make([]Row, 60)
	for i := range rows {
		rows[i] = g.row(s)
		if i%3 == 1 {
			rows[i].Values[0] = rows[i-1].Values[0] // ties on the first column
		}
	}
	for _, a := range rows {
		for _, b := range rows {
			want := 0
			for c := range a.Values {
				if want = Compare(a.Values[c], b.Values[c]); want != 0 {
					break
				}
			}
			if got := sign(bytes.Compare(AppendKey(nil, a.Values...), AppendKey(nil, b.Values...))); got != want {
				t.Fatalf("%s: %v vs %v: keys %d, Compare %d", s, a, b, got, want)
			}
		}
	}
}

func TestKeyCanonical(t *testing.T) {
	d := func(s string, p, sc int) Value { return DecimalValue(MustDecimal(s, p, sc)) }
	same := [][2]Value{
		{d("1.0", 2, 1), d("1.00", 3, 2)},
		{d("-120", 3, 0), d("-120.000", 6, 3)},
		{Double(0), Double(math.Copysign(0, -1))},
		{Double(math.NaN()), Double(-math.NaN())},
		{Int(7), BigInt(7)},
		{String("x"), Char("x")},
	}
	for _, p := range same {
		if !bytes.Equal(AppendKey(nil, p[0]), AppendKey(nil, p[1])) {
			t.Errorf("%v and %v have different keys", p[0], p[1])
		}
	}
	if got := AppendKey(nil, Null(), BigInt(1)); !bytes.Equal(got, []byte{0, 1, 0x80, 0, 0, 0, 0, 0, 0, 1}) {
		t.Errorf("AppendKey(NULL, 1) = % x", got)
	}
	if got := AppendKey(nil, String("a\x00b")); !bytes.Equal(got, []byte{1, 'a', 0, 0xff, 'b', 0, 1}) {
		t.Errorf("AppendKey(a\\0b) = % x", got)
	}
}
