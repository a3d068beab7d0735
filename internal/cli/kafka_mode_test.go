package cli_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// selfSigned writes a certificate for 127.0.0.1 (its own CA) to dir and
// returns the server's TLS config and the CA file.
func selfSigned(t *testing.T, dir string) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, ca
}

// The kafka.tls and kafka.sasl settings reach the client: a broker that
// requires TLS and SCRAM-SHA-256 accepts rtdw with the right settings (the
// password from an environment variable) and refuses a wrong password.
func TestKafkaTLSAndSASL(t *testing.T) {
	dir := t.TempDir()
	srv, ca := selfSigned(t, dir)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(srv), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "rtdw", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := filepath.Join(dir, "rtdw.yaml")
	write := func(passwordEnv string) {
		os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\n  tls: {enabled: true, ca_file: %q}\n"+
			"  sasl: {mechanism: SCRAM-SHA-256, username: rtdw, password_env: %s}\n", c.ListenAddrs()[0], ca, passwordEnv)), 0o644)
	}
	t.Setenv("RTDW_TEST_KAFKA_PASSWORD", "s3cret")
	t.Setenv("RTDW_TEST_WRONG_PASSWORD", "guess")
	write("RTDW_TEST_KAFKA_PASSWORD")
	if code, _, errs := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "create", "secure", "--partitions", "2"); code != 0 {
		t.Fatalf("create over TLS + SCRAM: exit %d, %s", code, errs)
	}
	if code, out, errs := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "list"); code != 0 || !strings.Contains(out, "secure") {
		t.Fatalf("list over TLS + SCRAM: exit %d, %s%s", code, out, errs)
	}
	write("RTDW_TEST_WRONG_PASSWORD")
	if code, _, _ := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "list"); code == 0 {
		t.Fatal("a wrong SASL password was accepted")
	}
}
