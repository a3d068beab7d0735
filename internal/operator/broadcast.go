package operator

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// Rules is the broadcast state of a Broadcast operator: config rows that
// every task holds (table_process_dim, table_process_dwd), applied from
// broadcast records and consulted for every data record.
type Rules interface {
	// Apply folds one broadcast record (a config change) into the rules;
	// it may emit what the change implies downstream (create or drop a
	// table). Every task applies every broadcast record.
	Apply(rec *stream.Record, out stream.Emitter) error
	// Route handles a data record with the rules as they are now. It
	// returns false, emitting nothing, when no rule covers the record yet;
	// the operator then holds the record back and calls Route again with
	// final=true once every upstream task has passed its event time.
	Route(rec *stream.Record, out stream.Emitter, final bool) (bool, error)
	// Marshal and Unmarshal checkpoint the rules.
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// Broadcast makes the operator after a Stream.Broadcast: broadcast records
// update the Rules (every task gets every one), data records are routed by
// them. newRules returns the rules a task starts with when nothing was
// checkpointed: the built-in defaults.
//
// The startup race (SPEC §7: business rows arriving before their config
// row) is closed by holding back, in keyed state, a data record no rule
// covers until the watermark passes its event time. The watermark of a
// broadcast input is the minimum over every upstream task, so by then each
// of them has forwarded every config row older than the record (minus the
// bounded out-of-orderness). Records of a key that has records held back
// are held too, so a key's records keep their order. Records covered by a
// rule are routed at once: the price of holding is paid only by records
// the rules do not know yet (or will never know: they are then dropped by
// Route as out of scope, which is the job's business).
//
// A quiet input does not move the watermark, so holding is also bounded in
// processing time by maxHold (default 10 s): a held record is decided then
// with the rules as they are.
func Broadcast(newRules func() Rules, maxHold time.Duration) stream.Factory {
	if maxHold <= 0 {
		maxHold = 10 * time.Second
	}
	return func() stream.Operator { return &broadcast{newRules: newRules, maxHold: maxHold} }
}

type broadcast struct {
	newRules func() Rules
	maxHold  time.Duration
	rules    Rules
	ctx      *stream.Context
	meta     *state.ValueState // "rules": the rules; "seq": hold sequence and count
	held     *state.MapState   // key -> sequence (8 bytes) -> held record
	seq      uint64
	nheld    int64
	dirty    bool
}

var (
	metaRules = []byte("rules")
	metaSeq   = []byte("seq")
)

func (b *broadcast) Open(ctx *stream.Context) error {
	b.ctx = ctx
	b.meta, b.held = ctx.Value("broadcast"), ctx.Map("held")
	b.rules = b.newRules()
	raw, ok, err := b.meta.Get(metaRules)
	if err != nil {
		return err
	}
	if ok {
		if err := b.rules.Unmarshal(raw); err != nil {
			return fmt.Errorf("restore broadcast rules: %w", err)
		}
	}
	raw, ok, err = b.meta.Get(metaSeq)
	if err != nil || !ok {
		return err
	}
	if len(raw) != 16 {
		return fmt.Errorf("restore broadcast hold counters: %d bytes", len(raw))
	}
	b.seq, b.nheld = binary.BigEndian.Uint64(raw), int64(binary.BigEndian.Uint64(raw[8:]))
	return nil
}

func (b *broadcast) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Broadcast() {
		if err := b.rules.Apply(rec, out); err != nil {
			if _, bad := stream.AsBadInput(err); bad && b.ctx.Partition != 0 {
				return nil // every task sees it: one dead letter is enough
			}
			return err
		}
		b.dirty = true
		return nil
	}
	if b.nheld > 0 {
		busy := false
		if err := b.held.Range(rec.Key, func(_, _ []byte) bool { busy = true; return false }); err != nil {
			return err
		}
		if busy {
			return b.hold(rec)
		}
	}
	ok, err := b.rules.Route(rec, out, false)
	if err != nil || ok {
		return err
	}
	return b.hold(rec)
}

// heldRecord is a held-back record as kept in state.
type heldRecord struct {
	Value  []byte `json:"v"`
	Time   int64  `json:"t"`
	Source string `json:"s,omitempty"`
	Offset int64  `json:"o"`
}

func (b *broadcast) hold(rec *stream.Record) error {
	raw, err := json.Marshal(heldRecord{Value: rec.Value, Time: rec.Time, Offset: rec.Offset})
	if err != nil {
		return err
	}
	b.seq++
	b.nheld++
	b.dirty = true
	if err := b.held.Put(rec.Key, binary.BigEndian.AppendUint64(nil, b.seq), raw); err != nil {
		return err
	}
	// A record already behind the watermark is decided at the next one.
	if err := b.ctx.RegisterTimer(state.EventTime, max(rec.Time, b.ctx.Watermark()+1), rec.Key); err != nil {
		return err
	}
	return b.ctx.RegisterTimer(state.ProcessingTime, b.ctx.Now().Add(b.maxHold).UnixMilli(), rec.Key)
}

// OnTimer routes, in arrival order, the key's held records whose time the
// watermark has passed; later ones wait for their own timers.
// A processing-time timer (maxHold) releases the key's records held so far.
func (b *broadcast) OnTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d == state.ProcessingTime {
		ts = 1 << 62
	}
	return b.release(key, ts, out)
}

func (b *broadcast) release(key []byte, upTo int64, out stream.Emitter) error {
	type entry struct {
		mk  []byte
		rec heldRecord
	}
	var due []entry
	var derr error
	err := b.held.Range(key, func(mk, v []byte) bool {
		var h heldRecord
		if derr = json.Unmarshal(v, &h); derr != nil {
			return false
		}
		if h.Time > upTo {
			return false // not due: nothing behind it may pass it
		}
		due = append(due, entry{append([]byte(nil), mk...), h})
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	var bad error
	for _, e := range due {
		rec := stream.Record{Key: key, Value: e.rec.Value, Time: e.rec.Time, Offset: e.rec.Offset}
		if _, err := b.rules.Route(&rec, out, true); err != nil {
			bi, ok := stream.AsBadInput(err)
			if !ok {
				return err
			}
			// A timer has no input record for the runtime to dead-letter:
			// the reason carries the record (Route validated it when it
			// arrived, so this is rare).
			if bad == nil {
				bad = stream.BadInput(bi.Code, "%s; record: %s", bi.Detail, e.rec.Value)
			}
		}
		if err := b.held.Delete(key, e.mk); err != nil {
			return err
		}
		b.nheld--
		b.dirty = true
	}
	return bad
}

// OnEndOfInputTimer decides every held record: the drained input has no
// more config rows to wait for.
func (b *broadcast) OnEndOfInputTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	return b.release(key, 1<<62, out)
}

// PrepareCheckpoint writes the rules and hold counters when they changed.
func (b *broadcast) PrepareCheckpoint(stream.Emitter) error {
	if !b.dirty {
		return nil
	}
	raw, err := b.rules.Marshal()
	if err != nil {
		return err
	}
	if err := b.meta.Put(metaRules, raw); err != nil {
		return err
	}
	c := binary.BigEndian.AppendUint64(nil, b.seq)
	c = binary.BigEndian.AppendUint64(c, uint64(b.nheld))
	b.dirty = false
	return b.meta.Put(metaSeq, c)
}
