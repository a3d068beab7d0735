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

// TestWindowScripts runs testdata/window_*.txt and testdata/over*.txt:
// each script builds one operator under a stream.Harness and feeds it
// rows, watermarks, clock moves, checkpoints and restores.
//
//	window-agg | window-tvf | window-rank | over [chain]
//	                     the input is the operator, one "name: value" per line;
//	                     chain: it consumes the output of the operator before
//	                     (each record keyed by its keys, timed as emitted), and
//	                     watermarks reach it after that operator's output:
//	  schema: COLUMNS    the input row (row.ParseSchema syntax)
//	  window: KIND size=D slide=D step=D gap=D offset=D time=COL|proctime
//	  tz: ZONE           LTZ windows in this zone; TIMESTAMP_LTZ input
//	                     values without a Z are read in it
//	  keys: C, ...       window-agg group keys / rank and over partition keys
//	  calls: F(C); ...   test aggregates (window_aggs_test.go): sum, count,
//	                     max, sum_nomerge, sum_noretract; "F(C) filter B"
//	  order: C [desc] [nulls last], ...   window-rank order
//	  rank: limit=N [rn] [window=START,END] [lastonties]
//	  unique: C, ...     window-rank unique key (revisions replace rows)
//	  over: rows|range preceding=N|D|unbounded time=COL|proctime
//	  rectime: COL       the column whose millis are each record's time
//	                     (default: the window or over time column)
//	  perwindow          window-agg: one accumulator set per window
//	  cache: N           bound of cached groups
//	process [uncommitted]   input lines "+I v1 | v2 | ..." (NULL for NULL)
//	watermark TS [uncommitted]
//	time TS              processing-time clock (proctime windows)
//	checkpoint | restore | end
//
// Every command but restore checkpoints (unless uncommitted) and prints
// what the last operator committed since the last command: output rows
// with their record time ("@..."), then every operator's dead letters
// ("dead: ...") and late count. Expected outputs are written by hand
// (from Flink's documentation where a block says so), never rewritten
// from the operators' output.
func TestWindowScripts(t *testing.T) {
	ForScripts(t, true, func(t *testing.T, path string) {
		s := &windowScript{t: t}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.run(d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

type windowScript struct {
	t      *testing.T
	stages []*windowStage // each feeds its output to the next
	loc    *time.Location
}

// windowStage is one operator under a harness.
type windowStage struct {
	h       *stream.Harness
	schema  *row.Schema
	keys    []int
	timeCol int // column of each record's time; -1: none
	fed     int // outputs handed to the next stage
	nOut    int // outputs printed
	nDead   int
	late    int64
}

func (s *windowScript) run(d *datadriven.TestData) (string, error) {
	if d.Cmd != "window-agg" && d.Cmd != "window-tvf" && d.Cmd != "window-rank" && d.Cmd != "over" && len(s.stages) == 0 {
		return "", fmt.Errorf("no operator")
	}
	uncommitted := d.HasArg("uncommitted")
	if uncommitted && len(s.stages) > 1 {
		return "", fmt.Errorf("uncommitted: one stage only")
	}
	first := func() *windowStage { return s.stages[0] }
	switch d.Cmd {
	case "window-agg", "window-tvf", "window-rank", "over":
		return s.build(d)
	case "process":
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			rec, err := first().record(line, s.loc)
			if err != nil {
				return "", err
			}
			if err := first().h.Process(rec); err != nil {
				return "", err
			}
		}
		return s.flow(uncommitted, nil)
	case "watermark":
		ts, err := s.parseTime(d.CmdArgs[0].Key)
		if err != nil {
			return "", err
		}
		return s.flow(uncommitted, func(h *stream.Harness) error { return h.Watermark(ts) })
	case "time":
		ts, err := s.parseTime(d.CmdArgs[0].Key)
		if err != nil {
			return "", err
		}
		if d.HasArg("unfired") {
			// The clock moves, the timers wait for the task's next poll.
			for _, st := range s.stages {
				st.h.MoveClock(time.UnixMilli(ts))
			}
			return "ok\n", nil
		}
		return s.flow(uncommitted, func(h *stream.Harness) error { return h.SetTime(time.UnixMilli(ts)) })
	case "end":
		return s.flow(uncommitted, func(h *stream.Harness) error { return h.EndOfInput() })
	case "checkpoint":
		return s.flow(false, nil)
	case "restore":
		for _, st := range s.stages {
			if err := st.h.Restore(); err != nil {
				return "", err
			}
			st.late = 0 // Harness.Late counts since the operator was opened
		}
		return "ok\n", nil
	}
	return "", fmt.Errorf("unknown command %s", d.Cmd)
}

// flow applies step to every stage in turn (a watermark moves after the
// stage before it handed its output on), checkpoints each (unless
// uncommitted) and prints what the last one committed.
func (s *windowScript) flow(uncommitted bool, step func(*stream.Harness) error) (string, error) {
	for i, st := range s.stages {
		if i > 0 {
			prev := s.stages[i-1]
			outs := prev.h.Output("out")
			for _, r := range outs[prev.fed:] {
				rec := stream.Record{Time: r.Time, Row: r.Row}
				for _, c := range st.keys {
					rec.Key = row.AppendKey(rec.Key, r.Row.Values[c])
				}
				if err := st.h.Process(rec); err != nil {
					return "", err
				}
			}
			prev.fed = len(outs)
		}
		if step != nil {
			if err := step(st.h); err != nil {
				return "", err
			}
		}
		if uncommitted {
			return "(uncommitted)\n", nil
		}
		if err := st.h.Checkpoint(); err != nil {
			return "", err
		}
	}
	return s.printNew(), nil
}

func (s *windowScript) printNew() string {
	var b strings.Builder
	last := s.stages[len(s.stages)-1]
	outs := last.h.Output("out")
	for _, r := range outs[last.nOut:] {
		fmt.Fprintf(&b, "%s @%s\n", r.Row, windowFmtTime(r.Time))
	}
	last.nOut = len(outs)
	for _, st := range s.stages {
		dead := st.h.DeadLetters()
		for _, r := range dead[st.nDead:] {
			fmt.Fprintf(&b, "dead: %s @%s\n", r.Header(stream.HeaderReason), windowFmtTime(r.Time))
		}
		st.nDead = len(dead)
		if late := st.h.Late(); late != st.late {
			fmt.Fprintf(&b, "late: %d\n", late)
			st.late = late
		}
	}
	if b.Len() == 0 {
		return "(none)\n"
	}
	return b.String()
}

func windowFmtTime(ms int64) string {
	return string(row.AppendTimestamp(nil, ms, 0, 3))
}

// parseTime reads a timestamp text (in the script's zone when it has one
// and no Z) or integer milliseconds.
func (s *windowScript) parseTime(text string) (int64, error) {
	text = strings.ReplaceAll(text, "_", " ")
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	if s.loc != nil || strings.HasSuffix(text, "Z") {
		ms, _, err := row.ParseTimestampLTZ(text, ' ', s.loc)
		return ms, err
	}
	ms, _, err := row.ParseTimestamp(text)
	return ms, err
}

func (s *windowScript) build(d *datadriven.TestData) (string, error) {
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		k, v, _ := strings.Cut(l, ":")
		lines[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var err error
	st := &windowStage{}
	if st.schema, err = row.ParseSchema(lines["schema"]); err != nil {
		return "", err
	}
	_, chain := d.Arg("chain")
	if !chain {
		s.loc = nil
	}
	if tz := lines["tz"]; tz != "" {
		if s.loc, err = time.LoadLocation(tz); err != nil {
			return "", err
		}
	}
	col := func(name string) (int, error) {
		if name == "proctime" {
			return -1, nil
		}
		i := st.schema.Index(name)
		if i < 0 {
			return 0, fmt.Errorf("no column %q", name)
		}
		return i, nil
	}
	cols := func(text string) ([]int, error) {
		var out []int
		for _, n := range strings.Split(text, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			c, err := col(n)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	if st.keys, err = cols(lines["keys"]); err != nil {
		return "", err
	}
	var calls []AggCall
	for _, c := range strings.Split(lines["calls"], ";") {
		if strings.TrimSpace(c) == "" {
			continue
		}
		call, err := windowTestCall(c, st.schema)
		if err != nil {
			return "", err
		}
		calls = append(calls, call)
	}
	opts := func(text string) map[string]string {
		m := map[string]string{}
		for i, f := range strings.Fields(text) {
			k, v, _ := strings.Cut(f, "=")
			if i == 0 && v == "" {
				m["kind"] = k
				continue
			}
			m[k] = v
		}
		return m
	}
	dur := func(v string) time.Duration {
		if v == "" {
			return 0
		}
		x, err2 := time.ParseDuration(v)
		if err2 != nil && err == nil {
			err = err2
		}
		return x
	}
	st.timeCol = -1
	var win WindowSpec
	if w := opts(lines["window"]); len(w) > 0 {
		switch w["kind"] {
		case "tumble":
			win.Kind = Tumble
		case "hop":
			win.Kind = Hop
		case "cumulate":
			win.Kind = Cumulate
		case "session":
			win.Kind = Session
		default:
			return "", fmt.Errorf("window kind %q", w["kind"])
		}
		win.Size, win.Slide, win.Step, win.Gap, win.Offset = dur(w["size"]), dur(w["slide"]), dur(w["step"]), dur(w["gap"]), dur(w["offset"])
		if win.TimeCol, err = col(w["time"]); err != nil {
			return "", err
		}
		st.timeCol = win.TimeCol
		if win.TimeCol >= 0 && st.schema.Column(win.TimeCol).Type.Kind == row.KindTimestampLTZ || win.TimeCol < 0 {
			win.LTZ, win.Loc = true, s.loc
		}
	}
	cacheN := 0
	if c := lines["cache"]; c != "" {
		if cacheN, err = strconv.Atoi(c); err != nil {
			return "", err
		}
	}
	var f stream.Factory
	switch d.Cmd {
	case "window-tvf":
		f = WindowTVF(win)
	case "window-agg":
		_, perWindow := lines["perwindow"]
		f = WindowAgg(WindowAggSpec{Window: win, Keys: st.keys, Calls: calls, MaxCachedGroups: cacheN, perWindow: perWindow})
	default:
		if f, err = s.buildMore(st, d.Cmd, lines, opts, dur, col, cols, calls, cacheN); err != nil {
			return "", err
		}
	}
	if err != nil {
		return "", err
	}
	if rc := lines["rectime"]; rc != "" {
		if st.timeCol, err = col(rc); err != nil {
			return "", err
		}
	}
	if st.h, err = stream.NewHarness(streamtest.MemDB(s.t), "op", f, streamtest.Epoch); err != nil {
		return "", err
	}
	if !chain {
		s.stages = nil
	}
	s.stages = append(s.stages, st)
	return "ok\n", nil
}

// record parses "+I v1 | v2 | ..." into a typed record keyed by the
// script's keys and timed by its time column.
func (s *windowStage) record(line string, loc *time.Location) (stream.Record, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	k, err := row.ParseRowKind(kind)
	if err != nil {
		return stream.Record{}, err
	}
	parts := strings.Split(rest, "|")
	if len(parts) != s.schema.Len() {
		return stream.Record{}, fmt.Errorf("%q: %d values, schema has %d columns", line, len(parts), s.schema.Len())
	}
	r := row.Row{Kind: k, Values: make([]row.Value, len(parts))}
	for i, p := range parts {
		if r.Values[i], err = windowTestValue(strings.TrimSpace(p), s.schema.Column(i).Type, loc); err != nil {
			return stream.Record{}, fmt.Errorf("column %d: %v", i, err)
		}
	}
	rec := stream.Record{Row: &r}
	for _, c := range s.keys {
		rec.Key = row.AppendKey(rec.Key, r.Values[c])
	}
	if s.timeCol >= 0 && !r.Values[s.timeCol].IsNull() {
		rec.Time = r.Values[s.timeCol].Millis()
	}
	return rec, nil
}

func windowTestValue(text string, t row.Type, loc *time.Location) (row.Value, error) {
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
	case row.KindDecimal:
		d, err := row.ParseDecimal(text, t.Precision, t.Scale)
		return row.DecimalValue(d), err
	case row.KindTimestamp:
		ms, ns, err := row.ParseTimestamp(text)
		return row.Timestamp(ms, ns), err
	case row.KindTimestampLTZ:
		ms, ns, err := row.ParseTimestampLTZ(text, ' ', loc)
		return row.TimestampLTZ(ms, ns), err
	}
	return row.Null(), fmt.Errorf("test values of type %s", t)
}

func (s *windowScript) buildMore(st *windowStage, cmd string, lines map[string]string, opts func(string) map[string]string,
	dur func(string) time.Duration, col func(string) (int, error), cols func(string) ([]int, error),
	calls []AggCall, cacheN int) (stream.Factory, error) {
	switch cmd {
	case "window-rank":
		r := opts(lines["rank"])
		spec := WindowRankSpec{PartitionKeys: st.keys, Loc: s.loc, MaxCachedGroups: cacheN}
		if spec.Loc != nil && st.schema.Index("window_time") >= 0 && st.schema.Column(st.schema.Index("window_time")).Type.Kind != row.KindTimestampLTZ {
			spec.Loc = nil
		}
		// rank: limit=N [rn] [window=START,END] [lastonties] (the first
		// field is a flag too: opts files it under "kind").
		flags := map[string]bool{r["kind"]: true}
		for k, v := range r {
			if v == "" {
				flags[k] = true
			}
		}
		spec.OutputRankNumber, spec.LastOnTies = flags["rn"], flags["lastonties"]
		n, err := strconv.ParseInt(r["limit"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("rank limit: %v", err)
		}
		spec.Limit = n
		win := r["window"]
		if win == "" {
			win = "window_start,window_end"
		}
		wc, err := cols(win)
		if err != nil || len(wc) != 2 {
			return nil, fmt.Errorf("rank window columns %q: %v", win, err)
		}
		spec.WindowStartCol, spec.WindowEndCol = wc[0], wc[1]
		if spec.UniqueKey, err = cols(lines["unique"]); err != nil {
			return nil, fmt.Errorf("rank unique key: %v", err)
		}
		for _, o := range strings.Split(lines["order"], ",") {
			f := strings.Fields(o)
			if len(f) == 0 {
				continue
			}
			c, err := col(f[0])
			if err != nil {
				return nil, err
			}
			k := WindowSortKey{Col: c}
			rest := strings.ToLower(strings.Join(f[1:], " "))
			k.Desc = strings.Contains(rest, "desc")
			k.NullsLast = strings.Contains(rest, "nulls last")
			spec.Order = append(spec.Order, k)
		}
		st.timeCol = -1
		if i := st.schema.Index("window_time"); i >= 0 {
			st.timeCol = i
		}
		return WindowRank(spec), nil
	case "over":
		o := opts(lines["over"])
		spec := OverSpec{PartitionKeys: st.keys, Calls: calls, Rows: o["kind"] == "rows", MaxCachedGroups: cacheN}
		var err error
		if spec.TimeCol, err = col(o["time"]); err != nil {
			return nil, err
		}
		st.timeCol = spec.TimeCol
		switch p := o["preceding"]; {
		case p == "unbounded":
			spec.Unbounded = true
		case spec.Rows:
			if spec.Preceding, err = strconv.ParseInt(p, 10, 64); err != nil {
				return nil, err
			}
		default:
			spec.PrecedingTime = dur(p)
		}
		return OverAgg(spec), nil
	}
	return nil, fmt.Errorf("unknown operator %s", cmd)
}
