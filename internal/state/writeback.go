package state

import (
	"bytes"
	"encoding/binary"
	"slices"
	"unsafe"

	"github.com/google/btree"
)

// writeBuffer holds a store's value and map writes since they last went
// into the checkpoint batch: one entry per key with its latest encoded
// value or a deletion, so a key written a thousand times between
// checkpoints costs the batch (and, in cluster mode, the changelog) one
// write. Every buffered entry is newer than anything in the batch for its
// key, so flushing in any order is correct.
type writeBuffer struct {
	m        map[string]*dirtyEntry
	maps     *btree.BTreeG[*dirtyEntry] // map-state entries in key order, for Range and Clear
	keyBytes int                        // total length of the keys
	rawBytes int                        // total length of the encoded values
	dropped  int                        // memory of entries dropped but not yet freed

	// Entries, their keys and value-state values are carved from chunks
	// dropped (never reused) when the buffer empties, so a Range holding
	// entries across a flush still reads them intact.
	slabs [][]dirtyEntry // every entry since the buffer emptied, in creation order
	arena []byte
}

type dirtyEntry struct {
	k       []byte // the state key, never changed; the map's key is the same bytes
	raw     []byte // encoded entry (expiry and value); unused if del
	del     bool
	dropped bool // no longer buffered (a map clear covered it, or a delete undid it)
	// absent: when a put made this entry, the key had no value in the
	// store or the batch, so deleting it again needs no tombstone.
	absent bool
}

// dirtyOverhead approximates an entry's memory besides its key and value;
// recordOverhead a batch record's besides its key and value.
const (
	dirtyOverhead  = 96
	recordOverhead = 4
)

// mem approximates the memory the buffer holds.
func (w *writeBuffer) mem() int {
	return w.keyBytes + w.rawBytes + len(w.m)*dirtyOverhead + w.dropped
}

// alloc returns n bytes of arena memory (capacity n: appending copies).
func (w *writeBuffer) alloc(n int) []byte {
	const chunk = 16 << 10
	if n > chunk/16 {
		return make([]byte, n)
	}
	if cap(w.arena)-len(w.arena) < n {
		w.arena = make([]byte, 0, chunk)
	}
	l := len(w.arena)
	w.arena = w.arena[:l+n]
	return w.arena[l : l+n : l+n]
}

// size approximates the buffer's size as batch records.
func (w *writeBuffer) size() int { return w.keyBytes + w.rawBytes + len(w.m)*recordOverhead }

// setRaw sets e's encoded value (nil with del).
func (w *writeBuffer) setRaw(e *dirtyEntry, raw []byte, del bool) {
	w.rawBytes += len(raw) - len(e.raw)
	e.raw, e.del = raw, del
}

func (w *writeBuffer) init() {
	w.m = map[string]*dirtyEntry{}
	w.maps = btree.NewG(32, func(a, b *dirtyEntry) bool { return bytes.Compare(a.k, b.k) < 0 })
}

func (w *writeBuffer) reset() {
	switch n := len(w.m); {
	case n > 1<<14: // let a large map's memory go
		w.m = map[string]*dirtyEntry{}
	case n > 0:
		clear(w.m)
	}
	if w.maps.Len() > 0 {
		w.maps.Clear(false)
	}
	w.keyBytes, w.rawBytes, w.dropped = 0, 0, 0
	w.slabs, w.arena = nil, nil
}

func (w *writeBuffer) get(k []byte) *dirtyEntry {
	if len(w.m) == 0 {
		return nil
	}
	return w.m[string(k)]
}

// entry returns k's entry, adding an empty one (created).
func (w *writeBuffer) entry(k []byte, ordered bool) (*dirtyEntry, bool) {
	if e, ok := w.m[string(k)]; ok {
		return e, false
	}
	n := len(w.slabs)
	if n == 0 || len(w.slabs[n-1]) == cap(w.slabs[n-1]) {
		w.slabs = append(w.slabs, make([]dirtyEntry, 0, 128))
		n++
	}
	slab := w.slabs[n-1][:len(w.slabs[n-1])+1]
	w.slabs[n-1] = slab
	e := &slab[len(slab)-1]
	e.k = w.alloc(len(k))
	copy(e.k, k)
	w.m[unsafe.String(&e.k[0], len(e.k))] = e // state keys are never empty
	if ordered {
		w.maps.ReplaceOrInsert(e)
	}
	w.keyBytes += len(k)
	return e, true
}

// rangeOf returns the buffered map entries with keys in [lo, hi), in order.
func (w *writeBuffer) rangeOf(lo, hi []byte) []*dirtyEntry {
	if w.maps.Len() == 0 {
		return nil
	}
	var es []*dirtyEntry
	add := func(e *dirtyEntry) bool {
		es = append(es, e)
		return true
	}
	if hi == nil { // no upper bound
		w.maps.AscendGreaterOrEqual(&dirtyEntry{k: lo}, add)
	} else {
		w.maps.AscendRange(&dirtyEntry{k: lo}, &dirtyEntry{k: hi}, add)
	}
	return es
}

// dropRange forgets the buffered map entries with keys in [lo, hi).
func (w *writeBuffer) dropRange(lo, hi []byte) {
	for _, e := range w.rangeOf(lo, hi) {
		w.drop(e)
	}
}

// drop forgets one entry: nothing of it reaches the batch. A Range that
// already holds it sees it deleted.
func (w *writeBuffer) drop(e *dirtyEntry) {
	w.maps.Delete(e)
	delete(w.m, string(e.k))
	e.dropped, e.del = true, true
	w.keyBytes -= len(e.k)
	w.rawBytes -= len(e.raw)
	w.dropped += len(e.k) + dirtyOverhead // its slab slot and key stay till the reset
}

// sorted appends the buffered entries to dst in key order: any order is
// correct (distinct keys, each newer than the batch's), but Pebble takes
// sorted writes faster.
func (w *writeBuffer) sorted(dst []flushItem) []flushItem {
	var first []byte
	common := 0 // the length of the prefix all keys share
	for _, slab := range w.slabs {
		for i := range slab {
			e := &slab[i]
			if e.dropped {
				continue
			}
			switch {
			case first == nil:
				first, common = e.k, len(e.k)
			case !bytes.HasPrefix(e.k, first[:common]):
				common = min(common, len(e.k))
				for j := range common {
					if e.k[j] != first[j] {
						common = j
						break
					}
				}
			}
			dst = append(dst, flushItem{k: e.k, e: e})
		}
	}
	// Most comparisons are settled by the 8 bytes after the shared prefix.
	for i := range dst {
		var b [8]byte
		copy(b[:], dst[i].k[common:])
		dst[i].head = binary.BigEndian.Uint64(b[:])
	}
	slices.SortFunc(dst, func(a, b flushItem) int {
		if a.head != b.head {
			if a.head < b.head {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.k[common:], b.k[common:])
	})
	return dst
}

// A flushItem is an entry to flush, with its key at hand for sorting.
type flushItem struct {
	head uint64 // the key's first 8 bytes after the prefix all keys share
	k    []byte
	e    *dirtyEntry
}
