package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

const (
	nsState = 0x20
	nsTimer = 0x21
)

// Store is one task's view of keyed state: reads see the committed store
// plus the task's uncommitted writes; writes collect in the checkpoint batch.
// A Store is used by one goroutine (its task).
type Store struct {
	db    *pebble.DB
	batch *pebble.Batch
	now   func() time.Time
	sweep map[string][]byte // TTL sweeper cursor per scope
	cache *lru              // value state only
}

// DefaultCacheBytes bounds each store's value-state cache.
const DefaultCacheBytes = 16 << 20

// NewStore returns a store over db. now is the processing-time clock that
// TTLs are measured against (nil = time.Now).
func NewStore(db *pebble.DB, now func() time.Time) *Store {
	return NewStoreWithCache(db, now, DefaultCacheBytes)
}

// NewStoreWithCache is NewStore with a value-state cache of cacheBytes (0: none).
func NewStoreWithCache(db *pebble.DB, now func() time.Time, cacheBytes int) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, batch: db.NewIndexedBatch(), now: now}
	if cacheBytes > 0 {
		s.cache = newLRU(cacheBytes)
	}
	return s
}

// Batch returns the pending checkpoint batch, to be passed as log.Txn.State.
func (s *Store) Batch() *pebble.Batch { return s.batch }

// Pending reports the size in bytes of uncommitted state writes.
func (s *Store) Pending() int { return s.batch.Len() }

// Committed starts a new batch after the log committed the current one.
func (s *Store) Committed() {
	s.batch.Close()
	s.batch = s.db.NewIndexedBatch()
}

// Discard drops uncommitted writes (restore to the last checkpoint).
func (s *Store) Discard() {
	s.cache.reset()
	s.Committed()
}

// Close releases the pending batch without committing it.
func (s *Store) Close() { s.batch.Close() }

// Scope identifies the owner of state: a job's operator on one partition.
type Scope struct {
	Job       string
	Operator  string
	Partition int32
}

func (sc Scope) appendTo(dst []byte) []byte {
	dst = appendStr(dst, sc.Job)
	dst = appendStr(dst, sc.Operator)
	return binary.BigEndian.AppendUint32(dst, uint32(sc.Partition))
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// Option configures a state handle.
type Option func(*handle)

// WithTTL expires an entry ttl after its last write (processing time), as
// Flink's StateTtlConfig with OnCreateAndWrite; expired entries read as absent
// and are removed by Sweep.
func WithTTL(ttl time.Duration) Option { return func(h *handle) { h.ttl = ttl } }

type handle struct {
	s      *Store
	prefix []byte
	ttl    time.Duration
	kbuf   []byte
	vbuf   []byte
	cache  *lru // nil for map state (ranges and clears bypass a point cache)
}

func (s *Store) newHandle(sc Scope, name string, kind byte, opts []Option) handle {
	if name == "" {
		panic("state: empty state name")
	}
	p := append([]byte{nsState}, sc.appendTo(nil)...)
	p = appendStr(p, name)
	h := handle{s: s, prefix: append(p, kind)}
	for _, o := range opts {
		o(&h)
	}
	return h
}

func (h *handle) key(k []byte) []byte {
	h.kbuf = append(h.kbuf[:0], h.prefix...)
	h.kbuf = binary.AppendUvarint(h.kbuf, uint64(len(k)))
	return append(h.kbuf, k...)
}

func (h *handle) encode(v []byte) []byte {
	var exp int64
	if h.ttl > 0 {
		exp = h.s.now().Add(h.ttl).UnixMilli()
	}
	h.vbuf = binary.AppendVarint(h.vbuf[:0], exp)
	return append(h.vbuf, v...)
}

// decode returns the payload, or ok=false if the entry expired.
func (h *handle) decode(raw []byte) ([]byte, bool, error) {
	exp, n := binary.Varint(raw)
	if n <= 0 {
		return nil, false, errors.New("state: corrupt entry")
	}
	if exp != 0 && exp <= h.s.now().UnixMilli() {
		return nil, false, nil
	}
	return raw[n:], true, nil
}

func (h *handle) get(k []byte) ([]byte, bool, error) {
	if raw, ok := h.cache.get(k); ok {
		if raw == nil {
			return nil, false, nil
		}
		v, ok, err := h.decode(raw)
		if !ok || err != nil {
			return nil, false, err
		}
		return append([]byte(nil), v...), true, nil
	}
	raw, c, err := h.s.batch.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		h.cache.put(k, nil)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get: %w", err)
	}
	defer c.Close()
	h.cache.put(k, raw)
	v, ok, err := h.decode(raw)
	if !ok || err != nil {
		return nil, false, err
	}
	return append([]byte(nil), v...), true, nil
}

// ValueState holds one value per key.
type ValueState struct{ h handle }

// Value returns the value state named name in scope sc.
func (s *Store) Value(sc Scope, name string, opts ...Option) *ValueState {
	v := &ValueState{h: s.newHandle(sc, name, 'v', opts)}
	v.h.cache = s.cache
	return v
}

// Get returns the key's value (a copy) and whether it exists.
func (v *ValueState) Get(key []byte) ([]byte, bool, error) { return v.h.get(v.h.key(key)) }

// Put sets the key's value (and restarts its TTL).
func (v *ValueState) Put(key, value []byte) error {
	k, raw := v.h.key(key), v.h.encode(value)
	v.h.cache.put(k, raw)
	return v.h.s.batch.Set(k, raw, nil)
}

// Delete removes the key's value.
func (v *ValueState) Delete(key []byte) error {
	k := v.h.key(key)
	v.h.cache.put(k, nil)
	return v.h.s.batch.Delete(k, nil)
}

// MapState holds a map per key.
type MapState struct {
	h    handle
	mbuf []byte
}

// Map returns the map state named name in scope sc.
func (s *Store) Map(sc Scope, name string, opts ...Option) *MapState {
	return &MapState{h: s.newHandle(sc, name, 'm', opts)}
}

func (m *MapState) key(key, mk []byte) []byte {
	m.mbuf = append(m.h.key(key), mk...)
	return m.mbuf
}

// Get returns one entry of the key's map.
func (m *MapState) Get(key, mapKey []byte) ([]byte, bool, error) { return m.h.get(m.key(key, mapKey)) }

// Put sets one entry of the key's map.
func (m *MapState) Put(key, mapKey, value []byte) error {
	return m.h.s.batch.Set(m.key(key, mapKey), m.h.encode(value), nil)
}

// Delete removes one entry of the key's map.
func (m *MapState) Delete(key, mapKey []byte) error {
	return m.h.s.batch.Delete(m.key(key, mapKey), nil)
}

// Range calls fn for each live entry of the key's map in map-key order
// until fn returns false. The slices are only valid during the call.
func (m *MapState) Range(key []byte, fn func(mapKey, value []byte) bool) error {
	prefix := append([]byte(nil), m.h.key(key)...)
	it, err := m.h.s.batch.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("state range: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		v, ok, err := m.h.decode(it.Value())
		if err != nil {
			return err
		}
		if ok && !fn(it.Key()[len(prefix):], v) {
			break
		}
	}
	return it.Error()
}

// Clear removes the key's whole map.
func (m *MapState) Clear(key []byte) error {
	prefix := m.h.key(key)
	return m.h.s.batch.DeleteRange(prefix, prefixEnd(prefix), nil)
}

func prefixEnd(p []byte) []byte {
	e := append([]byte(nil), p...)
	for i := len(e) - 1; i >= 0; i-- {
		e[i]++
		if e[i] != 0 {
			return e[:i+1]
		}
	}
	return nil
}

// Sweep deletes up to limit expired state entries of scope sc, resuming
// where the last sweep of sc stopped, so TTL'd state does not accumulate on
// disk. A task sweeps only its own scopes: deleting another task's keys in
// this task's batch could erase a value that task just refreshed.
func (s *Store) Sweep(sc Scope, limit int) (int, error) {
	scope := append([]byte{nsState}, sc.appendTo(nil)...)
	lo := scope
	if c, ok := s.sweep[string(scope)]; ok {
		lo = c
	}
	it, err := s.batch.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(scope)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	now := s.now().UnixMilli()
	seen := 0
	var doomed [][]byte
	for it.First(); it.Valid() && seen < limit*4 && len(doomed) < limit; it.Next() {
		seen++
		exp, n := binary.Varint(it.Value())
		if n > 0 && exp != 0 && exp <= now {
			doomed = append(doomed, append([]byte(nil), it.Key()...))
		}
	}
	if s.sweep == nil {
		s.sweep = map[string][]byte{}
	}
	if it.Valid() {
		s.sweep[string(scope)] = append([]byte(nil), it.Key()...)
	} else {
		delete(s.sweep, string(scope)) // wrap around next time
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	for i, k := range doomed {
		s.cache.forget(k)
		if err := s.batch.Delete(k, nil); err != nil {
			return i, err
		}
	}
	return len(doomed), nil
}
