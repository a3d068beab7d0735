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
	spec := overs[0].Over.Spec
	if spec == nil {
		if name := overs[0].Over.WindowName; name != "" {
			for _, w := range sel.Windows {
				if strings.EqualFold(w.Name.Name, name) {
					spec = w.Spec
				}
			}
		}
		if spec == nil {
			return nil, errAt(overs[0], "unknown window %s", overs[0].Over.WindowName)
		}
	}
	specText := overText(spec)
	for _, o := range overs[1:] {
		if o.Over.Spec != nil && overText(o.Over.Spec) != specText {
			return nil, errAt(o, "all OVER aggregates of a SELECT must use the same window")
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
				l, ok := unparen(f.Start.Offset).(*ast.Literal)
				n, err := strconv.ParseInt(l.Text, 10, 64)
				if !ok || err != nil {
					return nil, errAt(f.Start.Offset, "ROWS BETWEEN n PRECEDING takes an integer")
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
			return nil, errAt(o, "%s is not an aggregate function usable with OVER", funcName(o))
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
			consts = append(consts, nil)
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
	out := &rel{keyed: keyed.keyed, fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(fmt.Sprintf("OverAggregate(%s, select=[%s])", specText, strings.Join(texts, ", ")), connector.InsertOnly, keyed.node)}
	lookup := func(e ast.Expr) (int, bool) {
		if f, ok := e.(*ast.FuncCall); ok {
			i, ok := callAt[f]
			return i, ok
		}
		return 0, false
	}
	return b.project(out, nil, items, lookup)
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
