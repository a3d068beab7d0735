package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Pebble key namespaces (the state package owns 0x20-0x2f).
const (
	nsTopic = 0x01 // name -> topic meta (JSON)
	nsGroup = 0x03 // group 0x00 topicID part -> committed offset
	nsStart = 0x04 // topicID part -> log start offset (moved by retention)
	nsIndex = 0x05 // topicID part offset -> segment base, file position
	nsSeg   = 0x06 // topicID part base -> segment meta (committed size, max append time)
	nsEnd   = 0x07 // topicID part -> committed end offset
)

func topicKey(name string) []byte { return append([]byte{nsTopic}, name...) }

func partKey(ns byte, id uint32, part int32) []byte {
	b := make([]byte, 9, 17)
	b[0] = ns
	binary.BigEndian.PutUint32(b[1:], id)
	binary.BigEndian.PutUint32(b[5:], uint32(part))
	return b
}

func partOffKey(ns byte, id uint32, part int32, off int64) []byte {
	return binary.BigEndian.AppendUint64(partKey(ns, id, part), uint64(off))
}

func groupKey(group string, id uint32, part int32) []byte {
	b := make([]byte, 0, len(group)+10)
	b = append(b, nsGroup)
	b = append(b, group...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, id)
	return binary.BigEndian.AppendUint32(b, uint32(part))
}

func u64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func pair(a, b int64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(a)), uint64(b))
}

func unpair(v []byte) (int64, int64) {
	return int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))
}

// A segment file is a sequence of frames:
//
//	length u32 | crc32c(payload) u32 | offset u64 | payload
//
// payload: varints timestamp, appendTime; key, value (length -1 = null);
// header count and headers.
const frameHeader = 16

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendFrame(dst []byte, r *rlog.Record, off, appendTime int64) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = binary.AppendVarint(dst, r.Timestamp)
	dst = binary.AppendVarint(dst, appendTime)
	dst = appendBytes(dst, r.Key)
	dst = appendBytes(dst, r.Value)
	dst = binary.AppendVarint(dst, int64(len(r.Headers)))
	for _, h := range r.Headers {
		dst = appendBytes(dst, []byte(h.Key))
		dst = appendBytes(dst, h.Value)
	}
	payload := dst[start+frameHeader:]
	binary.BigEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	binary.BigEndian.PutUint64(dst[start+8:], uint64(off))
	return dst
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

var errCorrupt = errors.New("corrupt record")

type reader struct {
	b   []byte
	err error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.varint()
	if r.err != nil || n < 0 {
		return nil
	}
	if int64(len(r.b)) < n {
		r.err = errCorrupt
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// decodePayload fills r from a frame payload; slices alias buf. It returns
// the append time.
func decodePayload(buf []byte, r *rlog.Record, ha *headerAlloc) (int64, error) {
	rd := reader{b: buf}
	r.Timestamp = rd.varint()
	appendTime := rd.varint()
	r.Key = rd.bytes()
	r.Value = rd.bytes()
	nh := rd.varint()
	r.Headers = nil
	if nh > 0 {
		start := len(ha.hs)
		for i := int64(0); i < nh && rd.err == nil; i++ {
			k := rd.bytes()
			ha.hs = append(ha.hs, rlog.Header{Key: ha.key(k), Value: rd.bytes()})
		}
		r.Headers = ha.hs[start:len(ha.hs):len(ha.hs)] // capped: an append copies
	}
	if rd.err != nil {
		return 0, fmt.Errorf("%w at %s/%d offset %d", rd.err, r.Topic, r.Partition, r.Offset)
	}
	return appendTime, nil
}

// headerAlloc allocates one fetch's headers: one backing array for every
// record's (each gets its own capped window of it), and each distinct key
// once. Most records of a topic carry the same few headers (rtdw.table,
// the dead letters' reasons): per record, a slice and a string per header
// were a sixth of the warehouse's allocations.
type headerAlloc struct {
	hs   []rlog.Header
	keys map[string]string
}

func (ha *headerAlloc) key(k []byte) string {
	if s, ok := ha.keys[string(k)]; ok { // no allocation for the lookup
		return s
	}
	if ha.keys == nil {
		ha.keys = map[string]string{}
	}
	s := string(k)
	ha.keys[s] = s
	return s
}

func recordSize(r *rlog.Record) int64 {
	n := int64(len(r.Key) + len(r.Value))
	for _, h := range r.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}
