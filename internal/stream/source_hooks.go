package stream

import (
	"context"
	"fmt"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
)

// Hooks for table connectors (internal/sql/connector): a typed source that
// decodes the whole record (key, headers and position besides the value),
// a source that starts somewhere else than the beginning of its topic, and
// operators told when their checkpoint has committed.

// RecordDecode decodes an input record into typed rows, as RowDecode does
// with the value alone: for a table whose columns also come from the
// record's key (Kafka's key.fields) and metadata (its topic, partition,
// offset, timestamp and headers: rec.Source, rec.Offset, rec.Time, which
// is then the log timestamp, and rec.Headers). Unlike a RowDecode, it
// also sees tombstones and empty records (an empty Value: upsert-kafka's
// deletes), which byte and RowDecode sources skip. It must not modify rec;
// the rows are only valid during the call. A BadInputError dead-letters
// the record.
type RecordDecode func(rec *Record, emit func(*row.Row)) error

// DecodedRecords makes a typed source whose decoder sees whole records (see
// RecordDecode); it replaces Decoded.
func DecodedRecords(newDecode func() RecordDecode) SourceOption {
	return func(o *SourceOptions) { o.DecodeRecord = newDecode }
}

// StartOffset returns where a job with no committed offset for tp starts
// reading it; start and end are the partition's first and end offsets.
// The result is clamped to [start, end].
type StartOffset func(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error)

// StartAt sets where the source starts on partitions the job has no
// committed offset for (Flink's scan.startup.mode; the default is the
// beginning). It applies once: the chosen offset is committed at the first
// checkpoint, so a restart resumes there rather than choosing again.
// Runs on Kafka workers (RunWorker) start from their consumer group's
// offsets or the beginning, whatever this says.
func StartAt(fn StartOffset) SourceOption {
	return func(o *SourceOptions) { o.Start = fn }
}

// CheckpointListener is told, after a checkpoint has committed, that
// everything the operator did before it (its PrepareCheckpoint included)
// is durable: Flink's notifyCheckpointComplete. A sink that stages its
// output (in-progress files) publishes it here. The call may never come
// (a crash right after the commit): the operator must then finish the
// publication when it is opened again on the committed state. An error
// fails the task, which restarts from the committed checkpoint.
type CheckpointListener interface {
	CheckpointCommitted() error
}

// recordDecoder returns the source's decoder for one task: its
// RecordDecode, or its RowDecode on the record's value; nil for a byte
// source.
func (o *SourceOptions) recordDecoder() RecordDecode {
	if o.DecodeRecord != nil {
		return o.DecodeRecord()
	}
	if o.Decode == nil {
		return nil
	}
	d := o.Decode()
	return func(rec *Record, emit func(*row.Row)) error { return d(rec.Value, emit) }
}

// startOffset chooses the first offset of a partition the job has not
// committed: the log start unless the source says otherwise.
func (o *SourceOptions) startOffset(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error) {
	if o.Start == nil {
		return start, nil
	}
	off, err := o.Start(ctx, l, tp, start, end)
	if err != nil {
		return 0, err
	}
	return min(max(off, start), end), nil
}

// notifyCommitted tells the operator its checkpoint committed.
func (i *inst) notifyCommitted() error {
	if l, ok := i.op.(CheckpointListener); ok {
		if err := l.CheckpointCommitted(); err != nil {
			return fmt.Errorf("operator %s checkpoint committed: %w", i.node.Name, err)
		}
	}
	return nil
}

// PushFilter moves a filter into the decoding step of the source s reads,
// before any operator: a row it rejects is never pushed downstream. The
// row still assigns its event time first, so the watermark is the one
// the unfiltered source would have, and the job's results do not depend
// on where the filter runs. It applies only where s is a typed source
// read by one operator, and each stream of through (the operators
// between the source and the filter, which the caller vouches keep the
// source's rows: a projection adding computed columns) is read by one
// operator too; the caller then drops its own filter. It reports
// whether it did.
func (s Stream) PushFilter(filter func(*row.Row) (bool, error), through ...Stream) bool {
	n := s.node
	if n == nil || n.kind != kindSource || n.src.recordDecoder() == nil || n.src.Filter != nil {
		return false
	}
	for _, x := range append([]Stream{s}, through...) {
		if x.node == nil || len(x.node.outs[x.port]) != 1 {
			return false
		}
		for p, outs := range x.node.outs {
			if p != x.port && len(outs) > 0 {
				return false
			}
		}
	}
	n.src.Filter = filter
	return true
}
