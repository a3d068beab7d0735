package planner

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/stream"
)

// connTable is the connector's view of a catalog table: physical and
// metadata columns in DDL order (computed columns are the planner's);
// sink is true for a sink's view, which leaves VIRTUAL metadata out.
// keep, when set, leaves out the physical and metadata columns it
// refuses (projection pushdown); their position is -1.
func connTable(t *catalog.Table, options map[string]string, sink bool, keep func(int) bool) (*connector.Table, []int, error) {
	ct := &connector.Table{Name: t.Path.String(), ObjectName: t.Path.Name, Options: options}
	var cols []row.Column
	at := make([]int, len(t.Columns)) // catalog column -> connector column, -1 computed/skipped
	for i, c := range t.Columns {
		at[i] = -1
		if c.Computed() || (sink && c.Virtual) || (keep != nil && !keep(i)) {
			continue
		}
		at[i] = len(cols)
		if c.Metadata {
			key := c.MetadataKey
			if key == "" {
				key = c.Name
			}
			ct.Metadata = append(ct.Metadata, connector.MetadataColumn{Index: len(cols), Key: key, Virtual: c.Virtual})
		}
		cols = append(cols, row.Column{Name: c.Name, Type: c.Type})
	}
	s, err := row.NewSchema(cols...)
	if err != nil {
		return nil, nil, fmt.Errorf("table %s: %w", t.Path, err)
	}
	ct.Schema = s
	for _, k := range t.PrimaryKey {
		i := s.Index(k)
		if i < 0 {
			return nil, nil, fmt.Errorf("table %s: primary key column %q is not a physical column", t.Path, k)
		}
		ct.PrimaryKey = append(ct.PrimaryKey, i)
	}
	for _, k := range t.PartitionKeys {
		i := s.Index(k)
		if i < 0 && keep != nil {
			continue // pruned
		}
		if i < 0 {
			return nil, nil, fmt.Errorf("table %s: partition column %q is not a physical column", t.Path, k)
		}
		ct.PartitionKeys = append(ct.PartitionKeys, i)
	}
	return ct, at, nil
}

// withHints merges OPTIONS hints into a table's options (hints win).
func withHints(opts map[string]string, hints []ast.Hint) map[string]string {
	out := make(map[string]string, len(opts))
	for k, v := range opts {
		out[k] = v
	}
	for _, h := range hints {
		if h.Name != "OPTIONS" {
			continue
		}
		for _, o := range h.Options {
			out[o.Key] = o.Value
		}
	}
	return out
}

// scan plans reading a catalog table: the connector's source, then a
// Calc adding computed columns; event time and the watermark from the
// DDL's WATERMARK clause.
//
// A job reads each table once: a second reference (a self-union, the
// INSERTs of a statement set) shares the first one's source and Calc,
// since a topic read twice by one job would be two consumers of one
// position.
func (b *builder) scan(at ast.Node, t *catalog.Table, qual string, hints []ast.Hint) (*rel, error) {
	opts := withHints(t.Options, hints)
	key := scanKey(t, opts)
	if r, ok := b.scans[key]; ok {
		out := *r
		out.fields = append([]field(nil), r.fields...)
		for i := range out.fields {
			out.fields[i].qual = qual
		}
		return &out, nil
	}
	r, err := b.newScan(at, t, qual, opts)
	if err != nil {
		return nil, err
	}
	if b.scans == nil {
		b.scans = map[string]*rel{}
	}
	b.scans[key] = r
	return r, nil
}

func scanKey(t *catalog.Table, opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteString(t.Path.String())
	for _, k := range keys {
		fmt.Fprintf(&sb, "\x00%s=%s", k, opts[k])
	}
	return sb.String()
}

func (b *builder) newScan(at0 ast.Node, t *catalog.Table, qual string, opts map[string]string) (*rel, error) {
	at := at0 // the FROM item, for errors
	f, err := connector.Lookup(opts["connector"])
	if err != nil {
		if opts["connector"] == "" {
			return nil, errAt(at, "table %s has no 'connector' option", t.Path)
		}
		return nil, errAt(at, "table %s: %v", t.Path, err)
	}
	if f.NewSource == nil {
		return nil, errAt(at, "connector '%s' of table %s cannot be read (it is a sink only)", f.Name, t.Path)
	}
	ct, pos, err := connTable(t, opts, false, nil)
	if err != nil {
		return nil, errAt(at, "%v", err)
	}
	pruned := false
	keep := b.projection(t)
	if keep != nil && f.Projectable != nil && f.Projectable(ct) {
		if ct, pos, err = connTable(t, opts, false, keep); err != nil {
			return nil, errAt(at, "%v", err)
		}
		pruned = true
	}
	src, err := f.NewSource(&b.conn, ct)
	if err != nil {
		return nil, errAt(at, "%v", err) // the connector names the table
	}

	// The source row's scope: computed columns and the watermark are
	// expressions over the physical and metadata columns.
	srcCols := make([]expr.Column, ct.Schema.Len())
	for i, c := range ct.Schema.Columns() {
		srcCols[i] = expr.Column{Qualifier: qual, Name: c.Name, Type: c.Type}
	}
	// The relation's columns: the table's, in DDL order, less those a
	// pushed-down projection left out (nothing refers to them).
	var fields []field
	var projs []expr.Func
	relCol := make([]int, len(t.Columns)) // catalog column -> relation column, -1 left out
	computed := false
	var calcText []string
	for i, c := range t.Columns {
		relCol[i] = -1
		if pruned && !keep(i) {
			continue
		}
		relCol[i] = len(fields)
		f := field{qual: qual, name: c.Name, typ: c.Type}
		if !c.Computed() {
			j := pos[i]
			projs = append(projs, func(r *row.Row) (row.Value, error) { return r.Values[j], nil })
			fields = append(fields, f)
			calcText = append(calcText, quoteIdent(c.Name))
			continue
		}
		computed = true
		e, err := parser.ParseExpr(c.Expr)
		if err != nil {
			return nil, errAt(at0, "table %s: computed column %s: %v", t.Path, c.Name, err)
		}
		cc, err := b.compileOver(e, srcCols, nil)
		if err != nil {
			return nil, errAt(at0, "table %s: computed column %s: %v", t.Path, c.Name, err)
		}
		f.typ = cc.Type
		if isProcTimeCall(e) {
			f.time = procTime
		}
		projs = append(projs, cc.Eval)
		fields = append(fields, f)
		calcText = append(calcText, fmt.Sprintf("%s AS %s", ast.Format(e), quoteIdent(c.Name)))
	}

	var sopts []stream.SourceOption
	scanText := fmt.Sprintf("TableSourceScan(table=[%s], fields=[%s], connector=[%s]", t.Path, strings.Join(schemaNames(ct.Schema), ", "), f.Name)
	if t.Watermark != nil {
		wi := -1
		for i, c := range t.Columns {
			if strings.EqualFold(c.Name, t.Watermark.Column) {
				wi = i
			}
		}
		if wi < 0 || relCol[wi] < 0 {
			return nil, errAt(at, "table %s: watermark column %s not found", t.Path, t.Watermark.Column)
		}
		wi = relCol[wi]
		k := fields[wi].typ.Kind
		if k != row.KindTimestamp && k != row.KindTimestampLTZ {
			return nil, errAt(at, "table %s: the rowtime column %s must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not %s", t.Path, t.Watermark.Column, fields[wi].typ)
		}
		fields[wi].time = rowTime
		delay, err := watermarkDelay(t.Watermark)
		if err != nil {
			return nil, errAt(at, "table %s: %v", t.Path, err)
		}
		eval := projs[wi]
		sopts = append(sopts,
			stream.EventTime(func(rec *stream.Record) (int64, bool) {
				if rec.Row == nil {
					return 0, false
				}
				v, err := eval(rec.Row)
				if err != nil || v.IsNull() {
					return 0, false
				}
				return v.Millis(), true
			}),
			stream.OutOfOrderness(delay))
		scanText += fmt.Sprintf(", watermark=[%s - %s]", quoteIdent(t.Watermark.Column), delay)
	}
	if v := b.p.Options["table.exec.source.idle-timeout"]; v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return nil, errAt(at, "'table.exec.source.idle-timeout' = '%s': %v", v, err)
		}
		if d <= 0 {
			d = 100 * 365 * 24 * time.Hour // '0' turns idleness off, as Flink
		}
		sopts = append(sopts, stream.IdleTimeout(d))
	}
	if v := b.p.Options["table.exec.source.max-future-skew"]; v != "" {
		d, err := parseDuration(v)
		if err != nil || d < 0 {
			return nil, errAt(at, "'table.exec.source.max-future-skew' = '%s': want a duration (0: no limit)", v)
		}
		if d == 0 {
			d = -1 // no limit
		}
		sopts = append(sopts, stream.MaxEventTimeSkew(d))
	}
	s, err := src.Attach(b.job, sopts...)
	if err != nil {
		return nil, errAt(at, "table %s: %v", t.Path, err)
	}
	node := nodeOf(scanText+")", src.Mode())
	r := &rel{fields: fields, mode: src.Mode(), s: s, node: node}
	if r.mode != connector.InsertOnly {
		// The PRIMARY KEY identifies a row of an updating source (as in
		// Flink, where it is the source's unique key): a join keeps one
		// row per key and retracts the row it keeps, so a retraction
		// need not repeat the row's every value (a PROCTIME() column, a
		// lookup join's result differ between a row and its retraction).
		for _, k := range t.PrimaryKey {
			at := slices.IndexFunc(fields, func(f field) bool { return strings.EqualFold(f.name, k) })
			if at < 0 {
				r.upsertKeys = nil
				break
			}
			r.upsertKeys = append(r.upsertKeys, at)
		}
	}
	r.scan = &scanInfo{src: s, cols: srcCols, computed: computed, node: node}
	if computed { // else the source's rows are the relation's already
		name := b.opName("Calc")
		r.s = s.Process(name, exec.Calc(exec.CalcSpec{Projections: projs})).Main()
		r.node = nodeOf(fmt.Sprintf("Calc(select=[%s])", strings.Join(calcText, ", ")), r.mode, node)
	}
	return r, nil
}

func schemaNames(s *row.Schema) []string {
	out := make([]string, s.Len())
	for i, c := range s.Columns() {
		out[i] = quoteIdent(c.Name)
	}
	return out
}

func isProcTimeCall(e ast.Expr) bool {
	f, ok := unparen(e).(*ast.FuncCall)
	return ok && funcName(f) == "PROCTIME"
}

// watermarkDelay reads the bounded out-of-orderness of WATERMARK FOR c
// AS c [- INTERVAL ...]: the strategies Flink users write. Anything else
// is refused (rtdw advances watermarks per row, not by a periodic
// expression).
func watermarkDelay(w *catalog.Watermark) (time.Duration, error) {
	e, err := parser.ParseExpr(w.Expr)
	if err != nil {
		return 0, fmt.Errorf("watermark %s: %v", w.Expr, err)
	}
	e = unparen(e)
	if c, ok := e.(*ast.ColumnRef); ok && strings.EqualFold(lastPart(c), w.Column) {
		return 0, nil
	}
	if bin, ok := e.(*ast.Binary); ok && bin.Op == "-" {
		if c, ok := unparen(bin.L).(*ast.ColumnRef); ok && strings.EqualFold(lastPart(c), w.Column) {
			if iv, ok := unparen(bin.R).(*ast.IntervalLiteral); ok {
				d, err := intervalDuration(iv)
				if err == nil {
					return d, nil
				}
				return 0, fmt.Errorf("watermark %s: %v", w.Expr, err)
			}
		}
	}
	return 0, fmt.Errorf("watermark %s: rtdw supports WATERMARK FOR %s AS %s [- INTERVAL '...' unit]", w.Expr, w.Column, w.Column)
}

// intervalDuration reads a day-time INTERVAL literal.
func intervalDuration(iv *ast.IntervalLiteral) (time.Duration, error) {
	unit := map[string]time.Duration{"DAY": 24 * time.Hour, "HOUR": time.Hour, "MINUTE": time.Minute, "SECOND": time.Second, "MILLISECOND": time.Millisecond}
	if iv.To != "" {
		return 0, fmt.Errorf("use a single-unit interval such as INTERVAL '5' SECOND")
	}
	u, ok := unit[iv.From]
	if !ok {
		return 0, fmt.Errorf("interval unit %s is not a day-time unit", iv.From)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(iv.Value), 64)
	if err != nil {
		return 0, fmt.Errorf("bad interval value %q", iv.Value)
	}
	d := time.Duration(f * float64(u))
	if iv.Negative {
		d = -d
	}
	return d, nil
}

// parseDuration reads a duration option or hint value as Flink does.
func parseDuration(v string) (time.Duration, error) { return connector.ParseDuration(v) }

func quoteIdent(s string) string { return ast.QuoteIdent(s) }

// projection returns which columns of t the statement may read (nil:
// all): the ones it names, those the needed computed columns and the
// watermark read.
func (b *builder) projection(t *catalog.Table) func(int) bool {
	if b.refs == nil || b.refs.star {
		return nil
	}
	need := make([]bool, len(t.Columns))
	var mark func(name string)
	mark = func(name string) {
		for i, c := range t.Columns {
			if !strings.EqualFold(c.Name, name) || need[i] {
				continue
			}
			need[i] = true
			if c.Computed() {
				e, err := parser.ParseExpr(c.Expr)
				if err != nil {
					for j := range need {
						need[j] = true
					}
					return
				}
				walk(e, func(x ast.Expr) bool {
					if ref, ok := x.(*ast.ColumnRef); ok {
						for _, p := range ref.Parts {
							mark(p.Name)
						}
					}
					return true
				})
			}
		}
	}
	for _, c := range t.Columns {
		if b.refs.has(c.Name) {
			mark(c.Name)
		}
	}
	if t.Watermark != nil {
		mark(t.Watermark.Column)
	}
	all, any := true, false
	for i, n := range need {
		all = all && n
		any = any || n && !t.Columns[i].Computed() && !t.Columns[i].Metadata
	}
	if all || !any {
		// No physical column read (SELECT COUNT(*), only metadata columns,
		// or only unknown names, which the compiler reports): decode
		// everything rather than nothing, as a source needs a column.
		return nil
	}
	return func(i int) bool { return need[i] }
}
