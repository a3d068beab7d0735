package planner

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/stream"
)

// ctes are the WITH queries visible to a query: one per level, the
// innermost (latest) first. A CTE is planned in the scope it was defined
// in, its level's parent (the enclosing scopes and the WITH items before
// it), as Calcite validates WITH: it does not see itself (a CTE named as
// a table reads the table), later items or the scope where it is used.
type ctes struct {
	name   string
	def    *ast.CTE
	parent *ctes
}

// find returns the CTE called name and the scope it was defined in.
func (c *ctes) find(name string) (*ast.CTE, *ctes) {
	for ; c != nil; c = c.parent {
		if strings.EqualFold(c.name, name) {
			return c.def, c.parent
		}
	}
	return nil, nil
}

// query plans a query; the result may hold a pending window TVF or rank
// (materialize turns those into operators).
func (b *builder) query(q *ast.Query, env *ctes) (*rel, error) {
	for i := range q.With {
		w := &q.With[i]
		for _, prev := range q.With[:i] {
			if strings.EqualFold(prev.Name.Name, w.Name.Name) {
				return nil, errAt(&w.Name, "Duplicate name '%s' in WITH clause", w.Name.Name)
			}
		}
		env = &ctes{name: w.Name.Name, def: w, parent: env}
	}
	r, err := b.setExpr(q.Body, env)
	if err != nil {
		return nil, err
	}
	if len(q.OrderBy) > 0 || q.Limit != nil {
		return b.orderLimit(q, r)
	}
	return r, nil
}

func (b *builder) setExpr(s ast.SetExpr, env *ctes) (*rel, error) {
	switch x := s.(type) {
	case *ast.Select:
		return b.selectBlock(x, env)
	case *ast.Query:
		return b.query(x, env)
	case *ast.SetOp:
		return b.setOp(x, env)
	case *ast.Values:
		return nil, errAt(x, "VALUES is not supported yet in streaming queries: write the rows to a table")
	}
	return nil, errAt(s, "unsupported query")
}

// materialize turns a pending window TVF or ROW_NUMBER into operators.
func (b *builder) materialize(r *rel) (*rel, error) {
	if r.window != nil {
		return b.windowTVF(r)
	}
	if r.rank != nil {
		return nil, errAt(r.rank.at, "ROW_NUMBER() OVER (...) needs a filter on its result in the enclosing query (WHERE rn <= N): Top-N and deduplication are the supported forms")
	}
	return r, nil
}

// from plans one FROM item.
func (b *builder) from(te ast.TableExpr, env *ctes) (*rel, error) {
	switch x := te.(type) {
	case *ast.TableRef:
		return b.tableRef(x, env)
	case *ast.Subquery:
		if x.Lateral {
			return nil, errAt(x, "LATERAL subqueries are not supported yet")
		}
		r, err := b.query(x.Query, env)
		if err != nil {
			return nil, err
		}
		return aliased(r, x.Alias, "")
	case *ast.TableFunc:
		if isWindowTVF(x.Call) {
			r, err := b.windowTVFCall(x.Call, env)
			if err != nil {
				return nil, err
			}
			return aliased(r, x.Alias, "")
		}
		return nil, errAt(x, "a table function needs a left side: FROM t, LATERAL TABLE(f(...)) or FROM t CROSS JOIN LATERAL TABLE(...)")
	case *ast.Join:
		return b.join(x, env)
	case *ast.Unnest:
		return nil, errAt(x, "UNNEST needs a left side: FROM t CROSS JOIN UNNEST(t.arr) AS u(x)")
	}
	return nil, errAt(te, "unsupported FROM item")
}

func (b *builder) tableRef(x *ast.TableRef, env *ctes) (*rel, error) {
	if x.ForSystemTime != nil {
		return nil, errAt(x, "FOR SYSTEM_TIME AS OF (lookup and temporal joins) is not supported yet")
	}
	if err := b.checkTableHints(x.Hints); err != nil {
		return nil, err
	}
	if len(x.Name.Parts) == 1 {
		if c, scope := env.find(x.Name.Parts[0].Name); c != nil {
			if len(x.Hints) > 0 {
				return nil, errAt(&x.Hints[0], "View '%s' cannot be enriched with new options. Hints can only be applied to tables.", c.Name.Name)
			}
			r, err := b.query(c.Query, scope)
			if err != nil {
				return nil, err
			}
			r, err = renameColumns(r, c.Columns, c)
			if err != nil {
				return nil, err
			}
			return aliased(r, x.Alias, c.Name.Name)
		}
	}
	parts := x.Name.Names()
	path, err := b.qualify(parts)
	if err != nil {
		return nil, errAt(x, "%v", err)
	}
	t, v, err := b.p.Catalog.Lookup(path)
	if err != nil {
		return nil, errAt(x, "%v", err)
	}
	if v != nil {
		if len(x.Hints) > 0 {
			return nil, errAt(&x.Hints[0], "View '%s' cannot be enriched with new options. Hints can only be applied to tables.", v.Path)
		}
		return b.view(x, v)
	}
	r, err := b.scan(x, t, t.Path.Name, x.Hints)
	if err != nil {
		return nil, err
	}
	return aliased(r, x.Alias, "")
}

func (b *builder) view(x *ast.TableRef, v *catalog.View) (*rel, error) {
	q, err := parser.ParseQuery(v.Query)
	if err != nil {
		return nil, errAt(x, "view %s: %v", v.Path, err)
	}
	var r *rel
	err = b.inScope(v, func() (err error) {
		r, err = b.query(q, nil)
		return err
	})
	if err != nil {
		return nil, errAt(x, "view %s: %v", v.Path, err)
	}
	if len(v.Columns) > 0 {
		ids := make([]ast.Ident, len(v.Columns))
		for i, c := range v.Columns {
			ids[i] = ast.Ident{Name: c}
		}
		if r, err = renameColumns(r, ids, x); err != nil {
			return nil, err
		}
	}
	return aliased(r, x.Alias, v.Path.Name)
}

// aliased re-qualifies r's columns by the alias (or by name when there
// is no alias), renaming them when the alias lists columns.
func aliased(r *rel, a *ast.Alias, name string) (*rel, error) {
	q := name
	if a != nil {
		q = a.Name.Name
		var err error
		if r, err = renameColumns(r, a.Columns, &a.Name); err != nil {
			return nil, err
		}
	}
	if q == "" {
		return r, nil
	}
	out := *r
	out.fields = make([]field, len(r.fields))
	for i, f := range r.fields {
		f.qual = q
		out.fields[i] = f
	}
	return &out, nil
}

func renameColumns(r *rel, cols []ast.Ident, at ast.Node) (*rel, error) {
	if len(cols) == 0 {
		return r, nil
	}
	if len(cols) != len(r.fields) {
		return nil, errAt(at, "%d column names given for %d columns", len(cols), len(r.fields))
	}
	out := *r
	out.fields = make([]field, len(r.fields))
	for i, f := range r.fields {
		f.name = cols[i].Name
		out.fields[i] = f
	}
	return &out, nil
}

// setOp plans UNION [ALL] (INTERSECT and EXCEPT need joins: part 2).
func (b *builder) setOp(x *ast.SetOp, env *ctes) (*rel, error) {
	if x.Op != ast.Union {
		return nil, errAt(x, "%s is not supported yet (UNION and UNION ALL are)", x.Op)
	}
	var branches []*rel
	var collect func(s ast.SetExpr) error
	collect = func(s ast.SetExpr) error {
		if o, ok := s.(*ast.SetOp); ok && o.Op == ast.Union && o.All == x.All {
			if err := collect(o.Left); err != nil {
				return err
			}
			return collect(o.Right)
		}
		r, err := b.setExpr(s, env)
		if err != nil {
			return err
		}
		r, err = b.materialize(r)
		if err != nil {
			return err
		}
		branches = append(branches, r)
		return nil
	}
	if err := collect(x); err != nil {
		return nil, err
	}
	n := len(branches[0].fields)
	for _, r := range branches[1:] {
		if len(r.fields) != n {
			return nil, errAt(x, "UNION branches have %d and %d columns", n, len(r.fields))
		}
	}
	// The result type of each column is the branches' common type; a
	// branch whose types differ gets a casting Calc.
	common := make([]field, n)
	for i := 0; i < n; i++ {
		ts := make([]row.Type, len(branches))
		for j, r := range branches {
			ts[j] = r.fields[i].typ
		}
		t, ok := expr.CommonType(ts...)
		if !ok {
			return nil, errAt(x, "UNION column %d (%s): no common type of %s", i+1, branches[0].fields[i].name, typeList(ts))
		}
		common[i] = field{name: branches[0].fields[i].name, typ: t}
		// A time attribute (or window bound) every branch has in this
		// column, with one type, stays one (Flink's leastRestrictive keeps
		// a type all branches share): windows, OVER and temporal sorts
		// work over a UNION ALL of tables with watermarks.
		same := true
		for _, r := range branches {
			f, f0 := r.fields[i], branches[0].fields[i]
			same = same && f.typ.Equal(t) && f.time == f0.time && f.tvfTime == f0.tvfTime && f.bound == f0.bound
		}
		if f0 := branches[0].fields[i]; same {
			common[i].time, common[i].tvfTime, common[i].bound = f0.time, f0.tvfTime, f0.bound
		}
	}
	// A branch that reads a source directly while another reads the same
	// source behind a shuffle would bring the shuffle's output back into
	// the source's stage (a cycle): the direct branch is shuffled too.
	direct := make([]map[*pnode]bool, len(branches))
	behind := make([]map[*pnode]bool, len(branches))
	for j, r := range branches {
		direct[j], behind[j] = map[*pnode]bool{}, map[*pnode]bool{}
		scanNodes(r.node, false, direct[j], behind[j])
	}
	for j := range branches {
		cycle := false
		for src := range direct[j] {
			for k := range branches {
				cycle = cycle || k != j && behind[k][src]
			}
		}
		if cycle {
			cols := make([]int, len(branches[j].fields))
			for i := range cols {
				cols[i] = i
			}
			branches[j] = b.keyBy(branches[j], cols)
		}
	}
	mode := connector.InsertOnly
	streams := make([]stream.Stream, len(branches))
	nodes := make([]*pnode, len(branches))
	for j, r := range branches {
		var items []calcItem
		cast := false
		for i := range common {
			it := passThrough(r, i)
			if !it.c.Type.Equal(common[i].typ) {
				cc, err := expr.Coerce(it.c, common[i].typ)
				if err != nil {
					return nil, errAt(x, "UNION column %d: %v", i+1, err)
				}
				it.c = cc
				it.text = fmt.Sprintf("CAST(%s AS %s)", it.text, common[i].typ)
				cast = true
			}
			it.name = common[i].name
			items = append(items, it)
		}
		if cast {
			r = b.calc(r, nil, nil, items)
		}
		streams[j] = r.s
		nodes[j] = r.node
		if r.mode > mode {
			mode = r.mode
		}
	}
	name := b.opName("Union")
	u := &rel{fields: common, mode: mode, s: stream.Union(name, streams...), node: nodeOf("Union(all=[true])", mode, nodes...)}
	if x.All {
		return u, nil
	}
	return b.distinct(u)
}

// scanNodes files the source scans under n: in direct those reached
// without crossing a shuffle (Exchange), in behind the others.
func scanNodes(n *pnode, shuffled bool, direct, behind map[*pnode]bool) {
	switch {
	case strings.HasPrefix(n.op, "Exchange("):
		shuffled = true
	case strings.HasPrefix(n.op, "TableSourceScan("):
		if shuffled {
			behind[n] = true
		} else {
			direct[n] = true
		}
	}
	for _, in := range n.inputs {
		scanNodes(in, shuffled, direct, behind)
	}
}

func typeList(ts []row.Type) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return strings.Join(out, ", ")
}
