package expr

import (
	"math"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Truth values as expressions over columns: ok is TRUE, nb is NULL, and
// NOT ok is FALSE (columns, so nothing folds away).
var (
	tT = ast.Expr(ref("ok"))
	tF = not(ref("ok"))
	tN = ast.Expr(ref("nb"))
)

// truth renders a BOOLEAN value: T, F or N.
func truth(v row.Value) string {
	switch {
	case v.IsNull():
		return "N"
	case v.Bool():
		return "T"
	}
	return "F"
}

func TestTruthTables(t *testing.T) {
	vals := map[string]ast.Expr{"T": tT, "F": tF, "N": tN}
	// SQL's three-valued AND / OR, rows a, columns b in T F N order.
	andTable := map[string]string{"TT": "T", "TF": "F", "TN": "N", "FT": "F", "FF": "F", "FN": "F", "NT": "N", "NF": "F", "NN": "N"}
	orTable := map[string]string{"TT": "T", "TF": "T", "TN": "T", "FT": "T", "FF": "F", "FN": "N", "NT": "T", "NF": "N", "NN": "N"}
	for ab, want := range andTable {
		v, _ := eval(t, and(vals[ab[:1]], vals[ab[1:]]))
		if truth(v) != want {
			t.Errorf("%s AND %s = %s, want %s", ab[:1], ab[1:], truth(v), want)
		}
		v, _ = eval(t, or(vals[ab[:1]], vals[ab[1:]]))
		if truth(v) != orTable[ab] {
			t.Errorf("%s OR %s = %s, want %s", ab[:1], ab[1:], truth(v), orTable[ab])
		}
	}
	for a, want := range map[string]string{"T": "F", "F": "T", "N": "N"} {
		v, _ := eval(t, not(vals[a]))
		if truth(v) != want {
			t.Errorf("NOT %s = %s, want %s", a, truth(v), want)
		}
	}
	// IS [NOT] TRUE / FALSE / UNKNOWN and IS [NOT] NULL are never NULL.
	is := map[string]string{
		"T TRUE": "T", "F TRUE": "F", "N TRUE": "F",
		"T FALSE": "F", "F FALSE": "T", "N FALSE": "F",
		"T UNKNOWN": "F", "F UNKNOWN": "F", "N UNKNOWN": "T",
	}
	for k, want := range is {
		x, what := vals[k[:1]], k[2:]
		v, cp := eval(t, &ast.IsBool{At: at(), X: x, Value: what})
		if truth(v) != want || !cp.Type.NotNull {
			t.Errorf("%s IS %s = %s (%s), want %s", k[:1], what, truth(v), cp.Type, want)
		}
		v, _ = eval(t, &ast.IsBool{At: at(), X: x, Value: what, Not: true})
		if (truth(v) == "T") != (want == "F") {
			t.Errorf("%s IS NOT %s = %s", k[:1], what, truth(v))
		}
	}
	for _, c := range []struct {
		e    ast.Expr
		not  bool
		want string
	}{
		{ref("n"), false, "T"}, {ref("n"), true, "F"}, {ref("a"), false, "F"}, {ref("a"), true, "T"},
		{bin("+", ref("n"), i("1")), false, "T"}, {null(), false, "T"},
	} {
		v, cp := eval(t, &ast.IsNull{At: at(), X: c.e, Not: c.not})
		if truth(v) != c.want || !cp.Type.NotNull {
			t.Errorf("IS NULL: %s, want %s", truth(v), c.want)
		}
	}
}

func TestShortCircuit(t *testing.T) {
	boom := bin("=", bin("/", ref("a"), i("0")), i("1")) // a division by zero if evaluated
	for _, e := range []ast.Expr{and(tF, boom), or(tT, boom), and(bl(false), boom), or(bl(true), boom)} {
		if err := evalErr(t, e); err != nil {
			t.Errorf("right operand evaluated: %v", err)
		}
	}
	if err := evalErr(t, and(tT, boom)); err == nil {
		t.Error("TRUE AND boom did not fail")
	}
	// A neutral constant leaves the other operand.
	cp, err := Compile(and(bl(true), ref("ok")), scope())
	if err != nil || cp.Const || cp.col != 7 {
		t.Errorf("TRUE AND ok: %+v %v", cp, err)
	}
}

func TestComparisons(t *testing.T) {
	cases := []struct {
		e    ast.Expr
		want string
	}{
		{bin(">", ref("a"), i("10")), "T"},
		{bin("<", i("10"), ref("a")), "T"},
		{bin("=", ref("a"), d("42.0")), "T"},
		{bin("<>", ref("a"), d("42.5")), "T"},
		{bin(">=", ref("price"), d("19.990")), "T"},
		{bin("<", ref("price"), i("20")), "T"},
		{bin("=", ref("x"), d("2.5")), "T"},
		{bin("<=", ref("x"), i("2")), "F"},
		{bin("=", ref("b"), s("xyz")), "T"},
		{bin("<", ref("b"), s("xz")), "T"},
		{bin("!=", ref("b"), s("xyz")), "F"},
		{bin("<", s("abc"), s("abd")), "T"},
		{bin(">", s("é"), s("z")), "T"}, // code point order
		{bin("=", ref("n"), i("1")), "N"},
		{bin("=", ref("n"), ref("n")), "N"},
		{bin("=", null(), i("1")), "N"},
		{bin("<", ref("ok"), bl(false)), "F"},
		{bin("=", ref("dt"), typed("DATE", "2024-01-31")), "T"},
		{bin("<", ref("dt"), ref("ts")), "T"}, // midnight < 10:30
		{bin("=", ref("ts"), typed("TIMESTAMP", "2024-01-31 10:30:00.000")), "T"},
		{bin(">", interval("1", "DAY", ""), interval("23", "HOUR", "")), "T"},
		{bin("=", &ast.ArrayCtor{At: at(), Elems: []ast.Expr{i("1"), i("2")}}, &ast.ArrayCtor{At: at(), Elems: []ast.Expr{i("1"), i("2")}}), "T"},
	}
	for _, c := range cases {
		v, _ := eval(t, c.e)
		if truth(v) != c.want {
			t.Errorf("%s: %s, want %s", ast.Expr(c.e), truth(v), c.want)
		}
	}
	// NaN, as Java's double comparisons: unequal to everything.
	nan := bin("/", f("0e0"), f("0e0"))
	for op, want := range map[string]string{"=": "F", "<>": "T", "<": "F", ">": "F", "<=": "F", ">=": "F"} {
		v, _ := eval(t, bin(op, nan, nan))
		if truth(v) != want {
			t.Errorf("NaN %s NaN = %s, want %s", op, truth(v), want)
		}
	}
	for _, bad := range []ast.Expr{bin("=", ref("a"), s("1")), bin("<", ref("ok"), i("1")), bin("<", ref("m"), ref("m"))} {
		ce := compileErr(t, bad)
		if ce.Pos != pos {
			t.Errorf("%v: position %v", ce, ce.Pos)
		}
	}
}

// TIMESTAMP vs TIMESTAMP_LTZ compares in the session zone: ltz is
// 2024-01-01T00:00:00Z, which is 08:00 in Shanghai and 00:00 in UTC.
func TestTimestampVsLTZ(t *testing.T) {
	for _, c := range []struct {
		loc  string
		e    ast.Expr
		want string
	}{
		{"Asia/Shanghai", bin("=", ref("ltz"), typed("TIMESTAMP", "2024-01-01 08:00:00")), "T"},
		{"Asia/Shanghai", bin("<", typed("TIMESTAMP", "2024-01-01 07:59:59"), ref("ltz")), "T"},
		{"Asia/Shanghai", bin("=", ref("ltz"), typed("TIMESTAMP", "2024-01-01 00:00:00")), "F"},
		{"UTC", bin("=", ref("ltz"), typed("TIMESTAMP", "2024-01-01 00:00:00")), "T"},
		{"Asia/Shanghai", bin("=", ref("ltz"), typed("DATE", "2024-01-01")), "F"},
		{"Asia/Shanghai", bin(">", ref("ltz"), typed("DATE", "2024-01-01")), "T"},
	} {
		sc := scope()
		if c.loc == "UTC" {
			sc.Env = env(nil)
		}
		cp, err := Compile(c.e, sc)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := cp.Eval(testRow())
		if truth(v) != c.want {
			t.Errorf("%s: %s, want %s", c.loc, truth(v), c.want)
		}
	}
}

func TestIsDistinctFrom(t *testing.T) {
	for _, c := range []struct {
		l, r ast.Expr
		want string // IS DISTINCT FROM
	}{
		{ref("n"), ref("n"), "F"},
		{ref("n"), i("1"), "T"},
		{ref("a"), i("42"), "F"},
		{ref("a"), i("41"), "T"},
		{null(), null(), "F"},
		{bin("/", f("0e0"), f("0e0")), bin("/", f("0e0"), f("0e0")), "F"},
	} {
		v, cp := eval(t, &ast.IsDistinct{At: at(), L: c.l, R: c.r})
		if truth(v) != c.want || !cp.Type.NotNull {
			t.Errorf("IS DISTINCT FROM: %s, want %s", truth(v), c.want)
		}
		v, _ = eval(t, &ast.IsDistinct{At: at(), L: c.l, R: c.r, Not: true})
		if (truth(v) == "T") == (c.want == "T") {
			t.Errorf("IS NOT DISTINCT FROM: %s", truth(v))
		}
	}
}

func TestBetween(t *testing.T) {
	btw := func(x, lo, hi ast.Expr, notB, sym bool) ast.Expr {
		return &ast.Between{At: at(), X: x, Lo: lo, Hi: hi, Not: notB, Symmetric: sym}
	}
	for _, c := range []struct {
		e    ast.Expr
		want string
	}{
		{btw(ref("a"), i("40"), i("42"), false, false), "T"},
		{btw(ref("a"), i("43"), i("50"), false, false), "F"},
		{btw(ref("a"), i("50"), i("40"), false, false), "F"},
		{btw(ref("a"), i("50"), i("40"), false, true), "T"},
		{btw(ref("a"), i("40"), i("50"), true, false), "F"},
		{btw(ref("a"), ref("n"), i("50"), false, false), "N"}, // NULL AND TRUE
		{btw(ref("a"), ref("n"), i("10"), false, false), "F"}, // NULL AND FALSE
		{btw(ref("a"), ref("n"), i("10"), true, false), "T"},
		{btw(ref("n"), i("1"), i("2"), false, false), "N"},
		{btw(ref("price"), i("19"), d("19.99"), false, false), "T"},
		{btw(ref("b"), s("x"), s("y"), false, false), "T"},
	} {
		v, _ := eval(t, c.e)
		if truth(v) != c.want {
			t.Errorf("BETWEEN: %s, want %s", truth(v), c.want)
		}
	}
}

func TestInList(t *testing.T) {
	for _, c := range []struct {
		e    *ast.InList
		want string
	}{
		{inList(ref("a"), i("1"), i("42"), i("7")), "T"},
		{inList(ref("a"), i("1"), i("2")), "F"},
		{inList(ref("a"), i("1"), null()), "N"},
		{inList(ref("a"), i("42"), null()), "T"},
		{inList(ref("n"), i("1")), "N"},
		{inList(ref("a"), d("42.0"), d("1.5")), "T"}, // decimal set
		{inList(ref("x"), i("1"), d("2.5")), "T"},    // double set
		{inList(ref("b"), s("a"), s("xyz")), "T"},    // string set
		{inList(ref("b"), s("a"), ref("b")), "T"},    // dynamic list
		{inList(ref("b"), s("a"), ref("ns")), "N"},   // dynamic with NULL
		{inList(ref("dt"), typed("DATE", "2024-01-31")), "T"},
		{inList(ref("ts"), typed("TIMESTAMP", "2024-01-31 10:30:00")), "T"},  // keyed set
		{inList(ref("ltz"), typed("TIMESTAMP", "2024-01-01 08:00:00")), "T"}, // via the session zone
	} {
		v, _ := eval(t, c.e)
		if truth(v) != c.want {
			t.Errorf("IN: %s, want %s", truth(v), c.want)
		}
		c.e.Not = true
		v, _ = eval(t, c.e)
		want := map[string]string{"T": "F", "F": "T", "N": "N"}[c.want]
		if truth(v) != want {
			t.Errorf("NOT IN: %s, want %s", truth(v), want)
		}
	}
	ce := compileErr(t, inList(ref("a"), s("x")))
	if ce.Msg != "Values passed to IN operator must have compatible types" {
		t.Errorf("message %q", ce.Msg)
	}
	// A large constant list is a set: still exact for BIGINT extremes.
	list := []ast.Expr{i("9223372036854775807")}
	for k := 0; k < 100; k++ {
		list = append(list, i("1"))
	}
	v, _ := eval(t, inList(cast(i("9223372036854775807"), "BIGINT"), list...))
	if truth(v) != "T" {
		t.Error("BIGINT max not found")
	}
	_ = math.MaxInt64
}

func TestCompileFilter(t *testing.T) {
	keep := func(e ast.Expr) bool {
		t.Helper()
		fl, err := CompileFilter(e, scope())
		if err != nil {
			t.Fatal(err)
		}
		ok, err := fl(testRow())
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !keep(bin(">", ref("a"), i("10"))) || keep(bin("<", ref("a"), i("10"))) || keep(ref("nb")) || !keep(ref("ok")) || keep(null()) || !keep(bl(true)) {
		t.Error("filter: TRUE keeps, FALSE and NULL drop")
	}
	_, err := CompileFilter(ref("a"), scope())
	if ce, ok := err.(*Error); !ok || ce.Pos != pos {
		t.Errorf("non-boolean filter: %v", err)
	}
}
