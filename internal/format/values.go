package format

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/row"
)

// unit is what an epoch number of a temporal column counts.
type unit uint8

const (
	// unitDefault: the column type's default: DATE days, TIME microseconds
	// of the day (Debezium's MicroTime, MySQL's default), TIMESTAMP
	// milliseconds, read as microseconds, then nanoseconds, when beyond
	// the milliseconds of year 9999 (Debezium's MicroTimestamp and
	// NanoTimestamp, whose schema the record does not carry).
	unitDefault unit = iota
	unitDays
	unitMillis
	unitMicros
	unitNanos
)

// hint is what a Debezium schema envelope says about a column's values.
type hint struct {
	unit    unit
	decimal bool  // org.apache.kafka.connect.data.Decimal: base64 unscaled bytes
	scale   int32 // the Decimal's scale parameter
}

var noHint hint

// maxConnectScale bounds the scale of a Connect decimal (DECIMAL's is 38).
const maxConnectScale = 100

// maxDecimalBytes bounds a Connect decimal's unscaled bytes.
const maxDecimalBytes = 256

type column struct {
	name string
	t    row.Type
	sub  int // position among the composite columns, -1 for a scalar
}

// valueDecoder decodes the row objects of CDC records into typed values
// of the table's columns: the DDL's types decide, whatever JSON type the
// value arrives as (Canal sends strings, Maxwell numbers, Debezium epoch
// numbers and base64 decimals). Strings of one change (the rows of one
// update, or of one Canal INSERT or DELETE message) share one allocation.
type valueDecoder struct {
	format string
	cols   []column
	exact  map[string]int
	folded map[string]int // ASCII-lowercased names
	opts   row.JSONOptions
	ignore bool
	// debezium: a DECIMAL string that is not a decimal literal is base64
	// unscaled bytes (Connect's Decimal), with the DDL's scale; a VariableScaleDecimal
	// object is read; epoch numbers for TIMESTAMP_LTZ are wall clocks
	// (Debezium writes DATETIME as if in UTC) read in the session zone.
	debezium bool

	buf     []byte    // string bytes of the current change
	pend    []pending // string values waiting for buf to become a string
	strAt   []int32   // per column: index in pend of the current object's string, or -1
	seen    []uint8   // per column: 0 missing, 1 found by a case-folded name, 2 by its exact name
	scratch []byte
	b64     []byte
	fold    []byte
	nulled  int

	// Composite columns (ARRAY, MAP, MULTISET, ROW) are decoded by a
	// row.JSONDecoder of their own, from JSON or from a JSON text in a
	// string (Debezium's and Canal's JSON columns).
	sub        *row.JSONDecoder
	subCols    []int
	subVals    []*fastjson.Value
	subArena   fastjson.Arena
	subParsers []fastjson.Parser
	subRow     row.Row
}

type pending struct {
	slot   *row.Value
	kind   row.Kind
	off, n int
}

func newValueDecoder(f *Format, debezium bool) *valueDecoder {
	n := f.schema.Len()
	d := &valueDecoder{
		format:   f.name,
		cols:     make([]column, n),
		exact:    make(map[string]int, n),
		folded:   make(map[string]int, n),
		opts:     f.json,
		ignore:   f.json.IgnoreParseErrors,
		debezium: debezium,
		strAt:    make([]int32, n),
		seen:     make([]uint8, n),
	}
	var subCols []row.Column
	for i, c := range f.schema.Columns() {
		d.cols[i] = column{name: c.Name, t: c.Type, sub: -1}
		d.exact[c.Name] = i
		d.folded[asciiLower(c.Name)] = i
		switch c.Type.Kind {
		case row.KindArray, row.KindMap, row.KindMultiset, row.KindRow:
			d.cols[i].sub = len(d.subCols)
			d.subCols = append(d.subCols, i)
			subCols = append(subCols, c)
		}
	}
	if len(subCols) > 0 {
		s, err := row.NewSchema(subCols...)
		if err == nil {
			opts := f.json
			opts.FailOnMissingField = false
			d.sub, err = row.NewJSONDecoder(s, opts)
		}
		if err != nil {
			panic("format: composite columns of a valid schema: " + err.Error())
		}
		d.subVals = make([]*fastjson.Value, len(subCols))
		d.subParsers = make([]fastjson.Parser, len(subCols))
	}
	return d
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// lookup finds the column of a JSON key: by its exact name, else
// ASCII-case-insensitively (an exact match wins).
func (d *valueDecoder) lookup(key []byte) (int, uint8) {
	if i, ok := d.exact[string(key)]; ok {
		return i, 2
	}
	d.fold = append(d.fold[:0], key...)
	for i, c := range d.fold {
		if 'A' <= c && c <= 'Z' {
			d.fold[i] = c + 'a' - 'A'
		}
	}
	if i, ok := d.folded[string(d.fold)]; ok {
		return i, 1
	}
	return -1, 0
}

// begin starts a change: the strings decoded until finish share one
// allocation.
func (d *valueDecoder) begin() {
	d.buf = d.buf[:0]
	d.pend = d.pend[:0]
}

// finish turns the change's pending strings into values.
func (d *valueDecoder) finish() {
	if len(d.pend) > 0 {
		s := string(d.buf)
		for _, p := range d.pend {
			if p.slot != nil {
				*p.slot = strValue(p.kind, s[p.off:p.off+p.n])
			}
		}
	}
	d.pend = d.pend[:0]
	d.buf = d.buf[:0]
	if cap(d.buf) > 1<<20 {
		d.buf = nil // one huge record does not pin its buffer for the task's life
	}
}

func strValue(k row.Kind, s string) row.Value {
	switch k {
	case row.KindChar:
		return row.Char(s)
	case row.KindBinary, row.KindVarBinary:
		return row.BytesOf(s)
	}
	return row.String(s)
}

// str makes slot the string d.buf[off:], pending until finish.
func (d *valueDecoder) str(idx int, slot *row.Value, k row.Kind, off int) {
	n := len(d.buf) - off
	if n == 0 {
		*slot = strValue(k, "")
		return
	}
	d.strAt[idx] = int32(len(d.pend))
	d.pend = append(d.pend, pending{slot: slot, kind: k, off: off, n: n})
}

// drop forgets a pending string of column idx (a duplicate key replaced it).
func (d *valueDecoder) drop(idx int) {
	if j := d.strAt[idx]; j >= 0 {
		d.pend[j].slot = nil
		d.strAt[idx] = -1
	}
}

// present reports whether column i was in the last object decoded.
func (d *valueDecoder) present(i int) bool { return d.seen[i] != 0 }

// joinPath joins JSON path segments: "data" + "id" = "data.id", "tags" +
// "[2]" = "tags[2]".
func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case b[0] == '[':
		return a + b
	}
	return a + "." + b
}

func (d *valueDecoder) fieldError(path, field string, err error) *Error {
	var fe *row.FieldError
	if errors.As(err, &fe) {
		field, err = joinPath(field, fe.Field), fe.Err
	}
	return &Error{Format: d.format, Field: joinPath(path, field), Reason: err.Error(), Err: err}
}

// object decodes the JSON object v (the caller checked its type) into
// out, one value per column: a missing key or JSON null is NULL, keys the
// table does not have are ignored, of duplicate keys the last wins. path
// and index (>= 0 for an array element) name v in errors ("data",
// "payload.after", "data[2]"). hints may be nil.
func (d *valueDecoder) object(v *fastjson.Value, out []row.Value, hints []hint, path string, index int) error {
	o, _ := v.Object()
	clear(out)
	clear(d.seen)
	for i := range d.strAt {
		d.strAt[i] = -1
	}
	clear(d.subVals)
	var ferr error
	fcol := -1
	o.Visit(func(key []byte, jv *fastjson.Value) {
		if ferr != nil {
			return
		}
		idx, rank := d.lookup(key)
		if idx < 0 || d.seen[idx] > rank {
			return
		}
		d.seen[idx] = rank
		d.drop(idx)
		c := &d.cols[idx]
		if c.sub >= 0 {
			out[idx] = row.Value{}
			d.subVals[c.sub] = jv
			return
		}
		h := &noHint
		if hints != nil {
			h = &hints[idx]
		}
		if err := d.convert(c, h, jv, &out[idx], idx); err != nil {
			d.drop(idx)
			out[idx] = row.Value{}
			if d.ignore {
				d.nulled++
				return
			}
			ferr, fcol = err, idx
		}
	})
	if ferr != nil {
		return d.fieldError(pathOf(path, index), d.cols[fcol].name, ferr)
	}
	if d.sub != nil {
		return d.composites(out, path, index)
	}
	return nil
}

// pathOf names element index of path (path itself when index < 0).
func pathOf(path string, index int) string {
	if index < 0 {
		return path
	}
	return path + "[" + strconv.Itoa(index) + "]"
}

// composites decodes the composite columns found by object.
func (d *valueDecoder) composites(out []row.Value, path string, index int) error {
	found := false
	d.subArena.Reset()
	obj := d.subArena.NewObject()
	for k, ci := range d.subCols {
		jv := d.subVals[k]
		if jv == nil || jv.Type() == fastjson.TypeNull {
			continue
		}
		if jv.Type() == fastjson.TypeString {
			// A JSON column sent as its text (Debezium's io.debezium.data.Json, Canal).
			parsed, err := row.ParseStrict(&d.subParsers[k], jv.GetStringBytes())
			if err != nil {
				if d.ignore {
					d.nulled++
					continue
				}
				return d.fieldError(pathOf(path, index), d.cols[ci].name, fmt.Errorf("cannot decode JSON string %s as %s: %v", quote(jv.GetStringBytes()), d.cols[ci].t, err))
			}
			jv = parsed
		}
		obj.Set(d.cols[ci].name, jv)
		found = true
	}
	if !found {
		return nil
	}
	if err := d.sub.Decode(obj, &d.subRow); err != nil {
		return d.fieldError(pathOf(path, index), "", err)
	}
	for k, ci := range d.subCols {
		out[ci] = d.subRow.Values[k]
	}
	return nil
}

// quote quotes a JSON string's content for a message, shortened.
func quote(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:61]) + "...")
	}
	return strconv.Quote(string(b))
}

// text returns the text of a number (its JSON text) or a string (its
// content), valid until the next call; ok is false for other JSON types.
func (d *valueDecoder) text(jv *fastjson.Value) (b []byte, isString, ok bool) {
	switch jv.Type() {
	case fastjson.TypeString:
		return jv.GetStringBytes(), true, true
	case fastjson.TypeNumber:
		d.scratch = jv.MarshalTo(d.scratch[:0])
		return d.scratch, false, true
	}
	return nil, false, false
}

// convert decodes one JSON value (of a scalar column) into *slot.
func (d *valueDecoder) convert(c *column, h *hint, jv *fastjson.Value, slot *row.Value, idx int) error {
	t := &c.t
	jt := jv.Type()
	if jt == fastjson.TypeNull {
		*slot = row.Value{}
		return nil
	}
	switch t.Kind {
	case row.KindChar, row.KindVarChar:
		off := len(d.buf)
		if jt == fastjson.TypeString {
			d.buf = append(d.buf, jv.GetStringBytes()...)
		} else {
			d.buf = jsonw.AppendValue(d.buf, jv) // a JSON column as its text, numbers as written
		}
		if !utf8.Valid(d.buf[off:]) {
			// Invalid UTF-8 is U+FFFD, one per invalid byte, as the Go jobs
			// read topic_db (docs/ingestion.md, Input rules).
			d.buf = append(d.buf[:off], jsonw.ValidUTF8(d.buf[off:])...)
		}
		d.str(idx, slot, t.Kind, off)
		return nil
	case row.KindBinary, row.KindVarBinary:
		if jt != fastjson.TypeString {
			break
		}
		src := jv.GetStringBytes()
		off := len(d.buf)
		need := base64.StdEncoding.DecodedLen(len(src)) + 3
		d.buf = slices.Grow(d.buf, need)[:off+need]
		n, err := base64.StdEncoding.Decode(d.buf[off:], src)
		if err != nil {
			if n, err = base64.RawStdEncoding.Decode(d.buf[off:], src); err != nil {
				d.buf = d.buf[:off]
				return fmt.Errorf("cannot decode JSON string as %s: not base64: %s", t, quote(src))
			}
		}
		d.buf = d.buf[:off+n]
		d.str(idx, slot, t.Kind, off)
		return nil
	case row.KindNull:
		*slot = row.Value{}
		return nil
	}
	var v row.Value
	var err error
	switch t.Kind {
	case row.KindBoolean:
		v, err = d.boolean(jv)
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt, row.KindIntervalYearMonth, row.KindIntervalDayTime:
		v, err = d.integer(t, h, jv)
	case row.KindFloat, row.KindDouble:
		b, _, ok := d.text(jv)
		if !ok {
			return row.CannotDecodeJSON(jv, t)
		}
		bits := 64
		if t.Kind == row.KindFloat {
			bits = 32
		}
		f, perr := strconv.ParseFloat(trim(b), bits)
		if perr != nil && !errors.Is(perr, strconv.ErrRange) {
			return row.CannotDecodeJSON(jv, t)
		}
		if t.Kind == row.KindFloat {
			v = row.Float(float32(f))
		} else {
			v = row.Double(f)
		}
	case row.KindDecimal:
		v, err = d.decimal(t, h, jv)
	case row.KindDate, row.KindTime, row.KindTimestamp, row.KindTimestampLTZ:
		v, err = d.temporal(t, h, jv)
	default:
		return row.CannotDecodeJSON(jv, t)
	}
	if err != nil {
		return err
	}
	*slot = v
	return nil
}

// trim drops leading and trailing blanks (Java's trim), viewing b as a
// string that must not outlive it.
func trim(b []byte) string {
	s := b2s(b)
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func (d *valueDecoder) boolean(jv *fastjson.Value) (row.Value, error) {
	switch jv.Type() {
	case fastjson.TypeTrue:
		return row.Bool(true), nil
	case fastjson.TypeFalse:
		return row.Bool(false), nil
	}
	if b, _, ok := d.text(jv); ok {
		switch s := trim(b); {
		case s == "1" || strings.EqualFold(s, "true"):
			return row.Bool(true), nil
		case s == "0" || strings.EqualFold(s, "false"):
			return row.Bool(false), nil
		}
	}
	return row.Value{}, row.CannotDecodeJSON(jv, &row.BooleanType)
}

func intValue(k row.Kind, x int64) (row.Value, bool) {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(x)), x == int64(int8(x))
	case row.KindSmallInt:
		return row.SmallInt(int16(x)), x == int64(int16(x))
	case row.KindInt:
		return row.Int(int32(x)), x == int64(int32(x))
	case row.KindIntervalYearMonth:
		return row.IntervalMonths(int32(x)), x == int64(int32(x))
	case row.KindIntervalDayTime:
		return row.IntervalMillis(x), true
	}
	return row.BigInt(x), true
}

func (d *valueDecoder) integer(t *row.Type, h *hint, jv *fastjson.Value) (row.Value, error) {
	b, isString, ok := d.text(jv)
	if !ok {
		if d.debezium && jv.Type() == fastjson.TypeObject {
			// A VariableScaleDecimal for an integer column.
			if dec, err := d.decimal(&decimal38, h, jv); err == nil && !dec.IsNull() {
				return integral(t, dec.Decimal(), jv)
			}
		}
		return row.Value{}, row.CannotDecodeJSON(jv, t)
	}
	if isString && h.decimal {
		// The schema says Connect Decimal (bigint.unsigned.handling.mode=
		// precise): base64, even when the text looks like digits.
		if dec, err := d.decimal(&decimal38, h, jv); err == nil && !dec.IsNull() {
			return integral(t, dec.Decimal(), jv)
		}
		return row.Value{}, row.CannotDecodeJSON(jv, t)
	}
	s := trim(b)
	x, exact := parseInt(s)
	if !exact && !isString && (t.Kind == row.KindInt || t.Kind == row.KindBigInt || t.Kind == row.KindIntervalDayTime) {
		// Flink (Jackson) truncates a fractional number in range.
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
			x, exact = int64(f), true
		}
	}
	if exact {
		if v, fits := intValue(t.Kind, x); fits {
			return v, nil
		}
	}
	return row.Value{}, row.CannotDecodeJSON(jv, t)
}

var decimal38 = row.DecimalOf(38, 0)

// integral converts a DECIMAL(38, 0) to an integer column.
func integral(t *row.Type, dec row.Decimal, jv *fastjson.Value) (row.Value, error) {
	if x, ok := dec.Int64(); ok {
		if v, fits := intValue(t.Kind, x); fits {
			return v, nil
		}
	}
	return row.Value{}, row.CannotDecodeJSON(jv, t)
}

// parseInt parses [+-]digits exactly.
func parseInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	x, err := strconv.ParseInt(s, 10, 64)
	return x, err == nil
}

func (d *valueDecoder) decimal(t *row.Type, h *hint, jv *fastjson.Value) (row.Value, error) {
	switch jv.Type() {
	case fastjson.TypeNumber, fastjson.TypeString:
		b, isString, _ := d.text(jv)
		if isString && h.decimal {
			// The schema says Connect Decimal: base64, even when the text
			// looks like a number ("1234" is the bytes d7 6d f8).
			raw, ok := d.base64(b)
			if !ok {
				return row.Value{}, row.CannotDecodeJSON(jv, t)
			}
			return connectDecimal(raw, int(h.scale), t)
		}
		// Without a schema a string is a decimal literal if it reads as one
		// (decimal.handling.mode=string), else base64 (mode=precise).
		dec, err := row.ParseDecimal(b2s(b), t.Precision, t.Scale)
		switch {
		case err == nil:
			return row.DecimalValue(dec), nil
		case errors.Is(err, row.ErrDecimalOverflow):
			return row.Value{}, nil // NULL, as Flink's DecimalData.fromBigDecimal
		case !isString || !d.debezium:
			return row.Value{}, row.CannotDecodeJSON(jv, t)
		}
		// Kafka Connect's Decimal: base64 of the big-endian two's-complement
		// unscaled value, at the DDL's scale.
		raw, ok := d.base64(b)
		if !ok {
			return row.Value{}, row.CannotDecodeJSON(jv, t)
		}
		return connectDecimal(raw, t.Scale, t)
	case fastjson.TypeObject:
		if !d.debezium {
			break
		}
		// io.debezium.data.VariableScaleDecimal: {"scale": 2, "value": "base64"}.
		sv, vv := jv.Get("scale"), jv.Get("value")
		if sv == nil || vv == nil || sv.Type() != fastjson.TypeNumber || vv.Type() != fastjson.TypeString {
			break
		}
		scale, err := sv.Int()
		if err != nil || scale < -maxConnectScale || scale > maxConnectScale {
			break
		}
		raw, ok := d.base64(vv.GetStringBytes())
		if !ok {
			break
		}
		return connectDecimal(raw, scale, t)
	}
	return row.Value{}, row.CannotDecodeJSON(jv, t)
}

// base64 decodes src (padded, as Debezium writes it) into d's b64 buffer.
func (d *valueDecoder) base64(src []byte) ([]byte, bool) {
	if len(src) == 0 || len(src) > base64.StdEncoding.EncodedLen(maxDecimalBytes) {
		return nil, false
	}
	d.b64 = slices.Grow(d.b64[:0], base64.StdEncoding.DecodedLen(len(src)))
	dst := d.b64[:base64.StdEncoding.DecodedLen(len(src))]
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil || n == 0 {
		return nil, false
	}
	return dst[:n], true
}

// connectDecimal converts a big-endian two's-complement unscaled value of
// scale scale to DECIMAL(t.Precision, t.Scale), rounding HALF_UP; NULL
// when it does not fit, as Flink.
func connectDecimal(b []byte, scale int, t *row.Type) (row.Value, error) {
	if len(b) <= 8 && scale >= 0 && scale <= row.MaxDecimalPrecision {
		u := int64(int8(b[0]))
		for _, c := range b[1:] {
			u = u<<8 | int64(c)
		}
		dec, _ := row.NewDecimal(u, row.MaxDecimalPrecision, scale) // p > 18: any int64 fits
		if r, ok := dec.Rescale(t.Precision, t.Scale); ok {
			return row.DecimalValue(r), nil
		}
		return row.Value{}, nil
	}
	bi := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		bi.Sub(bi, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	switch k := t.Scale - scale; {
	case k > 0:
		bi.Mul(bi, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	case k < 0:
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-k)), nil)
		q, r := new(big.Int).QuoRem(bi, div, new(big.Int))
		if r.Abs(r).Lsh(r, 1).Cmp(div) >= 0 { // HALF_UP: away from zero at .5
			q.Add(q, big.NewInt(int64(bi.Sign())))
		}
		bi = q
	}
	if dec, ok := row.DecimalFromBig(bi, t.Precision, t.Scale); ok {
		return row.DecimalValue(dec), nil
	}
	return row.Value{}, nil
}

// Days of 0001-01-01 and 9999-12-31, the range of dates.
const (
	minDays = -719162
	maxDays = 2932896
)

func (d *valueDecoder) temporal(t *row.Type, h *hint, jv *fastjson.Value) (row.Value, error) {
	b, isString, ok := d.text(jv)
	if !ok {
		return row.Value{}, row.CannotDecodeJSON(jv, t)
	}
	if !isString {
		x, exact := parseInt(b2s(b))
		if !exact {
			return row.Value{}, row.CannotDecodeJSON(jv, t)
		}
		v, err := d.epoch(t, h, x)
		if err != nil {
			return row.Value{}, fmt.Errorf("%w (JSON number %s as %s)", err, b, t)
		}
		return v, nil
	}
	s := b2s(b)
	if strings.HasPrefix(s, "0000-00-00") && t.Kind != row.KindTime {
		return row.Value{}, nil // MySQL's zero date is no date: NULL, as Debezium makes it
	}
	switch t.Kind {
	case row.KindDate:
		if days, err := row.ParseDate(s); err == nil {
			return row.Date(days), nil
		}
	case row.KindTime:
		s = strings.TrimSuffix(s, "Z") // Debezium's ZonedTime
		if nod, err := row.ParseTime(s); err == nil {
			return row.Time(row.TruncateTime(nod, t.Precision)), nil
		}
	case row.KindTimestamp:
		ms, ns, zoned, ok := d.timestamp(s)
		if !ok {
			break
		}
		if zoned { // an instant (Debezium's ZonedTimestamp): its wall clock in the session zone
			ms = row.InstantToLocal(ms, d.opts.Location)
			if ms < row.MinMillis || ms > row.MaxMillis {
				return row.Value{}, fmt.Errorf("%s is out of range for %s in the session time zone", quote(b), t)
			}
		}
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.Timestamp(ms, ns), nil
	case row.KindTimestampLTZ:
		ms, ns, zoned, ok := d.timestamp(s)
		if !ok {
			break
		}
		if !zoned { // a wall clock (MySQL DATETIME text): in the session zone
			ms = row.LocalToInstant(ms, d.opts.Location)
			if ms < row.MinMillis || ms > row.MaxMillis {
				return row.Value{}, fmt.Errorf("%s is out of range for %s in the session time zone", quote(b), t)
			}
		}
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.TimestampLTZ(ms, ns), nil
	}
	return row.Value{}, row.CannotDecodeJSON(jv, t)
}

// timestamp parses a date-time with either separator (the configured
// one first), with an optional zone ('Z' or an offset): zoned reports one.
func (d *valueDecoder) timestamp(s string) (ms int64, ns int32, zoned, ok bool) {
	seps := [2]byte{' ', 'T'}
	if d.opts.TimestampFormat == row.TimestampISO8601 {
		seps = [2]byte{'T', ' '}
	}
	for _, sep := range seps {
		var err error
		if sep == ' ' {
			ms, ns, err = row.ParseTimestamp(s)
		} else {
			ms, ns, err = row.ParseTimestampISO(s)
		}
		if err == nil {
			return ms, ns, false, true
		}
	}
	for _, sep := range seps {
		if ms, ns, err := row.ParseTimestampLTZ(s, sep, nil); err == nil {
			if ms < row.MinMillis || ms > row.MaxMillis {
				return 0, 0, false, false
			}
			return ms, ns, true, true
		}
	}
	return 0, 0, false, false
}

var errEpochRange = errors.New("epoch value out of range")

// epoch decodes an epoch number for a temporal column.
func (d *valueDecoder) epoch(t *row.Type, h *hint, x int64) (row.Value, error) {
	u := h.unit
	switch t.Kind {
	case row.KindDate:
		days := x
		switch u {
		case unitMillis:
			days = floorDiv(x, row.MillisPerDay)
		case unitMicros:
			days = floorDiv(x, row.MillisPerDay*1000)
		case unitNanos:
			days = floorDiv(x, row.NanosPerDay)
		}
		if days < minDays || days > maxDays {
			return row.Value{}, errEpochRange
		}
		return row.Date(int32(days)), nil
	case row.KindTime:
		var nod int64
		switch u {
		case unitDefault, unitMicros:
			if x < 0 || x >= row.NanosPerDay/1000 {
				return row.Value{}, errors.New("time of day out of range")
			}
			nod = x * 1000
		case unitMillis:
			if x < 0 || x >= row.MillisPerDay {
				return row.Value{}, errors.New("time of day out of range")
			}
			nod = x * row.NanosPerMilli
		case unitNanos:
			nod = x
		default:
			return row.Value{}, errors.New("a date is no time of day")
		}
		if nod < 0 || nod >= row.NanosPerDay {
			return row.Value{}, errors.New("time of day out of range")
		}
		return row.Time(row.TruncateTime(nod, t.Precision)), nil
	}
	var ms int64
	var ns int32
	switch u {
	case unitDays:
		if x < minDays || x > maxDays {
			return row.Value{}, errEpochRange
		}
		ms = x * row.MillisPerDay
	case unitMillis:
		ms = x
	case unitMicros:
		ms, ns = floorDiv(x, 1000), int32(floorMod(x, 1000)*1000)
	case unitNanos:
		ms, ns = floorDiv(x, row.NanosPerMilli), int32(floorMod(x, row.NanosPerMilli))
	default:
		switch {
		case x >= row.MinMillis && x <= row.MaxMillis:
			ms = x
		case x/1000 >= row.MinMillis && x/1000 <= row.MaxMillis:
			ms, ns = floorDiv(x, 1000), int32(floorMod(x, 1000)*1000)
		default:
			ms, ns = floorDiv(x, row.NanosPerMilli), int32(floorMod(x, row.NanosPerMilli))
		}
	}
	if ms < row.MinMillis || ms > row.MaxMillis {
		return row.Value{}, errEpochRange
	}
	if t.Kind == row.KindTimestampLTZ && d.debezium {
		// Debezium's Timestamp, MicroTimestamp and NanoTimestamp are wall
		// clocks written as if in UTC: the instant is that wall clock in
		// the session zone.
		ms = row.LocalToInstant(ms, d.opts.Location)
		if ms < row.MinMillis || ms > row.MaxMillis {
			return row.Value{}, errEpochRange
		}
	}
	ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
	if t.Kind == row.KindTimestampLTZ {
		return row.TimestampLTZ(ms, ns), nil
	}
	return row.Timestamp(ms, ns), nil
}

// b2s views b as a string without copying, for parsing only: the string
// must not outlive b's contents.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// epochMillisValue reads a JSON number (or numeric string) of epoch
// milliseconds as a TIMESTAMP_LTZ(3) for metadata; NULL for null.
func epochMillisValue(jv *fastjson.Value, scale int64) (row.Value, error) {
	if jv == nil || jv.Type() == fastjson.TypeNull {
		return row.Value{}, nil
	}
	var x int64
	var err error
	switch jv.Type() {
	case fastjson.TypeNumber:
		x, err = jv.Int64()
	case fastjson.TypeString:
		x, err = strconv.ParseInt(string(jv.GetStringBytes()), 10, 64)
	default:
		err = errors.New("not a number")
	}
	if err != nil {
		return row.Value{}, fmt.Errorf("%s is not an integer: %s", jv.Type(), row.JSONText(jv))
	}
	if x > math.MaxInt64/scale || x < math.MinInt64/scale || x*scale < row.MinMillis || x*scale > row.MaxMillis {
		return row.Value{}, errEpochRange
	}
	return row.TimestampLTZ(x*scale, 0), nil
}
