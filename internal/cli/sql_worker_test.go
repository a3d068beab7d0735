package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// sqlSentinelPrefix starts the uids of the events that end the input of
// TestSQLWorkersOnKafkaSurviveSIGKILL: one per partition of ev, a year
// after the real events (which start 2024-03-01 and span minutes), so
// that every partition's watermark passes every window of the real
// events; still in the past, not a far-future time the engine
// dead-letters (future_event_time).
const sqlSentinelPrefix = "sentinel"

// sqlSentinels returns one sentinel event per partition of a 4-partition
// topic keyed by uid, ids from firstID.
func sqlSentinels(firstID int) []string {
	var out []string
	for i, p := 0, int32(0); p < 4; i++ {
		uid := fmt.Sprintf("%s%d", sqlSentinelPrefix, i)
		if rlog.PartitionFor([]byte(uid), 4) != p {
			continue
		}
		out = append(out, fmt.Sprintf(`{"id":%d,"uid":"%s","amount":0.00,"ts":"2025-03-01 00:00:00.000"}`, firstID+int(p), uid))
		p++
	}
	return out
}

func startSQLWorker(t *testing.T, dir, cfg, jobs string) *exec.Cmd {
	t.Helper()
	level := "warn" // RTDW_WORKER_LOG=info shows assignments and restores
	if v := os.Getenv("RTDW_WORKER_LOG"); v != "" {
		level = v
	}
	return startKilledAtCleanup(t, rtdwCmd(t, dir, "--config", cfg, "--log-level", level, "worker", "--state-dir", workerStateDir(t), "--sql", jobs, "--progress", "0"))
}

// sqlLag reports whether the group of job has committed the end of ev and
// of the job's repartition topics.
func sqlLag(t *testing.T, l *kafka.Log, job string) (bool, string) {
	t.Helper()
	var report strings.Builder
	caught := true
	topics, err := l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	group := "rtdw-" + job
	for _, info := range topics {
		if info.Name != "ev" && !(strings.HasPrefix(info.Name, "_rtdw-"+job+"-") && strings.HasSuffix(info.Name, "-repartition")) {
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
			fmt.Fprintf(&report, "%s %s: committed %d (%v) of %d\n", group, tp, off, ok, end)
			if end > 0 && (!ok || off < end) {
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

// TestSQLWorkersOnKafkaSurviveSIGKILL is the cluster-mode test of SQL
// jobs: the three jobs of TestSQLCrashRecoveryIsExactlyOnce (a projection,
// a window aggregation and an upsert aggregation) run by two `rtdw worker
// --sql` processes on Kafka (rtdw kafka-dev, 4 partitions); kcat produces
// the input in chunks and one worker is SIGKILLed mid-run. The output
// topics, read with read_committed, equal as multisets those of an
// embedded `rtdw sql -f --drain` over the same input.
//
// Live windows fire when the watermark passes their end, so the input ends
// with a sentinel event per partition far in the future: its watermark
// passes every window of the real events, which therefore all fire in the
// workers as in the drained run. A fired window is final in both runs: an
// event is at most 1.5 s older than those before it in its partition, less
// than the 2 s watermark delay, and a window task's watermark is the
// minimum of its upstream tasks', so no event is late, whatever the
// interleaving, the kill and the restore. The sentinels' own windows (fired
// only by the drain) are left out of the comparison; their other outputs
// (projection, aggregation) are compared.
func TestSQLWorkersOnKafkaSurviveSIGKILL(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Fatal("kcat is not installed: run scripts/setup-test-deps.sh (make test does)")
	}
	const events = 40_000
	tmp := t.TempDir()
	input := filepath.Join(tmp, "ev.jsonl")
	writeSQLEvents(t, input, events)
	raw, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Split(strings.TrimSpace(string(raw)), "\n")
	sentinels := sqlSentinels(events)
	if err := os.WriteFile(input, []byte(strings.Join(append(all, sentinels...), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jobsFile := filepath.Join(tmp, "jobs.sql")
	if err := os.WriteFile(jobsFile, []byte(sqlCrashJobs), 0o644); err != nil {
		t.Fatal(err)
	}

	// The reference: the same file drained on the embedded log.
	ref := filepath.Join(tmp, "reference")
	if out, err := rtdwCmd(t, ref, "topic", "create", "ev", "--partitions", "4").CombinedOutput(); err != nil {
		t.Fatalf("topic create: %v\n%s", err, out)
	}
	f, err := os.Open(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := rtdwCmd(t, ref, "topic", "produce", "ev", "--key-field", "uid")
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	f.Close()
	if err != nil {
		t.Fatalf("produce: %v\n%s", err, out)
	}
	if out, err := rtdwCmd(t, ref, "sql", "-f", jobsFile, "--drain").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := multisets(t, ref, sqlCrashTopics...)

	// The jobs' names, from their plans: their consumer groups are
	// rtdw-<name>.
	out, err = rtdwCmd(t, filepath.Join(tmp, "explain"), "sql", "-f", jobsFile, "--explain").Output()
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	var jobs []string
	for _, m := range regexp.MustCompile(`(?m)^== Physical Plan \(job (\S+)\) ==$`).FindAllSubmatch(out, -1) {
		jobs = append(jobs, string(m[1]))
	}
	if len(jobs) != 3 {
		t.Fatalf("explain names %d jobs, want 3:\n%s", len(jobs), out)
	}
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
	if out, err := rtdwCmd(t, tmp, "--config", cfg, "topic", "create", "ev", "--partitions", "4").CombinedOutput(); err != nil {
		t.Fatalf("topic create: %v\n%s", err, out)
	}
	produce := func(lines []string) {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(fastjson.GetString([]byte(l), "uid") + "\t" + l + "\n")
		}
		kcat(t, b.String(), "-P", "-b", addr, "-t", "ev", "-K", "\t", "-X", "partitioner=murmur2_random")
	}
	produce(all[:events/2])

	wdir := filepath.Join(tmp, "workers")
	a := startSQLWorker(t, wdir, cfg, jobsFile)
	b := startSQLWorker(t, wdir, cfg, jobsFile)
	l, err := kafka.Open(kafka.Options{Brokers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lag := func() (bool, string) {
		ok, report := true, ""
		for _, j := range jobs {
			c, r := sqlLag(t, l, j)
			ok, report = ok && c, report+r
		}
		return ok, report
	}
	waitFor(t, 60*time.Second, "first outputs", func() bool {
		_, err := l.DescribeTopic(context.Background(), "agg_out")
		return err == nil && len(logtest.ReadAll(t, l, "agg_out")) > 1000
	})
	rest := all[events/2:]
	chunk := len(rest)/8 + 1
	for i := 0; len(rest) > 0; i++ {
		n := min(chunk, len(rest))
		produce(rest[:n])
		rest = rest[n:]
		if i == 1 {
			if ok, _ := lag(); ok {
				t.Fatal("the workers caught up before the kill; the kill would prove nothing")
			}
			b.Process.Signal(syscall.SIGKILL)
			b.Wait()
		}
		time.Sleep(250 * time.Millisecond)
	}
	produce(sentinels)
	waitFor(t, 90*time.Second, "the groups to commit every input's end", func() bool {
		ok, r := lag()
		if !ok && time.Now().Second()%15 == 0 {
			t.Log(r)
		}
		return ok
	})
	// The last windows fire when the sentinels' watermarks reach them; they
	// commit with the marker that carried it, so this wait is a margin.
	wantWindows := 0
	for k, n := range want["win_out"] {
		if !strings.Contains(k, `"uid":"`+sqlSentinelPrefix) {
			wantWindows += n
		}
	}
	waitFor(t, 30*time.Second, "every window to fire", func() bool {
		n := 0
		for _, r := range logtest.ReadAll(t, l, "win_out") {
			if !strings.Contains(string(r.Value), `"uid":"`+sqlSentinelPrefix) {
				n++
			}
		}
		return n >= wantWindows
	})
	a.Process.Signal(syscall.SIGTERM)
	if err := a.Wait(); err != nil {
		t.Fatalf("worker did not stop cleanly: %v", err)
	}

	got := multisetsOf(t, l, sqlCrashTopics...)
	// The sentinels' windows fire only in the drained run.
	sentinelWindows := 0
	for k, n := range want["win_out"] {
		if strings.Contains(k, `"uid":"`+sqlSentinelPrefix) {
			delete(want["win_out"], k)
			sentinelWindows += n
		}
	}
	if sentinelWindows != len(sentinels) {
		t.Errorf("the reference fired %d sentinel windows, want %d", sentinelWindows, len(sentinels))
	}
	total := 0
	for _, topic := range sqlCrashTopics {
		w, g := want[topic], got[topic]
		if len(w) == 0 {
			t.Errorf("%s: the reference run wrote nothing", topic)
		}
		n := 0
		for k, c := range w {
			n += c
			if g[k] != c {
				t.Errorf("%s: record seen %d times on Kafka with a worker killed, %d times in the reference run: %.200s", topic, g[k], c, k)
			}
		}
		for k, c := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: record only on Kafka (%d times): %.200s", topic, c, k)
			}
		}
		t.Logf("%s: %d records", topic, n)
		total += n
	}
	t.Logf("%d output records compared", total)

	// librdkafka reads the upsert topic the workers wrote, read_committed.
	keys := kcat(t, "", "-C", "-b", addr, "-t", "agg_out", "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", "%k\n")
	wantAgg := 0
	for _, n := range want["agg_out"] {
		wantAgg += n
	}
	if n := strings.Count(keys, "\n"); n != wantAgg || !strings.Contains(keys, `{"uid":"u0"}`) {
		t.Errorf("kcat read %d agg_out records, want %d", n, wantAgg)
	}
}
