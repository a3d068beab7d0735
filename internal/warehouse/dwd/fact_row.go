package dwd

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/stream"
)

// row writes one output JSON object, column by column, values copied from
// topic_db's data as they were (numbers keep their literal, so a DECIMAL's
// two decimals survive), null where the value is missing.
type row struct{ b []byte }

func (w *row) key(name string) {
	if len(w.b) == 0 {
		if cap(w.b) == 0 {
			w.b = make([]byte, 0, 512) // most rows fit: one allocation, not one per doubling
		}
		w.b = append(w.b, '{')
	} else {
		w.b = append(w.b, ',')
	}
	w.b = jsonw.AppendString(w.b, []byte(name))
	w.b = append(w.b, ':')
}

// col writes v (null when nil).
func (w *row) col(name string, v *fastjson.Value) {
	w.key(name)
	if v == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = jsonw.AppendValue(w.b, v)
}

// raw writes an already encoded JSON value (null when empty).
func (w *row) raw(name string, b []byte) {
	w.key(name)
	if len(b) == 0 {
		b = []byte("null")
	}
	w.b = append(w.b, b...)
}

func (w *row) int(name string, n int64) {
	w.key(name)
	w.b = strconv.AppendInt(w.b, n, 10)
}

func (w *row) bytes() []byte { return append(w.b, '}') }

// dateOf is the date (yyyy-MM-dd, JSON) of a "yyyy-MM-dd HH:mm:ss" value;
// nil when the value is missing or no datetime.
func dateOf(v *fastjson.Value) []byte {
	s := text(v)
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return nil
	}
	return jsonw.AppendString(nil, []byte(s[:10]))
}

// mulDecimal multiplies a decimal literal by an integer literal exactly,
// keeping the decimal's scale ("2" x "10.50" = "21.00"); nil when either
// is missing.
func mulDecimal(n, d *fastjson.Value) ([]byte, error) {
	if n == nil || d == nil || n.Type() == fastjson.TypeNull || d.Type() == fastjson.TypeNull {
		return nil, nil
	}
	ds := d.String()
	whole, frac, _ := strings.Cut(ds, ".")
	x, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok || d.Type() != fastjson.TypeNumber {
		return nil, stream.BadInput("bad_field_type", "%s is no decimal", ds)
	}
	m, ok := new(big.Int).SetString(n.String(), 10)
	if !ok || n.Type() != fastjson.TypeNumber {
		return nil, stream.BadInput("bad_field_type", "%s is no integer", n.String())
	}
	s := x.Mul(x, m).String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(frac) > 0 {
		if len(s) <= len(frac) {
			s = strings.Repeat("0", len(frac)-len(s)+1) + s
		}
		s = s[:len(s)-len(frac)] + "." + s[len(s)-len(frac):]
	}
	if neg {
		s = "-" + s
	}
	return []byte(s), nil
}

// checkNumbers rejects a change whose cols are neither numbers nor null:
// later steps compute with them.
func checkNumbers(f *fact, cols ...string) error {
	for _, c := range cols {
		if v := f.Data.Get(c); v != nil && v.Type() != fastjson.TypeNumber && v.Type() != fastjson.TypeNull {
			return stream.BadInput("bad_field_type", "%s.%s is %s, want a number", f.Table, c, v.Type())
		}
	}
	return nil
}

// envelope builds the JSON object that carries joined rows between the
// operators of a job: {"table":table,"<name>":<row>,...}, the rows being
// decodeFacts' Maxwell records (or null for a missing side).
func envelope(table string, kv ...any) []byte {
	n := len(`{"table":""}`) + len(table)
	for i := 0; i+1 < len(kv); i += 2 {
		v, _ := kv[i+1].([]byte)
		n += len(kv[i].(string)) + len(v) + 8 // quotes, ',' ':' and room for null or an escape
	}
	b := append(make([]byte, 0, n+16), `{"table":`...)
	b = jsonw.AppendString(b, []byte(table))
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, ',')
		b = jsonw.AppendString(b, []byte(kv[i].(string)))
		b = append(b, ':')
		if v, _ := kv[i+1].([]byte); len(v) > 0 {
			b = append(b, v...)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// tableOf is the "table" of a record between a job's operators.
func tableOf(r *stream.Record) (string, error) {
	v, err := r.JSON()
	if err != nil {
		return "", stream.BadInput("malformed_json", "%v", err)
	}
	b := v.GetStringBytes("table")
	if t, ok := knownTables[string(b)]; ok { // a lookup, not an allocation per record
		return t, nil
	}
	return string(b), nil
}

// knownTables interns the tables the fact jobs route on.
var knownTables = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{tOrderDetail, tOrderInfo, tActivity, tCoupon, tLine, tOrderLine,
		tPayment, tRefund, tRefundPay, tComment, tCart, tRefundRP, tPaymentOrder} {
		m[t] = t
	}
	return m
}()

// keyOf returns the text of the value at path in the record as a key.
func keyOf(r *stream.Record, path ...string) ([]byte, error) {
	v, err := r.JSON()
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	k := text(v.Get(path...))
	if k == "" {
		return nil, stream.BadInput("missing_key", "no %s", strings.Join(path, "."))
	}
	return []byte(k), nil
}
