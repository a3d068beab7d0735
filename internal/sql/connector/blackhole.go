package connector

import (
	"sync/atomic"

	"github.com/rtdw/rtdw/internal/stream"
)

// The 'blackhole' connector: a sink that discards every row (Flink's, for
// benchmarks and for jobs kept only for their side effects). It accepts
// every row kind and counts the rows it discarded (Discarded).

var blackholeFactory = &Factory{
	Name: "blackhole",
	Doc:  "Sink that discards every row (benchmarks).",
	Options: []OptionSpec{
		spec("sink.parallelism", "", false, "Accepted and not used."),
	},
}

func init() {
	blackholeFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) {
		if err := checkOptions(ctx, blackholeFactory, t, []string{"sink.parallelism"}); err != nil {
			return nil, err
		}
		return &blackhole{name: nodeName("blackhole", t)}, nil
	}
	Register(blackholeFactory)
}

type blackhole struct {
	name string
	n    atomic.Int64
}

// Discarded is how many rows the sink discarded in this process.
func (b *blackhole) Discarded() int64 { return b.n.Load() }

func (b *blackhole) Accepts() ChangelogMode { return Retract }

func (b *blackhole) Attach(s stream.Stream) error {
	s.Process(b.name, func() stream.Operator { return &blackholeOp{b: b} })
	return nil
}

type blackholeOp struct {
	b *blackhole
	n int64
}

func (o *blackholeOp) Open(*stream.Context) error { return nil }

// SinkTarget names the sink in the job's output counts.
func (o *blackholeOp) SinkTarget() string { return o.b.name }

func (o *blackholeOp) Process(*stream.Record, stream.Emitter) error {
	o.n++
	return nil
}

// PrepareCheckpoint publishes the task's count (no atomics per row).
func (o *blackholeOp) PrepareCheckpoint(stream.Emitter) error {
	o.b.n.Add(o.n)
	o.n = 0
	return nil
}
