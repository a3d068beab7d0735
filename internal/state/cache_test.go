package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// refLRU is the reference: a slice, most recent first.
type refLRU struct {
	max, size int
	ents      []refEnt
}

type refEnt struct {
	key string
	raw []byte
}

func (r *refLRU) index(k string) int {
	return slices.IndexFunc(r.ents, func(e refEnt) bool { return e.key == k })
}

func (r *refLRU) toFront(i int) {
	e := r.ents[i]
	r.ents = slices.Insert(slices.Delete(r.ents, i, i+1), 0, e)
}

func (r *refLRU) put(k string, raw []byte) {
	if i := r.index(k); i >= 0 {
		r.size += len(raw) - len(r.ents[i].raw)
		r.ents[i].raw = raw
		r.toFront(i)
	} else {
		r.ents = slices.Insert(r.ents, 0, refEnt{k, raw})
		r.size += len(k) + len(raw) + 64
	}
	for r.size > r.max && len(r.ents) > 0 {
		last := r.ents[len(r.ents)-1]
		r.size -= len(last.key) + len(last.raw) + 64
		r.ents = r.ents[:len(r.ents)-1]
	}
}

// The read cache evicts the least recently used entries to its byte
// budget, exactly as a plain reference list does, over random puts, gets,
// peeks, forgets and resets.
func TestLRUMatchesAReferenceModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0))
		c, ref := newLRU(600), &refLRU{max: 600}
		for step := range 2000 {
			k := fmt.Sprint("k", rng.IntN(12))
			var op string
			switch n := rng.IntN(20); {
			case n < 9:
				op = "put"
				var raw []byte
				if rng.IntN(5) > 0 {
					raw = bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(120))
				}
				c.put([]byte(k), raw)
				ref.put(k, raw)
			case n < 18: // a get makes k recent, a peek does not
				op, look := "get", c.get
				if n >= 15 {
					op, look = "peek", c.peek
				}
				got, ok := look([]byte(k))
				i := ref.index(k)
				if ok != (i >= 0) || ok && !bytes.Equal(got, ref.ents[i].raw) {
					t.Fatalf("seed %d step %d: %s %s = %q %v, reference %d", seed, step, op, k, got, ok, i)
				}
				if i >= 0 && op == "get" {
					ref.toFront(i)
				}
			case n < 19:
				op = "forget"
				c.forget([]byte(k))
				if i := ref.index(k); i >= 0 {
					ref.size -= len(k) + len(ref.ents[i].raw) + 64
					ref.ents = slices.Delete(ref.ents, i, i+1)
				}
			default:
				op = "reset"
				c.reset()
				ref.ents, ref.size = nil, 0
			}
			// Same entries, in the same recency order, same size.
			var order []string
			for e := c.ring.next; e != &c.ring; e = e.next {
				order = append(order, e.key)
			}
			var want []string
			for _, e := range ref.ents {
				want = append(want, e.key)
			}
			if !slices.Equal(order, want) || c.size != ref.size || c.n != len(want) || len(c.m) != len(want) {
				t.Fatalf("seed %d step %d (%s %s): order %v size %d n %d, reference %v size %d", seed, step, op, k, order, c.size, c.n, want, ref.size)
			}
		}
	}
}
