package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

// countInput produces n records for countingJob, keyed by something else
// than the count key so that most cross the repartition topic, and adds
// them to want.
func countInput(t *testing.T, l rlog.Log, from, n int, want map[string]int) {
	t.Helper()
	var recs []rlog.Record
	for i := from; i < from+n; i++ {
		k := fmt.Sprintf("k%02d", i%37)
		want[k]++
		recs = append(recs, rlog.Record{Topic: "in", Partition: rlog.AutoPartition, Key: []byte(strconv.Itoa(i)), Value: []byte(k + "," + strconv.Itoa(i))})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
}

// checkCounts: every key's counts in out are 1..n, each once.
func checkCounts(t *testing.T, l rlog.Log, want map[string]int) {
	t.Helper()
	got := map[string][]int{}
	for _, r := range logtest.ReadAll(t, l, "out") {
		k, n, _ := strings.Cut(string(r.Value), ":")
		i, _ := strconv.Atoi(n)
		got[k] = append(got[k], i)
	}
	for k, n := range want {
		seen := make([]bool, n+1)
		for _, i := range got[k] {
			if i < 1 || i > n || seen[i] {
				t.Fatalf("key %s: counts %v, want each of 1..%d once", k, got[k], n)
			}
			seen[i] = true
		}
		if len(got[k]) != n {
			t.Fatalf("key %s: %d counts, want %d", k, len(got[k]), n)
		}
	}
}

const countRepartition = "_rtdw-count-by_key-repartition"

// repartitionStarts returns the start offset of every partition of the
// counting job's repartition topic, checking that it is above 0 (records
// were purged), not above the group's committed offset (no unconsumed
// record was), and, when exact, equal to it (everything consumed was).
// Records below the start cannot be read.
func repartitionStarts(t *testing.T, l rlog.Log, group string, exact bool) []int64 {
	t.Helper()
	var starts []int64
	for p := range int32(4) {
		tp := rlog.TopicPartition{Topic: countRepartition, Partition: p}
		start, end, err := l.Offsets(bg, tp)
		if err != nil {
			t.Fatal(err)
		}
		committed, ok, err := l.CommittedOffset(bg, group, tp)
		if err != nil || !ok {
			t.Fatalf("%s: committed offset %d, %v, %v", tp, committed, ok, err)
		}
		if start == 0 || start > committed || exact && start != committed {
			t.Fatalf("%s: start %d, committed %d, end %d: consumed records were not purged up to the committed offset", tp, start, committed, end)
		}
		if _, err := l.Fetch(bg, tp, start-1, 1, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
			t.Fatalf("%s: fetch below the start %d: %v", tp, start, err)
		}
		starts = append(starts, start)
	}
	return starts
}

// Embedded mode: after its checkpoints a job has deleted the records of
// its repartition topic below its committed offsets (the topic's start
// moves up to them); run again, it resumes at those offsets and its
// results are exactly those of a job that kept everything.
func TestRepartitionRecordsArePurgedAfterCheckpoints(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	run := func(total int) {
		t.Helper()
		ctx, cancel := context.WithCancel(bg)
		done := make(chan error, 1)
		go func() {
			done <- stream.Run(ctx, stream.Options{Log: l, Interval: 20 * time.Millisecond, PurgeInterval: time.Nanosecond, Exchange: stream.ExchangeTopics}, countingJob())
		}()
		waitOut(t, l, total)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{}
	countInput(t, l, 0, 1500, want)
	run(1500)
	first := repartitionStarts(t, l, "count", true)
	// Restarted, the job resumes at the purged start.
	countInput(t, l, 1500, 1500, want)
	run(3000)
	checkCounts(t, l, want)
	for p, start := range repartitionStarts(t, l, "count", true) {
		if start <= first[p] {
			t.Fatalf("partition %d: start %d did not move past %d", p, start, first[p])
		}
	}
	// The job's own input and output are never purged.
	for _, topic := range []string{"in", "out"} {
		for p := range int32(4) {
			if start, _, _ := l.Offsets(bg, rlog.TopicPartition{Topic: topic, Partition: p}); start != 0 {
				t.Fatalf("%s/%d starts at %d", topic, p, start)
			}
		}
	}
}

// Cluster mode on three brokers: a worker purges the repartition topic
// after its transactions commit; then every partition's leader moves
// (changelogs, repartition and input topics alike) and a second worker,
// on the same Log, restores the state from the changelogs and carries on:
// every key's counts still come out exactly once.
func TestWorkerPurgesRepartitionAndFollowsLeaderMoves(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	l, err := kafka.Open(kafka.Options{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	opts := stream.Options{PurgeInterval: time.Nanosecond}
	want := map[string]int{}
	countInput(t, l, 0, 1500, want)
	w := startWorkerWith(t, l, "a", countingJob, opts)
	waitOut(t, l, 1500)
	w.stop(t)
	first := repartitionStarts(t, l, "rtdw-count", false)

	topics, err := l.ListTopics(bg)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, info := range topics {
		for p := range info.Partitions {
			if err := c.MoveTopicPartition(info.Name, p, (c.LeaderFor(info.Name, p)+1)%3); err != nil {
				t.Fatal(err)
			}
			moved++
		}
	}
	if moved < 16 { // in, out, the repartition topic, the changelog(s)
		t.Fatalf("moved %d partitions of %d topics", moved, len(topics))
	}
	w = startWorkerWith(t, l, "b", countingJob, opts)
	countInput(t, l, 1500, 1500, want)
	waitOut(t, l, 3000)
	w.stop(t)
	checkCounts(t, l, want)
	for p, start := range repartitionStarts(t, l, "rtdw-count", false) {
		if start <= first[p] {
			t.Fatalf("partition %d: start %d did not move past %d", p, start, first[p])
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, "worker session failed") || strings.Contains(logs, "purging consumed repartition records failed") {
		t.Fatalf("the second worker failed after the leaders moved:\n%s", logs)
	}
}
