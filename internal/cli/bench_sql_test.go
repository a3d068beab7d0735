package cli_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestBenchSQL runs `rtdw bench sql` on a few events: every query has a
// row per side, and the SQL job's output topic holds as many records as
// the hand-built Go job's (and the bare loop's): the sides did the same
// work. Timing is not checked (docs/benchmarks.md).
func TestBenchSQL(t *testing.T) {
	const events, keys = 2000, 50
	cmd := rtdwCmd(t, t.TempDir(), "bench", "sql", "--events", strconv.Itoa(events), "--keys", strconv.Itoa(keys), "--checkpoint-interval", "200ms")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("bench sql: %v\n%s\n%s", err, out, stderr)
	}
	outputs := map[string]map[string]int64{} // query -> side -> output records
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		switch f[1] {
		case "bare", "go-job", "sql":
		default:
			continue
		}
		if f[2] != strconv.Itoa(events) {
			t.Errorf("%s %s: events column %s, want %d", f[0], f[1], f[2], events)
		}
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			t.Fatalf("outputs column of %q: %v", line, err)
		}
		if outputs[f[0]] == nil {
			outputs[f[0]] = map[string]int64{}
		}
		outputs[f[0]][f[1]] = n
	}
	// The event time advances 10 ms per event: 2000 events span two
	// 10-second windows, each with every one of the 50 uids.
	want := map[string]int64{"window": 2 * keys, "group": events}
	for _, q := range []string{"filter", "window", "group"} {
		sides := outputs[q]
		for _, s := range []string{"bare", "go-job", "sql"} {
			if _, ok := sides[s]; !ok {
				t.Errorf("no %s row for query %s:\n%s", s, q, out)
			}
		}
		if sides["sql"] != sides["go-job"] || sides["sql"] != sides["bare"] {
			t.Errorf("%s: output records sql %d, go-job %d, bare %d: want equal", q, sides["sql"], sides["go-job"], sides["bare"])
		}
		if sides["sql"] <= 0 || sides["sql"] > events {
			t.Errorf("%s: %d output records from %d events", q, sides["sql"], events)
		}
		if w, ok := want[q]; ok && sides["sql"] != w {
			t.Errorf("%s: %d output records, want %d", q, sides["sql"], w)
		}
		if !strings.Contains(string(out), q+": ") || !strings.Contains(string(out), "x go-job") {
			t.Errorf("no ratio line for %s:\n%s", q, out)
		}
	}
}
