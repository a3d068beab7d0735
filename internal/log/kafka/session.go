package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// SessionOptions configure a worker's group session.
type SessionOptions struct {
	// Group is the job's consumer group; every worker of the job joins it.
	Group string
	// TransactionalID is unique per worker process (EOS v2: zombies are
	// fenced by the group generation, not by reusing the id).
	TransactionalID string
	// Topics are the job's inputs: external topics and its repartition topics.
	Topics []string
	// TransactionTimeout: the broker aborts a transaction open this long
	// (e.g. its worker was stopped); default 10 s, as Kafka Streams under EOS.
	TransactionTimeout time.Duration
	// SessionTimeout: a worker silent this long leaves the group and its
	// partitions move; default 45 s (Kafka's default).
	SessionTimeout time.Duration
	// MaxBatchBytes bounds a produce batch, so the broker's
	// message.max.bytes (default 1048588) is never exceeded; default
	// 1000012, franz-go's default.
	MaxBatchBytes int32
	Logger        *slog.Logger
}

// Session is one worker's member of a job's consumer group with a
// transactional producer, on franz-go's GroupTransactSession: each Commit
// produces a checkpoint's records and commits the offsets of everything
// polled since the last Commit in one Kafka transaction (exactly-once v2).
// A rebalance during the interval aborts the transaction and rewinds
// polling to the last committed offsets. Partitions are assigned by
// partition number across all topics (co-partitioned), so a worker owning
// partition p of a job owns partition p of every input of the job, and
// therefore that task's whole state.
//
// Poll, Commit and Abort are called from one goroutine; Assignment from any.
type Session struct {
	l      *Log
	group  string
	gs     *kgo.GroupTransactSession
	logger *slog.Logger

	mu    sync.Mutex
	gen   uint64
	owned map[string][]int32

	lastErrLog time.Time
	beforeEnd  func() // tests: pause inside a transaction
}

// NewSession joins the group; assignment arrives asynchronously (see Assignment).
func (l *Log) NewSession(o SessionOptions) (*Session, error) {
	if o.Group == "" || o.TransactionalID == "" || len(o.Topics) == 0 {
		return nil, errors.New("kafka: session needs a group, a transactional id and topics")
	}
	if o.TransactionTimeout <= 0 {
		o.TransactionTimeout = 10 * time.Second
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 45 * time.Second
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 1000012
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Session{l: l, group: o.Group, logger: o.Logger.With("group", o.Group), owned: map[string][]int32{}}
	opts := append([]kgo.Opt{
		kgo.ConsumerGroup(o.Group),
		kgo.ConsumeTopics(o.Topics...),
		kgo.TransactionalID(o.TransactionalID),
		kgo.TransactionTimeout(o.TransactionTimeout),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.Balancers(CopartitionBalancer()),
		kgo.SessionTimeout(o.SessionTimeout),
		kgo.HeartbeatInterval(min(3*time.Second, o.SessionTimeout/5)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), // rtdw chooses partitions (murmur2)
		kgo.ProducerBatchMaxBytes(o.MaxBatchBytes),
		kgo.FetchMaxPartitionBytes(4 << 20),
		kgo.ProducerLinger(0),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { s.assign(m, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { s.assign(m, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { s.assign(m, false) }),
	}, l.base...)
	gs, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: group session: %w", err)
	}
	s.gs = gs
	return s, nil
}

func (s *Session) assign(m map[string][]int32, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, ps := range m {
		if add {
			s.owned[t] = append(s.owned[t], ps...)
			continue
		}
		drop := map[int32]bool{}
		for _, p := range ps {
			drop[p] = true
		}
		keep := s.owned[t][:0]
		for _, p := range s.owned[t] {
			if !drop[p] {
				keep = append(keep, p)
			}
		}
		s.owned[t] = keep
	}
	s.gen++
	s.logger.Info("partitions changed", "assigned", add, "partitions", m, "generation", s.gen)
}

// Assignment returns the partition numbers this worker owns and a counter
// that changes with every assignment change.
func (s *Session) Assignment() (uint64, []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[int32]bool{}
	var out []int32
	for _, ps := range s.owned {
		for _, p := range ps {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return s.gen, out
}

// Poll returns up to max records of owned partitions, grouped by
// partition, waiting until ctx ends if none are buffered. Fetch errors are
// retried by the client; they are logged (at most every 10 s), not
// returned, so a broker that goes away makes the worker wait, not exit.
func (s *Session) Poll(ctx context.Context, max int) ([]rlog.Record, error) {
	fs := s.gs.PollRecords(ctx, max)
	if fs.IsClientClosed() {
		return nil, rlog.ErrClosed
	}
	fs.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if time.Since(s.lastErrLog) > 10*time.Second {
			s.lastErrLog = time.Now()
			s.logger.Warn("fetch failing; the client retries", "topic", topic, "partition", p, "err", err)
		}
	})
	var out []rlog.Record
	fs.EachRecord(func(kr *kgo.Record) {
		r := rlog.Record{Topic: kr.Topic, Partition: kr.Partition, Offset: kr.Offset, Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp.UnixMilli()}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, rlog.Header{Key: h.Key, Value: h.Value})
		}
		out = append(out, r)
	})
	return out, nil
}

// Commit produces recs and commits the offsets of everything polled since
// the last Commit or Abort, in one transaction. committed=false with a nil
// error means the transaction was aborted because the group rebalanced;
// polling then resumes from the last committed offsets. An error means the
// session is unusable (fenced, timed out, broker gone): close it.
func (s *Session) Commit(ctx context.Context, recs []rlog.Record) (bool, error) {
	if err := s.gs.Begin(); err != nil {
		return false, fmt.Errorf("kafka: begin transaction: %w", err)
	}
	// Every path that does not commit aborts, so no transaction is left
	// open to block the partitions' next owner until it times out.
	abort := func() {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := s.gs.End(actx, kgo.TryAbort); err != nil {
			s.logger.Warn("abort failed; the broker aborts the transaction at its timeout", "err", err)
		}
	}
	var mu sync.Mutex
	var produceErr error
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if produceErr == nil {
				produceErr = fmt.Errorf("produce to %s/%d: %w", r.Topic, r.Partition, mapErr(err))
			}
			mu.Unlock()
		}
	}
	for i := range recs {
		kr, err := s.l.kgoRecord(ctx, &recs[i])
		if err != nil {
			abort()
			return false, err
		}
		s.gs.Produce(ctx, kr, promise)
	}
	if err := s.gs.Client().Flush(ctx); err != nil {
		abort()
		return false, fmt.Errorf("kafka: flush: %w", err)
	}
	mu.Lock()
	perr := produceErr
	mu.Unlock()
	if perr != nil {
		// A failed record must not commit with the others: abort, and
		// let the caller rebuild and redo the work.
		abort()
		return false, perr
	}
	// A transaction with consumed offsets is fenced by the group
	// generation (TxnOffsetCommit); one without (timer outputs, idle
	// markers, TTL sweeps) is not, so prove membership first: a member
	// evicted while it was paused must not write after the new owner
	// restored the state.
	if len(s.gs.Client().UncommittedOffsets()) == 0 {
		if err := s.heartbeat(ctx); err != nil {
			s.logger.Info("not committing: no longer a member of this generation", "err", err)
			abort()
			return false, nil
		}
	}
	if s.beforeEnd != nil {
		s.beforeEnd()
	}
	committed, err := s.gs.End(ctx, kgo.TryCommit)
	if err != nil {
		return false, fmt.Errorf("kafka: end transaction: %w", err)
	}
	return committed, nil
}

// heartbeat asks the coordinator whether this member is still in the
// group's current generation.
func (s *Session) heartbeat(ctx context.Context) error {
	member, gen := s.gs.Client().GroupMetadata()
	if member == "" {
		return errors.New("not joined")
	}
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = s.group, member, gen
	resp, err := req.RequestWith(ctx, s.gs.Client())
	if err != nil {
		return err
	}
	return kerr.ErrorForCode(resp.ErrorCode)
}

// Abort drops uncommitted work: polling resumes from the last committed offsets.
func (s *Session) Abort(ctx context.Context) error {
	if err := s.gs.Begin(); err != nil {
		return fmt.Errorf("kafka: begin transaction: %w", err)
	}
	if _, err := s.gs.End(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("kafka: abort transaction: %w", err)
	}
	return nil
}

// Close leaves the group (its partitions move to the other workers at once).
func (s *Session) Close() { s.gs.Close() }

// kgoRecord converts a record, choosing its partition as Produce does.
func (l *Log) kgoRecord(ctx context.Context, r *rlog.Record) (*kgo.Record, error) {
	m, err := l.topic(ctx, r.Topic)
	if err != nil {
		return nil, err
	}
	n := int32(len(m.leaders))
	p := r.Partition
	switch {
	case p >= n:
		return nil, fmt.Errorf("%w: %s has no partition %d", rlog.ErrUnknownTopic, r.Topic, p)
	case p < 0 && r.Key != nil:
		p = rlog.PartitionFor(r.Key, n)
	case p < 0:
		l.mu.Lock()
		p = int32(l.rr % uint32(n))
		l.rr++
		l.mu.Unlock()
	}
	kr := &kgo.Record{Topic: r.Topic, Partition: p, Key: r.Key, Value: r.Value}
	if r.Timestamp != 0 {
		kr.Timestamp = time.UnixMilli(r.Timestamp)
	}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return kr, nil
}

// CopartitionBalancer assigns partition numbers, not topic-partitions:
// the member owning partition p of one subscribed topic owns partition p
// of all of them (as Kafka Streams co-partitions a task's inputs), so a
// task's source partition, its repartition partition and its state move
// together. Partition p goes to the p%n-th member in member-id order.
func CopartitionBalancer() kgo.GroupBalancer { return copartition{} }

type copartition struct{}

func (copartition) ProtocolName() string { return "rtdw-copartition" }
func (copartition) IsCooperative() bool  { return false }

func (copartition) JoinGroupMetadata(topics []string, _ map[string][]int32, generation int32) []byte {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 3
	meta.Topics = topics
	meta.Generation = generation
	return meta.AppendTo(nil)
}

func (copartition) ParseSyncAssignment(b []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(b)
}

func (c copartition) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	b, err := kgo.NewConsumerBalancer(c, members)
	if err != nil {
		return nil, nil, err
	}
	return b, b.MemberTopics(), nil
}

func (copartition) Balance(b *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	plan := b.NewPlan()
	members := b.Members()
	if len(members) == 0 {
		return plan
	}
	var most int32
	for _, n := range topics {
		most = max(most, n)
	}
	for p := int32(0); p < most; p++ {
		member, meta := b.MemberAt(int(p) % len(members))
		for _, t := range meta.Topics {
			if p < topics[t] {
				plan.AddPartition(member, t, p)
			}
		}
	}
	return plan
}
