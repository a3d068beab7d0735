package cli_test

import (
	"strings"
	"testing"
)

// rtdw query and rtdw dim get/list read a data dir a running rtdw holds
// through that process (as topic commands do), with the same answers as
// when nothing runs (issue: both were refused, "DuckDB allows one writer
// process", "resource temporarily unavailable").
func TestQueryAndDimWhileRunning(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "demo", "--date", "2024-06-01", "--drain", "--sessions", "300", "--seed", "4", "--progress", "0", "--http-addr="); code != 0 {
		t.Fatalf("demo --drain: exit %d: %s", code, errOut)
	}
	const query = "SELECT count(*) AS n, sum(order_amount) AS gmv FROM dws_trade_province_order_window"
	code, wantQuery, errOut := run(t, "", "--data-dir", dir, "query", "--format", "json", query)
	if code != 0 || !strings.Contains(wantQuery, `"n":`) {
		t.Fatalf("query, nothing running: exit %d: %s%s", code, wantQuery, errOut)
	}
	code, wantList, errOut := run(t, "", "--data-dir", dir, "dim", "list")
	if code != 0 || !strings.Contains(wantList, "dim_base_province") {
		t.Fatalf("dim list, nothing running: exit %d: %s%s", code, wantList, errOut)
	}
	code, wantGet, errOut := run(t, "", "--data-dir", dir, "dim", "get", "dim_base_province", "1")
	if code != 0 || !strings.HasPrefix(wantGet, "{") {
		t.Fatalf("dim get, nothing running: exit %d: %s%s", code, wantGet, errOut)
	}

	startRtdw(t, dir, "run", "--http-addr", "127.0.0.1:0", "--checkpoint-interval", "100ms")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "--format", "json", query}, wantQuery},
		{[]string{"dim", "list"}, wantList},
		{[]string{"dim", "get", "dim_base_province", "1"}, wantGet},
	} {
		code, out, errOut := run(t, "", append([]string{"--data-dir", dir}, c.args...)...)
		if code != 0 || out != c.want {
			t.Errorf("rtdw %s while rtdw run holds the data dir: exit %d\n%s%s\nwant\n%s", strings.Join(c.args, " "), code, out, errOut, c.want)
		}
	}
	// A missing row is still exit 1 with the reason; a write is refused.
	if code, _, errOut := run(t, "", "--data-dir", dir, "dim", "get", "dim_base_province", "no-such-key"); code != 1 || !strings.Contains(errOut, "no row") {
		t.Errorf("dim get of a missing key: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "query", "DELETE FROM dws_trade_province_order_window"); code == 0 {
		t.Errorf("a DELETE through the running rtdw was accepted: %s", errOut)
	}
}
