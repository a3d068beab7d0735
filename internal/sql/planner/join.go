package planner

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// join plans FROM a JOIN b. This part of the SQL layer plans the
// correlations (CROSS JOIN UNNEST, LATERAL TABLE); regular, interval,
// lookup and temporal joins are planned by the joins part.
func (b *builder) join(x *ast.Join, env *ctes) (*rel, error) {
	switch rt := x.Right.(type) {
	case *ast.Unnest:
		if x.Kind != ast.CrossJoin && x.Kind != ast.CommaJoin && !(x.Kind == ast.InnerJoin && isTrue(x.On)) && !(x.Kind == ast.LeftJoin && isTrue(x.On)) {
			return nil, errAt(x, "UNNEST is joined with CROSS JOIN (or LEFT JOIN ... ON TRUE)")
		}
		left, err := b.leftOf(x, env)
		if err != nil {
			return nil, err
		}
		return b.unnest(left, rt, x.Kind == ast.LeftJoin)
	case *ast.TableFunc:
		if !isWindowTVF(rt.Call) {
			if x.Kind != ast.CrossJoin && x.Kind != ast.CommaJoin && !(x.Kind == ast.InnerJoin && isTrue(x.On)) && !(x.Kind == ast.LeftJoin && isTrue(x.On)) {
				return nil, errAt(x, "LATERAL TABLE is joined with a comma, CROSS JOIN or LEFT JOIN ... ON TRUE")
			}
			left, err := b.leftOf(x, env)
			if err != nil {
				return nil, err
			}
			return b.tableFunc(left, rt, x.Kind == ast.LeftJoin)
		}
	}
	return b.tableJoin(x, env, nil)
}

func (b *builder) leftOf(x *ast.Join, env *ctes) (*rel, error) {
	left, err := b.from(x.Left, env)
	if err != nil {
		return nil, err
	}
	return b.materialize(left)
}

func isTrue(e ast.Expr) bool {
	l, ok := unparen(e).(*ast.Literal)
	return ok && l.Kind == ast.BoolLit && l.Bool
}

// unnest plans CROSS JOIN UNNEST(expr) AS t(cols): each element of an
// ARRAY / MULTISET becomes a row (a ROW element's fields become columns),
// a MAP gives (key, value) rows; WITH ORDINALITY adds the position.
func (b *builder) unnest(left *rel, u *ast.Unnest, leftJoin bool) (*rel, error) {
	if len(u.Args) != 1 {
		return nil, errAt(u, "UNNEST takes one ARRAY, MAP or MULTISET")
	}
	c, err := b.compile(u.Args[0], left, nil)
	if err != nil {
		return nil, err
	}
	col := -1
	if ref, ok := unparen(u.Args[0]).(*ast.ColumnRef); ok {
		if idx, path, err := expr.ResolveColumn(ref, left.columns()); err == nil && len(path) == 0 {
			col = idx
		}
	}
	in := left
	hidden := false
	if col < 0 { // compute the collection into a column first
		items := make([]calcItem, 0, len(left.fields)+1)
		for i := range left.fields {
			items = append(items, passThrough(left, i))
		}
		items = append(items, calcItem{src: -1, c: c, name: "$unnest", text: ast.Format(u.Args[0])})
		in = b.calc(left, nil, nil, items)
		for i, f := range left.fields {
			in.fields[i].qual = f.qual
		}
		col = len(left.fields)
		hidden = true
	}
	var eval func(r *row.Row, emit func(vals ...row.Value)) error
	var cols []field
	switch c.Type.Kind {
	case row.KindArray, row.KindMultiset:
		eval = exec.UnnestArray(col, u.WithOrdinality)
		et := *c.Type.Elem
		if et.Kind == row.KindRow {
			return nil, errAt(u, "UNNEST of an ARRAY of ROW is not supported yet")
		}
		cols = append(cols, field{name: "EXPR$0", typ: et})
	case row.KindMap:
		eval = exec.UnnestMap(col, u.WithOrdinality)
		cols = append(cols, field{name: "KEY", typ: *c.Type.Key}, field{name: "VALUE", typ: *c.Type.Elem})
	default:
		return nil, errAt(u.Args[0], "UNNEST takes an ARRAY, MAP or MULTISET, not %s", c.Type)
	}
	if u.WithOrdinality {
		cols = append(cols, field{name: "ORDINALITY", typ: row.IntType.WithNotNull(true)})
	}
	return b.correlate(in, hidden, cols, u.Alias, eval, leftJoin, "UNNEST("+ast.Format(u.Args[0])+")")
}

// tableFunc plans LATERAL TABLE(f(args)) AS t(cols) with a Go table
// function registered by name.
func (b *builder) tableFunc(left *rel, tf *ast.TableFunc, leftJoin bool) (*rel, error) {
	name := funcName(tf.Call)
	f, ok := function.LookupTable(b.p.Env.Resolve(tf.Call.Name.Names()))
	if !ok {
		return nil, errAt(tf.Call, "no table function named %s (Go table functions are registered by name: function.RegisterTable)", name)
	}
	var args []expr.Func
	var bargs []function.Arg
	for _, a := range tf.Call.Args {
		c, err := b.compile(a, left, nil)
		if err != nil {
			return nil, err
		}
		arg := function.Arg{Type: c.Type}
		if c.Const {
			if v, err := c.Eval(nil); err == nil {
				arg.Const = &v
			}
		}
		bargs = append(bargs, arg)
		args = append(args, c.Eval)
	}
	rcols, te, err := f.Bind(b.p.Env, bargs)
	if err != nil {
		return nil, errAt(tf.Call, "%s: %v", name, err)
	}
	cols := make([]field, len(rcols))
	for i, c := range rcols {
		cols[i] = field{name: c.Name, typ: c.Type}
	}
	eval := func(r *row.Row, emit func(vals ...row.Value)) error {
		vals := make([]row.Value, len(args))
		for i, a := range args {
			v, err := a(r)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		return te(vals, emit)
	}
	return b.correlate(left, false, cols, tf.Alias, eval, leftJoin, ast.Format(tf.Call))
}

func (b *builder) correlate(in *rel, hidden bool, cols []field, alias *ast.Alias, eval func(r *row.Row, emit func(vals ...row.Value)) error, leftJoin bool, text string) (*rel, error) {
	if alias != nil {
		if len(alias.Columns) > 0 {
			if len(alias.Columns) != len(cols) {
				return nil, errAt(&alias.Name, "%s gives %d columns, the alias names %d", text, len(cols), len(alias.Columns))
			}
			for i := range cols {
				cols[i].name = alias.Columns[i].Name
			}
		}
		for i := range cols {
			cols[i].qual = alias.Name.Name
		}
	}
	name := b.opName("Correlate")
	s := in.s.Process(name, exec.Correlate(exec.CorrelateSpec{Eval: eval, Width: len(cols), Left: leftJoin})).Main()
	fields := append(append([]field(nil), in.fields...), cols...)
	kind := "INNER"
	if leftJoin {
		kind = "LEFT"
	}
	out := &rel{keyed: in.keyed, fields: fields, mode: in.mode, s: s, node: nodeOf(fmt.Sprintf("Correlate(invocation=[%s], joinType=[%s])", text, kind), in.mode, in.node)}
	if !hidden {
		return out, nil
	}
	// Drop the computed collection column.
	n := len(in.fields) - 1
	items := make([]calcItem, 0, len(fields)-1)
	for i := range fields {
		if i != n {
			it := passThrough(out, i)
			items = append(items, it)
		}
	}
	res := b.calc(out, nil, nil, items)
	for i := range res.fields {
		j := i
		if i >= n {
			j = i + 1
		}
		res.fields[i].qual = fields[j].qual
	}
	_ = strings.ToLower
	return res, nil
}
