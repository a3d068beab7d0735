package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
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

	mu       sync.Mutex // guards topics, nextID, commits and retention
	topics   map[string]*topic
	nextID   uint32
	rr       uint32
	lastTime int64 // append times are monotonic per log

	closing   chan struct{}
	closeOnce sync.Once
	bg        sync.WaitGroup
}

type topic struct {
	id    uint32
	info  rlog.TopicInfo
	parts []*partition
}

type partition struct {
	start    atomic.Int64
	end      atomic.Int64
	position int64 // bytes appended before end; guarded by Log.mu

	mu sync.Mutex
	ch chan struct{} // closed when end moves
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
func Open(opts Options) (*Log, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cache := pebble.NewCache(o.CacheBytes)
	defer cache.Unref()
	db, err := pebble.Open(o.Dir, &pebble.Options{
		Cache:        cache,
		MemTableSize: 32 << 20,
		Logger:       quietLogger{o.Logger},
	})
	if err != nil {
		return nil, fmt.Errorf("open embedded log %s: %w", o.Dir, err)
	}
	l := &Log{db: db, opts: o, topics: map[string]*topic{}, closing: make(chan struct{})}
	l.writeOp = pebble.Sync
	if o.NoSync {
		l.writeOp = pebble.NoSync
	}
	if err := l.load(); err != nil {
		db.Close()
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
	if v, c, err := l.db.Get(partPrefix(nsStart, id, p)); err == nil {
		part.start.Store(int64(binary.BigEndian.Uint64(v)))
		c.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, err
	}
	part.end.Store(part.start.Load())
	prefix := partPrefix(nsRecord, id, p)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.Last() {
		off := int64(binary.BigEndian.Uint64(it.Key()[9:]))
		r := rlog.Record{Offset: off}
		m, err := decodeRecord(it.Value(), &r)
		if err != nil {
			return nil, err
		}
		part.end.Store(off + 1)
		part.position = m.position + recordSize(&r)
		l.lastTime = max(l.lastTime, m.appendTime)
	}
	return part, it.Error()
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

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// CreateTopic implements log.Log.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg rlog.TopicConfig) error {
	if !topicName.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%w: topic name %q must be 1-249 of [a-zA-Z0-9._-]", rlog.ErrInvalidTopicConfig, name)
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
	l.topics[name] = t
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
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]rlog.TopicInfo, 0, len(l.topics))
	for _, t := range l.topics {
		out = append(out, t.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (l *Log) topic(name string) (*topic, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
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

// Commit implements log.Log: records, offsets and the state batch become
// durable and visible in one Pebble batch.
func (l *Log) Commit(ctx context.Context, txn *rlog.Txn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	b := txn.State
	if b == nil {
		b = l.db.NewBatch()
		defer b.Close()
	}
	now := max(l.opts.Now().UnixMilli(), l.lastTime)

	// Offsets are assigned here; in-memory ends move only after the batch
	// is durable, so a failed commit leaves no trace.
	type pending struct {
		p        *partition
		end, pos int64
	}
	touched := map[*partition]*pending{}
	var key, val []byte
	for i := range txn.Records {
		r := &txn.Records[i]
		t, ok := l.topics[r.Topic]
		if !ok {
			return fmt.Errorf("commit: %w: %s", rlog.ErrUnknownTopic, r.Topic)
		}
		if sz := recordSize(r); sz > int64(l.opts.MaxRecordBytes) {
			return fmt.Errorf("commit: %w: %d bytes to %s (max %d)", rlog.ErrRecordTooLarge, sz, r.Topic, l.opts.MaxRecordBytes)
		}
		part := r.Partition
		if part < 0 {
			if r.Key != nil {
				part = rlog.PartitionFor(r.Key, t.info.Partitions)
			} else {
				part = int32(l.rr % uint32(t.info.Partitions))
				l.rr++
			}
		} else if part >= t.info.Partitions {
			return fmt.Errorf("commit: %w: %s has no partition %d", rlog.ErrUnknownTopic, r.Topic, part)
		}
		p := t.parts[part]
		pd := touched[p]
		if pd == nil {
			pd = &pending{p: p, end: p.end.Load(), pos: p.position}
			touched[p] = pd
		}
		ts := r.Timestamp
		if ts == 0 {
			ts = now
		}
		key = recordKey(key[:0], t.id, part, pd.end)
		val = encodeRecord(val[:0], &rlog.Record{Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: ts}, now, pd.pos)
		if err := b.Set(key, val, nil); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		pd.end++
		pd.pos += recordSize(r)
	}
	for tp, off := range txn.Offsets {
		t, ok := l.topics[tp.Topic]
		if !ok {
			return fmt.Errorf("commit offsets: %w: %s", rlog.ErrUnknownTopic, tp.Topic)
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(off))
		if err := b.Set(groupKey(txn.Group, t.id, tp.Partition), v[:], nil); err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(l.writeOp); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	l.lastTime = now
	for _, pd := range touched {
		pd.p.position = pd.pos
		pd.p.end.Store(pd.end)
		pd.p.wake()
	}
	return nil
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
			return l.read(t, tp, offset, min(end, offset+int64(max(maxRecs, 1))))
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

func (l *Log) read(t *topic, tp rlog.TopicPartition, from, to int64) ([]rlog.Record, error) {
	lo := recordKey(nil, t.id, tp.Partition, from)
	hi := recordKey(nil, t.id, tp.Partition, to)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", tp, err)
	}
	defer it.Close()
	out := make([]rlog.Record, 0, to-from)
	var slab []byte
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		// One slab per fetch instead of one allocation per record.
		if cap(slab)-len(slab) < len(v) {
			slab = make([]byte, 0, max(64<<10, len(v)))
		}
		n := len(slab)
		slab = append(slab, v...)
		r := rlog.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: int64(binary.BigEndian.Uint64(it.Key()[9:]))}
		if _, err := decodeRecord(slab[n:len(slab):len(slab)], &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", tp, err)
	}
	return out, nil
}

// Offsets implements log.Log.
func (l *Log) Offsets(ctx context.Context, tp rlog.TopicPartition) (int64, int64, error) {
	_, p, err := l.part(tp)
	if err != nil {
		return 0, 0, err
	}
	l.mu.Lock() // start and end must be read as one consistent pair
	defer l.mu.Unlock()
	return p.start.Load(), p.end.Load(), nil
}

// CommittedOffset implements log.Log.
func (l *Log) CommittedOffset(ctx context.Context, group string, tp rlog.TopicPartition) (int64, bool, error) {
	t, err := l.topic(tp.Topic)
	if err != nil {
		return 0, false, err
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
		l.mu.Lock()
		defer l.mu.Unlock()
		err = l.db.Close()
	})
	return err
}

func (l *Log) isClosed() bool {
	select {
	case <-l.closing:
		return true
	default:
		return false
	}
}

// quietLogger routes Pebble's chatter to slog at debug level, errors at error.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Infof(format string, args ...any)  { q.l.Debug(fmt.Sprintf(format, args...)) }
func (q quietLogger) Errorf(format string, args ...any) { q.l.Error(fmt.Sprintf(format, args...)) }
func (q quietLogger) Fatalf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}
