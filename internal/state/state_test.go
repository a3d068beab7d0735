package state

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func openDB(t testing.TB) *pebble.DB {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func commit(t testing.TB, s *Store) {
	if err := s.Batch().Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	s.Committed()
}

func TestValueStateScopesAndCheckpoint(t *testing.T) {
	db := openDB(t)
	s := NewStore(db, nil)
	a := s.Value(Scope{"job", "op", 0}, "v")
	b := s.Value(Scope{"job", "op", 1}, "v")    // other partition
	c := s.Value(Scope{"job", "other", 0}, "v") // other operator
	d := s.Value(Scope{"job2", "op", 0}, "v")   // other job
	e := s.Value(Scope{"job", "op", 0}, "v2")   // other name
	a.Put([]byte("k"), []byte("a"))
	for _, o := range []*ValueState{b, c, d, e} {
		if _, ok, _ := o.Get([]byte("k")); ok {
			t.Fatal("state leaked across scopes")
		}
	}
	// Reads see uncommitted writes; a discard forgets them.
	if v, ok, _ := a.Get([]byte("k")); !ok || string(v) != "a" {
		t.Fatalf("read own write: %q %v", v, ok)
	}
	s.Discard()
	if _, ok, _ := a.Get([]byte("k")); ok {
		t.Fatal("discarded write still visible")
	}
	a.Put([]byte("k"), []byte("a2"))
	commit(t, s)
	s2 := NewStore(db, nil) // a restarted task
	if v, ok, _ := s2.Value(Scope{"job", "op", 0}, "v").Get([]byte("k")); !ok || string(v) != "a2" {
		t.Fatalf("committed value after restore = %q %v", v, ok)
	}
	a.Delete([]byte("k"))
	if _, ok, _ := a.Get([]byte("k")); ok {
		t.Fatal("deleted value visible")
	}
	// A key that is a prefix of another does not alias it.
	a.Put([]byte("ab"), []byte("1"))
	if _, ok, _ := a.Get([]byte("a")); ok {
		t.Fatal("key 'a' sees key 'ab'")
	}
}

func TestTTL(t *testing.T) {
	db := openDB(t)
	clk := &clock{time.Unix(1000, 0)}
	s := NewStore(db, clk.now)
	v := s.Value(Scope{"j", "o", 0}, "ttl", WithTTL(time.Hour))
	forever := s.Value(Scope{"j", "o", 0}, "forever")
	v.Put([]byte("k"), []byte("x"))
	forever.Put([]byte("k"), []byte("y"))
	clk.t = clk.t.Add(59 * time.Minute)
	if _, ok, _ := v.Get([]byte("k")); !ok {
		t.Fatal("expired too early")
	}
	v.Put([]byte("k2"), []byte("x")) // written later: lives longer
	clk.t = clk.t.Add(2 * time.Minute)
	if _, ok, _ := v.Get([]byte("k")); ok {
		t.Fatal("not expired after TTL")
	}
	if _, ok, _ := v.Get([]byte("k2")); !ok {
		t.Fatal("k2 expired early")
	}
	other := s.Value(Scope{"j", "o", 1}, "ttl", WithTTL(time.Minute)) // another task's scope
	clk.t = clk.t.Add(-time.Hour)
	other.Put([]byte("k"), []byte("theirs"))
	clk.t = clk.t.Add(time.Hour)
	commit(t, s)
	n, err := s.Sweep(Scope{"j", "o", 0}, 100)
	if err != nil || n != 1 {
		t.Fatalf("sweep deleted %d (%v), want 1", n, err)
	}
	if raw, c, err := s.Batch().Get(other.h.key([]byte("k"))); err != nil {
		t.Fatal("sweep of scope 0 deleted scope 1's entry")
	} else {
		_ = raw
		c.Close()
	}
	commit(t, s)
	if _, ok, _ := forever.Get([]byte("k")); !ok {
		t.Fatal("sweep deleted state without TTL")
	}
}

func TestMapState(t *testing.T) {
	s := NewStore(openDB(t), nil)
	m := s.Map(Scope{"j", "o", 0}, "m")
	m.Put([]byte("k"), []byte("b"), []byte("2"))
	m.Put([]byte("k"), []byte("a"), []byte("1"))
	m.Put([]byte("k2"), []byte("a"), []byte("other"))
	var got []string
	m.Range([]byte("k"), func(mk, v []byte) bool { got = append(got, string(mk)+"="+string(v)); return true })
	if fmt.Sprint(got) != "[a=1 b=2]" {
		t.Fatalf("range = %v", got)
	}
	m.Delete([]byte("k"), []byte("a"))
	if _, ok, _ := m.Get([]byte("k"), []byte("a")); ok {
		t.Fatal("deleted entry visible")
	}
	m.Clear([]byte("k"))
	got = nil
	m.Range([]byte("k"), func(mk, v []byte) bool { got = append(got, string(mk)); return true })
	if len(got) != 0 {
		t.Fatalf("after clear: %v", got)
	}
	if v, ok, _ := m.Get([]byte("k2"), []byte("a")); !ok || string(v) != "other" {
		t.Fatal("clear removed another key's map")
	}
}

func TestTimersOrderDedupAndNested(t *testing.T) {
	s := NewStore(openDB(t), nil)
	tm := s.Timers(Scope{"j", "o", 0})
	for _, ts := range []int64{30, -5, 10, 20, 10} {
		tm.Register(EventTime, ts, fmt.Appendf(nil, "k%d", ts))
	}
	tm.Register(ProcessingTime, 1, []byte("p"))
	if next, ok, _ := tm.Next(EventTime); !ok || next != -5 {
		t.Fatalf("next = %d %v", next, ok)
	}
	var fired []string
	n, err := tm.Fire(EventTime, 20, func(ts int64, key []byte) error {
		fired = append(fired, fmt.Sprintf("%d:%s", ts, key))
		if ts == 10 { // a timer registered while firing, already due
			tm.Register(EventTime, 15, []byte("nested"))
		}
		return nil
	})
	if err != nil || n != 4 || fmt.Sprint(fired) != "[-5:k-5 10:k10 20:k20 15:nested]" {
		t.Fatalf("fired %d %v %v", n, fired, err)
	}
	if next, _, _ := tm.Next(EventTime); next != 30 {
		t.Fatalf("left %d, want 30", next)
	}
	if next, _, _ := tm.Next(ProcessingTime); next != 1 {
		t.Fatal("event-time firing touched processing-time timers")
	}
	tm.Delete(EventTime, 30, []byte("k30"))
	if _, ok, _ := tm.Next(EventTime); ok {
		t.Fatal("deleted timer still registered")
	}
}

// Memory must not grow with the number of keys: state lives in the store.
func TestMemoryBoundedByStoreNotKeys(t *testing.T) {
	db, err := pebble.Open(t.TempDir(), &pebble.Options{Cache: pebble.NewCache(8 << 20), MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewStore(db, nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	val := make([]byte, 100)
	write := func(from, to int) {
		for i := from; i < to; i++ {
			v.Put(fmt.Appendf(nil, "key-%d", i), val)
			if i%10000 == 0 {
				commit(t, s)
			}
		}
		commit(t, s)
	}
	write(0, 100_000)
	h1 := heap()
	write(100_000, 500_000)
	h2 := heap()
	// 400K more keys x ~110 bytes = 44 MB if they stayed on the heap.
	if h2 > h1+20<<20 {
		t.Fatalf("heap grew from %d to %d MB with 4x the keys", h1>>20, h2>>20)
	}
	if _, ok, _ := v.Get([]byte("key-123456")); !ok {
		t.Fatal("state lost")
	}
}

func BenchmarkValueGetPut(b *testing.B) {
	s := NewStore(openDB(b), nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	key := make([]byte, 0, 16)
	i := 0
	for b.Loop() {
		key = fmt.Appendf(key[:0], "mid_%d", i%10000)
		if _, ok, _ := v.Get(key); !ok {
			v.Put(key, []byte("2026-11-21"))
		}
		i++
		if i%5000 == 0 {
			commit(b, s)
		}
	}
}

type quiet struct{}

func (quiet) Infof(string, ...any)      {}
func (quiet) Errorf(f string, a ...any) { fmt.Printf(f+"\n", a...) }
func (quiet) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// The value cache is write-through, forgets discarded writes, and stays
// within its budget.
func TestValueCache(t *testing.T) {
	db := openDB(t)
	s := NewStoreWithCache(db, nil, 4096)
	v := s.Value(Scope{"j", "o", 0}, "v")
	v.Put([]byte("k"), []byte("1"))
	commit(t, s)
	v.Put([]byte("k"), []byte("2")) // uncommitted, cached
	if got, _, _ := v.Get([]byte("k")); string(got) != "2" {
		t.Fatalf("read %q", got)
	}
	s.Discard()
	if got, _, _ := v.Get([]byte("k")); string(got) != "1" {
		t.Fatalf("after discard read %q, want the committed 1", got)
	}
	v.Delete([]byte("k"))
	if _, ok, _ := v.Get([]byte("k")); ok {
		t.Fatal("deleted key cached as present")
	}
	for i := range 1000 {
		v.Put(fmt.Appendf(nil, "key-%d", i), make([]byte, 100))
	}
	if s.cache.size > 4096 || len(s.cache.m) > 4096/100 {
		t.Fatalf("cache holds %d bytes in %d entries over a 4096-byte budget", s.cache.size, len(s.cache.m))
	}
	if got, ok, _ := v.Get([]byte("key-3")); !ok || len(got) != 100 { // evicted, read from the batch
		t.Fatal("evicted entry lost")
	}
}

// WriteOnceReadOnce state reads what it wrote (buffered, in the batch,
// committed, deleted, discarded) without a single entry in the read cache,
// beside state that uses the cache.
func TestWriteOnceReadOnceBypassesTheCache(t *testing.T) {
	s := NewStoreWithCache(openDB(t), nil, 1<<20)
	sc := Scope{"j", "o", 0}
	once, m, v := s.Value(sc, "once", WriteOnceReadOnce()), s.Map(sc, "mapped", WriteOnceReadOnce()), s.Value(sc, "v")
	read := func(key, want string) {
		t.Helper()
		got, ok, err := once.Get([]byte(key))
		if err != nil || ok != (want != "") || string(got) != want {
			t.Fatalf("%s: %q, %v, %v; want %q", key, got, ok, err, want)
		}
	}
	once.Put([]byte("a"), []byte("1"))
	m.Put([]byte("a"), []byte("x"), []byte("2"))
	read("a", "1") // from the write buffer
	commit(t, s)
	read("a", "1") // from the store
	once.Put([]byte("b"), []byte("3"))
	s.Batch() // into the batch
	read("b", "3")
	once.Delete([]byte("a"))
	read("a", "")
	s.Discard()
	read("a", "1")
	read("b", "")
	if got, ok, _ := m.Get([]byte("a"), []byte("x")); !ok || string(got) != "2" {
		t.Fatalf("map: %q %v", got, ok)
	}
	if len(s.cache.m) != 0 {
		t.Fatalf("%d cache entries for write-once state", len(s.cache.m))
	}
	v.Put([]byte("c"), []byte("4"))
	if len(s.cache.m) != 1 {
		t.Fatalf("state with the cache has %d entries, want 1", len(s.cache.m))
	}
}

// Put, Delete, Get of the same cached key reads as absent, not corrupt.
func TestCachedDeleteAfterPut(t *testing.T) {
	s := NewStore(openDB(t), nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	v.Put([]byte("k"), []byte("x"))
	v.Get([]byte("k"))
	v.Delete([]byte("k"))
	if _, ok, err := v.Get([]byte("k")); ok || err != nil {
		t.Fatalf("after delete: ok=%v err=%v", ok, err)
	}
}

func TestTimersFireAtMaxTime(t *testing.T) {
	s := NewStore(openDB(t), nil)
	tm := s.Timers(Scope{"j", "o", 0})
	tm.Register(EventTime, 5, []byte("a"))
	tm.Register(EventTime, math.MaxInt64, []byte("b"))
	n, err := tm.Fire(EventTime, math.MaxInt64, func(int64, []byte) error { return nil })
	if err != nil || n != 2 {
		t.Fatalf("Fire(MaxInt64) fired %d (%v), want 2", n, err)
	}
}

// A checkpoint's batch is sized for what goes into it (values, map
// entries, deletions, timers) before they go in, so it never grows by
// doubling, and everything in it reads back once committed.
func TestCheckpointBatchSizedUpFront(t *testing.T) {
	s := NewStore(openDB(t), nil)
	sc := Scope{"j", "o", 0}
	v, m, tm := s.Value(sc, "v"), s.Map(sc, "m"), s.Timers(sc)
	checkpoint := func(round string) {
		t.Helper()
		if n := s.Pending(); n < batchPresize {
			t.Fatalf("%s: %d bytes pending, under the %d the test needs", round, n, batchPresize)
		}
		s.sizeBatch()
		room := cap(s.batch.Repr())
		if got := len(s.Batch().Repr()); got > room {
			t.Fatalf("%s: the batch grew: %d bytes in it, room for %d", round, got, room)
		}
		commit(t, s)
	}
	for i := range 3000 {
		k := fmt.Appendf(nil, "key-%d", i)
		v.Put(k, make([]byte, 100+i%200))
		m.Put(k, []byte("mk"), make([]byte, 50))
		if err := tm.Register(EventTime, int64(i), k); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint("puts and timers")
	for i := range 3000 {
		k := fmt.Appendf(nil, "key-%d", i)
		if i%3 == 0 {
			v.Delete(k)
		} else {
			v.Put(k, make([]byte, 300))
		}
	}
	checkpoint("puts and deletes")
	if _, ok, _ := v.Get([]byte("key-3")); ok {
		t.Error("a deleted value reads back")
	}
	if raw, ok, _ := v.Get([]byte("key-4")); !ok || len(raw) != 300 {
		t.Errorf("key-4: %d bytes, %v; want the last put's 300", len(raw), ok)
	}
	if raw, ok, _ := m.Get([]byte("key-2999"), []byte("mk")); !ok || len(raw) != 50 {
		t.Errorf("map entry: %d bytes, %v", len(raw), ok)
	}
}

// A read between a checkpoint's flush and its commit (the flush's batch
// has no index) still sees the flushed writes, and the commit keeps them
// and the writes made meanwhile.
func TestReadBetweenFlushAndCommit(t *testing.T) {
	s := NewStoreWithCache(openDB(t), nil, 0) // no read cache: reads reach the batch
	sc := Scope{"j", "o", 0}
	v, m := s.Value(sc, "v"), s.Map(sc, "m")
	for i := range 3000 {
		v.Put(fmt.Appendf(nil, "key-%d", i), make([]byte, 100))
	}
	if b := s.Batch(); b.Indexed() || b.Empty() {
		t.Fatalf("flushed batch: indexed %v, empty %v; want an unindexed batch holding the writes", b.Indexed(), b.Empty())
	}
	if raw, ok, err := v.Get([]byte("key-7")); !ok || err != nil || len(raw) != 100 {
		t.Fatalf("read after the flush: %d bytes, %v, %v", len(raw), ok, err)
	}
	n := 0
	if err := m.Range([]byte("none"), func(_, _ []byte) bool { n++; return true }); err != nil || n != 0 {
		t.Fatalf("range after the flush: %d entries, %v", n, err)
	}
	v.Put([]byte("late"), []byte("x"))
	commit(t, s)
	for _, k := range []string{"key-0", "key-2999", "late"} {
		if _, ok, err := v.Get([]byte(k)); !ok || err != nil {
			t.Errorf("%s after the commit: %v, %v", k, ok, err)
		}
	}
}

// A point read builds its store key in the state's own buffer: reading a
// cached entry allocates only the copy of the value it returns, whatever
// the key's length.
func TestReadsBuildKeysInPlace(t *testing.T) {
	s := NewStoreWithCache(openDB(t), nil, 1<<20)
	v := s.Value(Scope{"j", "o", 0}, "v")
	m := s.Map(Scope{"j", "o", 0}, "m")
	key := make([]byte, 200) // longer than any buffer a shorter key left
	for i := range key {
		key[i] = byte('a' + i%26)
	}
	v.Put(key, []byte("value"))
	m.Put(key, key, []byte("entry"))
	commit(t, s)
	for name, get := range map[string]func() ([]byte, bool, error){
		"value": func() ([]byte, bool, error) { return v.Get(key) },
		"map":   func() ([]byte, bool, error) { return m.Get(key, key) },
	} {
		if _, ok, err := get(); !ok || err != nil {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
		if allocs := testing.AllocsPerRun(100, func() { get() }); allocs != 1 {
			t.Errorf("%s state: a cached read allocates %v times, want 1 (the value's copy)", name, allocs)
		}
	}
}

// AppendTo reads a value into the caller's buffer: the same bytes as Get,
// wherever the value is (write buffer, batch, committed), nil when absent.
func TestAppendTo(t *testing.T) {
	s := NewStore(openDB(t), nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	buf := make([]byte, 0, 64)
	check := func(when string, want string, present bool) {
		t.Helper()
		got, ok, err := v.AppendTo(append(buf[:0], "prefix:"...), []byte("k"))
		if err != nil || ok != present {
			t.Fatalf("%s: %q %v %v", when, got, ok, err)
		}
		if present && string(got) != "prefix:"+want {
			t.Fatalf("%s: appended %q, want prefix:%s", when, got, want)
		}
		if !present && got != nil {
			t.Fatalf("%s: absent value gave %q", when, got)
		}
		if g, _, _ := v.Get([]byte("k")); present && string(g) != want {
			t.Fatalf("%s: Get %q, AppendTo %q", when, g, got)
		}
	}
	check("never written", "", false)
	v.Put([]byte("k"), []byte("one"))
	check("buffered", "one", true)
	commit(t, s)
	check("committed", "one", true)
	s.cache.reset()
	check("committed, not cached", "one", true)
	v.Delete([]byte("k"))
	check("deleted", "", false)
}
