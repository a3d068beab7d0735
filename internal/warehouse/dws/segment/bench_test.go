//go:build unix

package segment

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/go-ego/gse"
)

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLoad builds the dictionary, gse's (gse.NewEmbed("zh_s"), as the
// keyword job did before) and this package's, and reports the CPU time
// (cpu-ms/op: user + system, the garbage collector's included) and the
// heap it holds afterwards (heap-MB: HeapAlloc after a GC, less before).
//
//	go test -run '^$' -bench Load -benchtime 3x ./internal/warehouse/dws/segment
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct {
		name string
		load func() (any, error)
	}{
		{"gse", func() (any, error) { return gse.NewEmbed("zh_s") }},
		{"segment", func() (any, error) { return Parse(zhS) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var cpu time.Duration
			var heap uint64
			for b.Loop() {
				b.StopTimer()
				before := heapAfterGC()
				cpu0 := cpuTime(b)
				b.StartTimer()
				d, err := c.load()
				b.StopTimer()
				cpu += cpuTime(b) - cpu0
				if err != nil {
					b.Fatal(err)
				}
				heap += heapAfterGC() - before
				runtime.KeepAlive(d)
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(heap)/float64(b.N)/(1<<20), "heap-MB")
		})
	}
}

// BenchmarkCut cuts the e-commerce keyword corpus, one keyword an op.
//
//	go test -run '^$' -bench Cut ./internal/warehouse/dws/segment
func BenchmarkCut(b *testing.B) {
	kws := keywordCorpus()
	g, err := gse.NewEmbed("zh_s")
	if err != nil {
		b.Fatal(err)
	}
	d := mustDefault(b)
	for _, c := range []struct {
		name string
		cut  func(string) []string
	}{
		{"gse", func(s string) []string { return g.Cut(s) }},
		{"segment", d.Cut},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.cut(kws[i%len(kws)])
				i++
			}
		})
	}
}
