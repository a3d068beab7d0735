package expr

import (
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Boolean logic is three-valued: FALSE AND NULL is FALSE, TRUE AND NULL
// is NULL, TRUE OR NULL is TRUE, FALSE OR NULL is NULL, NOT NULL is
// NULL. AND and OR evaluate their right operand only when the left one
// does not decide (FALSE for AND, TRUE for OR), as Flink's generated
// code.

func (c *compiler) boolOperand(n ast.Node, e ast.Expr, op string) (*Compiled, error) {
	x, err := c.expr(e)
	if err != nil {
		return nil, err
	}
	if x.Type.Kind != row.KindBoolean && x.Type.Kind != row.KindNull {
		return nil, errAt(n, "Cannot apply '%s' to arguments of type '%s'. Supported form(s): '<BOOLEAN> %s <BOOLEAN>'", op, typeArg(x.Type), op)
	}
	return x, nil
}

func (c *compiler) logic(n *ast.Binary, op string) (*Compiled, error) {
	l, err := c.boolOperand(n, n.L, op)
	if err != nil {
		return nil, err
	}
	r, err := c.boolOperand(n, n.R, op)
	if err != nil {
		return nil, err
	}
	t := row.BooleanType.WithNotNull(!nullable(l.Type, r.Type))
	// decide: the value that decides alone (FALSE for AND, TRUE for OR).
	decide := op == "OR"
	// Simplify constant operands as Flink's planner does: a deciding
	// constant is the answer, a neutral one (TRUE for AND, FALSE for OR)
	// leaves the other operand.
	for _, pair := range [][2]*Compiled{{l, r}, {r, l}} {
		k, other := pair[0], pair[1]
		if v, ok := constValue(k); ok && !v.IsNull() {
			if v.Bool() == decide {
				return c.constant(row.BooleanType.WithNotNull(true), v), nil
			}
			if other.Type.Kind == row.KindBoolean {
				return other, nil
			}
		}
	}
	lf, rf := l.Eval, r.Eval
	f := func(rw *row.Row) (row.Value, error) {
		a, err := lf(rw)
		if err != nil {
			return a, err
		}
		if !a.IsNull() && a.Bool() == decide {
			return a, nil
		}
		b, err := rf(rw)
		if err != nil {
			return b, err
		}
		if !b.IsNull() && b.Bool() == decide {
			return b, nil
		}
		if a.IsNull() || b.IsNull() {
			return row.Value{}, nil
		}
		return a, nil // both !decide
	}
	return c.node(t, f, l, r), nil
}

func (c *compiler) not(n *ast.Unary) (*Compiled, error) {
	x, err := c.boolOperand(n, n.X, "NOT")
	if err != nil {
		return nil, err
	}
	t := row.BooleanType.WithNotNull(x.Type.NotNull)
	return c.node(t, unEval(x, func(v row.Value) (row.Value, error) { return boolVal(!v.Bool()), nil }), x), nil
}

// isNull compiles x IS [NOT] NULL: never NULL itself.
func (c *compiler) isNull(n *ast.IsNull) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	t := row.BooleanType.WithNotNull(true)
	want := !n.Not // IS NULL: TRUE when NULL
	if x.col > 0 {
		i := x.col - 1
		return c.node(t, func(rw *row.Row) (row.Value, error) {
			return boolVal(rw.Values[i].IsNull() == want), nil
		}, x), nil
	}
	g := x.Eval
	return c.node(t, func(rw *row.Row) (row.Value, error) {
		v, err := g(rw)
		if err != nil {
			return v, err
		}
		return boolVal(v.IsNull() == want), nil
	}, x), nil
}

// isBool compiles x IS [NOT] TRUE | FALSE | UNKNOWN.
func (c *compiler) isBool(n *ast.IsBool) (*Compiled, error) {
	what := strings.ToUpper(n.Value)
	x, err := c.boolOperand(n, n.X, "IS "+what)
	if err != nil {
		return nil, err
	}
	var want tv
	switch what {
	case "TRUE":
		want = tvTrue
	case "FALSE":
		want = tvFalse
	case "UNKNOWN":
		want = tvNull
	default:
		return nil, errAt(n, "unknown IS %s", n.Value)
	}
	not := n.Not
	g := x.Eval
	return c.node(row.BooleanType.WithNotNull(true), func(rw *row.Row) (row.Value, error) {
		v, err := g(rw)
		if err != nil {
			return v, err
		}
		return boolVal((tvOf(v) == want) != not), nil
	}, x), nil
}
