package operator_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// flakyStore fails its first n Gets, then answers from g.
type flakyStore struct {
	g     dim.Getter
	fails atomic.Int64
}

func (f *flakyStore) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, false, errors.New("store unavailable")
	}
	return f.g.Get(ctx, table, key)
}

// In a running job, a dimension store that fails more often than the
// poison-record limit is retried, never blamed on a record (all records
// come out), while an Enrich failure that is the record's own (here:
// code "5" cannot be enriched) sends that record, and only it, to
// dirty_data after repeated failures, even though the lookup reports
// results after the call that brought them.
func TestLookupFailuresInAJob(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	var recs []rlog.Record
	for _, v := range []string{"a:1", "b:5", "c:2", "d:3"} {
		recs = append(recs, rlog.Record{Topic: "in", Value: []byte(v)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{g: dims(t)}
	store.fails.Store(7) // more than the poison limit (3 failures of a record)
	base := enrichDic("dim_dic")
	enrich := func(ctx context.Context, v []byte, get dim.Getter) ([]byte, error) {
		if strings.HasSuffix(string(v), ":5") {
			return nil, errors.New("code 5 has no enrichment")
		}
		return base(ctx, v, get)
	}
	j := stream.NewJob("lk")
	j.Source("in").Process("lookup", operator.Lookup(operator.LookupSpec{Dims: store, Concurrency: 1, Enrich: enrich})).Main().To("out")
	o := stream.Options{Log: l, Drain: true, Partitions: 1, Interval: 5 * time.Millisecond, MaxRestarts: 100, RestartBackoff: time.Millisecond}
	if err := stream.Run(bg, o, j); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range logtest.ReadAll(t, l, "out") {
		out = append(out, string(r.Value))
	}
	if strings.Join(out, ",") != "a:1:n1,c:2:n2,d:3:n3" {
		t.Fatalf("out = %v", out)
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || string(dl[0].Value) != "b:5" ||
		!strings.Contains(string(dl[0].Header(stream.HeaderReason)), "operator_failed: operator lookup: lookup: code 5 has no enrichment") {
		t.Fatalf("dead letters: %d, first %q (%q)", len(dl), dl[0].Value, dl[0].Header(stream.HeaderReason))
	}
}
