package embedded

import (
	"fmt"
	"sync"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Group commit.
//
// Why: every task checkpoints with one Commit, and many tasks (one
// goroutine per partition, every job at once) checkpoint at about the same
// time. A commit's cost is its fsyncs (each touched segment file, then the
// Pebble WAL), and commits are serialized to assign offsets, so with one
// commit at a time the tasks queue up behind each other's fsyncs.
//
// How: committers join a queue. The first in line (the leader) takes every
// txn queued so far and commits them as one group (Log.commitGroup): each
// txn is validated on its own and a bad one fails alone; the others' frames
// are written, each touched segment is synced once, and one Pebble batch
// (synced once) commits them all. The leader then hands every follower its
// own result. Txns that arrive meanwhile form the next group, led by the
// first of them. A group is what a single commit was: offsets assigned in
// queue order under Log.mu, nothing visible before its batch commits.

// commitReq is one Commit call waiting in the queue.
type commitReq struct {
	txn  *rlog.Txn
	size int64 // estimated bytes, for maxGroupBytes
	err  error // the result, set by the leader before wake
	done bool  // set by the leader before wake: err is final
	// wake receives once: when the request is done, or when it is first
	// in line and must lead the next group.
	wake chan struct{}
}

// maxGroupBytes caps a group (record and state bytes) so that one leader
// does not frame an unbounded amount for others; a group always takes at
// least its leader's txn.
const maxGroupBytes = 32 << 20

// commitQueue orders committers; queue[0] is the current (or next) leader.
type commitQueue struct {
	mu    sync.Mutex
	queue []*commitReq
}

// do runs req through the queue and returns its result. commit is called
// by a leader, without the queue's lock, with a group of requests (the
// leader's first) and sets err on each of them.
func (q *commitQueue) do(req *commitReq, commit func(group []*commitReq)) error {
	q.mu.Lock()
	q.queue = append(q.queue, req)
	lead := len(q.queue) == 1
	q.mu.Unlock()
	if !lead {
		<-req.wake
		if req.done {
			return req.err
		}
	}

	q.mu.Lock()
	n, size := 1, req.size
	for n < len(q.queue) && size+q.queue[n].size <= maxGroupBytes {
		size += q.queue[n].size
		n++
	}
	group := append([]*commitReq(nil), q.queue[:n]...)
	q.mu.Unlock()

	finished := false
	defer func() {
		if finished {
			return
		}
		// commit panicked (a task may recover from it): fail the group
		// and let the queue go on rather than hang every later commit.
		p := recover()
		for _, r := range group {
			r.err = fmt.Errorf("embedded log: commit panicked: %v", p)
		}
		q.finish(group)
		if p != nil {
			panic(p)
		}
	}()
	commit(group)
	finished = true
	q.finish(group)
	return req.err
}

// finish removes the leader's group from the queue, wakes its followers
// with their results and the next leader, if any.
func (q *commitQueue) finish(group []*commitReq) {
	q.mu.Lock()
	q.queue = append(q.queue[:0], q.queue[len(group):]...)
	clear(q.queue[len(q.queue) : len(q.queue)+len(group)]) // drop references
	var next *commitReq
	if len(q.queue) > 0 {
		next = q.queue[0]
	}
	q.mu.Unlock()
	for _, r := range group[1:] {
		r.done = true
		r.wake <- struct{}{}
	}
	if next != nil {
		next.wake <- struct{}{}
	}
}

// txnSize estimates the bytes a txn adds to a group.
func txnSize(txn *rlog.Txn) int64 {
	n := int64(64 * len(txn.Offsets))
	for i := range txn.Records {
		n += frameHeader + 16 + recordSize(&txn.Records[i])
	}
	if txn.State != nil {
		n += int64(txn.State.Len())
	}
	return n
}
