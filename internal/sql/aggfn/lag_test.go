package aggfn

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// LAG keeps the last offset+1 values: the oldest once there are that
// many, else the latest row's default (Flink's LagAggFunction).
func TestLag(t *testing.T) {
	intT := row.IntType
	two := row.Int(2)
	b := bind(t, "LAG", false, []row.Type{intT, intT, intT}, []*row.Value{nil, &two, nil})
	acc := b.New()
	for i, want := range []row.Value{row.Int(-1), row.Int(-2), row.Int(10), row.Int(20), row.Int(30)} {
		if err := acc.Add([]row.Value{row.Int(int32(10 * (i + 1))), two, row.Int(int32(-1 - i))}); err != nil {
			t.Fatal(err)
		}
		checkResult(t, "LAG(x, 2, d)", acc.Result(), want)
	}
	back := roundTrip(t, b, acc)
	back.Add([]row.Value{row.Int(60), two, row.Int(0)})
	checkResult(t, "after a round trip", back.Result(), row.Int(40))
	if acc.Retract([]row.Value{row.Int(10), two, row.Int(0)}) == nil {
		t.Error("LAG retracted")
	}
	one := bind(t, "LAG", false, []row.Type{intT}, nil).New()
	checkResult(t, "LAG(x) of one row", func() row.Value { one.Add([]row.Value{row.Int(1)}); return one.Result() }(), row.Value{})
	f, _ := Lookup("LAG")
	neg := row.Int(-1)
	for _, c := range []struct {
		args   []row.Type
		consts []*row.Value
	}{
		{[]row.Type{intT, intT}, []*row.Value{nil, nil}},                       // offset not a literal
		{[]row.Type{intT, intT}, []*row.Value{nil, &neg}},                      // negative offset
		{[]row.Type{intT, intT, row.StringType}, []*row.Value{nil, &two, nil}}, // default of another type
	} {
		if _, err := f.Bind(c.args, c.consts, false); err == nil {
			t.Errorf("LAG%v %v bound", c.args, c.consts)
		}
	}
}
