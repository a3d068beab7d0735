package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/mysqlcdc"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/testenv"
)

// TestIngestMySQLKill9 kills `rtdw ingest mysql` with SIGKILL at random
// moments while the shop simulator writes to MariaDB (also during the
// snapshot), restarts it, and checks topic_db: every change exactly once
// (no insert of a present row, no update or delete of a missing one, every
// update's "old" equal to the row before it) and each table reproduced.
func TestIngestMySQLKill9(t *testing.T) { testIngestMySQLKill9(t, "") }

// TestIngestMySQLKill9OnKafka is the same on Kafka (mode: kafka, an
// in-process kfake cluster the killed processes do not take down): each
// commit is a Kafka transaction of topic_db records and the position
// record; topic_db read with read_committed reproduces every table.
func TestIngestMySQLKill9OnKafka(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testIngestMySQLKill9(t, c.ListenAddrs()[0])
}

func testIngestMySQLKill9(t *testing.T, broker string) {
	dsn := testenv.MariaDB(t)
	dir := t.TempDir()
	var cfgArgs []string
	if broker != "" {
		cfg := filepath.Join(dir, "rtdw.yaml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\n", broker)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfgArgs = []string{"--config", cfg}
	}
	if code, _, errs := run(t, "", "--data-dir", dir, "mock", "init", "--to", "mysql", "--dsn", dsn, "--users", "5000"); code != 0 {
		t.Fatalf("mock init: exit %d: %s", code, errs)
	}
	// One partition: the replay below needs the topic's total order.
	if code, _, errs := run(t, "", append(cfgArgs, "--data-dir", dir, "topic", "create", "topic_db", "--partitions", "1")...); code != 0 {
		t.Fatalf("topic create: exit %d: %s", code, errs)
	}
	sim := rtdwCmd(t, t.TempDir(), "mock", "--to", "mysql", "--dsn", dsn, "--users", "5000", "--sessions", "3000",
		"--rate", "1500", "--seed", "3", "--progress", "0")
	var simErr bytes.Buffer
	sim.Stderr = &simErr
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Wait() }()
	t.Cleanup(func() { sim.Process.Kill() })

	ingest := func() (*exec.Cmd, *ingestOutput) {
		cmd := rtdwCmd(t, dir, append(cfgArgs, "ingest", "mysql", "--dsn", dsn, "--databases", "gmall,gmall_config", "--log-level", "info")...)
		errb := &ingestOutput{}
		cmd.Stderr = errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, errb
	}
	kills := 0
	for i := range 5 {
		cmd, errb := ingest()
		// The first kill lands in the snapshot, the others while streaming.
		d := time.Duration(100+rand.IntN(700)) * time.Millisecond
		if i == 0 {
			waitForIngestOutput(t, errb, `msg="mysqlcdc: snapshot" `)
			d = time.Duration(rand.IntN(10)) * time.Millisecond
		}
		time.Sleep(d)
		if cmd.ProcessState != nil {
			t.Fatalf("ingest ended early: %s", errb)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
		if i == 0 && strings.Contains(errb.String(), "snapshot done") {
			t.Fatalf("the first kill came after the snapshot: %s", errb)
		}
	}
	select {
	case err := <-simDone:
		t.Fatalf("the simulator ended before the last kill (%v): not under load: %s", err, simErr.String())
	default:
	}
	if err := <-simDone; err != nil {
		t.Fatalf("simulator: %v: %s", err, simErr.String())
	}
	target, err := mysqlcdc.ServerPosition(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Run until it has committed the server's last position, then stop it.
	deadline := time.Now().Add(60 * time.Second)
	for tailed := false; ; {
		cmd, errb := ingest()
		time.Sleep(time.Second)
		if !tailed {
			// Topic commands go through the running reader.
			out, err := rtdwCmd(t, dir, append(cfgArgs, "topic", "tail", "topic_db", "--from-beginning", "--max", "1")...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), `"type":"bootstrap-`) {
				t.Fatalf("topic tail while the reader runs: %v: %s", err, out)
			}
			tailed = true
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("ingest: %v: %s", err, errb)
		}
		var l rlog.Log
		if broker != "" {
			l, err = kafka.Open(kafka.Options{Brokers: []string{broker}})
		} else {
			l, err = embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
		}
		if err != nil {
			t.Fatal(err)
		}
		pos, ok, err := mysqlcdc.StoredPosition(context.Background(), l, "mysql")
		if err != nil {
			t.Fatal(err)
		}
		if ok && pos.Reached(target) {
			n, starts := checkTopicDB(t, l, dsn)
			l.Close()
			t.Logf("%d kills; %d changes in topic_db (%d bootstrap-start); position %s", kills, n, starts, pos)
			return
		}
		l.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the reader did not reach %s (at %s)", target, pos)
		}
	}
}

// ingestOutput is a bytes.Buffer a process writes while the test reads it.
type ingestOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *ingestOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *ingestOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitForIngestOutput waits until the output holds text.
func waitForIngestOutput(t *testing.T, b *ingestOutput, text string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(b.String(), text); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in: %s", text, b)
		}
		time.Sleep(time.Millisecond)
	}
}

// jsonText is a JSON value as MySQL's text protocol writes it.
func jsonText(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNull:
		return "NULL"
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	}
	return v.String()
}

// checkTopicDB replays topic_db and compares it with every table of gmall
// and gmall_config; it returns the number of records and of bootstrap-start
// records (more than the tables: a snapshot was killed and taken again).
func checkTopicDB(t *testing.T, l rlog.Log, dsn string) (int, int) {
	t.Helper()
	ctx := context.Background()
	tp := rlog.TopicPartition{Topic: "topic_db", Partition: 0}
	_, end, err := l.Offsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]map[string]*fastjson.Value{} // db.table -> key -> data
	starts, n := 0, 0
	var parsers []*fastjson.Parser // the values below live in their parsers
	for off := int64(0); off < end; {
		recs, err := l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break // Kafka: only transaction markers (they take offsets) are left
		}
		off = recs[len(recs)-1].Offset + 1
		n += len(recs)
		for _, rec := range recs {
			p := &fastjson.Parser{}
			parsers = append(parsers, p)
			v, err := p.ParseBytes(rec.Value)
			if err != nil {
				t.Fatalf("bad record %s", rec.Value)
			}
			tk := string(v.GetStringBytes("database")) + "." + string(v.GetStringBytes("table"))
			rows := tables[tk]
			if rows == nil {
				rows = map[string]*fastjson.Value{}
				tables[tk] = rows
			}
			key, data := string(rec.Key), v.Get("data")
			switch typ := string(v.GetStringBytes("type")); typ {
			case "bootstrap-start":
				// A snapshot killed midway is taken again: the table restarts.
				clear(rows)
				starts++
			case "bootstrap-complete":
			case "bootstrap-insert", "insert":
				if rows[key] != nil {
					t.Fatalf("offset %d: %s: row doubled: %s", rec.Offset, typ, rec.Value)
				}
				rows[key] = data
			case "update", "delete":
				before := rows[key]
				if before == nil {
					t.Fatalf("offset %d: %s of a missing row: %s", rec.Offset, typ, rec.Value)
				}
				if typ == "delete" {
					if before.String() != data.String() {
						t.Fatalf("offset %d: deleted row %s, the topic had %s", rec.Offset, data, before)
					}
					delete(rows, key)
					continue
				}
				v.GetObject("old").Visit(func(k []byte, ov *fastjson.Value) {
					if b := before.Get(string(k)); b == nil || b.String() != ov.String() {
						t.Fatalf("offset %d: old %s=%s, the topic had %v: %s", rec.Offset, k, ov, b, rec.Value)
					}
				})
				rows[key] = data
			default:
				t.Fatalf("type %q", typ)
			}
		}
	}
	db, err := sql.Open("mysql", dsn+"?charset=utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := db.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('gmall','gmall_config') AND TABLE_TYPE='BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for names.Next() {
		var d, n string
		names.Scan(&d, &n)
		all = append(all, d+"."+n)
	}
	names.Close()
	if len(all) < 20 {
		t.Fatalf("only %d tables", len(all))
	}
	for _, tk := range all {
		rows, err := db.Query("SELECT * FROM " + tk)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		// Topic rows by their full text, as the table's.
		want := map[string]int{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				v := "NULL"
				if raw[i] != nil {
					v = string(raw[i])
				}
				fmt.Fprintf(&b, "%s=%s;", c, v)
			}
			want[b.String()]++
		}
		rows.Close()
		got := map[string]int{}
		for _, data := range tables[tk] {
			var b strings.Builder
			for _, c := range cols {
				f := data.Get(c)
				if f == nil {
					t.Fatalf("%s: column %s missing in %s", tk, c, data)
				}
				fmt.Fprintf(&b, "%s=%s;", c, jsonText(f))
			}
			got[b.String()]++
		}
		bad := 0
		for k, n := range want {
			if got[k] != n {
				if bad++; bad < 4 {
					t.Errorf("%s: row in the table %d times, in the topic %d: %s", tk, n, got[k], k)
				}
			}
		}
		for k, n := range got {
			if want[k] == 0 {
				if bad++; bad < 4 {
					t.Errorf("%s: row in the topic %d times, not in the table: %s", tk, n, k)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("%s: %d rows differ (table %d, topic %d)", tk, bad, len(want), len(tables[tk]))
		}
	}
	_ = parsers
	return n, starts
}

// TestRunWithMySQLSource: sources.mysql in rtdw.yaml makes `rtdw run`
// capture the database into topic_db next to its jobs.
func TestRunWithMySQLSource(t *testing.T) {
	for _, command := range []string{"run", "demo"} {
		t.Run(command, func(t *testing.T) { testSourceIn(t, command) })
	}
}

// testSourceIn: `rtdw run` and `rtdw demo` capture sources.mysql next to their jobs.
func testSourceIn(t *testing.T, command string) {
	dsn := testenv.MariaDB(t)
	admin, err := sql.Open("mysql", dsn+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	db := "src_" + command
	if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %[1]s; CREATE DATABASE %[1]s; "+
		"CREATE TABLE %[1]s.t (id BIGINT PRIMARY KEY, v VARCHAR(10)); INSERT INTO %[1]s.t VALUES (1, '快照')", db)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rtdw.yaml")
	yaml := fmt.Sprintf("partitions: 1\njobs: [dwd_base_log]\nsources:\n  mysql:\n    dsn: '%s'\n    databases: [%s]\n", dsn, db)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := rtdwCmd(t, dir, command, "--config", cfgPath, "--http-addr", "127.0.0.1:0", "--log-level", "info")
	errb := &ingestOutput{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitForIngestOutput(t, errb, "mysqlcdc: streaming")
	if _, err := admin.Exec("INSERT INTO " + db + ".t VALUES (2, '流')"); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		// Through the running rtdw (it holds the data dir).
		out, _ = rtdwCmd(t, dir, "topic", "tail", "topic_db", "--from-beginning", "--max", "4", "--exit-at-end").CombinedOutput()
		if strings.Count(string(out), "\n") >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{`"type":"bootstrap-start"`, `"type":"bootstrap-insert","ts":`, `"data":{"id":1,"v":"快照"}`,
		`"type":"bootstrap-complete"`, `"type":"insert"`, `"data":{"id":2,"v":"流"}`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("topic_db lacks %s:\n%s\nrun: %s", want, out, errb)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v: %s", command, err, errb)
	}
}

// TestIngestMySQLUsage: flag mistakes exit 2 and say what is wanted; a
// server problem exits 1 with the reader's message.
func TestIngestMySQLUsage(t *testing.T) {
	dir := t.TempDir()
	dsn := testenv.MariaDB(t)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--databases", "gmall"}, 2, "--dsn is required"},
		{[]string{"--dsn", dsn}, 2, "--databases is required"},
		{[]string{"--dsn", dsn, "--databases", "gmall", "--snapshot", "sometimes"}, 2, "want initial, never or only"},
		{[]string{"--dsn", "no-at-sign", "--databases", "gmall", "--http-addr="}, 1, "want user:password@tcp(host:port)/"},
		{[]string{"--dsn", strings.Replace(dsn, "rtdw:rtdw@", "rtdw:wrong@", 1), "--databases", "gmall", "--http-addr="}, 1, "Access denied"},
	} {
		code, _, stderr := run(t, "", append([]string{"--data-dir", dir, "ingest", "mysql"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("rtdw ingest mysql %s: exit %d (want %d), stderr %q (want it to mention %q)", strings.Join(c.args, " "), code, c.code, stderr, c.msg)
		}
	}
}
