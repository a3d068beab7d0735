package state

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/btree"
)

// TimeDomain says which clock a timer follows.
type TimeDomain byte

const (
	EventTime      TimeDomain = 'e'
	ProcessingTime TimeDomain = 'p'
)

// Timers is a durable, ordered set of (time, key) timers for one scope.
// Registering the same (time, key) twice yields one timer, as in Flink.
//
// The timers live in an in-memory ordered index, loaded from the store at
// first use; changes since the last checkpoint are kept as a difference
// from the store (registering and deleting a timer in between writes
// nothing) and go into the checkpoint batch when Store.Batch is called.
// Every Timers handle of a scope on one Store shares the index.
type Timers struct {
	s      *Store
	prefix []byte // nsTimer scope
	loaded bool
	tree   *btree.BTreeG[timerItem]
	// The changes the batch has not taken: timers registered since (fresh
	// in the tree; some listed here may have been deleted or listed twice)
	// and timers of the batch's view deleted since.
	added   []timerItem
	deleted map[timerItem]struct{}
	sz      int          // the changes' size as batch records
	peeks   []*peekState // Peek calls under way (innermost last)
	kbuf    []byte
}

// A timerItem is one timer; items order by domain, time, key.
type timerItem struct {
	d     TimeDomain
	ts    int64
	key   string
	fresh bool // in the tree: registered since the batch took the changes (not part of the order)
}

// id is it without its tree flag, for comparisons and sets.
func (it timerItem) id() timerItem {
	it.fresh = false
	return it
}

func timerLess(a, b timerItem) bool {
	if a.d != b.d {
		return a.d < b.d
	}
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.key < b.key
}

// changeBytes approximates a pending timer change's size in the batch.
func (t *Timers) changeBytes(it timerItem) int {
	return len(t.prefix) + 9 + len(it.key) + recordOverhead
}

// Timers returns the timer service of scope sc: the same handle for every
// call with the same scope.
func (s *Store) Timers(sc Scope) *Timers {
	p := append([]byte{nsTimer}, sc.appendTo(nil)...)
	if t, ok := s.timers[string(p)]; ok {
		return t
	}
	t := &Timers{s: s, prefix: p, tree: btree.NewG(32, timerLess), deleted: map[timerItem]struct{}{}}
	if s.timers == nil {
		s.timers = map[string]*Timers{}
	}
	s.timers[string(p)] = t
	return t
}

func (t *Timers) key(it timerItem) []byte {
	t.kbuf = append(t.kbuf[:0], t.prefix...)
	t.kbuf = append(t.kbuf, byte(it.d))
	t.kbuf = binary.BigEndian.AppendUint64(t.kbuf, uint64(it.ts)^(1<<63)) // sign flip keeps negative times ordered
	t.kbuf = append(t.kbuf, it.key...)
	return t.kbuf
}

// load reads the scope's timers from the store once.
func (t *Timers) load() error {
	if t.loaded {
		return nil
	}
	it, err := t.s.reader().NewIter(&pebble.IterOptions{LowerBound: t.prefix, UpperBound: prefixEnd(t.prefix)})
	if err != nil {
		return fmt.Errorf("timers: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[len(t.prefix):]
		if len(k) < 9 {
			t.tree.Clear(false)
			return fmt.Errorf("timers: corrupt timer key %q", it.Key())
		}
		t.tree.ReplaceOrInsert(timerItem{d: TimeDomain(k[0]), ts: int64(binary.BigEndian.Uint64(k[1:9]) ^ (1 << 63)), key: string(k[9:])})
	}
	if err := it.Error(); err != nil {
		t.tree.Clear(false)
		return fmt.Errorf("timers: %w", err)
	}
	t.loaded = true
	return nil
}

// unload forgets the index and its changes: it reloads at its next use.
func (t *Timers) unload() {
	t.loaded = false
	t.tree.Clear(false)
	t.added = nil
	clear(t.deleted)
	t.sz = 0
}

// flush writes the changes into the batch, in key order.
func (t *Timers) flush() error {
	if len(t.added) == 0 && len(t.deleted) == 0 {
		return nil
	}
	type change struct {
		it  timerItem
		set bool
	}
	changes := make([]change, 0, len(t.added)+len(t.deleted))
	for _, it := range t.added {
		cur, ok := t.tree.Get(it)
		if !ok || !cur.fresh {
			continue // deleted since, or listed twice
		}
		cur.fresh = false
		t.tree.ReplaceOrInsert(cur)
		changes = append(changes, change{cur, true})
	}
	for it := range t.deleted {
		changes = append(changes, change{it, false})
	}
	slices.SortFunc(changes, func(a, b change) int {
		switch {
		case timerLess(a.it, b.it):
			return -1
		case timerLess(b.it, a.it):
			return 1
		}
		return 0
	})
	for _, c := range changes {
		var err error
		k := t.key(c.it)
		if c.set {
			err = t.s.batch.Set(k, nil, nil)
		} else {
			err = t.s.batch.Delete(k, nil)
		}
		t.s.tallyKey(k, len(k))
		if err != nil {
			return fmt.Errorf("timers: %w", err)
		}
	}
	if cap(t.added) > 1024 {
		t.added = nil
	} else {
		clear(t.added)
		t.added = t.added[:0]
	}
	clear(t.deleted)
	t.sz = 0
	return nil
}

// Register adds a timer firing when d's time reaches ts.
func (t *Timers) Register(d TimeDomain, ts int64, key []byte) error {
	if err := t.load(); err != nil {
		return err
	}
	it := timerItem{d: d, ts: ts, key: string(key), fresh: true}
	var back bool // deleted since the last flush, so in the batch's view
	if len(t.deleted) > 0 {
		_, back = t.deleted[it.id()]
		it.fresh = !back
	}
	if old, found := t.tree.ReplaceOrInsert(it); found {
		if old.fresh != it.fresh {
			t.tree.ReplaceOrInsert(old)
		}
		return nil
	}
	if back {
		delete(t.deleted, it.id())
		t.sz -= t.changeBytes(it)
	} else {
		t.added = append(t.added, it)
		t.sz += t.changeBytes(it)
	}
	for _, p := range t.peeks {
		p.registered(it.id())
	}
	return nil
}

// Delete removes a timer.
func (t *Timers) Delete(d TimeDomain, ts int64, key []byte) error {
	if err := t.load(); err != nil {
		return err
	}
	t.remove(timerItem{d: d, ts: ts, key: string(key)})
	return nil
}

// remove deletes it if registered and reports whether it was.
func (t *Timers) remove(it timerItem) bool {
	old, found := t.tree.Delete(it)
	if !found {
		return false
	}
	if old.fresh {
		t.sz -= t.changeBytes(old) // never in the batch: nothing to write
	} else {
		t.deleted[old.id()] = struct{}{}
		t.sz += t.changeBytes(old)
	}
	for _, p := range t.peeks {
		p.removed(old.id())
	}
	return true
}

// fireChunk is how many due timers Fire takes at a time.
const fireChunk = 256

// Fire removes and calls fn for every timer of domain d with time <= upTo,
// in time order. Timers that fn registers at or before upTo fire too (after
// the due timers Fire already took, up to 256 at a time); a timer fn
// deletes before it is reached does not fire. If fn fails, its timer is
// already removed and the timers not yet fired stay registered. The key
// fn gets is lent: valid during the call (one buffer serves them all).
func (t *Timers) Fire(d TimeDomain, upTo int64, fn func(ts int64, key []byte) error) (int, error) {
	if err := t.load(); err != nil {
		return 0, err
	}
	fired := 0
	var due []timerItem
	var kb []byte
	for {
		due = due[:0]
		t.tree.AscendGreaterOrEqual(timerItem{d: d, ts: math.MinInt64}, func(it timerItem) bool {
			if it.d != d || it.ts > upTo {
				return false
			}
			due = append(due, it)
			return len(due) < fireChunk
		})
		if len(due) == 0 {
			return fired, nil
		}
		for _, it := range due {
			if !t.remove(it) {
				continue // deleted by an earlier timer of the chunk
			}
			fired++
			kb = append(kb[:0], it.key...)
			if err := fn(it.ts, kb); err != nil {
				return fired, err
			}
		}
	}
}

// Peek calls fn for every timer of domain d with time <= upTo in (time,
// key) order without removing them. fn may register and delete timers:
// a timer it deletes before Peek reaches it is not visited, and one it
// registers at or before upTo is visited too (right after fn returns, if
// it sorts before the timer being visited); each (time, key) is visited at
// most once per call.
func (t *Timers) Peek(d TimeDomain, upTo int64, fn func(ts int64, key []byte) error) error {
	if err := t.load(); err != nil {
		return err
	}
	p := &peekState{d: d, upTo: upTo}
	t.peeks = append(t.peeks, p)
	defer func() { t.peeks = t.peeks[:len(t.peeks)-1] }()
	for {
		pivot := timerItem{d: d, ts: math.MinInt64}
		if p.started {
			pivot = p.pos
		}
		var next timerItem
		found := false
		t.tree.AscendGreaterOrEqual(pivot, func(it timerItem) bool {
			if p.started && it.id() == p.pos {
				return true
			}
			found = it.d == d && it.ts <= upTo
			next = it.id()
			return false
		})
		if !found {
			return nil
		}
		p.pos, p.started = next, true
		if err := fn(next.ts, []byte(next.key)); err != nil {
			return err
		}
		// Timers registered behind the position: the scan will not see them.
		for len(p.behind) > 0 {
			i := 0
			for j := range p.behind {
				if timerLess(p.behind[j], p.behind[i]) {
					i = j
				}
			}
			it := p.behind[i]
			p.behind = slices.Delete(p.behind, i, i+1)
			if err := fn(it.ts, []byte(it.key)); err != nil {
				return err
			}
		}
	}
}

// peekState tracks one Peek call. Its invariant: a registered timer at or
// before pos has been visited unless it is in behind.
type peekState struct {
	d       TimeDomain
	upTo    int64
	pos     timerItem // the last timer the scan visited
	started bool
	behind  []timerItem            // registered at or before pos during the call, not yet visited
	gone    map[timerItem]struct{} // visited, then deleted during the call
}

func (p *peekState) registered(it timerItem) {
	if !p.started || it.d != p.d || it.ts > p.upTo || timerLess(p.pos, it) {
		return // the scan will reach it
	}
	if _, ok := p.gone[it]; ok {
		return // visited already
	}
	p.behind = append(p.behind, it)
}

func (p *peekState) removed(it timerItem) {
	if !p.started || it.d != p.d || timerLess(p.pos, it) {
		return
	}
	if i := slices.Index(p.behind, it); i >= 0 {
		p.behind = slices.Delete(p.behind, i, i+1)
		return
	}
	if p.gone == nil {
		p.gone = map[timerItem]struct{}{}
	}
	p.gone[it] = struct{}{}
}

// Next returns the earliest timer time of domain d.
func (t *Timers) Next(d TimeDomain) (int64, bool, error) {
	if err := t.load(); err != nil {
		return 0, false, err
	}
	var next int64
	found := false
	t.tree.AscendGreaterOrEqual(timerItem{d: d, ts: math.MinInt64}, func(it timerItem) bool {
		next, found = it.ts, it.d == d
		return false
	})
	return next, found, nil
}
