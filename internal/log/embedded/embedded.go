package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/rtdw/rtdw/internal/failstop"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
)

// Options configures an embedded log. The zero value plus Dir is usable.
type Options struct {
	// Dir is the Pebble directory; created if missing.
	Dir string
	// NoSync skips fsync on commit. Commits then survive a process crash
	// (kill -9: the OS still has the write-ahead log) but not a power loss.
	NoSync bool
	// MaxRecordBytes rejects larger records (key+value+headers). Default 16 MiB.
	MaxRecordBytes int
	// CacheBytes is Pebble's block cache. Default 64 MiB.
	CacheBytes int64
	// SegmentBytes rolls a partition's segment file at this size; retention
	// deletes whole segments. Default 64 MiB.
	SegmentBytes int64
	// RetentionInterval is how often retention runs in the background.
	// Default 1 minute; negative disables (call EnforceRetention yourself).
	RetentionInterval time.Duration
	// Now is the clock for append times and retention. Default time.Now.
	Now func() time.Time
	// Logger receives background errors. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) withDefaults() (Options, error) {
	c := *o
	if c.Dir == "" {
		return c, errors.New("embedded log: Options.Dir is required")
	}
	if c.MaxRecordBytes == 0 {
		c.MaxRecordBytes = 16 << 20
	}
	if c.MaxRecordBytes < 0 {
		return c, fmt.Errorf("embedded log: MaxRecordBytes must be > 0, got %d", c.MaxRecordBytes)
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = 64 << 20
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = 64 << 20
	}
	if c.SegmentBytes < 0 {
		return c, fmt.Errorf("embedded log: SegmentBytes must be > 0, got %d", c.SegmentBytes)
	}
	if c.RetentionInterval == 0 {
		c.RetentionInterval = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Log is the embedded log.Log implementation.
type Log struct {
	db      *pebble.DB
	opts    Options
	writeOp *pebble.WriteOptions

	queue commitQueue // orders Commit calls into groups (groupcommit.go)
	mu    sync.Mutex  // serializes commit groups, topic creation and retention
	// frames is where writeFrames encodes a partition's frames before
	// writing them out in chunks of frameChunk (guarded by mu): a commit's
	// records are not copied whole a second time.
	frames   []byte
	tmu      sync.RWMutex // guards the topics map (written under mu and tmu)
	topics   map[string]*topic
	nextID   uint32
	rr       uint32
	lastTime int64 // append times are monotonic per log

	// fs, if not nil, syncs the data dir's filesystem in one call
	// (syncFrames); syncfs and syncFile are its call and a file's fsync
	// (tests replace them).
	fs       *fsSyncer
	syncfs   func() error
	syncFile func(*os.File) error

	// beforeBatchCommit, if set (tests), runs after a group's frames are
	// written and synced, before its batch commits; an error fails the group.
	beforeBatchCommit func(txns int) error

	closing   chan struct{}
	closeOnce sync.Once
	closeMu   sync.RWMutex // readers of the store and files hold it shared
	bg        sync.WaitGroup
}

type topic struct {
	id    uint32
	info  rlog.TopicInfo
	parts []*partition
}

type partition struct {
	start atomic.Int64
	end   atomic.Int64
	segs  segs
	// bytes written to the active segment since its last index entry;
	// guarded by Log.mu
	sinceIndex int64

	mu sync.Mutex
	ch chan struct{} // closed when end moves

	cursors cursors
}

// A cursor is where a partition's frame of offset off starts: segment
// base, file position. Frames never move once committed, so a cursor stays
// true while its segment exists.
type cursor struct {
	off, base, pos int64
}

// cursors remembers where readers of a partition stopped, so that a
// fetch starting there reads the segment at once instead of seeking the
// partition's index in Pebble first: a live task fetches a few records at
// a time, and the seek was half of each fetch's cost. Readers caught up
// with the end ask for the same offset (every job reading topic_db), so a
// cursor stays for all of them; the oldest go first.
type cursors struct {
	mu    sync.Mutex
	m     map[int64]cursor // by off
	order []int64          // offsets in m, oldest first (a ring of maxCursors)
	head  int
}

// maxCursors bounds a partition's cursors: a few per reader (job).
const maxCursors = 64

func (c *cursors) get(off int64) (cursor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.m[off]
	return cur, ok
}

func (c *cursors) put(cur cursor) {
	if cur.off == 0 {
		return // nothing was read
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[cur.off]; ok {
		return // the same frame, the same place
	}
	if c.m == nil {
		c.m = make(map[int64]cursor, maxCursors)
	}
	if len(c.order) < maxCursors {
		c.order = append(c.order, cur.off)
	} else {
		delete(c.m, c.order[c.head])
		c.order[c.head] = cur.off
		c.head = (c.head + 1) % maxCursors
	}
	c.m[cur.off] = cur
}

func (p *partition) waitCh() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}

func (p *partition) wake() {
	p.mu.Lock()
	close(p.ch)
	p.ch = make(chan struct{})
	p.mu.Unlock()
}

type topicMeta struct {
	ID             uint32 `json:"id"`
	Partitions     int32  `json:"partitions"`
	RetentionMs    int64  `json:"retention_ms"`
	RetentionBytes int64  `json:"retention_bytes"`
}

// Open opens (or creates) an embedded log in opts.Dir.
func Open(opts Options) (*Log, error) { return OpenContext(context.Background(), opts) }

// OpenContext is Open that gives up when ctx ends while Pebble opens
// (replaying its write-ahead log can take long): it returns ctx's error
// and the abandoned open closes the store if it ever completes
// (state.OpenPebble).
func OpenContext(ctx context.Context, opts Options) (*Log, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cache := pebble.NewCache(o.CacheBytes)
	defer cache.Unref()
	db, err := state.OpenPebble(ctx, o.Dir, pebbleOptions(cache, o))
	if err != nil {
		return nil, fmt.Errorf("open embedded log %s: %w", o.Dir, err)
	}
	l := &Log{db: db, opts: o, topics: map[string]*topic{}, closing: make(chan struct{}), syncFile: (*os.File).Sync}
	l.writeOp = pebble.Sync
	if o.NoSync {
		l.writeOp = pebble.NoSync
	} else if l.fs, err = newFSSyncer(o.Dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("open embedded log %s: %w", o.Dir, err)
	} else if l.fs != nil {
		l.syncfs = l.fs.sync
	}
	if err := l.load(); err != nil {
		db.Close()
		if l.fs != nil {
			l.fs.close()
		}
		return nil, fmt.Errorf("open embedded log %s: %w", o.Dir, err)
	}
	if o.RetentionInterval > 0 {
		l.bg.Add(1)
		go l.retentionLoop()
	}
	return l, nil
}

func (l *Log) load() error {
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte{nsTopic}, UpperBound: []byte{nsTopic + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var m topicMeta
		if err := json.Unmarshal(it.Value(), &m); err != nil {
			return fmt.Errorf("topic %q: bad metadata: %w", it.Key()[1:], err)
		}
		t := &topic{id: m.ID, info: rlog.TopicInfo{Name: string(it.Key()[1:]), TopicConfig: rlog.TopicConfig{
			Partitions: m.Partitions, Retention: time.Duration(m.RetentionMs) * time.Millisecond, RetentionBytes: m.RetentionBytes}}}
		for p := int32(0); p < m.Partitions; p++ {
			part, err := l.loadPartition(t.id, p)
			if err != nil {
				return fmt.Errorf("topic %q partition %d: %w", t.info.Name, p, err)
			}
			t.parts = append(t.parts, part)
		}
		l.topics[t.info.Name] = t
		l.nextID = max(l.nextID, m.ID+1)
	}
	return it.Error()
}

func (l *Log) loadPartition(id uint32, p int32) (*partition, error) {
	part := &partition{ch: make(chan struct{})}
	get := func(k []byte) (int64, bool, error) {
		v, c, err := l.db.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		defer c.Close()
		return int64(binary.BigEndian.Uint64(v)), true, nil
	}
	start, _, err := get(partKey(nsStart, id, p))
	if err != nil {
		return nil, err
	}
	end, ok, err := get(partKey(nsEnd, id, p))
	if err != nil {
		return nil, err
	}
	if !ok {
		end = start
	}
	part.start.Store(start)
	part.end.Store(end)
	prefix := partKey(nsSeg, id, p)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	metas := map[int64][2]int64{}
	for it.First(); it.Valid(); it.Next() {
		size, maxTime := unpair(it.Value())
		metas[int64(binary.BigEndian.Uint64(it.Key()[9:]))] = [2]int64{size, maxTime}
		l.lastTime = max(l.lastTime, maxTime)
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	list, err := l.openSegments(id, p, metas)
	if err != nil {
		return nil, err
	}
	part.segs.list = list
	return part, nil
}

func prefixEnd(p []byte) []byte {
	e := append([]byte(nil), p...)
	for i := len(e) - 1; i >= 0; i-- {
		e[i]++
		if e[i] != 0 {
			return e[:i+1]
		}
	}
	return nil
}

// MemTableBytes is the size of the log's Pebble memtables. Records live in
// segment files, so Pebble holds only state, offsets and segment metadata,
// much of it rewritten at every checkpoint. The memtables bound the WAL a
// restart replays and must flush before anything else: with 64 MiB ones a
// 1,500-session drain never flushed, and left 30 MB of WAL to replay on a
// disk that was full. 16 MiB used the same CPU as 64 in `rtdw bench
// warehouse`, 8 MiB about 4 % more. See docs/reliability.md, "Disk full".
const MemTableBytes = 16 << 20

// pebbleOptions tunes Pebble for a log: value separation; no compression
// on the upper levels (it cost more CPU than the I/O it saved); bloom
// filters so keyed-state point lookups skip the files a log's writes
// create; and state.HardenPebble for a full disk.
func pebbleOptions(cache *pebble.Cache, o Options) *pebble.Options {
	po := &pebble.Options{
		Cache:                       cache,
		FormatMajorVersion:          pebble.FormatNewest,
		MemTableSize:                MemTableBytes,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       32,
		LBaseMaxBytes:               512 << 20,
	}
	state.HardenPebble(po, o.Dir, o.Logger)
	// Record bodies go to blob files at flush and are not rewritten by
	// compactions, which then move only keys: a log's bytes are written
	// about twice (WAL, blob) instead of once per level.
	po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{Enabled: true, MinimumSize: 128, MaxBlobReferenceDepth: 10,
			RewriteMinimumAge: time.Hour, TargetGarbageRatio: 0.5}
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
		if i >= 4 {
			po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.FastestCompression }
		}
	}
	return po
}

// CreateTopic implements log.Log.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg rlog.TopicConfig) error {
	if err := rlog.ValidTopicName(name); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	if _, ok := l.topics[name]; ok {
		return fmt.Errorf("%w: %s", rlog.ErrTopicExists, name)
	}
	m := topicMeta{ID: l.nextID, Partitions: cfg.Partitions, RetentionMs: cfg.Retention.Milliseconds(), RetentionBytes: cfg.RetentionBytes}
	v, _ := json.Marshal(m)
	if err := l.db.Set(topicKey(name), v, pebble.Sync); err != nil {
		return fmt.Errorf("create topic %q: %w", name, err)
	}
	t := &topic{id: m.ID, info: rlog.TopicInfo{Name: name, TopicConfig: cfg}}
	for p := int32(0); p < cfg.Partitions; p++ {
		t.parts = append(t.parts, &partition{ch: make(chan struct{})})
	}
	l.tmu.Lock()
	l.topics[name] = t
	l.tmu.Unlock()
	l.nextID++
	return nil
}

// DescribeTopic implements log.Log.
func (l *Log) DescribeTopic(ctx context.Context, name string) (rlog.TopicInfo, error) {
	t, err := l.topic(name)
	if err != nil {
		return rlog.TopicInfo{}, err
	}
	return t.info, nil
}

// ListTopics implements log.Log.
func (l *Log) ListTopics(ctx context.Context) ([]rlog.TopicInfo, error) {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	out := make([]rlog.TopicInfo, 0, len(l.topics))
	for _, t := range l.topics {
		out = append(out, t.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// topic looks a topic up without waiting for a commit in progress.
func (l *Log) topic(name string) (*topic, error) {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	t, ok := l.topics[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, name)
	}
	return t, nil
}

func (l *Log) part(tp rlog.TopicPartition) (*topic, *partition, error) {
	t, err := l.topic(tp.Topic)
	if err != nil {
		return nil, nil, err
	}
	if tp.Partition < 0 || tp.Partition >= int32(len(t.parts)) {
		return nil, nil, fmt.Errorf("%w: %s has %d partitions, no partition %d", rlog.ErrUnknownTopic, tp.Topic, len(t.parts), tp.Partition)
	}
	return t, t.parts[tp.Partition], nil
}

// Produce implements log.Log.
func (l *Log) Produce(ctx context.Context, recs ...rlog.Record) error {
	return l.Commit(ctx, &rlog.Txn{Records: recs})
}

// Commit implements log.Log. Records are appended to their partitions'
// segment files first; the Pebble batch (state, group offsets, each
// partition's new end, segment sizes and index entries) is the commit
// point. A crash in between leaves bytes past the committed end, which
// Open truncates, so a partial commit is never visible. Concurrent commits
// share their fsyncs and their batch (groupcommit.go); each txn still
// succeeds or fails on its own.
func (l *Log) Commit(ctx context.Context, txn *rlog.Txn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.isClosed() {
		return rlog.ErrClosed
	}
	req := &commitReq{txn: txn, size: txnSize(txn), wake: make(chan struct{}, 1)}
	return l.queue.do(req, l.commitGroup)
}

// commitGroup commits a group of txns under l.mu and sets each one's err.
func (l *Log) commitGroup(group []*commitReq) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		for _, r := range group {
			r.err = rlog.ErrClosed
		}
		return
	}
	for len(group) > 0 {
		group = l.commitLocked(group)
	}
}

// errSpoiled marks a txn whose state batch failed halfway through being
// applied to the group's batch (a corrupt batch), which is then unusable.
type errSpoiled struct{ err error }

func (e errSpoiled) Error() string { return e.err.Error() }
func (e errSpoiled) Unwrap() error { return e.err }

// frameChunk is how many bytes of frames writeFrames gathers per write.
const frameChunk = 256 << 10

// commitLocked commits reqs as one Pebble batch and sets each one's err.
// A txn that fails validation fails alone. If a txn's state batch spoils
// the group's batch, that txn fails and commitLocked returns the txns
// after it to be committed again in a fresh batch (nothing was written);
// when the group's batch is a txn's own state batch (groupBatch), the
// whole group fails instead.
func (l *Log) commitLocked(reqs []*commitReq) (retry []*commitReq) {
	b := l.groupBatch(reqs)
	if b.own {
		defer b.Close()
	}
	g := &group{now: max(l.opts.Now().UnixMilli(), l.lastTime), touched: map[*partition]*pending{}}
	in := make([]*commitReq, 0, len(reqs))
	for i, r := range reqs {
		err := l.addTxn(g, b.Batch, r.txn)
		if spoiled := (errSpoiled{}); errors.As(err, &spoiled) {
			r.err = fmt.Errorf("commit: %w", spoiled.err)
			if !b.own {
				// The spoiled batch is a txn's own state: that txn cannot
				// be retried, and telling which one is not worth it for
				// what only a corrupt batch does.
				for _, o := range reqs {
					if o.err == nil {
						o.err = r.err
					}
				}
				return nil
			}
			return append(in, reqs[i+1:]...)
		}
		if r.err = err; err == nil {
			in = append(in, r)
		}
	}
	fail := func(err error) []*commitReq {
		if failstop.IsDiskFull(err) {
			// The next commit would fail the same way, and the runner retries
			// forever: stop the process (in the CLI). Nothing is lost: Open
			// cuts the segments back to the last commit.
			failstop.Stop(&failstop.Error{Dir: l.opts.Dir, Op: "commit", Err: err})
		}
		for _, pd := range g.order {
			for _, s := range pd.created {
				s.f.Close() // never installed; Open removes the file
			}
		}
		for _, r := range in {
			r.err = err
		}
		return nil
	}
	for _, pd := range g.order {
		if err := l.writeFrames(pd, b.Batch, g.now); err != nil {
			return fail(fmt.Errorf("commit %s/%d: %w", pd.t.info.Name, pd.part, err))
		}
	}
	if err := l.syncFrames(g.order); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	if b.Empty() {
		return nil
	}
	if l.beforeBatchCommit != nil {
		if err := l.beforeBatchCommit(len(in)); err != nil {
			return fail(err)
		}
	}
	if err := l.commitBatch(b.Batch); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	l.lastTime = g.now
	for _, pd := range g.order {
		pd.install(g.now)
	}
	return nil
}

// groupBatch is the batch a group commits in. When exactly one of its
// txns writes state, that txn's own state batch, which the group's
// bookkeeping is added to: the state is not copied (at a checkpoint of a
// drained warehouse most groups are one task's, and the copy held a
// second image of the largest state batches). Otherwise a new plain batch
// the state batches are applied to (indexing every record in a caller's
// indexed batch would cost more than the copy).
type groupBatch struct {
	*pebble.Batch
	own bool // made here: closed here
}

func (l *Log) groupBatch(reqs []*commitReq) groupBatch {
	var only *pebble.Batch
	states, size := 0, 0
	for _, r := range reqs {
		if st := r.txn.State; st != nil && !st.Empty() && l.checkTxn(r.txn) == nil {
			only = st
			states++
			size += len(st.Repr())
		}
	}
	switch states {
	case 0:
		return groupBatch{l.db.NewBatch(), true}
	case 1:
		return groupBatch{only, false}
	}
	// Sized for the states it copies (and some bookkeeping): a batch grows
	// by doubling, copying what it holds each time.
	return groupBatch{l.db.NewBatchWithSize(size + size/16 + 4<<10), true}
}

// commitBatch commits b. Pebble panics when it cannot write a new WAL
// file (and its Logger.Fatalf on other WAL errors, see
// state.HardenPebble): its commit pipeline is unusable afterwards, so that
// is reported to failstop, which stops the process in the CLI, before the
// panic goes on.
func (l *Log) commitBatch(b *pebble.Batch) error {
	defer func() {
		if p := recover(); p != nil {
			err, ok := p.(error)
			if !ok {
				err = fmt.Errorf("%v", p)
			}
			failstop.Stop(&failstop.Error{Dir: l.opts.Dir, Op: "pebble commit", Err: err})
			panic(p)
		}
	}()
	return b.Commit(l.writeOp)
}

// group is what a group's txns add up to, per partition.
type group struct {
	now     int64
	order   []*pending
	touched map[*partition]*pending
	dest    []dest // per record of the txn being added
}

type dest struct {
	t    *topic
	part int32
}

// addTxn validates txn and adds it to the group: its state batch and group
// offsets to b, its records framed at the next offsets of their partitions.
// A validation error leaves g and b as they were; errSpoiled leaves b unusable.
func (l *Log) addTxn(g *group, b *pebble.Batch, txn *rlog.Txn) error {
	if err := l.checkTxn(txn); err != nil {
		return err
	}
	g.dest = g.dest[:0]
	for i := range txn.Records {
		r := &txn.Records[i]
		t := l.topics[r.Topic]
		part := r.Partition
		if part < 0 {
			if r.Key != nil {
				part = rlog.PartitionFor(r.Key, t.info.Partitions)
			} else {
				part = int32(l.rr % uint32(t.info.Partitions))
				l.rr++
			}
		}
		g.dest = append(g.dest, dest{t, part})
	}

	// Valid: from here on only a corrupt state batch can fail.
	if txn.State != nil && txn.State != b {
		if err := b.Apply(txn.State, nil); err != nil {
			return errSpoiled{err}
		}
	}
	for tp, off := range txn.Offsets {
		if err := b.Set(groupKey(txn.Group, l.topics[tp.Topic].id, tp.Partition), u64(off), nil); err != nil {
			return errSpoiled{err}
		}
	}
	for i, d := range g.dest {
		r := &txn.Records[i]
		p := d.t.parts[d.part]
		pd := g.touched[p]
		if pd == nil {
			pd = &pending{t: d.t, part: d.part, p: p, end: p.end.Load()}
			g.touched[p] = pd
			g.order = append(g.order, pd)
		}
		pd.recs = append(pd.recs, r)
		pd.end++
	}
	return nil
}

// checkTxn reports why txn cannot commit (nil: it can).
func (l *Log) checkTxn(txn *rlog.Txn) error {
	for i := range txn.Records {
		r := &txn.Records[i]
		t, ok := l.topics[r.Topic]
		if !ok {
			return fmt.Errorf("commit: %w: %s", rlog.ErrUnknownTopic, r.Topic)
		}
		if sz := recordSize(r); sz > int64(l.opts.MaxRecordBytes) {
			return fmt.Errorf("commit: %w: %d bytes to %s (max %d)", rlog.ErrRecordTooLarge, sz, r.Topic, l.opts.MaxRecordBytes)
		}
		if r.Partition >= t.info.Partitions {
			return fmt.Errorf("commit: %w: %s has no partition %d", rlog.ErrUnknownTopic, r.Topic, r.Partition)
		}
	}
	for tp := range txn.Offsets {
		if _, ok := l.topics[tp.Topic]; !ok {
			return fmt.Errorf("commit offsets: %w: %s", rlog.ErrUnknownTopic, tp.Topic)
		}
	}
	return nil
}

// pending is one partition's share of a commit.
type pending struct {
	t    *topic
	part int32
	p    *partition
	end  int64
	recs []*rlog.Record // its records (the txns' own, alive until Commit returns)
	// after writeFrames:
	segs       []*segment // segments written (the last may be new)
	sizes      []int64    // their new committed sizes
	created    []*segment
	sinceIndex int64
}

// writeFrames appends pd's frames to segment files (rolling to a new
// segment at SegmentBytes) and adds the partition's new end, segment sizes
// and index entries to b. Nothing in memory changes until install; the
// files are synced by syncFrames.
func (l *Log) writeFrames(pd *pending, b *pebble.Batch, now int64) error {
	list := pd.p.segs.snapshot()
	var seg *segment
	var size int64 // seg's bytes written, buf not included
	if len(list) > 0 {
		seg = list[len(list)-1]
		size = seg.size
	}
	since := pd.p.sinceIndex
	first := pd.end - int64(len(pd.recs))
	off := first
	buf := l.frames[:0]
	wrote := false // anything of this commit in seg (only those get new metadata)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if _, err := seg.f.WriteAt(buf, size); err != nil {
			return err
		}
		size += int64(len(buf))
		buf = buf[:0]
		wrote = true
		return nil
	}
	for _, r := range pd.recs {
		pos := size + int64(len(buf)) // where this frame starts in seg
		if seg == nil || (pos > 0 && pos >= l.opts.SegmentBytes) {
			if seg != nil {
				if err := flush(); err != nil {
					return err
				}
				if wrote {
					pd.segs, pd.sizes = append(pd.segs, seg), append(pd.sizes, size)
				}
			}
			ns, err := l.createSegment(pd.t.id, pd.part, off)
			if err != nil {
				return err
			}
			pd.created = append(pd.created, ns)
			seg, size, since, wrote, pos = ns, 0, 0, false, 0
		}
		// Index the first frame of each commit and then every 64 KiB, so a
		// fetch scans little to find its offset.
		if off == first || since >= 64<<10 || pos == 0 {
			if err := b.Set(partOffKey(nsIndex, pd.t.id, pd.part, off), pair(seg.base, pos), nil); err != nil {
				return err
			}
			since = 0
		}
		ts := r.Timestamp
		if ts == 0 {
			ts = now
		}
		n := len(buf)
		buf = appendFrame(buf, &rlog.Record{Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: ts}, off, now)
		since += int64(len(buf) - n)
		off++
		if len(buf) >= frameChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if cap(buf) <= 4*frameChunk { // one huge record does not stay allocated
		l.frames = buf
	}
	pd.segs, pd.sizes = append(pd.segs, seg), append(pd.sizes, size)
	pd.sinceIndex = since
	for i, s := range pd.segs {
		maxTime := now
		if err := b.Set(partOffKey(nsSeg, pd.t.id, pd.part, s.base), pair(pd.sizes[i], maxTime), nil); err != nil {
			return err
		}
	}
	return b.Set(partKey(nsEnd, pd.t.id, pd.part), u64(pd.end), nil)
}

// install makes a committed pending share visible.
func (pd *pending) install(now int64) {
	p := pd.p
	p.segs.mu.Lock()
	for i, s := range pd.segs {
		s.size = pd.sizes[i]
		s.maxTime = max(s.maxTime, now)
	}
	p.segs.list = append(p.segs.list, pd.created...)
	p.segs.mu.Unlock()
	p.sinceIndex = pd.sinceIndex
	p.end.Store(pd.end)
	p.wake()
}

// syncFrames makes the segment files a group wrote (and the directories
// of new ones) durable before its batch commits. Two or more on the data
// dir's filesystem take one syncfs of it (Linux): live, a group writes a
// file per partition of each topic its jobs write, and their fsyncs cost
// more CPU than one call flushing the filesystem (docs/benchmarks.md).
// That call reports a writeback error anywhere on the filesystem, not
// only in the log's files: then each file is synced on its own, which
// reports an error of its own, so a commit fails only for one of the
// log's. Files elsewhere (another mount under the data dir) and single
// files are synced on their own, in parallel: the file system then
// commits their metadata together.
func (l *Log) syncFrames(order []*pending) error {
	if l.opts.NoSync {
		return nil
	}
	var own, covered []func() error
	for _, pd := range order {
		for _, s := range pd.segs {
			sync := func() error { return l.syncFile(s.f) }
			if s.samefs {
				covered = append(covered, sync)
			} else {
				own = append(own, sync)
			}
		}
		if len(pd.created) > 0 {
			dir := l.segmentDir(pd.t.id, pd.part)
			sync := func() error { return syncDir(dir) }
			if pd.created[0].samefs { // a file's directory is on its filesystem
				covered = append(covered, sync)
			} else {
				own = append(own, sync)
			}
		}
	}
	if len(covered) >= 2 {
		if err := l.syncfs(); err != nil {
			if ferr := runSyncs(covered); ferr != nil {
				return ferr
			}
			l.opts.Logger.Warn("a writeback error on the data dir's filesystem, not in the log's files (each synced on its own)", "dir", l.opts.Dir, "err", err)
		}
	} else {
		own = append(own, covered...)
	}
	return runSyncs(own)
}

// runSyncs runs syncs in parallel and joins their errors.
func runSyncs(syncs []func() error) error {
	switch len(syncs) {
	case 0:
		return nil
	case 1:
		return syncs[0]()
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, len(syncs))
	)
	for range min(len(syncs), maxParallelSyncs) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(syncs); i = int(next.Add(1) - 1) {
				errs[i] = syncs[i]()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// maxParallelSyncs bounds the goroutines syncing one group's files.
const maxParallelSyncs = 16

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Fetch implements log.Log.
func (l *Log) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, maxRecs int, wait time.Duration) ([]rlog.Record, error) {
	t, p, err := l.part(tp)
	if err != nil {
		return nil, err
	}
	var timer *time.Timer
	for {
		ch := p.waitCh()
		start, end := p.start.Load(), p.end.Load()
		if offset < start || offset > end {
			return nil, fmt.Errorf("%w: %s offset %d not in [%d, %d]", rlog.ErrOffsetOutOfRange, tp, offset, start, end)
		}
		if offset < end {
			l.closeMu.RLock()
			defer l.closeMu.RUnlock()
			if l.isClosed() {
				return nil, rlog.ErrClosed
			}
			to := end
			if n := int64(max(maxRecs, 1)); n < end-offset { // no offset+max overflow
				to = offset + n
			}
			return l.read(t, p, tp, offset, to)
		}
		if wait <= 0 {
			return nil, nil
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.closing:
			return nil, rlog.ErrClosed
		}
	}
}

// Changed returns a channel closed at the next commit that appends to tp:
// a reader waiting for several things at once (the stream engine's tasks
// on the in-memory exchange) selects on it instead of a long-poll Fetch.
// A commit between the reader's last Fetch and this call is not seen:
// Fetch again after taking the channel.
func (l *Log) Changed(tp rlog.TopicPartition) (<-chan struct{}, error) {
	_, p, err := l.part(tp)
	if err != nil {
		return nil, err
	}
	return p.waitCh(), nil
}

func (l *Log) read(t *topic, p *partition, tp rlog.TopicPartition, from, to int64) ([]rlog.Record, error) {
	if cur, ok := p.cursors.get(from); ok && from >= p.start.Load() {
		if recs, found, err := readAt(p, tp, cur.base, cur.pos, from, to); found {
			return recs, err
		} // its segment is gone: the index says what is left
	}
	// The newest index entry at or before from gives the segment and the
	// file position to scan from.
	lo := partKey(nsIndex, t.id, tp.Partition)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: partOffKey(nsIndex, t.id, tp.Partition, from+1)})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", tp, err)
	}
	// Retention commits its index deletion before it moves the log start, so
	// a read racing it finds no entry or no segment: that is out of range.
	gone := func() error {
		if from < p.start.Load() {
			return fmt.Errorf("%w: %s offset %d was deleted by retention", rlog.ErrOffsetOutOfRange, tp, from)
		}
		return fmt.Errorf("%w: %s has no index entry or segment for offset %d", errCorrupt, tp, from)
	}
	if !it.Last() {
		it.Close()
		return nil, gone()
	}
	base, pos := unpair(it.Value())
	it.Close()
	recs, found, err := readAt(p, tp, base, pos, from, to)
	if !found {
		return nil, gone()
	}
	return recs, err
}

// readAt reads records [from, to) from position pos of the segment with
// the given base, and leaves a cursor where they end; found is false when
// that segment no longer exists.
func readAt(p *partition, tp rlog.TopicPartition, base, pos, from, to int64) (recs []rlog.Record, found bool, err error) {
	p.segs.mu.RLock() // retention must not close files under a read
	defer p.segs.mu.RUnlock()
	list := p.segs.list
	si := sort.Search(len(list), func(i int) bool { return list[i].base >= base })
	if si == len(list) || list[si].base != base {
		return nil, false, nil
	}
	recs, next, err := readFrames(list, si, pos, tp, from, to, int(to-from))
	p.cursors.put(next)
	return recs, true, err
}

// Offsets implements log.Log.
func (l *Log) Offsets(ctx context.Context, tp rlog.TopicPartition) (int64, int64, error) {
	_, p, err := l.part(tp)
	if err != nil {
		return 0, 0, err
	}
	// start first: both only grow and start <= end, so the pair is consistent.
	start := p.start.Load()
	return start, p.end.Load(), nil
}

// CommittedOffset implements log.Log.
func (l *Log) CommittedOffset(ctx context.Context, group string, tp rlog.TopicPartition) (int64, bool, error) {
	t, err := l.topic(tp.Topic)
	if err != nil {
		return 0, false, err
	}
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.isClosed() {
		return 0, false, rlog.ErrClosed
	}
	v, c, err := l.db.Get(groupKey(group, t.id, tp.Partition))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("committed offset %s %s: %w", group, tp, err)
	}
	defer c.Close()
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// CommitOffsets implements log.Log.
func (l *Log) CommitOffsets(ctx context.Context, group string, offsets map[rlog.TopicPartition]int64) error {
	return l.Commit(ctx, &rlog.Txn{Group: group, Offsets: offsets})
}

// StateStore implements log.Log.
func (l *Log) StateStore() *pebble.DB { return l.db }

// Close implements log.Log. Waiting fetches return ErrClosed.
func (l *Log) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.closing)
		l.bg.Wait()
		l.closeMu.Lock() // wait for reads in flight
		defer l.closeMu.Unlock()
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, t := range l.topics {
			for _, p := range t.parts {
				for _, s := range p.segs.snapshot() {
					s.f.Close()
				}
			}
		}
		// Flush the memtables first: the next Open then has no WAL to
		// replay (nor the space its flush takes to find on a full disk).
		// Every WAL file there before the flush then holds nothing a table
		// does not (recycled ones nothing at all): remove them, so the store
		// at rest takes the space of its data, not of up to
		// MemTableStopWritesThreshold+2 WAL files.
		if l.fs != nil {
			l.fs.close()
		}
		stale := walFiles(l.opts.Dir)
		ferr := l.db.Flush()
		err = l.db.Close()
		if ferr != nil {
			err = errors.Join(fmt.Errorf("close embedded log %s: flush: %w", l.opts.Dir, ferr), err)
		}
		if err == nil {
			for _, p := range stale {
				os.Remove(p) // gone already if Pebble reused it for a WAL since
			}
		}
	})
	return err
}

// walFiles lists the Pebble WAL files in dir (NNNNNN.log; segment files
// are in subdirectories).
func walFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

func (l *Log) isClosed() bool {
	select {
	case <-l.closing:
		return true
	default:
		return false
	}
}
