package row

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBinaryRoundTripRandom(t *testing.T) {
	g := newGen(7)
	var buf []byte
	var out Row
	for i := 0; i < 300; i++ {
		s := g.schema(1+g.r.IntN(8), 3)
		for j := 0; j < 10; j++ {
			in := g.row(s)
			var err error
			buf, err = AppendRow(buf[:0], s, &in)
			if err != nil {
				t.Fatalf("AppendRow(%s, %v): %v", s, in, err)
			}
			if err := DecodeRow(buf, s, &out); err != nil {
				t.Fatalf("DecodeRow(%s) of %v: %v", s, in, err)
			}
			if out.Kind != in.Kind || len(out.Values) != len(in.Values) {
				t.Fatalf("decoded %v, want %v", out, in)
			}
			for c := range in.Values {
				if !identical(in.Values[c], out.Values[c]) {
					t.Fatalf("schema %s column %d: decoded %v, want %v", s, c, out.Values[c], in.Values[c])
				}
			}
			// Every strict prefix is an error, not a panic.
			for cut := 0; cut < len(buf); cut += 1 + len(buf)/16 {
				if err := DecodeRow(buf[:cut], s, &out); err == nil {
					t.Fatalf("DecodeRow of a %d-byte prefix of %d bytes succeeded", cut, len(buf))
				}
			}
		}
	}
}

func TestBinaryLayout(t *testing.T) {
	s := MustParseSchema("id BIGINT, name STRING, amount DECIMAL(16, 2), ts TIMESTAMP(3), ok BOOLEAN")
	ms, _ := TimestampOfCivil(2024, 1, 2, 3, 4, 5, 0)
	r := NewRow(UpdateAfter, BigInt(-3), String("ab"), DecimalValue(MustDecimal("9549.00", 16, 2)), Timestamp(ms, 0), Null())
	b, err := AppendRow(nil, s, &r)
	if err != nil {
		t.Fatal(err)
	}
	// version, kind, nulls (bit 4: ok), id zigzag(-3)=5, "ab", 954900 zigzag, millis zigzag, nanos 0.
	want := []byte{BinaryVersion, byte(UpdateAfter), 0x10, 5, 2, 'a', 'b'}
	if !bytes.HasPrefix(b, want) {
		t.Errorf("encoding starts % x, want % x", b, want)
	}
	if len(b) > 20 {
		t.Errorf("encoding is %d bytes, want compact: % x", len(b), b)
	}
	var out Row
	if err := DecodeRow(b, s, &out); err != nil || !out.Equal(&r) {
		t.Fatalf("DecodeRow = %v %v", out, err)
	}
	if out.Values[2].Decimal().String() != "9549.00" {
		t.Error("9549.00 is not exact")
	}
}

func TestBinaryEncodeErrors(t *testing.T) {
	s := MustParseSchema("a INT, b DECIMAL(4, 2), c TIMESTAMP(3)")
	cases := []struct {
		r    Row
		want string
	}{
		{NewRow(Insert, String("x"), Null(), Null()), `column "a": row: cannot encode a VARCHAR value as INT`},
		{NewRow(Insert, BigInt(math.MaxInt64), Null(), Null()), `column "a"`},
		{NewRow(Insert, Null(), DecimalValue(MustDecimal("123.45", 5, 2)), Null()), "does not fit DECIMAL(4, 2)"},
		{NewRow(Insert, Null(), Null()), "2 values for 3 columns"},
		{Row{Kind: 9, Values: make([]Value, 3)}, "invalid row kind"},
	}
	for _, c := range cases {
		if _, err := AppendRow(nil, s, &c.r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AppendRow(%v) = %v, want %q", c.r, err, c.want)
		}
	}
	// A DECIMAL of another scale is rescaled HALF_UP to the column's.
	r := NewRow(Insert, Int(1), DecimalValue(MustDecimal("1.005", 4, 3)), Timestamp(1, 0))
	b, err := AppendRow(nil, s, &r)
	var out Row
	if err != nil || DecodeRow(b, s, &out) != nil || out.Values[1].Decimal().String() != "1.01" {
		t.Errorf("rescale: %v %v", out, err)
	}
}

func TestDecodeRowGarbage(t *testing.T) {
	s := fuzzSchemas()[0]
	var r Row
	for _, in := range [][]byte{nil, {1}, {2, 0}, {1, 7}, {1, 0, 0xff, 0xff}, bytes.Repeat([]byte{0xff}, 64)} {
		err := DecodeRow(in, s, &r)
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeRow(% x) = %v", in, err)
		}
		for _, v := range r.Values {
			if !v.IsNull() {
				t.Errorf("after an error the row holds %v", r)
			}
		}
	}
}

// fuzzSchemas are the schemas FuzzDecodeRow decodes with: a gmall row and
// one with every type, nested.
func fuzzSchemas() []*Schema {
	return []*Schema{
		MustParseSchema("b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, " +
			"d1 DECIMAL(10, 2), d2 DECIMAL(38, 4), c CHAR(2), s STRING, bin BINARY(2), bs BYTES, dt DATE, " +
			"tm TIME(3), ts TIMESTAMP(6), ltz TIMESTAMP_LTZ(3), iym INTERVAL YEAR TO MONTH, ids INTERVAL DAY TO SECOND(3), " +
			"arr ARRAY<STRING>, ms MULTISET<INT>, m MAP<STRING, ARRAY<DECIMAL(20, 2)>>, r ROW<x INT, y ROW<z STRING>>, n NULL"),
		gmallSchema,
	}
}

func FuzzDecodeRow(f *testing.F) {
	schemas := fuzzSchemas()
	g := newGen(11)
	for _, s := range schemas {
		for i := 0; i < 8; i++ {
			r := g.row(s)
			b, err := AppendRow(nil, s, &r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range schemas {
			var r Row
			if err := DecodeRow(data, s, &r); err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v does not wrap ErrCorrupt", err)
				}
				continue
			}
			// Whatever decodes re-encodes and decodes to the same values.
			b, err := AppendRow(nil, s, &r)
			if err != nil {
				t.Fatalf("re-encoding %v: %v", r, err)
			}
			var again Row
			if err := DecodeRow(b, s, &again); err != nil {
				t.Fatalf("decoding the re-encoding: %v", err)
			}
			for i := range r.Values {
				if !identical(r.Values[i], again.Values[i]) {
					t.Fatalf("column %d: %v then %v", i, r.Values[i], again.Values[i])
				}
			}
		}
	})
}
