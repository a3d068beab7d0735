package dim

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// CacheOptions configures NewCache.
type CacheOptions struct {
	Size int           // entries (rows and known misses); default 10000
	TTL  time.Duration // how old a served value may be; default 10m
	// Now is the clock entries expire by (tests); default time.Now.
	Now func() time.Time
}

// Default cache settings (rtdw.yaml dim.cache).
const (
	DefaultCacheSize = 10000
	DefaultCacheTTL  = 10 * time.Minute
)

func (o *CacheOptions) validate() error {
	if o.Size < 0 || o.TTL < 0 {
		return fmt.Errorf("dim: cache size (%d) and ttl (%s) must not be negative", o.Size, o.TTL)
	}
	if o.Size == 0 {
		o.Size = DefaultCacheSize
	}
	if o.TTL == 0 {
		o.TTL = DefaultCacheTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Cache is an LRU + TTL Getter in front of another Getter. When the getter
// is a Notifier, the cache subscribes and drops each changed row (or
// table, or everything after a reconnect); the TTL bounds staleness if an
// invalidation is lost: a value is never served longer than TTL after it
// was read from the store. Misses are cached too (and dropped the same way
// when the row appears). Safe for concurrent use.
type Cache struct {
	g    Getter
	o    CacheOptions
	stop func()

	mu  sync.Mutex
	ll  *list.List // front: most recently used
	m   map[string]*list.Element
	gen uint64 // bumped by every invalidation

	hits, misses, invalidations atomic.Uint64
}

type cacheEntry struct {
	key     string
	row     []byte
	ok      bool
	expires time.Time
}

// CacheStats are a cache's counters since it was made.
type CacheStats struct {
	Hits, Misses  uint64 // lookups served from the cache / read through
	Invalidations uint64 // changes received (rows, tables, resets)
	Entries       int
}

// NewCache makes a cache over g (subscribing to g's changes if g is a Notifier).
func NewCache(g Getter, o CacheOptions) (*Cache, error) {
	if g == nil {
		return nil, fmt.Errorf("dim: cache needs a getter")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	c := &Cache{g: g, o: o, ll: list.New(), m: map[string]*list.Element{}}
	if n, ok := g.(Notifier); ok {
		c.stop = n.Subscribe(c.Invalidate)
	}
	return c, nil
}

func cacheKey(table, key string) string { return table + "\x00" + key }

// Get implements Getter. The returned row is shared: do not modify it.
func (c *Cache) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	k := cacheKey(table, key)
	start := c.o.Now()
	c.mu.Lock()
	if el, ok := c.m[k]; ok {
		e := el.Value.(*cacheEntry)
		if start.Before(e.expires) {
			c.ll.MoveToFront(el)
			c.mu.Unlock()
			c.hits.Add(1)
			return e.row, e.ok, nil
		}
		c.remove(el)
	}
	gen := c.gen
	c.mu.Unlock()
	c.misses.Add(1)

	row, ok, err := c.g.Get(ctx, table, key)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A change announced while we read may be older than what we read or
	// newer: not knowing, do not cache (the next lookup reads again).
	if c.gen != gen {
		return row, ok, nil
	}
	e := &cacheEntry{key: k, row: row, ok: ok, expires: start.Add(c.o.TTL)}
	if el, dup := c.m[k]; dup { // a concurrent load of the same row
		el.Value = e
		c.ll.MoveToFront(el)
	} else {
		c.m[k] = c.ll.PushFront(e)
	}
	for c.ll.Len() > c.o.Size {
		c.remove(c.ll.Back())
	}
	return row, ok, nil
}

func (c *Cache) remove(el *list.Element) {
	c.ll.Remove(el)
	delete(c.m, el.Value.(*cacheEntry).key)
}

// Invalidate drops a changed row, a whole table (Key ""), or everything
// (Table ""). Stores that are Notifiers call it by themselves.
func (c *Cache) Invalidate(ch Change) {
	c.mu.Lock()
	c.gen++
	switch {
	case ch.Table == "":
		c.ll.Init()
		clear(c.m)
	case ch.Key == "":
		p := cacheKey(ch.Table, "")
		for el := c.ll.Front(); el != nil; {
			next := el.Next()
			if e := el.Value.(*cacheEntry); len(e.key) >= len(p) && e.key[:len(p)] == p {
				c.remove(el)
			}
			el = next
		}
	default:
		if el, ok := c.m[cacheKey(ch.Table, ch.Key)]; ok {
			c.remove(el)
		}
	}
	c.mu.Unlock()
	c.invalidations.Add(1)
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	n := c.ll.Len()
	c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load(), Entries: n}
}

// Close stops the subscription to the store's changes (the store stays open).
func (c *Cache) Close() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

var _ Getter = (*Cache)(nil)
