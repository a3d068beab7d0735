package state

import (
	"fmt"
	"testing"
)

// A state that was empty when first used answers reads of keys it never
// wrote without Pebble, and still finds every key it wrote: through the
// write buffer, the batch, a commit, with no read cache at all. A state
// that held keys when first used (a restart) reads Pebble, and so does
// every state once the filter has seen too many keys.
func TestFreshStateReads(t *testing.T) {
	db := openDB(t)
	sc := Scope{Job: "j", Operator: "op", Partition: 0}
	s := NewStoreWithCache(db, nil, 0) // no read cache: reads reach the filter
	s.SetWriteBufferBytes(0)           // every write goes straight into the batch
	v := s.Value(sc, "first_visit")
	m := s.Map(sc, "lines")

	get := func(st *ValueState, k string) (string, bool) {
		t.Helper()
		b, ok, err := st.Get([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		return string(b), ok
	}
	if !s.fresh.absent(v.h.fresh, v.h.key([]byte("never"))) {
		t.Fatal("a fresh state does not answer a never-written key itself")
	}
	for i := range 1000 {
		if err := v.Put(fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
		if i == 500 {
			commit(t, s)
		}
	}
	if err := m.Put([]byte("order1"), []byte("line1"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if got, ok := get(v, fmt.Sprintf("k%d", i)); !ok || got != fmt.Sprintf("v%d", i) {
			t.Fatalf("k%d: %q %v after writing it", i, got, ok)
		}
		if _, ok := get(v, fmt.Sprintf("absent%d", i)); ok {
			t.Fatalf("absent%d found", i)
		}
	}
	if b, ok, err := m.Get([]byte("order1"), []byte("line1")); err != nil || !ok || string(b) != "x" {
		t.Fatalf("map entry: %q %v %v", b, ok, err)
	}
	misses := 0
	for i := range 1000 {
		if s.fresh.absent(v.h.fresh, v.h.key(fmt.Appendf(nil, "absent%d", i))) {
			misses++
		}
		if s.fresh.absent(v.h.fresh, v.h.key(fmt.Appendf(nil, "k%d", i))) {
			t.Fatalf("k%d: the filter says never written", i)
		}
	}
	if misses < 950 { // ~1% false positives at this load
		t.Errorf("only %d of 1000 never-written keys answered without Pebble", misses)
	}
	commit(t, s)

	// A restart: the state holds keys, so reads go to Pebble, and a state
	// never written is still fresh.
	s2 := NewStoreWithCache(db, nil, 0)
	v2 := s2.Value(sc, "first_visit")
	if s2.fresh.absent(v2.h.fresh, v2.h.key([]byte("never"))) {
		t.Fatal("a state that held keys at open answers reads without Pebble")
	}
	if got, ok := get(v2, "k7"); !ok || got != "v7" {
		t.Fatalf("k7 after the restart: %q %v", got, ok)
	}
	other := s2.Value(sc, "other")
	if !s2.fresh.absent(other.h.fresh, other.h.key([]byte("k7"))) {
		t.Fatal("a never-written state is not fresh after the restart")
	}

	// Past freshMax keys the filter is off; everything still reads right.
	s3 := NewStoreWithCache(openDB(t), nil, 0)
	s3.SetWriteBufferBytes(1 << 20)
	v3 := s3.Value(sc, "many")
	// (A key that is a false positive is not counted, so it takes a
	// little more than freshMax distinct keys.)
	many := freshMax + freshMax/20
	for i := range many {
		if err := v3.Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if !s3.fresh.off || s3.fresh.absent(v3.h.fresh, v3.h.key([]byte("never"))) {
		t.Fatal("the filter is still on past freshMax keys")
	}
	if _, ok := get(v3, fmt.Sprint("k", many-1)); !ok {
		t.Fatal("the last key is lost once the filter is off")
	}
	if _, ok := get(v3, "never"); ok {
		t.Fatal("a never-written key found once the filter is off")
	}
}

// The filter grows by layers as keys come, keeps every written key (no
// false negative across layers, checked after each layer is added), and
// a store whose states all held keys at first use never makes one.
func TestFreshFilterLayers(t *testing.T) {
	db := openDB(t)
	sc := Scope{Job: "j", Operator: "op", Partition: 0}
	s := NewStoreWithCache(db, nil, 0)
	v := s.Value(sc, "v")
	if len(s.fresh.layers) != 0 {
		t.Fatal("a layer before any write")
	}
	first := freshFirstBits / freshBitsPerKey
	n := first + 2*first + first/10 // into the third layer
	second := 0                     // keys written when the second layer came
	for i := range n {
		v.Put(fmt.Appendf(nil, "k%d", i), []byte("x"))
		v.Put(fmt.Appendf(nil, "k%d", i), []byte("y")) // written again: not counted twice
		if len(s.fresh.layers) == 2 && second == 0 {
			second = i
		}
	}
	// A new key that is a false positive of the filter is not counted
	// either: up to ~1 % of a full layer's keys.
	if second < first || second > first+first/50 {
		t.Fatalf("the second layer came after %d keys, want %d (+2 %%)", second, first)
	}
	if len(s.fresh.layers) != 3 || len(s.fresh.layers[2]) != 4*len(s.fresh.layers[0]) {
		t.Fatalf("%d layers after %d keys", len(s.fresh.layers), n)
	}
	misses := 0
	for i := range n {
		if s.fresh.absent(v.h.fresh, v.h.key(fmt.Appendf(nil, "k%d", i))) {
			t.Fatalf("k%d: the filter says never written", i)
		}
		if s.fresh.absent(v.h.fresh, v.h.key(fmt.Appendf(nil, "never%d", i))) {
			misses++
		}
	}
	if misses < n*95/100 {
		t.Errorf("only %d of %d never-written keys answered by the filter", misses, n)
	}
	commit(t, s)

	// Every state held keys at first use: nothing is recorded.
	s2 := NewStoreWithCache(db, nil, 0)
	v2 := s2.Value(sc, "v")
	for i := range 100 {
		v2.Put(fmt.Appendf(nil, "again%d", i), []byte("y"))
	}
	if s2.fresh.layers != nil || s2.fresh.fresh {
		t.Fatalf("a store with no fresh state made %d layers", len(s2.fresh.layers))
	}
}

// A fresh map answers Range for a key it never wrote from the filter (its
// map prefix is recorded with every Put), and still ranges over every
// entry it wrote: buffered, in the batch, committed, and after a restart,
// when the state is no longer fresh.
func TestFreshMapRanges(t *testing.T) {
	db := openDB(t)
	sc := Scope{Job: "j", Operator: "join", Partition: 0}
	s := NewStoreWithCache(db, nil, 0)
	m := s.Map(sc, "left")
	entries := func(m *MapState, key string) string {
		t.Helper()
		var got string
		if err := m.Range([]byte(key), func(mk, v []byte) bool {
			got += string(mk) + "=" + string(v) + " "
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	prefix := func(m *MapState, key string) []byte { return append([]byte(nil), m.h.key([]byte(key))...) }
	if !s.fresh.absent(m.h.fresh, prefix(m, "order1")) {
		t.Fatal("a fresh map does not answer a never-written key's range itself")
	}
	for i := range 3 {
		if err := m.Put([]byte("order1"), fmt.Appendf(nil, "d%d", i), fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if s.fresh.absent(m.h.fresh, prefix(m, "order1")) {
		t.Fatal("the filter says a written key's map was never written")
	}
	if !s.fresh.absent(m.h.fresh, prefix(m, "order2")) {
		t.Fatal("one key's Put made another key's map unknown")
	}
	const want = "d0=v0 d1=v1 d2=v2 "
	if got := entries(m, "order1"); got != want {
		t.Fatalf("buffered: %q, want %q", got, want)
	}
	if got := entries(m, "order2"); got != "" {
		t.Fatalf("a never-written key ranges over %q", got)
	}
	commit(t, s)
	if got := entries(m, "order1"); got != want {
		t.Fatalf("committed: %q, want %q", got, want)
	}
	// After a restart the state held keys at first use: not fresh, and
	// Range reads Pebble for every key.
	s2 := NewStoreWithCache(db, nil, 0)
	m2 := s2.Map(sc, "left")
	if m2.h.fresh {
		t.Fatal("a map holding entries at first use is fresh")
	}
	if got := entries(m2, "order1"); got != want {
		t.Fatalf("after a restart: %q, want %q", got, want)
	}
}
