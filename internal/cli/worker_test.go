package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// kcatLines turns JSON lines into kcat's "key<TAB>value" input, keyed by common.mid.
func kcatLines(t *testing.T, lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		mid := fastjson.GetString([]byte(l), "common", "mid")
		if mid == "" {
			t.Fatalf("input line without common.mid: %.100s", l)
		}
		b.WriteString(mid + "\t" + l + "\n")
	}
	return b.String()
}

func startWorker(t *testing.T, dir, cfg string) *exec.Cmd {
	t.Helper()
	level := "warn" // RTDW_WORKER_LOG=info shows assignments and restores
	if v := os.Getenv("RTDW_WORKER_LOG"); v != "" {
		level = v
	}
	return startKilledAtCleanup(t, rtdwCmd(t, dir, "--config", cfg, "--log-level", level, "worker", "--state-dir", workerStateDir(t), "--jobs", "dwd_base_log", "--progress", "0"))
}

// startKilledAtCleanup starts cmd (its stderr the test's) and kills it when
// the test ends if it is still running: a failed test leaves no process.
func startKilledAtCleanup(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// caughtUp: the job's group has committed the end of every input
// partition (its source and its repartition topic).
func caughtUp(t *testing.T, l *kafka.Log, group string) bool {
	ok, _ := lagReport(t, l, group)
	return ok
}

func lagReport(t *testing.T, l *kafka.Log, group string) (bool, string) {
	var report strings.Builder
	caught := true
	topics, err := l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range topics {
		if info.Name != "topic_log" && !(strings.HasPrefix(info.Name, "_rtdw-dwd_base_log-") && strings.HasSuffix(info.Name, "-repartition")) {
			continue
		}
		for p := int32(0); p < info.Partitions; p++ {
			tp := rlog.TopicPartition{Topic: info.Name, Partition: p}
			_, end, err := l.Offsets(context.Background(), tp)
			if err != nil {
				t.Fatal(err)
			}
			off, ok, err := l.CommittedOffset(context.Background(), group, tp)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&report, "%s: committed %d (%v) of %d\n", tp, off, ok, end)
			if end > 0 && (!ok || off < end) {
				// Transaction markers take offsets too: what matters is
				// that no record is left after the committed offset.
				if !ok {
					off = 0
				}
				recs, err := l.Fetch(context.Background(), tp, off, 1, 0)
				if err != nil {
					t.Fatal(err)
				}
				caught = caught && len(recs) == 0
			}
		}
	}
	return caught, report.String()
}

// TestWorkersOnKafkaSurviveSIGKILL is the cluster-mode acceptance test:
// dwd_base_log on Kafka (rtdw kafka-dev) with 4 partitions and 2 worker
// processes; kcat (librdkafka) produces topic_log; one worker is SIGKILLed
// mid-run and the other takes over its partitions and state. The output
// topics, read with read_committed, equal an embedded run's as multisets
// (so no aborted or duplicated record is visible), and kcat reads the
// dwd_traffic_* topics the workers wrote.
func TestWorkersOnKafkaSurviveSIGKILL(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Fatal("kcat is not installed: run scripts/setup-test-deps.sh (make test does)")
	}
	const lines = 40_000
	tmp := t.TempDir()
	input := filepath.Join(tmp, "topic_log.jsonl")
	writeInput(t, input, lines)

	ref := filepath.Join(tmp, "reference")
	produceFile(t, ref, input)
	if out, err := rtdwCmd(t, ref, "run", "--jobs", "dwd_base_log", "--drain", "--http-addr=").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := multisets(t, ref)

	_, addr := startKafkaDev(t, filepath.Join(tmp, "kafka"))
	cfg := filepath.Join(tmp, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`mode: kafka
partitions: 4
checkpoint_interval: 50ms
kafka:
  brokers: [%q]
  transaction_timeout: 3s
  session_timeout: 6s
`, addr)), 0o644)
	if out, err := rtdwCmd(t, tmp, "--config", cfg, "topic", "create", "topic_log", "--partitions", "4").CombinedOutput(); err != nil {
		t.Fatalf("topic create: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(input)
	all := strings.Split(strings.TrimSpace(string(raw)), "\n")
	produce := func(part []string) {
		kcat(t, kcatLines(t, part), "-P", "-b", addr, "-t", "topic_log", "-K", "\t", "-X", "partitioner=murmur2_random")
	}
	produce(all[:lines/2])

	wdir := filepath.Join(tmp, "workers")
	a := startWorker(t, wdir, cfg)
	b := startWorker(t, wdir, cfg)
	l, err := kafka.Open(kafka.Options{Brokers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Wait for both workers to be committing, then add the second half and
	// kill one of them while it works.
	waitFor(t, 60*time.Second, "first outputs", func() bool {
		info, err := l.DescribeTopic(context.Background(), "dwd_traffic_page")
		return err == nil && len(logtest.ReadAll(t, l, info.Name)) > 1000
	})
	// The second half arrives in chunks; one worker is killed after the
	// second chunk, so the chunks after it reach its partitions too.
	rest := all[lines/2:]
	chunk := len(rest)/8 + 1
	for i := 0; len(rest) > 0; i++ {
		n := min(chunk, len(rest))
		produce(rest[:n])
		rest = rest[n:]
		if i == 1 {
			if caughtUp(t, l, "rtdw-dwd_base_log") {
				t.Fatal("the workers caught up before the kill; the kill would prove nothing")
			}
			b.Process.Signal(syscall.SIGKILL)
			b.Wait()
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The survivor waits for the session timeout (6 s), then for the dead
	// worker's open transaction to time out (3 s), restores, and finishes.
	waitFor(t, 90*time.Second, "the group to commit every input's end", func() bool {
		if caughtUp(t, l, "rtdw-dwd_base_log") {
			return true
		}
		if _, r := lagReport(t, l, "rtdw-dwd_base_log"); time.Now().Second()%15 == 0 {
			t.Log(r)
		}
		return false
	})
	a.Process.Signal(syscall.SIGTERM)
	if err := a.Wait(); err != nil {
		t.Fatalf("worker did not stop cleanly: %v", err)
	}

	got := multisetsOf(t, l)
	total := compareMultisets(t, want, got, "on Kafka with a worker killed")
	t.Logf("%d output records compared", total)

	// librdkafka reads what the workers wrote, with read_committed.
	pages := kcat(t, "", "-C", "-b", addr, "-t", "dwd_traffic_page", "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", "%k\t%s\n")
	n := 0
	sc := bufio.NewScanner(strings.NewReader(pages))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), "\t")
		if fastjson.GetString([]byte(value), "common", "mid") != key {
			t.Fatalf("kcat read a page record keyed %q: %.200s", key, value)
		}
		n++
	}
	wantPages := 0
	for _, c := range want["dwd_traffic_page"] {
		wantPages += c
	}
	if n != wantPages {
		t.Fatalf("kcat read %d dwd_traffic_page records, want %d", n, wantPages)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// workerStateDir is a worker's --state-dir under the test's directory: a
// worker the test kills cannot remove its default temporary one.
func workerStateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(t.TempDir(), "state-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// A worker without --state-dir uses a temporary directory it removes on
// exit; one SIGKILLed leaves it behind, and the next worker started on the
// machine removes it (and only it: a running worker's directory and one
// without an owner file stay).
func TestNextWorkerRemovesAKilledWorkersTemporaryState(t *testing.T) {
	tmp := t.TempDir()
	_, addr := startKafkaDev(t, filepath.Join(tmp, "kafka"))
	cfg := filepath.Join(tmp, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\npartitions: 2\nkafka:\n  brokers: [%q]\n  session_timeout: 6s\n  transaction_timeout: 3s\n", addr)), 0o644)
	if out, err := rtdwCmd(t, tmp, "--config", cfg, "topic", "create", "topic_log", "--partitions", "2").CombinedOutput(); err != nil {
		t.Fatalf("topic create: %v\n%s", err, out)
	}
	tmpDir := filepath.Join(tmp, "tmp") // the workers' TMPDIR
	old := filepath.Join(tmpDir, "rtdw-worker-older")
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := rtdwCmd(t, tmp, "--config", cfg, "worker", "--jobs", "dwd_base_log", "--progress", "0")
		cmd.Env = append(cmd.Env, "TMPDIR="+tmpDir)
		return startKilledAtCleanup(t, cmd)
	}
	owned := func() []string { // directories with an owner file
		m, _ := filepath.Glob(filepath.Join(tmpDir, "rtdw-worker-*", "owner.lock"))
		for i := range m {
			m[i] = filepath.Dir(m[i])
		}
		return m
	}

	a := start()
	waitFor(t, 30*time.Second, "the first worker's state directory", func() bool { return len(owned()) == 1 })
	aDir := owned()[0]
	a.Process.Kill()
	a.Wait()
	if _, err := os.Stat(aDir); err != nil {
		t.Fatalf("the killed worker's directory should still be there before another worker starts: %v", err)
	}

	b := start()
	waitFor(t, 30*time.Second, "the killed worker's directory to be removed", func() bool {
		_, err := os.Stat(aDir)
		return os.IsNotExist(err)
	})
	if got := owned(); len(got) != 1 || got[0] == aDir {
		t.Fatalf("directories with an owner while the second worker runs: %v, want only its own", got)
	}
	if _, err := os.Stat(old); err != nil {
		t.Fatalf("a directory without an owner file was removed: %v", err)
	}
	// A third worker must not take the running one's directory. (The
	// group waits for the killed worker's session to time out before the
	// survivors can leave it: a short session keeps the test short.)
	c := start()
	waitFor(t, 30*time.Second, "the third worker's state directory", func() bool { return len(owned()) == 2 })
	for _, w := range []*exec.Cmd{b, c} {
		w.Process.Signal(syscall.SIGTERM)
		if err := w.Wait(); err != nil {
			t.Fatalf("worker stopped with %v", err)
		}
	}
	if got := owned(); len(got) != 0 {
		t.Fatalf("stopped workers left %v", got)
	}
}
