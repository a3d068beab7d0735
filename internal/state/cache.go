package state

import "container/list"

// lru is a byte-bounded, write-through cache of state point reads (raw
// encoded values, nil for "known absent"), so hot keys skip the write
// buffer and the LSM. It is cleared when uncommitted writes are discarded;
// it never holds more than its budget, so memory stays bounded however
// many keys exist.
type lru struct {
	max, size int
	m         map[string]*list.Element
	l         list.List
}

type lruEntry struct {
	key string
	raw []byte
}

func newLRU(maxBytes int) *lru { return &lru{max: maxBytes, m: map[string]*list.Element{}} }

func (c *lru) get(k []byte) ([]byte, bool) {
	e := c.find(k)
	if e == nil {
		return nil, false
	}
	c.l.MoveToFront(e)
	return e.Value.(*lruEntry).raw, true
}

// peek is get without making k recent: for a look that is not a read.
func (c *lru) peek(k []byte) ([]byte, bool) {
	if e := c.find(k); e != nil {
		return e.Value.(*lruEntry).raw, true
	}
	return nil, false
}

func (c *lru) find(k []byte) *list.Element {
	if c == nil {
		return nil
	}
	return c.m[string(k)]
}

func (c *lru) put(k, raw []byte) {
	if c == nil {
		return
	}
	if e, ok := c.m[string(k)]; ok {
		ent := e.Value.(*lruEntry)
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
		c.l.MoveToFront(e)
	} else {
		ent := &lruEntry{key: string(k), raw: append([]byte(nil), raw...)}
		if raw == nil {
			ent.raw = nil
		}
		c.m[ent.key] = c.l.PushFront(ent)
		c.size += len(ent.key) + len(raw) + 64
	}
	for c.size > c.max && c.l.Len() > 0 {
		c.remove(c.l.Back())
	}
}

func (c *lru) remove(e *list.Element) {
	ent := e.Value.(*lruEntry)
	c.l.Remove(e)
	delete(c.m, ent.key)
	c.size -= len(ent.key) + len(ent.raw) + 64
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
	c.l.Init()
	c.size = 0
}
