package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// The in-memory exchange (docs/decisions/2026-12-07-in-memory-exchange.md).
//
// In a run of Run (one process), the tasks of a job with a KeyBy hand the
// records they re-key for other partitions to the consuming task through
// an inbox in memory, not through the repartition topic, and watermark
// markers travel the same way right after the records they follow, not
// with the producer's next commit. Every checkpoint of such a job is then
// one for the whole job: on a request (the interval, a task's pending
// bytes), every task stops reading its sources and works off its inboxes
// until the job is quiet (no record in any inbox or being processed: the
// job's stages form a DAG, so this ends); the operators prepare their
// checkpoint (which may send more records: then the job works them off
// and prepares again); and the tasks' outputs, state and source offsets
// are committed as one Txn. So the cut is consistent without aligned
// barriers, and a record in an inbox never needs to be in state or in a
// topic. The price: a failure of any task restarts the whole job from its
// last checkpoint, as Flink's region failover does for all-to-all edges.
//
// Cluster workers keep the repartition topics: their tasks fail, move and
// commit independently (worker.go).

// inbox holds records sent to one consuming task's repartition input,
// in the order they were sent (per sender: the order it sent them).
type inbox struct {
	mu   sync.Mutex
	recs []rlog.Record
	buf  []byte // the bytes of recs' keys and values (each send copies)
	// chunk is the size of buf's next allocation: it doubles while a
	// batch fills its chunks, up to 32 KiB, so a few markers or records
	// per batch cost a small allocation, not 32 KiB.
	chunk int
	bytes int64
	wake  chan struct{} // the consuming task's
}

// exchange is one incarnation of a job's tasks on the in-memory exchange:
// their inboxes and the checkpoint they take together.
type exchange struct {
	o       *Options
	job     *Job
	inboxes map[*Node][]*inbox // per KeyBy, per partition of its next stage
	tasks   []*task
	// queued counts records (markers too) sent and not yet processed, and
	// queuedBytes their bytes: sources pause above maxQueuedBytes.
	queued, queuedBytes atomic.Int64
	want                atomic.Bool  // a checkpoint is requested
	lastCP              atomic.Int64 // when the last one committed (UnixNano)
	failed              atomic.Bool  // aborted is set
	peakBytes           atomic.Int64 // the most queuedBytes has been (tests)

	mu        sync.Mutex
	final     bool // the requested checkpoint is the run's last
	lastFinal bool // the last checkpoint was the run's last
	// full: the requested checkpoint is not only for ended stages;
	// lastFull: the last one was not.
	full, lastFull bool
	done           int // drained tasks whose input is done
	arrived        int // tasks at the current collective step
	gen            uint64
	sentAny        bool // a task sent records while preparing this round
	again          bool // the last prepare round's verdict
	parts          []*rlog.Txn
	cpErr          error
	aborted        error
}

// maxQueuedBytes bounds the bytes in a job's inboxes: above it, tasks
// read no more source records until their consumers catch up.
const maxQueuedBytes = 8 << 20

// errAborted: another task of the job failed; the job restarts.
var errAborted = errors.New("another task of the job failed")

// exchangeCreated, if set, sees every exchange made (tests).
var exchangeCreated func(*exchange)

func newExchange(o *Options, j *Job, lay *layout) *exchange {
	x := &exchange{o: o, job: j, inboxes: map[*Node][]*inbox{}}
	if exchangeCreated != nil {
		exchangeCreated(x)
	}
	x.lastCP.Store(o.Now().UnixNano())
	for n := range lay.producers {
		ins := make([]*inbox, lay.parts[n.topic])
		for p := range ins {
			ins[p] = &inbox{}
		}
		x.inboxes[n] = ins
	}
	return x
}

// Exchange chooses between the in-memory exchange and repartition topics
// (Options.Exchange).
type Exchange int

const (
	// ExchangeAuto: in memory in unbounded runs on the embedded log,
	// repartition topics in drained runs and on Kafka (rtdw run in kafka
	// mode: a task there long-polls the broker, where a task on the
	// exchange would poll it every 10 ms while it waits for its inbox
	// too). A drain replays history, which may be out of order by
	// far more than a source's bound (the mock shop's day, generated user
	// by user, is): a record behind the next stage's watermark is then
	// processed on arrival, not in time order, and which records are
	// behind depends on when each producer's watermark reaches the
	// consumer. Through the topics that is once per producer's own
	// checkpoint, which in practice keeps drains' results the same from
	// run to run; on the exchange it is more often (see sendMarkers), and
	// the results of the warehouse's first-visit counts then vary by a
	// few rows (docs/decisions/2026-12-07-in-memory-exchange.md).
	ExchangeAuto Exchange = iota
	// ExchangeMemory: always in memory.
	ExchangeMemory
	// ExchangeTopics: always through the repartition topics, as cluster
	// workers do.
	ExchangeTopics
)

// usesExchange: whether a job with a KeyBy runs on the in-memory exchange.
func usesExchange(o *Options, lay *layout) bool {
	if len(lay.producers) == 0 {
		return false
	}
	switch o.Exchange {
	case ExchangeMemory:
		return true
	case ExchangeTopics:
		return false
	}
	_, embedded := o.Log.(changedLog)
	return !o.drain && embedded
}

// attach wires a task's repartition inputs to their inboxes.
func (x *exchange) attach(t *task) {
	t.x = x
	t.wake = make(chan struct{}, 1)
	x.tasks = append(x.tasks, t)
	for _, s := range t.segs {
		if s.node.kind == kindKeyBy {
			in := x.inboxes[s.node][t.part]
			in.wake = t.wake
			s.in = in
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (x *exchange) wakeAll() {
	for _, t := range x.tasks {
		signal(t.wake)
	}
}

// send copies rec into an inbox (of x.inboxes). origin is the source
// record it derives from (for poison records: a failure downstream is
// blamed on it), or off -1 (markers).
func (x *exchange) send(in *inbox, rec *Record, origin recordPos) {
	sz := len(rec.Key) + len(rec.Value)
	in.mu.Lock()
	if cap(in.buf)-len(in.buf) < sz {
		if in.buf != nil {
			in.chunk = min(2*in.chunk, 32<<10)
		}
		in.chunk = max(in.chunk, 256)
		in.buf = make([]byte, 0, max(sz, in.chunk))
	}
	var key, val []byte
	if rec.Key != nil {
		in.buf = append(in.buf, rec.Key...)
		key = in.buf[len(in.buf)-len(rec.Key) : len(in.buf) : len(in.buf)]
	}
	if rec.Value != nil {
		in.buf = append(in.buf, rec.Value...)
		val = in.buf[len(in.buf)-len(rec.Value) : len(in.buf) : len(in.buf)]
	}
	in.recs = append(in.recs, rlog.Record{Topic: origin.tp.Topic, Partition: origin.tp.Partition, Offset: origin.off,
		Key: key, Value: val, Headers: rec.Headers, Timestamp: rec.Time})
	in.bytes += int64(sz)
	first := len(in.recs) == 1
	in.mu.Unlock()
	x.queued.Add(1)
	for q := x.queuedBytes.Add(int64(sz)); ; {
		p := x.peakBytes.Load()
		if q <= p || x.peakBytes.CompareAndSwap(p, q) {
			break
		}
	}
	if first {
		signal(in.wake)
	}
}

// take empties an inbox; the caller calls processed when done with them.
func (in *inbox) take() ([]rlog.Record, int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	recs, n := in.recs, in.bytes
	if len(recs) == 0 {
		return nil, 0
	}
	in.recs, in.buf, in.bytes = nil, nil, 0
	return recs, n
}

func (in *inbox) empty() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.recs) == 0
}

func (x *exchange) processed(n int, bytes int64) {
	x.queuedBytes.Add(-bytes)
	x.queued.Add(-int64(n))
}

// throttled: the inboxes hold enough; sources wait.
func (x *exchange) throttled() bool { return x.queuedBytes.Load() > maxQueuedBytes }

// request asks for a checkpoint of the whole job (final: the run ends
// with it). ends: only for drained stages that ended (their end markers
// go out after it; the others' markers wait for a checkpoint asked for
// by the interval or the pending bytes: see sendMarkers).
func (x *exchange) request(final, ends bool) {
	x.mu.Lock()
	x.final = x.final || final
	x.full = x.full || !ends
	x.mu.Unlock()
	if !x.want.Swap(true) || final {
		x.wakeAll()
	}
}

// markDone notes a drained task whose input is done; the last one asks
// for the final checkpoint.
func (x *exchange) markDone() {
	x.mu.Lock()
	x.done++
	all := x.done == len(x.tasks)
	x.mu.Unlock()
	if all {
		x.request(true, true)
	}
}

// abort makes every task of the job give up (one of them failed).
func (x *exchange) abort(err error) {
	x.mu.Lock()
	if x.aborted == nil {
		x.aborted = err
	}
	x.mu.Unlock()
	x.failed.Store(true)
	x.wakeAll()
}

// step outcomes of the collective steps of a checkpoint.
type step int

const (
	stepQuiet  step = iota // every task arrived with nothing queued
	stepWork               // this task has input again: back to work
	stepAgain              // a prepare round sent records: work them off, prepare again
	stepCommit             // the job is quiet and prepared: commit
)

// quiet waits until every task of the job is at this step with no record
// queued anywhere (stepQuiet), or returns stepWork when this task's
// inboxes get records meanwhile.
func (x *exchange) quiet(t *task) (step, error) {
	x.mu.Lock()
	x.arrived++
	if x.arrived == len(x.tasks) && x.queued.Load() == 0 {
		x.endStep()
		return stepQuiet, nil
	}
	moved, err := x.await(t, func() bool {
		if t.hasQueued() {
			x.arrived--
			return true
		}
		return false
	})
	x.mu.Unlock()
	switch {
	case err != nil:
		return 0, err
	case moved:
		return stepQuiet, nil
	}
	return stepWork, nil
}

// endStep ends the current collective step: its last task calls it,
// x.mu held, which it releases; the tasks waiting in await move on.
func (x *exchange) endStep() {
	x.arrived = 0
	x.gen++
	x.mu.Unlock()
	x.wakeAll()
}

// await waits, x.mu held on entry and on return, until the current step
// is over (moved: the last task arrived), the job aborts, or leave (if
// not nil) says this task leaves the step.
func (x *exchange) await(t *task, leave func() bool) (moved bool, err error) {
	g := x.gen
	for {
		x.mu.Unlock()
		<-t.wake
		x.mu.Lock()
		switch {
		case x.gen != g:
			return true, nil
		case x.aborted != nil:
			return false, errAborted
		case leave != nil && leave():
			return false, nil
		}
	}
}

// prepared is the collective step after every task's operators prepared
// their checkpoint: stepAgain if any of them sent records, else stepCommit.
func (x *exchange) prepared(t *task, sent bool) (step, error) {
	x.mu.Lock()
	x.arrived++
	x.sentAny = x.sentAny || sent
	if x.arrived == len(x.tasks) {
		x.again = x.sentAny || x.queued.Load() > 0
		x.sentAny = false
		again := x.again
		x.endStep()
		if again {
			return stepAgain, nil
		}
		return stepCommit, nil
	}
	_, err := x.await(t, nil)
	again := x.again
	x.mu.Unlock()
	switch {
	case err != nil:
		return 0, err
	case again:
		return stepAgain, nil
	}
	return stepCommit, nil
}

// commit hands in a task's part of the checkpoint; the last task to do so
// commits every part as one Txn. It returns the commit's result, whether
// the checkpoint was the run's last, and whether it was asked for by more
// than ended stages.
func (x *exchange) commit(t *task, part *rlog.Txn) (final, full bool, err error) {
	x.mu.Lock()
	if part != nil {
		x.parts = append(x.parts, part)
	}
	x.arrived++
	if x.arrived == len(x.tasks) {
		began := time.Now()
		x.cpErr = x.commitParts()
		if x.cpErr == nil {
			t.commit += time.Since(began)
			x.o.Metrics.Checkpoint.WithLabelValues(x.job.Name).Observe(time.Since(began).Seconds())
		} else {
			x.o.Metrics.CheckpointFailures.WithLabelValues(x.job.Name).Inc()
		}
		final, full := x.final, x.full
		clear(x.parts)
		x.parts = x.parts[:0]
		x.want.Store(false)
		x.final, x.lastFinal = false, final
		x.full, x.lastFull = false, full
		x.lastCP.Store(x.o.Now().UnixNano())
		err := x.cpErr
		x.endStep()
		return final, full, err
	}
	if _, err := x.await(t, nil); err != nil {
		x.mu.Unlock()
		return false, false, err
	}
	final, full, err = x.lastFinal, x.lastFull, x.cpErr
	x.mu.Unlock()
	return final, full, err
}

// commitParts commits the tasks' parts as one Txn: their records in task
// order, their offsets, and their state batches copied into one batch
// (the log commits one batch atomically).
func (x *exchange) commitParts() error {
	if len(x.parts) == 0 {
		return nil
	}
	txn := &rlog.Txn{Group: x.job.Name, Offsets: map[rlog.TopicPartition]int64{}}
	n, size := 0, 0
	for _, p := range x.parts {
		n += len(p.Records)
		if p.State != nil {
			size += len(p.State.Repr())
		}
	}
	txn.Records = make([]rlog.Record, 0, n)
	var batches []*pebble.Batch
	for _, p := range x.parts {
		txn.Records = append(txn.Records, p.Records...)
		for tp, off := range p.Offsets {
			txn.Offsets[tp] = off
		}
		if p.State != nil && !p.State.Empty() {
			batches = append(batches, p.State)
		}
	}
	switch len(batches) {
	case 0:
	case 1:
		txn.State = batches[0]
	default:
		b := x.o.Log.StateStore().NewBatchWithSize(size)
		for _, s := range batches {
			if err := b.Apply(s, nil); err != nil {
				b.Close()
				return fmt.Errorf("checkpoint %s: merge state batches: %w", x.job.Name, err)
			}
		}
		txn.State = b
		defer b.Close()
	}
	// A checkpoint must complete even while the job is being stopped.
	if err := x.o.Log.Commit(context.Background(), txn); err != nil {
		return fmt.Errorf("checkpoint %s: %w", x.job.Name, err)
	}
	return nil
}
