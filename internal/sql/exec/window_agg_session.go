package exec

import (
	"cmp"
	"math"
	"slices"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// processSession puts the loaded row into its group's sessions: the row's
// window [t, t+gap) merges with every session it intersects (Flink's
// TimeWindow.intersects: touching sessions merge too); merged sessions
// fold their accumulators into the first and lose their timers.
func (w *windowAgg) processSession(rec *stream.Record, in *row.Row, t, lt, p int64, accumulate bool) error {
	e, g, err := w.group(rec.Key)
	if err != nil {
		return err
	}
	if g == nil {
		g = &winGroup{fired: math.MinInt64}
	}
	s, end := lt, lt+w.clock.gap
	lo, hi := len(g.buckets), len(g.buckets) // overlapping sessions g.buckets[lo:hi]
	for i, b := range g.buckets {
		if b.start <= end && b.end >= s {
			lo, hi = min(lo, i), i+1
		}
	}
	if lo == hi && w.domain == state.EventTime && w.clock.fired(end, p) {
		w.ctx.CountLate()
		return windowLate("window_agg", t, p)
	}
	var b *winBucket
	created := false
	if lo == hi {
		b = &winBucket{start: s, end: end, accs: w.calls.newAccs()}
		created = true
	} else {
		b = g.buckets[lo]
	}
	// Apply first: a failing row changes nothing.
	if err := w.calls.apply(b.accs, accumulate, "window_agg"); err != nil {
		return err
	}
	if accumulate {
		b.count++
	} else {
		b.count--
	}
	if created {
		i, _ := slices.BinarySearchFunc(g.buckets, s, func(x *winBucket, s int64) int { return cmp.Compare(x.start, s) })
		g.buckets = slices.Insert(g.buckets, i, b)
		if err := w.ctx.RegisterTimer(w.domain, w.clock.trigger(b.end), rec.Key); err != nil {
			return err
		}
	} else {
		newStart, newEnd := min(b.start, s), max(b.end, end)
		for _, o := range g.buckets[lo+1 : hi] {
			newEnd = max(newEnd, o.end)
			for i, a := range b.accs {
				if err := a.Merge(o.accs[i]); err != nil {
					return err
				}
			}
			b.count += o.count
			if err := w.ctx.DeleteTimer(w.domain, w.clock.trigger(o.end), rec.Key); err != nil {
				return err
			}
		}
		g.buckets = slices.Delete(g.buckets, lo+1, hi)
		if newEnd != b.end {
			if err := w.ctx.DeleteTimer(w.domain, w.clock.trigger(b.end), rec.Key); err != nil {
				return err
			}
			if err := w.ctx.RegisterTimer(w.domain, w.clock.trigger(newEnd), rec.Key); err != nil {
				return err
			}
		}
		b.start, b.end = newStart, newEnd
	}
	if e == nil {
		g.keyVals = make([]row.Value, len(w.spec.Keys))
		for i, k := range w.spec.Keys {
			g.keyVals[i] = in.Values[k]
		}
		if e, err = w.cache.add(rec.Key, g, false, w.flush); err != nil {
			return err
		}
	}
	e.dirty, e.used = true, true
	return nil
}

// fireSessions emits and removes the sessions of e due at ts.
func (w *windowAgg) fireSessions(e *windowEntry[*winGroup], ts int64, out stream.Emitter) error {
	g := e.v
	n := len(g.buckets)
	g.buckets = slices.DeleteFunc(g.buckets, func(b *winBucket) bool {
		if w.clock.trigger(b.end) > ts {
			return false
		}
		if b.count > 0 {
			w.emitRow(e.key, g, b.accs, b.start, b.end, out, false)
		}
		return true
	})
	// Sessions that merged or grew since an end of input emitted them
	// are done too.
	ns := len(g.sent)
	g.sent = slices.DeleteFunc(g.sent, func(s sentWindow) bool { return w.clock.trigger(s.end) <= ts })
	if len(g.buckets) == n && len(g.sent) == ns {
		return nil
	}
	e.dirty = true
	if len(g.buckets) == 0 {
		return w.forget(e)
	}
	return nil
}
