package stream

import (
	"log/slog"
	"time"

	"github.com/rtdw/rtdw/internal/state"
)

// Operator processes records one at a time. A new instance is made per task
// (per partition) by the operator's factory, so instances need no locking.
type Operator interface {
	// Open is called once before the first record, after state is restored.
	Open(ctx *Context) error
	// Process handles one record. Return a BadInputError to dead-letter it.
	Process(rec *Record, out Emitter) error
}

// Optional operator capabilities.
type (
	// MultiInput operators (Connect, Union) receive each record with the
	// index of the input it came from; Process is not called for them.
	MultiInput interface {
		ProcessInput(input int, rec *Record, out Emitter) error
	}
	// Ported operators name their outputs; the first is the main output.
	Ported interface{ Ports() []string }
	// TimerHandler receives fired timers. The key is lent, as a record
	// is: valid during the call (copy what you keep).
	TimerHandler interface {
		OnTimer(domain state.TimeDomain, ts int64, key []byte, out Emitter) error
	}
	// WatermarkHandler sees each advance of the operator's watermark, after
	// its due timers fired. Each operator has its own watermark: it moves
	// after the operators before it in the chain moved theirs and their
	// output (from timers and OnWatermark) reached this operator.
	WatermarkHandler interface {
		OnWatermark(wm int64, out Emitter) error
	}
	// WatermarkFlusher emits the records an operator holds in flight (an
	// async lookup) before its watermark advances, so they reach the
	// operators after it under the watermark they were read under (the
	// records an operator emits from OnWatermark go out under the new one).
	WatermarkFlusher interface{ FlushBeforeWatermark(out Emitter) error }
	// WatermarkHolder is an operator whose output may be up to the hold
	// older than its watermark (an interval join's matches carry the
	// partner's time): the operators after it, and the stages it feeds,
	// see its watermark minus the hold, as Flink's interval join holds
	// back its output watermark, so they do not judge that output late.
	WatermarkHolder interface{ WatermarkHold() time.Duration }
	// EndOfInputTimerHandler: when a drained (bounded) run reaches the end
	// of its input, the engine visits every timer the operator registered,
	// event time first, then processing time, each in time order (the
	// final watermark of a bounded stream), before EndOfInput: emit what
	// the timer would emit at the end of the stream (an open window).
	// Timers stay registered and state stays unless the operator removes
	// it, so a later run continues (a window emitted here is emitted again,
	// complete, when the watermark really passes it). Operators without
	// this method (cleanup timers: an interval join's TTL) are not called.
	EndOfInputTimerHandler interface {
		OnEndOfInputTimer(domain state.TimeDomain, ts int64, key []byte, out Emitter) error
	}
	// EndOfInputHandler is called when a drained (bounded) run reaches the
	// end of its input, after its end-of-input timers: emit what would be
	// emitted at end of stream without discarding state, so a later run
	// continues.
	EndOfInputHandler interface{ EndOfInput(out Emitter) error }
	// ExternalSink is an operator that writes its input outside the log (a
	// database, files, stdout): the records it receives are its job's
	// output, counted in rtdw_sink_records_total under SinkTarget, as the
	// records written to a topic are under the topic.
	ExternalSink interface{ SinkTarget() string }
	// CheckpointHandler flushes operator buffers into state or outputs
	// before a checkpoint commits.
	CheckpointHandler interface{ PrepareCheckpoint(out Emitter) error }
)

// Factory makes one operator instance per task.
type Factory func() Operator

// MinWatermark is the watermark before any input was seen.
const MinWatermark int64 = -1 << 63

// Context is an operator instance's handle on its task: keyed state,
// timers, the watermark and the processing-time clock.
type Context struct {
	Job       string
	Operator  string
	Partition int32
	Logger    *slog.Logger

	store  *state.Store
	timers *state.Timers
	wm     *int64
	now    func() time.Time
	late   *int64
	in     *inst
	counts map[countKey]int64 // CountSkipped, CountRepaired
	// draining: the task runs drained (Options.Drain).
	draining bool
}

func (c *Context) scope() state.Scope {
	return state.Scope{Job: c.Job, Operator: c.Operator, Partition: c.Partition}
}

// Value returns keyed value state owned by this operator instance.
func (c *Context) Value(name string, opts ...state.Option) *state.ValueState {
	return c.store.Value(c.scope(), name, opts...)
}

// Map returns keyed map state owned by this operator instance.
func (c *Context) Map(name string, opts ...state.Option) *state.MapState {
	return c.store.Map(c.scope(), name, opts...)
}

// EventTimeTTL is a state option: an entry expires ttl after its last
// write measured on this operator's watermark, so a job that lags (or
// replays a backlog) keeps state exactly as long, in business time, as a
// job that keeps up; processing-time TTL (state.WithTTL) would expire it
// by the wall clock. Expired entries read as absent and are swept at
// checkpoints.
func (c *Context) EventTimeTTL(ttl time.Duration) state.Option {
	return state.WithEventTimeTTL(ttl, c.Watermark)
}

// RegisterTimer registers a timer for key at ts in the given domain.
func (c *Context) RegisterTimer(d state.TimeDomain, ts int64, key []byte) error {
	return c.timers.Register(d, ts, key)
}

// DeleteTimer removes a registered timer.
func (c *Context) DeleteTimer(d state.TimeDomain, ts int64, key []byte) error {
	return c.timers.Delete(d, ts, key)
}

// Watermark is this operator's current event-time watermark.
func (c *Context) Watermark() int64 { return *c.wm }

// Now is the processing-time clock (a manual clock under the test harness).
func (c *Context) Now() time.Time { return c.now() }

// Draining reports whether the task runs drained (bounded, Options.Drain).
// A drained run's output must not depend on how fast it ran: an operator
// whose processing-time timers would change what it emits (a hold bounded
// by the wall clock) does without them while draining; the end of input
// settles what they would have (EndOfInputTimerHandler, EndOfInputHandler).
func (c *Context) Draining() bool { return c.draining }

// Exclusive reports that no other incarnation of this task can run while
// this one does: embedded mode, where one process owns the data dir and
// restarts a task only after the failed one returned. External writes
// then need no fencing against a zombie (a stalled worker whose partition
// moved on, cluster mode); replays still happen and must be idempotent.
// False in cluster mode and in the Harness (which plays zombies).
func (c *Context) Exclusive() bool {
	if c.in == nil {
		return false
	}
	t, ok := c.in.own.(*task)
	return ok && !t.cluster
}

// CountLate counts a record that arrived behind the watermark; the operator
// must still route it somewhere (a side output), never drop it silently.
func (c *Context) CountLate() { *c.late++ }

// DeadLetter sends rec to the job's dead-letter topic with b's reason, as
// returning b from Process would. It is for operators that finish records
// after the call that brought them (async lookups); call it only from the
// task goroutine (Process, OnWatermark, PrepareCheckpoint, EndOfInput).
func (c *Context) DeadLetter(rec *Record, b *BadInputError) {
	c.in.own.deadLetter(rec, b, c.in.node.Name)
}

// Store exposes the task's state store (for operators that scan state).
func (c *Context) Store() *state.Store { return c.store }

// Adopt gives a record the operator built itself (from state, on a timer)
// the operator's parser for Record.JSON, instead of a new parser per record
// (whose buffers grow from nothing each time). The parse stays valid until
// the next adopted record is parsed, so adopt each record just before
// processing it, as the runtime does with input records.
func (c *Context) Adopt(r *Record) {
	if r.parser == nil && c.in != nil {
		r.parser = &c.in.built
	}
}

// Scope is this operator instance's state scope.
func (c *Context) Scope() state.Scope { return c.scope() }
