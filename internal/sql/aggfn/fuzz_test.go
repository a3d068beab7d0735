package aggfn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

type fuzzFunc struct {
	Bound
	samples [][]row.Value // argument lists to feed the accumulators
}

// fuzzFuncs is every built-in accumulator kind: each function, its
// DISTINCT and insert-only forms, over the argument types its state
// encodes differently.
func fuzzFuncs(t testing.TB) []fuzzFunc {
	ints := [][]row.Value{{row.Int(3)}, {row.Int(-7)}, {row.Value{}}, {row.Int(3)}}
	bigs := [][]row.Value{{row.BigInt(1 << 40)}, {row.BigInt(-2)}, {row.Value{}}}
	dbls := [][]row.Value{{row.Double(1.5)}, {row.Double(-2)}, {row.Value{}}}
	decs := [][]row.Value{{dec("1.25", 10, 2)}, {dec("-99999999.99", 10, 2)}, {row.Value{}}}
	huge := [][]row.Value{{dec("99999999999999999999999999999999999999", 38, 0)}, {dec("-5", 38, 0)}}
	strs := [][]row.Value{{row.String("a")}, {row.String("")}, {row.String("中\x00")}, {row.Value{}}}
	sep := row.String(";")
	seps := [][]row.Value{{row.String("a"), sep}, {row.String("bb"), sep}, {row.Value{}, sep}}
	pairs := [][]row.Value{{row.Int(1), row.String("x")}, {row.Value{}, row.String("y")}, {row.Int(1), row.String("x")}}
	tss := [][]row.Value{{row.Timestamp(1_700_000_000_123, 456)}, {row.Timestamp(-5, 0)}}

	var out []fuzzFunc
	add := func(b Bound, s [][]row.Value) {
		out = append(out, fuzzFunc{b, s})
	}
	one := func(name string, arg row.Type, s [][]row.Value) {
		add(bind(t, name, false, []row.Type{arg}, nil), s)
		add(bind(t, name, true, []row.Type{arg}, nil), s)
		add(InsertOnly(bind(t, name, false, []row.Type{arg}, nil)), s)
	}
	add(bind(t, "COUNT", false, nil, nil), [][]row.Value{{}})
	one("COUNT", intT, ints)
	add(bind(t, "COUNT", true, []row.Type{intT, strT}, nil), pairs)
	one("SUM", intT, ints)
	one("SUM", bigintT, bigs)
	one("SUM", floatT, [][]row.Value{{row.Float(1.5)}, {row.Value{}}})
	one("SUM", doubleT, dbls)
	one("SUM", dec102, decs)
	one("SUM", bigDecT, huge)
	one("SUM0", dec102, decs)
	one("AVG", intT, ints)
	one("AVG", doubleT, dbls)
	one("AVG", dec102, decs)
	one("MIN", intT, ints)
	one("MAX", strT, strs)
	one("MAX", dec102, decs)
	one("MIN", row.TimestampOf(6), tss)
	one("COLLECT", strT, strs)
	one("FIRST_VALUE", bigintT, bigs)
	one("LAST_VALUE", strT, strs)
	one("ARRAY_AGG", intT, ints)
	add(bind(t, "LISTAGG", false, []row.Type{strT, strT}, []*row.Value{nil, &sep}), seps)
	add(bind(t, "LISTAGG", true, []row.Type{strT, strT}, []*row.Value{nil, &sep}), seps)
	one("VAR_POP", doubleT, dbls)
	one("STDDEV_SAMP", dec102, decs)
	return out
}

// seedStates are states the function really writes: empty, after adds,
// after adds and retracts.
func seedStates(t testing.TB, c fuzzFunc) [][]byte {
	var out [][]byte
	acc := c.New()
	out = append(out, acc.Marshal(nil))
	for _, s := range c.samples {
		if err := acc.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	out = append(out, acc.Marshal(nil))
	if c.Retractable {
		if err := acc.Retract(c.samples[0]); err != nil {
			t.Fatal(err)
		}
		out = append(out, acc.Marshal(nil))
	}
	return out
}

// FuzzUnmarshal feeds arbitrary bytes to every built-in accumulator's
// Unmarshal (the first byte picks the function): it returns an error
// wrapping ErrCorruptState or succeeds, never panics; a state it accepts
// marshals canonically (a second round trip gives the same bytes and
// result), and the accumulator keeps working.
func FuzzUnmarshal(f *testing.F) {
	funcs := fuzzFuncs(f)
	for i, c := range funcs {
		for _, s := range seedStates(f, c) {
			f.Add(byte(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		c := funcs[int(sel)%len(funcs)]
		acc := c.New()
		if err := acc.Unmarshal(data); err != nil {
			if !errors.Is(err, ErrCorruptState) {
				t.Fatalf("%s: Unmarshal error %v does not wrap ErrCorruptState", c.Name, err)
			}
			return
		}
		if huge(acc) {
			// a valid state of a COLLECT over more rows than a test
			// materializes: its result repeats each value count times
			return
		}
		res := acc.Result()
		state := acc.Marshal(nil)
		again := c.New()
		if err := again.Unmarshal(state); err != nil {
			t.Fatalf("%s: Unmarshal of its own Marshal %x: %v", c.Name, state, err)
		}
		if !sameValue(again.Result(), res) {
			t.Fatalf("%s: result %v, after a round trip %v", c.Name, res, again.Result())
		}
		if re := again.Marshal(nil); !bytes.Equal(re, state) {
			t.Fatalf("%s: Marshal not canonical: %x then %x", c.Name, state, re)
		}
		for _, s := range c.samples {
			_ = acc.Add(s)
			_ = acc.Retract(s)
			_ = acc.Result()
		}
		_ = acc.Merge(again)
		_ = acc.Result()
		_ = acc.Marshal(nil)
	})
}

// huge reports a COLLECT state holding more than 10^5 elements.
func huge(acc Acc) bool {
	if d, ok := acc.(*distinctAcc); ok {
		acc = d.inner
	}
	b, ok := acc.(*bagAcc)
	if !ok || b.cfg.kind != bagCollect {
		return false
	}
	var n int64
	b.bag.each(func(e bagEntry) {
		if e.n > 0 {
			n += min(e.n, 1e6)
		}
	})
	return n > 30_000 // doubled by the Merge below
}
