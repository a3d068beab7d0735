package row

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"unicode/utf8"
)

// gen makes random types and values for property tests.
type gen struct {
	r *rand.Rand
	// json restricts values to what JSON round-trips: valid UTF-8 strings,
	// map keys that are non-NULL, distinct scalars.
	json bool
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

var scalarKinds = []Kind{
	KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindFloat, KindDouble, KindDecimal,
	KindChar, KindVarChar, KindBinary, KindVarBinary, KindDate, KindTime, KindTimestamp, KindTimestampLTZ,
	KindIntervalYearMonth, KindIntervalDayTime,
}

func (g *gen) scalarType() Type {
	k := scalarKinds[g.r.IntN(len(scalarKinds))]
	switch k {
	case KindDecimal:
		p := 1 + g.r.IntN(MaxDecimalPrecision)
		return DecimalOf(p, g.r.IntN(p+1))
	case KindChar, KindBinary:
		return Type{Kind: k, Precision: 1 + g.r.IntN(10)}
	case KindVarChar, KindVarBinary:
		if g.r.IntN(2) == 0 {
			return Type{Kind: k, Precision: MaxLength}
		}
		return Type{Kind: k, Precision: 1 + g.r.IntN(100)}
	case KindTime, KindTimestamp, KindTimestampLTZ:
		return Type{Kind: k, Precision: g.r.IntN(10)}
	case KindIntervalYearMonth:
		return IntervalOf(ResYearToMonth, 2, 0)
	case KindIntervalDayTime:
		return IntervalOf(ResDayToSecond, 2, 3)
	}
	return Type{Kind: k}
}

func (g *gen) typ(depth int) Type {
	var t Type
	if depth <= 0 || g.r.IntN(4) != 0 {
		t = g.scalarType()
	} else {
		switch g.r.IntN(4) {
		case 0:
			t = ArrayOf(g.typ(depth - 1))
		case 1:
			if g.json { // JSON writes elements as object keys
				t = MultisetOf(g.scalarType())
			} else {
				t = MultisetOf(g.typ(depth - 1))
			}
		case 2:
			t = MapOf(g.scalarType(), g.typ(depth-1))
		default:
			n := g.r.IntN(4)
			fields := make([]Field, n)
			for i := range fields {
				fields[i] = Field{Name: fmt.Sprintf("f%d", i), Type: g.typ(depth - 1)}
			}
			t = RowOf(fields...)
		}
	}
	t.NotNull = g.r.IntN(5) == 0
	return t
}

func (g *gen) schema(n, depth int) *Schema {
	cols := make([]Column, n)
	for i := range cols {
		cols[i] = Column{Name: fmt.Sprintf("c%d", i), Type: g.typ(depth)}
	}
	return MustSchema(cols...)
}

var sampleStrings = []string{"", "a", "ab", "a\x00", "a\x00b", "\x00", "\xff", "\xff\x00\xff", "北京", "上海市浦东新区",
	"quote\"back\\slash", "tab\tnl\nend", "\u2028", "emoji 😀", "z", "zz"}

func (g *gen) str(t Type) string {
	if g.r.IntN(2) == 0 {
		s := sampleStrings[g.r.IntN(len(sampleStrings))]
		if g.json && t.IsString() && !utf8.ValidString(s) {
			return "fallback"
		}
		return s
	}
	n := g.r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		if g.json && t.IsString() {
			b[i] = byte(0x20 + g.r.IntN(0x5f))
		} else {
			b[i] = byte(g.r.IntN(256))
		}
	}
	return string(b)
}

func (g *gen) decimal(t Type) Decimal {
	digits := 1 + g.r.IntN(t.Precision)
	if g.r.IntN(3) == 0 {
		digits = min(t.Precision, 1+g.r.IntN(3))
	}
	b := new(big.Int)
	for i := 0; i < digits; i++ {
		b.Mul(b, big.NewInt(10))
		b.Add(b, big.NewInt(int64(g.r.IntN(10))))
	}
	if g.r.IntN(2) == 0 {
		b.Neg(b)
	}
	d, ok := DecimalFromBig(b, t.Precision, t.Scale)
	if !ok {
		panic("gen decimal")
	}
	return d
}

func (g *gen) float() float64 {
	switch g.r.IntN(10) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1 - 2*g.r.IntN(2))
	case 2:
		return math.Copysign(0, -1)
	case 3:
		return 0
	case 4:
		return float64(g.r.IntN(2000) - 1000)
	case 5:
		return math.SmallestNonzeroFloat64 * float64(g.r.IntN(5))
	}
	return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.IntN(80)-40))
}

func (g *gen) int64(bits int) int64 {
	switch g.r.IntN(6) {
	case 0:
		return -1 << (bits - 1)
	case 1:
		return 1<<(bits-1) - 1
	case 2:
		return int64(g.r.IntN(5)) - 2
	}
	return g.r.Int64() >> (64 - bits)
}

func (g *gen) value(t Type) Value {
	if !t.NotNull && g.r.IntN(6) == 0 {
		return Null()
	}
	switch t.Kind {
	case KindBoolean:
		return Bool(g.r.IntN(2) == 0)
	case KindTinyInt:
		return TinyInt(int8(g.int64(8)))
	case KindSmallInt:
		return SmallInt(int16(g.int64(16)))
	case KindInt:
		return Int(int32(g.int64(32)))
	case KindBigInt:
		return BigInt(g.int64(64))
	case KindFloat:
		return Float(float32(g.float()))
	case KindDouble:
		return Double(g.float())
	case KindDecimal:
		return DecimalValue(g.decimal(t))
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		return Value{k: t.Kind, s: g.str(t)}
	case KindDate:
		return Date(int32(MinMillis/MillisPerDay + g.r.Int64N((MaxMillis-MinMillis)/MillisPerDay)))
	case KindTime:
		return Time(TruncateTime(g.r.Int64N(NanosPerDay), t.Precision))
	case KindTimestamp, KindTimestampLTZ:
		ms := MinMillis + g.r.Int64N(MaxMillis-MinMillis+1)
		if g.r.IntN(4) == 0 {
			ms = g.r.Int64N(2e12) - 1e12
		}
		ms, ns := TruncateTimestamp(ms, int32(g.r.IntN(NanosPerMilli)), t.Precision)
		return Value{k: t.Kind, i: ms, n: ns}
	case KindIntervalYearMonth:
		return IntervalMonths(int32(g.int64(32)))
	case KindIntervalDayTime:
		return IntervalMillis(g.int64(64))
	case KindArray, KindMultiset:
		elems := make([]Value, g.r.IntN(4))
		for i := range elems {
			elems[i] = g.value(*t.Elem)
			for g.json && t.Kind == KindMultiset && elems[i].IsNull() {
				elems[i] = g.value(*t.Elem)
			}
		}
		return composite(t.Kind, elems)
	case KindMap:
		n := g.r.IntN(4)
		var kv []Value
		for i := 0; i < n; i++ {
			k := g.value(*t.Key)
			if g.json {
				if k.IsNull() {
					continue
				}
				dup := false
				for j := 0; j < len(kv); j += 2 {
					dup = dup || Equal(kv[j], k) || jsonKeyText(*t.Key, kv[j]) == jsonKeyText(*t.Key, k)
				}
				if dup {
					continue
				}
			}
			kv = append(kv, k, g.value(*t.Elem))
		}
		return composite(KindMap, kv)
	case KindRow:
		fields := make([]Value, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = g.value(f.Type)
		}
		return composite(KindRow, fields)
	}
	return Null()
}

// jsonKeyText is how a map key is written in JSON (keys that print alike
// collide there).
func jsonKeyText(t Type, k Value) string {
	s := MustSchema(Column{"k", t})
	e, _ := NewJSONEncoder(s, JSONOptions{})
	b, _ := e.Append(nil, &Row{Values: []Value{k}})
	return string(b)
}

func (g *gen) row(s *Schema) Row {
	r := Row{Kind: RowKind(g.r.IntN(4)), Values: make([]Value, s.Len())}
	for i := range r.Values {
		r.Values[i] = g.value(s.Column(i).Type)
	}
	return r
}

// identical reports that two values have the same representation, deeply
// (stricter than Equal: kinds, decimal scales, float bits).
func identical(a, b Value) bool {
	if a.k != b.k || a.f != b.f || a.prec != b.prec || a.scale != b.scale || a.n != b.n || a.i != b.i || a.s != b.s {
		return false
	}
	ea, eb := a.Elems(), b.Elems()
	if len(ea) != len(eb) {
		return false
	}
	for i := range ea {
		if !identical(ea[i], eb[i]) {
			return false
		}
	}
	return true
}
