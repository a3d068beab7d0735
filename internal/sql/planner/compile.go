package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
)

func (b *builder) compile(e ast.Expr, r *rel, lookup func(ast.Expr) (int, bool)) (*expr.Compiled, error) {
	var cols []expr.Column
	if r != nil {
		cols = r.columns()
	}
	return b.compileOver(e, cols, lookup)
}

func (b *builder) compileOver(e ast.Expr, cols []expr.Column, lookup func(ast.Expr) (int, bool)) (*expr.Compiled, error) {
	return expr.Compile(e, &expr.Scope{Columns: cols, Env: b.p.Env, Lookup: lookup})
}

// exprName is the column name Flink gives a SELECT item without alias: a
// column keeps its name, anything else is EXPR$i.
func exprName(e ast.Expr, i int) string {
	switch x := unparen(e).(type) {
	case *ast.ColumnRef:
		return lastPart(x)
	case *ast.Subscript, *ast.FieldAccess:
		_ = x
	}
	return fmt.Sprintf("EXPR$%d", i)
}

// calc adds a Calc (projection and filter) over r. projs nil passes
// rows through (a filter only).
type calcItem struct {
	src     int // the input column passed through unchanged, or -1
	qual    string
	c       *expr.Compiled
	name    string
	time    timeAttr
	tvfTime bool        // field.tvfTime
	bound   windowBound // field.bound
	text    string
}

func (b *builder) calc(r *rel, filter ast.Expr, filterFn func(*row.Row) (bool, error), items []calcItem) *rel {
	spec := exec.CalcSpec{Filter: filterFn}
	var fields []field
	var texts []string
	if items != nil {
		spec.Projections = make([]expr.Func, len(items))
		fields = make([]field, len(items))
		for i, it := range items {
			spec.Projections[i] = it.c.Eval
			fields[i] = field{qual: it.qual, name: it.name, typ: it.c.Type, time: it.time, tvfTime: it.tvfTime, bound: it.bound}
			texts = append(texts, it.text)
		}
	} else {
		fields = r.fields
		texts = r.names()
	}
	// The partitioning survives when its columns pass through.
	var keyed []int
	if r.keyed != nil {
		keyed = []int{}
		if items == nil {
			keyed = r.keyed
		} else {
			for _, k := range r.keyed {
				at := -1
				for i, it := range items {
					if it.src == k && it.c != nil {
						at = i
						break
					}
				}
				if at < 0 {
					keyed = nil
					break
				}
				keyed = append(keyed, at)
			}
		}
	}
	// So does a unique key (a source's PRIMARY KEY, GROUP BY keys).
	ukeys, wkeys := r.upsertKeys, r.windowKeys
	if items != nil {
		ukeys, wkeys = calcKeys(r.upsertKeys, items), calcKeys(r.windowKeys, items)
	}
	sel := fmt.Sprintf("Calc(select=[%s]", strings.Join(texts, ", "))
	op := sel
	if filter != nil {
		op += fmt.Sprintf(", where=[%s]", ast.Format(filter))
	}
	op += ")"
	push := b.pushCandidate(r, filter, filterFn)
	if push != nil {
		push.calcOp = sel + ")"
		spec.Filter = push.calcFilter
	}
	name := b.opName("Calc")
	s := r.s.Process(name, exec.Calc(spec)).Main()
	out := &rel{fields: fields, mode: r.mode, s: s, node: nodeOf(op, r.mode, r.node), keyed: keyed, upsertKeys: ukeys, windowKeys: wkeys}
	if push != nil {
		push.calc, push.input = out.node, r.node
		push.identity = items == nil
	}
	return out
}

// pushCandidate returns the filter of a Calc over a table scan as a
// candidate for the source (finish decides, once the whole job is built:
// only a scan this Calc alone reads takes it): a filter over the
// source's columns only (not computed ones, as in Flink).
func (b *builder) pushCandidate(r *rel, filter ast.Expr, filterFn func(*row.Row) (bool, error)) *pushedFilter {
	if r.scan == nil || filterFn == nil {
		return nil
	}
	p := &pushedFilter{src: r.scan.src, fn: filterFn, where: ast.Format(filter), scan: r.scan.node}
	if r.scan.computed {
		// Over the source's row: fails (no pushdown) when the filter
		// reads a computed column.
		fn, err := expr.CompileFilter(filter, &expr.Scope{Columns: r.scan.cols, Env: b.p.Env})
		if err != nil {
			return nil
		}
		p.fn, p.through = fn, []stream.Stream{r.s}
	}
	b.pushes = append(b.pushes, p)
	return p
}

// pushedFilter is a WHERE over a table scan, which finish moves into the
// source's decoding step (Flink's filter pushdown) when the Calc is the
// scan's only reader: rejected rows then never enter the operator graph.
// The Calc keeps its projection; its filter turns into a no-op.
type pushedFilter struct {
	src      stream.Stream
	through  []stream.Stream // the computed columns' Calc, if any
	fn       func(*row.Row) (bool, error)
	where    string
	scan     *pnode
	input    *pnode // the Calc's input in the plan
	calc     *pnode
	calcOp   string // the Calc's plan text without the filter
	identity bool   // the Calc projects nothing: gone from the plan once pushed
	pushed   bool
}

func (p *pushedFilter) calcFilter(r *row.Row) (bool, error) {
	if p.pushed {
		return true, nil
	}
	return p.fn(r)
}

// pushFilters moves each candidate filter into its source where the
// engine agrees (a typed source read by that Calc alone) and rewrites
// the plan's text to show it there.
func (b *builder) pushFilters() {
	for _, p := range b.pushes {
		fn := p.fn
		if !p.src.PushFilter(func(r *row.Row) (bool, error) {
			ok, err := fn(r)
			if err != nil {
				return false, exec.EvalError(err)
			}
			return ok, nil
		}, p.through...) {
			continue
		}
		p.pushed = true
		p.scan.op = strings.TrimSuffix(p.scan.op, ")") + ", filter=[" + p.where + "])"
		if p.identity {
			*p.calc = *p.input // a pass-through Calc: its input is the plan
		} else {
			p.calc.op = p.calcOp
		}
	}
}

// passThrough is a calc item selecting input column i unchanged.
func passThrough(r *rel, i int) calcItem {
	f := r.fields[i]
	return calcItem{src: i, qual: f.qual, c: &expr.Compiled{Type: f.typ, Eval: func(rr *row.Row) (row.Value, error) { return rr.Values[i], nil }}, name: f.name, time: f.time, tvfTime: f.tvfTime, bound: f.bound, text: quoteIdent(f.name)}
}

// keyBy shuffles r by columns (Flink's Exchange hash[...]); no columns:
// everything to one task (Exchange single).
//
// Rows already partitioned by the same columns are not shuffled again
// (a Top-N over an aggregation by the same key, an aggregation over a
// deduplication): shuffles happen only where the key changes.
func (b *builder) keyBy(r *rel, cols []int) *rel {
	if r.keyed != nil && slices.Equal(r.keyed, cols) {
		return r
	}
	name := b.opName("Exchange")
	s := r.s.KeyByColumns(name, r.schema(), cols...)
	dist := "single"
	if len(cols) > 0 {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = quoteIdent(r.fields[c].name)
		}
		dist = "hash[" + strings.Join(names, ", ") + "]"
	}
	return &rel{fields: r.fields, mode: r.mode, s: s, node: nodeOf("Exchange(distribution=["+dist+"])", r.mode, r.node), keyed: append([]int{}, cols...),
		upsertKeys: r.upsertKeys, windowKeys: r.windowKeys}
}

// calcKeys returns where keys (input columns) are among a Calc's items,
// or nil unless each is passed through.
func calcKeys(keys []int, items []calcItem) []int {
	if keys == nil {
		return nil
	}
	out := []int{} // an empty key (one row) stays known
	for _, k := range keys {
		at := slices.IndexFunc(items, func(it calcItem) bool { return it.src == k && it.c != nil })
		if at < 0 {
			return nil
		}
		out = append(out, at)
	}
	return out
}

func execCollect(fn func(row.Row)) stream.Factory { return exec.Collect(fn) }
