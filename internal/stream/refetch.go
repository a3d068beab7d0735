package stream

import (
	"context"
	"errors"
	"fmt"

	rlog "github.com/rtdw/rtdw/internal/log"
)

var (
	// ErrGone: the log no longer has a record an operator asked back
	// (Context.Refetch): retention deleted it.
	ErrGone = errors.New("record no longer in the log")
	// ErrNoRefetch: the engine cannot read records of that input back
	// (Context.CanRefetch).
	ErrNoRefetch = errors.New("records of this input cannot be read back")
)

// refetcher is an owner that can read a record of its input back.
type refetcher interface {
	canRefetch(tp rlog.TopicPartition) bool
	refetch(tp rlog.TopicPartition, offset int64) (rlog.Record, error)
}

// CanRefetch reports whether Refetch can read records of tp back: an
// external input topic (repartition topics are purged once their
// consumers checkpoint) of an embedded run, where a read is a local
// one. Cluster workers keep copies: a Kafka round trip per record would
// cost more than the state it saves.
func (c *Context) CanRefetch(tp rlog.TopicPartition) bool {
	if c.in == nil {
		return false
	}
	r, ok := c.in.own.(refetcher)
	return ok && r.canRefetch(tp)
}

// Refetch reads back the input record at offset of tp, as it was read
// (key, value, headers) with its source position and the given event
// time. An operator that holds a record only until it decides it can keep
// its position instead of a copy (operator.Broadcast's pins) and read it
// back in the rare case it needs the bytes. ErrGone: retention deleted it;
// ErrNoRefetch: CanRefetch(tp) is false.
func (c *Context) Refetch(tp rlog.TopicPartition, offset, time int64) (Record, error) {
	if !c.CanRefetch(tp) {
		return Record{}, fmt.Errorf("refetch %s@%d: %w", tp, offset, ErrNoRefetch)
	}
	lr, err := c.in.own.(refetcher).refetch(tp, offset)
	if err != nil {
		return Record{}, fmt.Errorf("refetch %s@%d: %w", tp, offset, err)
	}
	rec := Record{Key: lr.Key, Value: lr.Value, Headers: lr.Headers, Time: time, Source: tp, Offset: offset}
	c.Adopt(&rec)
	return rec, nil
}

func (t *task) canRefetch(tp rlog.TopicPartition) bool {
	return !t.cluster && !isRepartitionTopic(tp.Topic) && t.o.Log != nil
}

func (t *task) refetch(tp rlog.TopicPartition, offset int64) (rlog.Record, error) {
	recs, err := t.o.Log.Fetch(context.Background(), tp, offset, 1, 0)
	if errors.Is(err, rlog.ErrOffsetOutOfRange) || err == nil && (len(recs) == 0 || recs[0].Offset != offset) {
		return rlog.Record{}, ErrGone
	}
	if err != nil {
		return rlog.Record{}, err
	}
	return recs[0], nil
}
