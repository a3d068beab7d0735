package connector

import (
	"testing"
	"time"
)

// Durations as Flink's TimeUtils.parseDuration reads them (its
// TimeUtilsTest): a non-negative integer and a unit, plurals and the
// micro/nano units included; a sign or an unknown unit is an error.
func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10 s": 10 * time.Second, "500ms": 500 * time.Millisecond, "10 milliseconds": 10 * time.Millisecond,
		"1000 µs": time.Millisecond, "7 micros": 7 * time.Microsecond, "3 ns": 3, "10 m": 10 * time.Minute,
		"5 min": 5 * time.Minute, "2 hours": 2 * time.Hour, "1 d": 24 * time.Hour, "250": 250 * time.Millisecond,
		" 1 DAYS ": 24 * time.Hour,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"-5 s", "+5 s", "1.5 s", "1h30m", "5 fortnights", "", "s", "99999999999999 d"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %s, want an error", in, d)
		}
	}
}
