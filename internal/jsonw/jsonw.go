// Package jsonw writes JSON from parsed fastjson values. fastjson's own
// MarshalTo re-quotes strings it has unescaped with strconv.AppendQuote,
// which writes Go escapes (\a, \x7f, \U000e0001) that are not JSON; every
// place rtdw re-serializes parsed input uses this package instead.
package jsonw

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

const hex = "0123456789abcdef"

// attention marks the bytes AppendString cannot copy as they are: quote,
// backslash, control characters, and every byte of a multi-byte sequence
// (checked for valid UTF-8). One table load per byte keeps the common case,
// plain ASCII, a tight loop.
var attention = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// needsLook reports whether any of the 8 bytes in x may need attention:
// a high bit (UTF-8), a byte below 0x20, a quote or a backslash.
func needsLook(x uint64) bool {
	return x&highs|controls(x)|zeros(x^(ones*'"'))|zeros(x^(ones*'\\')) != 0
}

// zeros flags (high bit) the zero bytes of v, and controls the bytes below
// 0x20 of x (both exact for the lowest flag: a borrow only runs upwards
// from a flagged byte; flags above it may be false).
func zeros(v uint64) uint64    { return (v - ones) &^ v & highs }
func controls(x uint64) uint64 { return (x - ones*0x20) &^ x & highs }

// AppendString appends s as a JSON string: quote, backslash and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, the rest verbatim.
func AppendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip 8 plain bytes at a time (SWAR); a false alarm only means the
		// byte loop below looks at the chunk.
		for i+8 <= len(s) && !needsLook(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if !attention[s[i]] {
			i++
			continue
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(s[i:]); r != utf8.RuneError || size != 1 {
				i += size // valid UTF-8: copied with the run
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...) // the character itself: writing is idempotent
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ValidUTF8 returns b when it is valid UTF-8, else a copy of b with each
// byte that is not part of a valid UTF-8 sequence replaced by U+FFFD: the
// replacement AppendString makes, so text repaired here and text written
// by AppendString agree. Applied to JSON text it keeps it valid JSON
// (bytes of 0x80 and up occur only inside strings).
func ValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
			i++
			continue
		}
		out = append(out, b[i:i+size]...)
		i += size
	}
	return out
}

// AppendValue appends v, parsed from valid JSON, as valid JSON with the same
// meaning. It takes fastjson's fast MarshalTo and checks what it wrote for
// the one way that goes wrong (Go escapes for strings fastjson unescaped);
// only then does it write the value again with exact escaping. Callers
// validate their input strictly (fastjson's parser is lenient).
func AppendValue(dst []byte, v *fastjson.Value) []byte {
	n := len(dst)
	dst = v.MarshalTo(dst)
	if !goEscaped(dst[n:]) {
		return dst
	}
	return appendExact(dst[:n], v)
}

// goEscaped reports a Go-only escape (\a \v \x.. \U..) in marshalled JSON.
func goEscaped(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		switch b[i+1] {
		case 'a', 'v', 'x', 'U':
			return true
		}
		b = b[i+2:] // skip the escape pair, so \\x is a backslash then x
	}
}

// appendExact writes v with exact escaping, normalizing number texts that
// only a lenient parser accepts.
func appendExact(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeString:
		return AppendString(dst, v.GetStringBytes())
	case fastjson.TypeObject:
		o, _ := v.Object()
		dst = append(dst, '{')
		first := true
		o.Visit(func(k []byte, e *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			dst = appendExact(dst, e)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		a, _ := v.Array()
		dst = append(dst, '[')
		for i, e := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendExact(dst, e)
		}
		return append(dst, ']')
	case fastjson.TypeNumber:
		// fastjson accepts number texts JSON does not ("." "01" "NaN"):
		// write those as a canonical float, or null when not finite.
		n := len(dst)
		dst = v.MarshalTo(dst)
		if jsonNumber(dst[n:]) {
			return dst
		}
		f, err := strconv.ParseFloat(string(dst[n:]), 64)
		dst = dst[:n]
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	default: // true, false, null
		return v.MarshalTo(dst)
	}
}
