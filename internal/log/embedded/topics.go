package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Topic administration and group listing: rlog.TopicAdmin and
// rlog.GroupLister (rtdw topic delete / alter, rtdw job ...).

var (
	_ rlog.TopicAdmin  = (*Log)(nil)
	_ rlog.GroupLister = (*Log)(nil)
)

// DeleteTopic implements log.TopicAdmin: the topic's metadata, offsets,
// index and the committed offsets of every group on it go in one synced
// batch, then its segment files. A crash in between leaves only files no
// topic refers to, removed by the next DeleteTopic. Fetches waiting on
// the topic see it unknown when they ask again.
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	t, err := l.topic(name)
	if err != nil {
		return err
	}
	b := l.db.NewBatch()
	defer b.Close()
	if err := b.Delete(topicKey(name), nil); err != nil {
		return err
	}
	for _, ns := range []byte{nsStart, nsIndex, nsSeg, nsEnd} {
		p := partKey(ns, t.id, 0)[:5] // ns + topic id
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	// Group offsets on the topic: its id may be given to a new topic after
	// a restart (ids restart above the largest in use).
	err = l.eachGroupKey(nil, func(key []byte, _ string, id uint32, _ int32, _ int64) error {
		if id == t.id {
			return b.Delete(key, nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", name, err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("delete topic %s: %w", name, err)
	}
	l.tmu.Lock()
	delete(l.topics, name)
	l.tmu.Unlock()
	for _, p := range t.parts {
		p.segs.mu.Lock()
		for _, s := range p.segs.list {
			s.f.Close()
		}
		p.segs.list = nil
		p.segs.mu.Unlock()
		p.wake()
	}
	return l.removeOrphanSegments()
}

// removeOrphanSegments removes the segment directories of topics that no
// longer exist. Called under l.mu.
func (l *Log) removeOrphanSegments() error {
	root := filepath.Join(l.opts.Dir, "segments")
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	live := map[string]bool{}
	for _, t := range l.topics {
		live[strconv.FormatUint(uint64(t.id), 10)] = true
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && !live[e.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(root, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// AlterTopic implements log.TopicAdmin for retention; the partition count
// is fixed (jobs run one task per partition and keep their state by it).
func (l *Log) AlterTopic(ctx context.Context, name string, a rlog.TopicAlter) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	t, err := l.topic(name)
	if err != nil {
		return err
	}
	info := t.info
	if a.Partitions != nil && *a.Partitions != info.Partitions {
		return fmt.Errorf("%w: topic %s: the embedded log cannot change a topic's partitions (%d): jobs keep state per partition; create a new topic and copy it",
			rlog.ErrInvalidTopicConfig, name, info.Partitions)
	}
	if a.Retention != nil {
		info.Retention = *a.Retention
	}
	if a.RetentionBytes != nil {
		info.RetentionBytes = *a.RetentionBytes
	}
	if err := info.Validate(); err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	m := topicMeta{ID: t.id, Partitions: info.Partitions, RetentionMs: info.Retention.Milliseconds(), RetentionBytes: info.RetentionBytes}
	v, _ := json.Marshal(m)
	if err := l.db.Set(topicKey(name), v, pebble.Sync); err != nil {
		return fmt.Errorf("alter topic %q: %w", name, err)
	}
	// A new topic value: holders of the old one read its info unlocked.
	nt := &topic{id: t.id, info: info, parts: t.parts}
	l.tmu.Lock()
	l.topics[name] = nt
	l.tmu.Unlock()
	return nil
}

// ListGroups implements log.GroupLister: the groups with a committed
// offset on an existing topic.
func (l *Log) ListGroups(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	names := l.topicNames()
	err := l.readGroups(nil, func(_ []byte, group string, id uint32, _ int32, _ int64) error {
		if _, ok := names[id]; ok {
			seen[group] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out, nil
}

// GroupOffsets implements log.GroupLister.
func (l *Log) GroupOffsets(ctx context.Context, group string) (map[rlog.TopicPartition]int64, error) {
	names := l.topicNames()
	out := map[rlog.TopicPartition]int64{}
	prefix := append(append([]byte{nsGroup}, group...), 0)
	err := l.readGroups(prefix, func(_ []byte, g string, id uint32, part int32, off int64) error {
		if name, ok := names[id]; ok && g == group {
			out[rlog.TopicPartition{Topic: name, Partition: part}] = off
		}
		return nil
	})
	return out, err
}

func (l *Log) topicNames() map[uint32]string {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	names := make(map[uint32]string, len(l.topics))
	for n, t := range l.topics {
		names[t.id] = n
	}
	return names
}

// readGroups is eachGroupKey for readers (not under l.mu).
func (l *Log) readGroups(prefix []byte, fn func(key []byte, group string, id uint32, part int32, off int64) error) error {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.isClosed() {
		return rlog.ErrClosed
	}
	return l.eachGroupKey(prefix, fn)
}

// eachGroupKey calls fn for every committed group offset whose key starts
// with prefix (nil: all). Keys are nsGroup group 0x00 topicID part; key
// is valid during the call only.
func (l *Log) eachGroupKey(prefix []byte, fn func(key []byte, group string, id uint32, part int32, off int64) error) error {
	if prefix == nil {
		prefix = []byte{nsGroup}
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 10 || len(it.Value()) != 8 {
			continue
		}
		n := len(k)
		group := string(k[1 : n-9])
		id := binary.BigEndian.Uint32(k[n-8:])
		part := int32(binary.BigEndian.Uint32(k[n-4:]))
		off := int64(binary.BigEndian.Uint64(it.Value()))
		if err := fn(k, group, id, part, off); err != nil {
			return err
		}
	}
	return it.Error()
}
