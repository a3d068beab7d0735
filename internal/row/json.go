package row

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
)

// TimestampFormat is Flink's json.timestamp-format.standard.
type TimestampFormat uint8

const (
	TimestampSQL     TimestampFormat = iota // 'yyyy-MM-dd HH:mm:ss[.fraction]' (Flink's default, 'SQL')
	TimestampISO8601                        // 'yyyy-MM-ddTHH:mm:ss[.fraction]' ('ISO-8601')
)

// MapNullKeyMode is Flink's json.map-null-key.mode: what encoding does with
// a NULL map key.
type MapNullKeyMode uint8

const (
	MapNullKeyFail    MapNullKeyMode = iota // an error (Flink's default)
	MapNullKeyDrop                          // the entry is left out
	MapNullKeyLiteral                       // the key is written as MapNullKeyLiteral
)

// JSONOptions are the json format's options (Flink's json.* names in
// comments) plus the session time zone.
type JSONOptions struct {
	FailOnMissingField bool            // json.fail-on-missing-field: a missing field is an error, not NULL
	IgnoreParseErrors  bool            // json.ignore-parse-errors: a field that cannot be decoded is NULL
	TimestampFormat    TimestampFormat // json.timestamp-format.standard
	MapNullKeyMode     MapNullKeyMode  // json.map-null-key.mode
	MapNullKeyLiteral  string          // json.map-null-key.literal (default "null")
	IgnoreNullFields   bool            // json.encode.ignore-null-fields: NULL fields are left out
	// Location is the session time zone (table.local-time-zone), used for
	// a TIMESTAMP_LTZ text without a zone; nil is UTC.
	Location *time.Location
}

// Set sets one option from its text, as a table's WITH clause spells it:
// name is Flink's json format option without its prefix ("json.",
// "value.json.", "maxwell-json.", ...), value its text; booleans are
// ParseBool's. An unknown name or a bad value is an error (without the
// option's name: the caller knows how it was spelled). Contradictions
// between options are Validate's.
func (o *JSONOptions) Set(name, value string) error {
	var err error
	switch name {
	case "fail-on-missing-field":
		o.FailOnMissingField, err = ParseBool(value)
	case "ignore-parse-errors":
		o.IgnoreParseErrors, err = ParseBool(value)
	case "timestamp-format.standard":
		switch value { // case-sensitive, as Flink's
		case "SQL":
			o.TimestampFormat = TimestampSQL
		case "ISO-8601":
			o.TimestampFormat = TimestampISO8601
		default:
			err = errors.New("Supported values are [SQL, ISO-8601]")
		}
	case "map-null-key.mode":
		switch strings.ToUpper(value) {
		case "FAIL":
			o.MapNullKeyMode = MapNullKeyFail
		case "DROP":
			o.MapNullKeyMode = MapNullKeyDrop
		case "LITERAL":
			o.MapNullKeyMode = MapNullKeyLiteral
		default:
			err = errors.New("want 'FAIL', 'DROP' or 'LITERAL'")
		}
	case "map-null-key.literal":
		o.MapNullKeyLiteral = value
	case "encode.ignore-null-fields":
		o.IgnoreNullFields, err = ParseBool(value)
	case "encode.decimal-as-plain-number", "decode.json-parser.enabled":
		_, err = ParseBool(value) // DECIMALs are always plain numbers; the parser is always fastjson
	default:
		err = errors.New("unsupported option")
	}
	return err
}

// ParseBool reads a boolean option value as Flink does: true or false, in
// any case.
func ParseBool(v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, errors.New("not a boolean (true or false)")
}

// Validate rejects contradictory options, as Flink does. prefix is how
// the options are spelled in the error ("json.", "value.maxwell-json.").
func (o JSONOptions) Validate(prefix string) error {
	if o.FailOnMissingField && o.IgnoreParseErrors {
		return fmt.Errorf("'%sfail-on-missing-field' and '%signore-parse-errors' cannot both be true", prefix, prefix)
	}
	return nil
}

// sep is the date-time separator of the timestamp format.
func (f TimestampFormat) sep() byte {
	if f == TimestampISO8601 {
		return 'T'
	}
	return ' '
}

// FieldError is a JSON field that cannot be decoded: the record goes to
// the dead letters with Error() as the reason. Field is the path from the
// row: "amount", "address.city", "items[2].sku".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "field " + strconv.Quote(e.Field) + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func wrapField(name string, index int, err error) error {
	seg := name
	if name == "" {
		seg = "[" + strconv.Itoa(index) + "]"
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		if fe.Field != "" && fe.Field[0] != '[' {
			seg += "."
		}
		return &FieldError{Field: seg + fe.Field, Err: fe.Err}
	}
	return &FieldError{Field: seg, Err: err}
}

// jsonNode is the decoding (and encoding) plan of one type.
type jsonNode struct {
	t      *Type
	fields []*jsonNode    // ROW
	names  []string       // ROW field names
	quoted [][]byte       // ROW field names as JSON object keys: `"name":`
	index  map[string]int // ROW field name -> position
	elem   *jsonNode      // ARRAY / MULTISET element; MAP value
	key    *jsonNode      // MAP key
}

func planJSON(t *Type) *jsonNode {
	n := &jsonNode{t: t}
	switch t.Kind {
	case KindRow:
		n.index = make(map[string]int, len(t.Fields))
		for i := range t.Fields {
			f := planJSON(&t.Fields[i].Type)
			n.fields = append(n.fields, f)
			n.names = append(n.names, t.Fields[i].Name)
			q := appendJSONString(nil, t.Fields[i].Name)
			n.quoted = append(n.quoted, append(q, ':'))
			n.index[t.Fields[i].Name] = i
		}
	case KindArray, KindMultiset:
		n.elem = planJSON(t.Elem)
	case KindMap:
		n.key, n.elem = planJSON(t.Key), planJSON(t.Elem)
	}
	return n
}

// JSONDecoder decodes JSON objects into rows of a schema with Flink's json
// format semantics:
//   - a missing field is NULL (an error with FailOnMissingField), a JSON
//     null is NULL, fields the schema does not name are ignored, and of
//     duplicate keys the last wins;
//   - a value that does not fit its column is a *FieldError naming the
//     field (NULL with IgnoreParseErrors);
//   - numbers decode from their text: DECIMAL exactly (rounded HALF_UP to
//     the scale; NULL when it overflows the precision, as Flink), and
//     numeric columns accept strings ("12.50"), as Flink does; INT and
//     BIGINT truncate a fractional number as Flink (Jackson) does, TINYINT
//     and SMALLINT reject it;
//   - BOOLEAN accepts true/false, the strings "true"/"false" (any case) and
//     the numbers 0/1; anything else is an error (Flink would read false);
//   - a STRING column takes a non-string value as its JSON text, so
//     {"a":{"b":1}} gives a = '{"b":1}' (numbers keep their original text);
//   - BYTES are base64; DATE 'yyyy-MM-dd'; TIME 'HH:mm[:ss[.f]]'; TIMESTAMP
//     per TimestampFormat; TIMESTAMP_LTZ the same with a trailing 'Z' (or an
//     offset, or nothing: then the session zone Location); fractions beyond
//     the column's precision are truncated; INTERVALs are numbers (months,
//     milliseconds);
//   - ROW is an object, ARRAY an array, MAP an object whose keys are read as
//     the key type from their text, MULTISET an object of element -> count.
//
// A JSONDecoder is not safe for concurrent use: one per task.
type JSONDecoder struct {
	opts    JSONOptions
	root    *jsonNode
	buf     []byte // this row's string bytes, copied once into one string at the end
	num     []byte // scratch: a number's text
	pending int    // strings waiting in buf
	sep     byte   // TIMESTAMP date-time separator (opts.TimestampFormat)
}

// NewJSONDecoder returns a decoder for rows of s.
func NewJSONDecoder(s *Schema, opts JSONOptions) (*JSONDecoder, error) {
	if err := opts.Validate("json."); err != nil {
		return nil, err
	}
	t := s.Type()
	return &JSONDecoder{opts: opts, root: planJSON(&t), sep: opts.TimestampFormat.sep()}, nil
}

// DecodeBytes parses data with p (reused by the caller across records) and
// decodes it into r. Malformed JSON is an error even with
// IgnoreParseErrors (Flink skips such a record; so does the caller).
// "Malformed" is what Flink's parser (Jackson) refuses, not what fastjson
// does: see ParseStrict.
func (d *JSONDecoder) DecodeBytes(p *fastjson.Parser, data []byte, r *Row) error {
	v, err := ParseStrict(p, data)
	if err != nil {
		clear(r.Values)
		return err
	}
	return d.Decode(v, r)
}

// ParseStrict parses data with p if it is JSON as Flink's JSON formats
// read it: RFC 8259 (as encoding/json), plus raw control characters in
// strings (Flink's formats turn on Jackson's ALLOW_UNESCAPED_CONTROL_CHARS).
// Otherwise the error is "malformed JSON: ...". fastjson alone takes much
// that is no JSON, and decodes it: NaN and inf as numbers, 1.2.3 and 01 as
// number text, an unknown escape as its two characters. A record like
// that is bad input (a dead letter), not a row.
func ParseStrict(p *fastjson.Parser, data []byte) (*fastjson.Value, error) {
	if err := jsonw.ValidControls(data); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	v, err := p.ParseBytes(data)
	if err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	return v, nil
}

// Decode decodes a parsed JSON object into r (kind +I), reusing r.Values.
// All strings of the row share one allocation. On error r is all NULL.
func (d *JSONDecoder) Decode(v *fastjson.Value, r *Row) error {
	r.Kind = Insert
	r.Values = grow(r.Values, len(d.root.fields))
	if v.Type() != fastjson.TypeObject {
		clear(r.Values)
		return fmt.Errorf("expected a JSON object, got %s", v.Type())
	}
	o, _ := v.Object()
	d.buf, d.pending = d.buf[:0], 0
	if err := d.object(d.root, o, r.Values); err != nil {
		clear(r.Values)
		return err
	}
	if d.pending > 0 {
		arena := string(d.buf)
		fixArena(r.Values, arena)
	}
	if cap(d.buf) > 1<<20 {
		d.buf = nil // one huge record does not pin its buffer for the task's life
	}
	return nil
}

// fixArena points pending strings into the row's one string.
func fixArena(vals []Value, arena string) {
	for i := range vals {
		v := &vals[i]
		switch {
		case v.f&flagArena != 0:
			v.s = arena[v.i : v.i+int64(v.n)]
			v.f, v.i, v.n = 0, 0, 0
		case v.k >= KindArray && v.p != nil:
			fixArena(v.Elems(), arena)
		}
	}
}

func (d *JSONDecoder) object(n *jsonNode, o *fastjson.Object, out []Value) error {
	for i := range out {
		out[i] = Value{f: flagUnset}
	}
	var err error
	next := 0
	o.Visit(func(key []byte, jv *fastjson.Value) {
		if err != nil {
			return
		}
		// JSON written from the same schema has its keys in schema order:
		// try the next field before the map.
		idx := -1
		if next < len(n.names) && n.names[next] == string(key) {
			idx = next
		} else if j, ok := n.index[string(key)]; ok {
			idx = j
		} else {
			return
		}
		next = idx + 1
		val, e := d.value(n.fields[idx], jv)
		if e != nil {
			err = wrapField(n.names[idx], 0, e)
			return
		}
		out[idx] = val
	})
	if err != nil {
		return err
	}
	for i := range out {
		if out[i].f&flagUnset != 0 {
			if d.opts.FailOnMissingField {
				return &FieldError{Field: n.names[i], Err: errors.New("missing (json.fail-on-missing-field)")}
			}
			out[i] = Value{}
		}
	}
	return nil
}

// value decodes one JSON value as n's type; JSON null and a missing value
// are NULL, and with IgnoreParseErrors so is a value that does not decode.
func (d *JSONDecoder) value(n *jsonNode, jv *fastjson.Value) (Value, error) {
	if jv == nil || jv.Type() == fastjson.TypeNull {
		return Value{}, nil
	}
	v, err := d.convert(n, jv)
	if err != nil && d.opts.IgnoreParseErrors {
		return Value{}, nil
	}
	return v, err
}

// CannotDecodeJSON is the error for a JSON value that does not fit type
// t: `cannot decode JSON string "x" as INT`, `cannot decode JSON object
// {"a":1} as INT`, the value as JSONText shows it.
func CannotDecodeJSON(jv *fastjson.Value, t *Type) error {
	return fmt.Errorf("cannot decode JSON %s %s as %s", jv.Type(), JSONText(jv), t)
}

// JSONText shows a JSON value in an error message: a string as its
// content quoted, another value as its JSON text; shortened to 64 bytes.
func JSONText(jv *fastjson.Value) string {
	if jv.Type() == fastjson.TypeString {
		return quoteShort(jv.GetStringBytes())
	}
	text := jsonw.AppendValue(nil, jv)
	if len(text) > 64 {
		text = append(text[:61], "..."...)
	}
	return string(text)
}

// quoteShort quotes a JSON string's content, shortened to 64 bytes.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:61]) + "...")
	}
	return strconv.Quote(string(b))
}

func (d *JSONDecoder) numText(jv *fastjson.Value) []byte {
	d.num = jv.MarshalTo(d.num[:0])
	return d.num
}

func (d *JSONDecoder) convert(n *jsonNode, jv *fastjson.Value) (Value, error) {
	t := n.t
	jt := jv.Type()
	switch t.Kind {
	case KindChar, KindVarChar:
		if jt == fastjson.TypeString {
			b, _ := jv.StringBytes()
			return d.arenaBytes(t.Kind, b)
		}
		off := len(d.buf)
		d.buf = jsonw.AppendValue(d.buf, jv)
		return d.arenaSpan(t.Kind, off)
	}
	if jt == fastjson.TypeString {
		b, _ := jv.StringBytes()
		return d.fromText(n, b)
	}
	switch t.Kind {
	case KindBoolean:
		switch jt {
		case fastjson.TypeTrue:
			return Bool(true), nil
		case fastjson.TypeFalse:
			return Bool(false), nil
		case fastjson.TypeNumber:
			switch string(d.numText(jv)) {
			case "0":
				return Bool(false), nil
			case "1":
				return Bool(true), nil
			}
		}
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindIntervalYearMonth, KindIntervalDayTime:
		if jt != fastjson.TypeNumber {
			break
		}
		text := b2s(d.numText(jv))
		x, ok := parseInt(text)
		if !ok && (t.Kind == KindInt || t.Kind == KindBigInt || t.Kind == KindIntervalDayTime) {
			// Jackson's canConvertToLong + longValue: a fractional number
			// in range truncates toward zero.
			if f, err := strconv.ParseFloat(text, 64); err == nil && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
				x, ok = int64(f), true
			}
		}
		if ok && intFitsKind(t.Kind, x) {
			return Value{k: t.Kind, i: x}, nil
		}
	case KindFloat, KindDouble:
		if jt != fastjson.TypeNumber {
			break
		}
		return d.float(t, b2s(d.numText(jv)))
	case KindDecimal:
		if jt != fastjson.TypeNumber {
			break
		}
		return decimalText(t, b2s(d.numText(jv)))
	case KindArray:
		if jt != fastjson.TypeArray {
			break
		}
		arr, _ := jv.Array()
		elems := make([]Value, len(arr))
		for i, e := range arr {
			var err error
			if elems[i], err = d.value(n.elem, e); err != nil {
				return Value{}, wrapField("", i, err)
			}
		}
		return composite(KindArray, elems), nil
	case KindRow:
		if jt != fastjson.TypeObject {
			break
		}
		o, _ := jv.Object()
		fields := make([]Value, len(n.fields))
		if err := d.object(n, o, fields); err != nil {
			return Value{}, err
		}
		return composite(KindRow, fields), nil
	case KindMap:
		if jt != fastjson.TypeObject {
			break
		}
		return d.mapValue(n, jv)
	case KindMultiset:
		if jt != fastjson.TypeObject {
			break
		}
		return d.multiset(n, jv)
	}
	return Value{}, CannotDecodeJSON(jv, t)
}

// fromText decodes a JSON string's content as n's type (also map keys).
func (d *JSONDecoder) fromText(n *jsonNode, b []byte) (Value, error) {
	t := n.t
	switch t.Kind {
	case KindChar, KindVarChar:
		return d.arenaBytes(t.Kind, b)
	case KindBinary, KindVarBinary:
		off := len(d.buf)
		need := base64.RawStdEncoding.DecodedLen(len(b)) // >= StdEncoding's for any input
		d.buf = slices.Grow(d.buf, need)[:off+need]
		m, err := base64.StdEncoding.Decode(d.buf[off:], b)
		if err != nil {
			if m, err = base64.RawStdEncoding.Decode(d.buf[off:], b); err != nil {
				d.buf = d.buf[:off]
				return Value{}, fmt.Errorf("cannot decode JSON string as %s: not base64: %s", t, quoteShort(b))
			}
		}
		d.buf = d.buf[:off+m]
		return d.arenaSpan(t.Kind, off)
	case KindBoolean:
		switch s := trimBlanks(b2s(b)); {
		case strings.EqualFold(s, "true"):
			return Bool(true), nil
		case strings.EqualFold(s, "false"):
			return Bool(false), nil
		}
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindIntervalYearMonth, KindIntervalDayTime:
		if x, ok := parseInt(trimBlanks(b2s(b))); ok && intFitsKind(t.Kind, x) {
			return Value{k: t.Kind, i: x}, nil
		}
	case KindFloat, KindDouble:
		return d.float(t, trimBlanks(b2s(b)))
	case KindDecimal:
		return decimalText(t, b2s(b))
	case KindDate:
		if days, err := ParseDate(b2s(b)); err == nil {
			return Date(days), nil
		}
	case KindTime:
		if nod, err := ParseTime(b2s(b)); err == nil {
			return Time(TruncateTime(nod, t.Precision)), nil
		}
	case KindTimestamp:
		if ms, ns, err := parseTimestampSep(b2s(b), d.sep); err == nil {
			ms, ns = TruncateTimestamp(ms, ns, t.Precision)
			return Value{k: KindTimestamp, i: ms, n: ns}, nil
		}
	case KindTimestampLTZ:
		if ms, ns, err := ParseTimestampLTZ(b2s(b), d.sep, d.opts.Location); err == nil {
			ms, ns = TruncateTimestamp(ms, ns, t.Precision)
			return Value{k: KindTimestampLTZ, i: ms, n: ns}, nil
		}
	}
	return Value{}, fmt.Errorf("cannot decode JSON string %s as %s", quoteShort(b), t)
}

func intFitsKind(k Kind, x int64) bool {
	if k == KindIntervalYearMonth {
		return x == int64(int32(x))
	}
	return intFits(k, x)
}

// parseInt parses [+-]digits exactly.
func parseInt(b string) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func (d *JSONDecoder) float(t *Type, text string) (Value, error) {
	bits := 64
	if t.Kind == KindFloat {
		bits = 32
	}
	f, err := strconv.ParseFloat(text, bits)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return Value{}, fmt.Errorf("cannot decode %q as %s", strings.Clone(text), t)
	}
	if t.Kind == KindFloat {
		return Float(float32(f)), nil
	}
	return Double(f), nil
}

func decimalText(t *Type, text string) (Value, error) {
	dec, err := ParseDecimal(text, t.Precision, t.Scale)
	switch {
	case err == nil:
		return DecimalValue(dec), nil
	case errors.Is(err, ErrDecimalOverflow):
		return Value{}, nil // NULL, as Flink's DecimalData.fromBigDecimal
	}
	return Value{}, fmt.Errorf("cannot decode %q as %s", strings.Clone(text), t)
}

// arenaBytes copies b into the row's string bytes and returns a pending
// string value. Invalid UTF-8 becomes U+FFFD, one per invalid byte, as
// the CDC formats and the Go jobs read strings (docs/ingestion.md): the
// row holds text, and functions on it need not guess.
func (d *JSONDecoder) arenaBytes(k Kind, b []byte) (Value, error) {
	if len(b) == 0 {
		return Value{k: k}, nil
	}
	off := len(d.buf)
	d.buf = append(d.buf, jsonw.ValidUTF8(b)...)
	return d.arenaSpan(k, off)
}

// arenaSpan returns a pending string value for d.buf[off:].
func (d *JSONDecoder) arenaSpan(k Kind, off int) (Value, error) {
	n := len(d.buf) - off
	if n == 0 {
		return Value{k: k}, nil
	}
	if n > math.MaxInt32 {
		return Value{}, errors.New("string longer than 2 GiB")
	}
	d.pending++
	return Value{k: k, f: flagArena, i: int64(off), n: int32(n)}, nil
}

func (d *JSONDecoder) mapValue(n *jsonNode, jv *fastjson.Value) (Value, error) {
	o, _ := jv.Object()
	kv := make([]Value, 0, 2*o.Len())
	var err error
	o.Visit(func(key []byte, e *fastjson.Value) {
		if err != nil {
			return
		}
		k, kerr := d.fromText(n.key, key)
		if kerr != nil {
			if !d.opts.IgnoreParseErrors {
				err = wrapField(string(key), 0, kerr)
				return
			}
			k = Value{}
		}
		v, verr := d.value(n.elem, e)
		if verr != nil {
			err = wrapField(string(key), 0, verr)
			return
		}
		kv = append(kv, k, v)
	})
	if err != nil {
		return Value{}, err
	}
	return composite(KindMap, kv), nil
}

// maxMultisetJSON bounds the elements a JSON multiset expands to, so a
// small record cannot claim a billion copies.
const maxMultisetJSON = 1 << 20

// multiset reads Flink's MULTISET JSON: an object of element -> count.
func (d *JSONDecoder) multiset(n *jsonNode, jv *fastjson.Value) (Value, error) {
	o, _ := jv.Object()
	var elems []Value
	var err error
	o.Visit(func(key []byte, e *fastjson.Value) {
		if err != nil {
			return
		}
		k, kerr := d.fromText(n.elem, key)
		if kerr != nil {
			err = wrapField(string(key), 0, kerr)
			return
		}
		cnt, cerr := e.Int64()
		if cerr != nil || cnt < 0 || int64(len(elems))+cnt > maxMultisetJSON {
			err = wrapField(string(key), 0, fmt.Errorf("multiset count %s is not an integer from 0 to %d", e, maxMultisetJSON))
			return
		}
		for ; cnt > 0; cnt-- {
			elems = append(elems, k)
		}
	})
	if err != nil {
		return Value{}, err
	}
	return composite(KindMultiset, elems), nil
}
