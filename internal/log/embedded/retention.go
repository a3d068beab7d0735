package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// EnforceRetention deletes records older than each topic's Retention (by
// append time) and beyond its RetentionBytes per partition, as Kafka's log
// cleaner does with delete policy. It returns the number of records deleted.
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
			start, end := p.start.Load(), p.end.Load()
			newStart := start
			var ferr error
			if t.info.Retention > 0 {
				cutoff := now - t.info.Retention.Milliseconds()
				newStart = max(newStart, l.search(t.id, int32(i), start, end, &ferr, func(m storedMeta, _ int64) bool { return m.appendTime >= cutoff }))
			}
			if t.info.RetentionBytes > 0 && p.position > t.info.RetentionBytes {
				keepFrom := p.position - t.info.RetentionBytes
				newStart = max(newStart, l.search(t.id, int32(i), start, end, &ferr, func(m storedMeta, _ int64) bool { return m.position >= keepFrom }))
			}
			if ferr != nil {
				return deleted, fmt.Errorf("retention %s/%d: %w", t.info.Name, i, ferr)
			}
			if newStart == start {
				continue
			}
			b := l.db.NewBatch()
			_ = b.DeleteRange(recordKey(nil, t.id, int32(i), start), recordKey(nil, t.id, int32(i), newStart), nil)
			var v [8]byte
			binary.BigEndian.PutUint64(v[:], uint64(newStart))
			_ = b.Set(partPrefix(nsStart, t.id, int32(i)), v[:], nil)
			err := b.Commit(l.writeOp)
			b.Close()
			if err != nil {
				return deleted, fmt.Errorf("retention %s/%d: %w", t.info.Name, i, err)
			}
			p.start.Store(newStart)
			deleted += newStart - start
		}
	}
	return deleted, nil
}

// search returns the first offset in [lo, hi) whose metadata satisfies keep
// (keep must be monotonic in the offset), or hi.
func (l *Log) search(id uint32, part int32, lo, hi int64, ferr *error, keep func(storedMeta, int64) bool) int64 {
	n := sort.Search(int(hi-lo), func(i int) bool {
		off := lo + int64(i)
		v, c, err := l.db.Get(recordKey(nil, id, part, off))
		if err != nil {
			if !errors.Is(err, pebble.ErrNotFound) {
				*ferr = err
			}
			return true
		}
		defer c.Close()
		var r rlog.Record
		m, err := decodeRecord(v, &r)
		if err != nil {
			*ferr = err
			return true
		}
		return keep(m, off)
	})
	if *ferr != nil {
		return lo
	}
	return lo + int64(n)
}
