package function

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestCollectionFunctions(t *testing.T) {
	m := row.MapEntries([]row.Value{s("a"), i(1), s("b"), nl})
	runCases(t, utcEnv, []tcase{
		c("CARDINALITY", i(3), arr(i(1), i(2), i(3))),
		c("CARDINALITY", i(2), m),
		c("CARDINALITY", i(0), arr()),
		c("CARDINALITY", nl, nl),
		// Flink docs: ELEMENT returns the sole element, NULL for an empty array.
		c("ELEMENT", i(5), arr(i(5))),
		c("ELEMENT", nl, arr()),
		c("ELEMENT", nl, nl),
		// Flink docs: checking for NULL elements is supported; a NULL array gives NULL.
		c("ARRAY_CONTAINS", b(true), arr(i(1), nl), nl),
		c("ARRAY_CONTAINS", b(false), arr(i(1), i(2)), nl),
		c("ARRAY_CONTAINS", b(false), arr(i(1), i(2)), i(3)),
		c("ARRAY_CONTAINS", b(true), arr(i(1), i(2)), bi(2)), // compared by value
		c("ARRAY_CONTAINS", nl, nl, i(1)),
		c("ARRAY_POSITION", i(2), arr(s("a"), s("b"), s("b")), s("b")),
		c("ARRAY_POSITION", i(0), arr(s("a")), s("z")),
		c("ARRAY_REMOVE", arr(i(1), i(3)), arr(i(1), i(2), i(3), i(2)), i(2)),
		c("ARRAY_REMOVE", arr(i(1)), arr(i(1), nl), nl),
		c("ARRAY_DISTINCT", arr(i(1), nl, i(2)), arr(i(1), nl, i(1), i(2), nl)),
		c("ARRAY_REVERSE", arr(i(3), i(2), i(1)), arr(i(1), i(2), i(3))),
		c("ARRAY_CONCAT", arr(i(1), i(2), i(3)), arr(i(1)), arr(i(2), i(3))),
		c("ARRAY_CONCAT", nl, arr(i(1)), nl),
		c("ARRAY_JOIN", s("a,c"), arr(s("a"), nl, s("c")), s(",")),
		c("ARRAY_JOIN", s("a,-,c"), arr(s("a"), nl, s("c")), s(","), s("-")),
		// Flink's ArrayJoinFunction: a NULL replacement makes the result NULL.
		c("ARRAY_JOIN", nl, arr(s("a"), nl, s("c")), s(","), nl),
		c("ARRAY_JOIN", nl, arr(s("a")), s(","), nl),
		c("MAP_KEYS", arr(s("a"), s("b")), m),
		c("MAP_VALUES", arr(i(1), nl), m),
		c("MAP_ENTRIES", arr(row.Struct([]row.Value{s("a"), i(1)}), row.Struct([]row.Value{s("b"), nl})), m),
		c("MAP_FROM_ARRAYS", row.Map([]row.Value{s("x"), s("y")}, []row.Value{i(1), i(2)}), arr(s("x"), s("y")), arr(i(1), i(2))),
	})
	_, err := callEnvErr(t, utcEnv, "ELEMENT", arr(i(1), i(2)))
	errContains(t, err, "ELEMENT: the array has 2 elements")
	_, err = callEnvErr(t, utcEnv, "MAP_FROM_ARRAYS", arr(i(1)), arr(i(1), i(2)))
	errContains(t, err, "must be equal")
	errContains(t, bindErr(t, "ARRAY_CONTAINS", Arg{Type: row.ArrayOf(row.IntType)}, Arg{Type: row.StringType}), "cannot be compared")
	errContains(t, bindErr(t, "CARDINALITY", Arg{Type: row.StringType}), "CARDINALITY expects (ARRAY or MAP or MULTISET), got (STRING)")
	if got := bind(t, utcEnv, "MAP_KEYS", Arg{Type: row.MapOf(row.StringType, row.IntType)}).Type.String(); got != "ARRAY<STRING>" {
		t.Errorf("MAP_KEYS type %s", got)
	}
	if got := bind(t, utcEnv, "ELEMENT", Arg{Type: row.ArrayOf(row.IntType.WithNotNull(true)).WithNotNull(true)}).Type.String(); got != "INT" {
		t.Errorf("ELEMENT type %s", got)
	}
	ms := row.Multiset([]row.Value{s("a"), s("a")})
	bd := bind(t, utcEnv, "CARDINALITY", Arg{Type: row.MultisetOf(row.StringType)})
	if v, _ := bd.Eval([]row.Value{ms}); v.Int64() != 2 {
		t.Errorf("CARDINALITY(MULTISET[a, a]) = %v", v)
	}
}
