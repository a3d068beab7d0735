package exec

import (
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// CurrentWatermark returns the operator behind Flink's
// CURRENT_WATERMARK(rowtime): it appends the operator's current
// watermark to each row, as a TIMESTAMP(3) (ltz false: the rowtime is a
// TIMESTAMP, on the watermark's own clock) or TIMESTAMP_LTZ(3), and NULL
// while there is no watermark yet. The expressions that call the function
// read that column. Everything else of the record is kept.
func CurrentWatermark(ltz bool) stream.Factory {
	return func() stream.Operator { return &currentWatermark{ltz: ltz} }
}

type currentWatermark struct {
	ltz  bool
	ctx  *stream.Context
	emit RowEmitter
	wm   [1]row.Value
}

func (c *currentWatermark) Open(ctx *stream.Context) error {
	c.ctx = ctx
	return nil
}

func (c *currentWatermark) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "current_watermark", 0)
	if err != nil {
		return err
	}
	c.wm[0] = row.Null()
	if wm := c.ctx.Watermark(); wm != stream.MinWatermark {
		if c.ltz {
			c.wm[0] = row.TimestampLTZ(wm, 0)
		} else {
			c.wm[0] = row.Timestamp(wm, 0)
		}
	}
	c.emit.Set(in.Values, c.wm[:])
	c.emit.Emit(out, rec, in.Kind)
	return nil
}
