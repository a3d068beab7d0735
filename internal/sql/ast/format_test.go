package ast_test

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/parser"
)

func col(name string) *ast.ColumnRef { return &ast.ColumnRef{Parts: []ast.Ident{{Name: name}}} }

func num(s string) *ast.Literal { return &ast.Literal{Kind: ast.IntLit, Text: s} }

func bin(op string, l, r ast.Expr) *ast.Binary { return &ast.Binary{Op: op, L: l, R: r} }

func TestQuoteIdent(t *testing.T) {
	for name, want := range map[string]string{
		"a": "a", "A_1": "A_1", "_x": "_x",
		"from": "`from`", "Select": "`Select`", "table": "`table`", // reserved by the parser
		"value": "`value`", "date": "`date`", "year": "`year`", "user": "`user`", "old": "`old`", // reserved by Flink
		"data": "data", "type": "type", "ts": "ts", "comment": "comment", // Flink keywords, not reserved
		"1a": "`1a`", "a b": "`a b`", "a`b": "`a``b`", "名字": "`名字`", "x$y": "`x$y`", "": "``",
	} {
		if got := ast.QuoteIdent(name); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", name, got, want)
		}
	}
	if ast.QuoteString("it's") != "'it''s'" {
		t.Errorf("QuoteString: %s", ast.QuoteString("it's"))
	}
	if !ast.IsReserved("select") || ast.IsReserved("value") {
		t.Errorf("IsReserved: the parser reserves SELECT, not VALUE")
	}
}

// TestFormatPrecedence: trees built without Paren nodes print with the
// parentheses their structure needs, and no more.
func TestFormatPrecedence(t *testing.T) {
	a, b, c := col("a"), col("b"), col("c")
	for _, tc := range []struct {
		e    ast.Expr
		want string
	}{
		{bin("*", bin("+", a, b), c), "(a + b) * c"},
		{bin("+", bin("*", a, b), c), "a * b + c"},
		{bin("-", a, bin("-", b, c)), "a - (b - c)"},
		{bin("-", bin("-", a, b), c), "a - b - c"},
		{bin("AND", bin("OR", a, b), c), "(a OR b) AND c"},
		{bin("OR", a, bin("AND", b, c)), "a OR b AND c"},
		{bin("=", a, bin("=", b, c)), "a = (b = c)"},
		{bin("||", a, bin("+", b, c)), "a || (b + c)"},
		{&ast.Unary{Op: "NOT", X: bin("AND", a, b)}, "NOT (a AND b)"},
		{&ast.Unary{Op: "NOT", X: bin("=", a, b)}, "NOT a = b"},
		{bin("=", a, &ast.Unary{Op: "NOT", X: b}), "a = (NOT b)"},
		{&ast.Unary{Op: "-", X: &ast.Unary{Op: "-", X: num("1")}}, "- -1"},
		{&ast.Unary{Op: "-", X: bin("*", a, b)}, "-(a * b)"},
		{bin("*", &ast.Unary{Op: "-", X: a}, b), "-a * b"},
		{bin("-", a, &ast.Unary{Op: "-", X: b}), "a - -b"},
		{&ast.IsNull{X: &ast.Unary{Op: "NOT", X: a}}, "(NOT a) IS NULL"},
		{&ast.IsNull{X: bin("=", a, b), Not: true}, "a = b IS NOT NULL"},
		{&ast.Between{X: a, Lo: bin("AND", b, c), Hi: bin("+", b, c)}, "a BETWEEN (b AND c) AND b + c"},
		{&ast.Like{X: a, Pattern: &ast.IsNull{X: b}}, "a LIKE (b IS NULL)"},
		{&ast.FieldAccess{X: a, Field: ast.Ident{Name: "f"}}, "(a).f"},
		{&ast.FieldAccess{X: num("1"), Field: ast.Ident{Name: "f"}}, "(1).f"},
		{&ast.FieldAccess{X: &ast.Subscript{X: a, Index: num("1")}, Field: ast.Ident{Name: "value"}}, "a[1].`value`"},
		{&ast.Subscript{X: bin("+", a, b), Index: num("1")}, "(a + b)[1]"},
		{&ast.Exists{Not: true, Query: &ast.Query{Body: &ast.Select{Items: []ast.SelectItem{{Expr: num("1")}}}}}, "NOT EXISTS (SELECT 1)"},
		{bin("=", &ast.Exists{Not: true, Query: &ast.Query{Body: &ast.Select{Items: []ast.SelectItem{{Star: true}}}}}, a),
			"(NOT EXISTS (SELECT *)) = a"},
		{&ast.Paren{X: a}, "(a)"},
	} {
		if got := ast.Format(tc.e); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func TestFormatSpecialCalls(t *testing.T) {
	call := func(name string, args ...ast.Expr) *ast.FuncCall {
		return &ast.FuncCall{Name: ast.ObjectName{Parts: []ast.Ident{{Name: name}}}, Args: args}
	}
	unit := &ast.TimeUnit{Unit: "DAY"}
	iv := &ast.IntervalLiteral{Value: "1", From: "HOUR"}
	for _, tc := range []struct {
		e    ast.Expr
		want string
	}{
		{call("EXTRACT", unit, col("ts")), "EXTRACT(DAY FROM ts)"},
		{call("extract", col("a"), col("b")), "extract(a, b)"},
		{call("FLOOR", col("ts"), unit), "FLOOR(ts TO DAY)"},
		{call("FLOOR", bin("+", col("ts"), iv), unit), "FLOOR((ts + INTERVAL '1' HOUR) TO DAY)"},
		{call("TIMESTAMPADD", unit, num("1"), col("ts")), "TIMESTAMPADD(DAY, 1, ts)"},
		{call("TIMESTAMPADD", col("day"), num("1"), col("ts")), "`TIMESTAMPADD`(`day`, 1, ts)"},
		{call("TRIM", &ast.Symbol{Name: "LEADING"}, &ast.Literal{Kind: ast.StringLit, Text: "x"}, col("s")), "TRIM(LEADING 'x' FROM s)"},
		{call("TRIM", col("a"), col("b")), "`TRIM`(a, b)"},
		{call("POSITION", col("a"), col("b")), "POSITION(a IN b)"},
		{call("OVERLAY", col("s"), col("r"), num("1")), "OVERLAY(s PLACING r FROM 1)"},
		{call("JSON_VALUE", col("j"), &ast.Literal{Kind: ast.StringLit, Text: "$.a"}, &ast.TypeArg{Type: row.IntType},
			&ast.Symbol{Name: "DEFAULT ON EMPTY"}, num("0")), "JSON_VALUE(j, '$.a' RETURNING INT DEFAULT 0 ON EMPTY)"},
		{call("JSON_OBJECT", &ast.Literal{Kind: ast.StringLit, Text: "k"}, col("v"), &ast.Symbol{Name: "ABSENT ON NULL"}),
			"JSON_OBJECT(KEY 'k' VALUE v ABSENT ON NULL)"},
		{call("JSON_OBJECT", col("v")), "`JSON_OBJECT`(v)"},
		{call("COUNT"), "COUNT()"},
		{call("LEFT", col("s"), num("2")), "LEFT(s, 2)"},
		{call("select", col("s")), "`select`(s)"},
		{&ast.FuncCall{Name: ast.ObjectName{Parts: []ast.Ident{{Name: "current_timestamp"}}}, NoParens: true}, "current_timestamp"},
	} {
		if got := ast.Format(tc.e); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
		// and what Format prints parses back to the same tree (a Paren
		// aside, which the FLOOR case gains)
		e, err := parser.ParseExpr(ast.Format(tc.e))
		if err != nil {
			t.Errorf("%s: %v", ast.Format(tc.e), err)
		} else if ast.Format(e) != ast.Format(tc.e) {
			t.Errorf("%s re-formats as %s", ast.Format(tc.e), ast.Format(e))
		}
	}
}

func TestFormatParts(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		n    ast.Node
		want string
	}{
		{nil, ""},
		{ast.Ident{Name: "from"}, "`from`"},
		{&ast.ObjectName{Parts: []ast.Ident{{Name: "c"}, {Name: "my db"}, {Name: "t"}}}, "c.`my db`.t"},
		{ast.Option{Key: "k'", Value: "v"}, "'k''' = 'v'"},
		{&ast.ColumnDef{Name: ast.Ident{Name: "ts"}, Type: row.TimestampLTZOf(3), Metadata: true, MetadataKey: "timestamp", Virtual: true},
			"ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL"},
		{&ast.ColumnDef{Name: ast.Ident{Name: "c"}, Computed: bin("+", col("a"), num("1")), Comment: "x"}, "c AS a + 1 COMMENT 'x'"},
		{&ast.OrderItem{Expr: col("a"), Desc: true, NullsFirst: &yes}, "a DESC NULLS FIRST"},
		{&ast.Hint{Name: "BROADCAST", Args: []string{"t1", "my table", ""}}, "/*+ BROADCAST(t1, 'my table', '') */"},
		{&ast.SelectItem{Qualifier: &ast.ObjectName{Parts: []ast.Ident{{Name: "t"}}}, Star: true}, "t.*"},
		{&ast.Join{Kind: ast.LeftJoin, Left: &ast.TableRef{Name: ast.ObjectName{Parts: []ast.Ident{{Name: "a"}}}},
			Right: &ast.Join{Kind: ast.CommaJoin, Left: &ast.TableRef{Name: ast.ObjectName{Parts: []ast.Ident{{Name: "b"}}}},
				Right: &ast.TableRef{Name: ast.ObjectName{Parts: []ast.Ident{{Name: "c"}}}}}, On: &ast.Literal{Kind: ast.BoolLit, Bool: true}},
			"a LEFT JOIN (b, c) ON TRUE"},
		{&ast.SetOp{Op: ast.Intersect, Left: &ast.SetOp{Op: ast.Union, All: true,
			Left:  &ast.Values{Rows: [][]ast.Expr{{num("1")}}},
			Right: &ast.Values{Rows: [][]ast.Expr{{num("2")}}}},
			Right: &ast.Values{Rows: [][]ast.Expr{{num("3")}}}},
			"(VALUES (1) UNION ALL VALUES (2)) INTERSECT VALUES (3)"},
	} {
		if got := ast.Format(tc.n); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}
