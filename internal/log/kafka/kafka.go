// Package kafka implements the data plane of log.Log on Kafka with
// franz-go: topics (kadm), keyed produce with rtdw's murmur2 partitioning,
// read_committed fetches, start/end offsets and consumer-group offsets. It
// passes logtest.RunDataPlane on franz-go's in-process kfake cluster.
//
// Transactions (records + group offsets + state in one Txn) are not here:
// on Kafka they go through a worker's group session, see
// docs/decisions/2026-11-21-cluster-mode-plan.md. Commit accepts records
// only; StateStore is nil.
package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// ErrNeedsSession: atomic offsets/state commits need a worker group session.
var ErrNeedsSession = errors.New("kafka: offsets and state commit through a worker's group session, not Log.Commit")

// Options configure the client.
type Options struct {
	Brokers []string
	// ReplicationFactor of topics rtdw creates; 0 uses the broker default.
	ReplicationFactor int16
	// ClientOpts are extra franz-go options (TLS, SASL, client id...).
	ClientOpts []kgo.Opt
}

// Log is the Kafka data plane.
type Log struct {
	base []kgo.Opt // brokers, TLS, SASL: shared by worker sessions
	cl   *kgo.Client
	adm  *kadm.Client
	rf   int16

	mu   sync.Mutex
	meta map[string]topicMeta
	rr   uint32
}

type topicMeta struct {
	id      [16]byte
	leaders []int32
}

// Open connects to the brokers.
func Open(o Options) (*Log, error) {
	if len(o.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers")
	}
	base := append([]kgo.Opt{kgo.SeedBrokers(o.Brokers...)}, o.ClientOpts...)
	opts := append([]kgo.Opt{
		kgo.RecordPartitioner(kgo.ManualPartitioner()), // rtdw chooses partitions (murmur2)
		kgo.UnknownTopicRetries(0),
		kgo.ProducerLinger(0),
		// Admin reads (describe after create, offsets) must not see a
		// metadata cache seconds old.
		kgo.MetadataMinAge(100 * time.Millisecond),
	}, base...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	rf := o.ReplicationFactor
	if rf == 0 {
		rf = -1
	}
	return &Log{base: base, cl: cl, adm: kadm.NewClient(cl), rf: rf, meta: map[string]topicMeta{}}, nil
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return fmt.Errorf("%w: %v", rlog.ErrUnknownTopic, err)
	case errors.Is(err, kerr.TopicAlreadyExists):
		return fmt.Errorf("%w: %v", rlog.ErrTopicExists, err)
	case errors.Is(err, kerr.OffsetOutOfRange):
		return fmt.Errorf("%w: %v", rlog.ErrOffsetOutOfRange, err)
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return fmt.Errorf("%w: %v", rlog.ErrRecordTooLarge, err)
	case errors.Is(err, kerr.InvalidPartitions), errors.Is(err, kerr.InvalidReplicationFactor), errors.Is(err, kerr.InvalidConfig):
		return fmt.Errorf("%w: %v", rlog.ErrInvalidTopicConfig, err)
	}
	return fmt.Errorf("kafka: %w", err)
}

// CreateTopic implements log.Log.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg rlog.TopicConfig) error {
	if err := rlog.ValidTopicName(name); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	ms, bytes := "-1", "-1" // Kafka's "unlimited"
	if cfg.Retention > 0 {
		ms = strconv.FormatInt(cfg.Retention.Milliseconds(), 10)
	}
	if cfg.RetentionBytes > 0 {
		bytes = strconv.FormatInt(cfg.RetentionBytes, 10)
	}
	configs := map[string]*string{"retention.ms": &ms, "retention.bytes": &bytes}
	if cfg.Compact {
		policy := "compact"
		configs["cleanup.policy"] = &policy
	}
	resp, err := l.adm.CreateTopic(ctx, cfg.Partitions, l.rf, configs, name)
	if err == nil {
		err = resp.Err
	}
	return mapErr(err)
}

// DescribeTopic implements log.Log.
func (l *Log) DescribeTopic(ctx context.Context, name string) (rlog.TopicInfo, error) {
	infos, err := l.describe(ctx, name)
	if err != nil {
		return rlog.TopicInfo{}, err
	}
	return infos[0], nil
}

// ListTopics implements log.Log (internal __ topics excluded).
func (l *Log) ListTopics(ctx context.Context) ([]rlog.TopicInfo, error) {
	return l.describe(ctx)
}

func (l *Log) describe(ctx context.Context, names ...string) ([]rlog.TopicInfo, error) {
	details, err := l.adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, mapErr(err)
	}
	var out []rlog.TopicInfo
	var found []string
	for _, d := range details.Sorted() {
		if d.Err != nil {
			if len(names) == 0 && errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
				continue // being created or deleted as we list
			}
			return nil, mapErr(fmt.Errorf("%s: %w", d.Topic, d.Err))
		}
		if d.IsInternal {
			continue
		}
		l.remember(d)
		out = append(out, rlog.TopicInfo{Name: d.Topic, TopicConfig: rlog.TopicConfig{Partitions: int32(len(d.Partitions))}})
		found = append(found, d.Topic)
	}
	if len(names) > 0 && len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, names[0])
	}
	if len(found) == 0 {
		return out, nil
	}
	cfgs, err := l.adm.DescribeTopicConfigs(ctx, found...)
	if err != nil {
		return nil, mapErr(err)
	}
	for i := range out {
		rc, err := cfgs.On(out[i].Name, nil)
		if err != nil {
			continue
		}
		for _, c := range rc.Configs {
			if c.Value == nil {
				continue
			}
			n, _ := strconv.ParseInt(*c.Value, 10, 64)
			switch c.Key {
			case "retention.ms":
				if n > 0 {
					out[i].Retention = time.Duration(n) * time.Millisecond
				}
			case "retention.bytes":
				if n > 0 {
					out[i].RetentionBytes = n
				}
			case "cleanup.policy":
				out[i].Compact = strings.Contains(*c.Value, "compact")
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (l *Log) remember(d kadm.TopicDetail) {
	m := topicMeta{id: d.ID, leaders: make([]int32, len(d.Partitions))}
	for _, p := range d.Partitions {
		if int(p.Partition) < len(m.leaders) {
			m.leaders[p.Partition] = p.Leader
		}
	}
	l.mu.Lock()
	l.meta[d.Topic] = m
	l.mu.Unlock()
}

// topic returns a topic's metadata, loading it once.
func (l *Log) topic(ctx context.Context, name string) (topicMeta, error) {
	l.mu.Lock()
	m, ok := l.meta[name]
	l.mu.Unlock()
	if ok {
		return m, nil
	}
	if _, err := l.describe(ctx, name); err != nil {
		return m, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.meta[name], nil
}

func (l *Log) part(ctx context.Context, tp rlog.TopicPartition) (topicMeta, error) {
	m, err := l.topic(ctx, tp.Topic)
	if err != nil {
		return m, err
	}
	if tp.Partition < 0 || int(tp.Partition) >= len(m.leaders) {
		return m, fmt.Errorf("%w: %s has %d partitions, no partition %d", rlog.ErrUnknownTopic, tp.Topic, len(m.leaders), tp.Partition)
	}
	return m, nil
}

// Produce implements log.Log: keyed records go to murmur2(key), null keys
// round-robin, as in the embedded log.
func (l *Log) Produce(ctx context.Context, recs ...rlog.Record) error {
	krs := make([]*kgo.Record, 0, len(recs))
	for i := range recs {
		kr, err := l.kgoRecord(ctx, &recs[i])
		if err != nil {
			return err
		}
		krs = append(krs, kr)
	}
	return mapErr(l.cl.ProduceSync(ctx, krs...).FirstErr())
}

// Commit implements log.Log for records only (see ErrNeedsSession).
func (l *Log) Commit(ctx context.Context, txn *rlog.Txn) error {
	if txn.State != nil || len(txn.Offsets) > 0 {
		return ErrNeedsSession
	}
	return l.Produce(ctx, txn.Records...)
}

// Fetch implements log.Log with a read_committed Fetch to the leader.
// Aborted records and transaction markers take offsets but are not
// returned; a fetch that finds only those moves past them and fetches
// again, so an empty result means nothing committed is left below the
// last stable offset (not "a 4 MiB aborted transaction was in the way").
// A leader that moved is followed (see onLeader).
func (l *Log) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) ([]rlog.Record, error) {
	if _, err := l.part(ctx, tp); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: %s offset %d", rlog.ErrOffsetOutOfRange, tp, offset)
	}
	for {
		var out []rlog.Record
		var next int64
		err := l.onLeader(ctx, tp, func(m topicMeta) error {
			var err error
			out, next, err = fetchOnce(ctx, l.cl.Broker(int(m.leaders[tp.Partition])), m.id, tp, offset, max, wait)
			return err
		})
		if err != nil {
			return nil, mapErr(err)
		}
		if len(out) > 0 || next <= offset {
			return out, nil
		}
		offset = next // only aborted records and markers here: skip them
	}
}

// fetchOnce fetches tp from offset on its leader. With no committed
// record in the response, next is the offset past the aborted records
// and markers it held (below the last stable offset), or offset itself.
// Errors are franz-go's (kerr for the broker's codes), unmapped, so
// onLeader can tell a moved leader from the rest.
func fetchOnce(ctx context.Context, leader *kgo.Broker, id [16]byte, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) (out []rlog.Record, next int64, err error) {
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = int32(max64(wait.Milliseconds(), 0))
	req.MinBytes = 1
	// The response limit above the partition's: a response cut by the
	// request limit may come without its aborted-transaction list.
	req.MaxBytes = 8 << 20
	req.IsolationLevel = 1 // read_committed
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = tp.Topic, id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = tp.Partition, offset, 4<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	raw, err := leader.Request(ctx, req)
	if err != nil {
		return nil, offset, err
	}
	resp := raw.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, offset, err
	}
	if len(resp.Topics) == 0 || len(resp.Topics[0].Partitions) == 0 {
		return nil, offset, nil
	}
	rpart := &resp.Topics[0].Partitions[0]
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		Offset: offset, IsolationLevel: kgo.ReadCommitted(), Topic: tp.Topic, Partition: tp.Partition,
	}, rpart, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		return nil, offset, fmt.Errorf("%s offset %d: %w", tp, offset, fp.Err)
	}
	out = make([]rlog.Record, 0, min(len(fp.Records), max))
	for _, kr := range fp.Records {
		if len(out) >= max {
			break
		}
		r := rlog.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: kr.Offset, Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp.UnixMilli()}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, rlog.Header{Key: h.Key, Value: h.Value})
		}
		out = append(out, r)
	}
	if len(out) > 0 {
		return out, offset, nil
	}
	if end, ok := batchesEnd(rpart.RecordBatches); ok && end > offset && end < rpart.LastStableOffset {
		return out, end, nil
	}
	return out, offset, nil
}

// Leader moves. Requests for a partition go straight to its leader as
// this Log last saw it (topicMeta). A reassignment, a preferred-leader
// election or a broker that went away makes that stale: the old leader
// answers NOT_LEADER_FOR_PARTITION (or UNKNOWN_TOPIC_OR_PARTITION when it
// no longer hosts a replica, FENCED_LEADER_EPOCH in the middle of an
// election), or cannot be reached at all. onLeader then drops the cached
// leaders, fetches the topic's metadata again from a broker and retries,
// with backoff, leaderRetries times (about 7 s in all, time for an
// election), before it returns the error. The refresh also updates the
// franz-go client's own metadata cache, which its ListOffsets requests
// (Offsets, Stable) map partitions to leaders with and which does not
// notice a move by itself either.
const leaderRetries = 8

// onLeader runs do, which talks to tp's leader, with tp's metadata,
// following the leader when it moved.
func (l *Log) onLeader(ctx context.Context, tp rlog.TopicPartition, do func(m topicMeta) error) error {
	m, err := l.part(ctx, tp)
	if err != nil {
		return err
	}
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := do(m)
		if err == nil || !leaderGone(err) || attempt >= leaderRetries || ctx.Err() != nil {
			return err
		}
		l.forget(tp.Topic)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
		fresh, rerr := l.refresh(ctx, tp)
		switch {
		case rerr == nil:
			m = fresh
		case errors.Is(rerr, rlog.ErrUnknownTopic) || !leaderGone(rerr):
			return rerr // the topic or partition is gone, or metadata fails for good
		}
	}
}

// leaderGone reports whether err means tp's cached leader is stale or
// unreachable, so that fresh metadata may lead elsewhere.
func leaderGone(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, kgo.ErrClientClosed):
		return false
	case errors.Is(err, kerr.NotLeaderForPartition), errors.Is(err, kerr.UnknownTopicOrPartition),
		errors.Is(err, kerr.FencedLeaderEpoch), errors.Is(err, kerr.UnknownLeaderEpoch),
		errors.Is(err, kerr.LeaderNotAvailable), errors.Is(err, kerr.ReplicaNotAvailable),
		errors.Is(err, kerr.BrokerNotAvailable), errors.Is(err, kerr.KafkaStorageError),
		errors.Is(err, kerr.UnknownTopicID), errors.Is(err, kerr.InconsistentTopicID),
		errors.Is(err, kerr.NotEnoughReplicas), errors.Is(err, kerr.RequestTimedOut):
		return true
	}
	if _, ok := errors.AsType[*kerr.Error](err); ok {
		return false // any other answer of a broker is final
	}
	// Not an answer: the connection failed (broker down, closed
	// connection, a node id the client no longer knows).
	return true
}

// forget drops a topic's cached metadata.
func (l *Log) forget(topic string) {
	l.mu.Lock()
	delete(l.meta, topic)
	l.mu.Unlock()
}

// refresh loads tp's topic metadata from a broker, past the client's
// metadata cache (a Metadata request through the client is always sent;
// it also teaches the client brokers that joined), and caches it.
func (l *Log) refresh(ctx context.Context, tp rlog.TopicPartition) (topicMeta, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(tp.Topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return topicMeta{}, err
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != tp.Topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return topicMeta{}, fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, tp.Topic)
			}
			return topicMeta{}, err
		}
		m := topicMeta{id: t.TopicID, leaders: make([]int32, len(t.Partitions))}
		for i := range m.leaders {
			m.leaders[i] = -1
		}
		for _, p := range t.Partitions {
			if p.Partition >= 0 && int(p.Partition) < len(m.leaders) {
				m.leaders[p.Partition] = p.Leader
			}
		}
		if int(tp.Partition) >= len(m.leaders) {
			return topicMeta{}, fmt.Errorf("%w: %s has %d partitions, no partition %d", rlog.ErrUnknownTopic, tp.Topic, len(m.leaders), tp.Partition)
		}
		l.mu.Lock()
		l.meta[tp.Topic] = m
		l.mu.Unlock()
		if m.leaders[tp.Partition] < 0 {
			return m, kerr.LeaderNotAvailable // an election in progress: retry
		}
		return m, nil
	}
	return topicMeta{}, fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, tp.Topic)
}

// batchesEnd returns the offset after the last complete v2 record batch in
// a fetch response's raw batches.
func batchesEnd(b []byte) (int64, bool) {
	var next int64
	found := false
	for len(b) >= 27 {
		base := int64(binary.BigEndian.Uint64(b[0:8]))
		n := int(int32(binary.BigEndian.Uint32(b[8:12])))
		if n < 15 || len(b) < 12+n || b[16] != 2 { // partial, or not a v2 batch
			break
		}
		next, found = base+int64(int32(binary.BigEndian.Uint32(b[23:27])))+1, true
		b = b[12+n:]
	}
	return next, found
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Offsets implements log.Log: the log start and the last stable offset
// (the end a read_committed reader sees).
func (l *Log) Offsets(ctx context.Context, tp rlog.TopicPartition) (int64, int64, error) {
	return l.listOffsets(ctx, tp, l.adm.ListStartOffsets, l.adm.ListCommittedOffsets)
}

// listOffsets lists two kinds of offsets of tp (kadm's ListStartOffsets,
// ListCommittedOffsets, ListEndOffsets), following a moved leader.
func (l *Log) listOffsets(ctx context.Context, tp rlog.TopicPartition, listA, listB func(context.Context, ...string) (kadm.ListedOffsets, error)) (a, b int64, err error) {
	err = l.onLeader(ctx, tp, func(topicMeta) error {
		as, err := listA(ctx, tp.Topic)
		if err != nil {
			return err
		}
		bs, err := listB(ctx, tp.Topic)
		if err != nil {
			return err
		}
		x, ok1 := as.Lookup(tp.Topic, tp.Partition)
		y, ok2 := bs.Lookup(tp.Topic, tp.Partition)
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, tp)
		}
		if x.Err != nil || y.Err != nil {
			return errors.Join(x.Err, y.Err)
		}
		a, b = x.Offset, y.Offset
		return nil
	})
	if err != nil {
		return 0, 0, mapErr(err)
	}
	return a, b, nil
}

// Stable reports whether tp has no open transaction: its last stable
// offset (what read_committed readers see) equals its high watermark.
// A worker restoring state waits for this, so an open transaction of a
// killed worker cannot hide records committed after it.
func (l *Log) Stable(ctx context.Context, tp rlog.TopicPartition) (bool, error) {
	lso, hwm, err := l.listOffsets(ctx, tp, l.adm.ListCommittedOffsets, l.adm.ListEndOffsets)
	if err != nil {
		return false, err
	}
	return lso == hwm, nil
}

// DeleteRecords implements log.RecordDeleter with Kafka's DeleteRecords:
// the partitions' log start offsets move up, and the brokers delete the
// segments below. Leader moves are followed as by Fetch.
func (l *Log) DeleteRecords(ctx context.Context, before map[rlog.TopicPartition]int64) error {
	byTopic := map[string]map[int32]int64{}
	var topics []string
	for tp, off := range before {
		if _, err := l.part(ctx, tp); err != nil {
			return err
		}
		if byTopic[tp.Topic] == nil {
			byTopic[tp.Topic] = map[int32]int64{}
			topics = append(topics, tp.Topic)
		}
		byTopic[tp.Topic][tp.Partition] = off
	}
	sort.Strings(topics)
	for _, topic := range topics {
		parts := byTopic[topic]
		var first rlog.TopicPartition
		for p := range parts {
			first = rlog.TopicPartition{Topic: topic, Partition: p}
			break
		}
		err := l.onLeader(ctx, first, func(topicMeta) error {
			var os kadm.Offsets
			for p, off := range parts {
				os.AddOffset(topic, p, off, -1)
			}
			resps, err := l.adm.DeleteRecords(ctx, os)
			if err != nil {
				return err
			}
			var errs []error
			for p, off := range parts {
				r, err := resps.On(topic, p, nil)
				if err == nil {
					err = r.Err
				}
				if errors.Is(err, kerr.OffsetOutOfRange) {
					// Kafka deletes nothing below the log start; some
					// brokers (kfake) call that out of range.
					starts, lerr := l.adm.ListStartOffsets(ctx, topic)
					if lerr != nil {
						return lerr
					}
					if s, ok := starts.Lookup(topic, p); ok && s.Err == nil && off <= s.Offset {
						err = nil
					}
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("delete records of %s/%d below %d: %w", topic, p, off, err))
				}
			}
			return errors.Join(errs...)
		})
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// CommittedOffset implements log.Log.
func (l *Log) CommittedOffset(ctx context.Context, group string, tp rlog.TopicPartition) (int64, bool, error) {
	resps, err := l.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) { // a group that never committed
		return 0, false, nil
	}
	if err != nil {
		return 0, false, mapErr(err)
	}
	o, ok := resps.Lookup(tp.Topic, tp.Partition)
	if !ok || o.Err != nil || o.At < 0 {
		if errors.Is(o.Err, kerr.GroupIDNotFound) {
			return 0, false, nil
		}
		return 0, false, mapErr(o.Err)
	}
	return o.At, true, nil
}

// CommitOffsets implements log.Log (a commit outside any group generation,
// as kafka-consumer-groups --reset-offsets does).
func (l *Log) CommitOffsets(ctx context.Context, group string, offsets map[rlog.TopicPartition]int64) error {
	var os kadm.Offsets
	for tp, off := range offsets {
		os.AddOffset(tp.Topic, tp.Partition, off, -1)
	}
	resps, err := l.adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return mapErr(err)
	}
	return mapErr(resps.Error())
}

// StateStore implements log.Log: none; cluster-mode state is local Pebble
// backed by changelog topics (to come).
func (l *Log) StateStore() *pebble.DB { return nil }

// Close implements log.Log.
func (l *Log) Close() error {
	l.cl.Close()
	return nil
}
