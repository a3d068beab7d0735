package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
)

// joinKind maps the syntax's join kind to the operator's.
func joinKind(k ast.JoinKind) (exec.JoinType, bool) {
	switch k {
	case ast.InnerJoin, ast.CommaJoin, ast.CrossJoin:
		return exec.InnerJoin, true
	case ast.LeftJoin:
		return exec.LeftJoin, true
	case ast.RightJoin:
		return exec.RightJoin, true
	case ast.FullJoin:
		return exec.FullJoin, true
	}
	return 0, false
}

// tableJoin plans a join of two relations: a lookup or event-time
// temporal join (FOR SYSTEM_TIME AS OF), a window join (both sides
// windows joined on window_start and window_end), an interval join (time
// bounds between two time attributes in ON) or a regular join.
func (b *builder) tableJoin(x *ast.Join, env *ctes, where ast.Expr) (*rel, error) {
	jt, ok := joinKind(x.Kind)
	if !ok {
		return nil, errAt(x, "unsupported join kind %s", x.Kind)
	}
	on := x.On
	if x.Kind == ast.CommaJoin || x.Kind == ast.CrossJoin {
		on = where // FROM a, b WHERE a.k = b.k: the WHERE is the join condition
	}
	if len(x.Using) > 0 {
		return nil, errAt(x, "JOIN ... USING is not supported yet: write ON a.c = b.c")
	}
	left, err := b.leftOf(x, env)
	if err != nil {
		return nil, err
	}
	if tr, ok := x.Right.(*ast.TableRef); ok && tr.ForSystemTime != nil {
		return b.versionedJoin(x, jt, left, tr, on, env)
	}
	right, err := b.from(x.Right, env)
	if err != nil {
		return nil, err
	}
	if right, err = b.materialize(right); err != nil {
		return nil, err
	}
	if on == nil {
		return nil, errAt(x, "a join of two streams needs an equality condition (a cross join of unbounded streams keeps everything forever)")
	}
	eq, rest, err := b.equiKeys(on, left, right)
	if err != nil {
		return nil, err
	}
	if len(eq) == 0 {
		return nil, errAt(on, "a join of two streams needs at least one equality between the two sides in its condition")
	}
	if iv, rest2, ok, err := b.intervalBounds(rest, left, right); err != nil {
		return nil, err
	} else if ok {
		return b.intervalJoin(x, jt, left, right, eq, iv, rest2)
	}
	if ws, we, ok := windowKeys(eq, left, right); ok {
		return b.windowJoin(x, jt, left, right, eq, ws, we, rest)
	}
	return b.regularJoin(x, jt, left, right, eq, rest)
}

// equiPair is one left = right equality of a join condition.
type equiPair struct {
	l, r ast.Expr
	text string
	// nullSafe: l IS NOT DISTINCT FROM r (or Calcite's expansion of it,
	// l = r OR (l IS NULL AND r IS NULL)): NULL meets NULL.
	nullSafe bool
	cond     ast.Expr // the conjunct
}

// nullSafeFlags are the pairs' JoinSpec.NullSafe (nil when all are `=`).
func nullSafeFlags(eq []equiPair) []bool {
	var out []bool
	for i, p := range eq {
		if p.nullSafe && out == nil {
			out = make([]bool, len(eq))
		}
		if out != nil {
			out[i] = p.nullSafe
		}
	}
	return out
}

// withoutNullSafe moves null-safe pairs into the rest of the condition,
// for joins whose keys are lookups (NULL finds nothing): evaluated on the
// joined row, as before they were keys.
func withoutNullSafe(eq []equiPair, rest []ast.Expr) ([]equiPair, []ast.Expr) {
	var out []equiPair
	for _, p := range eq {
		if p.nullSafe {
			rest = append(rest, p.cond)
			continue
		}
		out = append(out, p)
	}
	return out, rest
}

// sideOf tells which side a join-condition expression reads: 1 left only,
// 2 right only, 3 both, 0 neither (a constant).
func sideOf(e ast.Expr, left, right *rel) int {
	side := 0
	walk(e, func(x ast.Expr) bool {
		ref, ok := x.(*ast.ColumnRef)
		if !ok {
			return true
		}
		if _, _, err := expr.ResolveColumn(ref, left.columns()); err == nil {
			side |= 1
		} else if _, _, err := expr.ResolveColumn(ref, right.columns()); err == nil {
			side |= 2
		} else {
			side |= 3 // unknown: let the compiler report it on the joined row
		}
		return false
	})
	return side
}

// equiKeys splits the condition into left = right equalities and the rest.
func (b *builder) equiKeys(on ast.Expr, left, right *rel) ([]equiPair, []ast.Expr, error) {
	var eq []equiPair
	var rest []ast.Expr
	for _, c := range conjuncts(on) {
		if l, r, nullSafe, ok := equality(c); ok {
			ls, rs := sideOf(l, left, right), sideOf(r, left, right)
			switch {
			case ls == 1 && rs == 2:
				eq = append(eq, equiPair{l: l, r: r, text: ast.Format(c), nullSafe: nullSafe, cond: c})
				continue
			case ls == 2 && rs == 1:
				eq = append(eq, equiPair{l: r, r: l, text: ast.Format(c), nullSafe: nullSafe, cond: c})
				continue
			}
		}
		rest = append(rest, c)
	}
	return eq, rest, nil
}

// equality reads a join condition's conjunct as an equality of two
// expressions: a = b, a IS NOT DISTINCT FROM b (null-safe), or
// a = b OR (a IS NULL AND b IS NULL) (null-safe, as Calcite reads it).
func equality(c ast.Expr) (l, r ast.Expr, nullSafe, ok bool) {
	switch x := unparen(c).(type) {
	case *ast.Binary:
		if x.Op == "=" {
			return x.L, x.R, false, true
		}
		if !strings.EqualFold(x.Op, "OR") {
			return nil, nil, false, false
		}
		for _, p := range [][2]ast.Expr{{x.L, x.R}, {x.R, x.L}} {
			eq, ok1 := unparen(p[0]).(*ast.Binary)
			both, ok2 := unparen(p[1]).(*ast.Binary)
			if !ok1 || !ok2 || eq.Op != "=" || !strings.EqualFold(both.Op, "AND") {
				continue
			}
			a, okA := unparen(both.L).(*ast.IsNull)
			b, okB := unparen(both.R).(*ast.IsNull)
			if !okA || !okB || a.Not || b.Not {
				continue
			}
			fe, fl, fr := ast.Format(eq.L), ast.Format(a.X), ast.Format(b.X)
			fq := ast.Format(eq.R)
			if fl == fe && fr == fq || fl == fq && fr == fe {
				return eq.L, eq.R, true, true
			}
		}
	case *ast.IsDistinct:
		if x.Not {
			return x.L, x.R, true, true
		}
	}
	return nil, nil, false, false
}

// keyColumns makes the key expressions columns of r: plain columns are
// used as they are, others appended by a Calc. It returns the relation
// and the key columns.
func (b *builder) keyColumns(r *rel, es []ast.Expr) (*rel, []int, error) {
	cols := make([]int, len(es))
	var extra []calcItem
	for i, e := range es {
		if ref, ok := unparen(e).(*ast.ColumnRef); ok {
			if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
				cols[i] = idx
				continue
			}
		}
		c, err := b.compile(e, r, nil)
		if err != nil {
			return nil, nil, err
		}
		cols[i] = len(r.fields) + len(extra)
		extra = append(extra, calcItem{src: -1, c: c, name: fmt.Sprintf("$j%d", len(extra)), text: ast.Format(e)})
	}
	if len(extra) == 0 {
		return r, cols, nil
	}
	items := make([]calcItem, 0, len(r.fields)+len(extra))
	for i := range r.fields {
		items = append(items, passThrough(r, i))
	}
	return b.calc(r, nil, nil, append(items, extra...)), cols, nil
}

// keyColumnsAs is keyColumns with each key cast to a type (a lookup key
// in the looked-up column's type).
func (b *builder) keyColumnsAs(r *rel, es []ast.Expr, types []row.Type) (*rel, []int, error) {
	cols := make([]int, len(es))
	var extra []calcItem
	for i, e := range es {
		c, err := b.compile(e, r, nil)
		if err != nil {
			return nil, nil, err
		}
		if ref, ok := unparen(e).(*ast.ColumnRef); ok && c.Type.WithNotNull(false).Equal(types[i].WithNotNull(false)) {
			if idx, path, err := expr.ResolveColumn(ref, r.columns()); err == nil && len(path) == 0 {
				cols[i] = idx
				continue
			}
		}
		text := ast.Format(e)
		if !c.Type.WithNotNull(false).Equal(types[i].WithNotNull(false)) {
			cast, err := expr.CastFunc(c.Type, types[i], false, b.p.Env)
			if err != nil {
				return nil, nil, errAt(e, "lookup key %s is %s, the looked-up column is %s: %v", text, c.Type, types[i], err)
			}
			eval := c.Eval
			c = &expr.Compiled{Type: types[i], Eval: func(rr *row.Row) (row.Value, error) {
				v, err := eval(rr)
				if err != nil || v.IsNull() {
					return v, err
				}
				return cast(v)
			}}
			text = fmt.Sprintf("CAST(%s AS %s)", text, types[i])
		}
		cols[i] = len(r.fields) + len(extra)
		extra = append(extra, calcItem{src: -1, c: c, name: fmt.Sprintf("$j%d", len(extra)), text: text})
	}
	if len(extra) == 0 {
		return r, cols, nil
	}
	items := make([]calcItem, 0, len(r.fields)+len(extra))
	for i := range r.fields {
		items = append(items, passThrough(r, i))
	}
	return b.calc(r, nil, nil, append(items, extra...)), cols, nil
}

// joinedFields are the output columns of a join (left then right); keep
// trims helper key columns a side got.
//
// The side an outer join pads with NULLs has nullable columns (a NOT NULL
// window_start of the right side is NULL in a LEFT join's unmatched rows,
// and COALESCE must not skip it).
func joinedFields(jt exec.JoinType, left, right *rel, nl, nr int) []field {
	out := make([]field, 0, nl+nr)
	out = append(out, left.fields[:nl]...)
	out = append(out, right.fields[:nr]...)
	padLeft := jt == exec.RightJoin || jt == exec.FullJoin
	padRight := jt == exec.LeftJoin || jt == exec.FullJoin
	for i := range out {
		if i < nl && padLeft || i >= nl && padRight {
			out[i].typ = out[i].typ.WithNotNull(false)
		}
	}
	return out
}

// residual compiles the rest of the condition over the joined row.
func (b *builder) residual(rest []ast.Expr, fields []field) (func(*row.Row) (bool, error), string, error) {
	cond := and(rest)
	if cond == nil {
		return nil, "", nil
	}
	cols := make([]expr.Column, len(fields))
	for i, f := range fields {
		cols[i] = expr.Column{Qualifier: f.qual, Name: f.name, Type: f.typ}
	}
	fn, err := expr.CompileFilter(cond, &expr.Scope{Columns: cols, Env: b.p.Env})
	if err != nil {
		return nil, "", err
	}
	return fn, ast.Format(cond), nil
}

// dropHelpers removes key columns the sides got for the join (a Calc
// over the join's output), keeping the qualifiers.
func (b *builder) dropHelpers(out *rel, left, right *rel, nl, nr int) *rel {
	if nl == len(left.fields) && nr == len(right.fields) {
		return out
	}
	var items []calcItem
	for i := 0; i < nl; i++ {
		items = append(items, passThrough(out, i))
	}
	for i := 0; i < nr; i++ {
		items = append(items, passThrough(out, len(left.fields)+i))
	}
	return b.calc(out, nil, nil, items)
}

// keyedSides computes both sides' key columns of the equalities (a Calc
// appends those that are expressions) and checks they can meet: equal
// values must encode to equal keys.
func (b *builder) keyedSides(x ast.Node, left, right *rel, eq []equiPair) (l *rel, lk []int, r *rel, rk []int, texts []string, err error) {
	ls, rs, texts := sideKeys(eq)
	l, lk, r, rk, err = b.joinKeys(x, left, ls, right, rs)
	return
}

// joinKeys computes both sides' key columns, numeric keys of different
// types cast to their common type on both sides (INT = BIGINT meets as
// BIGINT, DECIMAL(10, 2) = DECIMAL(12, 2) as DECIMAL(12, 2)), as Flink
// widens them: equal values must encode to equal keys.
func (b *builder) joinKeys(x ast.Node, left *rel, ls []ast.Expr, right *rel, rs []ast.Expr) (l *rel, lk []int, r *rel, rk []int, err error) {
	types := make([]row.Type, len(ls))
	widen := false
	for i := range ls {
		lc, err := b.compile(ls[i], left, nil)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		rc, err := b.compile(rs[i], right, nil)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		lt, rt := lc.Type.WithNotNull(false), rc.Type.WithNotNull(false)
		types[i] = lt
		if !lt.Equal(rt) && lt.IsNumeric() && rt.IsNumeric() {
			if t, ok := expr.CommonType(lt, rt); ok {
				types[i], widen = t.WithNotNull(false), true
			}
		}
	}
	if widen {
		if l, lk, err = b.keyColumnsAs(left, ls, types); err != nil {
			return
		}
		if r, rk, err = b.keyColumnsAs(right, rs, types); err != nil {
			return
		}
	} else {
		if l, lk, err = b.keyColumns(left, ls); err != nil {
			return
		}
		if r, rk, err = b.keyColumns(right, rs); err != nil {
			return
		}
	}
	err = checkKeyTypes(x, l, lk, r, rk)
	return
}

func sideKeys(eq []equiPair) (ls, rs []ast.Expr, texts []string) {
	for _, p := range eq {
		ls = append(ls, p.l)
		rs = append(rs, p.r)
		texts = append(texts, p.text)
	}
	return
}

// regularJoin plans a join of two streams on equality keys: both sides
// shuffled by their keys into one two-input operator keeping both sides
// in state (Flink's StreamingJoin), with a retracting output for outer
// joins and updating inputs.
func (b *builder) regularJoin(x *ast.Join, jt exec.JoinType, left, right *rel, eq []equiPair, rest []ast.Expr) (*rel, error) {
	nl, nr := len(left.fields), len(right.fields)
	l, lk, r, rk, texts, err := b.keyedSides(x, left, right, eq)
	if err != nil {
		return nil, err
	}
	fields := joinedFields(jt, l, r, len(l.fields), len(r.fields))
	for i := range fields {
		fields[i].time = noTime // a regular join's output has no time attribute
	}
	cond, condText, err := b.residual(rest, fields)
	if err != nil {
		return nil, err
	}
	spec := exec.JoinSpec{Type: jt, LeftSchema: l.schema(), RightSchema: r.schema(), Cond: cond, NullSafe: nullSafeFlags(eq),
		LeftUniqueKey: l.upsertKeys, RightUniqueKey: r.upsertKeys, LeftKeys: lk, RightKeys: rk}
	if ttl, err := b.stateTTL(); err != nil {
		return nil, errAt(x, "%v", err)
	} else {
		spec.StateTTL = ttl
	}
	spec.SideTTL = [2]time.Duration{b.hintTTL(left), b.hintTTL(right)}
	spec.EventTimeTTL = strings.EqualFold(b.p.Options["table.exec.state.ttl.event-time"], "true")
	if err := spec.Validate(); err != nil {
		return nil, errAt(x, "%v", err)
	}
	lkeyed, rkeyed := b.keyBy(l, lk), b.keyBy(r, rk)
	name := b.opName("Join")
	s := stream.Connect(name, exec.Join(spec), lkeyed.s, rkeyed.s).Main()
	mode := connector.Retract
	if jt == exec.InnerJoin && l.mode == connector.InsertOnly && r.mode == connector.InsertOnly {
		mode = connector.InsertOnly
	}
	text := fmt.Sprintf("Join(joinType=[%s], where=[%s], select=[%s])", jt, strings.Join(append(texts, condText), " AND "), strings.Join(fieldNames(fields), ", "))
	text = strings.Replace(text, " AND ]", "]", 1)
	switch {
	case spec.SideTTL != [2]time.Duration{}:
		ttl := func(s int) string {
			if d := spec.TTL(s); d > 0 {
				return d.String()
			}
			return "none"
		}
		text = strings.TrimSuffix(text, ")") + fmt.Sprintf(", leftStateTtl=[%s], rightStateTtl=[%s])", ttl(0), ttl(1))
	case spec.StateTTL > 0:
		text = strings.TrimSuffix(text, ")") + fmt.Sprintf(", stateTtl=[%s])", spec.StateTTL)
	}
	out := &rel{fields: fields, mode: mode, s: s, node: nodeOf(text, mode, lkeyed.node, rkeyed.node), keyed: append([]int{}, lk...)}
	return b.dropHelpers(out, l, r, nl, nr), nil
}

func fieldNames(fs []field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = quoteIdent(f.name)
	}
	return out
}

func checkKeyTypes(at ast.Node, l *rel, lk []int, r *rel, rk []int) error {
	for i := range lk {
		lt, rt := l.fields[lk[i]].typ, r.fields[rk[i]].typ
		if lt.WithNotNull(false).Equal(rt.WithNotNull(false)) {
			continue
		}
		if (lt.IsNumeric() && rt.IsNumeric()) || (lt.IsString() && rt.IsString()) {
			// Keys must encode identically to meet: equal kinds only.
			if lt.Kind == rt.Kind && lt.Kind != row.KindDecimal {
				continue
			}
		}
		return errAt(at, "join keys %s (%s) and %s (%s) have different types: CAST one side so both are the same type", l.fields[lk[i]].name, lt, r.fields[rk[i]].name, rt)
	}
	return nil
}

// stateTTL is table.exec.state.ttl.
func (b *builder) stateTTL() (time.Duration, error) {
	v := b.p.Options["table.exec.state.ttl"]
	if v == "" {
		return 0, nil
	}
	return parseDuration(v)
}

// interval is right.t - left.t in [lo, hi] between two time attributes.
type interval struct {
	lt, rt int
	lo, hi time.Duration
	text   string
}

// intervalBounds finds time bounds between a time attribute of each side
// among the non-equi conjuncts: l.t BETWEEN r.t - a AND r.t + b, or
// l.t >= r.t - a AND l.t <= r.t + b (either side first, < and > one
// millisecond tighter, as Flink).
func (b *builder) intervalBounds(rest []ast.Expr, left, right *rel) (*interval, []ast.Expr, bool, error) {
	iv := &interval{lt: -1, rt: -1}
	haveLo, haveHi := false, false
	var others []ast.Expr
	// timeTerm reads "col", "col + INTERVAL", "col - INTERVAL": side 1/2,
	// the column, the offset.
	timeTerm := func(e ast.Expr) (int, int, time.Duration, bool) {
		e = unparen(e)
		var off time.Duration
		if bin, ok := e.(*ast.Binary); ok && (bin.Op == "+" || bin.Op == "-") {
			ivl, ok := unparen(bin.R).(*ast.IntervalLiteral)
			if !ok {
				return 0, 0, 0, false
			}
			d, err := intervalDuration(ivl)
			if err != nil {
				return 0, 0, 0, false
			}
			if bin.Op == "-" {
				d = -d
			}
			off, e = d, unparen(bin.L)
		}
		ref, ok := e.(*ast.ColumnRef)
		if !ok {
			return 0, 0, 0, false
		}
		if idx, path, err := expr.ResolveColumn(ref, left.columns()); err == nil && len(path) == 0 && left.fields[idx].time != noTime {
			return 1, idx, off, true
		}
		if idx, path, err := expr.ResolveColumn(ref, right.columns()); err == nil && len(path) == 0 && right.fields[idx].time != noTime {
			return 2, idx, off, true
		}
		return 0, 0, 0, false
	}
	// bound records a op b, op one of <=, <, >=, >.
	bound := func(a ast.Expr, op string, c ast.Expr) bool {
		sa, ca, oa, ok1 := timeTerm(a)
		sc, cc, oc, ok2 := timeTerm(c)
		if !ok1 || !ok2 || sa == sc {
			return false
		}
		// Normalize to right.t - left.t  op'  k.
		var k time.Duration
		if sa == 1 { // l + oa op r + oc  =>  r - l  op~  oa - oc
			k = oa - oc
			op = map[string]string{"<=": ">=", "<": ">", ">=": "<=", ">": "<"}[op]
			if iv.lt >= 0 && iv.lt != ca || iv.rt >= 0 && iv.rt != cc {
				return false
			}
			iv.lt, iv.rt = ca, cc
		} else { // r + oa op l + oc  =>  r - l op oc - oa
			k = oc - oa
			if iv.lt >= 0 && iv.lt != cc || iv.rt >= 0 && iv.rt != ca {
				return false
			}
			iv.lt, iv.rt = cc, ca
		}
		switch op {
		case ">=":
			iv.lo, haveLo = k, true
		case ">":
			iv.lo, haveLo = k+time.Millisecond, true
		case "<=":
			iv.hi, haveHi = k, true
		case "<":
			iv.hi, haveHi = k-time.Millisecond, true
		}
		return true
	}
	var texts []string
	for _, c := range rest {
		switch x := unparen(c).(type) {
		case *ast.Between:
			if !x.Not && !x.Symmetric && bound(x.X, ">=", x.Lo) && bound(x.X, "<=", x.Hi) {
				texts = append(texts, ast.Format(c))
				continue
			}
		case *ast.Binary:
			switch x.Op {
			case "<=", "<", ">=", ">":
				if bound(x.L, x.Op, x.R) {
					texts = append(texts, ast.Format(c))
					continue
				}
			}
		}
		others = append(others, c)
	}
	if !haveLo || !haveHi {
		// One bound (or none) between time attributes: not an interval
		// join. As Flink, the join is then a regular join with the time
		// conditions applied to its joined rows (Nexmark q4, q9:
		// B.dateTime BETWEEN A.dateTime AND A.expires, where expires is
		// no time attribute).
		return nil, rest, false, nil
	}
	if iv.lo > iv.hi {
		return nil, nil, false, errAt(rest[0], "the interval join's time bounds are empty")
	}
	if (left.fields[iv.lt].time == procTime) != (right.fields[iv.rt].time == procTime) {
		return nil, nil, false, errAt(rest[0], "an interval join compares two event-time attributes or two processing-time attributes")
	}
	iv.text = strings.Join(texts, " AND ")
	return iv, others, true, nil
}

// intervalJoin plans a join whose condition bounds the two sides' times:
// state is kept only while a row can still match.
func (b *builder) intervalJoin(x *ast.Join, jt exec.JoinType, left, right *rel, eq []equiPair, iv *interval, rest []ast.Expr) (*rel, error) {
	if left.mode != connector.InsertOnly || right.mode != connector.InsertOnly {
		return nil, errAt(x, "an interval join needs insert-only inputs")
	}
	nl, nr := len(left.fields), len(right.fields)
	l, lk, r, rk, texts, err := b.keyedSides(x, left, right, eq)
	if err != nil {
		return nil, err
	}
	fields := joinedFields(jt, l, r, len(l.fields), len(r.fields))
	for i := len(l.fields); i < len(fields); i++ {
		// Both sides' rowtimes stay time attributes, as in Flink: the join
		// holds the watermark after it back by its bounds
		// (exec.IntervalJoin's WatermarkHold). A processing time is the
		// left side's.
		if fields[i].time != rowTime {
			fields[i].time = noTime
		}
	}
	cond, condText, err := b.residual(rest, fields)
	if err != nil {
		return nil, err
	}
	spec := exec.IntervalJoinSpec{Type: jt, LeftSchema: l.schema(), RightSchema: r.schema(), LeftTimeCol: iv.lt, RightTimeCol: iv.rt, Lower: iv.lo, Upper: iv.hi, Cond: cond, LeftKeys: lk, RightKeys: rk, NullSafe: nullSafeFlags(eq)}
	if left.fields[iv.lt].time == procTime {
		spec.LeftTimeCol, spec.RightTimeCol = -1, -1
	}
	if err := spec.Validate(); err != nil {
		return nil, errAt(x, "%v", err)
	}
	lkeyed, rkeyed := b.keyBy(l, lk), b.keyBy(r, rk)
	name := b.opName("IntervalJoin")
	s := stream.Connect(name, exec.IntervalJoin(spec), lkeyed.s, rkeyed.s).Main()
	where := strings.Join(append(texts, iv.text), " AND ")
	if condText != "" {
		where += " AND " + condText
	}
	text := fmt.Sprintf("IntervalJoin(joinType=[%s], windowBounds=[leftTime=%s, rightTime=%s, rightLower=%s, rightUpper=%s], where=[%s])",
		jt, quoteIdent(l.fields[iv.lt].name), quoteIdent(r.fields[iv.rt].name), iv.lo, iv.hi, where)
	out := &rel{fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(text, connector.InsertOnly, lkeyed.node, rkeyed.node), keyed: append([]int{}, lk...)}
	return b.dropHelpers(out, l, r, nl, nr), nil
}

// windowKeys finds window_start and window_end equalities between two
// windowed sides (a window join): columns that are a window's bounds,
// told by where they come from, not their names (Flink's window
// properties follow aliases: Nexmark q8 joins starttime and endtime).
// Both sides must be insert-only (a GROUP BY over windows keeps the
// markers but updates).
func windowKeys(eq []equiPair, left, right *rel) (int, int, bool) {
	if left.mode != connector.InsertOnly || right.mode != connector.InsertOnly {
		return 0, 0, false
	}
	bound := func(e ast.Expr, r *rel) windowBound {
		ref, ok := unparen(e).(*ast.ColumnRef)
		if !ok {
			return noBound
		}
		idx, path, err := expr.ResolveColumn(ref, r.columns())
		if err != nil || len(path) > 0 {
			return noBound
		}
		return r.fields[idx].bound
	}
	ws, we := -1, -1
	for i, p := range eq {
		lb, rb := bound(p.l, left), bound(p.r, right)
		switch {
		case lb.isStart() && rb.isStart():
			ws = i
		case lb.isEnd() && rb.isEnd():
			we = i
		}
	}
	return ws, we, ws >= 0 && we >= 0
}

// windowJoin plans a join of two windowed sides on their windows: each
// window's rows join when the window closes (insert-only output).
func (b *builder) windowJoin(x *ast.Join, jt exec.JoinType, left, right *rel, eq []equiPair, ws, we int, rest []ast.Expr) (*rel, error) {
	if left.mode != connector.InsertOnly || right.mode != connector.InsertOnly {
		return nil, errAt(x, "a window join needs insert-only inputs")
	}
	nl, nr := len(left.fields), len(right.fields)
	l, lk, r, rk, texts, err := b.keyedSides(x, left, right, eq)
	if err != nil {
		return nil, err
	}
	fields := joinedFields(jt, l, r, len(l.fields), len(r.fields))
	for i := len(l.fields); i < len(fields); i++ {
		fields[i].time = noTime
	}
	cond, condText, err := b.residual(rest, fields)
	if err != nil {
		return nil, err
	}
	spec := exec.WindowJoinSpec{Type: jt, LeftSchema: l.schema(), RightSchema: r.schema(), LeftWindowEnd: lk[we], RightWindowEnd: rk[we], Cond: cond, LeftKeys: lk, RightKeys: rk, NullSafe: nullSafeFlags(eq),
		LeftUniqueKey: l.windowKeys, RightUniqueKey: r.windowKeys}
	for _, f := range l.fields {
		if strings.EqualFold(f.name, "window_time") && f.typ.Kind == row.KindTimestampLTZ {
			spec.Loc = b.p.Env.Loc // window bounds are local times of an LTZ window
		}
	}
	if l.fields[lk[we]].bound.ltz() {
		spec.Loc = b.p.Env.Loc
	}
	if err := spec.Validate(); err != nil {
		return nil, errAt(x, "%v", err)
	}
	lkeyed, rkeyed := b.keyBy(l, lk), b.keyBy(r, rk)
	name := b.opName("WindowJoin")
	s := stream.Connect(name, exec.WindowJoin(spec), lkeyed.s, rkeyed.s).Main()
	where := strings.Join(texts, " AND ")
	if condText != "" {
		where += " AND " + condText
	}
	_ = ws
	text := fmt.Sprintf("WindowJoin(joinType=[%s], where=[%s])", jt, where)
	out := &rel{fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(text, connector.InsertOnly, lkeyed.node, rkeyed.node), keyed: append([]int{}, lk...)}
	return b.dropHelpers(out, l, r, nl, nr), nil
}

// versionedJoin plans JOIN t FOR SYSTEM_TIME AS OF left.time: a lookup
// join when the time is a processing-time attribute (the table is looked
// up at arrival), an event-time temporal join when it is the left side's
// rowtime (the version valid at that time).
func (b *builder) versionedJoin(x *ast.Join, jt exec.JoinType, left *rel, tr *ast.TableRef, on ast.Expr, env *ctes) (*rel, error) {
	if jt != exec.InnerJoin && jt != exec.LeftJoin {
		return nil, errAt(x, "FOR SYSTEM_TIME AS OF joins are INNER or LEFT joins")
	}
	if err := b.checkTableHints(tr.Hints); err != nil {
		return nil, err
	}
	ref, ok := unparen(tr.ForSystemTime).(*ast.ColumnRef)
	if !ok {
		return nil, errAt(tr.ForSystemTime, "FOR SYSTEM_TIME AS OF takes a time attribute of the left side (o.proc_time or o.order_time)")
	}
	ti, _, err := expr.ResolveColumn(ref, left.columns())
	if err != nil {
		return nil, err
	}
	parts := tr.Name.Names()
	path, err := b.qualify(parts)
	if err != nil {
		return nil, errAt(tr, "%v", err)
	}
	t, v, err := b.p.Catalog.Lookup(path)
	if err != nil {
		return nil, errAt(tr, "%v", err)
	}
	switch left.fields[ti].time {
	case procTime:
		if v != nil {
			return nil, errAt(tr, "a lookup join (FOR SYSTEM_TIME AS OF a processing-time attribute) needs a table, %s is a view", v.Path)
		}
		return b.lookupJoin(x, jt, left, tr, t, on)
	case rowTime:
		if v != nil {
			return b.versionedView(x, jt, left, ti, tr, v, on)
		}
		return b.versionedTable(x, jt, left, ti, tr, t, on)
	}
	return nil, errAt(tr.ForSystemTime, "%s is not a time attribute (declare it with PROCTIME() for a lookup join, or a WATERMARK for an event-time temporal join)", ast.Format(tr.ForSystemTime))
}

// lookupJoin plans a processing-time lookup join: each left row looks the
// table up by the ON equalities on its columns.
func (b *builder) lookupJoin(x *ast.Join, jt exec.JoinType, left *rel, tr *ast.TableRef, t *catalog.Table, on ast.Expr) (*rel, error) {
	opts := withHints(t.Options, tr.Hints)
	f, err := connector.Lookup(opts["connector"])
	if err != nil {
		return nil, errAt(tr, "table %s: %v", t.Path, err)
	}
	if f.NewLookup == nil {
		return nil, errAt(tr, "connector '%s' of table %s cannot be looked up (lookup joins work on jdbc, rtdw-dim/redis and rtdw-olap tables)", f.Name, t.Path)
	}
	ct, _, err := connTable(t, opts, false, nil)
	if err != nil {
		return nil, errAt(tr, "%v", err)
	}
	qual := t.Path.Name
	if tr.Alias != nil {
		qual = tr.Alias.Name.Name
	}
	rfields := make([]field, ct.Schema.Len())
	for i, c := range ct.Schema.Columns() {
		rfields[i] = field{qual: qual, name: c.Name, typ: c.Type}
	}
	right := &rel{fields: rfields}
	eq, rest, err := b.equiKeys(on, left, right)
	if err != nil {
		return nil, err
	}
	eq, rest = withoutNullSafe(eq, rest)
	if len(eq) == 0 {
		return nil, errAt(x, "a lookup join needs equalities between the table's columns and the left side in ON")
	}
	var rightKeys []int
	var leftExprs []ast.Expr
	var texts []string
	for _, p := range eq {
		rr, ok := unparen(p.r).(*ast.ColumnRef)
		if !ok {
			return nil, errAt(p.r, "the looked-up side of a lookup join's equality is a column of the table")
		}
		idx, _, err := expr.ResolveColumn(rr, right.columns())
		if err != nil {
			return nil, err
		}
		rightKeys = append(rightKeys, idx)
		leftExprs = append(leftExprs, p.l)
		texts = append(texts, p.text)
	}
	nl := len(left.fields)
	// The lookup keys are looked up in the table's types.
	types := make([]row.Type, len(rightKeys))
	for i, k := range rightKeys {
		types[i] = rfields[k].typ
	}
	l, lk, err := b.keyColumnsAs(left, leftExprs, types)
	if err != nil {
		return nil, err
	}
	src, err := f.NewLookup(&b.conn, ct, rightKeys)
	if err != nil {
		return nil, errAt(tr, "table %s: %v", t.Path, err)
	}
	fields := joinedFields(jt, l, right, len(l.fields), len(rfields))
	cond, condText, err := b.residual(rest, fields)
	if err != nil {
		return nil, err
	}
	o := connector.LookupOptionsOf(src)
	spec := exec.LookupJoinSpec{Table: t.Path.String(), Left: jt == exec.LeftJoin, KeyCols: lk, Source: src,
		RightWidth: len(rfields), Cond: cond, Cache: o.Cache, Async: o.Async, AsyncCapacity: o.AsyncCapacity, MaxRetries: o.MaxRetries}
	name := b.opName("LookupJoin")
	s := l.s.Process(name, exec.LookupJoin(spec)).Main()
	where := strings.Join(texts, " AND ")
	if condText != "" {
		where += " AND " + condText
	}
	text := fmt.Sprintf("LookupJoin(table=[%s], joinType=[%s], lookup=[%s], where=[%s], connector=[%s])", t.Path, jt, strings.Join(colNames(right, rightKeys), ", "), where, f.Name)
	out := &rel{fields: fields, mode: l.mode, s: s, node: nodeOf(text, l.mode, l.node), keyed: l.keyed, upsertKeys: l.upsertKeys}
	return b.dropHelpers(out, l, right, nl, len(rfields)), nil
}

// versionedTable plans an event-time temporal join against a versioned
// table: a PRIMARY KEY and a WATERMARK.
func (b *builder) versionedTable(x *ast.Join, jt exec.JoinType, left *rel, lt int, tr *ast.TableRef, t *catalog.Table, on ast.Expr) (*rel, error) {
	if len(t.PrimaryKey) == 0 || t.Watermark == nil {
		return nil, errAt(tr, "an event-time temporal join needs a versioned table: %s must have a PRIMARY KEY and a WATERMARK", t.Path)
	}
	qual := t.Path.Name
	if tr.Alias != nil {
		qual = tr.Alias.Name.Name
	}
	right, err := b.scan(tr, t, qual, tr.Hints)
	if err != nil {
		return nil, err
	}
	pk := make([]int, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		if pk[i] = slices.IndexFunc(right.fields, func(f field) bool { return strings.EqualFold(f.name, k) }); pk[i] < 0 {
			return nil, errAt(tr, "table %s: primary key column %s not found", t.Path, k)
		}
	}
	return b.temporalJoin(x, jt, left, lt, right, pk, on)
}

// versionedView plans an event-time temporal join against a view whose
// rows have a unique key and keep a rowtime attribute: Flink's versioned
// view, a deduplication keeping each key's last row in event time
// (ROW_NUMBER() OVER (PARTITION BY k ORDER BY t DESC) = 1), or a table
// with a primary key seen through a view.
func (b *builder) versionedView(x *ast.Join, jt exec.JoinType, left *rel, lt int, tr *ast.TableRef, v *catalog.View, on ast.Expr) (*rel, error) {
	ref := *tr
	ref.ForSystemTime = nil
	right, err := b.view(&ref, v)
	if err != nil {
		return nil, err
	}
	if len(right.upsertKeys) == 0 {
		return nil, errAt(tr, "Temporal Table Join requires primary key in versioned table, but no primary key can be found: view %s has no unique key (a versioned view keeps each key's last row: SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY t DESC) AS rn FROM ...) WHERE rn = 1)", v.Path)
	}
	if right.rowtime() < 0 {
		return nil, errAt(tr, "Event-Time Temporal Table Join requires both primary key and row time attribute in versioned table, but no row time attribute can be found: view %s", v.Path)
	}
	return b.temporalJoin(x, jt, left, lt, right, right.upsertKeys, on)
}

// temporalJoin plans an event-time temporal join of left against the
// versioned rows of right, whose unique key is pk: each left row joins
// the version valid at its time, once the watermark passes it.
func (b *builder) temporalJoin(x *ast.Join, jt exec.JoinType, left *rel, lt int, right *rel, pk []int, on ast.Expr) (*rel, error) {
	eq, rest, err := b.equiKeys(on, left, right)
	if err != nil {
		return nil, err
	}
	eq, rest = withoutNullSafe(eq, rest)
	// The equalities must cover the primary key, in its order.
	var leftExprs, rightExprs []ast.Expr
	var texts []string
	for _, k := range pk {
		found := false
		for _, p := range eq {
			rr, ok := unparen(p.r).(*ast.ColumnRef)
			if !ok {
				continue
			}
			if idx, path, err := expr.ResolveColumn(rr, right.columns()); err == nil && len(path) == 0 && idx == k {
				leftExprs, rightExprs = append(leftExprs, p.l), append(rightExprs, p.r)
				texts = append(texts, p.text)
				found = true
				break
			}
		}
		if !found {
			return nil, errAt(x, "an event-time temporal join's condition must equal the versioned table's primary key column %s", right.fields[k].name)
		}
	}
	for _, p := range eq {
		if !containsText(texts, p.text) {
			rest = append(rest, &ast.Binary{Op: "=", L: p.l, R: p.r})
		}
	}
	nl, nr := len(left.fields), len(right.fields)
	l, lk, r, rk, err := b.joinKeys(x, left, leftExprs, right, rightExprs)
	if err != nil {
		return nil, err
	}
	rt := r.rowtime()
	fields := joinedFields(jt, l, r, len(l.fields), len(r.fields))
	for i := len(l.fields); i < len(fields); i++ {
		fields[i].time = noTime
	}
	cond, condText, err := b.residual(rest, fields)
	if err != nil {
		return nil, err
	}
	spec := exec.TemporalJoinSpec{Type: jt, LeftSchema: l.schema(), RightSchema: r.schema(), LeftTimeCol: lt, RightTimeCol: rt, Cond: cond}
	if err := spec.Validate(); err != nil {
		return nil, errAt(x, "%v", err)
	}
	lkeyed, rkeyed := b.keyBy(l, lk), b.keyBy(r, rk)
	name := b.opName("TemporalJoin")
	s := stream.Connect(name, exec.TemporalJoin(spec), lkeyed.s, rkeyed.s).Main()
	where := strings.Join(texts, " AND ")
	if condText != "" {
		where += " AND " + condText
	}
	text := fmt.Sprintf("TemporalJoin(joinType=[%s], where=[%s], leftTime=[%s], rightTime=[%s])", jt, where, quoteIdent(l.fields[lt].name), quoteIdent(r.fields[rt].name))
	out := &rel{fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(text, connector.InsertOnly, lkeyed.node, rkeyed.node), keyed: append([]int{}, lk...)}
	return b.dropHelpers(out, l, r, nl, nr), nil
}

func containsText(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
