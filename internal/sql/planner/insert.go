package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
)

// insert plans INSERT INTO table query: the query, a Calc casting its
// columns to the sink's types (by position, or by the column list), the
// changelog check and the sink.
func (b *builder) insert(ins *ast.Insert) error {
	if ins.Overwrite {
		return errAt(ins, "INSERT OVERWRITE is not supported on streams (as Flink, which allows it in batch mode only): use INSERT INTO")
	}
	parts := ins.Table.Names()
	path, err := b.p.Catalog.Qualify(parts)
	if err != nil {
		return errAt(&ins.Table, "%v", err)
	}
	t, v, err := b.p.Catalog.Lookup(path)
	if err != nil {
		return errAt(&ins.Table, "%v", err)
	}
	if v != nil {
		return errAt(&ins.Table, "%s is a view: INSERT INTO needs a table", v.Path)
	}
	if len(ins.Hints) > 0 {
		if err := b.checkTableHints([]ast.Hint{{At: ins.Table.At, Name: "OPTIONS", Options: ins.Hints}}); err != nil {
			return err
		}
	}
	hints := []ast.Hint{{Name: "OPTIONS", Options: ins.Hints}}
	opts := withHints(t.Options, hints)
	f, err := connector.Lookup(opts["connector"])
	if err != nil {
		return errAt(&ins.Table, "table %s: %v", t.Path, err)
	}
	if f.NewSink == nil {
		return errAt(&ins.Table, "connector '%s' of table %s cannot be written (it is a source only)", f.Name, t.Path)
	}
	ct, _, err := connTable(t, opts, true, nil)
	if err != nil {
		return errAt(&ins.Table, "%v", err)
	}
	ps, err := b.sinkOf(ins, t, f, ct, opts)
	if err != nil {
		return err
	}
	sink := ps.sink
	r, err := b.query(ins.Query, nil)
	if err != nil {
		return err
	}
	if r, err = b.materialize(r); err != nil {
		return err
	}

	// Which sink column each query column fills; static partition values
	// and unlisted columns are constants.
	sinkCols := ct.Schema.Columns()
	target := make([]int, len(sinkCols)) // sink column -> query column, or -1
	consts := make([]ast.Expr, len(sinkCols))
	for i := range target {
		target[i] = -1
	}
	static := map[int]bool{}
	for _, ps := range ins.Partition {
		i := ct.Schema.Index(ps.Column.Name)
		if i < 0 {
			return errAt(&ps.Column, "no column %s in %s", ps.Column.Name, t.Path)
		}
		static[i] = true
		consts[i] = ps.Value
	}
	if len(ins.Columns) > 0 {
		if len(ins.Columns) != len(r.fields) {
			return errAt(ins.Query, "the query gives %d columns for the %d listed", len(r.fields), len(ins.Columns))
		}
		for qi, c := range ins.Columns {
			i := ct.Schema.Index(c.Name)
			if i < 0 {
				return errAt(&c, "no column %s in %s", c.Name, t.Path)
			}
			target[i] = qi
		}
	} else {
		var open []int
		for i := range sinkCols {
			if !static[i] {
				open = append(open, i)
			}
		}
		if len(open) != len(r.fields) {
			return errAt(ins.Query, "Column types of query result and sink for %s do not match: the query has %d columns (%s), the sink %d (%s)",
				t.Path, len(r.fields), strings.Join(r.names(), ", "), len(open), strings.Join(sinkNames(sinkCols, open), ", "))
		}
		for qi, i := range open {
			target[i] = qi
		}
	}
	items := make([]calcItem, len(sinkCols))
	identity := len(sinkCols) == len(r.fields)
	for i, sc := range sinkCols {
		var c *expr.Compiled
		text := ""
		src := target[i] // the query column passed on unchanged, or -1
		if qi := target[i]; qi >= 0 {
			it := passThrough(r, qi)
			c, text = it.c, it.text
			identity = identity && qi == i
		} else {
			identity = false
			e := consts[i]
			if e == nil {
				e = &ast.Literal{Kind: ast.NullLit}
				if sc.Type.NotNull {
					return errAt(ins.Query, "column %s of %s is NOT NULL and gets no value", sc.Name, t.Path)
				}
			}
			if c, err = b.compile(e, nil, nil); err != nil {
				return err
			}
			text = ast.Format(e)
		}
		nullable := !c.Type.NotNull
		if !c.Type.Equal(sc.Type) {
			cc, err := expr.Coerce(c, sc.Type)
			if err != nil {
				return errAt(ins.Query, "column %s of %s is %s; the query gives %s: %v", sc.Name, t.Path, sc.Type, c.Type, err)
			}
			if !sameRepresentation(c.Type, sc.Type) {
				identity = false
				text = fmt.Sprintf("CAST(%s AS %s)", text, sc.Type)
				src = -1
			}
			c = cc
		}
		if nullable && (sc.Type.NotNull || slices.Contains(ct.PrimaryKey, i)) {
			c, text = notNullEnforcer(c, sc.Name), fmt.Sprintf("NOT_NULL(%s)", text)
			identity = false
		}
		items[i] = calcItem{src: src, c: c, name: sc.Name, text: text}
	}
	if !identity {
		r = b.calc(r, nil, nil, items)
	}
	if r.mode > sink.Accepts() {
		return errAt(ins, "Table sink %s doesn't support consuming %s changes which are produced by node %s",
			t.Path, changeWord(r.mode), updateOrigin(r.node))
	}
	if len(ct.PrimaryKey) > 0 {
		// Rows of one key reach the sink from one task, in order, so an
		// upsert's last write is the key's last change (Flink's keyed
		// shuffle before an upsert sink); free when already partitioned.
		r = b.keyBy(r, ct.PrimaryKey)
	}
	ps.inputs = append(ps.inputs, r)
	return nil
}

// pendingSink is a table an INSERT of the job writes: the INSERTs of a
// statement set into one table (with the same options) share one sink,
// fed by the union of their rows, as Flink's sinks of one table write the
// same place. Sinks attach when every INSERT is planned.
type pendingSink struct {
	at     *ast.Insert // the first INSERT into the table
	path   catalog.Path
	opts   map[string]string
	sink   connector.Sink
	text   string
	inputs []*rel
}

// sinkOf returns the job's sink of table t with options opts, made by
// the first INSERT into it.
func (b *builder) sinkOf(ins *ast.Insert, t *catalog.Table, f *connector.Factory, ct *connector.Table, opts map[string]string) (*pendingSink, error) {
	for _, ps := range b.pending {
		if ps.path != t.Path {
			continue
		}
		if !maps.Equal(ps.opts, opts) {
			return nil, errAt(&ins.Table, "table %s is written twice in this job with different OPTIONS hints: write it with the same options, or in separate jobs", t.Path)
		}
		return ps, nil
	}
	sink, err := f.NewSink(&b.conn, ct)
	if err != nil {
		return nil, errAt(&ins.Table, "%v", err) // the connector names the table
	}
	text := fmt.Sprintf("Sink(table=[%s], fields=[%s], connector=[%s])", t.Path, strings.Join(sinkNames(ct.Schema.Columns(), nil), ", "), f.Name)
	ps := &pendingSink{at: ins, path: t.Path, opts: opts, sink: sink, text: text}
	b.pending = append(b.pending, ps)
	return ps, nil
}

// attachSinks attaches each table's sink to its INSERTs' rows.
func (b *builder) attachSinks() error {
	for _, ps := range b.pending {
		in := ps.inputs[0]
		if len(ps.inputs) > 1 {
			streams := make([]stream.Stream, len(ps.inputs))
			nodes := make([]*pnode, len(ps.inputs))
			mode := connector.InsertOnly
			for i, r := range ps.inputs {
				streams[i], nodes[i] = r.s, r.node
				mode = max(mode, r.mode)
			}
			in = &rel{mode: mode, s: stream.Union(b.opName("Union"), streams...), node: nodeOf("Union(all=[true])", mode, nodes...)}
		}
		if err := ps.sink.Attach(in.s); err != nil {
			return errAt(&ps.at.Table, "table %s: %v", ps.path, err)
		}
		b.sinks = append(b.sinks, nodeOf(ps.text, in.mode, in.node))
	}
	return nil
}

// notNullEnforcer dead-letters a row writing NULL into a NOT NULL (or
// PRIMARY KEY) column of the sink. Flink's 'table.exec.sink.not-null-enforcer'
// fails the job (ERROR) or drops the row silently (DROP); rtdw does
// neither: the row goes to dirty_data with Flink's message, whatever the
// option says.
func notNullEnforcer(c *expr.Compiled, col string) *expr.Compiled {
	eval := c.Eval
	return &expr.Compiled{Type: c.Type.WithNotNull(true), Eval: func(r *row.Row) (row.Value, error) {
		v, err := eval(r)
		if err == nil && v.IsNull() {
			return v, stream.BadInput("null_into_not_null", "Column '%s' is NOT NULL, however, a null value is being written into it", col)
		}
		return v, err
	}}
}

// sameRepresentation: a cast between these types changes no value
// (nullability or a longer VARCHAR only), so no Calc is needed.
func sameRepresentation(a, b row.Type) bool {
	if a.Kind != b.Kind {
		return a.IsString() && b.IsString() && b.Precision >= a.Precision || false
	}
	switch a.Kind {
	case row.KindDecimal:
		return a.Precision == b.Precision && a.Scale == b.Scale
	case row.KindTimestamp, row.KindTimestampLTZ, row.KindTime:
		return a.Precision <= b.Precision
	case row.KindChar, row.KindVarChar:
		return b.Kind == row.KindVarChar && b.Precision >= a.Precision
	case row.KindArray, row.KindMap, row.KindMultiset, row.KindRow:
		return a.WithNotNull(false).Equal(b.WithNotNull(false))
	}
	return true
}

func sinkNames(cols []row.Column, idx []int) []string {
	var out []string
	if idx == nil {
		for _, c := range cols {
			out = append(out, quoteIdent(c.Name))
		}
		return out
	}
	for _, i := range idx {
		out = append(out, quoteIdent(cols[i].Name))
	}
	return out
}

func changeWord(m connector.ChangelogMode) string {
	if m == connector.Upsert {
		return "update and delete"
	}
	return "update and delete"
}

// updateOrigin names the operator where the plan starts producing
// updates (the deepest node with an updating output over insert-only
// inputs), as Flink's message does.
func updateOrigin(n *pnode) string {
	for _, in := range n.inputs {
		if in.mode != connector.InsertOnly {
			return updateOrigin(in)
		}
	}
	return n.op
}
