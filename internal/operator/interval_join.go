package operator

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// IntervalJoinSpec describes an event-time interval join of the two sides
// of one keyed stream: a left row at time t joins every right row of its
// key with time in [t+Lower, t+Upper].
type IntervalJoinSpec struct {
	// Side returns 0 for a left row, 1 for a right row.
	Side         func(*stream.Record) (int, error)
	Lower, Upper time.Duration
	// Combine builds the output of a matching pair; the output keeps the
	// key and takes the later of the two times.
	Combine func(left, right *stream.Record) ([]byte, error)
}

// IntervalJoin makes an interval join operator. As in Flink, a row whose
// time is behind the watermark is late: its matches may already be
// purged, so it is counted late and emitted unchanged on the "late" port
// (never joined partially). A row is kept while a row on time could still
// match it: a left row at t until the watermark passes t+Upper, a right
// row at r until it passes r-Lower; event-time timers purge it then.
func IntervalJoin(spec IntervalJoinSpec) stream.Factory {
	if spec.Side == nil || spec.Combine == nil || spec.Lower > spec.Upper {
		panic(fmt.Sprintf("operator: interval join needs Side, Combine and Lower <= Upper (%+v)", spec))
	}
	return func() stream.Operator {
		return &intervalJoin{spec: spec, lower: spec.Lower.Milliseconds(), upper: spec.Upper.Milliseconds()}
	}
}

type intervalJoin struct {
	spec         IntervalJoinSpec
	lower, upper int64
	ctx          *stream.Context
	rows         [2]*state.MapState // key -> time (ordered) + sequence -> value
	seq          *state.ValueState
}

func (j *intervalJoin) Ports() []string { return []string{"out", PortLate} }

func (j *intervalJoin) Open(ctx *stream.Context) error {
	j.ctx = ctx
	j.rows = [2]*state.MapState{ctx.Map("left"), ctx.Map("right")}
	j.seq = ctx.Value("seq")
	return nil
}

func timeKey(t int64, seq uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(t)^(1<<63)) // sign flip keeps negative times ordered
	return binary.BigEndian.AppendUint64(b, seq)
}

func keyTime(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

// nextSeq numbers stored rows so equal times never collide; it is state,
// so a restored task numbers replayed rows as before.
func (j *intervalJoin) nextSeq() (uint64, error) {
	k := []byte{0}
	raw, _, err := j.seq.Get(k)
	if err != nil {
		return 0, err
	}
	var n uint64
	if len(raw) == 8 {
		n = binary.BigEndian.Uint64(raw)
	}
	return n, j.seq.Put(k, binary.BigEndian.AppendUint64(nil, n+1))
}

func (j *intervalJoin) Process(rec *stream.Record, out stream.Emitter) error {
	side, err := j.spec.Side(rec)
	if err != nil {
		return err
	}
	if side != 0 && side != 1 {
		return stream.BadInput("join_side", "side %d of 2", side)
	}
	// The other side's matching times, and the last watermark at which
	// an on-time row of the other side can still match this one.
	lo, hi, expire := rec.Time+j.lower, rec.Time+j.upper, rec.Time+j.upper
	if side == 1 {
		lo, hi, expire = rec.Time-j.upper, rec.Time-j.lower, rec.Time-j.lower
	}
	if rec.Time < j.ctx.Watermark() {
		j.ctx.CountLate()
		out.Emit(1, rec)
		return nil
	}
	seq, err := j.nextSeq()
	if err != nil {
		return err
	}
	if err := j.rows[side].Put(rec.Key, timeKey(rec.Time, seq), rec.Value); err != nil {
		return err
	}
	if err := j.ctx.RegisterTimer(state.EventTime, expire+1, rec.Key); err != nil {
		return err
	}
	type match struct {
		t int64
		v []byte
	}
	var ms []match
	err = j.rows[1-side].Range(rec.Key, func(k, v []byte) bool {
		t := keyTime(k)
		if t > hi {
			return false
		}
		if t >= lo {
			ms = append(ms, match{t, append([]byte(nil), v...)})
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		other := stream.Record{Key: rec.Key, Value: m.v, Time: m.t}
		l, r := rec, &other
		if side == 1 {
			l, r = r, l
		}
		v, err := j.spec.Combine(l, r)
		if err != nil {
			return err
		}
		o := stream.Record{Key: rec.Key, Value: v, Time: max(l.Time, r.Time)}
		out.Emit(0, &o)
	}
	return nil
}

// OnTimer purges the key's rows no later row can match any more.
func (j *intervalJoin) OnTimer(_ state.TimeDomain, ts int64, key []byte, _ stream.Emitter) error {
	for side, m := range j.rows {
		var doomed [][]byte
		err := m.Range(key, func(k, _ []byte) bool {
			t := keyTime(k)
			expire := t + j.upper
			if side == 1 {
				expire = t - j.lower
			}
			if expire < ts {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range doomed {
			if err := m.Delete(key, k); err != nil {
				return err
			}
		}
	}
	return nil
}
