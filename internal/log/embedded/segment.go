package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// segment is one append-only file of a partition, holding offsets from base.
type segment struct {
	base    int64
	f       *os.File
	size    int64 // committed bytes
	maxTime int64 // largest append time in it (retention by time)
	samefs  bool  // on the data dir's filesystem, which syncFrames may sync whole
}

// segmentDir is the directory of a partition's segment files.
func (l *Log) segmentDir(id uint32, part int32) string {
	return filepath.Join(l.opts.Dir, "segments", strconv.FormatUint(uint64(id), 10), strconv.Itoa(int(part)))
}

func segmentName(base int64) string { return fmt.Sprintf("%020d.log", base) }

// segs is a partition's segment list; readers take it under mu.RLock, the
// committer and retention replace it under mu.Lock.
type segs struct {
	mu   sync.RWMutex
	list []*segment
}

func (s *segs) snapshot() []*segment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.list
}

// openSegments opens a partition's files and cuts them back to what was
// committed: bytes past the committed size of the last committed segment
// and segments after it were written by a commit that never completed.
func (l *Log) openSegments(id uint32, part int32, metas map[int64][2]int64) ([]*segment, error) {
	dir := l.segmentDir(id, part)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*segment
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		base, err := strconv.ParseInt(strings.TrimSuffix(name, ".log"), 10, 64)
		if err != nil {
			continue
		}
		path := filepath.Join(dir, name)
		m, committed := metas[base]
		if !committed {
			// Created by a commit that did not complete, or emptied by retention.
			if err := os.Remove(path); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0o644)
		if err != nil {
			return nil, err
		}
		if err := f.Truncate(m[0]); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate %s to its committed size: %w", path, err)
		}
		out = append(out, &segment{base: base, f: f, size: m[0], maxTime: m[1], samefs: l.fs != nil && l.fs.covers(f)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].base < out[j].base })
	return out, nil
}

func (l *Log) createSegment(id uint32, part int32, base int64) (*segment, error) {
	dir := l.segmentDir(id, part)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, segmentName(base))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &segment{base: base, f: f, samefs: l.fs != nil && l.fs.covers(f)}, nil
}

// readBufs recycles read chunks: records are copied out of them.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// maxFetchBytes caps one fetch's payload (after its first record).
const maxFetchBytes = 4 << 20

// readFrames reads records [from, to) of a partition starting at segment
// index si, file position pos (at or before from's frame). Returned records
// own right-sized copies of their bytes, so they pin no read buffer. next
// is where the frame after the last returned record starts (zero when
// none is returned).
func readFrames(list []*segment, si int, pos int64, tp rlog.TopicPartition, from, to int64, maxRecs int) (out []rlog.Record, next cursor, err error) {
	out = make([]rlog.Record, 0, min(int64(maxRecs), to-from, 1024))
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	var fetched int
	var ha headerAlloc
	for ; si < len(list) && len(out) < maxRecs && fetched < maxFetchBytes; si, pos = si+1, 0 {
		seg := list[si]
		for pos < seg.size && len(out) < maxRecs && fetched < maxFetchBytes {
			buf := (*bp)[:min(seg.size-pos, int64(len(*bp)))]
			if _, err := seg.f.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
				return nil, cursor{}, fmt.Errorf("read %s: %w", tp, err)
			}
			if n := int(binary.BigEndian.Uint32(buf)); frameHeader+n > len(buf) && int64(frameHeader+n) <= seg.size-pos {
				buf = make([]byte, frameHeader+n) // one frame larger than the chunk
				if _, err := seg.f.ReadAt(buf, pos); err != nil {
					return nil, cursor{}, fmt.Errorf("read %s: %w", tp, err)
				}
			}
			first := len(out)
			used, need := 0, 0
			for used+frameHeader <= len(buf) && len(out) < maxRecs && fetched < maxFetchBytes {
				n := int(binary.BigEndian.Uint32(buf[used:]))
				if used+frameHeader+n > len(buf) {
					break
				}
				payload := buf[used+frameHeader : used+frameHeader+n]
				off := int64(binary.BigEndian.Uint64(buf[used+8:]))
				if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(buf[used+4:]) {
					return nil, cursor{}, fmt.Errorf("%w: checksum mismatch at %s offset %d", errCorrupt, tp, off)
				}
				used += frameHeader + n
				if off < from {
					continue
				}
				if off >= to {
					return detach(out, first, need), next, nil
				}
				r := rlog.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: off}
				if _, err := decodePayload(payload, &r, &ha); err != nil {
					return nil, cursor{}, err
				}
				out = append(out, r)
				next = cursor{off: off + 1, base: seg.base, pos: pos + int64(used)}
				need += n
				fetched += n
			}
			if used == 0 {
				return nil, cursor{}, fmt.Errorf("%w: unreadable frame at %s position %d", errCorrupt, tp, pos)
			}
			out = detach(out, first, need)
			pos += int64(used)
		}
	}
	return out, next, nil
}

// detach copies the bytes of out[first:] (at most need bytes) out of the
// read buffer into one right-sized allocation.
func detach(out []rlog.Record, first, need int) []rlog.Record {
	if first == len(out) {
		return out
	}
	slab := make([]byte, 0, need)
	cp := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		n := len(slab)
		slab = append(slab, b...)
		return slab[n:len(slab):len(slab)]
	}
	for i := first; i < len(out); i++ {
		r := &out[i]
		r.Key, r.Value = cp(r.Key), cp(r.Value)
		for h := range r.Headers {
			r.Headers[h].Value = cp(r.Headers[h].Value)
		}
	}
	return out
}
