package stream_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// probeOp remembers every record's key for 1 s of event time.
type probeOp struct{ seen *state.ValueState }

func (p *probeOp) Open(ctx *stream.Context) error {
	p.seen = ctx.Value("ttl_probe", ctx.EventTimeTTL(time.Second))
	return nil
}

func (p *probeOp) Process(r *stream.Record, out stream.Emitter) error {
	return p.seen.Put(r.Key, []byte("1"))
}

// A task sweeps its operators' expired state after commits, at most once a
// second of its clock however often it commits (here after every fetch,
// MaxPendingBytes 1): entries that expired in event time leave the store
// when the clock allows a sweep, and stay (reading as absent) while it does
// not.
func TestExpiredStateIsSweptAtMostEverySecond(t *testing.T) {
	for _, c := range []struct {
		name  string
		step  time.Duration // the task clock's advance per reading
		swept bool
	}{{"a second between commits", 1500 * time.Millisecond, true}, {"commits within a second", time.Millisecond, false}} {
		t.Run(c.name, func(t *testing.T) {
			l := openLog(t)
			l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 1})
			var recs []rlog.Record
			for i := range 10 { // one fetch (FetchMax) that starts the watermark: state written before it never expires
				recs = append(recs, rlog.Record{Topic: "in", Partition: 0, Key: fmt.Appendf(nil, "w%d", i), Value: []byte(strconv.Itoa(500 + i))})
			}
			for i := range 50 { // expire once the watermark passes about 1050 + 1 s
				recs = append(recs, rlog.Record{Topic: "in", Partition: 0, Key: fmt.Appendf(nil, "old%d", i), Value: []byte(strconv.Itoa(1000 + i))})
			}
			for i := range 10 { // one fetch that moves the watermark far past them
				recs = append(recs, rlog.Record{Topic: "in", Partition: 0, Key: fmt.Appendf(nil, "mv%d", i), Value: []byte(strconv.Itoa(10_000_000 + i))})
			}
			for i := range 50 { // written under that watermark: they expire 1 s after it
				recs = append(recs, rlog.Record{Topic: "in", Partition: 0, Key: fmt.Appendf(nil, "new%d", i), Value: []byte(strconv.Itoa(10_000_010 + i))})
			}
			l.Produce(bg, recs...)
			var mu sync.Mutex
			now := time.Unix(1_000_000, 0)
			clock := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(c.step)
				return now
			}
			j := stream.NewJob("sweep")
			j.Source("in", stream.EventTime(func(r *stream.Record) (int64, bool) {
				n, err := strconv.ParseInt(string(r.Value), 10, 64)
				return n, err == nil
			})).Process("probe", func() stream.Operator { return &probeOp{} })
			if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Interval: time.Hour, MaxPendingBytes: 1, FetchMax: 10, Now: clock}, j); err != nil {
				t.Fatal(err)
			}
			old, recent := 0, 0
			it, err := l.StateStore().NewIter(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			for it.First(); it.Valid(); it.Next() {
				if !bytes.Contains(it.Key(), []byte("ttl_probe")) {
					continue
				}
				switch k := string(it.Key()); {
				case strings.Contains(k, "old"):
					old++
				case strings.Contains(k, "new"):
					recent++
				}
			}
			if recent != 50 {
				t.Fatalf("%d unexpired entries in the store, want 50", recent)
			}
			if c.swept && old != 0 || !c.swept && old != 50 {
				t.Fatalf("%d of the 50 expired entries left in the store; swept expected: %v", old, c.swept)
			}
		})
	}
}
