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
// Connect Decimals (base64 unscaled bytes) become JSON numbers. Without a
// schema, values pass through as they are. An update whose before image is
// absent (Postgres without REPLICA IDENTITY FULL) has no "old".
package debezium

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
)

// DecodeValue decodes a parsed Debezium event.
func DecodeValue(v *fastjson.Value) (change.Change, error) {
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
	case "t", "m", "":
		return c, fmt.Errorf("debezium: %w: op %q", change.ErrNotChange, op)
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
	c.Data = change.Object(nil, func(emit func(string, []byte)) {
		row.Visit(func(k []byte, val *fastjson.Value) { emit(string(k), convert(val, types[string(k)])) })
	})
	if c.Type == change.Update && before != nil {
		c.Old = change.Object(nil, func(emit func(string, []byte)) {
			before.Visit(func(k []byte, old *fastjson.Value) {
				nv := row.Get(string(k))
				ob := convert(old, types[string(k)])
				if nv == nil || string(convert(nv, types[string(k)])) != string(ob) {
					emit(string(k), ob)
				}
			})
		})
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
	case "io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp":
		n, err := v.Int64()
		if err != nil {
			break
		}
		var t time.Time
		layout := time.DateTime
		switch ft.name {
		case "io.debezium.time.Timestamp":
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
	case "io.debezium.time.Time", "io.debezium.time.MicroTime": // TIME: ms or us since midnight
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
	case "io.debezium.time.Date":
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
