package exec

import (
	"encoding/binary"
	"testing"
)

// The join's key filter never forgets a key it was given (a false "absent"
// would skip rows in state), and says "maybe" for few keys it was not.
func TestKeyFilter(t *testing.T) {
	var f keyFilter
	key := func(i uint64) []byte { return binary.BigEndian.AppendUint64([]byte("k"), i) }
	if f.mayHave(key(1)) {
		t.Fatal("an empty filter has a key")
	}
	const n = 500_000
	for i := range uint64(n) {
		f.add(key(i))
	}
	for i := range uint64(n) {
		if !f.mayHave(key(i)) {
			t.Fatalf("key %d added but absent", i)
		}
	}
	fp := 0
	for i := uint64(n); i < 2*n; i++ {
		if f.mayHave(key(i)) {
			fp++
		}
	}
	// Three probes into 2^23 bits with 5*10^5 keys: about 0.5 %.
	if rate := float64(fp) / n; rate > 0.02 {
		t.Fatalf("false positive rate %.3f", rate)
	}
}
