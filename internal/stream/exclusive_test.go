package stream_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/stream"
)

// exclusiveOp records what Context.Exclusive said when it opened: 1 for
// true, 2 for false.
type exclusiveOp struct{ saw *atomic.Int32 }

func (o exclusiveOp) Open(ctx *stream.Context) error {
	v := int32(2)
	if ctx.Exclusive() {
		v = 1
	}
	o.saw.Store(v)
	return nil
}

func (exclusiveOp) Process(*stream.Record, stream.Emitter) error { return nil }

// Only an embedded task is exclusive: a cluster worker's task may have a
// zombie twin, and the Harness plays zombies in tests.
func TestContextExclusiveOnlyInEmbeddedTasks(t *testing.T) {
	job := func(saw *atomic.Int32) func() *stream.Job {
		return func() *stream.Job {
			j := stream.NewJob("excl")
			j.Source("in").Process("op", func() stream.Operator { return exclusiveOp{saw} })
			return j
		}
	}

	var embeddedSaw atomic.Int32
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true}, job(&embeddedSaw)()); err != nil {
		t.Fatal(err)
	}
	if got := embeddedSaw.Load(); got != 1 {
		t.Errorf("embedded task: Exclusive state %d, want 1 (true)", got)
	}

	var clusterSaw atomic.Int32
	k := kafkaWithInput(t)
	w := startWorker(t, k, "a", job(&clusterSaw))
	deadline := time.Now().Add(time.Minute)
	for clusterSaw.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	w.stop(t)
	if got := clusterSaw.Load(); got != 2 {
		t.Errorf("cluster task: Exclusive state %d, want 2 (false)", got)
	}

	var harnessSaw atomic.Int32
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := stream.NewHarness(db, "op", func() stream.Operator { return exclusiveOp{&harnessSaw} }, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := harnessSaw.Load(); got != 2 {
		t.Errorf("harness: Exclusive state %d, want 2 (false)", got)
	}
}
