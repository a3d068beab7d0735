package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
)

// selItem is one SELECT item after * expansion: an expression, or an
// input column (col >= 0) from a star.
type selItem struct {
	e    ast.Expr
	col  int
	name string
	at   ast.Node
}

func expandItems(sel *ast.Select, r *rel) ([]selItem, error) {
	var out []selItem
	for i, it := range sel.Items {
		if it.Star {
			n := 0
			for c, f := range r.fields {
				if it.Qualifier != nil {
					q := it.Qualifier.Parts[len(it.Qualifier.Parts)-1].Name
					if !strings.EqualFold(q, f.qual) {
						continue
					}
				}
				out = append(out, selItem{col: c, name: f.name, at: &sel.Items[i]})
				n++
			}
			if n == 0 && it.Qualifier != nil {
				return nil, errAt(&sel.Items[i], "unknown table %s in %s.*", ast.Format(it.Qualifier), ast.Format(it.Qualifier))
			}
			continue
		}
		name := exprName(it.Expr, len(out))
		if it.Alias != nil {
			name = it.Alias.Name
		}
		out = append(out, selItem{e: it.Expr, col: -1, name: name, at: &sel.Items[i]})
	}
	return out, nil
}

func itemExprs(items []selItem) []ast.Expr {
	var es []ast.Expr
	for _, it := range items {
		if it.e != nil {
			es = append(es, it.e)
		}
	}
	return es
}

// selectBlock plans one SELECT.
func (b *builder) selectBlock(sel *ast.Select, env *ctes) (_ *rel, err error) {
	if sel.From == nil {
		return nil, errAt(sel, "SELECT without FROM is not supported yet")
	}
	where := sel.Where
	var r *rel
	prevHints, prevUsed := b.ttlHints, b.ttlUsed
	defer func() { b.ttlHints, b.ttlUsed = prevHints, prevUsed }()
	b.ttlHints, b.ttlUsed = nil, nil // a block's hints do not reach into its subqueries and views
	if err := b.stateTTLHints(sel); err != nil {
		return nil, err
	}
	defer func() {
		if err == nil {
			err = b.unusedTTLHints(sel)
		}
	}()
	if j, ok := sel.From.(*ast.Join); ok && j.Kind == ast.CommaJoin && !isCorrelation(j.Right) {
		// FROM a, b WHERE ...: the WHERE is the join's condition.
		r, err = b.tableJoin(j, env, where)
		where = nil
	} else {
		r, err = b.from(sel.From, env)
	}
	if err != nil {
		return nil, err
	}
	// A STATE_TTL name that names an input is valid even where rtdw (as
	// Flink) applies no TTL (an interval or lookup join's input).
	for _, f := range r.fields {
		if _, ok := b.ttlHints[strings.ToLower(f.qual)]; ok {
			b.ttlUsed[strings.ToLower(f.qual)] = true
		}
	}
	if r.rank != nil {
		if r, where, err = b.rankFilter(r, sel); err != nil {
			return nil, err
		}
	}
	items, err := expandItems(sel, r)
	if err != nil {
		return nil, err
	}
	exprs := itemExprs(items)
	aggs := aggCalls(b.p.Env, append(exprs, sel.Having)...)
	if sel.Distinct && len(sel.GroupBy) == 0 && len(aggs) == 0 && selectsWindow(r, items) {
		// SELECT DISTINCT over a window TVF is a GROUP BY of its items (as
		// Calcite plans it): with window_start and window_end among them,
		// a window aggregation (insert-only), as in Flink.
		grouped := *sel
		grouped.Distinct, grouped.GroupBy = false, exprs
		return b.aggregate(&grouped, r, where, items, nil)
	}
	if len(sel.GroupBy) > 0 || len(aggs) > 0 {
		out, err := b.aggregate(sel, r, where, items, aggs)
		if err != nil {
			return nil, err
		}
		if sel.Distinct {
			return b.distinct(out)
		}
		return out, nil
	}
	if sel.Having != nil {
		return nil, errAt(sel.Having, "HAVING without GROUP BY or aggregates")
	}
	if overs := overCalls(exprs...); len(overs) > 0 {
		if funcName(overs[0]) == "ROW_NUMBER" {
			return b.pendingRank(sel, r, where, items, overs)
		}
		return b.overAggregate(sel, r, where, items, overs)
	}
	if r, err = b.materialize(r); err != nil {
		return nil, err
	}
	var lookup func(ast.Expr) (int, bool)
	if r, lookup, err = b.currentWatermark(r, append(exprs, where)); err != nil {
		return nil, err
	}
	out, err := b.project(r, where, items, lookup)
	if err != nil {
		return nil, err
	}
	if sel.Distinct {
		return b.distinct(out)
	}
	return out, nil
}

// project adds the Calc of a SELECT list and WHERE over r, or nothing
// when it would select every column unchanged.
func (b *builder) project(r *rel, where ast.Expr, items []selItem, lookup func(ast.Expr) (int, bool)) (*rel, error) {
	var filter func(*row.Row) (bool, error)
	if where != nil {
		f, err := expr.CompileFilter(where, &expr.Scope{Columns: r.columns(), Env: b.p.Env, Lookup: lookup})
		if err != nil {
			return nil, err
		}
		filter = f
	}
	identity := len(items) == len(r.fields)
	calcs := make([]calcItem, len(items))
	for i, it := range items {
		if it.col >= 0 {
			calcs[i] = passThrough(r, it.col)
			calcs[i].name = it.name
			identity = identity && it.col == i && it.name == r.fields[i].name
			continue
		}
		identity = false
		c, err := b.compile(it.e, r, lookup)
		if err != nil {
			return nil, err
		}
		ci := calcItem{src: -1, c: c, name: it.name, text: ast.Format(it.e)}
		if lookup == nil && isProcTimeCall(it.e) {
			ci.time = procTime // SELECT ..., PROCTIME() AS pt: a processing-time attribute, as Flink
		}
		if ref, ok := unparen(it.e).(*ast.ColumnRef); ok {
			if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
				// Over an aggregation only a window's window_time is still a
				// time attribute (its keys and calls have none), so a window
				// of windows works: Flink's cascading window aggregation.
				ci.time = r.fields[idx].time
				ci.tvfTime = r.fields[idx].tvfTime
				ci.bound = r.fields[idx].bound
				ci.src = idx
			}
		} else if lookup != nil {
			if idx, ok := lookup(unparen(it.e)); ok {
				ci.time = r.fields[idx].time // TUMBLE_ROWTIME(...), as Flink's _ROWTIME
			}
		}
		if !strings.EqualFold(ci.text, it.name) {
			ci.text += " AS " + quoteIdent(it.name)
		}
		calcs[i] = ci
	}
	if identity && filter == nil {
		return r, nil
	}
	if identity {
		calcs = nil // a filter only: rows pass through unchanged
	}
	out := b.calc(r, where, filter, calcs)
	out.upsertKeys = projectKeys(r, r.upsertKeys, items)
	out.windowKeys = projectKeys(r, r.windowKeys, items)
	return out, nil
}

// projectKeys returns where keys (columns of r) are among the SELECT
// items, or nil unless every one is passed through: keys survive a
// projection that keeps them.
func projectKeys(r *rel, keys []int, items []selItem) []int {
	if keys == nil {
		return nil
	}
	out := []int{} // an empty key (one row) stays known
	for _, k := range keys {
		for i, it := range items {
			if it.col == k {
				out = append(out, i)
				break
			}
			if ref, ok := unparen(it.e).(*ast.ColumnRef); ok && it.col < 0 {
				if idx, _, err := expr.ResolveColumn(ref, r.columns()); err == nil && idx == k {
					out = append(out, i)
					break
				}
			}
		}
	}
	if len(out) != len(keys) {
		return nil
	}
	return out
}

// distinct is SELECT DISTINCT / UNION: a group aggregation on every
// column with no aggregate calls.
func (b *builder) distinct(r *rel) (*rel, error) {
	keys := make([]int, len(r.fields))
	for i := range keys {
		keys[i] = i
	}
	return b.groupAgg(r, keys, nil, 0, fmt.Sprintf("GroupAggregate(groupBy=[%s], select=[%s])", strings.Join(r.names(), ", "), strings.Join(r.names(), ", ")))
}

// isCorrelation: the right side of a join that is evaluated per left row
// (UNNEST, LATERAL TABLE) rather than a relation of its own.
func isCorrelation(te ast.TableExpr) bool {
	switch x := te.(type) {
	case *ast.Unnest:
		return true
	case *ast.TableFunc:
		return !isWindowTVF(x.Call)
	}
	return false
}

// queryHints are the hints Flink knows after SELECT: STATE_TTL is used,
// LOOKUP and the join strategy hints (batch-only in Flink) are accepted
// and ignored.
var queryHints = map[string]bool{"STATE_TTL": true, "LOOKUP": true, "BROADCAST": true, "SHUFFLE_HASH": true,
	"SHUFFLE_MERGE": true, "NEST_LOOP": true}

// checkTableHints checks the hints after a table name: OPTIONS with
// options, allowed by 'table.dynamic-table-options.enabled'.
func (b *builder) checkTableHints(hs []ast.Hint) error {
	for i := range hs {
		h := &hs[i]
		switch {
		case h.Name != "OPTIONS":
			return errAt(h, "Hint: %s should be registered in the HintStrategyTable (after a table name only OPTIONS is known)", h.Name)
		case len(h.Options) == 0:
			return errAt(h, "Hint [OPTIONS] only support non empty key value options")
		case strings.EqualFold(b.p.Options["table.dynamic-table-options.enabled"], "false"):
			return errAt(h, "The 'OPTIONS' hint is allowed only when the config option 'table.dynamic-table-options.enabled' is set to true.")
		}
	}
	return nil
}

// stateTTLHints reads the SELECT's STATE_TTL hints (Flink 1.18+): a TTL
// per input table or view name of its joins and its aggregation, which
// overrides table.exec.state.ttl for that input's state.
func (b *builder) stateTTLHints(sel *ast.Select) error {
	for i, h := range sel.Hints {
		if !queryHints[h.Name] {
			return errAt(&sel.Hints[i], "Hint: %s should be registered in the HintStrategyTable (Flink's query hints: STATE_TTL, LOOKUP, BROADCAST, SHUFFLE_HASH, SHUFFLE_MERGE, NEST_LOOP)", h.Name)
		}
		if h.Name != "STATE_TTL" {
			continue
		}
		if len(h.Options) == 0 {
			return errAt(&sel.Hints[i], "Invalid hint about STATE_TTL, expecting at least one key-value options specified.")
		}
		for _, o := range h.Options {
			d, err := parseDuration(o.Value)
			if err == nil && d < 0 {
				err = fmt.Errorf("a TTL is not negative")
			}
			if err != nil {
				return errAt(&sel.Hints[i], "STATE_TTL('%s' = '%s'): %v", o.Key, o.Value, err)
			}
			if b.ttlHints == nil {
				b.ttlHints, b.ttlUsed = map[string]time.Duration{}, map[string]bool{}
			}
			b.ttlHints[strings.ToLower(o.Key)] = d
		}
	}
	return nil
}

// hintTTL is the STATE_TTL the block's hint gives input r, named by the
// table or view (or alias) all its columns come from; 0 when none.
func (b *builder) hintTTL(r *rel) time.Duration {
	if len(b.ttlHints) == 0 || len(r.fields) == 0 {
		return 0
	}
	q := strings.ToLower(r.fields[0].qual)
	for _, f := range r.fields[1:] {
		if strings.ToLower(f.qual) != q {
			return 0 // a join's output: no one name
		}
	}
	d, ok := b.ttlHints[q]
	if ok {
		b.ttlUsed[q] = true
	}
	return d
}

// unusedTTLHints refuses STATE_TTL keys that named no input, as Flink.
func (b *builder) unusedTTLHints(sel *ast.Select) error {
	var bad []string
	for k := range b.ttlHints {
		if !b.ttlUsed[k] {
			bad = append(bad, "`"+k+"`")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return errAt(sel, "The options of following hints cannot match the name of input tables or views: \n%s in `STATE_TTL`", strings.Join(bad, ", "))
}

// currentWatermark plans CURRENT_WATERMARK(rowtime) calls of es: an
// operator appends the current watermark to r's rows (exec.CurrentWatermark)
// and the returned lookup points the calls at that column. r is returned
// as it is when es call no CURRENT_WATERMARK.
func (b *builder) currentWatermark(r *rel, es []ast.Expr) (*rel, func(ast.Expr) (int, bool), error) {
	var calls []*ast.FuncCall
	for _, e := range es {
		if e != nil {
			walk(e, func(n ast.Expr) bool {
				if f, ok := n.(*ast.FuncCall); ok && funcName(f) == "CURRENT_WATERMARK" {
					calls = append(calls, f)
					return false
				}
				return true
			})
		}
	}
	if len(calls) == 0 {
		return r, nil, nil
	}
	var typ row.Type
	for _, f := range calls {
		if len(f.Args) != 1 || f.Star || f.Distinct {
			return nil, nil, errAt(f, "Invalid number of arguments to function 'CURRENT_WATERMARK'. Was expecting 1 arguments")
		}
		c, err := b.compile(f.Args[0], r, nil)
		if err != nil {
			return nil, nil, err
		}
		t := c.Type
		ref, ok := unparen(f.Args[0]).(*ast.ColumnRef)
		rowtime := false
		if ok {
			if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
				rowtime = r.fields[idx].time == rowTime
			}
		}
		if !rowtime {
			return nil, nil, errAt(f, "The argument of CURRENT_WATERMARK() must be a rowtime attribute, but was '%s'", t)
		}
		if typ.Kind != 0 && typ.Kind != t.Kind {
			return nil, nil, errAt(f, "CURRENT_WATERMARK() of a TIMESTAMP and of a TIMESTAMP_LTZ rowtime in one query")
		}
		typ = t
	}
	ltz := typ.Kind == row.KindTimestampLTZ
	name := b.opName("CurrentWatermark")
	s := r.s.Process(name, exec.CurrentWatermark(ltz)).Main()
	wt := row.TimestampOf(3)
	if ltz {
		wt = row.TimestampLTZOf(3)
	}
	fields := append(slices.Clone(r.fields), field{name: "$wm", typ: wt})
	at := len(fields) - 1
	out := &rel{fields: fields, mode: r.mode, s: s, node: nodeOf("CurrentWatermark()", r.mode, r.node), keyed: r.keyed, upsertKeys: r.upsertKeys, windowKeys: r.windowKeys}
	return out, func(e ast.Expr) (int, bool) {
		f, ok := e.(*ast.FuncCall)
		return at, ok && funcName(f) == "CURRENT_WATERMARK"
	}, nil
}

// selectsWindow reports whether items over a pending window TVF r are
// expressions that include its window_start and window_end columns.
func selectsWindow(r *rel, items []selItem) bool {
	if r.window == nil {
		return false
	}
	start, end := false, false
	for _, it := range items {
		if it.e == nil {
			return false
		}
		if ref, ok := unparen(it.e).(*ast.ColumnRef); ok {
			if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
				start = start || idx == r.window.startCol
				end = end || idx == r.window.endCol
			}
		}
	}
	return start && end
}
