package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
)

// In cluster mode a task's keyed state lives in the worker's local Pebble
// and, durably, in one compacted changelog topic per stateful operator
// (partition = task partition), written in the same transaction as the
// task's outputs and input offsets. A changelog record's key is a kind
// byte and the state key: 's'+key with 'v'+value (null, a tombstone, for a
// deletion), or 'r'+start with the range's end for a range deletion.
// Separate key spaces keep compaction (latest record per key, order
// kept) from dropping a range deletion in favour of a later write whose
// key happens to equal the range start.
const (
	changelogSet   = 's'
	changelogRange = 'r'
	changelogValue = 'v'
)

// ChangelogTopic names the changelog of one operator's state, next to the
// job's repartition topics.
func ChangelogTopic(job, operator string) string {
	return "_rtdw-" + job + "-" + sanitize(operator) + "-changelog"
}

// appendChangelog appends the changelog records of t's checkpoint batch,
// creating changelog topics the first time an operator writes state.
func (w *jobWorker) appendChangelog(ctx context.Context, recs []rlog.Record, t *task) ([]rlog.Record, error) {
	r := t.store.Batch().Reader()
	for {
		kind, key, value, ok, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("changelog of %s: %w", t, err)
		}
		if !ok {
			return recs, nil
		}
		sc, ok := state.ScopeOf(key)
		if !ok || sc.Partition != t.part {
			return nil, fmt.Errorf("changelog of %s: state key %q outside the task's scopes", t, key)
		}
		topic := ChangelogTopic(t.job.Name, sc.Operator)
		if !w.changelogs[topic] {
			want := w.lay.parallelism[t.stages[0].stage]
			info, err := rlog.EnsureTopic(ctx, w.o.Log, topic, rlog.TopicConfig{Partitions: want, Compact: true})
			if err != nil {
				return nil, fmt.Errorf("changelog topic: %w", err)
			}
			if info.Partitions < want {
				return nil, fmt.Errorf("changelog topic %s has %d partitions but the job runs %d tasks: its inputs gained partitions, which moves keys away from their state; reset the job (delete its changelog and repartition topics and its group) to run with the new count", topic, info.Partitions, want)
			}
			w.changelogs[topic] = true
		}
		var rec rlog.Record
		switch kind {
		case pebble.InternalKeyKindSet:
			// The value is prefixed so an empty value (a timer) can never
			// be mistaken for a tombstone by a client that reads a
			// zero-length value as null.
			rec = rlog.Record{Key: append([]byte{changelogSet}, key...), Value: append([]byte{changelogValue}, value...)}
		case pebble.InternalKeyKindDelete, pebble.InternalKeyKindSingleDelete, pebble.InternalKeyKindDeleteSized:
			rec = rlog.Record{Key: append([]byte{changelogSet}, key...)}
		case pebble.InternalKeyKindRangeDelete:
			rec = rlog.Record{Key: append([]byte{changelogRange}, key...), Value: append([]byte(nil), value...)}
		default:
			return nil, fmt.Errorf("changelog of %s: unsupported state operation %v", t, kind)
		}
		if n := len(rec.Key) + len(rec.Value); n > w.o.MaxRecordBytes {
			return nil, fmt.Errorf("changelog of %s: a state entry of operator %s is %d bytes, more than a Kafka record may be (max_record_bytes %d)", t, sc.Operator, n, w.o.MaxRecordBytes)
		}
		rec.Topic, rec.Partition = topic, t.part
		recs = append(recs, rec)
	}
}

// restoreState rebuilds partition p's state of a group of stages in the
// local store from the changelogs: cleared first (it may be stale from an
// earlier ownership), then replayed up to the changelog's stable end.
func (w *jobWorker) restoreState(ctx context.Context, g []*stage, p int32) error {
	for _, st := range g {
		ops := []string{metaOperator(st)}
		for _, n := range st.nodes {
			if n.kind == kindOperator {
				ops = append(ops, n.Name)
			}
		}
		for _, op := range ops {
			if err := state.ClearScope(w.o.State, state.Scope{Job: w.job.Name, Operator: op, Partition: p}); err != nil {
				return err
			}
			topic := ChangelogTopic(w.job.Name, op)
			if _, err := w.o.Log.DescribeTopic(ctx, topic); errors.Is(err, rlog.ErrUnknownTopic) {
				continue // the operator never wrote state
			} else if err != nil {
				return err
			}
			w.changelogs[topic] = true
			if err := w.replay(ctx, rlog.TopicPartition{Topic: topic, Partition: p}); err != nil {
				return fmt.Errorf("restore %s: %w", topic, err)
			}
		}
	}
	return nil
}

// replay applies a changelog partition to the local store. It first waits
// until no transaction is open on the partition: one left open by a
// stopped or killed worker hides (from read_committed readers) everything
// after it, including later committed writes, until the broker aborts it
// at its transaction timeout.
func (w *jobWorker) replay(ctx context.Context, tp rlog.TopicPartition) error {
	if sc, ok := w.o.Log.(stableChecker); ok {
		warned := false
		for {
			stable, err := sc.Stable(ctx, tp)
			if err != nil {
				return err
			}
			if stable {
				break
			}
			if !warned {
				w.logger.Warn("waiting for an open transaction on a changelog to end (a stopped or killed worker's; the broker aborts it at its transaction timeout)", "topic", tp.Topic, "partition", tp.Partition)
				warned = true
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	start, end, err := w.o.Log.Offsets(ctx, tp)
	if err != nil {
		return err
	}
	for off := start; off < end; {
		recs, err := w.o.Log.Fetch(ctx, tp, off, 10000, time.Second)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			// Only transaction markers remain below end.
			break
		}
		b := w.o.State.NewBatch()
		for i := range recs {
			r := &recs[i]
			off = r.Offset + 1
			if r.Offset >= end {
				break
			}
			switch {
			case len(r.Key) > 0 && r.Key[0] == changelogSet && len(r.Value) == 0:
				err = b.Delete(r.Key[1:], nil)
			case len(r.Key) > 0 && r.Key[0] == changelogSet && r.Value[0] == changelogValue:
				err = b.Set(r.Key[1:], r.Value[1:], nil)
			case len(r.Key) > 0 && r.Key[0] == changelogRange:
				err = b.DeleteRange(r.Key[1:], r.Value, nil)
			default:
				err = fmt.Errorf("offset %d: not a changelog record (key %q)", r.Offset, r.Key)
			}
			if err != nil {
				b.Close()
				return err
			}
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return err
		}
	}
	return nil
}
