package function

import (
	"math"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

func TestClockFunctions(t *testing.T) {
	// fixedNow is 2024-03-15 20:00:00.123456789 UTC, 04:00 on the 16th in Shanghai.
	runCases(t, utcEnv, []tcase{
		c("CURRENT_TIMESTAMP", ltz("2024-03-15 20:00:00.123")),
		c("NOW", ltz("2024-03-15 20:00:00.123")),
		c("PROCTIME", ltz("2024-03-15 20:00:00.123")),
		c("CURRENT_ROW_TIMESTAMP", ltz("2024-03-15 20:00:00.123")),
		c("LOCALTIMESTAMP", ts("2024-03-15 20:00:00.123")),
		c("CURRENT_DATE", date("2024-03-15")),
		c("CURRENT_TIME", tm("20:00:00")),
		c("UNIX_TIMESTAMP", bi(fixedNow().Unix())),
	})
	runCases(t, shEnv, []tcase{
		c("CURRENT_TIMESTAMP", ltz("2024-03-15 20:00:00.123")), // an instant: the zone does not change it
		c("LOCALTIMESTAMP", ts("2024-03-16 04:00:00.123")),
		c("CURRENT_DATE", date("2024-03-16")),
		c("LOCALTIME", tm("04:00:00")),
		c("UNIX_TIMESTAMP", bi(fixedNow().Unix())),
	})
	for _, name := range []string{"CURRENT_TIMESTAMP", "NOW", "PROCTIME", "LOCALTIMESTAMP", "CURRENT_DATE", "UNIX_TIMESTAMP", "UUID", "RAND"} {
		bd := bind(t, utcEnv, name)
		if !bd.Dynamic || bd.Type.Nullable() {
			t.Errorf("%s: Dynamic %v, type %s; want Dynamic and NOT NULL", name, bd.Dynamic, bd.Type)
		}
	}
	if got := bind(t, utcEnv, "PROCTIME").Type.String(); got != "TIMESTAMP_LTZ(3) NOT NULL" {
		t.Errorf("PROCTIME type %s", got)
	}
	if got := bind(t, utcEnv, "LOCALTIMESTAMP").Type.String(); got != "TIMESTAMP(3) NOT NULL" {
		t.Errorf("LOCALTIMESTAMP type %s", got)
	}
	// The clock is read per call.
	n := 0
	env := &Env{Loc: time.UTC, Now: func() time.Time { n++; return time.UnixMilli(int64(n) * 1000) }}
	bd := bind(t, env, "NOW")
	v1, _ := bd.Eval(nil)
	v2, _ := bd.Eval(nil)
	if v1.Millis() != 1000 || v2.Millis() != 2000 {
		t.Errorf("NOW() read %v then %v", v1, v2)
	}
}

func TestUnixTime(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// Flink docs: FROM_UNIXTIME(44) returns '1970-01-01 00:00:44' in UTC, '1970-01-01 09:00:44' in Asia/Tokyo.
	runCases(t, utcEnv, []tcase{
		c("FROM_UNIXTIME", s("1970-01-01 00:00:44"), bi(44)),
		c("FROM_UNIXTIME", s("19700101"), bi(0), s("yyyyMMdd")),
		c("FROM_UNIXTIME", s("2023-11-14 22:13:20"), i(1700000000)),
		c("FROM_UNIXTIME", nl, nl),
		c("UNIX_TIMESTAMP", bi(1710532800), s("2024-03-15 20:00:00.999")), // text after the pattern is ignored
		c("UNIX_TIMESTAMP", bi(math.MinInt64), s("not a time")),
		c("UNIX_TIMESTAMP", bi(1704067200), s("20240101"), s("yyyyMMdd")),
		c("UNIX_TIMESTAMP", nl, nl),
	})
	runCases(t, &Env{Loc: tokyo}, []tcase{c("FROM_UNIXTIME", s("1970-01-01 09:00:44"), bi(44))})
	runCases(t, shEnv, []tcase{
		c("FROM_UNIXTIME", s("1970-01-01 08:00:00"), bi(0)),
		c("UNIX_TIMESTAMP", bi(0), s("1970-01-01 08:00:00")),
	})
	// Flink docs, with 'table.local-time-zone' = 'Europe/Berlin':
	runCases(t, &Env{Loc: berlin}, []tcase{
		c("UNIX_TIMESTAMP", bi(25201), s("1970-01-01 08:00:01.001"), s("yyyy-MM-dd HH:mm:ss.SSS")),
		c("UNIX_TIMESTAMP", bi(1), s("1970-01-01 08:00:01.001 +0800"), s("yyyy-MM-dd HH:mm:ss.SSS X")),
		c("UNIX_TIMESTAMP", bi(25201), s("1970-01-01 08:00:01.001 +0800"), s("yyyy-MM-dd HH:mm:ss.SSS")),
		c("UNIX_TIMESTAMP", bi(math.MinInt64), s("1970-01-01 08:00:01.001"), s("yyyy-MM-dd HH:mm:ss.SSS X")),
	})
}

func TestToTimestamp(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		c("TO_TIMESTAMP", ts("2024-01-02 03:04:05"), s("2024-01-02 03:04:05")),
		c("TO_TIMESTAMP", ts("2024-01-02 00:00:00"), s("2024-1-2")),
		c("TO_TIMESTAMP", ts("2024-01-02 03:04:05.123"), s("2024-01-02 03:04:05.123456")), // TIMESTAMP(3)
		c("TO_TIMESTAMP", nl, s("garbage")),
		c("TO_TIMESTAMP", nl, s("2024-02-30")),
		c("TO_TIMESTAMP", nl, s("2024-01-02T03:04:05")),
		c("TO_TIMESTAMP", nl, nl),
		c("TO_TIMESTAMP", ts("2024-01-02 00:00:00"), s("20240102"), s("yyyyMMdd")),
		c("TO_TIMESTAMP", ts("2024-01-02 03:04:00"), s("2024/01/02 03:04"), s("yyyy/MM/dd HH:mm")),
		c("TO_TIMESTAMP", ts("2024-01-02 23:30:00"), s("02/01/2024 11:30:00 PM"), s("dd/MM/yyyy hh:mm:ss a")),
		c("TO_TIMESTAMP", ts("2024-01-02 03:04:05.678"), s("2024-01-02 03:04:05.678"), s("yyyy-MM-dd HH:mm:ss.SSS")),
		c("TO_TIMESTAMP", ts("2024-03-05 00:00:00"), s("Mar 5, 2024"), s("MMM d, yyyy")),
		c("TO_TIMESTAMP", ts("2024-02-29 00:00:00"), s("2024-02-30"), s("yyyy-MM-dd")), // java.time's SMART resolver
		// When the pattern does not match, Flink falls back to java.sql.Timestamp's format.
		c("TO_TIMESTAMP", ts("2024-01-02 03:04:05"), s("2024-01-02 03:04:05"), s("yyyy/MM/dd")),
		c("TO_TIMESTAMP", ts("2024-01-02 00:00:00"), s("2024-1-2"), s("yyyy/MM/dd")),
		c("TO_TIMESTAMP", nl, s("2024-13-02"), s("yyyy-MM-dd")),
		c("TO_TIMESTAMP", nl, s("2024-01-02 3"), s("yyyy-MM-dd HH:mm")), // DTF: HH is two digits

		c("TO_DATE", date("2024-01-02"), s("2024-01-02")),
		c("TO_DATE", date("2024-01-02"), s("2024-01-02 10:00:00")),
		c("TO_DATE", date("2024-01-01"), s("2024")),
		c("TO_DATE", nl, s("2024-02-30")),
		c("TO_DATE", nl, s("x")),
		c("TO_DATE", date("2024-01-02"), s("20240102"), s("yyyyMMdd")),
		c("TO_DATE", date("2024-01-02"), s("2024/1/2"), s("yyyy/MM/dd")), // SimpleDateFormat is lenient
		c("TO_DATE", nl, s("x"), s("yyyy")),
	})
	errContains(t, bindErr(t, "TO_TIMESTAMP", Arg{Type: row.IntType}), "TO_TIMESTAMP expects (STRING[, STRING]), got (INT)")
	p := s("yyyy-bb")
	errContains(t, bindErr(t, "TO_TIMESTAMP", Arg{Type: row.StringType}, Arg{Type: row.StringType, Const: &p}), "illegal pattern character 'b'")
}

func TestToTimestampLTZ(t *testing.T) {
	inst := row.TimestampLTZ(1700000000000, 0) // 2023-11-14 22:13:20 UTC, 2023-11-15 06:13:20 in Shanghai
	runCases(t, shEnv, []tcase{
		c("TO_TIMESTAMP_LTZ", inst, bi(1700000000000), i(3)),
		c("TO_TIMESTAMP_LTZ", inst, bi(1700000000), i(0)),
		c("TO_TIMESTAMP_LTZ", row.TimestampLTZ(1700000000123, 0), bi(1700000000123)),
		c("TO_TIMESTAMP_LTZ", inst, dec("1700000000.9", 11, 1), i(0)),
		c("TO_TIMESTAMP_LTZ", row.TimestampLTZ(1700000000500, 0), f(1700000000.5), i(0)),
		c("TO_TIMESTAMP_LTZ", nl, bi(1e15), i(0)), // beyond year 9999
		c("TO_TIMESTAMP_LTZ", nl, nl, i(3)),
		// Text is read in UTC unless a zone is given (Flink's
		// ToTimestampLtzFunction), whatever the session zone.
		c("TO_TIMESTAMP_LTZ", inst, s("2023-11-14 22:13:20")),
		c("TO_TIMESTAMP_LTZ", inst, s("2023-11-14 22:13:20"), s("yyyy-MM-dd HH:mm:ss"), s("UTC")),
		c("TO_TIMESTAMP_LTZ", inst, s("2023-11-15 06:13:20"), s("yyyy-MM-dd HH:mm:ss"), s("Asia/Shanghai")),
		c("TO_TIMESTAMP_LTZ", inst, s("14/11/2023 22:13:20"), s("dd/MM/yyyy HH:mm:ss")),
		c("TO_TIMESTAMP_LTZ", inst, s("2023-11-14T22:13:20Z"), s("yyyy-MM-dd'T'HH:mm:ssX")),
		c("TO_TIMESTAMP_LTZ", nl, s("nope"), s("yyyy")),
	})
	p := i(6)
	errContains(t, bindErr(t, "TO_TIMESTAMP_LTZ", Arg{Type: row.BigIntType}, Arg{Type: row.IntType, Const: &p}), "0 (epoch seconds) or 3")
	if got := bind(t, utcEnv, "TO_TIMESTAMP_LTZ", Arg{Type: row.BigIntType.WithNotNull(true)}, Arg{Type: row.IntType.WithNotNull(true)}).Type.String(); got != "TIMESTAMP_LTZ(3)" {
		t.Errorf("TO_TIMESTAMP_LTZ type %s", got)
	}
}

func TestExtract(t *testing.T) {
	u := s
	runCases(t, utcEnv, []tcase{
		// Flink docs: EXTRACT(DAY FROM DATE '2006-06-05') returns 5.
		c("EXTRACT", bi(5), u("DAY"), date("2006-06-05")),
		// Flink docs: YEAR(DATE '1994-09-27') returns 1994, QUARTER 3, MONTH 9, WEEK 39,
		// DAYOFYEAR 270, DAYOFMONTH 27, DAYOFWEEK 3; HOUR / MINUTE / SECOND of
		// TIMESTAMP '1994-09-27 13:14:15' are 13, 14, 15.
		c("YEAR", bi(1994), date("1994-09-27")),
		c("QUARTER", bi(3), date("1994-09-27")),
		c("MONTH", bi(9), date("1994-09-27")),
		c("WEEK", bi(39), date("1994-09-27")),
		c("DAYOFYEAR", bi(270), date("1994-09-27")),
		c("DAYOFMONTH", bi(27), date("1994-09-27")),
		c("DAYOFWEEK", bi(3), date("1994-09-27")),
		c("HOUR", bi(13), ts("1994-09-27 13:14:15")),
		c("MINUTE", bi(14), ts("1994-09-27 13:14:15")),
		c("SECOND", bi(15), ts("1994-09-27 13:14:15")),
		c("YEAR", bi(1994), ts("1994-09-27 13:14:15")),
		c("HOUR", bi(13), tm("13:14:15")),
		c("EXTRACT", bi(123), u("MILLISECOND"), ts("2024-01-01 00:00:15.123")), // within the second, as Flink
		c("EXTRACT", bi(123456), u("MICROSECOND"), ts("2024-01-01 00:00:15.123456789")),
		c("EXTRACT", bi(123456789), u("NANOSECOND"), ts("2024-01-01 00:00:15.123456789")),
		c("EXTRACT", bi(5), u("DOW"), date("1970-01-01")), // a Thursday; Sunday = 1
		c("EXTRACT", bi(7), u("ISODOW"), date("2024-03-17")),
		c("EXTRACT", bi(1), u("DOW"), date("2024-03-17")),
		c("EXTRACT", bi(2025), u("ISOYEAR"), date("2024-12-30")),
		c("EXTRACT", bi(1), u("WEEK"), date("2024-12-30")),
		c("EXTRACT", bi(53), u("WEEK"), date("2021-01-01")),
		c("EXTRACT", bi(20), u("CENTURY"), date("2000-01-01")),
		c("EXTRACT", bi(21), u("CENTURY"), date("2001-01-01")),
		c("EXTRACT", bi(200), u("DECADE"), date("2000-01-01")),
		c("EXTRACT", bi(2), u("MILLENNIUM"), date("2000-01-01")),
		c("EXTRACT", bi(86400), u("EPOCH"), ts("1970-01-02 00:00:00")),
		c("EXTRACT", bi(86400), u("EPOCH"), date("1970-01-02")),
		c("EXTRACT", bi(0), u("HOUR"), ltz("1970-01-01 00:00:00")),
		c("EXTRACT", bi(2), u("DAY"), row.IntervalMillis(2*row.MillisPerDay+3*3_600_000)),
		c("EXTRACT", bi(3), u("HOUR"), row.IntervalMillis(2*row.MillisPerDay+3*3_600_000)),
		c("EXTRACT", bi(2), u("YEAR"), row.IntervalMonths(27)),
		c("EXTRACT", bi(3), u("MONTH"), row.IntervalMonths(27)),
		c("EXTRACT", nl, u("YEAR"), nl),
	})
	runCases(t, shEnv, []tcase{
		c("EXTRACT", bi(8), u("HOUR"), ltz("1970-01-01 00:00:00")), // an instant, read in the session zone
		c("DAYOFMONTH", bi(16), ltz("2024-03-15 20:00:00")),
		c("EXTRACT", bi(0), u("EPOCH"), ltz("1970-01-01 00:00:00")),
	})
	day := s("HOUR")
	errContains(t, bindErr(t, "EXTRACT", Arg{Type: row.StringType, Const: &day}, Arg{Type: row.DateType}), "unit HOUR is not supported for DATE")
	errContains(t, bindErr(t, "EXTRACT", Arg{Type: row.StringType}, Arg{Type: row.DateType}), "expects a time unit")
	errContains(t, bindErr(t, "HOUR", Arg{Type: row.DateType}), "HOUR expects (TIMESTAMP or TIME), got (DATE)")
}

func TestFloorCeilTemporal(t *testing.T) {
	u := s
	x := ts("2024-03-15 10:20:30.5") // a Friday
	runCases(t, utcEnv, []tcase{
		// Flink docs: FLOOR(TIME '12:44:31' TO MINUTE) returns 12:44:00, CEIL returns 12:45:00.
		c("FLOOR", tm("12:44:00"), tm("12:44:31"), u("MINUTE")),
		c("CEIL", tm("12:45:00"), tm("12:44:31"), u("MINUTE")),
		c("FLOOR", ts("2024-03-15 10:20:30"), x, u("SECOND")),
		c("FLOOR", ts("2024-03-15 10:00:00"), x, u("HOUR")),
		c("FLOOR", ts("2024-03-15 00:00:00"), x, u("DAY")),
		c("FLOOR", ts("2024-03-10 00:00:00"), x, u("WEEK")), // weeks start on Sunday
		c("FLOOR", ts("2024-03-01 00:00:00"), x, u("MONTH")),
		c("FLOOR", ts("2024-01-01 00:00:00"), x, u("QUARTER")),
		c("FLOOR", ts("2024-01-01 00:00:00"), x, u("YEAR")),
		c("FLOOR", ts("2020-01-01 00:00:00"), x, u("DECADE")),
		c("FLOOR", ts("2001-01-01 00:00:00"), x, u("CENTURY")),
		c("CEIL", ts("2024-03-15 10:20:31"), x, u("SECOND")),
		c("CEIL", ts("2024-03-16 00:00:00"), x, u("DAY")),
		c("CEIL", ts("2024-03-15 00:00:00"), ts("2024-03-15 00:00:00"), u("DAY")),
		c("CEIL", ts("2024-03-17 00:00:00"), x, u("WEEK")),
		c("CEIL", ts("2024-04-01 00:00:00"), x, u("MONTH")),
		c("CEIL", ts("2024-04-01 00:00:00"), x, u("QUARTER")),
		c("CEIL", ts("2025-01-01 00:00:00"), x, u("YEAR")),
		c("CEIL", ts("2024-01-01 00:00:00"), ts("2024-01-01 00:00:00"), u("YEAR")),
		c("FLOOR", date("2024-03-01"), date("2024-03-15"), u("MONTH")),
		c("CEIL", date("2024-04-01"), date("2024-03-15"), u("MONTH")),
		c("CEIL", date("2024-03-15"), date("2024-03-15"), u("DAY")),
		c("FLOOR", ltz("2024-03-15 00:00:00"), ltz("2024-03-15 20:00:00"), u("DAY")),
		c("FLOOR", nl, nl, u("DAY")),
	})
	runCases(t, shEnv, []tcase{
		// 2024-03-16 04:00 in Shanghai: the local day starts at 16:00 UTC on the 15th.
		c("FLOOR", ltz("2024-03-15 16:00:00"), ltz("2024-03-15 20:00:00"), u("DAY")),
		c("CEIL", ltz("2024-03-16 16:00:00"), ltz("2024-03-15 20:00:00"), u("DAY")),
		c("FLOOR", ts("2024-03-15 00:00:00"), ts("2024-03-15 20:00:00"), u("DAY")), // a TIMESTAMP has no zone
	})
	hour := s("HOUR")
	errContains(t, bindErr(t, "FLOOR", Arg{Type: row.DateType}, Arg{Type: row.StringType, Const: &hour}), "unit HOUR is not supported for DATE")
	errContains(t, bindErr(t, "FLOOR", Arg{Type: row.StringType}), "FLOOR expects (NUMERIC) or (temporal TO unit), got (STRING)")
	if got := bind(t, utcEnv, "FLOOR", Arg{Type: row.TimestampLTZOf(3)}, Arg{Type: row.StringType, Const: &hour}).Type.String(); got != "TIMESTAMP_LTZ(3)" {
		t.Errorf("FLOOR(LTZ TO HOUR) type %s", got)
	}
}

func TestTimestampAddDiff(t *testing.T) {
	u := s
	runCases(t, utcEnv, []tcase{
		c("TIMESTAMPADD", ts("2024-02-01 10:00:00"), u("DAY"), i(1), ts("2024-01-31 10:00:00")),
		c("TIMESTAMPADD", ts("2024-02-29 10:00:00"), u("MONTH"), i(1), ts("2024-01-31 10:00:00")), // clamped
		c("TIMESTAMPADD", date("2025-02-28"), u("YEAR"), i(1), date("2024-02-29")),
		c("TIMESTAMPADD", date("2024-02-29"), u("QUARTER"), i(-1), date("2024-05-31")),
		c("TIMESTAMPADD", date("2024-01-15"), u("WEEK"), i(2), date("2024-01-01")),
		c("TIMESTAMPADD", ts("2024-01-01 02:00:00"), u("HOUR"), i(2), date("2024-01-01")), // DATE + HOUR is a TIMESTAMP
		c("TIMESTAMPADD", tm("00:00:30"), u("SECOND"), i(90), tm("23:59:00")),
		c("TIMESTAMPADD", ts("2024-01-01 00:00:00.005"), u("MILLISECOND"), i(5), ts("2024-01-01 00:00:00")),
		c("TIMESTAMPADD", ts("2023-12-31 23:59:59.999"), u("MICROSECOND"), i(-1000), ts("2024-01-01 00:00:00")),
		c("TIMESTAMPADD", ltz("2024-02-29 16:30:00"), u("MONTH"), i(1), ltz("2024-01-30 16:30:00")),
		c("TIMESTAMPADD", ltz("2024-01-31 16:30:00"), u("DAY"), i(1), ltz("2024-01-30 16:30:00")),
		c("TIMESTAMPADD", nl, u("DAY"), nl, ts("2024-01-31 10:00:00")),

		c("TIMESTAMPDIFF", i(2), u("DAY"), ts("2024-01-01 00:00:00"), ts("2024-01-03 12:00:00")),
		c("TIMESTAMPDIFF", i(60), u("HOUR"), ts("2024-01-01 00:00:00"), ts("2024-01-03 12:00:00")),
		c("TIMESTAMPDIFF", i(-10), u("SECOND"), ts("2024-01-01 00:00:10"), ts("2024-01-01 00:00:00")),
		c("TIMESTAMPDIFF", i(1), u("MONTH"), date("2024-01-31"), date("2024-02-29")),
		c("TIMESTAMPDIFF", i(0), u("MONTH"), ts("2024-01-31 10:00:00"), ts("2024-02-29 09:00:00")),
		c("TIMESTAMPDIFF", i(-1), u("MONTH"), date("2024-03-31"), date("2024-02-29")),
		c("TIMESTAMPDIFF", i(1), u("YEAR"), date("2020-02-29"), date("2021-02-28")),
		c("TIMESTAMPDIFF", i(3), u("QUARTER"), date("2024-01-01"), date("2024-12-31")),
		c("TIMESTAMPDIFF", i(2), u("WEEK"), date("2024-01-01"), date("2024-01-15")),
		c("TIMESTAMPDIFF", i(36), u("HOUR"), date("2024-01-01"), ts("2024-01-02 12:00:00")),
		c("TIMESTAMPDIFF", i(1), u("DAY"), ltz("2024-01-01 00:00:00"), ltz("2024-01-02 00:00:00")),
		c("TIMESTAMPDIFF", nl, u("DAY"), nl, ts("2024-01-02 00:00:00")),
		// Flink's DateTimeUtils.subtractMonths is not symmetric: backwards,
		// the months of the dates count, then one less when the date is
		// reached but the time of day is earlier.
		c("TIMESTAMPDIFF", i(-1), u("MONTH"), ts("2024-02-29 10:00:00"), ts("2024-01-31 11:00:00")),
		c("TIMESTAMPDIFF", i(0), u("MONTH"), ts("2024-01-31 11:00:00"), ts("2024-02-29 10:00:00")),
		c("TIMESTAMPDIFF", i(-1), u("MONTH"), ts("2024-02-15 09:59:59"), ts("2024-01-15 10:00:00")),
		c("TIMESTAMPDIFF", i(0), u("MONTH"), ts("2024-01-15 10:00:00"), ts("2024-02-15 09:59:59")),
		c("TIMESTAMPDIFF", i(-2), u("MONTH"), ts("2024-03-15 10:00:00"), ts("2024-01-15 10:00:00")),
	})
	runCases(t, shEnv, []tcase{
		// Months go onto the instant's UTC date (Flink's ADD_MONTHS on the
		// epoch milliseconds), not Shanghai's: 2024-01-30 16:30Z is
		// 2024-01-31 00:30 in Shanghai, yet plus a month is 2024-02-29 16:30Z.
		c("TIMESTAMPADD", ltz("2024-02-29 16:30:00"), u("MONTH"), i(1), ltz("2024-01-30 16:30:00")),
		// ... and TIMESTAMPDIFF counts them there: 2024-01-30 21:00Z to
		// 2024-02-28 22:00Z is no whole month, though in Shanghai it is
		// 2024-01-31 05:00 to 2024-02-29 06:00 (one month on its dates).
		c("TIMESTAMPDIFF", i(0), u("MONTH"), ltz("2024-01-30 21:00:00"), ltz("2024-02-28 22:00:00")),
	})
	hourU := s("HOUR")
	if got := bind(t, utcEnv, "TIMESTAMPADD", Arg{Type: row.StringType, Const: &hourU}, Arg{Type: row.IntType}, Arg{Type: row.DateType}).Type.String(); got != "TIMESTAMP(6)" {
		t.Errorf("TIMESTAMPADD(HOUR, INT, DATE) type %s, want Flink's TIMESTAMP(6)", got)
	}
	errContains(t, bindErr(t, "TIMESTAMPDIFF", Arg{Type: row.StringType, Const: &hourU}, Arg{Type: row.TimestampLTZOf(3)}, Arg{Type: row.TimestampOf(3)}),
		"TIMESTAMP_LTZ only supports diff between the same type")
	dayU := s("DAY")
	bd := bind(t, utcEnv, "TIMESTAMPADD", Arg{Type: row.StringType, Const: &dayU}, Arg{Type: row.IntType}, Arg{Type: row.DateType.WithNotNull(true)})
	if bd.Type.String() != "DATE" {
		t.Errorf("TIMESTAMPADD(DAY, INT, DATE) type %s", bd.Type)
	}
	if got := bind(t, utcEnv, "TIMESTAMPDIFF", Arg{Type: row.StringType, Const: &dayU}, Arg{Type: row.DateType.WithNotNull(true)}, Arg{Type: row.DateType.WithNotNull(true)}).Type.String(); got != "INT NOT NULL" {
		t.Errorf("TIMESTAMPDIFF type %s", got)
	}
	errContains(t, bindErr(t, "TIMESTAMPDIFF", Arg{Type: row.StringType, Const: &dayU}, Arg{Type: row.StringType}, Arg{Type: row.DateType}), "TIMESTAMPDIFF expects (unit, temporal, temporal)")
}

// DATE_ADD, DATE_SUB and DATEDIFF are Hive's (as Alibaba's Flink has
// them): strings or dates in, 'yyyy-MM-dd' strings and INT days out.
func TestDateAddDiff(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		c("DATE_ADD", s("2024-02-01"), s("2024-01-31"), i(1)),
		c("DATE_ADD", s("2024-03-01"), s("2024-01-31 10:00:00"), i(30)),
		c("DATE_ADD", s("2023-12-31"), date("2024-01-01"), i(-1)),
		c("DATE_ADD", s("2024-01-02"), ts("2024-01-01 23:59:59"), i(1)),
		c("DATE_ADD", nl, s("not a date"), i(1)),
		c("DATE_ADD", nl, s("2024-01-31"), nl),
		c("DATE_SUB", s("2024-02-29"), s("2024-03-01"), i(1)),
		c("DATEDIFF", i(29), s("2024-03-01"), s("2024-02-01")),
		c("DATEDIFF", i(-1), date("2024-01-01"), ts("2024-01-02 23:00:00")),
		c("DATEDIFF", nl, s("x"), s("2024-02-01")),
	})
	runCases(t, shEnv, []tcase{
		c("DATE_ADD", s("2024-03-17"), ltz("2024-03-15 20:00:00"), i(1)), // the 16th in Shanghai
	})
}

func TestConvertTZ(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		// Flink docs: CONVERT_TZ('1970-01-01 00:00:00', 'UTC', 'America/Los_Angeles') returns '1969-12-31 16:00:00'.
		c("CONVERT_TZ", s("1969-12-31 16:00:00"), s("1970-01-01 00:00:00"), s("UTC"), s("America/Los_Angeles")),
		c("CONVERT_TZ", s("2023-12-31 16:00:00"), s("2024-01-01 00:00:00"), s("Asia/Shanghai"), s("UTC")),
		c("CONVERT_TZ", s("2023-12-31 16:00:00"), s("2024-01-01 00:00:00"), s("GMT+08:00"), s("GMT")),
		c("CONVERT_TZ", s("2024-01-01 08:00:00"), s("2024-01-01 00:00:00"), s("UTC"), s("CTT")), // Java's short id
		c("CONVERT_TZ", nl, s("garbage"), s("UTC"), s("UTC")),
	})
	z := s("Mars/Olympus")
	errContains(t, bindErr(t, "CONVERT_TZ", Arg{Type: row.StringType}, Arg{Type: row.StringType, Const: &z}, Arg{Type: row.StringType}), `unknown time zone "Mars/Olympus"`)
}
