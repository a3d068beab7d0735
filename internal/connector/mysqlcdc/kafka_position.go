package mysqlcdc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
)

// PositionTopic is the compacted topic a reader named name keeps its
// position in on Kafka (one partition; key name, and name+".schema" for
// the table layouts).
func PositionTopic(name string) string { return "_rtdw-ingest-mysql-" + name + "-position" }

// kafkaPositions keeps the position as records of the position topic,
// produced in the same Kafka transaction as the topic_db records they
// follow: a read_committed reader of both sees a batch and its position
// together or neither. The transactional id is the reader's identity: a
// second reader with the same name fences the first.
type kafkaPositions struct {
	l       *kafka.Log
	cfg     Config
	topic   string
	keyPos  []byte
	keySch  []byte
	p       *kafka.Producer
	pending map[string][]byte // key -> value (nil: tombstone) to commit
}

func openKafkaPositions(ctx context.Context, l *kafka.Log, cfg Config) (*kafkaPositions, error) {
	if err := rlog.ValidTopicName(PositionTopic(cfg.Name)); err != nil {
		return nil, fmt.Errorf("mysqlcdc: reader name %q: %w", cfg.Name, err)
	}
	k := &kafkaPositions{l: l, cfg: cfg, topic: PositionTopic(cfg.Name), keyPos: []byte(cfg.Name),
		keySch: []byte(cfg.Name + ".schema"), pending: map[string][]byte{}}
	if _, err := rlog.EnsureTopic(ctx, l, k.topic, rlog.TopicConfig{Partitions: 1, Compact: true}); err != nil {
		return nil, fmt.Errorf("mysqlcdc: position topic: %w", err)
	}
	return k, nil
}

// load (re)creates the producer, which aborts a transaction a killed
// reader left open and fences any other reader with this identity, then
// reads the position topic to its end.
func (k *kafkaPositions) load(ctx context.Context) (Position, schemas, bool, error) {
	if k.p != nil {
		k.p.Close()
		k.p = nil
	}
	p, err := k.l.NewProducer(ctx, kafka.ProducerOptions{TransactionalID: k.cfg.TransactionalID,
		TransactionTimeout: k.cfg.TransactionTimeout, Logger: k.cfg.Logger})
	if err != nil {
		return Position{}, nil, false, fmt.Errorf("mysqlcdc: %w", err)
	}
	k.p = p
	raw, sraw, err := readKafkaPositions(ctx, k.l, k.topic, k.cfg.Name)
	if err != nil || raw == nil {
		return Position{}, nil, false, err
	}
	return decodeStored(raw, sraw)
}

// readKafkaPositions returns the last committed position and schema values
// (nil: none, or deleted) once no transaction is open on the topic: a
// transaction left open hides everything after it from read_committed.
func readKafkaPositions(ctx context.Context, l *kafka.Log, topic, name string) (pos, sch []byte, err error) {
	tp := rlog.TopicPartition{Topic: topic, Partition: 0}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := l.WaitStable(wctx, tp); err != nil {
		return nil, nil, fmt.Errorf("mysqlcdc: position topic %s: waiting for open transactions to end: %w", topic, err)
	}
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		return nil, nil, fmt.Errorf("mysqlcdc: position topic %s: %w", topic, err)
	}
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("mysqlcdc: position topic %s: %w", topic, err)
		}
		if len(recs) == 0 {
			break // only transaction markers are left
		}
		for _, r := range recs {
			switch string(r.Key) {
			case name:
				pos = r.Value
			case name + ".schema":
				sch = r.Value
			}
		}
		off = recs[len(recs)-1].Offset + 1
	}
	return pos, sch, nil
}

func (k *kafkaPositions) putPosition(p Position) error {
	b, _ := json.Marshal(p) // plain struct: cannot fail
	k.pending[string(k.keyPos)] = b
	return nil
}

func (k *kafkaPositions) putSchemas(s schemas) error {
	k.pending[string(k.keySch)] = s.encode()
	return nil
}

func (k *kafkaPositions) reset() error {
	k.pending[string(k.keyPos)] = nil
	k.pending[string(k.keySch)] = nil
	return nil
}

func (k *kafkaPositions) commit(ctx context.Context, recs []rlog.Record) error {
	if k.p == nil {
		return errors.New("mysqlcdc: commit before load")
	}
	// Schemas first: a reader sees the position only with its layouts.
	for _, key := range [][]byte{k.keySch, k.keyPos} {
		if v, ok := k.pending[string(key)]; ok {
			recs = append(recs, rlog.Record{Topic: k.topic, Partition: 0, Key: key, Value: v})
		}
	}
	if err := k.p.Commit(ctx, recs); err != nil {
		return fmt.Errorf("mysqlcdc: commit to Kafka: %w", err)
	}
	clear(k.pending)
	return nil
}

func (k *kafkaPositions) discard() { clear(k.pending) }

func (k *kafkaPositions) close() {
	if k.p != nil {
		k.p.Close()
	}
}
