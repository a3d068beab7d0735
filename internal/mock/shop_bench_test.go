package mock

import (
	"context"
	"io"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
)

// The figures to report are records/s (log lines + topic_db records) of the
// whole simulator into a sink, next to the bare app-log generator (no
// business lifecycle) as the baseline of the same run:
//
//	go test -run '^$' -bench 'Shop|LogGenerator' -benchtime 3x ./internal/mock

const benchSessions = 20000

func benchShop(b *testing.B, sink func(b *testing.B) Sink) {
	ctx := context.Background()
	var records int64
	for b.Loop() {
		sh, err := NewShop(ShopConfig{Seed: 1, Sessions: benchSessions})
		if err != nil {
			b.Fatal(err)
		}
		s := sink(b)
		for {
			ev, ok := sh.Next()
			if !ok {
				break
			}
			n, err := s.Write(ctx, ev)
			if err != nil {
				b.Fatal(err)
			}
			records += int64(n)
		}
		if err := s.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkShopFile: JSON lines, as --to file writes them (to io.Discard,
// so the figure is the simulator's, not the disk's).
func BenchmarkShopFile(b *testing.B) {
	benchShop(b, func(*testing.B) Sink { return NewJSONSink(io.Discard, io.Discard) })
}

// BenchmarkShopEmbedded: into the embedded log (Pebble + segment files, no
// fsync), as --to embedded writes.
func BenchmarkShopEmbedded(b *testing.B) {
	benchShop(b, func(b *testing.B) Sink {
		l, err := embedded.Open(embedded.Options{Dir: b.TempDir(), NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		for _, tp := range []string{"topic_db", "topic_log"} {
			if err := l.CreateTopic(context.Background(), tp, rlogConfig()); err != nil {
				b.Fatal(err)
			}
		}
		return NewLogSink(l, "topic_db", "topic_log")
	})
}

// BenchmarkShopLogGeneratorBaseline: the same number of app-log lines from
// the logs-only generator, the ceiling of the simulator's log half.
func BenchmarkShopLogGeneratorBaseline(b *testing.B) {
	var lines int64
	for b.Loop() {
		g, _ := NewLogGenerator(LogConfig{Seed: 1})
		var buf []byte
		for range 9 * benchSessions { // ~ the simulator's log lines per run
			buf = g.Next(buf[:0])
			lines++
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "records/s")
}

func rlogConfig() rlog.TopicConfig { return rlog.TopicConfig{Partitions: 4} }
