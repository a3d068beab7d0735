package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// While `rtdw run` holds the data dir, topic commands reach its log through
// the HTTP address it advertises: produce input, see the job's output.
func TestTopicCommandsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	// Checked after the stop below (cleanups run last first).
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "rtdw.addr")); !os.IsNotExist(err) {
			t.Error("rtdw.addr left behind after a clean stop")
		}
	})
	startRtdw(t, dir, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0", "--checkpoint-interval", "50ms")
	line := `{"common":{"mid":"mid_1","is_new":"1"},"page":{"page_id":"home","during_time":10},"ts":1795222800000}`
	if code, _, errs := run(t, line+"\nnot json\n", "--data-dir", dir, "topic", "produce", "topic_log", "--key-field", "common.mid"); code != 0 {
		t.Fatalf("produce through the running rtdw: %s", errs)
	}
	want := `{"common":{"mid":"mid_1","is_new":"1"},"page":{"page_id":"home","during_time":10},"ts":1795222800000}`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, out, errs := run(t, "", "--data-dir", dir, "topic", "tail", "dwd_traffic_page", "--from-beginning", "--exit-at-end")
		if code == 0 && strings.TrimSpace(out) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tail through the running rtdw: exit %d, %q, %s", code, out, errs)
		}
	}
	// The engine's metrics, scraped as Prometheus would.
	addr := advertised(t, dir)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := string(body)
		want := []string{
			`rtdw_records_in_total{job="dwd_base_log",operator="etl"} 2`,
			`rtdw_records_out_total{job="dwd_base_log",operator="split"} 1`,
			`rtdw_dead_letters_total{job="dwd_base_log",reason="malformed_json"} 1`,
			`rtdw_consumer_lag{job="dwd_base_log",partition="0",topic="topic_log"} 0`,
			`rtdw_checkpoint_duration_seconds_count{job="dwd_base_log"}`,
		}
		missing := ""
		for _, w := range want {
			if !strings.Contains(m, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s", missing)
		}
	}

	// A second job runner on the same dir is refused with a clear reason.
	if code, _, errs := run(t, "", "--data-dir", dir, "run", "--drain", "--http-addr="); code != 1 || !strings.Contains(errs, "another rtdw process") {
		t.Fatalf("second run: exit %d, %s", code, errs)
	}
}

// startRtdw starts rtdw on dir with args (a command that serves HTTP:
// run, demo ...) and waits until it advertises its address. When the test
// ends it gets SIGINT and must exit cleanly.
func startRtdw(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := rtdwCmd(t, dir, args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Errorf("rtdw %s did not stop cleanly on SIGINT: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
	})
	waitAdvertised(t, dir, &stderr)
}

// waitAdvertised waits until rtdw on dir advertises its address (rtdw.addr).
func waitAdvertised(t *testing.T, dir string, stderr fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "rtdw.addr")); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rtdw run never advertised its address\n%s", stderr.String())
		}
	}
}

// advertised returns the address in a data dir's rtdw.addr (line 1; line 2
// is the token).
func advertised(t *testing.T, dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, "rtdw.addr"))
	if err != nil {
		t.Fatal(err)
	}
	addr, _, _ := strings.Cut(string(raw), "\n")
	return addr
}

// Found in review: a kill -9 leaves rtdw.addr behind; if another rtdw now
// serves that address, topic commands on the first data dir must not write
// into the other one.
func TestStaleAddrFileNeverReachesAnotherInstance(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	runA := rtdwCmd(t, a, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0")
	var errA strings.Builder
	runA.Stderr = &errA
	if err := runA.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { runA.Process.Signal(syscall.SIGINT); runA.Wait() }()
	waitAdvertised(t, a, &errA)
	// B's stale file points at A (with B's old token).
	os.MkdirAll(b, 0o755)
	os.WriteFile(filepath.Join(b, "rtdw.addr"), []byte(advertised(t, a)+"\nstaletoken\n"), 0o600)

	// Token mismatch alone refuses it (B not running: B's log opens
	// directly, and the stale file is removed).
	runB := rtdwCmd(t, b, "run", "--jobs", "dwd_base_log", "--http-addr=")
	if err := runB.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { runB.Process.Signal(syscall.SIGINT); runB.Wait() }()
	time.Sleep(300 * time.Millisecond) // B holds its dir now
	if _, err := os.Stat(filepath.Join(b, "rtdw.addr")); !os.IsNotExist(err) {
		t.Fatal("the stale rtdw.addr survived B taking its data dir")
	}
	code, _, errs := run(t, "{\"common\":{\"mid\":\"m\"}}\n", "--data-dir", b, "topic", "produce", "topic_log")
	if code != 1 || !strings.Contains(errs, "another rtdw process") {
		t.Fatalf("produce into a locked dir without an address: exit %d, %s", code, errs)
	}
	// Even if a stale file with a wrong token appears, A refuses it.
	os.WriteFile(filepath.Join(b, "rtdw.addr"), []byte(advertised(t, a)+"\nstaletoken\n"), 0o600)
	if code, _, errs := run(t, "x\n", "--data-dir", b, "topic", "produce", "topic_log"); code != 1 || !strings.Contains(errs, "X-Rtdw-Token") {
		t.Fatalf("produce through a stale address: exit %d, %s", code, errs)
	}
	if code, out, errs := run(t, "", "--data-dir", a, "topic", "tail", "topic_log", "--from-beginning", "--exit-at-end"); code != 0 || out != "" {
		t.Fatalf("A's topic_log (exit %d, %s) holds %q: B's records reached A", code, errs, out)
	}
}
