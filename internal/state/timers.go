package state

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
)

// TimeDomain says which clock a timer follows.
type TimeDomain byte

const (
	EventTime      TimeDomain = 'e'
	ProcessingTime TimeDomain = 'p'
)

// Timers is a durable, ordered set of (time, key) timers for one scope.
// Registering the same (time, key) twice yields one timer, as in Flink.
type Timers struct {
	s      *Store
	prefix []byte
	kbuf   []byte
}

// Timers returns the timer service of scope sc.
func (s *Store) Timers(sc Scope) *Timers {
	return &Timers{s: s, prefix: append([]byte{nsTimer}, sc.appendTo(nil)...)}
}

func (t *Timers) key(d TimeDomain, ts int64, key []byte) []byte {
	t.kbuf = append(t.kbuf[:0], t.prefix...)
	t.kbuf = append(t.kbuf, byte(d))
	t.kbuf = binary.BigEndian.AppendUint64(t.kbuf, uint64(ts)^(1<<63)) // sign flip keeps negative times ordered
	return append(t.kbuf, key...)
}

// Register adds a timer firing when d's time reaches ts.
func (t *Timers) Register(d TimeDomain, ts int64, key []byte) error {
	return t.s.batch.Set(t.key(d, ts, key), nil, nil)
}

// Delete removes a timer.
func (t *Timers) Delete(d TimeDomain, ts int64, key []byte) error {
	return t.s.batch.Delete(t.key(d, ts, key), nil)
}

// Fire removes and calls fn for every timer of domain d with time <= upTo,
// in time order. Timers that fn registers at or before upTo fire too.
func (t *Timers) Fire(d TimeDomain, upTo int64, fn func(ts int64, key []byte) error) (int, error) {
	lo := append(append([]byte(nil), t.prefix...), byte(d))
	hi := prefixEnd(lo) // every time, when upTo is the largest
	if upTo < math.MaxInt64 {
		hi = binary.BigEndian.AppendUint64(append([]byte(nil), lo...), (uint64(upTo)^(1<<63))+1)
	}
	fired := 0
	for {
		// Collect a chunk, then fire it: fn may write to the batch, which
		// must not happen under an open iterator over it.
		var due [][]byte
		it, err := t.s.batch.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return fired, fmt.Errorf("timers: %w", err)
		}
		for it.First(); it.Valid() && len(due) < 256; it.Next() {
			due = append(due, append([]byte(nil), it.Key()...))
		}
		err = it.Error()
		it.Close()
		if err != nil || len(due) == 0 {
			return fired, err
		}
		for _, k := range due {
			ts := int64(binary.BigEndian.Uint64(k[len(lo):]) ^ (1 << 63))
			if err := t.s.batch.Delete(k, nil); err != nil {
				return fired, err
			}
			fired++
			if err := fn(ts, k[len(lo)+8:]); err != nil {
				return fired, err
			}
		}
	}
}

// Next returns the earliest timer time of domain d.
func (t *Timers) Next(d TimeDomain) (int64, bool, error) {
	lo := append(append([]byte(nil), t.prefix...), byte(d))
	it, err := t.s.batch.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.First() {
		return 0, false, it.Error()
	}
	return int64(binary.BigEndian.Uint64(it.Key()[len(lo):]) ^ (1 << 63)), true, nil
}
