package cli

import (
	"context"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/mock"
)

// flushTimes is a sink noting each flush's time and the records written.
type flushTimes struct {
	records, pending int
	flushes          []time.Time
	flushed          int // records flushed
}

func (s *flushTimes) Write(_ context.Context, ev mock.Event) (int, error) {
	n := mock.Records(ev)
	s.records += n
	s.pending += n
	return n, nil
}

func (s *flushTimes) Flush(context.Context) error {
	s.flushes = append(s.flushes, time.Now())
	s.flushed += s.pending
	s.pending = 0
	return nil
}

// A paced shop flushes its records in batches at least shopLinger apart
// (a durable log commit each), not after every event, and flushes all of
// them by the end.
func TestPumpShopLingers(t *testing.T) {
	cfg := mock.ShopConfig{Seed: 3, Sessions: 60, Users: 100, Devices: 200}
	shop, err := mock.NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := &flushTimes{}
	n, err := pumpShop(context.Background(), shop, sink, 20_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The same day again, counted without pumpShop.
	again, err := mock.NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for ev, ok := again.Next(); ok; ev, ok = again.Next() {
		want += mock.Records(ev)
	}
	if want == 0 || n != int64(want) || sink.records != want || sink.flushed != want {
		t.Fatalf("the day has %d records; pumped %d, the sink got %d and flushed %d", want, n, sink.records, sink.flushed)
	}
	// The last two flushes are pumpShop's final ones, back to back.
	for i := 1; i < len(sink.flushes)-2; i++ {
		if gap := sink.flushes[i].Sub(sink.flushes[i-1]); gap < shopLinger {
			t.Fatalf("flush %d came %v after the one before; want at least %v", i, gap, shopLinger)
		}
	}
	if len(sink.flushes) > sink.records/4 {
		t.Fatalf("%d flushes for %d records: not batched", len(sink.flushes), sink.records)
	}
}

// stopSink ends the run's context in the middle of a Write, whose flush
// then fails with the context's error, as the embedded log's Produce does,
// keeping its records.
type stopSink struct {
	flushTimes
	stopAt int
	stop   context.CancelFunc
}

func (s *stopSink) Write(ctx context.Context, ev mock.Event) (int, error) {
	n, _ := s.flushTimes.Write(ctx, ev)
	if s.stop != nil && s.records >= s.stopAt {
		s.stop()
		s.stop = nil
		return n, s.Flush(ctx)
	}
	return n, nil
}

func (s *stopSink) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.flushTimes.Flush(ctx)
}

// A stop that lands in a flush is a stop, not an error (a CI run of the
// freshness bench failed with "context deadline exceeded" so), and what
// the sink held is still flushed.
func TestPumpShopStopDuringAFlush(t *testing.T) {
	shop, err := mock.NewShop(mock.ShopConfig{Seed: 3, Sessions: 60, Users: 100, Devices: 200})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &stopSink{stopAt: 50, stop: cancel}
	n, err := pumpShop(ctx, shop, sink, 20_000, 0)
	if err != nil {
		t.Fatalf("pumpShop stopped during a flush: %v", err)
	}
	if n < 50 || n != int64(sink.records) || sink.flushed != sink.records {
		t.Fatalf("pumped %d records, the sink got %d and flushed %d", n, sink.records, sink.flushed)
	}
}
