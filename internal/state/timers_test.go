package state

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// openDiskDB opens a real on-disk Pebble in a test directory.
func openDiskDB(t testing.TB) *pebble.DB {
	db, err := pebble.Open(t.TempDir(), &pebble.Options{Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// batchOps lists a batch's records as "kind key" lines (timer keys shown
// as domain:time:key, state keys by their last bytes).
func batchOps(t testing.TB, b *pebble.Batch) []string {
	t.Helper()
	var ops []string
	r := b.Reader()
	for {
		kind, key, _, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ops
		}
		ops = append(ops, fmt.Sprintf("%v %s", kind, showKey(key)))
	}
}

func showKey(k []byte) string {
	if len(k) > 0 && k[0] == nsTimer {
		sc, _ := ScopeOf(k)
		p := len(append([]byte{nsTimer}, sc.appendTo(nil)...))
		return fmt.Sprintf("%c:%d:%s", k[p], int64(uint64FromBE(k[p+1:p+9])^(1<<63)), k[p+9:])
	}
	return fmt.Sprintf("%q", k)
}

func uint64FromBE(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

type timerAt struct {
	ts  int64
	key string
}

func (x timerAt) String() string { return fmt.Sprintf("%d:%s", x.ts, x.key) }

func fireAll(t testing.TB, tm *Timers, d TimeDomain, upTo int64) []timerAt {
	t.Helper()
	var got []timerAt
	if _, err := tm.Fire(d, upTo, func(ts int64, key []byte) error {
		got = append(got, timerAt{ts, string(key)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func peekAll(t testing.TB, tm *Timers, d TimeDomain, upTo int64) []timerAt {
	t.Helper()
	var got []timerAt
	if err := tm.Peek(d, upTo, func(ts int64, key []byte) error {
		got = append(got, timerAt{ts, string(key)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTimers(t *testing.T) {
	sc := Scope{"j", "o", 3}
	reg := func(t *testing.T, tm *Timers, d TimeDomain, ts int64, key string) {
		t.Helper()
		if err := tm.Register(d, ts, []byte(key)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, db *pebble.DB, s *Store, tm *Timers)
	}{
		{"order and dedup", func(t *testing.T, _ *pebble.DB, s *Store, tm *Timers) {
			for _, x := range []timerAt{{5, "b"}, {math.MinInt64, "min"}, {5, "a"}, {-3, "z"}, {5, "b"}, {math.MaxInt64, "max"}, {0, ""}} {
				reg(t, tm, EventTime, x.ts, x.key)
			}
			reg(t, tm, ProcessingTime, 1, "p")
			if n, ok, _ := tm.Next(EventTime); !ok || n != math.MinInt64 {
				t.Fatalf("next = %d %v", n, ok)
			}
			got := fireAll(t, tm, EventTime, math.MaxInt64)
			if fmt.Sprint(got) != "[-9223372036854775808:min -3:z 0: 5:a 5:b 9223372036854775807:max]" {
				t.Fatalf("fired %v", got)
			}
			if _, ok, _ := tm.Next(EventTime); ok {
				t.Fatal("event-time timers left")
			}
			if got := fireAll(t, tm, ProcessingTime, 1); fmt.Sprint(got) != "[1:p]" {
				t.Fatalf("processing time fired %v", got)
			}
		}},
		{"register during fire", func(t *testing.T, _ *pebble.DB, s *Store, tm *Timers) {
			for i := range 600 { // more than one chunk
				reg(t, tm, EventTime, int64(i*10), fmt.Sprint(i))
			}
			var got []timerAt
			_, err := tm.Fire(EventTime, 3000, func(ts int64, key []byte) error {
				got = append(got, timerAt{ts, string(key)})
				switch {
				case ts == 100:
					reg(t, tm, EventTime, 5, "early")   // already due: fires later
					reg(t, tm, EventTime, 3000, "edge") // due at upTo
					reg(t, tm, EventTime, 3001, "late") // not due
				case string(key) == "early":
					reg(t, tm, EventTime, 5, "again") // fires too
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := 301 + 3 // 0..3000 step 10, early, again, edge
			if len(got) != want {
				t.Fatalf("fired %d timers, want %d", len(got), want)
			}
			for _, k := range []string{"early", "again", "edge"} {
				if !slices.ContainsFunc(got, func(x timerAt) bool { return x.key == k }) {
					t.Fatalf("%s did not fire", k)
				}
			}
			if n, _, _ := tm.Next(EventTime); n != 3001 {
				t.Fatalf("next = %d, want 3001 (late and the rest)", n)
			}
		}},
		{"delete during fire", func(t *testing.T, _ *pebble.DB, s *Store, tm *Timers) {
			for i := range 600 {
				reg(t, tm, EventTime, int64(i), "k")
			}
			var got []int64
			_, err := tm.Fire(EventTime, 1000, func(ts int64, key []byte) error {
				got = append(got, ts)
				if ts == 1 {
					tm.Delete(EventTime, 2, []byte("k"))   // same chunk
					tm.Delete(EventTime, 500, []byte("k")) // a later chunk
					tm.Delete(EventTime, 0, []byte("k"))   // already fired: no-op
				}
				return nil
			})
			if err != nil || len(got) != 598 || slices.Contains(got, 2) || slices.Contains(got, 500) {
				t.Fatalf("fired %d (%v)", len(got), err)
			}
		}},
		{"error mid-fire", func(t *testing.T, _ *pebble.DB, s *Store, tm *Timers) {
			for i := range 5 {
				reg(t, tm, EventTime, int64(i), "k")
			}
			boom := errors.New("boom")
			n, err := tm.Fire(EventTime, 10, func(ts int64, key []byte) error {
				if ts == 2 {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) || n != 3 {
				t.Fatalf("fired %d, %v", n, err)
			}
			if got := peekAll(t, tm, EventTime, 10); fmt.Sprint(got) != "[3:k 4:k]" {
				t.Fatalf("left %v, want the timers after the failed one", got)
			}
			commit(t, s)
			if got := peekAll(t, NewStore(s.db, nil).Timers(sc), EventTime, 10); fmt.Sprint(got) != "[3:k 4:k]" {
				t.Fatalf("committed %v", got)
			}
		}},
		{"persist and restore", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			reg(t, tm, EventTime, 7, "a")
			reg(t, tm, EventTime, -7, "b")
			reg(t, tm, ProcessingTime, 70, "c")
			if got := fireAll(t, NewStore(db, nil).Timers(sc), EventTime, 100); len(got) != 0 {
				t.Fatalf("uncommitted timers visible to another store: %v", got)
			}
			commit(t, s)
			s2 := NewStore(db, nil)
			tm2 := s2.Timers(sc)
			if n, ok, _ := tm2.Next(ProcessingTime); !ok || n != 70 {
				t.Fatalf("restored processing time next = %d %v", n, ok)
			}
			if got := fireAll(t, tm2, EventTime, 100); fmt.Sprint(got) != "[-7:b 7:a]" {
				t.Fatalf("restored fired %v", got)
			}
			commit(t, s2)
			if got := peekAll(t, NewStore(db, nil).Timers(sc), EventTime, 100); len(got) != 0 {
				t.Fatalf("fired timers restored: %v", got)
			}
			if got := peekAll(t, NewStore(db, nil).Timers(Scope{"j", "o", 4}), EventTime, 100); len(got) != 0 {
				t.Fatalf("other scope sees %v", got)
			}
		}},
		{"discard reverts", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			reg(t, tm, EventTime, 1, "a")
			reg(t, tm, EventTime, 2, "b")
			commit(t, s)
			reg(t, tm, EventTime, 3, "c")
			tm.Delete(EventTime, 2, []byte("b"))
			fireAll(t, tm, EventTime, 1)
			s.Batch() // changes in the batch are discarded as well
			reg(t, tm, EventTime, 4, "d")
			s.Discard()
			if got := peekAll(t, tm, EventTime, 10); fmt.Sprint(got) != "[1:a 2:b]" {
				t.Fatalf("after discard %v", got)
			}
			if !s.Batch().Empty() {
				t.Fatal("batch not empty after discard")
			}
		}},
		{"two handles", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			other := s.Timers(sc)
			reg(t, tm, EventTime, 1, "a")
			reg(t, other, EventTime, 2, "b")
			reg(t, other, EventTime, 1, "a")
			if got := fireAll(t, other, EventTime, 1); fmt.Sprint(got) != "[1:a]" {
				t.Fatalf("fired %v", got)
			}
			if got := fireAll(t, tm, EventTime, 10); fmt.Sprint(got) != "[2:b]" {
				t.Fatalf("fired %v", got)
			}
			if !s.Batch().Empty() {
				t.Fatalf("registered and fired between checkpoints, yet the batch holds %v", batchOps(t, s.Batch()))
			}
		}},
		{"coalesced changes", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			reg(t, tm, EventTime, 1, "old")
			reg(t, tm, EventTime, 2, "kept")
			commit(t, s)
			for range 100 {
				reg(t, tm, EventTime, 9, "churn")
				tm.Delete(EventTime, 9, []byte("churn"))
			}
			tm.Delete(EventTime, 1, []byte("old"))
			tm.Delete(EventTime, 2, []byte("kept"))
			reg(t, tm, EventTime, 2, "kept")
			reg(t, tm, EventTime, 3, "new")
			tm.Delete(EventTime, 99, []byte("never registered"))
			if got := fmt.Sprint(batchOps(t, s.Batch())); got != "[DEL e:1:old SET e:3:new]" {
				t.Fatalf("batch %s", got)
			}
		}},
		{"peek", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			for i := range 10 {
				reg(t, tm, EventTime, int64(i*10), "k")
			}
			reg(t, tm, ProcessingTime, 0, "p")
			commit(t, s)
			var got []timerAt
			err := tm.Peek(EventTime, 50, func(ts int64, key []byte) error {
				got = append(got, timerAt{ts, string(key)})
				switch {
				case ts == 10 && string(key) == "k":
					reg(t, tm, EventTime, 5, "behind")  // visited too
					reg(t, tm, EventTime, 15, "ahead")  // visited in order
					reg(t, tm, EventTime, 50, "edge")   // at upTo
					reg(t, tm, EventTime, 51, "beyond") // not visited
					tm.Delete(EventTime, 30, []byte("k"))
				case ts == 20:
					tm.Delete(EventTime, 20, []byte("k")) // deleting itself and
					reg(t, tm, EventTime, 20, "k")        // registering again: not visited again
					tm.Delete(EventTime, 0, []byte("k"))
					reg(t, tm, EventTime, 0, "k") // visited already
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != "[0:k 10:k 5:behind 15:ahead 20:k 40:k 50:edge 50:k]" {
				t.Fatalf("peek visited %v", got)
			}
			// Nothing was removed (but for the deleted 30).
			if got := fireAll(t, tm, EventTime, 100); fmt.Sprint(got) != "[0:k 5:behind 10:k 15:ahead 20:k 40:k 50:edge 50:k 51:beyond 60:k 70:k 80:k 90:k]" {
				t.Fatalf("after peek fired %v", got)
			}
			boom := errors.New("boom")
			reg(t, tm, EventTime, 1, "x")
			if err := tm.Peek(EventTime, 9, func(int64, []byte) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("peek error %v", err)
			}
			if n, _, _ := tm.Next(EventTime); n != 1 {
				t.Fatal("failed peek removed a timer")
			}
		}},
		{"peek visits a timer registered behind at most once", func(t *testing.T, db *pebble.DB, s *Store, tm *Timers) {
			reg(t, tm, EventTime, 10, "a")
			reg(t, tm, EventTime, 20, "b")
			var got []timerAt
			tm.Peek(EventTime, 100, func(ts int64, key []byte) error {
				got = append(got, timerAt{ts, string(key)})
				if len(got) > 10 {
					return errors.New("loops")
				}
				if string(key) == "b" {
					reg(t, tm, EventTime, 5, "x") // behind
				}
				if string(key) == "x" {
					tm.Delete(EventTime, 5, []byte("x"))
					reg(t, tm, EventTime, 5, "x") // visited: not again
					reg(t, tm, EventTime, 6, "y") // behind: visited
					tm.Delete(EventTime, 6, []byte("y"))
					reg(t, tm, EventTime, 6, "y") // still not visited: once
				}
				return nil
			})
			if fmt.Sprint(got) != "[10:a 20:b 5:x 6:y]" {
				t.Fatalf("visited %v", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDiskDB(t)
			s := NewStore(db, nil)
			defer s.Close()
			tc.run(t, db, s, s.Timers(sc))
		})
	}
}

// An empty Fire after many timers fired costs no scan of their deletions.
func TestTimersEmptyFireIsCheap(t *testing.T) {
	s := NewStore(openDiskDB(t), nil)
	tm := s.Timers(Scope{"j", "o", 0})
	for i := range 20000 {
		tm.Register(EventTime, int64(i), []byte("k"))
	}
	commit(t, s)
	if n, err := tm.Fire(EventTime, math.MaxInt64, func(int64, []byte) error { return nil }); n != 20000 || err != nil {
		t.Fatalf("fired %d %v", n, err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		tm.Fire(EventTime, math.MaxInt64, func(int64, []byte) error { return nil })
		tm.Next(EventTime)
	})
	if allocs > 2 {
		t.Fatalf("empty Fire allocates %v times", allocs)
	}
}
