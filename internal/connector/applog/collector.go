package applog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/state"
)

// Position is how far a tailed file has been committed: the offset just
// past its last committed line. Files are identified by device + inode
// (the key of the positions map), so a renamed file keeps its position.
type Position struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
}

// Options configure a Collector.
type Options struct {
	// Log receives the records; required.
	Log rlog.Log
	// Topic for good lines (default topic_log) and DirtyTopic for bad ones
	// (default dirty_data).
	Topic, DirtyTopic string
	// Partitions of the topics when the collector creates them (default 4).
	Partitions int32
	// PositionFile keeps file positions when Log has no state store
	// (at-least-once); required for tailing on such a log.
	PositionFile string
	// RequestIDTTL is how long an X-Request-Id is remembered (default 24h).
	RequestIDTTL time.Duration
	// Registerer receives the collector's metrics (nil: none).
	Registerer prometheus.Registerer
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the clock of request-id expiry (nil: time.Now); for tests.
	Now func() time.Time
	// Name (Kafka mode) names the collector's position topic
	// (PositionTopic; default "applog"); TransactionalID is its identity
	// (default rtdw-ingest-applog-<Name>): a second collector with the
	// same id fences the first. TransactionTimeout: the broker aborts a
	// commit a dead collector left open this long (default 10s).
	Name               string
	TransactionalID    string
	TransactionTimeout time.Duration
}

// Collector writes validated app-log batches to the log, together with
// its bookkeeping. Commits are serialized, so the bookkeeping of
// concurrent HTTP requests and file tails stays consistent; concurrent
// batches share one commit (see commit).
type Collector struct {
	o Options
	// qmu guards the commit queue (commit): batches waiting for the
	// group commit in flight, and whether one is.
	qmu     sync.Mutex
	queue   []*pendingCommit
	leading bool

	mu       sync.Mutex
	store    *state.Store      // nil without a state store
	posState *state.ValueState // key posKey: JSON map of positions
	reqState *state.ValueState // X-Request-Id -> seen
	kb       *kafkaBook        // Kafka mode
	pos      map[string]Position
	m        *metrics
	closed   bool
	fenced   chan struct{} // closed when another collector took over (Kafka)
}

var posKey = []byte("positions")

// reqScope holds the request ids (TTL'd; swept a few per request).
var reqScope = state.Scope{Job: JobName, Operator: "http"}

// New opens a collector: it creates the topics if missing and loads the
// committed file positions.
func New(ctx context.Context, o Options) (*Collector, error) {
	if o.Log == nil {
		return nil, errors.New("applog: Options.Log is required")
	}
	if o.Topic == "" {
		o.Topic = "topic_log"
	}
	if o.DirtyTopic == "" {
		o.DirtyTopic = "dirty_data"
	}
	if o.Partitions <= 0 {
		o.Partitions = 4
	}
	if o.RequestIDTTL <= 0 {
		o.RequestIDTTL = 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for _, t := range []string{o.Topic, o.DirtyTopic} {
		if _, err := rlog.EnsureTopic(ctx, o.Log, t, rlog.TopicConfig{Partitions: o.Partitions}); err != nil {
			return nil, fmt.Errorf("applog: topic %s: %w", t, err)
		}
	}
	if o.Name == "" {
		o.Name = "applog"
	}
	if o.TransactionalID == "" {
		o.TransactionalID = "rtdw-ingest-applog-" + o.Name
	}
	c := &Collector{o: o, pos: map[string]Position{}, m: newMetrics(o.Registerer), fenced: make(chan struct{})}
	var raw []byte
	if kl, ok := o.Log.(*kafka.Log); ok {
		kb, err := newKafkaBook(ctx, kl, o)
		if err != nil {
			return nil, err
		}
		if raw, err = kb.load(ctx, c.now()); err != nil {
			kb.close()
			return nil, err
		}
		c.kb = kb
	} else if db := o.Log.StateStore(); db != nil {
		c.store = state.NewStore(db, o.Now)
		c.posState = c.store.Value(state.Scope{Job: JobName, Operator: "tail"}, "file_positions")
		c.reqState = c.store.Value(reqScope, "request_ids", state.WithTTL(o.RequestIDTTL))
		v, ok, err := c.posState.Get(posKey)
		if err != nil {
			return nil, fmt.Errorf("applog: positions: %w", err)
		}
		if ok {
			raw = v
		}
	} else if o.PositionFile != "" {
		v, err := os.ReadFile(o.PositionFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("applog: position file: %w", err)
		}
		raw = v
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c.pos); err != nil {
			return nil, fmt.Errorf("applog: positions: %w", err)
		}
	}
	return c, nil
}

// Exactly reports whether commits are exactly-once (the log has a state
// store): file positions and request ids commit atomically with records.
func (c *Collector) Exactly() bool { return c.store != nil || c.kb != nil }

// Fenced is closed when another collector with the same transactional id
// took over (Kafka): this one can no longer commit and should stop.
func (c *Collector) Fenced() <-chan struct{} { return c.fenced }

func (c *Collector) now() time.Time {
	if c.o.Now != nil {
		return c.o.Now()
	}
	return time.Now()
}

// commitKafka commits a group on Kafka in one transaction; after a failed
// commit it first reloads what is committed (the failed one's outcome may
// be unknown).
func (c *Collector) commitKafka(ctx context.Context, group []*pendingCommit) {
	now := c.now()
	if c.kb.broken {
		raw, err := c.kb.load(ctx, now)
		pos := map[string]Position{}
		if err == nil && len(raw) > 0 {
			if err = json.Unmarshal(raw, &pos); err != nil {
				err = fmt.Errorf("applog: positions: %w", err)
			}
		}
		if err != nil {
			for _, p := range group {
				p.err = err
			}
			return
		}
		c.pos = pos
	}
	g, err := c.plan(group, func(id string) (bool, error) { return c.kb.seen(id, now), nil })
	if err == nil && g.writes() {
		err = beforeCommit()
	}
	if err == nil && g.writes() {
		err = c.kb.commit(ctx, g.recs, g.posJSON, g.ids, now, c.o.RequestIDTTL)
		if fenced(err) {
			select {
			case <-c.fenced:
			default:
				close(c.fenced)
			}
		}
	}
	if err != nil {
		g.fail(group, err)
		return
	}
	c.done(group, g)
}

// apply returns the positions after updates (a nil value deletes) and
// their JSON (nil when nothing changed).
func (c *Collector) apply(updates map[string]*Position) (map[string]Position, []byte, error) {
	if len(updates) == 0 {
		return c.pos, nil, nil
	}
	pos := maps.Clone(c.pos)
	applyPositions(pos, updates)
	b, err := json.Marshal(pos)
	return pos, b, err
}

// applyPositions applies updates to pos (a nil value deletes).
func applyPositions(pos map[string]Position, updates map[string]*Position) {
	for id, p := range updates {
		if p == nil {
			delete(pos, id)
		} else {
			pos[id] = *p
		}
	}
}

// Positions returns a copy of the committed file positions.
func (c *Collector) Positions() map[string]Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.pos)
}

// Close releases the collector's pending state batch (the log stays open).
func (c *Collector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed && c.store != nil {
		c.store.Close()
	}
	if !c.closed && c.kb != nil {
		c.kb.close()
	}
	c.closed = true
}

// errClosed is returned by commits after Close.
var errClosed = errors.New("applog: collector closed")

// pendingCommit is one batch waiting in the collector's commit queue.
type pendingCommit struct {
	input   string
	b       *batch
	reqID   string
	updates map[string]*Position
	dup     bool
	err     error
	// wake gets one message: true to lead the next group (see commit),
	// false once the batch's group has committed or failed.
	wake chan bool
}

// commit writes b's records and applies the position updates (a nil
// value deletes the entry) atomically when the log allows it. A non-empty
// reqID already committed makes it a no-op that reports dup.
//
// Concurrent commits share one durable commit of the log (group commit):
// a commit that finds no other in flight leads; it takes every batch
// queued by then, its own included, commits them together, and hands the
// lead to the first batch queued meanwhile. One-line POSTs from many
// clients thus share fsyncs instead of paying one each
// (BenchmarkPostOneLine). The group commits whatever the leader's context
// does: the others' requests must not fail with it.
func (c *Collector) commit(ctx context.Context, input string, b *batch, reqID string, updates map[string]*Position) (dup bool, err error) {
	p := &pendingCommit{input: input, b: b, reqID: reqID, updates: updates, wake: make(chan bool, 1)}
	c.qmu.Lock()
	c.queue = append(c.queue, p)
	lead := !c.leading
	c.leading = true
	c.qmu.Unlock()
	if !lead && !<-p.wake {
		return p.dup, p.err // committed (or failed) in another's group
	}
	c.qmu.Lock()
	group := c.queue
	c.queue = nil
	c.qmu.Unlock()
	c.commitGroup(context.WithoutCancel(ctx), group)
	c.qmu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].wake <- true
	} else {
		c.leading = false
	}
	c.qmu.Unlock()
	for _, q := range group {
		if q != p {
			q.wake <- false
		}
	}
	return p.dup, p.err
}

// commitGroup commits a group of batches, in queue order: on a state
// store or on Kafka in one transaction; without either one at a time.
func (c *Collector) commitGroup(ctx context.Context, group []*pendingCommit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		for _, p := range group {
			p.err = errClosed
		}
	case c.kb != nil:
		c.commitKafka(ctx, group)
	case c.store != nil:
		c.commitStore(ctx, group)
	default:
		for _, p := range group {
			p.dup, p.err = c.commitPlain(ctx, p.input, p.b, p.updates)
		}
	}
}

// beforeCommit runs before a group's transaction (tests hold or fail it).
var beforeCommit = func() error { return nil }

// groupPlan is what a group of batches writes, in queue order.
type groupPlan struct {
	recs    []rlog.Record
	pos     map[string]Position // the positions after the group
	posJSON []byte              // nil: the positions did not change
	ids     []string            // request ids to remember
	inGroup map[string]bool     // ids, as a set
}

// plan marks the group's duplicates (a request id seen committed, or
// earlier in the group) and gathers what the others write.
func (c *Collector) plan(group []*pendingCommit, seen func(id string) (bool, error)) (*groupPlan, error) {
	g := &groupPlan{pos: c.pos, inGroup: map[string]bool{}}
	changed := false
	for _, p := range group {
		if p.reqID != "" {
			if g.inGroup[p.reqID] {
				p.dup = true
				continue
			}
			dup, err := seen(p.reqID)
			if err != nil {
				return g, err
			}
			if dup {
				p.dup = true
				continue
			}
			g.inGroup[p.reqID] = true
			g.ids = append(g.ids, p.reqID)
		}
		if len(p.updates) > 0 {
			if !changed {
				g.pos, changed = maps.Clone(g.pos), true
			}
			applyPositions(g.pos, p.updates)
		}
		g.recs = append(g.recs, p.b.recs...)
	}
	if changed {
		b, err := json.Marshal(g.pos)
		if err != nil {
			return g, err
		}
		g.posJSON = b
	}
	return g, nil
}

// writes reports whether the plan has anything to commit.
func (g *groupPlan) writes() bool { return len(g.recs) > 0 || g.posJSON != nil || len(g.ids) > 0 }

// fail fails every batch of the group but the duplicates of committed
// requests: a duplicate of a request earlier in the group fails with it.
func (g *groupPlan) fail(group []*pendingCommit, err error) {
	for _, p := range group {
		if !p.dup || g.inGroup[p.reqID] {
			p.dup, p.err = false, err
		}
	}
}

// done makes a committed group's positions current and counts it.
func (c *Collector) done(group []*pendingCommit, g *groupPlan) {
	c.pos = g.pos
	for _, p := range group {
		if p.dup {
			c.m.duplicates.Inc()
		} else {
			c.m.count(p.input, p.b)
		}
	}
}

// commitStore commits a group's records, file positions and request ids
// in one transaction of the log (its state store holds the bookkeeping).
func (c *Collector) commitStore(ctx context.Context, group []*pendingCommit) {
	g, err := c.plan(group, func(id string) (bool, error) {
		_, ok, err := c.reqState.Get([]byte(id))
		return ok, err
	})
	for _, id := range g.ids {
		if err == nil {
			err = c.reqState.Put([]byte(id), []byte{1})
		}
	}
	if err == nil && g.posJSON != nil {
		err = c.posState.Put(posKey, g.posJSON)
	}
	if err == nil && len(g.ids) > 0 {
		_, err = c.store.Sweep(reqScope, 4*len(g.ids)) // expired ids do not pile up
	}
	if err == nil && g.writes() {
		err = beforeCommit()
	}
	if err == nil && g.writes() {
		if err = c.o.Log.Commit(ctx, &rlog.Txn{Records: g.recs, State: c.store.Batch()}); err != nil {
			err = fmt.Errorf("applog: commit: %w", err)
		}
	}
	if err != nil {
		c.store.Discard()
		g.fail(group, err)
		return
	}
	c.store.Committed()
	c.done(group, g)
}

// commitPlain produces b's records on a log without a state store
// (at-least-once) and then saves the positions to the position file.
func (c *Collector) commitPlain(ctx context.Context, input string, b *batch, updates map[string]*Position) (bool, error) {
	pos, posJSON, err := c.apply(updates)
	if err != nil {
		return false, err
	}
	if len(b.recs) > 0 {
		if err := c.o.Log.Produce(ctx, b.recs...); err != nil {
			return false, fmt.Errorf("applog: produce: %w", err)
		}
	}
	if posJSON != nil {
		if c.o.PositionFile == "" {
			return false, errors.New("applog: a position file is required to tail files on this log")
		}
		if err := writeFileSync(c.o.PositionFile, posJSON); err != nil {
			return false, fmt.Errorf("applog: position file: %w", err)
		}
	}
	c.pos = pos
	c.m.count(input, b)
	return false, nil
}

// writeFileSync replaces path with data atomically and durably.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (c *Collector) newBatch() *batch { return &batch{topic: c.o.Topic, dirty: c.o.DirtyTopic} }
