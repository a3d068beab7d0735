package connector

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/format"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// What the connectors share: strict option validation with Flink's names,
// the layout of a table's rows (physical and metadata columns), and the
// formats of its values.
//
// Option keys in a Factory's Options may be patterns: 'properties.*'
// (any key with that prefix) and 'fields.#.kind' ('#' is a column name of
// the table). Format options ('json.*', 'value.csv.*', ...) are accepted
// for the formats the table uses and validated by internal/format. The
// keys in a connector's ignore list are Flink options rtdw has no use for
// (parallelism, partition discovery, Kafka client properties): accepted,
// and named in one info log line.

// spec is an OptionSpec literal.
func spec(key, def string, required bool, doc string) OptionSpec {
	return OptionSpec{Key: key, Default: def, Required: required, Doc: doc}
}

// optionMatch reports whether key matches the spec key pattern.
func optionMatch(pattern, key string, t *Table) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, p) && len(key) > len(p)
	}
	before, after, ok := strings.Cut(pattern, "#")
	if !ok {
		return pattern == key
	}
	if !strings.HasPrefix(key, before) || !strings.HasSuffix(key, after) || len(key) <= len(before)+len(after) {
		return false
	}
	col := key[len(before) : len(key)-len(after)]
	return t.Schema != nil && t.Schema.Index(col) >= 0
}

// checkOptions validates t's options against f's: every key is a spec
// key (or matches a pattern), a prefix of one of the formats in use
// (formatPrefixes: "json.", "value.csv.", ...), 'connector' or the session
// time zone; required options are present. The options that match ignore
// are logged once. The error lists the supported options.
func checkOptions(ctx *Context, f *Factory, t *Table, ignore []string, formatPrefixes ...string) error {
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ignored []string
	for _, k := range keys {
		if k == "connector" || k == format.LocalTimeZoneOption {
			continue
		}
		known := false
		for _, s := range f.Options {
			if optionMatch(s.Key, k, t) {
				known = true
				break
			}
		}
		for _, p := range formatPrefixes {
			if p != "" && strings.HasPrefix(k, p) {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("%s: unsupported option '%s' (supported: %s)", where(f, t), k, supportedList(f, formatPrefixes))
		}
		// An option with a spec of its own is used, unless the ignore list
		// names it exactly ('properties.group.id' is used, other
		// 'properties.*' are not).
		own := slices.ContainsFunc(f.Options, func(s OptionSpec) bool { return s.Key == k })
		for _, p := range ignore {
			if p == k || !own && optionMatch(p, k, t) {
				ignored = append(ignored, k)
				break
			}
		}
	}
	for _, s := range f.Options {
		if s.Required && !strings.ContainsAny(s.Key, "*#") {
			if _, ok := t.Options[s.Key]; !ok {
				return fmt.Errorf("%s: option '%s' is required", where(f, t), s.Key)
			}
		}
	}
	if len(ignored) > 0 {
		logger(ctx).Info("ignoring Flink options rtdw does not need", "table", t.Name, "connector", f.Name, "options", strings.Join(ignored, ", "))
	}
	return nil
}

func supportedList(f *Factory, formatPrefixes []string) string {
	var names []string
	for _, s := range f.Options {
		names = append(names, s.Key)
	}
	for _, p := range formatPrefixes {
		if p != "" {
			names = append(names, p+"*")
		}
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ", ")
}

// where names a table and connector in messages.
func where(f *Factory, t *Table) string {
	return fmt.Sprintf("table %s ('connector' = '%s')", t.Name, f.Name)
}

func logger(ctx *Context) *slog.Logger {
	if ctx != nil && ctx.Logger != nil {
		return ctx.Logger
	}
	return slog.Default()
}

// opt returns an option's value or its default.
func opt(t *Table, key, def string) string {
	if v, ok := t.Options[key]; ok {
		return v
	}
	return def
}

// boolOpt reads a boolean option as Flink does (true/false in any case).
func boolOpt(f *Factory, t *Table, key string, def bool) (bool, error) {
	v, ok := t.Options[key]
	if !ok {
		return def, nil
	}
	b, err := row.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: '%s' = '%s': %v", where(f, t), key, v, err)
	}
	return b, nil
}

// intOpt reads an integer option.
func intOpt(f *Factory, t *Table, key string, def int64) (int64, error) {
	v, ok := t.Options[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: '%s' = '%s': not an integer", where(f, t), key, v)
	}
	return n, nil
}

// enumOpt reads an option that takes one of values (case-insensitively,
// as Flink's enum options); the result is lowercase.
func enumOpt(f *Factory, t *Table, key, def string, values ...string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(opt(t, key, def)))
	if slices.Contains(values, v) {
		return v, nil
	}
	return "", fmt.Errorf("%s: '%s' = '%s': want one of %s", where(f, t), key, opt(t, key, def), strings.Join(values, ", "))
}

// durationOpt reads a duration as Flink writes them: "10 s", "1min",
// "500ms", "2 h", a plain number of milliseconds.
func durationOpt(f *Factory, t *Table, key string, def time.Duration) (time.Duration, error) {
	v, ok := t.Options[key]
	if !ok {
		return def, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: '%s' = '%s': %v", where(f, t), key, v, err)
	}
	return d, nil
}

// durationUnits are Flink's TimeUtils units, plurals included.
var durationUnits = map[string]time.Duration{
	"": time.Millisecond, "ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"µs": time.Microsecond, "us": time.Microsecond, "micro": time.Microsecond, "micros": time.Microsecond, "microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond, "nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour, "d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParseDuration reads a duration as Flink's TimeUtils.parseDuration does:
// a non-negative integer and a unit ('10 s', '5 min', '500ms', '1 d'; no
// unit: milliseconds). A sign is refused, as Flink's "text does not
// start with a number".
func ParseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || i == 0 {
		return 0, fmt.Errorf("not a duration (e.g. '10 s', '1 min', '500 ms')")
	}
	unit := strings.TrimSpace(s[i:])
	u, ok := durationUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown time unit %q", unit)
	}
	if n > int64(math.MaxInt64/u) {
		return 0, fmt.Errorf("%q is too long a duration", v)
	}
	return time.Duration(n) * u, nil
}

// layout is how a table's rows are laid out: its physical columns (what
// formats read and write) and metadata columns, by index in Table.Schema.
type layout struct {
	t        *Table
	physical []int
	meta     map[int]MetadataColumn
	// sinkCols: the columns of a sink's input rows, in order (Schema
	// without the VIRTUAL metadata columns).
	sinkCols []int
}

func newLayout(t *Table) (*layout, error) {
	if t.Schema == nil || t.Schema.Len() == 0 {
		return nil, fmt.Errorf("table %s has no columns", t.Name)
	}
	l := &layout{t: t, meta: map[int]MetadataColumn{}}
	for _, m := range t.Metadata {
		if m.Index < 0 || m.Index >= t.Schema.Len() {
			return nil, fmt.Errorf("table %s: metadata column index %d out of range", t.Name, m.Index)
		}
		l.meta[m.Index] = m
	}
	for i := range t.Schema.Len() {
		m, isMeta := l.meta[i]
		if !isMeta {
			l.physical = append(l.physical, i)
		}
		if !isMeta || !m.Virtual {
			l.sinkCols = append(l.sinkCols, i)
		}
	}
	if len(l.physical) == 0 {
		return nil, fmt.Errorf("table %s has no physical columns", t.Name)
	}
	return l, nil
}

// metaKey is the metadata key of column m (the column name without FROM).
func (l *layout) metaKey(m MetadataColumn) string {
	if m.Key != "" {
		return m.Key
	}
	return l.t.Schema.Column(m.Index).Name
}

// noMetadata is the error of a connector that has no metadata.
func (l *layout) noMetadata(f *Factory) error {
	for _, m := range l.t.Metadata {
		return fmt.Errorf("%s: column %s: the connector has no metadata (key '%s')", where(f, l.t), l.t.Schema.Column(m.Index).Name, l.metaKey(m))
	}
	return nil
}

// subSchema is the schema of the given columns, each name without prefix
// (Kafka's key.fields-prefix).
func (l *layout) subSchema(cols []int, prefix string) (*row.Schema, error) {
	out := make([]row.Column, len(cols))
	for i, c := range cols {
		col := l.t.Schema.Column(c)
		name, ok := strings.CutPrefix(col.Name, prefix)
		if !ok || name == "" {
			return nil, fmt.Errorf("table %s: column %s does not start with the key prefix '%s'", l.t.Name, col.Name, prefix)
		}
		out[i] = row.Column{Name: name, Type: col.Type}
	}
	return row.NewSchema(out...)
}

// full returns r as a row of the whole Schema: sink input rows may leave
// out the VIRTUAL metadata columns (Sink.Attach), which are then NULL.
func (l *layout) full(r *row.Row, scratch *row.Row) *row.Row {
	n := l.t.Schema.Len()
	if len(r.Values) == n {
		return r
	}
	scratch.Reset(r.Kind, n)
	for i, c := range l.sinkCols {
		if i < len(r.Values) {
			scratch.Values[c] = r.Values[i]
		}
	}
	return scratch
}

// project sets dst to the values of cols of r, with r's kind.
func project(dst, r *row.Row, cols []int) *row.Row {
	dst.Reset(r.Kind, len(cols))
	for i, c := range cols {
		if c < len(r.Values) {
			dst.Values[i] = r.Values[c]
		}
	}
	return dst
}

// indexes resolves column names to indexes in the schema.
func indexes(f *Factory, t *Table, what string, names []string) ([]int, error) {
	out := make([]int, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := t.Schema.Index(n)
		if i < 0 {
			return nil, fmt.Errorf("%s: %s: no column '%s'", where(f, t), what, n)
		}
		if slices.Contains(out, i) {
			return nil, fmt.Errorf("%s: %s: column '%s' given twice", where(f, t), what, n)
		}
		out = append(out, i)
	}
	return out, nil
}

// withLoc applies the context's session time zone to a format unless the
// options set 'table.local-time-zone'.
func withLoc(ctx *Context, t *Table, f *format.Format) *format.Format {
	if _, ok := t.Options[format.LocalTimeZoneOption]; ok || ctx == nil || ctx.Loc == nil {
		return f
	}
	return f.WithLocation(ctx.Loc)
}

// badRecord is a record a format cannot decode: dead-lettered with the
// format's error as the reason.
func badRecord(what string, err error) error {
	if what != "" {
		return stream.BadInput("bad_format", "%s: %v", what, err)
	}
	return stream.BadInput("bad_format", "%v", err)
}

// nodeName is an operator name from a role and a table name (node names
// are [a-zA-Z0-9_]+ and name the operator's state: stable across runs).
func nodeName(role string, t *Table) string {
	name := t.ObjectName
	if name == "" {
		name = t.Name
	}
	b := []byte(role + "_" + name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// castMeta adapts a metadata value of type from to the declared column
// type to (Flink casts a metadata column to its declared type): the same
// kind as is, integers widened, TIMESTAMP_LTZ to TIMESTAMP in the session
// time zone.
func castMeta(v row.Value, from, to row.Type, ctx *Context) row.Value {
	if v.IsNull() || from.Kind == to.Kind {
		return v
	}
	switch {
	case from.Kind == row.KindTimestampLTZ && to.Kind == row.KindTimestamp:
		var loc *time.Location
		if ctx != nil {
			loc = ctx.Loc
		}
		return row.Timestamp(row.InstantToLocal(v.Millis(), loc), v.NanosOfMilli())
	case from.IsInteger() && to.IsInteger():
		switch to.Kind {
		case row.KindSmallInt:
			return row.SmallInt(int16(v.Int64()))
		case row.KindInt:
			return row.Int(int32(v.Int64()))
		case row.KindBigInt:
			return row.BigInt(v.Int64())
		}
	}
	return v
}

// metaCastable reports whether castMeta converts from to to.
func metaCastable(from, to row.Type) bool {
	switch {
	case from.Kind == to.Kind:
		return true
	case from.Kind == row.KindTimestampLTZ && to.Kind == row.KindTimestamp:
		return true
	case from.IsInteger() && to.IsInteger():
		return intRank(to.Kind) >= intRank(from.Kind)
	}
	return false
}

func intRank(k row.Kind) int {
	return map[row.Kind]int{row.KindTinyInt: 1, row.KindSmallInt: 2, row.KindInt: 3, row.KindBigInt: 4}[k]
}
