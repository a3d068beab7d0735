package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
)

// task runs one stage of a job on one input partition.
type task struct {
	o      *Options
	stage  *stage
	job    *Job
	tp     rlog.TopicPartition
	group  string
	drain  string // drain run id; empty when unbounded
	logger *slog.Logger

	store *state.Store
	meta  *state.ValueState
	insts []*inst
	root  []pusher
	sinks []*sinkPush
	keyBy []*keyByPush
	parts map[string]int32 // partitions of every topic this task writes

	offset, committed int64
	end               int64 // drain: stop here (external input)
	clock             inputClock
	wm                int64
	idle              bool
	sent              marker
	sentOK            bool

	rec     Record
	parser  fastjson.Parser
	pending []rlog.Record
	pendSz  int
	arena   arena
	dl      map[string]int64
	err     error
	lastCP  time.Time

	checkpoints int // committed by this incarnation (resets restart backoff)
}

func newTask(o *Options, st *stage, part int32, parts map[string]int32, producers int32, drain string) *task {
	t := &task{
		o: o, stage: st, job: st.job, group: st.job.Name, drain: drain, parts: parts,
		tp:     rlog.TopicPartition{Topic: st.input.topic, Partition: part},
		logger: o.Logger.With("job", st.job.Name, "stage", st.id, "partition", part),
		dl:     map[string]int64{},
		wm:     MinWatermark,
	}
	t.clock.maxTime = MinWatermark
	if st.input.kind == kindKeyBy {
		t.clock.producers = make([]producerClock, producers)
		for i := range t.clock.producers {
			t.clock.producers[i].WM = MinWatermark
		}
	}
	return t
}

func (t *task) stageLabel() string { return strconv.Itoa(t.stage.id) }

// open restores the task's position and state and instantiates its chain.
func (t *task) open(ctx context.Context) error {
	l := t.o.Log
	t.store = state.NewStore(l.StateStore(), t.o.Now)
	t.meta = t.store.Value(state.Scope{Job: t.job.Name, Operator: "_task" + t.stageLabel(), Partition: t.tp.Partition}, "meta")
	start, end, err := l.Offsets(ctx, t.tp)
	if err != nil {
		return err
	}
	t.end = end
	off, ok, err := l.CommittedOffset(ctx, t.group, t.tp)
	if err != nil {
		return err
	}
	if !ok || off < start {
		if ok {
			t.logger.Warn("committed offset was deleted by retention; resuming at log start", "committed", off, "start", start)
		}
		off = start
	}
	t.offset, t.committed = off, off
	if raw, ok, err := t.meta.Get([]byte("m")); err != nil {
		return err
	} else if ok {
		var m taskMeta
		if err := jsonUnmarshal(raw, &m); err != nil {
			return fmt.Errorf("task metadata: %w", err)
		}
		t.wm, t.clock.maxTime = m.WM, m.MaxTime
		if len(m.Producers) == len(t.clock.producers) {
			copy(t.clock.producers, m.Producers)
		}
		if m.Sent != nil {
			t.sent, t.sentOK = *m.Sent, true
		}
	}
	t.clock.lastActivity = t.o.Now()

	// Instantiate the chain: nodes are in topological order, so build
	// pushers from the last node back to the first.
	push := map[*Node]pusher{}
	for i := len(t.stage.nodes) - 1; i >= 0; i-- {
		n := t.stage.nodes[i]
		switch n.kind {
		case kindSink:
			s := &sinkPush{node: n, own: t}
			t.sinks = append(t.sinks, s)
			push[n] = s
		case kindKeyBy:
			k := &keyByPush{node: n, own: t, partitions: t.parts[n.topic]}
			t.keyBy = append(t.keyBy, k)
			push[n] = k
		case kindOperator:
			in := &inst{node: n, op: n.factory(), own: t}
			in.ctx = &Context{Job: t.job.Name, Operator: n.Name, Partition: t.tp.Partition,
				Logger: t.logger.With("operator", n.Name), store: t.store, wm: &t.wm, now: t.o.Now, late: &in.late}
			in.ctx.timers = t.store.Timers(in.ctx.scope())
			in.outs = make([][]pusher, len(n.outs))
			for p, ds := range n.outs {
				for _, d := range ds {
					in.outs[p] = append(in.outs[p], push[d])
				}
			}
			t.insts = append([]*inst{in}, t.insts...)
			push[n] = in
		}
	}
	for _, d := range t.stage.input.outs[0] {
		t.root = append(t.root, push[d])
	}
	for _, in := range t.insts {
		if err := in.op.Open(in.ctx); err != nil {
			return fmt.Errorf("open operator %s: %w", in.node.Name, err)
		}
	}
	t.lastCP = t.o.Now()
	return nil
}

// run processes input until ctx ends (then commits and returns nil), until
// a drained input is exhausted, or until an error.
func (t *task) run(ctx context.Context) error {
	if err := t.open(ctx); err != nil {
		return fmt.Errorf("%s partition %d: %w", t.stage, t.tp.Partition, err)
	}
	defer t.store.Close()
	for {
		if ctx.Err() != nil {
			return t.checkpoint("")
		}
		if t.drain != "" && t.drained() {
			for _, in := range t.insts {
				if err := in.endOfInput(); err != nil {
					return err
				}
			}
			if t.err != nil {
				return t.err
			}
			return t.checkpoint(t.drain)
		}
		wait := min(100*time.Millisecond, max(time.Millisecond, t.o.Interval-t.o.Now().Sub(t.lastCP)))
		recs, err := t.o.Log.Fetch(ctx, t.tp, t.offset, t.o.FetchMax, wait)
		switch {
		case errors.Is(err, rlog.ErrOffsetOutOfRange):
			start, _, oerr := t.o.Log.Offsets(ctx, t.tp)
			if oerr != nil {
				return oerr
			}
			t.logger.Warn("input offset deleted by retention; skipping to log start", "offset", t.offset, "start", start)
			t.offset = start
			continue
		case err != nil && ctx.Err() != nil:
			continue // shutting down: the loop top commits
		case err != nil:
			return fmt.Errorf("fetch %s: %w", t.tp, err)
		}
		if err := t.process(recs); err != nil {
			return err
		}
		if err := t.timersAndWatermark(len(recs) == 0); err != nil {
			return err
		}
		if t.o.Now().Sub(t.lastCP) >= t.o.Interval || t.pendSz >= t.o.MaxPendingBytes || t.store.Pending() >= t.o.MaxPendingBytes {
			if err := t.checkpoint(""); err != nil {
				return err
			}
		}
	}
}

func (t *task) drained() bool {
	if t.clock.producers == nil {
		return t.offset >= t.end
	}
	for _, p := range t.clock.producers {
		if p.End != t.drain {
			return false
		}
	}
	return true
}

func (t *task) process(recs []rlog.Record) error {
	src := &t.stage.input.src
	for i := range recs {
		lr := &recs[i]
		t.offset = lr.Offset + 1
		if t.drain != "" && t.clock.producers == nil && lr.Offset >= t.end {
			t.offset = lr.Offset // past the drain boundary: leave it for the next run
			break
		}
		if t.clock.producers != nil && string(lr.Header(HeaderControl)) == controlWatermark {
			if err := t.onMarker(lr); err != nil {
				return err
			}
			continue
		}
		t.rec = Record{Key: lr.Key, Value: lr.Value, Time: lr.Timestamp, Headers: lr.Headers,
			Source: t.tp, Offset: lr.Offset, parser: &t.parser}
		if t.clock.producers == nil {
			if src.EventTime != nil {
				if ts, ok := src.EventTime(&t.rec); ok {
					t.rec.Time = ts
					t.clock.maxTime = max(t.clock.maxTime, ts)
				}
			} else {
				t.clock.maxTime = max(t.clock.maxTime, lr.Timestamp)
			}
		}
		for k, p := range t.root {
			if k < len(t.root)-1 {
				cp := t.rec
				p.push(&cp)
				continue
			}
			p.push(&t.rec)
		}
		if t.err != nil {
			return t.err
		}
	}
	if len(recs) > 0 {
		t.clock.lastActivity = t.o.Now()
		t.clock.idle = false
	}
	return nil
}

func (t *task) onMarker(lr *rlog.Record) error {
	m, err := decodeMarker(lr.Value)
	if err != nil || m.Producer < 0 || int(m.Producer) >= len(t.clock.producers) {
		t.logger.Warn("ignoring malformed watermark marker", "offset", lr.Offset, "err", err)
		return nil
	}
	p := &t.clock.producers[m.Producer]
	p.WM = max(p.WM, m.WM)
	p.Idle = m.Idle
	if m.End != "" {
		p.End = m.End
	}
	return nil
}

// timersAndWatermark advances the watermark (firing event-time timers) and
// fires due processing-time timers.
func (t *task) timersAndWatermark(emptyFetch bool) error {
	now := t.o.Now()
	if t.clock.producers == nil && emptyFetch && !t.clock.idle &&
		now.Sub(t.clock.lastActivity) >= t.stage.input.src.IdleTimeout {
		t.clock.idle = true
	}
	wm, idle := t.clock.watermark(t.stage.input.src.OutOfOrderness)
	t.idle = idle
	if wm > t.wm {
		t.wm = wm
		for _, in := range t.insts {
			if err := in.advance(wm); err != nil {
				return err
			}
		}
	}
	for _, in := range t.insts {
		if err := in.fireTimers(state.ProcessingTime, now.UnixMilli()); err != nil {
			return err
		}
	}
	return t.err
}

// checkpoint commits outputs, state and the input offset atomically.
// endID, when set, marks this task's end of a drained run downstream.
func (t *task) checkpoint(endID string) error {
	for _, in := range t.insts {
		if err := in.prepareCheckpoint(); err != nil {
			return err
		}
	}
	if t.err != nil {
		return t.err
	}
	m := marker{Producer: t.tp.Partition, WM: t.wm, Idle: t.idle, End: endID}
	markerDue := len(t.keyBy) > 0 && (!t.sentOK || m != t.sent)
	if markerDue {
		for _, k := range t.keyBy {
			for p := int32(0); p < k.partitions; p++ {
				t.pending = append(t.pending, rlog.Record{Topic: k.node.topic, Partition: p, Value: m.encode(),
					Headers: []rlog.Header{{Key: HeaderControl, Value: []byte(controlWatermark)}}})
			}
		}
		t.sent, t.sentOK = m, true
	}
	if len(t.pending) == 0 && t.offset == t.committed && t.store.Batch().Empty() {
		t.lastCP = t.o.Now()
		return nil
	}
	meta := taskMeta{WM: t.wm, MaxTime: t.clock.maxTime, Producers: t.clock.producers}
	if t.sentOK {
		meta.Sent = &t.sent
	}
	if err := t.meta.Put([]byte("m"), jsonMarshal(meta)); err != nil {
		return err
	}
	began := time.Now()
	// A checkpoint must complete even while the task is being stopped.
	err := t.o.Log.Commit(context.Background(), &rlog.Txn{
		Records: t.pending, Group: t.group,
		Offsets: map[rlog.TopicPartition]int64{t.tp: t.offset},
		State:   t.store.Batch(),
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s partition %d: %w", t.stage, t.tp.Partition, err)
	}
	t.store.Committed()
	t.o.Metrics.Checkpoint.WithLabelValues(t.job.Name).Observe(time.Since(began).Seconds())
	t.committed = t.offset
	t.checkpoints++
	clear(t.pending)
	t.pending, t.pendSz = t.pending[:0], 0
	t.arena.reset()
	t.publish()
	if _, err := t.store.Sweep(1000); err != nil {
		return err
	}
	t.lastCP = t.o.Now()
	return nil
}

func (t *task) publish() {
	m, job := t.o.Metrics, t.job.Name
	for _, in := range t.insts {
		add(m.RecordsIn.WithLabelValues(job, in.node.Name), &in.in, &in.pubIn)
		add(m.RecordsOut.WithLabelValues(job, in.node.Name), &in.out, &in.pubOut)
		add(m.Late.WithLabelValues(job, in.node.Name), &in.late, &in.pubLate)
	}
	for code, n := range t.dl {
		m.DeadLetters.WithLabelValues(job, code).Add(float64(n))
		delete(t.dl, code)
	}
	if _, end, err := t.o.Log.Offsets(context.Background(), t.tp); err == nil {
		m.Lag.WithLabelValues(job, t.tp.Topic, strconv.Itoa(int(t.tp.Partition))).Set(float64(end - t.committed))
	}
	if t.wm != MinWatermark {
		m.Watermark.WithLabelValues(job, t.stageLabel(), strconv.Itoa(int(t.tp.Partition))).Set(float64(t.wm))
	}
}

func add(c prometheus.Counter, n, pub *int64) {
	if *n != *pub {
		c.Add(float64(*n - *pub))
		*pub = *n
	}
}

// output buffers a record for the next checkpoint, copying its bytes.
func (t *task) output(topic string, partition int32, rec *Record) {
	sz := len(rec.Key) + len(rec.Value)
	if sz > t.o.MaxRecordBytes {
		if topic == t.job.DeadLetter {
			rec.Value = rec.Value[:max(0, t.o.MaxRecordBytes-len(rec.Key)-4096)]
			rec.Headers = append(rec.Headers[:len(rec.Headers):len(rec.Headers)], rlog.Header{Key: "rtdw.truncated", Value: []byte(strconv.Itoa(sz))})
		} else {
			t.deadLetter(rec, &BadInputError{Code: "output_too_large", Detail: fmt.Sprintf("%d bytes for %s (max %d)", sz, topic, t.o.MaxRecordBytes)}, "sink_"+topic)
			return
		}
	}
	t.pending = append(t.pending, rlog.Record{Topic: topic, Partition: partition,
		Key: t.arena.copy(rec.Key), Value: t.arena.copy(rec.Value), Headers: rec.Headers, Timestamp: rec.Time})
	t.pendSz += sz
}

func (t *task) deadLetter(rec *Record, b *BadInputError, at string) {
	t.dl[b.Code]++
	h := append(rec.Headers[:len(rec.Headers):len(rec.Headers)],
		rlog.Header{Key: HeaderReason, Value: []byte(b.Error())},
		rlog.Header{Key: HeaderJob, Value: []byte(t.job.Name + "/" + at)},
		rlog.Header{Key: HeaderSource, Value: []byte(rec.Source.String() + "@" + strconv.FormatInt(rec.Offset, 10))})
	dl := Record{Key: rec.Key, Value: rec.Value, Time: rec.Time, Headers: h}
	t.output(t.job.DeadLetter, rlog.AutoPartition, &dl)
}

func (t *task) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// arena copies output bytes into large chunks so a checkpoint's worth of
// records costs a few allocations, not one per record.
type arena struct{ cur []byte }

func (a *arena) copy(b []byte) []byte {
	if b == nil {
		return nil
	}
	if cap(a.cur)-len(a.cur) < len(b) {
		a.cur = make([]byte, 0, max(1<<20, len(b)))
	}
	n := len(a.cur)
	a.cur = append(a.cur, b...)
	return a.cur[n:len(a.cur):len(a.cur)]
}

// reset reuses the current chunk once the records pointing into it are committed.
func (a *arena) reset() { a.cur = a.cur[:0] }
