package cli

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kfakeGroupAt starts an in-process broker with topics (name ->
// partitions), writes n records spread over input's partitions, and
// commits offset at on each of them for group: a job that consumed part
// of its input. The broker and client close with the test.
func kfakeGroupAt(t *testing.T, topics map[string]int32, input string, n int, group string, at int64) (*kfake.Cluster, *kgo.Client, *kadm.Client) {
	t.Helper()
	ctx := context.Background()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	for topic, parts := range topics {
		if _, err := adm.CreateTopic(ctx, parts, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	parts := topics[input]
	for i := range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: input, Partition: int32(i) % parts, Value: []byte("{}")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var offs kadm.Offsets
	for p := range parts {
		offs.AddOffset(input, p, at, -1)
	}
	if _, err := adm.CommitOffsets(ctx, group, offs); err != nil {
		t.Fatal(err)
	}
	return c, cl, adm
}
