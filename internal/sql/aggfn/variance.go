package aggfn

import (
	"encoding/binary"
	"math"

	"github.com/rtdw/rtdw/internal/row"
)

// VAR_POP, VAR_SAMP (VARIANCE), STDDEV_POP and STDDEV_SAMP (STDDEV) as
// Flink computes them: Flink rewrites them into COUNT(x) and its internal
// WELFORD_M2(x) aggregate (n, mean, m2 in DOUBLE, Welford's online
// algorithm with its retract and merge formulas), then
//
//	VAR_POP  = m2 / n             STDDEV_POP  = POWER(VAR_POP, 0.5)
//	VAR_SAMP = m2 / (n - 1)       STDDEV_SAMP = POWER(VAR_SAMP, 0.5)
//
// NULL when n <= 0 or m2 < 0 (unmatched retractions), and VAR_SAMP /
// STDDEV_SAMP NULL for n = 1. Retracting in floating point leaves rounding
// errors, so the m2 of equal values can end slightly below 0 where Flink
// then returns NULL; rtdw reads an m2 within rounding distance of 0
// (m2Noise relative to n * (1 + mean^2)) as 0. The DOUBLE is cast to the result type, the
// argument's (DECIMAL(p, s): DECIMAL(38, max(6, s))): integers truncate as
// Java's cast does.

const m2Noise = 1e-9

type varCfg struct {
	name   string
	pop    bool
	sqrt   bool
	result row.Type
}

func bindVariance(pop, sqrt bool) func([]row.Type, []*row.Value, bool) (Bound, error) {
	return func(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
		name := "VAR_"
		if sqrt {
			name = "STDDEV_"
		}
		if pop {
			name += "POP"
		} else {
			name += "SAMP"
		}
		if err := argCount(name, args, 1, 1); err != nil {
			return Bound{}, err
		}
		t := args[0]
		var rt row.Type
		switch t.Kind {
		case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt, row.KindFloat, row.KindDouble:
			rt = row.Type{Kind: t.Kind}
		case row.KindDecimal:
			rt = row.DecimalOf(row.DecimalAvgType(t.Precision, t.Scale))
		default:
			return Bound{}, unsupported(name, t)
		}
		cfg := &varCfg{name: name, pop: pop, sqrt: sqrt, result: rt}
		b := Bound{
			Name:        name,
			Type:        rt,
			New:         func() Acc { return &varAcc{cfg: cfg} },
			Retractable: true,
			Mergeable:   true,
		}
		return finish(b, args, distinct)
	}
}

type varAcc struct {
	cfg      *varCfg
	n        int64
	mean, m2 float64
}

func (a *varAcc) Add(args []row.Value) error {
	v := args[0]
	if v.IsNull() {
		return nil
	}
	a.n++
	if a.n <= 0 { // still paying back retractions that came first
		return nil
	}
	x := v.Float64()
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
	return nil
}

func (a *varAcc) Retract(args []row.Value) error {
	v := args[0]
	if v.IsNull() {
		return nil
	}
	a.n--
	if a.n <= 0 {
		if a.n == 0 {
			a.mean, a.m2 = 0, 0
		}
		return nil
	}
	x := v.Float64()
	d2 := x - a.mean
	a.mean -= d2 / float64(a.n)
	a.m2 -= (x - a.mean) * d2
	return nil
}

func (a *varAcc) Merge(other Acc) error {
	o, ok := other.(*varAcc)
	if !ok {
		return mergeMismatch(a.cfg.name, other)
	}
	switch {
	case o.n <= 0:
		a.n += o.n // keep counting, as Flink, so the count matches COUNT(x)
	case a.n <= 0:
		neg := a.n
		a.n, a.mean, a.m2 = o.n, o.mean, o.m2
		a.n += neg
	default:
		n := a.n + o.n
		d := o.mean - a.mean
		a.mean += float64(o.n) / float64(n) * d
		a.m2 += o.m2 + float64(a.n)*float64(o.n)/float64(n)*d*d
		a.n = n
	}
	if a.n <= 0 {
		a.mean, a.m2 = 0, 0
	}
	return nil
}

func (a *varAcc) Result() row.Value {
	m2 := a.m2
	if m2 < 0 && -m2 <= m2Noise*float64(a.n)*(1+a.mean*a.mean) {
		m2 = 0 // rounding left over from retractions, not an unmatched one
	}
	if a.n <= 0 || m2 < 0 {
		return row.Value{}
	}
	den := a.n
	if !a.cfg.pop {
		if a.n == 1 {
			return row.Value{}
		}
		den--
	}
	v := m2 / float64(den)
	if a.cfg.sqrt {
		v = math.Sqrt(v)
	}
	return castDouble(v, a.cfg.result)
}

// castDouble casts a DOUBLE as Flink's CAST does: to an integer by
// truncation, saturating like Java's (long) and (int) casts (NaN is 0);
// to FLOAT by rounding; to DECIMAL HALF_UP, NULL when it does not fit.
func castDouble(v float64, t row.Type) row.Value {
	switch t.Kind {
	case row.KindFloat:
		return row.Float(float32(v))
	case row.KindDouble:
		return row.Double(v)
	case row.KindDecimal:
		d, ok := row.DecimalFromFloat(v, t.Precision, t.Scale)
		if !ok {
			return row.Value{}
		}
		return row.DecimalValue(d)
	}
	var x int64
	switch {
	case v != v:
	case v >= math.MaxInt64:
		x = math.MaxInt64
	case v <= math.MinInt64:
		x = math.MinInt64
	default:
		x = int64(v)
	}
	switch t.Kind {
	case row.KindBigInt:
		return row.BigInt(x)
	case row.KindTinyInt, row.KindSmallInt: // Java: (byte)(int) d
		x = int64(int32(max(math.MinInt32, min(math.MaxInt32, x))))
	case row.KindInt:
		x = max(math.MinInt32, min(math.MaxInt32, x))
	}
	return intOfKind(t.Kind, x)
}

// State: version, varint n, mean and m2 (8 bytes little-endian each).
func (a *varAcc) Marshal(dst []byte) []byte {
	dst = binary.AppendVarint(append(dst, stateVersion), a.n)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(a.mean))
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(a.m2))
}

func (a *varAcc) Unmarshal(src []byte) error {
	r := newReader(a.cfg.name, src)
	n, mean, m2 := r.varint(), r.f64(), r.f64()
	if err := r.done(); err != nil {
		a.n, a.mean, a.m2 = 0, 0, 0
		return err
	}
	a.n, a.mean, a.m2 = n, mean, m2
	return nil
}
