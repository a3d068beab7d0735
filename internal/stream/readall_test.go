package stream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/stream"
)

// fetchLog records when each fetch of the watched topics started, how
// long it could wait and how many records it returned; the embedded log's other methods (Changed
// among them, which the tasks wait on) are its own.
type fetchLog struct {
	*embedded.Log
	mu      sync.Mutex
	watch   map[string]bool
	fetches []fetchAt
}

type fetchAt struct {
	tp   rlog.TopicPartition
	at   time.Time
	n    int
	wait time.Duration
}

func (l *fetchLog) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) ([]rlog.Record, error) {
	began := time.Now()
	recs, err := l.Log.Fetch(ctx, tp, offset, max, wait)
	if l.watch[tp.Topic] && err == nil {
		l.mu.Lock()
		l.fetches = append(l.fetches, fetchAt{tp, began, len(recs), wait})
		l.mu.Unlock()
	}
	return recs, err
}

// runUntilStopped runs jobs unbounded in the background; stop ends the
// run and fails the test if it failed.
func runUntilStopped(t *testing.T, o stream.Options, jobs ...*stream.Job) (stop func()) {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx, o, jobs...) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// An unbounded task whose round read each source to its end waits for
// more input instead of going round again at once: no fetch of a source
// that does not wait (a long-poll does) follows one that returned records
// unless records were appended since or the task's wait ran out (at least
// 100 ms here). Before, each batch that
// woke a task cost it a second, empty round. Both loops: with the
// in-memory exchange (a KeyBy) and without (two sources, no KeyBy).
func TestTaskThatReadEverythingWaitsForMore(t *testing.T) {
	for _, c := range []struct {
		name   string
		topics []string
		job    func() *stream.Job
	}{
		{"exchange", []string{"in"}, func() *stream.Job {
			j := stream.NewJob("x")
			j.Source("in").KeyBy("by_value", func(r *stream.Record) ([]byte, error) { return r.Value, nil }).
				Process("pass", func() stream.Operator { return passOp{} }).Main().To("out")
			return j
		}},
		{"two sources", []string{"a", "b"}, func() *stream.Job {
			j := stream.NewJob("u")
			stream.Union("both", j.Source("a"), j.Source("b")).To("out")
			return j
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &fetchLog{Log: openLog(t), watch: map[string]bool{}}
			for _, tp := range c.topics {
				l.watch[tp] = true
				l.CreateTopic(bg, tp, rlog.TopicConfig{Partitions: 1})
			}
			// A clock that stands still: watermark markers, due every 50 ms
			// of it, wake a task through its own inbox (a round of their
			// own); no checkpoint before the stop.
			still := time.Now()
			stop := runUntilStopped(t, stream.Options{Log: l, Partitions: 1, Interval: time.Hour, Now: func() time.Time { return still }}, c.job())
			// Batches 200 ms apart, well beyond the 40 ms the check below
			// allows; the appends' times bound each fetch's excuse.
			var appended []time.Time
			for i := range 5 {
				time.Sleep(200 * time.Millisecond)
				var recs []rlog.Record
				for _, tp := range c.topics {
					for k := range 10 {
						recs = append(recs, rlog.Record{Topic: tp, Value: fmt.Appendf(nil, "%d-%d", i, k)})
					}
				}
				appended = append(appended, time.Now())
				if err := l.Produce(bg, recs...); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(200 * time.Millisecond)
			stopped := time.Now() // a stop's own fetches do not count
			stop()
			l.mu.Lock()
			defer l.mu.Unlock()
			got, extra := 0, 0
			for i, f := range l.fetches {
				if f.n == 0 {
					continue
				}
				got += f.n
				for _, g := range l.fetches[i+1:] {
					if g.tp != f.tp {
						continue
					}
					appendedSince := false
					for _, a := range appended {
						appendedSince = appendedSince || (a.After(f.at) && a.Before(g.at))
					}
					// A long-poll (wait > 0) is a wait, not a round.
					if g.n == 0 && g.wait == 0 && !appendedSince && g.at.Sub(f.at) < 40*time.Millisecond && g.at.Before(stopped) {
						extra++
						t.Logf("empty fetch of %s %v after one of %d records", g.tp, g.at.Sub(f.at), f.n)
					}
					break
				}
			}
			if want := 50 * len(c.topics); got != want {
				t.Fatalf("fetched %d records, want %d", got, want)
			}
			if extra > 0 {
				t.Fatalf("%d empty fetches straight after a fetch that read everything", extra)
			}
		})
	}
}

// A fetch that stops short of the partition's end (at FetchMax records or,
// here, at 4 MiB) leaves the task going round at once: its other, quiet
// source is fetched without waiting until the backlog is read.
func TestTaskWithMoreToReadGoesRoundAtOnce(t *testing.T) {
	l := &fetchLog{Log: openLog(t), watch: map[string]bool{"a": true, "b": true}}
	for _, tp := range []string{"a", "b"} {
		l.CreateTopic(bg, tp, rlog.TopicConfig{Partitions: 1})
	}
	const n = 200 // of 64 KiB: about 64 to a fetch
	big := make([]byte, 64<<10)
	var recs []rlog.Record
	for i := range n {
		recs = append(recs, rlog.Record{Topic: "a", Value: append(fmt.Appendf(nil, "%d,", i), big...)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	j := stream.NewJob("u")
	stream.Union("both", j.Source("a"), j.Source("b")).To("out")
	stop := runUntilStopped(t, stream.Options{Log: l, Partitions: 1, Interval: time.Hour}, j)
	deadline := time.Now().Add(30 * time.Second)
	for {
		l.mu.Lock()
		got := 0
		for _, f := range l.fetches {
			if f.tp.Topic == "a" {
				got += f.n
			}
		}
		l.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	read, fetchesOfA, waits := 0, 0, 0
	for _, f := range l.fetches {
		if read >= n {
			break
		}
		switch f.tp.Topic {
		case "a":
			read += f.n
			fetchesOfA++
		case "b":
			if read > 0 && f.wait > 0 {
				waits++
			}
		}
	}
	if read < n {
		t.Fatalf("read %d of a's %d records", read, n)
	}
	if fetchesOfA < 3 {
		t.Fatalf("a's backlog took %d fetches: the test needs it to take several", fetchesOfA)
	}
	if waits > 0 {
		t.Fatalf("the quiet source was long-polled %d times while the other had a backlog", waits)
	}
}

// A task with many quiet inputs (the load reads twelve DWS topics) waits
// on all of them at once: a record appended to any one of them is read
// without the task first long-polling the others in turn. Before, each
// of the inputs was long-polled for a share of the round, so a record on
// the last waited while the task polled the others.
func TestTaskWithManyQuietInputsWaitsOnAll(t *testing.T) {
	const inputs = 12
	l := &fetchLog{Log: openLog(t), watch: map[string]bool{}}
	var sources []stream.Stream
	j := stream.NewJob("load")
	for i := range inputs {
		tp := fmt.Sprintf("dws_%02d", i)
		l.watch[tp] = true
		l.CreateTopic(bg, tp, rlog.TopicConfig{Partitions: 1})
		sources = append(sources, j.Source(tp))
	}
	stream.Union("all", sources...).To("out")
	stop := runUntilStopped(t, stream.Options{Log: l, Partitions: 1, Interval: time.Hour}, j)
	// One record at a time on one input after another, last input first,
	// with the task quiet in between.
	appended := map[string]time.Time{}
	for i := inputs - 1; i >= 0; i -= 3 {
		time.Sleep(150 * time.Millisecond)
		tp := fmt.Sprintf("dws_%02d", i)
		appended[tp] = time.Now()
		if err := l.Produce(bg, rlog.Record{Topic: tp, Value: []byte("row")}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(150 * time.Millisecond)
	stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for tp, at := range appended {
		read, polls := false, 0
		for _, f := range l.fetches {
			if f.at.Before(at) {
				continue
			}
			if f.tp.Topic == tp && f.n > 0 {
				read = true
				break
			}
			if f.wait > 0 {
				polls++ // a long-poll of another input, begun after the append
			}
		}
		if !read {
			t.Fatalf("the record on %s was not read", tp)
		}
		if polls > 0 {
			t.Errorf("%d long-polls of other inputs before the record on %s was read", polls, tp)
		}
	}
}
