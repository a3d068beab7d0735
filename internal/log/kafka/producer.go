package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// ErrFenced: another producer with the same transactional id started (or
// the broker timed this one's transaction out); this one must stop.
var ErrFenced = errors.New("kafka: fenced by a newer producer with the same transactional id")

// ProducerOptions configure a transactional producer outside any group.
type ProducerOptions struct {
	// TransactionalID identifies the writer across restarts: a new
	// producer with the same id aborts the old one's open transaction and
	// fences it (its commits fail with ErrFenced).
	TransactionalID string
	// TransactionTimeout: the broker aborts a transaction open this long;
	// default 10 s.
	TransactionTimeout time.Duration
	// MaxBatchBytes bounds a produce batch (see SessionOptions); default 1000012.
	MaxBatchBytes int32
	Logger        *slog.Logger
}

// Producer commits batches of records in Kafka transactions, for sources
// (binlog reader, app-log collector) that keep their own read position as
// a record in the same transaction: a read_committed reader sees a batch
// and the position after it together, or neither.
//
// Commit is called from one goroutine at a time.
type Producer struct {
	l      *Log
	cl     *kgo.Client
	logger *slog.Logger
}

// NewProducer creates the producer and initialises its producer id, which
// aborts a transaction the previous holder of the id left open (kill -9)
// and fences that holder, so when it returns the caller may read its
// position topic once it is stable (see Stable).
func (l *Log) NewProducer(ctx context.Context, o ProducerOptions) (*Producer, error) {
	if o.TransactionalID == "" {
		return nil, errors.New("kafka: producer needs a transactional id")
	}
	if o.TransactionTimeout <= 0 {
		o.TransactionTimeout = 10 * time.Second
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 1000012
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	opts := append([]kgo.Opt{
		kgo.TransactionalID(o.TransactionalID),
		kgo.TransactionTimeout(o.TransactionTimeout),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), // rtdw chooses partitions (murmur2)
		kgo.ProducerBatchMaxBytes(o.MaxBatchBytes),
		kgo.ProducerLinger(0),
		kgo.UnknownTopicRetries(0),
	}, l.base...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: producer: %w", err)
	}
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka: producer %s: init producer id: %w", o.TransactionalID, fenced(err))
	}
	return &Producer{l: l, cl: cl, logger: o.Logger.With("transactional_id", o.TransactionalID)}, nil
}

func fenced(err error) error {
	if errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) {
		return fmt.Errorf("%w: %v", ErrFenced, err)
	}
	return err
}

// Commit produces recs in one transaction and commits it. On an error
// nothing of recs is visible to read_committed readers (the transaction
// is aborted, or its outcome is unknown and the next producer with this
// id aborts it); a fenced producer returns ErrFenced and must be closed.
func (p *Producer) Commit(ctx context.Context, recs []rlog.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := p.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("kafka: begin transaction: %w", fenced(err))
	}
	abort := func() {
		// Not on ctx: a cancelled caller must not leave the transaction open.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := p.cl.AbortBufferedRecords(actx); err == nil {
			if err := p.cl.EndTransaction(actx, kgo.TryAbort); err != nil {
				p.logger.Warn("abort failed; the broker aborts the transaction at its timeout", "err", err)
			}
		}
	}
	var mu sync.Mutex
	var produceErr error
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if produceErr == nil {
				produceErr = fmt.Errorf("produce to %s/%d: %w", r.Topic, r.Partition, fenced(mapErr(err)))
			}
			mu.Unlock()
		}
	}
	for i := range recs {
		kr, err := p.l.kgoRecord(ctx, &recs[i])
		if err != nil {
			abort()
			return err
		}
		p.cl.Produce(ctx, kr, promise)
	}
	if err := p.cl.Flush(ctx); err != nil {
		abort()
		return fmt.Errorf("kafka: flush: %w", err)
	}
	mu.Lock()
	perr := produceErr
	mu.Unlock()
	if perr != nil {
		abort()
		return perr
	}
	// The end request must not be cancelled halfway (its outcome would be
	// unknown); a stopped caller waits for it.
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := p.cl.EndTransaction(ectx, kgo.TryCommit); err != nil {
		return fmt.Errorf("kafka: end transaction: %w", fenced(err))
	}
	return nil
}

// Close closes the client; an open transaction is aborted by the broker at
// its timeout, or at once by the next producer with the same id.
func (p *Producer) Close() { p.cl.Close() }

// WaitStable waits until tp has no open transaction (its last stable
// offset equals its high watermark), polling until ctx ends.
func (l *Log) WaitStable(ctx context.Context, tp rlog.TopicPartition) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		ok, err := l.Stable(ctx, tp)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
