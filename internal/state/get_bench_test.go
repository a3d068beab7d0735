package state

import (
	"fmt"
	"testing"
)

// BenchmarkValueGetCold reads committed keys the read cache does not hold:
// the path to the database (a store's first read of a key after a
// restore, or of a key evicted from its cache).
func BenchmarkValueGetCold(b *testing.B) {
	s := NewStoreWithCache(openDB(b), nil, 0)
	v := s.Value(Scope{"j", "o", 0}, "v")
	const keys = 100_000
	for i := range keys {
		v.Put(fmt.Appendf(nil, "mid_%d", i), []byte("2026-11-21"))
	}
	commit(b, s)
	key := make([]byte, 0, 16)
	i := 0
	for b.Loop() {
		key = fmt.Appendf(key[:0], "mid_%d", (i*7919)%keys)
		if _, ok, err := v.Get(key); !ok || err != nil {
			b.Fatalf("%s: %v %v", key, ok, err)
		}
		i++
	}
}

// BenchmarkCheckpoint writes 20,000 values and commits them: the write
// buffer's flush into the checkpoint batch and the batch's commit.
func BenchmarkCheckpoint(b *testing.B) {
	s := NewStore(openDB(b), nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	val := make([]byte, 100)
	key := make([]byte, 0, 16)
	round := 0
	for b.Loop() {
		for i := range 20_000 {
			key = fmt.Appendf(key[:0], "mid_%d_%d", round, i)
			v.Put(key, val)
		}
		commit(b, s)
		round++
	}
}

// BenchmarkMapRangeMiss probes a map for keys it never wrote, as a join
// probes the other side for a key that side has not sent: "fresh" is the
// store that wrote the other keys itself (the filter answers), "restored"
// a store opened on the same committed state (not fresh: every probe opens
// an LSM iterator). Compare the two ns/op.
func BenchmarkMapRangeMiss(b *testing.B) {
	db := openDB(b)
	sc := Scope{"j", "join", 0}
	s := NewStore(db, nil)
	m := s.Map(sc, "left")
	const keys = 50_000
	for i := range keys {
		m.Put(fmt.Appendf(nil, "order_%d", i), []byte("detail_1"), []byte("row"))
	}
	commit(b, s)
	probe := func(b *testing.B, m *MapState) {
		key := make([]byte, 0, 16)
		i := 0
		for b.Loop() {
			key = fmt.Appendf(key[:0], "order_%d", keys+i)
			if err := m.Range(key, func(_, _ []byte) bool { b.Fatal("an entry for a key never written"); return false }); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("fresh", func(b *testing.B) { probe(b, m) })
	b.Run("restored", func(b *testing.B) { probe(b, NewStore(db, nil).Map(sc, "left")) })
}
