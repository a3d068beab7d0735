package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"

	rlog "github.com/rtdw/rtdw/internal/log"
)

const (
	nsTopic  = 0x01
	nsRecord = 0x02
	nsGroup  = 0x03
	nsStart  = 0x04
)

func topicKey(name string) []byte { return append([]byte{nsTopic}, name...) }

func partPrefix(ns byte, id uint32, part int32) []byte {
	b := make([]byte, 9, 17)
	b[0] = ns
	binary.BigEndian.PutUint32(b[1:], id)
	binary.BigEndian.PutUint32(b[5:], uint32(part))
	return b
}

func recordKey(dst []byte, id uint32, part int32, off int64) []byte {
	dst = append(dst, nsRecord)
	dst = binary.BigEndian.AppendUint32(dst, id)
	dst = binary.BigEndian.AppendUint32(dst, uint32(part))
	return binary.BigEndian.AppendUint64(dst, uint64(off))
}

func groupKey(group string, id uint32, part int32) []byte {
	b := make([]byte, 0, len(group)+10)
	b = append(b, nsGroup)
	b = append(b, group...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, id)
	return binary.BigEndian.AppendUint32(b, uint32(part))
}

// stored record layout: varints timestamp, appendTime, position (bytes
// appended to the partition before this record, for size retention), then
// key, value (length -1 = null), headers.
type storedMeta struct {
	timestamp, appendTime, position int64
}

func encodeRecord(dst []byte, r *rlog.Record, appendTime, position int64) []byte {
	dst = binary.AppendVarint(dst, r.Timestamp)
	dst = binary.AppendVarint(dst, appendTime)
	dst = binary.AppendVarint(dst, position)
	dst = appendBytes(dst, r.Key)
	dst = appendBytes(dst, r.Value)
	dst = binary.AppendUvarint(dst, uint64(len(r.Headers)))
	for _, h := range r.Headers {
		dst = appendBytes(dst, []byte(h.Key))
		dst = appendBytes(dst, h.Value)
	}
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

// decodeRecord decodes into r. The byte slices alias buf.
func decodeRecord(buf []byte, r *rlog.Record) (storedMeta, error) {
	rd := reader{b: buf}
	var m storedMeta
	m.timestamp = rd.varint()
	m.appendTime = rd.varint()
	m.position = rd.varint()
	r.Timestamp = m.timestamp
	r.Key = rd.bytes()
	r.Value = rd.bytes()
	nh, n := binary.Uvarint(rd.b)
	if rd.err == nil && n <= 0 {
		rd.err = errCorrupt
	}
	rd.b = rd.b[max(n, 0):]
	r.Headers = nil
	for i := uint64(0); i < nh && rd.err == nil; i++ {
		k := rd.bytes()
		r.Headers = append(r.Headers, rlog.Header{Key: string(k), Value: rd.bytes()})
	}
	if rd.err != nil {
		return m, fmt.Errorf("%w at %s/%d offset %d", rd.err, r.Topic, r.Partition, r.Offset)
	}
	return m, nil
}

func recordSize(r *rlog.Record) int64 {
	n := int64(len(r.Key) + len(r.Value))
	for _, h := range r.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}
