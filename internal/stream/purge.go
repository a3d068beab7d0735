package stream

import (
	"context"
	"log/slog"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Purging repartition topics. A repartition topic belongs to its job:
// partition p is written by the job's tasks and read by one consumer
// only, the job's task p (the consumer group is the job's), which resumes
// at its committed offset after a restart, a failure or a move to
// another worker. Records below that offset are never read again: what
// the watermark markers among them said is kept in the task's committed
// metadata (the producer clocks). So, as Kafka Streams does
// (repartition.purge.interval.ms), after a checkpoint commits, at most
// every Options.PurgeInterval, the records of a task's repartition inputs
// below their committed offsets are deleted through log.RecordDeleter:
// the embedded log moves the partition's start and deletes the segments
// wholly below it; Kafka moves the log start offset (DeleteRecords) and
// its brokers delete the segments.
//
// A purge is housekeeping: one that fails is logged and done at the next
// one, never failing the checkpoint. Nothing else is purged: sources and
// sinks are the users' topics, and changelog topics are compacted state
// that every restore reads from the start. A consumer group rewound below
// a purged offset (resetting a job by hand) resumes at the partition's
// start, as after retention.

// purger remembers what a task (embedded) or a worker (cluster) purged.
type purger struct {
	last time.Time
	done map[rlog.TopicPartition]int64 // deleted below this offset
}

// purge deletes, when due, the records of the repartition inputs of ts
// below their committed offsets.
func (p *purger) purge(ctx context.Context, o *Options, logger *slog.Logger, ts ...*task) {
	if o.PurgeInterval < 0 {
		return
	}
	d, ok := o.Log.(rlog.RecordDeleter)
	if !ok {
		return
	}
	now := o.Now()
	if !p.last.IsZero() && now.Sub(p.last) < o.PurgeInterval {
		return
	}
	before := map[rlog.TopicPartition]int64{}
	for _, t := range ts {
		for _, s := range t.segs {
			// committed is the offset the log (embedded) or the session's
			// transaction (cluster) committed for this input; 0 before a
			// cluster task's first commit.
			if s.node.kind == kindKeyBy && s.committed > 0 && s.committed > p.done[s.tp] {
				before[s.tp] = s.committed
			}
		}
	}
	if len(before) == 0 {
		return
	}
	p.last = now
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.DeleteRecords(ctx, before); err != nil {
		logger.Warn("purging consumed repartition records failed; the next purge retries", "err", err)
		return
	}
	if p.done == nil {
		p.done = map[rlog.TopicPartition]int64{}
	}
	for tp, off := range before {
		p.done[tp] = off
	}
}
