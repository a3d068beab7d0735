package stream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"

	"github.com/rtdw/rtdw/internal/state"
)

// Harness runs one operator the way a task does (same instance, timer,
// watermark and dead-letter code) on a manual clock, so its tests can feed
// records, watermarks and checkpoints, then restore and continue, as
// Flink's operator test harness does.
//
// Outputs follow the checkpoint contract: what is emitted after the last
// Checkpoint is discarded by Restore, as a crash would.
type Harness struct {
	db      *pebble.DB
	name    string
	factory Factory
	clock   time.Time
	wm      int64
	store   *state.Store
	in      *inst
	ports   []string
	err     error

	pending, committed         [][]Record
	deadPending, deadCommitted []Record
	// inputs: the records fed with a source position, as an input log
	// that Context.Refetch reads back.
	inputs map[inputPos]rlog.Record
}

type inputPos struct {
	tp     rlog.TopicPartition
	offset int64
}

func (h *Harness) remember(rec *Record) {
	if rec.Source.Topic == "" || isRepartitionTopic(rec.Source.Topic) {
		return
	}
	if h.inputs == nil {
		h.inputs = map[inputPos]rlog.Record{}
	}
	h.inputs[inputPos{rec.Source, rec.Offset}] = rlog.Record{Topic: rec.Source.Topic, Partition: rec.Source.Partition, Offset: rec.Offset,
		Key: bytes.Clone(rec.Key), Value: bytes.Clone(rec.Value), Headers: slices.Clone(rec.Headers)}
}

func (h *Harness) canRefetch(tp rlog.TopicPartition) bool {
	return tp.Topic != "" && !isRepartitionTopic(tp.Topic)
}

func (h *Harness) refetch(tp rlog.TopicPartition, offset int64) (rlog.Record, error) {
	r, ok := h.inputs[inputPos{tp, offset}]
	if !ok {
		return rlog.Record{}, ErrGone
	}
	return r, nil
}

// ForgetInput drops a fed record from the harness's input log, as
// retention would: Context.Refetch then fails with ErrGone.
func (h *Harness) ForgetInput(tp rlog.TopicPartition, offset int64) {
	delete(h.inputs, inputPos{tp, offset})
}

// NewHarness opens the operator made by f on db, starting at processing time start.
func NewHarness(db *pebble.DB, name string, f Factory, start time.Time) (*Harness, error) {
	h := &Harness{db: db, name: name, factory: f, clock: start, wm: MinWatermark}
	if err := h.Restore(); err != nil {
		return nil, err
	}
	h.committed = make([][]Record, len(h.ports))
	return h, nil
}

type collector struct {
	h    *Harness
	port int
}

func (c collector) push(rec *Record) {
	cp := Record{Key: append([]byte(nil), rec.Key...), Value: append([]byte(nil), rec.Value...), Time: rec.Time, Headers: rec.Headers}
	if rec.Row != nil {
		r := rec.Row.Clone()
		cp.Row = &r
	}
	c.h.pending[c.port] = append(c.h.pending[c.port], cp)
}

func (h *Harness) output(string, int32, *Record) {}
func (h *Harness) ensureTopic(string) error      { return nil }
func (h *Harness) deadLetter(rec *Record, b *BadInputError, at string) {
	cp := rec.Derive(append([]byte(nil), rec.Key...), append([]byte(nil), rec.Value...), rec.Time)
	cp.Headers = append(cp.Headers[:len(cp.Headers):len(cp.Headers)], rlog.Header{Key: HeaderReason, Value: []byte(b.Error())})
	h.deadPending = append(h.deadPending, cp)
}
func (h *Harness) fail(err error) {
	if h.err == nil {
		h.err = err
	}
}

func (h *Harness) takeErr() error {
	err := h.err
	h.err = nil
	return err
}

var harnessWM = []byte("wm")

// Restore drops everything since the last checkpoint and reopens a fresh
// operator instance on the committed state, as a restarted task would.
func (h *Harness) Restore() error {
	if h.store != nil {
		h.store.Close()
	}
	h.store = state.NewStore(h.db, func() time.Time { return h.clock })
	ctx := &Context{Job: "harness", Operator: h.name, Logger: slog.Default(), store: h.store, now: func() time.Time { return h.clock }}
	ctx.timers = h.store.Timers(ctx.scope())
	h.wm = MinWatermark
	if v, ok, err := h.meta().Get(harnessWM); err != nil {
		return err
	} else if ok {
		h.wm = int64(binary.BigEndian.Uint64(v))
	}
	op := h.factory()
	h.ports = []string{"out"}
	if p, ok := op.(Ported); ok {
		h.ports = p.Ports()
	}
	in := &inst{node: &Node{Name: h.name, ports: h.ports}, op: op, ctx: ctx, own: h, wm: h.wm}
	ctx.late, ctx.wm = &in.late, &in.wm
	ctx.in = in
	for i := range h.ports {
		in.outs = append(in.outs, []pusher{collector{h, i}})
	}
	h.in = in
	h.pending = make([][]Record, len(h.ports))
	h.deadPending = nil
	return op.Open(ctx)
}

func (h *Harness) meta() *state.ValueState {
	return h.store.Value(state.Scope{Job: "harness", Operator: "_harness_" + h.name}, "wm")
}

// Process feeds one record.
func (h *Harness) Process(rec Record) error {
	rec.parser, rec.json, rec.jerr = nil, nil, nil
	h.remember(&rec)
	h.in.push(&rec)
	return h.takeErr()
}

// ProcessInput feeds one record to input i of a multi-input operator
// (one made for Connect: it implements MultiInput).
func (h *Harness) ProcessInput(i int, rec Record) error {
	if _, ok := h.in.op.(MultiInput); !ok {
		return fmt.Errorf("harness: %s is not a MultiInput operator", h.name)
	}
	rec.parser, rec.json, rec.jerr = nil, nil, nil
	h.remember(&rec)
	(&inputPush{in: h.in, input: i}).push(&rec)
	return h.takeErr()
}

// Watermark advances event time, firing due event-time timers.
func (h *Harness) Watermark(wm int64) error {
	if wm <= h.wm {
		return nil
	}
	h.wm = wm
	if err := h.in.advance(wm); err != nil {
		return err
	}
	return h.takeErr()
}

// SetTime moves the processing-time clock, firing due processing-time timers.
func (h *Harness) SetTime(t time.Time) error {
	h.clock = t
	if err := h.in.fireTimers(state.ProcessingTime, t.UnixMilli()); err != nil {
		return err
	}
	return h.takeErr()
}

// MoveClock moves the processing-time clock without firing timers: a
// task fires processing-time timers between fetches, so an operator can
// see a record with the clock past a timer that has not fired yet.
func (h *Harness) MoveClock(t time.Time) { h.clock = t }

// Now is the harness clock.
func (h *Harness) Now() time.Time { return h.clock }

// EndOfInput signals the end of a bounded input.
func (h *Harness) EndOfInput() error {
	if err := h.in.endOfInput(); err != nil {
		return err
	}
	return h.takeErr()
}

// Checkpoint commits state and makes pending outputs committed.
func (h *Harness) Checkpoint() error {
	if err := h.in.prepareCheckpoint(); err != nil {
		return err
	}
	if err := h.takeErr(); err != nil {
		return err
	}
	if err := h.meta().Put(harnessWM, binary.BigEndian.AppendUint64(nil, uint64(h.wm))); err != nil {
		return err
	}
	if err := h.store.Batch().Commit(pebble.NoSync); err != nil {
		return err
	}
	h.store.Committed()
	for i := range h.pending {
		h.committed[i] = append(h.committed[i], h.pending[i]...)
		h.pending[i] = nil
	}
	h.deadCommitted = append(h.deadCommitted, h.deadPending...)
	h.deadPending = nil
	if err := h.in.notifyCommitted(); err != nil {
		return err
	}
	return h.takeErr()
}

// Output returns the committed output of a port.
func (h *Harness) Output(port string) []Record {
	for i, p := range h.ports {
		if p == port {
			return h.committed[i]
		}
	}
	panic(fmt.Sprintf("harness: operator has no port %q (ports %v)", port, h.ports))
}

// DeadLetters returns committed dead letters (reason in header rtdw.reason).
func (h *Harness) DeadLetters() []Record { return h.deadCommitted }

// Late is how many records the operator counted late (Context.CountLate)
// since it was last opened.
func (h *Harness) Late() int64 { return h.in.late }

// Close releases the harness's uncommitted state.
func (h *Harness) Close() { h.store.Close() }
