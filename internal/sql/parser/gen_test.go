package parser

import (
	"math/rand/v2"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// TestRandomExprRoundTrip builds random expression trees without Paren
// nodes, prints them with ast.Format and parses them back: the result,
// its Paren nodes removed, must be the tree built. This holds Format's
// parenthesization to the parser's precedence (too few parentheses
// change the tree, and Format must add every one precedence needs since
// the tree holds none), for operator mixes the hand-written cases do not
// reach.
func TestRandomExprRoundTrip(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < genCases; i++ {
		e := g.expr(4)
		f := ast.Format(e)
		got, err := ParseExpr(f)
		if err != nil {
			t.Fatalf("case %d: %s\ndoes not parse: %v", i, f, err)
		}
		stripParens(&got)
		if d := treeDiff(e, got); d != "" {
			t.Fatalf("case %d: %s\nparses to another tree, differing at %s", i, f, d)
		}
		// and the parsed tree (with its parentheses) round-trips exactly
		got2, _ := ParseExpr(f)
		checkRoundTripExpr(t, got2)
	}
}

var genCases = 3000

type gen struct{ r *rand.Rand }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var genNames = []string{"a", "b", "c_1", "value", "date", "year", "type", "data", "old", "user", "key",
	"select", "from", "table", "day", "unbounded", "current", "both", "with space", "back`tick", "名字",
	"Mixed", "current_date", "interval", "row", "x$y", "rollup", "descriptor", "over", "filter"}

func (g *gen) ident() ast.Ident { return ast.Ident{Name: genNames[g.r.IntN(len(genNames))]} }

func (g *gen) column() *ast.ColumnRef {
	c := &ast.ColumnRef{Parts: []ast.Ident{g.ident()}}
	for g.r.IntN(4) == 0 && len(c.Parts) < 4 {
		c.Parts = append(c.Parts, g.ident())
	}
	return c
}

func (g *gen) literal() ast.Expr {
	switch g.r.IntN(9) {
	case 0:
		return &ast.Literal{Kind: ast.NullLit}
	case 1:
		return &ast.Literal{Kind: ast.BoolLit, Bool: g.r.IntN(2) == 0}
	case 2:
		return &ast.Literal{Kind: ast.IntLit, Text: g.pick("0", "1", "42", "9999999999999999999999")}
	case 3:
		return &ast.Literal{Kind: ast.DecimalLit, Text: g.pick("1.5", ".5", "10.")}
	case 4:
		return &ast.Literal{Kind: ast.FloatLit, Text: g.pick("1e10", "1.5E-3", "2e+2")}
	case 5:
		return &ast.Literal{Kind: ast.StringLit, Text: g.pick("", "x", "it's", "--no comment", "/* no */", "多字节", "a\nb")}
	case 6:
		return &ast.Literal{Kind: ast.BinaryLit, Text: g.pick("", "\x00\xff", "ab")}
	case 7:
		return &ast.TypedLiteral{Type: g.pick("DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ"), Value: "2024-01-01"}
	}
	iv := &ast.IntervalLiteral{Value: g.pick("1", "10", "1 02:03", "-5"), Negative: g.r.IntN(3) == 0}
	switch g.r.IntN(4) {
	case 0:
		iv.From = g.pick("YEAR", "MONTH", "DAY", "HOUR", "MINUTE")
		if g.r.IntN(2) == 0 {
			iv.Precision = 3
		}
	case 1:
		iv.From = "SECOND"
		if g.r.IntN(2) == 0 {
			iv.Precision = 2
			if g.r.IntN(2) == 0 {
				iv.FracPrecision = 3
			}
		}
	case 2:
		iv.From, iv.To = "DAY", g.pick("HOUR", "MINUTE", "SECOND")
		if iv.To == "SECOND" && g.r.IntN(2) == 0 {
			iv.FracPrecision = 3
		}
	default:
		iv.From, iv.To = "YEAR", "MONTH"
	}
	return iv
}

var genTypes = []string{"INT", "BIGINT NOT NULL", "DECIMAL(10, 2)", "STRING", "VARCHAR(3)", "TIMESTAMP(3)",
	"TIMESTAMP_LTZ(3)", "ARRAY<INT>", "MAP<STRING, ARRAY<INT>>", "ROW<`a` INT, `b b` STRING>", "INTERVAL DAY(2) TO SECOND(3)"}

func (g *gen) query() *ast.Query {
	sel := &ast.Select{Items: []ast.SelectItem{{Expr: g.expr(1)}}}
	if g.r.IntN(2) == 0 {
		sel.From = &ast.TableRef{Name: ast.ObjectName{Parts: []ast.Ident{g.ident()}}}
		sel.Where = g.expr(1)
	}
	return &ast.Query{Body: sel}
}

func (g *gen) exprs(n, depth int) []ast.Expr {
	es := make([]ast.Expr, n)
	for i := range es {
		es[i] = g.expr(depth)
	}
	return es
}

// expr returns a random expression of at most depth levels of operators.
func (g *gen) expr(depth int) ast.Expr {
	if depth <= 0 || g.r.IntN(5) == 0 {
		if g.r.IntN(2) == 0 {
			return g.column()
		}
		return g.literal()
	}
	d := depth - 1
	switch g.r.IntN(26) {
	case 0, 1, 2, 3:
		op := g.pick("OR", "AND", "=", "<>", "<", "<=", ">", ">=", "+", "-", "||", "*", "/", "%")
		return &ast.Binary{Op: op, L: g.expr(d), R: g.expr(d)}
	case 4:
		x := g.expr(d)
		if ex, ok := x.(*ast.Exists); ok && !ex.Not {
			ex.Not = true // the parser folds NOT EXISTS
			return ex
		}
		return &ast.Unary{Op: "NOT", X: x}
	case 5:
		return &ast.Unary{Op: g.pick("-", "+"), X: g.expr(d)}
	case 6:
		return &ast.IsNull{X: g.expr(d), Not: g.r.IntN(2) == 0}
	case 7:
		return &ast.IsBool{X: g.expr(d), Not: g.r.IntN(2) == 0, Value: g.pick("TRUE", "FALSE", "UNKNOWN")}
	case 8:
		return &ast.IsDistinct{L: g.expr(d), R: g.expr(d), Not: g.r.IntN(2) == 0}
	case 9:
		return &ast.Between{X: g.expr(d), Lo: g.expr(d), Hi: g.expr(d), Not: g.r.IntN(2) == 0, Symmetric: g.r.IntN(2) == 0}
	case 10:
		return &ast.InList{X: g.expr(d), List: g.exprs(1+g.r.IntN(3), d), Not: g.r.IntN(2) == 0}
	case 11:
		if g.r.IntN(2) == 0 {
			return &ast.InQuery{X: g.expr(d), Query: g.query(), Not: g.r.IntN(2) == 0}
		}
		return &ast.Exists{Query: g.query(), Not: g.r.IntN(2) == 0}
	case 12:
		l := &ast.Like{X: g.expr(d), Pattern: g.expr(d), Not: g.r.IntN(2) == 0, Similar: g.r.IntN(2) == 0}
		if g.r.IntN(2) == 0 {
			l.Escape = g.expr(d)
		}
		return l
	case 13:
		c := &ast.Case{}
		if g.r.IntN(2) == 0 {
			c.Operand = g.expr(d)
		}
		for i := 0; i <= g.r.IntN(2); i++ {
			c.Whens = append(c.Whens, ast.When{Cond: g.expr(d), Result: g.expr(d)})
		}
		if g.r.IntN(2) == 0 {
			c.Else = g.expr(d)
		}
		return c
	case 14:
		return &ast.Cast{X: g.expr(d), Type: row.MustParseType(genTypes[g.r.IntN(len(genTypes))]), Try: g.r.IntN(2) == 0}
	case 15, 16:
		return g.call(d)
	case 17:
		return &ast.Subscript{X: g.expr(d), Index: g.expr(d)}
	case 18:
		return &ast.FieldAccess{X: g.expr(d), Field: g.ident()}
	case 19:
		return &ast.RowCtor{Args: g.exprs(g.r.IntN(3), d)}
	case 20:
		return &ast.ArrayCtor{Elems: g.exprs(g.r.IntN(3), d)}
	case 21:
		return &ast.MapCtor{KVs: g.exprs(2*g.r.IntN(2), d)}
	case 22:
		return &ast.ScalarSubquery{Query: g.query()}
	case 23:
		return &ast.FuncCall{Name: name(g.pick("CURRENT_DATE", "current_timestamp", "LOCALTIME")), NoParens: true}
	}
	return g.special(d)
}

func name(s string) ast.ObjectName { return ast.ObjectName{Parts: []ast.Ident{{Name: s}}} }

// call returns a plain function call, maybe with DISTINCT, *, FILTER, OVER.
func (g *gen) call(d int) ast.Expr {
	f := &ast.FuncCall{Name: name(g.pick("f", "COUNT", "sum", "select", "my func", "IF", "LEFT", "Floor", "extract", "position"))}
	if g.r.IntN(5) == 0 {
		f.Name.Parts = append([]ast.Ident{g.ident()}, f.Name.Parts...)
	}
	switch g.r.IntN(6) {
	case 0:
		f.Star = true
	case 1:
		f.Distinct = true
		f.Args = g.exprs(1+g.r.IntN(2), d)
	default:
		f.Args = g.exprs(g.r.IntN(3), d)
	}
	if g.r.IntN(4) == 0 {
		f.Filter = g.expr(d)
	}
	if g.r.IntN(4) == 0 {
		o := &ast.Over{}
		if g.r.IntN(3) == 0 {
			o.WindowName = g.ident().Name
		} else {
			o.Spec = &ast.WindowSpec{PartitionBy: g.exprs(g.r.IntN(2), d)}
			if g.r.IntN(2) == 0 {
				first := g.r.IntN(2) == 0
				o.Spec.OrderBy = []ast.OrderItem{{Expr: g.expr(d), Desc: g.r.IntN(2) == 0}, {Expr: g.expr(d), NullsFirst: &first}}
				if g.r.IntN(2) == 0 {
					o.Spec.Frame = &ast.Frame{Rows: g.r.IntN(2) == 0,
						Start: ast.FrameBound{Kind: ast.Preceding, Offset: g.expr(d)}, End: ast.FrameBound{Kind: ast.CurrentRow}}
				}
			}
		}
		f.Over = o
	}
	return f
}

// special returns a call in one of the special syntaxes' shapes.
func (g *gen) special(d int) ast.Expr {
	unit := func() ast.Expr { return &ast.TimeUnit{Unit: g.pick("YEAR", "DAY", "SECOND", "DOW")} }
	switch g.r.IntN(9) {
	case 0:
		return &ast.FuncCall{Name: name(g.pick("EXTRACT", "extract")), Args: []ast.Expr{unit(), g.expr(d)}}
	case 1:
		return &ast.FuncCall{Name: name(g.pick("FLOOR", "ceil")), Args: []ast.Expr{g.expr(d), unit()}}
	case 2:
		return &ast.FuncCall{Name: name("TIMESTAMPADD"), Args: []ast.Expr{unit(), g.expr(d), g.expr(d)}}
	case 3:
		return &ast.FuncCall{Name: name("POSITION"), Args: g.exprs(2, d)}
	case 4:
		return &ast.FuncCall{Name: name("TRIM"), Args: []ast.Expr{&ast.Symbol{Name: g.pick("BOTH", "LEADING", "TRAILING")}, g.expr(d), g.expr(d)}}
	case 5:
		return &ast.FuncCall{Name: name("OVERLAY"), Args: g.exprs(3+g.r.IntN(2), d)}
	case 6:
		args := g.exprs(2, d)
		if g.r.IntN(2) == 0 {
			args = append(args, &ast.TypeArg{Type: row.MustParseType("DECIMAL(10, 2)")})
		}
		if g.r.IntN(2) == 0 {
			args = append(args, &ast.Symbol{Name: "DEFAULT ON EMPTY"}, g.expr(d))
		}
		if g.r.IntN(2) == 0 {
			args = append(args, &ast.Symbol{Name: g.pick("NULL ON ERROR", "ERROR ON ERROR")})
		}
		return &ast.FuncCall{Name: name("JSON_VALUE"), Args: args}
	case 7:
		args := g.exprs(2*g.r.IntN(3), d)
		if g.r.IntN(2) == 0 {
			args = append(args, &ast.Symbol{Name: g.pick("NULL ON NULL", "ABSENT ON NULL")})
		}
		return &ast.FuncCall{Name: name(g.pick("JSON_OBJECT", "JSON_ARRAY")), Args: args}
	}
	return &ast.FuncCall{Name: name("TUMBLE"), Args: []ast.Expr{
		&ast.NamedArg{Name: ast.Ident{Name: g.pick("DATA", "OFFSET")}, Value: &ast.TableArg{Name: ast.ObjectName{Parts: []ast.Ident{g.ident()}}}},
		&ast.Descriptor{Columns: []ast.Ident{g.ident()}},
		g.expr(d),
	}}
}
