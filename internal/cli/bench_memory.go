package cli

import (
	"bufio"
	"bytes"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// memoryPeak is what a memoryWatch saw.
type memoryPeak struct {
	Live int64 // the largest live Go heap after a collection, bytes
	// The largest RSS sampled, in KiB, as /proc/self/status splits it:
	// anonymous memory (Go's heap, Pebble's and DuckDB's allocations) and
	// file-backed pages (the binary's, shared memory included), and the
	// phase running then. Zero where there is no /proc.
	RSS, Anon, File int64
	Phase           string
}

// memoryWatch samples the process's memory every 50 ms until Stop: the
// live Go heap (as of the last collection, less noisy than RSS, which
// follows the collector's timing) and the RSS split, whose peak it keeps
// with the phase (SetPhase) it fell in. With a profile path, it writes the
// heap profile there each time the live heap grows by 5 %: the profile
// left is the heap near its peak, where profiles taken at the end of a
// phase show only what outlives it.
type memoryWatch struct {
	mu    sync.Mutex
	phase string
	peak  memoryPeak
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func watchMemory(profile string) *memoryWatch {
	w := &memoryWatch{done: make(chan struct{})}
	w.wg.Go(func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var written int64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			metrics.Read(s)
			live := int64(s[0].Value.Uint64())
			status, _ := os.ReadFile("/proc/self/status")
			rss, anon, file := parseStatus(status)
			w.mu.Lock()
			w.peak.Live = max(w.peak.Live, live)
			if rss > w.peak.RSS {
				w.peak.RSS, w.peak.Anon, w.peak.File, w.peak.Phase = rss, anon, file, w.phase
			}
			w.mu.Unlock()
			if profile != "" && live > written+written/20 {
				written = live
				if f, err := os.Create(profile); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}
	})
	return w
}

// SetPhase names what runs from now on.
func (w *memoryWatch) SetPhase(name string) {
	w.mu.Lock()
	w.phase = name
	w.mu.Unlock()
}

// Stop ends the sampling (at its first call) and returns the peaks.
func (w *memoryWatch) Stop() memoryPeak {
	w.once.Do(func() { close(w.done); w.wg.Wait() })
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// parseStatus reads VmRSS, RssAnon and RssFile + RssShmem (KiB) from the
// text of /proc/<pid>/status.
func parseStatus(b []byte) (rss, anon, file int64) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(name) {
		case "VmRSS":
			dst = &rss
		case "RssAnon":
			dst = &anon
		case "RssFile", "RssShmem":
			dst = &file
		default:
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 2 && string(f[1]) == "kB" {
			if n, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
				*dst += n
			}
		}
	}
	return rss, anon, file
}
