// Package jsonw writes JSON from parsed fastjson values. fastjson's own
// MarshalTo re-quotes strings it has unescaped with strconv.AppendQuote,
// which writes Go escapes (\a, \x7f, \U000e0001) that are not JSON; every
// place rtdw re-serializes parsed input uses this package instead.
package jsonw

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string: quote, backslash and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, the rest verbatim.
func AppendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
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

// AppendValue appends v as JSON: (*fastjson.Value).MarshalTo with correct
// string and key escaping. Numbers keep their original text.
func AppendValue(dst []byte, v *fastjson.Value) []byte {
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
			dst = AppendValue(dst, e)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		a, _ := v.Array()
		dst = append(dst, '[')
		for i, e := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendValue(dst, e)
		}
		return append(dst, ']')
	case fastjson.TypeNumber:
		// fastjson accepts number texts JSON does not ("." "01" "NaN"):
		// write those as a canonical float, or null when not finite.
		n := len(dst)
		dst = v.MarshalTo(dst)
		if fastjson.ValidateBytes(dst[n:]) == nil {
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
