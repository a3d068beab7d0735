package operator

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// JoinSpec describes a regular (unwindowed) join of rows that arrive on
// one keyed stream, as topic_db carries every table: the left rows
// (e.g. order_detail) and right rows (order_info, ...) of one join key
// reach the operator through a KeyBy on that key, and Side tells them
// apart. Each right side holds one row per key (the latest: the join key
// is its primary key); the left side holds one row per RowID.
type JoinSpec struct {
	// Side returns 0 for a left row, 1..Sides-1 for a right side's row.
	Side func(*stream.Record) (int, error)
	// Sides counts the left side too: 2 for a two-table join.
	Sides int
	// RowID identifies a left row (its primary key): the output key, so
	// outputs upsert.
	RowID func(*stream.Record) ([]byte, error)
	// Left makes it a left join: a left row is emitted at once with the
	// missing sides as nil, and again whenever a right row arrives or
	// changes. Otherwise inner: emitted once every side has a row (and
	// again when one changes).
	Left bool
	// TTL bounds, in event time, how far apart rows may be to join, as
	// Flink's table.exec.state.ttl bounds it in processing time: a row
	// joins the rows of the other sides whose event times are less than
	// TTL away from its own (either way), and is dropped from state once
	// the watermark is TTL past its time. Measured on the rows' own times,
	// the outcome does not depend on how fast, or in what order within
	// that bound, the rows were read (a replay, a lagging or throttled
	// run join as a live one does); only a row that arrives behind the
	// watermark may find its partner already swept. 0 keeps rows forever.
	TTL time.Duration
	// Combine builds the output value of a left row and its right rows
	// (nil for a missing side).
	Combine func(left []byte, rights [][]byte) ([]byte, error)
}

// Join makes a regular join operator; its output is keyed by RowID with
// upsert semantics (a left join's partial row is later replaced by the
// complete one): follow it with Dedup when each row must count once. An
// output's time is the latest of the joined rows' times. Which rows join,
// and the last version of each output row, depend on the rows (and the
// order of each side's own versions) only; how many intermediate versions
// a left join writes depends on which side was read first.
func Join(spec JoinSpec) stream.Factory {
	if spec.Sides < 2 || spec.Side == nil || spec.RowID == nil || spec.Combine == nil {
		panic(fmt.Sprintf("operator: join needs Sides >= 2, Side, RowID and Combine (%+v)", spec))
	}
	return func() stream.Operator { return &join{spec: spec} }
}

type join struct {
	spec   JoinSpec
	lefts  *state.MapState   // join key -> row id -> left row
	rights *state.ValueState // join key + side byte -> right row
	rkey   []byte
	clock  recordClock
}

func (j *join) Open(ctx *stream.Context) error {
	var opts []state.Option
	if j.spec.TTL > 0 {
		opts = append(opts, j.clock.ttl(j.spec.TTL))
	}
	j.lefts, j.rights = ctx.Map("left", opts...), ctx.Value("right", opts...)
	return nil
}

// near reports whether a stored row at time t may join the record being
// processed: the state's TTL hides rows TTL or more before it, this the
// rows TTL or more after it (read earlier, from a faster input).
func (j *join) near(t int64) bool {
	return j.spec.TTL <= 0 || t-j.clock.t < j.spec.TTL.Milliseconds()
}

func (j *join) rightKey(key []byte, side int) []byte {
	j.rkey = append(append(j.rkey[:0], key...), byte(side))
	return j.rkey
}

func (j *join) Process(rec *stream.Record, out stream.Emitter) error {
	side, err := j.spec.Side(rec)
	if err != nil {
		return err
	}
	if side < 0 || side >= j.spec.Sides {
		return stream.BadInput("join_side", "side %d of %d", side, j.spec.Sides)
	}
	j.clock.t = rec.Time
	if side == 0 {
		id, err := j.spec.RowID(rec)
		if err != nil {
			return err
		}
		if err := j.lefts.Put(rec.Key, id, encodeRec(rec)); err != nil {
			return err
		}
		rights, rt, err := j.rightRows(rec.Key)
		if err != nil {
			return err
		}
		return j.emit(id, max(rec.Time, rt), rec.Value, rights, out)
	}
	if err := j.rights.Put(j.rightKey(rec.Key, side), encodeRec(rec)); err != nil {
		return err
	}
	rights, rt, err := j.rightRows(rec.Key)
	if err != nil {
		return err
	}
	// Every left row of the key gets the new right row. Collected first:
	// emitting must not happen while iterating the state.
	type row struct {
		id  []byte
		rec stream.Record
	}
	var rows []row
	var derr error
	err = j.lefts.Range(rec.Key, func(id, v []byte) bool {
		r, err := decodeRec(nil, v)
		if err != nil {
			derr = err
			return false
		}
		if !j.near(r.Time) {
			return true
		}
		rows = append(rows, row{append([]byte(nil), id...), stream.Record{Value: append([]byte(nil), r.Value...), Time: r.Time}})
		return true
	})
	if err = errors.Join(err, derr); err != nil {
		return err
	}
	for _, r := range rows {
		if err := j.emit(r.id, max(r.rec.Time, rt), r.rec.Value, rights, out); err != nil {
			return err
		}
	}
	return nil
}

// rightRows returns the values of the key's right rows (nil if missing)
// and the latest of their times. An output's time is the latest of its
// rows' (as an interval join's), whichever of them came last.
func (j *join) rightRows(key []byte) ([][]byte, int64, error) {
	out := make([][]byte, j.spec.Sides-1)
	latest := int64(math.MinInt64)
	for s := 1; s < j.spec.Sides; s++ {
		raw, ok, err := j.rights.Get(j.rightKey(key, s))
		if err != nil {
			return nil, 0, err
		}
		if ok {
			r, err := decodeRec(nil, raw)
			if err != nil {
				return nil, 0, err
			}
			if j.near(r.Time) {
				out[s-1] = r.Value
				latest = max(latest, r.Time)
			}
		}
	}
	return out, latest, nil
}

func (j *join) emit(id []byte, t int64, left []byte, rights [][]byte, out stream.Emitter) error {
	if !j.spec.Left {
		for _, r := range rights {
			if r == nil {
				return nil // inner: wait for every side
			}
		}
	}
	v, err := j.spec.Combine(left, rights)
	if err != nil {
		return err
	}
	o := stream.Record{Key: id, Value: v, Time: t}
	out.Emit(0, &o)
	return nil
}
