package stream

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// slowOp passes records on, after gate returns: a consumer that does not
// keep up.
type slowOp struct{ gate func() }

func (slowOp) Open(*Context) error { return nil }
func (s slowOp) Process(r *Record, out Emitter) error {
	s.gate()
	out.Emit(0, r)
	return nil
}

// A consumer slower than its producers does not make the in-memory
// exchange grow without bound: sources pause while the job's inboxes hold
// more than maxQueuedBytes, so they hold at most that plus one fetch per
// producer task; and every record still arrives once.
func TestExchangeMemoryStaysBounded(t *testing.T) {
	l := openInputLog(t, 4)
	ctx := context.Background()
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

	// The consumer stops at its first record until the producers have
	// filled the inboxes past the bound (or 10 s passed), whatever the
	// machine's speed: the sources must then pause.
	var gate sync.Once
	var processed atomic.Int64
	wait := func() {
		processed.Add(1)
		gate.Do(func() {
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				mu.Lock()
				x := xs[0]
				mu.Unlock()
				if x.queuedBytes.Load() > maxQueuedBytes {
					time.Sleep(50 * time.Millisecond) // and they had the time to overshoot
					return
				}
			}
		})
	}
	j := NewJob("slow")
	j.Source("in").KeyBy("by_key", func(r *Record) ([]byte, error) { return []byte("k"), nil }).
		Process("slow", func() Operator { return slowOp{gate: wait} }).Main().To("out")
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	// No checkpoint before the stop but those the pending bytes ask for: one
	// would wait for the gated consumer and stop the producers first.
	go func() { done <- Run(runCtx, Options{Log: l, Interval: time.Hour, FetchMax: fetch}, j) }()
	// Once the consumer has seen every record, the stop's checkpoint
	// commits what is still pending.
	for deadline := time.Now().Add(60 * time.Second); processed.Load() < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
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
