package expr

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestResolveColumn(t *testing.T) {
	cols := []Column{
		{Qualifier: "o", Name: "id", Type: row.BigIntType},
		{Qualifier: "o", Name: "user_id", Type: row.BigIntType},
		{Qualifier: "u", Name: "id", Type: row.BigIntType},
		{Qualifier: "u", Name: "Name", Type: row.StringType},
		{Qualifier: "db.u", Name: "addr", Type: row.RowOf(row.Field{Name: "City", Type: row.StringType}, row.Field{Name: "geo", Type: row.RowOf(row.Field{Name: "lat", Type: row.DoubleType})})},
		{Qualifier: "", Name: "o", Type: row.RowOf(row.Field{Name: "id", Type: row.IntType})}, // a ROW column named like the alias o
	}
	for _, c := range []struct {
		parts []string
		idx   int
		path  string
		err   string
	}{
		{[]string{"user_id"}, 1, "", ""},
		{[]string{"USER_ID"}, 1, "", ""},
		{[]string{"name"}, 3, "", ""},
		{[]string{"o", "id"}, 0, "", ""}, // qualified reading wins over the ROW column o
		{[]string{"U", "id"}, 2, "", ""},
		{[]string{"db", "u", "addr"}, 4, "", ""},
		{[]string{"u", "addr", "city"}, 4, "City", ""},
		{[]string{"addr", "geo", "lat"}, 4, "geo.lat", ""},
		{[]string{"id"}, -1, "", "Column 'id' is ambiguous"},
		{[]string{"nope"}, -1, "", "Column 'nope' not found in any table"},
		{[]string{"u", "nope"}, -1, "", "Column 'nope' not found in table 'u'"},
		{[]string{"o", "nope"}, -1, "", "Unknown field 'nope'"}, // o is also a ROW column
		{[]string{"x", "id"}, -1, "", "Table 'x' not found"},
		{[]string{"addr", "zip"}, -1, "", "Unknown field 'zip'"},
	} {
		idx, path, err := ResolveColumn(ref(c.parts...), cols)
		if c.err != "" {
			ce, ok := err.(*Error)
			if !ok || !strings.Contains(ce.Msg, c.err) || ce.Pos != pos {
				t.Errorf("%v: error %v, want %q", c.parts, err, c.err)
			}
			continue
		}
		if err != nil || idx != c.idx || strings.Join(path, ".") != c.path {
			t.Errorf("%v: %d %v %v, want %d %s", c.parts, idx, path, err, c.idx, c.path)
		}
	}
}

func TestAccess(t *testing.T) {
	sub := func(x, idx ast.Expr) ast.Expr { return &ast.Subscript{At: at(), X: x, Index: idx} }
	for _, c := range []struct {
		name string
		e    ast.Expr
		typ  string
		want row.Value
	}{
		{"map", sub(ref("m"), s("k2")), "INT", row.Int(2)},
		{"map missing", sub(ref("m"), s("zz")), "INT", row.Null()},
		{"array", sub(ref("arr"), i("2")), "STRING", row.String("q")},
		{"array 0", sub(ref("arr"), i("0")), "STRING", row.Null()},
		{"array out of range", sub(ref("arr"), i("3")), "STRING", row.Null()},
		{"row path", ref("r", "f", "g"), "INT", row.Int(7)},
		{"qualified row path", ref("t", "r", "h"), "STRING", row.String("hh")},
		{"field access", &ast.FieldAccess{At: at(), X: paren(ref("r")), Field: ast.Ident{Name: "H"}}, "STRING", row.String("hh")},
		{"row ctor", &ast.RowCtor{At: at(), Args: []ast.Expr{ref("a"), s("x")}}, "ROW<`EXPR$0` BIGINT, `EXPR$1` CHAR(1) NOT NULL> NOT NULL",
			row.Struct([]row.Value{row.BigInt(42), row.Char("x")})},
		{"array ctor", &ast.ArrayCtor{At: at(), Elems: []ast.Expr{i("1"), ref("a")}}, "ARRAY<BIGINT> NOT NULL",
			row.Array([]row.Value{row.BigInt(1), row.BigInt(42)})},
		{"map ctor", &ast.MapCtor{At: at(), KVs: []ast.Expr{s("a"), i("1"), s("bb"), d("2.5")}}, "MAP<VARCHAR(2) NOT NULL, DECIMAL(11, 1) NOT NULL> NOT NULL",
			row.MapEntries([]row.Value{row.String("a"), dec("1.0", 11, 1), row.String("bb"), dec("2.5", 11, 1)})},
		{"subscript of ctor", sub(&ast.ArrayCtor{At: at(), Elems: []ast.Expr{s("x"), s("y")}}, i("2")), "CHAR(1)", row.Char("y")},
	} {
		v, cp := eval(t, c.e)
		if cp.Type.String() != c.typ {
			t.Errorf("%s: type %s, want %s", c.name, cp.Type, c.typ)
		}
		if !same(v, c.want) {
			t.Errorf("%s: %v (%s), want %v", c.name, v, v.Kind(), c.want)
		}
	}
	for _, bad := range []ast.Expr{sub(ref("a"), i("1")), sub(ref("arr"), s("x")), sub(ref("m"), i("1")),
		&ast.FieldAccess{At: at(), X: ref("a"), Field: ast.Ident{Name: "f"}}, ref("r", "zz")} {
		compileErr(t, bad)
	}
}

func TestConstantFolding(t *testing.T) {
	for _, c := range []struct {
		e     ast.Expr
		konst bool
	}{
		{bin("+", i("1"), i("2")), true},
		{bin("*", bin("+", i("1"), i("2")), d("1.5")), true},
		{cast(s("42"), "INT"), true},
		{caseWhen(nil, s("b"), bin("=", i("1"), i("1")), s("a")), true},
		{call("COALESCE", null(), i("1")), true},
		{and(bl(true), bl(false)), true},
		{inList(i("1"), i("1"), i("2")), true},
		{like(s("abc"), s("a%")), true},
		{bin("+", ref("a"), i("1")), false},
		{cast(s("x"), "INT"), false}, // fails: left for run time
	} {
		cp, err := Compile(c.e, scope())
		if err != nil {
			t.Fatal(err)
		}
		if cp.Const != c.konst {
			t.Errorf("%T: Const %v, want %v", c.e, cp.Const, c.konst)
		}
		if cp.Const {
			// A constant evaluates without a row.
			if _, err := cp.Eval(nil); err != nil {
				t.Error(err)
			}
		}
	}
	cp, _ := Compile(bin("+", i("1"), i("2")), scope())
	if v, _ := cp.Eval(nil); !same(v, row.Int(3)) || cp.Type.String() != "INT NOT NULL" {
		t.Errorf("1+2 = %v %s", v, cp.Type)
	}
}

// Lookup replaces subexpressions (GROUP BY keys, aggregate calls) by
// input columns before they are compiled.
func TestLookup(t *testing.T) {
	cols := []Column{
		{Name: "k", Type: row.BigIntType.WithNotNull(true)},
		{Name: "EXPR$1", Type: row.DecimalOf(38, 2)},
	}
	var sumCall = call("SUM", ref("price"))
	var groupKey = bin("+", ref("a"), i("1"))
	sc := &Scope{Columns: cols, Lookup: func(e ast.Expr) (int, bool) {
		switch e {
		case ast.Expr(groupKey):
			return 0, true
		case ast.Expr(sumCall):
			return 1, true
		}
		return 0, false
	}}
	e := bin("*", paren(groupKey), sumCall) // (a + 1) * SUM(price)
	cp, err := Compile(e, sc)
	if err != nil {
		t.Fatal(err)
	}
	r := row.NewRow(row.Insert, row.BigInt(10), dec("1.50", 38, 2))
	v, err := cp.Eval(&r)
	if err != nil || !same(v, dec("15.00", 38, 2)) {
		t.Errorf("(a+1) * SUM(price) = %v %v (%s)", v, err, cp.Type)
	}
	// Not substituted: SUM is an error, a is unknown.
	if _, err := Compile(sumCall, &Scope{Columns: cols}); err == nil {
		t.Error("SUM compiled without Lookup")
	}
}

func TestUnsupported(t *testing.T) {
	q := &ast.Query{}
	for _, e := range []ast.Expr{
		&ast.InQuery{At: at(), X: ref("a"), Query: q},
		&ast.Exists{At: at(), Query: q},
		&ast.ScalarSubquery{At: at(), Query: q},
		&ast.TimeUnit{At: at(), Unit: "DAY"},
		&ast.Descriptor{At: at()},
	} {
		ce := compileErr(t, e)
		if ce.Pos != pos {
			t.Errorf("%v: position", ce)
		}
	}
	ce := compileErr(t, &ast.Exists{At: at(), Query: q})
	if !strings.Contains(ce.Msg, "not supported yet") || ce.Error() != "3:5: "+ce.Msg {
		t.Errorf("%q", ce.Error())
	}
}
