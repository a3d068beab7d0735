package exec_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// TestOperators runs the scripts under testdata (but the window
// operators' window*.txt and over*.txt): one operator under the
// stream harness, fed typed rows, watermarks, checkpoints and restores,
// its committed output changelog printed. Regenerate with -rewrite after
// checking every change by hand.
//
//	op NAME ARGS...       a new harness on a fresh store; the input lines are
//	                      the input schema ("k STRING, v BIGINT"). NAME/ARGS:
//	  group_agg keys=I,J calls=F(I)[:FILTERCOL],... [ub=false] [ttl=DUR] [cache=N]
//	        F: sum, count (count() is COUNT(*)), max (no retraction),
//	        boom (a SUM failing on 13): the tests' own; upper case (MAX,
//	        LISTAGG, ...): the aggfn built-in bound to the columns' types
//	  rank part=I,J order=I[:desc][:nullslast],... limit=N [rn] [appendonly] [cache=N]
//	  dedup key=I,J [last] [time=I] [rowtime] [ub] [ttl=DUR]
//	  correlate unnest=array|map|multiset|rows col=I [fields=N] [ordinality] [left]
//	  calc [filter=EXPR] [project=EXPR,...]  EXPR: $I (column), an integer,
//	        add(E,E), div(E,E) (integer division: an error by zero), gt(E,E)
//	run                   the input lines are steps, then a checkpoint:
//	                        KIND V1 V2 ... [@TIME]  a row (+I -U +U -D); values
//	                          by column type, NULL, 'quoted text', [a,b] arrays,
//	                          {k=v} maps, <a,a> multisets, (a,b) rows
//	                        watermark MS | checkpoint | restore
//	                      prints the output committed since the last print as
//	                      "KIND[values] @TIME" and new dead letters as
//	                      "dead: [REASON] @TIME" (the harness keeps no row)
func TestOperators(t *testing.T) {
	exec.ForScripts(t, false, func(t *testing.T, path string) {
		var s script
		defer s.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.do(t, d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

type script struct {
	h          *stream.Harness
	schema     *row.Schema
	key        []int
	seen, dead int
}

func (s *script) close() {
	if s.h != nil {
		s.h.Close()
	}
}

func argOf(d *datadriven.TestData, key string) (string, bool) {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return strings.Join(a.Vals, ","), true
		}
	}
	return "", false
}

func ints(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *script) do(t *testing.T, d *datadriven.TestData) (string, error) {
	switch d.Cmd {
	case "op":
		sc, err := row.ParseSchema(strings.TrimSpace(d.Input))
		if err != nil {
			return "", err
		}
		f, key, err := buildOp(d, sc)
		if err != nil {
			return "", err
		}
		s.close()
		s.schema, s.key, s.seen, s.dead = sc, key, 0, 0
		if s.h, err = stream.NewHarness(st.MemDB(t), "op", f, st.Epoch); err != nil {
			return "", err
		}
		return "ok\n", nil
	case "run":
		if s.h == nil {
			return "", fmt.Errorf("run before op")
		}
		for _, line := range strings.Split(d.Input, "\n") {
			if err := s.step(strings.TrimSpace(line)); err != nil {
				return "", fmt.Errorf("%s: %w", line, err)
			}
		}
		if err := s.h.Checkpoint(); err != nil {
			return "", err
		}
		var b strings.Builder
		outs := s.h.Output("out")
		for _, r := range outs[s.seen:] {
			fmt.Fprintf(&b, "%s @%d\n", rowText(r.Row), r.Time)
		}
		s.seen = len(outs)
		deads := s.h.DeadLetters()
		for _, r := range deads[s.dead:] {
			fmt.Fprintf(&b, "dead: [%s] @%d\n", r.Header(stream.HeaderReason), r.Time)
		}
		s.dead = len(deads)
		if b.Len() == 0 {
			return "(nothing)\n", nil
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func rowText(r *row.Row) string {
	if r == nil {
		return "(no row)"
	}
	return r.String()
}

func (s *script) step(line string) error {
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	f := strings.Fields(line)
	switch f[0] {
	case "watermark":
		wm, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return err
		}
		return s.h.Watermark(wm)
	case "checkpoint":
		return s.h.Checkpoint()
	case "restore":
		return s.h.Restore()
	}
	r, ts, err := parseRowLine(line, s.schema)
	if err != nil {
		return err
	}
	var key []byte
	for _, k := range s.key {
		key = row.AppendKey(key, r.Values[k])
	}
	return s.h.Process(stream.Record{Key: key, Time: ts, Row: &r})
}

// parseRowLine reads "KIND v1 v2 ... [@TIME]".
func parseRowLine(line string, sc *row.Schema) (row.Row, int64, error) {
	toks, err := tokens(line)
	if err != nil {
		return row.Row{}, 0, err
	}
	kind, err := row.ParseRowKind(toks[0])
	if err != nil {
		return row.Row{}, 0, err
	}
	toks = toks[1:]
	var ts int64
	if n := len(toks); n > 0 && strings.HasPrefix(toks[n-1], "@") {
		if ts, err = strconv.ParseInt(toks[n-1][1:], 10, 64); err != nil {
			return row.Row{}, 0, err
		}
		toks = toks[:n-1]
	}
	if len(toks) != sc.Len() {
		return row.Row{}, 0, fmt.Errorf("%d values for %d columns", len(toks), sc.Len())
	}
	r := row.Row{Kind: kind, Values: make([]row.Value, len(toks))}
	for i, tok := range toks {
		t := sc.Column(i).Type
		if r.Values[i], err = parseValue(tok, &t); err != nil {
			return row.Row{}, 0, fmt.Errorf("column %d: %w", i, err)
		}
	}
	return r, ts, nil
}

// tokens splits on blanks, keeping 'quoted text' and bracketed values
// together.
func tokens(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	depth, quoted := 0, false
	for _, c := range line {
		switch {
		case quoted:
			cur.WriteRune(c)
			if c == '\'' {
				quoted = false
			}
			continue
		case c == '\'':
			quoted = true
		case strings.ContainsRune("[{(<", c):
			depth++
		case strings.ContainsRune("]})>", c):
			depth--
		case c == ' ' && depth == 0:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(c)
	}
	if quoted || depth != 0 {
		return nil, fmt.Errorf("unbalanced %q", line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty line")
	}
	return out, nil
}

// splitTop splits s on commas outside brackets and quotes.
func splitTop(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	depth, quoted, start := 0, false, 0
	for i, c := range s {
		switch {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case strings.ContainsRune("[{(<", c):
			depth++
		case strings.ContainsRune("]})>", c):
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func inner(tok string, open, close byte) (string, bool) {
	if len(tok) >= 2 && tok[0] == open && tok[len(tok)-1] == close {
		return tok[1 : len(tok)-1], true
	}
	return "", false
}

func parseValue(tok string, t *row.Type) (row.Value, error) {
	if tok == "NULL" || tok == "null" {
		return row.Null(), nil
	}
	if q, ok := inner(tok, '\'', '\''); ok {
		tok = q
	}
	switch t.Kind {
	case row.KindChar, row.KindVarChar:
		return row.String(tok), nil
	case row.KindBoolean:
		b, err := strconv.ParseBool(tok)
		return row.Bool(b), err
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		n, err := strconv.ParseInt(tok, 10, 64)
		switch t.Kind {
		case row.KindTinyInt:
			return row.TinyInt(int8(n)), err
		case row.KindSmallInt:
			return row.SmallInt(int16(n)), err
		case row.KindInt:
			return row.Int(int32(n)), err
		}
		return row.BigInt(n), err
	case row.KindDouble, row.KindFloat:
		f, err := strconv.ParseFloat(tok, 64)
		return row.Double(f), err
	case row.KindDecimal:
		dec, err := row.ParseDecimal(tok, t.Precision, t.Scale)
		return row.DecimalValue(dec), err
	case row.KindTimestamp, row.KindTimestampLTZ:
		ms, ns, err := row.ParseTimestamp(tok)
		if t.Kind == row.KindTimestampLTZ {
			return row.TimestampLTZ(ms, ns), err
		}
		return row.Timestamp(ms, ns), err
	case row.KindDate:
		days, err := row.ParseDate(tok)
		return row.Date(days), err
	case row.KindArray, row.KindMultiset:
		open, close := byte('['), byte(']')
		if t.Kind == row.KindMultiset {
			open, close = '<', '>'
		}
		body, ok := inner(tok, open, close)
		if !ok {
			return row.Value{}, fmt.Errorf("%q is not a %s", tok, t)
		}
		var elems []row.Value
		for _, e := range splitTop(body) {
			v, err := parseValue(e, t.Elem)
			if err != nil {
				return row.Value{}, err
			}
			elems = append(elems, v)
		}
		if t.Kind == row.KindMultiset {
			return row.Multiset(elems), nil
		}
		return row.Array(elems), nil
	case row.KindMap:
		body, ok := inner(tok, '{', '}')
		if !ok {
			return row.Value{}, fmt.Errorf("%q is not a map", tok)
		}
		var keys, vals []row.Value
		for _, e := range splitTop(body) {
			k, v, _ := strings.Cut(e, "=")
			kv, err := parseValue(k, t.Key)
			if err != nil {
				return row.Value{}, err
			}
			vv, err := parseValue(v, t.Elem)
			if err != nil {
				return row.Value{}, err
			}
			keys, vals = append(keys, kv), append(vals, vv)
		}
		return row.Map(keys, vals), nil
	case row.KindRow:
		body, ok := inner(tok, '(', ')')
		if !ok {
			return row.Value{}, fmt.Errorf("%q is not a row", tok)
		}
		parts := splitTop(body)
		if len(parts) != len(t.Fields) {
			return row.Value{}, fmt.Errorf("%q: %d fields, want %d", tok, len(parts), len(t.Fields))
		}
		fields := make([]row.Value, len(parts))
		for i, p := range parts {
			v, err := parseValue(p, &t.Fields[i].Type)
			if err != nil {
				return row.Value{}, err
			}
			fields[i] = v
		}
		return row.Struct(fields), nil
	}
	return row.Value{}, fmt.Errorf("type %s not supported by the test parser", t)
}

// buildOp makes the operator an op command describes, and the columns its
// input is keyed by.
func buildOp(d *datadriven.TestData, sc *row.Schema) (stream.Factory, []int, error) {
	if len(d.CmdArgs) == 0 {
		return nil, nil, fmt.Errorf("op needs a name")
	}
	name := d.CmdArgs[0].Key
	has := func(k string) bool { _, ok := argOf(d, k); return ok }
	str := func(k string) string { v, _ := argOf(d, k); return v }
	num := func(k string, def int) int {
		if v, ok := argOf(d, k); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
		return def
	}
	dur := func(k string) (time.Duration, error) {
		if v, ok := argOf(d, k); ok {
			return time.ParseDuration(v)
		}
		return 0, nil
	}
	switch name {
	case "group_agg":
		keys, err := ints(str("keys"))
		if err != nil {
			return nil, nil, err
		}
		calls, err := parseCalls(str("calls"), sc)
		if err != nil {
			return nil, nil, err
		}
		ttl, err := dur("ttl")
		if err != nil {
			return nil, nil, err
		}
		spec := exec.GroupAggSpec{Keys: keys, Calls: calls, GenerateUpdateBefore: str("ub") != "false",
			StateTTL: ttl, MaxCachedGroups: num("cache", 0)}
		return exec.GroupAgg(spec), keys, spec.Validate()
	case "rank":
		part, err := ints(str("part"))
		if err != nil {
			return nil, nil, err
		}
		var order []exec.SortKey
		for _, o := range strings.Split(str("order"), ",") {
			f := strings.Split(o, ":")
			c, err := strconv.Atoi(f[0])
			if err != nil {
				return nil, nil, err
			}
			k := exec.SortKey{Col: c}
			for _, m := range f[1:] {
				k.Desc = k.Desc || m == "desc"
				k.NullsLast = k.NullsLast || m == "nullslast"
			}
			order = append(order, k)
		}
		spec := exec.RankSpec{PartitionKeys: part, Order: order, Limit: int64(num("limit", 1)),
			OutputRankNumber: has("rn"), InputAppendOnly: has("appendonly"), Schema: sc, MaxCachedRows: num("cache", 0)}
		return exec.Rank(spec), part, spec.Validate()
	case "dedup":
		key, err := ints(str("key"))
		if err != nil {
			return nil, nil, err
		}
		ttl, err := dur("ttl")
		if err != nil {
			return nil, nil, err
		}
		spec := exec.DedupSpec{KeepLast: has("last"), TimeCol: num("time", -1), RowTime: has("rowtime"),
			GenerateUpdateBefore: has("ub"), Schema: sc, StateTTL: ttl}
		return exec.Dedup(spec), key, spec.Validate()
	case "correlate":
		col, ord := num("col", 0), has("ordinality")
		spec := exec.CorrelateSpec{Left: has("left")}
		switch str("unnest") {
		case "array":
			spec.Eval, spec.Width = exec.UnnestArray(col, ord), 1
		case "map":
			spec.Eval, spec.Width = exec.UnnestMap(col, ord), 2
		case "multiset": // UnnestMap over a MULTISET: one column
			spec.Eval, spec.Width = exec.UnnestMap(col, ord), 1
		case "rows":
			n := num("fields", 1)
			spec.Eval, spec.Width = exec.UnnestRows(col, n, ord), n
		default:
			return nil, nil, fmt.Errorf("unnest=%q", str("unnest"))
		}
		if ord {
			spec.Width++
		}
		return exec.Correlate(spec), nil, nil
	case "calc":
		var spec exec.CalcSpec
		if f := str("filter"); f != "" {
			e, err := parseExpr(f)
			if err != nil {
				return nil, nil, err
			}
			spec.Filter = func(r *row.Row) (bool, error) {
				v, err := e(r)
				return !v.IsNull() && v.Bool(), err
			}
		}
		if p := str("project"); p != "" {
			for _, s := range splitTop(p) {
				e, err := parseExpr(s)
				if err != nil {
					return nil, nil, err
				}
				spec.Projections = append(spec.Projections, e)
			}
		}
		return exec.Calc(spec), nil, nil
	}
	return nil, nil, fmt.Errorf("unknown operator %q", name)
}

func parseCalls(s string, sc *row.Schema) ([]exec.AggCall, error) {
	var calls []exec.AggCall
	for _, c := range splitTop(s) {
		filter := -1
		if i := strings.LastIndex(c, ":"); i > 0 {
			n, err := strconv.Atoi(c[i+1:])
			if err != nil {
				return nil, err
			}
			filter, c = n, c[:i]
		}
		name, rest, ok := strings.Cut(c, "(")
		if !ok || !strings.HasSuffix(rest, ")") {
			return nil, fmt.Errorf("call %q", c)
		}
		args, err := ints(strings.TrimSuffix(rest, ")"))
		if err != nil {
			return nil, err
		}
		call := exec.AggCall{Args: args, Filter: filter}
		switch name {
		case "sum":
			call.Fn = testSum
		case "count":
			call.Fn = testCount
		case "max":
			call.Fn = testMax
		case "boom":
			call.Fn = testBoom
		default:
			// An upper-case name: the aggfn built-in, bound to the
			// argument columns' types.
			f, ok := aggfn.Lookup(name)
			if !ok || strings.ToUpper(name) != name {
				return nil, fmt.Errorf("unknown aggregate %q", name)
			}
			types := make([]row.Type, len(args))
			for i, a := range args {
				types[i] = sc.Column(a).Type
			}
			if call.Fn, err = f.Bind(types, make([]*row.Value, len(args)), false); err != nil {
				return nil, err
			}
		}
		calls = append(calls, call)
	}
	return calls, nil
}

// parseExpr reads the test expressions: $I, integers, add, div, gt.
func parseExpr(s string) (expr.Func, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "$") {
		i, err := strconv.Atoi(s[1:])
		if err != nil {
			return nil, err
		}
		return func(r *row.Row) (row.Value, error) { return r.Values[i], nil }, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return func(*row.Row) (row.Value, error) { return row.BigInt(n), nil }, nil
	}
	name, rest, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return nil, fmt.Errorf("expression %q", s)
	}
	args := splitTop(strings.TrimSuffix(rest, ")"))
	if len(args) != 2 {
		return nil, fmt.Errorf("%s takes 2 arguments", name)
	}
	a, err := parseExpr(args[0])
	if err != nil {
		return nil, err
	}
	b, err := parseExpr(args[1])
	if err != nil {
		return nil, err
	}
	op := map[string]func(x, y int64) (row.Value, error){
		"add": func(x, y int64) (row.Value, error) { return row.BigInt(x + y), nil },
		"gt":  func(x, y int64) (row.Value, error) { return row.Bool(x > y), nil },
		"div": func(x, y int64) (row.Value, error) {
			if y == 0 {
				return row.Value{}, fmt.Errorf("division by zero")
			}
			return row.BigInt(x / y), nil
		},
	}[name]
	if op == nil {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	return func(r *row.Row) (row.Value, error) {
		x, err := a(r)
		if err != nil {
			return x, err
		}
		y, err := b(r)
		if err != nil || x.IsNull() || y.IsNull() {
			return row.Null(), err
		}
		return op(x.Int64(), y.Int64())
	}, nil
}
