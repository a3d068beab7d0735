package aggfn

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

type hotCase struct {
	name string
	b    Bound
	vals []row.Value // the values added and retracted in turn
}

// hotCases are the functions whose Add and Retract must not allocate for
// plain values: numeric SUM/COUNT/AVG/MIN/MAX. MIN and MAX see values
// already in their map (a new distinct value is one insertion into the
// sorted map, amortized).
func hotCases(t testing.TB) []hotCase {
	ints := make([]row.Value, 100)
	bigs := make([]row.Value, 100)
	dbls := make([]row.Value, 100)
	decs := make([]row.Value, 100)
	for i := range ints {
		ints[i] = row.Int(int32(i * 37 % 100))
		bigs[i] = row.BigInt(int64(i*37%100) * 1_000_003)
		dbls[i] = row.Double(float64(i*37%100) / 8)
		d, _ := row.NewDecimal(int64(i*37%100)*1234, 16, 2)
		decs[i] = row.DecimalValue(d)
	}
	dec162 := row.DecimalOf(16, 2)
	return []hotCase{
		{"COUNT(*)", bind(t, "COUNT", false, nil, nil), nil},
		{"COUNT(BIGINT)", bind1(t, "COUNT", bigintT), bigs},
		{"SUM(INT)", bind1(t, "SUM", intT), ints},
		{"SUM(BIGINT)", bind1(t, "SUM", bigintT), bigs},
		{"SUM(DOUBLE)", bind1(t, "SUM", doubleT), dbls},
		{"SUM(DECIMAL(16,2))", bind1(t, "SUM", dec162), decs},
		{"SUM0(BIGINT)", bind1(t, "SUM0", bigintT), bigs},
		{"AVG(BIGINT)", bind1(t, "AVG", bigintT), bigs},
		{"AVG(DECIMAL(16,2))", bind1(t, "AVG", dec162), decs},
		{"MIN(BIGINT)", bind1(t, "MIN", bigintT), bigs},
		{"MAX(DOUBLE)", bind1(t, "MAX", doubleT), dbls},
		{"MAX(DECIMAL(16,2))", bind1(t, "MAX", dec162), decs},
		{"MAX(BIGINT) insert-only", InsertOnly(bind1(t, "MAX", bigintT)), bigs},
	}
}

// TestHotPathAllocations asserts that Add and Retract of numeric
// SUM/COUNT/AVG/MIN/MAX do not allocate.
func TestHotPathAllocations(t *testing.T) {
	for _, c := range hotCases(t) {
		acc := c.b.New()
		args := make([]row.Value, 1)
		step := func(i int) []row.Value {
			if c.vals == nil {
				return args[:0]
			}
			args[0] = c.vals[i%len(c.vals)]
			return args
		}
		for i := range 2 * len(c.vals) { // warm up: every value is in the MIN/MAX map
			mustAdd(t, acc, step(i)...)
		}
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			_ = acc.Add(step(i))
			if c.b.Retractable {
				_ = acc.Retract(step(i + 7))
				_ = acc.Add(step(i + 7))
			}
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per Add/Retract", c.name, allocs)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	for _, c := range hotCases(b) {
		b.Run(c.name, func(b *testing.B) {
			acc := c.b.New()
			args := make([]row.Value, 1)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if c.vals == nil {
					_ = acc.Add(args[:0])
					continue
				}
				args[0] = c.vals[i%len(c.vals)]
				_ = acc.Add(args)
			}
		})
	}
}

func BenchmarkAddRetract(b *testing.B) {
	for _, c := range hotCases(b) {
		if !c.b.Retractable || c.vals == nil {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			acc := c.b.New()
			args := make([]row.Value, 1)
			for _, v := range c.vals {
				args[0] = v
				_ = acc.Add(args)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				args[0] = c.vals[i%len(c.vals)]
				_ = acc.Add(args)
				args[0] = c.vals[(i+50)%len(c.vals)]
				_ = acc.Retract(args)
			}
		})
	}
}

// BenchmarkMaxDistinctValues adds ever new values to MAX with retraction:
// each one is an insertion into the sorted map.
func BenchmarkMaxDistinctValues(b *testing.B) {
	acc := bind1(b, "MAX", bigintT).New()
	args := make([]row.Value, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		args[0] = row.BigInt(int64(i) * 7919 % 1_000_003)
		_ = acc.Add(args)
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, name := range []string{"SUM", "MAX"} {
		bd := bind1(b, name, bigintT)
		acc := bd.New()
		for i := range 1000 {
			mustAdd(b, acc, row.BigInt(int64(i)))
		}
		b.Run(name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = acc.Marshal(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
