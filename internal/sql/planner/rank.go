package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
)

// pendingRank is SELECT ..., ROW_NUMBER() OVER (PARTITION BY ... ORDER
// BY ...) AS rn: planned when the enclosing query filters on rn (Top-N,
// deduplication), as Flink recognizes those patterns.
type pendingRank struct {
	at        ast.Node
	input     *rel // the SELECT's other items, then hidden key columns
	visible   int  // items other than rn
	rnPos     int  // rn's position among the SELECT's items
	partition []int
	order     []exec.SortKey
	text      string
}

func (b *builder) pendingRank(sel *ast.Select, r *rel, where ast.Expr, items []selItem, overs []*ast.FuncCall) (*rel, error) {
	call := overs[0]
	if len(overs) > 1 {
		return nil, errAt(overs[1], "only one ROW_NUMBER() per query (and no other OVER aggregate beside it)")
	}
	if len(call.Args) > 0 || call.Over.Spec == nil {
		return nil, errAt(call, "ROW_NUMBER() takes no arguments and an inline OVER (PARTITION BY ... ORDER BY ...)")
	}
	spec := call.Over.Spec
	if len(spec.OrderBy) == 0 {
		return nil, errAt(call, "ROW_NUMBER() OVER needs an ORDER BY")
	}
	rnPos := -1
	for i, it := range items {
		if it.e == nil {
			continue
		}
		if f, ok := unparen(it.e).(*ast.FuncCall); ok && f == call {
			rnPos = i
			continue
		}
		if len(overCalls(it.e)) > 0 {
			return nil, errAt(it.e, "ROW_NUMBER() must be a SELECT item of its own")
		}
	}
	if rnPos < 0 {
		return nil, errAt(call, "ROW_NUMBER() must be a SELECT item of its own")
	}
	var err error
	if r, err = b.materialize(r); err != nil {
		return nil, err
	}
	var rest []selItem
	for i, it := range items {
		if i != rnPos {
			rest = append(rest, it)
		}
	}
	// Key columns: an item that is the same input column, else hidden.
	hidden := []selItem{}
	colOf := func(e ast.Expr) (int, error) {
		if ref, ok := unparen(e).(*ast.ColumnRef); ok {
			idx, _, err := expr.ResolveColumn(ref, r.columns())
			if err != nil {
				return 0, err
			}
			for i, it := range rest {
				if it.col == idx {
					return i, nil
				}
				if ir, ok := unparen(it.e).(*ast.ColumnRef); ok && it.col < 0 {
					if j, _, err := expr.ResolveColumn(ir, r.columns()); err == nil && j == idx {
						return i, nil
					}
				}
			}
		}
		hidden = append(hidden, selItem{e: e, col: -1, name: fmt.Sprintf("$k%d", len(hidden))})
		return len(rest) + len(hidden) - 1, nil
	}
	p := &pendingRank{at: call, visible: len(rest), rnPos: rnPos}
	var pt, ot []string
	for _, e := range spec.PartitionBy {
		c, err := colOf(e)
		if err != nil {
			return nil, err
		}
		p.partition = append(p.partition, c)
		pt = append(pt, ast.Format(e))
	}
	for _, o := range spec.OrderBy {
		c, err := colOf(o.Expr)
		if err != nil {
			return nil, err
		}
		nullsLast := o.Desc // Flink: NULLS FIRST for ASC, LAST for DESC
		if o.NullsFirst != nil {
			nullsLast = !*o.NullsFirst
		}
		p.order = append(p.order, exec.SortKey{Col: c, Desc: o.Desc, NullsLast: nullsLast})
		s := ast.Format(o.Expr)
		if o.Desc {
			s += " DESC"
		} else {
			s += " ASC"
		}
		ot = append(ot, s)
	}
	p.text = fmt.Sprintf("partitionBy=[%s], orderBy=[%s]", strings.Join(pt, ", "), strings.Join(ot, ", "))
	in, err := b.project(r, where, append(rest, hidden...), nil)
	if err != nil {
		return nil, err
	}
	p.input = in
	fields := make([]field, 0, len(items))
	fields = append(fields, in.fields[:len(rest)]...)
	rnName := items[rnPos].name
	fields = append(fields[:rnPos], append([]field{{name: rnName, typ: row.BigIntType.WithNotNull(true)}}, fields[rnPos:]...)...)
	return &rel{fields: fields, mode: in.mode, node: in.node, rank: p}, nil
}

// rankFilter plans the pending rank under the enclosing SELECT's WHERE
// rn <= N (or < N, = N, BETWEEN M AND N, with rn >= M ...): Deduplicate
// when N is 1 and the order is a time attribute, WindowRank when
// partitioned by a window, else Rank, keeping the ranks 1..N. It returns
// the rest of the WHERE, which keeps the conditions that bound rn from
// below (applied to the real rank numbers, as Flink's rankStart).
func (b *builder) rankFilter(r *rel, sel *ast.Select) (*rel, ast.Expr, error) {
	p := r.rank
	rnName := r.fields[p.rnPos].name
	isRn := func(e ast.Expr) bool {
		ref, ok := unparen(e).(*ast.ColumnRef)
		return ok && strings.EqualFold(lastPart(ref), rnName)
	}
	intLit := func(e ast.Expr) (int64, bool) {
		l, ok := unparen(e).(*ast.Literal)
		if !ok || l.Kind != ast.IntLit {
			return 0, false
		}
		n, err := strconv.ParseInt(l.Text, 10, 64)
		return n, err == nil
	}
	// limit: the least upper bound of rn the conditions give; a condition
	// giving only an upper bound is consumed, one bounding rn from below
	// (rn = 2, rn BETWEEN 2 AND 3, rn > 1) stays in rest.
	var limit int64
	upper := func(n int64) {
		if limit == 0 || n < limit {
			limit = n
		}
	}
	var rest []ast.Expr
	for _, c := range conjuncts(sel.Where) {
		if bt, ok := unparen(c).(*ast.Between); ok && !bt.Not && !bt.Symmetric && isRn(bt.X) {
			lo, okLo := intLit(bt.Lo)
			if hi, okHi := intLit(bt.Hi); okLo && okHi {
				upper(hi)
				if lo > 1 {
					rest = append(rest, c)
				}
				continue
			}
		}
		if bin, ok := unparen(c).(*ast.Binary); ok {
			op, l, rr := bin.Op, bin.L, bin.R
			if !isRn(l) && isRn(rr) { // N >= rn
				l, rr = rr, l
				op = map[string]string{">=": "<=", ">": "<", "=": "=", "<=": ">=", "<": ">"}[op]
			}
			if n, ok := intLit(rr); ok && isRn(l) {
				switch op {
				case "<=":
					upper(n)
					continue
				case "<":
					upper(n - 1)
					continue
				case "=":
					upper(n)
					if n == 1 {
						continue
					}
				}
			}
		}
		rest = append(rest, c)
	}
	if limit <= 0 {
		return nil, nil, errAt(p.at, "ROW_NUMBER() needs WHERE %s <= N (N >= 1), %s = N or %s BETWEEN M AND N in the enclosing query (Top-N and deduplication)", rnName, rnName, rnName)
	}
	// The rank numbers are output when anything but the consumed bounds
	// reads rn: a SELECT item, a remaining condition, GROUP BY, HAVING.
	rnUsed := false
	uses := func(e ast.Expr) {
		walk(e, func(x ast.Expr) bool {
			if isRn(x) {
				rnUsed = true
			}
			return true
		})
	}
	for _, it := range sel.Items {
		if it.Star {
			rnUsed = true
		}
		uses(it.Expr)
	}
	for _, e := range rest {
		uses(e)
	}
	for _, e := range sel.GroupBy {
		uses(e)
	}
	uses(sel.Having)
	in := p.input
	var out *rel
	rnCol := -1 // rank number column in the operator's output
	var timeOrder bool
	if len(p.order) == 1 {
		tf := in.fields[p.order[0].Col]
		timeOrder = tf.time != noTime
	}
	win := windowPartition(in, p.partition)
	switch {
	case limit == 1 && timeOrder && win == nil:
		o := p.order[0]
		tf := in.fields[o.Col]
		spec := exec.DedupSpec{KeepLast: o.Desc, TimeCol: o.Col, RowTime: tf.time == rowTime, GenerateUpdateBefore: true, Schema: in.schema()}
		if tf.time == procTime {
			spec.TimeCol = -1
		}
		mode := connector.Retract
		if !o.Desc && tf.time == procTime {
			mode = connector.InsertOnly
		}
		if in.mode != connector.InsertOnly {
			return nil, nil, errAt(p.at, "deduplication needs an insert-only input, but its input is a %s changelog", in.mode)
		}
		// State TTL as Flink's deduplication: the input's STATE_TTL hint,
		// else table.exec.state.ttl.
		if spec.StateTTL = b.hintTTL(in); spec.StateTTL <= 0 {
			var err error
			if spec.StateTTL, err = b.stateTTL(); err != nil {
				return nil, nil, errAt(p.at, "'table.exec.state.ttl': %v", err)
			}
		}
		keyed := b.keyBy(in, p.partition)
		keep := "FirstRow"
		if o.Desc {
			keep = "LastRow"
		}
		if err := spec.Validate(); err != nil {
			return nil, nil, errAt(p.at, "%v", err)
		}
		name := b.opName("Deduplicate")
		s := keyed.s.Process(name, exec.Dedup(spec)).Main()
		out = &rel{keyed: keyed.keyed, fields: in.fields, mode: mode, s: s, node: nodeOf(fmt.Sprintf("Deduplicate(keep=[%s], key=[%s], order=[%s])", keep, strings.Join(colNames(in, p.partition), ", "), strings.ToUpper(timeName(tf.time))), mode, keyed.node)}
		// One row per partition key: its unique key (a versioned view's
		// primary key).
		out.upsertKeys = append([]int(nil), p.partition...)
	case win != nil:
		if in.mode != connector.InsertOnly {
			return nil, nil, errAt(p.at, "a window Top-N needs an insert-only input")
		}
		var part []int
		for _, c := range p.partition {
			if c != win[0] && c != win[1] {
				part = append(part, c)
			}
		}
		spec := exec.WindowRankSpec{PartitionKeys: part, WindowStartCol: win[0], WindowEndCol: win[1], Limit: limit, OutputRankNumber: rnUsed,
			UniqueKey: in.windowKeys}
		for _, o := range p.order {
			spec.Order = append(spec.Order, exec.WindowSortKey{Col: o.Col, Desc: o.Desc, NullsLast: o.NullsLast})
		}
		// Windows of a TIMESTAMP_LTZ attribute: their bounds are local
		// times of the session zone, which the operator needs to fire.
		for _, f := range in.fields {
			if strings.EqualFold(f.name, "window_time") && f.typ.Kind == row.KindTimestampLTZ {
				spec.Loc = b.p.Env.Loc
			}
		}
		if in.fields[win[1]].bound.ltz() {
			spec.Loc = b.p.Env.Loc
		}
		// Window dedup keeping the last row: equal times rank the latest
		// arrival first, as Flink (its WindowDeduplicate keeps a row at
		// an equal rowtime). The order is the TVF's time column, a plain
		// timestamp after the TVF, or a time attribute.
		if limit == 1 && len(p.order) == 1 && p.order[0].Desc && orderedInTime(in.fields[p.order[0].Col]) {
			spec.LastOnTies = true
		}
		keyed := b.keyBy(in, p.partition)
		if err := spec.Validate(); err != nil {
			return nil, nil, errAt(p.at, "%v", err)
		}
		name := b.opName("WindowRank")
		s := keyed.s.Process(name, exec.WindowRank(spec)).Main()
		fields := append([]field(nil), in.fields...)
		if rnUsed {
			rnCol = len(fields)
			fields = append(fields, field{name: rnName, typ: row.BigIntType.WithNotNull(true)})
		}
		out = &rel{keyed: keyed.keyed, fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(fmt.Sprintf("WindowRank(rankRange=[rankStart=1, rankEnd=%d], %s)", limit, p.text), connector.InsertOnly, keyed.node)}
	default:
		keyed := b.keyBy(in, p.partition)
		spec := exec.RankSpec{PartitionKeys: p.partition, Order: p.order, Limit: limit, OutputRankNumber: rnUsed, InputAppendOnly: in.mode == connector.InsertOnly, Schema: in.schema()}
		if err := spec.Validate(); err != nil {
			return nil, nil, errAt(p.at, "%v", err)
		}
		name := b.opName("Rank")
		s := keyed.s.Process(name, exec.Rank(spec)).Main()
		fields := append([]field(nil), in.fields...)
		if rnUsed {
			rnCol = len(fields)
			fields = append(fields, field{name: rnName, typ: row.BigIntType.WithNotNull(true)})
		}
		strategy := "RetractStrategy"
		if in.mode == connector.InsertOnly {
			strategy = "AppendFastStrategy"
		}
		out = &rel{keyed: keyed.keyed, fields: fields, mode: connector.Retract, s: s, node: nodeOf(fmt.Sprintf("Rank(strategy=[%s], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=%d], %s, select=[%s])", strategy, limit, p.text, strings.Join(in.names()[:p.visible], ", ")), connector.Retract, keyed.node)}
	}
	// Put rn back where the SELECT had it and drop the hidden keys.
	items := make([]calcItem, 0, p.visible+1)
	for i := 0; i < p.visible; i++ {
		items = append(items, passThrough(out, i))
	}
	var rnItem calcItem
	if rnCol >= 0 {
		rnItem = passThrough(out, rnCol)
	} else {
		one := row.BigInt(1)
		rnItem = calcItem{src: -1, c: &expr.Compiled{Type: row.BigIntType.WithNotNull(true), Const: true, Eval: func(*row.Row) (row.Value, error) { return one, nil }}, name: rnName, text: "1 AS " + quoteIdent(rnName)}
	}
	rnItem.name = rnName
	items = append(items[:p.rnPos], append([]calcItem{rnItem}, items[p.rnPos:]...)...)
	identity := len(items) == len(out.fields) && rnCol == p.rnPos
	final := out
	if !identity {
		final = b.calc(out, nil, nil, items)
	}
	// The columns keep the qualifier the FROM gave the ranked query
	// (t.rn, t.* of "(SELECT ..., ROW_NUMBER() ...) t").
	fields := slices.Clone(final.fields)
	for i := range fields {
		if i < len(r.fields) {
			fields[i].qual = r.fields[i].qual
		}
	}
	copied := *final
	copied.fields = fields
	return &copied, and(rest), nil
}

func colNames(r *rel, cols []int) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = quoteIdent(r.fields[c].name)
	}
	return out
}

func timeName(t timeAttr) string {
	if t == procTime {
		return "proctime"
	}
	return "rowtime"
}

// orderedInTime: f is a time attribute, or the one a window TVF read.
func orderedInTime(f field) bool { return f.time != noTime || f.tvfTime }

// windowPartition returns the window_start and window_end columns when
// the partition holds both (a window Top-N / dedup), told by where they
// come from, not their names: the SELECT may rename them or leave them
// out (then they are hidden partition keys).
func windowPartition(r *rel, part []int) []int {
	s, e := -1, -1
	for _, c := range part {
		switch b := r.fields[c].bound; {
		case b.isStart():
			s = c
		case b.isEnd():
			e = c
		}
	}
	if s < 0 || e < 0 {
		return nil
	}
	return []int{s, e}
}

// orderColumn is the output column an ORDER BY item sorts by: a column
// by name, a position (ORDER BY 2, as Flink's conformance allows), or an
// expression of the SELECT (ORDER BY SUM(v) for the item SUM(v) AS s).
func orderColumn(q *ast.Query, e ast.Expr, r *rel) (int, error) {
	switch x := unparen(e).(type) {
	case *ast.ColumnRef:
		idx, _, err := expr.ResolveColumn(x, r.columns())
		return idx, err
	case *ast.Literal:
		if x.Kind == ast.IntLit {
			n, err := strconv.Atoi(x.Text)
			if err != nil || n < 1 || n > len(r.fields) {
				return 0, errAt(e, "Ordinal out of range: ORDER BY %s, the query has %d columns", x.Text, len(r.fields))
			}
			return n - 1, nil
		}
	}
	if sel, ok := q.Body.(*ast.Select); ok {
		canon := func(e ast.Expr) string {
			return ast.FormatCanonical(e, func(c *ast.ColumnRef) (string, bool) {
				return strings.ToLower(lastPart(c)), true
			})
		}
		want := canon(e)
		pos := 0
		for _, it := range sel.Items {
			if it.Star {
				pos = -1 // positions unknown past a *
				break
			}
			if canon(it.Expr) == want && pos < len(r.fields) {
				return pos, nil
			}
			pos++
		}
	}
	return 0, errAt(e, "ORDER BY takes output columns, their positions (ORDER BY 2) or expressions of the SELECT list")
}

// orderLimit plans a query's ORDER BY / LIMIT: ORDER BY ... LIMIT n is a
// global Top-N (Flink's SortLimit on a stream); ORDER BY alone is
// allowed on an ascending time attribute only (a stream is in time order).
func (b *builder) orderLimit(q *ast.Query, r *rel) (*rel, error) {
	var err error
	if r, err = b.materialize(r); err != nil {
		return nil, err
	}
	if q.Offset != nil {
		return nil, errAt(q.Offset, "OFFSET is not supported on streams")
	}
	var order []exec.SortKey
	for _, o := range q.OrderBy {
		idx, err := orderColumn(q, o.Expr, r)
		if err != nil {
			return nil, err
		}
		nullsLast := o.Desc
		if o.NullsFirst != nil {
			nullsLast = !*o.NullsFirst
		}
		order = append(order, exec.SortKey{Col: idx, Desc: o.Desc, NullsLast: nullsLast})
	}
	if q.Limit == nil {
		if len(order) > 0 && r.fields[order[0].Col].time != noTime && !order[0].Desc {
			return r, nil
		}
		return nil, errAt(q.OrderBy[0].Expr, "sort on a stream must be on an ascending time attribute, or come with a LIMIT (Top-N)")
	}
	l, ok := unparen(q.Limit).(*ast.Literal)
	if !ok || l.Kind != ast.IntLit {
		return nil, errAt(q.Limit, "LIMIT takes an integer literal")
	}
	n, err := strconv.ParseInt(l.Text, 10, 64)
	if err != nil || n < 1 {
		return nil, errAt(q.Limit, "LIMIT must be at least 1")
	}
	if len(order) == 0 {
		// LIMIT alone: the first n rows to arrive (arrival order).
		return nil, errAt(q.Limit, "LIMIT without ORDER BY is not supported on streams yet")
	}
	keyed := b.keyBy(r, nil)
	spec := exec.RankSpec{Order: order, Limit: n, InputAppendOnly: r.mode == connector.InsertOnly, Schema: r.schema()}
	if err := spec.Validate(); err != nil {
		return nil, errAt(q.Limit, "%v", err)
	}
	name := b.opName("SortLimit")
	s := keyed.s.Process(name, exec.Rank(spec)).Main()
	return &rel{fields: r.fields, mode: connector.Retract, s: s, node: nodeOf(fmt.Sprintf("SortLimit(orderBy=[%s], fetch=[%d])", strings.Join(colNames(r, sortCols(order)), ", "), n), connector.Retract, keyed.node)}, nil
}

func sortCols(o []exec.SortKey) []int {
	out := make([]int, len(o))
	for i, k := range o {
		out[i] = k.Col
	}
	return out
}
