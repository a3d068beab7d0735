package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
)

// windowDef is a window over a time attribute of some input.
type windowDef struct {
	spec    exec.WindowSpec
	timeCol int    // the time attribute in the window's input
	legacy  string // "TUMBLE", "HOP", "SESSION" for group-window functions
	text    string
	// partition: SESSION(TABLE t PARTITION BY cols, ...), columns of the
	// window's input; a window aggregation must group by exactly these.
	partition []int
	partAt    ast.Node
}

// pendingWindow is a window TVF in FROM, planned lazily: a window
// aggregation reads its input directly (Flink's WindowTableFunction is
// merged into the WindowAggregate the same way).
type pendingWindow struct {
	input                        *rel
	def                          *windowDef
	startCol, endCol, timeColOut int // in the TVF's output
	at                           ast.Node
}

func isWindowTVF(f *ast.FuncCall) bool {
	switch funcName(f) {
	case "TUMBLE", "HOP", "CUMULATE", "SESSION":
		return true
	}
	return false
}

// windowTVFCall plans TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t,
// DESCRIPTOR(ts), ...)) with positional or named arguments.
func (b *builder) windowTVFCall(f *ast.FuncCall, env *ctes) (*rel, error) {
	kind := funcName(f)
	named := map[string]ast.Expr{}
	var pos []ast.Expr
	for _, a := range f.Args {
		if na, ok := a.(*ast.NamedArg); ok {
			named[strings.ToUpper(na.Name.Name)] = na.Value
			continue
		}
		pos = append(pos, a)
	}
	var order []string
	switch kind {
	case "TUMBLE":
		order = []string{"DATA", "TIMECOL", "SIZE", "OFFSET"}
	case "HOP":
		order = []string{"DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"}
	case "CUMULATE":
		order = []string{"DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"}
	case "SESSION":
		order = []string{"DATA", "TIMECOL", "GAP"}
	}
	if len(pos) > len(order) {
		return nil, errAt(f, "%s takes at most %d arguments", kind, len(order))
	}
	for i, a := range pos {
		named[order[i]] = a
	}
	for _, k := range order {
		if _, ok := named[k]; !ok && k != "OFFSET" {
			return nil, errAt(f, "%s needs the %s argument: %s(TABLE t, DESCRIPTOR(ts), ...)", kind, k, kind)
		}
	}
	var input *rel
	var err error
	data := unparen(named["DATA"])
	var partition []ast.Ident
	if pt, ok := data.(*ast.PartitionedTableArg); ok {
		if kind != "SESSION" {
			return nil, errAt(pt, "PARTITION BY in a window TVF is for SESSION only (Flink's)")
		}
		data, partition = pt.Table, pt.PartitionBy
	}
	switch d := data.(type) {
	case *ast.TableArg:
		if d.Query != nil {
			input, err = b.query(d.Query, env)
		} else {
			input, err = b.tableRef(&ast.TableRef{At: d.At, Name: d.Name}, env)
		}
	default:
		return nil, errAt(named["DATA"], "the first argument of %s is TABLE name", kind)
	}
	if err != nil {
		return nil, err
	}
	if input, err = b.materialize(input); err != nil {
		return nil, err
	}
	desc, ok := unparen(named["TIMECOL"]).(*ast.Descriptor)
	if !ok || len(desc.Columns) != 1 {
		return nil, errAt(named["TIMECOL"], "the time column of %s is DESCRIPTOR(column)", kind)
	}
	tc := -1
	for i, fl := range input.fields {
		if strings.EqualFold(fl.name, desc.Columns[0].Name) {
			tc = i
		}
	}
	if tc < 0 {
		return nil, errAt(desc, "column %s not found", desc.Columns[0].Name)
	}
	def := &windowDef{timeCol: tc}
	if err := b.windowSpec(def, kind, input, named); err != nil {
		return nil, err
	}
	for _, id := range partition {
		pc := -1
		for i, fl := range input.fields {
			if strings.EqualFold(fl.name, id.Name) {
				pc = i
			}
		}
		if pc < 0 {
			return nil, errAt(&id, "column %s not found", id.Name)
		}
		def.partition = append(def.partition, pc)
		def.partAt = named["DATA"]
	}
	fields := append([]field(nil), input.fields...)
	fields[tc].time = noTime
	fields[tc].tvfTime = true
	tf := input.fields[tc]
	pw := &pendingWindow{input: input, def: def, at: f, startCol: len(fields), endCol: len(fields) + 1, timeColOut: len(fields) + 2}
	wt := tf.typ.WithNotNull(true)
	sb, eb := windowBounds(tf.typ)
	fields = append(fields,
		field{name: "window_start", typ: row.TimestampOf(3).WithNotNull(true), bound: sb},
		field{name: "window_end", typ: row.TimestampOf(3).WithNotNull(true), bound: eb},
		field{name: "window_time", typ: wt, time: rowTime})
	return &rel{fields: fields, mode: input.mode, node: input.node, window: pw}, nil
}

func (b *builder) windowSpec(def *windowDef, kind string, input *rel, args map[string]ast.Expr) error {
	tf := input.fields[def.timeCol]
	spec := exec.WindowSpec{TimeCol: def.timeCol}
	switch tf.time {
	case rowTime:
	case procTime:
		spec.TimeCol = -1
	default:
		return errAt(args["TIMECOL"], "column %s is not a time attribute (declare a WATERMARK on it or use PROCTIME())", tf.name)
	}
	if tf.typ.Kind == row.KindTimestampLTZ {
		spec.LTZ = true
		spec.Loc = b.p.Env.Loc
	}
	dur := func(k string) (time.Duration, error) {
		e, ok := args[k]
		if !ok {
			return 0, nil
		}
		d, err := b.interval(e)
		if err != nil {
			return 0, err
		}
		if d <= 0 && k != "OFFSET" {
			return 0, errAt(e, "the %s of a window must be positive", strings.ToLower(k))
		}
		return d, nil
	}
	var err error
	if spec.Offset, err = dur("OFFSET"); err != nil {
		return err
	}
	text := ""
	switch kind {
	case "TUMBLE":
		spec.Kind = exec.Tumble
		if spec.Size, err = dur("SIZE"); err != nil {
			return err
		}
		text = fmt.Sprintf("TUMBLE(time_col=[%s], size=[%s])", tf.name, spec.Size)
	case "HOP":
		spec.Kind = exec.Hop
		if spec.Slide, err = dur("SLIDE"); err != nil {
			return err
		}
		if spec.Size, err = dur("SIZE"); err != nil {
			return err
		}
		text = fmt.Sprintf("HOP(time_col=[%s], size=[%s], slide=[%s])", tf.name, spec.Size, spec.Slide)
	case "CUMULATE":
		spec.Kind = exec.Cumulate
		if spec.Step, err = dur("STEP"); err != nil {
			return err
		}
		if spec.Size, err = dur("SIZE"); err != nil {
			return err
		}
		if spec.Size%spec.Step != 0 {
			return errAt(args["SIZE"], "CUMULATE's size must be a multiple of its step")
		}
		text = fmt.Sprintf("CUMULATE(time_col=[%s], max_size=[%s], step=[%s])", tf.name, spec.Size, spec.Step)
	case "SESSION":
		spec.Kind = exec.Session
		if spec.Gap, err = dur("GAP"); err != nil {
			return err
		}
		text = fmt.Sprintf("SESSION(time_col=[%s], gap=[%s])", tf.name, spec.Gap)
	}
	if spec.Offset != 0 {
		text = strings.TrimSuffix(text, ")") + fmt.Sprintf(", offset=[%s])", spec.Offset)
	}
	def.spec = spec
	def.text = text
	return nil
}

// legacyWindow plans GROUP BY TUMBLE(ts, size) / HOP(ts, slide, size) /
// SESSION(ts, gap).
func (b *builder) legacyWindow(f *ast.FuncCall, from *rel) (*windowDef, error) {
	kind := funcName(f)
	want := map[string]int{"TUMBLE": 2, "HOP": 3, "SESSION": 2}[kind]
	if len(f.Args) != want {
		return nil, errAt(f, "%s in GROUP BY takes %d arguments (time attribute and intervals)", kind, want)
	}
	ref, ok := unparen(f.Args[0]).(*ast.ColumnRef)
	if !ok {
		return nil, errAt(f.Args[0], "the first argument of %s is a time attribute column", kind)
	}
	idx, _, err := expr.ResolveColumn(ref, from.columns())
	if err != nil {
		return nil, err
	}
	args := map[string]ast.Expr{"TIMECOL": f.Args[0]}
	switch kind {
	case "TUMBLE":
		args["SIZE"] = f.Args[1]
	case "HOP":
		args["SLIDE"], args["SIZE"] = f.Args[1], f.Args[2]
	case "SESSION":
		args["GAP"] = f.Args[1]
	}
	def := &windowDef{timeCol: idx, legacy: kind}
	if err := b.windowSpec(def, kind, from, args); err != nil {
		return nil, err
	}
	return def, nil
}

// windowTVF materializes a window TVF as its own operator (the TVF's
// rows are used without a window aggregation over them).
func (b *builder) windowTVF(r *rel) (*rel, error) {
	w := r.window
	if w.def.spec.Kind == exec.Session {
		return nil, errAt(w.at, "SESSION windows are supported in window aggregations only")
	}
	if err := w.def.spec.Validate(); err != nil {
		return nil, errAt(w.at, "%v", err)
	}
	name := b.opName("WindowTableFunction")
	s := w.input.s.Process(name, exec.WindowTVF(w.def.spec)).Main()
	out := &rel{fields: r.fields, mode: w.input.mode, s: s, node: nodeOf(fmt.Sprintf("WindowTableFunction(window=[%s])", w.def.text), w.input.mode, w.input.node)}
	return out, nil
}

// windowAgg adds a shuffle by keys and a window aggregation over pre
// (keys first, the time column at timeCol). Output: keys, calls,
// window_start, window_end, window_time.
func (b *builder) windowAgg(pre *rel, keys []int, calls []aggCall, win *windowDef, timeCol int) (*rel, error) {
	keyed := b.keyBy(pre, keys)
	spec := exec.WindowAggSpec{Window: win.spec, Keys: keys}
	if spec.Window.TimeCol >= 0 {
		spec.Window.TimeCol = timeCol
	}
	var fields []field
	var texts []string
	for _, k := range keys {
		f := pre.fields[k]
		f.time = noTime
		fields = append(fields, f)
		texts = append(texts, quoteIdent(f.name))
	}
	for i, c := range calls {
		spec.Calls = append(spec.Calls, c.call)
		fields = append(fields, field{name: fmt.Sprintf("EXPR$%d", len(keys)+i), typ: c.typ})
		texts = append(texts, c.text)
	}
	tt := pre.fields[timeCol].typ.WithNotNull(true)
	sb, eb := windowBounds(tt)
	fields = append(fields,
		field{name: "window_start", typ: row.TimestampOf(3).WithNotNull(true), bound: sb},
		field{name: "window_end", typ: row.TimestampOf(3).WithNotNull(true), bound: eb},
		field{name: "window_time", typ: tt, time: rowTime})
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("WindowAggregate: %v", err)
	}
	name := b.opName("WindowAggregate")
	s := keyed.s.Process(name, exec.WindowAgg(spec)).Main()
	var kt []string
	for _, k := range keys {
		kt = append(kt, quoteIdent(pre.fields[k].name))
	}
	text := fmt.Sprintf("WindowAggregate(groupBy=[%s], window=[%s], select=[%s, start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time])",
		strings.Join(kt, ", "), win.text, strings.Join(texts, ", "))
	kk := make([]int, len(keys))
	for i := range kk {
		kk[i] = i
	}
	return &rel{fields: fields, mode: connector.InsertOnly, s: s, node: nodeOf(text, connector.InsertOnly, keyed.node), keyed: kk, windowKeys: kk}, nil
}
