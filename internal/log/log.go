package log

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Errors shared by all implementations. Callers test them with errors.Is.
var (
	ErrUnknownTopic       = errors.New("unknown topic")
	ErrTopicExists        = errors.New("topic already exists")
	ErrOffsetOutOfRange   = errors.New("offset out of range")
	ErrRecordTooLarge     = errors.New("record too large")
	ErrInvalidTopicConfig = errors.New("invalid topic config")
	ErrClosed             = errors.New("log closed")
)

// Header is a record header, as in Kafka.
type Header struct {
	Key   string
	Value []byte
}

// Record is one entry of a topic partition.
//
// Producers set Topic, Key, Value, Headers and Timestamp; Partition < 0 (or
// AutoPartition) lets the log choose from the key. Fetch fills every field.
// A nil Value is a tombstone (Kafka's null value); a nil Key is a null key.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	// Timestamp is the record's create time in epoch milliseconds; zero
	// means unset and the log stamps the append time (so event time 0,
	// 1970-01-01T00:00:00Z, cannot be represented).
	Timestamp int64
}

// AutoPartition asks the log to choose the partition from the key.
const AutoPartition int32 = -1

// Header returns the value of the last header named key, or nil.
func (r *Record) Header(key string) []byte {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value
		}
	}
	return nil
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// TopicConfig is a topic's layout and retention, as in Kafka's topic configs.
type TopicConfig struct {
	// Partitions is fixed at creation (jobs run one task per partition).
	Partitions int32
	// Retention deletes records older than this (by append time); 0 keeps forever.
	Retention time.Duration
	// RetentionBytes caps each partition's size; 0 means unlimited.
	RetentionBytes int64
	// Compact keeps at least the latest record per key, as Kafka's
	// cleanup.policy=compact (changelog topics). The embedded log keeps
	// every record, which satisfies that contract.
	Compact bool
}

// Validate reports a descriptive error for an unusable config.
func (c TopicConfig) Validate() error {
	switch {
	case c.Partitions < 1:
		return fmt.Errorf("%w: partitions must be >= 1, got %d", ErrInvalidTopicConfig, c.Partitions)
	case c.Partitions > 4096:
		return fmt.Errorf("%w: partitions must be <= 4096, got %d", ErrInvalidTopicConfig, c.Partitions)
	case c.Retention < 0:
		return fmt.Errorf("%w: retention must be >= 0, got %s", ErrInvalidTopicConfig, c.Retention)
	case c.RetentionBytes < 0:
		return fmt.Errorf("%w: retention bytes must be >= 0, got %d", ErrInvalidTopicConfig, c.RetentionBytes)
	}
	return nil
}

// TopicInfo describes an existing topic.
type TopicInfo struct {
	Name string
	TopicConfig
}

// Txn is one atomic unit of work: either all of it becomes visible or none.
//
// It is how a task checkpoints: the records it produced since the last
// checkpoint, the input offsets it consumed up to, and its state changes.
type Txn struct {
	Records []Record
	// Group and Offsets: the next offset to consume per input partition.
	Group   string
	Offsets map[TopicPartition]int64
	// State, if not nil, is a batch of keyed-state writes made on the store
	// returned by StateStore; the log commits it atomically with the rest.
	// The log may add its own writes to it (the embedded log commits its
	// bookkeeping in it rather than copy it): once Commit returns, whether
	// it succeeded or not, the batch is only good for Close.
	State *pebble.Batch
}

// Log is a partitioned record log with consumer groups and transactions.
// Implementations are safe for concurrent use.
type Log interface {
	// CreateTopic creates a topic; ErrTopicExists if it exists.
	CreateTopic(ctx context.Context, name string, cfg TopicConfig) error
	// DescribeTopic returns a topic's config; ErrUnknownTopic if missing.
	DescribeTopic(ctx context.Context, name string) (TopicInfo, error)
	// ListTopics returns all topics sorted by name.
	ListTopics(ctx context.Context) ([]TopicInfo, error)

	// Produce appends records outside any transaction; each record is
	// durable and visible when Produce returns. Unknown topics are errors.
	Produce(ctx context.Context, recs ...Record) error
	// Commit applies a Txn atomically.
	Commit(ctx context.Context, txn *Txn) error

	// Fetch returns up to max committed records of tp starting at offset,
	// waiting up to wait for at least one record. An offset below the log
	// start (deleted by retention) or above the end is ErrOffsetOutOfRange.
	Fetch(ctx context.Context, tp TopicPartition, offset int64, max int, wait time.Duration) ([]Record, error)
	// Offsets returns the first available offset and the end offset (the
	// offset the next record will get) of tp.
	Offsets(ctx context.Context, tp TopicPartition) (start, end int64, err error)

	// CommittedOffset returns a group's committed offset for tp (ok=false if none).
	CommittedOffset(ctx context.Context, group string, tp TopicPartition) (offset int64, ok bool, err error)
	// CommitOffsets stores a group's offsets outside any transaction.
	CommitOffsets(ctx context.Context, group string, offsets map[TopicPartition]int64) error

	// StateStore returns the local store keyed state lives in. Batches made
	// on it may be passed as Txn.State.
	StateStore() *pebble.DB

	Close() error
}

// RecordDeleter is implemented by logs that delete a partition's records
// below an offset on request, as Kafka's DeleteRecords: the partition's
// start moves up to the offset (reads below it are ErrOffsetOutOfRange)
// and the storage of the deleted records is freed. The engine uses it to
// purge the records of its repartition topics once every consumer has
// committed past them.
type RecordDeleter interface {
	// DeleteRecords deletes the records of each partition below its
	// offset. An offset at or below the partition's start deletes
	// nothing; one above its end is ErrOffsetOutOfRange.
	DeleteRecords(ctx context.Context, before map[TopicPartition]int64) error
}

// TopicAdmin is implemented by logs that delete and alter topics, as
// kafka-topics --delete and --alter.
type TopicAdmin interface {
	// DeleteTopic deletes a topic, its records and the committed offsets
	// of every group on it; ErrUnknownTopic if missing.
	DeleteTopic(ctx context.Context, name string) error
	// AlterTopic changes what a is set in; ErrUnknownTopic if missing.
	AlterTopic(ctx context.Context, name string, a TopicAlter) error
}

// TopicAlter is a change of a topic's config: nil fields stay as they are.
type TopicAlter struct {
	// Partitions, if set, is the new partition count: more than today
	// (partitions cannot be removed). Logs that cannot add partitions
	// (the embedded log: jobs keep state per partition) refuse it.
	Partitions *int32
	// Retention and RetentionBytes: 0 keeps forever, or has no cap.
	Retention      *time.Duration
	RetentionBytes *int64
}

// GroupLister is implemented by logs that list consumer groups and their
// committed offsets (a job's group is its name; kafka-consumer-groups
// --describe).
type GroupLister interface {
	// ListGroups returns the groups with committed offsets, sorted.
	ListGroups(ctx context.Context) ([]string, error)
	// GroupOffsets returns every committed offset of group (none: empty).
	GroupOffsets(ctx context.Context, group string) (map[TopicPartition]int64, error)
}

// TimeIndex is implemented by logs that find offsets by record time, as
// Kafka's ListOffsets with a timestamp.
type TimeIndex interface {
	// OffsetForTime returns the first offset of tp whose record timestamp
	// is at or after ts (epoch milliseconds), or the end offset if no
	// record is.
	OffsetForTime(ctx context.Context, tp TopicPartition, ts int64) (int64, error)
}

// OffsetForTime finds the first offset of tp at or after ts: with the
// log's TimeIndex if it has one, else by reading the partition.
func OffsetForTime(ctx context.Context, l Log, tp TopicPartition, ts int64) (int64, error) {
	if ti, ok := l.(TimeIndex); ok {
		return ti.OffsetForTime(ctx, tp, ts)
	}
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		return 0, err
	}
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 1000, 0)
		if errors.Is(err, ErrOffsetOutOfRange) {
			if off, _, err = l.Offsets(ctx, tp); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Timestamp >= ts {
				return r.Offset, nil
			}
			off = r.Offset + 1
		}
	}
	return end, nil
}

var topicNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// ValidTopicName applies Kafka's topic naming rules.
func ValidTopicName(name string) error {
	if !topicNameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%w: topic name %q must be 1-249 of [a-zA-Z0-9._-]", ErrInvalidTopicConfig, name)
	}
	return nil
}

// EnsureTopic creates a topic if it is missing and returns its description.
// An existing topic keeps its config (its partition count is authoritative).
func EnsureTopic(ctx context.Context, l Log, name string, cfg TopicConfig) (TopicInfo, error) {
	err := l.CreateTopic(ctx, name, cfg)
	if err != nil && !errors.Is(err, ErrTopicExists) {
		return TopicInfo{}, err
	}
	// A Kafka cluster's metadata may lag a topic's creation for a moment.
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		info, err := l.DescribeTopic(ctx, name)
		if !errors.Is(err, ErrUnknownTopic) || wait > 3*time.Second {
			return info, err
		}
		select {
		case <-ctx.Done():
			return info, err
		case <-time.After(wait):
		}
	}
}
