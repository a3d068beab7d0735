package exec

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// WindowTVF returns the windowing table function TUMBLE, HOP or CUMULATE
// on its own (Flink's WindowTableFunction, a stateless operator): each
// input row is emitted once per window it belongs to (HOP and CUMULATE
// rows belong to several, in order of their ends), with three columns
// appended:
//
//   - window_start, window_end: TIMESTAMP(3), the window's bounds on the
//     local wall clock (for a TIMESTAMP_LTZ time attribute, the clock of
//     spec.Loc, as Flink's shift time zone);
//   - window_time: window_end - 1 ms, of the time attribute's type (a
//     TIMESTAMP(3), or the TIMESTAMP_LTZ(3) instant), the rows' new time
//     attribute.
//
// Each output record's Time is window_time's epoch milliseconds, so the
// operators after it (a window aggregation, window Top-N) measure the row
// by its window. The row kind is kept; nothing is late here (no state).
// A NULL time attribute dead-letters the row (code "null_rowtime"; Flink
// drops it). Processing-time windows (TimeCol -1) use the clock of the
// task. SESSION needs the rows of a session together and is only
// supported in a window aggregation: a SESSION spec fails at Open.
func WindowTVF(spec WindowSpec) stream.Factory {
	return func() stream.Operator { return &windowTVF{spec: spec, clock: newWindowClock(spec)} }
}

type windowTVF struct {
	spec  WindowSpec
	clock windowClock
	ctx   *stream.Context
	width int
	out   row.Row
	rec   stream.Record
}

func (w *windowTVF) Open(ctx *stream.Context) error {
	if err := w.spec.Validate(); err != nil {
		return err
	}
	if w.spec.Kind == Session {
		return fmt.Errorf("window_tvf: SESSION windows are supported in window aggregations only")
	}
	w.ctx = ctx
	w.width = w.spec.TimeCol + 1
	return nil
}

func (w *windowTVF) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "window_tvf", w.width)
	if err != nil {
		return err
	}
	var t int64
	if w.spec.TimeCol >= 0 {
		if t, err = windowTimeOf(in, w.spec.TimeCol, "window_tvf"); err != nil {
			return err
		}
	} else {
		t = w.ctx.Now().UnixMilli()
	}
	ltz := w.spec.LTZ || w.spec.TimeCol < 0
	w.clock.windows(w.clock.local(t), func(start, end int64) {
		wt, tm := w.clock.windowTime(end, ltz)
		w.out.Kind = in.Kind
		w.out.Values = append(append(w.out.Values[:0], in.Values...), row.Timestamp(start, 0), row.Timestamp(end, 0), wt)
		w.rec = rec.Derive(rec.Key, nil, tm)
		w.rec.Row = &w.out
		out.Emit(0, &w.rec)
	})
	return nil
}
