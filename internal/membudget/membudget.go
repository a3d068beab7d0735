// Package membudget divides a process's memory budget between the parts
// of rtdw that hold memory, as Flink divides taskmanager.memory.process.size
// between the JVM heap, managed memory and overhead.
//
// A Go process left alone lets its heap grow to twice what is live before
// collecting, and returns freed pages to the OS slowly: the warehouse's
// live heap of ~120 MB showed up as ~300 MB of Go memory and ~450 MB of
// RSS (docs/benchmarks.md). With a budget, the Go runtime gets a soft
// memory limit (runtime/debug.SetMemoryLimit) of what the budget leaves
// after Pebble's block cache and memtables and a fixed overhead (the
// binary's pages, C allocations, stacks), and the block cache is sized
// from the budget. The limit is soft: a live heap above it makes the
// collector run more often (at most about half the CPU, Go's own cap),
// never fails an allocation, so a budget set too small costs speed, not
// correctness.
package membudget

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	// Overhead is what the budget sets aside for memory outside the Go
	// heap and Pebble: the binary's resident pages (DuckDB's code is most
	// of them), C allocations, goroutine stacks.
	Overhead = 128 << 20
	// Memtables is what the budget sets aside for Pebble's memtables (two
	// of 16 MiB are usually live: one filling, one flushing).
	Memtables = 32 << 20
	// Min is the smallest budget accepted: below it the Go heap's share
	// would be smaller than what a single job keeps live.
	Min = 320 << 20
	// DefaultBlockCache is Pebble's block cache without a budget.
	DefaultBlockCache = 64 << 20
)

// Plan is how a budget is divided.
type Plan struct {
	Total      int64 // the budget; 0: none (Go's and Pebble's defaults)
	BlockCache int64 // Pebble's block cache
	GoLimit    int64 // the Go runtime's soft memory limit; 0: none
	Source     string
}

// New divides a budget of total bytes (0: none). The block cache gets an
// eighth, between 16 MiB and 1 GiB; the Go heap what is left after the
// cache, the memtables and Overhead.
func New(total int64, source string) (Plan, error) {
	if total == 0 {
		return Plan{BlockCache: DefaultBlockCache}, nil
	}
	if total < Min {
		return Plan{}, fmt.Errorf("%d MiB is below the minimum of %d MiB", total>>20, Min>>20)
	}
	cache := min(max(total/8, 16<<20), 1<<30)
	return Plan{Total: total, BlockCache: cache, GoLimit: total - cache - Memtables - Overhead, Source: source}, nil
}

// Apply sets the Go runtime's soft memory limit (none: leaves Go's, which
// GOMEMLIMIT may have set, as it is).
func (p Plan) Apply() {
	if p.GoLimit > 0 {
		debug.SetMemoryLimit(p.GoLimit)
	}
}

// String describes the plan for a log line.
func (p Plan) String() string {
	if p.Total == 0 {
		return "no memory budget"
	}
	return fmt.Sprintf("memory budget %d MiB (%s): Go heap limit %d MiB, Pebble block cache %d MiB, memtables %d MiB, overhead %d MiB",
		p.Total>>20, p.Source, p.GoLimit>>20, p.BlockCache>>20, Memtables>>20, Overhead>>20)
}

// CgroupFiles are where Linux gives a container its memory limit: cgroup
// v2's memory.max, then cgroup v1's memory.limit_in_bytes (older hosts and
// container runtimes).
var CgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// cgroupUnlimited: cgroup v1 says "no limit" with the largest page-aligned
// counter (9223372036854771712 on 4 KiB pages), not a word.
const cgroupUnlimited = 1 << 62

// Cgroup reads the memory limit of the process's cgroup from path (v2's
// memory.max: a number of bytes, or "max" for none; v1's
// memory.limit_in_bytes: a number, near 2^63 for none). 0: no limit, or no
// such file.
func Cgroup(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a number of bytes or max", path, s)
	}
	if n >= cgroupUnlimited {
		return 0, nil
	}
	return n, nil
}
