package stream

import (
	"context"
	"fmt"
	"runtime/debug"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// hoardOp passes records on and keeps a buffer of size bytes for as long
// as its job runs: a large one makes a job whose heap outgrows the next's.
type hoardOp struct {
	size  int
	hoard []byte
}

func (h *hoardOp) Open(*Context) error {
	h.hoard = make([]byte, h.size)
	for i := range h.hoard { // touched, so it is resident
		h.hoard[i] = 1
	}
	return nil
}

func (h *hoardOp) Process(r *Record, out Emitter) error {
	out.Emit(0, r)
	return nil
}

// A drain returns a finished job's heap to the OS before the next job
// starts, so the next job's (or DuckDB's) peak does not stack on it.
func TestDrainReleasesAFinishedJobsMemory(t *testing.T) {
	l := openInputLog(t, 1)
	ctx := context.Background()
	var recs []rlog.Record
	for i := range 10 {
		recs = append(recs, rlog.Record{Topic: "in", Value: fmt.Appendf(nil, "%d", i)})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	first := NewJob("first")
	first.Source("in").Process("hoard", func() Operator { return &hoardOp{size: 96 << 20} }).Main().To("mid")
	second := NewJob("second")
	second.Source("mid").Process("pass", func() Operator { return &hoardOp{} }).Main().To("out")

	type call struct {
		mid, out     int
		before, left uint64
	}
	var calls []call
	releaseMemory = func() {
		c := call{mid: countRecords(t, l, "mid"), out: countRecords(t, l, "out"), before: goHeapMapped()}
		debug.FreeOSMemory()
		c.left = goHeapMapped()
		calls = append(calls, c)
	}
	defer func() { releaseMemory = debug.FreeOSMemory }()

	// Given in reverse: the drain orders them by their topics.
	if err := Run(ctx, Options{Log: l, Drain: true}, second, first); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Fatal("no memory was released between the drained jobs")
	}
	c := calls[0]
	if c.mid != 10 || c.out != 0 {
		t.Fatalf("first release saw mid=%d out=%d records: want it after the first job (10, 0) and before the second", c.mid, c.out)
	}
	// The margins leave room for Go's background scavenger, which may
	// have returned a little of it first.
	if c.before < 64<<20 {
		t.Fatalf("Go heap mapped %d MiB at the release: the first job's 96 MiB was gone already, the test shows nothing", c.before>>20)
	}
	if c.left >= 64<<20 {
		t.Fatalf("Go heap mapped %d MiB before the release, %d MiB after: the first job's 96 MiB was not returned", c.before>>20, c.left>>20)
	}
	if n := countRecords(t, l, "out"); n != 10 {
		t.Fatalf("out has %d records, want 10", n)
	}
}

// countRecords is a topic's committed records, all partitions (0 if it
// does not exist yet).
func countRecords(t *testing.T, l rlog.Log, topic string) int {
	t.Helper()
	ctx := context.Background()
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		return 0
	}
	n := 0
	for p := range info.Partitions {
		start, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: topic, Partition: p})
		if err != nil {
			t.Fatal(err)
		}
		n += int(end - start)
	}
	return n
}
