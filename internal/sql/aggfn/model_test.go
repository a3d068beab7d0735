package aggfn

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// A differential test: random sequences of adds and retracts run against
// an accumulator and against a plain model (the list of rows currently
// added, a retraction removing the earliest equal row), and after every
// step the accumulator's result must equal the reference computed from the
// model alone. Round trips through Marshal/Unmarshal and merges happen in
// the middle of the sequences.

type modelCase struct {
	name     string // function
	arg      row.Type
	sep      *row.Value // LISTAGG's separator literal
	distinct bool
	gen      func(r *rand.Rand) row.Value
	ref      func(m []row.Value) row.Value
	approx   bool // compare floating results with a tolerance
}

func (c modelCase) String() string {
	d := ""
	if c.distinct {
		d = "DISTINCT "
	}
	return fmt.Sprintf("%s(%s%s)", c.name, d, c.arg)
}

func (c modelCase) bound(t testing.TB) Bound {
	if c.sep != nil {
		return bind(t, c.name, c.distinct, []row.Type{c.arg, strT}, []*row.Value{nil, c.sep})
	}
	return bind(t, c.name, c.distinct, []row.Type{c.arg}, nil)
}

func (c modelCase) args(v row.Value) []row.Value {
	if c.sep != nil {
		return []row.Value{v, *c.sep}
	}
	return []row.Value{v}
}

// expect is the reference result for the model: the distinct rows only
// for DISTINCT.
func (c modelCase) expect(m []row.Value) row.Value {
	if c.distinct {
		var set []row.Value
		for _, v := range m {
			if !slices.ContainsFunc(set, func(w row.Value) bool { return row.Equal(v, w) && v.IsNull() == w.IsNull() }) {
				set = append(set, v)
			}
		}
		m = set
	}
	return c.ref(m)
}

func (c modelCase) check(t *testing.T, b Bound, acc Acc, m []row.Value, step string) {
	t.Helper()
	got, want := acc.Result(), c.expect(m)
	if !got.IsNull() && got.Kind() != b.Type.Kind {
		t.Fatalf("%v %s: result %v is a %s, the bound type is %s", c, step, got, got.Kind(), b.Type)
	}
	if c.approx && !got.IsNull() && !want.IsNull() {
		g, w := got.Float64(), want.Float64()
		if math.Abs(g-w) <= 1e-6*math.Max(1, math.Abs(w)) {
			return
		}
	}
	if !sameValue(got, want) {
		t.Fatalf("%v %s: model %v: got %v, want %v", c, step, m, got, want)
	}
}

func removeFirst(m []row.Value, v row.Value) []row.Value {
	for i, w := range m {
		if row.Equal(v, w) && v.IsNull() == w.IsNull() {
			return slices.Delete(m, i, i+1)
		}
	}
	return m
}

// run plays a random sequence on acc and model m, checking each step.
func (c modelCase) run(t *testing.T, r *rand.Rand, b Bound, acc Acc, m []row.Value, steps int, roundTrips bool) (Acc, []row.Value) {
	t.Helper()
	for s := 0; s < steps; s++ {
		switch op := r.IntN(10); {
		case op < 6 || len(m) == 0:
			v := c.gen(r)
			mustAdd(t, acc, c.args(v)...)
			m = append(m, v)
		case op < 9:
			v := m[r.IntN(len(m))]
			mustRetract(t, acc, c.args(v)...)
			m = removeFirst(m, v)
		case roundTrips:
			acc = roundTrip(t, b, acc)
		}
		c.check(t, b, acc, m, fmt.Sprintf("step %d", s))
	}
	return acc, m
}

func TestDifferential(t *testing.T) {
	for _, c := range modelCases() {
		t.Run(c.String(), func(t *testing.T) {
			b := c.bound(t)
			for seed := uint64(0); seed < 20; seed++ {
				r := rand.New(rand.NewPCG(seed, 7))
				acc := b.New()
				c.check(t, b, acc, nil, "empty")
				acc, m := c.run(t, r, b, acc, nil, 60, true)

				// merge: a second accumulator with its own history, the
				// merged result is that of both models (this one's rows
				// first), and the sequence goes on on the merged one
				other := b.New()
				other, om := c.run(t, r, b, other, nil, 40, false)
				if r.IntN(2) == 0 {
					other = roundTrip(t, b, other)
				}
				if err := acc.Merge(other); err != nil {
					t.Fatal(err)
				}
				m = append(m, om...)
				c.check(t, b, acc, m, "after Merge")
				acc = roundTrip(t, b, acc)
				c.run(t, r, b, acc, m, 40, true)
			}
		})
	}
}

// TestDifferentialRetractAll retracts every row in random order: the
// results go back to the empty ones.
func TestDifferentialRetractAll(t *testing.T) {
	for _, c := range modelCases() {
		t.Run(c.String(), func(t *testing.T) {
			b := c.bound(t)
			r := rand.New(rand.NewPCG(1, 2))
			acc := b.New()
			var m []row.Value
			for range 50 {
				v := c.gen(r)
				mustAdd(t, acc, c.args(v)...)
				m = append(m, v)
			}
			for len(m) > 0 {
				v := m[r.IntN(len(m))]
				mustRetract(t, acc, c.args(v)...)
				m = removeFirst(m, v)
				c.check(t, b, acc, m, "retracting")
			}
			checkResult(t, "after all retracted", acc.Result(), b.New().Result())
		})
	}
}

// TestDifferentialInsertOnly runs adds and merges on InsertOnly
// accumulators.
func TestDifferentialInsertOnly(t *testing.T) {
	for _, c := range modelCases() {
		t.Run(c.String(), func(t *testing.T) {
			b := InsertOnly(c.bound(t))
			if b.Retractable {
				t.Fatal("InsertOnly: still Retractable")
			}
			r := rand.New(rand.NewPCG(3, 4))
			for range 10 {
				acc, other := b.New(), b.New()
				var m, om []row.Value
				for i := range 30 {
					v := c.gen(r)
					if i%3 == 0 {
						mustAdd(t, other, c.args(v)...)
						om = append(om, v)
						continue
					}
					mustAdd(t, acc, c.args(v)...)
					m = append(m, v)
					c.check(t, b, acc, m, "insert-only add")
					if i%7 == 0 {
						acc = roundTrip(t, b, acc)
					}
				}
				if err := acc.Merge(roundTrip(t, b, other)); err != nil {
					t.Fatal(err)
				}
				c.check(t, b, acc, append(m, om...), "insert-only merge")
			}
		})
	}
}

// ---- generators

func genNullable(r *rand.Rand, f func() row.Value) row.Value {
	if r.IntN(8) == 0 {
		return row.Value{}
	}
	return f()
}

func genInt(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value { return row.Int(int32(r.IntN(9) - 4)) })
}

// genWideInt makes INTs near the limits so that 32-bit sums wrap.
func genWideInt(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value {
		return row.Int(int32(r.IntN(5)-2) * (math.MaxInt32 / 2))
	})
}

func genBigInt(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value { return row.BigInt(int64(r.IntN(2001)-1000) * 1_000_000_007) })
}

func genTinyInt(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value { return row.TinyInt(int8(r.IntN(256) - 128)) })
}

// genDouble makes integral doubles, so sums are exact in any order.
func genDouble(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value { return row.Double(float64(r.IntN(41) - 20)) })
}

func genDecimal(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value {
		d, _ := row.NewDecimal(int64(r.IntN(2001)-1000), 10, 2)
		return row.DecimalValue(d)
	})
}

var bigDecT = row.DecimalOf(38, 0)

// genHugeDecimal makes DECIMAL(38, 0) values near 10^38, so sums leave
// the 38 digits and come back.
func genHugeDecimal(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value {
		u := new(big.Int).Exp(big.NewInt(10), big.NewInt(37), nil)
		u.Mul(u, big.NewInt(int64(r.IntN(19)-9)))
		d, ok := row.DecimalFromBig(u, 38, 0)
		if !ok {
			panic("test decimal does not fit")
		}
		return row.DecimalValue(d)
	})
}

var words = []string{"", "a", "b", "ab", "b\x00", "zz", "中文"}

func genString(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value { return row.String(words[r.IntN(len(words))]) })
}

func genTimestamp(r *rand.Rand) row.Value {
	return genNullable(r, func() row.Value {
		return row.Timestamp(1_700_000_000_000+int64(r.IntN(5))*1000, int32(r.IntN(2))*500)
	})
}

// ---- references, each from the model alone

func nonNull(m []row.Value) []row.Value {
	var out []row.Value
	for _, v := range m {
		if !v.IsNull() {
			out = append(out, v)
		}
	}
	return out
}

func refCount(m []row.Value) row.Value { return row.BigInt(int64(len(nonNull(m)))) }

// wrap narrows as Java's casts do.
func wrap(k row.Kind, x int64) row.Value {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(x))
	case row.KindInt:
		return row.Int(int32(x))
	}
	return row.BigInt(x)
}

func refSumInt(k row.Kind, zero bool) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 && !zero {
			return row.Value{}
		}
		var s int64
		for _, v := range vs {
			s += v.Int64()
		}
		return wrap(k, s)
	}
}

func refAvgInt(k row.Kind) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 {
			return row.Value{}
		}
		var s int64
		for _, v := range vs {
			s += v.Int64()
		}
		return wrap(k, s/int64(len(vs)))
	}
}

func refSumDouble(zero, avg bool) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 && !zero {
			return row.Value{}
		}
		s := 0.0
		for _, v := range vs {
			s += v.Float64()
		}
		if avg {
			s /= float64(len(vs))
		}
		return row.Double(s)
	}
}

// decText formats unscaled / 10^scale.
func decText(u *big.Int, scale int) string {
	neg := u.Sign() < 0
	s := new(big.Int).Abs(u).String()
	for len(s) <= scale {
		s = "0" + s
	}
	if scale > 0 {
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func unscaled(v row.Value, scale int) *big.Int {
	d := v.Decimal()
	if d.Scale() != scale {
		panic("scale")
	}
	return d.BigUnscaled()
}

func refSumDec(scale int, zero bool) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 && !zero {
			return row.Value{}
		}
		s := new(big.Int)
		for _, v := range vs {
			s.Add(s, unscaled(v, scale))
		}
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)
		if s.CmpAbs(limit) >= 0 {
			return row.Value{} // does not fit DECIMAL(38, s)
		}
		return dec(decText(s, scale), 38, scale)
	}
}

// refAvgDec rounds sum / n HALF_UP (away from zero on a tie) to scale rs.
func refAvgDec(scale, rs int) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 {
			return row.Value{}
		}
		s := new(big.Int)
		for _, v := range vs {
			s.Add(s, unscaled(v, scale))
		}
		num := new(big.Int).Mul(s, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rs-scale)), nil))
		den := big.NewInt(int64(len(vs)))
		q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
		if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(int64(num.Sign())))
		}
		return dec(decText(q, rs), 38, rs)
	}
}

func refExtreme(isMax bool) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		var best row.Value
		for _, v := range nonNull(m) {
			if best.IsNull() || (isMax && row.Compare(v, best) > 0) || (!isMax && row.Compare(v, best) < 0) {
				best = v
			}
		}
		return best
	}
}

func refFirst(m []row.Value) row.Value {
	if vs := nonNull(m); len(vs) > 0 {
		return vs[0]
	}
	return row.Value{}
}

func refLast(m []row.Value) row.Value {
	if vs := nonNull(m); len(vs) > 0 {
		return vs[len(vs)-1]
	}
	return row.Value{}
}

func refListAgg(sep string) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		if len(vs) == 0 {
			return row.Value{}
		}
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = v.Str()
		}
		return row.String(strings.Join(parts, sep))
	}
}

func refCollect(m []row.Value) row.Value {
	vs := nonNull(m)
	slices.SortFunc(vs, row.Compare)
	if vs == nil {
		vs = []row.Value{}
	}
	return row.Multiset(vs)
}

func refArrayAgg(m []row.Value) row.Value {
	if len(m) == 0 {
		return row.Value{}
	}
	return row.Array(slices.Clone(m))
}

// refVariance computes with the two-pass formula.
func refVariance(pop, sqrt bool) func([]row.Value) row.Value {
	return func(m []row.Value) row.Value {
		vs := nonNull(m)
		n := len(vs)
		if n == 0 || (!pop && n == 1) {
			return row.Value{}
		}
		mean := 0.0
		for _, v := range vs {
			mean += v.Float64()
		}
		mean /= float64(n)
		ss := 0.0
		for _, v := range vs {
			ss += (v.Float64() - mean) * (v.Float64() - mean)
		}
		den := float64(n)
		if !pop {
			den--
		}
		x := ss / den
		if sqrt {
			x = math.Sqrt(x)
		}
		return row.Double(x)
	}
}

func modelCases() []modelCase {
	comma := row.String(",")
	dash := row.String(" - ")
	tsT := row.TimestampOf(3)
	return []modelCase{
		{name: "COUNT", arg: intT, gen: genInt, ref: refCount},
		{name: "COUNT", arg: strT, gen: genString, ref: refCount},
		{name: "COUNT", arg: intT, distinct: true, gen: genInt, ref: refCount},
		{name: "COUNT", arg: strT, distinct: true, gen: genString, ref: refCount},
		{name: "SUM", arg: intT, gen: genInt, ref: refSumInt(row.KindInt, false)},
		{name: "SUM", arg: intT, gen: genWideInt, ref: refSumInt(row.KindInt, false)},
		{name: "SUM", arg: row.TinyIntType, gen: genTinyInt, ref: refSumInt(row.KindTinyInt, false)},
		{name: "SUM", arg: bigintT, gen: genBigInt, ref: refSumInt(row.KindBigInt, false)},
		{name: "SUM", arg: intT, distinct: true, gen: genInt, ref: refSumInt(row.KindInt, false)},
		{name: "SUM", arg: doubleT, gen: genDouble, ref: refSumDouble(false, false)},
		{name: "SUM", arg: dec102, gen: genDecimal, ref: refSumDec(2, false)},
		{name: "SUM", arg: dec102, distinct: true, gen: genDecimal, ref: refSumDec(2, false)},
		{name: "SUM", arg: bigDecT, gen: genHugeDecimal, ref: refSumDec(0, false)},
		{name: "SUM0", arg: intT, gen: genInt, ref: refSumInt(row.KindInt, true)},
		{name: "$SUM0", arg: dec102, gen: genDecimal, ref: refSumDec(2, true)},
		{name: "SUM0", arg: doubleT, gen: genDouble, ref: refSumDouble(true, false)},
		{name: "AVG", arg: intT, gen: genInt, ref: refAvgInt(row.KindInt)},
		{name: "AVG", arg: intT, gen: genWideInt, ref: refAvgInt(row.KindInt)},
		{name: "AVG", arg: row.TinyIntType, gen: genTinyInt, ref: refAvgInt(row.KindTinyInt)},
		{name: "AVG", arg: bigintT, gen: genBigInt, ref: refAvgInt(row.KindBigInt)},
		{name: "AVG", arg: doubleT, gen: genDouble, ref: refSumDouble(false, true), approx: true},
		{name: "AVG", arg: dec102, gen: genDecimal, ref: refAvgDec(2, 6)},
		{name: "AVG", arg: dec102, distinct: true, gen: genDecimal, ref: refAvgDec(2, 6)},
		{name: "MIN", arg: intT, gen: genInt, ref: refExtreme(false)},
		{name: "MAX", arg: intT, gen: genInt, ref: refExtreme(true)},
		{name: "MAX", arg: bigintT, gen: genBigInt, ref: refExtreme(true)},
		{name: "MIN", arg: doubleT, gen: genDouble, ref: refExtreme(false)},
		{name: "MAX", arg: dec102, gen: genDecimal, ref: refExtreme(true)},
		{name: "MIN", arg: strT, gen: genString, ref: refExtreme(false)},
		{name: "MAX", arg: strT, gen: genString, ref: refExtreme(true)},
		{name: "MAX", arg: strT, distinct: true, gen: genString, ref: refExtreme(true)},
		{name: "MIN", arg: tsT, gen: genTimestamp, ref: refExtreme(false)},
		{name: "MAX", arg: tsT, gen: genTimestamp, ref: refExtreme(true)},
		{name: "COLLECT", arg: intT, gen: genInt, ref: refCollect},
		{name: "COLLECT", arg: strT, gen: genString, ref: refCollect},
		{name: "COLLECT", arg: strT, distinct: true, gen: genString, ref: refCollect},
		{name: "FIRST_VALUE", arg: intT, gen: genInt, ref: refFirst},
		{name: "LAST_VALUE", arg: intT, gen: genInt, ref: refLast},
		{name: "FIRST_VALUE", arg: strT, gen: genString, ref: refFirst},
		{name: "LAST_VALUE", arg: dec102, gen: genDecimal, ref: refLast},
		{name: "LISTAGG", arg: strT, gen: genString, ref: refListAgg(",")},
		{name: "LISTAGG", arg: strT, sep: &comma, gen: genString, ref: refListAgg(",")},
		{name: "LISTAGG", arg: strT, sep: &dash, gen: genString, ref: refListAgg(" - ")},
		{name: "ARRAY_AGG", arg: intT, gen: genInt, ref: refArrayAgg},
		{name: "VAR_POP", arg: doubleT, gen: genDouble, ref: refVariance(true, false), approx: true},
		{name: "VAR_SAMP", arg: doubleT, gen: genDouble, ref: refVariance(false, false), approx: true},
		{name: "STDDEV_POP", arg: doubleT, gen: genDouble, ref: refVariance(true, true), approx: true},
		{name: "STDDEV_SAMP", arg: doubleT, gen: genDouble, ref: refVariance(false, true), approx: true},
	}
}
