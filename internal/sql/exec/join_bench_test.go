package exec

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Join benchmarks: rows of 1,000 keys through a harness (the operator's
// per-row cost plus the harness's hand-off), 10 rows per millisecond of
// event time, the watermark 100 ms behind, a checkpoint every 100,000 rows.

const joinBenchKeys = 1000

type joinBench struct {
	b     *testing.B
	h     *stream.Harness
	keys  [][]byte
	names []row.Value
}

func newJoinBench(b *testing.B, f stream.Factory) *joinBench {
	h, err := stream.NewHarness(streamtest.MemDB(b), "op", f, streamtest.Epoch)
	if err != nil {
		b.Fatal(err)
	}
	jb := &joinBench{b: b, h: h, keys: make([][]byte, joinBenchKeys), names: make([]row.Value, joinBenchKeys)}
	for i := range jb.keys {
		jb.names[i] = row.String(fmt.Sprintf("key-%d", i))
		jb.keys[i] = row.AppendKey(nil, jb.names[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	return jb
}

// step feeds r to input and moves time along for row i.
func (jb *joinBench) step(i, input int, key int, t int64, r *row.Row) {
	if err := jb.h.ProcessInput(input, stream.Record{Key: jb.keys[key], Time: t, Row: r}); err != nil {
		jb.b.Fatal(err)
	}
	if i%1000 == 999 {
		if err := jb.h.Watermark(t - 100); err != nil {
			jb.b.Fatal(err)
		}
	}
	if i%100_000 == 99_999 {
		if err := jb.h.Checkpoint(); err != nil {
			jb.b.Fatal(err)
		}
	}
}

var joinBenchSchema = row.MustParseSchema("k STRING, t TIMESTAMP(3), v BIGINT")

// BenchmarkJoinInnerAppend: an inner join of two append-only streams
// (multisets) with a 1 s event-time TTL keeping ~10 rows per key and
// side; each row meets ~10 rows of the other side (cond v equal: ~1 in 4
// joins).
func BenchmarkJoinInnerAppend(b *testing.B) {
	f := Join(JoinSpec{LeftSchema: joinBenchSchema, RightSchema: joinBenchSchema, StateTTL: time.Second, EventTimeTTL: true,
		Cond: func(r *row.Row) (bool, error) { return r.Values[2].Int64() == r.Values[5].Int64(), nil }})
	jb := newJoinBench(b, f)
	r := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	for i := range b.N {
		t := int64(1_700_000_000_000) + int64(i)/10
		k := (i * 7919) % joinBenchKeys
		r.Values[0], r.Values[1], r.Values[2] = jb.names[k], row.Timestamp(t, 0), row.BigInt(int64(i&3))
		jb.step(i, i&1, k, t, &r)
	}
}

// BenchmarkJoinLeftUpsert: a LEFT join of a changelog with a unique key
// (10 ids per key updated by -U/+U pairs) and a dimension keyed by the
// join key (one row per key, updated every 10th row).
func BenchmarkJoinLeftUpsert(b *testing.B) {
	left := row.MustParseSchema("k STRING, id BIGINT, v BIGINT")
	right := row.MustParseSchema("k STRING, name STRING")
	f := Join(JoinSpec{Type: LeftJoin, LeftSchema: left, RightSchema: right, LeftUniqueKey: []int{1}, RightUniqueKey: []int{0}})
	jb := newJoinBench(b, f)
	names := []row.Value{row.String("apple"), row.String("pear")}
	lr := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	rr := row.NewRow(row.Insert, row.Null(), row.Null())
	for i := range b.N {
		k := (i * 7919) % joinBenchKeys
		t := int64(i)
		if i%10 == 0 {
			rr.Kind, rr.Values[0], rr.Values[1] = row.UpdateAfter, jb.names[k], names[(i/10)&1]
			jb.step(i, 1, k, t, &rr)
			continue
		}
		lr.Kind, lr.Values[0], lr.Values[1], lr.Values[2] = row.UpdateAfter, jb.names[k], row.BigInt(int64(i%10)), row.BigInt(int64(i))
		jb.step(i, 0, k, t, &lr)
	}
}

// BenchmarkIntervalJoin: right.t BETWEEN left.t - 5 ms AND left.t + 5 ms.
func BenchmarkIntervalJoin(b *testing.B) {
	f := IntervalJoin(IntervalJoinSpec{Type: LeftJoin, LeftSchema: joinBenchSchema, RightSchema: joinBenchSchema,
		LeftTimeCol: 1, RightTimeCol: 1, Lower: -5 * time.Millisecond, Upper: 5 * time.Millisecond})
	jb := newJoinBench(b, f)
	r := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	for i := range b.N {
		t := int64(1_700_000_000_000) + int64(i)/10
		k := (i * 7919) % joinBenchKeys
		r.Values[0], r.Values[1], r.Values[2] = jb.names[k], row.Timestamp(t, 0), row.BigInt(int64(i))
		jb.step(i, i&1, k, t, &r)
	}
}

// BenchmarkTemporalJoin: probe rows against a versioned table whose key
// gets a new version every 10th row.
func BenchmarkTemporalJoin(b *testing.B) {
	f := TemporalJoin(TemporalJoinSpec{Type: LeftJoin, LeftSchema: joinBenchSchema, RightSchema: joinBenchSchema,
		LeftTimeCol: 1, RightTimeCol: 1})
	jb := newJoinBench(b, f)
	r := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	for i := range b.N {
		t := int64(1_700_000_000_000) + int64(i)/10
		k := (i * 7919) % joinBenchKeys
		input := 0
		r.Kind = row.Insert
		if i%10 == 0 {
			input, r.Kind = 1, row.UpdateAfter
		}
		r.Values[0], r.Values[1], r.Values[2] = jb.names[k], row.Timestamp(t, 0), row.BigInt(int64(i))
		jb.step(i, input, k, t, &r)
	}
}

// BenchmarkWindowJoin: 10 ms tumbling windows (one window key per key and
// window), FULL join.
func BenchmarkWindowJoin(b *testing.B) {
	f := WindowJoin(WindowJoinSpec{Type: FullJoin, LeftSchema: joinBenchSchema, RightSchema: joinBenchSchema,
		LeftWindowEnd: 1, RightWindowEnd: 1})
	jb := newJoinBench(b, f)
	r := row.NewRow(row.Insert, row.Null(), row.Null(), row.Null())
	var key []byte
	for i := range b.N {
		t := int64(1_700_000_000_000) + int64(i)/10
		end := (t/10 + 1) * 10
		k := (i * 7919) % joinBenchKeys
		r.Values[0], r.Values[1], r.Values[2] = jb.names[k], row.Timestamp(end, 0), row.BigInt(int64(i))
		key = row.AppendKey(append(key[:0], jb.keys[k]...), r.Values[1])
		if err := jb.h.ProcessInput(i&1, stream.Record{Key: key, Time: t, Row: &r}); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if err := jb.h.Watermark(t - 100); err != nil {
				b.Fatal(err)
			}
		}
		if i%100_000 == 99_999 {
			if err := jb.h.Checkpoint(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
