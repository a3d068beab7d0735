package cli_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/testenv"
)

// Issue 17.3: per-job consumer offsets. A drained job shows in job list /
// describe; reset --to-earliest clears its state and moves its offsets,
// and the next run reprocesses its input: its output appears again,
// identical (fresh state gives the same results).
func TestJobListDescribeResetReprocess(t *testing.T) {
	dir := t.TempDir()
	rt := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return run(t, stdin, append([]string{"--data-dir", dir, "--log-level", "warn"}, args...)...)
	}
	_, logs, _ := run(t, "", "mock", "logs", "--count", "300", "--seed", "5")
	if code, _, errs := rt(logs, "topic", "produce", "topic_log", "--key-field", "common.mid"); code != 0 {
		t.Fatalf("produce: %s", errs)
	}
	if code, _, errs := rt("", "job", "list"); code != 0 || !strings.Contains(errs, "no job has committed offsets") {
		t.Fatalf("job list before any run: exit %d, %s", code, errs)
	}
	drain := func() {
		t.Helper()
		if code, _, errs := rt("", "run", "--jobs", "dwd_base_log", "--drain", "--progress", "0", "--checkpoint-interval", "50ms"); code != 0 {
			t.Fatalf("run --drain: %s", errs)
		}
	}
	pages := func() []string {
		t.Helper()
		_, out, _ := rt("", "topic", "tail", "dwd_traffic_page", "--from-beginning", "--exit-at-end")
		return sortedLines(out)
	}
	drain()
	first := pages()
	if len(first) < 50 {
		t.Fatalf("dwd_base_log wrote %d pages", len(first))
	}
	code, out, errs := rt("", "job", "list")
	if code != 0 || !regexpMatch(`(?m)^dwd_base_log\s+built-in\s+topic_log \(\+1 repartition\)\s+0\s+\d+ entries\s+stopped$`, out) {
		t.Fatalf("job list: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = rt("", "job", "describe", "dwd_base_log")
	if code != 0 || !strings.Contains(out, "Job: dwd_base_log (built-in)") || !regexpMatch(`(?m)^topic_log\s+0\s+(\d+)\s+0\s+(\d+)\s+0$`, out) ||
		!strings.Contains(out, "(repartition)") || !regexpMatch(`(?m)^total\s+0$`, out) {
		t.Fatalf("job describe: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := rt("", "job", "describe", "nope"); code != 1 || !strings.Contains(errs, "job nope has no committed offsets") || !strings.Contains(errs, "dwd_base_log") {
		t.Fatalf("describe an unknown job: exit %d, %s", code, errs)
	}
	for _, args := range [][]string{{"job", "reset", "dwd_base_log"}, {"job", "reset", "dwd_base_log", "--to-earliest", "--to-latest"}} {
		if code, _, errs := rt("", args...); code != 2 || !strings.Contains(errs, "give one of") {
			t.Fatalf("%v: exit %d, %s", args, code, errs)
		}
	}

	// --dry-run prints the plan and changes nothing.
	code, out, errs = rt("", "job", "reset", "dwd_base_log", "--to-earliest", "--dry-run")
	if code != 0 || !regexpMatch(`(?m)^topic_log\s+0\s+\d+\s+0$`, out) || !strings.Contains(errs, "nothing changed") {
		t.Fatalf("reset --dry-run: exit %d\n%s%s", code, out, errs)
	}
	if _, out, _ := rt("", "job", "list"); !regexpMatch(`dwd_base_log\s+built-in\s+\S+ \(\+1 repartition\)\s+0\s`, out) {
		t.Fatalf("a dry run changed the job:\n%s", out)
	}
	code, _, errs = rt("", "job", "reset", "dwd_base_log", "--to-earliest")
	if code != 0 || !regexpMatch(`reset job dwd_base_log: 8 input partition\(s\) moved, state \(\d+ entries\) cleared`, errs) {
		t.Fatalf("reset: exit %d, %s", code, errs)
	}
	if _, out, _ := rt("", "job", "list"); !regexpMatch(`(?m)^dwd_base_log\s+built-in\s+\S+ \(\+1 repartition\)\s+300\s+none\s+stopped$`, out) {
		t.Fatalf("job list after reset:\n%s", out)
	}
	drain()
	again := pages()
	want := sortedLines(strings.Join(first, "\n") + "\n" + strings.Join(first, "\n"))
	if strings.Join(again, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after reset and a rerun dwd_traffic_page holds %d records, want the first run's %d twice", len(again), len(first))
	}
	// --to-latest skips everything: nothing more is written.
	if code, _, errs := rt("", "job", "reset", "dwd_base_log", "--to-latest"); code != 0 {
		t.Fatalf("reset --to-latest: %s", errs)
	}
	drain()
	if n := len(pages()); n != len(again) {
		t.Fatalf("a job reset to the latest offsets wrote %d pages", n-len(again))
	}

	// While a running rtdw holds the data dir: list and describe go
	// through it; reset is refused.
	startRtdw(t, dir, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0", "--checkpoint-interval", "50ms")
	if code, out, errs := rt("", "job", "list"); code != 0 || !regexpMatch(`dwd_base_log\s+built-in\s+.*\?\s+data dir held by a running rtdw`, out) {
		t.Fatalf("job list through the running rtdw: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := rt("", "job", "reset", "dwd_base_log", "--to-earliest"); code != 1 || !strings.Contains(errs, "stop it first") {
		t.Fatalf("reset while running: exit %d, %s", code, errs)
	}
	// Topic administration and reads by time go through it too.
	if code, _, errs := rt("", "topic", "alter", "topic_log", "--retention", "3d"); code != 0 || !strings.Contains(errs, "retention 3d") {
		t.Fatalf("alter through the running rtdw: exit %d, %s", code, errs)
	}
	if code, out, errs := rt("", "topic", "describe", "topic_log"); code != 0 || !strings.Contains(out, "Retention: 3d") || !regexpMatch(`(?m)^dwd_base_log\s+0,1,2,3\s+0$`, out) {
		t.Fatalf("describe through the running rtdw: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := rt("", "topic", "tail", "topic_log", "--from-timestamp", "0", "--max", "1"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("tail --from-timestamp through the running rtdw: exit %d, %q, %s", code, out, errs)
	}
	rt("x\n", "topic", "produce", "scratch")
	if code, _, errs := rt("", "topic", "delete", "scratch"); code != 0 {
		t.Fatalf("delete through the running rtdw: %s", errs)
	}
	if _, out, _ := rt("", "topic", "list"); strings.Contains(out, "scratch") {
		t.Fatalf("scratch survived its deletion:\n%s", out)
	}
}

// reset --to-timestamp moves each input partition to its first record at
// or after the time; the rerun reprocesses those records only.
func TestJobResetToTimestamp(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l.CreateTopic(ctx, "topic_log", rlog.TopicConfig{Partitions: 2})
	_, logs, _ := run(t, "", "mock", "logs", "--count", "40", "--seed", "8")
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).UnixMilli()
	early := map[int32]int{}
	var recs []rlog.Record
	for i, line := range lines {
		p := int32(i % 2)
		ts := t0 + int64(i)*1000
		if ts < t0+25_000 {
			early[p]++
		}
		recs = append(recs, rlog.Record{Topic: "topic_log", Partition: p, Value: []byte(line), Timestamp: ts})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	l.Close()
	rt := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, "", append([]string{"--data-dir", dir, "--log-level", "warn"}, args...)...)
	}
	if code, _, errs := rt("run", "--jobs", "dwd_base_log", "--drain", "--progress", "0"); code != 0 {
		t.Fatalf("drain: %s", errs)
	}
	code, out, errs := rt("job", "reset", "dwd_base_log", "--to-timestamp", "2026-11-21T00:00:25Z")
	if code != 0 {
		t.Fatalf("reset --to-timestamp: %s", errs)
	}
	for p, n := range early {
		if !regexpMatch(fmt.Sprintf(`(?m)^topic_log\s+%d\s+20\s+%d$`, p, n), out) {
			t.Fatalf("partition %d should go to offset %d:\n%s", p, n, out)
		}
	}
	if _, out, _ := rt("job", "list"); !regexpMatch(`dwd_base_log\s+built-in\s+topic_log \(\+1 repartition\)\s+15\s+none`, out) {
		t.Fatalf("job list after reset --to-timestamp:\n%s", out)
	}
	if code, _, errs := rt("run", "--jobs", "dwd_base_log", "--drain", "--progress", "0"); code != 0 {
		t.Fatalf("drain again: %s", errs)
	}
	if _, out, _ := rt("job", "describe", "dwd_base_log"); !regexpMatch(`(?m)^total\s+0$`, out) {
		t.Fatalf("after the rerun:\n%s", out)
	}
}

// Kafka mode: a job's group is group_id_prefix + name, its state its
// changelog topics. list/describe show them; reset refuses while the group
// has workers, then moves the offsets (repartition topics to their end)
// and deletes the job's changelogs, not those of a job whose name extends
// its own.
func TestJobCommandsOnKafka(t *testing.T) {
	c := kfakeCluster(t)
	base := kafkaConfig(t, c, t.TempDir())
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for topic, parts := range map[string]int32{"in": 2, "_rtdw-myjob-by_k-repartition": 2, "_rtdw-myjob-agg-changelog": 2, "_rtdw-myjob-x-agg-changelog": 1} {
		if _, err := adm.CreateTopic(ctx, parts, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		r := &kgo.Record{Topic: "in", Partition: int32(i % 2), Value: []byte(fmt.Sprint(i)), Timestamp: t0.Add(time.Duration(i) * time.Second)}
		if err := cl.ProduceSync(ctx, r, &kgo.Record{Topic: "_rtdw-myjob-by_k-repartition", Partition: int32(i % 2), Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var offs kadm.Offsets
	for p := int32(0); p < 2; p++ {
		offs.AddOffset("in", p, 5, -1)
		offs.AddOffset("_rtdw-myjob-by_k-repartition", p, 1, -1)
	}
	if _, err := adm.CommitOffsets(ctx, "rtdw-myjob", offs); err != nil {
		t.Fatal(err)
	}
	var other kadm.Offsets
	other.AddOffset("in", 0, 2, -1)
	if _, err := adm.CommitOffsets(ctx, "rtdw-myjob-x", other); err != nil {
		t.Fatal(err)
	}
	rt := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, "", append(base, args...)...)
	}
	code, out, errs := rt("job", "list")
	if code != 0 || !regexpMatch(`(?m)^myjob\s+-\s+in \(\+1 repartition\)\s+8\s+1 changelog topic\(s\)\s+Empty, no workers$`, out) ||
		!regexpMatch(`(?m)^myjob-x\s+-\s+in\s+3\s+1 changelog`, out) {
		t.Fatalf("job list on Kafka: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = rt("job", "describe", "myjob")
	if code != 0 || !strings.Contains(out, "Group: rtdw-myjob") || !strings.Contains(out, "changelog _rtdw-myjob-agg-changelog") ||
		strings.Contains(out, "_rtdw-myjob-x-agg-changelog") || !regexpMatch(`(?m)^in\s+1\s+5\s+0\s+5\s+0$`, out) {
		t.Fatalf("job describe on Kafka: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = rt("job", "reset", "myjob", "--to-timestamp", "2026-11-21T00:00:04Z", "--dry-run")
	if code != 0 || !regexpMatch(`(?m)^in\s+0\s+5\s+2$`, out) || !regexpMatch(`(?m)^in\s+1\s+5\s+2$`, out) {
		t.Fatalf("reset --to-timestamp --dry-run on Kafka:\n%s", out)
	}

	// A worker in the group: reset refuses.
	member := testenv.JoinGroup(t, c.ListenAddrs(), "rtdw-myjob", "in")
	if code, _, errs := rt("job", "reset", "myjob", "--to-earliest"); code != 1 || !strings.Contains(errs, "stop them first") {
		t.Fatalf("reset with a worker in the group: exit %d, %s", code, errs)
	}
	member.Close() // leaves the group
	code, _, errs = rt("job", "reset", "myjob", "--to-earliest")
	if code != 0 || !strings.Contains(errs, "reset job myjob: 4 input partition(s) moved") {
		t.Fatalf("reset on Kafka: exit %d, %s", code, errs)
	}
	got, err := adm.FetchOffsets(ctx, "rtdw-myjob")
	if err != nil {
		t.Fatal(err)
	}
	for tp, want := range map[rlog.TopicPartition]int64{{Topic: "in", Partition: 0}: 0, {Topic: "in", Partition: 1}: 0,
		{Topic: "_rtdw-myjob-by_k-repartition", Partition: 0}: 5, {Topic: "_rtdw-myjob-by_k-repartition", Partition: 1}: 5} {
		if o, ok := got.Lookup(tp.Topic, tp.Partition); !ok || o.At != want {
			t.Errorf("%s committed %d after reset, want %d", tp, o.At, want)
		}
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("_rtdw-myjob-agg-changelog") || !topics.Has("_rtdw-myjob-x-agg-changelog") {
		t.Fatalf("after reset the topics are %v: want myjob's changelog deleted, myjob-x's kept", topics.Names())
	}
	if _, out, _ := rt("job", "list"); !regexpMatch(`(?m)^myjob\s+-\s+in \(\+1 repartition\)\s+10\s+none\s`, out) {
		t.Fatalf("job list after the reset:\n%s", out)
	}
}
