package exec

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// benchWindowAgg feeds rows of 1,000 keys, 10 per millisecond of event
// time (100 rows per key per 10 s), with the watermark 100 ms behind and
// a checkpoint every 100,000 rows, through a harness: per-row cost of the
// operator (and of the harness's hand-off), windows firing included.
func benchWindowAgg(b *testing.B, spec WindowSpec, perWindow bool) {
	schema := row.MustParseSchema("k STRING, ts TIMESTAMP(3), v BIGINT")
	var calls []AggCall
	for _, c := range []string{"sum(v)", "count(*)"} {
		if perWindow && c == "sum(v)" {
			c = "sum_nomerge(v)"
		}
		call, err := windowTestCall(c, schema)
		if err != nil {
			b.Fatal(err)
		}
		calls = append(calls, call)
	}
	spec.TimeCol = 1
	h, err := stream.NewHarness(streamtest.MemDB(b), "op", WindowAgg(WindowAggSpec{Window: spec, Keys: []int{0}, Calls: calls}), streamtest.Epoch)
	if err != nil {
		b.Fatal(err)
	}
	const nKeys = 1000
	keys := make([][]byte, nKeys)
	names := make([]row.Value, nKeys)
	for i := range keys {
		names[i] = row.String(fmt.Sprintf("key-%d", i))
		keys[i] = row.AppendKey(nil, names[i])
	}
	r := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t := int64(1_700_000_000_000) + int64(i)/10
		k := (i * 7919) % nKeys
		r.Values[0], r.Values[1], r.Values[2] = names[k], row.Timestamp(t, 0), row.BigInt(int64(i&1023))
		if err := h.Process(stream.Record{Key: keys[k], Time: t, Row: &r}); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if err := h.Watermark(t - 100); err != nil {
				b.Fatal(err)
			}
		}
		if i%100_000 == 99_999 {
			if err := h.Checkpoint(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkWindowAggTumble(b *testing.B) {
	benchWindowAgg(b, WindowSpec{Kind: Tumble, Size: 10 * time.Second}, false)
}

// BenchmarkWindowAggHop: size/slide = 10, shared slices (the default) and
// one accumulator set per window (what calls that cannot merge get).
func BenchmarkWindowAggHop(b *testing.B) {
	spec := WindowSpec{Kind: Hop, Size: 10 * time.Second, Slide: time.Second}
	b.Run("slices", func(b *testing.B) { benchWindowAgg(b, spec, false) })
	b.Run("per-window", func(b *testing.B) { benchWindowAgg(b, spec, true) })
}

func BenchmarkWindowAggCumulate(b *testing.B) {
	benchWindowAgg(b, WindowSpec{Kind: Cumulate, Size: 60 * time.Second, Step: time.Second}, false)
}

func BenchmarkWindowAggSession(b *testing.B) {
	benchWindowAgg(b, WindowSpec{Kind: Session, Gap: 500 * time.Millisecond}, false)
}
