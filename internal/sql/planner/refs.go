package planner

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/parser"
)

// refs is what a statement may read of its tables, for projection
// pushdown: every identifier it names (a superset of the columns it
// reads, whatever table they belong to) and whether it selects * anywhere.
// Views are followed into their queries.
type refs struct {
	names map[string]bool
	star  bool
	views map[string]bool
}

func newRefs() *refs { return &refs{names: map[string]bool{}, views: map[string]bool{}} }

func (r *refs) has(name string) bool { return r.star || r.names[strings.ToLower(name)] }

func (r *refs) add(name string) { r.names[strings.ToLower(name)] = true }

func (b *builder) collectQuery(q *ast.Query) {
	if q == nil {
		return
	}
	for _, c := range q.With {
		b.collectQuery(c.Query)
	}
	b.collectSet(q.Body)
	for _, o := range q.OrderBy {
		b.collectExpr(o.Expr)
	}
}

func (b *builder) collectSet(s ast.SetExpr) {
	switch x := s.(type) {
	case *ast.Select:
		for _, it := range x.Items {
			if it.Star {
				b.refs.star = true
			}
			b.collectExpr(it.Expr)
		}
		b.collectTable(x.From)
		b.collectExpr(x.Where)
		for _, g := range x.GroupBy {
			b.collectExpr(g)
		}
		b.collectExpr(x.Having)
		for _, w := range x.Windows {
			b.collectSpec(w.Spec)
		}
	case *ast.SetOp:
		b.collectSet(x.Left)
		b.collectSet(x.Right)
	case *ast.Values:
		for _, r := range x.Rows {
			for _, e := range r {
				b.collectExpr(e)
			}
		}
	case *ast.Query:
		b.collectQuery(x)
	}
}

func (b *builder) collectSpec(s *ast.WindowSpec) {
	if s == nil {
		return
	}
	for _, e := range s.PartitionBy {
		b.collectExpr(e)
	}
	for _, o := range s.OrderBy {
		b.collectExpr(o.Expr)
	}
}

func (b *builder) collectTable(t ast.TableExpr) {
	switch x := t.(type) {
	case *ast.TableRef:
		b.collectExpr(x.ForSystemTime)
		b.collectView(x.Name)
	case *ast.Subquery:
		b.collectQuery(x.Query)
	case *ast.TableFunc:
		b.collectExpr(x.Call)
	case *ast.Unnest:
		for _, a := range x.Args {
			b.collectExpr(a)
		}
	case *ast.Join:
		b.collectTable(x.Left)
		b.collectTable(x.Right)
		b.collectExpr(x.On)
		for _, u := range x.Using {
			b.refs.add(u.Name)
		}
	}
}

// collectView adds a view's references (a table or CTE name is no view).
func (b *builder) collectView(n ast.ObjectName) {
	parts := n.Names()
	path, err := b.qualify(parts)
	if err != nil || b.refs.views[path.String()] {
		return
	}
	_, v, err := b.p.Catalog.Lookup(path)
	if err != nil || v == nil {
		return
	}
	b.refs.views[path.String()] = true
	for _, c := range v.Columns {
		b.refs.add(c)
	}
	if q, err := parser.ParseQuery(v.Query); err == nil {
		_ = b.inScope(v, func() error { b.collectQuery(q); return nil })
	} else {
		b.refs.star = true // cannot tell: read everything
	}
}

func (b *builder) collectExpr(e ast.Expr) {
	walk(e, func(x ast.Expr) bool {
		switch y := x.(type) {
		case *ast.ColumnRef:
			for _, p := range y.Parts {
				b.refs.add(p.Name)
			}
		case *ast.Descriptor:
			for _, c := range y.Columns {
				b.refs.add(c.Name)
			}
		case *ast.TableArg:
			b.collectQuery(y.Query)
			b.collectView(y.Name)
		case *ast.PartitionedTableArg:
			for _, c := range y.PartitionBy {
				b.refs.add(c.Name)
			}
		case *ast.InQuery:
			b.collectQuery(y.Query)
		case *ast.Exists:
			b.collectQuery(y.Query)
		case *ast.ScalarSubquery:
			b.collectQuery(y.Query)
		}
		return true
	})
}
