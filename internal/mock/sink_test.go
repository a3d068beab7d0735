package mock

import (
	"context"
	"errors"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// ctxLog keeps produced records, and refuses a produce whose context
// ended, as the embedded log does (writing none of them).
type ctxLog struct{ captureLog }

func (c *ctxLog) Produce(ctx context.Context, recs ...rlog.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.captureLog.Produce(ctx, recs...)
}

// A flush that fails keeps its records for the next one.
func TestLogSinkKeepsRecordsAFailedFlushDidNotWrite(t *testing.T) {
	sh, err := NewShop(ShopConfig{Seed: 4, Sessions: 5, Users: 10, Devices: 20})
	if err != nil {
		t.Fatal(err)
	}
	l := &ctxLog{}
	s := NewLogSink(l, "topic_db", "topic_log")
	want := 0
	for ev, ok := sh.Next(); ok && want < 10; ev, ok = sh.Next() {
		n, err := s.Write(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		want += n
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Flush(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("flush with an ended context: %v", err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.recs) != want || want == 0 {
		t.Fatalf("%d records written after the retry, want %d", len(l.recs), want)
	}
}
