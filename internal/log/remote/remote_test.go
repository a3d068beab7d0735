package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/remote"
)

func TestRemoteTopicsThroughARunningProcess(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := httptest.NewServer(remote.Handler(l))
	defer srv.Close()
	r := remote.New(strings.TrimPrefix(srv.URL, "http://"))
	ctx := context.Background()

	if err := r.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2, Retention: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2}); !errors.Is(err, rlog.ErrTopicExists) {
		t.Fatalf("duplicate create over the wire: %v", err)
	}
	if _, err := r.DescribeTopic(ctx, "nope"); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("unknown topic over the wire: %v", err)
	}
	in := []rlog.Record{
		{Topic: "t", Partition: 1, Key: []byte("k"), Value: []byte(`{"a":1}`), Timestamp: 42, Headers: []rlog.Header{{Key: "h", Value: []byte("v")}}},
		{Topic: "t", Partition: 1, Key: nil, Value: nil, Timestamp: 43},
	}
	if err := r.Produce(ctx, in...); err != nil {
		t.Fatal(err)
	}
	tp := rlog.TopicPartition{Topic: "t", Partition: 1}
	got, err := r.Fetch(ctx, tp, 0, 10, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("fetch: %v %v", got, err)
	}
	if !bytes.Equal(got[0].Value, in[0].Value) || string(got[0].Header("h")) != "v" || got[0].Timestamp != 42 || got[1].Value != nil || got[1].Key != nil {
		t.Fatalf("round trip changed records: %+v", got)
	}
	if start, end, err := r.Offsets(ctx, tp); err != nil || start != 0 || end != 2 {
		t.Fatalf("offsets %d %d %v", start, end, err)
	}
	if _, err := r.Fetch(ctx, tp, 9, 10, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("out of range over the wire: %v", err)
	}
	ts, _ := r.ListTopics(ctx)
	if len(ts) != 1 || ts[0].Retention != time.Hour {
		t.Fatalf("list: %+v", ts)
	}
	if err := r.Commit(ctx, &rlog.Txn{}); !errors.Is(err, remote.ErrUnsupported) {
		t.Fatalf("commit through a running rtdw: %v", err)
	}
}
