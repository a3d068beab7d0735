package function

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rtdw/rtdw/internal/row"
)

// Numeric functions with Flink's types: ABS, SIGN, FLOOR, CEIL keep the
// argument's type (FLOOR/CEIL of DECIMAL(p, s) is DECIMAL(p, 0)); ROUND
// and TRUNCATE keep integer and floating types and derive DECIMAL(p, s)
// as Flink's DecimalRoundType; MOD is the second argument's integer type
// or Flink's DECIMAL mod type; the transcendental functions are DOUBLE.
// ROUND is HALF_UP on the decimal value (a DOUBLE is first read as its
// shortest decimal text, as Java's BigDecimal.valueOf: ROUND(1.005, 2)
// is 1.01).

var sNum = sig{"(NUMERIC)", 1, cls(isNumT), false}

func init() {
	simple("ABS", sNum, sameType, func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			v := a[0]
			switch k := v.Kind(); {
			case k == row.KindNull:
				return null, nil
			case isIntKind(k):
				x := v.Int64()
				if x < 0 {
					x = -x
				}
				return intOf(k, x), nil
			case k == row.KindDecimal:
				return row.DecimalValue(v.Decimal().Abs()), nil
			case k == row.KindFloat:
				return row.Float(float32(math.Abs(v.Float64()))), nil
			}
			return row.Double(math.Abs(v.Float64())), nil
		}, nil
	})
	simple("SIGN", sNum, sameType, func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			v := a[0]
			switch k := v.Kind(); {
			case k == row.KindNull:
				return null, nil
			case isIntKind(k):
				x := v.Int64()
				return intOf(k, int64(cmpInt64(x, 0))), nil
			case k == row.KindDecimal:
				d := v.Decimal()
				r, ok := row.DecimalFromInt64(int64(d.Sign()), d.Precision(), d.Scale())
				if !ok {
					return null, nil
				}
				return row.DecimalValue(r), nil
			}
			f := v.Float64()
			if f != 0 && !math.IsNaN(f) {
				f = math.Copysign(1, f)
			}
			if v.Kind() == row.KindFloat {
				return row.Float(float32(f)), nil
			}
			return row.Double(f), nil
		}, nil
	})
	reg("FLOOR", bindFloorCeil("FLOOR", false))
	reg("CEIL", bindFloorCeil("CEIL", true), "CEILING")
	reg("ROUND", bindRoundTrunc("ROUND", false))
	reg("TRUNCATE", bindRoundTrunc("TRUNCATE", true))
	reg("MOD", bindMod)

	for _, f := range []struct {
		name string
		fn   func(float64) float64
	}{
		{"SQRT", math.Sqrt}, {"EXP", math.Exp}, {"LN", math.Log}, {"LOG10", math.Log10},
		{"LOG2", func(x float64) float64 { return math.Log(x) / math.Ln2 }},
		{"SIN", math.Sin}, {"COS", math.Cos}, {"TAN", math.Tan},
		{"COT", func(x float64) float64 { return 1 / math.Tan(x) }},
		{"ASIN", math.Asin}, {"ACOS", math.Acos}, {"ATAN", math.Atan},
		{"SINH", math.Sinh}, {"COSH", math.Cosh}, {"TANH", math.Tanh},
		{"DEGREES", func(x float64) float64 { return x * 180 / math.Pi }},
		{"RADIANS", func(x float64) float64 { return x / 180 * math.Pi }},
		{"CBRT", math.Cbrt},
	} {
		fn := f.fn
		simple(f.name, sNum, fixed(row.DoubleType), func(*Env, []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				return row.Double(fn(a[0].Float64())), nil
			}, nil
		})
	}
	sNum2 := sig{"(NUMERIC, NUMERIC)", 2, cls(isNumT, isNumT), false}
	for _, f := range []struct {
		name string
		fn   func(x, y float64) float64
	}{{"POWER", math.Pow}, {"ATAN2", math.Atan2}} {
		fn := f.fn
		aliases := []string{}
		if f.name == "POWER" {
			aliases = append(aliases, "POW")
		}
		simple(f.name, sNum2, fixed(row.DoubleType), func(*Env, []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if hasNull(a) {
					return null, nil
				}
				return row.Double(fn(a[0].Float64(), a[1].Float64())), nil
			}, nil
		}, aliases...)
	}
	// LOG(x) is LN; LOG(b, x) the logarithm of x to base b.
	simple("LOG", sig{"(NUMERIC[, NUMERIC])", 1, cls(isNumT, isNumT), false}, fixed(row.DoubleType), func(_ *Env, args []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			if len(a) == 1 {
				return row.Double(math.Log(a[0].Float64())), nil
			}
			return row.Double(math.Log(a[1].Float64()) / math.Log(a[0].Float64())), nil
		}, nil
	})
	for _, c := range []struct {
		name string
		v    float64
	}{{"PI", math.Pi}, {"E", math.E}} {
		v := row.Double(c.v)
		name := c.name
		reg(name, func(_ *Env, args []Arg) (Bound, error) {
			if len(args) != 0 {
				return Bound{}, sigError(name, "()", args)
			}
			return Bound{Type: row.DoubleType.WithNotNull(true), Eval: func([]row.Value) (row.Value, error) { return v, nil }}, nil
		})
	}
	reg("RAND", bindRand)
	reg("RAND_INTEGER", bindRandInteger)
	simple("BIN", sig{"(INT)", 1, cls(isIntT), false}, fixed(row.StringType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			return row.String(strconv.FormatUint(uint64(a[0].Int64()), 2)), nil
		}, nil
	})
	simple("HEX", sig{"(INT or STRING)", 1, cls(func(t row.Type) bool { return isStrBinT(t) || t.IsInteger() }), false},
		fixed(row.StringType), func(_ *Env, args []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				switch k := a[0].Kind(); {
				case k == row.KindNull:
					return null, nil
				case isIntKind(k):
					return row.String(strings.ToUpper(strconv.FormatUint(uint64(a[0].Int64()), 16))), nil
				}
				return row.String(strings.ToUpper(hexString2(a[0].Str()))), nil
			}, nil
		})
	reg("GREATEST", bindGreatestLeast("GREATEST", 1))
	reg("LEAST", bindGreatestLeast("LEAST", -1))
}

func hexString2(s string) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*len(s))
	for i := 0; i < len(s); i++ {
		b[2*i], b[2*i+1] = digits[s[i]>>4], digits[s[i]&15]
	}
	return string(b)
}

func sameType(args []Arg) row.Type { return args[0].Type }

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// intOf returns x as an integer of kind k, wrapped to its width as Java's
// narrowing casts do.
func intOf(k row.Kind, x int64) row.Value {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(x))
	case row.KindSmallInt:
		return row.SmallInt(int16(x))
	case row.KindInt:
		return row.Int(int32(x))
	}
	return row.BigInt(x)
}

// intDecimalPrec is the DECIMAL precision that holds an integer type.
func intDecimalPrec(k row.Kind) int {
	switch k {
	case row.KindTinyInt:
		return 3
	case row.KindSmallInt:
		return 5
	case row.KindInt:
		return 10
	}
	return 19
}

// ---- FLOOR, CEIL ----

func bindFloorCeil(name string, ceil bool) func(*Env, []Arg) (Bound, error) {
	return func(env *Env, args []Arg) (Bound, error) {
		if len(args) == 2 {
			return bindTemporalFloorCeil(env, name, args, ceil)
		}
		if !sNum.matches(args) {
			return Bound{}, sigError(name, "(NUMERIC) or (temporal TO unit)", args)
		}
		t := args[0].Type
		if t.Kind == row.KindDecimal {
			t = withNull(row.DecimalOf(t.Precision, 0), t.Nullable())
		}
		scale := args[0].Type.Scale
		return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			v := a[0]
			switch v.Kind() {
			case row.KindNull:
				return null, nil
			case row.KindFloat, row.KindDouble:
				f := v.Float64()
				if ceil {
					f = math.Ceil(f)
				} else {
					f = math.Floor(f)
				}
				if v.Kind() == row.KindFloat {
					return row.Float(float32(f)), nil
				}
				return row.Double(f), nil
			case row.KindDecimal:
				d := v.Decimal()
				if d.Scale() == 0 && scale == 0 {
					return v, nil
				}
				r, ok := floorCeilDecimal(d, ceil)
				if !ok {
					return null, nil
				}
				return row.DecimalValue(r), nil
			}
			return v, nil
		}}, nil
	}
}

// floorCeilDecimal rounds d to an integer toward -inf (or +inf) as
// DECIMAL(p, 0).
func floorCeilDecimal(d row.Decimal, ceil bool) (row.Decimal, bool) {
	s := d.Scale()
	if u, ok := d.Unscaled(); ok && s <= 18 {
		p10 := int64(math.Pow10(s))
		q, r := u/p10, u%p10
		if !ceil && r < 0 {
			q--
		} else if ceil && r > 0 {
			q++
		}
		return row.NewDecimal(q, d.Precision(), 0)
	}
	b := d.BigUnscaled()
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)
	q, m := new(big.Int).QuoRem(b, div, new(big.Int))
	if !ceil && m.Sign() < 0 {
		q.Sub(q, big.NewInt(1))
	} else if ceil && m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return row.DecimalFromBig(q, d.Precision(), 0)
}

// ---- ROUND, TRUNCATE ----

func bindRoundTrunc(name string, trunc bool) func(*Env, []Arg) (Bound, error) {
	return func(_ *Env, args []Arg) (Bound, error) {
		s := sig{"(NUMERIC[, INT])", 1, cls(isNumT, isIntT), false}
		if err := s.check(name, args); err != nil {
			return Bound{}, err
		}
		t := args[0].Type
		if t.Kind == row.KindDecimal {
			r := int64(0)
			if len(args) == 2 {
				var ok bool
				if r, ok = constInt(args[1]); !ok && !isConstNull(args[1]) {
					return Bound{}, fmt.Errorf("%s of a DECIMAL needs a literal number of digits (it decides the result type)", name)
				}
			}
			p, sc := row.DecimalRoundType(t.Precision, t.Scale, int(r))
			t = withNull(row.DecimalOf(p, sc), anyNullable(args))
		} else {
			t = withNull(t, anyNullable(args))
		}
		return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			d := int64(0)
			if len(a) == 2 {
				d = a[1].Int64()
			}
			d = max(min(d, 400), -400)
			v := a[0]
			switch k := v.Kind(); {
			case isIntKind(k):
				return intOf(k, roundInt(v.Int64(), d, trunc)), nil
			case k == row.KindDecimal:
				var r row.Decimal
				var ok bool
				if trunc {
					r, ok = truncDecimal(v.Decimal(), int(d))
				} else {
					r, ok = v.Decimal().Round(int(d))
				}
				if !ok {
					return null, nil
				}
				return row.DecimalValue(r), nil
			case k == row.KindFloat:
				return row.Float(float32(roundFloat(v.Float64(), d, trunc))), nil
			}
			return row.Double(roundFloat(v.Float64(), d, trunc)), nil
		}}, nil
	}
}

// roundInt rounds (HALF_UP) or truncates x to d fraction digits: only a
// negative d changes an integer (ROUND(15, -1) = 20).
func roundInt(x, d int64, trunc bool) int64 {
	if d >= 0 {
		return x
	}
	if d < -18 {
		return 0
	}
	q := int64(math.Pow10(int(-d)))
	r := x % q
	base := x - r
	if trunc {
		return base
	}
	if r >= 0 && r >= q-r {
		return base + q
	}
	if r < 0 && -r >= q+r {
		return base - q
	}
	return base
}

// truncDecimal truncates d toward zero to r fraction digits, typed as
// DecimalRoundType (Flink's struncate: unchanged when r >= scale).
func truncDecimal(d row.Decimal, r int) (row.Decimal, bool) {
	s := d.Scale()
	if r >= s {
		return d, true
	}
	p, sc := row.DecimalRoundType(d.Precision(), s, r)
	drop := s - r // digits dropped from the unscaled value
	if u, ok := d.Unscaled(); ok && drop <= 18 {
		u /= int64(math.Pow10(drop))
		if r < 0 {
			if -r > 18 {
				return row.NewDecimal(0, p, sc)
			}
			m, ok := mulPow10(u, -r)
			if !ok {
				return row.Decimal{}, false
			}
			u = m
		}
		return row.NewDecimal(u, p, sc)
	}
	b := d.BigUnscaled()
	b.Quo(b, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(drop)), nil))
	if r < 0 {
		b.Mul(b, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-r)), nil))
	}
	return row.DecimalFromBig(b, p, sc)
}

func mulPow10(u int64, k int) (int64, bool) {
	for ; k > 0; k-- {
		if u > math.MaxInt64/10 || u < math.MinInt64/10 {
			return 0, false
		}
		u *= 10
	}
	return u, true
}

// roundFloat rounds (HALF_UP) or truncates x to d fraction digits of its
// shortest decimal text (Java's BigDecimal.valueOf(double)).
func roundFloat(x float64, d int64, trunc bool) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], x, 'e', -1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	e := 0
	for i, c := range s {
		if c == 'e' {
			e, _ = strconv.Atoi(string(s[i+1:]))
			s = s[:i]
			break
		}
	}
	// digits d0 d1 d2 ... with the point after intDigits of them.
	digits := make([]byte, 0, len(s)+1)
	for _, c := range s {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	keep := int64(e+1) + d
	if keep >= int64(len(digits)) {
		return x
	}
	up := false
	if keep >= 0 {
		up = !trunc && digits[keep] >= '5'
		digits = digits[:keep]
	} else {
		digits = digits[:0]
	}
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i >= 0 {
			digits[i]++
		} else {
			digits = append([]byte{'1'}, digits...)
		}
	}
	if strings.Trim(string(digits), "0") == "" {
		return 0
	}
	text := string(digits) + "e" + strconv.FormatInt(-d, 10)
	f, _ := strconv.ParseFloat(text, 64)
	if neg {
		f = -f
	}
	return f
}

// ---- MOD ----

func bindMod(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(NUMERIC, NUMERIC)", 2, cls(isNumT, isNumT), false}
	if err := s.check("MOD", args); err != nil {
		return Bound{}, err
	}
	ta, tb := args[0].Type, args[1].Type
	n := anyNullable(args)
	switch {
	case ta.Kind == row.KindFloat || ta.Kind == row.KindDouble || tb.Kind == row.KindFloat || tb.Kind == row.KindDouble:
		return Bound{Type: withNull(row.DoubleType, n), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			return row.Double(math.Mod(a[0].Float64(), a[1].Float64())), nil
		}}, nil
	case ta.Kind == row.KindDecimal || tb.Kind == row.KindDecimal:
		pa, sa := decimalPS(ta)
		pb, sb := decimalPS(tb)
		p, sc := row.DecimalModType(pa, sa, pb, sb)
		return Bound{Type: withNull(row.DecimalOf(p, sc), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			x, y := toDecimal(a[0]), toDecimal(a[1])
			if y.IsZero() {
				return null, errors.New("MOD: division by zero")
			}
			r, ok := x.Mod(y)
			if !ok {
				return null, nil
			}
			if r.Precision() != p || r.Scale() != sc {
				if r, ok = r.Rescale(p, sc); !ok {
					return null, nil
				}
			}
			return row.DecimalValue(r), nil
		}}, nil
	}
	// Integers: the type of the divisor (Calcite's MOD), the sign of the
	// dividend (Java's %); a zero divisor fails as in Java.
	t := tb
	if isNullT(t) {
		t = ta
	}
	return Bound{Type: withNull(t, n), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		y := a[1].Int64()
		if y == 0 {
			return null, errors.New("MOD: division by zero")
		}
		k := t.Kind
		if k == row.KindNull {
			k = a[1].Kind()
		}
		return intOf(k, a[0].Int64()%y), nil
	}}, nil
}

// decimalPS is the DECIMAL(p, s) that holds values of an exact type.
func decimalPS(t row.Type) (int, int) {
	if t.Kind == row.KindDecimal {
		return t.Precision, t.Scale
	}
	if t.IsInteger() {
		return intDecimalPrec(t.Kind), 0
	}
	return 19, 0
}

// toDecimal converts an integer or DECIMAL value.
func toDecimal(v row.Value) row.Decimal {
	if v.Kind() == row.KindDecimal {
		return v.Decimal()
	}
	d, _ := row.DecimalFromInt64(v.Int64(), intDecimalPrec(v.Kind()), 0)
	return d
}

// ---- RAND ----

// javaRandom is java.util.Random's linear congruential generator, so
// RAND(seed) and RAND_INTEGER(seed, n) give Flink's sequences.
type javaRandom struct{ seed atomic.Int64 }

const (
	jrMul  = 0x5DEECE66D
	jrMask = (1 << 48) - 1
)

func newJavaRandom(seed int64) *javaRandom {
	r := &javaRandom{}
	r.seed.Store((seed ^ jrMul) & jrMask)
	return r
}

func (r *javaRandom) next(bits uint) int32 {
	for {
		old := r.seed.Load()
		nx := (old*jrMul + 0xB) & jrMask
		if r.seed.CompareAndSwap(old, nx) {
			return int32(uint64(nx) >> (48 - bits))
		}
	}
}

func (r *javaRandom) nextDouble() float64 {
	return float64(int64(r.next(26))<<27+int64(r.next(27))) * (1.0 / (1 << 53))
}

func (r *javaRandom) nextInt(bound int32) int32 {
	x := r.next(31)
	m := bound - 1
	if bound&m == 0 {
		return int32((int64(bound) * int64(x)) >> 31)
	}
	for u := x; ; u = r.next(31) {
		x = u % bound
		if u-x+m >= 0 {
			return x
		}
	}
}

func bindRand(_ *Env, args []Arg) (Bound, error) {
	s := sig{"([INT])", 0, cls(isIntT), false}
	if err := s.check("RAND", args); err != nil {
		return Bound{}, err
	}
	t := row.DoubleType.WithNotNull(true)
	if len(args) == 0 {
		return Bound{Type: t, Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
			return row.Double(rand.Float64()), nil
		}}, nil
	}
	seed, ok := constInt(args[0])
	if !ok {
		return Bound{}, errors.New("RAND: the seed must be an integer literal")
	}
	r := newJavaRandom(seed)
	return Bound{Type: t, Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
		return row.Double(r.nextDouble()), nil
	}}, nil
}

func bindRandInteger(_ *Env, args []Arg) (Bound, error) {
	s := sig{"([INT, ]INT)", 1, cls(isIntT, isIntT), false}
	if err := s.check("RAND_INTEGER", args); err != nil {
		return Bound{}, err
	}
	var r *javaRandom
	if len(args) == 2 {
		seed, ok := constInt(args[0])
		if !ok {
			return Bound{}, errors.New("RAND_INTEGER: the seed must be an integer literal")
		}
		r = newJavaRandom(seed)
	}
	bi := len(args) - 1
	return Bound{Type: withNull(row.IntType, args[bi].Type.Nullable()), Dynamic: true, Eval: func(a []row.Value) (row.Value, error) {
		if a[bi].IsNull() {
			return null, nil
		}
		b := a[bi].Int64()
		if b <= 0 || b > math.MaxInt32 {
			return null, fmt.Errorf("RAND_INTEGER: the bound must be a positive INT, got %d", b)
		}
		if r != nil {
			return row.Int(r.nextInt(int32(b))), nil
		}
		return row.Int(rand.Int32N(int32(b))), nil
	}}, nil
}

// ---- GREATEST, LEAST ----

func bindGreatestLeast(name string, sign int) func(*Env, []Arg) (Bound, error) {
	return func(_ *Env, args []Arg) (Bound, error) {
		if len(args) == 0 {
			return Bound{}, sigError(name, "(value, ...)", args)
		}
		types := make([]row.Type, len(args))
		for i, a := range args {
			types[i] = a.Type
		}
		t, ok := commonType(types)
		if !ok || !comparable(t) {
			return Bound{}, fmt.Errorf("%s expects arguments of one comparable type, got %s", name, argList(args))
		}
		return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			best := a[0]
			if best.IsNull() {
				return null, nil
			}
			best = convertTo(best, t)
			for _, v := range a[1:] {
				if v.IsNull() {
					return null, nil
				}
				if v = convertTo(v, t); row.Compare(v, best)*sign > 0 {
					best = v
				}
			}
			return best, nil
		}}, nil
	}
}

func comparable(t row.Type) bool {
	switch t.Kind {
	case row.KindArray, row.KindMap, row.KindMultiset, row.KindRow:
		return false
	}
	return true
}

// commonType is the least restrictive type of ts (Flink's
// LogicalTypeMerging for the common cases): numbers widen (integers to
// DECIMAL to DOUBLE), strings to VARCHAR of the longest, DATE to
// TIMESTAMP, equal types stay; NULL types are ignored. Nullable when one
// is.
func commonType(ts []row.Type) (row.Type, bool) {
	var out row.Type
	nullable, first := false, true
	for _, t := range ts {
		nullable = nullable || t.Nullable()
		if isNullT(t) {
			continue
		}
		if first {
			out, first = t, false
			continue
		}
		var ok bool
		if out, ok = merge2(out, t); !ok {
			return row.Type{}, false
		}
	}
	if first {
		return row.NullType, true
	}
	return withNull(out, nullable), true
}

func merge2(a, b row.Type) (row.Type, bool) {
	switch {
	case a.IsNumeric() && b.IsNumeric():
		fa, fb := a.Kind == row.KindFloat || a.Kind == row.KindDouble, b.Kind == row.KindFloat || b.Kind == row.KindDouble
		switch {
		case a.Kind == row.KindDouble || b.Kind == row.KindDouble:
			return row.DoubleType, true
		case fa || fb:
			if a.Kind == row.KindDecimal || b.Kind == row.KindDecimal {
				return row.DoubleType, true
			}
			return row.FloatType, true
		case a.Kind == row.KindDecimal || b.Kind == row.KindDecimal:
			pa, sa := decimalPS(a)
			pb, sb := decimalPS(b)
			s := max(sa, sb)
			p := min(row.MaxDecimalPrecision, max(pa-sa, pb-sb)+s)
			return row.DecimalOf(p, min(s, p)), true
		}
		if a.Kind >= b.Kind {
			return row.Type{Kind: a.Kind}, true
		}
		return row.Type{Kind: b.Kind}, true
	case a.IsString() && b.IsString():
		if a.Kind == row.KindChar && b.Kind == row.KindChar && a.Precision == b.Precision {
			return row.CharOf(a.Precision), true
		}
		return row.VarCharOf(max(a.Precision, b.Precision)), true
	case a.IsBinary() && b.IsBinary():
		return row.VarBinaryOf(max(a.Precision, b.Precision)), true
	case (a.Kind == row.KindTimestamp || a.Kind == row.KindDate) && (b.Kind == row.KindTimestamp || b.Kind == row.KindDate):
		if a.Kind == row.KindDate && b.Kind == row.KindDate {
			return row.DateType, true
		}
		p := 0
		for _, t := range []row.Type{a, b} {
			if t.Kind == row.KindTimestamp {
				p = max(p, t.Precision)
			}
		}
		return row.TimestampOf(p), true
	case a.Kind == b.Kind && (a.Kind == row.KindTimestampLTZ || a.Kind == row.KindTime):
		t := a
		t.Precision = max(a.Precision, b.Precision)
		return t.WithNotNull(false), true
	}
	if a.WithNotNull(false).Equal(b.WithNotNull(false)) {
		return a.WithNotNull(false), true
	}
	return row.Type{}, false
}

// convertTo converts v to type t as an implicit widening does (integer to
// a wider integer, DECIMAL or DOUBLE; DATE to TIMESTAMP; CHAR to
// VARCHAR). Other values are returned unchanged.
func convertTo(v row.Value, t row.Type) row.Value {
	k := v.Kind()
	if k == row.KindNull || k == t.Kind && k != row.KindDecimal {
		return v
	}
	switch t.Kind {
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		if isIntKind(k) {
			return intOf(t.Kind, v.Int64())
		}
	case row.KindDecimal:
		switch {
		case isIntKind(k):
			if d, ok := row.DecimalFromInt64(v.Int64(), t.Precision, t.Scale); ok {
				return row.DecimalValue(d)
			}
			return null
		case k == row.KindDecimal:
			d := v.Decimal()
			if d.Precision() == t.Precision && d.Scale() == t.Scale {
				return v
			}
			if r, ok := d.Rescale(t.Precision, t.Scale); ok {
				return row.DecimalValue(r)
			}
			return null
		}
	case row.KindDouble:
		return row.Double(v.Float64())
	case row.KindFloat:
		return row.Float(float32(v.Float64()))
	case row.KindVarChar:
		if k == row.KindChar {
			return row.String(v.Str())
		}
	case row.KindVarBinary:
		return row.BytesOf(v.Str())
	case row.KindTimestamp:
		if k == row.KindDate {
			return row.Timestamp(int64(v.Days())*row.MillisPerDay, 0)
		}
	}
	return v
}
