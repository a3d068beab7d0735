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
