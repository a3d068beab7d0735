package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// model is the state a Store must show: plain maps, copied on commit.
type model struct {
	vals   map[string]string            // scope/name/key -> value
	maps   map[string]map[string]string // scope/name/key -> map key -> value
	timers map[string]bool              // scope domain ts key
}

func newModel() *model {
	return &model{vals: map[string]string{}, maps: map[string]map[string]string{}, timers: map[string]bool{}}
}

func (m *model) clone() *model {
	c := &model{vals: maps.Clone(m.vals), maps: map[string]map[string]string{}, timers: maps.Clone(m.timers)}
	for k, mm := range m.maps {
		c.maps[k] = maps.Clone(mm)
	}
	return c
}

func timerID(sc int, d TimeDomain, ts int64, key string) string {
	return fmt.Sprintf("%d %c %04d %s", sc, d, ts+100, key) // sorts as (domain, time, key) for small times
}

func (m *model) due(sc int, d TimeDomain, upTo int64) []string {
	var ids []string
	for id := range m.timers {
		var s int
		var dd byte
		var ts int64
		var key string
		fmt.Sscanf(id, "%d %c %d %s", &s, &dd, &ts, &key)
		if s == sc && TimeDomain(dd) == d && ts-100 <= upTo {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestStoreAgainstModel runs random operations on a Store and on a model,
// with random commits, discards, early flushes and restarts.
func TestStoreAgainstModel(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, uint64(seed), 600) })
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, seed*7919+1))
	dir := t.TempDir()
	open := func() *pebble.DB {
		db, err := pebble.Open(dir, &pebble.Options{Logger: quiet{}})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	defer func() { db.Close() }()
	scopes := []Scope{{"j", "a", 0}, {"j", "b", 0}}
	var s *Store
	var vals [2][2]*ValueState
	var mps [2]*MapState
	var tms [2]*Timers
	newStore := func() {
		if s != nil {
			s.Close()
		}
		s = NewStoreWithCache(db, nil, []int{0, 512, DefaultCacheBytes}[rng.IntN(3)])
		if rng.IntN(2) == 0 {
			s.SetWriteBufferBytes(rng.IntN(2000))
		}
		for i, sc := range scopes {
			vals[i] = [2]*ValueState{s.Value(sc, "v"), s.Value(sc, "w")}
			mps[i] = s.Map(sc, "m")
			tms[i] = s.Timers(sc)
		}
	}
	newStore()
	cur, committed := newModel(), newModel()
	var log []string
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("seed %d after %s:\n"+format, append([]any{seed, strings.Join(log[max(0, len(log)-25):], "\n")}, a...)...)
	}
	pick := func(n int) string { return fmt.Sprintf("k%d", rng.IntN(n)) }
	for range steps {
		sc := rng.IntN(2)
		switch op := rng.IntN(100); {
		case op < 15: // value put / delete
			n, k := rng.IntN(2), pick(6)
			mk := fmt.Sprintf("%d/%d/%s", sc, n, k)
			if rng.IntN(4) == 0 {
				log = append(log, "vdel "+mk)
				vals[sc][n].Delete([]byte(k))
				delete(cur.vals, mk)
			} else {
				v := fmt.Sprint(rng.IntN(1000))
				log = append(log, "vput "+mk+" "+v)
				vals[sc][n].Put([]byte(k), []byte(v))
				cur.vals[mk] = v
			}
		case op < 25: // value get
			n, k := rng.IntN(2), pick(6)
			mk := fmt.Sprintf("%d/%d/%s", sc, n, k)
			got, ok, err := vals[sc][n].Get([]byte(k))
			want, wok := cur.vals[mk]
			if err != nil || ok != wok || string(got) != want {
				fail("get %s = %q %v %v, want %q %v", mk, got, ok, err, want, wok)
			}
		case op < 40: // map put / delete
			k, mk := pick(3), pick(5)
			id := fmt.Sprintf("%d/%s", sc, k)
			if rng.IntN(4) == 0 {
				log = append(log, "mdel "+id+" "+mk)
				mps[sc].Delete([]byte(k), []byte(mk))
				delete(cur.maps[id], mk)
			} else {
				v := fmt.Sprint(rng.IntN(1000))
				log = append(log, "mput "+id+" "+mk+" "+v)
				mps[sc].Put([]byte(k), []byte(mk), []byte(v))
				if cur.maps[id] == nil {
					cur.maps[id] = map[string]string{}
				}
				cur.maps[id][mk] = v
			}
		case op < 44: // map clear
			k := pick(3)
			log = append(log, fmt.Sprintf("mclear %d/%s", sc, k))
			mps[sc].Clear([]byte(k))
			delete(cur.maps, fmt.Sprintf("%d/%s", sc, k))
		case op < 52: // map get and range
			k, mk := pick(3), pick(5)
			id := fmt.Sprintf("%d/%s", sc, k)
			got, ok, _ := mps[sc].Get([]byte(k), []byte(mk))
			want, wok := cur.maps[id][mk]
			if ok != wok || string(got) != want {
				fail("map get %s %s = %q %v, want %q %v", id, mk, got, ok, want, wok)
			}
			var all []string
			mps[sc].Range([]byte(k), func(mk, v []byte) bool { all = append(all, string(mk)+"="+string(v)); return true })
			var wall []string
			for _, mk := range slices.Sorted(maps.Keys(cur.maps[id])) {
				wall = append(wall, mk+"="+cur.maps[id][mk])
			}
			if fmt.Sprint(all) != fmt.Sprint(wall) {
				fail("range %s = %v, want %v", id, all, wall)
			}
		case op < 64: // timer register / delete
			d := []TimeDomain{EventTime, ProcessingTime}[rng.IntN(2)]
			ts, k := int64(rng.IntN(30)-5), pick(3)
			id := timerID(sc, d, ts, k)
			if rng.IntN(3) == 0 {
				log = append(log, "tdel "+id)
				tms[sc].Delete(d, ts, []byte(k))
				delete(cur.timers, id)
			} else {
				log = append(log, "treg "+id)
				s.Timers(scopes[sc]).Register(d, ts, []byte(k)) // another handle onto the same timers
				cur.timers[id] = true
			}
		case op < 72: // fire, peek, next
			d := []TimeDomain{EventTime, ProcessingTime}[rng.IntN(2)]
			upTo := int64(rng.IntN(30) - 5)
			want := cur.due(sc, d, upTo)
			var got []string
			cb := func(ts int64, key []byte) error {
				got = append(got, timerID(sc, d, ts, string(key)))
				return nil
			}
			if rng.IntN(2) == 0 {
				log = append(log, fmt.Sprintf("fire %d %c %d", sc, d, upTo))
				if _, err := tms[sc].Fire(d, upTo, cb); err != nil {
					fail("fire: %v", err)
				}
				for _, id := range want {
					delete(cur.timers, id)
				}
			} else if err := tms[sc].Peek(d, upTo, cb); err != nil {
				fail("peek: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				fail("fired/peeked %v, want %v", got, want)
			}
			next, ok, _ := tms[sc].Next(d)
			wnext := cur.due(sc, d, 1<<40)
			if ok != (len(wnext) > 0) || (ok && !strings.HasPrefix(wnext[0], timerID(sc, d, next, ""))) {
				fail("next %d %v, want %v", next, ok, wnext)
			}
		case op < 85: // checkpoint
			log = append(log, "commit")
			if rng.IntN(3) == 0 {
				s.Batch() // a look at the batch before the commit (the worker's changelog)
			}
			if err := s.Batch().Commit(pebble.NoSync); err != nil {
				fail("commit: %v", err)
			}
			s.Committed()
			committed = cur.clone()
		case op < 91:
			log = append(log, "discard")
			s.Discard()
			cur = committed.clone()
		case op < 95:
			log = append(log, "flush")
			s.Batch()
		case op < 98:
			log = append(log, "restart")
			cur = committed.clone()
			newStore()
		default:
			log = append(log, "reopen db")
			s.Close()
			s = nil
			db.Close()
			db = open()
			cur = committed.clone()
			newStore()
		}
	}
	// Everything, committed and read back by a fresh store.
	if err := s.Batch().Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	s.Committed()
	s.Close()
	s = nil
	newStore()
	for sc := range 2 {
		for n := range 2 {
			for i := range 6 {
				k := fmt.Sprintf("k%d", i)
				mk := fmt.Sprintf("%d/%d/%s", sc, n, k)
				got, ok, _ := vals[sc][n].Get([]byte(k))
				if want, wok := cur.vals[mk]; ok != wok || string(got) != want {
					fail("final get %s = %q %v, want %q", mk, got, ok, want)
				}
			}
		}
		for i := range 3 {
			id := fmt.Sprintf("%d/k%d", sc, i)
			var all []string
			mps[sc].Range(fmt.Appendf(nil, "k%d", i), func(mk, v []byte) bool { all = append(all, string(mk)+"="+string(v)); return true })
			var wall []string
			for _, mk := range slices.Sorted(maps.Keys(cur.maps[id])) {
				wall = append(wall, mk+"="+cur.maps[id][mk])
			}
			if fmt.Sprint(all) != fmt.Sprint(wall) {
				fail("final range %s = %v, want %v", id, all, wall)
			}
		}
		for _, d := range []TimeDomain{EventTime, ProcessingTime} {
			var got []string
			tms[sc].Fire(d, 1<<40, func(ts int64, key []byte) error { got = append(got, timerID(sc, d, ts, string(key))); return nil })
			if want := cur.due(sc, d, 1<<40); fmt.Sprint(got) != fmt.Sprint(want) {
				fail("final timers %v, want %v", got, want)
			}
		}
	}
	s.Close()
}
