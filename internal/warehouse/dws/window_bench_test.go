package dws

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// benchBeans is the BenchmarkDWSWindow workload: keys windows of perKey
// beans each (one 10 s window per key, records interleaved across keys),
// order ids drawn from perKey*3/10 values (about 30% distinct), every 20th
// bean the retraction of the key's previous one (a corrected detail).
func benchBeans(keys, perKey int) []bean {
	rng := rand.New(rand.NewPCG(1, 2))
	prev := make([]bean, keys)
	var out []bean
	for i := range perKey {
		for k := range keys {
			b := bean{D: []string{strconv.Itoa(k)}, N: []int64{int64(100 + rng.IntN(100000))},
				U: []string{strconv.Itoa(1_000_000 + rng.IntN(perKey*3/10))}}
			if i%20 == 19 {
				b = prev[k]
				b.R = true
			}
			prev[k] = b
			out = append(out, b)
		}
	}
	return out
}

// BenchmarkDWSWindow: one op is 100 windows x 1,000 beans through the
// window operator (beans encoded as the per-record steps do, checkpoints
// every 10,000 records, then every window fires). ns/record is ns/op per
// bean. With the JSON accumulator (each bean re-decoding and re-encoding
// its whole window) it measured 9.46 s/op, 94,591 ns/record, 87.3 M
// allocs/op on the 2-core dev machine.
func BenchmarkDWSWindow(b *testing.B) {
	const keys, perKey = 100, 1000
	beans := benchBeans(keys, perKey)
	base := int64(1795222800000)
	cfg := Config{}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	f := cfg.windowOperator(provinceOrderTable)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: streamtest.Quiet{}})
		if err != nil {
			b.Fatal(err)
		}
		h, err := stream.NewHarness(db, "window", f, streamtest.Epoch)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i, bn := range beans {
			from := stream.Record{Time: base + int64(i/keys)*10}
			rec := beanRecord(&from, bn)
			if err := h.Process(rec); err != nil {
				b.Fatal(err)
			}
			if i%10_000 == 9_999 {
				if err := h.Checkpoint(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := h.Watermark(base + 10_000); err != nil {
			b.Fatal(err)
		}
		if err := h.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(h.Output("windows")); n != keys {
			b.Fatalf("%d rows, want %d", n, keys)
		}
		h.Close()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*keys*perKey), "ns/record")
}
