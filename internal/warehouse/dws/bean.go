package dws

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/stream"
)

// Encodings of beans (the records between a job's per-record step and its
// window) and of window accumulators (the window's keyed state). Both are
// internal, so they are compact binary, written and read without
// reflection; what users read is unchanged: rows stay JSON, and a late
// bean is dead-lettered as the JSON it always was (beanJSON).
//
//	bean         beanV1, flags (1: retraction), D, N, U
//	accumulator  accV1, D, N, then per distinct slot: the number of ids
//	             with a non-zero total, then each as id, total
//	D, U         uvarint count, then per string uvarint length, bytes
//	N            uvarint count, then varints
//
// Data written by earlier versions is JSON (it starts with '{'): beans
// still in a repartition topic and accumulators in state are read in
// either form, so an upgraded data dir continues its windows.
const (
	beanV1 = 0x01
	accV1  = 0x01
)

// beanRecord derives the record carrying b: its key is the window key (the
// dims as a JSON array, so no separator can make two keys collide; the
// same bytes json.Marshal writes, so partitioning and the window state of
// earlier versions are unchanged), its value the binary bean. Key and
// value share one allocation.
func beanRecord(from *stream.Record, b bean) stream.Record {
	n := 16 + 10*len(b.N)
	for _, s := range b.D {
		n += 2*len(s) + 8
	}
	for _, s := range b.U {
		n += len(s) + 2
	}
	buf := appendKey(make([]byte, 0, n), b.D)
	k := len(buf)
	buf = appendBean(buf, &b)
	return from.Derive(buf[:k:k], buf[k:], from.Time)
}

// appendKey appends d as json.Marshal writes a []string: strings that need
// no escape are copied, anything else is left to encoding/json itself.
func appendKey(dst []byte, d []string) []byte {
	if d == nil {
		return append(dst, "null"...)
	}
	start := len(dst)
	dst = append(dst, '[')
	for i, s := range d {
		if !jsonPlain(s) {
			k, _ := json.Marshal(d) // strings only: cannot fail
			return append(dst[:start], k...)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, s...)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}

// jsonPlain reports whether encoding/json writes s between quotes as it
// is: no quote, backslash, control character or HTML-sensitive <, >, &,
// valid UTF-8 and no U+2028/U+2029 (which it escapes).
func jsonPlain(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

func appendBean(dst []byte, b *bean) []byte {
	flags := byte(0)
	if b.R {
		flags = 1
	}
	dst = append(dst, beanV1, flags)
	dst = appendStrings(dst, b.D)
	dst = binary.AppendUvarint(dst, uint64(len(b.N)))
	for _, n := range b.N {
		dst = binary.AppendVarint(dst, n)
	}
	return appendStrings(dst, b.U)
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ss)))
	for _, s := range ss {
		dst = appendStr(dst, s)
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// decodeBean reads a bean in either encoding.
func decodeBean(v []byte) (bean, error) {
	var b bean
	if len(v) > 0 && v[0] != beanV1 {
		err := json.Unmarshal(v, &b)
		return b, err
	}
	r := reader{b: v}
	if r.byte() != beanV1 {
		return b, errors.New("not a bean")
	}
	b.R = r.byte()&1 != 0
	b.D = r.strings()
	if n := r.count(); n > 0 {
		b.N = make([]int64, n)
		for i := range b.N {
			b.N[i] = r.varint()
		}
	}
	if u := r.strings(); len(u) > 0 {
		b.U = u
	}
	return b, r.end()
}

// beanJSON is the JSON form of a bean (as dead letters show it): the
// encoding earlier versions used for beans, field for field.
func beanJSON(v []byte) ([]byte, error) {
	b, err := decodeBean(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(b)
}

// reader reads the binary encodings; a short or malformed input sets bad
// (every later read returns zero values).
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads an element count: each element takes at least a byte, so a
// count past the rest of the input is corrupt (and allocates nothing).
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed string; the slice aliases the input.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) strings() []string {
	ss := make([]string, r.count())
	for i := range ss {
		ss[i] = string(r.bytes())
	}
	return ss
}

// end reports a malformed input or trailing bytes.
func (r *reader) end() error {
	if r.bad || len(r.b) > 0 {
		return errors.New("malformed binary encoding")
	}
	return nil
}

// --- accumulators ---

// winAcc is a window's accumulator, decoded: the dims (of the window's
// first bean), measure sums and, per distinct measure, each id's total
// contribution (retractions subtract). An id counts while its total is
// not zero, as when ids lived in a JSON map deleted at zero.
type winAcc struct {
	init bool // d is set (the first bean was added)
	d    []string
	n    []int64
	u    []distinct
	size int // approximate bytes held (operator.Sizer)
}

// distinct is one distinct measure's ids: ids[i] has total count[i].
// Ids whose total returns to zero keep their slot (they may come back)
// but are not counted (live) nor written to state.
type distinct struct {
	index map[string]int32
	ids   []string
	count []int64
	live  int
}

const (
	accBaseSize = 128
	accIDSize   = 64 // string header, total, index slot and map overhead per id
)

// add adds sign to id's total (id: valid UTF-8).
func (d *distinct) add(id []byte, sign int64) (grew int) {
	i, ok := d.index[string(id)]
	if !ok {
		if d.index == nil {
			d.index = map[string]int32{}
		}
		s := string(id)
		i = int32(len(d.ids))
		d.ids = append(d.ids, s)
		d.count = append(d.count, 0)
		d.index[s] = i
		grew = len(s) + accIDSize
	}
	before := d.count[i]
	after := before + sign
	d.count[i] = after
	switch {
	case before == 0 && after != 0:
		d.live++
	case before != 0 && after == 0:
		d.live--
	}
	return grew
}

// addBean folds a binary bean into s.
func (s *winAcc) addBean(v []byte) error {
	r := reader{b: v}
	if r.byte() != beanV1 {
		return errors.New("not a bean")
	}
	sign := int64(1)
	if r.byte()&1 != 0 {
		sign = -1
	}
	nd := r.count()
	if !s.init {
		s.d = make([]string, nd)
		for i := range s.d {
			s.d[i] = string(jsonw.ValidUTF8(r.bytes()))
			s.size += len(s.d[i]) + 16
		}
		s.init = true
	} else {
		for range nd {
			r.bytes()
		}
	}
	nn := r.count()
	for len(s.n) < nn {
		s.n = append(s.n, 0)
		s.size += 8
	}
	for i := range nn {
		s.n[i] += sign * r.varint()
	}
	nu := r.count()
	for len(s.u) < nu {
		s.u = append(s.u, distinct{})
		s.size += 64
	}
	for i := range nu {
		id := r.bytes()
		if r.bad {
			break
		}
		s.size += s.u[i].add(jsonw.ValidUTF8(id), sign)
	}
	return r.end()
}

func appendAcc(dst []byte, s *winAcc) []byte {
	dst = append(dst, accV1)
	dst = appendStrings(dst, s.d)
	dst = binary.AppendUvarint(dst, uint64(len(s.n)))
	for _, n := range s.n {
		dst = binary.AppendVarint(dst, n)
	}
	dst = binary.AppendUvarint(dst, uint64(len(s.u)))
	for i := range s.u {
		u := &s.u[i]
		dst = binary.AppendUvarint(dst, uint64(u.live))
		for k, c := range u.count {
			if c != 0 {
				dst = binary.AppendVarint(appendStr(dst, u.ids[k]), c)
			}
		}
	}
	return dst
}

// jsonAcc is the accumulator as earlier versions kept it in state.
type jsonAcc struct {
	D []string           `json:"d"`
	N []int64            `json:"n"`
	U []map[string]int64 `json:"u,omitempty"` // id -> contributions (retractions subtract)
}

func decodeAcc(raw []byte) (*winAcc, error) {
	s := &winAcc{init: true, size: accBaseSize}
	if len(raw) > 0 && raw[0] != accV1 {
		var j jsonAcc
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("dws: window state: %w", err)
		}
		s.d, s.n = j.D, j.N
		for _, d := range s.d {
			s.size += len(d) + 16
		}
		s.size += 8 * len(s.n)
		s.u = make([]distinct, len(j.U))
		s.size += 64 * len(s.u)
		for i, m := range j.U {
			for id, c := range m {
				s.size += s.u[i].add([]byte(id), c)
			}
		}
		return s, nil
	}
	r := reader{b: raw}
	r.byte()
	s.d = r.strings()
	for _, d := range s.d {
		s.size += len(d) + 16
	}
	s.n = make([]int64, r.count())
	for i := range s.n {
		s.n[i] = r.varint()
	}
	s.size += 8 * len(s.n)
	s.u = make([]distinct, r.count())
	s.size += 64 * len(s.u)
	for i := range s.u {
		u := &s.u[i]
		n := r.count()
		u.index = make(map[string]int32, n)
		u.ids = make([]string, 0, n)
		u.count = make([]int64, 0, n)
		for range n {
			id := string(r.bytes())
			c := r.varint()
			if r.bad {
				break
			}
			u.index[id] = int32(len(u.ids))
			u.ids = append(u.ids, id)
			u.count = append(u.count, c)
			if c != 0 {
				u.live++
			}
			s.size += len(id) + accIDSize
		}
	}
	if err := r.end(); err != nil {
		return nil, fmt.Errorf("dws: window state: %w", err)
	}
	return s, nil
}
