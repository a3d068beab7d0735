package row

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Key encoding: an order-preserving ("memcomparable") encoding of values,
// so that bytes.Compare of two keys orders as Compare orders their values,
// column by column, for values of one type per column. Sorted state
// (Top-N, MIN/MAX under retraction, ORDER BY) and keyed state use it.
// Values that are Equal encode to the same bytes (1.0 and 1.00,
// -0.0 and 0.0, every NaN), so the key of a group is well defined.
//
// The encoding is self-delimiting, so keys of several values concatenate:
//
//	NULL                    0x00 (NULLS FIRST) or 0x02 (NULLS LAST)
//	non-NULL                0x01 then the payload (bit-inverted when descending):
//	BOOLEAN                 0 or 1
//	integers, DATE, TIME,
//	INTERVAL                8 bytes big-endian, sign bit flipped (all integer widths alike)
//	FLOAT, DOUBLE           the float64's 8 bytes, sign bit flipped, all bits if negative
//	DECIMAL                 0x02 for zero; else 0x03 (positive) or 0x01 (negative), the
//	                        decimal exponent E+128 (value = 0.d1d2... * 10^E), the digits
//	                        d+1 without trailing zeros, 0x00; all but the sign byte
//	                        inverted when negative
//	CHAR ... VARBINARY      the bytes, 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	TIMESTAMP(_LTZ)         millis as an integer, then nanos as 4 bytes big-endian
//	ARRAY                   per element 0x01 and its key (NULLS FIRST), then 0x00
//	MULTISET, MAP           as ARRAY, elements (entries: key then value) sorted by their bytes
//	ROW                     the fields' keys
//
// The key format carries no version byte: keys are compared with each
// other, so a key layout change means rewriting the state that holds them.

// AppendKey appends the key of vals (ascending, NULLS FIRST: Flink's
// default order) to dst.
func AppendKey(dst []byte, vals ...Value) []byte {
	for _, v := range vals {
		dst = appendKeyValue(dst, v, false, false)
	}
	return dst
}

// AppendSortKey appends the key of one value in the given direction and
// null placement (ORDER BY x DESC NULLS LAST and the like).
func AppendSortKey(dst []byte, v Value, desc, nullsLast bool) []byte {
	return appendKeyValue(dst, v, desc, nullsLast)
}

func appendKeyValue(dst []byte, v Value, desc, nullsLast bool) []byte {
	if v.k == KindNull {
		if nullsLast {
			return append(dst, 0x02)
		}
		return append(dst, 0x00)
	}
	dst = append(dst, 0x01)
	start := len(dst)
	if v.k < KindArray {
		dst = appendScalarPayload(dst, v)
	} else {
		dst = appendCompositeKey(dst, v)
	}
	if desc {
		for i := start; i < len(dst); i++ {
			dst[i] = ^dst[i]
		}
	}
	return dst
}

func appendOrderedInt(dst []byte, x int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(x)^(1<<63))
}

func appendScalarPayload(dst []byte, v Value) []byte {
	switch v.k {
	case KindBoolean:
		return append(dst, byte(v.i&1))
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindDate, KindTime,
		KindIntervalYearMonth, KindIntervalDayTime:
		return appendOrderedInt(dst, v.i)
	case KindFloat, KindDouble:
		f := v.Float64()
		var b uint64
		switch {
		case f != f:
			b = 0x7FF8000000000000 // one NaN
		case f == 0:
			b = 0 // -0.0 is 0.0
		default:
			b = math.Float64bits(f)
		}
		if b>>63 != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		return binary.BigEndian.AppendUint64(dst, b)
	case KindDecimal:
		return appendKeyDecimal(dst, v)
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		s := v.s
		for {
			i := strings.IndexByte(s, 0)
			if i < 0 {
				dst = append(dst, s...)
				break
			}
			dst = append(dst, s[:i+1]...)
			dst = append(dst, 0xFF)
			s = s[i+1:]
		}
		return append(dst, 0x00, 0x01)
	case KindTimestamp, KindTimestampLTZ:
		dst = appendOrderedInt(dst, v.i)
		return binary.BigEndian.AppendUint32(dst, uint32(v.n))
	}
	return dst
}

func appendCompositeKey(dst []byte, v Value) []byte {
	switch v.k {
	case KindArray:
		for _, e := range v.Elems() {
			dst = appendKeyValue(append(dst, 0x01), e, false, false)
		}
		return append(dst, 0x00)
	case KindMultiset:
		return appendSortedGroups(dst, v.Elems(), 1)
	case KindMap:
		return appendSortedGroups(dst, v.Elems(), 2)
	case KindRow:
		for _, e := range v.Elems() {
			dst = appendKeyValue(dst, e, false, false)
		}
		return dst
	}
	return dst
}

// appendSortedGroups encodes groups of width values (elements or map
// entries) each as 0x01 and the values' keys, in byte order, then 0x00.
func appendSortedGroups(dst []byte, vals []Value, width int) []byte {
	n := len(vals) / width
	var scratch []byte
	spans := make([][2]int, n)
	for g := 0; g < n; g++ {
		spans[g][0] = len(scratch)
		for k := 0; k < width; k++ {
			scratch = appendKeyValue(scratch, vals[g*width+k], false, false)
		}
		spans[g][1] = len(scratch)
	}
	slices.SortFunc(spans, func(a, b [2]int) int {
		return bytes.Compare(scratch[a[0]:a[1]], scratch[b[0]:b[1]])
	})
	for _, sp := range spans {
		dst = append(append(dst, 0x01), scratch[sp[0]:sp[1]]...)
	}
	return append(dst, 0x00)
}

func appendKeyDecimal(dst []byte, v Value) []byte {
	d := v.Decimal()
	sign := d.Sign()
	if sign == 0 {
		return append(dst, 0x02)
	}
	var buf [48]byte
	var digits []byte
	if d.b != nil {
		digits = d.b.Append(buf[:0], 10)
		if digits[0] == '-' {
			digits = digits[1:]
		}
	} else {
		digits = strconv.AppendUint(buf[:0], mag(d.u), 10)
	}
	e := len(digits) - int(d.s) // value = 0.digits * 10^e
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	var inv byte
	if sign < 0 {
		dst = append(dst, 0x01)
		inv = 0xFF
	} else {
		dst = append(dst, 0x03)
	}
	dst = append(dst, byte(e+128)^inv)
	for _, c := range digits {
		dst = append(dst, (c-'0'+1)^inv)
	}
	return append(dst, inv)
}
