package aggfn

import (
	"bytes"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// bind looks name up and binds it; consts may be nil.
func bind(t testing.TB, name string, distinct bool, args []row.Type, consts []*row.Value) Bound {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q): not found", name)
	}
	if consts == nil {
		consts = make([]*row.Value, len(args))
	}
	b, err := f.Bind(args, consts, distinct)
	if err != nil {
		t.Fatalf("%s.Bind(%v): %v", name, args, err)
	}
	return b
}

func bind1(t testing.TB, name string, arg row.Type) Bound {
	return bind(t, name, false, []row.Type{arg}, nil)
}

// roundTrip marshals acc, unmarshals it into a fresh accumulator of b,
// checks that the result is unchanged and that the new accumulator
// marshals to the same bytes, and returns it.
func roundTrip(t testing.TB, b Bound, acc Acc) Acc {
	t.Helper()
	state := acc.Marshal(nil)
	if len(state) == 0 || state[0] != stateVersion {
		t.Fatalf("%s: state %x does not start with the version byte", b.Name, state)
	}
	again := acc.Marshal([]byte("prefix"))
	if !bytes.Equal(again[len("prefix"):], state) {
		t.Fatalf("%s: Marshal is not deterministic: %x then %x", b.Name, state, again[len("prefix"):])
	}
	fresh := b.New()
	if err := fresh.Unmarshal(state); err != nil {
		t.Fatalf("%s: Unmarshal(%x): %v", b.Name, state, err)
	}
	if got, want := fresh.Result(), acc.Result(); !sameValue(got, want) {
		t.Fatalf("%s: result after a round trip %v, before %v", b.Name, got, want)
	}
	if re := fresh.Marshal(nil); !bytes.Equal(re, state) {
		t.Fatalf("%s: state after a round trip %x, before %x", b.Name, re, state)
	}
	return fresh
}

// sameValue is Equal plus the same NULL-ness and kind family, and for
// MULTISET/ARRAY the same elements.
func sameValue(a, b row.Value) bool {
	if a.IsNull() != b.IsNull() {
		return false
	}
	return row.Equal(a, b)
}

func mustAdd(t testing.TB, a Acc, args ...row.Value) {
	t.Helper()
	if err := a.Add(args); err != nil {
		t.Fatalf("Add(%v): %v", args, err)
	}
}

func mustRetract(t testing.TB, a Acc, args ...row.Value) {
	t.Helper()
	if err := a.Retract(args); err != nil {
		t.Fatalf("Retract(%v): %v", args, err)
	}
}

func dec(text string, p, s int) row.Value { return row.DecimalValue(row.MustDecimal(text, p, s)) }

var (
	intT    = row.IntType
	bigintT = row.BigIntType
	doubleT = row.DoubleType
	floatT  = row.FloatType
	strT    = row.StringType
	dec102  = row.DecimalOf(10, 2)
)

func checkResult(t testing.TB, what string, got, want row.Value) {
	t.Helper()
	if !sameValue(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}
