package dws

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// eventOrdered feeds a keyed operator its records in event-time order: a
// record waits in keyed state until the watermark passes its time. The
// first-visit steps need it: a key's records come from several input
// partitions, which a task reads independently, so arrival order can put
// a user's next-day record before today's (a replay, a backlog) and
// "first of the day" would then depend on partitioning. Waiting costs no
// freshness: the window after the step closes only when the watermark
// passes its end, after every earlier record has been released. A record
// already behind the watermark is passed on at once (the window judges
// whether it is late). At the end of a drained input everything waiting is
// released, in time order.
func eventOrdered(inner stream.Factory) stream.Factory {
	return func() stream.Operator { return &ordered{inner: inner()} }
}

type ordered struct {
	inner stream.Operator
	ctx   *stream.Context
	buf   *state.MapState // key -> event time (8 bytes) -> values, each length-prefixed
}

func (o *ordered) Ports() []string {
	if p, ok := o.inner.(stream.Ported); ok {
		return p.Ports()
	}
	return []string{"out"}
}

func (o *ordered) Open(ctx *stream.Context) error {
	o.ctx, o.buf = ctx, ctx.Map("_ordered_buffer", state.WriteOnceReadOnce())
	return o.inner.Open(ctx)
}

func (o *ordered) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Time <= o.ctx.Watermark() {
		return o.inner.Process(rec, out)
	}
	// Bad input is the inner step's call, when the record is released:
	// the dead letter then has no source position, so check the JSON now.
	if _, err := parse(rec); err != nil {
		return err
	}
	tk := binary.BigEndian.AppendUint64(nil, uint64(rec.Time))
	vals, _, err := o.buf.Get(rec.Key, tk)
	if err != nil {
		return err
	}
	vals = binary.AppendUvarint(vals, uint64(len(rec.Value))) // Get returns a copy
	if err := o.buf.Put(rec.Key, tk, append(vals, rec.Value...)); err != nil {
		return err
	}
	return o.ctx.RegisterTimer(state.EventTime, rec.Time, rec.Key)
}

func (o *ordered) OnTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime {
		if th, ok := o.inner.(stream.TimerHandler); ok {
			return th.OnTimer(d, ts, key, out)
		}
		return nil
	}
	return o.release(ts, key, out)
}

// release passes the records of key at ts to the inner operator, in
// arrival order. A bad record is dead-lettered (no input position: it was
// buffered) and the others go on.
func (o *ordered) release(ts int64, key []byte, out stream.Emitter) error {
	tk := binary.BigEndian.AppendUint64(nil, uint64(ts))
	vals, ok, err := o.buf.Get(key, tk)
	if err != nil || !ok {
		return err
	}
	if err := o.buf.Delete(key, tk); err != nil { // vals is a copy (Get)
		return err
	}
	key = bytes.Clone(key) // once for the records below: the timer's key is only lent
	for len(vals) > 0 {
		n, k := binary.Uvarint(vals)
		if k <= 0 || uint64(len(vals)-k) < n {
			return fmt.Errorf("dws: corrupt ordering buffer")
		}
		rec := stream.Record{Key: key, Value: vals[k : k+int(n)], Time: ts}
		o.ctx.Adopt(&rec)
		vals = vals[k+int(n):]
		if err := o.inner.Process(&rec, out); err != nil {
			b, bad := stream.AsBadInput(err)
			if !bad {
				return err
			}
			o.ctx.DeadLetter(&rec, b)
		}
	}
	return nil
}

// OnEndOfInputTimer releases everything still waiting, in time order (the
// engine visits the timers in order); the inner operator's own timers are
// its business.
func (o *ordered) OnEndOfInputTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d == state.EventTime {
		return o.release(ts, key, out)
	}
	if h, ok := o.inner.(stream.EndOfInputTimerHandler); ok {
		return h.OnEndOfInputTimer(d, ts, key, out)
	}
	return nil
}

// EndOfInput ends the inner operator's input.
func (o *ordered) EndOfInput(out stream.Emitter) error {
	if h, ok := o.inner.(stream.EndOfInputHandler); ok {
		return h.EndOfInput(out)
	}
	return nil
}
