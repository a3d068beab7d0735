package olap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

var identRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Cents is a DECIMAL(16,2) value in hundredths: exact, unlike float64.
type Cents int64

// maxCents is the largest DECIMAL(16,2): 14 integer digits.
const maxCents = 1e16 - 1

// String renders the decimal with two places: -12.30.
func (c Cents) String() string {
	sign, v := "", int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Float is the decimal as float64 (what Result rows hold).
func (c Cents) Float() float64 { return float64(c) / 100 }

// RowError is a row that does not fit its table; Code is a stable reason
// for dead letters and metrics.
type RowError struct {
	Code   string // olap_malformed_json, olap_missing_key, olap_bad_value
	Detail string
}

func (e *RowError) Error() string { return e.Code + ": " + e.Detail }

func rowErr(code, format string, args ...any) *RowError {
	return &RowError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Layouts of dates and datetimes on the wire (SPEC §0).
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02 15:04:05"
)

// DecodeRow decodes a JSON object into one value per table column, in
// column order: string, int64, Cents, or time.Time for dates and
// datetimes (the wall clock, in UTC: DWS times are local business times
// without a zone), or nil for a missing or null non-key column. Fields
// that are not columns are ignored, as Doris's JSON load does. p may be
// nil.
//
// Accepted: strings for string columns (numbers too, as their text: ids
// arrive both ways); integers, or strings holding one, for int64;
// numbers or numeric strings for decimals (rounded half up to 2 places,
// as the databases do); "yyyy-MM-dd" and "yyyy-MM-dd HH:mm:ss" strings.
func DecodeRow(t *Table, js []byte, p *fastjson.Parser) ([]any, error) {
	if p == nil {
		p = new(fastjson.Parser)
	}
	v, err := p.ParseBytes(js)
	if err != nil {
		return nil, rowErr("olap_malformed_json", "%v", err)
	}
	o, err := v.Object()
	if err != nil {
		return nil, rowErr("olap_malformed_json", "table %s: row is not a JSON object", t.Name)
	}
	out := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		f := o.Get(c.Name)
		if f == nil || f.Type() == fastjson.TypeNull {
			if i < len(t.Key) {
				return nil, rowErr("olap_missing_key", "table %s: key column %s is missing or null", t.Name, c.Name)
			}
			continue
		}
		val, err := decodeValue(c, f)
		if err != nil {
			return nil, rowErr("olap_bad_value", "table %s: column %s: %v", t.Name, c.Name, err)
		}
		out[i] = val
	}
	return out, nil
}

func decodeValue(c Column, f *fastjson.Value) (any, error) {
	var text string
	switch f.Type() {
	case fastjson.TypeString:
		text = string(f.GetStringBytes())
	case fastjson.TypeNumber:
		text = string(f.MarshalTo(nil))
	default:
		return nil, fmt.Errorf("%s is not a %s", f.Type(), c.Type)
	}
	isString := f.Type() == fastjson.TypeString
	switch c.Type {
	case String:
		return text, nil
	case Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int64", text)
		}
		return n, nil
	case Decimal:
		if isString {
			text = strings.TrimSpace(text)
		}
		return ParseCents(text)
	case Date, DateTime:
		if !isString {
			return nil, fmt.Errorf("%s must be a string", c.Type)
		}
		layout := DateLayout
		if c.Type == DateTime {
			layout = DateTimeLayout
		}
		ts, err := time.Parse(layout, text)
		if err != nil {
			return nil, fmt.Errorf("%q is not a %s (%s)", text, c.Type, layout)
		}
		return ts, nil
	}
	return nil, fmt.Errorf("unknown type %q", c.Type)
}

// ParseCents parses a decimal number (JSON syntax, exponent allowed),
// rounding half up (away from zero) to 2 places.
func ParseCents(s string) (Cents, error) {
	bad := fmt.Errorf("%q is not a decimal", s)
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 40 || e < -40 {
			return 0, bad
		}
		mant, exp = s[:i], e
	}
	neg := false
	if strings.HasPrefix(mant, "-") {
		neg, mant = true, mant[1:]
	} else if strings.HasPrefix(mant, "+") {
		mant = mant[1:]
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if ip == "" && fp == "" {
		return 0, bad
	}
	digits := ip + fp
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, bad
		}
	}
	// value = digits * 10^(exp - len(fp)); we want value*100.
	shift := exp - len(fp) + 2
	digits = strings.TrimLeft(digits, "0")
	var round bool
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			digits, round = "", false
		} else {
			round = digits[cut] >= '5'
			digits = digits[:cut]
		}
	} else {
		digits += strings.Repeat("0", shift)
	}
	if len(digits) > 16 {
		return 0, fmt.Errorf("%q overflows DECIMAL(16,2)", s)
	}
	var n int64
	if digits != "" {
		n, _ = strconv.ParseInt(digits, 10, 64)
	}
	if round {
		n++
	}
	if n > maxCents {
		return 0, fmt.Errorf("%q overflows DECIMAL(16,2)", s)
	}
	if neg {
		n = -n
	}
	return Cents(n), nil
}

// DecodeBatch decodes rows and keeps the last row of each key, in the
// order of the keys' first appearance (a database statement may not
// update one row twice): DecodeVersioned with every version equal.
func DecodeBatch(t *Table, rows [][]byte) ([][]any, error) {
	b, err := DecodeVersioned(t, rows, make([]uint64, len(rows)))
	if err != nil {
		return nil, err
	}
	return b.Rows, nil
}

// WriteJSONRow writes a decoded row as one JSON object with the table's
// column names (decimals with two places, dates and datetimes in the SPEC's
// layouts): the body HTTP loaders (Stream Load, ClickHouse) send.
func WriteJSONRow(b *bytes.Buffer, t *Table, row []any) {
	b.WriteByte('{')
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(t.Columns[i].Name)
		b.Write(k)
		b.WriteByte(':')
		switch x := v.(type) {
		case nil:
			b.WriteString("null")
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		case Cents:
			b.WriteString(x.String())
		case time.Time:
			l := DateTimeLayout
			if t.Columns[i].Type == Date {
				l = DateLayout
			}
			b.WriteString(strconv.Quote(x.Format(l)))
		default:
			js, _ := json.Marshal(x)
			b.Write(js)
		}
	}
	b.WriteByte('}')
}
