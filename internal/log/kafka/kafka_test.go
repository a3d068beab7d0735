package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// The data-plane conformance suite on franz-go's in-process Kafka (kfake):
// the same tests the embedded log passes.
func TestConformanceDataPlaneOnKfake(t *testing.T) {
	logtest.RunDataPlane(t, func(t *testing.T) rlog.Log {
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		l, err := Open(Options{Brokers: c.ListenAddrs()})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// DeleteRecords on kfake, with the partition's leader on another broker
// than the one the Log last saw.
func TestConformanceRecordDeleterOnKfake(t *testing.T) {
	logtest.RunRecordDeleter(t, func(t *testing.T) rlog.Log {
		c, err := kfake.NewCluster(kfake.NumBrokers(3))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		l, err := Open(Options{Brokers: c.ListenAddrs()})
		if err != nil {
			t.Fatal(err)
		}
		return &movingLog{Log: l, c: c}
	})
}

// movingLog moves partition 0 of every topic to the next broker before
// each DeleteRecords.
type movingLog struct {
	*Log
	c *kfake.Cluster
}

func (m *movingLog) DeleteRecords(ctx context.Context, before map[rlog.TopicPartition]int64) error {
	for tp := range before {
		if tp.Partition == 0 {
			if err := m.c.MoveTopicPartition(tp.Topic, 0, (m.c.LeaderFor(tp.Topic, 0)+1)%3); err != nil {
				return err
			}
		}
	}
	return m.Log.DeleteRecords(ctx, before)
}

// Records of an aborted transaction are never returned; committed ones are,
// and the end offset a reader sees is the last stable offset.
func TestFetchIsReadCommitted(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := Open(Options{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	txc, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("probe"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer txc.Close()
	txn := func(value string, commit kgo.TransactionEndTry) {
		if err := txc.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txc.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: 0, Value: []byte(value)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txc.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	txn("aborted", kgo.TryAbort)
	txn("committed", kgo.TryCommit)
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("plain")})

	tp := rlog.TopicPartition{Topic: "t"}
	_, end, err := l.Offsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for off := int64(0); off < end; {
		recs, err := l.Fetch(ctx, tp, off, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			off++ // control records and aborted data occupy offsets
			continue
		}
		for _, r := range recs {
			got = append(got, string(r.Value))
			off = r.Offset + 1
		}
	}
	if strings.Join(got, ",") != "committed,plain" {
		t.Fatalf("read_committed fetch saw %v", got)
	}
}

// A partition's leader moves to another broker (a reassignment, a
// preferred-leader election): reads and writes follow it. Found in review:
// the Log cached each partition's leader forever, so after a move every
// Fetch failed with NOT_LEADER_FOR_PARTITION until the process restarted,
// and with it a worker's state restore, which reads changelogs this way.
func TestReadsAndWritesFollowALeaderMove(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := Open(Options{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	const parts = 3
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: parts}); err != nil {
		t.Fatal(err)
	}
	produce := func(round int) {
		t.Helper()
		var recs []rlog.Record
		for p := range int32(parts) {
			for i := range 5 {
				recs = append(recs, rlog.Record{Topic: "t", Partition: p, Value: fmt.Appendf(nil, "r%d-p%d-%d", round, p, i)})
			}
		}
		if err := l.Produce(ctx, recs...); err != nil {
			t.Fatal(err)
		}
	}
	// read reads every partition the way a worker restores a changelog
	// (Stable, Offsets, then Fetch up to the end) and returns the values.
	read := func() []string {
		t.Helper()
		var got []string
		for p := range int32(parts) {
			tp := rlog.TopicPartition{Topic: "t", Partition: p}
			if ok, err := l.Stable(ctx, tp); err != nil || !ok {
				t.Fatalf("stable %s: %v, %v", tp, ok, err)
			}
			start, end, err := l.Offsets(ctx, tp)
			if err != nil {
				t.Fatalf("offsets %s: %v", tp, err)
			}
			for off := start; off < end; {
				recs, err := l.Fetch(ctx, tp, off, 3, 0)
				if err != nil {
					t.Fatalf("fetch %s at %d: %v", tp, off, err)
				}
				if len(recs) == 0 {
					t.Fatalf("fetch %s at %d (end %d): nothing", tp, off, end)
				}
				for _, r := range recs {
					got = append(got, string(r.Value))
					off = r.Offset + 1
				}
			}
		}
		return got
	}
	move := func() {
		t.Helper()
		for p := range int32(parts) {
			from := c.LeaderFor("t", p)
			if err := c.MoveTopicPartition("t", p, (from+1)%3); err != nil {
				t.Fatal(err)
			}
			if to := c.LeaderFor("t", p); to == from {
				t.Fatalf("partition %d still led by %d", p, from)
			}
		}
	}
	produce(0)
	if got := read(); len(got) != 15 {
		t.Fatalf("before the move: %d records", len(got))
	}
	move()
	// The Log's cached leaders are now all wrong.
	got := read()
	if len(got) != 15 || got[0] != "r0-p0-0" || got[14] != "r0-p2-4" {
		t.Fatalf("after the move: %v", got)
	}
	produce(1)
	p, err := l.NewProducer(ctx, ProducerOptions{TransactionalID: "mover"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	move()
	if err := p.Commit(ctx, []rlog.Record{{Topic: "t", Partition: 1, Value: []byte("txn")}}); err != nil {
		t.Fatal(err)
	}
	produce(2)
	move()
	got = read()
	if len(got) != 46 {
		t.Fatalf("after three moves: %d records, want 46: %v", len(got), got)
	}
	seen := map[string]int{}
	for _, v := range got {
		seen[v]++
	}
	if seen["txn"] != 1 || seen["r2-p2-4"] != 1 || len(seen) != 46 {
		t.Fatalf("after three moves: %v", seen)
	}
}
