package exec

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// TestJoinScripts runs join_testdata/*.txt (kept out of testdata/, whose
// every file TestOperators and TestWindowScripts run with their own
// commands): each script builds one join operator under a stream.Harness
// and feeds its two inputs rows, watermarks, clock moves, checkpoints and
// restores.
//
//	join | interval-join | temporal-join | window-join
//	                     the input is the operator, one "name: value" per line:
//	  left: COLUMNS      the left input's schema (row.ParseSchema syntax)
//	  right: COLUMNS     the right input's
//	  type: inner|left|right|full
//	  keys: L1,L2 | R1,R2  equi-join key columns: each input is keyed by them
//	  nullsafe: true,false  per key: IS NOT DISTINCT FROM
//	  unique: L1 | R1    (join, window-join) unique keys; either side may be empty
//	  ttl: DUR [event]   (join) state TTL, processing time unless "event"
//	  cond: EXPR         residual condition over the joined row (left
//	                     columns then right, $0...): "$i OP $j" or
//	                     "$i OP INT" (OP = < <= = <> >= >), joined by "and";
//	                     "fail $i=INT" errors when column i holds INT
//	  time: LCOL | RCOL  (interval, temporal) time columns; "proctime"
//	  bounds: LOWER UPPER  (interval) right.t BETWEEN left.t+LOWER AND left.t+UPPER
//	  end: LCOL | RCOL   (window) window_end columns
//	  tz: ZONE           (window) window_end is local time in ZONE
//	left|right [uncommitted]  input lines "KIND v1 | v2 | ..." (NULL for NULL)
//	                     to input 0 (left) or 1 (right)
//	watermark TS | time TS (processing-time clock) | checkpoint | restore | end
//
// Every command but restore checkpoints (unless uncommitted) and prints
// what the operator committed since the last print: output rows (with
// their record time, "@...", for the time-based joins), then dead letters
// ("dead: REASON") and the late count. Expected outputs are written by
// hand (from Flink's documentation where a block says so), never
// rewritten from the operators' output.
func TestJoinScripts(t *testing.T) {
	datadriven.Walk(t, "join_testdata", func(t *testing.T, path string) {
		s := &joinScript{t: t}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.run(d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

type joinScript struct {
	t       *testing.T
	h       *stream.Harness
	schemas [2]*row.Schema
	keys    [2][]int
	timed   bool // print record times
	loc     *time.Location
	nOut    int
	nDead   int
	late    int64
}

func (s *joinScript) run(d *datadriven.TestData) (string, error) {
	switch d.Cmd {
	case "join", "interval-join", "temporal-join", "window-join":
		return s.build(d)
	}
	if s.h == nil {
		return "", fmt.Errorf("no operator")
	}
	uncommitted := d.HasArg("uncommitted")
	var err error
	switch d.Cmd {
	case "left", "right":
		input := 0
		if d.Cmd == "right" {
			input = 1
		}
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			rec, err := s.record(input, line)
			if err != nil {
				return "", err
			}
			if err := s.h.ProcessInput(input, rec); err != nil {
				return "", err
			}
		}
	case "watermark":
		ts, perr := s.parseTime(d.CmdArgs[0].Key)
		if perr != nil {
			return "", perr
		}
		err = s.h.Watermark(ts)
	case "time":
		ts, perr := s.parseTime(d.CmdArgs[0].Key)
		if perr != nil {
			return "", perr
		}
		err = s.h.SetTime(time.UnixMilli(ts))
	case "end":
		err = s.h.EndOfInput()
	case "checkpoint":
	case "restore":
		if err := s.h.Restore(); err != nil {
			return "", err
		}
		s.late = 0
		return "ok\n", nil
	default:
		return "", fmt.Errorf("unknown command %s", d.Cmd)
	}
	if err != nil {
		return "", err
	}
	if uncommitted {
		return "(uncommitted)\n", nil
	}
	if err := s.h.Checkpoint(); err != nil {
		return "", err
	}
	return s.printNew(), nil
}

func (s *joinScript) printNew() string {
	var b strings.Builder
	outs := s.h.Output("out")
	for _, r := range outs[s.nOut:] {
		if s.timed {
			fmt.Fprintf(&b, "%s @%s\n", r.Row, row.AppendTimestamp(nil, r.Time, 0, 3))
		} else {
			fmt.Fprintf(&b, "%s\n", r.Row)
		}
	}
	s.nOut = len(outs)
	dead := s.h.DeadLetters()
	for _, r := range dead[s.nDead:] {
		reason := r.Header(stream.HeaderReason)
		if i := strings.IndexByte(string(reason), ':'); i > 0 {
			reason = reason[:i]
		}
		fmt.Fprintf(&b, "dead: %s\n", reason)
	}
	s.nDead = len(dead)
	if late := s.h.Late(); late != s.late {
		fmt.Fprintf(&b, "late: %d\n", late)
		s.late = late
	}
	if b.Len() == 0 {
		return "(none)\n"
	}
	return b.String()
}

// parseTime reads a timestamp ("_" for the blank) or integer millis; in
// the script's zone when it has one.
func (s *joinScript) parseTime(text string) (int64, error) {
	text = strings.ReplaceAll(text, "_", " ")
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	if s.loc != nil {
		ms, _, err := row.ParseTimestampLTZ(text, ' ', s.loc)
		return ms, err
	}
	ms, _, err := row.ParseTimestamp(text)
	return ms, err
}

func (s *joinScript) build(d *datadriven.TestData) (string, error) {
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		k, v, _ := strings.Cut(l, ":")
		lines[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var err error
	for i, name := range []string{"left", "right"} {
		if s.schemas[i], err = row.ParseSchema(lines[name]); err != nil {
			return "", fmt.Errorf("%s schema: %v", name, err)
		}
	}
	s.loc = nil
	if tz := lines["tz"]; tz != "" {
		if s.loc, err = time.LoadLocation(tz); err != nil {
			return "", err
		}
	}
	// pair reads "L1,L2 | R1,R2" as column indexes of each side.
	pair := func(text string) ([2][]int, error) {
		var out [2][]int
		if text == "" {
			return out, nil
		}
		l, r, ok := strings.Cut(text, "|")
		if !ok {
			return out, fmt.Errorf("%q: want LEFT | RIGHT", text)
		}
		for i, part := range []string{l, r} {
			for _, n := range strings.Split(part, ",") {
				if n = strings.TrimSpace(n); n == "" {
					continue
				}
				if n == "proctime" {
					out[i] = append(out[i], -1)
					continue
				}
				c := s.schemas[i].Index(n)
				if c < 0 {
					return out, fmt.Errorf("no column %q", n)
				}
				out[i] = append(out[i], c)
			}
		}
		return out, nil
	}
	if s.keys, err = pair(lines["keys"]); err != nil {
		return "", err
	}
	var nullSafe []bool
	if ns := lines["nullsafe"]; ns != "" {
		for _, f := range strings.Split(ns, ",") {
			nullSafe = append(nullSafe, strings.TrimSpace(f) == "true")
		}
	}
	jt, err := joinTestType(lines["type"])
	if err != nil {
		return "", err
	}
	cond, err := joinTestCond(lines["cond"])
	if err != nil {
		return "", err
	}
	var f stream.Factory
	s.timed = d.Cmd != "join"
	switch d.Cmd {
	case "join":
		uk, err := pair(lines["unique"])
		if err != nil {
			return "", err
		}
		spec := JoinSpec{Type: jt, LeftSchema: s.schemas[0], RightSchema: s.schemas[1], Cond: cond,
			LeftUniqueKey: uk[0], RightUniqueKey: uk[1], LeftKeys: s.keys[0], RightKeys: s.keys[1], NullSafe: nullSafe}
		if ttl := strings.Fields(lines["ttl"]); len(ttl) > 0 {
			if spec.StateTTL, err = time.ParseDuration(ttl[0]); err != nil {
				return "", err
			}
			spec.EventTimeTTL = len(ttl) > 1 && ttl[1] == "event"
		}
		if st := lines["side-ttl"]; st != "" { // "L | R", 0 for none
			l, r, _ := strings.Cut(st, "|")
			for i, v := range []string{l, r} {
				if spec.SideTTL[i], err = time.ParseDuration(strings.TrimSpace(v)); err != nil {
					return "", err
				}
			}
		}
		if c := lines["cache"]; c != "" {
			if spec.MaxCachedRows, err = strconv.Atoi(c); err != nil {
				return "", err
			}
		}
		if err := spec.Validate(); err != nil {
			return "", err
		}
		f = Join(spec)
	case "interval-join":
		tc, err := pair(lines["time"])
		if err != nil || len(tc[0]) != 1 || len(tc[1]) != 1 {
			return "", fmt.Errorf("time: %q (%v)", lines["time"], err)
		}
		b := strings.Fields(lines["bounds"])
		if len(b) != 2 {
			return "", fmt.Errorf("bounds: %q", lines["bounds"])
		}
		lo, err := time.ParseDuration(b[0])
		if err != nil {
			return "", err
		}
		hi, err := time.ParseDuration(b[1])
		if err != nil {
			return "", err
		}
		spec := IntervalJoinSpec{Type: jt, LeftSchema: s.schemas[0], RightSchema: s.schemas[1], Cond: cond,
			LeftTimeCol: tc[0][0], RightTimeCol: tc[1][0], Lower: lo, Upper: hi,
			LeftKeys: s.keys[0], RightKeys: s.keys[1], NullSafe: nullSafe}
		if err := spec.Validate(); err != nil {
			return "", err
		}
		f = IntervalJoin(spec)
	case "temporal-join":
		tc, err := pair(lines["time"])
		if err != nil || len(tc[0]) != 1 || len(tc[1]) != 1 {
			return "", fmt.Errorf("time: %q (%v)", lines["time"], err)
		}
		spec := TemporalJoinSpec{Type: jt, LeftSchema: s.schemas[0], RightSchema: s.schemas[1], Cond: cond,
			LeftTimeCol: tc[0][0], RightTimeCol: tc[1][0]}
		if err := spec.Validate(); err != nil {
			return "", err
		}
		f = TemporalJoin(spec)
	case "window-join":
		ec, err := pair(lines["end"])
		if err != nil || len(ec[0]) != 1 || len(ec[1]) != 1 {
			return "", fmt.Errorf("end: %q (%v)", lines["end"], err)
		}
		uk, err := pair(lines["unique"])
		if err != nil {
			return "", err
		}
		spec := WindowJoinSpec{Type: jt, LeftSchema: s.schemas[0], RightSchema: s.schemas[1], Cond: cond,
			LeftWindowEnd: ec[0][0], RightWindowEnd: ec[1][0], Loc: s.loc,
			LeftKeys: s.keys[0], RightKeys: s.keys[1], NullSafe: nullSafe, LeftUniqueKey: uk[0], RightUniqueKey: uk[1]}
		if err := spec.Validate(); err != nil {
			return "", err
		}
		f = WindowJoin(spec)
	}
	if s.h != nil {
		s.h.Close()
	}
	if s.h, err = stream.NewHarness(streamtest.MemDB(s.t), "op", f, streamtest.Epoch); err != nil {
		return "", err
	}
	s.nOut, s.nDead, s.late = 0, 0, 0
	return "ok\n", nil
}

func joinTestType(text string) (JoinType, error) {
	switch strings.ToLower(text) {
	case "", "inner":
		return InnerJoin, nil
	case "left":
		return LeftJoin, nil
	case "right":
		return RightJoin, nil
	case "full":
		return FullJoin, nil
	}
	return 0, fmt.Errorf("join type %q", text)
}

// joinTestCond parses the scripts' conditions (see TestJoinScripts).
func joinTestCond(text string) (func(*row.Row) (bool, error), error) {
	if text == "" {
		return nil, nil
	}
	type term func(*row.Row) (bool, error)
	var terms []term
	col := func(tok string) (int, error) {
		if !strings.HasPrefix(tok, "$") {
			return 0, fmt.Errorf("column %q", tok)
		}
		return strconv.Atoi(tok[1:])
	}
	for _, part := range strings.Split(text, " and ") {
		f := strings.Fields(part)
		if len(f) == 2 && f[0] == "fail" {
			c, v, ok := strings.Cut(f[1], "=")
			if !ok {
				return nil, fmt.Errorf("fail %q", f[1])
			}
			i, err := col(c)
			if err != nil {
				return nil, err
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			terms = append(terms, func(r *row.Row) (bool, error) {
				if x := r.Values[i]; !x.IsNull() && x.Int64() == n {
					return false, fmt.Errorf("boom on %d", n)
				}
				return true, nil
			})
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("condition %q", part)
		}
		a, err := col(f[0])
		if err != nil {
			return nil, err
		}
		var b int
		var lit row.Value
		isCol := strings.HasPrefix(f[2], "$")
		if isCol {
			if b, err = col(f[2]); err != nil {
				return nil, err
			}
		} else {
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return nil, err
			}
			lit = row.BigInt(n)
		}
		op := f[1]
		terms = append(terms, func(r *row.Row) (bool, error) {
			x, y := r.Values[a], lit
			if isCol {
				y = r.Values[b]
			}
			if x.IsNull() || y.IsNull() {
				return false, nil
			}
			c := row.Compare(x, y)
			switch op {
			case "<":
				return c < 0, nil
			case "<=":
				return c <= 0, nil
			case "=":
				return c == 0, nil
			case "<>":
				return c != 0, nil
			case ">=":
				return c >= 0, nil
			case ">":
				return c > 0, nil
			}
			return false, fmt.Errorf("operator %q", op)
		})
	}
	return func(r *row.Row) (bool, error) {
		for _, t := range terms {
			ok, err := t(r)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}, nil
}

// record parses "KIND v1 | v2 | ..." into a typed record of an input,
// keyed by its key columns and timed by its first timestamp column.
func (s *joinScript) record(input int, line string) (stream.Record, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	k, err := row.ParseRowKind(kind)
	if err != nil {
		return stream.Record{}, err
	}
	sc := s.schemas[input]
	parts := strings.Split(rest, "|")
	if len(parts) != sc.Len() {
		return stream.Record{}, fmt.Errorf("%q: %d values, schema has %d columns", line, len(parts), sc.Len())
	}
	r := row.Row{Kind: k, Values: make([]row.Value, len(parts))}
	for i, p := range parts {
		if r.Values[i], err = joinTestValue(strings.TrimSpace(p), sc.Column(i).Type, s.loc); err != nil {
			return stream.Record{}, fmt.Errorf("column %d: %v", i, err)
		}
	}
	rec := stream.Record{Row: &r}
	for _, c := range s.keys[input] {
		rec.Key = row.AppendKey(rec.Key, r.Values[c])
	}
	for i, v := range r.Values {
		if t := sc.Column(i).Type.Kind; (t == row.KindTimestamp || t == row.KindTimestampLTZ) && !v.IsNull() {
			rec.Time = v.Millis()
			break
		}
	}
	return rec, nil
}

func joinTestValue(text string, t row.Type, loc *time.Location) (row.Value, error) {
	if text == "NULL" {
		return row.Null(), nil
	}
	switch t.Kind {
	case row.KindVarChar, row.KindChar:
		return row.String(text), nil
	case row.KindBigInt, row.KindInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if t.Kind == row.KindInt {
			return row.Int(int32(n)), err
		}
		return row.BigInt(n), err
	case row.KindBoolean:
		b, err := strconv.ParseBool(text)
		return row.Bool(b), err
	case row.KindDouble:
		f, err := strconv.ParseFloat(text, 64)
		return row.Double(f), err
	case row.KindDecimal:
		d, err := row.ParseDecimal(text, t.Precision, t.Scale)
		return row.DecimalValue(d), err
	case row.KindTimestamp:
		ms, ns, err := row.ParseTimestamp(text)
		return row.Timestamp(ms, ns), err
	case row.KindTimestampLTZ:
		if loc == nil {
			loc = time.UTC
		}
		ms, ns, err := row.ParseTimestampLTZ(text, ' ', loc)
		return row.TimestampLTZ(ms, ns), err
	}
	return row.Null(), fmt.Errorf("test values of type %s", t)
}
