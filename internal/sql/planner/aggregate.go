package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
)

// aggCall is one planned aggregate call over the pre-aggregation Calc.
type aggCall struct {
	call exec.AggCall
	text string
	typ  row.Type
}

// aggregate plans GROUP BY / aggregates of a SELECT: a Calc computing the
// keys and the aggregates' arguments (and the WHERE), a shuffle by the
// keys, the group or window aggregation, and a Calc for the SELECT list
// and HAVING over its output.
func (b *builder) aggregate(sel *ast.Select, from *rel, where ast.Expr, items []selItem, aggs []*ast.FuncCall) (*rel, error) {
	var groupExprs []ast.Expr
	var win *windowDef
	sawStart, sawEnd := false, false
	// The grouping sets (GROUP BY a, ROLLUP (b) is the sets (a, b) and
	// (a)); GROUP BY () and GROUP BY (a, b) are one set, a plain grouping.
	sets := groupingSets(sel.GroupBy)
	var groupBy []ast.Expr // every set's expressions, each once
	// In how many sets an expression is, by its text (the same column
	// written in two sets is two nodes).
	inSets := map[string]int{}
	text := func(g ast.Expr) string { return strings.ToLower(ast.Format(unparen(g))) }
	for _, set := range sets {
		seen := map[string]bool{}
		for _, g := range set {
			if seen[text(g)] {
				continue
			}
			seen[text(g)] = true
			if inSets[text(g)]++; inSets[text(g)] == 1 {
				groupBy = append(groupBy, g)
			}
		}
	}
	grouping := groupingCalls(items, sel.Having)
	for _, g := range groupBy {
		inAll := inSets[text(g)] == len(sets)
		windowed := func() error {
			if !inAll {
				return errAt(g, "%s must be in every grouping set (put it outside GROUPING SETS, ROLLUP and CUBE)", ast.Format(g))
			}
			return nil
		}
		g = unparen(g)
		switch x := g.(type) {
		case *ast.ColumnRef:
			if from.window != nil {
				if idx, _, err := expr.ResolveColumn(x, from.columns()); err == nil {
					switch idx {
					case from.window.startCol, from.window.endCol, from.window.timeColOut:
						if err := windowed(); err != nil {
							return nil, err
						}
						sawStart = sawStart || idx == from.window.startCol
						sawEnd = sawEnd || idx == from.window.endCol
						continue
					}
				}
			}
		case *ast.FuncCall:
			switch funcName(x) {
			case "TUMBLE", "HOP", "SESSION":
				if err := windowed(); err != nil {
					return nil, err
				}
				if win != nil {
					return nil, errAt(x, "only one group window per GROUP BY")
				}
				w, err := b.legacyWindow(x, from)
				if err != nil {
					return nil, err
				}
				win = w
				continue
			}
		}
		groupExprs = append(groupExprs, g)
	}
	base := from
	if from.window != nil {
		if sawStart && sawEnd {
			if win != nil {
				return nil, errAt(sel, "a window TVF and a group window function in one GROUP BY")
			}
			win = from.window.def
			base = from.window.input
		} else {
			if sawStart || sawEnd {
				return nil, errAt(sel, "a window aggregation groups by both window_start and window_end")
			}
			var err error
			if base, err = b.windowTVF(from); err != nil {
				return nil, err
			}
		}
	} else if base.rank != nil {
		return nil, errAt(sel, "aggregating a ROW_NUMBER() result needs a filter on it first (WHERE rn <= N)")
	}
	if win != nil && len(win.partition) > 0 {
		if err := sessionPartition(win, groupExprs, base); err != nil {
			return nil, err
		}
	}
	if win != nil && base.mode != connector.InsertOnly {
		return nil, errAt(sel, "a window aggregation needs an insert-only input, but its input is a %s changelog (Flink: WindowAggregate doesn't support consuming update and delete changes)", base.mode)
	}

	// The pre-aggregation Calc: keys, then each call's arguments and
	// FILTER condition, then the window's time column.
	var pre []calcItem
	var keyTexts []string
	keyOf := map[string]int{} // a key expression's exprKey -> its position
	uniq := groupExprs[:0:0]
	for _, g := range groupExprs {
		if _, dup := keyOf[exprKey(g, base)]; dup {
			continue // GROUP BY k, k groups by k
		}
		keyOf[exprKey(g, base)] = len(uniq)
		uniq = append(uniq, g)
	}
	groupExprs = uniq
	for _, g := range groupExprs {
		c, err := b.compile(g, base, nil)
		if err != nil {
			return nil, err
		}
		name := exprName(g, len(pre))
		if ref, ok := g.(*ast.ColumnRef); ok && len(ref.Parts) > 1 {
			if _, path, err := expr.ResolveColumn(ref, base.columns()); err == nil && len(path) > 0 {
				name = fmt.Sprintf("$g%d", len(pre)) // r.f is no column f after GROUP BY
			}
		}
		it := calcItem{src: -1, c: c, name: name, text: ast.Format(g)}
		if ref, ok := g.(*ast.ColumnRef); ok {
			if idx, path, err := expr.ResolveColumn(ref, base.columns()); err == nil && len(path) == 0 {
				it.src = idx // a key passed through keeps the partitioning
			}
		}
		keyTexts = append(keyTexts, it.text)
		pre = append(pre, it)
	}
	nk := len(pre)
	calls := make([]aggCall, len(aggs))
	for i, f := range aggs {
		fn, _ := aggFunc(b.p.Env, f)
		if funcName(f) == "LAG" {
			return nil, errAt(f, "LAG is a window function: write it with OVER (PARTITION BY ... ORDER BY a time attribute)")
		}
		var types []row.Type
		var consts []*row.Value
		var args []int
		if !f.Star {
			for _, a := range jsonAggArgs(f) {
				c, err := b.compile(a, base, nil)
				if err != nil {
					return nil, err
				}
				types = append(types, c.Type)
				var cv *row.Value
				if c.Const {
					v, err := c.Eval(nil)
					if err == nil {
						cv = &v
					}
				}
				consts = append(consts, cv)
				args = append(args, len(pre))
				pre = append(pre, calcItem{src: -1, c: c, name: fmt.Sprintf("$f%d", len(pre)), text: ast.Format(a)})
			}
		}
		bound, err := fn.Bind(types, consts, f.Distinct)
		if err != nil {
			return nil, errAt(f, "%s: %v", ast.Format(f), err)
		}
		if base.mode != connector.InsertOnly && !bound.Retractable {
			return nil, errAt(f, "No matching retract method found for AggregateFunction %s: its input is a %s changelog, and the function cannot retract (it is registered with NoRetract)", strings.ToUpper(funcName(f)), base.mode)
		}
		if base.mode == connector.InsertOnly {
			// Nothing retracts (Flink's MaxAggFunction rather than
			// MaxWithRetractAggFunction): MIN/MAX keep one value, not a
			// count per distinct value.
			bound = aggfn.InsertOnly(bound)
		}
		filter := -1
		if f.Filter != nil {
			c, err := b.compile(f.Filter, base, nil)
			if err != nil {
				return nil, err
			}
			if c.Type.Kind != row.KindBoolean {
				return nil, errAt(f.Filter, "FILTER (WHERE ...) needs a BOOLEAN condition, got %s", c.Type)
			}
			filter = len(pre)
			pre = append(pre, calcItem{src: -1, c: c, name: fmt.Sprintf("$f%d", len(pre)), text: ast.Format(f.Filter)})
		}
		calls[i] = aggCall{call: exec.AggCall{Fn: bound, Args: args, Filter: filter}, text: ast.Format(f), typ: bound.Type}
	}
	timeCol := -1
	if win != nil {
		timeCol = len(pre)
		it := passThrough(base, win.timeCol)
		pre = append(pre, it)
	}
	var whereFn func(*row.Row) (bool, error)
	if where != nil {
		// CURRENT_WATERMARK in the WHERE (filtering late rows before
		// aggregating): its column comes after every one the Calc reads.
		var lookup func(ast.Expr) (int, bool)
		var err error
		if base, lookup, err = b.currentWatermark(base, []ast.Expr{where}); err != nil {
			return nil, err
		}
		f, err := expr.CompileFilter(where, &expr.Scope{Columns: base.columns(), Env: b.p.Env, Lookup: lookup})
		if err != nil {
			return nil, err
		}
		whereFn = f
	}
	preRel := b.calc(base, where, whereFn, pre)
	keys := make([]int, nk)
	for i := range keys {
		keys[i] = i
	}
	var groupingAt map[*ast.FuncCall]int
	if len(sets) > 1 || len(grouping) > 0 {
		keyAt := func(e ast.Expr) (int, bool) {
			i, ok := keyOf[exprKey(e, base)]
			return i, ok
		}
		var err error
		if preRel, keys, groupingAt, err = b.expandSets(preRel, nk, sets, keyAt, grouping); err != nil {
			return nil, err
		}
		keyTexts = append(keyTexts, "$e")
		for _, f := range grouping {
			keyTexts = append(keyTexts, ast.Format(f))
		}
		nk = len(keys)
	}
	var aggRel *rel
	var err error
	if win != nil {
		aggRel, err = b.windowAgg(preRel, keys, calls, win, timeCol)
	} else {
		texts := make([]string, 0, nk+len(calls))
		texts = append(texts, keyTexts...)
		for _, c := range calls {
			texts = append(texts, c.text)
		}
		aggRel, err = b.groupAgg(preRel, keys, calls, b.hintTTL(from), fmt.Sprintf("GroupAggregate(groupBy=[%s], select=[%s])", strings.Join(keyTexts, ", "), strings.Join(texts, ", ")))
	}
	if err != nil {
		return nil, err
	}
	// Keys keep their columns' qualifiers, so t.k still resolves (a
	// nested field r.f is found by its expression instead).
	for i, g := range groupExprs {
		if ref, ok := g.(*ast.ColumnRef); ok {
			if idx, path, err := expr.ResolveColumn(ref, base.columns()); err == nil && len(path) == 0 {
				aggRel.fields[i].qual = base.fields[idx].qual
				aggRel.fields[i].name = base.fields[idx].name
			}
		}
	}
	// SELECT * after GROUP BY: the input's columns, which must be keys.
	for i, it := range items {
		if it.e != nil || it.col < 0 {
			continue
		}
		f := from.fields[it.col]
		at := slices.IndexFunc(aggRel.fields[:nk], func(k field) bool {
			return strings.EqualFold(k.name, f.name) && strings.EqualFold(k.qual, f.qual)
		})
		if at < 0 {
			return nil, errAt(it.at, "Expression '%s' is not being grouped", f.name)
		}
		items[i].col = at
	}
	callAt := map[*ast.FuncCall]int{}
	for i, f := range aggs {
		callAt[f] = nk + i
	}
	for f, i := range groupingAt {
		callAt[f] = i
	}
	lookup := func(e ast.Expr) (int, bool) {
		switch x := e.(type) {
		case *ast.FuncCall:
			if i, ok := callAt[x]; ok {
				return i, true
			}
			if win != nil && win.legacy != "" {
				switch funcName(x) {
				case win.legacy + "_START":
					return nk + len(calls), true
				case win.legacy + "_END":
					return nk + len(calls) + 1, true
				case win.legacy + "_ROWTIME":
					return nk + len(calls) + 2, true
				}
			}
		case *ast.ColumnRef:
			// A column resolves by name among the keys; a nested
			// field (GROUP BY r.f) by its expression.
			if _, path, err := expr.ResolveColumn(x, base.columns()); err != nil || len(path) == 0 {
				return 0, false
			}
		case *ast.Literal:
			return 0, false
		}
		if i, ok := keyOf[exprKey(e, base)]; ok {
			return i, true
		}
		return 0, false
	}
	out, err := b.project(aggRel, sel.Having, items, lookup)
	if err != nil {
		return nil, notGrouped(err, base, append(itemExprs(items), sel.Having))
	}
	return out, nil
}

// exprKey is what an expression over r means, for matching SELECT and
// HAVING expressions with GROUP BY ones as Flink does: columns by their
// resolved position (qualified or not, in any case), function names in
// any case.
func exprKey(e ast.Expr, r *rel) string {
	return ast.FormatCanonical(e, func(c *ast.ColumnRef) (string, bool) {
		idx, path, err := expr.ResolveColumn(c, r.columns())
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("$%d%v", idx, path), true
	})
}

// notGrouped turns "Column 'x' not found" (or "Table 't' not found" for
// t.x) for a column of the
// aggregation's input into Flink's "Expression 'x' is not being grouped":
// the column exists, but only grouped columns and aggregates are
// visible after GROUP BY.
func notGrouped(err error, base *rel, es []ast.Expr) error {
	var e *expr.Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, " not found") {
		return err // another error at a column's position (x IN (subquery) starts at x)
	}
	var found *ast.ColumnRef
	for _, x := range es {
		walk(x, func(n ast.Expr) bool {
			if ref, ok := n.(*ast.ColumnRef); ok && found == nil && ref.Position() == e.Pos {
				found = ref
			}
			return found == nil
		})
	}
	if found == nil {
		return err
	}
	if _, _, rerr := expr.ResolveColumn(found, base.columns()); rerr != nil {
		return err
	}
	names := make([]string, len(found.Parts))
	for i, p := range found.Parts {
		names[i] = p.Name
	}
	return errAt(found, "Expression '%s' is not being grouped", strings.Join(names, "."))
}

// sessionPartition checks a window aggregation over SESSION(TABLE t
// PARTITION BY cols, ...) groups by exactly those columns (with
// window_start and window_end): a window aggregation's sessions are per
// group key, which then are Flink's sessions per partition. Other keys
// would split a partition's sessions differently.
func sessionPartition(win *windowDef, groupExprs []ast.Expr, base *rel) error {
	want := map[int]bool{}
	for _, c := range win.partition {
		want[c] = true
	}
	got := map[int]bool{}
	for _, g := range groupExprs {
		ref, ok := g.(*ast.ColumnRef)
		if !ok {
			return errAt(g, "a window aggregation over SESSION(... PARTITION BY ...) groups by the partition columns only")
		}
		idx, path, err := expr.ResolveColumn(ref, base.columns())
		if err != nil || len(path) > 0 || !want[idx] {
			return errAt(g, "a window aggregation over SESSION(... PARTITION BY ...) groups by the partition columns only")
		}
		got[idx] = true
	}
	if len(got) != len(want) {
		return errAt(win.partAt, "a window aggregation over SESSION(... PARTITION BY ...) groups by every partition column (and window_start, window_end)")
	}
	return nil
}

// groupAgg adds a shuffle by keys and an unbounded group aggregation over
// r (whose first columns are the keys).
// hintTTL, when set, is the STATE_TTL hint's TTL for the aggregation's
// input, which table.exec.state.ttl is otherwise.
func (b *builder) groupAgg(r *rel, keys []int, calls []aggCall, hintTTL time.Duration, text string) (*rel, error) {
	keyed := b.keyBy(r, keys)
	spec := exec.GroupAggSpec{Keys: keys, GenerateUpdateBefore: true}
	fields := make([]field, 0, len(keys)+len(calls))
	for _, k := range keys {
		f := r.fields[k]
		f.time = noTime // an aggregate's output has no time attribute
		fields = append(fields, f)
	}
	for i, c := range calls {
		spec.Calls = append(spec.Calls, c.call)
		fields = append(fields, field{name: fmt.Sprintf("EXPR$%d", len(keys)+i), typ: c.typ})
	}
	if ttl := b.p.Options["table.exec.state.ttl"]; ttl != "" {
		d, err := parseDuration(ttl)
		if err != nil {
			return nil, fmt.Errorf("'table.exec.state.ttl' = '%s': %v", ttl, err)
		}
		spec.StateTTL = d
	}
	if hintTTL > 0 {
		spec.StateTTL = hintTTL
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("GroupAggregate: %v", err)
	}
	name := b.opName("GroupAggregate")
	s := keyed.s.Process(name, exec.GroupAgg(spec)).Main()
	out := &rel{fields: fields, mode: connector.Retract, s: s, node: nodeOf(text, connector.Retract, keyed.node)}
	out.upsertKeys = make([]int, len(keys))
	for i := range keys {
		out.upsertKeys[i] = i
	}
	out.keyed = append([]int{}, out.upsertKeys...) // the output keeps its input's key
	return out, nil
}

// groupingSets returns the grouping sets of a GROUP BY list: the cross
// product of its elements' sets. A plain expression is one set of itself;
// GROUPING SETS, ROLLUP and CUBE are several; () and (a, b) are one (the
// grand total, a and b).
func groupingSets(groupBy []ast.Expr) [][]ast.Expr {
	sets := [][]ast.Expr{{}}
	for _, g := range groupBy {
		var next [][]ast.Expr
		for _, s := range sets {
			for _, alt := range elementSets(g) {
				next = append(next, slices.Concat(s, alt))
			}
		}
		sets = next
	}
	return sets
}

// elementSets returns the grouping sets of one GROUP BY element, in
// Calcite's order: ROLLUP (a, b) is (a, b), (a), (); CUBE (a, b) is
// (a, b), (a), (b), (). A parenthesized list inside them is one unit.
func elementSets(g ast.Expr) [][]ast.Expr {
	units := func(es []ast.Expr) [][]ast.Expr {
		out := make([][]ast.Expr, len(es))
		for i, e := range es {
			out[i] = []ast.Expr{e}
			if r, ok := unparen(e).(*ast.RowCtor); ok {
				out[i] = r.Args
			}
		}
		return out
	}
	switch x := unparen(g).(type) {
	case *ast.GroupingSets:
		var out [][]ast.Expr
		for _, set := range x.Sets {
			out = append(out, groupingSets(set)...)
		}
		return out
	case *ast.Rollup:
		u := units(x.Exprs)
		var out [][]ast.Expr
		for n := len(u); n >= 0; n-- {
			out = append(out, slices.Concat(u[:n]...))
		}
		return out
	case *ast.Cube:
		u := units(x.Exprs)
		n := len(u)
		var out [][]ast.Expr
		for mask := 1<<n - 1; mask >= 0; mask-- {
			var set []ast.Expr
			for i := range u {
				if mask&(1<<(n-1-i)) != 0 {
					set = append(set, u[i]...)
				}
			}
			out = append(out, set)
		}
		return out
	case *ast.RowCtor: // (a, b), or ROW(a, b): the same groups
		return [][]ast.Expr{x.Args}
	}
	return [][]ast.Expr{{g}}
}

// groupingCalls returns the GROUPING(...) and GROUPING_ID(...) calls of
// the SELECT list and HAVING.
func groupingCalls(items []selItem, having ast.Expr) []*ast.FuncCall {
	var out []*ast.FuncCall
	for _, e := range append(itemExprs(items), having) {
		if e == nil {
			continue
		}
		walk(e, func(n ast.Expr) bool {
			if f, ok := n.(*ast.FuncCall); ok {
				if name := funcName(f); name == "GROUPING" || name == "GROUPING_ID" {
					out = append(out, f)
					return false
				}
			}
			return true
		})
	}
	return out
}

// expandSets plans Flink's Expand for a GROUP BY with several grouping
// sets (or GROUPING() calls): pre's rows, whose first nk columns are the
// keys, are copied once per set with the keys not in it set to NULL, and
// given the set's number ($e, which keeps apart the groups of sets that
// NULL the same keys) and the values of the GROUPING() calls for the set.
// The aggregation groups by the keys, $e and those values: it returns
// them (keys), and where each GROUPING() call is in its output.
func (b *builder) expandSets(pre *rel, nk int, sets [][]ast.Expr, keyAt func(ast.Expr) (int, bool), grouping []*ast.FuncCall) (*rel, []int, map[*ast.FuncCall]int, error) {
	spec := exec.ExpandSpec{Width: len(pre.fields)}
	member := make([][]bool, len(sets))
	var texts []string
	for j, set := range sets {
		member[j] = make([]bool, nk)
		var names []string
		for _, e := range set {
			if i, ok := keyAt(e); ok && !member[j][i] {
				member[j][i] = true
				names = append(names, ast.Format(e))
			}
		}
		texts = append(texts, "("+strings.Join(names, ", ")+")")
		var nulls []int
		for i, in := range member[j] {
			if !in {
				nulls = append(nulls, i)
			}
		}
		spec.Nulls = append(spec.Nulls, nulls)
		spec.Append = append(spec.Append, []row.Value{row.BigInt(int64(j))})
	}
	fields := slices.Clone(pre.fields)
	for i := range nk {
		fields[i].typ = fields[i].typ.WithNotNull(false)
	}
	fields = append(fields, field{name: "$e", typ: row.BigIntType.WithNotNull(true)})
	keys := make([]int, nk, nk+1+len(grouping))
	for i := range keys {
		keys[i] = i
	}
	keys = append(keys, len(fields)-1)
	at := map[*ast.FuncCall]int{}
	for _, f := range grouping {
		if f.Star || len(f.Args) == 0 || f.Distinct || f.Filter != nil || f.Over != nil {
			return nil, nil, nil, errAt(f, "%s needs one or more grouping expressions as arguments", strings.ToUpper(funcName(f)))
		}
		var args []int
		for _, a := range f.Args {
			i, ok := keyAt(a)
			if !ok {
				return nil, nil, nil, errAt(a, "Argument to %s must be a grouped expression: %s is not one", strings.ToUpper(funcName(f)), ast.Format(a))
			}
			args = append(args, i)
		}
		for j := range sets {
			var v int64
			for _, i := range args {
				v <<= 1
				if !member[j][i] {
					v |= 1
				}
			}
			spec.Append[j] = append(spec.Append[j], row.BigInt(v))
		}
		at[f] = len(keys)
		keys = append(keys, len(fields))
		fields = append(fields, field{name: fmt.Sprintf("$g%d", len(fields)), typ: row.BigIntType.WithNotNull(true)})
	}
	if err := spec.Validate(); err != nil {
		return nil, nil, nil, fmt.Errorf("Expand: %v", err)
	}
	name := b.opName("Expand")
	s := pre.s.Process(name, exec.Expand(spec)).Main()
	text := fmt.Sprintf("Expand(sets=[%s])", strings.Join(texts, ", "))
	return &rel{fields: fields, mode: pre.mode, s: s, node: nodeOf(text, pre.mode, pre.node)}, keys, at, nil
}

// jsonAggArgs returns the arguments of an aggregate call, but those of
// JSON_OBJECTAGG and JSON_ARRAYAGG as Flink's
// WrapJsonAggFunctionArgumentsRule makes them: the value wrapped in
// JSON_STRING (a nested JSON_OBJECT or JSON_ARRAY call's text is JSON
// already), then the ON NULL clause as a string literal, Flink's default
// when there is none (NULL ON NULL for objects, ABSENT ON NULL for
// arrays).
func jsonAggArgs(f *ast.FuncCall) []ast.Expr {
	name := funcName(f)
	if name != "JSON_OBJECTAGG" && name != "JSON_ARRAYAGG" {
		return f.Args
	}
	args := slices.Clone(f.Args)
	mode := "ABSENT ON NULL"
	if name == "JSON_OBJECTAGG" {
		mode = "NULL ON NULL"
	}
	if n := len(args); n > 0 {
		if s, ok := args[n-1].(*ast.Symbol); ok {
			mode, args = s.Name, args[:n-1]
		}
	}
	if n := len(args); n > 0 {
		v := args[n-1]
		if c, ok := unparen(v).(*ast.FuncCall); !ok || funcName(c) != "JSON_OBJECT" && funcName(c) != "JSON_ARRAY" {
			at := ast.At{P: v.Position()}
			args[n-1] = &ast.FuncCall{At: at, Name: ast.ObjectName{At: at, Parts: []ast.Ident{{At: at, Name: "JSON_STRING"}}}, Args: []ast.Expr{v}}
		}
	}
	return append(args, &ast.Literal{At: ast.At{P: f.Position()}, Kind: ast.StringLit, Text: mode})
}
