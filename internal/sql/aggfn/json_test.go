package aggfn

import (
	"errors"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// JSON_OBJECTAGG and JSON_ARRAYAGG over JSON texts (what JSON_STRING
// makes of the values): results by hand, Flink's rules (json.go).
func TestJSONAggs(t *testing.T) {
	strT := row.StringType
	mode := func(s string) *row.Value { v := row.String(s); return &v }
	s := row.String
	obj := func(m string) Bound {
		return bind(t, "JSON_OBJECTAGG", false, []row.Type{strT, strT, strT}, []*row.Value{nil, nil, mode(m)})
	}
	arr := func(m string) Bound {
		return bind(t, "JSON_ARRAYAGG", false, []row.Type{strT, strT}, []*row.Value{nil, mode(m)})
	}

	o := obj(nullOnNull)
	if o.Type.String() != "STRING NOT NULL" {
		t.Fatalf("type %s", o.Type)
	}
	acc := o.New()
	checkResult(t, "empty object", acc.Result(), s("{}"))
	for _, kv := range [][2]row.Value{{s("b"), s("2")}, {s("a\"q"), s(`"x"`)}, {s("c"), row.Null()}} {
		if err := acc.Add([]row.Value{kv[0], kv[1], s(nullOnNull)}); err != nil {
			t.Fatal(err)
		}
	}
	checkResult(t, "object", acc.Result(), s(`{"a\"q":"x","b":2,"c":null}`))
	err := acc.Add([]row.Value{s("b"), s("3"), s(nullOnNull)})
	if err == nil || !strings.Contains(err.Error(), "Key 'b' is already present") {
		t.Fatalf("duplicate key: %v", err)
	}
	if err := acc.Add([]row.Value{row.Null(), s("3"), s(nullOnNull)}); err == nil {
		t.Fatal("a NULL key was accepted")
	}
	// A retraction of another value keeps the key; of its value removes it.
	acc.Retract([]row.Value{s("b"), s("9"), s(nullOnNull)})
	acc.Retract([]row.Value{s("c"), row.Null(), s(nullOnNull)})
	checkResult(t, "retracted", acc.Result(), s(`{"a\"q":"x","b":2}`))
	back := roundTrip(t, o, acc)
	other := o.New()
	other.Add([]row.Value{s("d"), s("[1]"), s(nullOnNull)})
	if err := back.Merge(other); err != nil {
		t.Fatal(err)
	}
	checkResult(t, "merged", back.Result(), s(`{"a\"q":"x","b":2,"d":[1]}`))
	if err := back.Merge(other); err == nil {
		t.Fatal("a merge bringing a present key succeeded")
	}
	absent := obj(absentOnNull).New()
	absent.Add([]row.Value{s("k"), row.Null(), s(absentOnNull)})
	absent.Add([]row.Value{s("k"), s("1"), s(absentOnNull)}) // the skipped NULL took no key
	checkResult(t, "absent on null", absent.Result(), s(`{"k":1}`))

	a := arr(absentOnNull).New()
	checkResult(t, "empty array", a.Result(), s("[]"))
	for _, v := range []row.Value{s("1"), row.Null(), s(`"x"`), s("1")} {
		a.Add([]row.Value{v, s(absentOnNull)})
	}
	checkResult(t, "array", a.Result(), s(`[1,"x",1]`))
	a.Retract([]row.Value{s("1"), s(absentOnNull)})
	checkResult(t, "array retracted", a.Result(), s(`["x",1]`))
	roundTrip(t, arr(absentOnNull), a)
	n := arr(nullOnNull).New()
	n.Add([]row.Value{row.Null(), s(nullOnNull)})
	n.Add([]row.Value{s("2"), s(nullOnNull)})
	checkResult(t, "null on null", n.Result(), s(`[null,2]`))
	n.Retract([]row.Value{row.Null(), s(nullOnNull)})
	checkResult(t, "null retracted", n.Result(), s(`[2]`))

	for _, c := range []struct {
		name   string
		args   []row.Type
		consts []*row.Value
	}{
		{"JSON_OBJECTAGG", []row.Type{row.IntType, strT, strT}, []*row.Value{nil, nil, mode(nullOnNull)}},
		{"JSON_OBJECTAGG", []row.Type{strT, strT}, []*row.Value{nil, nil}},
		{"JSON_ARRAYAGG", []row.Type{strT, strT}, []*row.Value{nil, mode("NULLS")}},
		{"JSON_ARRAYAGG", []row.Type{row.IntType, strT}, []*row.Value{nil, mode(nullOnNull)}},
		{"JSON_ARRAYAGG", []row.Type{strT, strT}, []*row.Value{nil, nil}},
	} {
		f, _ := Lookup(c.name)
		if _, err := f.Bind(c.args, c.consts, false); err == nil {
			t.Errorf("%s%v bound", c.name, c.args)
		}
	}
}

// A JSON_OBJECTAGG state whose keys are not sorted and unique is corrupt.
func TestJSONObjectAggCorruptState(t *testing.T) {
	strT := row.StringType
	m := row.String(nullOnNull)
	b := bind(t, "JSON_OBJECTAGG", false, []row.Type{strT, strT, strT}, []*row.Value{nil, nil, &m})
	for _, keys := range [][2]string{{"b", "a"}, {"a", "a"}} {
		st := []byte{stateVersion, 2}
		for _, k := range keys {
			st = append(st, byte(len(k)))
			st = append(st, k...)
			st = append(st, 1, '1')
		}
		if err := b.New().Unmarshal(st); !errors.Is(err, ErrCorruptState) {
			t.Errorf("keys %v: %v, want ErrCorruptState", keys, err)
		}
	}
}
