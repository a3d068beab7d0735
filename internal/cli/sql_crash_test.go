package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sqlCrashJobs are three SQL jobs over one source: a projection with a
// filter (append), a window aggregation (append, fired by watermarks and
// at end of input) and an unbounded aggregation into upsert-kafka (a
// retract changelog in state). IF NOT EXISTS lets the killed run start
// again from the same file.
const sqlCrashJobs = `
CREATE TABLE IF NOT EXISTS ev (
  id BIGINT, uid STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'ev', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE IF NOT EXISTS proj_out (id BIGINT, uid STRING, amt2 DECIMAL(12, 2))
  WITH ('connector' = 'kafka', 'topic' = 'proj_out', 'format' = 'json');
CREATE TABLE IF NOT EXISTS win_out (uid STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, total DECIMAL(38, 2))
  WITH ('connector' = 'kafka', 'topic' = 'win_out', 'format' = 'json');
CREATE TABLE IF NOT EXISTS agg_out (uid STRING, n BIGINT, mx DECIMAL(10, 2), PRIMARY KEY (uid) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'agg_out', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO proj_out SELECT id, uid, amount * 2 FROM ev WHERE amount > 50;
INSERT INTO win_out SELECT uid, window_start, window_end, COUNT(*), SUM(amount)
  FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY uid, window_start, window_end;
INSERT INTO agg_out SELECT uid, COUNT(*), MAX(amount) FROM ev GROUP BY uid;
`

var sqlCrashTopics = []string{"proj_out", "win_out", "agg_out", "dirty_data"}

func writeSQLEvents(t *testing.T, path string, n int) {
	var b strings.Builder
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		ts := start.Add(time.Duration(i)*20*time.Millisecond - time.Duration(rng.IntN(1500))*time.Millisecond)
		if i%5003 == 5002 {
			fmt.Fprintf(&b, `{"id":%d,"uid":"u%d","amount":"oops","ts":"%s"}`+"\n", i, i%97, ts.Format("2006-01-02 15:04:05.000"))
			continue
		}
		fmt.Fprintf(&b, `{"id":%d,"uid":"u%d","amount":%d.%02d,"ts":"%s"}`+"\n", i, i%97, rng.IntN(100), rng.IntN(100), ts.Format("2006-01-02 15:04:05.000"))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSQLCrashRecoveryIsExactlyOnce kills `rtdw sql -f --drain` with
// SIGKILL at random moments and restarts it from the same file: every
// output topic ends up record for record as in an uninterrupted run.
func TestSQLCrashRecoveryIsExactlyOnce(t *testing.T) {
	const events = 400_000
	tmp := t.TempDir()
	input := filepath.Join(tmp, "ev.jsonl")
	writeSQLEvents(t, input, events)
	jobs := filepath.Join(tmp, "jobs.sql")
	if err := os.WriteFile(jobs, []byte(sqlCrashJobs), 0o644); err != nil {
		t.Fatal(err)
	}
	prepare := func(dir string) {
		if out, err := rtdwCmd(t, dir, "topic", "create", "ev", "--partitions", "4").CombinedOutput(); err != nil {
			t.Fatalf("topic create: %v\n%s", err, out)
		}
		f, err := os.Open(input)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := rtdwCmd(t, dir, "topic", "produce", "ev", "--key-field", "uid")
		cmd.Stdin = f
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("produce: %v\n%s", err, out)
		}
	}
	ref := filepath.Join(tmp, "reference")
	prepare(ref)
	if out, err := rtdwCmd(t, ref, "sql", "-f", jobs, "--drain").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := multisets(t, ref, sqlCrashTopics...)

	crash := filepath.Join(tmp, "crash")
	prepare(crash)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("kill delays from seed %d", seed)
	kills := 0
	for attempt := 0; kills < 5; attempt++ {
		if attempt > 40 {
			t.Fatalf("only %d kills landed mid-run in %d attempts", kills, attempt)
		}
		cmd := rtdwCmd(t, crash, "sql", "-f", jobs, "--drain", "--checkpoint-interval", "20ms")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(40+rng.IntN(200)) * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run failed: %v\n%s", err, stderr.String())
			}
			t.Fatalf("the run finished after only %d kills; make the input bigger", kills)
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				kills++
			} else if err != nil {
				t.Fatalf("run failed: %v\n%s", err, stderr.String())
			}
		}
	}
	if out, err := rtdwCmd(t, crash, "sql", "-f", jobs, "--drain").CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	got := multisets(t, crash, sqlCrashTopics...)
	total := 0
	for _, topic := range sqlCrashTopics {
		w, g := want[topic], got[topic]
		if len(w) == 0 {
			t.Errorf("%s: the reference run wrote nothing", topic)
		}
		for k, n := range w {
			total += n
			if g[k] != n {
				t.Errorf("%s: record seen %d times after crashes, %d times in the reference run: %.200s", topic, g[k], n, k)
			}
		}
		for k, n := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: record only after crashes (%d times): %.200s", topic, n, k)
			}
		}
	}
	t.Logf("%d kills; %d output records compared", kills, total)
}
