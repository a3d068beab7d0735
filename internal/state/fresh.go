package state

import (
	"hash/maphash"
	"math/bits"
)

// Fresh state: a point read of a key the task never wrote, in state that
// was empty when the task first used it, need not go to Pebble. A job
// that starts from nothing (a new job, a backfill, every drained run of a
// fresh data dir) asks for many such keys: "is this device new today?",
// "has this order a detail yet?". Each one is a miss through the
// memtables and every level, the single largest cost of state reads.
//
// The store keeps a Bloom filter of the keys it wrote (one per store,
// over full keys, so all its handles share it) and, per state name, whether
// that state was empty when its first handle was made. A read that misses
// the cache and the write buffer, of a key whose state was empty and which
// the filter has never seen, is absent. The filter only answers "never
// written" with certainty; anything else reads Pebble as before. Deletes
// need nothing: the filter only ever errs towards reading.
//
// Correctness rests on the task being the only writer of its scope while
// the store lives (true in both modes: a worker restores state before it
// opens the task's store) and on every write going through a handle.

// The filter starts small and adds layers twice as large as the last
// when one fills (a scalable Bloom filter): a store that writes few keys
// (most of a live warehouse's hundred tasks) keeps 32 KiB, not the
// 224 KiB that all layers make. Only writes made once a fresh state
// exists are recorded: a fresh state's keys are written through its own
// handles, made after it was found empty.
const (
	freshFirstBits = 1 << 18 // 32 KiB: the first layer
	freshLayers    = 3       // 32 + 64 + 128 KiB
	freshHashes    = 4
	// A layer takes bits/10 keys (about 1.2 % false positives at 4
	// hashes); past the last, the filter is dropped.
	freshBitsPerKey = 10
)

// freshMax is the number of keys after which the filter is dropped.
const freshMax = (freshFirstBits + 2*freshFirstBits + 4*freshFirstBits) / freshBitsPerKey

type freshFilter struct {
	seed   maphash.Seed
	layers [][]uint64 // each twice the last; writes go to the last
	n      int        // keys in the last layer
	off    bool       // too many keys: every read goes to Pebble
	fresh  bool       // some state was empty at first use: record writes
	empty  map[string]bool
}

func (f *freshFilter) init() {
	f.seed = maphash.MakeSeed()
	f.empty = map[string]bool{}
}

// opened records whether the state under prefix is empty, once per
// prefix, and returns it: later handles on the same state keep the first
// answer, which the filter has covered since. A handle keeps it (its
// reads then need no lookup of it).
func (f *freshFilter) opened(prefix []byte, isEmpty func() bool) bool {
	e, ok := f.empty[string(prefix)]
	if !ok {
		e = isEmpty()
		f.empty[string(prefix)] = e
		f.fresh = f.fresh || e
	}
	return e
}

// add records a write of key k. A key the filter already answers for (a
// value written again, a map's prefix) is not counted again: the layers
// fill with distinct keys only.
func (f *freshFilter) add(k []byte) {
	if f.off || !f.fresh {
		return
	}
	h1, h2 := f.hash(k)
	for _, w := range f.layers {
		if layerHas(w, h1, h2) {
			return // known (or a false positive, which reads Pebble anyway)
		}
	}
	last := len(f.layers) - 1
	if last < 0 || f.n >= len(f.layers[last])*64/freshBitsPerKey {
		if len(f.layers) == freshLayers {
			f.off, f.layers = true, nil
			return
		}
		f.layers = append(f.layers, make([]uint64, (freshFirstBits<<len(f.layers))/64))
		last, f.n = last+1, 0
	}
	f.n++
	w := f.layers[last]
	bits := uint64(len(w) * 64)
	for i := uint64(0); i < freshHashes; i++ {
		b := (h1 + i*h2) % bits
		w[b/64] |= 1 << (b % 64)
	}
}

// absent reports that k, a key of a state that was empty when first used
// (fresh: what opened returned for it), was certainly never written since.
func (f *freshFilter) absent(fresh bool, k []byte) bool {
	if f.off || !fresh {
		return false
	}
	if len(f.layers) == 0 {
		return true // nothing written at all
	}
	h1, h2 := f.hash(k)
	for _, w := range f.layers {
		if layerHas(w, h1, h2) {
			return false
		}
	}
	return true
}

// layerHas reports whether layer w may hold the key of hashes h1, h2.
func layerHas(w []uint64, h1, h2 uint64) bool {
	bits := uint64(len(w) * 64)
	for i := uint64(0); i < freshHashes; i++ {
		b := (h1 + i*h2) % bits
		if w[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *freshFilter) hash(k []byte) (h1, h2 uint64) {
	h := maphash.Bytes(f.seed, k)
	return h, bits.RotateLeft64(h, 32) | 1
}
