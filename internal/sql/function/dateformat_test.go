package function

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// DATE_FORMAT of a TIMESTAMP uses java.time's pattern letters.
func TestDateFormatPatterns(t *testing.T) {
	x := ts("2024-03-05 07:08:09.012345") // a Tuesday, day 65 of a leap year
	pm := ts("2024-03-05 19:00:00")
	midnight := ts("2024-03-05 00:30:00")
	for _, tc := range []struct {
		v          row.Value
		pattern    string
		want       string
		whatPasses string
	}{
		{x, "yyyy-MM-dd HH:mm:ss", "2024-03-05 07:08:09", ""},
		{x, "yy/M/d H:m:s", "24/3/5 7:8:9", ""},
		{x, "yyyyMMdd", "20240305", ""},
		{x, "yyyyMMddHHmmss", "20240305070809", ""},
		{x, "hh:mm a", "07:08 AM", ""},
		{pm, "hh a K", "07 PM 7", ""},
		{midnight, "hh:mm a k", "12:30 AM 24", ""},
		{x, "SSS", "012", "the fraction, not milliseconds"},
		{x, "SSSSSS", "012345", ""},
		{x, "S", "0", ""},
		{x, "SSSSSSSSS", "012345000", ""},
		{x, "EEE, MMM d", "Tue, Mar 5", ""},
		{x, "EEEE MMMM", "Tuesday March", ""},
		{x, "yyyy'年'MM'月'dd'日'", "2024年03月05日", ""},
		{x, "'T'HH", "T07", ""},
		{x, "''HH''", "'07'", ""},
		{x, "'it''s' H", "it's 7", ""},
		{x, "D DDD", "65 065", ""},
		{x, "w", "10", "US weeks: Sunday first, week 1 holds January 1st"},
		{x, "W F", "2 1", ""},
		{x, "Q QQ QQQ QQQQ", "1 01 Q1 1st quarter", ""},
		{x, "G uuuu", "AD 2024", ""},
		{x, "e c", "3 3", ""},
		{x, "[yyyy]", "2024", "optional sections are printed"},
		{date("2024-12-29"), "YYYY yyyy w", "2025 2024 1", "the week-based year, Java's classic trap"},
		{date("2024-03-05"), "yyyy/MM/dd HH:mm", "2024/03/05 00:00", ""},
	} {
		got := call(t, "DATE_FORMAT", tc.v, s(tc.pattern))
		if got.Str() != tc.want {
			t.Errorf("DATE_FORMAT(%v, '%s') = %q, want %q %s", tc.v, tc.pattern, got.Str(), tc.want, tc.whatPasses)
		}
	}
}

// DATE_FORMAT of a string reads it as 'yyyy-MM-dd HH:mm:ss' and formats
// with SimpleDateFormat's letters, NULL when it cannot be read.
func TestDateFormatString(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		c("DATE_FORMAT", s("20240305"), s("2024-03-05 07:08:09"), s("yyyyMMdd")),
		c("DATE_FORMAT", s("07:08:09"), s("2024-03-05 07:08:09.5"), s("HH:mm:ss")),
		c("DATE_FORMAT", s("0 2"), s("2024-03-05 07:08:09"), s("S u")), // milliseconds; day number (Tuesday = 2)
		c("DATE_FORMAT", nl, s("2024-03-05"), s("yyyy")),
		c("DATE_FORMAT", s("2024-03-01"), s("2024-02-30 00:00:00"), s("yyyy-MM-dd")), // SimpleDateFormat rolls over
		c("DATE_FORMAT", nl, nl, s("yyyy")),
		c("DATE_FORMAT", nl, s("2024-03-05 07:08:09"), nl),
	})
	runCases(t, shEnv, []tcase{
		c("DATE_FORMAT", s("2024-03-05 07:08 CST +0800"), s("2024-03-05 07:08:09"), s("yyyy-MM-dd HH:mm z Z")),
	})
	q := s("QQQ")
	errContains(t, bindErr(t, "DATE_FORMAT", Arg{Type: row.StringType}, Arg{Type: row.StringType, Const: &q}), "illegal pattern character 'Q'")
}

// A TIMESTAMP_LTZ is formatted in the session time zone.
func TestDateFormatLTZ(t *testing.T) {
	inst := row.TimestampLTZ(1700000000000, 0) // 2023-11-14 22:13:20 UTC
	runCases(t, shEnv, []tcase{
		c("DATE_FORMAT", s("2023-11-15 06:13:20"), inst, s("yyyy-MM-dd HH:mm:ss")),
		c("DATE_FORMAT", s("2023-11-15 06:13:20 CST"), inst, s("yyyy-MM-dd HH:mm:ss z")),
		c("DATE_FORMAT", s("+08:00 +0800 +08 +0800 Asia/Shanghai"), inst, s("XXX Z X xx VV")),
		c("DATE_FORMAT", s("GMT+08:00 +08:00"), inst, s("ZZZZ ZZZZZ")),
	})
	runCases(t, utcEnv, []tcase{
		c("DATE_FORMAT", s("2023-11-14 22:13:20"), inst, s("yyyy-MM-dd HH:mm:ss")),
		c("DATE_FORMAT", s("Z +00:00 +0000"), inst, s("X xxx Z")),
	})

	// TO_TIMESTAMP_LTZ(1700000000000, 3) then DATE_FORMAT, bound as the
	// compiler chains them.
	for _, tc := range []struct {
		env  *Env
		want string
	}{{shEnv, "2023-11-15 06:13:20.000"}, {utcEnv, "2023-11-14 22:13:20.000"}} {
		three := i(3)
		toLTZ := bind(t, tc.env, "TO_TIMESTAMP_LTZ", Arg{Type: row.BigIntType}, Arg{Type: row.IntType.WithNotNull(true), Const: &three})
		p := s("yyyy-MM-dd HH:mm:ss.SSS")
		format := bind(t, tc.env, "DATE_FORMAT", Arg{Type: toLTZ.Type}, Arg{Type: row.StringType.WithNotNull(true), Const: &p})
		v, err := toLTZ.Eval([]row.Value{bi(1700000000000), three})
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.Eval([]row.Value{v, p})
		if err != nil || got.Str() != tc.want {
			t.Errorf("in %v: DATE_FORMAT(TO_TIMESTAMP_LTZ(1700000000000, 3)) = %v, %v; want %s", tc.env.Loc, got, err, tc.want)
		}
	}
}

func TestDateFormatErrors(t *testing.T) {
	zone := s("yyyy-MM-dd HH:mm z")
	errContains(t, bindErr(t, "DATE_FORMAT", Arg{Type: row.TimestampOf(3)}, Arg{Type: row.StringType, Const: &zone}), "needs a TIMESTAMP_LTZ")
	bad := s("yyyy-bb")
	errContains(t, bindErr(t, "DATE_FORMAT", Arg{Type: row.TimestampOf(3)}, Arg{Type: row.StringType, Const: &bad}), "illegal pattern character 'b'")
	quote := s("yyyy 'oops")
	errContains(t, bindErr(t, "DATE_FORMAT", Arg{Type: row.TimestampOf(3)}, Arg{Type: row.StringType, Const: &quote}), "unterminated quote")
	errContains(t, bindErr(t, "DATE_FORMAT", Arg{Type: row.IntType}, Arg{Type: row.StringType}), "DATE_FORMAT expects (TIMESTAMP or STRING, STRING), got (INT, STRING)")
	// A per-row pattern fails the record instead.
	bd := bind(t, utcEnv, "DATE_FORMAT", Arg{Type: row.TimestampOf(3)}, Arg{Type: row.StringType})
	if _, err := bd.Eval([]row.Value{ts("2024-01-01 00:00:00"), zone}); err == nil {
		t.Error("DATE_FORMAT(TIMESTAMP, per-row 'z'): no error")
	}
	if v, err := bd.Eval([]row.Value{ts("2024-01-01 00:00:00"), s("yyyy")}); err != nil || v.Str() != "2024" {
		t.Errorf("DATE_FORMAT per-row 'yyyy' = %v, %v", v, err)
	}
}

// Whatever a java.time pattern formats, it parses back.
func TestDateFormatRoundTrip(t *testing.T) {
	patterns := []string{
		"yyyy-MM-dd HH:mm:ss.SSS", "yyyyMMddHHmmssSSS", "dd/MM/yyyy hh:mm:ss.SSS a",
		"MMM d yyyy HH:mm:ss.SSS", "EEE, dd MMMM yyyy HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss.SSS",
	}
	for _, p := range patterns {
		f := mustDateFormat(p, modeDTF)
		for ms := int64(-2_000_000_000_000); ms < 4_000_000_000_000; ms += 123_456_789_123 {
			text := f.format(ms, 0, 0, nil)
			pr, ok := f.parse(text)
			if !ok {
				t.Fatalf("'%s': %q does not parse", p, text)
			}
			back, _, ok := pr.resolve(modeDTF)
			if !ok || back != ms {
				t.Fatalf("'%s': %d formats as %q, parses as %d", p, ms, text, back)
			}
		}
	}
}

func BenchmarkDateFormat(b *testing.B) {
	p := s("yyyy-MM-dd HH:mm:ss")
	bd := bind(b, utcEnv, "DATE_FORMAT", Arg{Type: row.TimestampOf(3)}, Arg{Type: row.StringType, Const: &p})
	args := []row.Value{ts("2024-03-05 07:08:09.012"), p}
	b.ReportAllocs()
	for b.Loop() {
		args[0] = row.Timestamp(1709622489012+int64(b.N), 0)
		if _, err := bd.Eval(args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDateFormatLTZ(b *testing.B) {
	p := s("yyyy-MM-dd")
	bd := bind(b, shEnv, "DATE_FORMAT", Arg{Type: row.TimestampLTZOf(3)}, Arg{Type: row.StringType, Const: &p})
	args := []row.Value{row.TimestampLTZ(1709622489012, 0), p}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Eval(args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromUnixtime(b *testing.B) {
	bd := bind(b, shEnv, "FROM_UNIXTIME", Arg{Type: row.BigIntType})
	args := []row.Value{bi(1709622489)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Eval(args); err != nil {
			b.Fatal(err)
		}
	}
}
