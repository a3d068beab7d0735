package connector

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// What the lookup connectors (jdbc, rtdw-dim / redis, rtdw-olap) share:
// Flink's lookup options, the per-task cache of lookup_cache.go, the
// conversion of the values a database returns into the DDL's column types,
// and the process-wide connections lookups open.
//
// Cache options, as Flink's (FLIP-221) and the legacy JDBC names:
//
//	'lookup.cache' = 'NONE' (default) | 'PARTIAL'
//	  'lookup.partial-cache.max-rows'             entries (keys) kept, least recently used evicted
//	  'lookup.partial-cache.expire-after-write'   an entry is dropped this long after it was loaded
//	  'lookup.partial-cache.expire-after-access'  ... this long after it was last used
//	  'lookup.partial-cache.cache-missing-key'    cache keys without rows too (default true)
//	  PARTIAL needs at least one of the first three (Flink's rule).
//	'lookup.cache.max-rows' > 0 (legacy): a cache of that many entries, each
//	  expiring 'lookup.cache.ttl' (default 10 s) after it was loaded, missing
//	  keys cached unless 'lookup.cache.caching-missing-key' = 'false'. As in
//	  Flink's JDBC connector the legacy options win over 'lookup.cache'.
//	'lookup.cache' = 'FULL' is not supported.
//
// The cache is per task (Flink: per parallel instance) and in memory only:
// it is empty after a restart. 'lookup.max-retries' (default 3, Flink's
// JDBC default) is how often a failed lookup is retried before the task
// fails and restarts from its checkpoint; 'lookup.async' runs up to
// DefaultLookupAsyncCapacity lookups per task at once, results in input
// order (Flink's ORDERED async lookup).

// LookupCacheOptions configure the per-task lookup cache.
type LookupCacheOptions struct {
	Enabled bool
	// MaxRows bounds the entries (one per key; Flink's max-rows counts
	// keys too); the least recently used goes first. 0: no bound.
	MaxRows           int64
	ExpireAfterWrite  time.Duration // 0: never
	ExpireAfterAccess time.Duration // 0: never
	CacheMissingKey   bool          // keep keys the source has no row for
}

// Defaults of the lookup options.
const (
	DefaultLookupMaxRetries    = 3
	DefaultLookupAsyncCapacity = 100 // Flink's table.exec.async-lookup.buffer-capacity
	defaultLegacyCacheTTL      = 10 * time.Second
)

// lookupOptionSpecs are the options of every lookup connector.
func lookupOptionSpecs() []OptionSpec {
	return []OptionSpec{
		spec("lookup.cache", "NONE", false, "Lookup cache: NONE or PARTIAL (FULL is not supported). The cache is per task and in memory."),
		spec("lookup.partial-cache.max-rows", "", false, "PARTIAL: most entries (keys) kept; the least recently used is evicted."),
		spec("lookup.partial-cache.expire-after-write", "", false, "PARTIAL: an entry expires this long after it was loaded ('10 min')."),
		spec("lookup.partial-cache.expire-after-access", "", false, "PARTIAL: an entry expires this long after it was last used."),
		spec("lookup.partial-cache.cache-missing-key", "true", false, "PARTIAL: cache keys that have no row too."),
		spec("lookup.cache.max-rows", "", false, "Legacy cache option: a cache of this many entries (wins over 'lookup.cache')."),
		spec("lookup.cache.ttl", "10 s", false, "Legacy cache option: entries expire this long after they were loaded."),
		spec("lookup.cache.caching-missing-key", "true", false, "Legacy cache option: cache keys that have no row too."),
		spec("lookup.max-retries", "3", false, "Retries of a failed lookup before the task fails (and restarts from its checkpoint)."),
		spec("lookup.async", "false", false, "Look up asynchronously: up to 100 lookups in flight per task, results in input order."),
	}
}

// withLookupOptions returns opts followed by the lookup options.
func withLookupOptions(opts ...OptionSpec) []OptionSpec {
	return append(opts, lookupOptionSpecs()...)
}

// parseLookupOptions reads the lookup options of t.
func parseLookupOptions(f *Factory, t *Table) (LookupOptions, error) {
	o := LookupOptions{AsyncCapacity: DefaultLookupAsyncCapacity}
	retries, err := intOpt(f, t, "lookup.max-retries", DefaultLookupMaxRetries)
	if err != nil {
		return o, err
	}
	if retries < 0 || retries > math.MaxInt32 {
		return o, fmt.Errorf("%s: 'lookup.max-retries' must not be negative", where(f, t))
	}
	o.MaxRetries = int(retries)
	if o.Async, err = boolOpt(f, t, "lookup.async", false); err != nil {
		return o, err
	}
	nonNegDuration := func(key string, def time.Duration) (time.Duration, error) {
		d, err := durationOpt(f, t, key, def)
		if err == nil && d < 0 {
			err = fmt.Errorf("%s: '%s' must not be negative", where(f, t), key)
		}
		return d, err
	}
	legacyRows, err := intOpt(f, t, "lookup.cache.max-rows", -1)
	if err != nil {
		return o, err
	}
	legacyTTL, err := nonNegDuration("lookup.cache.ttl", defaultLegacyCacheTTL)
	if err != nil {
		return o, err
	}
	if legacyRows > 0 && legacyTTL > 0 {
		missing, err := boolOpt(f, t, "lookup.cache.caching-missing-key", true)
		if err != nil {
			return o, err
		}
		o.Cache = LookupCacheOptions{Enabled: true, MaxRows: legacyRows, ExpireAfterWrite: legacyTTL, CacheMissingKey: missing}
		return o, nil
	}
	kind, err := enumOpt(f, t, "lookup.cache", "NONE", "none", "partial", "full")
	if err != nil {
		return o, err
	}
	switch kind {
	case "full":
		return o, fmt.Errorf("%s: 'lookup.cache' = 'FULL' is not supported (use 'PARTIAL')", where(f, t))
	case "none":
		return o, nil
	}
	c := LookupCacheOptions{Enabled: true}
	rows, err := intOpt(f, t, "lookup.partial-cache.max-rows", 0)
	if err != nil {
		return o, err
	}
	if rows < 0 {
		return o, fmt.Errorf("%s: 'lookup.partial-cache.max-rows' must not be negative", where(f, t))
	}
	c.MaxRows = rows
	if c.ExpireAfterWrite, err = nonNegDuration("lookup.partial-cache.expire-after-write", 0); err != nil {
		return o, err
	}
	if c.ExpireAfterAccess, err = nonNegDuration("lookup.partial-cache.expire-after-access", 0); err != nil {
		return o, err
	}
	if c.CacheMissingKey, err = boolOpt(f, t, "lookup.partial-cache.cache-missing-key", true); err != nil {
		return o, err
	}
	if c.MaxRows == 0 && c.ExpireAfterWrite == 0 && c.ExpireAfterAccess == 0 {
		return o, fmt.Errorf("%s: 'lookup.cache' = 'PARTIAL' needs at least one of 'lookup.partial-cache.max-rows', "+
			"'lookup.partial-cache.expire-after-write' and 'lookup.partial-cache.expire-after-access'", where(f, t))
	}
	o.Cache = c
	return o, nil
}

// LookupOptionsOf returns the lookup options of s: its own when it is
// LookupConfigured, else the defaults (no cache, synchronous, 3 retries).
func LookupOptionsOf(s LookupSource) LookupOptions {
	if c, ok := s.(LookupConfigured); ok {
		return c.LookupOptions()
	}
	return LookupOptions{AsyncCapacity: DefaultLookupAsyncCapacity, MaxRetries: DefaultLookupMaxRetries}
}

// lookupKeyCols checks the key columns NewLookup is given.
func lookupKeyCols(f *Factory, t *Table, keyCols []int) error {
	if len(keyCols) == 0 {
		return fmt.Errorf("%s: a lookup join needs an equality condition on a column of the table", where(f, t))
	}
	seen := map[int]bool{}
	for _, c := range keyCols {
		if c < 0 || c >= t.Schema.Len() {
			return fmt.Errorf("%s: lookup key column index %d out of range", where(f, t), c)
		}
		if seen[c] {
			return fmt.Errorf("%s: lookup key column %s given twice", where(f, t), t.Schema.Column(c).Name)
		}
		seen[c] = true
	}
	return nil
}

// checkScalarColumns reports a column whose type sqlValue cannot produce
// (ARRAY, MAP, MULTISET, ROW, INTERVAL): a relational table has none.
func checkScalarColumns(f *Factory, t *Table, cols []int) error {
	for _, c := range cols {
		col := t.Schema.Column(c)
		if !scalarKind(col.Type.Kind) {
			return fmt.Errorf("%s: column %s: type %s is not supported by this connector", where(f, t), col.Name, col.Type)
		}
	}
	return nil
}

func scalarKind(k row.Kind) bool {
	switch k {
	case row.KindBoolean, row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt, row.KindFloat, row.KindDouble,
		row.KindDecimal, row.KindChar, row.KindVarChar, row.KindBinary, row.KindVarBinary,
		row.KindDate, row.KindTime, row.KindTimestamp, row.KindTimestampLTZ:
		return true
	}
	return false
}

// sqlValue converts a value a database driver returned (nil, integers,
// floats, bool, string, []byte, time.Time, or anything printable) into a
// value of type t. Text converts as CAST from a string does (numbers,
// 'yyyy-MM-dd', 'HH:mm:ss[.f]', 'yyyy-MM-dd HH:mm:ss[.f]' or with 'T'); a
// TIMESTAMP_LTZ text without a zone is a wall-clock time in loc (nil:
// UTC); a time.Time gives its own wall clock to DATE, TIME and TIMESTAMP
// and its instant to TIMESTAMP_LTZ. A value that does not fit t is an
// error.
func sqlValue(v any, t row.Type, loc *time.Location) (row.Value, error) {
	switch x := v.(type) {
	case nil:
		return row.Null(), nil
	case []byte:
		if t.IsBinary() {
			return row.Bytes(append([]byte(nil), x...)), nil
		}
		return textValue(string(x), t, loc)
	case string:
		if t.IsBinary() {
			return row.BytesOf(x), nil
		}
		return textValue(x, t, loc)
	case bool:
		switch {
		case t.Kind == row.KindBoolean:
			return row.Bool(x), nil
		case t.IsInteger(), t.Kind == row.KindDecimal:
			return intValue(map[bool]int64{false: 0, true: 1}[x], t)
		case t.IsString():
			return textValue(strings.ToUpper(strconv.FormatBool(x)), t, loc)
		}
	case int64:
		return intValue(x, t)
	case int:
		return intValue(int64(x), t)
	case int32:
		return intValue(int64(x), t)
	case int16:
		return intValue(int64(x), t)
	case int8:
		return intValue(int64(x), t)
	case uint8:
		return intValue(int64(x), t)
	case uint16:
		return intValue(int64(x), t)
	case uint32:
		return intValue(int64(x), t)
	case uint64:
		if x <= math.MaxInt64 {
			return intValue(int64(x), t)
		}
		return textValue(strconv.FormatUint(x, 10), t, loc)
	case float64:
		return floatValue(x, t)
	case float32:
		return floatValue(float64(x), t)
	case time.Time:
		return timeValue(x, t)
	case [16]byte: // a PostgreSQL uuid
		return textValue(fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]), t, loc)
	case map[string]any, []any: // PostgreSQL json and jsonb, decoded
		b, err := json.Marshal(x)
		if err != nil {
			return row.Value{}, err
		}
		return textValue(string(b), t, loc)
	case driver.Valuer: // pgx's numeric, time, interval
		dv, err := x.Value()
		if err != nil {
			return row.Value{}, err
		}
		if _, again := dv.(driver.Valuer); again {
			return textValue(fmt.Sprint(dv), t, loc)
		}
		return sqlValue(dv, t, loc)
	case fmt.Stringer:
		return textValue(x.String(), t, loc)
	default:
		return textValue(fmt.Sprint(v), t, loc)
	}
	return row.Value{}, fmt.Errorf("cannot read %T %v as %s", v, v, t)
}

func intValue(x int64, t row.Type) (row.Value, error) {
	switch {
	case t.IsInteger():
		lo, hi := intRange(t.Kind)
		if x < lo || x > hi {
			return row.Value{}, fmt.Errorf("%d is out of the range of %s", x, t)
		}
		return intOf(t.Kind, x), nil
	case t.Kind == row.KindBoolean:
		return row.Bool(x != 0), nil
	case t.Kind == row.KindFloat:
		return row.Float(float32(x)), nil
	case t.Kind == row.KindDouble:
		return row.Double(float64(x)), nil
	case t.Kind == row.KindDecimal:
		d, ok := row.DecimalFromInt64(x, t.Precision, t.Scale)
		if !ok {
			return row.Value{}, fmt.Errorf("%d does not fit %s", x, t)
		}
		return row.DecimalValue(d), nil
	case t.IsString():
		return stringOf(t, strconv.FormatInt(x, 10)), nil
	}
	return row.Value{}, fmt.Errorf("cannot read the number %d as %s", x, t)
}

func floatValue(x float64, t row.Type) (row.Value, error) {
	switch {
	case t.Kind == row.KindDouble:
		return row.Double(x), nil
	case t.Kind == row.KindFloat:
		return row.Float(float32(x)), nil
	case t.Kind == row.KindDecimal:
		d, ok := row.DecimalFromFloat(x, t.Precision, t.Scale)
		if !ok {
			return row.Value{}, fmt.Errorf("%v does not fit %s", x, t)
		}
		return row.DecimalValue(d), nil
	case t.IsInteger():
		if x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
			return row.Value{}, fmt.Errorf("%v is not a value of %s", x, t)
		}
		return intValue(int64(x), t)
	case t.IsString():
		return stringOf(t, strconv.FormatFloat(x, 'g', -1, 64)), nil
	}
	return row.Value{}, fmt.Errorf("cannot read the number %v as %s", x, t)
}

func timeValue(x time.Time, t row.Type) (row.Value, error) {
	y, mo, d := x.Date()
	h, mi, s := x.Clock()
	switch t.Kind {
	case row.KindDate:
		return row.Date(int32(row.DaysFromCivil(y, int(mo), d))), nil
	case row.KindTime:
		nod := (int64(h)*3600+int64(mi)*60+int64(s))*1e9 + int64(x.Nanosecond())
		return row.Time(row.TruncateTime(nod, t.Precision)), nil
	case row.KindTimestamp:
		ms, ns := row.TimestampOfCivil(y, int(mo), d, h, mi, s, x.Nanosecond())
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.Timestamp(ms, ns), nil
	case row.KindTimestampLTZ:
		ms := x.UnixMilli()
		ns := int32(x.Nanosecond() % 1e6)
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.TimestampLTZ(ms, ns), nil
	}
	if t.IsString() {
		return stringOf(t, x.Format("2006-01-02 15:04:05.999999999")), nil
	}
	return row.Value{}, fmt.Errorf("cannot read a date-time as %s", t)
}

func stringOf(t row.Type, s string) row.Value {
	if t.Kind == row.KindChar {
		return row.Char(s)
	}
	return row.String(s)
}

var errNotValue = errors.New("not a value of the type")

// textValue parses s as a value of t.
func textValue(s string, t row.Type, loc *time.Location) (row.Value, error) {
	if t.IsString() {
		return stringOf(t, s), nil
	}
	if t.IsBinary() {
		return row.BytesOf(s), nil
	}
	v := strings.TrimSpace(s)
	var err error
	switch t.Kind {
	case row.KindBoolean:
		switch strings.ToLower(v) {
		case "true", "t", "1", "yes", "y":
			return row.Bool(true), nil
		case "false", "f", "0", "no", "n":
			return row.Bool(false), nil
		}
		err = errNotValue
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		var x int64
		if x, err = strconv.ParseInt(v, 10, 64); err == nil {
			return intValue(x, t)
		}
		// '12.0' and the like: an integral number text.
		if f, e := strconv.ParseFloat(v, 64); e == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return intValue(int64(f), t)
		}
	case row.KindFloat, row.KindDouble:
		var x float64
		if x, err = strconv.ParseFloat(v, 64); err == nil {
			return floatValue(x, t)
		}
	case row.KindDecimal:
		var d row.Decimal
		if d, err = row.ParseDecimal(v, t.Precision, t.Scale); err == nil {
			return row.DecimalValue(d), nil
		}
	case row.KindDate:
		var days int32
		if days, err = row.ParseDate(v); err == nil {
			return row.Date(days), nil
		}
		if ms, _, e := parseTimestampText(v); e == nil {
			return row.Date(int32(floorDivMillis(ms))), nil
		}
	case row.KindTime:
		var nod int64
		if nod, err = row.ParseTime(v); err == nil {
			return row.Time(row.TruncateTime(nod, t.Precision)), nil
		}
	case row.KindTimestamp:
		var ms int64
		var ns int32
		if ms, ns, err = parseTimestampText(v); err == nil {
			ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
			return row.Timestamp(ms, ns), nil
		}
	case row.KindTimestampLTZ:
		var ms int64
		var ns int32
		sep := byte(' ')
		if len(v) > 10 && v[10] == 'T' {
			sep = 'T'
		}
		if ms, ns, err = row.ParseTimestampLTZ(v, sep, loc); err == nil {
			ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
			return row.TimestampLTZ(ms, ns), nil
		}
	default:
		return row.Value{}, fmt.Errorf("type %s is not supported", t)
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return row.Value{}, fmt.Errorf("cannot read %q as %s", s, t)
}

// parseTimestampText reads 'yyyy-MM-dd HH:mm[:ss[.f]]', with 'T' too, or
// a date alone (midnight).
func parseTimestampText(v string) (int64, int32, error) {
	if ms, ns, err := row.ParseTimestamp(v); err == nil {
		return ms, ns, nil
	}
	if ms, ns, err := row.ParseTimestampISO(v); err == nil {
		return ms, ns, nil
	}
	days, err := row.ParseDate(v)
	if err != nil {
		return 0, 0, err
	}
	return int64(days) * row.MillisPerDay, 0, nil
}

func floorDivMillis(ms int64) int64 {
	d := ms / row.MillisPerDay
	if ms%row.MillisPerDay < 0 {
		d--
	}
	return d
}

// valueText is v as text a database reads as a value of its column:
// strings as they are, numbers plainly, DATE 'yyyy-MM-dd', TIME and
// TIMESTAMP with their fraction, TIMESTAMP_LTZ as a wall-clock time in
// loc (nil: UTC), BOOLEAN 'true' / 'false', bytes as they are.
func valueText(v row.Value, loc *time.Location) string {
	switch v.Kind() {
	case row.KindChar, row.KindVarChar, row.KindBinary, row.KindVarBinary:
		return v.Str()
	case row.KindBoolean:
		return strconv.FormatBool(v.Bool())
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		return strconv.FormatInt(v.Int64(), 10)
	case row.KindFloat:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 32)
	case row.KindDouble:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case row.KindTimestampLTZ:
		return row.Timestamp(row.InstantToLocal(v.Millis(), loc), v.NanosOfMilli()).String()
	}
	return v.String()
}

// keyAs converts a lookup key to the type of the column it is compared
// with (the planner usually did; a key that is no value of the column's
// type cannot equal any of its values: ok is false).
func keyAs(v row.Value, t row.Type, loc *time.Location) (row.Value, bool) {
	if v.Kind() == t.Kind || v.IsNull() {
		return v, true
	}
	if t.IsString() {
		return stringOf(t, valueText(v, loc)), true
	}
	if v.Kind() == row.KindDecimal && t.IsInteger() {
		d := v.Decimal()
		r, ok := d.Rescale(row.MaxDecimalPrecision, 0)
		if !ok || r.Compare(d) != 0 {
			return row.Value{}, false // a fraction equals no integer
		}
		x, ok := r.Int64()
		if !ok {
			return row.Value{}, false
		}
		out, err := intValue(x, t)
		return out, err == nil
	}
	if v.Kind() >= row.KindTinyInt && v.Kind() <= row.KindBigInt {
		out, err := intValue(v.Int64(), t)
		return out, err == nil
	}
	out, err := textValue(valueText(v, loc), t, loc)
	return out, err == nil
}

// Process-wide connections (JDBC pools of lookups, scans and sinks, Redis
// stores of rtdw-dim lookups), shared by every table with the same address
// and closed by CloseLookups.
var (
	sharedMu    sync.Mutex
	sharedConns = map[string]io.Closer{}
)

// shared returns the connection registered under id, opening it with open.
func shared[T io.Closer](id string, open func() (T, error)) (T, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if c, ok := sharedConns[id]; ok {
		return c.(T), nil
	}
	c, err := open()
	if err != nil {
		return c, err
	}
	sharedConns[id] = c
	return c, nil
}

// CloseLookups closes the connections the jdbc and rtdw-dim connectors
// opened in this process (database pools, Redis clients): call it when the
// jobs have stopped, as CloseOLAP. A later use opens them again.
func CloseLookups() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	var errs []error
	for id, c := range sharedConns {
		errs = append(errs, c.Close())
		delete(sharedConns, id)
	}
	return errors.Join(errs...)
}
