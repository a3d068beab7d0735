package cli_test

import (
	"strings"
	"testing"
	"time"
)

// The demo's shop clock does not follow the wall clock in a drain or at
// --rate: a day simulated ahead of today (here tomorrow's, all of it
// more than 24 h ahead of now by its end) is the shop's, not the
// far-future timestamps the engine's skew limit dead-letters.
func TestDemoAheadOfTheClockIsNotFuture(t *testing.T) {
	dir := t.TempDir()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1).Format("2006-01-02")
	code, _, errOut := run(t, "", "--data-dir", dir, "demo", "--date", tomorrow, "--drain", "--sessions", "300", "--seed", "5", "--progress", "0", "--http-addr=")
	if code != 0 {
		t.Fatalf("demo --drain --date %s: exit %d: %s", tomorrow, code, errOut)
	}
	_, out, _ := run(t, "", "--data-dir", dir, "topic", "tail", "dirty_data", "--from-beginning", "--exit-at-end", "--print-headers")
	if n := strings.Count(out, "future_event_time"); n > 0 {
		t.Fatalf("%d records of the shop's own day dead-lettered as future_event_time:\n%s", n, firstLines(out, 5))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
