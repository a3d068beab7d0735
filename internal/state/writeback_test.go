package state

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

func countOps(t testing.TB, b *pebble.Batch) map[pebble.InternalKeyKind]int {
	t.Helper()
	n := map[pebble.InternalKeyKind]int{}
	r := b.Reader()
	for {
		kind, _, _, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return n
		}
		n[kind]++
	}
}

func rangeAll(t testing.TB, m *MapState, key string) string {
	t.Helper()
	var got []string
	if err := m.Range([]byte(key), func(mk, v []byte) bool {
		got = append(got, string(mk)+"="+string(v))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, " ")
}

func TestWriteBackCoalesces(t *testing.T) {
	sc := Scope{"j", "o", 0}
	for _, tc := range []struct {
		name  string
		write func(s *Store, i int)
		want  map[pebble.InternalKeyKind]int
	}{
		{"value puts", func(s *Store, i int) {
			s.Value(sc, "v").Put([]byte("window"), fmt.Appendf(nil, "%d", i))
		}, map[pebble.InternalKeyKind]int{pebble.InternalKeyKindSet: 1}},
		{"value puts then delete", func(s *Store, i int) {
			v := s.Value(sc, "v")
			v.Put([]byte("window"), fmt.Appendf(nil, "%d", i))
			if i == 999 {
				v.Delete([]byte("window"))
			}
		}, map[pebble.InternalKeyKind]int{}}, // the key never existed: nothing to write
		{"value puts then delete, of a committed key", func(s *Store, i int) {
			v := s.Value(sc, "v")
			if i == 0 {
				v.Put([]byte("window"), []byte("committed"))
				commit(t, s)
			}
			v.Put([]byte("window"), fmt.Appendf(nil, "%d", i))
			if i == 999 {
				v.Delete([]byte("window"))
			}
		}, map[pebble.InternalKeyKind]int{pebble.InternalKeyKindDelete: 1}},
		{"map puts then deletes, of keys read missing first", func(s *Store, i int) {
			m := s.Map(sc, "m")
			k := fmt.Appendf(nil, "w%d", i%10)
			if _, ok, _ := m.Get([]byte("k"), k); !ok {
				m.Put([]byte("k"), k, fmt.Appendf(nil, "%d", i))
			} else {
				m.Delete([]byte("k"), k)
			}
		}, map[pebble.InternalKeyKind]int{}},
		{"map puts", func(s *Store, i int) {
			s.Map(sc, "m").Put([]byte("k"), []byte("w1"), fmt.Appendf(nil, "%d", i))
			s.Map(sc, "m").Put([]byte("k"), []byte("w2"), fmt.Appendf(nil, "%d", i))
		}, map[pebble.InternalKeyKind]int{pebble.InternalKeyKindSet: 2}},
		{"map puts and a clear", func(s *Store, i int) {
			m := s.Map(sc, "m")
			if i == 500 {
				m.Clear([]byte("k"))
			}
			m.Put([]byte("k"), []byte("w"), fmt.Appendf(nil, "%d", i))
		}, map[pebble.InternalKeyKind]int{pebble.InternalKeyKindRangeDelete: 1, pebble.InternalKeyKindSet: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(openDiskDB(t), nil)
			defer s.Close()
			base := s.Pending()
			for i := range 1000 {
				tc.write(s, i)
			}
			if s.Pending() <= base && len(tc.want) > 0 {
				t.Fatalf("Pending() = %d with buffered writes, %d without", s.Pending(), base)
			}
			if got := countOps(t, s.Batch()); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("batch holds %v, want %v", got, tc.want)
			}
			commit(t, s)
			if got := countOps(t, s.Batch()); len(got) != 0 {
				t.Fatalf("batch after commit holds %v", got)
			}
		})
	}
}

func TestWriteBackPendingGrows(t *testing.T) {
	s := NewStore(openDiskDB(t), nil)
	v := s.Value(Scope{"j", "o", 0}, "v")
	last := s.Pending()
	for i := range 100 {
		v.Put(fmt.Appendf(nil, "key-%d", i), make([]byte, 1000))
		if p := s.Pending(); p < last+1000 {
			t.Fatalf("after %d puts Pending() = %d, was %d", i+1, p, last)
		} else {
			last = p
		}
	}
	if s.Batch().Len() < 100_000 {
		t.Fatalf("batch of %d bytes", s.Batch().Len())
	}
	if p := s.Pending(); p != s.Batch().Len() {
		t.Fatalf("after Batch() Pending() = %d, batch %d", p, s.Batch().Len())
	}
	commit(t, s)
	if p := s.Pending(); p > 100 {
		t.Fatalf("Pending() = %d after commit", p)
	}
}

// Above the buffer's budget, writes go into the batch early, and every
// read stays right.
func TestWriteBackEarlyFlush(t *testing.T) {
	db := openDiskDB(t)
	s := NewStore(db, nil)
	s.SetWriteBufferBytes(4096)
	sc := Scope{"j", "o", 0}
	v, m := s.Value(sc, "v"), s.Map(sc, "m")
	for i := range 2000 {
		v.Put(fmt.Appendf(nil, "k%d", i%300), fmt.Appendf(nil, "%d", i))
		m.Put([]byte("k"), fmt.Appendf(nil, "%03d", i%200), fmt.Appendf(nil, "%d", i))
		if i%700 == 0 {
			m.Clear([]byte("k"))
		}
		if s.wb.mem() > 4096+512 {
			t.Fatalf("buffer at %d bytes over a 4096-byte budget", s.wb.mem())
		}
	}
	if s.batch.Len() < 10_000 {
		t.Fatal("nothing flushed early")
	}
	check := func(s *Store) {
		t.Helper()
		v, m := s.Value(sc, "v"), s.Map(sc, "m")
		for k := range 300 {
			last := 1800 + k // the last i with i%300 == k
			if last >= 2000 {
				last -= 300
			}
			if got, ok, _ := v.Get(fmt.Appendf(nil, "k%d", k)); !ok || string(got) != fmt.Sprint(last) {
				t.Fatalf("k%d = %q %v, want %d", k, got, ok, last)
			}
		}
		// Cleared at i=1400 (after its put): entries of i in 1401..1999.
		var want []string
		for mk := range 200 {
			last := 1800 + mk
			want = append(want, fmt.Sprintf("%03d=%d", mk, last))
		}
		if got := rangeAll(t, m, "k"); got != strings.Join(want, " ") {
			t.Fatalf("range = %s", got)
		}
	}
	check(s)
	commit(t, s)
	check(NewStore(db, nil))

	// Budget 0: every write goes through at once.
	s.SetWriteBufferBytes(0)
	v.Put([]byte("now"), []byte("1"))
	if s.wb.mem() != 0 || s.batch.Empty() {
		t.Fatal("write not through with a zero budget")
	}
}

func TestMapClearPutRange(t *testing.T) {
	sc := Scope{"j", "o", 0}
	type step func(t *testing.T, s *Store, m *MapState)
	put := func(k, mk, v string) step {
		return func(t *testing.T, s *Store, m *MapState) { m.Put([]byte(k), []byte(mk), []byte(v)) }
	}
	del := func(k, mk string) step {
		return func(t *testing.T, s *Store, m *MapState) { m.Delete([]byte(k), []byte(mk)) }
	}
	clr := func(k string) step { return func(t *testing.T, s *Store, m *MapState) { m.Clear([]byte(k)) } }
	cp := func(t *testing.T, s *Store, m *MapState) { commit(t, s) }
	flush := func(t *testing.T, s *Store, m *MapState) { s.Batch() }
	for _, tc := range []struct {
		name  string
		steps []step
		want  string
	}{
		{"buffered", []step{put("k", "b", "2"), put("k", "a", "1"), put("k2", "a", "x")}, "a=1 b=2"},
		{"buffered over committed", []step{put("k", "a", "1"), put("k", "c", "3"), cp, put("k", "b", "2"), put("k", "a", "one"), del("k", "c")}, "a=one b=2"},
		{"buffered over flushed", []step{put("k", "a", "1"), put("k", "c", "3"), flush, put("k", "b", "2"), put("k", "a", "one"), del("k", "c")}, "a=one b=2"},
		{"clear buffered", []step{put("k", "a", "1"), clr("k"), put("k", "b", "2")}, "b=2"},
		{"clear committed then put", []step{put("k", "a", "1"), put("k", "b", "1"), cp, clr("k"), put("k", "b", "2"), put("k", "", "empty")}, "=empty b=2"},
		{"clear flushed then put the same key", []step{put("k", "a", "1"), flush, clr("k"), put("k", "a", "2")}, "a=2"},
		{"put clear put flush", []step{put("k", "a", "1"), clr("k"), put("k", "a", "2"), flush, clr("k"), put("k", "b", "3"), flush}, "b=3"},
		{"delete then put", []step{put("k", "a", "1"), cp, del("k", "a"), put("k", "a", "2")}, "a=2"},
		{"clear leaves other keys", []step{put("k", "a", "1"), put("k2", "a", "x"), put("kk", "a", "y"), clr("k")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDiskDB(t)
			s := NewStore(db, nil)
			m := s.Map(sc, "m")
			for _, st := range tc.steps {
				st(t, s, m)
			}
			if got := rangeAll(t, m, "k"); got != tc.want {
				t.Fatalf("range = %q, want %q", got, tc.want)
			}
			if got := rangeAll(t, m, "kk"); strings.Contains(tc.name, "other") && got != "a=y" {
				t.Fatalf("kk = %q", got)
			}
			commit(t, s)
			if got := rangeAll(t, NewStore(db, nil).Map(sc, "m"), "k"); got != tc.want {
				t.Fatalf("committed range = %q, want %q", got, tc.want)
			}
		})
	}
}

// Stopping a Range early and Range over expired entries.
func TestMapRangeStopAndTTL(t *testing.T) {
	clk := &clock{time.Unix(1000, 0)}
	s := NewStore(openDiskDB(t), clk.now)
	m := s.Map(Scope{"j", "o", 0}, "m", WithTTL(time.Minute))
	m.Put([]byte("k"), []byte("a"), []byte("1"))
	commit(t, s)
	clk.t = clk.t.Add(30 * time.Second)
	m.Put([]byte("k"), []byte("b"), []byte("2"))
	m.Put([]byte("k"), []byte("c"), []byte("3"))
	clk.t = clk.t.Add(45 * time.Second) // a expired
	if got := rangeAll(t, m, "k"); got != "b=2 c=3" {
		t.Fatalf("range = %q", got)
	}
	n := 0
	m.Range([]byte("k"), func(_, _ []byte) bool { n++; return false })
	if n != 1 {
		t.Fatalf("range went on after false: %d", n)
	}
}

func TestEventTimeTTL(t *testing.T) {
	sc := Scope{"j", "o", 0}
	day := 24 * time.Hour
	const t0 = int64(1_780_000_000_000) // an epoch-ms watermark
	type env struct {
		s   *Store
		clk *clock // processing time
		wm  int64  // event time
	}
	newEnv := func(t *testing.T) *env {
		e := &env{clk: &clock{time.UnixMilli(t0)}, wm: t0}
		e.s = NewStore(openDiskDB(t), e.clk.now)
		return e
	}
	get := func(t *testing.T, v *ValueState, k string) bool {
		t.Helper()
		_, ok, err := v.Get([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"expires by the clock, not processing time", func(t *testing.T, e *env) {
			v := e.s.Value(sc, "uv", WithEventTimeTTL(day, func() int64 { return e.wm }))
			v.Put([]byte("dev"), []byte("2026-05-28"))
			e.clk.t = e.clk.t.Add(3 * day) // a lagging job: wall clock far ahead
			if !get(t, v, "dev") {
				t.Fatal("expired by processing time")
			}
			e.wm += int64(day/time.Millisecond) - 1
			if !get(t, v, "dev") {
				t.Fatal("expired before the watermark passed its TTL")
			}
			commit(t, e.s)
			if n, _ := e.s.Sweep(sc, 100); n != 0 {
				t.Fatal("processing-time sweep deleted an event-time entry")
			}
			e.wm++
			if get(t, v, "dev") {
				t.Fatal("not expired at write time + TTL")
			}
			v.Put([]byte("dev"), []byte("2026-05-29")) // rewritten: lives on
			e.wm += int64(day/time.Millisecond) - 1
			if !get(t, v, "dev") {
				t.Fatal("rewrite did not restart the TTL")
			}
		}},
		{"no watermark yet", func(t *testing.T, e *env) {
			e.wm = math.MinInt64
			v := e.s.Value(sc, "uv", WithEventTimeTTL(time.Millisecond, func() int64 { return e.wm }))
			v.Put([]byte("early"), []byte("x")) // written before any watermark
			if !get(t, v, "early") {
				t.Fatal("expired at the minimum watermark")
			}
			e.wm = t0
			v.Put([]byte("later"), []byte("x"))
			e.wm = math.MaxInt64 - 1
			if !get(t, v, "early") || get(t, v, "later") {
				t.Fatal("an entry written with no watermark expired, or a later one did not")
			}
		}},
		{"written at a given time", func(t *testing.T, e *env) {
			const hour = int64(time.Hour / time.Millisecond)
			v := e.s.Value(sc, "uv", WithEventTimeTTL(time.Hour, func() int64 { return e.wm }))
			m := e.s.Map(sc, "m", WithEventTimeTTL(time.Hour, func() int64 { return e.wm }))
			e.wm = math.MinInt64 // no watermark yet: the stamp decides
			v.PutWrittenAt([]byte("ahead"), []byte("x"), t0+hour)
			v.PutWrittenAt([]byte("unknown"), []byte("x"), math.MinInt64)
			m.PutWrittenAt([]byte("k"), []byte("ahead"), []byte("x"), t0+hour)
			commit(t, e.s)
			e.wm = t0 + 2*hour - 1
			if !get(t, v, "ahead") {
				t.Fatal("expired before its write time + TTL")
			}
			if _, ok, _ := m.Get([]byte("k"), []byte("ahead")); !ok {
				t.Fatal("map entry expired before its write time + TTL")
			}
			e.wm++
			if get(t, v, "ahead") || !get(t, v, "unknown") {
				t.Fatal("not expired at its write time + TTL, or an unknown write time expired")
			}
			if _, ok, _ := m.Get([]byte("k"), []byte("ahead")); ok {
				t.Fatal("map entry not expired at its write time + TTL")
			}
			if n, err := e.s.SweepAt(sc, 100, e.wm); err != nil || n != 2 {
				t.Fatalf("swept %d (%v), want the 2 expired entries", n, err)
			}
			// A processing-time handle ignores the stamp.
			p := e.s.Value(sc, "p", WithTTL(time.Hour))
			p.PutWrittenAt([]byte("k"), []byte("x"), 1)
			if !get(t, p, "k") {
				t.Fatal("a processing-time entry took the event-time stamp")
			}
		}},
		{"no overflow", func(t *testing.T, e *env) {
			v := e.s.Value(sc, "uv", WithEventTimeTTL(day, func() int64 { return e.wm }))
			for _, wm := range []int64{math.MaxInt64, math.MaxInt64 - 1000, math.MinInt64 + 1, -5} {
				e.wm = wm
				v.Put([]byte("k"), []byte("x"))
				raw, c, err := e.s.Batch().Get(v.h.key([]byte("k")))
				if err != nil {
					t.Fatal(err)
				}
				exp, _ := binary.Varint(raw)
				c.Close()
				if exp >= 0 {
					t.Fatalf("watermark %d: expiry %d is not an event-time expiry", wm, exp)
				}
				if wm > 0 && wm < math.MaxInt64 && !get(t, v, "k") {
					t.Fatalf("watermark %d: expired at once", wm)
				}
			}
			e.wm = math.MinInt64
			if !get(t, v, "k") {
				t.Fatal("the minimum watermark expired an entry")
			}
		}},
		{"old entries read the same", func(t *testing.T, e *env) {
			clock := func() int64 { return e.wm }
			old := e.s.Value(sc, "v", WithTTL(time.Hour))
			plain := e.s.Value(sc, "p")
			old.Put([]byte("k"), []byte("ttl"))
			plain.Put([]byte("k"), []byte("forever"))
			commit(t, e.s)
			// The same state read by a handle with an event-time TTL.
			oldEv := e.s.Value(sc, "v", WithEventTimeTTL(time.Hour, clock))
			plainEv := e.s.Value(sc, "p", WithEventTimeTTL(time.Hour, clock))
			e.wm = math.MaxInt64
			if v, ok, _ := oldEv.Get([]byte("k")); !ok || string(v) != "ttl" {
				t.Fatalf("processing-time entry read %q %v", v, ok)
			}
			if v, ok, _ := plainEv.Get([]byte("k")); !ok || string(v) != "forever" {
				t.Fatalf("entry without TTL read %q %v", v, ok)
			}
			e.clk.t = e.clk.t.Add(time.Hour)
			if get(t, oldEv, "k") || get(t, old, "k") {
				t.Fatal("processing-time entry outlived its TTL")
			}
			// And an event-time entry read without an event-time clock never expires.
			ev := e.s.Value(sc, "e", WithEventTimeTTL(time.Hour, clock))
			e.wm = t0
			ev.Put([]byte("k"), []byte("x"))
			e.wm = t0 + 2*int64(time.Hour/time.Millisecond)
			if !get(t, e.s.Value(sc, "e"), "k") || get(t, ev, "k") {
				t.Fatal("wrong expiry of an event-time entry")
			}
		}},
		{"SweepAt", func(t *testing.T, e *env) {
			clock := func() int64 { return e.wm }
			ev := e.s.Value(sc, "ev", WithEventTimeTTL(time.Hour, clock))
			evm := e.s.Map(sc, "evm", WithEventTimeTTL(time.Hour, clock))
			pt := e.s.Value(sc, "pt", WithTTL(time.Hour))
			plain := e.s.Value(sc, "plain")
			other := e.s.Value(Scope{"j", "o", 1}, "ev", WithEventTimeTTL(time.Hour, clock))
			ev.Put([]byte("old"), []byte("x"))
			evm.Put([]byte("k"), []byte("old"), []byte("x"))
			other.Put([]byte("old"), []byte("x"))
			pt.Put([]byte("k"), []byte("x"))
			plain.Put([]byte("k"), []byte("x"))
			e.wm += int64(30 * time.Minute / time.Millisecond)
			ev.Put([]byte("new"), []byte("x"))
			evm.Put([]byte("k"), []byte("new"), []byte("x"))
			e.wm += int64(31 * time.Minute / time.Millisecond) // old ones expired
			commit(t, e.s)
			if n, err := e.s.Sweep(sc, 100); n != 0 || err != nil {
				t.Fatalf("Sweep deleted %d (%v)", n, err)
			}
			if n, err := e.s.SweepAt(sc, 100, math.MinInt64); n != 0 || err != nil {
				t.Fatalf("SweepAt(min) deleted %d (%v)", n, err)
			}
			n, err := e.s.SweepAt(sc, 100, e.wm)
			if n != 2 || err != nil {
				t.Fatalf("SweepAt deleted %d (%v), want the 2 expired event-time entries", n, err)
			}
			if got := fmt.Sprint(batchOps(t, e.s.Batch())); strings.Count(got, "DEL") != 2 || !strings.Contains(got, "old") || strings.Contains(got, "new") {
				t.Fatalf("swept %s", got)
			}
			commit(t, e.s)
			e.wm = math.MinInt64 // read the raw state: nothing expires
			for _, c := range []struct {
				v    *ValueState
				k    string
				want bool
			}{{ev, "old", false}, {ev, "new", true}, {pt, "k", true}, {plain, "k", true}, {other, "old", true}} {
				if get(t, c.v, c.k) != c.want {
					t.Fatalf("%s present = %v after SweepAt", c.k, !c.want)
				}
			}
			if got := rangeAll(t, evm, "k"); got != "new=x" {
				t.Fatalf("map after SweepAt: %q", got)
			}
			// Processing time goes by: SweepAt deletes those too.
			e.clk.t = e.clk.t.Add(2 * time.Hour)
			if n, _ := e.s.SweepAt(sc, 100, math.MinInt64); n != 1 {
				t.Fatalf("SweepAt deleted %d expired processing-time entries, want 1", n)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newEnv(t)) })
	}
}

// Clearing and refilling a map between checkpoints keeps the buffer within
// its budget too.
func TestWriteBackClearChurnBounded(t *testing.T) {
	s := NewStore(openDiskDB(t), nil)
	s.SetWriteBufferBytes(16 << 10)
	m := s.Map(Scope{"j", "o", 0}, "m")
	for i := range 20000 {
		m.Put([]byte("k"), fmt.Appendf(nil, "%d", i%7), []byte("v"))
		if i%3 == 0 {
			m.Clear([]byte("k"))
		}
		if s.wb.mem() > 16<<10+512 {
			t.Fatalf("buffer at %d bytes after %d writes", s.wb.mem(), i)
		}
	}
	if got := rangeAll(t, m, "k"); got != "0=v" { // cleared last at 19998; 19999%7 == 0
		t.Fatalf("range = %q", got)
	}
}

// A Range whose callback writes the map, clears it and so flushes the
// buffer, still visits what it found at its start and ends.
func TestMapRangeWhileWriting(t *testing.T) {
	s := NewStore(openDiskDB(t), nil)
	m := s.Map(Scope{"j", "o", 0}, "m")
	for i := range 5 {
		m.Put([]byte("k"), fmt.Appendf(nil, "%d", i), fmt.Appendf(nil, "v%d", i))
	}
	commit(t, s)
	for i := 5; i < 10; i++ {
		m.Put([]byte("k"), fmt.Appendf(nil, "%d", i), fmt.Appendf(nil, "v%d", i))
	}
	var got []string
	err := m.Range([]byte("k"), func(mk, v []byte) bool {
		got = append(got, string(mk)+"="+string(v))
		if string(mk) == "2" {
			s.SetWriteBufferBytes(0) // every write through from now on
			m.Put([]byte("k"), []byte("7"), []byte("changed"))
			m.Clear([]byte("k"))
			m.Put([]byte("k"), []byte("x"), []byte("new"))
		}
		return true
	})
	if err != nil || len(got) != 10 || got[9] != "9=v9" {
		t.Fatalf("range visited %v (%v)", got, err)
	}
	if got := rangeAll(t, m, "k"); got != "x=new" {
		t.Fatalf("after range: %q", got)
	}
}

// Committed hands over the bytes each state's changes put into the batch
// (keys and values), timers under "timers", and nothing of a discarded
// batch.
func TestCommittedTalliesPerState(t *testing.T) {
	s := NewStore(openDiskDB(t), nil)
	defer s.Close()
	a, b := Scope{"j", "a", 0}, Scope{"j", "b", 0}
	s.Value(a, "v").Put([]byte("k1"), make([]byte, 100))
	s.Value(a, "v").Put([]byte("k2"), make([]byte, 100))
	s.Map(b, "m").Put([]byte("k"), []byte("mk"), make([]byte, 50))
	s.Timers(a).Register(EventTime, 10, []byte("k1"))
	s.Timers(b).Register(EventTime, 10, []byte("k"))
	s.Timers(b).Register(EventTime, 20, []byte("k"))
	s.Batch()
	got := s.Committed()
	if n := got[StateName{"a", "v"}]; n < 200 || n > 300 {
		t.Errorf("a/v: %d bytes, want two 100-byte values and their keys", n)
	}
	if n := got[StateName{"b", "m"}]; n < 50 || n > 100 {
		t.Errorf("b/m: %d bytes, want one 50-byte value and its key", n)
	}
	ta, tb := got[StateName{"a", "timers"}], got[StateName{"b", "timers"}]
	if ta == 0 || tb < 2*ta-4 || tb > 2*ta+4 { // b has two timers of a key as long as a's one
		t.Errorf("timers: a %d bytes, b %d, want b about twice a", ta, tb)
	}
	if len(got) != 4 {
		t.Errorf("tallied %v, want 4 states", got)
	}
	s.Value(a, "v").Put([]byte("k3"), make([]byte, 100))
	s.Batch()
	s.Discard()
	s.Value(a, "v").Delete([]byte("k1"))
	s.Batch()
	if got := s.Committed(); len(got) != 1 || got[StateName{"a", "v"}] == 0 || got[StateName{"a", "v"}] > 30 {
		t.Errorf("after a discarded batch and one delete: %v, want only the delete's key", got)
	}
}
