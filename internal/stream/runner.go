package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Options configure how jobs run.
type Options struct {
	Log rlog.Log
	// Interval between checkpoints; default 1 s.
	Interval time.Duration
	// Partitions for topics the runner creates (inputs that do not exist
	// yet, sinks, the dead-letter topic); default 4. Existing topics keep theirs.
	Partitions int32
	// Drain runs bounded: process the input present at start (and what it
	// produces for downstream jobs), end every operator's input, commit, return.
	Drain bool
	// FetchMax records per fetch; default 1000.
	FetchMax int
	// MaxPendingBytes forces a task's checkpoint when this much output or
	// state is buffered, bounding memory between checkpoints; default
	// 2 MiB (a warehouse drain's live heap peaks about 10 MB lower than at
	// 8 MiB, at the same CPU; 1 MiB saves more but its fsyncs cost wall
	// time), 8 MiB for workers (a Kafka transaction costs more than an
	// embedded commit: 2 MiB cost a worker 10-20% more CPU).
	MaxPendingBytes int
	// StateCacheBytes bounds the state read caches of a run's tasks
	// together: each task's cache gets an equal share, between 256 KiB
	// and state.DefaultCacheBytes (4 MiB). Default 64 MiB. A fixed size
	// per task let a warehouse of a hundred tasks keep 400 MiB of caches.
	StateCacheBytes int
	// MaxPendingTotal bounds the output and state buffered for the next
	// checkpoint in all of a run's tasks together: above it, a task
	// holding more than its equal share checkpoints early. Default 64 MiB.
	// MaxPendingBytes alone let forty tasks buffer 8 MiB each.
	MaxPendingTotal int
	// shares: each task's part of StateCacheBytes and MaxPendingTotal
	// (budget.go; set by Run and RunWorker from their number of tasks).
	shares *shares
	drain  bool // set by Run: a drained run (its own copy of the options)
	// phased (set by Run for an unbounded run's jobs): checkpoints fall
	// at multiples of Interval plus phase (checkpointPhase).
	phase  time.Duration
	phased bool
	// MaxRecordBytes: larger outputs (key + value + headers) are
	// dead-lettered; default 15 MiB, below the log's 16 MiB so dead letters'
	// own headers always fit.
	MaxRecordBytes int
	// MaxRestarts in drain mode before the run fails; unbounded runs retry
	// forever with backoff. Default 5.
	MaxRestarts int
	// MaxRecordFailures: an input record on which a task failed this many
	// times (an operator error or panic) goes to the dead-letter topic
	// (reason operator_failed) instead of failing the task again. Default 3.
	MaxRecordFailures int
	// RestartBackoff is the first wait before a failed task restarts; it
	// doubles while the task keeps failing before its first checkpoint, up
	// to 30 s. Default 100 ms.
	RestartBackoff time.Duration
	// PurgeInterval: at most this often, after a checkpoint, the records
	// of the job's repartition topics below its committed offsets are
	// deleted (purge.go), as Kafka Streams' repartition.purge.interval.ms.
	// Default 30 s; negative keeps them.
	PurgeInterval time.Duration
	// MaxEventTimeSkew: a source record whose event time is more than this
	// ahead of the processing-time clock (Now: the wall clock, in a drained
	// run too, since replayed old data is never ahead of it) goes to the
	// dead-letter topic with reason future_event_time instead of on, and
	// does not move the watermark: one far-future timestamp would
	// otherwise close every window up to it and make every later record
	// late. A source may set its own (SourceOptions.MaxEventTimeSkew).
	// Default 24 h; negative accepts any time.
	MaxEventTimeSkew time.Duration
	// MinEventTime: a source record whose event time is before it goes to
	// the dead-letter topic with reason implausible_event_time (a time in
	// seconds read as milliseconds lands in January 1970). A source may
	// set its own (SourceOptions.MinEventTime; the warehouse's sources use
	// 2000-01-01). Zero: no floor.
	MinEventTime time.Time
	// Exchange is how a job's KeyBys hand records to other partitions'
	// tasks: ExchangeAuto (the default) uses the in-memory exchange
	// (exchange.go) in unbounded runs on the embedded log and the
	// repartition topics otherwise; the others choose, for tests and
	// comparisons.
	Exchange Exchange
	Metrics  *Metrics
	Logger   *slog.Logger
	// Now is the processing-time clock (timers, TTLs, idleness, the
	// checkpoint interval, the future-event-time check); default time.Now.
	Now func() time.Time
}

// DefaultMaxEventTimeSkew is Options.MaxEventTimeSkew's default.
const DefaultMaxEventTimeSkew = 24 * time.Hour

// Validate fills defaults and reports unusable settings.
func (o *Options) Validate() error {
	if o.Log == nil {
		return errors.New("stream: Options.Log is required")
	}
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	if o.Interval < 0 {
		return fmt.Errorf("stream: checkpoint interval must be > 0, got %s", o.Interval)
	}
	if o.Partitions == 0 {
		o.Partitions = 4
	}
	if o.Partitions < 0 {
		return fmt.Errorf("stream: partitions must be > 0, got %d", o.Partitions)
	}
	if o.FetchMax <= 0 {
		o.FetchMax = 1000
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = 2 << 20
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 15 << 20
	}
	if o.StateCacheBytes <= 0 {
		o.StateCacheBytes = 64 << 20
	}
	if o.MaxPendingTotal <= 0 {
		o.MaxPendingTotal = 64 << 20
	}
	if o.MaxRestarts <= 0 {
		o.MaxRestarts = 5
	}
	if o.MaxRecordFailures <= 0 {
		o.MaxRecordFailures = 3
	}
	if o.RestartBackoff <= 0 {
		o.RestartBackoff = 100 * time.Millisecond
	}
	if o.PurgeInterval == 0 {
		o.PurgeInterval = 30 * time.Second
	}
	if o.MaxEventTimeSkew == 0 {
		o.MaxEventTimeSkew = DefaultMaxEventTimeSkew
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Run runs jobs until ctx ends (each task commits a final checkpoint), or,
// with Options.Drain, until their present input is processed. In drain mode
// jobs run in dependency order: a job reading another job's output starts
// when that job has finished, so it sees everything that job produced.
func Run(ctx context.Context, o Options, jobs ...*Job) error {
	if err := o.Validate(); err != nil {
		return err
	}
	type planned struct {
		job    *Job
		stages []*stage
	}
	var ps []planned
	for _, j := range jobs {
		st, err := j.plan()
		if err != nil {
			return err
		}
		ps = append(ps, planned{j, st})
	}
	if !o.Drain {
		// Every job's tasks run at once: they share the run's memory.
		lays := make([]*layout, len(ps))
		ntasks := 0
		for i, p := range ps {
			lay, err := layoutJob(ctx, &o, p.job, p.stages)
			if err != nil {
				return err
			}
			lays[i], ntasks = lay, ntasks+lay.tasks()
		}
		sh := o.newShares(ntasks)
		depths := jobDepths(jobs)
		var wg sync.WaitGroup
		errs := make(chan error, len(ps))
		for i, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				oj := o
				oj.phased, oj.phase = true, checkpointPhase(o.Interval, p.job.interval, depths[p.job])
				if err := runJob(ctx, &oj, sh, p.job, p.stages, lays[i], ""); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		return errors.Join(collect(errs)...)
	}
	drainID := newRunID()
	o.drain = true
	order, err := dependencyOrder(jobs)
	if err != nil {
		return err
	}
	for _, j := range order {
		for _, p := range ps {
			if p.job == j {
				o.Logger.Info("draining job", "job", j.Name)
				// One job runs at a time: its tasks have the run's memory.
				lay, err := layoutJob(ctx, &o, j, p.stages)
				if err != nil {
					return err
				}
				if err := runJob(ctx, &o, o.newShares(lay.tasks()), j, p.stages, lay, drainID); err != nil {
					return err
				}
				releaseAfterDrainedJob()
			}
		}
	}
	return nil
}

// Checkpoint phases. A row crosses one commit per job on its way (the
// DWD job's, the DWS job's, the load's), and waits at each for the next
// one. With each job checkpointing an Interval after its last commit, the
// jobs' commits fell into step, likely through the log's shared group
// commits: a DWS job then committed just as the DWD job's rows appeared,
// and they waited a whole interval for its next commit. The warehouse's
// live freshness was bimodal from run to run (p50 0.85-0.95 s or
// 1.6-1.7 s, p99 2.2-2.3 s). Now an unbounded run's checkpoints fall on
// fixed phases of the clock: a job at depth d (the number of jobs before
// it on its longest input path in the run) at multiples of its interval
// plus d eighths of the run's interval, so it commits shortly after the
// jobs it reads from: p50 0.83-0.93 s, p99 1.34-1.44 s
// (docs/benchmarks.md). Drains keep their own pace; cluster workers too
// (their jobs run in separate processes).

// checkpointPhase is a job's phase: depth eighths of the run's interval,
// within the job's own interval (jobInterval; 0: the run's).
func checkpointPhase(runInterval, jobInterval time.Duration, depth int) time.Duration {
	if jobInterval <= 0 {
		jobInterval = runInterval
	}
	return time.Duration(depth) * (runInterval / 8) % jobInterval
}

// jobDepths: 0 for a job reading no other job's output in the run, else
// one more than the deepest job writing one of its inputs. A job's own
// outputs and cycles (a topic two jobs write and read) add nothing.
func jobDepths(jobs []*Job) map[*Job]int {
	writers := topicWriters(jobs)
	d := map[*Job]int{}
	visiting := map[*Job]bool{}
	var depth func(j *Job) int
	depth = func(j *Job) int {
		if v, ok := d[j]; ok {
			return v
		}
		if visiting[j] {
			return 0
		}
		visiting[j] = true
		m := 0
		for _, t := range j.InputTopics() {
			for _, w := range writers[t] {
				if w != j {
					m = max(m, depth(w)+1)
				}
			}
		}
		visiting[j] = false
		d[j] = m
		return m
	}
	for _, j := range jobs {
		depth(j)
	}
	return d
}

// nextCheckpoint is when a task whose last checkpoint committed at last
// is due: phased, at the first multiple of Interval plus phase at least
// half an Interval later (a checkpoint forced early by pending bytes does
// not make the next one come at once); else an Interval later.
func (o *Options) nextCheckpoint(last time.Time) time.Time {
	if !o.phased {
		return last.Add(o.Interval)
	}
	i := int64(o.Interval)
	n := last.Add(o.Interval/2).UnixNano() - int64(o.phase)
	k := n / i // rounded up below, whatever n's sign
	if k*i < n {
		k++
	}
	return time.Unix(0, k*i+int64(o.phase))
}

// roundWait is how long an idle task waits for input in one round: 100 ms
// at most, and not past its next checkpoint (due after last).
func (o *Options) roundWait(last time.Time) time.Duration {
	return min(100*time.Millisecond, max(time.Millisecond, o.nextCheckpoint(last).Sub(o.Now())))
}

func collect(ch chan error) []error {
	var out []error
	for e := range ch {
		out = append(out, e)
	}
	return out
}

func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// topicWriters maps each topic the jobs write (dead letters aside) to
// the jobs writing it.
func topicWriters(jobs []*Job) map[string][]*Job {
	writers := map[string][]*Job{}
	for _, j := range jobs {
		for _, t := range j.OutputTopics()[1:] {
			writers[t] = append(writers[t], j)
		}
	}
	return writers
}

// dependencyOrder sorts jobs so producers of a topic come before its readers.
func dependencyOrder(jobs []*Job) ([]*Job, error) {
	writers := topicWriters(jobs)
	var out []*Job
	state := map[*Job]int{} // 1 visiting, 2 done
	var visit func(j *Job) error
	visit = func(j *Job) error {
		switch state[j] {
		case 1:
			return fmt.Errorf("jobs form a cycle through %s; drain needs an acyclic set of jobs", j.Name)
		case 2:
			return nil
		}
		state[j] = 1
		for _, name := range j.after {
			for _, w := range jobs {
				if w.Name == name && w != j {
					if err := visit(w); err != nil {
						return err
					}
				}
			}
		}
		for _, t := range j.InputTopics() {
			for _, w := range writers[t] {
				if w != j {
					if err := visit(w); err != nil {
						return err
					}
				}
			}
		}
		state[j] = 2
		out = append(out, j)
		return nil
	}
	sorted := append([]*Job(nil), jobs...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Name < sorted[b].Name })
	for _, j := range sorted {
		if err := visit(j); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// layout is a job's physical plan: topic partition counts and the fused
// groups of stages that run as one task per partition.
type layout struct {
	parts       map[string]int32 // partitions per topic
	parallelism map[*stage]int32
	producers   map[*Node]int32 // tasks writing a repartition topic, per KeyBy node
	groups      [][]*stage      // upstream first within a group
}

// tasks is how many tasks run the job: one per partition of each group
// of fused stages.
func (lay *layout) tasks() int {
	n := 0
	for _, g := range lay.groups {
		n += int(lay.parallelism[g[0]])
	}
	return n
}

// layoutJob ensures the job's topics exist and fuses its stages.
func layoutJob(ctx context.Context, o *Options, j *Job, stages []*stage) (*layout, error) {
	lay := &layout{parts: map[string]int32{}, parallelism: map[*stage]int32{}, producers: map[*Node]int32{}}
	ensure := func(topic string, n int32) error {
		if m, ok := j.partitions[topic]; ok {
			n = m
		}
		info, err := rlog.EnsureTopic(ctx, o.Log, topic, rlog.TopicConfig{Partitions: n})
		if err != nil {
			return fmt.Errorf("job %s: topic %s: %w", j.Name, topic, err)
		}
		lay.parts[topic] = info.Partitions
		return nil
	}
	if err := ensure(j.DeadLetter, o.Partitions); err != nil {
		return nil, err
	}
	for _, s := range stages { // upstream stages come first
		// A source's topic keeps its partitions; a repartition topic gets
		// the stage's parallelism: the source inputs', else the largest of
		// the writing stages'.
		par := int32(0)
		for i, in := range s.inputs {
			if s.upstream[i] == nil {
				if err := ensure(in.topic, o.Partitions); err != nil {
					return nil, err
				}
				par = max(par, lay.parts[in.topic])
			}
		}
		for i, in := range s.inputs {
			if up := s.upstream[i]; up != nil {
				lay.producers[in] = lay.parallelism[up]
				want := par
				if want == 0 {
					for _, u := range s.upstream {
						if u != nil {
							want = max(want, lay.parallelism[u])
						}
					}
				}
				if err := ensure(in.topic, want); err != nil {
					return nil, err
				}
			}
		}
		// Task p reads partition p of every input: they must agree.
		lay.parallelism[s] = lay.parts[s.inputs[0].topic]
		for _, in := range s.inputs[1:] {
			if n := lay.parts[in.topic]; n != lay.parallelism[s] {
				return nil, fmt.Errorf("job %s: %s reads %s (%d partitions) and %s (%d partitions) in one stage: their partition counts must be equal (KeyBy each input first)",
					j.Name, s, s.inputs[0].topic, lay.parallelism[s], in.topic, n)
			}
		}
		for _, n := range s.nodes {
			if n.kind == kindSink && n.topicFn == nil {
				if err := ensure(n.topic, o.Partitions); err != nil {
					return nil, err
				}
			}
		}
	}
	// Fuse each stage into the tasks of the stages writing its inputs when
	// they have the same parallelism: KeyBy then routes records of the
	// task's own partition locally (see task).
	group := map[*stage]*stage{} // union-find over stages
	var find func(s *stage) *stage
	find = func(s *stage) *stage {
		for group[s] != nil && group[s] != s {
			s = group[s]
		}
		return s
	}
	for _, s := range stages {
		group[s] = s
		for _, u := range s.upstream {
			if u != nil && lay.parallelism[u] == lay.parallelism[s] {
				group[find(s)] = find(u)
			}
		}
	}
	index := map[*stage]int{}
	for _, s := range stages {
		r := find(s)
		g, ok := index[r]
		if !ok {
			g = len(lay.groups)
			index[r] = g
			lay.groups = append(lay.groups, nil)
		}
		lay.groups[g] = append(lay.groups[g], s)
	}
	return lay, nil
}

// jobStarting, if set (tests), sees each job's options as it starts.
var jobStarting func(j *Job, o *Options)

// runJob ensures the job's topics and runs every task of every stage.
func runJob(ctx context.Context, o *Options, sh *shares, j *Job, stages []*stage, lay *layout, drain string) error {
	// The job's tasks see the shares they are part of.
	oj := *o
	oj.shares = sh
	if j.interval > 0 {
		oj.Interval = j.interval
	}
	o = &oj
	if jobStarting != nil {
		jobStarting(j, o)
	}
	parallelism, groups := lay.parallelism, lay.groups
	// A drained run's boundary: the end of every external input now.
	var drainEnds map[rlog.TopicPartition]int64
	if drain != "" {
		drainEnds = map[rlog.TopicPartition]int64{}
		for _, s := range stages {
			for i, in := range s.inputs {
				if s.upstream[i] != nil {
					continue
				}
				for p := int32(0); p < parallelism[s]; p++ {
					tp := rlog.TopicPartition{Topic: in.topic, Partition: p}
					_, end, err := o.Log.Offsets(ctx, tp)
					if err != nil {
						return fmt.Errorf("job %s: %w", j.Name, err)
					}
					drainEnds[tp] = end
				}
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if usesExchange(o, lay) {
		return superviseJob(ctx, o, j, func(x *exchange) []*task {
			var ts []*task
			for _, g := range groups {
				for p := int32(0); p < parallelism[g[0]]; p++ {
					t := newTask(o, g, p, lay.parts, lay.producers, drain, drainEnds)
					x.attach(t)
					ts = append(ts, t)
				}
			}
			return ts
		}, lay)
	}
	var wg sync.WaitGroup
	errs := make(chan error, lay.tasks()) // every task may fail; none may block
	for _, g := range groups {
		for p := int32(0); p < parallelism[g[0]]; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// CPU profiles split by job and partition
				// (go tool pprof -tagfocus job=dwd_base_log, -tags).
				pprof.Do(ctx, pprof.Labels("job", g[0].job.Name, "partition", strconv.Itoa(int(p))), func(ctx context.Context) {
					if err := supervise(ctx, o, func() *task { return newTask(o, g, p, lay.parts, lay.producers, drain, drainEnds) }); err != nil {
						errs <- err
						cancel() // one failed task fails a drained run
					}
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

// superviseJob runs the tasks of a job on the in-memory exchange (mk
// makes them, attached to a new exchange), restarting all of them from the
// job's last checkpoint when one fails, with exponential backoff: the
// records in the inboxes are lost with the failed task, and the others'
// work since the checkpoint depends on them.
func superviseJob(ctx context.Context, o *Options, j *Job, mk func(x *exchange) []*task, lay *layout) error {
	backoff := o.RestartBackoff
	fails := newFailures(o.MaxRecordFailures)
	logger := o.Logger.With("job", j.Name)
	for restarts := 0; ; restarts++ {
		x := newExchange(o, j, lay)
		ts := mk(x)
		errs := make([]error, len(ts))
		var wg sync.WaitGroup
		for i, t := range ts {
			t.poison = fails
			wg.Add(1)
			go func() {
				defer wg.Done()
				// CPU profiles split by job and partition
				// (go tool pprof -tagfocus job=dwd_base_log, -tags).
				pprof.Do(ctx, pprof.Labels("job", j.Name, "partition", strconv.Itoa(int(t.part))), func(ctx context.Context) {
					if errs[i] = t.run(ctx); errs[i] != nil {
						x.abort(errs[i])
					}
				})
			}()
		}
		wg.Wait()
		var failed error
		progress := false
		for i, t := range ts {
			progress = progress || t.checkpoints > 0
			if err := errs[i]; err != nil && !errors.Is(err, errAborted) {
				if ctx.Err() != nil && errors.Is(err, context.Canceled) {
					continue
				}
				failed = errors.Join(failed, err)
				t.afterFailure(fails, err)
			}
		}
		if failed == nil {
			return nil
		}
		if ctx.Err() != nil {
			return failed
		}
		o.Metrics.Restarts.WithLabelValues(j.Name).Inc()
		if progress { // it made progress: not a crash loop
			backoff, restarts = o.RestartBackoff, 0
		}
		if ts[0].drain != "" && restarts >= o.MaxRestarts {
			return fmt.Errorf("giving up after %d restarts: %w", restarts, failed)
		}
		logger.Error("task failed; restarting the job from its last checkpoint", "err", failed, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// supervise runs a task, restarting it from its last checkpoint after a
// failure, with exponential backoff.
func supervise(ctx context.Context, o *Options, mk func() *task) error {
	backoff := o.RestartBackoff
	fails := newFailures(o.MaxRecordFailures)
	for restarts := 0; ; restarts++ {
		t := mk()
		t.poison = fails
		err := t.run(ctx)
		if err == nil || ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		o.Metrics.Restarts.WithLabelValues(t.job.Name).Inc()
		t.afterFailure(fails, err)
		if t.checkpoints > 0 { // it made progress: not a crash loop
			backoff, restarts = o.RestartBackoff, 0
		}
		if t.drain != "" && restarts >= o.MaxRestarts {
			return fmt.Errorf("giving up after %d restarts: %w", restarts, err)
		}
		t.logger.Error("task failed; restarting from last checkpoint", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
