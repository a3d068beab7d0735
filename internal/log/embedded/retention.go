package embedded

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
)

func (l *Log) retentionLoop() {
	defer l.bg.Done()
	t := time.NewTicker(l.opts.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-l.closing:
			return
		case <-t.C:
			if _, err := l.EnforceRetention(); err != nil {
				l.opts.Logger.Error("retention failed", "err", err)
			}
		}
	}
}

// EnforceRetention deletes whole segments, oldest first, as Kafka's log
// cleaner does with the delete policy: a segment goes when its newest record
// is older than the topic's Retention, or while the partition without it
// still holds at least RetentionBytes. The active (last) segment is kept.
// It returns the number of records deleted.
func (l *Log) EnforceRetention() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return 0, rlog.ErrClosed
	}
	now := l.opts.Now().UnixMilli()
	var deleted int64
	for _, t := range l.topics {
		if t.info.Retention <= 0 && t.info.RetentionBytes <= 0 {
			continue
		}
		for i, p := range t.parts {
			part := int32(i)
			list := p.segs.snapshot()
			var total int64
			for _, s := range list {
				total += s.size
			}
			n := 0
			for n < len(list)-1 {
				s := list[n]
				byTime := t.info.Retention > 0 && s.maxTime < now-t.info.Retention.Milliseconds()
				bySize := t.info.RetentionBytes > 0 && total-s.size >= t.info.RetentionBytes
				if !byTime && !bySize {
					break
				}
				total -= s.size
				n++
			}
			if n == 0 {
				continue
			}
			start, newStart := p.start.Load(), list[n].base
			if err := l.cutStart(t, part, p, list, n, newStart); err != nil {
				return deleted, fmt.Errorf("retention %s/%d: %w", t.info.Name, i, err)
			}
			deleted += newStart - start
		}
	}
	return deleted, nil
}

// DeleteRecords implements log.RecordDeleter: each partition's start
// moves up to its offset, and whole segments below it are deleted (the
// segment holding the new start stays; the records before the start in
// it are no longer read). Moving the start alone is written without an
// fsync: if a crash loses it, the start goes back to records that are
// still there, which is harmless; deleting segments is made durable
// before their files go, as retention does.
func (l *Log) DeleteRecords(ctx context.Context, before map[rlog.TopicPartition]int64) error {
	tps := make([]rlog.TopicPartition, 0, len(before))
	for tp := range before {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		return tps[i].Topic < tps[j].Topic || tps[i].Topic == tps[j].Topic && tps[i].Partition < tps[j].Partition
	})
	for _, tp := range tps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.deleteRecords(tp, before[tp]); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) deleteRecords(tp rlog.TopicPartition, offset int64) error {
	t, p, err := l.part(tp)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	start, end := p.start.Load(), p.end.Load()
	if offset > end {
		return fmt.Errorf("%w: delete records of %s below %d: its end is %d", rlog.ErrOffsetOutOfRange, tp, offset, end)
	}
	if offset <= start {
		return nil
	}
	// Segment i holds [list[i].base, list[i+1].base); the active (last)
	// one is kept, as by retention.
	list := p.segs.snapshot()
	n := 0
	for n < len(list)-1 && list[n+1].base <= offset {
		n++
	}
	if err := l.cutStart(t, tp.Partition, p, list, n, offset); err != nil {
		return fmt.Errorf("delete records of %s: %w", tp, err)
	}
	return nil
}

// cutStart moves the start of partition part of t to start and deletes
// its first n segments (list is its segments; start >= list[n].base), as
// retention and DeleteRecords do. Called under l.mu. Deleting segments is
// made durable before their files go; moving the start alone is written
// without an fsync (if a crash loses it, the start goes back to records
// that are still there).
func (l *Log) cutStart(t *topic, part int32, p *partition, list []*segment, n int, start int64) error {
	b := l.db.NewBatch()
	defer b.Close()
	for _, s := range list[:n] {
		_ = b.Delete(partOffKey(nsSeg, t.id, part, s.base), nil)
	}
	if n > 0 {
		_ = b.DeleteRange(partKey(nsIndex, t.id, part), partOffKey(nsIndex, t.id, part, list[n].base), nil)
	}
	_ = b.Set(partKey(nsStart, t.id, part), u64(start), nil)
	op := pebble.NoSync
	if n > 0 {
		op = l.writeOp
	}
	if err := b.Commit(op); err != nil {
		return err
	}
	p.segs.mu.Lock()
	if n > 0 {
		p.segs.list = append([]*segment(nil), list[n:]...)
	}
	p.start.Store(start)
	p.segs.mu.Unlock()
	for _, s := range list[:n] {
		s.f.Close()
		os.Remove(s.f.Name())
	}
	return nil
}
