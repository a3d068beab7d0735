package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

const (
	nsState = 0x20
	nsTimer = 0x21
)

// Store is one task's view of keyed state: reads see the committed store
// plus the task's uncommitted writes. Value and map writes collect in a
// write-back buffer (the last value per key) and timer changes in each
// scope's timer index; both go into the checkpoint batch when Batch is
// called, or earlier when the buffer outgrows its budget.
// A Store is used by one goroutine (its task).
type Store struct {
	db    *pebble.DB
	batch *pebble.Batch
	now   func() time.Time
	sweep map[string][]byte // TTL sweeper cursor per scope
	ttl   map[string]bool   // scopes with a TTL handle: the only ones worth sweeping
	cache *lru              // value and map point reads, written through

	wb       writeBuffer
	wbMax    int                // flush the write buffer into the batch above this many bytes
	timers   map[string]*Timers // timer index per scope (key: the scope's timer prefix)
	flushBuf []flushItem
	fresh    freshFilter // keys written, for reads of state that started empty (fresh.go)
	// wrote tallies the bytes (keys and values) of the state changes the
	// batch holds, per state; Committed hands them over. tallyTo is the
	// count of the state whose keys start with tally, the last one seen.
	wrote   map[StateName]*int
	tally   []byte
	tallyTo *int
}

// StateName names a state of a job's operator: a value or map state's
// name, or "timers" for the operator's timers.
type StateName struct{ Operator, Name string }

// DefaultCacheBytes bounds each store's cache of point reads.
const DefaultCacheBytes = 4 << 20

// DefaultWriteBufferBytes bounds each store's write-back buffer: above it,
// buffered writes go into the checkpoint batch before the checkpoint.
const DefaultWriteBufferBytes = 32 << 20

// NewStore returns a store over db. now is the processing-time clock that
// TTLs are measured against (nil = time.Now).
func NewStore(db *pebble.DB, now func() time.Time) *Store {
	return NewStoreWithCache(db, now, DefaultCacheBytes)
}

// NewStoreWithCache is NewStore with a point-read cache of cacheBytes (0: none).
func NewStoreWithCache(db *pebble.DB, now func() time.Time, cacheBytes int) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, batch: db.NewIndexedBatch(), now: now, wbMax: DefaultWriteBufferBytes}
	s.wb.init()
	s.fresh.init()
	if cacheBytes > 0 {
		s.cache = newLRU(cacheBytes)
	}
	return s
}

// SetWriteBufferBytes bounds the write-back buffer (DefaultWriteBufferBytes
// by default): when buffered writes exceed n bytes they are written into
// the checkpoint batch early. n <= 0 writes every change through at once.
func (s *Store) SetWriteBufferBytes(n int) {
	s.wbMax = n
	s.maybeFlush()
}

// Batch returns the pending checkpoint batch, to be passed as log.Txn.State,
// with every buffered write and timer change written into it. Writes made
// after the call go into the batch at the next call.
func (s *Store) Batch() *pebble.Batch {
	if err := s.flush(); err != nil {
		// Writing to an open indexed batch does not fail; if it did, the
		// batch would miss writes, and committing it would lose them.
		panic(fmt.Sprintf("state: flush into the checkpoint batch: %v", err))
	}
	return s.batch
}

// flush writes buffered state writes and timer changes into the checkpoint
// batch.
func (s *Store) flush() error {
	s.sizeBatch()
	if err := s.flushWrites(); err != nil {
		return err
	}
	for _, t := range s.timers {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// Pending reports the size in bytes of uncommitted state writes, buffered
// or in the batch.
func (s *Store) Pending() int {
	n := s.batch.Len() + s.wb.size()
	for _, t := range s.timers {
		n += t.sz
	}
	return n
}

// Committed starts a new batch after the log committed the one Batch
// returned, and returns the bytes (keys and values) of the state changes
// that batch held, per state: what the commit added to the WAL for each.
// Writes made since Batch stay pending for the next batch.
func (s *Store) Committed() map[StateName]int {
	s.newBatch()
	return s.takeWrote()
}

func (s *Store) takeWrote() map[StateName]int {
	out := make(map[StateName]int, len(s.wrote))
	for st, n := range s.wrote {
		out[st] = *n
	}
	s.dropWrote()
	return out
}

func (s *Store) dropWrote() {
	clear(s.wrote)
	s.tally, s.tallyTo = s.tally[:0], nil
}

// tallyKey adds n bytes to the state raw key k belongs to. Keys come
// sorted, so consecutive ones mostly share the last one's prefix: a key
// costs a prefix comparison, a new state a parse and a map lookup.
func (s *Store) tallyKey(k []byte, n int) {
	if s.tallyTo == nil || !bytes.HasPrefix(k, s.tally) {
		st, p := stateNameOf(k)
		if s.wrote == nil {
			s.wrote = map[StateName]*int{}
		}
		c := s.wrote[st]
		if c == nil {
			c = new(int)
			s.wrote[st] = c
		}
		s.tallyTo = c
		s.tally = append(s.tally[:0], p...) // k may be a reused buffer
		if p == nil {
			s.tallyTo = nil // no shared prefix: parse the next key again
			*c += n
			return
		}
	}
	*s.tallyTo += n
}

func (s *Store) newBatch() {
	s.batch.Close()
	s.batch = s.db.NewIndexedBatch()
}

// Discard drops uncommitted writes (restore to the last checkpoint): the
// batch, the write buffer and the timer indexes' changes, which reload from
// the store at their next use.
func (s *Store) Discard() {
	s.cache.reset()
	s.wb.reset()
	for _, t := range s.timers {
		t.unload()
	}
	s.newBatch()
	s.dropWrote()
}

// Close releases the pending batch and buffers without committing them.
func (s *Store) Close() {
	s.batch.Close()
	s.wb.reset()
	for _, t := range s.timers {
		t.unload()
	}
}

// reader is where state not in the write buffer is read: the database
// itself while the checkpoint batch is empty (as it is between checkpoints
// unless the write buffer overflowed or a map was cleared), which spares
// every read a merge of the batch's index with the database.
func (s *Store) reader() pebble.Reader {
	if s.batch.Empty() {
		return s.db
	}
	if !s.batch.Indexed() {
		// Read between a checkpoint's flush and its commit (sizeBatch's
		// batch has no index): rare, so index a copy now.
		b := s.db.NewIndexedBatchWithSize(len(s.batch.Repr()))
		if err := b.Apply(s.batch, nil); err != nil {
			panic(fmt.Sprintf("state: index the checkpoint batch: %v", err))
		}
		s.batch.Close()
		s.batch = b
	}
	return s.batch
}

// sizeBatch gives an empty batch the room of what is about to go in (the
// write buffer, the timer changes), with some to spare for the log's own
// bookkeeping: a batch grows by doubling, copying its data each time and
// holding up to twice what it needs until it is committed. The batch has
// no index (a skiplist over every record, built as it is written): what
// goes in now is committed next, unread (see reader).
func (s *Store) sizeBatch() {
	n := s.Pending()
	if n < batchPresize || !s.batch.Empty() {
		return
	}
	n += len(s.wb.m)*4 + n/64 + 4<<10 // record headers (varint lengths); timers' headers; the log's keys
	s.batch.Close()
	s.batch = s.db.NewBatchWithSize(n)
}

// batchPresize: smaller checkpoints' batches come from Pebble's pool.
const batchPresize = 256 << 10

// flushWrites moves the write buffer into the batch.
func (s *Store) flushWrites() error {
	if len(s.wb.m) == 0 {
		return nil
	}
	es := s.wb.sorted(s.flushBuf[:0])
	for _, fe := range es {
		e := fe.e
		var err error
		if e.del {
			err = s.batch.Delete(e.k, nil)
			s.tallyKey(e.k, len(e.k))
		} else {
			err = s.batch.Set(e.k, e.raw, nil)
			s.tallyKey(e.k, len(e.k)+len(e.raw))
		}
		if err != nil {
			return fmt.Errorf("state flush: %w", err)
		}
	}
	clear(es)
	s.flushBuf = es[:0]
	s.wb.reset()
	return nil
}

func (s *Store) maybeFlush() {
	if s.wb.mem() > s.wbMax {
		if err := s.flushWrites(); err != nil {
			panic(fmt.Sprintf("state: flush into the checkpoint batch: %v", err))
		}
	}
}

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
func WithTTL(ttl time.Duration) Option {
	return func(h *handle) { h.ttl, h.clock = ttl, nil }
}

// WithEventTimeTTL expires an entry ttl after its last write measured on
// clock, an event-time clock in epoch milliseconds (an operator's
// watermark): the entry reads as absent once clock() >= write time + ttl,
// and SweepAt removes it. A clock at math.MinInt64 (no watermark yet)
// expires nothing, and an entry written while it reads so never expires
// (its write time is unknown); it gets an expiry when written again.
func WithEventTimeTTL(ttl time.Duration, clock func() int64) Option {
	return func(h *handle) { h.ttl, h.clock = ttl, clock }
}

type handle struct {
	s       *Store
	prefix  []byte
	ttl     time.Duration
	clock   func() int64 // event-time TTL clock; nil for processing time
	ordered bool         // map state: buffered entries kept in key order
	fresh   bool         // the state was empty when first used (fresh.go)
	once    bool         // WriteOnceReadOnce: the read cache is not used
	kbuf    []byte
}

// WriteOnceReadOnce marks state whose entries are typically written once
// and read back once (a buffer that holds records until a timer releases
// them): its reads and writes bypass the store's read cache, where they
// would take the room of state read again and again, and hold every
// write twice while the write buffer has it.
func WriteOnceReadOnce() Option {
	return func(h *handle) { h.once = true }
}

func (s *Store) newHandle(sc Scope, name string, kind byte, opts []Option) handle {
	if name == "" {
		panic("state: empty state name")
	}
	p := append([]byte{nsState}, sc.appendTo(nil)...)
	p = appendStr(p, name)
	h := handle{s: s, prefix: append(p, kind), ordered: kind == 'm'}
	for _, o := range opts {
		o(&h)
	}
	h.fresh = s.fresh.opened(h.prefix, func() bool {
		empty, err := s.empty(h.prefix)
		return err == nil && empty // unknown: read Pebble
	})
	if h.ttl > 0 {
		if s.ttl == nil {
			s.ttl = map[string]bool{}
		}
		s.ttl[string(append([]byte{nsState}, sc.appendTo(nil)...))] = true
	}
	return h
}

// empty reports that no committed or batched key starts with prefix
// (the write buffer is not looked at).
func (s *Store) empty(prefix []byte) (bool, error) {
	it, err := s.reader().NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	return !it.First(), nil
}

// key returns the store key of k in the handle's buffer: valid until the
// next call (every consumer copies what it keeps).
func (h *handle) key(k []byte) []byte {
	h.kbuf = append(h.kbuf[:0], h.prefix...)
	h.kbuf = binary.AppendUvarint(h.kbuf, uint64(len(k)))
	h.kbuf = append(h.kbuf, k...)
	return h.kbuf
}

// expiry is the encoded expiry of an entry written now.
func (h *handle) expiry() int64 {
	if h.ttl <= 0 {
		return 0
	}
	if h.clock == nil {
		return h.s.now().Add(h.ttl).UnixMilli()
	}
	return eventExpiry(h.clock(), h.ttl)
}

// expiryAt is the encoded expiry of an entry written at event time t on
// an event-time TTL handle; other handles ignore t.
func (h *handle) expiryAt(t int64) int64 {
	if h.ttl <= 0 || h.clock == nil {
		return h.expiry()
	}
	return eventExpiry(t, h.ttl)
}

// eventExpiry encodes the event-time expiry of an entry written at wm.
func eventExpiry(wm int64, ttl time.Duration) int64 {
	if wm == math.MinInt64 {
		return 0 // no watermark yet: the write time is unknown
	}
	d := ttl.Milliseconds()
	exp := wm + d
	if wm > math.MaxInt64-d {
		exp = math.MaxInt64
	}
	// Only positive instants can be told from processing-time ones; an
	// earlier expiry is postponed to the epoch, never brought forward.
	return -max(exp, 1)
}

// decode returns the payload, or ok=false if the entry expired.
func (h *handle) decode(raw []byte) ([]byte, bool, error) {
	exp, n := binary.Varint(raw)
	if n <= 0 {
		return nil, false, errors.New("state: corrupt entry")
	}
	switch {
	case exp > 0:
		if exp <= h.s.now().UnixMilli() {
			return nil, false, nil
		}
	case exp < 0:
		if h.clock != nil && h.clock() >= -exp {
			return nil, false, nil
		}
	}
	return raw[n:], true, nil
}

// appended decodes raw and appends its payload to dst.
func (h *handle) appended(dst, raw []byte) ([]byte, bool, error) {
	v, ok, err := h.decode(raw)
	if !ok || err != nil {
		return nil, false, err
	}
	if dst == nil {
		dst = make([]byte, 0, len(v)) // exactly: Get's copy is often kept
	}
	return append(dst, v...), true, nil
}

func (h *handle) get(k []byte) ([]byte, bool, error) { return h.appendTo(nil, k) }

// appendTo appends k's value to dst (nil, false when there is none).
func (h *handle) appendTo(dst, k []byte) ([]byte, bool, error) {
	// The cache is written through, so it is current where it has k.
	c := h.s.cache
	if h.once {
		c = nil // (a nil cache has nothing and keeps nothing)
	}
	if raw, ok := c.get(k); ok {
		if raw == nil {
			return nil, false, nil
		}
		return h.appended(dst, raw)
	}
	if e := h.s.wb.get(k); e != nil {
		if e.del {
			return nil, false, nil
		}
		return h.appended(dst, e.raw)
	}
	if h.s.fresh.absent(h.fresh, k) {
		return nil, false, nil
	}
	raw, closer, err := h.s.reader().Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		c.put(k, nil)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get: %w", err)
	}
	defer closer.Close()
	c.put(k, raw)
	return h.appended(dst, raw)
}

func (h *handle) put(k, v []byte) { h.putExpiring(k, v, h.expiry()) }

// putExpiring is put with the encoded expiry exp.
func (h *handle) putExpiring(k, v []byte, exp int64) {
	w := &h.s.wb
	e, created := w.entry(k, h.ordered)
	if created {
		e.absent = h.knownAbsent(k) // before fresh.add records k
	}
	h.s.fresh.add(k)
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutVarint(hdr[:], exp)
	var raw []byte
	switch size := n + len(v); {
	case h.ordered:
		raw = make([]byte, size) // map entries are never changed in place: Range holds them
	case cap(e.raw) >= size:
		raw = e.raw[:size]
	case e.raw == nil:
		raw = w.alloc(size)
	default: // a growing value: from the heap, so the old bytes can go
		raw = make([]byte, size, size+size/4)
	}
	copy(raw, hdr[:n])
	copy(raw[n:], v)
	w.setRaw(e, raw, false)
	if !h.once {
		h.s.cache.put(k, raw)
	}
	h.s.maybeFlush()
}

// knownAbsent reports, without reading Pebble, that k has no value in the
// store or the batch: the cache remembers it missing (written through,
// it is current where it has k), or the fresh filter knows k was never
// written.
func (h *handle) knownAbsent(k []byte) bool {
	if !h.once {
		if raw, ok := h.s.cache.peek(k); ok {
			return raw == nil
		}
	}
	return h.s.fresh.absent(h.fresh, k)
}

func (h *handle) delete(k []byte) {
	e, created := h.s.wb.entry(k, h.ordered)
	if !created && e.absent && !e.del {
		// Put and deleted since the last flush, absent before: as if never
		// written. A record that waits a moment (a hold, a buffer, a
		// window) then costs the checkpoint nothing, not a tombstone.
		h.s.wb.drop(e)
		if !h.once {
			h.s.cache.put(k, nil)
		}
		return
	}
	var keep []byte
	if !h.ordered {
		keep = e.raw[:0] // the buffer, for a later put
	}
	h.s.wb.setRaw(e, keep, true)
	if !h.once {
		h.s.cache.put(k, nil)
	}
	h.s.maybeFlush()
}

// ValueState holds one value per key.
type ValueState struct{ h handle }

// Value returns the value state named name in scope sc.
func (s *Store) Value(sc Scope, name string, opts ...Option) *ValueState {
	v := &ValueState{h: s.newHandle(sc, name, 'v', opts)}
	return v
}

// Get returns the key's value (a copy) and whether it exists.
func (v *ValueState) Get(key []byte) ([]byte, bool, error) { return v.h.get(v.h.key(key)) }

// AppendTo is Get that appends the value to dst (and returns nil when
// there is none): an operator that reads a value to change it can reuse
// one buffer for it.
func (v *ValueState) AppendTo(dst, key []byte) ([]byte, bool, error) {
	return v.h.appendTo(dst, v.h.key(key))
}

// Put sets the key's value (and restarts its TTL).
func (v *ValueState) Put(key, value []byte) error {
	v.h.put(v.h.key(key), value)
	return nil
}

// PutWrittenAt is Put for an event-time TTL handle (WithEventTimeTTL)
// whose entry was last written at event time t rather than at the
// clock's reading now: an operator stamping its state with its rows'
// event times, so what expires does not depend on how far the watermark
// had got. t = math.MinInt64 (unknown) never expires. On other handles it
// is Put.
func (v *ValueState) PutWrittenAt(key, value []byte, t int64) error {
	v.h.putExpiring(v.h.key(key), value, v.h.expiryAt(t))
	return nil
}

// Delete removes the key's value.
func (v *ValueState) Delete(key []byte) error {
	v.h.delete(v.h.key(key))
	return nil
}

// MapState holds a map per key.
type MapState struct {
	h handle
}

// Map returns the map state named name in scope sc. Point reads (Get)
// share the store's cache with value state: buffers that hold a record
// until a timer releases it read it back from the cache, not through the
// LSM's levels.
func (s *Store) Map(sc Scope, name string, opts ...Option) *MapState {
	m := &MapState{h: s.newHandle(sc, name, 'm', opts)}
	return m
}

// key returns the store key of key's entry mk, in the handle's buffer.
func (m *MapState) key(key, mk []byte) []byte {
	m.h.kbuf = append(m.h.key(key), mk...)
	return m.h.kbuf
}

// Get returns one entry of the key's map.
func (m *MapState) Get(key, mapKey []byte) ([]byte, bool, error) { return m.h.get(m.key(key, mapKey)) }

// Put sets one entry of the key's map.
func (m *MapState) Put(key, mapKey, value []byte) error {
	m.put(key, mapKey, value, m.h.expiry())
	return nil
}

// PutWrittenAt is Put with the write time t (ValueState.PutWrittenAt).
func (m *MapState) PutWrittenAt(key, mapKey, value []byte, t int64) error {
	m.put(key, mapKey, value, m.h.expiryAt(t))
	return nil
}

func (m *MapState) put(key, mapKey, value []byte, exp int64) {
	k := m.key(key, mapKey)
	// The key's map prefix goes into the fresh filter too, so that Range
	// over a map never written (a join side probed for a key the other
	// side has not sent yet) skips the LSM.
	m.h.s.fresh.add(k[:len(k)-len(mapKey)])
	m.h.putExpiring(k, value, exp)
}

// Delete removes one entry of the key's map.
func (m *MapState) Delete(key, mapKey []byte) error {
	m.h.delete(m.key(key, mapKey))
	return nil
}

// Empty reports whether the map holds no entry under any key (written
// and committed, or buffered): an operator that finds its state empty
// when it opens knows every entry since was written by itself.
func (m *MapState) Empty() (bool, error) {
	if len(m.h.s.wb.rangeOf(m.h.prefix, prefixEnd(m.h.prefix))) > 0 {
		return false, nil
	}
	empty, err := m.h.s.empty(m.h.prefix)
	if err != nil {
		return false, fmt.Errorf("state empty: %w", err)
	}
	return empty, nil
}

// Range calls fn for each live entry of the key's map in map-key order
// until fn returns false. The slices are only valid during the call.
// Entries fn writes may or may not be visited.
func (m *MapState) Range(key []byte, fn func(mapKey, value []byte) bool) error {
	if m.h.s.fresh.absent(m.h.fresh, m.h.key(key)) {
		return nil // never written: nothing committed, nothing buffered
	}
	prefix := append([]byte(nil), m.h.kbuf...)
	end := prefixEnd(prefix)
	buffered := m.h.s.wb.rangeOf(prefix, end)
	it, err := m.h.s.reader().NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: end})
	if err != nil {
		return fmt.Errorf("state range: %w", err)
	}
	defer it.Close()
	valid := it.First()
	for valid || len(buffered) > 0 {
		var k, raw []byte
		c := cmpNext(valid, it, buffered)
		if c < 0 { // the batch's entry comes first
			k, raw = it.Key(), it.Value()
		} else if e := buffered[0]; !e.del {
			k, raw = e.k, e.raw
		}
		if k != nil {
			v, ok, err := m.h.decode(raw)
			if err != nil {
				return err
			}
			if ok && !fn(k[len(prefix):], v) {
				break
			}
		}
		if c <= 0 { // equal keys: the buffered write replaces the batch's entry
			valid = it.Next()
		}
		if c >= 0 {
			buffered = buffered[1:]
		}
	}
	return it.Error()
}

// cmpNext compares the batch iterator's key with the first buffered entry
// (a missing side sorts last).
func cmpNext(valid bool, it *pebble.Iterator, buffered []*dirtyEntry) int {
	switch {
	case !valid:
		return 1
	case len(buffered) == 0:
		return -1
	}
	return bytes.Compare(it.Key(), buffered[0].k)
}

// Clear removes the key's whole map.
func (m *MapState) Clear(key []byte) error {
	prefix := m.h.key(key)
	end := prefixEnd(prefix)
	m.h.s.wb.dropRange(prefix, end) // the range deletion covers them
	m.h.s.cache.reset()             // rare: cheaper than finding the range's entries
	return m.h.s.batch.DeleteRange(prefix, end, nil)
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
// Sweep goes by processing time only: it leaves event-time entries (see
// WithEventTimeTTL) to SweepAt.
func (s *Store) Sweep(sc Scope, limit int) (int, error) {
	return s.SweepAt(sc, limit, math.MinInt64)
}

// SweepAt is Sweep that also deletes the event-time entries expired at
// watermark (those whose expiry is <= watermark).
func (s *Store) SweepAt(sc Scope, limit int, watermark int64) (int, error) {
	scope := append([]byte{nsState}, sc.appendTo(nil)...)
	if !s.ttl[string(scope)] {
		return 0, nil // no TTL state in this scope: nothing ever expires
	}
	// The sweep works on the batch's view, so it first takes the buffered
	// writes in: a refreshed entry must not be swept by its old expiry.
	if err := s.flushWrites(); err != nil {
		return 0, err
	}
	lo := scope
	if c, ok := s.sweep[string(scope)]; ok {
		lo = c
	}
	it, err := s.reader().NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(scope)})
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
		if n > 0 && ((exp > 0 && exp <= now) || (exp < 0 && watermark >= -exp)) {
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
