package row

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/rtdw/rtdw/internal/jsonw"
)

// JSONEncoder writes rows as JSON objects with Flink's json format
// conventions (json.timestamp-format.standard = 'SQL' by default):
//   - TIMESTAMP as "yyyy-MM-dd HH:mm:ss[.fraction]" and TIMESTAMP_LTZ the
//     same in UTC with a trailing 'Z' ('T' instead of the space in
//     ISO-8601 mode); the fraction is written without trailing zeros and
//     left out when zero, as java.time's ISO_LOCAL_TIME that Flink uses
//     (so never more digits than the column's precision);
//   - DATE "yyyy-MM-dd", TIME "HH:mm:ss[.fraction]";
//   - DECIMAL as a plain JSON number with exactly its scale (9549.00);
//   - FLOAT and DOUBLE as the shortest number that reads back the same,
//     NaN and infinities as the strings "NaN", "Infinity", "-Infinity"
//     (Jackson's default, which the decoder accepts back);
//   - BYTES as base64; ROW as an object, ARRAY as an array, MAP as an
//     object (non-string keys written as their JSON text in a string),
//     MULTISET as an object of element -> count;
//   - NULL as null, or left out with IgnoreNullFields; a NULL map key per
//     MapNullKeyMode. The row kind is not written.
//
// Strings are escaped as JSON requires (quote, backslash, control
// characters); other characters, CJK included, are written as UTF-8, and
// invalid UTF-8 becomes U+FFFD. A JSONEncoder is not safe for concurrent
// use.
type JSONEncoder struct {
	opts    JSONOptions
	root    *jsonNode
	scratch []byte
	sep     byte // TIMESTAMP date-time separator (opts.TimestampFormat)
}

// NewJSONEncoder returns an encoder for rows of s. It cannot fail: the
// error is always nil.
func NewJSONEncoder(s *Schema, opts JSONOptions) (*JSONEncoder, error) {
	t := s.Type()
	return newJSONEncoder(&t, opts), nil
}

func newJSONEncoder(t *Type, opts JSONOptions) *JSONEncoder {
	if opts.MapNullKeyMode == MapNullKeyLiteral && opts.MapNullKeyLiteral == "" {
		opts.MapNullKeyLiteral = "null"
	}
	return &JSONEncoder{opts: opts, root: planJSON(t), sep: opts.TimestampFormat.sep()}
}

// Append appends r as one JSON object to dst.
func (e *JSONEncoder) Append(dst []byte, r *Row) ([]byte, error) {
	if len(r.Values) != len(e.root.fields) {
		return dst, fmt.Errorf("json: %d values for %d columns", len(r.Values), len(e.root.fields))
	}
	return e.object(dst, e.root, r.Values)
}

func (e *JSONEncoder) object(dst []byte, n *jsonNode, vals []Value) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	for i, v := range vals {
		if v.k == KindNull && e.opts.IgnoreNullFields {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, n.quoted[i]...)
		var err error
		if dst, err = e.value(dst, n.fields[i], v); err != nil {
			return dst, wrapField(n.names[i], 0, err)
		}
	}
	return append(dst, '}'), nil
}

// reprFits reports whether a value of kind vk has the representation
// type kind tk reads.
func reprFits(tk, vk Kind) bool {
	switch {
	case tk == vk:
		return true
	case isInt(tk):
		return isInt(vk)
	case isFloat(tk):
		return isFloat(vk)
	case tk >= KindChar && tk <= KindVarBinary:
		return vk >= KindChar && vk <= KindVarBinary
	case tk == KindTimestamp || tk == KindTimestampLTZ:
		return vk == KindTimestamp || vk == KindTimestampLTZ
	}
	return false
}

func (e *JSONEncoder) value(dst []byte, n *jsonNode, v Value) ([]byte, error) {
	if v.k == KindNull {
		return append(dst, "null"...), nil
	}
	t := n.t
	if !reprFits(t.Kind, v.k) {
		return dst, fmt.Errorf("json: cannot encode a %s value as %s", v.k, t)
	}
	switch t.Kind {
	case KindBoolean:
		return strconv.AppendBool(dst, v.i != 0), nil
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindIntervalYearMonth, KindIntervalDayTime:
		return strconv.AppendInt(dst, v.i, 10), nil
	case KindFloat:
		return appendJSONFloat(dst, v.Float64(), 32), nil
	case KindDouble:
		return appendJSONFloat(dst, v.Float64(), 64), nil
	case KindDecimal:
		return v.Decimal().Append(dst), nil
	case KindChar, KindVarChar:
		return appendJSONString(dst, v.s), nil
	case KindBinary, KindVarBinary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, s2b(v.s))
		return append(dst, '"'), nil
	case KindDate:
		return append(AppendDate(append(dst, '"'), int32(v.i)), '"'), nil
	case KindTime:
		return append(appendTimeTrim(append(dst, '"'), v.i), '"'), nil
	case KindTimestamp, KindTimestampLTZ:
		dst = appendTimestampTrim(append(dst, '"'), v.i, v.n, e.sep)
		if t.Kind == KindTimestampLTZ {
			dst = append(dst, 'Z')
		}
		return append(dst, '"'), nil
	case KindArray:
		dst = append(dst, '[')
		for i, el := range v.Elems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.value(dst, n.elem, el); err != nil {
				return dst, wrapField("", i, err)
			}
		}
		return append(dst, ']'), nil
	case KindRow:
		if v.Len() != len(n.fields) {
			return dst, fmt.Errorf("json: a ROW of %d fields as %s", v.Len(), t)
		}
		return e.object(dst, n, v.Elems())
	case KindMap:
		dst = append(dst, '{')
		kv := v.Elems()
		first := true
		shadowed := e.shadowedByLiteral(kv)
		for i := 0; i < len(kv); i += 2 {
			if i == shadowed {
				continue
			}
			start := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			var err error
			var skip bool
			if dst, skip, err = e.mapKey(dst, n.key, kv[i]); err != nil {
				return dst, err
			}
			if skip {
				dst = dst[:start]
				continue
			}
			first = false
			dst = append(dst, ':')
			if dst, err = e.value(dst, n.elem, kv[i+1]); err != nil {
				return dst, wrapField(kv[i].String(), 0, err)
			}
		}
		return append(dst, '}'), nil
	case KindMultiset:
		elems := v.Elems()
		dst = append(dst, '{')
		first := true
		for i, el := range elems {
			seen := false
			for _, prev := range elems[:i] {
				if Equal(prev, el) {
					seen = true
					break
				}
			}
			if seen {
				continue
			}
			count := 0
			for _, other := range elems[i:] {
				if Equal(other, el) {
					count++
				}
			}
			start := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			var err error
			var skip bool
			if dst, skip, err = e.mapKey(dst, n.elem, el); err != nil {
				return dst, err
			}
			if skip {
				dst = dst[:start]
				continue
			}
			first = false
			dst = strconv.AppendInt(append(dst, ':'), int64(count), 10)
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("json: cannot encode %s", t)
}

var errNullMapKey = errors.New("json: NULL map key (json.map-null-key.mode = 'FAIL'; use 'DROP' or 'LITERAL')")

// mapKey appends a map key as a JSON string: a string as itself, a
// temporal or binary value as its JSON string, anything else as its JSON
// text in a string. skip reports a NULL key dropped.
// shadowedByLiteral is the index of a map entry whose key the NULL key's
// literal repeats (map-null-key.mode LITERAL): the earlier of the two,
// which the later replaces as in Flink's JSON object; -1 when none.
func (e *JSONEncoder) shadowedByLiteral(kv []Value) int {
	if e.opts.MapNullKeyMode != MapNullKeyLiteral {
		return -1
	}
	nullAt, litAt := -1, -1
	for i := 0; i < len(kv); i += 2 {
		switch {
		case kv[i].IsNull():
			nullAt = i
		case kv[i].Kind() == KindVarChar || kv[i].Kind() == KindChar:
			if kv[i].Str() == e.opts.MapNullKeyLiteral {
				litAt = i
			}
		}
	}
	if nullAt < 0 || litAt < 0 {
		return -1
	}
	return min(nullAt, litAt)
}

func (e *JSONEncoder) mapKey(dst []byte, n *jsonNode, k Value) (_ []byte, skip bool, err error) {
	if k.k == KindNull {
		switch e.opts.MapNullKeyMode {
		case MapNullKeyDrop:
			return dst, true, nil
		case MapNullKeyLiteral:
			return appendJSONString(dst, e.opts.MapNullKeyLiteral), false, nil
		}
		return dst, false, errNullMapKey
	}
	if k.k == KindChar || k.k == KindVarChar {
		return appendJSONString(dst, k.s), false, nil
	}
	if k.k >= KindArray {
		// A composite key may hold maps whose keys need the scratch.
		text, err := e.value(nil, n, k)
		if err != nil {
			return dst, false, err
		}
		return appendJSONString(dst, string(text)), false, nil
	}
	e.scratch, err = e.value(e.scratch[:0], n, k)
	if err != nil {
		return dst, false, err
	}
	if len(e.scratch) > 0 && e.scratch[0] == '"' {
		return append(dst, e.scratch...), false, nil
	}
	return appendJSONString(dst, b2s(e.scratch)), false, nil
}

// appendJSONString appends s as a JSON string (jsonw's escaping: control
// characters escaped, invalid UTF-8 as U+FFFD), without copying s.
func appendJSONString(dst []byte, s string) []byte {
	return jsonw.AppendString(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// appendJSONFloat appends the shortest text that reads back as f: plain
// notation from 1e-6 to 1e21, exponent notation beyond.
func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 -> 1e-7
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// JSONValueEncoder writes single values of one type with JSONEncoder's
// rules: for output that is no row of a schema (a query's result columns
// may repeat a name, which a Schema refuses).
type JSONValueEncoder struct{ e *JSONEncoder }

// NewJSONValueEncoder returns an encoder for values of t.
func NewJSONValueEncoder(t Type, opts JSONOptions) *JSONValueEncoder {
	return &JSONValueEncoder{newJSONEncoder(&t, opts)}
}

// Append appends v as JSON to dst.
func (e *JSONValueEncoder) Append(dst []byte, v Value) ([]byte, error) {
	return e.e.value(dst, e.e.root, v)
}
