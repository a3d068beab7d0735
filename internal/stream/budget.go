package stream

import (
	"sync/atomic"

	"github.com/rtdw/rtdw/internal/state"
)

// shares divides a run's memory between its tasks, as Flink's managed
// memory is divided between slots: the state read caches
// (Options.StateCacheBytes) and what is buffered for the next checkpoint
// (Options.MaxPendingTotal). Per-task constants alone grow with the
// number of tasks: forty tasks of a warehouse could hold 8 MiB of pending
// output and state and 4 MiB of cache each.
type shares struct {
	cache   int          // each task's state cache
	max     int64        // MaxPendingTotal
	share   int64        // max / tasks
	pending atomic.Int64 // the tasks' pending bytes, as last reported
}

// newShares divides o's budgets among ntasks tasks that run at once.
func (o *Options) newShares(ntasks int) *shares {
	n := max(ntasks, 1)
	return &shares{
		cache: min(max(o.StateCacheBytes/n, 256<<10), state.DefaultCacheBytes),
		max:   int64(o.MaxPendingTotal),
		share: int64(o.MaxPendingTotal / n),
	}
}

// cacheBytes is a task's state cache (nil: a task not started by Run or
// RunWorker, tests: the state package's default).
func (s *shares) cacheBytes() int {
	if s == nil {
		return state.DefaultCacheBytes
	}
	return s.cache
}

// overPending reports a task's pending bytes (its last report in
// *reported) and whether it should checkpoint now: the run's tasks
// together are over MaxPendingTotal and this one holds more than its
// share. Tasks under their share never checkpoint for the others.
func (s *shares) overPending(reported *int64, pending int) bool {
	if s == nil {
		return false
	}
	p := int64(pending)
	total := s.pending.Add(p - *reported)
	*reported = p
	return total > s.max && p > s.share
}
