// Package debezium decodes Debezium and Flink CDC (debezium-json) change
// events into change records (SPEC §1): op r -> bootstrap-insert,
// c -> insert, u -> update (old = the columns whose value differs),
// d -> delete (data = the deleted row); ts = source.ts_ms / 1000.
//
// With the schema envelope ({"schema":..., "payload":...}) values are
// converted to Maxwell's conventions: io.debezium.time.Timestamp,
// MicroTimestamp and NanoTimestamp become "yyyy-MM-dd HH:mm:ss", Date
// becomes "yyyy-MM-dd", ZonedTimestamp (TIMESTAMP) becomes UTC
// "yyyy-MM-dd HH:mm:ss", Time/MicroTime become "HH:mm:ss[.ffffff]", and
// Connect Decimals (base64 unscaled bytes) become JSON numbers; Kafka
// Connect's own Timestamp, Date and Time (time.precision.mode=connect) are
// converted as Debezium's. An update whose before image is absent
// (Postgres without REPLICA IDENTITY FULL) has no "old".
//
// Without a schema, values pass through as they are, except for the
// columns Types declares: a DECIMAL whose value is a decimal literal in a
// string (decimal.handling.mode=string) becomes that number; a DECIMAL
// sent as base64 bytes (decimal.handling.mode=precise, the default) and a
// DATETIME or DATE sent as an epoch number (every time.precision.mode)
// cannot be read without the schema (the scale, the unit), so the event is
// an error whose text says which connector settings fix it.
package debezium

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
)

// Kind is a column type that an event without the schema envelope cannot
// be read for without being told.
type Kind uint8

// Column kinds (Types).
const (
	Other    Kind = iota
	Decimal       // DECIMAL / NUMERIC, with its Scale
	Datetime      // DATETIME
	Date          // DATE
)

// Column is a declared column type (Types).
type Column struct {
	Kind  Kind
	Scale int // a Decimal's
}

// Types returns the declared types of db.table's columns, or nil when
// they are unknown; only Decimal, Datetime and Date columns matter.
type Types func(db, table string) map[string]Column

// DecodeValue decodes a parsed Debezium event; an event without the
// schema envelope has its values checked against declared (nil: none).
func DecodeValue(v *fastjson.Value, declared Types) (change.Change, error) {
	var c change.Change
	if v.Type() != fastjson.TypeObject {
		return c, fmt.Errorf("debezium: event is %s, want object", v.Type())
	}
	env := v
	var types map[string]fieldType
	if p := v.Get("payload"); p != nil && p.Type() == fastjson.TypeObject {
		env = p
		types = rowTypes(v.Get("schema"))
	}
	op := string(env.GetStringBytes("op"))
	switch op {
	case "r":
		c.Type = change.BootstrapInsert
	case "c":
		c.Type = change.Insert
	case "u":
		c.Type = change.Update
	case "d":
		c.Type = change.Delete
	case "t":
		return c, fmt.Errorf("debezium: %w", change.Skip("truncate", "op %q", op))
	case "m":
		return c, fmt.Errorf("debezium: %w", change.Skip("message", "op %q", op))
	case "":
		return c, fmt.Errorf("debezium: %w", change.Skip("no_op", "no op"))
	default:
		return c, fmt.Errorf("debezium: op %q is not r, c, u or d", op)
	}
	src := env.Get("source")
	if src == nil || src.Type() != fastjson.TypeObject {
		return c, fmt.Errorf("debezium: no \"source\" block")
	}
	c.Database = string(src.GetStringBytes("db"))
	c.Table = string(src.GetStringBytes("table"))
	ms := src.GetInt64("ts_ms")
	if ms <= 0 {
		ms = env.GetInt64("ts_ms")
	}
	c.TS = ms / 1000
	before, after := change.ObjectOf(env.Get("before")), change.ObjectOf(env.Get("after"))
	row := after
	if c.Type == change.Delete {
		row = before
	}
	if row == nil {
		return c, fmt.Errorf("debezium: op %q without its row (before/after)", op)
	}
	conv := func(k []byte, val *fastjson.Value) []byte { return convert(val, types[string(k)]) }
	var bad error
	if env == v && declared != nil {
		if cols := declared(c.Database, c.Table); cols != nil {
			conv = func(k []byte, val *fastjson.Value) []byte {
				b, err := bare(c.Database, c.Table, string(k), val, cols[string(k)])
				if err != nil && bad == nil {
					bad = err
				}
				return b
			}
		}
	}
	c.Data = change.Object(nil, func(emit func(string, []byte)) {
		row.Visit(func(k []byte, val *fastjson.Value) { emit(string(k), conv(k, val)) })
	})
	if c.Type == change.Update && before != nil {
		c.Old = change.Object(nil, func(emit func(string, []byte)) {
			before.Visit(func(k []byte, old *fastjson.Value) {
				nv := row.Get(string(k))
				ob := conv(k, old)
				if nv == nil || string(conv(k, nv)) != string(ob) {
					emit(string(k), ob)
				}
			})
		})
	}
	if bad != nil {
		return c, bad
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("debezium: %w", err)
	}
	return c, nil
}

// fieldType is a column's Connect logical type.
type fieldType struct {
	name  string
	scale int
}

// rowTypes reads the logical types of the "after" (or "before") struct.
func rowTypes(schema *fastjson.Value) map[string]fieldType {
	out := map[string]fieldType{}
	for _, f := range schema.GetArray("fields") {
		fn := string(f.GetStringBytes("field"))
		if fn != "after" && fn != "before" {
			continue
		}
		for _, col := range f.GetArray("fields") {
			ft := fieldType{name: string(col.GetStringBytes("name"))}
			if s := col.GetStringBytes("parameters", "scale"); s != nil {
				ft.scale, _ = strconv.Atoi(string(s))
			}
			out[string(col.GetStringBytes("field"))] = ft
		}
	}
	return out
}

// convert renders a value in Maxwell's conventions given its logical type.
func convert(v *fastjson.Value, ft fieldType) []byte {
	if v.Type() == fastjson.TypeNull {
		return []byte("null")
	}
	switch ft.name {
	case "io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp", connectTimestamp:
		n, err := v.Int64()
		if err != nil {
			break
		}
		var t time.Time
		layout := time.DateTime
		switch ft.name {
		case "io.debezium.time.Timestamp", connectTimestamp:
			t = time.UnixMilli(n)
		case "io.debezium.time.MicroTimestamp":
			t, layout = time.UnixMicro(n), "2006-01-02 15:04:05.000000"
		default:
			t, layout = time.Unix(0, n), "2006-01-02 15:04:05.000000000"
		}
		if t.Nanosecond() == 0 {
			layout = time.DateTime // DATETIME(0): no fraction, as Maxwell writes it
		}
		// Debezium encodes a DATETIME as if it were UTC.
		return change.JSONString(nil, t.UTC().Format(layout))
	case "io.debezium.time.ZonedTimestamp": // TIMESTAMP, ISO-8601 in UTC
		if t, err := time.Parse(time.RFC3339Nano, string(v.GetStringBytes())); err == nil {
			layout := time.DateTime
			if t.Nanosecond() != 0 {
				layout = "2006-01-02 15:04:05.999999"
			}
			return change.JSONString(nil, t.UTC().Format(layout))
		}
	case "io.debezium.time.Time", "io.debezium.time.MicroTime", connectTime: // TIME: ms or us since midnight
		if n, err := v.Int64(); err == nil {
			d := time.Duration(n) * time.Millisecond
			if ft.name == "io.debezium.time.MicroTime" {
				d = time.Duration(n) * time.Microsecond
			}
			s := fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
			if frac := d % time.Second; frac != 0 {
				s += fmt.Sprintf(".%06d", frac/time.Microsecond)
			}
			return change.JSONString(nil, s)
		}
	case "io.debezium.time.Date", connectDate:
		if n, err := v.Int64(); err == nil {
			return change.JSONString(nil, time.Unix(n*86400, 0).UTC().Format(time.DateOnly))
		}
	case "org.apache.kafka.connect.data.Decimal":
		if v.Type() == fastjson.TypeString {
			if raw, err := base64.StdEncoding.DecodeString(string(v.GetStringBytes())); err == nil {
				return []byte(decimal(raw, ft.scale))
			}
		}
	}
	return jsonw.AppendValue(nil, v)
}

// Kafka Connect's own logical types (Debezium's time.precision.mode=connect).
const (
	connectTimestamp = "org.apache.kafka.connect.data.Timestamp" // epoch ms
	connectDate      = "org.apache.kafka.connect.data.Date"      // days since the epoch
	connectTime      = "org.apache.kafka.connect.data.Time"      // ms since midnight
)

// bare renders a value of an event without the schema envelope, checked
// against its column's declared type (see the package comment).
func bare(db, table, col string, v *fastjson.Value, ct Column) ([]byte, error) {
	switch {
	case v.Type() == fastjson.TypeNull:
		return []byte("null"), nil
	case ct.Kind == Decimal && v.Type() == fastjson.TypeString:
		s := v.GetStringBytes()
		if decimalLiteral(s) && (ct.Scale == 0 || bytes.IndexByte(s, '.') >= 0) {
			return append([]byte(nil), s...), nil // decimal.handling.mode=string
		}
		if len(s) > 0 && len(s)%4 == 0 {
			if _, err := base64.StdEncoding.DecodeString(string(s)); err == nil {
				return nil, fmt.Errorf("debezium: %s.%s.%s = %s looks like a DECIMAL(_,%d) in Kafka Connect's base64 bytes (decimal.handling.mode=precise), "+
					"whose scale is only in the schema envelope, which this event lacks: set the connector's decimal.handling.mode=string (or double), "+
					"or send the schema (value.converter.schemas.enable=true)", db, table, col, jsonw.AppendString(nil, s), ct.Scale)
			}
		}
		return nil, fmt.Errorf("debezium: %s.%s.%s = %s is not a DECIMAL(_,%d) value", db, table, col, jsonw.AppendString(nil, s), ct.Scale)
	case (ct.Kind == Datetime || ct.Kind == Date) && v.Type() == fastjson.TypeNumber:
		what, unit := "DATETIME", "milliseconds or microseconds since the epoch, by time.precision.mode and the column's precision"
		if ct.Kind == Date {
			what, unit = "DATE", "days since the epoch"
		}
		return nil, fmt.Errorf("debezium: %s.%s.%s = %s is a %s as an epoch number (%s), whose unit is only in the schema envelope, which this event lacks: "+
			"send the schema (value.converter.schemas.enable=true; any time.precision.mode, connect or adaptive, is then read), "+
			"or convert temporal columns to strings in the connector", db, table, col, v, what, unit)
	}
	return jsonw.AppendValue(nil, v), nil
}

// decimalLiteral reports a plain decimal number: an optional minus, digits,
// and optionally a point and digits.
func decimalLiteral(s []byte) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	whole, frac, dot := bytes.Cut(s, []byte{'.'})
	digits := func(b []byte) bool {
		for _, c := range b {
			if c < '0' || c > '9' {
				return false
			}
		}
		return len(b) > 0
	}
	return digits(whole) && (!dot || digits(frac))
}

// decimal renders big-endian two's-complement unscaled bytes with scale.
func decimal(raw []byte, scale int) string {
	n := new(big.Int).SetBytes(raw)
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(raw))))
	}
	if scale < 0 { // unscaled * 10^-scale
		return n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil)).String()
	}
	r := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return r.FloatString(scale)
}
