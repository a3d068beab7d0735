package stream

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// A task's loop on the in-memory exchange (exchange.go): inboxes first,
// then sources (unless the job's inboxes are full), timers and watermarks,
// markers out; checkpoints are the job's.

// loopX is loop for a task on the in-memory exchange.
func (t *task) loopX(ctx context.Context) error {
	if err := t.open(ctx); err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	defer t.closeStore()
	x := t.x
	for {
		if x.failed.Load() {
			return errAborted
		}
		if ctx.Err() != nil {
			x.request(true, false) // stopping: one last checkpoint of the job
		}
		if t.drain != "" && !t.doneX {
			done, err := t.advanceDrain()
			if err != nil {
				return err
			}
			if done {
				t.doneX = true
				x.markDone()
			}
		}
		if x.want.Load() {
			final, err := t.barrier(ctx)
			if err != nil || final {
				return err
			}
			continue
		}
		t.moreWaiting = false
		worked, err := t.roundX(ctx)
		if err != nil {
			return err
		}
		if t.checkpointDue() {
			x.request(false, false)
			continue
		}
		if !worked || t.readAll() {
			t.waitX(ctx) // returns at once if input came meanwhile
		}
	}
}

// checkpointDue: the job's interval has passed, or this task buffers
// enough to ask for a checkpoint of the whole job.
func (t *task) checkpointDue() bool {
	pend := t.store.Pending()
	return !t.o.Now().Before(t.o.nextCheckpoint(time.Unix(0, t.x.lastCP.Load()))) ||
		t.pendSz >= t.o.MaxPendingBytes || pend >= t.o.MaxPendingBytes ||
		t.o.shares.overPending(&t.reported, t.pendSz+pend)
}

// roundX works off the inboxes, reads a batch of every source (unless
// the job's inboxes are full), advances time and sends the markers. It
// reports whether anything arrived.
func (t *task) roundX(ctx context.Context) (bool, error) {
	worked := false
	for _, s := range t.segs {
		if s.in != nil {
			n, err := t.drainSeg(ctx, s)
			if err != nil {
				return false, err
			}
			worked = worked || n > 0
		}
	}
	if !t.x.throttled() {
		for _, s := range t.segs {
			if s.in != nil || t.inputDone(s) {
				continue
			}
			began := time.Now()
			recs, err := t.fetchSeg(ctx, s, 0)
			if err != nil {
				return false, err
			}
			s.lastEmpty = len(recs) == 0
			if err := t.process(s, recs); err != nil {
				return false, err
			}
			t.noteEnd(ctx, s, len(recs))
			s.sr.busy += time.Since(began)
			worked = worked || len(recs) > 0
		}
	}
	if err := t.timersAndWatermarks(ctx); err != nil {
		return false, err
	}
	if t.drain == "" && !t.o.Now().Before(t.nextMarkers) {
		// At most every markerEvery (Flink's auto-watermark interval):
		// after every batch, a live job's tasks spent more on markers than
		// on records.
		t.sendMarkers(true)
		t.nextMarkers = t.o.Now().Add(markerEvery)
	}
	return worked, nil
}

// drainSeg processes what a repartition input has: first the records a
// run writing its topic left there, then its inbox.
func (t *task) drainSeg(ctx context.Context, s *seg) (int, error) {
	began := time.Now()
	defer func() { s.sr.busy += time.Since(began) }()
	if s.offset < s.end {
		recs, err := t.fetchSeg(ctx, s, 0)
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 { // retention took them: nothing left
			s.end = s.offset
		}
		err = t.process(s, recs)
		t.moreWaiting = t.moreWaiting || s.offset < s.end
		return len(recs), err
	}
	recs, bytes := s.in.take()
	if len(recs) == 0 {
		return 0, nil
	}
	s.fromInbox = true
	err := t.process(s, recs)
	s.fromInbox = false
	t.x.processed(len(recs), bytes)
	return len(recs), err
}

// fetchSeg fetches the next records of an input; an offset that
// retention deleted moves to the log's start.
func (t *task) fetchSeg(ctx context.Context, s *seg, wait time.Duration) ([]rlog.Record, error) {
	fetched := time.Now()
	recs, err := t.o.Log.Fetch(ctx, s.tp, s.offset, t.o.FetchMax, wait)
	t.idle += time.Since(fetched)
	switch {
	case errors.Is(err, rlog.ErrOffsetOutOfRange):
		start, _, oerr := t.o.Log.Offsets(ctx, s.tp)
		if oerr != nil {
			return nil, oerr
		}
		t.logger.Warn("input offset deleted by retention; skipping to log start", "topic", s.tp.Topic, "offset", s.offset, "start", start)
		s.offset = start
		return nil, nil
	case err != nil && ctx.Err() != nil:
		return nil, nil // shutting down: the loop top commits
	case err != nil:
		return nil, fmt.Errorf("fetch %s: %w", s.tp, err)
	}
	return recs, nil
}

// hasQueued: a repartition input has records to process.
func (t *task) hasQueued() bool {
	for _, s := range t.segs {
		if s.in != nil && (s.offset < s.end || !s.in.empty()) {
			return true
		}
	}
	return false
}

// markerEvery is the least time between two rounds of a live task's
// markers; waitX wakes the task for the next one.
const markerEvery = 50 * time.Millisecond

// markerHeaders mark a watermark marker (read only).
var markerHeaders = []rlog.Header{{Key: HeaderControl, Value: []byte(controlWatermark)}}

// sendMarkers sends each stage's watermark, idleness and end to every
// partition of its KeyBys' next stages when they changed: in an unbounded
// run after the records they follow (at most every markerEvery); in a
// drained run (ExchangeMemory only) after each checkpoint of the job. A drain replays history, which may be out of
// order by far more than a source's bound (a day generated user by user);
// markers only after checkpoints asked for by the interval or the pending
// bytes (all: false after one asked for only because stages ended: then
// only theirs) keep most of it ahead of the next stages' watermark
// (released in time order, not judged late), as the repartition topics'
// markers, committed with each task's own checkpoints, did
// (docs/decisions/2026-12-07-in-memory-exchange.md).
func (t *task) sendMarkers(all bool) {
	for _, sr := range t.stages {
		if len(sr.keyBy) == 0 || !all && !sr.ended {
			continue
		}
		m := sr.marker(t.part)
		if sr.ended {
			m.End = t.drain
		}
		if sr.sentOK && m == sr.sent {
			continue
		}
		rec := Record{Value: m.encode(), Headers: markerHeaders}
		for _, k := range sr.keyBy {
			for _, in := range t.x.inboxes[k.node] {
				t.x.send(in, &rec, recordPos{off: -1})
				t.sentN++
			}
		}
		sr.sent, sr.sentOK = m, true
		t.metaDirty = true
	}
}

// markersDue: a stage's marker changed since it was last sent.
func (t *task) markersDue() bool {
	for _, sr := range t.stages {
		if len(sr.keyBy) == 0 {
			continue
		}
		m := sr.marker(t.part)
		m.End = sr.sent.End
		if !sr.sentOK || sr.sent != m {
			return true
		}
	}
	return false
}

// send hands rec to the inbox of partition p of the KeyBy n's next stage
// (in), with the source record it derives from; a record made outside
// one (a timer's) gets an identity from its content instead (contentPos),
// so a record that keeps failing downstream is quarantined all the same.
func (t *task) send(in *inbox, n *Node, p int32, rec *Record) {
	origin := t.cur
	if !t.curOK {
		origin = contentPos(n.topic, p, rec)
	}
	t.x.send(in, rec, origin)
	t.sentN++
}

// contentPos names a record sent through the exchange that derives from
// no source record: the next stage's topic and partition, and an offset
// below -1 made from a hash of its key and value (the same record made
// again after a restart has the same one; -1 means no identity at all).
func contentPos(topic string, p int32, rec *Record) recordPos {
	h := fnv.New64a()
	h.Write(rec.Key)
	h.Write([]byte{0})
	h.Write(rec.Value)
	return recordPos{rlog.TopicPartition{Topic: topic, Partition: p}, -2 - int64(h.Sum64()>>2)}
}

// drainX works off the inboxes (and what they cause) until they are
// empty.
func (t *task) drainX(ctx context.Context) error {
	for {
		worked := false
		for _, s := range t.segs {
			if s.in != nil {
				n, err := t.drainSeg(ctx, s)
				if err != nil {
					return err
				}
				worked = worked || n > 0
			}
		}
		if err := t.timersAndWatermarks(ctx); err != nil {
			return err
		}
		if t.drain == "" {
			t.sendMarkers(true)
		}
		if !worked {
			return nil
		}
	}
}

// barrier takes part in a checkpoint of the whole job: sources stop, the
// inboxes are worked off until the job is quiet, the operators prepare
// (again while that sends records), and every task's part is committed
// as one. It reports whether the checkpoint was the run's last.
func (t *task) barrier(ctx context.Context) (bool, error) {
	x := t.x
	for {
		if err := t.drainX(ctx); err != nil {
			return false, err
		}
		st, err := x.quiet(t)
		if err != nil {
			return false, err
		}
		if st == stepWork {
			continue
		}
		n := t.sentN
		if err := t.prepareOps(); err != nil {
			return false, err
		}
		if st, err = x.prepared(t, t.sentN != n); err != nil {
			return false, err
		}
		if st == stepCommit {
			break
		}
	}
	changed, err := t.prepareMeta()
	if err != nil {
		return false, err
	}
	var part *rlog.Txn
	if changed {
		part = &rlog.Txn{Records: t.pending, Offsets: t.offsets(), State: t.store.Batch()}
	}
	final, full, err := x.commit(t, part)
	if err != nil {
		return false, err
	}
	if changed {
		if err := t.committed(); err != nil {
			return false, err
		}
		t.purger.purge(context.Background(), t.o, t.logger, t)
	}
	if t.drain != "" && !final {
		t.sendMarkers(full) // the watermark's step: after the cut, into the next epoch
	}
	return final, nil
}

// waitX waits for an inbox record, a step of the job's checkpoint, a
// source's next commit (up to two sources are watched; more are polled),
// the next processing-time step or the stop.
func (t *task) waitX(ctx context.Context) {
	wait := t.o.roundWait(time.Unix(0, t.x.lastCP.Load()))
	if t.drain == "" && t.markersDue() {
		wait = max(time.Millisecond, min(wait, t.nextMarkers.Sub(t.o.Now())))
	}
	var srcs [2]<-chan struct{}
	n := 0
	if t.x.throttled() {
		// Sources wait for the consumers, which do not signal: poll.
		wait = min(wait, time.Millisecond)
	} else if ch, ok := t.o.Log.(changedLog); ok {
		for _, s := range t.segs {
			if s.in != nil || t.inputDone(s) {
				continue
			}
			if n == len(srcs) {
				wait = min(wait, 10*time.Millisecond)
				break
			}
			c, ready, err := t.appendSignal(ctx, ch, s)
			if err != nil {
				wait = min(wait, 10*time.Millisecond)
				continue
			}
			if ready {
				return // it has records already
			}
			srcs[n] = c
			n++
		}
	} else {
		wait = min(wait, 10*time.Millisecond)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	began := time.Now()
	defer func() { t.idle += time.Since(began) }()
	select {
	case <-t.wake:
	case <-srcs[0]:
	case <-srcs[1]:
	case <-timer.C:
	case <-ctx.Done():
	}
}

// changedLog is a log that tells when a partition is appended to (the
// embedded log).
type changedLog interface {
	Changed(tp rlog.TopicPartition) (<-chan struct{}, error)
}
