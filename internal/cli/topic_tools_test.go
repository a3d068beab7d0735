package cli_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
)

// kafkaConfig writes an rtdw.yaml for mode: kafka on c and returns the
// global flags that use it.
func kafkaConfig(t *testing.T, c *kfake.Cluster, dir string) []string {
	t.Helper()
	cfg := filepath.Join(dir, "rtdw.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("mode: kafka\nkafka:\n  brokers: [%q]\npartitions: 2\n", c.ListenAddrs()[0])), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--data-dir", dir, "--config", cfg}
}

// Issue 17: on Kafka, `topic tail --exit-at-end` hung forever on a topic
// written with transactions (its end is a commit marker, which takes an
// offset but is never returned). It must stop at the last stable offset,
// as kcat -e does: committed records printed, aborted ones not, a
// transaction still open not waited for.
func TestTailExitAtEndOnTransactionalKafkaTopic(t *testing.T) {
	c := kfakeCluster(t)
	dir := t.TempDir()
	base := kafkaConfig(t, c, dir)
	if code, _, errs := run(t, "", append(base, "topic", "create", "tx", "--partitions", "2")...); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	ctx := context.Background()
	txc, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("writer"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer txc.Close()
	txn := func(values []string, end kgo.TransactionEndTry, open bool) {
		t.Helper()
		if err := txc.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i, v := range values {
			if err := txc.ProduceSync(ctx, &kgo.Record{Topic: "tx", Partition: int32(i % 2), Key: []byte("k" + v), Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if !open {
			if err := txc.EndTransaction(ctx, end); err != nil {
				t.Fatal(err)
			}
		}
	}
	txn([]string{"a1", "a2", "a3", "a4"}, kgo.TryAbort, false)
	txn([]string{"c1", "c2", "c3"}, kgo.TryCommit, false)
	txn([]string{"c4", "c5"}, kgo.TryCommit, false)
	txn([]string{"open1", "open2"}, kgo.TryAbort, true) // left open: beyond the last stable offset
	defer txc.EndTransaction(ctx, kgo.TryAbort)

	code, out, errs := run(t, "", append(base, "topic", "tail", "tx", "--from-beginning", "--exit-at-end", "--format", "%k=%s\n")...)
	if code != 0 {
		t.Fatalf("tail: exit %d, %s", code, errs)
	}
	want := "kc1=c1,kc2=c2,kc3=c3,kc4=c4,kc5=c5"
	if got := strings.Join(sortedLines(out), ","); got != want {
		t.Fatalf("tail --exit-at-end printed %q, want %q", got, want)
	}
	// From the end of a partition whose last offset is a marker.
	if code, out, errs := run(t, "", append(base, "topic", "tail", "tx", "--exit-at-end", "--partition", "1")...); code != 0 || out != "" {
		t.Fatalf("tail from the end: exit %d, %q, %s", code, out, errs)
	}
	// kcat (librdkafka, read_committed) agrees.
	got := kcat(t, "", "-C", "-b", c.ListenAddrs()[0], "-t", "tx", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n")
	if g := strings.Join(sortedLines(got), ","); g != want {
		t.Fatalf("kcat -e read %q, want %q", g, want)
	}
}

// produce --key-separator (parse.key) and --header round-trip: through
// tail --format and --print-*, and, on Kafka, through kcat both ways.
func TestProduceKeySeparatorAndHeaders(t *testing.T) {
	dir := t.TempDir()
	in := "u1\t{\"n\":1}\nu2\t{\"n\":2}\tsame line\nno separator\n\t{\"empty\":\"key\"}\n"
	code, _, errs := run(t, in, "--data-dir", dir, "topic", "produce", "kv", "--key-separator", `\t`, "--header", "src=test", "--header", "run=a=b")
	if code != 0 || !strings.Contains(errs, "produced 4 records") || !strings.Contains(errs, "1 line(s) without the key separator") {
		t.Fatalf("produce: exit %d, %s", code, errs)
	}
	code, out, errs := run(t, "", "--data-dir", dir, "topic", "tail", "kv", "--from-beginning", "--exit-at-end", "--format", `%k|%h|%s|%K\n`)
	if code != 0 {
		t.Fatalf("tail: %s", errs)
	}
	want := []string{"u1|src=test,run=a=b|{\"n\":1}|2", "u2|src=test,run=a=b|{\"n\":2}\tsame line|2",
		"|src=test,run=a=b|no separator|-1", "|src=test,run=a=b|{\"empty\":\"key\"}|0"}
	if got := sortedLines(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tail --format:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, out, _ = run(t, "", "--data-dir", dir, "topic", "tail", "kv", "--from-beginning", "--exit-at-end", "--print-key", "--print-headers")
	if !strings.Contains(out, "u1\tsrc=test,run=a=b\t{\"n\":1}\n") || !strings.Contains(out, "null\tsrc=test,run=a=b\tno separator\n") {
		t.Fatalf("tail --print-key --print-headers: %q", out)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"topic", "produce", "kv", "--key-separator", ",", "--key-field", "a"}, "not both"},
		{[]string{"topic", "produce", "kv", "--header", "novalue"}, "want key=value"},
		{[]string{"topic", "produce", "kv", "--key-separator", `\q`}, `--key-separator "\\q": invalid syntax`},
		{[]string{"topic", "produce", "kv", "--key-separator", `\n`}, "cannot hold a newline"},
		{[]string{"topic", "tail", "kv", "--format", "%k", "--print-key"}, "--format replaces"},
		{[]string{"topic", "tail", "kv", "--format", "%z"}, "unknown %z"},
	} {
		if code, _, errs := run(t, "", append([]string{"--data-dir", dir}, c.args...)...); code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %s", c.args, code, errs)
		}
	}

	// Kafka: what rtdw produces, kcat reads (keys, headers); what kcat
	// produces with -K and -H, rtdw reads.
	kc := kfakeCluster(t)
	base := kafkaConfig(t, kc, t.TempDir())
	if code, _, errs := run(t, "k1:v1\nk2:v2\n", append(base, "topic", "produce", "kv", "--key-separator", ":", "--header", "h=1")...); code != 0 {
		t.Fatalf("produce to Kafka: %s", errs)
	}
	got := kcat(t, "", "-C", "-b", kc.ListenAddrs()[0], "-t", "kv", "-o", "beginning", "-e", "-q", "-f", "%k|%h|%s\n")
	if g := strings.Join(sortedLines(got), ","); g != "k1|h=1|v1,k2|h=1|v2" {
		t.Fatalf("kcat read %q", g)
	}
	kcat(t, "k3\tv3\n", "-P", "-b", kc.ListenAddrs()[0], "-t", "kv", "-K", "\t", "-H", "from=kcat")
	_, out, errs = run(t, "", append(base, "topic", "tail", "kv", "--from-beginning", "--exit-at-end", "--format", "%k|%h|%s\n")...)
	if g := strings.Join(sortedLines(out), ","); g != "k1|h=1|v1,k2|h=1|v2,k3|from=kcat|v3" {
		t.Fatalf("rtdw read back %q (%s)", g, errs)
	}
}

// tail --partition, --offset (absolute, -N from the end, clamped) and
// --from-timestamp (epoch ms, RFC 3339, local date-time).
func TestTailOffsetPartitionTimestamp(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2})
	base := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC).UnixMilli() // 16:00 in Asia/Shanghai
	var recs []rlog.Record
	for p := int32(0); p < 2; p++ {
		for i := int64(0); i < 5; i++ {
			recs = append(recs, rlog.Record{Topic: "t", Partition: p, Value: []byte(fmt.Sprintf("p%d-%d", p, i)), Timestamp: base + i*60_000})
		}
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	l.Close()
	tail := func(args ...string) string {
		t.Helper()
		code, out, errs := run(t, "", append([]string{"--data-dir", dir, "topic", "tail", "t", "--exit-at-end"}, args...)...)
		if code != 0 {
			t.Fatalf("tail %v: exit %d, %s", args, code, errs)
		}
		return strings.Join(sortedLines(out), ",")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--partition", "1", "--from-beginning"}, "p1-0,p1-1,p1-2,p1-3,p1-4"},
		{[]string{"--partition", "0", "--offset", "3"}, "p0-3,p0-4"},
		{[]string{"--offset", "4"}, "p0-4,p1-4"},
		{[]string{"--offset", "99"}, ""},
		{[]string{"--offset", "-2"}, "p0-3,p0-4,p1-3,p1-4"},
		{[]string{"--offset", "-99", "--partition", "1"}, "p1-0,p1-1,p1-2,p1-3,p1-4"},
		{[]string{"--offset", "beginning", "--max", "1", "--partition", "0"}, "p0-0"},
		{[]string{"--offset", "end"}, ""},
		{[]string{"--from-timestamp", fmt.Sprint(base + 3*60_000)}, "p0-3,p0-4,p1-3,p1-4"},
		{[]string{"--from-timestamp", fmt.Sprint(base + 3*60_000 - 1)}, "p0-3,p0-4,p1-3,p1-4"},
		{[]string{"--from-timestamp", "2026-11-21T08:04:00Z", "--partition", "1"}, "p1-4"},
		{[]string{"--from-timestamp", "2026-11-21 16:02:00"}, "p0-2,p0-3,p0-4,p1-2,p1-3,p1-4"}, // the config's zone, Asia/Shanghai
		{[]string{"--from-timestamp", "2026-11-22"}, ""},
		{[]string{"--from-timestamp", "2026-11-21", "--partition", "0", "--format", `%o@%T\n`}, fmt.Sprintf("0@%d,1@%d,2@%d,3@%d,4@%d", base, base+60_000, base+120_000, base+180_000, base+240_000)},
	} {
		if got := tail(c.args...); got != c.want {
			t.Errorf("tail %v = %q, want %q", c.args, got, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--partition", "2"}, "no partition 2"},
		{[]string{"--offset", "x"}, "--offset"},
		{[]string{"--offset", "1", "--from-beginning"}, "give one of"},
		{[]string{"--from-timestamp", "yesterday"}, "--from-timestamp"},
	} {
		if code, _, errs := run(t, "", append([]string{"--data-dir", dir, "topic", "tail", "t", "--exit-at-end"}, c.args...)...); code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("tail %v: exit %d, %s", c.args, code, errs)
		}
	}
}

// topic create/describe/alter/delete with retention as people write it
// (3d, 1GB), on the embedded log and on Kafka.
func TestTopicDescribeAlterDelete(t *testing.T) {
	kc := kfakeCluster(t)
	for _, mode := range []string{"embedded", "kafka"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			base := []string{"--data-dir", dir}
			if mode == "kafka" {
				base = kafkaConfig(t, kc, dir)
			}
			rt := func(stdin string, args ...string) (int, string, string) {
				t.Helper()
				return run(t, stdin, append(base, args...)...)
			}
			if code, _, errs := rt("", "topic", "create", "ret", "--partitions", "2", "--retention", "3d", "--retention-bytes", "1GB"); code != 0 {
				t.Fatalf("create: %s", errs)
			}
			if code, _, errs := rt("", "topic", "create", "bad", "--retention", "3 days"); code != 2 || !strings.Contains(errs, "not a duration") {
				t.Fatalf("create with a bad retention: exit %d, %s", code, errs)
			}
			if code, _, errs := rt("a\nb\nc\n", "topic", "produce", "ret"); code != 0 {
				t.Fatalf("produce: %s", errs)
			}
			code, out, errs := rt("", "topic", "describe", "ret")
			if code != 0 || !strings.Contains(out, "Partitions: 2") || !strings.Contains(out, "Retention: 3d") || !strings.Contains(out, "RetentionBytes: 1GB") ||
				!regexpMatch(`(?m)^total\s+3$`, out) {
				t.Fatalf("describe: exit %d\n%s%s", code, out, errs)
			}
			if _, out, _ := rt("", "topic", "list"); !regexpMatch(`ret\s+2\s+3\s+3d, max 1GB/partition`, out) {
				t.Fatalf("list:\n%s", out)
			}
			if code, _, errs := rt("", "topic", "alter", "ret", "--retention", "1w", "--retention-bytes", "512MiB"); code != 0 || !strings.Contains(errs, "retention 1w, retention bytes 512MiB") {
				t.Fatalf("alter: exit %d, %s", code, errs)
			}
			if code, _, errs := rt("", "topic", "alter", "ret"); code != 2 || !strings.Contains(errs, "give --retention") {
				t.Fatalf("alter without a change: exit %d, %s", code, errs)
			}
			code, _, errs = rt("", "topic", "alter", "ret", "--partitions", "3")
			if mode == "kafka" {
				if code != 0 || !strings.Contains(errs, "3 partitions") {
					t.Fatalf("alter --partitions on Kafka: exit %d, %s", code, errs)
				}
			} else if code != 1 || !strings.Contains(errs, "cannot change a topic's partitions") {
				t.Fatalf("alter --partitions on the embedded log: exit %d, %s", code, errs)
			}
			if _, out, _ := rt("", "topic", "describe", "ret"); !strings.Contains(out, "Retention: 1w") || !strings.Contains(out, "RetentionBytes: 512MiB") {
				t.Fatalf("describe after alter:\n%s", out)
			}
			if code, _, errs := rt("", "topic", "delete", "ret"); code != 0 || !strings.Contains(errs, "deleted topic ret") {
				t.Fatalf("delete: exit %d, %s", code, errs)
			}
			if code, _, errs := rt("", "topic", "describe", "ret"); code != 1 || !strings.Contains(errs, "unknown topic") {
				t.Fatalf("describe a deleted topic: exit %d, %s", code, errs)
			}
			if code, _, errs := rt("", "topic", "delete", "ret"); code != 1 || !strings.Contains(errs, "unknown topic") {
				t.Fatalf("delete a deleted topic: exit %d, %s", code, errs)
			}
			// A new topic of the same name starts empty.
			if code, _, errs := rt("x\n", "topic", "produce", "ret"); code != 0 {
				t.Fatalf("produce again: %s", errs)
			}
			if _, out, _ := rt("", "topic", "tail", "ret", "--from-beginning", "--exit-at-end"); out != "x\n" {
				t.Fatalf("the recreated topic holds %q", out)
			}
		})
	}
}

// The embedded log forgets a deleted topic across a restart, with its
// files and the groups' offsets on it (its id may be reused).
func TestDeletedTopicStaysDeleted(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *embedded.Log {
		l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	l.CreateTopic(ctx, "a", rlog.TopicConfig{Partitions: 1})
	l.CreateTopic(ctx, "b", rlog.TopicConfig{Partitions: 1})
	l.Produce(ctx, rlog.Record{Topic: "b", Partition: 0, Value: []byte("old")})
	l.CommitOffsets(ctx, "job", map[rlog.TopicPartition]int64{{Topic: "a"}: 0, {Topic: "b"}: 1})
	if err := l.DeleteTopic(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = open()
	defer l.Close()
	if _, err := l.DescribeTopic(ctx, "b"); err == nil {
		t.Fatal("b is back after a restart")
	}
	if offs, _ := l.GroupOffsets(ctx, "job"); len(offs) != 1 {
		t.Fatalf("job's offsets after deleting b: %v", offs)
	}
	l.CreateTopic(ctx, "c", rlog.TopicConfig{Partitions: 1}) // may take b's id
	if _, ok, _ := l.CommittedOffset(ctx, "job", rlog.TopicPartition{Topic: "c"}); ok {
		t.Fatal("c inherited b's committed offset")
	}
	if recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "c"}, 0, 10, 0); err != nil || len(recs) != 0 {
		t.Fatalf("c holds %v, %v", recs, err)
	}
	// b's files are gone (c, not written yet, has none).
	entries, _ := os.ReadDir(filepath.Join(dir, "log", "segments"))
	if len(entries) != 1 || entries[0].Name() != "0" {
		t.Fatalf("segment dirs after deleting b: %v, want a's only", entries)
	}
	if err := l.Produce(ctx, rlog.Record{Topic: "c", Partition: 0, Value: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "c"}, 0, 10, 0); err != nil || len(recs) != 1 || string(recs[0].Value) != "new" {
		t.Fatalf("c holds %v, %v", recs, err)
	}
}

// Issue 17.4: read and drain commands on a mistyped --data-dir are errors
// and create nothing.
func TestMistypedDataDirIsNotCreated(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "rtdw-dat")
	for _, args := range [][]string{
		{"topic", "list"}, {"topic", "tail", "topic_log", "--exit-at-end"}, {"topic", "describe", "topic_log"},
		{"topic", "delete", "topic_log"}, {"topic", "alter", "topic_log", "--retention", "1d"},
		{"job", "list"}, {"job", "describe", "dwd_base_log"}, {"job", "reset", "dwd_base_log", "--to-earliest"},
		{"run", "--drain", "--jobs", "dwd_base_log"}, {"dim", "list"},
	} {
		code, _, errs := run(t, "", append([]string{"--data-dir", missing}, args...)...)
		if code != 2 || !strings.Contains(errs, "does not exist") || !strings.Contains(errs, "mistyped") {
			t.Errorf("%v on a missing data dir: exit %d, %s", args, code, errs)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%v created the mistyped data dir", args)
		}
	}
	// An existing directory that holds no log is not given one by a read.
	empty := t.TempDir()
	if code, _, errs := run(t, "", "--data-dir", empty, "topic", "list"); code != 1 || !strings.Contains(errs, "holds no topics") {
		t.Fatalf("topic list on an empty dir: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(empty, "log")); !os.IsNotExist(err) {
		t.Fatal("a read created a log")
	}
	// Writes still create it.
	if code, _, errs := run(t, "x\n", "--data-dir", missing, "topic", "produce", "t"); code != 0 {
		t.Fatalf("produce into a new data dir: %s", errs)
	}
}

// Issue 17.4: `run --drain` binds no port unless asked (config http_addr
// or --http-addr); asked, it serves and says where.
func TestRunDrainBindsNoPort(t *testing.T) {
	dir := t.TempDir()
	run(t, "{\"common\":{\"mid\":\"m\"}}\n", "--data-dir", dir, "topic", "produce", "topic_log")
	code, _, errs := run(t, "", "--data-dir", dir, "run", "--jobs", "dwd_base_log", "--drain", "--progress", "0")
	if code != 0 || strings.Contains(errs, "http://") {
		t.Fatalf("run --drain: exit %d, %s", code, errs)
	}
	code, _, errs = run(t, "", "--data-dir", dir, "run", "--jobs", "dwd_base_log", "--drain", "--progress", "0", "--http-addr", "127.0.0.1:0")
	if code != 0 || !strings.Contains(errs, "http://127.0.0.1:") {
		t.Fatalf("run --drain --http-addr: exit %d, %s", code, errs)
	}
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte("http_addr: 127.0.0.1:0\n"), 0o644)
	code, _, errs = run(t, "", "--data-dir", dir, "--config", cfg, "run", "--jobs", "dwd_base_log", "--drain", "--progress", "0")
	if code != 0 || !strings.Contains(errs, "http://127.0.0.1:") {
		t.Fatalf("run --drain with http_addr: exit %d, %s", code, errs)
	}
}

// The default address of `rtdw run` in use (another rtdw, another
// program): it serves on a free port and says so, rather than failing. An
// address asked for is not replaced.
func TestDefaultHTTPAddrTakenFallsBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:8088")
	if err == nil {
		defer ln.Close()
	} // else something else holds it: taken all the same
	dir := t.TempDir()
	cmd := rtdwCmd(t, dir, "run", "--jobs", "dwd_base_log", "--progress", "0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAdvertised(t, dir, &stderr)
	addr := advertised(t, dir)
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if addr == "127.0.0.1:8088" || !strings.Contains(stderr.String(), "127.0.0.1:8088 is in use: serving on "+addr) {
		t.Fatalf("run with 8088 taken served on %s:\n%s", addr, stderr.String())
	}
	code, _, errs := run(t, "", "--data-dir", dir, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:8088")
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Fatalf("run --http-addr on a taken port: exit %d, %s", code, errs)
	}
}

// One flag names the listen address everywhere: --http-addr; the old
// names are hidden and still work.
func TestHTTPAddrFlagEverywhere(t *testing.T) {
	for _, c := range [][]string{{"run"}, {"demo"}, {"sql"}, {"worker"}, {"ingest", "mysql"}, {"ingest", "applog"}} {
		_, out, _ := run(t, "", append(c, "--help")...)
		if !regexpMatch(`(?m)^\s+--http-addr string`, out) || regexpMatch(`(?m)^\s+--(http|listen) `, out) {
			t.Errorf("rtdw %s --help:\n%s", strings.Join(c, " "), out)
		}
	}
	code, _, errs := run(t, "", "--data-dir", t.TempDir(), "ingest", "applog", "--listen", "")
	if code != 2 || !strings.Contains(errs, "--listen is deprecated: use --http-addr") || !strings.Contains(errs, "give --http-addr") {
		t.Fatalf("ingest applog --listen: exit %d, %s", code, errs)
	}
}

// rtdw --version prints the version.
func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "rtdw ") || !strings.Contains(out, "go1.") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
