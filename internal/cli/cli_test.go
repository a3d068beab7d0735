package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"topic", "tail"}, 2, "accepts 1 arg"},
		{[]string{"topic", "list", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"--data-dir", dir, "run", "--jobs", "nope", "--http-addr="}, 2, `unknown job "nope"`},
		{[]string{"--data-dir", dir, "run", "--checkpoint-interval", "-1s"}, 2, "must be > 0"},
		{[]string{"--data-dir", dir, "topic", "tail", "missing_topic", "--exit-at-end"}, 1, "missing_topic"},
		{[]string{"--log-level", "loud", "jobs"}, 2, "--log-level"},
		{[]string{"jobs"}, 0, ""},
	} {
		code, _, stderr := run(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("rtdw %s: exit %d (want %d), stderr %q (want it to mention %q)", strings.Join(c.args, " "), code, c.code, stderr, c.msg)
		}
	}
}

func TestProduceTailRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := "{\"common\":{\"mid\":\"m1\"},\"n\":1}\r\n{\"common\":{\"mid\":7},\"n\":2}\nnot json\n\n{\"n\":5}"
	code, _, stderr := run(t, in, "--data-dir", dir, "topic", "produce", "t", "--key-field", "common.mid")
	if code != 0 || !strings.Contains(stderr, "produced 5 records to t") {
		t.Fatalf("produce: exit %d, %s", code, stderr)
	}
	code, out, _ := run(t, "", "--data-dir", dir, "topic", "tail", "t", "--from-beginning", "--exit-at-end", "--print-key")
	if code != 0 {
		t.Fatalf("tail exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	got := map[string]bool{}
	for _, l := range lines {
		got[l] = true
	}
	// Values are kept byte for byte (CR of CRLF dropped); keys come from the
	// path (a number key is its JSON text); lines without one get null keys.
	for _, want := range []string{"m1\t{\"common\":{\"mid\":\"m1\"},\"n\":1}", "7\t{\"common\":{\"mid\":7},\"n\":2}", "null\tnot json", "null\t", "null\t{\"n\":5}"} {
		if !got[want] {
			t.Errorf("tail is missing %q; got %q", want, lines)
		}
	}
	if len(lines) != 5 {
		t.Fatalf("tail printed %d lines, want 5: %q", len(lines), lines)
	}
	code, out, _ = run(t, "", "--data-dir", dir, "topic", "tail", "t", "--from-beginning", "--max", "2")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("--max 2 printed %q", out)
	}
	code, out, _ = run(t, "", "--data-dir", dir, "topic", "list")
	if code != 0 || !strings.Contains(out, "t ") || !strings.Contains(out, " 5 ") {
		t.Fatalf("list: %q", out)
	}
}

func TestRunDrainAndConfig(t *testing.T) {
	dir := t.TempDir()
	code, logs, _ := run(t, "", "mock", "logs", "--count", "300", "--seed", "9")
	if code != 0 || strings.Count(logs, "\n") != 300 {
		t.Fatalf("mock logs: exit %d, %d lines", code, strings.Count(logs, "\n"))
	}
	if _, again, _ := run(t, "", "mock", "logs", "--count", "300", "--seed", "9"); again != logs {
		t.Fatal("mock logs is not deterministic for a seed")
	}
	run(t, logs+"garbage\n", "--data-dir", dir, "topic", "produce", "topic_log", "--key-field", "common.mid")
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte("checkpoint_interval: 50ms\npartitions: 2\njobs: [dwd_base_log]\nhttp_addr: \"\"\n"), 0o644)
	code, _, stderr := run(t, "", "--data-dir", dir, "--config", cfg, "run", "--drain")
	if code != 0 || !strings.Contains(stderr, "drained 1 job(s)") || !strings.Contains(stderr, "dead letters 1") {
		t.Fatalf("run --drain: exit %d: %s", code, stderr)
	}
	// The summary counts records of topics, once each: 301 lines read,
	// and out exactly the records now in the job's output topics.
	var in, outN int64
	if _, err := fmt.Sscanf(stderr[strings.Index(stderr, "records in "):], "records in %d, out %d", &in, &outN); err != nil || in != 301 {
		t.Fatalf("summary %q: in %d (%v)", stderr, in, err)
	}
	if want := dwdRecords(t, dir); outN != want {
		t.Fatalf("summary says out %d, the output topics hold %d: %s", outN, want, stderr)
	}
	if !strings.Contains(stderr, "  dwd_base_log: in 301 (topic_log 301), out ") {
		t.Fatalf("no per-job line: %s", stderr)
	}
	_, out, _ := run(t, "", "--data-dir", dir, "topic", "tail", "dirty_data", "--from-beginning", "--exit-at-end", "--print-headers")
	if !strings.Contains(out, "rtdw.reason=malformed_json") || !strings.HasSuffix(out, "\tgarbage\n") {
		t.Fatalf("dirty_data: %q", out)
	}
	_, out, _ = run(t, "", "--data-dir", dir, "topic", "list")
	for _, topic := range []string{"dwd_traffic_page", "dwd_traffic_start", "dwd_traffic_display"} {
		if !strings.Contains(out, topic) {
			t.Errorf("topic list lacks %s:\n%s", topic, out)
		}
	}

	os.WriteFile(cfg, []byte("checkpoint_intervl: 1s\n"), 0o644)
	if code, _, stderr := run(t, "", "--config", cfg, "run"); code != 1 || !strings.Contains(stderr, cfg) || !strings.Contains(stderr, "checkpoint_intervl") {
		t.Fatalf("config with a typo: exit %d, %q", code, stderr)
	}
	os.WriteFile(cfg, []byte("mode: kafka\n"), 0o644)
	if code, _, stderr := run(t, "", "--config", cfg, "topic", "list"); code != 1 || !strings.Contains(stderr, "kafka") {
		t.Fatalf("mode kafka: exit %d, %q", code, stderr)
	}
}

func TestDataDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RTDW_DATA_DIR", dir)
	if code, _, _ := run(t, "x\n", "topic", "produce", "envtopic"); code != 0 {
		t.Fatal("produce failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err != nil {
		t.Fatalf("RTDW_DATA_DIR not used: %v", err)
	}
}

// A tombstone (null value) prints as null, like kafka-console-consumer.
func TestTailPrintsNullForTombstones(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	l.CreateTopic(context.Background(), "t", rlog.TopicConfig{Partitions: 1})
	l.Produce(context.Background(), rlog.Record{Topic: "t", Partition: 0, Key: []byte("k"), Value: nil}, rlog.Record{Topic: "t", Partition: 0, Value: []byte("{}")})
	l.Close()
	code, out, _ := run(t, "", "--data-dir", dir, "topic", "tail", "t", "--from-beginning", "--exit-at-end", "--print-key", "--print-offset")
	if code != 0 || out != "k\t0\tnull\nnull\t1\t{}\n" {
		t.Fatalf("tail: exit %d, %q", code, out)
	}
}

// dwdRecords counts the records of the data dir's dwd_ topics.
func dwdRecords(t *testing.T, dir string) int64 {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	infos, err := l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, info := range infos {
		if strings.HasPrefix(info.Name, "dwd_") {
			n += int64(len(logtest.ReadAll(t, l, info.Name)))
		}
	}
	return n
}
