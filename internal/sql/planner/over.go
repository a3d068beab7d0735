package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
)

// overAggregate plans OVER aggregations: every OVER in one SELECT shares
// one window (as Flink requires), ordered by a time attribute.
func (b *builder) overAggregate(sel *ast.Select, r *rel, where ast.Expr, items []selItem, overs []*ast.FuncCall) (*rel, error) {
	var err error
	if r, err = b.materialize(r); err != nil {
		return nil, err
	}
	if r.mode != connector.InsertOnly {
		return nil, errAt(overs[0], "OVER aggregations need an insert-only input, but the input is a %s changelog", r.mode)
	}
	spec, err := overSpec(sel, overs[0])
	if err != nil {
		return nil, err
	}
	key := b.windowKey(spec, r)
	for _, o := range overs[1:] {
		s, err := overSpec(sel, o)
		if err != nil {
			return nil, err
		}
		if b.windowKey(s, r) != key {
			return nil, errAt(o, "All aggregates must be computed on the same window: rtdw (as Flink) runs one OVER window per SELECT")
		}
	}
	// Pre-calc: the input's columns, then partition keys and arguments.
	var pre []calcItem
	for i := range r.fields {
		pre = append(pre, passThrough(r, i))
	}
	var part []int
	for _, e := range spec.PartitionBy {
		c, err := b.compile(e, r, nil)
		if err != nil {
			return nil, err
		}
		part = append(part, len(pre))
		pre = append(pre, calcItem{src: -1, c: c, name: fmt.Sprintf("$p%d", len(pre)), text: ast.Format(e)})
	}
	if len(spec.OrderBy) != 1 || spec.OrderBy[0].Desc {
		return nil, errAt(overs[0], "OVER windows are ordered by one time attribute, ascending")
	}
	tc := -1
	if ref, ok := unparen(spec.OrderBy[0].Expr).(*ast.ColumnRef); ok {
		if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
			tc = idx
		}
	}
	if tc < 0 || r.fields[tc].time == noTime {
		return nil, errAt(spec.OrderBy[0].Expr, "OVER windows must be ordered by a time attribute (a WATERMARK column or PROCTIME())")
	}
	os := exec.OverSpec{TimeCol: tc, Unbounded: true}
	if r.fields[tc].time == procTime {
		os.TimeCol = -1
	}
	if f := spec.Frame; f != nil {
		os.Rows = f.Rows
		if f.End.Kind != ast.CurrentRow {
			return nil, errAt(overs[0], "OVER windows end at CURRENT ROW")
		}
		switch f.Start.Kind {
		case ast.UnboundedPreceding:
		case ast.Preceding:
			os.Unbounded = false
			if f.Rows {
				n, ok := rowsOffset(f.Start.Offset)
				if !ok {
					return nil, errAt(f.Start.Offset, "ROWS value must be a non-negative integral constant")
				}
				os.Preceding = n
			} else {
				d, err := b.interval(f.Start.Offset)
				if err != nil {
					return nil, err
				}
				os.PrecedingTime = d
			}
		case ast.CurrentRow:
			os.Unbounded = false
		default:
			return nil, errAt(overs[0], "unsupported OVER frame start %s", f.Start.Kind)
		}
	}
	var texts []string
	callAt := map[*ast.FuncCall]int{}
	var calls []aggCall
	for _, o := range overs {
		fn, ok := aggFunc(b.p.Env, o)
		if !ok {
			switch n := funcName(o); n {
			case "LEAD", "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST", "NTILE", "NTH_VALUE":
				return nil, errAt(o, "the window function %s is not supported yet (of the window functions rtdw has ROW_NUMBER, for Top-N and deduplication, LAG, and aggregates OVER a window)", n)
			}
			return nil, errAt(o, "%s is not an aggregate function usable with OVER", funcName(o))
		}
		if n := funcName(o); n == "JSON_OBJECTAGG" || n == "JSON_ARRAYAGG" {
			return nil, errAt(o, "%s is not supported in OVER windows (as in Flink)", n)
		}
		var types []row.Type
		var consts []*row.Value
		var args []int
		for _, a := range o.Args {
			c, err := b.compile(a, r, nil)
			if err != nil {
				return nil, err
			}
			types = append(types, c.Type)
			var cv *row.Value // a literal argument (LAG's offset)
			if c.Const {
				if v, err := c.Eval(nil); err == nil {
					cv = &v
				}
			}
			consts = append(consts, cv)
			args = append(args, len(pre))
			pre = append(pre, calcItem{src: -1, c: c, name: fmt.Sprintf("$a%d", len(pre)), text: ast.Format(a)})
		}
		bound, err := fn.Bind(types, consts, o.Distinct)
		if err != nil {
			return nil, errAt(o, "%s: %v", ast.Format(o), err)
		}
		calls = append(calls, aggCall{call: exec.AggCall{Fn: bound, Args: args, Filter: -1}, text: ast.Format(o), typ: bound.Type})
		texts = append(texts, ast.Format(o))
	}
	var whereFn func(*row.Row) (bool, error)
	if where != nil {
		if whereFn, err = expr.CompileFilter(where, &expr.Scope{Columns: r.columns(), Env: b.p.Env}); err != nil {
			return nil, err
		}
	}
	preRel := b.calc(r, where, whereFn, pre)
	for i, f := range r.fields {
		preRel.fields[i].qual = f.qual
	}
	keyed := b.keyBy(preRel, part)
	os.PartitionKeys = part
	fields := append([]field(nil), preRel.fields...)
	for i, c := range calls {
		os.Calls = append(os.Calls, c.call)
		callAt[overs[i]] = len(fields)
		fields = append(fields, field{name: fmt.Sprintf("w0$o%d", i), typ: c.typ})
	}
	if err := os.Validate(); err != nil {
		return nil, errAt(overs[0], "%v", err)
	}
	name := b.opName("OverAggregate")
	s := keyed.s.Process(name, exec.OverAgg(os)).Main()
	out := &rel{keyed: keyed.keyed, fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(fmt.Sprintf("OverAggregate(%s, select=[%s])", overText(spec), strings.Join(texts, ", ")), connector.InsertOnly, keyed.node)}
	lookup := func(e ast.Expr) (int, bool) {
		if f, ok := e.(*ast.FuncCall); ok {
			i, ok := callAt[f]
			return i, ok
		}
		return 0, false
	}
	return b.project(out, nil, items, lookup)
}

// overSpec is the window an OVER call names: its own, or a WINDOW
// clause's.
func overSpec(sel *ast.Select, o *ast.FuncCall) (*ast.WindowSpec, error) {
	if o.Over.Spec != nil {
		return o.Over.Spec, nil
	}
	for _, w := range sel.Windows {
		if strings.EqualFold(w.Name.Name, o.Over.WindowName) {
			return w.Spec, nil
		}
	}
	return nil, errAt(o, "unknown window %s", o.Over.WindowName)
}

// rowsOffset reads a ROWS frame's n PRECEDING: a non-negative integer
// literal.
func rowsOffset(e ast.Expr) (int64, bool) {
	l, ok := unparen(e).(*ast.Literal)
	if !ok || l.Kind != ast.IntLit {
		return 0, false
	}
	n, err := strconv.ParseInt(l.Text, 10, 64)
	return n, err == nil && n >= 0
}

// windowKey describes what an OVER window means, so two spellings of
// one window compare equal: columns by their position in r, offsets by
// their value. A part it cannot resolve keeps its text (an error is
// reported when the window is planned).
func (b *builder) windowKey(s *ast.WindowSpec, r *rel) string {
	var k strings.Builder
	k.WriteString("partition:")
	for _, e := range s.PartitionBy {
		k.WriteString(exprKey(e, r) + ";")
	}
	k.WriteString("order:")
	for _, o := range s.OrderBy {
		k.WriteString(exprKey(o.Expr, r) + ";")
		fmt.Fprintf(&k, "%v%v;", o.Desc, o.NullsFirst != nil && *o.NullsFirst)
	}
	f := s.Frame
	if f == nil {
		f = &ast.Frame{Start: ast.FrameBound{Kind: ast.UnboundedPreceding}, End: ast.FrameBound{Kind: ast.CurrentRow}}
	}
	fmt.Fprintf(&k, "frame:%v %s %s", f.Rows, f.Start.Kind, f.End.Kind)
	if off := f.Start.Offset; off != nil {
		if n, ok := rowsOffset(off); ok && f.Rows {
			fmt.Fprintf(&k, " %d", n)
		} else if d, err := b.interval(off); err == nil && !f.Rows {
			fmt.Fprintf(&k, " %s", d)
		} else {
			k.WriteString(" " + ast.Format(off))
		}
	}
	return k.String()
}

func overText(s *ast.WindowSpec) string {
	var parts []string
	if len(s.PartitionBy) > 0 {
		var p []string
		for _, e := range s.PartitionBy {
			p = append(p, ast.Format(e))
		}
		parts = append(parts, "partitionBy=["+strings.Join(p, ", ")+"]")
	}
	var o []string
	for _, it := range s.OrderBy {
		o = append(o, ast.Format(it.Expr))
	}
	parts = append(parts, "orderBy=["+strings.Join(o, ", ")+"]")
	if s.Frame != nil {
		k := "RANGE"
		if s.Frame.Rows {
			k = "ROWS"
		}
		start := string(s.Frame.Start.Kind)
		if s.Frame.Start.Offset != nil {
			start = ast.Format(s.Frame.Start.Offset) + " " + start
		}
		parts = append(parts, fmt.Sprintf("window=[%s BETWEEN %s AND %s]", k, start, s.Frame.End.Kind))
	} else {
		parts = append(parts, "window=[RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW]")
	}
	return strings.Join(parts, ", ")
}
