package dws

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// bean is one fact's contribution to a window: the window's dimension
// values (table dims order), measure deltas (counts; money in cents) and,
// per distinct measure, the id to count. A retraction (R) takes back a
// contribution counted before (a corrected order detail).
type bean struct {
	D []string `json:"d"`
	N []int64  `json:"n,omitempty"`
	U []string `json:"u,omitempty"`
	R bool     `json:"r,omitempty"`
}

// rows sums beans per window key and renders each closed window as the
// table's row (rtdw's TumblingWindowOf aggregator). A window's
// accumulator stays decoded in memory while the task runs: a bean costs
// O(its size), whatever the window holds.
type rows struct {
	t   *table
	loc *time.Location
}

func (a *rows) New() *winAcc { return &winAcc{size: accBaseSize} }

func (a *rows) Decode(raw []byte) (*winAcc, error) { return decodeAcc(raw) }

func (a *rows) Encode(s *winAcc, dst []byte) []byte { return appendAcc(dst, s) }

func (a *rows) Size(s *winAcc) int { return s.size }

func (a *rows) Add(s *winAcc, rec *stream.Record) (*winAcc, error) {
	v := rec.Value
	if len(v) > 0 && v[0] != beanV1 {
		// A JSON bean an earlier version left in the repartition topic.
		b, err := decodeBean(v)
		if err != nil {
			return nil, fmt.Errorf("dws: bean %q: %w", v, err) // our own encoding: a bug, not bad input
		}
		v = appendBean(nil, &b)
	}
	if err := s.addBean(v); err != nil {
		return nil, fmt.Errorf("dws: bean %q: %w", rec.Value, err)
	}
	return s, nil
}

func (a *rows) Emit(_ []byte, w operator.Window, s *winAcc, out stream.Emitter) error {
	// The times are formatted into the stack and the row and key built in
	// one right-sized buffer each: a window emits many rows (one per
	// dimension group), and a row cost ten allocations otherwise.
	var sb, eb [32]byte
	stt, edt := a.appendTime(sb[:0], w.Start), a.appendTime(eb[:0], w.End)
	curDate := stt[:len(time.DateOnly)]
	n := 0
	for _, d := range s.d {
		n += len(d) + 1
	}
	key := make([]byte, 0, len(stt)+len(edt)+len(curDate)+2+n)
	key = append(append(append(append(append(key, stt...), '|'), edt...), '|'), curDate...)
	for _, d := range s.d {
		key = append(append(key, '|'), d...)
	}

	row := make([]byte, 0, 128+2*n+32*(len(a.t.dims)+len(a.t.extra)+len(a.t.measures)))
	row = append(row, `{"stt":`...)
	row = jsonw.AppendString(row, stt)
	row = append(row, `,"edt":`...)
	row = jsonw.AppendString(row, edt)
	row = append(row, `,"cur_date":`...)
	row = jsonw.AppendString(row, curDate)
	for i, d := range a.t.dims {
		row = appendField(row, d)
		if i < len(s.d) {
			row = jsonw.AppendString(row, []byte(s.d[i]))
		} else {
			row = append(row, "null"...)
		}
	}
	for _, e := range a.t.extra {
		row = append(appendField(row, e), "null"...) // the lookup after the window fills them
	}
	for _, m := range a.t.measures {
		row = appendField(row, m.name)
		switch m.kind {
		case countMeasure:
			row = strconv.AppendInt(row, slot(s.n, m.slot), 10)
		case amountMeasure:
			row = appendCents(row, slot(s.n, m.slot))
		case distinctMeasure:
			n := 0
			if m.slot < len(s.u) {
				n = s.u[m.slot].live
			}
			row = strconv.AppendInt(row, int64(n), 10)
		}
	}
	row = append(row, '}')
	rec := stream.Record{Key: key, Value: row, Time: w.End - 1}
	out.Emit(0, &rec)
	return nil
}

func (a *rows) appendTime(dst []byte, ms int64) []byte {
	return time.UnixMilli(ms).In(a.loc).AppendFormat(dst, time.DateTime)
}

func slot(n []int64, i int) int64 {
	if i < len(n) {
		return n[i]
	}
	return 0
}

func appendField(row []byte, name string) []byte {
	row = append(row, ',')
	row = jsonw.AppendString(row, []byte(name))
	return append(row, ':')
}

// appendCents writes cents as a JSON number with two decimals.
func appendCents(dst []byte, c int64) []byte {
	if c < 0 {
		dst = append(dst, '-')
		c = -c
	}
	dst = strconv.AppendInt(dst, c/100, 10)
	dst = append(dst, '.')
	if c%100 < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, c%100, 10)
}

// windowed is every job's tail: beans keyed by their window dims into the
// tumbling window. A bean that arrives after its window fired but within
// the allowed lateness updates the window, whose row is emitted again (an
// upsert of the same key); later beans are dead-lettered with reason
// "late" (and counted as late by the window). It returns the stream of
// rows.
func (c *Config) windowed(beans stream.Stream, t *table) stream.Stream {
	w := beans.KeyBy("by_window_key", func(r *stream.Record) ([]byte, error) { return r.Key, nil }).
		Process("window", c.windowOperator(t))
	w.Port(operator.PortLate).Process("late", lateRecords(c.Location, c.Window, max(c.AllowedLateness, 0)))
	return w.Port(operator.PortWindows)
}

// windowOperator is the window of t's job.
func (c *Config) windowOperator(t *table) stream.Factory {
	return operator.TumblingWindowOf[*winAcc](c.Window, &rows{t: t, loc: c.Location}, operator.AllowedLateness(c.AllowedLateness))
}

// lateRecords dead-letters what arrived after its window closed for good
// (fired, and the allowed lateness passed): the record is the bean (dims,
// measures, event time) in its JSON form (beanJSON), which is what
// repairing the row needs.
func lateRecords(loc *time.Location, size, lateness time.Duration) stream.Factory {
	return operator.KeyedProcess(func() *operator.KeyedFuncs {
		var ctx *stream.Context
		return &operator.KeyedFuncs{
			Open: func(c *stream.Context) error { ctx = c; return nil },
			Process: func(rec *stream.Record, _ stream.Emitter) error {
				start := rec.Time - ((rec.Time%size.Milliseconds())+size.Milliseconds())%size.Milliseconds()
				f := func(ms int64) string { return time.UnixMilli(ms).In(loc).Format(time.DateTime) }
				bad := stream.BadInput(lateReason, "event time %s: window [%s, %s) had closed (watermark %s, allowed lateness %s)",
					f(rec.Time), f(start), f(start+size.Milliseconds()), f(ctx.Watermark()), lateness)
				// The dead letter shows the bean as JSON, as it always has.
				js, err := beanJSON(rec.Value)
				if err != nil {
					return bad // not a bean we can read: dead-lettered as it is
				}
				b, _ := stream.AsBadInput(bad)
				cp := *rec
				cp.Value = js
				ctx.DeadLetter(&cp, b)
				return nil
			},
		}
	})
}

// --- reading facts ---

// parse returns the record's JSON object or a bad-input error.
func parse(rec *stream.Record) (*fastjson.Value, error) {
	v, err := rec.JSON()
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, stream.BadInput("malformed_json", "not a JSON object")
	}
	return v, nil
}

// text renders a scalar field as a string: strings as they are, numbers
// as written (ids arrive as numbers from the DB, strings from logs);
// ok=false when absent, null or empty.
func text(v *fastjson.Value, keys ...string) (string, bool) {
	f := v.Get(keys...)
	if f == nil {
		return "", false
	}
	switch f.Type() {
	case fastjson.TypeString:
		s := string(f.GetStringBytes())
		return s, s != ""
	case fastjson.TypeNumber:
		return string(f.MarshalTo(nil)), true
	}
	return "", false
}

// need is text for a required field: absent is bad input.
func need(v *fastjson.Value, key string) (string, error) {
	s, ok := text(v, key)
	if !ok {
		return "", stream.BadInput("missing_field", "no %q", key)
	}
	return s, nil
}

// cents reads a decimal field (a JSON number or numeric string) exactly,
// rounding half away from zero at the cent; absent or null is 0.
func cents(v *fastjson.Value, key string) (int64, error) {
	f := v.Get(key)
	if f == nil || f.Type() == fastjson.TypeNull {
		return 0, nil
	}
	var s string
	switch f.Type() {
	case fastjson.TypeNumber:
		s = string(f.MarshalTo(nil))
	case fastjson.TypeString:
		s = string(f.GetStringBytes())
	default:
		return 0, stream.BadInput("bad_field", "%q is not a decimal", key)
	}
	c, ok := parseCents(s)
	if !ok {
		return 0, stream.BadInput("bad_field", "%q = %q is not a decimal", key, s)
	}
	return c, nil
}

func parseCents(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if strings.ContainsAny(s, "eE") { // 1e3: rare, exact enough through float
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		s = strconv.FormatFloat(f, 'f', 3, 64)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, false
	}
	w, err := strconv.ParseInt("0"+whole, 10, 64)
	if err != nil || w > 1<<50 {
		return 0, false
	}
	for _, r := range frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	frac += "000"
	c := w*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if frac[2] >= '5' {
		c++
	}
	if neg {
		c = -c
	}
	return c, true
}

// --- event time ---

// logTime: app logs carry ts in epoch ms.
func logTime(r *stream.Record) (int64, bool) {
	v, err := r.JSON()
	if err != nil {
		return 0, false
	}
	ts := v.Get("ts")
	if ts == nil || ts.Type() != fastjson.TypeNumber {
		return 0, false
	}
	n, err := ts.Int64()
	return n, err == nil && n > 0
}

// dbTime: DB facts carry ts in epoch seconds (SPEC §0: ×1000). A ts that
// is already in ms (a value past year 5000 in seconds) is taken as ms, the
// seconds-vs-milliseconds pitfall of SPEC §7.
func dbTime(r *stream.Record) (int64, bool) {
	n, ok := logTime(r)
	if !ok {
		return 0, false
	}
	if n < 100_000_000_000 {
		n *= 1000
	}
	return n, true
}

// withTime dead-letters a record whose event time could not be read (the
// source then left it at the log timestamp): it must not be counted in
// some arbitrary window.
func withTime(et func(*stream.Record) (int64, bool)) stream.Factory {
	return operator.Filter(func(r *stream.Record) (bool, error) {
		if _, err := parse(r); err != nil {
			return false, err
		}
		if _, ok := et(r); !ok {
			return false, stream.BadInput("bad_time", "no usable event time")
		}
		return true, nil
	})
}

// days gives calendar dates in the business time zone.
type days struct{ loc *time.Location }

func (d days) date(ms int64) string { return time.UnixMilli(ms).In(d.loc).Format(time.DateOnly) }

// between is the number of calendar days from a to b (dates yyyy-MM-dd).
func between(a, b string) int {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours() / 24)
}
