package row

import (
	"errors"
	"time"
)

// Temporal representations (see Value): DATE = days since 1970-01-01;
// TIME = nanoseconds of the day; TIMESTAMP and TIMESTAMP_LTZ = milliseconds
// since the epoch plus nanoseconds within the millisecond. int64
// milliseconds cover years 0001-9999 with room to spare (nanoseconds since
// the epoch would overflow in 2262), and the calendar arithmetic here is
// done on days, never on a time.Duration, so year 9999 and year 1 format
// and parse exactly. The calendar is the proleptic Gregorian one (Java's
// java.time, which Flink uses).

const (
	NanosPerMilli  = 1_000_000
	MillisPerDay   = 86_400_000
	NanosPerSecond = 1_000_000_000
	NanosPerDay    = 86_400 * NanosPerSecond

	// MinMillis and MaxMillis bound the timestamps parsers accept:
	// 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999.
	MinMillis int64 = -62135596800000
	MaxMillis int64 = 253402300799999
)

var errTemporal = errors.New("malformed date or time")

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's days_from_civil).
func DaysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12) // March = 0
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// CivilFromDays returns the date of days since 1970-01-01.
func CivilFromDays(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// TimestampOfCivil returns the TIMESTAMP representation of a wall-clock
// date-time.
func TimestampOfCivil(y, mo, d, h, mi, s, nanosOfSecond int) (millis int64, nanos int32) {
	ms := DaysFromCivil(y, mo, d)*MillisPerDay + int64(h)*3_600_000 + int64(mi)*60_000 + int64(s)*1000
	return ms + int64(nanosOfSecond/NanosPerMilli), int32(nanosOfSecond % NanosPerMilli)
}

// splitTimestamp returns the days and the nanoseconds of the day.
func splitTimestamp(millis int64, nanos int32) (days int64, nanosOfDay int64) {
	days = floorDiv(millis, MillisPerDay)
	return days, (millis-days*MillisPerDay)*NanosPerMilli + int64(nanos)
}

func append2(dst []byte, n int) []byte { return append(dst, byte('0'+n/10%10), byte('0'+n%10)) }

// appendDigits appends n as exactly width digits (n >= 0).
func appendDigits(dst []byte, n, width int) []byte {
	var buf [20]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, buf[:width]...)
}

func appendYear(dst []byte, y int) []byte {
	switch {
	case y < 0:
		return appendDigits(append(dst, '-'), -y, 4)
	case y > 9999:
		return appendDigits(append(dst, '+'), y, 5)
	}
	return appendDigits(dst, y, 4)
}

// AppendDate appends yyyy-MM-dd.
func AppendDate(dst []byte, days int32) []byte {
	return appendCivilDate(dst, int64(days))
}

func appendCivilDate(dst []byte, days int64) []byte {
	y, m, d := CivilFromDays(days)
	dst = appendYear(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

// appendHMS appends HH:mm:ss of nanoseconds of the day and returns the
// nanoseconds within the second.
func appendHMS(dst []byte, nanosOfDay int64) ([]byte, int) {
	secs := nanosOfDay / NanosPerSecond
	dst = append2(dst, int(secs/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(secs/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(secs%60))
	return dst, int(nanosOfDay % NanosPerSecond)
}

// appendFraction appends exactly precision fraction digits (none for 0).
func appendFraction(dst []byte, nanosOfSecond, precision int) []byte {
	if precision <= 0 {
		return dst
	}
	precision = min(precision, 9)
	dst = append(dst, '.')
	return appendDigits(dst, nanosOfSecond/int(pow10[9-precision]), precision)
}

// appendFractionTrim appends the fraction without trailing zeros, nothing
// when zero (java.time's ISO_LOCAL_TIME, which Flink's JSON format uses).
func appendFractionTrim(dst []byte, nanosOfSecond int) []byte {
	if nanosOfSecond == 0 {
		return dst
	}
	width := 9
	for nanosOfSecond%10 == 0 {
		nanosOfSecond /= 10
		width--
	}
	return appendDigits(append(dst, '.'), nanosOfSecond, width)
}

// AppendTime appends HH:mm:ss with precision fraction digits (CAST(TIME(p)
// AS STRING)).
func AppendTime(dst []byte, nanosOfDay int64, precision int) []byte {
	dst, frac := appendHMS(dst, nanosOfDay)
	return appendFraction(dst, frac, precision)
}

func appendTimeTrim(dst []byte, nanosOfDay int64) []byte {
	dst, frac := appendHMS(dst, nanosOfDay)
	return appendFractionTrim(dst, frac)
}

// AppendTimestamp appends 'yyyy-MM-dd HH:mm:ss' and exactly precision
// fraction digits, as Flink prints a TIMESTAMP(p) (CAST AS STRING, the SQL
// client): TIMESTAMP(3) prints "2024-01-02 03:04:05.000".
func AppendTimestamp(dst []byte, millis int64, nanos int32, precision int) []byte {
	days, nod := splitTimestamp(millis, nanos)
	dst = appendCivilDate(dst, days)
	dst = append(dst, ' ')
	dst, frac := appendHMS(dst, nod)
	return appendFraction(dst, frac, precision)
}

// appendTimestampTrim appends date sep time with a trimmed fraction.
func appendTimestampTrim(dst []byte, millis int64, nanos int32, sep byte) []byte {
	days, nod := splitTimestamp(millis, nanos)
	dst = appendCivilDate(dst, days)
	dst = append(dst, sep)
	return appendTimeTrim(dst, nod)
}

// TruncateTimestamp drops the digits beyond precision (0-9) fraction digits.
func TruncateTimestamp(millis int64, nanos int32, precision int) (int64, int32) {
	switch {
	case precision >= 9:
		return millis, nanos
	case precision >= 3:
		return millis, nanos - nanos%int32(pow10[9-precision])
	}
	unit := pow10[3-max(precision, 0)]
	return floorDiv(millis, unit) * unit, 0
}

// TruncateTime drops the digits beyond precision of nanoseconds of the day.
func TruncateTime(nanosOfDay int64, precision int) int64 {
	if precision >= 9 {
		return nanosOfDay
	}
	return nanosOfDay - nanosOfDay%pow10[9-max(precision, 0)]
}

// Parsing. The texts are java.time's ISO_LOCAL_DATE ('yyyy-MM-dd', four
// digit years) and ISO_LOCAL_TIME ('HH:mm', optional ':ss', optional
// fraction of 1-9 digits), strict: no out-of-range fields.

func num2(s string, i int) (int, bool) {
	if i+2 > len(s) || s[i] < '0' || s[i] > '9' || s[i+1] < '0' || s[i+1] > '9' {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

// parseDatePrefix reads yyyy-MM-dd at the start of s.
func parseDatePrefix(s string) (days int64, rest string, err error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, s, errTemporal
	}
	y := 0
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, s, errTemporal
		}
		y = y*10 + int(s[i]-'0')
	}
	m, ok1 := num2(s, 5)
	d, ok2 := num2(s, 8)
	if !ok1 || !ok2 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, s, errTemporal
	}
	return DaysFromCivil(y, m, d), s[10:], nil
}

// parseTimePrefix reads HH:mm[:ss[.fffffffff]] at the start of s.
func parseTimePrefix(s string) (nanosOfDay int64, rest string, err error) {
	h, ok1 := num2(s, 0)
	mi, ok2 := num2(s, 3)
	if !ok1 || !ok2 || s[2] != ':' || h > 23 || mi > 59 {
		return 0, s, errTemporal
	}
	sec, i := 0, 5
	var frac int64
	if i < len(s) && s[i] == ':' {
		var ok bool
		if sec, ok = num2(s, i+1); !ok || sec > 59 {
			return 0, s, errTemporal
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			j := i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-j < 9 {
				frac = frac*10 + int64(s[i]-'0')
				i++
			}
			if i == j {
				return 0, s, errTemporal
			}
			frac *= pow10[9-(i-j)]
		}
	}
	return (int64(h)*3600+int64(mi)*60+int64(sec))*NanosPerSecond + frac, s[i:], nil
}

// ParseDate parses 'yyyy-MM-dd' into days since the epoch.
func ParseDate(s string) (int32, error) {
	days, rest, err := parseDatePrefix(s)
	if err != nil || rest != "" {
		return 0, errTemporal
	}
	return int32(days), nil
}

// ParseTime parses 'HH:mm[:ss[.fraction]]' into nanoseconds of the day.
func ParseTime(s string) (int64, error) {
	n, rest, err := parseTimePrefix(s)
	if err != nil || rest != "" {
		return 0, errTemporal
	}
	return n, nil
}

// parseTimestampPrefix reads date sep time at the start of s.
func parseTimestampPrefix(s string, sep byte) (millis int64, nanos int32, rest string, err error) {
	days, rest, err := parseDatePrefix(s)
	if err != nil || len(rest) == 0 || rest[0] != sep {
		return 0, 0, s, errTemporal
	}
	nod, rest, err := parseTimePrefix(rest[1:])
	if err != nil {
		return 0, 0, s, err
	}
	return days*MillisPerDay + nod/NanosPerMilli, int32(nod % NanosPerMilli), rest, nil
}

// ParseTimestamp parses a TIMESTAMP in Flink's SQL format
// 'yyyy-MM-dd HH:mm[:ss[.fraction]]'.
func ParseTimestamp(s string) (millis int64, nanos int32, err error) {
	return parseTimestampSep(s, ' ')
}

// ParseTimestampISO parses a TIMESTAMP in ISO-8601 'yyyy-MM-ddTHH:mm[:ss[.fraction]]'.
func ParseTimestampISO(s string) (millis int64, nanos int32, err error) {
	return parseTimestampSep(s, 'T')
}

func parseTimestampSep(s string, sep byte) (int64, int32, error) {
	ms, ns, rest, err := parseTimestampPrefix(s, sep)
	if err != nil || rest != "" {
		return 0, 0, errTemporal
	}
	return ms, ns, nil
}

// ParseTimestampLTZ parses an instant: a date-time (separator sep, ' ' or
// 'T') followed by 'Z' (Flink's format), a numeric offset (+08:00, -0530)
// or nothing, meaning a wall-clock time in loc (the session time zone;
// nil is UTC). The instant itself must lie within MinMillis..MaxMillis in
// UTC, as instants are written: '0001-01-01 00:00' in Asia/Shanghai is
// before 0001-01-01 00:00Z and is refused.
func ParseTimestampLTZ(s string, sep byte, loc *time.Location) (millis int64, nanos int32, err error) {
	ms, ns, err := parseTimestampLTZ(s, sep, loc)
	if err == nil && (ms < MinMillis || ms > MaxMillis) {
		return 0, 0, errTemporal
	}
	return ms, ns, err
}

func parseTimestampLTZ(s string, sep byte, loc *time.Location) (millis int64, nanos int32, err error) {
	ms, ns, rest, err := parseTimestampPrefix(s, sep)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case rest == "Z" || rest == "z":
		return ms, ns, nil
	case rest == "":
		return LocalToInstant(ms, loc), ns, nil
	case len(rest) >= 5 && (rest[0] == '+' || rest[0] == '-'):
		h, ok1 := num2(rest, 1)
		r := rest[3:]
		if len(r) > 0 && r[0] == ':' {
			r = r[1:]
		}
		mi, ok2 := num2(r, 0)
		if !ok1 || !ok2 || len(r) != 2 || h > 18 || mi > 59 {
			return 0, 0, errTemporal
		}
		off := int64(h*3600+mi*60) * 1000
		if rest[0] == '-' {
			off = -off
		}
		return ms - off, ns, nil
	}
	return 0, 0, errTemporal
}

// LocalToInstant converts a wall-clock TIMESTAMP (millis read as UTC) in
// zone loc (nil: UTC) to the epoch milliseconds of that instant, as
// java.time's LocalDateTime.atZone (Flink's casts and parsers): a wall
// time that occurs twice (clocks set back) is the earlier instant, one
// that never occurs (clocks set forward) moves later by the gap's length.
func LocalToInstant(millis int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return millis
	}
	secs := floorDiv(millis, 1000)
	return localSecondsToInstant(secs, loc)*1000 + (millis - secs*1000)
}

// zoneOffset is loc's UTC offset in seconds at instant t (epoch seconds).
func zoneOffset(t int64, loc *time.Location) int64 {
	_, off := time.Unix(t, 0).In(loc).Zone()
	return int64(off)
}

// localSecondsToInstant is LocalToInstant in seconds.
func localSecondsToInstant(l int64, loc *time.Location) int64 {
	o := zoneOffset(l-zoneOffset(l, loc), loc)
	t := l - o
	if zoneOffset(t, loc) == o && zoneOffset(t-86400, loc) == o && zoneOffset(t+86400, loc) == o {
		return t // no change of offset within a day: the one instant
	}
	// Near a change: try the offsets of t's zone period and of the
	// periods either side; a wall time valid with several (an overlap)
	// is the earliest instant.
	start, end := time.Unix(t, 0).In(loc).ZoneBounds()
	var bounds []int64
	if !start.IsZero() {
		bounds = append(bounds, start.Unix())
	}
	if !end.IsZero() {
		bounds = append(bounds, end.Unix())
	}
	cands := []int64{zoneOffset(t, loc)}
	for _, b := range bounds {
		cands = append(cands, zoneOffset(b-1, loc), zoneOffset(b, loc))
	}
	found := false
	best := int64(0)
	for _, c := range cands {
		if i := l - c; zoneOffset(i, loc) == c && (!found || i < best) {
			best, found = i, true
		}
	}
	if found {
		return best
	}
	// A gap: the wall times from b+before to b+after do not occur; l
	// keeps the offset before the change, so it moves later by the gap.
	for _, b := range bounds {
		before, after := zoneOffset(b-1, loc), zoneOffset(b, loc)
		if after > before && b+before <= l && l < b+after {
			return l - before
		}
	}
	return t
}

// InstantToLocal converts an instant (epoch milliseconds) to the wall-clock
// TIMESTAMP representation in zone loc (nil: UTC).
func InstantToLocal(millis int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return millis
	}
	_, off := time.UnixMilli(millis).In(loc).Zone()
	return millis + int64(off)*1000
}
