package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
)

// task runs, for one partition number, one stage of a job or several
// consecutive stages fused together (when they have the same parallelism).
// Fusing is a shortcut, not a different semantics: a KeyBy whose target
// partition is the task's own hands the record to the next stage directly,
// in the same checkpoint, instead of writing it to the repartition topic and
// reading it back; records for other partitions still go through the topic.
type task struct {
	o      *Options
	job    *Job
	part   int32
	group  string
	drain  string // drain run id; empty when unbounded
	logger *slog.Logger
	stages []*stageRun // upstream first
	segs   []*seg      // every input of every stage, in stage order
	parts  map[string]int32

	drainEnds map[rlog.TopicPartition]int64

	// moreWaiting: an input of this round has more to read than it
	// fetched, or the log cannot tell (see readAll).
	moreWaiting bool

	// db holds keyed state: the log's store (embedded), or a worker's
	// local store restored from changelogs (cluster; see worker.go).
	db *pebble.DB
	// cluster: a worker's session owns input offsets and commits.
	cluster bool

	store   *state.Store
	parser  fastjson.Parser
	rec     Record
	pending []rlog.Record
	pendSz  int
	// reported: this task's pending bytes as last added to the run's total
	// (budget.go).
	reported int64
	arena    arena
	dl       map[string]int64
	skipped  map[string]int64 // topic: tombstones and empty records skipped
	err      error
	lastCP   time.Time
	// lastSweep: when expired state was last swept (committed).
	lastSweep time.Time

	checkpoints int // committed by this incarnation (resets restart backoff)
	// newestIn is the newest log timestamp of the source records read
	// (published at commits: rtdw_freshness_seconds).
	newestIn int64
	// idle, commit: the loop's time since the last publish
	// (rtdw_task_seconds_total; busy is the sum of the stages' busy).
	idle, commit time.Duration
	purger       purger // repartition inputs purged after checkpoints (purge.go)

	// poison: records to dead-letter instead of processing (fault.go);
	// shared with the supervisor, which outlives this incarnation.
	poison *failures
	cur    recordPos  // the input record being pushed through the chains
	curOK  bool       // cur is set
	failAt *recordPos // the record the task failed on, if one is to blame

	// x: the job's in-memory exchange (exchange.go), nil when its KeyBys
	// write repartition topics; wake signals this task's inbox records
	// and the exchange's steps; doneX: a drained task whose input is done.
	x     *exchange
	wake  chan struct{}
	doneX bool
	sentN int64 // records and markers sent through the exchange
	// nextMarkers: a live task sends its markers again from then on.
	nextMarkers time.Time
	// metaDirty: markers went out or came in since the last checkpoint
	// (the stages' metadata changed without an input offset moving: a
	// marker from the in-memory exchange).
	metaDirty bool
	// waitCases: waitInputs' select, kept between rounds.
	waitCases []reflect.SelectCase
}

// stageRun is one stage's share of a task: its operators, its watermark
// and its inputs (segs).
type stageRun struct {
	stage  *stage
	meta   *state.ValueState
	segs   []*seg // stage.inputs, in order
	insts  []*inst
	keyBy  []*keyByPush
	wm     int64 // the least of its operators' watermarks: what its KeyBys send on
	idle   bool
	sent   marker
	sentOK bool
	ended  bool          // drain: EndOfInput called; its end markers go out next checkpoint
	busy   time.Duration // processing this stage's records and timers since the last publish
}

// seg is one input partition of a stage in a task.
type seg struct {
	sr        *stageRun
	idx       int   // in stage.inputs
	node      *Node // the source or KeyBy it reads
	tp        rlog.TopicPartition
	offset    int64
	committed int64
	end       int64 // drain: stop here (external input)
	clock     inputClock
	root      []pusher
	lastEmpty bool    // the last fetch of this input returned nothing
	row       row.Row // a typed repartition input's decoded row (reused)
	// in: a repartition input's inbox on the in-memory exchange; its topic
	// is then read only up to end (records left by a run that wrote it).
	in        *inbox
	fromInbox bool         // the records being processed came from in
	decode    RecordDecode // a typed source's decoder (this task's)
	// positioned: offset is the input's position (restored, or past a
	// record processed); a cluster task learns it from its first record.
	positioned bool
	// read counts the source records read since the last commit
	// (rtdw_source_records_total, published at commits).
	read int64
	// nextLagCheck: a quiet input found lagging is not asked again before.
	nextLagCheck time.Time
	// earliest and latest bound the plausible event times of the records
	// being processed (sourceTime); now is the clock they were set at.
	earliest, latest, now int64
}

// drainEnds are the end offsets of external inputs fixed when a drained
// run started: a task restarted within the run keeps the same boundary.
func newTask(o *Options, stages []*stage, part int32, parts map[string]int32, producers map[*Node]int32, drain string, drainEnds map[rlog.TopicPartition]int64) *task {
	t := &task{
		o: o, job: stages[0].job, part: part, group: stages[0].job.Name, drain: drain, parts: maps.Clone(parts), drainEnds: drainEnds,
		logger: o.Logger.With("job", stages[0].job.Name, "partition", part),
		dl:     map[string]int64{}, skipped: map[string]int64{},
		db: o.Log.StateStore(),
	}
	for _, st := range stages {
		sr := &stageRun{stage: st, wm: MinWatermark}
		for i, in := range st.inputs {
			s := &seg{sr: sr, idx: i, node: in, tp: rlog.TopicPartition{Topic: in.topic, Partition: part}}
			s.clock.maxTime = MinWatermark
			if in.kind == kindKeyBy {
				s.clock.producers = make([]producerClock, producers[in])
				for i := range s.clock.producers {
					s.clock.producers[i].WM = MinWatermark
				}
			}
			sr.segs = append(sr.segs, s)
			t.segs = append(t.segs, s)
		}
		t.stages = append(t.stages, sr)
	}
	return t
}

func (t *task) String() string {
	return fmt.Sprintf("%s partition %d", t.job.Name, t.part)
}

// open restores positions and state and instantiates the operator chains.
func (t *task) open(ctx context.Context) error {
	t.store = state.NewStoreWithCache(t.db, t.o.Now, t.o.shares.cacheBytes())
	for _, sr := range t.stages {
		if err := t.restore(ctx, sr); err != nil {
			return err
		}
	}
	// One pusher per node of every stage; a node with several inputs gets
	// one per input edge, which tells the operator where a record came from.
	push := map[*Node]pusher{}
	insts := map[*Node]*inst{}
	for _, sr := range t.stages {
		for _, n := range sr.stage.nodes {
			switch n.kind {
			case kindSink:
				sp := &sinkPush{node: n, own: t}
				if n.encode != nil {
					sp.encode = n.encode()
				}
				push[n] = sp
			case kindKeyBy:
				kb := &keyByPush{node: n, own: t, partitions: t.parts[n.topic], part: t.part}
				if t.x != nil {
					ins := t.x.inboxes[n] // resolved once: send is per record
					kb.send = func(p int32, rec *Record) { t.send(ins[p], n, p, rec) }
				}
				for _, next := range t.segs {
					if next.node == n { // the next stage is fused into this task
						kb.local = next
					}
				}
				sr.keyBy = append(sr.keyBy, kb)
				push[n] = kb
			case kindOperator:
				hold := sr.stage.hold[n]
				in := &inst{node: n, op: n.factory(), own: t, wm: heldBack(sr.wm, hold), reach: sr.stage.reach[n], hold: hold}
				if es, ok := in.op.(ExternalSink); ok {
					in.sink = es.SinkTarget()
				}
				in.ctx = &Context{Job: t.job.Name, Operator: n.Name, Partition: t.part,
					Logger: t.logger.With("operator", n.Name), store: t.store, wm: &in.wm, now: t.o.Now, late: &in.late, draining: t.drain != ""}
				in.ctx.timers = t.store.Timers(in.ctx.scope())
				in.ctx.in = in
				sr.insts = append(sr.insts, in)
				insts[n] = in
				push[n] = in
			}
		}
	}
	// In a drained run, a KeyBy into a stage that waits for the watermark
	// (a buffer, a hold, a join, a window) sends the task's own partition
	// through the repartition topic too. Its records then reach the next
	// stage after the commit that also carries their producers' watermark
	// markers, and mostly leave before the task's next checkpoint; sent in
	// process, they arrive ahead of those markers and every one is written
	// to state by that checkpoint (docs/decisions/2026-12-06-commit-gated-watermarks.md).
	// Unbounded runs keep the in-process path: it is fresher. So does a
	// broadcast: records its rules cover are routed by the rules as they
	// are on arrival, and the in-process path keeps that order as it was.
	if t.drain != "" && t.x == nil {
		for _, sr := range t.stages {
			for _, kb := range sr.keyBy {
				if kb.local != nil && kb.node.bcast == nil && waitsForWatermark(kb.local.sr) {
					kb.local = nil
				}
			}
		}
	}
	// edges returns the pushers for the edges from (from, port) to ds. A
	// stream may feed one node twice (a self-join: Connect(f, s, s)): its
	// k-th edge to d is d's k-th input from (from, port).
	edges := func(from *Node, port int, ds []*Node) []pusher {
		var out []pusher
		taken := map[*Node]int{}
		for _, d := range ds {
			in, ok := insts[d]
			if !ok || len(d.ins) == 1 {
				out = append(out, push[d])
				continue
			}
			k := taken[d]
			taken[d]++
			for i, e := range d.ins {
				if e.node == from && e.port == port {
					if k == 0 {
						out = append(out, &inputPush{in: in, input: i})
						break
					}
					k--
				}
			}
		}
		return out
	}
	for n, in := range insts {
		in.outs = make([][]pusher, len(n.outs))
		for p, ds := range n.outs {
			in.outs[p] = edges(n, p, ds)
		}
	}
	for _, s := range t.segs {
		s.root = edges(s.node, 0, s.node.outs[0])
		s.decode = s.node.src.recordDecoder()
	}
	for _, sr := range t.stages {
		for _, in := range sr.insts {
			if err := in.op.Open(in.ctx); err != nil {
				return fmt.Errorf("open operator %s: %w", in.node.Name, err)
			}
		}
	}
	t.initSeries()
	t.lastCP = t.o.Now()
	return nil
}

// waitsForWatermark reports whether a stage has an operator that may hold
// records until its watermark passes them: one with timers or a
// watermark hook.
// marker is what the stage tells the stages it feeds, from partition
// part: its watermark held back by its operators' holds, and idleness.
func (sr *stageRun) marker(part int32) marker {
	return marker{Producer: part, WM: heldBack(sr.wm, sr.stage.outHold), Idle: sr.idle}
}

func waitsForWatermark(sr *stageRun) bool {
	for _, in := range sr.insts {
		switch in.op.(type) {
		case TimerHandler, WatermarkHandler:
			return true
		}
	}
	return false
}

// metaOperator is the state scope of a stage's own metadata.
func metaOperator(st *stage) string { return "_task" + strconv.Itoa(st.id) }

// restore reads a stage's committed input offsets and watermark metadata.
func (t *task) restore(ctx context.Context, sr *stageRun) error {
	sr.meta = t.store.Value(state.Scope{Job: t.job.Name, Operator: metaOperator(sr.stage), Partition: t.part}, "meta")
	if !t.cluster {
		for _, s := range sr.segs {
			if err := t.restoreOffset(ctx, s); err != nil {
				return err
			}
		}
	}
	return t.restoreMeta(sr)
}

// restoreOffset reads the committed input offset (embedded mode: a
// worker's session resumes from the group's offsets itself).
func (t *task) restoreOffset(ctx context.Context, s *seg) error {
	l := t.o.Log
	start, end, err := l.Offsets(ctx, s.tp)
	if err != nil {
		return err
	}
	s.end = end
	if e, ok := t.drainEnds[s.tp]; ok {
		s.end = e
	}
	off, ok, err := l.CommittedOffset(ctx, t.group, s.tp)
	if err != nil {
		return err
	}
	first := !ok
	if !ok || off < start {
		if ok {
			t.logger.Warn("committed offset was deleted by retention; resuming at log start", "topic", s.tp.Topic, "committed", off, "start", start)
		}
		off = start
	}
	if first {
		if off, err = s.node.src.startOffset(ctx, l, s.tp, start, end); err != nil {
			return fmt.Errorf("start offset of %s: %w", s.tp, err)
		}
	}
	s.offset, s.committed, s.positioned = off, off, true
	if first && s.node.src.Start != nil {
		s.committed = -1 // commit the chosen start at the first checkpoint
	}
	return nil
}

func (t *task) restoreMeta(sr *stageRun) error {
	now := t.o.Now()
	for _, s := range sr.segs {
		s.clock.lastActivity = now
	}
	raw, ok, err := sr.meta.Get([]byte("m"))
	if err != nil || !ok {
		return err
	}
	var m taskMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("task metadata: %w", err)
	}
	sr.wm = m.WM
	sr.ended = t.drain != "" && m.Ended == t.drain
	if m.Sent != nil {
		sr.sent, sr.sentOK = *m.Sent, true
	}
	clocks := append([]inputMeta{{MaxTime: m.MaxTime, Idle: m.Idle, Producers: m.Producers}}, m.More...)
	for i, s := range sr.segs {
		if i >= len(clocks) {
			break // an input added since: it starts afresh
		}
		c := clocks[i]
		// A source input starts active: after a restart it may have a
		// backlog, and it goes idle again only once it has read it and
		// stayed quiet (goesIdle). Idle flags of upstream tasks are
		// theirs, except in a drained run, where no input is ever idle.
		s.clock.maxTime = c.MaxTime
		if len(c.Producers) == len(s.clock.producers) {
			copy(s.clock.producers, c.Producers)
			if t.drain != "" {
				for i := range s.clock.producers {
					s.clock.producers[i].Idle = false
				}
			}
		}
	}
	return nil
}

// run processes input until ctx ends (then commits and returns nil), until
// a drained input is exhausted, or until an error (a panic is one).
func (t *task) run(ctx context.Context) error {
	return t.guard(func() error {
		if t.x != nil {
			return t.loopX(ctx)
		}
		return t.loop(ctx)
	})
}

func (t *task) loop(ctx context.Context) error {
	if err := t.open(ctx); err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	defer t.closeStore()
	idleRounds, got := 0, 0
	for {
		if ctx.Err() != nil {
			return t.checkpoint()
		}
		if t.drain != "" {
			done, err := t.advanceDrain()
			if err != nil || done {
				return err
			}
		}
		readAll := got > 0 && t.readAll() // the last round's
		got = 0
		t.moreWaiting = false
		active := 0
		for _, s := range t.segs {
			if !t.inputDone(s) {
				active++
			}
		}
		poll := active == 1 || idleRounds > 0 || readAll
		woken := poll && active > 1 && t.waitInputs(ctx)
		if woken {
			poll = false // woken by (or found) input on any of them
		}
		for _, s := range t.segs {
			if t.inputDone(s) {
				continue
			}
			if woken && !t.hasRecords(ctx, s) {
				s.lastEmpty = true // what its fetch would have found
				continue
			}
			var wait time.Duration
			if poll {
				// Long-poll when nothing else can arrive meanwhile (or
				// nothing did, or the last round read everything there was).
				wait = min(t.o.roundWait(t.lastCP), 100*time.Millisecond/time.Duration(active))
			}
			fetched := time.Now()
			recs, err := t.o.Log.Fetch(ctx, s.tp, s.offset, t.o.FetchMax, wait)
			began := time.Now()
			t.idle += began.Sub(fetched)
			switch {
			case errors.Is(err, rlog.ErrOffsetOutOfRange):
				start, _, oerr := t.o.Log.Offsets(ctx, s.tp)
				if oerr != nil {
					return oerr
				}
				t.logger.Warn("input offset deleted by retention; skipping to log start", "topic", s.tp.Topic, "offset", s.offset, "start", start)
				s.offset = start
				continue
			case err != nil && ctx.Err() != nil:
				continue // shutting down: the loop top commits
			case err != nil:
				return fmt.Errorf("fetch %s: %w", s.tp, err)
			}
			got += len(recs)
			s.lastEmpty = len(recs) == 0
			if err := t.process(s, recs); err != nil {
				return err
			}
			t.noteEnd(ctx, s, len(recs))
			s.sr.busy += time.Since(began)
		}
		if got == 0 {
			idleRounds++
		} else {
			idleRounds = 0
		}
		if err := t.timersAndWatermarks(ctx); err != nil {
			return err
		}
		pend := t.store.Pending()
		if !t.o.Now().Before(t.o.nextCheckpoint(t.lastCP)) || t.pendSz >= t.o.MaxPendingBytes || pend >= t.o.MaxPendingBytes ||
			t.o.shares.overPending(&t.reported, t.pendSz+pend) {
			if err := t.checkpoint(); err != nil {
				return err
			}
		}
	}
}

// readAll: an unbounded task's last round read each of its inputs to
// the end. Its next step is to wait for input, which returns at once if
// some came meanwhile: a round straight away would mostly find nothing.
// Live, with a shop committing every few milliseconds, each commit woke a
// source task for two rounds, the second empty (skipping it: about 4 %
// less live CPU, at the edge of the noise; docs/benchmarks.md). Drains
// keep going round: their input is all there.
func (t *task) readAll() bool {
	return t.drain == "" && !t.moreWaiting
}

// noteEnd notes a source input that has more to read than its last fetch
// (n records) returned: a fetch stops at FetchMax records or 4 MiB. Only
// the embedded log tells its end offset without a request; on the others
// (Kafka) the task goes round again, as it always did.
func (t *task) noteEnd(ctx context.Context, s *seg, n int) {
	if t.moreWaiting || n == 0 {
		return
	}
	if _, ok := t.o.Log.(changedLog); !ok {
		t.moreWaiting = true
		return
	}
	if _, end, err := t.o.Log.Offsets(ctx, s.tp); err != nil || end > s.offset {
		t.moreWaiting = true
	}
}

// waitInputs waits, on a log that tells when a partition is appended to
// (the embedded log), until any input not done has records or until the
// wait of one round is up (100 ms at most, the next checkpoint at the
// latest), and reports that it waited. Long-polling the inputs one after
// another instead kept a record on the last of the load's twelve DWS
// topics waiting while the task polled the other eleven in turn.
func (t *task) waitInputs(ctx context.Context) bool {
	cl, ok := t.o.Log.(changedLog)
	if !ok {
		return false
	}
	cases := t.waitCases[:0]
	for _, s := range t.segs {
		if t.inputDone(s) {
			continue
		}
		c, ready, err := t.appendSignal(ctx, cl, s)
		if err != nil || ready {
			return ready // records already (or, failing, the fetches ask)
		}
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)})
	}
	timer := time.NewTimer(t.o.roundWait(t.lastCP))
	defer timer.Stop()
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	t.waitCases = cases[:0]
	began := time.Now()
	reflect.Select(cases)
	t.idle += time.Since(began)
	return true
}

// hasRecords reports whether input s has records past its position (or
// its end cannot be read: the fetch then tells). After waitInputs woke
// the task for one input, the quiet others are not fetched for nothing.
func (t *task) hasRecords(ctx context.Context, s *seg) bool {
	_, end, err := t.o.Log.Offsets(ctx, s.tp)
	return err != nil || end > s.offset
}

// appendSignal returns the channel closed at input s's next append, or
// ready when s has records to fetch already (or its end offset cannot be
// read: the fetch then tells). The channel is taken before the end offset
// is read, so an append between the two is not missed.
func (t *task) appendSignal(ctx context.Context, cl changedLog, s *seg) (c <-chan struct{}, ready bool, err error) {
	if c, err = cl.Changed(s.tp); err != nil {
		return nil, false, err
	}
	return c, t.hasRecords(ctx, s), nil
}

// closeStore drops the store's uncommitted writes and withdraws the
// task's pending bytes from the run's total.
func (t *task) closeStore() {
	t.store.Close()
	t.o.shares.overPending(&t.reported, 0)
}

// inputDone: in a drained run, a segment's input has nothing more for it.
func (t *task) inputDone(s *seg) bool {
	if t.drain == "" {
		return false
	}
	if s.clock.producers == nil {
		return s.offset >= s.end
	}
	for _, p := range s.clock.producers {
		if p.End != t.drain {
			return false
		}
	}
	return true
}

// advanceDrain ends stages (upstream first) whose inputs are exhausted and
// whose fused upstream stages have ended, and reports when the whole task
// is done.
func (t *task) advanceDrain() (bool, error) {
	for _, sr := range t.stages {
		if sr.ended {
			continue
		}
		for _, s := range sr.segs {
			if !t.inputDone(s) || !t.upstreamEnded(s) {
				return false, nil
			}
		}
		for _, in := range sr.insts {
			if err := in.endOfInput(); err != nil {
				return false, err
			}
		}
		if t.err != nil {
			return false, t.err
		}
		sr.ended = true
		// Publish this stage's end markers now: fused successors wait on them.
		if t.x != nil {
			t.x.request(false, true) // the end markers go out after it
		} else if err := t.checkpoint(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// upstreamEnded: the stage feeding input s locally (if fused) has ended.
func (t *task) upstreamEnded(s *seg) bool {
	up := s.sr.stage.upstream[s.idx]
	for _, u := range t.stages {
		if u.stage == up {
			return u.ended
		}
	}
	return true // a source, or fed only through its topic
}

func (t *task) process(s *seg, recs []rlog.Record) error {
	repartition := s.clock.producers != nil
	inbox := s.fromInbox
	if !repartition && len(recs) > 0 {
		t.eventTimeBounds(s)
		if s.clock.idle {
			t.wakeUp(s)
		}
	}
	for i := range recs {
		lr := &recs[i]
		if t.drain != "" && !repartition && lr.Offset >= s.end {
			break // past the drain boundary: left for the next run
		}
		if !inbox {
			s.offset = lr.Offset + 1
		}
		if repartition && string(lr.Header(HeaderControl)) == controlWatermark {
			t.onMarker(s, lr)
			continue
		}
		if !repartition { // a source input
			s.read++
			t.newestIn = max(t.newestIn, lr.Timestamp)
		}
		if len(lr.Value) == 0 && !repartition && s.node.src.DecodeRecord == nil {
			// A tombstone or an empty record carries no event: counted
			// (rtdw_skipped_records_total), not dead-lettered. Record
			// decoders see them (upsert-kafka's deletes).
			t.skipped[s.tp.Topic]++
			continue
		}
		// One Record reused for every input: operators must not keep it.
		t.rec = Record{Key: lr.Key, Value: lr.Value, Time: lr.Timestamp, Headers: lr.Headers,
			Source: s.tp, Offset: lr.Offset, parser: &t.parser}
		rec := &t.rec
		t.cur, t.curOK = recordPos{s.tp, lr.Offset}, true
		if inbox {
			// No position of its own: blame failures on the source record
			// it derives from, if known.
			rec.Offset = -1
			t.cur = recordPos{rlog.TopicPartition{Topic: lr.Topic, Partition: lr.Partition}, lr.Offset}
			t.curOK = lr.Offset != -1
		}
		if reason, ok := t.poison.quarantined(t.cur); ok && t.curOK {
			t.deadLetter(rec, &BadInputError{Code: "operator_failed", Detail: reason}, "task")
			continue
		}
		switch {
		case s.node.schema != nil: // a typed repartition input
			if err := row.DecodeRow(lr.Value, s.node.schema, &s.row); err != nil {
				t.deadLetter(rec, &BadInputError{Code: "bad_row", Detail: err.Error()}, s.node.Name)
				continue
			}
			rec.Row = &s.row
		case repartition:
		case s.decode != nil: // a typed source: one push per decoded row
			base := *rec
			filter := s.node.src.Filter
			err := s.decode(&base, func(r *row.Row) {
				*rec = base
				rec.Row = r
				if b := t.sourceTime(s, rec); b != nil {
					t.deadLetter(rec, b, s.node.Name)
					return
				}
				if filter != nil {
					ok, err := filter(r)
					if err != nil {
						b, isBad := AsBadInput(err)
						if !isBad {
							b = &BadInputError{Code: "eval_error", Detail: err.Error()}
						}
						t.deadLetter(rec, b, s.node.Name)
						return
					}
					if !ok {
						return
					}
				}
				pushAll(s.root, rec)
			})
			if err != nil {
				b, ok := AsBadInput(err)
				if !ok {
					b = &BadInputError{Code: "bad_format", Detail: err.Error()}
				}
				base.Row = nil
				t.deadLetter(&base, b, s.node.Name)
			}
			if t.err != nil {
				return t.err
			}
			continue
		default:
			if b := t.sourceTime(s, rec); b != nil {
				t.deadLetter(rec, b, s.node.Name)
				continue
			}
		}
		pushAll(s.root, rec)
		if t.err != nil {
			return t.err
		}
	}
	// Not deferred: a panic must leave cur naming the record for guard.
	t.curOK = false
	if len(recs) > 0 {
		s.clock.lastActivity = t.o.Now()
		s.clock.idle = false
		s.positioned = true
	}
	return nil
}

// wakeUp makes a source input that was idle active again before its
// records go on, and tells the next stages first, as Flink's ACTIVE stream
// status precedes the record: while they count this stage idle, another
// task's progress may move their watermark past these records, which
// would then be late. (That can still happen before the input's first
// fetch after the pause: a price of idleness, in Flink too.)
func (t *task) wakeUp(s *seg) {
	s.clock.idle = false
	sr := s.sr
	if !sr.idle {
		return
	}
	sr.idle = false // one active input makes the stage active
	if t.x != nil {
		t.sendMarkers(true)
	} else if t.pendMarkers(sr) {
		t.metaDirty = true
	}
}

// eventTimeBounds sets the plausible event times of a source input's
// records for one batch: from the source's (else the job's) MinEventTime
// to MaxEventTimeSkew past the processing-time clock.
func (t *task) eventTimeBounds(s *seg) {
	src := &s.node.src
	s.earliest = math.MinInt64
	if m := src.MinEventTime; !m.IsZero() {
		s.earliest = m.UnixMilli()
	} else if m := t.o.MinEventTime; !m.IsZero() {
		s.earliest = m.UnixMilli()
	}
	skew := src.MaxEventTimeSkew
	if skew == 0 {
		skew = t.o.MaxEventTimeSkew
	}
	s.latest = math.MaxInt64
	if skew > 0 {
		s.now = t.o.Now().UnixMilli()
		if d := skew.Milliseconds(); s.now < math.MaxInt64-d {
			s.latest = s.now + d
		}
	}
}

// sourceTime assigns a source record its event time and advances the
// input's clock. A time outside the plausible range (eventTimeBounds)
// moves nothing: it is returned as the reason to dead-letter the record.
// A record the extractor finds no time in keeps its log time and does not
// move the watermark either.
func (t *task) sourceTime(s *seg, rec *Record) *BadInputError {
	ts := rec.Time
	if src := &s.node.src; src.EventTime != nil {
		v, ok := src.EventTime(rec)
		if !ok {
			return nil
		}
		ts = v
	}
	switch {
	case ts > s.latest:
		return &BadInputError{Code: "future_event_time", Detail: fmt.Sprintf("event time %s is more than %s ahead of the clock (%s)",
			fmtMillis(ts), time.Duration(s.latest-s.now)*time.Millisecond, fmtMillis(s.now))}
	case ts < s.earliest:
		return &BadInputError{Code: "implausible_event_time", Detail: fmt.Sprintf("event time %s (%d ms) is before %s",
			fmtMillis(ts), ts, fmtMillis(s.earliest))}
	}
	rec.Time = ts
	s.clock.maxTime = max(s.clock.maxTime, ts)
	return nil
}

func fmtMillis(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// pushAll pushes rec to every pusher; later branches get copies so they do
// not see earlier branches' changes.
func pushAll(ps []pusher, rec *Record) {
	for k, p := range ps {
		if k < len(ps)-1 {
			cp := *rec
			p.push(&cp)
			continue
		}
		p.push(rec)
	}
}

func (t *task) onMarker(s *seg, lr *rlog.Record) {
	m, err := decodeMarker(lr.Value)
	if err != nil || m.Producer < 0 || int(m.Producer) >= len(s.clock.producers) {
		t.logger.Warn("ignoring malformed watermark marker", "topic", s.tp.Topic, "offset", lr.Offset, "err", err)
		return
	}
	t.metaDirty = true
	p := &s.clock.producers[m.Producer]
	p.WM = max(p.WM, m.WM)
	p.Idle = m.Idle
	if m.End != "" {
		p.End = m.End
	}
}

// timersAndWatermarks advances each operator's watermark (firing its
// event-time timers) and fires due processing-time timers.
func (t *task) timersAndWatermarks(ctx context.Context) error {
	now := t.o.Now()
	var wms [maxStageInputs]int64
	var idles [maxStageInputs]bool
	for _, sr := range t.stages {
		began := time.Now()
		for i, s := range sr.segs {
			src := &s.node.src
			// Idleness is per input: a fused task's busy repartition input must
			// not keep its empty source partition from going idle.
			if s.clock.producers == nil && !s.clock.idle && t.goesIdle(ctx, s, now) {
				s.clock.idle = true
			}
			wms[i], idles[i] = s.clock.watermark(src.OutOfOrderness)
		}
		n := len(sr.segs)
		all := uint64(1)<<n - 1
		wm, idle := combine(wms[:n], idles[:n], all)
		sr.wm, sr.idle = max(sr.wm, wm), idle
		for _, in := range sr.insts { // topological order: upstream operators first
			wm := wms[0]
			if n > 1 {
				wm, _ = combine(wms[:n], idles[:n], in.reach)
			}
			wm = heldBack(wm, in.hold)
			if wm > in.wm {
				if err := in.advance(wm); err != nil {
					return err
				}
			}
		}
		for _, in := range sr.insts {
			if err := in.fireTimers(state.ProcessingTime, now.UnixMilli()); err != nil {
				return err
			}
		}
		sr.busy += time.Since(began)
	}
	return t.err
}

// goesIdle reports whether a source input has been quiet long enough to
// stop holding the watermark back. Never in a drained run: its watermark
// then depends on what the inputs hold, not on how fast they were read (a
// starved partition going idle would let the others' watermark run ahead
// and make its records late), and an input at its drain end is done, not
// idle (the next run continues it). In an unbounded run: after the idle
// timeout without records, and only once the input has read everything
// its partition holds (caughtUp) — quiet alone may be a starved fetch.
func (t *task) goesIdle(ctx context.Context, s *seg, now time.Time) bool {
	timeout := s.node.src.IdleTimeout
	if t.drain != "" || !s.lastEmpty || now.Sub(s.clock.lastActivity) < timeout || now.Before(s.nextLagCheck) {
		return false
	}
	if t.caughtUp(ctx, s) {
		return true
	}
	s.nextLagCheck = now.Add(min(timeout, time.Second))
	return false
}

// caughtUp reports whether a source input's position is at its
// partition's end. On a log with transaction markers (Kafka: the end is
// the last stable offset, and markers take offsets) a position short of
// the end may have only markers ahead: a probe fetch tells. A position
// not yet known (a cluster task before its first record, without a
// committed offset) counts as caught up: quiet is then all there is.
func (t *task) caughtUp(ctx context.Context, s *seg) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a stop ends the probe
	defer cancel()
	pos := s.offset
	if !s.positioned {
		off, ok, err := t.o.Log.CommittedOffset(ctx, t.group, s.tp)
		if err != nil {
			t.logger.Debug("idleness: committed offset unknown; input stays active", "topic", s.tp.Topic, "err", err)
			return false
		}
		if !ok {
			return true
		}
		pos = off
	}
	_, end, err := t.o.Log.Offsets(ctx, s.tp)
	if err != nil {
		t.logger.Debug("idleness: end offset unknown; input stays active", "topic", s.tp.Topic, "err", err)
		return false
	}
	if pos >= end {
		return true
	}
	if _, markers := t.o.Log.(stableChecker); markers {
		recs, err := t.o.Log.Fetch(ctx, s.tp, pos, 1, 0)
		return err == nil && len(recs) == 0
	}
	return false
}

// combine is the watermark of the inputs in set (bit i: input i): the
// least of the active inputs', or, when all of them are idle, the largest
// (Flink's StatusWatermarkValve), and whether all are idle.
func combine(wms []int64, idles []bool, set uint64) (int64, bool) {
	active, all := int64(math.MaxInt64), MinWatermark
	idle := true
	for i, wm := range wms {
		if set&(1<<i) == 0 {
			continue
		}
		all = max(all, wm)
		if !idles[i] {
			idle = false
			active = min(active, wm)
		}
	}
	if idle {
		return all, true
	}
	return active, false
}

// checkpoint commits outputs, state and input offsets atomically.
func (t *task) checkpoint() error {
	changed, err := t.prepare()
	if err != nil || !changed {
		t.lastCP = t.o.Now()
		return err
	}
	began := time.Now()
	// A checkpoint must complete even while the task is being stopped.
	err = t.o.Log.Commit(context.Background(), &rlog.Txn{
		Records: t.pending, Group: t.group, Offsets: t.offsets(), State: t.store.Batch(),
	})
	if err != nil {
		t.o.Metrics.CheckpointFailures.WithLabelValues(t.job.Name).Inc()
		return fmt.Errorf("checkpoint %s: %w", t, err)
	}
	t.commit += time.Since(began)
	t.o.Metrics.Checkpoint.WithLabelValues(t.job.Name).Observe(time.Since(began).Seconds())
	if err := t.committed(); err != nil {
		return err
	}
	t.purger.purge(context.Background(), t.o, t.logger, t)
	return nil
}

// offsets are the next offsets of the task's inputs.
func (t *task) offsets() map[rlog.TopicPartition]int64 {
	offsets := make(map[rlog.TopicPartition]int64, len(t.segs))
	for _, s := range t.segs {
		offsets[s.tp] = s.offset
	}
	return offsets
}

// prepare readies a checkpoint: operators flush, watermark markers and
// segment metadata are written. It reports whether there is anything to
// commit (t.pending, the state batch, moved input offsets).
func (t *task) prepare() (bool, error) {
	if err := t.prepareOps(); err != nil {
		return false, err
	}
	return t.prepareMeta()
}

// prepareOps lets the operators flush what they buffer for a checkpoint.
func (t *task) prepareOps() error {
	for _, sr := range t.stages {
		for _, in := range sr.insts {
			if err := in.prepareCheckpoint(); err != nil {
				return err
			}
		}
	}
	return t.err
}

// prepareMeta writes the watermark markers (repartition topics) and the
// stages' metadata, and reports whether there is anything to commit.
func (t *task) prepareMeta() (bool, error) {
	changed := false
	for _, sr := range t.stages {
		if t.x != nil {
			break // sendMarkers sent them
		}
		changed = t.pendMarkers(sr) || changed
	}
	for _, s := range t.segs {
		changed = changed || s.offset != s.committed
	}
	changed = changed || t.metaDirty
	if !changed && len(t.pending) == 0 && t.store.Batch().Empty() {
		return false, nil
	}
	for _, sr := range t.stages {
		c := sr.segs[0].clock
		meta := taskMeta{WM: sr.wm, MaxTime: c.maxTime, Idle: c.idle, Producers: c.producers}
		for _, s := range sr.segs[1:] {
			meta.More = append(meta.More, inputMeta{MaxTime: s.clock.maxTime, Idle: s.clock.idle, Producers: s.clock.producers})
		}
		if sr.sentOK {
			meta.Sent = &sr.sent
		}
		if sr.ended {
			meta.Ended = t.drain
		}
		b, _ := json.Marshal(meta) // plain fields: cannot fail
		if err := sr.meta.Put([]byte("m"), b); err != nil {
			return false, err
		}
	}
	return true, nil
}

// pendMarkers adds a stage's marker for every partition of its KeyBys'
// topics to the pending output when it changed since it was last written
// (repartition topics), and reports whether it did.
func (t *task) pendMarkers(sr *stageRun) bool {
	m := sr.marker(t.part)
	if sr.ended {
		m.End = t.drain
	}
	if len(sr.keyBy) == 0 || (sr.sentOK && m == sr.sent) {
		return false
	}
	for _, k := range sr.keyBy {
		for p := int32(0); p < k.partitions; p++ {
			t.pending = append(t.pending, rlog.Record{Topic: k.node.topic, Partition: p, Value: m.encode(),
				Headers: []rlog.Header{{Key: HeaderControl, Value: []byte(controlWatermark)}}})
		}
	}
	sr.sent, sr.sentOK = m, true
	return true
}

// committed moves the task past a checkpoint the log (or the worker's
// session) has committed.
func (t *task) committed() error {
	wrote := t.store.Committed()
	for _, s := range t.segs {
		s.committed = s.offset
	}
	t.checkpoints++
	m, job := t.o.Metrics, t.job.Name
	for st, n := range wrote {
		m.StateWritten.WithLabelValues(job, st.Operator, st.Name).Add(float64(n))
	}
	// Outputs per topic, less repartition topics and dead letters: counted
	// by runs of one topic, then summed per topic, so that interleaved
	// sinks cost a map update per run, not a label lookup.
	outs := map[string]int{}
	topic, n := "", 0
	for i := range t.pending {
		if r := &t.pending[i]; r.Topic != topic {
			outs[topic] += n
			topic, n = r.Topic, 0
		}
		n++
	}
	outs[topic] += n
	for topic, n := range outs {
		if n > 0 && topic != t.job.DeadLetter && !strings.HasPrefix(topic, "_rtdw") {
			m.SinkRecords.WithLabelValues(job, topic).Add(float64(n))
		}
	}
	for _, sg := range t.segs {
		if sg.read > 0 {
			m.SourceRecords.WithLabelValues(job, sg.tp.Topic).Add(float64(sg.read))
			sg.read = 0
		}
	}
	now := t.o.Now()
	m.LastCheckpoint.WithLabelValues(job).Set(float64(now.UnixMilli()) / 1000)
	if t.newestIn > 0 {
		m.Freshness.WithLabelValues(job, strconv.Itoa(int(t.part))).Set(max(0, float64(now.UnixMilli()-t.newestIn)/1000))
	}
	if t.db != nil {
		m.StoreBytes.Set(float64(t.db.Metrics().DiskSpaceUsage()))
	}
	var busy time.Duration
	for _, sr := range t.stages {
		if sr.busy > 0 {
			busy += sr.busy
			m.StageBusy.WithLabelValues(job, strconv.Itoa(sr.stage.id)).Add(sr.busy.Seconds())
			sr.busy = 0
		}
	}
	for _, tt := range [...]struct {
		state string
		d     *time.Duration
	}{{"busy", &busy}, {"idle", &t.idle}, {"commit", &t.commit}} {
		if *tt.d > 0 {
			m.TaskTime.WithLabelValues(job, tt.state).Add(tt.d.Seconds())
			*tt.d = 0
		}
	}
	clear(t.pending)
	t.pending, t.pendSz = t.pending[:0], 0
	t.metaDirty = false
	t.o.shares.overPending(&t.reported, t.store.Pending()) // what the commit left
	t.arena.reset()
	for _, sr := range t.stages {
		for _, in := range sr.insts {
			if err := in.notifyCommitted(); err != nil {
				return err
			}
		}
	}
	t.publish()
	// Expired state goes in bounded steps (1000 entries per operator)
	// after a commit, at most once a second: a task committing often (its
	// pending bytes over its share) would otherwise rescan each TTL scope
	// for every small commit.
	if now := t.o.Now(); now.Sub(t.lastSweep) >= sweepEvery {
		for _, sr := range t.stages {
			for _, in := range sr.insts {
				if _, err := t.store.SweepAt(in.ctx.scope(), 1000, in.wm); err != nil {
					return err
				}
			}
		}
		t.lastSweep = now
	}
	t.lastCP = t.o.Now()
	return nil
}

// sweepEvery is the least time between two sweeps of a task's expired
// state.
const sweepEvery = time.Second

func (t *task) publish() {
	m, job := t.o.Metrics, t.job.Name
	for _, sr := range t.stages {
		for _, in := range sr.insts {
			add(m.RecordsIn.WithLabelValues(job, in.node.Name), &in.in, &in.pubIn)
			add(m.RecordsOut.WithLabelValues(job, in.node.Name), &in.out, &in.pubOut)
			add(m.Late.WithLabelValues(job, in.node.Name), &in.late, &in.pubLate)
			if in.sink != "" {
				add(m.SinkRecords.WithLabelValues(job, in.sink), &in.in, &in.pubSink)
			}
			in.ctx.publishCounts(m, job)
		}
		if sr.wm != MinWatermark {
			m.Watermark.WithLabelValues(job, strconv.Itoa(sr.stage.id), strconv.Itoa(int(t.part))).Set(float64(sr.wm))
		}
	}
	for _, s := range t.segs {
		if t.cluster {
			// no per-task lag: that would be a broker round trip per checkpoint
		} else if _, end, err := t.o.Log.Offsets(context.Background(), s.tp); err == nil {
			m.Lag.WithLabelValues(job, s.tp.Topic, strconv.Itoa(int(t.part))).Set(float64(end - s.committed))
		}
	}
	for code, n := range t.dl {
		m.DeadLetters.WithLabelValues(job, code).Add(float64(n))
		delete(t.dl, code)
	}
	for topic, n := range t.skipped {
		m.Skipped.WithLabelValues(job, topic).Add(float64(n))
		delete(t.skipped, topic)
	}
}

func add(c prometheus.Counter, n, pub *int64) {
	if *n != *pub {
		c.Add(float64(*n - *pub))
		*pub = *n
	}
}

// output buffers a record for the next checkpoint, copying its bytes.
// Records over MaxRecordBytes (key, value and headers) are dead-lettered; a
// dead letter over it keeps only rtdw's headers and a truncated value, so
// one oversized input can never make every checkpoint fail.
func (t *task) output(topic string, partition int32, rec *Record) {
	sz := len(rec.Key) + len(rec.Value) + headerBytes(rec.Headers)
	if sz > t.o.MaxRecordBytes {
		if topic != t.job.DeadLetter {
			t.deadLetter(rec, &BadInputError{Code: "output_too_large", Detail: fmt.Sprintf("%d bytes for %s (max %d)", sz, topic, t.o.MaxRecordBytes)}, "sink_"+topic)
			return
		}
		// Keep only our own provenance headers, each bounded, so the size
		// below is bounded whatever headers the input carried.
		var hs []rlog.Header
		for _, h := range rec.Headers {
			switch h.Key {
			case HeaderReason, HeaderJob, HeaderSource:
				hs = append(hs, rlog.Header{Key: h.Key, Value: truncUTF8(h.Value, 1024)})
			}
		}
		hs = append(hs, rlog.Header{Key: "rtdw.truncated", Value: []byte(strconv.Itoa(sz))})
		key := rec.Key[:min(len(rec.Key), 4096)]
		keep := max(0, t.o.MaxRecordBytes-len(key)-headerBytes(hs))
		rec = &Record{Key: key, Value: rec.Value[:min(len(rec.Value), keep)], Time: rec.Time, Headers: hs}
		sz = len(rec.Key) + len(rec.Value) + headerBytes(hs)
	}
	if partition == rlog.AutoPartition && rec.Key != nil {
		// Partition now, while the key is in cache: the log would hash it
		// at commit, a checkpoint's worth of records later (the same
		// murmur2 as every rtdw log and Kafka's default partitioner).
		if n := t.parts[topic]; n > 0 {
			partition = rlog.PartitionFor(rec.Key, n)
		}
	}
	t.pending = append(t.pending, rlog.Record{Topic: topic, Partition: partition,
		Key: t.arena.copy(rec.Key), Value: t.arena.copy(rec.Value), Headers: rec.Headers, Timestamp: rec.Time})
	t.pendSz += sz
}

// ensureTopic creates a dynamic sink's topic on first use. Names the log
// rejects (a config row naming an impossible topic) dead-letter the record.
func (t *task) ensureTopic(topic string) error {
	if _, ok := t.parts[topic]; ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := rlog.EnsureTopic(ctx, t.o.Log, topic, rlog.TopicConfig{Partitions: t.o.Partitions})
	if err != nil {
		return &BadInputError{Code: "bad_topic", Detail: fmt.Sprintf("topic %q: %v", topic, err)}
	}
	t.parts[topic] = info.Partitions
	return nil
}

// truncUTF8 cuts b to at most n bytes without splitting a UTF-8 sequence.
func truncUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

func headerBytes(hs []rlog.Header) int {
	n := 0
	for _, h := range hs {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

func (t *task) deadLetter(rec *Record, b *BadInputError, at string) {
	t.dl[b.Code]++
	reason := b.Error()
	if len(reason) > 1024 { // a reason quoting a huge input is no use
		reason = string(truncUTF8([]byte(reason), 1021)) + "..."
	}
	src := rec.Source.String() + "@" + strconv.FormatInt(rec.Offset, 10)
	switch {
	case rec.Offset >= 0 || !t.curOK:
	case t.cur.off >= 0:
		// Through the in-memory exchange: no position of its own; the
		// source record it derives from.
		src = t.cur.String()
	default: // made by a timer upstream (contentPos)
		src = t.cur.tp.String() + " (in memory, made by a timer upstream: no source position)"
	}
	h := append(rec.Headers[:len(rec.Headers):len(rec.Headers)],
		rlog.Header{Key: HeaderReason, Value: []byte(reason)},
		rlog.Header{Key: HeaderJob, Value: []byte(t.job.Name + "/" + at)},
		rlog.Header{Key: HeaderSource, Value: []byte(src)})
	v := rec.Value
	if rec.Row != nil && (len(v) == 0 || isRepartitionTopic(rec.Source.Topic)) {
		// A typed record: readable, as Flink prints rows. One read from a
		// repartition topic has the internal binary encoding as its value.
		v = []byte(rec.Row.String())
	}
	dl := Record{Key: rec.Key, Value: v, Time: rec.Time, Headers: h}
	t.output(t.job.DeadLetter, rlog.AutoPartition, &dl)
}

func (t *task) fail(err error) {
	if t.err == nil {
		t.err = err
		var r *recordError
		switch {
		case errors.As(err, &r) && r.pos.off >= 0: // an operator named the record (FailedOn)
			p := r.pos
			t.failAt = &p
		case t.curOK:
			p := t.cur
			t.failAt = &p
		}
	}
}

// arena copies output bytes into chunks so a checkpoint's worth of
// records costs a few allocations, not one per record. A checkpoint's
// first chunk is small (most tasks write little per checkpoint); the
// others are arenaChunk large and come from a free list shared by every
// task of the process, to which they return once the records pointing
// into them are committed: memory follows what is pending now, not every
// task's largest checkpoint, and a job writing hundreds of MB/s does not
// allocate (and zero, and collect) a fresh MiB every few thousand records.
type arena struct {
	cur  []byte
	full [][]byte
}

const (
	arenaFirst = 64 << 10
	arenaChunk = 1 << 20
	// arenaKeep bounds the chunks kept free for the whole process.
	arenaKeep = 16
)

// arenaFree is the process's free list of arenaChunk chunks.
var arenaFree struct {
	sync.Mutex
	chunks [][]byte
}

func (a *arena) copy(b []byte) []byte {
	if b == nil {
		return nil
	}
	if cap(a.cur)-len(a.cur) < len(b) {
		first := a.cur == nil && len(a.full) == 0
		if a.cur != nil {
			a.full = append(a.full, a.cur)
		}
		switch {
		case first && len(b) <= arenaFirst:
			a.cur = make([]byte, 0, arenaFirst)
		case len(b) <= arenaChunk:
			a.cur = takeChunk()
		default:
			a.cur = make([]byte, 0, len(b))
		}
	}
	n := len(a.cur)
	a.cur = append(a.cur, b...)
	return a.cur[n:len(a.cur):len(a.cur)]
}

func takeChunk() []byte {
	arenaFree.Lock()
	defer arenaFree.Unlock()
	if n := len(arenaFree.chunks); n > 0 {
		c := arenaFree.chunks[n-1][:0]
		arenaFree.chunks[n-1] = nil
		arenaFree.chunks = arenaFree.chunks[:n-1]
		return c
	}
	return make([]byte, 0, arenaChunk)
}

// reset gives the chunks back once the records pointing into them are
// committed.
func (a *arena) reset() {
	if a.cur != nil {
		a.full = append(a.full, a.cur)
		a.cur = nil
	}
	arenaFree.Lock()
	for i, c := range a.full {
		if cap(c) == arenaChunk && len(arenaFree.chunks) < arenaKeep {
			arenaFree.chunks = append(arenaFree.chunks, c)
		}
		a.full[i] = nil
	}
	arenaFree.Unlock()
	a.full = a.full[:0]
}
