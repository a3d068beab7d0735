package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// With mode: kafka, topic commands speak to Kafka: produce keyed lines,
// tail them back, list the topic; running jobs is refused with the reason.
func TestTopicCommandsInKafkaMode(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\npartitions: 3\n", c.ListenAddrs()[0])), 0o644)
	base := []string{"--data-dir", dir, "--config", cfg}

	code, _, errs := run(t, "", append(base, "mock", "logs", "--count", "50", "--to-topic", "topic_log")...)
	if code != 0 {
		t.Fatalf("mock logs into Kafka: %s", errs)
	}
	if code, _, errs := run(t, "{\"common\":{\"mid\":\"mid_x\"}}\nplain\n", append(base, "topic", "produce", "topic_log", "--key-field", "common.mid")...); code != 0 {
		t.Fatalf("produce: %s", errs)
	}
	code, out, errs := run(t, "", append(base, "topic", "tail", "topic_log", "--from-beginning", "--exit-at-end", "--print-key")...)
	if code != 0 || strings.Count(out, "\n") != 52 || !strings.Contains(out, "mid_x\t{\"common\":{\"mid\":\"mid_x\"}}\n") || !strings.Contains(out, "null\tplain\n") {
		t.Fatalf("tail from Kafka: exit %d (%s), %d lines", code, errs, strings.Count(out, "\n"))
	}
	if _, out, _ := run(t, "", append(base, "topic", "list")...); !strings.Contains(out, "topic_log") || !strings.Contains(out, " 52 ") {
		t.Fatalf("list from Kafka:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); !os.IsNotExist(err) {
		t.Fatal("kafka mode created an embedded log in the data dir")
	}
	if code, _, errs := run(t, "", append(base, "run", "--drain", "--http-addr=")...); code != 1 || !strings.Contains(errs, "rtdw worker") {
		t.Fatalf("run in kafka mode: exit %d, %s", code, errs)
	}
	os.WriteFile(cfg, []byte("mode: kafka\n"), 0o644)
	if code, _, errs := run(t, "", append(base, "topic", "list")...); code != 1 || !strings.Contains(errs, "kafka.brokers") {
		t.Fatalf("kafka mode without brokers: exit %d, %s", code, errs)
	}
}
