package kafka

import (
	"context"
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
