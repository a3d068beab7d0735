package connector

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'print' connector: a sink that writes every row on one line as
// Flink's print connector does, its row kind then its fields,
// `+I[1, apple, 2020-04-15 08:05:00]`, after `identifier> ` when
// 'print-identifier' is set. Values print as rtdw's row.Value.String
// (NULL, timestamps as the SQL client shows them: '2020-04-15 08:05:00.5',
// TIMESTAMP_LTZ in UTC with a 'Z'); Flink prints Java's toString of each
// value. Lines go to the Context's Out (standard output by default), or
// standard error with 'standard-error'; rtdw does not add Flink's
// "subtask>" prefix of parallel sinks.
//
// Rows are printed as they arrive, like Flink: after a failure the rows
// since the last checkpoint are printed again. Every row kind is accepted.

var printFactory = &Factory{
	Name: "print",
	Doc:  "Debugging sink: prints each row with its kind (+I[...]) to standard output.",
	Options: []OptionSpec{
		spec("print-identifier", "", false, "Prefix of every line: 'identifier> '."),
		spec("standard-error", "false", false, "Print to standard error instead of standard output."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
	},
}

func init() {
	printFactory.NewSink = newPrint
	Register(printFactory)
}

type printSink struct {
	l      *layout
	prefix string
	mu     *sync.Mutex
	w      io.Writer
	name   string
}

// outputs serializes lines written to one writer by concurrent tasks.
var (
	outputsMu sync.Mutex
	outputs   = map[io.Writer]*sync.Mutex{}
)

func writerLock(w io.Writer) *sync.Mutex {
	outputsMu.Lock()
	defer outputsMu.Unlock()
	mu, ok := outputs[w]
	if !ok {
		mu = &sync.Mutex{}
		outputs[w] = mu
	}
	return mu
}

func newPrint(ctx *Context, t *Table) (Sink, error) {
	f := printFactory
	if err := checkOptions(ctx, f, t, []string{"sink.parallelism"}); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	stderr, err := boolOpt(f, t, "standard-error", false)
	if err != nil {
		return nil, err
	}
	var w io.Writer = os.Stdout
	if ctx != nil && ctx.Out != nil {
		w = ctx.Out
	}
	if stderr {
		w = os.Stderr
	}
	p := &printSink{l: l, w: w, mu: writerLock(w), name: nodeName("print", t)}
	if id := opt(t, "print-identifier", ""); id != "" {
		p.prefix = id + "> "
	}
	return p, nil
}

func (p *printSink) Accepts() ChangelogMode { return Retract }

func (p *printSink) Attach(s stream.Stream) error {
	s.Process(p.name, func() stream.Operator { return &printOp{p: p} })
	return nil
}

type printOp struct {
	p    *printSink
	full row.Row
	buf  []byte
}

func (o *printOp) Open(*stream.Context) error { return nil }

// SinkTarget names the sink in the job's output counts.
func (o *printOp) SinkTarget() string { return o.p.name }

func (o *printOp) Process(rec *stream.Record, _ stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "the print sink needs typed rows")
	}
	r := o.p.l.full(rec.Row, &o.full)
	o.buf = append(append(o.buf[:0], o.p.prefix...), r.String()...)
	o.buf = append(o.buf, '\n')
	o.p.mu.Lock()
	_, err := o.p.w.Write(o.buf)
	o.p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return nil
}
