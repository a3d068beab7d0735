package row

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests need Asia/Shanghai on any machine
)

func TestTimestampFormat(t *testing.T) {
	ms, ns := TimestampOfCivil(2024, 1, 2, 3, 4, 5, 123456789)
	last, lastNs := TimestampOfCivil(9999, 12, 31, 23, 59, 59, 999999999)
	first, firstNs := TimestampOfCivil(1, 1, 1, 0, 0, 0, 0)
	if last != MaxMillis || first != MinMillis || lastNs != 999999 || firstNs != 0 {
		t.Fatalf("bounds: %d %d, %d %d", last, lastNs, first, firstNs)
	}
	cases := []struct {
		ms        int64
		ns        int32
		precision int
		want      string
	}{
		{ms, ns, 0, "2024-01-02 03:04:05"},
		{ms, ns, 3, "2024-01-02 03:04:05.123"},
		{ms, ns, 6, "2024-01-02 03:04:05.123456"},
		{ms, ns, 9, "2024-01-02 03:04:05.123456789"},
		{last, lastNs, 0, "9999-12-31 23:59:59"},
		{last, lastNs, 3, "9999-12-31 23:59:59.999"},
		{last, lastNs, 9, "9999-12-31 23:59:59.999999999"},
		{first, 0, 0, "0001-01-01 00:00:00"},
		{first, 1, 9, "0001-01-01 00:00:00.000000001"},
		{first, 0, 6, "0001-01-01 00:00:00.000000"},
		{0, 0, 3, "1970-01-01 00:00:00.000"},
		{-1, 0, 3, "1969-12-31 23:59:59.999"},
		{-1, 500000, 9, "1969-12-31 23:59:59.999500000"},
		{951782400000, 0, 0, "2000-02-29 00:00:00"},
	}
	for _, c := range cases {
		if got := string(AppendTimestamp(nil, c.ms, c.ns, c.precision)); got != c.want {
			t.Errorf("AppendTimestamp(%d, %d, %d) = %s, want %s", c.ms, c.ns, c.precision, got, c.want)
		}
		// What Flink's JSON format writes: the fraction trimmed, none when zero.
		tms, tns := TruncateTimestamp(c.ms, c.ns, c.precision)
		back, backNs, err := ParseTimestamp(string(appendTimestampTrim(nil, tms, tns, ' ')))
		if err != nil || back != tms || backNs != tns {
			t.Errorf("trimmed round trip of %s: %d %d %v", c.want, back, backNs, err)
		}
	}
	trims := map[string]struct {
		ms int64
		ns int32
	}{
		"2024-01-02 03:04:05":           {ms - 123, 0},
		"2024-01-02 03:04:05.5":         {ms - 123 + 500, 0},
		"2024-01-02 03:04:05.12":        {ms - 3, 0},
		"2024-01-02 03:04:05.123456789": {ms, ns},
		"2024-01-02 03:04:05.0000001":   {ms - 123, 100},
	}
	for want, v := range trims {
		if got := string(appendTimestampTrim(nil, v.ms, v.ns, ' ')); got != want {
			t.Errorf("trimmed %d %d = %s, want %s", v.ms, v.ns, got, want)
		}
	}
	if got := string(AppendTime(nil, 3723*NanosPerSecond+4500000, 3)); got != "01:02:03.004" {
		t.Errorf("AppendTime = %s", got)
	}
	if got := string(AppendTime(nil, 86399*NanosPerSecond, 0)); got != "23:59:59" {
		t.Errorf("AppendTime = %s", got)
	}
	if got := string(AppendDate(nil, 0)); got != "1970-01-01" {
		t.Errorf("AppendDate(0) = %s", got)
	}
	if got := string(AppendDate(nil, -719162)); got != "0001-01-01" {
		t.Errorf("AppendDate(-719162) = %s", got)
	}
}

func TestTimestampParse(t *testing.T) {
	good := map[string]string{ // input -> TIMESTAMP(9) text
		"2024-01-02 03:04:05":           "2024-01-02 03:04:05.000000000",
		"2024-01-02 03:04":              "2024-01-02 03:04:00.000000000",
		"2024-01-02 03:04:05.1":         "2024-01-02 03:04:05.100000000",
		"2024-01-02 03:04:05.123456789": "2024-01-02 03:04:05.123456789",
		"2024-02-29 23:59:59.999":       "2024-02-29 23:59:59.999000000",
		"0001-01-01 00:00:00":           "0001-01-01 00:00:00.000000000",
		"9999-12-31 23:59:59.999999999": "9999-12-31 23:59:59.999999999",
		"1969-12-31 23:59:59.9999999":   "1969-12-31 23:59:59.999999900",
	}
	for in, want := range good {
		ms, ns, err := ParseTimestamp(in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
			continue
		}
		if got := string(AppendTimestamp(nil, ms, ns, 9)); got != want {
			t.Errorf("ParseTimestamp(%q) = %s, want %s", in, got, want)
		}
	}
	bad := []string{
		"", "2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z", "2024-13-02 03:04:05",
		"2023-02-29 00:00:00", "2024-04-31 00:00:00", "2024-01-02 24:00:00", "2024-01-02 03:60:00",
		"2024-01-02 03:04:60", "2024-01-02 03:04:05.", "2024-01-02 03:04:05.1234567890", "0000-01-01 00:00:00",
		"10000-01-01 00:00:00", "2024-1-02 03:04:05", "2024-01-02 3:04:05", " 2024-01-02 03:04:05",
	}
	for _, in := range bad {
		if _, _, err := ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded", in)
		}
	}
	if ms, _, err := ParseTimestampISO("2024-01-02T03:04:05.5"); err != nil || string(AppendTimestamp(nil, ms, 0, 3)) != "2024-01-02 03:04:05.500" {
		t.Errorf("ParseTimestampISO: %d %v", ms, err)
	}
	if _, _, err := ParseTimestampISO("2024-01-02 03:04:05"); err == nil {
		t.Error("ParseTimestampISO accepted a space")
	}
	if d, err := ParseDate("2024-02-29"); err != nil || string(AppendDate(nil, d)) != "2024-02-29" {
		t.Errorf("ParseDate: %d %v", d, err)
	}
	if _, err := ParseDate("2024-02-30"); err == nil {
		t.Error("ParseDate(2024-02-30)")
	}
	if n, err := ParseTime("23:59:59.123456789"); err != nil || n != NanosPerDay-876543211 {
		t.Errorf("ParseTime = %d %v", n, err)
	}
}

func TestCivilAgainstTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		days := MinMillis/MillisPerDay + r.Int64N((MaxMillis-MinMillis)/MillisPerDay+1)
		y, m, d := CivilFromDays(days)
		tt := time.Unix(days*86400, 0).UTC()
		if y != tt.Year() || m != int(tt.Month()) || d != tt.Day() {
			t.Fatalf("CivilFromDays(%d) = %d-%d-%d, want %s", days, y, m, d, tt)
		}
		if back := DaysFromCivil(y, m, d); back != days {
			t.Fatalf("DaysFromCivil(%d-%d-%d) = %d, want %d", y, m, d, back, days)
		}
		ms := MinMillis + r.Int64N(MaxMillis-MinMillis+1)
		ns := int32(r.IntN(NanosPerMilli))
		text := string(AppendTimestamp(nil, ms, ns, 9))
		want := time.UnixMilli(ms).UTC().Add(time.Duration(ns)).Format("2006-01-02 15:04:05.000000000")
		if text != want {
			t.Fatalf("AppendTimestamp(%d, %d) = %s, want %s", ms, ns, text, want)
		}
		bms, bns, err := ParseTimestamp(text)
		if err != nil || bms != ms || bns != ns {
			t.Fatalf("ParseTimestamp(%s) = %d %d %v, want %d %d", text, bms, bns, err, ms, ns)
		}
	}
}

func TestTimeZones(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked into this test: it cannot be missing
	}
	wall, _ := TimestampOfCivil(2024, 1, 1, 8, 0, 0, 0)
	instant, _ := TimestampOfCivil(2024, 1, 1, 0, 0, 0, 0)
	if got := LocalToInstant(wall, sh); got != instant {
		t.Errorf("LocalToInstant = %d, want %d", got, instant)
	}
	if got := InstantToLocal(instant, sh); got != wall {
		t.Errorf("InstantToLocal = %d, want %d", got, wall)
	}
	for in, want := range map[string]int64{
		"2024-01-01 08:00:00":       instant, // the session zone
		"2024-01-01 00:00:00Z":      instant,
		"2024-01-01 08:00:00+08:00": instant,
		"2024-01-01 03:00:00+0300":  instant,
		"2023-12-31 19:00:00-05:00": instant,
	} {
		ms, _, err := ParseTimestampLTZ(in, ' ', sh)
		if err != nil || ms != want {
			t.Errorf("ParseTimestampLTZ(%q) = %d %v, want %d", in, ms, err, want)
		}
	}
	for _, in := range []string{"2024-01-01 00:00:00ZZ", "2024-01-01 00:00:00+8", "2024-01-01 00:00:00 UTC"} {
		if _, _, err := ParseTimestampLTZ(in, ' ', sh); err == nil {
			t.Errorf("ParseTimestampLTZ(%q) succeeded", in)
		}
	}
	// Far future and far past convert without overflow.
	for _, ms := range []int64{MaxMillis - 8*3600000, MinMillis + 8*3600000} {
		if back := LocalToInstant(InstantToLocal(ms, sh), sh); back != ms {
			t.Errorf("zone round trip of %d = %d", ms, back)
		}
	}
	// A DST zone: New York, 2024-07-01 12:00 local is 16:00Z.
	ny, err := time.LoadLocation("America/New_York")
	if err == nil {
		w, _ := TimestampOfCivil(2024, 7, 1, 12, 0, 0, 0)
		i, _ := TimestampOfCivil(2024, 7, 1, 16, 0, 0, 0)
		if got := LocalToInstant(w, ny); got != i {
			t.Errorf("New York summer: %d, want %d", got, i)
		}
	}
}

func TestTruncate(t *testing.T) {
	ms, ns := TruncateTimestamp(-1, 999999, 0)
	if ms != -1000 || ns != 0 {
		t.Errorf("TruncateTimestamp(-1, p0) = %d %d", ms, ns)
	}
	ms, ns = TruncateTimestamp(1234, 567891, 6)
	if ms != 1234 || ns != 567000 {
		t.Errorf("TruncateTimestamp(p6) = %d %d", ms, ns)
	}
	ms, ns = TruncateTimestamp(1234, 567891, 1)
	if ms != 1200 || ns != 0 {
		t.Errorf("TruncateTimestamp(p1) = %d %d", ms, ns)
	}
	if got := TruncateTime(1234567891, 3); got != 1234000000 {
		t.Errorf("TruncateTime = %d", got)
	}
}

// An instant is written in UTC, so one read in another zone must lie in
// 0001..9999 in UTC too (a fuzzed csv round trip found year 0 written).
func TestParseTimestampLTZBounds(t *testing.T) {
	east, west := time.FixedZone("UTC+8", 8*3600), time.FixedZone("UTC-1", -3600)
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want int64 // -1: refused
	}{
		{"0001-01-01 08:00:00", east, MinMillis},
		{"0001-01-01 07:59:59.999", east, -1},
		{"0001-01-01 00:00:00+00:01", nil, -1},
		{"9999-12-31 22:59:59.999", west, MaxMillis},
		{"9999-12-31 23:00:00", west, -1},
		{"9999-12-31 23:59:59.999Z", nil, MaxMillis},
	} {
		ms, _, err := ParseTimestampLTZ(c.in, ' ', c.loc)
		if c.want == -1 && err == nil || c.want != -1 && (err != nil || ms != c.want) {
			t.Errorf("ParseTimestampLTZ(%q) = %d, %v; want %d", c.in, ms, err, c.want)
		}
	}
}

// Wall times in a daylight-saving gap or overlap map as java.time's
// LocalDateTime.atZone does (Flink's casts): a gap moves later by its
// length, an overlap takes the earlier offset. Expected instants are the
// ones Flink gives (the audit's repros, checked with the zone rules).
func TestLocalToInstantGapsAndOverlaps(t *testing.T) {
	for _, tc := range []struct {
		zone      string
		wall, utc [6]int
	}{
		// New York springs forward at 02:00 EST (-5) to 03:00 EDT (-4).
		{"America/New_York", [6]int{2024, 3, 10, 2, 30, 0}, [6]int{2024, 3, 10, 7, 30, 0}},
		{"America/New_York", [6]int{2024, 3, 10, 1, 59, 59}, [6]int{2024, 3, 10, 6, 59, 59}},
		{"America/New_York", [6]int{2024, 3, 10, 3, 0, 0}, [6]int{2024, 3, 10, 7, 0, 0}},
		// ... and falls back at 02:00 EDT to 01:00 EST: 01:30 twice.
		{"America/New_York", [6]int{2024, 11, 3, 1, 30, 0}, [6]int{2024, 11, 3, 5, 30, 0}},
		// Berlin falls back at 03:00 CEST (+2) to 02:00 CET (+1).
		{"Europe/Berlin", [6]int{2024, 10, 27, 2, 30, 0}, [6]int{2024, 10, 27, 0, 30, 0}},
		{"Europe/Berlin", [6]int{2024, 3, 31, 2, 30, 0}, [6]int{2024, 3, 31, 1, 30, 0}},
		// Sao Paulo (2018) sprang forward at midnight: the day starts at 01:00.
		{"America/Sao_Paulo", [6]int{2018, 11, 4, 0, 0, 0}, [6]int{2018, 11, 4, 3, 0, 0}},
		// Lord Howe changes by half an hour.
		{"Australia/Lord_Howe", [6]int{2024, 10, 6, 2, 15, 0}, [6]int{2024, 10, 5, 15, 45, 0}},
		// Samoa skipped 2011-12-30 entirely (-10 to +14).
		{"Pacific/Apia", [6]int{2011, 12, 30, 12, 0, 0}, [6]int{2011, 12, 30, 22, 0, 0}},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := TimestampOfCivil(tc.wall[0], tc.wall[1], tc.wall[2], tc.wall[3], tc.wall[4], tc.wall[5], 0)
		u, _ := TimestampOfCivil(tc.utc[0], tc.utc[1], tc.utc[2], tc.utc[3], tc.utc[4], tc.utc[5], 0)
		if got := LocalToInstant(w+123, loc); got != u+123 {
			t.Errorf("%s %v: %s, want %s", tc.zone, tc.wall, time.UnixMilli(got).UTC(), time.UnixMilli(u+123).UTC())
		}
	}
}
