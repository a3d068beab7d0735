package stream

import (
	"testing"

	"github.com/rtdw/rtdw/internal/state"
)

func TestSharesDivideTheRunsMemory(t *testing.T) {
	for _, c := range []struct{ total, tasks, want int }{
		{64 << 20, 8, state.DefaultCacheBytes}, // capped at the per-store default
		{64 << 20, 64, 1 << 20},
		{64 << 20, 1000, 256 << 10}, // never below 256 KiB
		{64 << 20, 0, state.DefaultCacheBytes},
	} {
		o := Options{StateCacheBytes: c.total, MaxPendingTotal: 64 << 20}
		if got := o.newShares(c.tasks).cacheBytes(); got != c.want {
			t.Errorf("%d MiB over %d tasks: %d bytes each, want %d", c.total>>20, c.tasks, got, c.want)
		}
	}
	if (*shares)(nil).cacheBytes() != state.DefaultCacheBytes || (*shares)(nil).overPending(new(int64), 1<<40) {
		t.Error("a task outside Run (no shares) is not on the defaults")
	}

	// Two tasks, 100 bytes in all: 50 each.
	sh := (&Options{StateCacheBytes: 1, MaxPendingTotal: 100}).newShares(2)
	var a, b int64
	if sh.overPending(&a, 90) { // 90 of 100: under the total
		t.Fatal("a checkpoint forced under the total")
	}
	if sh.overPending(&b, 20) { // 110 in all, but b holds less than its share
		t.Fatal("a task under its share was forced")
	}
	if !sh.overPending(&a, 91) { // over the total and over its share
		t.Fatal("the task over its share was not forced")
	}
	sh.overPending(&a, 0) // a checkpointed
	if got := sh.pending.Load(); got != 20 {
		t.Fatalf("total %d after a's checkpoint, want b's 20", got)
	}
	sh.overPending(&b, 0) // b closed
	if got := sh.pending.Load(); got != 0 {
		t.Fatalf("total %d with no task holding anything", got)
	}
}
