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

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
)

var outputTopics = []string{"dirty_data", "dwd_traffic_err", "dwd_traffic_start", "dwd_traffic_display", "dwd_traffic_action", "dwd_traffic_page"}

// writeInput writes n simulated app logs with a bad line every 4001 lines.
func writeInput(t *testing.T, path string, n int) {
	gen, err := mock.NewLogGenerator(mock.LogConfig{Seed: 11, Devices: 2000})
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i := range n {
		if i%4001 == 4000 {
			b = fmt.Appendf(b, `{"common":{"mid":"mid_%d"},"ts":"not a number %d"}`+"\n", i, i)
			continue
		}
		b = append(gen.Next(b), '\n')
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func produceFile(t *testing.T, dir, input string) {
	f, err := os.Open(input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := rtdwCmd(t, dir, "topic", "produce", "topic_log", "--key-field", "common.mid")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("produce: %v\n%s", err, out)
	}
}

// multisets reads every output topic: record (key, value, time, reason) -> count.
func multisets(t *testing.T, dir string, topics ...string) map[string]map[string]int {
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return multisetsOf(t, l, topics...)
}

// multisetsOf reads the topics of l (default: dwd_base_log's outputs).
func multisetsOf(t *testing.T, l rlog.Log, topics ...string) map[string]map[string]int {
	if len(topics) == 0 {
		topics = outputTopics
	}
	out := map[string]map[string]int{}
	for _, topic := range topics {
		m := map[string]int{}
		for _, r := range logtest.ReadAll(t, l, topic) {
			reason, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
			ts := r.Timestamp
			if topic == "dirty_data" {
				ts = 0 // a dead letter keeps its input's append time, which differs per data dir
			}
			m[fmt.Sprintf("%s|%s|%d|%s", r.Key, r.Value, ts, reason)]++
		}
		out[topic] = m
	}
	return out
}

// TestCrashRecoveryIsExactlyOnce: dwd_base_log over 240,000 lines with a
// 20 ms checkpoint interval, SIGKILLed at random moments and restarted,
// ends with output topics equal, as multisets, to an uninterrupted run's.
func TestCrashRecoveryIsExactlyOnce(t *testing.T) {
	const lines = 240_000
	tmp := t.TempDir()
	input := filepath.Join(tmp, "topic_log.jsonl")
	writeInput(t, input, lines)

	ref := filepath.Join(tmp, "reference")
	produceFile(t, ref, input)
	if out, err := rtdwCmd(t, ref, "run", "--jobs", "dwd_base_log", "--drain", "--http-addr=").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := multisets(t, ref)

	crash := filepath.Join(tmp, "crash")
	produceFile(t, crash, input)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("kill delays from seed %d", seed)
	kills := 0
	finished := false // the last killed-and-restarted run completed on its own
kill:
	for attempt := 0; kills < 6; attempt++ {
		if attempt > 40 {
			t.Fatalf("only %d kills landed mid-run in %d attempts", kills, attempt)
		}
		cmd := rtdwCmd(t, crash, "run", "--jobs", "dwd_base_log", "--drain", "--http-addr=", "--checkpoint-interval", "20ms")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(40+rng.IntN(220)) * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run exited on its own with %v\n%s", err, stderr.String())
			}
			if kills >= 5 {
				finished = true
				break kill // the issue asks for 5 or more kills
			}
			t.Fatalf("the run finished after only %d kills; make the input bigger", kills)
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				kills++
				t.Logf("kill %d after %s", kills, delay)
			} else if err != nil {
				t.Fatalf("run failed: %v\n%s", err, stderr.String())
			}
		}
	}
	if !finished {
		if out, err := rtdwCmd(t, crash, "run", "--jobs", "dwd_base_log", "--drain", "--http-addr=", "--checkpoint-interval", "20ms").CombinedOutput(); err != nil {
			t.Fatalf("final run: %v\n%s", err, out)
		}
	}
	got := multisets(t, crash)

	total := compareMultisets(t, want, got, "after crashes")
	t.Logf("%d kills; %d output records compared", kills, total)
}

// compareMultisets reports every record whose count differs; it returns
// how many records were compared.
func compareMultisets(t *testing.T, want, got map[string]map[string]int, what string) int {
	t.Helper()
	total := 0
	for _, topic := range outputTopics {
		w, g := want[topic], got[topic]
		for k, n := range w {
			total += n
			if g[k] != n {
				t.Errorf("%s: record seen %d times %s, %d times in the reference run: %.200s", topic, g[k], what, n, k)
			}
		}
		for k, n := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: record only %s (%d times): %.200s", topic, what, n, k)
			}
		}
		if len(w) == 0 {
			t.Errorf("%s: the reference run wrote nothing; the comparison would be empty", topic)
		}
	}
	return total
}
