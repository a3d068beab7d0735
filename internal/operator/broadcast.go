package operator

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
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

// Pinner is implemented by Rules that can decide some held records from a
// short summary of them. While no rule covers such a record the operator
// holds its summary and its position in the input topic (a pin) instead of
// a copy, when the engine can read it back there (Context.CanRefetch: an
// input topic of an embedded run), and reads it back at its release only
// if the summary does not settle it. A held record no rule will ever
// cover (dim_app and dwd_base_db hold every fact row until the watermark
// passes it) then costs a few dozen bytes of state, not its whole body.
type Pinner interface {
	// Pin returns rec's summary, or nil to hold a copy of rec. Only a
	// record that is its input record as read (key, value, headers) may
	// be pinned: a pin is read back from the record's source position.
	Pin(rec *stream.Record) []byte
	// Drop reports that the record a summary stands for is decided at its
	// release (final) without its bytes: out of scope, nothing to emit.
	// Otherwise the operator reads the record back and routes it.
	Drop(pin []byte) bool
}

// RulesOpener is implemented by Rules that need the task's context (for
// its counters): Open is called once the rules are made, before they are
// restored.
type RulesOpener interface {
	Open(ctx *stream.Context)
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
// with the rules as they are. Not in a drained run (Context.Draining):
// there the end of the input decides what the watermark has not, so the
// outcome does not depend on how fast the run went.
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
	pinner   Pinner // rules, if they pin
	ctx      *stream.Context
	meta     *state.ValueState // "rules": the rules; "seq": hold sequence and count
	held     *state.MapState   // legacy: key -> sequence (8 bytes) -> held record
	list     *state.ValueState // key -> flags byte, then its held records in arrival order (uvarint length + appendHeld)
	more     *state.MapState   // key -> sequence -> held record, once the key's list is full (flagMore)
	seq      uint64
	nheld    int64
	dirty    bool
	// legacy: state written before the held lists still holds records in
	// the held map (nheld > 0 without the mark): released from there first.
	legacy bool
	marked bool // the v2 mark is in state
	// lbuf and ebuf hold the list being changed and the entry being
	// added (state copies what is put), so a hold or release allocates
	// neither.
	lbuf, ebuf []byte
}

var (
	metaRules = []byte("rules")
	metaSeq   = []byte("seq")
	metaV2    = []byte("held_list") // every held record is in a held list
)

func (b *broadcast) Open(ctx *stream.Context) error {
	b.ctx = ctx
	// Held records are written once and read once, at their release.
	once := state.WriteOnceReadOnce()
	b.meta, b.held, b.list, b.more = ctx.Value("broadcast"), ctx.Map("held", once), ctx.Value("held_list", once), ctx.Map("held_more", once)
	b.rules = b.newRules()
	b.pinner, _ = b.rules.(Pinner)
	if o, ok := b.rules.(RulesOpener); ok {
		o.Open(ctx)
	}
	raw, ok, err := b.meta.Get(metaRules)
	if err != nil {
		return err
	}
	if ok {
		if err := b.rules.Unmarshal(raw); err != nil {
			return fmt.Errorf("restore broadcast rules: %w", err)
		}
	}
	if _, b.marked, err = b.meta.Get(metaV2); err != nil {
		return err
	}
	raw, ok, err = b.meta.Get(metaSeq)
	if err != nil || !ok {
		return err
	}
	if len(raw) != 16 {
		return fmt.Errorf("restore broadcast hold counters: %d bytes", len(raw))
	}
	b.seq, b.nheld = binary.BigEndian.Uint64(raw), int64(binary.BigEndian.Uint64(raw[8:]))
	b.legacy = !b.marked && b.nheld > 0
	return nil
}

// A key's held records are one list in value state: a point read (cached)
// per hold and release, not an iterator. Most records of dim_app are held
// while a few others pass, and most releases find nothing (the maxHold
// timer of a record the watermark already released). A list stops growing
// at maxListBytes (a source with one key for everything would make every
// hold copy a huge list): the key's later records wait in the more map,
// behind the list, until both are empty.
const (
	maxListBytes = 32 << 10
	flagMore     = 1 // the key has records in the more map
)

// holding reports whether key has held records, with its list.
func (b *broadcast) holding(key []byte) (list []byte, busy bool, err error) {
	if b.nheld == 0 {
		return nil, false, nil
	}
	if b.legacy {
		if err := b.held.Range(key, func(_, _ []byte) bool { busy = true; return false }); err != nil || busy {
			return nil, busy, err
		}
	}
	list, busy, err = b.list.AppendTo(b.lbuf[:0], key)
	if busy {
		b.lbuf = list[:0]
	}
	return list, busy, err
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
	if list, busy, err := b.holding(rec.Key); err != nil {
		return err
	} else if busy {
		return b.hold(rec, list)
	}
	ok, err := b.rules.Route(rec, out, false)
	if err != nil || ok {
		return err
	}
	return b.hold(rec, nil)
}

// heldRecord is a held-back record as kept in state.
type heldRecord struct {
	Value   []byte `json:"v"`
	Time    int64  `json:"t"`
	Source  string `json:"s,omitempty"`
	Offset  int64  `json:"o"`
	Part    int32  `json:"-"`
	Headers []rlog.Header
	Pin     []byte `json:"-"` // heldPin: the Pinner's summary; Value and Headers are in the input topic
}

// The binary encoding of a held record: version, time, offset, source
// topic and partition, (heldV2) the headers, value. A held record keeps
// its headers: a router may read them when it is released (a topic_db
// record ods.NormalizeDeferring passed on unparsed is told by them).
// heldV1 state (no headers) and older JSON state (starting with '{') are
// still read.
const (
	heldV1  = 0x01
	heldV2  = 0x02
	heldPin = 0x03 // a pin: time, offset, source, the Pinner's summary
)

func appendHeld(dst []byte, rec *stream.Record) []byte {
	dst = append(dst, heldV2)
	dst = binary.AppendVarint(dst, rec.Time)
	dst = binary.AppendVarint(dst, rec.Offset)
	dst = appendHeldBytes(dst, rec.Source.Topic)
	dst = binary.AppendVarint(dst, int64(rec.Source.Partition))
	dst = binary.AppendUvarint(dst, uint64(len(rec.Headers)))
	for _, h := range rec.Headers {
		dst = appendHeldBytes(dst, h.Key)
		dst = appendHeldBytes(dst, h.Value)
	}
	return append(dst, rec.Value...)
}

// appendPinned is appendHeld for a pin: the record's position and the
// Pinner's summary of it.
func appendPinned(dst []byte, rec *stream.Record, pin []byte) []byte {
	dst = append(dst, heldPin)
	dst = binary.AppendVarint(dst, rec.Time)
	dst = binary.AppendVarint(dst, rec.Offset)
	dst = appendHeldBytes(dst, rec.Source.Topic)
	dst = binary.AppendVarint(dst, int64(rec.Source.Partition))
	return append(dst, pin...)
}

func appendHeldBytes[T string | []byte](dst []byte, b T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decodeHeld decodes a held record; its Value is a copy.
func decodeHeld(v []byte) (heldRecord, error) {
	var h heldRecord
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &h)
		return h, err
	}
	if len(v) == 0 || v[0] != heldV1 && v[0] != heldV2 && v[0] != heldPin {
		return h, fmt.Errorf("broadcast: held record of unknown format")
	}
	ver := v[0]
	v = v[1:]
	ok := true
	next := func() int64 {
		x, n := binary.Varint(v)
		if n <= 0 {
			ok = false
			return 0
		}
		v = v[n:]
		return x
	}
	bytesOf := func() []byte {
		l, n := binary.Uvarint(v)
		if !ok || n <= 0 || uint64(len(v)-n) < l {
			ok = false
			return nil
		}
		b := v[n : n+int(l) : n+int(l)] // capped: the bytes after it are the next field's
		v = v[n+int(l):]
		return b
	}
	h.Time, h.Offset = next(), next()
	h.Source = string(bytesOf())
	h.Part = int32(next())
	// One copy of the rest, which the header values and the value share
	// (or the pin).
	v = append([]byte(nil), v...)
	if ver == heldPin {
		if !ok {
			return h, fmt.Errorf("broadcast: corrupt held record")
		}
		h.Pin = v
		return h, nil
	}
	if ver == heldV2 {
		nh, n := binary.Uvarint(v)
		if !ok || n <= 0 || nh > uint64(len(v)) {
			return h, fmt.Errorf("broadcast: corrupt held record")
		}
		v = v[n:]
		if nh > 0 {
			h.Headers = make([]rlog.Header, nh)
			for i := range h.Headers {
				h.Headers[i] = rlog.Header{Key: string(bytesOf()), Value: bytesOf()}
			}
		}
	}
	if !ok {
		return h, fmt.Errorf("broadcast: corrupt held record")
	}
	h.Value = v
	return h, nil
}

// hold holds rec behind the key's held records (list: the key's list, nil
// for none).
func (b *broadcast) hold(rec *stream.Record, list []byte) error {
	var entry []byte
	if pin := b.pin(rec); pin != nil {
		entry = appendPinned(b.ebuf[:0], rec, pin)
	} else {
		entry = appendHeld(b.ebuf[:0], rec)
	}
	b.ebuf = entry[:0]
	b.seq++
	switch {
	case len(list) == 0:
		list = append(binary.AppendUvarint(append(b.lbuf[:0], 0), uint64(len(entry))), entry...)
	case list[0]&flagMore == 0 && len(list) < maxListBytes:
		list = append(binary.AppendUvarint(list, uint64(len(entry))), entry...)
	default: // the list is full: in the more map, after it
		if err := b.more.Put(rec.Key, binary.BigEndian.AppendUint64(nil, b.seq), entry); err != nil {
			return err
		}
		if list[0]&flagMore != 0 {
			list = nil // unchanged
		} else {
			list[0] |= flagMore // (list is this operator's copy)
		}
	}
	if list != nil {
		b.lbuf = list[:0]
		if err := b.list.Put(rec.Key, list); err != nil {
			return err
		}
	}
	b.nheld++
	b.dirty = true
	// A record already behind the watermark is decided at the next one.
	if err := b.ctx.RegisterTimer(state.EventTime, max(rec.Time, b.ctx.Watermark()+1), rec.Key); err != nil {
		return err
	}
	if b.ctx.Draining() {
		// A drained run does not bound the hold by the wall clock (how long
		// a hold lasts would depend on the machine's speed): the watermark
		// or the end of the input decides, with every config row read.
		return nil
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
	var bad error
	if b.legacy {
		// Older records first: they arrived before anything in the list.
		done, err := b.releaseMap(b.held, key, upTo, out)
		if _, isBad := stream.AsBadInput(err); err != nil && !isBad {
			return err
		}
		if bad = err; !done {
			return bad
		}
	}
	list, ok, err := b.list.AppendTo(b.lbuf[:0], key)
	if err != nil {
		return err
	}
	if !ok || len(list) == 0 {
		return bad
	}
	b.lbuf = list[:0] // decodeHeld copies what the records keep
	flags, rest := list[0], list[1:]
	for len(rest) > 0 {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return fmt.Errorf("broadcast: corrupt held list")
		}
		h, err := decodeHeld(rest[k : k+int(n)])
		if err != nil {
			return err
		}
		if h.Time > upTo {
			break // not due: nothing behind it may pass it
		}
		rest = rest[k+int(n):]
		if err := b.route(key, h, out, &bad); err != nil {
			return err
		}
	}
	if len(rest) == 0 && flags&flagMore != 0 {
		done, err := b.releaseMap(b.more, key, upTo, out)
		if _, isBad := stream.AsBadInput(err); err != nil && !isBad {
			return err
		}
		if bad == nil {
			bad = err
		}
		if done {
			flags &^= flagMore
		}
	}
	switch {
	case len(rest) == 0 && flags == 0:
		err = b.list.Delete(key)
	case len(rest) != len(list)-1 || flags != list[0]:
		list[0] = flags
		n := copy(list[1:], rest) // rest is list's tail: it moves forward
		err = b.list.Put(key, list[:1+n])
	}
	if err != nil {
		return err // a state failure wins over a bad record
	}
	return bad
}

// pin returns rec's summary to hold instead of a copy (nil: hold a copy).
func (b *broadcast) pin(rec *stream.Record) []byte {
	if b.pinner == nil || !b.ctx.CanRefetch(rec.Source) {
		return nil
	}
	return b.pinner.Pin(rec)
}

// route decides a released record; the first bad input is kept in bad.
func (b *broadcast) route(key []byte, h heldRecord, out stream.Emitter, bad *error) error {
	b.nheld--
	b.dirty = true
	if b.legacy && b.nheld == 0 {
		b.legacy = false
	}
	src := rlog.TopicPartition{Topic: h.Source, Partition: h.Part}
	var rec stream.Record
	if h.Pin != nil {
		if b.pinner != nil && b.pinner.Drop(h.Pin) {
			return nil
		}
		var err error
		if rec, err = b.ctx.Refetch(src, h.Offset, h.Time); errors.Is(err, stream.ErrGone) || errors.Is(err, stream.ErrNoRefetch) {
			// Nothing left to dead-letter but where it was: the reason says.
			if *bad == nil {
				*bad = stream.BadInput("held_record_gone", "held record %s@%d (time %d) cannot be read back at its release: %v", src, h.Offset, h.Time, err)
			}
			return nil
		} else if err != nil {
			return err
		}
	} else {
		rec = stream.Record{Key: key, Value: h.Value, Time: h.Time, Offset: h.Offset, Headers: h.Headers, Source: src}
		b.ctx.Adopt(&rec)
	}
	if _, err := b.rules.Route(&rec, out, true); err != nil {
		bi, ok := stream.AsBadInput(err)
		if !ok {
			return err
		}
		// A timer has no input record for the runtime to dead-letter: the
		// reason carries the record (Route validated it when it arrived,
		// so this is rare).
		if *bad == nil {
			*bad = stream.BadInput(bi.Code, "%s; record: %s", bi.Detail, rec.Value)
		}
	}
	return nil
}

// releaseMap releases key's due records from m (the held map of older
// state, or the more map behind a full list), in sequence order; done
// reports that none is left waiting.
func (b *broadcast) releaseMap(m *state.MapState, key []byte, upTo int64, out stream.Emitter) (done bool, err error) {
	type entry struct {
		mk  []byte
		rec heldRecord
	}
	var due []entry
	var derr error
	done = true
	err = m.Range(key, func(mk, v []byte) bool {
		var h heldRecord
		if h, derr = decodeHeld(v); derr != nil {
			return false
		}
		if h.Time > upTo {
			done = false
			return false // not due: nothing behind it may pass it
		}
		due = append(due, entry{append([]byte(nil), mk...), h})
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return false, err
	}
	var bad error
	for _, e := range due {
		if err := b.route(key, e.rec, out, &bad); err != nil {
			return false, err
		}
		if err := m.Delete(key, e.mk); err != nil {
			return false, err
		}
	}
	return done, bad
}

// OnEndOfInputTimer decides every held record: the drained input has no
// more config rows to wait for.
func (b *broadcast) OnEndOfInputTimer(_ state.TimeDomain, _ int64, key []byte, out stream.Emitter) error {
	return b.release(key, 1<<62, out)
}

// PrepareCheckpoint writes the rules and hold counters when they changed.
func (b *broadcast) PrepareCheckpoint(stream.Emitter) error {
	if !b.marked && !b.legacy {
		if err := b.meta.Put(metaV2, []byte{1}); err != nil {
			return err
		}
		b.marked = true
	}
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
