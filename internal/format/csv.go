package format

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/row"
)

// The csv format (Flink's 'csv'): one record value is one CSV line whose
// fields are the table's columns in order. Insert-only, like json.
//
// Options (after 'csv.'): field-delimiter (default ','), quote-character
// ('"'), disable-quote-character, allow-comments, ignore-parse-errors,
// array-element-delimiter (';'), escape-character (none), null-literal
// (none), write-bigdecimal-in-scientific-notation (accepted, see below).
// Single-character options take Java escapes as Flink does: '\t' is a tab,
// '\u0001' the character 1.
//
// Decoding: fields are read by the column types from their text: integers,
// FLOAT/DOUBLE (NaN, Infinity), DECIMAL exactly (rounded HALF_UP to the
// scale, NULL on overflow), BOOLEAN true/false in any case, DATE
// 'yyyy-M[M]-d[d]' (as Flink's java.sql.Date.valueOf), TIME
// 'HH:mm:ss[.f]', TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.f]' (or 'T'),
// TIMESTAMP_LTZ the same with 'Z' or an offset (without, the session
// time zone), BYTES base64, INTERVALs as numbers, ARRAY and ROW as their
// elements joined by the array element delimiter. A quoted field may hold
// delimiters, line breaks and the quote character doubled; the escape
// character, when set, takes the next character literally. Extra fields
// are an error (the record is skipped with ignore-parse-errors), as in
// Flink; missing fields are an error (NULL with ignore-parse-errors,
// which also turns an unreadable field into NULL and skips a record that
// is not CSV at all). A null or empty record value (a tombstone) decodes
// to no row, a comment line ('#', with allow-comments) too.
//
// Encoding writes the fields in order, with the same texts, without a line
// separator (a record is a line; the filesystem connector ends each with
// '\n'). A string is quoted when it holds the delimiter, the quote or
// escape character, a line break or a leading or trailing blank, or is
// empty or equal to the null literal. NULL is the null literal, or an
// empty field.
//
// Differences from Flink (for docs/sql.md):
//   - An unquoted empty field is NULL for every column type when no null
//     literal is set (Flink: an empty string for string columns, an error
//     for the others); a quoted empty field ("") is the empty string, and
//     rtdw writes empty strings quoted, so NULL and the empty string
//     survive a round trip.
//     With 'csv.null-literal', an unquoted empty field of a string column
//     is the empty string, as in Flink.
//   - BOOLEAN other than true/false is an error (Flink reads false).
//   - DECIMAL is always written in plain notation, whatever
//     'csv.write-bigdecimal-in-scientific-notation' says.
//   - MAP and MULTISET columns are refused when the format is configured,
//     as Flink refuses them.

// CSV is the csv format's identifier.
const CSV = "csv"

// The csv option names, after "csv.".
const (
	optFieldDelimiter   = "field-delimiter"
	optQuoteCharacter   = "quote-character"
	optDisableQuote     = "disable-quote-character"
	optAllowComments    = "allow-comments"
	optArrayDelimiter   = "array-element-delimiter"
	optEscapeCharacter  = "escape-character"
	optNullLiteral      = "null-literal"
	optBigDecimalSciNot = "write-bigdecimal-in-scientific-notation"
)

var csvOptionNames = sorted([]string{optFieldDelimiter, optQuoteCharacter, optDisableQuote, optAllowComments,
	optIgnoreParseErrors, optArrayDelimiter, optEscapeCharacter, optNullLiteral, optBigDecimalSciNot})

// csvOptions are the csv format's settings.
type csvOptions struct {
	delim      rune
	quote      rune // 0: quoting disabled
	quoteSet   bool // csv.quote-character given (conflicts with disable-quote-character)
	noQuote    bool
	escape     rune // 0: none
	comments   bool
	arrayDelim string
	null       string
	nullSet    bool
}

func defaultCSV() csvOptions { return csvOptions{delim: ',', quote: '"', arrayDelim: ";"} }

// setCSV sets one csv option.
func (f *Format) setCSV(opt, v string) error {
	c := &f.csv
	var err error
	switch opt {
	case optFieldDelimiter:
		c.delim, err = csvChar(v)
	case optQuoteCharacter:
		c.quote, err = csvChar(v)
		c.quoteSet = true
	case optDisableQuote:
		c.noQuote, err = row.ParseBool(v)
	case optAllowComments:
		c.comments, err = row.ParseBool(v)
	case optIgnoreParseErrors:
		f.json.IgnoreParseErrors, err = row.ParseBool(v)
	case optArrayDelimiter:
		if c.arrayDelim, err = unescapeJava(v); err == nil && c.arrayDelim == "" {
			err = errors.New("must not be empty")
		}
	case optEscapeCharacter:
		c.escape, err = csvChar(v)
	case optNullLiteral:
		c.null, err = unescapeJava(v)
		c.nullSet = true
	case optBigDecimalSciNot:
		_, err = row.ParseBool(v)
	default:
		err = fmt.Errorf("unknown option")
	}
	return err
}

// validateCSV checks the csv options together and the schema's types.
func (f *Format) validateCSV() error {
	c := &f.csv
	if c.noQuote {
		if c.quoteSet {
			return errors.New("format 'csv': 'csv.quote-character' and 'csv.disable-quote-character' cannot both be set")
		}
		c.quote = 0
	}
	special := []struct {
		name string
		r    rune
	}{{"field delimiter", c.delim}, {"quote character", c.quote}, {"escape character", c.escape}}
	for i, a := range special {
		if a.r == '\n' || a.r == '\r' {
			return fmt.Errorf("format 'csv': the %s cannot be a line break", a.name)
		}
		for _, b := range special[i+1:] {
			if a.r != 0 && a.r == b.r {
				return fmt.Errorf("format 'csv': the %s and the %s are the same character %q", a.name, b.name, a.r)
			}
		}
	}
	for _, col := range f.schema.Columns() {
		if err := csvSupports(col.Type, 0); err != nil {
			return fmt.Errorf("format 'csv': column %s: %v", col.Name, err)
		}
		if k := col.Type.Kind; (k == row.KindArray || k == row.KindRow) && strings.ContainsRune(c.arrayDelim, c.delim) {
			return fmt.Errorf("format 'csv': the array element delimiter %q contains the field delimiter (column %s)", c.arrayDelim, col.Name)
		}
	}
	return nil
}

// csvSupports reports whether a column type can be read and written:
// ARRAY and ROW nest one level (their elements share one delimiter).
func csvSupports(t row.Type, depth int) error {
	switch t.Kind {
	case row.KindMap, row.KindMultiset:
		return fmt.Errorf("type %s is not supported by the csv format (as in Flink)", t)
	case row.KindArray:
		if depth > 0 {
			return fmt.Errorf("nested type %s is not supported by the csv format", t)
		}
		return csvSupports(*t.Elem, depth+1)
	case row.KindRow:
		if depth > 0 {
			return fmt.Errorf("nested type %s is not supported by the csv format", t)
		}
		for _, fl := range t.Fields {
			if err := csvSupports(fl.Type, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// csvChar reads a single-character option, with Java escapes.
func csvChar(v string) (rune, error) {
	s, err := unescapeJava(v)
	if err != nil {
		return 0, err
	}
	if utf8.RuneCountInString(s) != 1 {
		return 0, errors.New("must be a single character")
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}

// unescapeJava resolves the escapes Flink's csv options accept (Java's
// StringEscapeUtils.unescapeJava): \t \n \r \b \f \\ \' \" and \uXXXX.
func unescapeJava(v string) (string, error) {
	if !strings.Contains(v, `\`) {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i == len(v)-1 {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '\\', '\'', '"':
			b.WriteByte(v[i])
		case 'u':
			if i+4 >= len(v) {
				return "", fmt.Errorf("bad unicode escape in %q", v)
			}
			n, err := strconv.ParseUint(v[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("bad unicode escape in %q", v)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte('\\')
			b.WriteByte(v[i])
		}
	}
	return b.String(), nil
}

// csvField is one field of a record: its text and whether it was quoted.
type csvField struct {
	text   string
	quoted bool
}

type csvDecoder struct {
	f      *Format
	c      csvOptions
	n      int
	fields []csvField
	buf    []byte
}

func newCSVDecoder(f *Format) *csvDecoder {
	return &csvDecoder{f: f, c: f.csv, n: f.schema.Len()}
}

// csvSyntaxError is a record that is not CSV.
type csvSyntaxError struct{ msg string }

func (e csvSyntaxError) Error() string { return e.msg }

// split reads one record's fields into d.fields. The texts share one
// string, copied from value.
func (d *csvDecoder) split(value []byte) error {
	d.fields = d.fields[:0]
	d.buf = d.buf[:0]
	type span struct {
		off, n int
		quoted bool
	}
	var spans [32]span
	sp := spans[:0]
	c := &d.c
	i := 0
	for {
		start := len(d.buf)
		quoted := false
		if c.quote != 0 && i < len(value) {
			if r, w := utf8.DecodeRune(value[i:]); r == c.quote {
				quoted = true
				i += w
			}
		}
		closed := !quoted
		for i < len(value) {
			r, w := utf8.DecodeRune(value[i:])
			switch {
			case c.escape != 0 && r == c.escape:
				i += w
				if i >= len(value) {
					return csvSyntaxError{"the record ends with an escape character"}
				}
				_, w2 := utf8.DecodeRune(value[i:])
				d.buf = append(d.buf, value[i:i+w2]...)
				i += w2
				continue
			case quoted && !closed && r == c.quote:
				if nr, nw := utf8.DecodeRune(value[i+w:]); i+w < len(value) && nr == c.quote {
					d.buf = utf8.AppendRune(d.buf, c.quote) // a doubled quote
					i += w + nw
					continue
				}
				closed = true
				i += w
				continue
			case (!quoted || closed) && r == c.delim:
			default:
				if quoted && closed {
					return csvSyntaxError{fmt.Sprintf("unexpected character %q after a closing quote", r)}
				}
				d.buf = append(d.buf, value[i:i+w]...)
				i += w
				continue
			}
			break // the delimiter
		}
		if !closed {
			return csvSyntaxError{"a quoted field is not closed"}
		}
		sp = append(sp, span{start, len(d.buf) - start, quoted})
		if i >= len(value) {
			break
		}
		_, w := utf8.DecodeRune(value[i:]) // the delimiter
		i += w
	}
	all := string(d.buf)
	for _, s := range sp {
		d.fields = append(d.fields, csvField{text: all[s.off : s.off+s.n], quoted: s.quoted})
	}
	return nil
}

// Decode decodes one CSV line into a +I row.
func (d *csvDecoder) Decode(value []byte, b *Batch) error {
	b.reset()
	value = trimLineEnd(value)
	if len(value) == 0 {
		return nil
	}
	if d.c.comments && value[0] == '#' {
		return nil
	}
	ignore := d.f.json.IgnoreParseErrors
	if err := d.split(value); err != nil {
		e := &Error{Format: CSV, Reason: err.Error()}
		if ignore {
			b.Skipped = e
			return nil
		}
		return e
	}
	if len(d.fields) > d.n || len(d.fields) < d.n && !ignore {
		// Flink: too few fields are an error (NULLs with
		// ignore-parse-errors), too many always fail the record (skipped
		// with ignore-parse-errors): Jackson's CSV reader refuses them.
		e := &Error{Format: CSV, Reason: fmt.Sprintf("row length mismatch: %d fields expected but was %d", d.n, len(d.fields))}
		if ignore {
			b.Skipped = e
			return nil
		}
		return e
	}
	r := b.add(row.Insert, d.n)
	for i, col := range d.f.schema.Columns() {
		if i >= len(d.fields) {
			break // NULL (ignore-parse-errors)
		}
		v, err := d.value(col.Type, d.fields[i], 0)
		if err != nil {
			if ignore {
				b.Nulled++
				continue
			}
			b.Rows = b.Rows[:0]
			return &Error{Format: CSV, Field: col.Name, Reason: err.Error()}
		}
		r.Values[i] = v
	}
	return nil
}

// padDate writes the month and day of 'yyyy-M-d' with two digits: Flink
// reads csv dates with java.sql.Date.valueOf, which takes them either way.
// Anything else is returned as it is (and parsed, or refused, as such).
func padDate(s string) string {
	if len(s) >= 10 || len(s) < 8 {
		return s
	}
	y, md, ok := strings.Cut(s, "-")
	m, d, ok2 := strings.Cut(md, "-")
	if !ok || !ok2 || len(y) != 4 || len(m) < 1 || len(m) > 2 || len(d) < 1 || len(d) > 2 {
		return s
	}
	pad := func(x string) string {
		if len(x) == 1 {
			return "0" + x
		}
		return x
	}
	return y + "-" + pad(m) + "-" + pad(d)
}

func trimLineEnd(v []byte) []byte {
	if n := len(v); n > 0 && v[n-1] == '\n' {
		v = v[:n-1]
		if n := len(v); n > 0 && v[n-1] == '\r' {
			v = v[:n-1]
		}
	}
	return v
}

// value reads a field's text as a value of t.
func (d *csvDecoder) value(t row.Type, fl csvField, depth int) (row.Value, error) {
	s := fl.text
	if !fl.quoted {
		if d.c.nullSet {
			if s == d.c.null {
				return row.Null(), nil
			}
			if s == "" && !t.IsString() {
				return row.Null(), nil
			}
		} else if s == "" {
			return row.Null(), nil
		}
	}
	if depth > 0 && s == "" && !t.IsString() {
		return row.Null(), nil
	}
	return csvParse(t, s, d, depth)
}

func csvParse(t row.Type, s string, d *csvDecoder, depth int) (row.Value, error) {
	bad := func() (row.Value, error) {
		return row.Null(), fmt.Errorf("cannot parse %s as %s", quote([]byte(s)), t)
	}
	switch t.Kind {
	case row.KindBoolean:
		switch {
		case strings.EqualFold(strings.TrimSpace(s), "true"):
			return row.Bool(true), nil
		case strings.EqualFold(strings.TrimSpace(s), "false"):
			return row.Bool(false), nil
		}
		return bad()
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return bad()
		}
		v, ok := intValue(t.Kind, n)
		if !ok {
			return bad()
		}
		return v, nil
	case row.KindFloat, row.KindDouble:
		x, err := parseCSVFloat(strings.TrimSpace(s), t.Kind)
		if err != nil {
			return bad()
		}
		if t.Kind == row.KindFloat {
			return row.Float(float32(x)), nil
		}
		return row.Double(x), nil
	case row.KindDecimal:
		dec, err := row.ParseDecimal(s, t.Precision, t.Scale)
		if errors.Is(err, row.ErrDecimalOverflow) {
			return row.Null(), nil // as Flink: NULL when it does not fit
		}
		if err != nil {
			return bad()
		}
		return row.DecimalValue(dec), nil
	case row.KindChar:
		return row.Char(s), nil
	case row.KindVarChar:
		return row.String(s), nil
	case row.KindBinary, row.KindVarBinary:
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return bad()
		}
		return row.Bytes(b), nil
	case row.KindDate:
		days, err := row.ParseDate(padDate(strings.TrimSpace(s)))
		if err != nil {
			return bad()
		}
		return row.Date(days), nil
	case row.KindTime:
		nod, err := row.ParseTime(strings.TrimSpace(s))
		if err != nil {
			return bad()
		}
		return row.Time(row.TruncateTime(nod, t.Precision)), nil
	case row.KindTimestamp:
		ts := strings.TrimSpace(s)
		ms, ns, err := row.ParseTimestamp(ts)
		if err != nil {
			if ms, ns, err = row.ParseTimestampISO(ts); err != nil {
				return bad()
			}
		}
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.Timestamp(ms, ns), nil
	case row.KindTimestampLTZ:
		ts := strings.TrimSpace(s)
		sep := byte(' ')
		if len(ts) > 10 && ts[10] == 'T' {
			sep = 'T'
		}
		ms, ns, err := row.ParseTimestampLTZ(ts, sep, d.f.json.Location)
		if err != nil {
			return bad()
		}
		ms, ns = row.TruncateTimestamp(ms, ns, t.Precision)
		return row.TimestampLTZ(ms, ns), nil
	case row.KindIntervalYearMonth:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return bad()
		}
		return row.IntervalMonths(int32(n)), nil
	case row.KindIntervalDayTime:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return bad()
		}
		return row.IntervalMillis(n), nil
	case row.KindArray, row.KindRow:
		if depth > 0 {
			return bad()
		}
		parts := strings.Split(s, d.c.arrayDelim)
		if t.Kind == row.KindArray {
			if s == "" {
				return row.Array(nil), nil
			}
			elems := make([]row.Value, len(parts))
			for i, p := range parts {
				v, err := d.value(*t.Elem, csvField{text: p}, depth+1)
				if err != nil {
					return row.Null(), fmt.Errorf("element %d: %v", i+1, err)
				}
				elems[i] = v
			}
			return row.Array(elems), nil
		}
		if len(parts) < len(t.Fields) {
			return row.Null(), fmt.Errorf("%d fields expected in %s but was %d", len(t.Fields), quote([]byte(s)), len(parts))
		}
		fields := make([]row.Value, len(t.Fields))
		for i, fl := range t.Fields {
			v, err := d.value(fl.Type, csvField{text: parts[i]}, depth+1)
			if err != nil {
				return row.Null(), fmt.Errorf("field %s: %v", fl.Name, err)
			}
			fields[i] = v
		}
		return row.Struct(fields), nil
	}
	return row.Null(), fmt.Errorf("type %s is not supported by the csv format", t)
}

func parseCSVFloat(s string, k row.Kind) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	bits := 64
	if k == row.KindFloat {
		bits = 32
	}
	// Go also reads "inf", "0x1p3" and "1_0": CSV written by Java never
	// holds them, and rejecting them keeps the format strict.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, errors.New("not a number")
		}
	}
	return strconv.ParseFloat(s, bits)
}

type csvEncoder struct {
	f   *Format
	c   csvOptions
	tmp []byte
}

// Append writes r as one CSV line without a line separator. As json,
// +I and +U rows are accepted, -U and -D refused.
func (e *csvEncoder) Append(dst []byte, r *row.Row) ([]byte, bool, error) {
	if r.Kind.IsRetract() || !r.Kind.Valid() {
		return dst, false, &Error{Format: CSV, Reason: fmt.Sprintf("cannot encode a %s row: the csv format is insert-only (an update stream needs debezium-json, canal-json or maxwell-json, or upsert-kafka)", r.Kind)}
	}
	n := len(dst)
	for i, col := range e.f.schema.Columns() {
		if i > 0 {
			dst = utf8.AppendRune(dst, e.c.delim)
		}
		var v row.Value
		if i < len(r.Values) {
			v = r.Values[i]
		}
		var err error
		if dst, err = e.field(dst, col.Type, v); err != nil {
			return dst[:n], false, &Error{Format: CSV, Field: col.Name, Reason: err.Error()}
		}
	}
	return dst, false, nil
}

// field writes one top-level field.
func (e *csvEncoder) field(dst []byte, t row.Type, v row.Value) ([]byte, error) {
	if v.IsNull() {
		return append(dst, e.c.null...), nil
	}
	text, err := e.text(e.tmp[:0], t, v, 0)
	if err != nil {
		return dst, err
	}
	e.tmp = text
	return e.quoted(dst, text, t.IsString() || t.IsBinary() || t.Kind == row.KindArray || t.Kind == row.KindRow), nil
}

// quoted writes a field's text, quoting or escaping it when it must be.
// Strings that are empty or equal the null literal are quoted so that
// they do not read back as NULL.
func (e *csvEncoder) quoted(dst, text []byte, str bool) []byte {
	c := &e.c
	need := str && (len(text) == 0 || (c.nullSet && string(text) == c.null))
	if !need {
		if len(text) > 0 && (text[0] == ' ' || text[len(text)-1] == ' ') {
			need = str
		}
		if !need && c.comments && len(text) > 0 && text[0] == '#' {
			need = true
		}
		for _, r := range string(text) {
			if r == c.delim || r == '\n' || r == '\r' || (c.quote != 0 && r == c.quote) || (c.escape != 0 && r == c.escape) {
				need = true
				break
			}
		}
	}
	if !need {
		return append(dst, text...)
	}
	if c.quote == 0 {
		// Quoting disabled: escape what must be, when an escape character is
		// set; otherwise the text goes as it is (as Flink's Jackson writer).
		if c.escape == 0 {
			return append(dst, text...)
		}
		for _, r := range string(text) {
			if r == c.delim || r == c.escape || r == '\n' || r == '\r' {
				dst = utf8.AppendRune(dst, c.escape)
			}
			dst = utf8.AppendRune(dst, r)
		}
		return dst
	}
	dst = utf8.AppendRune(dst, c.quote)
	for _, r := range string(text) {
		switch {
		case r == c.quote: // doubled, even with an escape character (Flink's Jackson writer)
			dst = utf8.AppendRune(dst, c.quote)
		case c.escape != 0 && r == c.escape:
			dst = utf8.AppendRune(dst, c.escape)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return utf8.AppendRune(dst, c.quote)
}

// text appends the text of a non-NULL value.
func (e *csvEncoder) text(dst []byte, t row.Type, v row.Value, depth int) ([]byte, error) {
	switch t.Kind {
	case row.KindBoolean:
		return strconv.AppendBool(dst, v.Bool()), nil
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt, row.KindIntervalYearMonth, row.KindIntervalDayTime:
		return strconv.AppendInt(dst, v.Int64(), 10), nil
	case row.KindFloat, row.KindDouble:
		f := v.Float64()
		switch {
		case math.IsNaN(f):
			return append(dst, "NaN"...), nil
		case math.IsInf(f, 1):
			return append(dst, "Infinity"...), nil
		case math.IsInf(f, -1):
			return append(dst, "-Infinity"...), nil
		}
		bits := 64
		if t.Kind == row.KindFloat {
			bits = 32
		}
		format := byte('f')
		if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
			format = 'E'
		}
		return strconv.AppendFloat(dst, f, format, -1, bits), nil
	case row.KindDecimal:
		return v.Decimal().Append(dst), nil
	case row.KindChar, row.KindVarChar:
		s := v.Str()
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		return append(dst, s...), nil
	case row.KindBinary, row.KindVarBinary:
		return base64.StdEncoding.AppendEncode(dst, []byte(v.Str())), nil
	case row.KindDate:
		return row.AppendDate(dst, v.Days()), nil
	case row.KindTime:
		return trimFraction(row.AppendTime(dst, v.Int64(), 9), len(dst)), nil
	case row.KindTimestamp:
		return trimFraction(row.AppendTimestamp(dst, v.Millis(), v.NanosOfMilli(), 9), len(dst)), nil
	case row.KindTimestampLTZ:
		return append(trimFraction(row.AppendTimestamp(dst, v.Millis(), v.NanosOfMilli(), 9), len(dst)), 'Z'), nil
	case row.KindArray, row.KindRow:
		if depth > 0 {
			return dst, fmt.Errorf("nested type %s is not supported by the csv format", t)
		}
		for i, el := range v.Elems() {
			if i > 0 {
				dst = append(dst, e.c.arrayDelim...)
			}
			et := t.Elem
			if t.Kind == row.KindRow {
				if i >= len(t.Fields) {
					break
				}
				et = &t.Fields[i].Type
			}
			if el.IsNull() {
				dst = append(dst, e.c.null...)
				continue
			}
			var err error
			if dst, err = e.text(dst, *et, el, depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return dst, fmt.Errorf("type %s is not supported by the csv format", t)
}

// trimFraction drops trailing zeros of the fraction of a time written from
// dst[from:], and the point when nothing is left, as Flink (java.time's
// ISO_LOCAL_TIME) writes times.
func trimFraction(dst []byte, from int) []byte {
	dot := strings.LastIndexByte(string(dst[from:]), '.')
	if dot < 0 {
		return dst
	}
	dot += from
	end := len(dst)
	for end > dot+1 && dst[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return dst[:end]
}

// SplitCSV cuts data, a file of csv records of this format, into its
// records: at line breaks, except inside a quoted field. A quote opens a
// quoted field only at the field's start (a quote inside an unquoted
// field is itself, as Jackson's csv reader, and as Decode reads it), the
// escape character takes the next character literally, and with
// allow-comments a line starting with '#' is a record of its own whatever
// it holds (Decode then skips it). Records keep a trailing '\r'.
func (f *Format) SplitCSV(data []byte) [][]byte {
	c := &f.csv
	var out [][]byte
	for len(data) > 0 {
		n := csvRecordLen(data, c)
		out = append(out, data[:n])
		if n < len(data) {
			n++ // the line break
		}
		data = data[n:]
	}
	return out
}

// csvRecordLen is the length of the record at the start of data, up to
// (not including) the line break that ends it.
func csvRecordLen(data []byte, c *csvOptions) int {
	if c.comments && len(data) > 0 && data[0] == '#' {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i
		}
		return len(data)
	}
	fieldStart, inQuote := true, false
	for i := 0; i < len(data); {
		r, w := utf8.DecodeRune(data[i:])
		switch {
		case c.escape != 0 && r == c.escape:
			i += w
			if i < len(data) {
				_, w2 := utf8.DecodeRune(data[i:])
				i += w2
			}
			fieldStart = false
			continue
		case inQuote:
			if r == c.quote {
				if next, w2 := utf8.DecodeRune(data[i+w:]); next == c.quote && i+w < len(data) {
					i += w + w2 // a doubled quote inside the field
					continue
				}
				inQuote = false
			}
		case r == '\n':
			return i
		case c.quote != 0 && r == c.quote && fieldStart:
			inQuote = true
			fieldStart = false
		case r == c.delim:
			fieldStart = true
		default:
			fieldStart = false
		}
		i += w
	}
	return len(data)
}
