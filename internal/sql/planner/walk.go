package planner

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// walk calls fn on e and, while fn returns true, on its subexpressions
// (not into subqueries).
func walk(e ast.Expr, fn func(ast.Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *ast.Unary:
		walk(x.X, fn)
	case *ast.Binary:
		walk(x.L, fn)
		walk(x.R, fn)
	case *ast.IsNull:
		walk(x.X, fn)
	case *ast.IsBool:
		walk(x.X, fn)
	case *ast.IsDistinct:
		walk(x.L, fn)
		walk(x.R, fn)
	case *ast.Between:
		walk(x.X, fn)
		walk(x.Lo, fn)
		walk(x.Hi, fn)
	case *ast.InList:
		walk(x.X, fn)
		for _, y := range x.List {
			walk(y, fn)
		}
	case *ast.InQuery:
		walk(x.X, fn)
	case *ast.Like:
		walk(x.X, fn)
		walk(x.Pattern, fn)
		walk(x.Escape, fn)
	case *ast.Case:
		walk(x.Operand, fn)
		for _, w := range x.Whens {
			walk(w.Cond, fn)
			walk(w.Result, fn)
		}
		walk(x.Else, fn)
	case *ast.Cast:
		walk(x.X, fn)
	case *ast.FuncCall:
		for _, a := range x.Args {
			walk(a, fn)
		}
		walk(x.Filter, fn)
		if x.Over != nil && x.Over.Spec != nil {
			for _, p := range x.Over.Spec.PartitionBy {
				walk(p, fn)
			}
			for _, o := range x.Over.Spec.OrderBy {
				walk(o.Expr, fn)
			}
		}
	case *ast.NamedArg:
		walk(x.Value, fn)
	case *ast.PartitionedTableArg:
		if x.Table != nil {
			walk(x.Table, fn)
		}
	case *ast.Subscript:
		walk(x.X, fn)
		walk(x.Index, fn)
	case *ast.FieldAccess:
		walk(x.X, fn)
	case *ast.RowCtor:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *ast.ArrayCtor:
		for _, a := range x.Elems {
			walk(a, fn)
		}
	case *ast.MapCtor:
		for _, a := range x.KVs {
			walk(a, fn)
		}
	case *ast.Paren:
		walk(x.X, fn)
	}
}

func funcName(f *ast.FuncCall) string {
	if len(f.Name.Parts) == 0 {
		return ""
	}
	return strings.ToUpper(f.Name.Parts[len(f.Name.Parts)-1].Name)
}

// aggFunc returns the aggregate function f calls, resolved through the
// session's functions.
func aggFunc(env *function.Env, f *ast.FuncCall) (*aggfn.Func, bool) {
	return aggfn.Lookup(env.Resolve(f.Name.Names()))
}

// isAggCall reports whether f is a group aggregate call (an aggregate
// function without OVER).
func isAggCall(env *function.Env, f *ast.FuncCall) bool {
	if f.Over != nil {
		return false
	}
	_, ok := aggFunc(env, f)
	return ok
}

// aggCalls collects the aggregate calls of es (outermost only: an
// aggregate inside an aggregate is an error found when compiling).
func aggCalls(env *function.Env, es ...ast.Expr) []*ast.FuncCall {
	var out []*ast.FuncCall
	for _, e := range es {
		walk(e, func(x ast.Expr) bool {
			if f, ok := x.(*ast.FuncCall); ok && isAggCall(env, f) {
				out = append(out, f)
				return false
			}
			return true
		})
	}
	return out
}

// overCalls collects calls with an OVER clause.
func overCalls(es ...ast.Expr) []*ast.FuncCall {
	var out []*ast.FuncCall
	for _, e := range es {
		walk(e, func(x ast.Expr) bool {
			if f, ok := x.(*ast.FuncCall); ok && f.Over != nil {
				out = append(out, f)
				return false
			}
			return true
		})
	}
	return out
}

func unparen(e ast.Expr) ast.Expr { return ast.Unparen(e) }

// conjuncts splits a AND b AND c.
func conjuncts(e ast.Expr) []ast.Expr {
	if e == nil {
		return nil
	}
	e = unparen(e)
	if b, ok := e.(*ast.Binary); ok && strings.EqualFold(b.Op, "AND") {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []ast.Expr{e}
}

// and joins conjuncts back (nil when none).
func and(es []ast.Expr) ast.Expr {
	var out ast.Expr
	for _, e := range es {
		if out == nil {
			out = e
			continue
		}
		out = &ast.Binary{At: ast.At{P: e.Position()}, Op: "AND", L: out, R: e}
	}
	return out
}

func lastPart(c *ast.ColumnRef) string {
	return c.Parts[len(c.Parts)-1].Name
}
