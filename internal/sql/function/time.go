package function

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Temporal functions. A TIMESTAMP is a wall-clock value; a
// TIMESTAMP_LTZ is an instant, read in the session time zone (Env.Loc,
// 'table.local-time-zone') wherever a calendar field is needed (EXTRACT,
// FLOOR/CEIL, month arithmetic, DATE_FORMAT). The clock functions read
// Env.Now on every call.

func init() {
	clock := func(name string, t row.Type, fn func(now time.Time, loc *time.Location) row.Value) {
		reg(name, func(env *Env, args []Arg) (Bound, error) {
			if len(args) != 0 {
				return Bound{}, sigError(name, "()", args)
			}
			now, loc := nowOf(env), locOf(env)
			return Bound{Type: t.WithNotNull(true), Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
				return fn(now(), loc), nil
			}}, nil
		})
	}
	ltzNow := func(now time.Time, _ *time.Location) row.Value { return row.TimestampLTZ(now.UnixMilli(), 0) }
	for _, n := range []string{"CURRENT_TIMESTAMP", "NOW", "CURRENT_ROW_TIMESTAMP", "PROCTIME"} {
		clock(n, row.TimestampLTZOf(3), ltzNow)
	}
	clock("LOCALTIMESTAMP", row.TimestampOf(3), func(now time.Time, loc *time.Location) row.Value {
		return row.Timestamp(row.InstantToLocal(now.UnixMilli(), loc), 0)
	})
	clock("CURRENT_DATE", row.DateType, func(now time.Time, loc *time.Location) row.Value {
		return row.Date(int32(floorDiv(row.InstantToLocal(now.UnixMilli(), loc), row.MillisPerDay)))
	})
	localTime := func(now time.Time, loc *time.Location) row.Value {
		ms := floorMod(row.InstantToLocal(now.UnixMilli(), loc), row.MillisPerDay)
		return row.Time(ms / 1000 * row.NanosPerSecond)
	}
	clock("CURRENT_TIME", row.TimeOf(0), localTime)
	clock("LOCALTIME", row.TimeOf(0), localTime)
	reg("UNIX_TIMESTAMP", bindUnixTimestamp)

	reg("EXTRACT", bindExtract)
	for _, f := range []struct{ name, unit string }{
		{"YEAR", "YEAR"}, {"QUARTER", "QUARTER"}, {"MONTH", "MONTH"}, {"WEEK", "WEEK"},
		{"DAYOFYEAR", "DOY"}, {"DAYOFMONTH", "DAY"}, {"DAYOFWEEK", "DOW"},
		{"HOUR", "HOUR"}, {"MINUTE", "MINUTE"}, {"SECOND", "SECOND"},
	} {
		name, unit := f.name, f.unit
		reg(name, func(env *Env, args []Arg) (Bound, error) {
			want := "(DATE or TIMESTAMP)"
			ok := isDateTimeT
			if unit == "HOUR" || unit == "MINUTE" || unit == "SECOND" {
				want, ok = "(TIMESTAMP or TIME)", func(t row.Type) bool { return isTemporalT(t) && t.Kind != row.KindDate }
			}
			if len(args) != 1 || !ok(args[0].Type) {
				return Bound{}, sigError(name, want, args)
			}
			return extractBound(env, name, unit, args, 0)
		})
	}
	reg("TIMESTAMPADD", bindTimestampAdd)
	reg("TIMESTAMPDIFF", bindTimestampDiff)
	reg("DATE_ADD", bindDateAdd("DATE_ADD", 1), "ADDDATE")
	reg("DATE_SUB", bindDateAdd("DATE_SUB", -1), "SUBDATE")
	reg("DATEDIFF", bindDateDiff)
	reg("TO_TIMESTAMP", bindToTimestamp)
	reg("TO_TIMESTAMP_LTZ", bindToTimestampLTZ)
	reg("TO_DATE", bindToDate)
	reg("FROM_UNIXTIME", bindFromUnixtime)
	reg("CONVERT_TZ", bindConvertTZ)
}

// ---- units ----

// unitOf reads a time unit argument (a STRING constant such as "DAY").
func unitOf(name string, a Arg) (string, error) {
	u, ok := constStr(a)
	if !ok {
		return "", fmt.Errorf("%s expects a time unit (YEAR, MONTH, DAY, HOUR, ...), got %s", name, argList([]Arg{a}))
	}
	u = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(u)), "SQL_TSI_")
	switch u {
	case "YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES", "SECONDS", "WEEKS", "QUARTERS",
		"MILLISECONDS", "MICROSECONDS", "NANOSECONDS":
		u = u[:len(u)-1]
	case "FRAC_SECOND":
		u = "MICROSECOND"
	case "DAYOFWEEK":
		u = "DOW"
	case "DAYOFYEAR":
		u = "DOY"
	case "DAYOFMONTH":
		u = "DAY"
	}
	return u, nil
}

func unitError(name, unit string, t row.Type) error {
	return fmt.Errorf("%s: unit %s is not supported for %s", name, unit, t.WithNotNull(false))
}

// fixedUnitMillis is the length of a day-time unit in milliseconds.
var fixedUnitMillis = map[string]int64{
	"WEEK": 7 * row.MillisPerDay, "DAY": row.MillisPerDay, "HOUR": 3_600_000, "MINUTE": 60_000,
	"SECOND": 1000, "MILLISECOND": 1,
}

// monthUnits is the length of a year-month unit in months.
var monthUnits = map[string]int64{"YEAR": 12, "QUARTER": 3, "MONTH": 1}

// ---- wall-clock helpers ----

// local returns a temporal value as wall-clock milliseconds and
// nanoseconds within the millisecond (a TIMESTAMP_LTZ in loc, a TIME on
// 1970-01-01).
func local(v row.Value, loc *time.Location) (int64, int32) {
	switch v.Kind() {
	case row.KindDate:
		return int64(v.Days()) * row.MillisPerDay, 0
	case row.KindTime:
		n := v.Int64()
		return n / row.NanosPerMilli, int32(n % row.NanosPerMilli)
	case row.KindTimestampLTZ:
		return row.InstantToLocal(v.Millis(), loc), v.NanosOfMilli()
	}
	return v.Millis(), v.NanosOfMilli()
}

// addMonthsDays adds months to a date, the day clamped to the month's
// last (Jan 31 + 1 month = Feb 28 or 29).
func addMonthsDays(days, months int64) int64 {
	y, m, d := row.CivilFromDays(days)
	t := int64(y)*12 + int64(m-1) + months
	y2, m2 := int(floorDiv(t, 12)), int(floorMod(t, 12))+1
	return row.DaysFromCivil(y2, m2, min(d, daysIn(y2, m2)))
}

// addMonthsMillis adds months to a wall-clock time.
func addMonthsMillis(ms, months int64) int64 {
	days := floorDiv(ms, row.MillisPerDay)
	return addMonthsDays(days, months)*row.MillisPerDay + (ms - days*row.MillisPerDay)
}

// subtractMonths is the number of whole months from t1 to t0 (signed),
// as Flink's (Calcite's) DateTimeUtils.subtractMonths behind TIMESTAMPDIFF:
// the months between the dates (Jan 31 to Feb 28 is one month), one less
// when t0's date is t1's plus those months but its time of day is
// earlier. Like Flink's, it is not symmetric: 2024-02-29 10:00 to
// 2024-01-31 11:00 is -1 month, the other way round 0.
func subtractMonths(t0, t1 int64) int64 {
	d0, d1 := floorDiv(t0, row.MillisPerDay), floorDiv(t1, row.MillisPerDay)
	ms0, ms1 := t0-d0*row.MillisPerDay, t1-d1*row.MillisPerDay
	m := subtractMonthsDays(d0, d1)
	if addMonthsDays(d1, m) == d0 && ms0 < ms1 {
		m--
	}
	return m
}

// subtractMonthsDays is the months from date d1 to date d0: the most m
// with d1 plus m months not after d0 (negated when d0 is before d1).
func subtractMonthsDays(d0, d1 int64) int64 {
	if d0 < d1 {
		return -subtractMonthsDays(d1, d0)
	}
	y0, m0, _ := row.CivilFromDays(d0)
	y1, m1, _ := row.CivilFromDays(d1)
	m := int64(y0-y1)*12 + int64(m0-m1)
	if addMonthsDays(d1, m) > d0 {
		m--
	}
	return m
}

// isoWeek returns the ISO-8601 week-based year and week of a date.
func isoWeek(days int64) (year, week int) {
	isoDow := floorMod(days+3, 7) + 1 // Monday = 1
	thursday := days - isoDow + 4
	y, _, _ := row.CivilFromDays(thursday)
	return y, int((thursday-row.DaysFromCivil(y, 1, 1))/7) + 1
}

// ---- EXTRACT ----

func bindExtract(env *Env, args []Arg) (Bound, error) {
	if len(args) != 2 {
		return Bound{}, sigError("EXTRACT", "(unit FROM temporal)", args)
	}
	unit, err := unitOf("EXTRACT", args[0])
	if err != nil {
		return Bound{}, err
	}
	return extractBound(env, "EXTRACT", unit, args, 1)
}

var (
	dateUnits = "YEAR QUARTER MONTH WEEK DAY DOW DOY ISODOW ISOYEAR DECADE CENTURY MILLENNIUM EPOCH"
	timeUnits = "HOUR MINUTE SECOND MILLISECOND MICROSECOND NANOSECOND"
)

func hasUnit(list, unit string) bool {
	for _, u := range strings.Fields(list) {
		if u == unit {
			return true
		}
	}
	return false
}

// extractBound extracts unit from argument at.
func extractBound(env *Env, name, unit string, args []Arg, at int) (Bound, error) {
	a := args[at]
	loc := locOf(env)
	t := a.Type
	out := withNull(row.BigIntType, t.Nullable())
	var ok bool
	switch t.Kind {
	case row.KindNull:
		ok = hasUnit(dateUnits, unit) || hasUnit(timeUnits, unit)
	case row.KindDate:
		ok = hasUnit(dateUnits, unit)
	case row.KindTime:
		ok = hasUnit(timeUnits, unit)
	case row.KindTimestamp, row.KindTimestampLTZ:
		ok = hasUnit(dateUnits, unit) || hasUnit(timeUnits, unit)
	case row.KindIntervalYearMonth:
		if unit == "YEAR" || unit == "MONTH" {
			return Bound{Type: out, NullIfAnyNull: true, Eval: func(v []row.Value) (row.Value, error) {
				x := v[at]
				if x.IsNull() {
					return null, nil
				}
				if unit == "YEAR" {
					return row.BigInt(x.Int64() / 12), nil
				}
				return row.BigInt(x.Int64() % 12), nil
			}}, nil
		}
	case row.KindIntervalDayTime:
		if ms, ok := map[string][2]int64{
			"DAY": {1 << 62, row.MillisPerDay}, "HOUR": {row.MillisPerDay, 3_600_000},
			"MINUTE": {3_600_000, 60_000}, "SECOND": {60_000, 1000}, "MILLISECOND": {1000, 1},
		}[unit]; ok {
			return Bound{Type: out, NullIfAnyNull: true, Eval: func(v []row.Value) (row.Value, error) {
				x := v[at]
				if x.IsNull() {
					return null, nil
				}
				return row.BigInt(x.Int64() % ms[0] / ms[1]), nil
			}}, nil
		}
	default:
		return Bound{}, fmt.Errorf("%s expects a DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ or INTERVAL, got %s", name, argList([]Arg{a}))
	}
	if !ok {
		return Bound{}, unitError(name, unit, t)
	}
	field := civilField(unit)
	return Bound{Type: out, NullIfAnyNull: true, Eval: func(v []row.Value) (row.Value, error) {
		x := v[at]
		if x.IsNull() {
			return null, nil
		}
		if unit == "EPOCH" {
			switch x.Kind() {
			case row.KindDate:
				return row.BigInt(int64(x.Days()) * 86400), nil
			case row.KindTimestampLTZ:
				return row.BigInt(floorDiv(x.Millis(), 1000)), nil
			}
			return row.BigInt(floorDiv(x.Millis(), 1000)), nil
		}
		ms, ns := local(x, loc)
		c := civilOf(ms, ns)
		return row.BigInt(field(&c)), nil
	}}, nil
}

// civilField returns the extractor of a unit (Flink's meanings: DOW is
// Sunday = 1, WEEK the ISO week, MILLISECOND the milliseconds within
// the second).
func civilField(unit string) func(*civil) int64 {
	switch unit {
	case "YEAR":
		return func(c *civil) int64 { return int64(c.y) }
	case "QUARTER":
		return func(c *civil) int64 { return int64(c.mo+2) / 3 }
	case "MONTH":
		return func(c *civil) int64 { return int64(c.mo) }
	case "WEEK":
		return func(c *civil) int64 { _, w := isoWeek(c.days); return int64(w) }
	case "DAY":
		return func(c *civil) int64 { return int64(c.d) }
	case "DOW":
		return func(c *civil) int64 { return int64(c.dow() + 1) }
	case "ISODOW":
		return func(c *civil) int64 { return int64((c.dow()+6)%7 + 1) }
	case "DOY":
		return func(c *civil) int64 { return int64(c.doy()) }
	case "ISOYEAR":
		return func(c *civil) int64 { y, _ := isoWeek(c.days); return int64(y) }
	case "DECADE":
		return func(c *civil) int64 { return int64(c.y / 10) }
	case "CENTURY":
		return func(c *civil) int64 {
			if c.y > 0 {
				return int64(c.y+99) / 100
			}
			return int64(c.y-99) / 100
		}
	case "MILLENNIUM":
		return func(c *civil) int64 {
			if c.y > 0 {
				return int64(c.y+999) / 1000
			}
			return int64(c.y-999) / 1000
		}
	case "HOUR":
		return func(c *civil) int64 { return int64(c.h) }
	case "MINUTE":
		return func(c *civil) int64 { return int64(c.mi) }
	case "SECOND":
		return func(c *civil) int64 { return int64(c.s) }
	case "MILLISECOND":
		return func(c *civil) int64 { return int64(c.nano / row.NanosPerMilli) }
	case "MICROSECOND":
		return func(c *civil) int64 { return int64(c.nano / 1000) }
	case "NANOSECOND":
		return func(c *civil) int64 { return int64(c.nano) }
	}
	return func(*civil) int64 { return 0 }
}

// ---- FLOOR / CEIL (temporal TO unit) ----

var floorUnits = map[row.Kind]string{
	row.KindNull:         "YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND MILLISECOND MICROSECOND DECADE CENTURY MILLENNIUM",
	row.KindDate:         "YEAR QUARTER MONTH WEEK DAY DECADE CENTURY MILLENNIUM",
	row.KindTime:         "HOUR MINUTE SECOND MILLISECOND",
	row.KindTimestamp:    "YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND MILLISECOND MICROSECOND DECADE CENTURY MILLENNIUM",
	row.KindTimestampLTZ: "YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND MILLISECOND MICROSECOND DECADE CENTURY MILLENNIUM",
}

// bindTemporalFloorCeil is FLOOR(x TO unit) / CEIL(x TO unit): the start
// of x's unit (or the next unit boundary at or after x), of x's type; a
// TIMESTAMP_LTZ is rounded in the session time zone; weeks start on
// Sunday.
func bindTemporalFloorCeil(env *Env, name string, args []Arg, ceil bool) (Bound, error) {
	t := args[0].Type
	units, ok := floorUnits[t.Kind]
	if !ok {
		return Bound{}, sigError(name, "(NUMERIC) or (temporal TO unit)", args)
	}
	unit, err := unitOf(name, args[1])
	if err != nil {
		return Bound{}, err
	}
	if !hasUnit(units, unit) {
		return Bound{}, unitError(name, unit, t)
	}
	loc := locOf(env)
	return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		v := a[0]
		if v.IsNull() {
			return null, nil
		}
		ms, ns := local(v, loc)
		ms, ns = floorCeilLocal(unit, ms, ns, ceil)
		switch v.Kind() {
		case row.KindDate:
			return row.Date(int32(floorDiv(ms, row.MillisPerDay))), nil
		case row.KindTime:
			return row.Time(floorMod(ms, row.MillisPerDay)*row.NanosPerMilli + int64(ns)), nil
		case row.KindTimestampLTZ:
			return row.TimestampLTZ(row.LocalToInstant(ms, loc), ns), nil
		}
		return row.Timestamp(ms, ns), nil
	}}, nil
}

func floorCeilLocal(unit string, ms int64, ns int32, ceil bool) (int64, int32) {
	var f int64
	var fns int32
	var next func(int64) int64
	switch unit {
	case "MICROSECOND":
		fns = ns - ns%1000
		if ceil && fns != ns {
			fns += 1000
			if fns == row.NanosPerMilli {
				return ms + 1, 0
			}
		}
		return ms, fns
	case "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK":
		u := fixedUnitMillis[unit]
		if unit == "WEEK" {
			days := floorDiv(ms, row.MillisPerDay)
			f = (days - floorMod(days+4, 7)) * row.MillisPerDay
		} else {
			f = floorDiv(ms, u) * u
		}
		next = func(x int64) int64 { return x + u }
	default:
		days := floorDiv(ms, row.MillisPerDay)
		y, m, _ := row.CivilFromDays(days)
		step := int64(1)
		switch unit {
		case "YEAR":
			m, step = 1, 12
		case "QUARTER":
			m, step = (m-1)/3*3+1, 3
		case "DECADE":
			y, m, step = int(floorDiv(int64(y), 10)*10), 1, 120
		case "CENTURY":
			y, m, step = int(floorDiv(int64(y-1), 100)*100+1), 1, 1200
		case "MILLENNIUM":
			y, m, step = int(floorDiv(int64(y-1), 1000)*1000+1), 1, 12000
		}
		f = row.DaysFromCivil(y, m, 1) * row.MillisPerDay
		next = func(x int64) int64 { return addMonthsMillis(x, step) }
	}
	if ceil && (f != ms || ns != 0) {
		return next(f), 0
	}
	return f, 0
}

// ---- TIMESTAMPADD, TIMESTAMPDIFF ----

var unitPrecision = map[string]int{"MILLISECOND": 3, "MICROSECOND": 6, "NANOSECOND": 9}

func bindTimestampAdd(env *Env, args []Arg) (Bound, error) {
	if len(args) != 3 || !isIntT(args[1].Type) || !isTemporalT(args[2].Type) {
		return Bound{}, sigError("TIMESTAMPADD", "(unit, INT, temporal)", args)
	}
	unit, err := unitOf("TIMESTAMPADD", args[0])
	if err != nil {
		return Bound{}, err
	}
	months, isMonth := monthUnits[unit]
	unitMs, isFixed := fixedUnitMillis[unit]
	subMilli := int64(0)
	switch unit {
	case "MICROSECOND":
		subMilli = 1000
	case "NANOSECOND":
		subMilli = 1
	}
	if !isMonth && !isFixed && subMilli == 0 {
		return Bound{}, fmt.Errorf("TIMESTAMPADD: unknown unit %s", unit)
	}
	t := args[2].Type
	up := unitPrecision[unit]
	dateUnit := isMonth || unit == "DAY" || unit == "WEEK"
	var out row.Type
	switch t.Kind {
	case row.KindDate:
		out = row.DateType
		if !dateUnit { // Flink's TIMESTAMP of a DATE is TIMESTAMP(6)
			out = row.TimestampOf(max(6, up))
		}
	case row.KindTime:
		if dateUnit || subMilli > 0 {
			return Bound{}, unitError("TIMESTAMPADD", unit, t)
		}
		out = row.TimeOf(max(t.Precision, up))
	case row.KindTimestamp:
		out = row.TimestampOf(max(t.Precision, up))
	case row.KindTimestampLTZ:
		out = row.TimestampLTZOf(max(t.Precision, up))
	default:
		out = row.TimestampOf(3)
	}
	out = withNull(out, args[1].Type.Nullable() || args[2].Type.Nullable())
	loc := locOf(env)
	return Bound{Type: out, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if a[1].IsNull() || a[2].IsNull() {
			return null, nil
		}
		n, v := a[1].Int64(), a[2]
		k := v.Kind()
		if k == row.KindTimestampLTZ {
			// Months too are added to the instant's UTC date, as Flink's
			// ADD_MONTHS on the epoch milliseconds.
			if isMonth {
				return row.TimestampLTZ(addMonthsMillis(v.Millis(), n*months), v.NanosOfMilli()), nil
			}
			return addFixed(row.TimestampLTZ, v.Millis(), v.NanosOfMilli(), n, unitMs, subMilli), nil
		}
		ms, ns := local(v, loc)
		var r row.Value
		if isMonth {
			r = row.Timestamp(addMonthsMillis(ms, n*months), ns)
		} else {
			r = addFixed(row.Timestamp, ms, ns, n, unitMs, subMilli)
		}
		switch {
		case k == row.KindDate && out.Kind == row.KindDate:
			return row.Date(int32(floorDiv(r.Millis(), row.MillisPerDay))), nil
		case k == row.KindTime:
			return row.Time(floorMod(r.Millis(), row.MillisPerDay)*row.NanosPerMilli + int64(r.NanosOfMilli())), nil
		}
		return r, nil
	}}, nil
}

func addFixed(mk func(int64, int32) row.Value, ms int64, ns int32, n, unitMs, subMilli int64) row.Value {
	if subMilli > 0 {
		total := int64(ns) + n*subMilli
		return mk(ms+floorDiv(total, row.NanosPerMilli), int32(floorMod(total, row.NanosPerMilli)))
	}
	return mk(ms+n*unitMs, ns)
}

func bindTimestampDiff(env *Env, args []Arg) (Bound, error) {
	if len(args) != 3 || !isDateTimeT(args[1].Type) || !isDateTimeT(args[2].Type) {
		return Bound{}, sigError("TIMESTAMPDIFF", "(unit, temporal, temporal)", args)
	}
	unit, err := unitOf("TIMESTAMPDIFF", args[0])
	if err != nil {
		return Bound{}, err
	}
	months, isMonth := monthUnits[unit]
	unitMs, isFixed := fixedUnitMillis[unit]
	if !isMonth && !isFixed {
		return Bound{}, fmt.Errorf("TIMESTAMPDIFF: unit %s is not supported (YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND)", unit)
	}
	loc := locOf(env)
	ltz1, ltz2 := args[1].Type.Kind == row.KindTimestampLTZ, args[2].Type.Kind == row.KindTimestampLTZ
	if ltz1 != ltz2 {
		return Bound{}, fmt.Errorf("TIMESTAMPDIFF: TIMESTAMP_LTZ only supports diff between the same type, got %s and %s", args[1].Type.WithNotNull(false), args[2].Type.WithNotNull(false))
	}
	// Two TIMESTAMP_LTZ differ by their instants; months count on their
	// UTC dates, as Flink's SUBTRACT_MONTHS on the epoch milliseconds.
	both := ltz1 && ltz2
	return Bound{Type: withNull(row.IntType, args[1].Type.Nullable() || args[2].Type.Nullable()), NullIfAnyNull: true,
		Eval: func(a []row.Value) (row.Value, error) {
			if a[1].IsNull() || a[2].IsNull() {
				return null, nil
			}
			var t1, t2 int64
			if both {
				t1, t2 = a[1].Millis(), a[2].Millis()
			} else {
				t1, _ = local(a[1], loc)
				t2, _ = local(a[2], loc)
			}
			if isMonth {
				return row.Int(int32(subtractMonths(t2, t1) / months)), nil
			}
			return row.Int(int32((t2 - t1) / unitMs)), nil
		}}, nil
}

// ---- DATE_ADD, DATE_SUB, DATEDIFF (Hive's, as Alibaba's Flink) ----

var isDateArgT class = func(t row.Type) bool { return isDateTimeT(t) || isStrT(t) }

// dayOf reads the date of a DATE_ADD / DATEDIFF argument: a DATE, the
// date of a TIMESTAMP (a TIMESTAMP_LTZ in the session zone), or a string
// starting with 'yyyy-MM-dd'.
func dayOf(v row.Value, loc *time.Location) (int64, bool) {
	switch v.Kind() {
	case row.KindDate:
		return int64(v.Days()), true
	case row.KindTimestamp, row.KindTimestampLTZ:
		ms, _ := local(v, loc)
		return floorDiv(ms, row.MillisPerDay), true
	}
	d, ok := parseFlexDate(strings.TrimSpace(v.Str()))
	return int64(d), ok
}

// bindDateAdd is DATE_ADD(start, days) / DATE_SUB: the date days after
// (before) start, as a 'yyyy-MM-dd' STRING; NULL when start cannot be
// read.
func bindDateAdd(name string, sign int64) func(*Env, []Arg) (Bound, error) {
	return func(env *Env, args []Arg) (Bound, error) {
		s := sig{"(DATE or TIMESTAMP or STRING, INT)", 2, cls(isDateArgT, isIntT), false}
		if err := s.check(name, args); err != nil {
			return Bound{}, err
		}
		loc := locOf(env)
		return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			d, ok := dayOf(a[0], loc)
			if !ok {
				return null, nil
			}
			var buf [16]byte
			return row.String(string(row.AppendDate(buf[:0], int32(d+sign*a[1].Int64())))), nil
		}}, nil
	}
}

// bindDateDiff is DATEDIFF(end, start): the days from start to end (INT).
func bindDateDiff(env *Env, args []Arg) (Bound, error) {
	s := sig{"(DATE or TIMESTAMP or STRING, DATE or TIMESTAMP or STRING)", 2, cls(isDateArgT, isDateArgT), false}
	if err := s.check("DATEDIFF", args); err != nil {
		return Bound{}, err
	}
	loc := locOf(env)
	strs := args[0].Type.IsString() || args[1].Type.IsString()
	return Bound{Type: withNull(row.IntType, anyNullable(args) || strs), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		e, ok1 := dayOf(a[0], loc)
		s, ok2 := dayOf(a[1], loc)
		if !ok1 || !ok2 {
			return null, nil
		}
		return row.Int(int32(e - s)), nil
	}}, nil
}

// ---- parsing and formatting functions ----

func bindUnixTimestamp(env *Env, args []Arg) (Bound, error) {
	s := sig{"([STRING[, STRING]])", 0, cls(isStrT, isStrT), false}
	if err := s.check("UNIX_TIMESTAMP", args); err != nil {
		return Bound{}, err
	}
	now, loc := nowOf(env), locOf(env)
	if len(args) == 0 {
		return Bound{Type: row.BigIntType.WithNotNull(true), Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
			return row.BigInt(now().Unix()), nil
		}}, nil
	}
	get := func(string) (*dateFormat, error) { return sqlTimestampFormat, nil }
	if len(args) == 2 {
		var err error
		if get, err = compiled("UNIX_TIMESTAMP", args[1], func(p string) (*dateFormat, error) {
			return compileDateFormat(p, modeSDF)
		}); err != nil {
			return Bound{}, err
		}
	}
	// Flink: seconds since the epoch of the text read in the session zone
	// (or the zone the text names); Long.MIN_VALUE when it cannot be read.
	return Bound{Type: withNull(row.BigIntType, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		p := ""
		if len(a) == 2 {
			p = a[1].Str()
		}
		f, err := get(p)
		if err != nil {
			return row.BigInt(math.MinInt64), nil
		}
		ps, ok := f.parse(a[0].Str())
		if !ok {
			return row.BigInt(math.MinInt64), nil
		}
		ms, _, ok := ps.resolve(modeSDF)
		if !ok {
			return row.BigInt(math.MinInt64), nil
		}
		return row.BigInt(ps.instant(ms, loc) / 1000), nil
	}}, nil
}

func dtfCompiler(p string) (*dateFormat, error) { return compileDateFormat(p, modeDTF) }
func sdfCompiler(p string) (*dateFormat, error) { return compileDateFormat(p, modeSDF) }

// bindToTimestamp is TO_TIMESTAMP(s [, pattern]) -> TIMESTAMP(3): the
// text read with java.time's pattern (default Flink's flexible
// 'yyyy-MM-dd[ HH:mm:ss[.fraction]]'), falling back to
// java.sql.Timestamp's format as Flink does; NULL when unreadable.
func bindToTimestamp(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING[, STRING])", 1, cls(isStrT, isStrT), false}
	if err := s.check("TO_TIMESTAMP", args); err != nil {
		return Bound{}, err
	}
	var get func(string) (*dateFormat, error)
	if len(args) == 2 {
		var err error
		if get, err = compiled("TO_TIMESTAMP", args[1], dtfCompiler); err != nil {
			return Bound{}, err
		}
	}
	return Bound{Type: withNull(row.TimestampOf(3), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		if len(a) == 1 {
			ms, _, ok := parseFlexTimestamp(a[0].Str())
			if !ok {
				return null, nil
			}
			return row.Timestamp(ms, 0), nil
		}
		ms, ok := parseWithPattern(get, a[1].Str(), a[0].Str())
		if !ok {
			return null, nil
		}
		return row.Timestamp(ms, 0), nil
	}}, nil
}

// parseWithPattern reads text with a java.time pattern as wall-clock
// milliseconds (the fraction truncated to milliseconds), else as
// java.sql.Timestamp / Date text.
func parseWithPattern(get func(string) (*dateFormat, error), pattern, text string) (int64, bool) {
	if f, err := get(pattern); err == nil {
		if p, ok := f.parse(text); ok {
			if ms, _, ok := p.resolve(modeDTF); ok {
				return ms, true
			}
		}
	}
	ms, _, ok := parseSQLTimestampLenient(text)
	return ms, ok
}

// Flink's range of TO_TIMESTAMP_LTZ: years 0000 to 9999.
const (
	minEpochMillis = -62167219200000
	maxEpochMillis = 253402300799999
)

func bindToTimestampLTZ(env *Env, args []Arg) (Bound, error) {
	out := withNull(row.TimestampLTZOf(3), true)
	numeric := len(args) >= 1 && (args[0].Type.IsNumeric() || isNullT(args[0].Type) && len(args) == 2 && args[1].Type.IsInteger())
	if numeric {
		s := sig{"(NUMERIC[, INT])", 1, cls(isNumT, isIntT), false}
		if err := s.check("TO_TIMESTAMP_LTZ", args); err != nil {
			return Bound{}, err
		}
		if len(args) == 2 {
			if p, ok := constInt(args[1]); ok && p != 0 && p != 3 {
				return Bound{}, fmt.Errorf("TO_TIMESTAMP_LTZ: precision %d is not supported: 0 (epoch seconds) or 3 (epoch milliseconds)", p)
			}
		}
		return Bound{Type: out, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			p := int64(3)
			if len(a) == 2 {
				p = a[1].Int64()
			}
			if p != 0 && p != 3 {
				return null, fmt.Errorf("TO_TIMESTAMP_LTZ: precision %d is not supported: 0 (epoch seconds) or 3 (epoch milliseconds)", p)
			}
			ms, ok := epochMillis(a[0], p == 0)
			if !ok || ms < minEpochMillis || ms > maxEpochMillis {
				return null, nil
			}
			return row.TimestampLTZ(ms, 0), nil
		}}, nil
	}
	s := sig{"(NUMERIC[, INT]) or (STRING[, STRING[, STRING]])", 1, cls(isStrT, isStrT, isStrT), false}
	if err := s.check("TO_TIMESTAMP_LTZ", args); err != nil {
		return Bound{}, err
	}
	var getF func(string) (*dateFormat, error)
	var getZ func(string) (*time.Location, error)
	var err error
	if len(args) >= 2 {
		if getF, err = compiled("TO_TIMESTAMP_LTZ", args[1], dtfCompiler); err != nil {
			return Bound{}, err
		}
	}
	if len(args) == 3 {
		if getZ, err = compiled("TO_TIMESTAMP_LTZ", args[2], lookupZone); err != nil {
			return Bound{}, err
		}
	}
	return Bound{Type: out, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		z := time.UTC // Flink's default zone for the text, not the session's
		if len(a) == 3 {
			l, err := getZ(a[2].Str())
			if err != nil {
				return null, nil
			}
			z = l
		}
		if len(a) == 1 {
			ms, _, ok := parseFlexTimestamp(a[0].Str())
			if !ok {
				return null, nil
			}
			return row.TimestampLTZ(row.LocalToInstant(ms, z), 0), nil
		}
		f, err := getF(a[1].Str())
		if err != nil {
			return null, nil
		}
		p, ok := f.parse(a[0].Str())
		if !ok {
			return null, nil
		}
		ms, _, ok := p.resolve(modeDTF)
		if !ok {
			return null, nil
		}
		return row.TimestampLTZ(p.instant(ms, z), 0), nil
	}}, nil
}

// epochMillis converts epoch seconds (or milliseconds) of any numeric
// type to milliseconds, truncating fractions as Flink.
func epochMillis(v row.Value, seconds bool) (int64, bool) {
	switch k := v.Kind(); {
	case isIntKind(k):
		x := v.Int64()
		if seconds {
			if x < minEpochMillis/1000 || x > maxEpochMillis/1000 {
				return 0, false
			}
			return x * 1000, true
		}
		return x, true
	case k == row.KindDecimal:
		d := v.Decimal()
		if seconds {
			i, ok := d.Int64()
			if !ok || i < minEpochMillis/1000 || i > maxEpochMillis/1000 {
				return 0, false
			}
			return i * 1000, true
		}
		return d.Int64()
	}
	f := v.Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if seconds {
		if f < minEpochMillis/1000 || f > maxEpochMillis/1000 {
			return 0, false
		}
		return int64(f * 1000), true
	}
	if f < math.MinInt64 || f > math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// bindToDate is TO_DATE(s [, pattern]): without a pattern Flink's
// lenient 'yyyy-MM-dd' (a time after a space ignored); with one, the
// SimpleDateFormat reading in UTC. NULL when unreadable.
func bindToDate(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING[, STRING])", 1, cls(isStrT, isStrT), false}
	if err := s.check("TO_DATE", args); err != nil {
		return Bound{}, err
	}
	var get func(string) (*dateFormat, error)
	if len(args) == 2 {
		var err error
		if get, err = compiled("TO_DATE", args[1], sdfCompiler); err != nil {
			return Bound{}, err
		}
	}
	return Bound{Type: withNull(row.DateType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		if len(a) == 1 {
			d, ok := parseFlexDate(a[0].Str())
			if !ok {
				return null, nil
			}
			return row.Date(d), nil
		}
		f, err := get(a[1].Str())
		if err != nil {
			return null, nil
		}
		p, ok := f.parse(a[0].Str())
		if !ok {
			return null, nil
		}
		ms, _, ok := p.resolve(modeSDF)
		if !ok {
			return null, nil
		}
		return row.Date(int32(floorDiv(p.instant(ms, time.UTC), row.MillisPerDay))), nil
	}}, nil
}

// bindFromUnixtime is FROM_UNIXTIME(seconds [, pattern]): the instant as
// text in the session zone, SimpleDateFormat pattern (default
// 'yyyy-MM-dd HH:mm:ss').
func bindFromUnixtime(env *Env, args []Arg) (Bound, error) {
	s := sig{"(NUMERIC[, STRING])", 1, cls(isNumT, isStrT), false}
	if err := s.check("FROM_UNIXTIME", args); err != nil {
		return Bound{}, err
	}
	loc := locOf(env)
	get := func(string) (*dateFormat, error) { return sqlTimestampFormat, nil }
	if len(args) == 2 {
		var err error
		if get, err = compiled("FROM_UNIXTIME", args[1], sdfCompiler); err != nil {
			return Bound{}, err
		}
	}
	return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		p := ""
		if len(a) == 2 {
			p = a[1].Str()
		}
		f, err := get(p)
		if err != nil {
			return null, nil
		}
		secs, ok := epochMillis(a[0], false)
		if !ok || secs < minEpochMillis/1000 || secs > maxEpochMillis/1000 {
			return null, nil
		}
		inst := secs * 1000
		return row.String(f.format(row.InstantToLocal(inst, loc), 0, inst, loc)), nil
	}}, nil
}

// bindConvertTZ is CONVERT_TZ(s, fromZone, toZone): 'yyyy-MM-dd
// HH:mm:ss' text read in one zone, written in the other.
func bindConvertTZ(_ *Env, args []Arg) (Bound, error) {
	if err := sStr3.check("CONVERT_TZ", args); err != nil {
		return Bound{}, err
	}
	from, err := compiled("CONVERT_TZ", args[1], lookupZone)
	if err != nil {
		return Bound{}, err
	}
	to, err := compiled("CONVERT_TZ", args[2], lookupZone)
	if err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		fz, err1 := from(a[1].Str())
		tz, err2 := to(a[2].Str())
		if err1 != nil || err2 != nil {
			return null, nil
		}
		p, ok := sqlTimestampFormat.parse(a[0].Str())
		if !ok {
			return null, nil
		}
		ms, _, ok := p.resolve(modeSDF)
		if !ok {
			return null, nil
		}
		inst := p.instant(ms, fz)
		return row.String(sqlTimestampFormat.format(row.InstantToLocal(inst, tz), 0, inst, tz)), nil
	}}, nil
}
