package aggfn

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// The integer fast path of DISTINCT (a map of int64) must be the generic
// path (tuples keyed by row.AppendKey) in every observable way: results,
// Marshal bytes (so state written by either is read by the other), and
// Merge order for order-sensitive functions. Random Adds and Retracts,
// NULLs and negative values included, run through both side by side.
func TestDistinctIntegersMatchGenericPath(t *testing.T) {
	for _, c := range []struct {
		fn  string
		typ row.Type
	}{
		{"COUNT", row.BigIntType},
		{"SUM", row.IntType},
		{"FIRST_VALUE", row.BigIntType},
		{"LAST_VALUE", row.SmallIntType},
		{"MAX", row.TinyIntType},
	} {
		f, ok := Lookup(c.fn)
		if !ok {
			t.Fatalf("no %s", c.fn)
		}
		b, err := f.Bind([]row.Type{c.typ}, []*row.Value{nil}, true)
		if err != nil {
			t.Fatal(err)
		}
		val := func(x int64) row.Value { return intOfKind(c.typ.Kind, x) }
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 7))
			fast := b.New().(*distinctAcc)
			if fast.cfg.intKind == 0 {
				t.Fatalf("%s(DISTINCT %s) did not take the integer path", c.fn, c.typ)
			}
			slow := b.New().(*distinctAcc)
			gcfg := *slow.cfg
			gcfg.intKind = 0
			slow.cfg = &gcfg
			var added []row.Value
			for range 200 {
				var args []row.Value
				if rng.IntN(3) == 0 && len(added) > 0 && b.Retractable {
					args = []row.Value{added[rng.IntN(len(added))]}
					if err1, err2 := fast.Retract(args), slow.Retract(args); (err1 == nil) != (err2 == nil) {
						t.Fatalf("retract errors %v / %v", err1, err2)
					}
				} else {
					v := row.Value{}
					if rng.IntN(10) != 0 {
						v = val(rng.Int64N(41) - 20)
					}
					args = []row.Value{v}
					added = append(added, v)
					if err1, err2 := fast.Add(args), slow.Add(args); (err1 == nil) != (err2 == nil) {
						t.Fatalf("add errors %v / %v", err1, err2)
					}
				}
				if !sameValue(fast.Result(), slow.Result()) {
					t.Fatalf("%s seed %d: result %v, generic %v", c.fn, seed, fast.Result(), slow.Result())
				}
			}
			fb, sb := fast.Marshal(nil), slow.Marshal(nil)
			if !bytes.Equal(fb, sb) {
				t.Fatalf("%s seed %d: state %x, generic %x", c.fn, seed, fb, sb)
			}
			// Each reads the other's state; merging in the same order.
			back := b.New().(*distinctAcc)
			if err := back.Unmarshal(sb); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.Marshal(nil), fb) {
				t.Fatalf("%s seed %d: generic state read back differs", c.fn, seed)
			}
			into, intoSlow := b.New().(*distinctAcc), b.New().(*distinctAcc)
			intoSlow.cfg = &gcfg
			for _, x := range []int64{3, -7} {
				_ = into.Add([]row.Value{val(x)})
				_ = intoSlow.Add([]row.Value{val(x)})
			}
			if err := into.Merge(fast); err != nil {
				t.Fatal(err)
			}
			if err := intoSlow.Merge(slow); err != nil {
				t.Fatal(err)
			}
			if !sameValue(into.Result(), intoSlow.Result()) || !bytes.Equal(into.Marshal(nil), intoSlow.Marshal(nil)) {
				t.Fatalf("%s seed %d: merge %v, generic %v", c.fn, seed, into.Result(), intoSlow.Result())
			}
		}
	}
}
