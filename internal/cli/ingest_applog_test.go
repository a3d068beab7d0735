package cli_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

// startApplog starts `rtdw ingest applog args...` and returns it with the
// HTTP address it printed ("" without --listen).
func startApplog(t *testing.T, dir string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := rtdwCmd(t, dir, append([]string{"ingest", "applog", "--progress", "0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		cmd.Wait()
		t.Fatalf("ingest applog printed nothing: %s", errb.String())
	}
	addr := ""
	if rest, ok := strings.CutPrefix(sc.Text(), "applog: POST http://"); ok {
		addr, _, _ = strings.Cut(rest, "/")
	}
	go io.Copy(io.Discard, out)
	return cmd, addr
}

// topicMultisets reads topic_log (value -> count, checking key = mid) and
// dirty_data (value -> count) of a stopped data dir.
func topicMultisets(t *testing.T, dir string, broker ...string) (good, dirty map[string]int) {
	t.Helper()
	var l rlog.Log
	var err error
	if len(broker) > 0 && broker[0] != "" {
		// Kafka: Fetch is read_committed, aborted batches are not seen.
		l, err = kafka.Open(kafka.Options{Brokers: broker})
	} else {
		l, err = embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	good, dirty = map[string]int{}, map[string]int{}
	for _, r := range logtest.ReadAll(t, l, "topic_log") {
		if !bytes.Contains(r.Value, []byte(`"mid":"`+string(r.Key)+`"`)) {
			t.Fatalf("record key %q does not match its line %s", r.Key, r.Value)
		}
		good[string(r.Value)]++
	}
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		if len(r.Header(stream.HeaderReason)) == 0 {
			t.Fatalf("dead letter without a reason: %s", r.Value)
		}
		dirty[string(r.Value)]++
	}
	return good, dirty
}

func checkMultiset(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	missing, extra := 0, 0
	for k, n := range want {
		if got[k] < n {
			missing += n - got[k]
		}
	}
	for k, n := range got {
		if want[k] < n {
			extra += n - want[k]
		}
	}
	t.Fatalf("%s: %d distinct lines, want %d: %d missing, %d extra (duplicates or unknown)", what, len(got), len(want), missing, extra)
}

// TestIngestApplogFilesKill9: the collector tails a file that grows (with
// partial lines, bad lines and a rename rotation) and is SIGKILLed at
// random moments; after a final `--once` run every line is in topic_log
// or dirty_data exactly once.
func TestIngestApplogFilesKill9(t *testing.T) { testIngestApplogFilesKill9(t, "") }

// TestIngestApplogFilesKill9OnKafka: the same on Kafka (mode: kafka, an
// in-process kfake cluster): batches and file positions commit in one
// Kafka transaction.
func TestIngestApplogFilesKill9OnKafka(t *testing.T) { testIngestApplogFilesKill9(t, kfakeBroker(t)) }

// kfakeBroker starts an in-process Kafka cluster for the test.
func kfakeBroker(t *testing.T) string { return kfakeCluster(t).ListenAddrs()[0] }

// kfakeCluster starts an in-process one-broker Kafka, closed when the
// test ends.
func kfakeCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// kafkaConfigArgs writes an rtdw.yaml with mode: kafka on broker ("":
// none, embedded mode) and returns the flags that use it.
func kafkaConfigArgs(t *testing.T, dir, broker string) []string {
	if broker == "" {
		return nil
	}
	cfg := filepath.Join(dir, "rtdw.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\n", broker)), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", cfg}
}

func testIngestApplogFilesKill9(t *testing.T, broker string) {
	dir := t.TempDir()
	cfgArgs := kafkaConfigArgs(t, dir, broker)
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	app := filepath.Join(logs, "app.log")
	glob := filepath.Join(logs, "app.log*")
	good, dirty := map[string]int{}, map[string]int{}
	rnd := rand.New(rand.NewPCG(5, 6))
	seq := 0
	f, err := os.OpenFile(app, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// write appends n lines in writes that may end inside a line.
	write := func(rnd *rand.Rand, n int) {
		var b []byte
		for range n {
			seq++
			if seq%997 == 0 {
				line := fmt.Sprintf(`{"common":{"mid":"mid_%d"},"ts":`, seq) // truncated JSON
				dirty[line]++
				b = append(b, line+"\n"...)
				continue
			}
			line := fmt.Sprintf(`{"common":{"mid":"mid_%d","sid":"s%d"},"page":{"page_id":"home"},"ts":%d}`, seq%50, seq, 1700000000000+seq)
			good[line]++
			b = append(b, line+"\n"...)
		}
		for len(b) > 0 {
			k := min(len(b), 1+rnd.IntN(4096))
			if _, err := f.Write(b[:k]); err != nil {
				t.Error(err)
			}
			b = b[k:]
		}
	}
	for round := range 5 {
		cmd, _ := startApplog(t, dir, append(cfgArgs, "--files", glob, "--poll", "5ms")...)
		done := make(chan struct{})
		rnd2 := rand.New(rand.NewPCG(uint64(round), 9))
		go func() {
			defer close(done)
			for i := range 20 {
				write(rnd2, 300)
				time.Sleep(time.Duration(rnd2.IntN(10)) * time.Millisecond)
				if round == 2 && i == 10 { // rotate by rename while it reads
					f.Close()
					if err := os.Rename(app, app+".1"); err != nil {
						t.Error(err)
					}
					if f, err = os.OpenFile(app, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
						t.Error(err)
					}
				}
			}
		}()
		time.Sleep(time.Duration(20+rnd.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		<-done
	}
	f.Close()
	cmd := rtdwCmd(t, dir, append(cfgArgs, "ingest", "applog", "--files", glob, "--once")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--once: %v\n%s", err, out)
	}
	gotGood, gotDirty := topicMultisets(t, dir, broker)
	checkMultiset(t, "topic_log", gotGood, good)
	checkMultiset(t, "dirty_data", gotDirty, dirty)
}

// TestIngestApplogHTTPMock: the mock shop posts its app logs to the
// collector, which then stops on SIGTERM; topic_log holds exactly the
// logs the mock writes to a file with the same seed.
func TestIngestApplogHTTPMock(t *testing.T) {
	dir := t.TempDir()
	cmd, addr := startApplog(t, dir, "--listen", "127.0.0.1:0")
	mockArgs := []string{"mock", "--seed", "3", "--sessions", "60", "--progress", "0"}
	if code, _, stderr := run(t, "", append(mockArgs, "--to", "http", "--url", "http://"+addr+"/applog", "--http-batch", "37")...); code != 0 {
		t.Fatalf("mock --to http: %s", stderr)
	}
	// A gzip batch with a bad line, as a collector client may send.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(`{"common":{"mid":"mid_x"},"ts":1}` + "\nnot json\n"))
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/applog", &zb)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("gzip post: %v %v", resp, err)
	}
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ingest applog after SIGTERM: %v", err)
	}

	out := t.TempDir()
	if code, _, stderr := run(t, "", append(mockArgs, "--to", "file", "--out", out)...); code != 0 {
		t.Fatalf("mock --to file: %s", stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "topic_log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{`{"common":{"mid":"mid_x"},"ts":1}`: 1}
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		want[line]++
	}
	if len(want) < 100 {
		t.Fatalf("the mock wrote only %d logs", len(want))
	}
	gotGood, gotDirty := topicMultisets(t, dir)
	checkMultiset(t, "topic_log", gotGood, want)
	checkMultiset(t, "dirty_data", gotDirty, map[string]int{"not json": 1})
}

// TestIngestApplogHTTPKill9: a client posts numbered batches with an
// X-Request-Id and retries each until it gets a 200; the collector is
// SIGKILLed and restarted at random moments. Every line is stored once.
func TestIngestApplogHTTPKill9(t *testing.T) { testIngestApplogHTTPKill9(t, "") }

// TestIngestApplogHTTPKill9OnKafka: the same on Kafka: a batch is
// acknowledged once its transaction (records + request id) committed.
func TestIngestApplogHTTPKill9OnKafka(t *testing.T) { testIngestApplogHTTPKill9(t, kfakeBroker(t)) }

func testIngestApplogHTTPKill9(t *testing.T, broker string) {
	dir := t.TempDir()
	cfgArgs := kafkaConfigArgs(t, dir, broker)
	rnd := rand.New(rand.NewPCG(7, 8))
	want := map[string]int{}
	var batches [][]byte
	for i := range 300 {
		var b []byte
		for j := range 20 {
			line := fmt.Sprintf(`{"common":{"mid":"mid_%d"},"ts":%d}`, (i*20+j)%40, i*20+j)
			want[line]++
			b = append(b, line+"\n"...)
		}
		batches = append(batches, b)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(addr string, i int) (string, error) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/applog", bytes.NewReader(batches[i]))
		req.Header.Set("X-Request-Id", fmt.Sprintf("batch-%d", i))
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("batch %d: %d %s", i, resp.StatusCode, body)
		}
		return string(body), nil
	}
	next := 0
	dups, kills := 0, 0
	for round := 0; next < len(batches); round++ {
		if round > 40 {
			t.Fatalf("only %d of %d batches acknowledged after 40 restarts", next, len(batches))
		}
		cmd, addr := startApplog(t, dir, append(cfgArgs, "--listen", "127.0.0.1:0")...)
		// After some acknowledged batches, the process is killed while a
		// request is in flight (before, during or after its commit).
		stopAt := next + 5 + rnd.IntN(30)
		killing := false
		for next < len(batches) {
			if next == stopAt {
				killing = true
				go func() {
					time.Sleep(time.Duration(rnd.IntN(1500)) * time.Microsecond)
					cmd.Process.Signal(syscall.SIGKILL)
				}()
			}
			body, err := post(addr, next)
			if err != nil {
				break // killed: retry this batch on the next process
			}
			if strings.Contains(body, `"duplicate":true`) {
				dups++
			}
			next++
		}
		// A kill aimed at the last batch may land after its answer: this
		// process is going too.
		if next < len(batches) || killing {
			kills++
			cmd.Wait()
			continue
		}
		// Request ids survive restarts: an old batch sent again is not stored twice.
		if body, err := post(addr, 0); err != nil || !strings.Contains(body, `"duplicate":true`) {
			t.Fatalf("batch 0 again: %q, %v", body, err)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	if kills < 3 {
		t.Fatalf("only %d kills", kills)
	}
	gotGood, gotDirty := topicMultisets(t, dir, broker)
	checkMultiset(t, "topic_log", gotGood, want)
	checkMultiset(t, "dirty_data", gotDirty, map[string]int{})
	t.Logf("%d kills; %d retried batches were already stored (answered duplicate)", kills, dups)
}
