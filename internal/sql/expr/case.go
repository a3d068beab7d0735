package expr

import (
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// CASE, COALESCE, IFNULL, NULLIF and IF are special forms: their
// operands are evaluated lazily (a branch not taken is never evaluated,
// so its errors do not happen), and their result type is the least
// restrictive common type of the branches (CommonType), to which every
// branch is implicitly cast.

// branches coerces results to their common type; node is for errors.
func (c *compiler) branches(n ast.Node, what string, results []*Compiled) ([]*Compiled, row.Type, error) {
	ts := make([]row.Type, len(results))
	for i, r := range results {
		ts[i] = r.Type
	}
	t, ok := CommonType(ts...)
	if !ok {
		s := ""
		for i, x := range ts {
			if i > 0 {
				s += ", "
			}
			s += typeArg(x)
		}
		return nil, row.Type{}, errAt(n, "Illegal mixing of types in %s: %s have no common type", what, s)
	}
	out := make([]*Compiled, len(results))
	for i, r := range results {
		cr, err := coerce(r, t)
		if err != nil {
			return nil, row.Type{}, errAt(n, "%s: %v", what, err)
		}
		out[i] = cr
	}
	return out, t, nil
}

func (c *compiler) caseExpr(n *ast.Case) (*Compiled, error) {
	if len(n.Whens) == 0 {
		return nil, errAt(n, "CASE needs at least one WHEN")
	}
	var operand *Compiled
	if n.Operand != nil {
		var err error
		if operand, err = c.expr(n.Operand); err != nil {
			return nil, err
		}
	}
	conds := make([]*Compiled, len(n.Whens))
	results := make([]*Compiled, 0, len(n.Whens)+1)
	for i, w := range n.Whens {
		cond, err := c.expr(w.Cond)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if !comparableTypes(operand.Type, cond.Type, false) {
				return nil, errAt(w.Cond, "Cannot apply '=' to arguments of type '%s = %s'", typeArg(operand.Type), typeArg(cond.Type))
			}
		} else if cond.Type.Kind != row.KindBoolean && cond.Type.Kind != row.KindNull {
			return nil, errAt(w.Cond, "Expected a boolean type in WHEN, got %s", typeArg(cond.Type))
		}
		conds[i] = cond
		res, err := c.expr(w.Result)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	if n.Else != nil {
		e, err := c.expr(n.Else)
		if err != nil {
			return nil, err
		}
		results = append(results, e)
	} else {
		results = append(results, c.constant(row.NullType, row.Value{}))
	}
	allNull := true
	for _, r := range results {
		if r.Type.Kind != row.KindNull {
			allNull = false
		}
	}
	if allNull {
		return nil, errAt(n, "ELSE clause or at least one THEN clause must be non-NULL")
	}
	results, t, err := c.branches(n, "CASE", results)
	if err != nil {
		return nil, err
	}
	condF := make([]Func, len(conds))
	for i, cd := range conds {
		condF[i] = cd.Eval
	}
	resF := make([]Func, len(results))
	for i, r := range results {
		resF[i] = r.Eval
	}
	elseF := resF[len(resF)-1]
	resF = resF[:len(resF)-1]
	all := append(append([]*Compiled{}, conds...), results...)
	if operand == nil {
		f := func(rw *row.Row) (row.Value, error) {
			for i, cf := range condF {
				w, err := cf(rw)
				if err != nil {
					return w, err
				}
				if !w.IsNull() && w.Bool() {
					return resF[i](rw)
				}
			}
			return elseF(rw)
		}
		return c.node(t, f, all...), nil
	}
	loc := locOf(c.env)
	cmps := make([]cmpFn, len(conds))
	for i, cd := range conds {
		if cd.Type.Kind != row.KindNull && operand.Type.Kind != row.KindNull {
			cmps[i] = comparator(operand.Type, cd.Type, loc)
		}
	}
	opF := operand.Eval
	f := func(rw *row.Row) (row.Value, error) {
		x, err := opF(rw)
		if err != nil {
			return x, err
		}
		if !x.IsNull() {
			for i, cf := range condF {
				w, err := cf(rw)
				if err != nil {
					return w, err
				}
				if !w.IsNull() && cmps[i] != nil && cmps[i](x, w) == 0 {
					return resF[i](rw)
				}
			}
		}
		return elseF(rw)
	}
	return c.node(t, f, append(all, operand)...), nil
}

// coalesce compiles COALESCE(a, b, ...) and IFNULL(a, b): the first
// non-NULL argument; NOT NULL when any argument is.
func (c *compiler) coalesce(n *ast.FuncCall, name string) (*Compiled, error) {
	if len(n.Args) == 0 || name == "IFNULL" && len(n.Args) != 2 {
		return nil, errAt(n, "Invalid number of arguments to function '%s'. Was expecting %s arguments", name,
			map[bool]string{true: "2", false: "1 or more"}[name == "IFNULL"])
	}
	args, err := c.exprs(n.Args)
	if err != nil {
		return nil, err
	}
	// Arguments after the first NOT NULL one are never reached (the type
	// is still the common type of all of them).
	reached := len(args)
	for i, a := range args {
		if a.Type.NotNull {
			reached = i + 1
			break
		}
	}
	notNull := reached < len(args) || args[reached-1].Type.NotNull
	args, t, err := c.branches(n, name, args)
	if err != nil {
		return nil, err
	}
	args = args[:reached]
	if len(args) == 1 {
		out := *args[0]
		out.Type = t.WithNotNull(notNull)
		return &out, nil
	}
	fs := make([]Func, len(args))
	for i, a := range args {
		fs[i] = a.Eval
	}
	f := func(rw *row.Row) (row.Value, error) {
		for _, g := range fs {
			v, err := g(rw)
			if err != nil || !v.IsNull() {
				return v, err
			}
		}
		return row.Value{}, nil
	}
	return c.node(t.WithNotNull(notNull), f, args...), nil
}

// nullIf compiles NULLIF(a, b): NULL when a = b, else a.
func (c *compiler) nullIf(n *ast.FuncCall) (*Compiled, error) {
	if len(n.Args) != 2 {
		return nil, errAt(n, "Invalid number of arguments to function 'NULLIF'. Was expecting 2 arguments")
	}
	a, err := c.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	b, err := c.expr(n.Args[1])
	if err != nil {
		return nil, err
	}
	if !comparableTypes(a.Type, b.Type, false) {
		return nil, cannotApply(n, "NULLIF", a.Type, b.Type)
	}
	if a.Type.Kind == row.KindNull {
		return nil, errAt(n, "Illegal use of 'NULL'")
	}
	t := a.Type.WithNotNull(false)
	if b.Type.Kind == row.KindNull {
		out := *a
		out.Type = t
		return &out, nil
	}
	cmp := comparator(a.Type, b.Type, locOf(c.env))
	af, bf := a.Eval, b.Eval
	f := func(rw *row.Row) (row.Value, error) {
		x, err := af(rw)
		if err != nil || x.IsNull() {
			return row.Value{}, err
		}
		y, err := bf(rw)
		if err != nil {
			return y, err
		}
		if !y.IsNull() && cmp(x, y) == 0 {
			return row.Value{}, nil
		}
		return x, nil
	}
	return c.node(t, f, a, b), nil
}

// ifExpr compiles IF(cond, a, b): a when cond is TRUE, else b.
func (c *compiler) ifExpr(n *ast.FuncCall) (*Compiled, error) {
	if len(n.Args) != 3 {
		return nil, errAt(n, "Invalid number of arguments to function 'IF'. Was expecting 3 arguments")
	}
	cond, err := c.expr(n.Args[0])
	if err != nil {
		return nil, err
	}
	if cond.Type.Kind != row.KindBoolean && cond.Type.Kind != row.KindNull {
		return nil, errAt(n.Args[0], "IF expects a BOOLEAN condition, got %s", typeArg(cond.Type))
	}
	ab, err := c.exprs(n.Args[1:])
	if err != nil {
		return nil, err
	}
	ab, t, err := c.branches(n, "IF", ab)
	if err != nil {
		return nil, err
	}
	if v, ok := constValue(cond); ok {
		pick := *ab[1]
		if !v.IsNull() && v.Bool() {
			pick = *ab[0]
		}
		pick.Type = t
		return &pick, nil
	}
	cf, af, bf := cond.Eval, ab[0].Eval, ab[1].Eval
	f := func(rw *row.Row) (row.Value, error) {
		v, err := cf(rw)
		if err != nil {
			return v, err
		}
		if !v.IsNull() && v.Bool() {
			return af(rw)
		}
		return bf(rw)
	}
	return c.node(t, f, cond, ab[0], ab[1]), nil
}
