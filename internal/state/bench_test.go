package state

import (
	"fmt"
	"testing"
)

// Registering n timers and firing them all must cost about the same per
// timer whatever n is.
func BenchmarkTimersFire(b *testing.B) {
	for _, n := range []int{10_000, 80_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := openDB(b)
			key := make([]byte, 0, 16)
			for b.Loop() {
				s := NewStore(db, nil)
				tm := s.Timers(Scope{"j", "o", 0})
				for i := range n {
					// a scrambled order of distinct times, as window ends of many keys
					ts := int64((i * 7919) % n)
					key = fmt.Appendf(key[:0], "key-%d", i%1000)
					if err := tm.Register(EventTime, ts, key); err != nil {
						b.Fatal(err)
					}
				}
				fired, err := tm.Fire(EventTime, int64(n), func(int64, []byte) error { return nil })
				if err != nil || fired != n {
					b.Fatalf("fired %d of %d: %v", fired, n, err)
				}
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/timer")
		})
	}
}

// As BenchmarkTimersFire, with a checkpoint between registering and
// firing, as when windows close in a later checkpoint than they open.
func BenchmarkTimersFireCommitted(b *testing.B) {
	for _, n := range []int{10_000, 80_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := openDB(b)
			key := make([]byte, 0, 16)
			for b.Loop() {
				s := NewStore(db, nil)
				tm := s.Timers(Scope{"j", "o", 0})
				for i := range n {
					key = fmt.Appendf(key[:0], "key-%d", i%1000)
					if err := tm.Register(EventTime, int64((i*7919)%n), key); err != nil {
						b.Fatal(err)
					}
				}
				commit(b, s)
				fired, err := tm.Fire(EventTime, int64(n), func(int64, []byte) error { return nil })
				if err != nil || fired != n {
					b.Fatalf("fired %d of %d: %v", fired, n, err)
				}
				commit(b, s)
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/timer")
		})
	}
}

// The hot path of a keyed aggregation: read a key's value, write it back,
// a checkpoint every 20,000 updates; with 1,000 keys each is updated 20
// times between checkpoints, with 10,000 twice, with 50,000 at most once.
func BenchmarkValuePutGet(b *testing.B) {
	for _, keys := range []int{1000, 10_000, 50_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			s := NewStore(openDB(b), nil)
			v := s.Value(Scope{"j", "o", 0}, "v")
			key := make([]byte, 0, 16)
			val := make([]byte, 64)
			i := 0
			for b.Loop() {
				key = fmt.Appendf(key[:0], "user_%d", i%keys)
				if _, _, err := v.Get(key); err != nil {
					b.Fatal(err)
				}
				val[0] = byte(i)
				if err := v.Put(key, val); err != nil {
					b.Fatal(err)
				}
				i++
				if i%20000 == 0 {
					commit(b, s)
				}
			}
		})
	}
}
