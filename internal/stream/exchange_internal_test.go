package stream

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
)

// slowOp passes records on, slowly: a consumer that cannot keep up.
type slowOp struct{}

func (slowOp) Open(*Context) error { return nil }
func (slowOp) Process(r *Record, out Emitter) error {
	// A spin, not a sleep: a sleep's granularity would make the test slow.
	for began := time.Now(); time.Since(began) < 20*time.Microsecond; {
	}
	out.Emit(0, r)
	return nil
}

// A consumer slower than its producers does not make the in-memory
// exchange grow without bound: sources pause while the job's inboxes hold
// more than maxQueuedBytes, so they hold at most that plus one fetch per
// producer task; and every record still arrives once.
func TestExchangeMemoryStaysBounded(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	l.CreateTopic(ctx, "in", rlog.TopicConfig{Partitions: 4})
	// One partition downstream: the consumer is not fused into the four
	// producer tasks, and everything crosses the exchange.
	l.CreateTopic(ctx, "_rtdw-slow-by_key-repartition", rlog.TopicConfig{Partitions: 1})
	const n, size, fetch = 16000, 1024, 100
	var recs []rlog.Record
	for i := range n {
		v := fmt.Appendf(nil, "%d,", i)
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 4), Value: append(v, bytes.Repeat([]byte{'x'}, size-len(v))...)})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var xs []*exchange
	exchangeCreated = func(x *exchange) { mu.Lock(); xs = append(xs, x); mu.Unlock() }
	defer func() { exchangeCreated = nil }()

	j := NewJob("slow")
	j.Source("in").KeyBy("by_key", func(r *Record) ([]byte, error) { return []byte("k"), nil }).
		Process("slow", func() Operator { return slowOp{} }).Main().To("out")
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, Options{Log: l, Interval: 50 * time.Millisecond, FetchMax: fetch}, j) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: "out", Partition: 0})
		total := end
		for p := int32(1); err == nil && p < 4; p++ {
			var e int64
			_, e, err = l.Offsets(ctx, rlog.TopicPartition{Topic: "out", Partition: p})
			total += e
		}
		if err == nil && total >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for p := int32(0); p < 4; p++ {
		for off := int64(0); ; {
			rs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "out", Partition: p}, off, n, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			for _, r := range rs {
				k, _, _ := bytes.Cut(r.Value, []byte(","))
				seen[string(k)]++
			}
			off = rs[len(rs)-1].Offset + 1
		}
	}
	tot := 0
	for _, c := range seen {
		tot += c
	}
	t.Logf("records out %d, distinct %d", tot, len(seen))
	if len(seen) != n {
		t.Fatalf("%d distinct records out, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("record %s out %d times", k, c)
		}
	}
	if len(xs) != 1 {
		t.Fatalf("%d exchanges made, want 1 (no restart)", len(xs))
	}
	peak, limit := xs[0].peakBytes.Load(), int64(maxQueuedBytes+4*fetch*size)
	t.Logf("inboxes held at most %d KiB (bound %d KiB)", peak>>10, limit>>10)
	if peak <= maxQueuedBytes {
		t.Fatalf("the inboxes held at most %d KiB: the consumer never fell %d KiB behind, so the bound was not tested", peak>>10, maxQueuedBytes>>10)
	}
	if peak > limit {
		t.Fatalf("the inboxes held %d KiB, over the bound of %d KiB", peak>>10, limit>>10)
	}
}
