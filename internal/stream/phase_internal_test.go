package stream

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Phased checkpoints fall on multiples of the interval plus the phase, at
// least half an interval after the last one; unphased ones an interval
// after it.
func TestNextCheckpoint(t *testing.T) {
	at := func(ms int64) time.Time { return time.UnixMilli(1_700_000_000_000 + ms) } // a multiple of 1 s
	for _, c := range []struct {
		phased   bool
		interval time.Duration
		phase    time.Duration
		last     int64 // ms after a whole second
		want     int64
		why      string
	}{
		{false, time.Second, 0, 300, 1300, "unphased: an interval after the last"},
		{true, time.Second, 0, 0, 1000, "on the boundary: the next one"},
		{true, time.Second, 0, 300, 1000, "the next boundary is 700 ms away: it"},
		{true, time.Second, 0, 600, 2000, "the next boundary is 400 ms away: the one after"},
		{true, time.Second, 125 * time.Millisecond, 0, 1125, "phase 125 ms"},
		{true, time.Second, 125 * time.Millisecond, 700, 2125, "1125 is 425 ms away: the one after"},
		{true, time.Second, 125 * time.Millisecond, -300, 1125, "a second earlier: 125 is 425 ms away, the one after"},
		{true, 250 * time.Millisecond, 0, 100, 250, "a job's own, shorter interval"},
		{true, 250 * time.Millisecond, 0, 130, 500, "120 ms away: the one after"},
	} {
		o := Options{Interval: c.interval, phase: c.phase, phased: c.phased}
		if got := o.nextCheckpoint(at(c.last)); !got.Equal(at(c.want)) {
			t.Errorf("%s: last at +%d ms: next at %+d ms, want %+d", c.why, c.last, got.Sub(at(0)).Milliseconds(), c.want)
		}
	}
	// Negative times (a test clock near the epoch) round the same way.
	o := Options{Interval: time.Second, phase: 750 * time.Millisecond, phased: true}
	if got := o.nextCheckpoint(time.UnixMilli(0)); got.UnixMilli() != 750 {
		t.Errorf("from the epoch: next at %d ms, want 750", got.UnixMilli())
	}
}

// A job's depth is the number of jobs before it on its longest input path
// in the run; its phase is that many eighths of the run's interval,
// within its own.
func TestCheckpointPhases(t *testing.T) {
	job := func(name, out string, in ...string) *Job {
		j := NewJob(name)
		var s []Stream
		for _, t := range in {
			s = append(s, j.Source(t))
		}
		Union(name+"_in", s...).To(out)
		return j
	}
	ods := job("dwd", "dwd_topic", "ods_topic")
	side := job("dwd_side", "side_topic", "dwd_topic")
	dws := job("dws", "dws_topic", "dwd_topic", "side_topic") // two paths: 1 and 2 long
	load := job("load", "olap_topic", "dws_topic")
	loop := job("self", "loop_topic", "loop_topic") // reads its own output
	a := job("a", "ab", "ba")                       // a cycle of two
	b := job("b", "ba", "ab")
	d := jobDepths([]*Job{load, dws, side, ods, loop, a, b})
	for j, want := range map[*Job]int{ods: 0, side: 1, dws: 2, load: 3, loop: 0} {
		if d[j] != want {
			t.Errorf("%s: depth %d, want %d", j.Name, d[j], want)
		}
	}
	if d[a] > 2 || d[b] > 2 {
		t.Errorf("a cycle's depths %d and %d: want them bounded", d[a], d[b])
	}
	for _, c := range []struct {
		run, job time.Duration
		depth    int
		want     time.Duration
	}{
		{time.Second, 0, 0, 0},
		{time.Second, 0, 2, 250 * time.Millisecond},
		{time.Second, 0, 9, 125 * time.Millisecond},                      // wraps within the interval
		{time.Second, 250 * time.Millisecond, 1, 125 * time.Millisecond}, // the run's eighths, in the job's interval
		{time.Second, 250 * time.Millisecond, 3, 125 * time.Millisecond},
	} {
		if got := checkpointPhase(c.run, c.job, c.depth); got != c.want {
			t.Errorf("run %v, job %v, depth %d: phase %v, want %v", c.run, c.job, c.depth, got, c.want)
		}
	}
}

// An unbounded run phases its jobs' checkpoints by depth; a drain does not.
func TestRunPhasesUnboundedJobs(t *testing.T) {
	l := openInputLog(t, 1)
	ctx := context.Background()
	jobs := func() []*Job {
		up, down := NewJob("up"), NewJob("down")
		up.Source("in").To("mid")
		down.Source("mid").To("out")
		return []*Job{down, up}
	}
	var mu sync.Mutex
	seen := map[string]*Options{}
	jobStarting = func(j *Job, o *Options) { mu.Lock(); seen[j.Name] = o; mu.Unlock() }
	defer func() { jobStarting = nil }()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, Options{Log: l, Interval: 800 * time.Millisecond}, jobs()...) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if o := seen["up"]; o == nil || !o.phased || o.phase != 0 {
		t.Errorf("up: %+v, want phased at 0", o)
	}
	if o := seen["down"]; o == nil || !o.phased || o.phase != 100*time.Millisecond {
		t.Errorf("down: %+v, want phased at 100ms (an eighth of the interval)", o)
	}

	clear(seen)
	if err := Run(ctx, Options{Log: l, Interval: 800 * time.Millisecond, Drain: true}, jobs()...); err != nil {
		t.Fatal(err)
	}
	for name, o := range seen {
		if o.phased {
			t.Errorf("drained %s is phased", name)
		}
	}
}
