package state

// lru is a byte-bounded, write-through cache of state point reads (raw
// encoded values, nil for "known absent"), so hot keys skip the write
// buffer and the LSM. It is cleared when uncommitted writes are discarded;
// it never holds more than its budget, so memory stays bounded however
// many keys exist.
type lru struct {
	max, size int
	m         map[string]*lruEntry
	ring      lruEntry // sentinel: ring.next is the most recent, ring.prev the least
	n         int
}

// lruEntry is an entry and its place in the recency list (intrusive: one
// allocation per entry, not an entry and a list element).
type lruEntry struct {
	key        string
	raw        []byte
	prev, next *lruEntry
}

func newLRU(maxBytes int) *lru {
	c := &lru{max: maxBytes, m: map[string]*lruEntry{}}
	c.ring.prev, c.ring.next = &c.ring, &c.ring
	return c
}

func (c *lru) unlink(e *lruEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *lru) pushFront(e *lruEntry) {
	e.prev, e.next = &c.ring, c.ring.next
	c.ring.next.prev = e
	c.ring.next = e
}

func (c *lru) toFront(e *lruEntry) {
	if c.ring.next != e {
		c.unlink(e)
		c.pushFront(e)
	}
}

func (c *lru) get(k []byte) ([]byte, bool) {
	e := c.find(k)
	if e == nil {
		return nil, false
	}
	c.toFront(e)
	return e.raw, true
}

// peek is get without making k recent: for a look that is not a read.
func (c *lru) peek(k []byte) ([]byte, bool) {
	if e := c.find(k); e != nil {
		return e.raw, true
	}
	return nil, false
}

func (c *lru) find(k []byte) *lruEntry {
	if c == nil {
		return nil
	}
	return c.m[string(k)]
}

func (c *lru) put(k, raw []byte) {
	if c == nil {
		return
	}
	if ent, ok := c.m[string(k)]; ok {
		c.size += len(raw) - len(ent.raw)
		switch {
		case raw == nil:
			ent.raw = nil // nil means "known absent"
		case ent.raw == nil:
			ent.raw = append([]byte{}, raw...) // a copy of empty raw must stay non-nil
		case cap(ent.raw) > 2*len(raw)+64:
			// Much smaller than before: a fresh copy, so the bytes held match
			// the bytes counted (a shrinking list would otherwise keep its peak).
			ent.raw = append([]byte{}, raw...)
		default:
			ent.raw = append(ent.raw[:0], raw...) // nobody holds the old bytes
		}
		c.toFront(ent)
	} else {
		ent := &lruEntry{key: string(k), raw: append([]byte(nil), raw...)}
		if raw == nil {
			ent.raw = nil
		}
		c.m[ent.key] = ent
		c.pushFront(ent)
		c.n++
		c.size += len(ent.key) + len(raw) + 64
	}
	for c.size > c.max && c.n > 0 {
		c.remove(c.ring.prev)
	}
}

func (c *lru) remove(e *lruEntry) {
	c.unlink(e)
	c.n--
	delete(c.m, e.key)
	c.size -= len(e.key) + len(e.raw) + 64
}

func (c *lru) forget(k []byte) {
	if c == nil {
		return
	}
	if e, ok := c.m[string(k)]; ok {
		c.remove(e)
	}
}

func (c *lru) reset() {
	if c == nil {
		return
	}
	clear(c.m)
	c.ring.prev, c.ring.next = &c.ring, &c.ring
	c.n = 0
	c.size = 0
}
