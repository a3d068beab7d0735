package mock

import (
	"strconv"
	"unicode/utf8"
)

// Value is one column value. Decimals are exact, in hundredths (every
// decimal column of gmall has at most 2 decimals), so money sums exactly.
type Value struct {
	kind uint8
	n    int64
	s    string
}

const (
	vNull uint8 = iota
	vInt
	vDec
	vStr
)

// Null is SQL NULL.
func Null() Value { return Value{} }

// Int is an integer value.
func Int(n int64) Value { return Value{kind: vInt, n: n} }

// Dec is a decimal of cents hundredths (Dec(1234) is 12.34).
func Dec(cents int64) Value { return Value{kind: vDec, n: cents} }

// Str is a string value (varchar, text, or a formatted date/datetime).
func Str(s string) Value { return Value{kind: vStr, s: s} }

// IsNull tells whether v is NULL.
func (v Value) IsNull() bool { return v.kind == vNull }

// Int64 returns an integer value, or a decimal's hundredths.
func (v Value) Int64() int64 { return v.n }

// String returns a string value.
func (v Value) String() string { return v.s }

// Row is one row of a table, a value per column in DDL order.
type Row []Value

// Clone copies a row.
func (r Row) Clone() Row { return append(Row(nil), r...) }

// appendJSON appends v as Maxwell writes a value of column c: numbers for
// integers and decimals (with the column's scale, as Java's BigDecimal
// prints), strings for the rest, null for NULL.
func appendJSON(dst []byte, c *Column, v Value) []byte {
	switch v.kind {
	case vNull:
		return append(dst, "null"...)
	case vInt:
		return strconv.AppendInt(dst, v.n, 10)
	case vDec:
		return appendDecimal(dst, v.n, c.Scale)
	default:
		return appendJSONString(dst, v.s)
	}
}

// appendDecimal writes hundredths with scale decimals (0 or 2 in gmall;
// 1 is handled too).
func appendDecimal(dst []byte, cents int64, scale int) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	switch scale {
	case 0:
		return dst
	case 1:
		return append(dst, '.', byte('0'+cents%100/10))
	default:
		return append(dst, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes a JSON string (escaping as Jackson does: control
// characters, quote and backslash).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return append(dst, '"')
}

// appendSQL appends v as a SQL literal for column c.
func appendSQL(dst []byte, c *Column, v Value) []byte {
	switch v.kind {
	case vNull:
		return append(dst, "NULL"...)
	case vInt:
		return strconv.AppendInt(dst, v.n, 10)
	case vDec:
		return appendDecimal(dst, v.n, 2)
	default:
		dst = append(dst, '\'')
		for i := 0; i < len(v.s); i++ {
			switch ch := v.s[i]; ch {
			case '\'':
				dst = append(dst, '\'', '\'')
			case '\\':
				dst = append(dst, '\\', '\\')
			case 0:
				dst = append(dst, '\\', '0')
			default:
				dst = append(dst, ch)
			}
		}
		return append(dst, '\'')
	}
}
