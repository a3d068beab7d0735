package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

// Job.Partitions: a topic the job creates gets the job's count instead of
// Options.Partitions, in the writer and in the reader of a topic (which
// one starts first creates it), and a topic that exists keeps its own.
func TestJobPartitions(t *testing.T) {
	l := openLog(t)
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(bg, "kept", rlog.TopicConfig{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	var want []string
	var recs []rlog.Record
	for i := range 40 {
		v := fmt.Sprintf("v%02d", i)
		want = append(want, v)
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 4), Key: []byte(v), Value: []byte(v)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	// The reader is listed first: it creates "narrow" with one partition
	// and runs as one task, before the writer asks for the topic.
	reader := stream.NewJob("reader").Partitions("narrow", 1)
	reader.Source("narrow").To("copied")
	writer := stream.NewJob("writer").Partitions("narrow", 1).Partitions("kept", 1)
	src := writer.Source("in")
	src.To("narrow")
	src.To("kept")
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 4}, reader, writer); err != nil {
		t.Fatal(err)
	}
	for topic, parts := range map[string]int32{"narrow": 1, "copied": 4, "kept": 3, "dirty_data": 4} {
		info, err := l.DescribeTopic(bg, topic)
		if err != nil {
			t.Fatal(err)
		}
		if info.Partitions != parts {
			t.Errorf("topic %s has %d partitions, want %d", topic, info.Partitions, parts)
		}
	}
	for _, topic := range []string{"narrow", "copied", "kept"} {
		var got []string
		for _, r := range logtest.ReadAll(t, l, topic) {
			got = append(got, string(r.Value))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", topic, got, want)
		}
	}

	bad := stream.NewJob("bad").Partitions("x", 0)
	bad.Source("in").To("x")
	err := stream.Run(bg, stream.Options{Log: l, Drain: true}, bad)
	if err == nil || !strings.Contains(err.Error(), "0 partitions") {
		t.Fatalf("Partitions(x, 0): %v", err)
	}
}

// Job.CheckpointEvery: a job commits at its own interval, not the run's.
// In a run checkpointing hourly, the job's outputs (visible at its
// commits) appear within its own 20 ms; the other job's do not.
func TestJobCheckpointEvery(t *testing.T) {
	l := openLog(t)
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Produce(bg, rlog.Record{Topic: "in", Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	fast := stream.NewJob("fast").CheckpointEvery(20 * time.Millisecond)
	fast.Source("in").To("fast_out")
	slow := stream.NewJob("slow")
	slow.Source("in").To("slow_out")
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx, stream.Options{Log: l, Interval: time.Hour}, fast, slow) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, end, _ := l.Offsets(bg, rlog.TopicPartition{Topic: "fast_out"}); end == 1 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the fast job committed nothing in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, end, _ := l.Offsets(bg, rlog.TopicPartition{Topic: "slow_out"}); end != 0 {
		t.Errorf("the slow job committed %d records before its hourly checkpoint", end)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	bad := stream.NewJob("bad").CheckpointEvery(0)
	bad.Source("in").To("x")
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true}, bad); err == nil || !strings.Contains(err.Error(), "checkpoint interval") {
		t.Fatalf("CheckpointEvery(0): %v", err)
	}
}
