package cli_test

import (
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestBenchLogSplit runs `rtdw bench log-split` twice on a few events: the
// bare loop, the bare loop writing to a file and the engine each report a
// row with the same number of outputs, and every app log yields at least
// one (its page, start or error record). Timing is not checked
// (docs/benchmarks.md).
func TestBenchLogSplit(t *testing.T) {
	const events = 3000
	cmd := rtdwCmd(t, t.TempDir(), "bench", "log-split", "--events", strconv.Itoa(events), "--runs", "2", "--checkpoint-interval", "200ms")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("bench log-split: %v\n%s\n%s", err, out, stderr)
	}
	rows := regexp.MustCompile(`(?m)^\s*\((a|a2|b)\) [^\n]*?(\d+)\s*$`).FindAllStringSubmatch(string(out), -1)
	outputs := map[string]int{}
	for _, r := range rows {
		outputs[r[1]], _ = strconv.Atoi(r[2])
	}
	if len(outputs) != 3 {
		t.Fatalf("want rows (a), (a2) and (b), got %v in:\n%s", outputs, out)
	}
	if outputs["a"] < events || outputs["a2"] != outputs["a"] || outputs["b"] != outputs["a"] {
		t.Fatalf("outputs (a) %d, (a2) %d, (b) %d for %d events:\n%s", outputs["a"], outputs["a2"], outputs["b"], events, out)
	}
	if !regexp.MustCompile(`medians of 2 runs; each run's engine cpu s: \d+\.\d+ / \d+\.\d+`).Match(out) {
		t.Fatalf("no per-run line in:\n%s", out)
	}
	if !regexp.MustCompile(`ratio b/a2 per core: \d+\.\d+`).Match(out) {
		t.Fatalf("no b/a2 ratio in:\n%s", out)
	}
}
