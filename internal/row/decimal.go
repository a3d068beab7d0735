package row

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// Decimal is an exact DECIMAL(p, s) value: an unscaled integer u and the
// type's precision p and scale s, meaning u / 10^s, with |u| < 10^p.
//
// The unscaled integer is an int64 whenever it fits (always when p <= 18,
// as Flink's compact DecimalData), and a *big.Int only beyond: so DECIMAL(38,
// 2) sums of everyday amounts (SUM's result type) never allocate. A Decimal
// is a value; its *big.Int is never modified once built.
//
// Arithmetic follows Flink: the result type of + - * / % is Flink's
// DecimalType derivation (DecimalAddType and friends), the exact result is
// rounded HALF_UP to the result scale, and a result that does not fit the
// result precision is reported as !ok (NULL in SQL, as Flink's
// DecimalData returns null on overflow).
type Decimal struct {
	u    int64
	b    *big.Int // the unscaled value when it does not fit an int64, else nil
	p, s uint8
}

// ErrDecimalOverflow reports a value that does not fit the precision.
var ErrDecimalOverflow = errors.New("decimal value out of range for its precision")

var errDecimalSyntax = errors.New("not a decimal number")

var pow10 = [19]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// bigPow10[i] = 10^i, enough for the exact product of two DECIMAL(38, 38).
var bigPow10 = func() (t [2*MaxDecimalPrecision + 2]*big.Int) {
	t[0] = big.NewInt(1)
	ten := big.NewInt(10)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], ten)
	}
	return t
}()

func bigTen(n int) *big.Int {
	if n < len(bigPow10) {
		return bigPow10[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func validPS(p, s int) bool { return p >= 1 && p <= MaxDecimalPrecision && s >= 0 && s <= p }

// mag returns |u| as a uint64 (exact for math.MinInt64).
func mag(u int64) uint64 {
	if u < 0 {
		return uint64(-u)
	}
	return uint64(u)
}

func fitsCompact(u int64, p int) bool {
	return p > 18 || mag(u) < uint64(pow10[p])
}

// mulPow10 returns u * 10^k, or false if it overflows an int64.
func mulPow10(u int64, k int) (int64, bool) {
	if k == 0 {
		return u, true
	}
	if k > 18 {
		return 0, u == 0
	}
	hi, lo := bits.Mul64(mag(u), uint64(pow10[k]))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if u < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

// divHalfUp returns n / d rounded HALF_UP (half away from zero). d != 0
// and not (n == MinInt64 && d == -1).
func divHalfUp(n, d int64) int64 {
	q, r := n/d, n%d
	if r != 0 && mag(r) >= mag(d)-mag(r) {
		if (n < 0) != (d < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

// bigDivHalfUp returns n / d rounded HALF_UP into a new big.Int.
func bigDivHalfUp(n, d *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Sign() != 0 {
		r.Abs(r).Lsh(r, 1)
		if r.CmpAbs(d) >= 0 {
			if n.Sign() != d.Sign() {
				q.Sub(q, bigPow10[0])
			} else {
				q.Add(q, bigPow10[0])
			}
		}
	}
	return q
}

// makeBig builds a Decimal from a big unscaled value, compact when it fits.
func makeBig(b *big.Int, p, s int) Decimal {
	if b.IsInt64() {
		return Decimal{u: b.Int64(), p: uint8(p), s: uint8(s)}
	}
	return Decimal{b: b, p: uint8(p), s: uint8(s)}
}

// NewDecimal returns unscaled / 10^scale as a DECIMAL(precision, scale),
// or false if precision and scale are invalid or the value does not fit.
func NewDecimal(unscaled int64, precision, scale int) (Decimal, bool) {
	if !validPS(precision, scale) || !fitsCompact(unscaled, precision) {
		return Decimal{}, false
	}
	return Decimal{u: unscaled, p: uint8(precision), s: uint8(scale)}, true
}

// MustDecimal is ParseDecimal for literals in code and tests; it panics on error.
func MustDecimal(text string, precision, scale int) Decimal {
	d, err := ParseDecimal(text, precision, scale)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromBig returns unscaled / 10^scale as a DECIMAL(precision, scale).
func DecimalFromBig(unscaled *big.Int, precision, scale int) (Decimal, bool) {
	if !validPS(precision, scale) || unscaled.CmpAbs(bigTen(precision)) >= 0 {
		return Decimal{}, false
	}
	return makeBig(new(big.Int).Set(unscaled), precision, scale), true
}

// DecimalFromInt64 converts an integer (CAST(BIGINT AS DECIMAL(p, s))).
func DecimalFromInt64(v int64, precision, scale int) (Decimal, bool) {
	return rescaleCompact(v, 0, precision, scale)
}

// DecimalFromFloat converts a double as Flink does (BigDecimal.valueOf: the
// shortest decimal text of the double), rounded HALF_UP to the scale; NaN
// and infinities do not convert.
func DecimalFromFloat(f float64, precision, scale int) (Decimal, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, false
	}
	var buf [32]byte
	d, err := ParseDecimal(b2s(strconv.AppendFloat(buf[:0], f, 'g', -1, 64)), precision, scale)
	return d, err == nil
}

// ParseDecimal parses a decimal number text ("-12.5", "1e3", ".5", "+7")
// exactly, rounding HALF_UP to scale. Leading and trailing blanks are
// ignored. It returns ErrDecimalOverflow when the value does not fit
// precision, and another error when text is not a number. The error never
// holds text.
func ParseDecimal(text string, precision, scale int) (Decimal, error) {
	if !validPS(precision, scale) {
		return Decimal{}, errors.New("invalid decimal precision or scale")
	}
	s := trimBlanks(text)
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// digits: the significant digits (leading zeros dropped) of the
	// mantissa, as spans of s around the decimal point.
	intStart, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[intStart:i]
	fracPart := ""
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracPart = s[j:i]
	}
	if len(intPart)+len(fracPart) == 0 {
		return Decimal{}, errDecimalSyntax
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i >= len(s) {
			return Decimal{}, errDecimalSyntax
		}
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if exp < 1_000_000 {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return Decimal{}, errDecimalSyntax
	}
	// value = 0.digits... scaled: unscaled at `scale` = mantissa * 10^shift
	// where the mantissa is intPart+fracPart as an integer.
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	nd := len(intPart) + len(fracPart) // digits of the mantissa, maybe with leading zeros in fracPart
	digit := func(k int) byte {        // k-th mantissa digit
		if k < len(intPart) {
			return intPart[k]
		}
		return fracPart[k-len(intPart)]
	}
	lead := 0 // skip leading zeros of the fraction when the integer part is empty
	for lead < nd && digit(lead) == '0' {
		lead++
	}
	if lead == nd {
		return Decimal{p: uint8(precision), s: uint8(scale)}, nil // zero
	}
	shift := scale + exp - len(fracPart)
	keep := nd // mantissa digits kept (from the start); the rest are rounded off
	roundUp := false
	if shift < 0 {
		keep = nd + shift
		if keep < lead {
			// The first dropped digit is a leading zero (or an implicit
			// one before them): the value rounds to zero.
			keep = lead
		} else {
			roundUp = digit(keep) >= '5' // HALF_UP looks at the first dropped digit only
		}
		shift = 0
	}
	sig := keep - lead // significant digits kept
	if sig+shift > precision {
		return Decimal{}, ErrDecimalOverflow
	}
	if sig+shift <= 18 {
		var u int64
		for k := lead; k < keep; k++ {
			u = u*10 + int64(digit(k)-'0')
		}
		u *= pow10[shift]
		if roundUp {
			u++
		}
		if neg {
			u = -u
		}
		if !fitsCompact(u, precision) {
			return Decimal{}, ErrDecimalOverflow
		}
		return Decimal{u: u, p: uint8(precision), s: uint8(scale)}, nil
	}
	buf := make([]byte, 0, sig)
	for k := lead; k < keep; k++ {
		buf = append(buf, digit(k))
	}
	b, _ := new(big.Int).SetString(string(buf), 10)
	if shift > 0 {
		b.Mul(b, bigTen(shift))
	}
	if roundUp {
		b.Add(b, bigPow10[0])
	}
	if neg {
		b.Neg(b)
	}
	if b.CmpAbs(bigTen(precision)) >= 0 {
		return Decimal{}, ErrDecimalOverflow
	}
	return makeBig(b, precision, scale), nil
}

// trimBlanks drops leading and trailing bytes <= ' ', as Java's trim.
func trimBlanks(s string) string {
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// Precision returns p of DECIMAL(p, s).
func (d Decimal) Precision() int { return int(d.p) }

// Scale returns s of DECIMAL(p, s).
func (d Decimal) Scale() int { return int(d.s) }

// Type returns DECIMAL(p, s).
func (d Decimal) Type() Type { return DecimalOf(int(d.p), int(d.s)) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.b != nil {
		return d.b.Sign()
	}
	switch {
	case d.u < 0:
		return -1
	case d.u > 0:
		return 1
	}
	return 0
}

// IsZero reports d == 0.
func (d Decimal) IsZero() bool { return d.b == nil && d.u == 0 }

// Unscaled returns the unscaled value if it fits an int64.
func (d Decimal) Unscaled() (int64, bool) { return d.u, d.b == nil }

// BigUnscaled returns the unscaled value as a new big.Int.
func (d Decimal) BigUnscaled() *big.Int {
	if d.b != nil {
		return new(big.Int).Set(d.b)
	}
	return big.NewInt(d.u)
}

// big returns the unscaled value as a big.Int that must not be modified.
func (d Decimal) big() *big.Int {
	if d.b != nil {
		return d.b
	}
	return big.NewInt(d.u)
}

// Neg returns -d (always fits: the range is symmetric).
func (d Decimal) Neg() Decimal {
	if d.b != nil {
		return Decimal{b: new(big.Int).Neg(d.b), p: d.p, s: d.s}
	}
	if d.u == math.MinInt64 {
		return makeBig(new(big.Int).Neg(big.NewInt(d.u)), int(d.p), int(d.s))
	}
	return Decimal{u: -d.u, p: d.p, s: d.s}
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.Sign() < 0 {
		return d.Neg()
	}
	return d
}

// Float64 returns the nearest double (correctly rounded).
func (d Decimal) Float64() float64 {
	if d.b == nil && mag(d.u) <= 1<<53 && d.s <= 22 {
		// Both operands are exact doubles, so one division rounds correctly.
		return float64(d.u) / float64pow10[d.s]
	}
	var buf [64]byte
	f, _ := strconv.ParseFloat(b2s(d.Append(buf[:0])), 64)
	return f
}

var float64pow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// Int64 returns the integral part (truncated toward zero, as Flink's CAST
// to an integer type), or false if it does not fit an int64.
func (d Decimal) Int64() (int64, bool) {
	if d.b == nil {
		if d.s > 18 {
			return 0, true // |u| < 10^19 <= 10^s
		}
		return d.u / pow10[d.s], true
	}
	q := new(big.Int).Quo(d.b, bigTen(int(d.s)))
	return q.Int64(), q.IsInt64()
}

// String returns the plain decimal text with exactly Scale fraction
// digits: "9549.00", "-0.05", "0".
func (d Decimal) String() string {
	var buf [48]byte
	return string(d.Append(buf[:0]))
}

// Append appends d.String() to dst.
func (d Decimal) Append(dst []byte) []byte {
	var buf [48]byte
	var digits []byte
	neg := false
	if d.b != nil {
		digits = d.b.Append(buf[:0], 10)
		if len(digits) > 0 && digits[0] == '-' {
			neg, digits = true, digits[1:]
		}
	} else {
		neg = d.u < 0
		digits = strconv.AppendUint(buf[:0], mag(d.u), 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	s := int(d.s)
	if s == 0 {
		return append(dst, digits...)
	}
	if len(digits) > s {
		dst = append(dst, digits[:len(digits)-s]...)
		dst = append(dst, '.')
		return append(dst, digits[len(digits)-s:]...)
	}
	dst = append(dst, '0', '.')
	for i := len(digits); i < s; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

// Rescale converts d to DECIMAL(precision, scale), rounding HALF_UP
// (CAST between decimal types); false when it does not fit.
func (d Decimal) Rescale(precision, scale int) (Decimal, bool) {
	if d.b != nil {
		return rescaleBig(d.b, int(d.s), precision, scale)
	}
	return rescaleCompact(d.u, int(d.s), precision, scale)
}

// rescaleCompact returns u / 10^from as DECIMAL(p, s).
func rescaleCompact(u int64, from, p, s int) (Decimal, bool) {
	if !validPS(p, s) {
		return Decimal{}, false
	}
	switch {
	case s >= from:
		v, ok := mulPow10(u, s-from)
		if !ok {
			return rescaleBig(big.NewInt(u), from, p, s)
		}
		u = v
	case from-s > 18:
		return rescaleBig(big.NewInt(u), from, p, s)
	default:
		u = divHalfUp(u, pow10[from-s])
	}
	if !fitsCompact(u, p) {
		return Decimal{}, false
	}
	return Decimal{u: u, p: uint8(p), s: uint8(s)}, true
}

// rescaleBig returns b / 10^from as DECIMAL(p, s); b is not modified.
func rescaleBig(b *big.Int, from, p, s int) (Decimal, bool) {
	if !validPS(p, s) {
		return Decimal{}, false
	}
	var r *big.Int
	if s >= from {
		r = new(big.Int).Mul(b, bigTen(s-from))
	} else {
		r = bigDivHalfUp(b, bigTen(from-s))
	}
	if r.CmpAbs(bigTen(p)) >= 0 {
		return Decimal{}, false
	}
	return makeBig(r, p, s), true
}

// Compare returns -1, 0 or +1 comparing the numeric values (the scales may
// differ: 1.0 equals 1.00).
func (d Decimal) Compare(o Decimal) int {
	if d.b == nil && o.b == nil {
		x, y := d.u, o.u
		ok := true
		if d.s < o.s {
			x, ok = mulPow10(x, int(o.s-d.s))
		} else if d.s > o.s {
			y, ok = mulPow10(y, int(d.s-o.s))
		}
		if ok {
			return cmpInt(x, y)
		}
	}
	if ds, os := d.Sign(), o.Sign(); ds != os {
		return cmpInt(int64(ds), int64(os))
	}
	x, y := d.big(), o.big()
	if d.s < o.s {
		x = new(big.Int).Mul(x, bigTen(int(o.s-d.s)))
	} else if d.s > o.s {
		y = new(big.Int).Mul(y, bigTen(int(d.s-o.s)))
	}
	return x.Cmp(y)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Add returns d + o as DECIMAL(DecimalAddType(...)).
func (d Decimal) Add(o Decimal) (Decimal, bool) {
	p, s := DecimalAddType(int(d.p), int(d.s), int(o.p), int(o.s))
	return addSub(d, o, false, p, s)
}

// Sub returns d - o as DECIMAL(DecimalAddType(...)).
func (d Decimal) Sub(o Decimal) (Decimal, bool) {
	p, s := DecimalAddType(int(d.p), int(d.s), int(o.p), int(o.s))
	return addSub(d, o, true, p, s)
}

// AddTo returns d + o as DECIMAL(p, s): SUM's accumulate step, whose
// result type is DecimalSumType rather than the + operator's.
func (d Decimal) AddTo(o Decimal, p, s int) (Decimal, bool) { return addSub(d, o, false, p, s) }

// SubTo returns d - o as DECIMAL(p, s): SUM's retract step.
func (d Decimal) SubTo(o Decimal, p, s int) (Decimal, bool) { return addSub(d, o, true, p, s) }

func addSub(a, b Decimal, sub bool, p, s int) (Decimal, bool) {
	m := int(max(a.s, b.s))
	if a.b == nil && b.b == nil {
		x, ok1 := mulPow10(a.u, m-int(a.s))
		y, ok2 := mulPow10(b.u, m-int(b.s))
		if ok1 && ok2 {
			var r int64
			var of bool
			if sub {
				r = x - y
				of = (x >= 0) != (y >= 0) && (r >= 0) != (x >= 0)
			} else {
				r = x + y
				of = (x >= 0) == (y >= 0) && (r >= 0) != (x >= 0)
			}
			if !of {
				return rescaleCompact(r, m, p, s)
			}
		}
	}
	x := new(big.Int).Mul(a.big(), bigTen(m-int(a.s)))
	y := new(big.Int).Mul(b.big(), bigTen(m-int(b.s)))
	if sub {
		x.Sub(x, y)
	} else {
		x.Add(x, y)
	}
	return rescaleBig(x, m, p, s)
}

// Mul returns d * o as DECIMAL(DecimalMulType(...)).
func (d Decimal) Mul(o Decimal) (Decimal, bool) {
	p, s := DecimalMulType(int(d.p), int(d.s), int(o.p), int(o.s))
	m := int(d.s) + int(o.s)
	if d.b == nil && o.b == nil {
		hi, lo := bits.Mul64(mag(d.u), mag(o.u))
		if hi == 0 && lo <= math.MaxInt64 {
			r := int64(lo)
			if (d.u < 0) != (o.u < 0) {
				r = -r
			}
			return rescaleCompact(r, m, p, s)
		}
	}
	return rescaleBig(new(big.Int).Mul(d.big(), o.big()), m, p, s)
}

// Div returns d / o as DECIMAL(DecimalDivType(...)), rounded HALF_UP;
// false on overflow or division by zero (the caller decides whether a zero
// divisor is an error or NULL).
func (d Decimal) Div(o Decimal) (Decimal, bool) {
	p, s := DecimalDivType(int(d.p), int(d.s), int(o.p), int(o.s))
	return d.DivTo(o, p, s)
}

// DivTo returns d / o as DECIMAL(p, s), rounded HALF_UP (AVG's final step).
func (d Decimal) DivTo(o Decimal, p, s int) (Decimal, bool) {
	if o.IsZero() || !validPS(p, s) {
		return Decimal{}, false
	}
	// d/o at scale s: round(D * 10^(s - ds + os) / O).
	e := s - int(d.s) + int(o.s)
	if d.b == nil && o.b == nil && e >= 0 {
		if n, ok := mulPow10(d.u, e); ok && !(n == math.MinInt64 && o.u == -1) {
			q := divHalfUp(n, o.u)
			if !fitsCompact(q, p) {
				return Decimal{}, false
			}
			return Decimal{u: q, p: uint8(p), s: uint8(s)}, true
		}
	}
	n, m := d.big(), o.big()
	if e >= 0 {
		n = new(big.Int).Mul(n, bigTen(e))
	} else {
		m = new(big.Int).Mul(m, bigTen(-e))
	}
	q := bigDivHalfUp(n, m)
	if q.CmpAbs(bigTen(p)) >= 0 {
		return Decimal{}, false
	}
	return makeBig(q, p, s), true
}

// Mod returns the remainder of d / o (its sign is d's, as Java's
// BigDecimal.remainder) as DECIMAL(DecimalModType(...)); false on overflow
// or a zero divisor.
func (d Decimal) Mod(o Decimal) (Decimal, bool) {
	if o.IsZero() {
		return Decimal{}, false
	}
	p, s := DecimalModType(int(d.p), int(d.s), int(o.p), int(o.s))
	m := int(max(d.s, o.s))
	if d.b == nil && o.b == nil {
		x, ok1 := mulPow10(d.u, m-int(d.s))
		y, ok2 := mulPow10(o.u, m-int(o.s))
		if ok1 && ok2 && y != 0 {
			if y == -1 {
				return rescaleCompact(0, m, p, s)
			}
			return rescaleCompact(x%y, m, p, s)
		}
	}
	x := new(big.Int).Mul(d.big(), bigTen(m-int(d.s)))
	y := new(big.Int).Mul(o.big(), bigTen(m-int(o.s)))
	return rescaleBig(x.Rem(x, y), m, p, s)
}

// Round rounds HALF_UP to r fraction digits (SQL ROUND(d, r)), with
// Flink's result type DecimalRoundType; r may be negative.
func (d Decimal) Round(r int) (Decimal, bool) {
	p, s := DecimalRoundType(int(d.p), int(d.s), r)
	if r >= 0 {
		return d.Rescale(p, s)
	}
	q := bigDivHalfUp(d.big(), bigTen(int(d.s)-r))
	return rescaleBig(q.Mul(q, bigTen(-r)), 0, p, s)
}

// Flink's DecimalType derivation (LogicalTypeMerging): when the exact
// result type would exceed precision 38, the integral digits are kept and
// the scale is reduced, to no less than min(scale, 6).

func adjustPS(p, s int) (int, int) {
	if p <= MaxDecimalPrecision {
		return p, s
	}
	digits := p - s
	minScale := min(s, 6)
	return MaxDecimalPrecision, max(MaxDecimalPrecision-digits, minScale)
}

// DecimalAddType is the result type of + and -.
func DecimalAddType(p1, s1, p2, s2 int) (p, s int) {
	s = max(s1, s2)
	return adjustPS(max(p1-s1, p2-s2)+s+1, s)
}

// DecimalMulType is the result type of *.
func DecimalMulType(p1, s1, p2, s2 int) (p, s int) {
	return adjustPS(p1+p2+1, s1+s2)
}

// DecimalDivType is the result type of /.
func DecimalDivType(p1, s1, p2, s2 int) (p, s int) {
	s = max(6, s1+p2+1)
	return adjustPS(p1-s1+s2+s, s)
}

// DecimalModType is the result type of % (MOD).
func DecimalModType(p1, s1, p2, s2 int) (p, s int) {
	s = max(s1, s2)
	return adjustPS(min(p1-s1, p2-s2)+s, s)
}

// DecimalSumType is the result type of SUM over DECIMAL(p, s): DECIMAL(38, s).
func DecimalSumType(_, s int) (int, int) { return MaxDecimalPrecision, s }

// DecimalAvgType is the result type of AVG over DECIMAL(p, s):
// DECIMAL(38, max(6, s)) (Flink divides the DECIMAL(38, s) sum by a
// DECIMAL(20, 0) count).
func DecimalAvgType(_, s int) (int, int) { return DecimalDivType(MaxDecimalPrecision, s, 20, 0) }

// DecimalRoundType is the result type of ROUND(DECIMAL(p, s), r).
func DecimalRoundType(p, s, r int) (int, int) {
	switch {
	case r >= s:
		return p, s
	case r < 0:
		return min(MaxDecimalPrecision, 1+p-s), 0
	}
	return 1 + p - s + r, r
}
