package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/testenv"
)

// shopStats runs the simulator in process with the settings the CLI tests
// give rtdw mock, and returns its own counters.
func shopStats(t *testing.T, cfg mock.ShopConfig) *mock.Stats {
	t.Helper()
	sh, err := mock.NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := sh.Next(); !ok {
			return sh.Stats()
		}
	}
}

func TestMockFileIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	for _, out := range []string{"a", "b"} {
		code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "file", "--out", filepath.Join(dir, out), "--seed", "5", "--sessions", "500")
		if code != 0 || !strings.Contains(errs, "mock: done:") {
			t.Fatalf("mock --to file: exit %d: %s", code, errs)
		}
	}
	for _, f := range []string{"topic_db.jsonl", "topic_log.jsonl"} {
		a, _ := os.ReadFile(filepath.Join(dir, "a", f))
		b, _ := os.ReadFile(filepath.Join(dir, "b", f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs differ (or are empty: %d bytes)", f, len(a))
		}
	}
	st := shopStats(t, mock.ShopConfig{Seed: 5, Sessions: 500, Users: 1000, Devices: 2000, Bootstrap: true})
	db, _ := os.ReadFile(filepath.Join(dir, "a", "topic_db.jsonl"))
	logs, _ := os.ReadFile(filepath.Join(dir, "a", "topic_log.jsonl"))
	if int64(bytes.Count(db, []byte("\n"))) != st.Changes || int64(bytes.Count(logs, []byte("\n"))) != st.Logs {
		t.Fatalf("file has %d db and %d log lines; the simulator counts %d and %d",
			bytes.Count(db, []byte("\n")), bytes.Count(logs, []byte("\n")), st.Changes, st.Logs)
	}
}

func TestMockIntoEmbeddedLog(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "embedded", "--sessions", "200", "--seed", "2"); code != 0 {
		t.Fatalf("mock --to embedded: exit %d: %s", code, errs)
	}
	st := shopStats(t, mock.ShopConfig{Seed: 2, Sessions: 200, Bootstrap: true})
	_, db, _ := run(t, "", "--data-dir", dir, "topic", "tail", "topic_db", "--from-beginning", "--exit-at-end", "--print-key")
	_, logs, _ := run(t, "", "--data-dir", dir, "topic", "tail", "topic_log", "--from-beginning", "--exit-at-end", "--print-key")
	if int64(strings.Count(db, "\n")) != st.Changes || int64(strings.Count(logs, "\n")) != st.Logs {
		t.Fatalf("topics hold %d db and %d log records; the simulator counts %d and %d", strings.Count(db, "\n"), strings.Count(logs, "\n"), st.Changes, st.Logs)
	}
	if !strings.Contains(db, `{"database":"gmall","table":"order_info","pk.id":1}`+"\t") || !strings.Contains(logs, "mid_") {
		t.Fatal("records are not keyed by primary key / mid")
	}
}

func TestMockIntoKafka(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "kafka", "--brokers", c.ListenAddrs()[0], "--sessions", "100", "--bootstrap=false"); code != 0 {
		t.Fatalf("mock --to kafka: exit %d: %s", code, errs)
	}
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\n", c.ListenAddrs()[0])), 0o644)
	st := shopStats(t, mock.ShopConfig{Seed: 1, Sessions: 100})
	_, db, _ := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "tail", "topic_db", "--from-beginning", "--exit-at-end")
	t.Logf("kafka topic_db: %d records", strings.Count(db, "\n"))
	if int64(strings.Count(db, "\n")) != st.Changes || st.Changes == 0 {
		t.Fatalf("Kafka topic_db holds %d records, the simulator counts %d", strings.Count(db, "\n"), st.Changes)
	}
}

func TestMockHTTP(t *testing.T) {
	var mu sync.Mutex
	lines := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		lines += len(bytes.Split(b, []byte("\n")))
		mu.Unlock()
	}))
	defer srv.Close()
	if code, _, errs := run(t, "", "--data-dir", t.TempDir(), "mock", "--to", "http", "--url", srv.URL, "--sessions", "100", "--http-batch", "7"); code != 0 {
		t.Fatalf("mock --to http: exit %d: %s", code, errs)
	}
	if st := shopStats(t, mock.ShopConfig{Seed: 1, Sessions: 100}); int64(lines) != st.Logs {
		t.Fatalf("collector got %d lines, the simulator made %d logs", lines, st.Logs)
	}
	if code, _, errs := run(t, "", "mock", "--to", "http"); code != 2 || !strings.Contains(errs, "--url") {
		t.Fatalf("missing --url: exit %d: %s", code, errs)
	}
}

// TestMockMySQL: mock init, then a run, against a real MariaDB; every
// table's row count equals what the simulator says it wrote.
func TestMockMySQL(t *testing.T) {
	dsn := testenv.MariaDB(t)
	dir := t.TempDir()
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "init", "--to", "mysql", "--dsn", dsn, "--users", "300"); code != 0 {
		t.Fatalf("mock init: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "mysql", "--dsn", dsn, "--users", "300", "--sessions", "400", "--seed", "11"); code != 0 {
		t.Fatalf("mock --to mysql: exit %d: %s", code, errs)
	}
	st := shopStats(t, mock.ShopConfig{Seed: 11, Users: 300, Sessions: 400})
	db, err := mock.OpenMySQL(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seed := map[string]int64{"user_info": 300}
	for _, s := range mock.Seed() {
		seed[s.Table.Name] = int64(len(s.Rows))
	}
	for _, tb := range mock.Tables() {
		var n int64
		if err := db.QueryRow("SELECT COUNT(*) FROM gmall." + tb.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := seed[tb.Name] + st.Rows(tb.Name); n != want {
			t.Errorf("%s: %d rows in MariaDB, the simulator counts %d (seed %d + inserts - deletes)", tb.Name, n, want, seed[tb.Name])
		}
	}
	var status string
	var paid int64
	if err := db.QueryRow("SELECT COUNT(*) FROM gmall.payment_info WHERE payment_status='1602' AND callback_time = create_time + INTERVAL 20 SECOND").Scan(&paid); err != nil {
		t.Fatal(err)
	}
	if paid == 0 || paid != st.Tables["payment_info"].Inserts {
		t.Errorf("%d payments succeeded 20 s after creation, of %d", paid, st.Tables["payment_info"].Inserts)
	}
	if err := db.QueryRow("SELECT dic_name FROM gmall.base_dic WHERE dic_code='1602'").Scan(&status); err != nil || status == "" {
		t.Errorf("base_dic 1602: %q %v", status, err)
	}
	var dims int
	if err := db.QueryRow("SELECT COUNT(*) FROM gmall_config.table_process_dim").Scan(&dims); err != nil || dims != 16 {
		t.Errorf("gmall_config.table_process_dim: %d rows, %v", dims, err)
	}
	// A second run continues after the ids already there.
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "mysql", "--dsn", dsn, "--users", "300", "--sessions", "50"); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errs)
	}
}

// --rate paces the output (never faster than asked; the bootstrap snapshot
// is not paced, so it is off here), --duration stops the run, and progress lines report the simulated clock; a paced run's
// records are the unpaced run's first records, in the same order.
func TestMockRateDurationAndProgress(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	code, _, errs := run(t, "", "--data-dir", dir, "mock", "--to", "file", "--out", filepath.Join(dir, "paced"),
		"--seed", "5", "--sessions", "500", "--rate", "400", "--duration", "1500ms", "--progress", "500ms", "--bootstrap=false")
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "simulated clock") {
		t.Fatalf("no progress line with the simulated clock:\n%s", errs)
	}
	paced := 0
	var lines [][]byte
	for _, f := range []string{"topic_db.jsonl", "topic_log.jsonl"} {
		b, _ := os.ReadFile(filepath.Join(dir, "paced", f))
		paced += bytes.Count(b, []byte("\n"))
		lines = append(lines, b)
	}
	// Pacing can only make a run slower: at most rate × elapsed (+1 for
	// the first record), and the duration ended it well before the 3,000+
	// records of the whole day.
	if limit := int(400*elapsed.Seconds()) + 1; paced == 0 || paced > limit {
		t.Fatalf("%d records in %s at --rate 400 (limit %d)", paced, elapsed, limit)
	}
	code, _, errs = run(t, "", "--data-dir", dir, "mock", "--to", "file", "--out", filepath.Join(dir, "full"), "--seed", "5", "--sessions", "500", "--bootstrap=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for i, f := range []string{"topic_db.jsonl", "topic_log.jsonl"} {
		full, _ := os.ReadFile(filepath.Join(dir, "full", f))
		if !bytes.HasPrefix(full, lines[i]) {
			t.Fatalf("%s of the paced run is not a prefix of the unpaced run's", f)
		}
	}
}
