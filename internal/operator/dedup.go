package operator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// Dedup ports: the deduplicated records, and corrections: the previously
// emitted value of a key that has since changed, so an aggregate can take
// its contribution back before adding the new one.
const (
	PortDeduped = "out"
	PortRetract = "retract"
)

// Dedup makes each key count once downstream although it may arrive
// several times (a left join's partial row then its completed row, a
// replay): the first record of a key starts a processing-time wait; the
// latest record of the key when the wait ends is emitted. With no wait
// (0) a record is emitted at once, so the outcome does not depend on
// timing. A key's emitted value is remembered for ttl, in event time (on
// the records' own times, see JoinSpec.TTL): an identical record less
// than ttl after it is dropped, a different one is emitted with a
// correction of the old one on the "retract" port; 0 remembers forever.
// At the end of a drained input, waiting keys are emitted. It must follow
// a KeyBy on the deduplication id.
func Dedup(wait, ttl time.Duration) stream.Factory {
	return func() stream.Operator { return &dedup{wait: wait, ttl: ttl} }
}

type dedup struct {
	wait, ttl time.Duration
	ctx       *stream.Context
	latest    *state.ValueState // key -> record waiting to be emitted
	emitted   *state.ValueState // key -> record emitted last (TTL)
	clock     recordClock
}

func (d *dedup) Ports() []string { return []string{PortDeduped, PortRetract} }

func (d *dedup) Open(ctx *stream.Context) error {
	d.ctx = ctx
	d.latest = ctx.Value("latest")
	var opts []state.Option
	if d.ttl > 0 {
		opts = append(opts, d.clock.ttl(d.ttl))
	}
	d.emitted = ctx.Value("emitted", opts...)
	return nil
}

// recordClock measures an event-time state TTL on the times of the
// records themselves (Context.EventTimeTTL measures it on the watermark):
// set to the time of the record being processed, it gives an entry the
// expiry "its record's time + ttl", and hides from a record the entries
// that expired by its time. What a record sees then depends on the
// records' times only, not on when the watermark moved (that is timing:
// fetch sizes, checkpoints); the task sweeps entries once its watermark
// passes their expiry, when no record on time can see them any more.
type recordClock struct{ t int64 }

func (c *recordClock) now() int64 { return c.t }

func (c *recordClock) ttl(d time.Duration) state.Option { return state.WithEventTimeTTL(d, c.now) }

// A stored record is its event time (varint) then its value.
func encodeRec(r *stream.Record) []byte {
	return append(binary.AppendVarint(nil, r.Time), r.Value...)
}

func decodeRec(key, b []byte) (stream.Record, error) {
	t, n := binary.Varint(b)
	if n <= 0 {
		return stream.Record{}, errors.New("dedup: corrupt state")
	}
	return stream.Record{Key: key, Value: b[n:], Time: t}, nil
}

func (d *dedup) Process(rec *stream.Record, out stream.Emitter) error {
	d.clock.t = rec.Time
	prev, seen, err := d.emitted.Get(rec.Key)
	if err != nil {
		return err
	}
	if seen {
		old, err := decodeRec(rec.Key, prev)
		if err != nil {
			return err
		}
		if bytes.Equal(old.Value, rec.Value) {
			return nil // the same record again (a replay): it already counted
		}
		out.Emit(1, &old)
		out.Emit(0, rec)
		return d.emitted.Put(rec.Key, encodeRec(rec))
	}
	if d.wait <= 0 {
		if err := d.emitted.Put(rec.Key, encodeRec(rec)); err != nil {
			return err
		}
		out.Emit(0, rec)
		return nil
	}
	_, waiting, err := d.latest.Get(rec.Key)
	if err != nil {
		return err
	}
	if err := d.latest.Put(rec.Key, encodeRec(rec)); err != nil {
		return err
	}
	if waiting {
		return nil // the wait started with the key's first record
	}
	return d.ctx.RegisterTimer(state.ProcessingTime, d.ctx.Now().Add(d.wait).UnixMilli(), rec.Key)
}

func (d *dedup) OnTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	return d.flush(key, out)
}

func (d *dedup) flush(key []byte, out stream.Emitter) error {
	raw, ok, err := d.latest.Get(key)
	if err != nil || !ok {
		return err
	}
	rec, err := decodeRec(key, raw)
	if err != nil {
		return err
	}
	out.Emit(0, &rec)
	d.clock.t = rec.Time
	if err := d.emitted.Put(key, raw); err != nil {
		return err
	}
	return d.latest.Delete(key)
}

// OnEndOfInputTimer emits every key still waiting.
func (d *dedup) OnEndOfInputTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	return d.flush(key, out)
}
