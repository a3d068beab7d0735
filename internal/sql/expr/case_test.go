package expr

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestCase(t *testing.T) {
	boom := bin("/", ref("a"), i("0"))
	cases := []struct {
		name string
		e    ast.Expr
		typ  string
		want row.Value
	}{
		{"searched", caseWhen(nil, s("other"), bin(">", ref("a"), i("100")), s("big"), bin(">", ref("a"), i("10")), s("mid")),
			"VARCHAR(5) NOT NULL", row.String("mid")},
		// CHAR(1) and CHAR(3) merge to VARCHAR(3): no padding (Flink's FlinkTypeSystem).
		{"ragged strings", caseWhen(nil, s("abc"), tT, s("a")), "VARCHAR(3) NOT NULL", row.String("a")},
		{"numeric widening", caseWhen(nil, d("2.5"), tT, i("1")), "DECIMAL(11, 1) NOT NULL", dec("1.0", 11, 1)},
		{"int and double", caseWhen(nil, ref("x"), tF, i("1")), "DOUBLE", row.Double(2.5)},
		{"no else is nullable", caseWhen(nil, nil, tF, i("1")), "INT", row.Null()},
		{"null branch", caseWhen(nil, null(), tT, ref("qty")), "INT", row.Int(3)},
		{"unknown condition skips", caseWhen(nil, i("2"), tN, i("1")), "INT NOT NULL", row.Int(2)},
		{"lazy branches", caseWhen(nil, boom, tT, i("1")), "BIGINT", row.BigInt(1)},
		{"simple", caseWhen(ref("a"), s("none"), i("1"), s("one"), i("42"), s("answer")), "VARCHAR(6) NOT NULL", row.String("answer")},
		{"simple null operand", caseWhen(ref("n"), s("else"), null(), s("null")), "CHAR(4) NOT NULL", row.Char("else")},
		{"simple across types", caseWhen(ref("a"), i("0"), d("42.00"), i("1")), "INT NOT NULL", row.Int(1)},
		{"coalesce", call("COALESCE", ref("n"), ref("n"), ref("a")), "BIGINT", row.BigInt(42)},
		{"coalesce not null", call("COALESCE", ref("n"), i("7")), "INT NOT NULL", row.Int(7)},
		{"coalesce lazy", call("COALESCE", ref("a"), boom), "BIGINT", row.BigInt(42)},
		{"coalesce decimal", call("coalesce", ref("n"), d("1.5")), "DECIMAL(11, 1) NOT NULL", dec("1.5", 11, 1)},
		{"ifnull", call("IFNULL", ref("n"), i("0")), "INT NOT NULL", row.Int(0)},
		{"nullif equal", call("NULLIF", ref("a"), i("42")), "BIGINT", row.Null()},
		{"nullif unequal", call("NULLIF", ref("a"), i("41")), "BIGINT", row.BigInt(42)},
		{"nullif null", call("NULLIF", ref("a"), ref("n")), "BIGINT", row.BigInt(42)},
		{"if", call("IF", bin(">", ref("a"), i("1")), s("yes"), s("no")), "VARCHAR(3) NOT NULL", row.String("yes")},
		{"if null cond", call("IF", tN, i("1"), i("2")), "INT NOT NULL", row.Int(2)},
		{"if lazy", call("IF", tF, boom, ref("a")), "BIGINT", row.BigInt(42)},
		{"if constant", call("IF", bl(true), i("1"), ref("n")), "INT", row.Int(1)},
	}
	for _, c := range cases {
		v, cp := eval(t, c.e)
		if cp.Type.String() != c.typ {
			t.Errorf("%s: type %s, want %s", c.name, cp.Type, c.typ)
		}
		if !same(v, c.want) {
			t.Errorf("%s: %v (%s), want %v (%s)", c.name, v, v.Kind(), c.want, c.want.Kind())
		}
	}
	for _, bad := range []ast.Expr{
		caseWhen(nil, s("x"), tT, i("1")),       // INT and CHAR: no common type
		caseWhen(nil, nil, ref("a"), i("1")),    // non-boolean WHEN
		caseWhen(nil, null(), tT, null()),       // all NULL
		caseWhen(ref("a"), nil, s("x"), i("1")), // BIGINT = CHAR
		call("COALESCE"),                        // no arguments
		call("IFNULL", i("1")),                  // one argument
		call("IF", ref("a"), i("1"), i("2")),    // non-boolean condition
		call("NULLIF", ref("a"), s("x")),        // incomparable
		call("COALESCE", ref("a"), ref("b")),    // no common type
	} {
		ce := compileErr(t, bad)
		if ce.Pos != pos {
			t.Errorf("%v: position %v", ce, ce.Pos)
		}
	}
}

func TestCommonType(t *testing.T) {
	p := row.MustParseType
	for _, c := range []struct {
		in   []string
		want string // "" = no common type
	}{
		{[]string{"INT NOT NULL", "BIGINT NOT NULL"}, "BIGINT NOT NULL"},
		{[]string{"TINYINT", "SMALLINT NOT NULL"}, "SMALLINT"},
		{[]string{"INT", "DECIMAL(5, 2)"}, "DECIMAL(12, 2)"},
		{[]string{"DECIMAL(10, 2)", "DECIMAL(5, 4)"}, "DECIMAL(12, 4)"},
		{[]string{"BIGINT", "DECIMAL(38, 10)"}, "DECIMAL(38, 10)"},
		// Flink's LogicalTypeMerging.createCommonExactNumericType: the whole
		// digits stay, the scale gives way (as far as 0).
		{[]string{"DECIMAL(38, 0)", "DECIMAL(38, 38)"}, "DECIMAL(38, 0)"},
		{[]string{"DECIMAL(38, 2)", "DECIMAL(38, 6)"}, "DECIMAL(38, 2)"},
		{[]string{"DECIMAL(38, 2)", "DECIMAL(4, 3)"}, "DECIMAL(38, 2)"},
		{[]string{"DECIMAL(20, 2)", "DECIMAL(10, 8)"}, "DECIMAL(26, 8)"},
		{[]string{"INT", "FLOAT"}, "FLOAT"},
		{[]string{"DECIMAL(5, 2)", "FLOAT"}, "DOUBLE"},
		{[]string{"INT", "DOUBLE"}, "DOUBLE"},
		{[]string{"CHAR(3) NOT NULL", "CHAR(3) NOT NULL"}, "CHAR(3) NOT NULL"},
		{[]string{"CHAR(1)", "CHAR(3)"}, "VARCHAR(3)"},
		{[]string{"CHAR(10)", "VARCHAR(5)"}, "VARCHAR(10)"},
		{[]string{"STRING", "CHAR(3)"}, "STRING"},
		{[]string{"BYTES", "BINARY(2)"}, "BYTES"},
		{[]string{"NULL", "INT NOT NULL"}, "INT"},
		{[]string{"NULL", "NULL"}, "NULL"},
		{[]string{"DATE", "TIMESTAMP(3)"}, "TIMESTAMP(3)"},
		{[]string{"TIMESTAMP(3)", "TIMESTAMP_LTZ(6)"}, "TIMESTAMP_LTZ(6)"},
		{[]string{"TIME(0)", "TIME(3)"}, "TIME(3)"},
		{[]string{"ARRAY<INT>", "ARRAY<BIGINT NOT NULL>"}, "ARRAY<BIGINT>"},
		{[]string{"MAP<STRING, INT>", "MAP<CHAR(1), DOUBLE>"}, "MAP<STRING, DOUBLE>"},
		{[]string{"ROW<a INT, b STRING>", "ROW<x BIGINT, y CHAR(2)>"}, "ROW<`a` BIGINT, `b` STRING>"},
		{[]string{"INT", "STRING"}, ""},
		{[]string{"BOOLEAN", "INT"}, ""},
		{[]string{"DATE", "TIME"}, ""},
		{[]string{"ROW<a INT>", "ROW<a INT, b INT>"}, ""},
		{[]string{"STRING", "BYTES"}, ""},
	} {
		ts := make([]row.Type, len(c.in))
		for k, s := range c.in {
			ts[k] = p(s)
		}
		got, ok := CommonType(ts...)
		switch {
		case c.want == "" && ok:
			t.Errorf("%v: %s, want none", c.in, got)
		case c.want != "" && !ok:
			t.Errorf("%v: none, want %s", c.in, c.want)
		case ok && got.String() != c.want:
			t.Errorf("%v: %s, want %s", c.in, got, c.want)
		}
	}
}
