package expr

import (
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load on any machine

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Syntax tree builders: the parser is another package's work, so tests
// spell trees by hand, at a position each so errors can be checked.

var pos = ast.Pos{Offset: 7, Line: 3, Col: 5}

func at() ast.At { return ast.At{P: pos} }

func i(text string) ast.Expr { return &ast.Literal{At: at(), Kind: ast.IntLit, Text: text} }
func d(text string) ast.Expr { return &ast.Literal{At: at(), Kind: ast.DecimalLit, Text: text} }
func f(text string) ast.Expr { return &ast.Literal{At: at(), Kind: ast.FloatLit, Text: text} }
func s(text string) ast.Expr { return &ast.Literal{At: at(), Kind: ast.StringLit, Text: text} }
func bl(b bool) ast.Expr     { return &ast.Literal{At: at(), Kind: ast.BoolLit, Bool: b} }
func null() ast.Expr         { return &ast.Literal{At: at(), Kind: ast.NullLit} }

func typed(typ, v string) ast.Expr { return &ast.TypedLiteral{At: at(), Type: typ, Value: v} }

func interval(v, from, to string) ast.Expr {
	return &ast.IntervalLiteral{At: at(), Value: v, From: from, To: to}
}

func ref(parts ...string) *ast.ColumnRef {
	r := &ast.ColumnRef{At: at()}
	for _, p := range parts {
		r.Parts = append(r.Parts, ast.Ident{At: at(), Name: p})
	}
	return r
}

func bin(op string, l, r ast.Expr) ast.Expr { return &ast.Binary{At: at(), Op: op, L: l, R: r} }
func and(l, r ast.Expr) ast.Expr            { return bin("AND", l, r) }
func or(l, r ast.Expr) ast.Expr             { return bin("OR", l, r) }
func not(x ast.Expr) ast.Expr               { return &ast.Unary{At: at(), Op: "NOT", X: x} }
func neg(x ast.Expr) ast.Expr               { return &ast.Unary{At: at(), Op: "-", X: x} }
func paren(x ast.Expr) ast.Expr             { return &ast.Paren{At: at(), X: x} }

func cast(x ast.Expr, t string) ast.Expr {
	return &ast.Cast{At: at(), X: x, Type: row.MustParseType(t)}
}
func tryCast(x ast.Expr, t string) ast.Expr {
	return &ast.Cast{At: at(), X: x, Type: row.MustParseType(t), Try: true}
}

func call(name string, args ...ast.Expr) *ast.FuncCall {
	return &ast.FuncCall{At: at(), Name: ast.ObjectName{At: at(), Parts: []ast.Ident{{At: at(), Name: name}}}, Args: args}
}

func like(x, p ast.Expr) *ast.Like { return &ast.Like{At: at(), X: x, Pattern: p} }

func caseWhen(operand ast.Expr, elseE ast.Expr, pairs ...ast.Expr) ast.Expr {
	c := &ast.Case{At: at(), Operand: operand, Else: elseE}
	for k := 0; k+1 < len(pairs); k += 2 {
		c.Whens = append(c.Whens, ast.When{Cond: pairs[k], Result: pairs[k+1]})
	}
	return c
}

func inList(x ast.Expr, list ...ast.Expr) *ast.InList {
	return &ast.InList{At: at(), X: x, List: list}
}

// shanghai is the session zone of the gmall warehouse.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func env(loc *time.Location) *function.Env {
	return &function.Env{Loc: loc, Now: func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }}
}

// testCols is the input row most tests compile over.
var testCols = []Column{
	{Qualifier: "t", Name: "a", Type: row.BigIntType},                         // 0
	{Qualifier: "t", Name: "b", Type: row.StringType},                         // 1
	{Qualifier: "t", Name: "n", Type: row.IntType},                            // 2: NULL in testRow
	{Qualifier: "t", Name: "price", Type: row.DecimalOf(10, 2)},               // 3
	{Qualifier: "t", Name: "qty", Type: row.IntType.WithNotNull(true)},        // 4
	{Qualifier: "t", Name: "x", Type: row.DoubleType},                         // 5
	{Qualifier: "t", Name: "ok", Type: row.BooleanType},                       // 6
	{Qualifier: "t", Name: "nb", Type: row.BooleanType},                       // 7: NULL
	{Qualifier: "t", Name: "ts", Type: row.TimestampOf(3)},                    // 8
	{Qualifier: "t", Name: "ltz", Type: row.TimestampLTZOf(3)},                // 9
	{Qualifier: "t", Name: "m", Type: row.MapOf(row.StringType, row.IntType)}, // 10
	{Qualifier: "t", Name: "arr", Type: row.ArrayOf(row.StringType)},          // 11
	{Qualifier: "t", Name: "r", Type: row.RowOf(row.Field{Name: "f", Type: row.RowOf(row.Field{Name: "g", Type: row.IntType})}, row.Field{Name: "h", Type: row.StringType})}, // 12
	{Qualifier: "t", Name: "ns", Type: row.StringType}, // 13: NULL
	{Qualifier: "t", Name: "dt", Type: row.DateType},   // 14
}

func testRow() *row.Row {
	ts, ns := row.TimestampOfCivil(2024, 1, 31, 10, 30, 0, 0)
	ltz := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	r := row.NewRow(row.Insert,
		row.BigInt(42),
		row.String("xyz"),
		row.Null(),
		row.DecimalValue(row.MustDecimal("19.99", 10, 2)),
		row.Int(3),
		row.Double(2.5),
		row.Bool(true),
		row.Null(),
		row.Timestamp(ts, ns),
		row.TimestampLTZ(ltz, 0),
		row.Map([]row.Value{row.String("k1"), row.String("k2")}, []row.Value{row.Int(1), row.Int(2)}),
		row.Array([]row.Value{row.String("p"), row.String("q")}),
		row.Struct([]row.Value{row.Struct([]row.Value{row.Int(7)}), row.String("hh")}),
		row.Null(),
		row.Date(int32(row.DaysFromCivil(2024, 1, 31))),
	)
	return &r
}

func scope() *Scope { return &Scope{Columns: testCols, Env: env(shanghai)} }

// eval compiles e over testCols and evaluates it on testRow.
func eval(t *testing.T, e ast.Expr) (row.Value, *Compiled) {
	t.Helper()
	cp, err := Compile(e, scope())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	v, err := cp.Eval(testRow())
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	return v, cp
}

// evalErr compiles e and returns the evaluation error.
func evalErr(t *testing.T, e ast.Expr) error {
	t.Helper()
	cp, err := Compile(e, scope())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	_, err = cp.Eval(testRow())
	return err
}

// compileErr returns the compile error, which must be an *Error.
func compileErr(t *testing.T, e ast.Expr) *Error {
	t.Helper()
	_, err := Compile(e, scope())
	if err == nil {
		t.Fatalf("compile succeeded, want an error")
	}
	ce, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	return ce
}

func dec(text string, p, sc int) row.Value { return row.DecimalValue(row.MustDecimal(text, p, sc)) }

func ts(y, mo, dd, h, mi, sec, nanos int) row.Value {
	ms, ns := row.TimestampOfCivil(y, mo, dd, h, mi, sec, nanos)
	return row.Timestamp(ms, ns)
}

func date(y, m, dd int) row.Value { return row.Date(int32(row.DaysFromCivil(y, m, dd))) }

// same reports equal values of the same kind (NULL equals NULL).
func same(a, b row.Value) bool {
	return a.Kind() == b.Kind() && row.Equal(a, b) && a.String() == b.String()
}
