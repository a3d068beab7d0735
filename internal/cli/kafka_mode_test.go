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

// Cluster-mode settings are checked when the config loads, with the key
// named; `rtdw worker` outside mode: kafka says how to get there.
func TestKafkaConfigValidation(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	base := "mode: kafka\nkafka:\n  brokers: [\"127.0.0.1:1\"]\n"
	for _, c := range []struct{ yaml, want string }{
		{base + "  sasl: {mechanism: GSSAPI, username: u}\n", "kafka.sasl.mechanism"},
		{base + "  sasl: {mechanism: PLAIN}\n", "username is required"},
		{base + "  tls: {enabled: true, cert_file: c.pem}\n", "cert_file and key_file"},
		{base + "  transaction_timeout: 100ms\n", "kafka.transaction_timeout"},
		{base + "  max_record_bytes: 10\n", "kafka.max_record_bytes"},
		{base + "  max_record_bytes: 1000000\n", "a record and its batch overhead must fit"},
		{base + "  sasl: {mechanism: SCRAM-SHA-512, username: u, password_env: RTDW_TEST_UNSET_PASSWORD}\n", "$RTDW_TEST_UNSET_PASSWORD is not set"},
		{base + "  tls: {ca_file: /nonexistent/ca.pem}\n", "kafka.tls.ca_file"},
		{"topic_db_format: avro\n", "topic_db format \"avro\""},
	} {
		os.WriteFile(cfg, []byte(c.yaml), 0o644)
		if code, _, errs := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "list"); code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, %q; want an error naming %q", c.yaml, code, errs, c.want)
		}
	}
	os.WriteFile(cfg, []byte("mode: embedded\n"), 0o644)
	if code, _, errs := run(t, "", "--data-dir", dir, "--config", cfg, "worker"); code != 2 || !strings.Contains(errs, "mode: kafka") {
		t.Fatalf("worker in embedded mode: exit %d, %q", code, errs)
	}
}
