package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// consoleGet decodes a JSON answer of the console's API.
func consoleGet(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %d %v in %.300s", url, resp.StatusCode, err, b)
	}
	return resp.StatusCode
}

type consoleJobJSON struct {
	Name       string
	Operators  int
	RecordsIn  float64 `json:"records_in"`
	Lag        float64
	LagSource  string `json:"lag_source"`
	Checkpoint struct{ Count int }
}

type consoleTopicJSON struct {
	Name           string
	Records        int64
	Exact          bool
	PartitionStats []struct {
		Start int64 `json:"start_offset"`
		End   int64 `json:"end_offset"`
	} `json:"partition_stats"`
}

// rtdw run serves the console (its jobs with their graphs, topics with
// record counts, the SQL editor) and the dashboard.
func TestConsoleOfRun(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "input.jsonl")
	writeInput(t, input, 500)
	produceFile(t, dir, input)
	startRtdw(t, dir, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0", "--checkpoint-interval", "100ms")
	base := "http://" + advertised(t, dir)
	var jobs []consoleJobJSON
	waitFor(t, 60*time.Second, "dwd_base_log to process its input", func() bool {
		consoleGet(t, base+"/api/jobs", &jobs)
		return len(jobs) == 1 && jobs[0].RecordsIn >= 500 && jobs[0].Lag == 0 && jobs[0].Checkpoint.Count > 0
	})
	if jobs[0].Name != "dwd_base_log" || jobs[0].Operators == 0 || jobs[0].LagSource != "metrics" {
		t.Errorf("jobs: %+v", jobs)
	}
	var d struct {
		Nodes []struct{ Name, Kind string }
	}
	consoleGet(t, base+"/api/jobs/dwd_base_log", &d)
	kinds := map[string]int{}
	for _, n := range d.Nodes {
		kinds[n.Kind]++
	}
	if kinds["source"] != 1 || kinds["operator"] == 0 || kinds["sink"] == 0 {
		t.Errorf("graph of dwd_base_log: %+v", d.Nodes)
	}
	var topics []consoleTopicJSON
	consoleGet(t, base+"/api/topics", &topics)
	found := false
	for _, tp := range topics {
		if tp.Name == "topic_log" {
			found = tp.Records == 500 && tp.Exact
		}
	}
	if !found {
		t.Errorf("topics: %+v", topics)
	}
	for path, says := range map[string]string{"/": "<h1>rtdw</h1>", "/dashboard/": "<title>gmall real-time</title>", "/api/ads": `"indicators"`} {
		code, body := httpGet(t, http.DefaultClient, base+path, "")
		if code != 200 || !strings.Contains(body, says) {
			t.Errorf("GET %s: %d %.200s", path, code, body)
		}
	}
	resp, err := http.Post(base+"/api/query", "application/json", strings.NewReader(`{"sql": "SELECT 6 * 7 AS answer"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"rows":[[42]]`) {
		t.Errorf("query: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Post(base+"/api/query", "application/json", strings.NewReader(`{"sql": "DROP TABLE x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("DROP TABLE: %d", resp.StatusCode)
	}
	// A page whose name was rebound to 127.0.0.1 gets nothing.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/topics", nil)
	req.Host = "attacker.example:8088"
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("another Host: %d", resp.StatusCode)
	}
}

// A worker serves the console too; on Kafka a topic's records are
// counted by reading, so transaction markers (which take offsets) are not
// counted as records, and the lag comes from the job's consumer group.
func TestConsoleOfWorker(t *testing.T) {
	c := kfakeCluster(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\ncheckpoint_interval: 100ms\npartitions: 2\nkafka:\n  brokers: [%q]\n", c.ListenAddrs()[0])), 0o644)
	if code, _, errs := run(t, "", "--data-dir", dir, "--config", cfg, "mock", "logs", "--count", "300", "--to-topic", "topic_log"); code != 0 {
		t.Fatalf("mock logs: %s", errs)
	}
	cmd := rtdwCmd(t, dir, "--config", cfg, "worker", "--state-dir", workerStateDir(t), "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0", "--progress", "0")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Errorf("rtdw worker: %v\n%s", err, stderr.String())
		}
	}()
	consoleRE := regexp.MustCompile(`console: (http://\S+)/ `)
	var base string
	waitFor(t, 30*time.Second, "the worker's console", func() bool {
		if m := consoleRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	var jobs []consoleJobJSON
	waitFor(t, 60*time.Second, "the worker to process its input", func() bool {
		consoleGet(t, base+"/api/jobs", &jobs)
		return len(jobs) == 1 && jobs[0].RecordsIn >= 300 && jobs[0].LagSource == "log" && jobs[0].Lag == 0
	})
	l, err := kafka.Open(kafka.Options{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var topics []consoleTopicJSON
	consoleGet(t, base+"/api/topics", &topics)
	markers := false
	for _, tp := range topics {
		read := int64(len(logtest.ReadAll(t, l, tp.Name)))
		consoleGet(t, base+"/api/topics/"+tp.Name, &tp)
		var offsets int64
		for _, p := range tp.PartitionStats {
			offsets += p.End - p.Start
		}
		if !tp.Exact || tp.Records != read {
			t.Errorf("%s: the console counts %d records (exact %v), a consumer reads %d (offsets: %d)", tp.Name, tp.Records, tp.Exact, read, offsets)
		}
		markers = markers || offsets > read
	}
	if len(topics) < 3 || !markers {
		t.Errorf("no transactional output topic among %+v", topics)
	}
	if code, body := httpGet(t, http.DefaultClient, base+"/", ""); code != 200 || !strings.Contains(body, "<h1>rtdw</h1>") {
		t.Errorf("GET /: %d %.200s", code, body)
	}
}
