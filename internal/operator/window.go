package operator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// Window is an event-time window [Start, End) in epoch milliseconds.
type Window struct{ Start, End int64 }

// Aggregator folds a key's records of one window into an accumulator and
// turns the accumulator into output when the window closes. Accumulators
// are bytes because they live in keyed state (checkpointed, restored).
type Aggregator interface {
	// Add returns acc (nil for the window's first record) with rec folded in.
	Add(acc []byte, rec *stream.Record) ([]byte, error)
	// Emit writes the closed window's result for key to out (port 0).
	Emit(key []byte, w Window, acc []byte, out stream.Emitter) error
}

// Window ports: results, and records that arrived after their window closed.
const (
	PortWindows = "windows"
	PortLate    = "late"
)

// TumblingWindow aggregates records, per key, into event-time tumbling
// windows of size: a window [s, s+size) closes when the watermark reaches
// s+size-1 (Flink's semantics), emitting once. A record whose window has
// already closed is late: it is counted (rtdw_late_records_total) and
// emitted unchanged on the "late" port, never silently dropped. It must
// follow a KeyBy. At the end of a drained input every open window is
// emitted without being discarded, so a later run that continues it
// re-emits the complete window (sinks upsert by window and key).
func TumblingWindow(size time.Duration, agg Aggregator) stream.Factory {
	ms := size.Milliseconds()
	if ms <= 0 {
		panic(fmt.Sprintf("operator: window size %s must be at least 1ms", size))
	}
	return func() stream.Operator { return &tumbling{size: ms, agg: agg} }
}

type tumbling struct {
	size int64
	agg  Aggregator
	ctx  *stream.Context
	accs *state.MapState // key -> window end (8 bytes, big endian) -> accumulator
}

func (w *tumbling) Ports() []string { return []string{PortWindows, PortLate} }

func (w *tumbling) Open(ctx *stream.Context) error {
	w.ctx, w.accs = ctx, ctx.Map("windows")
	return nil
}

func (w *tumbling) windowOf(t int64) Window {
	start := t - ((t%w.size)+w.size)%w.size // floor, also for negative times
	return Window{Start: start, End: start + w.size}
}

func endKey(end int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(end)) }

func (w *tumbling) Process(rec *stream.Record, out stream.Emitter) error {
	win := w.windowOf(rec.Time)
	if win.End-1 <= w.ctx.Watermark() {
		w.ctx.CountLate()
		out.Emit(1, rec)
		return nil
	}
	ek := endKey(win.End)
	acc, _, err := w.accs.Get(rec.Key, ek)
	if err != nil {
		return err
	}
	acc, err = w.agg.Add(acc, rec)
	if err != nil {
		return err
	}
	if err := w.accs.Put(rec.Key, ek, acc); err != nil {
		return err
	}
	return w.ctx.RegisterTimer(state.EventTime, win.End-1, rec.Key)
}

func (w *tumbling) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	win := Window{Start: ts + 1 - w.size, End: ts + 1}
	ek := endKey(win.End)
	acc, ok, err := w.accs.Get(key, ek)
	if err != nil || !ok {
		return err
	}
	if err := w.agg.Emit(key, win, acc, out); err != nil {
		return err
	}
	return w.accs.Delete(key, ek)
}

// EndOfInput emits every open window, keeping it (and its timer) so a
// later run continues it.
func (w *tumbling) EndOfInput(out stream.Emitter) error {
	type open struct {
		key []byte
		win Window
		acc []byte
	}
	var wins []open
	_, err := w.ctx.Store().Timers(w.ctx.Scope()).Fire(state.EventTime, 1<<62, func(ts int64, key []byte) error {
		acc, ok, err := w.accs.Get(key, endKey(ts+1))
		if ok {
			wins = append(wins, open{bytes.Clone(key), Window{Start: ts + 1 - w.size, End: ts + 1}, acc})
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, o := range wins {
		if err := w.agg.Emit(o.key, o.win, o.acc, out); err != nil {
			return err
		}
		// Fire consumed the timer: register it again, the window stays open.
		if err := w.ctx.RegisterTimer(state.EventTime, o.win.End-1, o.key); err != nil {
			return err
		}
	}
	return nil
}
