package operator

import (
	"context"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// LookupSpec describes a lookup join against the dimension store.
type LookupSpec struct {
	Dims        dim.Getter    // usually a *dim.Cache
	Concurrency int           // in-flight records per task; default 16
	MissRetry   time.Duration // 0: a miss is final; else retry misses (with backoff) up to this long
	// Enrich runs off the task goroutine with its own copy of the value: it
	// looks up rows through get and returns the output value. A miss is
	// get returning ok=false: Enrich leaves the fields empty (null).
	// Returning a nil value with a nil error drops the record on purpose (a
	// lookup that filters); a stream.BadInputError dead-letters it; any
	// other error fails the task, which restarts from its checkpoint, and
	// counts against this record (three identical failures dead-letter
	// it). Errors of get (the dimension store) are stream.Retryable: they
	// never count against a record.
	Enrich func(ctx context.Context, value []byte, get dim.Getter) ([]byte, error)
}

// DefaultLookupConcurrency is LookupSpec.Concurrency when it is 0.
const DefaultLookupConcurrency = 16

const (
	lookupBackoffMin = 5 * time.Millisecond
	lookupBackoffMax = time.Second
)

func (s *LookupSpec) validate() error {
	if s.Dims == nil || s.Enrich == nil {
		return fmt.Errorf("lookup needs Dims and Enrich")
	}
	if s.Concurrency < 0 || s.MissRetry < 0 {
		return fmt.Errorf("lookup Concurrency (%d) and MissRetry (%s) must not be negative", s.Concurrency, s.MissRetry)
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultLookupConcurrency
	}
	return nil
}

// Lookup makes an asynchronous lookup-join operator with the semantics of
// Flink's ordered AsyncWaitOperator: up to Concurrency records are enriched
// at once on their own goroutines, and results are emitted in input order
// with the input's key, time, headers and source position. Process blocks
// while the queue is full (backpressure). Results are emitted only from the
// task goroutine: whenever the task calls the operator, completed records at
// the head of the queue go out; before the watermark advances
// (stream.WatermarkFlusher), and in PrepareCheckpoint and EndOfInput, it
// waits for every in-flight record and emits it, so a watermark never
// overtakes the records before it (they would turn late downstream) and a
// checkpoint never commits input offsets of records not yet emitted. Nothing is kept in state: at a checkpoint the queue is empty,
// and a restore replays the input after it.
//
// Each row that get finally misses (after MissRetry) counts in
// rtdw_dim_lookup_misses_total{job,table}.
func Lookup(spec LookupSpec) stream.Factory {
	if err := spec.validate(); err != nil {
		panic("operator: " + err.Error())
	}
	return func() stream.Operator { return &lookup{spec: spec} }
}

type lookup struct {
	spec  LookupSpec
	ctx   *stream.Context
	queue []*lookupCall // in input order
	base  context.Context
}

// lookupCall is one record being enriched. The goroutine writes out and err
// and then closes done; the task goroutine reads them only after done.
type lookupCall struct {
	rec  stream.Record // an owned copy of the input
	done chan struct{}
	out  []byte
	err  error
}

func (l *lookup) Open(ctx *stream.Context) error {
	l.ctx = ctx
	// Calls outlive no task on purpose: a discarded instance's goroutines
	// finish (bounded by MissRetry) and nobody reads their results.
	l.base = context.Background()
	return nil
}

func (l *lookup) Process(rec *stream.Record, out stream.Emitter) error {
	if err := l.emitDone(out); err != nil {
		return err
	}
	for len(l.queue) >= l.spec.Concurrency {
		if err := l.emitHead(out, true); err != nil {
			return err
		}
	}
	c := &lookupCall{rec: ownCopy(rec), done: make(chan struct{})}
	l.queue = append(l.queue, c)
	go l.run(c)
	return nil
}

func (l *lookup) FlushBeforeWatermark(out stream.Emitter) error { return l.flush(out) }
func (l *lookup) OnWatermark(_ int64, out stream.Emitter) error { return l.flush(out) }
func (l *lookup) PrepareCheckpoint(out stream.Emitter) error    { return l.flush(out) }
func (l *lookup) EndOfInput(out stream.Emitter) error           { return l.flush(out) }

// run enriches one record off the task goroutine.
func (l *lookup) run(c *lookupCall) {
	defer close(c.done)
	defer func() {
		// A panicking Enrich is a bug: fail the task (restart with backoff)
		// rather than crash the process from a goroutine nobody can recover.
		// Like other Enrich errors it counts against this record (emitHead).
		if r := recover(); r != nil {
			c.out, c.err = nil, fmt.Errorf("lookup enrich panicked: %v", r)
		}
	}()
	g := &lookupGetter{dims: l.spec.Dims, job: l.ctx.Job}
	if l.spec.MissRetry > 0 {
		g.deadline = time.Now().Add(l.spec.MissRetry)
	}
	c.out, c.err = l.spec.Enrich(l.base, c.rec.Value, g)
}

// emitDone emits the completed calls at the head of the queue.
func (l *lookup) emitDone(out stream.Emitter) error {
	for len(l.queue) > 0 {
		select {
		case <-l.queue[0].done:
		default:
			return nil
		}
		if err := l.emitHead(out, false); err != nil {
			return err
		}
	}
	return nil
}

// flush waits for every in-flight call and emits it, in order.
func (l *lookup) flush(out stream.Emitter) error {
	for len(l.queue) > 0 {
		if err := l.emitHead(out, true); err != nil {
			return err
		}
	}
	return nil
}

// emitHead pops the head call (waiting for it if wait) and emits its result.
func (l *lookup) emitHead(out stream.Emitter, wait bool) error {
	c := l.queue[0]
	if wait {
		<-c.done
	}
	l.queue[0] = nil
	l.queue = l.queue[1:]
	if c.err != nil {
		if b, ok := stream.AsBadInput(c.err); ok {
			l.ctx.DeadLetter(&c.rec, b)
			return nil
		}
		// The failure is this record's, not that of the record the task is
		// reading now (a store error is Retryable: it never counts).
		return stream.FailedOn(&c.rec, fmt.Errorf("lookup: %w", c.err))
	}
	if c.out == nil {
		return nil // Enrich dropped the record on purpose
	}
	o := c.rec.Derive(c.rec.Key, c.out, c.rec.Time)
	out.Emit(0, &o)
	return nil
}

// ownCopy copies what an enrichment keeps past Process: the record's
// bytes belong to the caller only during the call.
func ownCopy(rec *stream.Record) stream.Record {
	var hs []rlog.Header
	if len(rec.Headers) > 0 {
		hs = make([]rlog.Header, len(rec.Headers))
		for i, h := range rec.Headers {
			hs[i] = rlog.Header{Key: h.Key, Value: append([]byte(nil), h.Value...)}
		}
	}
	return stream.Record{Key: cloneBytes(rec.Key), Value: cloneBytes(rec.Value), Time: rec.Time,
		Headers: hs, Source: rec.Source, Offset: rec.Offset}
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// lookupGetter is the get an Enrich call sees: it retries misses until the
// call's deadline and counts the misses that remain.
type lookupGetter struct {
	dims     dim.Getter
	job      string
	deadline time.Time // zero: a miss is final
}

func (g *lookupGetter) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	backoff := lookupBackoffMin
	for {
		row, ok, err := g.dims.Get(ctx, table, key)
		if err != nil {
			// The store, not the record: retried as long as it takes.
			return nil, false, stream.Retryable(err)
		}
		if ok {
			return row, ok, nil
		}
		left := time.Until(g.deadline)
		if g.deadline.IsZero() || left <= 0 {
			dim.LookupMisses.WithLabelValues(g.job, table).Inc()
			return nil, false, nil
		}
		t := time.NewTimer(min(backoff, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, lookupBackoffMax)
	}
}
