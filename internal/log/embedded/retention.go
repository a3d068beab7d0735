package embedded

import (
	"fmt"
	"os"
	"time"

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
			b := l.db.NewBatch()
			for _, s := range list[:n] {
				_ = b.Delete(partOffKey(nsSeg, t.id, part, s.base), nil)
			}
			_ = b.DeleteRange(partKey(nsIndex, t.id, part), partOffKey(nsIndex, t.id, part, newStart), nil)
			_ = b.Set(partKey(nsStart, t.id, part), u64(newStart), nil)
			err := b.Commit(l.writeOp)
			b.Close()
			if err != nil {
				return deleted, fmt.Errorf("retention %s/%d: %w", t.info.Name, i, err)
			}
			p.segs.mu.Lock()
			p.segs.list = append([]*segment(nil), list[n:]...)
			p.start.Store(newStart)
			p.segs.mu.Unlock()
			for _, s := range list[:n] {
				s.f.Close()
				os.Remove(s.f.Name())
			}
			deleted += newStart - start
		}
	}
	return deleted, nil
}
