package row

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// BinaryVersion is the first byte of every row AppendRow writes. A future
// layout gets a new version and DecodeRow keeps reading the old ones, since
// internal topics and state outlive a binary upgrade.
const BinaryVersion byte = 1

// ErrCorrupt reports bytes DecodeRow cannot read as a row of the schema.
var ErrCorrupt = errors.New("row: corrupt binary row")

// Binary layout, version 1 (schema-driven: no type tags, no names):
//
//	row     = version(1) kind(1) struct
//	struct  = nulls field...          one bit per field, set = NULL, LSB first;
//	                                  a NULL field writes nothing else
//	BOOLEAN, TINYINT                  1 byte
//	SMALLINT INT BIGINT DATE,
//	INTERVAL                          zigzag varint
//	FLOAT / DOUBLE                    4 / 8 bytes little-endian IEEE-754
//	DECIMAL(p<=18)                    zigzag varint of the unscaled value (scale: the type's)
//	DECIMAL(p>18)                     0 varint | 1 len magnitude (positive) | 2 len magnitude
//	                                  (negative): big-endian magnitude when not an int64
//	CHAR VARCHAR BINARY VARBINARY     uvarint length, bytes
//	TIME                              uvarint nanoseconds of the day
//	TIMESTAMP TIMESTAMP_LTZ           zigzag varint millis, uvarint nanos within the milli
//	ARRAY MULTISET                    uvarint n, nulls(n), elements
//	MAP                               uvarint n, key nulls(n), value nulls(n), k0 v0 k1 v1 ...
//	ROW                               struct
//
// A value whose DECIMAL scale differs from the column's is rescaled (HALF_UP)
// on the way in; a value that does not fit its column is an error.

// AppendRow appends the binary encoding of r, a row of schema s, to dst.
func AppendRow(dst []byte, s *Schema, r *Row) ([]byte, error) {
	if len(r.Values) != len(s.fields) {
		return dst, fmt.Errorf("row: AppendRow: %d values for %d columns", len(r.Values), len(s.fields))
	}
	if !r.Kind.Valid() {
		return dst, fmt.Errorf("row: AppendRow: invalid row kind %d", r.Kind)
	}
	dst = append(dst, BinaryVersion, byte(r.Kind))
	return appendStruct(dst, s.fields, r.Values)
}

func appendNulls(dst []byte, vals []Value, stride, off int) []byte {
	n := len(vals) / stride
	for i := 0; i < n; i += 8 {
		var b byte
		for j := 0; j < 8 && i+j < n; j++ {
			if vals[(i+j)*stride+off].k == KindNull {
				b |= 1 << j
			}
		}
		dst = append(dst, b)
	}
	return dst
}

func appendStruct(dst []byte, fields []Field, vals []Value) ([]byte, error) {
	dst = appendNulls(dst, vals, 1, 0)
	for i := range fields {
		if vals[i].k == KindNull {
			continue
		}
		var err error
		if dst, err = appendValue(dst, &fields[i].Type, vals[i]); err != nil {
			return dst, fmt.Errorf("column %q: %w", fields[i].Name, err)
		}
	}
	return dst, nil
}

func mismatch(t *Type, v Value) error {
	return fmt.Errorf("row: cannot encode a %s value as %s", v.k, t)
}

func appendValue(dst []byte, t *Type, v Value) ([]byte, error) {
	switch t.Kind {
	case KindBoolean:
		if v.k != KindBoolean {
			return dst, mismatch(t, v)
		}
		return append(dst, byte(v.i&1)), nil
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt:
		if !isInt(v.k) || !intFits(t.Kind, v.i) {
			return dst, mismatch(t, v)
		}
		if t.Kind == KindTinyInt {
			return append(dst, byte(v.i)), nil
		}
		return binary.AppendVarint(dst, v.i), nil
	case KindFloat:
		if !isFloat(v.k) {
			return dst, mismatch(t, v)
		}
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(v.Float64()))), nil
	case KindDouble:
		if !isFloat(v.k) {
			return dst, mismatch(t, v)
		}
		return binary.LittleEndian.AppendUint64(dst, uint64(v.i)), nil
	case KindDecimal:
		if v.k != KindDecimal {
			return dst, mismatch(t, v)
		}
		d := v.Decimal()
		if int(d.s) != t.Scale || int(d.p) > t.Precision {
			var ok bool
			if d, ok = d.Rescale(t.Precision, t.Scale); !ok {
				return dst, fmt.Errorf("row: %s does not fit %s", v.Decimal(), t)
			}
		}
		if t.Precision <= 18 {
			return binary.AppendVarint(dst, d.u), nil
		}
		if d.b == nil {
			return binary.AppendVarint(append(dst, 0), d.u), nil
		}
		tag := byte(1)
		if d.b.Sign() < 0 {
			tag = 2
		}
		mag := d.b.Bytes()
		dst = binary.AppendUvarint(append(dst, tag), uint64(len(mag)))
		return append(dst, mag...), nil
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		if v.k < KindChar || v.k > KindVarBinary {
			return dst, mismatch(t, v)
		}
		dst = binary.AppendUvarint(dst, uint64(len(v.s)))
		return append(dst, v.s...), nil
	case KindDate, KindIntervalYearMonth:
		if v.k != t.Kind || v.i != int64(int32(v.i)) {
			return dst, mismatch(t, v)
		}
		return binary.AppendVarint(dst, v.i), nil
	case KindIntervalDayTime:
		if v.k != t.Kind {
			return dst, mismatch(t, v)
		}
		return binary.AppendVarint(dst, v.i), nil
	case KindTime:
		if v.k != KindTime || v.i < 0 || v.i >= NanosPerDay {
			return dst, mismatch(t, v)
		}
		return binary.AppendUvarint(dst, uint64(v.i)), nil
	case KindTimestamp, KindTimestampLTZ:
		if v.k != KindTimestamp && v.k != KindTimestampLTZ {
			return dst, mismatch(t, v)
		}
		dst = binary.AppendVarint(dst, v.i)
		return binary.AppendUvarint(dst, uint64(v.n)), nil
	case KindArray, KindMultiset:
		if v.k != t.Kind {
			return dst, mismatch(t, v)
		}
		elems := v.Elems()
		dst = binary.AppendUvarint(dst, uint64(len(elems)))
		dst = appendNulls(dst, elems, 1, 0)
		for _, e := range elems {
			if e.k == KindNull {
				continue
			}
			var err error
			if dst, err = appendValue(dst, t.Elem, e); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case KindMap:
		if v.k != KindMap {
			return dst, mismatch(t, v)
		}
		kv := v.Elems()
		dst = binary.AppendUvarint(dst, uint64(len(kv)/2))
		dst = appendNulls(dst, kv, 2, 0)
		dst = appendNulls(dst, kv, 2, 1)
		for i, e := range kv {
			if e.k == KindNull {
				continue
			}
			et := t.Elem
			if i%2 == 0 {
				et = t.Key
			}
			var err error
			if dst, err = appendValue(dst, et, e); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case KindRow:
		if v.k != KindRow || int(v.i) != len(t.Fields) {
			return dst, mismatch(t, v)
		}
		return appendStruct(dst, t.Fields, v.Elems())
	}
	return dst, mismatch(t, v)
}

func intFits(k Kind, i int64) bool {
	switch k {
	case KindTinyInt:
		return i == int64(int8(i))
	case KindSmallInt:
		return i == int64(int16(i))
	case KindInt:
		return i == int64(int32(i))
	}
	return true
}

// DecodeRow decodes a row AppendRow wrote for schema s into r, reusing
// r.Values' capacity. Every string of the row shares one allocation (a copy
// of src from its first string on), so src may be reused afterwards. Bytes
// that are not such a row return an error wrapping ErrCorrupt, never a
// panic; r is then all NULL.
func DecodeRow(src []byte, s *Schema, r *Row) error {
	if err := decodeRow(src, s, r); err != nil {
		clear(r.Values)
		return err
	}
	return nil
}

func decodeRow(src []byte, s *Schema, r *Row) error {
	if len(src) < 2 {
		return fmt.Errorf("%w: %d bytes", ErrCorrupt, len(src))
	}
	if src[0] != BinaryVersion {
		return fmt.Errorf("%w: unknown format version %d", ErrCorrupt, src[0])
	}
	kind := RowKind(src[1])
	if !kind.Valid() {
		return fmt.Errorf("%w: row kind %d", ErrCorrupt, src[1])
	}
	r.Kind = kind
	r.Values = grow(r.Values, len(s.fields))
	d := binDecoder{src: src, pos: 2}
	if err := d.structFields(s.fields, r.Values); err != nil {
		return err
	}
	if d.pos != len(src) {
		return fmt.Errorf("%w: %d bytes after the row", ErrCorrupt, len(src)-d.pos)
	}
	return nil
}

type binDecoder struct {
	src      []byte
	pos      int
	arena    string // a copy of src[base:], made at the first string
	base     int
	hasArena bool
}

var errShort = fmt.Errorf("%w: truncated", ErrCorrupt)

func (d *binDecoder) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(d.src)-d.pos {
		return nil, errShort
	}
	b := d.src[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *binDecoder) byte1() (byte, error) {
	if d.pos >= len(d.src) {
		return 0, errShort
	}
	d.pos++
	return d.src[d.pos-1], nil
}

func (d *binDecoder) varint() (int64, error) {
	v, n := binary.Varint(d.src[d.pos:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint", ErrCorrupt)
	}
	d.pos += n
	return v, nil
}

func (d *binDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.src[d.pos:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint", ErrCorrupt)
	}
	d.pos += n
	return v, nil
}

// str returns the next n bytes as a string sharing the row's arena.
func (d *binDecoder) str(n uint64) (string, error) {
	if n > uint64(len(d.src)-d.pos) {
		return "", errShort
	}
	if n == 0 {
		return "", nil
	}
	if !d.hasArena {
		d.arena, d.base, d.hasArena = string(d.src[d.pos:]), d.pos, true
	}
	off := d.pos - d.base
	d.pos += int(n)
	return d.arena[off : off+int(n)], nil
}

// nulls reads a null bitmap of n bits; the padding bits must be zero.
func (d *binDecoder) nulls(n uint64) ([]byte, error) {
	if n > uint64(len(d.src)-d.pos)*8 {
		return nil, errShort
	}
	b, err := d.bytes(int((n + 7) / 8))
	if err != nil {
		return nil, err
	}
	if n%8 != 0 && b[len(b)-1]>>(n%8) != 0 {
		return nil, fmt.Errorf("%w: null bitmap padding", ErrCorrupt)
	}
	return b, nil
}

func isNullBit(bm []byte, i int) bool { return bm[i/8]&(1<<(i%8)) != 0 }

func (d *binDecoder) structFields(fields []Field, out []Value) error {
	bm, err := d.nulls(uint64(len(fields)))
	if err != nil {
		return err
	}
	for i := range fields {
		if isNullBit(bm, i) {
			out[i] = Value{}
			continue
		}
		if out[i], err = d.value(&fields[i].Type); err != nil {
			return fmt.Errorf("column %q: %w", fields[i].Name, err)
		}
	}
	return nil
}

func (d *binDecoder) value(t *Type) (Value, error) {
	switch t.Kind {
	case KindBoolean:
		b, err := d.byte1()
		if err != nil || b > 1 {
			return Value{}, fmt.Errorf("%w: BOOLEAN byte", ErrCorrupt)
		}
		return Value{k: KindBoolean, i: int64(b)}, nil
	case KindTinyInt:
		b, err := d.byte1()
		return Value{k: KindTinyInt, i: int64(int8(b))}, err
	case KindSmallInt, KindInt, KindBigInt, KindDate, KindIntervalYearMonth, KindIntervalDayTime:
		x, err := d.varint()
		if err != nil {
			return Value{}, err
		}
		switch t.Kind {
		case KindDate, KindIntervalYearMonth:
			if x != int64(int32(x)) {
				return Value{}, fmt.Errorf("%w: %s out of range", ErrCorrupt, t.Kind)
			}
		case KindSmallInt, KindInt:
			if !intFits(t.Kind, x) {
				return Value{}, fmt.Errorf("%w: %s out of range", ErrCorrupt, t.Kind)
			}
		}
		return Value{k: t.Kind, i: x}, nil
	case KindFloat:
		b, err := d.bytes(4)
		if err != nil {
			return Value{}, err
		}
		return Float(math.Float32frombits(binary.LittleEndian.Uint32(b))), nil
	case KindDouble:
		b, err := d.bytes(8)
		if err != nil {
			return Value{}, err
		}
		return Value{k: KindDouble, i: int64(binary.LittleEndian.Uint64(b))}, nil
	case KindDecimal:
		return d.decimal(t)
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		n, err := d.uvarint()
		if err != nil {
			return Value{}, err
		}
		s, err := d.str(n)
		return Value{k: t.Kind, s: s}, err
	case KindTime:
		n, err := d.uvarint()
		if err != nil || n >= NanosPerDay {
			return Value{}, fmt.Errorf("%w: TIME", ErrCorrupt)
		}
		return Value{k: KindTime, i: int64(n)}, nil
	case KindTimestamp, KindTimestampLTZ:
		ms, err := d.varint()
		if err != nil {
			return Value{}, err
		}
		ns, err := d.uvarint()
		if err != nil || ns >= NanosPerMilli {
			return Value{}, fmt.Errorf("%w: timestamp nanoseconds", ErrCorrupt)
		}
		return Value{k: t.Kind, i: ms, n: int32(ns)}, nil
	case KindArray, KindMultiset:
		n, err := d.uvarint()
		if err != nil {
			return Value{}, err
		}
		bm, err := d.nulls(n)
		if err != nil {
			return Value{}, err
		}
		elems := make([]Value, n)
		for i := range elems {
			if isNullBit(bm, i) {
				continue
			}
			if elems[i], err = d.value(t.Elem); err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return composite(t.Kind, elems), nil
	case KindMap:
		n, err := d.uvarint()
		if err != nil {
			return Value{}, err
		}
		kbm, err := d.nulls(n)
		if err != nil {
			return Value{}, err
		}
		vbm, err := d.nulls(n)
		if err != nil {
			return Value{}, err
		}
		kv := make([]Value, 2*n)
		for i := range kv {
			bm, et := kbm, t.Key
			if i%2 == 1 {
				bm, et = vbm, t.Elem
			}
			if isNullBit(bm, i/2) {
				continue
			}
			if kv[i], err = d.value(et); err != nil {
				return Value{}, fmt.Errorf("entry %d %s: %w", i/2, [2]string{"key", "value"}[i%2], err)
			}
		}
		return composite(KindMap, kv), nil
	case KindRow:
		fields := make([]Value, len(t.Fields))
		if err := d.structFields(t.Fields, fields); err != nil {
			return Value{}, err
		}
		return composite(KindRow, fields), nil
	}
	return Value{}, fmt.Errorf("%w: a non-NULL value of type %s", ErrCorrupt, t)
}

func (d *binDecoder) decimal(t *Type) (Value, error) {
	bad := func() error { return fmt.Errorf("%w: %s value", ErrCorrupt, t) }
	compact := func() (Value, error) {
		u, err := d.varint()
		if err != nil || !fitsCompact(u, t.Precision) {
			return Value{}, bad()
		}
		return Value{k: KindDecimal, prec: uint8(t.Precision), scale: uint8(t.Scale), i: u}, nil
	}
	if t.Precision <= 18 {
		return compact()
	}
	tag, err := d.byte1()
	if err != nil {
		return Value{}, err
	}
	switch tag {
	case 0:
		return compact()
	case 1, 2:
		n, err := d.uvarint()
		if err != nil || n > 16 {
			return Value{}, bad()
		}
		mag, err := d.bytes(int(n))
		if err != nil {
			return Value{}, err
		}
		b := new(big.Int).SetBytes(mag)
		if tag == 2 {
			b.Neg(b)
		}
		if b.IsInt64() || b.CmpAbs(bigTen(t.Precision)) >= 0 {
			return Value{}, bad() // not canonical, or beyond the precision
		}
		return DecimalValue(Decimal{b: b, p: uint8(t.Precision), s: uint8(t.Scale)}), nil
	}
	return Value{}, bad()
}
