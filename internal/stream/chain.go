package stream

import (
	"fmt"
	"math"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
)

// owner is what runs a chain of operator instances: a task, or the test
// harness. It buffers outputs until the next checkpoint.
type owner interface {
	output(topic string, partition int32, rec *Record)
	// ensureTopic creates a dynamic sink's topic if it does not exist.
	ensureTopic(topic string) error
	deadLetter(rec *Record, err *BadInputError, at string)
	fail(err error)
}

type pusher interface{ push(rec *Record) }

// inst is one operator instance in a task's chain.
type inst struct {
	node *Node
	op   Operator
	ctx  *Context
	outs [][]pusher
	own  owner
	// wm is this operator's own watermark (Flink's per-operator time): it
	// moves only when the operators before it in the chain have fired
	// their timers and handed their output on, so a record an upstream
	// timer releases is judged against the watermark it was released under.
	wm int64
	// reach has bit i set when the stage's input i feeds this operator:
	// its watermark combines those inputs' watermarks.
	reach uint64
	// hold: how far this operator's watermark stays behind its inputs'
	// (the WatermarkHolders before it, stage.hold).
	hold int64

	// parser parses the records this operator receives without a parser
	// of their own (those an operator derived), so Record.JSON does not
	// allocate a parser per record. A parse lives while its record is
	// processed, and this operator's next input comes after that.
	parser fastjson.Parser
	// built parses the records the operator builds itself (Context.Adopt),
	// apart from parser so that the record being processed keeps its parse.
	built fastjson.Parser

	in, out, late          int64
	pubIn, pubOut, pubLate int64
	// sink: the operator's SinkTarget (ExternalSink), whose input is
	// published as sink records too (pubSink: how much of in was).
	sink    string
	pubSink int64
}

func (i *inst) Emit(port int, rec *Record) {
	i.out++
	outs := i.outs[port]
	for k, d := range outs {
		if k < len(outs)-1 {
			cp := *rec // fan-out: later branches must not see earlier branches' changes
			d.push(&cp)
			continue
		}
		d.push(rec)
	}
}

func (i *inst) push(rec *Record) {
	i.in++
	if rec.parser == nil {
		rec.parser = &i.parser
	}
	if err := i.op.Process(rec, i); err != nil {
		i.handle(rec, err)
	}
}

// inputPush feeds one input of a multi-input operator (Connect).
type inputPush struct {
	in    *inst
	input int
}

func (p *inputPush) push(rec *Record) {
	i := p.in
	i.in++
	if rec.parser == nil {
		rec.parser = &i.parser
	}
	if err := i.op.(MultiInput).ProcessInput(p.input, rec, i); err != nil {
		i.handle(rec, err)
	}
}

func (i *inst) handle(rec *Record, err error) {
	if b, ok := AsBadInput(err); ok {
		i.own.deadLetter(rec, b, i.node.Name)
		return
	}
	i.own.fail(fmt.Errorf("operator %s: %w", i.node.Name, err))
}

func (i *inst) fireTimers(d state.TimeDomain, upTo int64) error {
	th, ok := i.op.(TimerHandler)
	if !ok {
		return nil
	}
	_, err := i.ctx.timers.Fire(d, upTo, func(ts int64, key []byte) error {
		err := th.OnTimer(d, ts, key, i)
		if b, ok := AsBadInput(err); ok {
			// A timer has no input record to blame: the dead letter carries
			// the timer's key and time. The other due timers still fire: on a
			// quiet input no later watermark would come to fire them.
			i.own.deadLetter(&Record{Key: key, Value: []byte(b.Error()), Time: ts}, b, i.node.Name)
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("operator %s timers: %w", i.node.Name, err)
	}
	return nil
}

// advance moves this operator to watermark wm, as Flink's processWatermark:
// records it holds in flight go out under the old watermark, then its own
// watermark moves, its due event-time timers fire and OnWatermark sees wm.
// The operators after it still hold the old watermark while they receive
// that output; the task advances them next, in chain order.
func (i *inst) advance(wm int64) error {
	if err := i.flushBeforeWatermark(); err != nil {
		return err
	}
	i.wm = wm
	if err := i.fireTimers(state.EventTime, wm); err != nil {
		return err
	}
	if h, ok := i.op.(WatermarkHandler); ok {
		if err := h.OnWatermark(wm, i); err != nil {
			return fmt.Errorf("operator %s: %w", i.node.Name, err)
		}
	}
	return nil
}

func (i *inst) flushBeforeWatermark() error {
	if h, ok := i.op.(WatermarkFlusher); ok {
		if err := h.FlushBeforeWatermark(i); err != nil {
			return fmt.Errorf("operator %s: %w", i.node.Name, err)
		}
	}
	return nil
}

func (i *inst) endOfInput() error {
	if h, ok := i.op.(EndOfInputTimerHandler); ok {
		if err := i.flushBeforeWatermark(); err != nil {
			return err
		}
		for _, d := range []state.TimeDomain{state.EventTime, state.ProcessingTime} {
			err := i.ctx.timers.Peek(d, math.MaxInt64, func(ts int64, key []byte) error {
				err := h.OnEndOfInputTimer(d, ts, key, i)
				if b, ok := AsBadInput(err); ok {
					i.own.deadLetter(&Record{Key: key, Value: []byte(b.Error()), Time: ts}, b, i.node.Name)
					return nil
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("operator %s end-of-input timers: %w", i.node.Name, err)
			}
		}
	}
	if h, ok := i.op.(EndOfInputHandler); ok {
		if err := h.EndOfInput(i); err != nil {
			return fmt.Errorf("operator %s end of input: %w", i.node.Name, err)
		}
	}
	return nil
}

func (i *inst) prepareCheckpoint() error {
	if h, ok := i.op.(CheckpointHandler); ok {
		if err := h.PrepareCheckpoint(i); err != nil {
			return fmt.Errorf("operator %s checkpoint: %w", i.node.Name, err)
		}
	}
	return nil
}

// sinkPush writes records to a topic, partitioned by key.
type sinkPush struct {
	node   *Node
	own    owner
	n      int64
	encode RowEncode // typed sinks: this task's encoder
	buf    []byte    // encoded rows (output copies them)
}

func (s *sinkPush) push(rec *Record) {
	topic := s.node.topic
	if s.node.topicFn != nil {
		var err error
		if topic, err = s.node.topicFn(rec); err == nil {
			err = s.own.ensureTopic(topic)
		}
		if err != nil {
			b, ok := AsBadInput(err)
			if !ok {
				b = &BadInputError{Code: "bad_topic", Detail: err.Error()}
			}
			s.own.deadLetter(rec, b, s.node.Name)
			return
		}
	}
	if s.encode != nil && rec.Row != nil {
		v, err := s.encode(s.buf[:0], rec.Row)
		if err != nil {
			b, ok := AsBadInput(err)
			if !ok {
				b = &BadInputError{Code: "encode_failed", Detail: err.Error()}
			}
			s.own.deadLetter(rec, b, s.node.Name)
			return
		}
		s.buf = v
		cp := *rec
		cp.Value = v
		rec = &cp
	}
	s.n++
	s.own.output(topic, rlog.AutoPartition, rec)
}

// keyByPush re-keys records into a repartition topic, or, when the next
// stage is fused into this task and the key belongs to this task's
// partition, straight into that stage's operators.
type keyByPush struct {
	node       *Node
	own        owner
	partitions int32
	part       int32 // the task's partition
	local      *seg  // the fused next stage, if any
	n          int64
	buf        []byte // a typed row's binary encoding (output copies it)
	// send hands a record to another partition's task through the
	// in-memory exchange (nil: the repartition topic).
	send func(part int32, rec *Record)
	// parser parses records that reach the key function unparsed (those an
	// operator built, e.g. a join's output), as inst.parser does.
	parser fastjson.Parser
	slot   Record // the re-keyed copy of the record being pushed
}

func (k *keyByPush) push(rec *Record) {
	if rec.parser == nil {
		rec.parser = &k.parser
	}
	key, err := k.node.keyFn(rec)
	if err != nil {
		b, ok := AsBadInput(err)
		if !ok {
			b = &BadInputError{Code: "bad_key", Detail: err.Error()}
		}
		k.own.deadLetter(rec, b, k.node.Name)
		return
	}
	k.n++
	// A copy: the emitter may still hold rec (a dedup keeps emitting the
	// record it stored), and must not see its key replaced. One slot per
	// KeyBy, reused: receivers do not keep a *Record past the call (see
	// Record), and a push cannot reach its own KeyBy again (a DAG).
	k.slot = *rec
	rec = &k.slot
	rec.Key = key
	if k.node.bcast != nil && k.node.bcast(rec) { // (byte records only: Broadcast is not typed)
		rec.Headers = append(rec.Headers[:len(rec.Headers):len(rec.Headers)], rlog.Header{Key: HeaderBroadcast, Value: []byte{'1'}})
		for p := int32(0); p < k.partitions; p++ {
			if k.local != nil && p == k.part {
				cp := *rec
				pushAll(k.local.root, &cp)
				continue
			}
			k.out(p, rec)
		}
		return
	}
	target := rlog.PartitionFor(key, k.partitions)
	if k.local != nil && target == k.part {
		// Same record, same parse (or row): the repartition path would
		// re-read the same bytes (see Record.JSON for why a parse is valid).
		pushAll(k.local.root, rec)
		return
	}
	if k.node.schema != nil {
		if !k.encodeRow(rec) {
			return
		}
	}
	k.out(target, rec)
}

func (k *keyByPush) out(part int32, rec *Record) {
	if k.send != nil {
		k.send(part, rec)
		return
	}
	k.own.output(k.node.topic, part, rec)
}

// encodeRow puts a typed record's row, in binary, into its Value for the
// repartition topic; the next stage decodes it (KeyByColumns).
func (k *keyByPush) encodeRow(rec *Record) bool {
	v, err := row.AppendRow(k.buf[:0], k.node.schema, rec.Row)
	if err != nil {
		k.own.deadLetter(rec, &BadInputError{Code: "bad_row", Detail: err.Error()}, k.node.Name)
		return false
	}
	k.buf = v
	rec.Value = v
	return true
}
