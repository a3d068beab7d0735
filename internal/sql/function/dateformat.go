package function

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Java date-time patterns, as Flink uses them:
//
//   - java.time's DateTimeFormatter (modeDTF) formats TIMESTAMP and
//     TIMESTAMP_LTZ values in DATE_FORMAT and parses TO_TIMESTAMP's
//     pattern: strict parsing (fixed widths, the whole text), S..S is the
//     fraction of the second (SSS milliseconds, SSSSSS microseconds).
//   - java.text's SimpleDateFormat (modeSDF) formats FROM_UNIXTIME and
//     DATE_FORMAT of a string, and parses UNIX_TIMESTAMP, TO_DATE and
//     CONVERT_TZ: lenient parsing (any number of digits, out-of-range
//     fields roll over, text after the pattern is ignored), S is a count
//     of milliseconds.
//
// Letters: G era, y/u year (u is the day number of the week in SDF), Y
// week-based year, M/L month (M, MM, MMM Jan, MMMM January), Q/q quarter
// (DTF), w week of year, W week of month, D day of year, d day of month,
// F day-of-week in month, E day name (E..EEE Tue, EEEE Tuesday), e/c
// day of week number (Sunday = 1), a AM/PM, H 0-23, k 1-24, K 0-11, h
// 1-12, m, s, S, n nanosecond (DTF), z zone abbreviation, Z +0800, X
// +08 / +0800 / +08:00 (Z for UTC), x likewise without Z, VV zone id;
// 'quoted text' and '' for a quote; other non-letters are literal.
// Names are English (Flink's default locale in practice), weeks are US
// weeks (start on Sunday, week 1 holds January 1st).

type fmtMode uint8

const (
	modeDTF fmtMode = iota
	modeSDF
)

type fmtItem struct {
	letter byte // 0: literal text
	n      int
	lit    string
}

type dateFormat struct {
	pattern string
	mode    fmtMode
	items   []fmtItem
	zone    bool // has zone letters
}

var (
	monthNames = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// compileDateFormat compiles a Java pattern.
func compileDateFormat(p string, mode fmtMode) (*dateFormat, error) {
	f := &dateFormat{pattern: p, mode: mode}
	lit := func(s string) {
		if n := len(f.items); n > 0 && f.items[n-1].letter == 0 {
			f.items[n-1].lit += s
			return
		}
		f.items = append(f.items, fmtItem{lit: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			if j < len(p) && p[j] == '\'' {
				lit("'")
				i += 2
				continue
			}
			var b strings.Builder
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			if j >= len(p) {
				return nil, fmt.Errorf("unterminated quote in date pattern %q", p)
			}
			lit(b.String())
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			n := j - i
			if !validLetter(c, n, mode) {
				return nil, fmt.Errorf("illegal pattern character '%c' in date pattern %q", c, p)
			}
			switch c {
			case 'z', 'Z', 'X', 'x', 'V':
				f.zone = true
			}
			f.items = append(f.items, fmtItem{letter: c, n: n})
			i = j
		case mode == modeDTF && (c == '[' || c == ']'):
			i++ // optional sections: always printed, required when parsing
		case mode == modeDTF && (c == '{' || c == '}' || c == '#'):
			return nil, fmt.Errorf("reserved character '%c' in date pattern %q", c, p)
		default:
			lit(p[i : i+1])
			i++
		}
	}
	return f, nil
}

func validLetter(c byte, n int, mode fmtMode) bool {
	switch c {
	case 'G', 'y', 'Y', 'M', 'L', 'w', 'W', 'D', 'd', 'F', 'E', 'a', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'z', 'Z', 'X', 'u':
		return true
	case 'x', 'Q', 'q', 'e', 'c', 'n':
		return mode == modeDTF
	case 'V':
		return mode == modeDTF && n == 2
	}
	return false
}

// numeric reports whether a letter (at count n) is a number when parsing.
func (it fmtItem) numeric(mode fmtMode) bool {
	switch it.letter {
	case 'y', 'Y', 'w', 'W', 'D', 'd', 'F', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'u', 'n':
		return true
	case 'M', 'L', 'Q', 'q', 'e', 'c':
		return it.n <= 2
	}
	return false
}

// ---- formatting ----

// civil is a wall-clock date-time broken into fields.
type civil struct {
	days          int64 // since 1970-01-01
	y, mo, d      int
	h, mi, s      int
	nano          int   // of the second
	instantMillis int64 // for zone letters
	loc           *time.Location
}

func civilOf(localMillis int64, nanosOfMilli int32) civil {
	days := floorDiv(localMillis, row.MillisPerDay)
	ms := localMillis - days*row.MillisPerDay
	y, mo, d := row.CivilFromDays(days)
	return civil{
		days: days, y: y, mo: mo, d: d,
		h: int(ms / 3_600_000), mi: int(ms / 60_000 % 60), s: int(ms / 1000 % 60),
		nano: int(ms%1000)*row.NanosPerMilli + int(nanosOfMilli),
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// dow is the day of the week, Sunday = 0.
func (c *civil) dow() int { return int(floorMod(c.days+4, 7)) }

func (c *civil) doy() int { return int(c.days-row.DaysFromCivil(c.y, 1, 1)) + 1 }

// usWeek is the US week of the year (weeks start on Sunday, week 1 holds
// January 1st) and its week-based year.
func (c *civil) usWeek() (year, week int) {
	next := row.DaysFromCivil(c.y+1, 1, 1)
	if startNext := next - floorMod(next+4, 7); c.days >= startNext {
		return c.y + 1, 1
	}
	jan1 := row.DaysFromCivil(c.y, 1, 1)
	start := jan1 - floorMod(jan1+4, 7)
	return c.y, int((c.days-start)/7) + 1
}

func (c *civil) offset() (name string, secs int) {
	if c.loc == nil {
		return "UTC", 0
	}
	return time.UnixMilli(c.instantMillis).In(c.loc).Zone()
}

// appendTo formats c.
func (f *dateFormat) appendTo(dst []byte, c *civil) []byte {
	for _, it := range f.items {
		n := it.n
		switch it.letter {
		case 0:
			dst = append(dst, it.lit...)
		case 'G':
			if c.y > 0 {
				dst = append(dst, "AD"...)
			} else {
				dst = append(dst, "BC"...)
			}
		case 'y', 'u':
			if it.letter == 'u' && f.mode == modeSDF {
				dst = appendNum(dst, (c.dow()+6)%7+1, n)
				continue
			}
			dst = appendYear(dst, c.y, n)
		case 'Y':
			y, _ := c.usWeek()
			dst = appendYear(dst, y, n)
		case 'M', 'L':
			switch {
			case n >= 4:
				dst = append(dst, monthNames[c.mo-1]...)
			case n == 3:
				dst = append(dst, monthNames[c.mo-1][:3]...)
			default:
				dst = appendNum(dst, c.mo, n)
			}
		case 'Q', 'q':
			q := (c.mo + 2) / 3
			switch {
			case n >= 4:
				dst = append(dst, [4]string{"1st", "2nd", "3rd", "4th"}[q-1]...)
				dst = append(dst, " quarter"...)
			case n == 3:
				dst = append(dst, 'Q', byte('0'+q))
			default:
				dst = appendNum(dst, q, n)
			}
		case 'w':
			_, w := c.usWeek()
			dst = appendNum(dst, w, n)
		case 'W':
			first := floorMod(c.days-int64(c.d)+1+4, 7)
			dst = appendNum(dst, (c.d-1+int(first))/7+1, n)
		case 'D':
			dst = appendNum(dst, c.doy(), n)
		case 'd':
			dst = appendNum(dst, c.d, n)
		case 'F':
			dst = appendNum(dst, (c.d-1)/7+1, n)
		case 'E':
			if n >= 4 {
				dst = append(dst, dayNames[c.dow()]...)
			} else {
				dst = append(dst, dayNames[c.dow()][:3]...)
			}
		case 'e', 'c':
			switch {
			case n >= 4:
				dst = append(dst, dayNames[c.dow()]...)
			case n == 3:
				dst = append(dst, dayNames[c.dow()][:3]...)
			default:
				dst = appendNum(dst, c.dow()+1, n)
			}
		case 'a':
			if c.h < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'H':
			dst = appendNum(dst, c.h, n)
		case 'k':
			h := c.h
			if h == 0 {
				h = 24
			}
			dst = appendNum(dst, h, n)
		case 'K':
			dst = appendNum(dst, c.h%12, n)
		case 'h':
			h := c.h % 12
			if h == 0 {
				h = 12
			}
			dst = appendNum(dst, h, n)
		case 'm':
			dst = appendNum(dst, c.mi, n)
		case 's':
			dst = appendNum(dst, c.s, n)
		case 'S':
			if f.mode == modeSDF {
				dst = appendNum(dst, c.nano/row.NanosPerMilli, n)
				continue
			}
			frac := c.nano
			for k := 9; k > n; k-- {
				frac /= 10
			}
			if n > 9 {
				dst = appendNum(dst, frac, 9)
				for k := 9; k < n; k++ {
					dst = append(dst, '0')
				}
				continue
			}
			dst = appendNum(dst, frac, n)
		case 'n':
			dst = appendNum(dst, c.nano, n)
		case 'z':
			name, _ := c.offset()
			dst = append(dst, name...)
		case 'Z':
			_, secs := c.offset()
			switch {
			case f.mode == modeDTF && n == 4:
				if secs == 0 {
					dst = append(dst, "GMT"...)
				} else {
					dst = appendOffset(append(dst, "GMT"...), secs, true)
				}
			case f.mode == modeDTF && n == 5:
				if secs == 0 {
					dst = append(dst, 'Z')
				} else {
					dst = appendOffset(dst, secs, true)
				}
			default:
				dst = appendOffset(dst, secs, false)
			}
		case 'X', 'x':
			_, secs := c.offset()
			if secs == 0 && it.letter == 'X' {
				dst = append(dst, 'Z')
				continue
			}
			switch n {
			case 1: // +08, or +0530 when the minutes are not zero
				dst = appendOffset(dst, secs, false)
				if secs%3600 == 0 {
					dst = dst[:len(dst)-2]
				}
			case 2:
				dst = appendOffset(dst, secs, false)
			default:
				dst = appendOffset(dst, secs, true)
			}
		case 'V':
			if c.loc == nil {
				dst = append(dst, "UTC"...)
			} else {
				dst = append(dst, c.loc.String()...)
			}
		}
	}
	return dst
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func append2(dst []byte, n int) []byte { return append(dst, byte('0'+n/10%10), byte('0'+n%10)) }

// appendNum appends n zero-padded to width digits.
func appendNum(dst []byte, n, width int) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for n >= 10 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	buf[i] = byte('0' + n)
	for k := len(buf) - i; k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, buf[i:]...)
}

func appendYear(dst []byte, y, n int) []byte {
	if y <= 0 {
		y = 1 - y // year of era
	}
	if n == 2 {
		return append2(dst, y%100)
	}
	return appendNum(dst, y, n)
}

func appendOffset(dst []byte, secs int, colon bool) []byte {
	if secs < 0 {
		dst = append(dst, '-')
		secs = -secs
	} else {
		dst = append(dst, '+')
	}
	dst = append2(dst, secs/3600)
	if colon {
		dst = append(dst, ':')
	}
	return append2(dst, secs/60%60)
}

// format formats a wall-clock value; loc and instant feed the zone
// letters.
func (f *dateFormat) format(localMillis int64, nanos int32, instant int64, loc *time.Location) string {
	c := civilOf(localMillis, nanos)
	c.instantMillis, c.loc = instant, loc
	var buf [64]byte
	return string(f.appendTo(buf[:0], &c))
}

// ---- parsing ----

// parsed holds the fields a pattern read; missing fields default to
// 1970-01-01 00:00:00.
type parsed struct {
	y, mo, d, h, mi, s int
	nano               int64
	millis             int64 // SDF's S: milliseconds added
	h12                int
	hasH12, pm, hasPM  bool
	off                int // zone offset in seconds
	hasOff             bool
	loc                *time.Location
}

// parse reads s with the pattern; ok is false when it does not match.
func (f *dateFormat) parse(s string) (p parsed, ok bool) {
	p = parsed{y: 1970, mo: 1, d: 1}
	sdf := f.mode == modeSDF
	i := 0
	for k, it := range f.items {
		if it.letter == 0 {
			if !strings.HasPrefix(s[i:], it.lit) {
				return p, false
			}
			i += len(it.lit)
			continue
		}
		if sdf {
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
		}
		if it.numeric(f.mode) {
			// Width: a field followed by another number reads exactly its
			// count of digits; else SDF reads all digits, DTF the count
			// (at least the count for y/u/Y with 4 or more letters, 1-19
			// digits for a single letter).
			adjacent := k+1 < len(f.items) && f.items[k+1].letter != 0 && f.items[k+1].numeric(f.mode)
			minW, maxW := it.n, it.n
			switch {
			case adjacent:
			case sdf:
				minW, maxW = 1, 19
			case it.letter == 'S':
			case it.n == 1:
				minW, maxW = 1, 19
			case (it.letter == 'y' || it.letter == 'u' || it.letter == 'Y') && it.n >= 4:
				maxW = 19
			}
			neg := false
			if sdf && !adjacent && i < len(s) && s[i] == '-' && (it.letter == 'y' || it.letter == 'Y') {
				neg = true
				i++
			}
			j := i
			for j < len(s) && j-i < maxW && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j-i < minW || j-i > 18 && it.letter != 'S' {
				return p, false
			}
			digits := s[i:j]
			i = j
			v, _ := strconv.ParseInt(digits, 10, 64)
			if neg {
				v = -v
			}
			switch it.letter {
			case 'y', 'Y':
				if it.n == 2 && len(digits) == 2 {
					v += 2000 // DTF's base 2000; SDF's sliding century is close to it today
					if sdf && v > int64(time.Now().Year()+20) {
						v -= 100
					}
				}
				p.y = int(v)
			case 'u':
				if !sdf {
					p.y = int(v)
				}
			case 'M', 'L':
				p.mo = int(v)
			case 'd':
				p.d = int(v)
			case 'H', 'k':
				if it.letter == 'k' && v == 24 {
					v = 0
				}
				p.h = int(v)
			case 'K', 'h':
				p.h12, p.hasH12 = int(v), true
			case 'm':
				p.mi = int(v)
			case 's':
				p.s = int(v)
			case 'S':
				if sdf {
					p.millis = v
				} else {
					for w := len(digits); w < 9; w++ {
						v *= 10
					}
					p.nano = v
				}
			case 'n':
				p.nano = v
			}
			continue
		}
		rest := s[i:]
		switch it.letter {
		case 'M', 'L':
			m, w := matchName(rest, monthNames[:])
			if w == 0 {
				return p, false
			}
			p.mo, i = m+1, i+w
		case 'E', 'e', 'c':
			_, w := matchName(rest, dayNames[:])
			if w == 0 {
				return p, false
			}
			i += w
		case 'a':
			switch {
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "AM"):
				p.pm = false
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "PM"):
				p.pm = true
			default:
				return p, false
			}
			p.hasPM, i = true, i+2
		case 'G':
			if len(rest) < 2 || !strings.EqualFold(rest[:2], "AD") && !strings.EqualFold(rest[:2], "BC") {
				return p, false
			}
			i += 2
		case 'Q', 'q':
			if len(rest) < 2 || rest[0] != 'Q' || rest[1] < '1' || rest[1] > '4' {
				return p, false
			}
			p.mo, i = int(rest[1]-'1')*3+1, i+2
		case 'z', 'Z', 'X', 'x', 'V':
			off, loc, w := parseZoneText(rest)
			if w == 0 {
				return p, false
			}
			if loc != nil {
				p.loc = loc
			} else {
				p.off, p.hasOff = off, true
			}
			i += w
		default:
			return p, false
		}
	}
	if !sdf && i != len(s) {
		return p, false
	}
	return p, true
}

// matchName matches a full or three-letter English name at the start of
// s, case-insensitively; it returns the index and the width read.
func matchName(s string, names []string) (int, int) {
	for i, n := range names {
		if len(s) >= len(n) && strings.EqualFold(s[:len(n)], n) {
			return i, len(n)
		}
	}
	for i, n := range names {
		if len(s) >= 3 && strings.EqualFold(s[:3], n[:3]) {
			return i, 3
		}
	}
	return 0, 0
}

// resolve returns the wall-clock time the fields describe: strictly
// (DTF: fields in range, the day clamped to the month as java.time's
// SMART resolver) or leniently (SDF: fields roll over).
func (p *parsed) resolve(mode fmtMode) (millis int64, nanos int32, ok bool) {
	h := p.h
	if p.hasH12 {
		h = p.h12 % 12
		if p.pm {
			h += 12
		}
	}
	if mode == modeDTF {
		if p.y < 0 || p.y > 9999 || p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || h > 23 || p.mi > 59 || p.s > 59 {
			return 0, 0, false
		}
		if dim := daysIn(p.y, p.mo); p.d > dim {
			p.d = dim
		}
	}
	y, mo := p.y+int(floorDiv(int64(p.mo-1), 12)), int(floorMod(int64(p.mo-1), 12))+1
	if y < 0 || y > 9999 {
		return 0, 0, false
	}
	days := row.DaysFromCivil(y, mo, 1) + int64(p.d-1)
	ms := days*row.MillisPerDay + int64(h)*3_600_000 + int64(p.mi)*60_000 + int64(p.s)*1000 + p.millis + p.nano/row.NanosPerMilli
	return ms, int32(p.nano % row.NanosPerMilli), true
}

// instant converts the parsed wall-clock time to epoch milliseconds: by
// the parsed zone, else in loc.
func (p *parsed) instant(millis int64, loc *time.Location) int64 {
	switch {
	case p.hasOff:
		return millis - int64(p.off)*1000
	case p.loc != nil:
		return row.LocalToInstant(millis, p.loc)
	}
	return row.LocalToInstant(millis, loc)
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

// ---- time zones ----

// javaShortIDs are the three-letter zone ids Java's TimeZone still
// accepts (ZoneId.SHORT_IDS).
var javaShortIDs = map[string]string{
	"ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
	"ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo", "BST": "Asia/Dhaka",
	"CAT": "Africa/Harare", "CNT": "America/St_Johns", "CST": "America/Chicago", "CTT": "Asia/Shanghai",
	"EAT": "Africa/Addis_Ababa", "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis",
	"IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
	"NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
	"PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
	"EST": "-05:00", "MST": "-07:00", "HST": "-10:00",
}

var zoneCache sync.Map // string -> *time.Location

// lookupZone resolves a Java zone id: a region (Asia/Shanghai), UTC / GMT
// / Z, an offset with or without a GMT / UTC prefix (GMT+08:00, UTC+8,
// +08:00), or a three-letter short id (PST, CTT).
func lookupZone(id string) (*time.Location, error) {
	if l, ok := zoneCache.Load(id); ok {
		return l.(*time.Location), nil
	}
	loc, err := loadZone(id)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(id, loc)
	return loc, nil
}

// SessionZone reads 'table.local-time-zone' as Flink's TableConfig: a
// region ('America/Los_Angeles'), UTC, or a custom id ('GMT-08:00');
// Java's short ids ('PST') and 'UTC+8' are refused with Flink's message.
func SessionZone(id string) (*time.Location, error) {
	up := strings.ToUpper(id)
	if _, short := javaShortIDs[up]; short || strings.HasPrefix(up, "UTC+") || strings.HasPrefix(up, "UTC-") {
		return nil, fmt.Errorf("The supported Zone ID is either a full name such as 'America/Los_Angeles', or a custom timezone id such as 'GMT-08:00', but configured Zone ID is '%s'.", id)
	}
	return loadZone(id)
}

func loadZone(id string) (*time.Location, error) {
	if s, ok := javaShortIDs[id]; ok {
		id = s
	}
	switch strings.ToUpper(id) {
	case "UTC", "GMT", "Z", "UT", "UCT", "ZULU", "GMT0", "ETC/UTC", "ETC/GMT":
		return time.UTC, nil
	}
	rest := id
	for _, pre := range []string{"GMT", "UTC", "UT"} {
		if len(rest) > len(pre) && strings.EqualFold(rest[:len(pre)], pre) && (rest[len(pre)] == '+' || rest[len(pre)] == '-') {
			rest = rest[len(pre):]
			break
		}
	}
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		if secs, ok := parseOffset(rest); ok {
			return time.FixedZone(offsetName(secs), secs), nil
		}
		return nil, fmt.Errorf("unknown time zone %q", id)
	}
	if id == "" || id == "Local" || strings.ContainsAny(id, " ,") {
		return nil, fmt.Errorf("unknown time zone %q", id)
	}
	loc, err := time.LoadLocation(id)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", id)
	}
	return loc, nil
}

func offsetName(secs int) string {
	if secs == 0 {
		return "UTC"
	}
	return string(appendOffset([]byte("GMT"), secs, true))
}

// parseOffset reads +h, +hh, +hhmm, +hh:mm (and seconds) as a whole.
func parseOffset(s string) (int, bool) {
	secs, w := offsetPrefix(s)
	return secs, w > 0 && w == len(s)
}

// offsetPrefix reads an offset at the start of s: its seconds and width.
func offsetPrefix(s string) (int, int) {
	if len(s) < 2 || s[0] != '+' && s[0] != '-' {
		return 0, 0
	}
	i, fields, digits := 1, [3]int{}, 0
	for f := 0; f < 3 && i < len(s); f++ {
		if f > 0 && s[i] == ':' {
			i++
		}
		j := i
		for j < len(s) && j-i < 2 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			if f > 0 && s[i-1] == ':' {
				i--
			}
			break
		}
		if f == 0 && j-i == 1 && j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		fields[f], _ = strconv.Atoi(s[i:j])
		digits += j - i
		i = j
	}
	if digits == 0 || fields[0] > 18 || fields[1] > 59 || fields[2] > 59 {
		return 0, 0
	}
	secs := fields[0]*3600 + fields[1]*60 + fields[2]
	if s[0] == '-' {
		secs = -secs
	}
	return secs, i
}

// parseZoneText reads a zone at the start of s for a pattern's zone
// letters: Z, an offset, GMT/UTC with an optional offset, or a zone id.
func parseZoneText(s string) (off int, loc *time.Location, width int) {
	if s == "" {
		return 0, nil, 0
	}
	if s[0] == 'Z' && (len(s) == 1 || !isIDChar(s[1])) {
		return 0, nil, 1
	}
	if secs, w := offsetPrefix(s); w > 0 {
		return secs, nil, w
	}
	for _, pre := range []string{"GMT", "UTC"} {
		if strings.HasPrefix(s, pre) {
			if secs, w := offsetPrefix(s[3:]); w > 0 {
				return secs, nil, 3 + w
			}
			return 0, nil, 3
		}
	}
	j := 0
	for j < len(s) && isIDChar(s[j]) {
		j++
	}
	if j == 0 {
		return 0, nil, 0
	}
	l, err := lookupZone(s[:j])
	if err != nil {
		return 0, nil, 0
	}
	return 0, l, j
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_'
}

// ---- default text forms ----

// parseFlexTimestamp parses Flink's default TIMESTAMP text (TO_TIMESTAMP
// without a pattern): yyyy-M[M]-d[d] with an optional
// ' H[H]:m[m]:s[s][.fraction]', strictly.
func parseFlexTimestamp(s string) (millis int64, nanos int32, ok bool) {
	i := 0
	num := func(minW, maxW int) (int, bool) {
		j := i
		for j < len(s) && j-i < maxW && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i < minW {
			return 0, false
		}
		v, _ := strconv.Atoi(s[i:j])
		i = j
		return v, true
	}
	sep := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	y, ok1 := num(4, 9)
	if !ok1 || !sep('-') {
		return 0, 0, false
	}
	mo, ok2 := num(1, 2)
	if !ok2 || !sep('-') {
		return 0, 0, false
	}
	d, ok3 := num(1, 2)
	if !ok3 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, 0, false
	}
	var h, mi, sec, frac int
	if i < len(s) {
		if !sep(' ') {
			return 0, 0, false
		}
		var okh, okm, oks bool
		if h, okh = num(1, 2); !okh || !sep(':') {
			return 0, 0, false
		}
		if mi, okm = num(1, 2); !okm || !sep(':') {
			return 0, 0, false
		}
		if sec, oks = num(1, 2); !oks || h > 23 || mi > 59 || sec > 59 {
			return 0, 0, false
		}
		if sep('.') {
			start := i
			f, _ := num(0, 9)
			for w := i - start; w < 9; w++ {
				f *= 10
			}
			frac = f
		}
		if i != len(s) {
			return 0, 0, false
		}
	}
	m, n := row.TimestampOfCivil(y, mo, d, h, mi, sec, frac)
	return m, n, true
}

// parseSQLTimestampLenient is java.sql.Timestamp.valueOf ('yyyy-[m]m-[d]d
// hh:mm:ss[.f...]') or, without a space, java.sql.Date.valueOf
// ('yyyy-[m]m-[d]d'): Flink's fallback when TO_TIMESTAMP's pattern does
// not match. Out-of-range days and times roll over as java.util.Date's.
func parseSQLTimestampLenient(s string) (millis int64, nanos int32, ok bool) {
	s = strings.TrimSpace(s)
	date, tm, hasTime := strings.Cut(s, " ")
	ymd := strings.Split(date, "-")
	if len(ymd) != 3 || len(ymd[0]) != 4 || len(ymd[1]) < 1 || len(ymd[1]) > 2 || len(ymd[2]) < 1 || len(ymd[2]) > 2 {
		return 0, 0, false
	}
	var f [3]int
	for i, p := range ymd {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p[0] == '+' {
			return 0, 0, false
		}
		f[i] = v
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 {
		return 0, 0, false
	}
	days := row.DaysFromCivil(f[0], f[1], 1) + int64(f[2]-1)
	ms := days * row.MillisPerDay
	if !hasTime {
		return ms, 0, true
	}
	hms, fr, hasFrac := strings.Cut(tm, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 {
		return 0, 0, false
	}
	var t [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" || p[0] == '+' {
			return 0, 0, false
		}
		t[i] = v
	}
	frac := 0
	if hasFrac {
		if fr == "" || len(fr) > 9 {
			return 0, 0, false
		}
		v, err := strconv.Atoi(fr)
		if err != nil || fr[0] < '0' || fr[0] > '9' {
			return 0, 0, false
		}
		for w := len(fr); w < 9; w++ {
			v *= 10
		}
		frac = v
	}
	ms += int64(t[0])*3_600_000 + int64(t[1])*60_000 + int64(t[2])*1000 + int64(frac/row.NanosPerMilli)
	return ms, int32(frac % row.NanosPerMilli), true
}

// parseFlexDate is Flink's lenient DATE text (TO_DATE without a
// pattern): yyyy[-m[-d]] with blanks around the numbers, anything after a
// space ignored; NULL for an invalid date.
func parseFlexDate(s string) (int32, bool) {
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	parts := strings.SplitN(s, "-", 3)
	f := [3]int{0, 1, 1}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return 0, false
		}
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return 0, false
			}
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return 0, false
		}
		f[i] = v
	}
	y, m, d := f[0], f[1], f[2]
	if y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return int32(row.DaysFromCivil(y, m, d)), true
}

// sqlTimestampFormat is 'yyyy-MM-dd HH:mm:ss' for SimpleDateFormat.
var sqlTimestampFormat = mustDateFormat("yyyy-MM-dd HH:mm:ss", modeSDF)

func mustDateFormat(p string, mode fmtMode) *dateFormat {
	f, err := compileDateFormat(p, mode)
	if err != nil {
		panic(err)
	}
	return f
}

// ---- DATE_FORMAT ----

func init() {
	reg("DATE_FORMAT", bindDateFormat)
}

var errZoneOfTimestamp = errors.New("a zone pattern letter (z, Z, X, x, V) needs a TIMESTAMP_LTZ: a TIMESTAMP or DATE has no time zone")

func bindDateFormat(env *Env, args []Arg) (Bound, error) {
	s := sig{"(TIMESTAMP or STRING, STRING)", 2, cls(func(t row.Type) bool { return isDateTimeT(t) || isStrT(t) }, isStrT), false}
	if err := s.check("DATE_FORMAT", args); err != nil {
		return Bound{}, err
	}
	loc := locOf(env)
	k := args[0].Type.Kind
	mode := modeDTF
	if args[0].Type.IsString() {
		mode = modeSDF
	}
	get, err := compiled("DATE_FORMAT", args[1], func(p string) (*dateFormat, error) {
		f, err := compileDateFormat(p, mode)
		if err == nil && f.zone && (k == row.KindTimestamp || k == row.KindDate) {
			err = errZoneOfTimestamp
		}
		return f, err
	})
	if err != nil {
		return Bound{}, err
	}
	t := withNull(row.StringType, anyNullable(args) || mode == modeSDF)
	return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		f, err := get(a[1].Str())
		if err != nil {
			return null, fmt.Errorf("DATE_FORMAT: %w", err)
		}
		v := a[0]
		switch v.Kind() {
		case row.KindDate:
			return row.String(f.format(int64(v.Days())*row.MillisPerDay, 0, 0, nil)), nil
		case row.KindTimestamp:
			return row.String(f.format(v.Millis(), v.NanosOfMilli(), 0, nil)), nil
		case row.KindTimestampLTZ:
			return row.String(f.format(row.InstantToLocal(v.Millis(), loc), v.NanosOfMilli(), v.Millis(), loc)), nil
		}
		// A string: read as 'yyyy-MM-dd HH:mm:ss' in the session zone.
		p, ok := sqlTimestampFormat.parse(v.Str())
		if !ok {
			return null, nil
		}
		ms, _, ok := p.resolve(modeSDF)
		if !ok {
			return null, nil
		}
		inst := p.instant(ms, loc)
		return row.String(f.format(row.InstantToLocal(inst, loc), 0, inst, loc)), nil
	}}, nil
}
