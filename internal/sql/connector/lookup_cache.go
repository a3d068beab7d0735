package connector

import (
	"container/list"
	"errors"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// LookupCache is the per-task cache of a lookup join (Flink's
// DefaultLookupCache behind the lookup function): the rows of each key,
// a key without rows too when CacheMissingKey, evicted least recently used
// beyond MaxRows, expiring ExpireAfterWrite after the load and
// ExpireAfterAccess after the last use. Concurrent loads of one key share
// one call of the loader (async lookups of a hot key query it once). Safe
// for concurrent use; the rows it returns are shared: read them only.
type LookupCache struct {
	o   LookupCacheOptions
	now func() time.Time

	mu      sync.Mutex
	m       map[string]*lookupEntry
	lru     *list.List // of *lookupEntry, front: most recently used
	written *list.List // of *lookupEntry, front: loaded longest ago
	flights map[string]*lookupFlight
}

type lookupEntry struct {
	key              string
	rows             []row.Row
	loaded, accessed time.Time
	lruEl, writeEl   *list.Element
}

// lookupFlight is a load in progress; waiters block on done.
type lookupFlight struct {
	done chan struct{}
	rows []row.Row
	err  error
}

// NewLookupCache returns a cache with the options o on the clock now
// (time.Now when nil), or nil when o does not enable one.
func NewLookupCache(o LookupCacheOptions, now func() time.Time) *LookupCache {
	if !o.Enabled {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &LookupCache{o: o, now: now, m: map[string]*lookupEntry{}, lru: list.New(), written: list.New(),
		flights: map[string]*lookupFlight{}}
}

// Load returns the rows of key: from the cache (hit) or from load, whose
// result is cached (a key without rows only with CacheMissingKey; an error
// never). While a load of key runs, other callers for key wait for it and
// share its result.
func (c *LookupCache) Load(key string, load func() ([]row.Row, error)) (rows []row.Row, hit bool, err error) {
	c.mu.Lock()
	if rows, ok := c.getLocked(key); ok {
		c.mu.Unlock()
		return rows, true, nil
	}
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		<-f.done
		return f.rows, false, f.err
	}
	f := &lookupFlight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	defer func() {
		c.mu.Lock()
		delete(c.flights, key)
		if f.err == nil {
			c.putLocked(key, f.rows)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	// A panicking loader must not leave waiters blocked: the deferred
	// function releases them (with no rows) and the panic goes on.
	f.err = errLoadPanicked
	f.rows, f.err = load()
	return f.rows, false, f.err
}

var errLoadPanicked = errors.New("lookup: the loader panicked")

// Get returns the cached rows of key (nil for a cached missing key) and
// whether the key is cached.
func (c *LookupCache) Get(key string) ([]row.Row, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(key)
}

// Put caches the rows of key (no rows: only with CacheMissingKey).
func (c *LookupCache) Put(key string, rows []row.Row) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, rows)
}

// Len is the number of entries, expired ones not yet dropped included.
func (c *LookupCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *LookupCache) expired(e *lookupEntry, now time.Time) bool {
	return c.o.ExpireAfterWrite > 0 && now.Sub(e.loaded) >= c.o.ExpireAfterWrite ||
		c.o.ExpireAfterAccess > 0 && now.Sub(e.accessed) >= c.o.ExpireAfterAccess
}

func (c *LookupCache) getLocked(key string) ([]row.Row, bool) {
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	now := c.now()
	if c.expired(e, now) {
		c.remove(e)
		return nil, false
	}
	e.accessed = now
	c.lru.MoveToFront(e.lruEl)
	return e.rows, true
}

func (c *LookupCache) putLocked(key string, rows []row.Row) {
	if old, ok := c.m[key]; ok {
		c.remove(old)
	}
	if len(rows) == 0 && !c.o.CacheMissingKey {
		return
	}
	now := c.now()
	e := &lookupEntry{key: key, rows: rows, loaded: now, accessed: now}
	e.lruEl = c.lru.PushFront(e)
	e.writeEl = c.written.PushBack(e)
	c.m[key] = e
	// Drop expired entries from the ends where they gather (the oldest
	// loads, the least recent uses), so keys never asked for again do not
	// stay in memory; then evict beyond MaxRows.
	for el := c.written.Front(); el != nil && c.o.ExpireAfterWrite > 0; el = c.written.Front() {
		if x := el.Value.(*lookupEntry); c.expired(x, now) {
			c.remove(x)
			continue
		}
		break
	}
	for el := c.lru.Back(); el != nil && c.o.ExpireAfterAccess > 0; el = c.lru.Back() {
		if x := el.Value.(*lookupEntry); c.expired(x, now) {
			c.remove(x)
			continue
		}
		break
	}
	for c.o.MaxRows > 0 && int64(len(c.m)) > c.o.MaxRows {
		c.remove(c.lru.Back().Value.(*lookupEntry))
	}
}

func (c *LookupCache) remove(e *lookupEntry) {
	c.lru.Remove(e.lruEl)
	c.written.Remove(e.writeEl)
	delete(c.m, e.key)
}
