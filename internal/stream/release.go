package stream

import (
	"runtime/debug"
	"runtime/metrics"
)

// releaseAbove: a drained job that leaves at least this much Go heap
// mapped (objects, garbage included, and free spans not yet returned) has
// it collected and returned to the OS before the next job starts.
//
// Why: a drain runs its jobs one at a time, and Go keeps a finished
// job's heap mapped, returning it only slowly. The next job then stacked
// its own peak on the last one's, and so did DuckDB's load (C memory Go
// cannot reuse): the warehouse's drained day peaked at 303-333 MB of RSS,
// 268-288 MB with the release, for about 0.5 s more system time (the next
// job faults its pages in again; docs/benchmarks.md). Flink's batch
// scheduler likewise hands a finished task's memory back. The warehouse's
// jobs leave 38-142 MiB each; below the threshold (small drains, tests) a
// forced collection is not worth its milliseconds.
const releaseAbove = 32 << 20

// releaseMemory returns a finished drained job's memory; a variable so
// that tests can see the calls.
var releaseMemory = debug.FreeOSMemory

// goHeapMapped is the Go heap's mapped memory not yet returned to the
// OS: its objects (live or not yet collected) and its free spans.
func goHeapMapped() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// releaseAfterDrainedJob returns the heap a drained job left, when it is
// worth it.
func releaseAfterDrainedJob() {
	if goHeapMapped() >= releaseAbove {
		releaseMemory()
	}
}
