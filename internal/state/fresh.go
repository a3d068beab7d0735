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

const (
	freshBits   = 1 << 21 // 256 KiB per store
	freshHashes = 4
	// freshMax is the number of keys after which the filter is dropped:
	// its false-positive rate would pass ~3% (at 10 bits per key and 4
	// hashes it is about 1.2%).
	freshMax = freshBits / 10
)

type freshFilter struct {
	seed  maphash.Seed
	words []uint64
	n     int
	off   bool            // too many keys: every read goes to Pebble
	empty map[string]bool // per handle prefix: the state was empty at first use
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
	}
	return e
}

// add records a write of key k.
func (f *freshFilter) add(k []byte) {
	if f.off {
		return
	}
	if f.words == nil {
		f.words = make([]uint64, freshBits/64)
	}
	if f.n++; f.n > freshMax {
		f.off, f.words = true, nil
		return
	}
	h1, h2 := f.hash(k)
	for i := uint64(0); i < freshHashes; i++ {
		b := (h1 + i*h2) % freshBits
		f.words[b/64] |= 1 << (b % 64)
	}
}

// absent reports that k, a key of a state that was empty when first used
// (fresh: what opened returned for it), was certainly never written since.
func (f *freshFilter) absent(fresh bool, k []byte) bool {
	if f.off || !fresh {
		return false
	}
	if f.words == nil {
		return true // nothing written at all
	}
	h1, h2 := f.hash(k)
	for i := uint64(0); i < freshHashes; i++ {
		b := (h1 + i*h2) % freshBits
		if f.words[b/64]&(1<<(b%64)) == 0 {
			return true
		}
	}
	return false
}

func (f *freshFilter) hash(k []byte) (h1, h2 uint64) {
	h := maphash.Bytes(f.seed, k)
	return h, bits.RotateLeft64(h, 32) | 1
}
