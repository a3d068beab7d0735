package applog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
)

// PositionTopic is the compacted topic a collector named name keeps its
// bookkeeping in on Kafka: key "files" (the file positions, JSON) and one
// key "req:<X-Request-Id>" per remembered request (value: expiry, unix ms).
func PositionTopic(name string) string { return "_rtdw-ingest-applog-" + name + "-position" }

const (
	keyFiles  = "files"
	reqPrefix = "req:"
)

// kafkaBook is the collector's bookkeeping on Kafka: produced in the same
// Kafka transaction as the batch it accounts for, so a read_committed
// reader sees a batch with its positions and request id, or neither.
// Request ids live in memory too (loaded at start): a map the size of the
// ids of one RequestIDTTL.
type kafkaBook struct {
	l      *kafka.Log
	po     kafka.ProducerOptions
	topic  string
	p      *kafka.Producer
	reqs   map[string]int64 // request id -> expiry (unix ms)
	broken bool             // a commit failed: reload before the next
}

func newKafkaBook(ctx context.Context, l *kafka.Log, o Options) (*kafkaBook, error) {
	k := &kafkaBook{l: l, topic: PositionTopic(o.Name), po: kafka.ProducerOptions{
		TransactionalID: o.TransactionalID, TransactionTimeout: o.TransactionTimeout, Logger: o.Logger}}
	if err := rlog.ValidTopicName(k.topic); err != nil {
		return nil, fmt.Errorf("applog: name %q: %w", o.Name, err)
	}
	if _, err := rlog.EnsureTopic(ctx, l, k.topic, rlog.TopicConfig{Partitions: 1, Compact: true}); err != nil {
		return nil, fmt.Errorf("applog: position topic: %w", err)
	}
	return k, nil
}

// load (re)creates the producer, which aborts a transaction a killed
// collector left open and fences any other collector with this
// transactional id, then reads the position topic to its end. It returns
// the committed file positions (JSON, nil: none).
func (k *kafkaBook) load(ctx context.Context, now time.Time) ([]byte, error) {
	if k.p != nil {
		k.p.Close()
		k.p = nil
	}
	p, err := k.l.NewProducer(ctx, k.po)
	if err != nil {
		return nil, fmt.Errorf("applog: %w", err)
	}
	k.p = p
	tp := rlog.TopicPartition{Topic: k.topic, Partition: 0}
	// An open transaction hides everything after it from read_committed.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := k.l.WaitStable(wctx, tp); err != nil {
		return nil, fmt.Errorf("applog: position topic: waiting for open transactions to end: %w", err)
	}
	start, end, err := k.l.Offsets(ctx, tp)
	if err != nil {
		return nil, fmt.Errorf("applog: position topic: %w", err)
	}
	var files []byte
	k.reqs = map[string]int64{}
	for off := start; off < end; {
		recs, err := k.l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil {
			return nil, fmt.Errorf("applog: position topic: %w", err)
		}
		if len(recs) == 0 {
			break // only transaction markers are left
		}
		for _, r := range recs {
			key := string(r.Key)
			switch {
			case key == keyFiles:
				files = r.Value
			case strings.HasPrefix(key, reqPrefix):
				id := key[len(reqPrefix):]
				exp, _ := strconv.ParseInt(string(r.Value), 10, 64)
				if r.Value == nil || exp <= now.UnixMilli() {
					delete(k.reqs, id)
				} else {
					k.reqs[id] = exp
				}
			}
		}
		off = recs[len(recs)-1].Offset + 1
	}
	k.broken = false
	return files, nil
}

func (k *kafkaBook) seen(id string, now time.Time) bool {
	exp, ok := k.reqs[id]
	return ok && exp > now.UnixMilli()
}

// commit produces recs, the positions (if posJSON is not nil) and the
// request ids in one transaction; expired ids are deleted a few per
// remembered id, so compaction drops them.
func (k *kafkaBook) commit(ctx context.Context, recs []rlog.Record, posJSON []byte, reqIDs []string, now time.Time, ttl time.Duration) error {
	recs = recs[:len(recs):len(recs)] // appends must not reach the caller's array
	if posJSON != nil {
		recs = append(recs, rlog.Record{Topic: k.topic, Partition: 0, Key: []byte(keyFiles), Value: posJSON})
	}
	exp := strconv.FormatInt(now.Add(ttl).UnixMilli(), 10)
	for _, id := range reqIDs {
		recs = append(recs, rlog.Record{Topic: k.topic, Partition: 0, Key: []byte(reqPrefix + id), Value: []byte(exp)})
	}
	var expired []string
	for id, exp := range k.reqs {
		if len(expired) == 4*max(1, len(reqIDs)) {
			break
		}
		if exp <= now.UnixMilli() {
			expired = append(expired, id)
			recs = append(recs, rlog.Record{Topic: k.topic, Partition: 0, Key: []byte(reqPrefix + id)})
		}
	}
	if err := k.p.Commit(ctx, recs); err != nil {
		// The outcome may be unknown (the end request failed): the next
		// commit reloads what was committed first.
		k.broken = true
		return fmt.Errorf("applog: commit to Kafka: %w", err)
	}
	for _, id := range expired {
		delete(k.reqs, id)
	}
	for _, id := range reqIDs {
		k.reqs[id] = now.Add(ttl).UnixMilli()
	}
	return nil
}

func (k *kafkaBook) close() {
	if k.p != nil {
		k.p.Close()
	}
}

// fenced tells whether err means another collector took over.
func fenced(err error) bool { return errors.Is(err, kafka.ErrFenced) }
