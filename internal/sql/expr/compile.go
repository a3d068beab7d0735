package expr

import (
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Column is one column of the input row an expression is compiled over.
type Column struct {
	Qualifier string // table name or alias ("" if none); may be dotted (db.t)
	Name      string
	Type      row.Type
}

// Scope is what an expression is compiled against.
type Scope struct {
	Columns []Column      // the input row's columns, in row order
	Env     *function.Env // session time zone and clock (nil: UTC, time.Now)
	// Lookup, if set, is consulted for every subexpression before
	// compiling it: the planner maps GROUP BY expressions, aggregate
	// calls and window columns to input columns this way.
	Lookup func(e ast.Expr) (index int, ok bool)
}

// Compiled is a compiled expression: its Flink result type and its
// evaluator. Const marks an expression folded at compile time (Eval
// ignores its row, which may be nil).
//
// Concurrency: a Compiled is safe for concurrent use by several
// goroutines (tasks may share one plan). Evaluators keep no per-row state
// but two kinds of scratch, both safe: a function call site's argument
// slice is claimed with an atomic flag (a concurrent evaluation of the
// same call site allocates its own), and the compiled pattern of a
// non-constant LIKE / SIMILAR TO pattern is cached behind an atomic
// pointer.
type Compiled struct {
	Type  row.Type
	Eval  Func
	Const bool

	col int           // index+1 when the expression is a plain input column
	env *function.Env // the Scope's Env, for Coerce
}

// Compile compiles e over the scope's columns. Every error is an *Error
// pointing at the offending node.
func Compile(e ast.Expr, s *Scope) (*Compiled, error) {
	if s == nil {
		s = &Scope{}
	}
	env := s.Env
	if env == nil {
		env = defaultEnv
	}
	c := &compiler{s: s, env: env}
	out, err := c.expr(e)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CompileFilter compiles a condition (WHERE, HAVING, ON, FILTER): TRUE
// keeps the row, FALSE and NULL drop it. The expression must be BOOLEAN.
func CompileFilter(e ast.Expr, s *Scope) (func(*row.Row) (bool, error), error) {
	cp, err := Compile(e, s)
	if err != nil {
		return nil, err
	}
	switch cp.Type.Kind {
	case row.KindNull:
		return func(*row.Row) (bool, error) { return false, nil }, nil
	case row.KindBoolean:
	default:
		return nil, errAt(e, "Condition must be a BOOLEAN expression, got %s", cp.Type.WithNotNull(false))
	}
	if cp.Const {
		v, _ := cp.Eval(nil)
		keep := !v.IsNull() && v.Bool()
		return func(*row.Row) (bool, error) { return keep, nil }, nil
	}
	if cp.col > 0 {
		i := cp.col - 1
		return func(r *row.Row) (bool, error) {
			v := r.Values[i]
			return !v.IsNull() && v.Bool(), nil
		}, nil
	}
	f := cp.Eval
	return func(r *row.Row) (bool, error) {
		v, err := f(r)
		return err == nil && !v.IsNull() && v.Bool(), err
	}, nil
}

// defaultEnv is the Env of a Scope without one: UTC and the wall clock.
var defaultEnv = &function.Env{Loc: time.UTC, Now: time.Now}

type compiler struct {
	s   *Scope
	env *function.Env
}

// expr compiles one node: the scope's Lookup first, then by kind.
func (c *compiler) expr(e ast.Expr) (*Compiled, error) {
	if e == nil {
		return nil, errAt(nil, "missing expression")
	}
	if c.s.Lookup != nil {
		if i, ok := c.s.Lookup(e); ok {
			return c.column(e, i)
		}
	}
	switch n := e.(type) {
	case *ast.Paren:
		return c.expr(n.X)
	case *ast.Literal:
		return c.literal(n)
	case *ast.TypedLiteral:
		return c.typedLiteral(n)
	case *ast.IntervalLiteral:
		return c.intervalLiteral(n)
	case *ast.ColumnRef:
		return c.columnRef(n)
	case *ast.Unary:
		return c.unary(n)
	case *ast.Binary:
		return c.binary(n)
	case *ast.IsNull:
		return c.isNull(n)
	case *ast.IsBool:
		return c.isBool(n)
	case *ast.IsDistinct:
		return c.isDistinct(n)
	case *ast.Between:
		return c.between(n)
	case *ast.InList:
		return c.inList(n)
	case *ast.Like:
		return c.like(n)
	case *ast.Case:
		return c.caseExpr(n)
	case *ast.Cast:
		return c.cast(n)
	case *ast.FuncCall:
		return c.call(n)
	case *ast.Subscript:
		return c.subscript(n)
	case *ast.FieldAccess:
		return c.fieldAccess(n)
	case *ast.RowCtor:
		return c.rowCtor(n)
	case *ast.ArrayCtor:
		return c.arrayCtor(n)
	case *ast.MapCtor:
		return c.mapCtor(n)
	case *ast.InQuery:
		return nil, errAt(n, "IN (subquery) is not supported yet")
	case *ast.Exists:
		return nil, errAt(n, "EXISTS (subquery) is not supported yet")
	case *ast.ScalarSubquery:
		return nil, errAt(n, "scalar subqueries are not supported yet")
	case *ast.TimeUnit:
		return nil, errAt(n, "time unit %s is only allowed as a function argument", n.Unit)
	case *ast.Symbol:
		return nil, errAt(n, "keyword %s is only allowed as a function argument", n.Name)
	case *ast.Descriptor:
		return nil, errAt(n, "DESCRIPTOR is only allowed as an argument of a window table function")
	case *ast.TableArg:
		return nil, errAt(n, "TABLE arguments are only allowed in table functions")
	case *ast.NamedArg:
		return nil, errAt(n, "named argument %s is only allowed in table function calls", n.Name.Name)
	case *ast.GroupingSets, *ast.Rollup, *ast.Cube:
		return nil, errAt(n, "GROUPING SETS, ROLLUP and CUBE are only allowed in GROUP BY")
	}
	return nil, errAt(e, "unsupported expression %T", e)
}

// exprs compiles a list.
func (c *compiler) exprs(es []ast.Expr) ([]*Compiled, error) {
	out := make([]*Compiled, len(es))
	for i, e := range es {
		cp, err := c.expr(e)
		if err != nil {
			return nil, err
		}
		out[i] = cp
	}
	return out, nil
}

// column compiles a reference to input column i.
func (c *compiler) column(e ast.Node, i int) (*Compiled, error) {
	if i < 0 || i >= len(c.s.Columns) {
		return nil, errAt(e, "internal error: column index %d out of range (%d columns)", i, len(c.s.Columns))
	}
	return &Compiled{
		Type: c.s.Columns[i].Type,
		Eval: func(r *row.Row) (row.Value, error) { return r.Values[i], nil },
		col:  i + 1,
		env:  c.env,
	}, nil
}

// constant returns a folded constant of type t.
func (c *compiler) constant(t row.Type, v row.Value) *Compiled {
	return constOf(t, v, c.env)
}

func constOf(t row.Type, v row.Value, env *function.Env) *Compiled {
	return &Compiled{
		Type:  t,
		Eval:  func(*row.Row) (row.Value, error) { return v, nil },
		Const: true,
		env:   env,
	}
}

// node returns a compiled node of type t evaluated by f, folded to a
// constant when every operand is constant and f succeeds on them (a
// failing constant expression, CAST('x' AS INT) say, stays a runtime
// error as in Flink).
func (c *compiler) node(t row.Type, f Func, operands ...*Compiled) *Compiled {
	if allConst(operands) {
		if v, err := f(nil); err == nil {
			return c.constant(t, v)
		}
	}
	return &Compiled{Type: t, Eval: f, env: c.env}
}

func allConst(cs []*Compiled) bool {
	for _, x := range cs {
		if !x.Const {
			return false
		}
	}
	return true
}

// constValue returns the value of a constant expression.
func constValue(cp *Compiled) (row.Value, bool) {
	if !cp.Const {
		return row.Value{}, false
	}
	v, err := cp.Eval(nil)
	return v, err == nil
}
