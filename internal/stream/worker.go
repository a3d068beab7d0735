package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Session is one worker's membership in a job's consumer group together
// with a transactional producer (Kafka's exactly-once v2; implemented by
// internal/log/kafka.Session). The worker owns the tasks of the partition
// numbers the group assigns it.
type Session interface {
	// Assignment returns the owned partition numbers and a counter that
	// changes whenever they change.
	Assignment() (gen uint64, parts []int32)
	// Poll returns records of owned partitions, grouped by partition,
	// waiting at most until ctx ends.
	Poll(ctx context.Context, max int) ([]rlog.Record, error)
	// Commit produces recs and commits the offsets of everything polled
	// since the last Commit/Abort in one transaction. committed=false with
	// no error: aborted by a rebalance, polling rewound to the committed
	// offsets. An error: the session is unusable.
	Commit(ctx context.Context, recs []rlog.Record) (committed bool, err error)
	// Abort drops uncommitted work and rewinds polling.
	Abort(ctx context.Context) error
	Close()
}

// WorkerOptions configure RunWorker.
type WorkerOptions struct {
	// Options.Log is used to create topics and read changelogs; Drain is
	// not supported (workers run until stopped).
	Options
	// State is the worker's local keyed-state store. On every assignment
	// the owned tasks' state is cleared and restored from their changelogs.
	State *pebble.DB
	// NewSession joins job's consumer group, subscribed to topics.
	NewSession func(job string, topics []string) (Session, error)
}

// stableChecker is implemented by logs with transactions (Kafka): a
// partition is stable when no transaction is open on it.
type stableChecker interface {
	Stable(ctx context.Context, tp rlog.TopicPartition) (bool, error)
}

// RunWorker runs jobs as one member of each job's group until ctx ends.
// Any number of workers, in any processes, share each job's partitions;
// a failed session (broker gone, transaction timed out while the process
// was stopped, fenced) is rebuilt with backoff, its uncommitted work
// redone from the last committed offsets and changelogs.
func RunWorker(ctx context.Context, o WorkerOptions, jobs ...*Job) error {
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = 8 << 20 // see Options.MaxPendingBytes
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Drain {
		return errors.New("stream: workers do not drain; run them until their lag is zero")
	}
	if o.State == nil || o.NewSession == nil {
		return errors.New("stream: WorkerOptions.State and NewSession are required")
	}
	// A worker's tasks come and go with its assignment: the caches are
	// shared as if it held every partition of every job.
	o.shares = o.newShares(len(jobs) * int(o.Partitions))
	var ws []*jobWorker
	for _, j := range jobs {
		st, err := j.plan()
		if err != nil {
			return err
		}
		ws = append(ws, &jobWorker{o: &o, job: j, stages: st, logger: o.Logger.With("job", j.Name), fails: newFailures(o.MaxRecordFailures)})
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pprof.Do(ctx, pprof.Labels("job", w.job.Name), w.supervise) // CPU profiles by job
		}()
	}
	wg.Wait()
	return nil
}

// jobWorker runs the tasks of one job that its session owns.
type jobWorker struct {
	o      *WorkerOptions
	job    *Job
	stages []*stage
	logger *slog.Logger

	lay        *layout
	sess       Session
	gen        uint64
	stale      bool // rebuild tasks (after an abort) even if gen is unchanged
	tasks      []*task
	route      map[rlog.TopicPartition]route
	changelogs map[string]bool // changelog topics known to exist
	lastCP     time.Time
	commits    int
	polled     bool // records polled since the last commit or abort
	fails      *failures
	// taskRestarts counts task failures since the last commit, for backoff.
	taskRestarts int
	purger       purger // repartition inputs purged after checkpoints (purge.go)
}

type route struct {
	t *task
	s *seg
}

func (w *jobWorker) supervise(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		w.commits = 0
		err := w.runSession(ctx)
		if ctx.Err() != nil {
			if err != nil {
				w.logger.Error("final checkpoint failed; the next owner redoes the work", "err", err)
			}
			return
		}
		w.o.Metrics.Restarts.WithLabelValues(w.job.Name).Inc()
		if w.commits > 0 {
			backoff = 100 * time.Millisecond
		}
		w.logger.Error("worker session failed; rejoining and redoing uncommitted work", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (w *jobWorker) runSession(ctx context.Context) error {
	lay, err := layoutJob(ctx, &w.o.Options, w.job, w.stages)
	if err != nil {
		return err
	}
	w.lay = lay
	var topics []string
	for _, s := range w.stages {
		for _, in := range s.inputs {
			topics = append(topics, in.topic)
		}
	}
	sess, err := w.o.NewSession(w.job.Name, topics)
	if err != nil {
		return err
	}
	w.sess, w.gen, w.stale, w.changelogs, w.polled = sess, 0, false, map[string]bool{}, false
	defer func() {
		w.dropTasks()
		sess.Close()
	}()
	w.lastCP = w.o.Now()
	for {
		if ctx.Err() != nil {
			fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return w.checkpoint(fctx)
		}
		if gen, parts := sess.Assignment(); gen != w.gen || w.stale {
			if err := w.rebuild(ctx, gen, parts); err != nil {
				return err
			}
			continue
		}
		wait := 200 * time.Millisecond
		if len(w.tasks) > 0 {
			wait = min(100*time.Millisecond, max(time.Millisecond, w.o.Interval-w.o.Now().Sub(w.lastCP)))
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		// A batch per task, so a poll can keep every task busy.
		recs, err := sess.Poll(pctx, w.o.FetchMax*max(1, len(w.tasks)))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return err
		}
		// Polled records count as consumed by the session (their offsets
		// commit with the next transaction) until an abort rewinds them.
		w.polled = w.polled || len(recs) > 0
		if gen, _ := sess.Assignment(); gen != w.gen {
			// These records may belong to partitions that have moved.
			w.stale = true
			continue
		}
		if err := w.process(recs); err != nil {
			if err := w.recover(ctx, err); err != nil {
				return err
			}
			continue
		}
		if w.stale {
			continue // rebuild first; the next commit would carry these offsets
		}
		if err := eachTask(w.tasks, func(t *task) error { return t.guard(func() error { return t.timersAndWatermarks(ctx) }) }); err != nil {
			if err := w.recover(ctx, err); err != nil {
				return err
			}
			continue
		}
		if w.due() {
			// A checkpoint started must end (commit or abort) even if the
			// worker is being stopped: a transaction left open blocks the
			// partitions' next owner until the transaction timeout.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := w.checkpoint(cctx)
			cancel()
			if err != nil {
				return err
			}
		}
	}
}

func (w *jobWorker) due() bool {
	if w.o.Now().Sub(w.lastCP) >= w.o.Interval {
		return true
	}
	for _, t := range w.tasks {
		if t.pendSz >= w.o.MaxPendingBytes || t.store.Pending() >= w.o.MaxPendingBytes {
			return true
		}
	}
	return false
}

// process hands each run of one partition's records to its task.
func (w *jobWorker) process(recs []rlog.Record) error {
	type run struct {
		s    *seg
		recs []rlog.Record
	}
	// Route every run of one partition's records first: nothing is
	// processed if any of them has no task.
	var order []*task
	runs := map[*task][]run{}
	got := map[*seg]bool{}
	for i := 0; i < len(recs); {
		tp := rlog.TopicPartition{Topic: recs[i].Topic, Partition: recs[i].Partition}
		j := i + 1
		for j < len(recs) && recs[j].Topic == tp.Topic && recs[j].Partition == tp.Partition {
			j++
		}
		r, ok := w.route[tp]
		if !ok && tp.Partition >= w.lay.parts[tp.Topic] {
			return fmt.Errorf("input %s has more partitions than when this session started (%d); restarting with the new layout", tp.Topic, w.lay.parts[tp.Topic])
		}
		if !ok {
			// Polled but not ours by the assignment we built tasks for:
			// rebuild, and redo (the records are polled again).
			w.logger.Warn("polled a partition this worker has no task for; rebuilding", "topic", tp.Topic, "partition", tp.Partition, "generation", w.gen)
			w.stale = true
			return nil
		}
		if _, seen := runs[r.t]; !seen {
			order = append(order, r.t)
		}
		runs[r.t] = append(runs[r.t], run{r.s, recs[i:j]})
		got[r.s] = true
		i = j
	}
	for _, t := range w.tasks {
		for _, s := range t.segs {
			s.lastEmpty = !got[s]
		}
	}
	// Tasks share nothing while processing (each has its own state batch,
	// outputs and parser), so they run in parallel, as embedded tasks do.
	return eachTask(order, func(t *task) error {
		return t.guard(func() error {
			for _, r := range runs[t] {
				if err := t.process(r.s, r.recs); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// recover handles a task failure without leaving the consumer group: the
// transaction is aborted (polling rewinds to the committed offsets), every
// task reopens on the local store, which holds exactly the committed state,
// and the failing record gets a strike (fault.go). Other errors are
// returned: the session is rebuilt.
func (w *jobWorker) recover(ctx context.Context, err error) error {
	failed := false
	for _, t := range w.tasks {
		if t.err != nil {
			failed = true
			w.o.Metrics.Restarts.WithLabelValues(w.job.Name).Inc()
			t.afterFailure(w.fails, t.err)
		}
	}
	if !failed {
		return err
	}
	w.logger.Error("task failed; redoing from the last checkpoint in this worker", "err", err)
	if err := w.sess.Abort(ctx); err != nil {
		return err
	}
	w.polled = false
	backoff := min(w.o.RestartBackoff<<min(w.taskRestarts, 9), 30*time.Second)
	w.taskRestarts++
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(backoff):
	}
	old := w.tasks
	w.dropTasks()
	for _, o := range old {
		var g []*stage
		for _, sr := range o.stages {
			g = append(g, sr.stage)
		}
		if err := w.openTask(ctx, g, o.part); err != nil {
			return err
		}
	}
	return nil
}

// eachTask runs fn for every task, concurrently when there are several.
func eachTask(ts []*task, fn func(*task) error) error {
	if len(ts) == 1 {
		return fn(ts[0])
	}
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(t) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkpoint commits every owned task's outputs, changelog records and
// input offsets in one transaction, then applies the state locally.
func (w *jobWorker) checkpoint(ctx context.Context) error {
	if w.stale {
		// Polled records were left unprocessed: committing would commit
		// their offsets. Rewind instead; the loop rebuilds and redoes.
		if w.polled {
			w.polled = false
			return w.sess.Abort(ctx)
		}
		return nil
	}
	if len(w.tasks) == 0 {
		w.lastCP = w.o.Now()
		return nil
	}
	var recs []rlog.Record
	var prepared []*task
	for _, t := range w.tasks {
		changed, err := t.prepare()
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		prepared = append(prepared, t)
		recs = append(recs, t.pending...)
		if recs, err = w.appendChangelog(ctx, recs, t); err != nil {
			return err
		}
	}
	if len(prepared) == 0 && !w.polled {
		w.lastCP = w.o.Now()
		return nil
	}
	began := time.Now()
	ok, err := w.sess.Commit(ctx, recs)
	if err != nil {
		w.o.Metrics.CheckpointFailures.WithLabelValues(w.job.Name).Inc()
		return fmt.Errorf("checkpoint %s: %w", w.job.Name, err)
	}
	w.polled = false
	if !ok {
		w.logger.Info("checkpoint aborted by a rebalance; redoing from the last commit")
		w.stale = true
		return nil
	}
	w.commits++
	w.taskRestarts = 0
	for _, t := range prepared {
		// The transaction made these writes durable (changelog); the local
		// store is a cache of it, so no fsync.
		if err := t.store.Batch().Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("local state of %s: %w", t, err)
		}
		if err := t.committed(); err != nil {
			return err
		}
	}
	w.purger.purge(ctx, &w.o.Options, w.logger, w.tasks...)
	w.o.Metrics.Checkpoint.WithLabelValues(w.job.Name).Observe(time.Since(began).Seconds())
	w.lastCP = w.o.Now()
	return nil
}

// rebuild replaces the tasks with those of the assigned partitions, their
// state restored from the changelogs. Uncommitted work is aborted first.
func (w *jobWorker) rebuild(ctx context.Context, gen uint64, parts []int32) error {
	if len(w.tasks) > 0 || w.polled {
		if err := w.sess.Abort(ctx); err != nil {
			return err
		}
		w.polled = false
	}
	w.dropTasks()
	w.gen, w.stale = gen, false
	began := time.Now()
	for _, g := range w.lay.groups {
		n := w.lay.parallelism[g[0]]
		for _, p := range parts {
			if p >= n {
				continue
			}
			if err := w.restoreState(ctx, g, p); err != nil {
				return err
			}
			if err := w.openTask(ctx, g, p); err != nil {
				return err
			}
		}
	}
	w.logger.Info("tasks assigned", "partitions", parts, "tasks", len(w.tasks), "restored_in", time.Since(began).Round(time.Millisecond))
	w.lastCP = w.o.Now()
	return nil
}

// openTask opens the task of stages g for partition p on the local store.
func (w *jobWorker) openTask(ctx context.Context, g []*stage, p int32) error {
	t := newTask(&w.o.Options, g, p, w.lay.parts, w.lay.producers, "", nil)
	t.db, t.cluster, t.poison = w.o.State, true, w.fails
	if err := t.guard(func() error { return t.open(ctx) }); err != nil {
		if t.store != nil {
			t.store.Close()
		}
		return fmt.Errorf("%s: %w", t, err)
	}
	w.tasks = append(w.tasks, t)
	for _, s := range t.segs {
		w.route[s.tp] = route{t, s}
	}
	return nil
}

func (w *jobWorker) dropTasks() {
	for _, t := range w.tasks {
		if t.store != nil {
			t.closeStore() // uncommitted writes are dropped with the batch
		}
	}
	w.tasks, w.route = nil, map[rlog.TopicPartition]route{}
}
