package aggfn

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/rtdw/rtdw/internal/row"
)

// SUM, $SUM0 and AVG keep a sum and the count of non-NULL values, as
// Flink's SumWithRetractAggFunction, Sum0AggFunction and AvgAggFunction:
//
//   - SUM is NULL when the count is 0 (no value yet, or all retracted);
//     $SUM0 is the sum, 0 for none; AVG is sum / count, NULL for none.
//   - Integer sums are Java's: SUM(INT) adds in 32 bits and wraps around,
//     AVG of any integer type adds in 64 bits (BIGINT) and divides with
//     truncation toward zero, then narrows to the argument's type.
//   - SUM(FLOAT) adds in 32-bit floats (Flink's FloatSumAggFunction); AVG of
//     FLOAT or DOUBLE adds in DOUBLE.
//   - DECIMAL(p, s) sums are exact in DECIMAL(38, s). Where Flink's sum
//     turns NULL on overflow and then restarts from the next value, rtdw
//     keeps the exact sum beyond 38 digits: the result is NULL while it does
//     not fit, and right again once retractions bring it back.

type sumMode uint8

const (
	modeSum sumMode = iota
	modeSum0
	modeAvg
)

var sumNames = [...]string{modeSum: "SUM", modeSum0: "SUM0", modeAvg: "AVG"}

// sumCfg is what a bound SUM/SUM0/AVG shares with its accumulators.
type sumCfg struct {
	name   string
	mode   sumMode
	kind   row.Kind // argument kind (integers, FLOAT, DOUBLE, DECIMAL)
	result row.Kind // result kind
	scale  int      // DECIMAL: the sum's scale (the argument's)
	rp, rs int      // DECIMAL AVG: result precision and scale
}

func bindSum(mode sumMode) func([]row.Type, []*row.Value, bool) (Bound, error) {
	return func(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
		name := sumNames[mode]
		if err := argCount(name, args, 1, 1); err != nil {
			return Bound{}, err
		}
		t := args[0]
		cfg := &sumCfg{name: name, mode: mode, kind: t.Kind, result: t.Kind}
		var rt row.Type
		switch t.Kind {
		case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt, row.KindFloat, row.KindDouble:
			rt = row.Type{Kind: t.Kind}
		case row.KindDecimal:
			cfg.scale = t.Scale
			if mode == modeAvg {
				cfg.rp, cfg.rs = row.DecimalAvgType(t.Precision, t.Scale)
			} else {
				cfg.rp, cfg.rs = row.DecimalSumType(t.Precision, t.Scale)
			}
			rt = row.DecimalOf(cfg.rp, cfg.rs)
		default:
			return Bound{}, unsupported(name, t)
		}
		if mode == modeSum0 {
			rt = rt.WithNotNull(true)
		}
		var newAcc func() Acc
		switch t.Kind {
		case row.KindFloat, row.KindDouble:
			newAcc = func() Acc { return &floatSumAcc{cfg: cfg} }
		case row.KindDecimal:
			zero, _ := row.NewDecimal(0, row.MaxDecimalPrecision, cfg.scale)
			newAcc = func() Acc { return &decSumAcc{cfg: cfg, sum: zero} }
		default:
			newAcc = func() Acc { return &intSumAcc{cfg: cfg} }
		}
		b := Bound{Name: name, Type: rt, New: newAcc, Retractable: true, Mergeable: true}
		return finish(b, args, distinct)
	}
}

// intSumAcc sums TINYINT, SMALLINT, INT and BIGINT. The int64 sum wraps
// like Java's long; narrowing it to the argument's width at the end gives
// exactly Java's 8/16/32-bit wrapping sums, since both are sums modulo 2^k.
type intSumAcc struct {
	cfg *sumCfg
	n   int64 // non-NULL values
	sum int64
}

func (a *intSumAcc) Add(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.sum += v.Int64()
		a.n++
	}
	return nil
}

func (a *intSumAcc) Retract(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.sum -= v.Int64()
		a.n--
	}
	return nil
}

func (a *intSumAcc) Merge(other Acc) error {
	o, ok := other.(*intSumAcc)
	if !ok {
		return mergeMismatch(a.cfg.name, other)
	}
	a.sum += o.sum
	a.n += o.n
	return nil
}

func (a *intSumAcc) Result() row.Value {
	x := a.sum
	switch a.cfg.mode {
	case modeSum:
		if a.n == 0 {
			return row.Value{}
		}
	case modeAvg:
		if a.n == 0 {
			return row.Value{}
		}
		x /= a.n // Go and Java both truncate toward zero; MinInt64 / -1 wraps in both
	}
	return intOfKind(a.cfg.result, x)
}

// intOfKind narrows x to an integer kind, wrapping as Java's casts do.
func intOfKind(k row.Kind, x int64) row.Value {
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

// State: version, varint count, varint sum.
func (a *intSumAcc) Marshal(dst []byte) []byte {
	dst = binary.AppendVarint(append(dst, stateVersion), a.n)
	return binary.AppendVarint(dst, a.sum)
}

func (a *intSumAcc) Unmarshal(src []byte) error {
	r := newReader(a.cfg.name, src)
	n, sum := r.varint(), r.varint()
	if err := r.done(); err != nil {
		a.n, a.sum = 0, 0
		return err
	}
	a.n, a.sum = n, sum
	return nil
}

// floatSumAcc sums FLOAT and DOUBLE: SUM(FLOAT) in float32 as Flink's
// FloatSumAggFunction, everything else in float64.
type floatSumAcc struct {
	cfg *sumCfg
	n   int64
	sum float64
}

func (a *floatSumAcc) f32() bool { return a.cfg.kind == row.KindFloat && a.cfg.mode != modeAvg }

func (a *floatSumAcc) add(x float64) {
	if a.f32() {
		a.sum = float64(float32(a.sum) + float32(x))
	} else {
		a.sum += x
	}
}

func (a *floatSumAcc) Add(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.add(v.Float64())
		a.n++
	}
	return nil
}

func (a *floatSumAcc) Retract(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.add(-v.Float64())
		a.n--
	}
	return nil
}

func (a *floatSumAcc) Merge(other Acc) error {
	o, ok := other.(*floatSumAcc)
	if !ok {
		return mergeMismatch(a.cfg.name, other)
	}
	a.add(o.sum)
	a.n += o.n
	return nil
}

func (a *floatSumAcc) Result() row.Value {
	x := a.sum
	switch a.cfg.mode {
	case modeSum:
		if a.n == 0 {
			return row.Value{}
		}
	case modeAvg:
		if a.n == 0 {
			return row.Value{}
		}
		x /= float64(a.n)
	}
	if a.cfg.result == row.KindFloat {
		return row.Float(float32(x))
	}
	return row.Double(x)
}

// State: version, varint count, the float64 sum (8 bytes little-endian).
func (a *floatSumAcc) Marshal(dst []byte) []byte {
	dst = binary.AppendVarint(append(dst, stateVersion), a.n)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(a.sum))
}

func (a *floatSumAcc) Unmarshal(src []byte) error {
	r := newReader(a.cfg.name, src)
	n, sum := r.varint(), r.f64()
	if err := r.done(); err != nil {
		a.n, a.sum = 0, 0
		return err
	}
	a.n, a.sum = n, sum
	return nil
}

// decSumAcc sums DECIMAL(p, s) exactly at scale s: in a DECIMAL(38, s)
// (no allocation while the unscaled sum fits an int64), or in a big.Int
// once the sum leaves the 38 digits.
type decSumAcc struct {
	cfg *sumCfg
	n   int64
	sum row.Decimal // DECIMAL(38, s), when over == nil
	// over is the unscaled sum while it does not fit DECIMAL(38, s).
	over *big.Int
}

func (a *decSumAcc) addDec(v row.Decimal, neg bool) {
	if a.over == nil {
		var d row.Decimal
		var ok bool
		if neg {
			d, ok = a.sum.SubTo(v, row.MaxDecimalPrecision, a.cfg.scale)
		} else {
			d, ok = a.sum.AddTo(v, row.MaxDecimalPrecision, a.cfg.scale)
		}
		if ok {
			a.sum = d
			return
		}
		a.over = a.sum.BigUnscaled()
	}
	u := unscaledAt(v, a.cfg.scale)
	if neg {
		a.over.Sub(a.over, u)
	} else {
		a.over.Add(a.over, u)
	}
	if d, ok := row.DecimalFromBig(a.over, row.MaxDecimalPrecision, a.cfg.scale); ok {
		a.sum, a.over = d, nil
	}
}

// unscaledAt returns v's unscaled value at scale s (HALF_UP if v has more
// digits, which a value of the bound type never has).
func unscaledAt(v row.Decimal, s int) *big.Int {
	if v.Scale() == s {
		return v.BigUnscaled()
	}
	if w, ok := v.Rescale(row.MaxDecimalPrecision, s); ok {
		return w.BigUnscaled()
	}
	u := v.BigUnscaled()
	if v.Scale() < s {
		return u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s-v.Scale())), nil))
	}
	// more digits than the sum keeps and beyond 38 digits: round HALF_UP
	d := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale()-s)), nil)
	q, m := new(big.Int).QuoRem(u, d, new(big.Int))
	if m.Abs(m).Lsh(m, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(int64(u.Sign())))
	}
	return q
}

func (a *decSumAcc) Add(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.addDec(v.Decimal(), false)
		a.n++
	}
	return nil
}

func (a *decSumAcc) Retract(args []row.Value) error {
	if v := args[0]; !v.IsNull() {
		a.addDec(v.Decimal(), true)
		a.n--
	}
	return nil
}

func (a *decSumAcc) Merge(other Acc) error {
	o, ok := other.(*decSumAcc)
	if !ok {
		return mergeMismatch(a.cfg.name, other)
	}
	if o.over != nil {
		if a.over == nil {
			a.over = a.sum.BigUnscaled()
		}
		a.over.Add(a.over, o.over)
		if d, ok := row.DecimalFromBig(a.over, row.MaxDecimalPrecision, a.cfg.scale); ok {
			a.sum, a.over = d, nil
		}
	} else {
		a.addDec(o.sum, false)
	}
	a.n += o.n
	return nil
}

func (a *decSumAcc) Result() row.Value {
	switch a.cfg.mode {
	case modeSum:
		if a.n == 0 || a.over != nil {
			return row.Value{}
		}
		return row.DecimalValue(a.sum)
	case modeSum0:
		if a.over != nil {
			return row.Value{} // overflow: NULL, as Flink's decimal arithmetic
		}
		return row.DecimalValue(a.sum)
	}
	if a.n == 0 || a.over != nil {
		return row.Value{}
	}
	cnt, _ := row.DecimalFromInt64(a.n, 19, 0)
	avg, ok := a.sum.DivTo(cnt, a.cfg.rp, a.cfg.rs)
	if !ok {
		return row.Value{}
	}
	return row.DecimalValue(avg)
}

// State: version, varint count, then the unscaled sum: 0 and a varint when
// it fits an int64, else 1 (positive) or 2 (negative), a uvarint length and
// the big-endian magnitude.
func (a *decSumAcc) Marshal(dst []byte) []byte {
	dst = binary.AppendVarint(append(dst, stateVersion), a.n)
	if a.over == nil {
		if u, ok := a.sum.Unscaled(); ok {
			return binary.AppendVarint(append(dst, 0), u)
		}
	}
	u := a.over
	if u == nil {
		u = a.sum.BigUnscaled()
	}
	tag := byte(1)
	if u.Sign() < 0 {
		tag = 2
	}
	mag := u.Bytes()
	dst = binary.AppendUvarint(append(dst, tag), uint64(len(mag)))
	return append(dst, mag...)
}

// maxOverBytes bounds the magnitude of an overflowed sum in a state: 2^8192
// is far beyond any sum of DECIMAL(38) values a job can add up.
const maxOverBytes = 1024

func (a *decSumAcc) Unmarshal(src []byte) error {
	r := newReader(a.cfg.name, src)
	n := r.varint()
	var sum row.Decimal
	var over *big.Int
	switch tag := r.byte1(); tag {
	case 0:
		u := r.varint()
		if r.err == nil {
			sum, _ = row.NewDecimal(u, row.MaxDecimalPrecision, a.cfg.scale) // |int64| < 10^38
		}
	case 1, 2:
		mag := r.sized()
		if r.err == nil {
			u := new(big.Int).SetBytes(mag)
			if tag == 2 {
				u.Neg(u)
			}
			switch {
			case len(mag) > maxOverBytes || len(mag) == 0 || mag[0] == 0 || u.IsInt64():
				r.fail("non-canonical DECIMAL sum")
			default:
				if d, ok := row.DecimalFromBig(u, row.MaxDecimalPrecision, a.cfg.scale); ok {
					sum = d
				} else {
					over = u
				}
			}
		}
	default:
		r.fail("DECIMAL sum tag %d", tag)
	}
	if err := r.done(); err != nil {
		a.n, a.over = 0, nil
		a.sum, _ = row.NewDecimal(0, row.MaxDecimalPrecision, a.cfg.scale)
		return err
	}
	a.n, a.sum, a.over = n, sum, over
	return nil
}
