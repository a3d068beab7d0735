package format

import (
	"bytes"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/row"
)

// debezium-json: Debezium's change events, bare or in Kafka Connect's
// schema envelope ({"schema": {...}, "payload": {...}}, JsonConverter
// with schemas.enable):
//
//	{"before":{...},"after":{...},"op":"u","ts_ms":1651217960200,
//	 "source":{"db":"gmall","table":"order_info","ts_ms":1651217960000,...}}
//
// op c (create) and r (snapshot read) -> +I(after); u -> -U(before) then
// +U(after); d -> -D(before); t (truncate) and m (message) carry no row.
// Values are typed by the DDL, with the envelope's Connect schema (when
// present) saying what epoch numbers count and a Decimal's scale.

type debeziumDecoder struct {
	cdcMeta
	p     fastjson.Parser
	vd    *valueDecoder
	hints []hint
	// hintsFor is the raw schema the hints were built from: Debezium
	// repeats one schema in every event of a table, so they are reused
	// while it is the same.
	hintsFor   []byte
	hintsValid bool
}

func newDebeziumDecoder(f *Format, want metaWant) *debeziumDecoder {
	return &debeziumDecoder{cdcMeta: newCDCMeta(DebeziumJSON, want), vd: newValueDecoder(f, true), hints: make([]hint, f.schema.Len())}
}

func (d *debeziumDecoder) Decode(value []byte, b *Batch) error {
	b.Meta.format = DebeziumJSON
	b.reset()
	if len(value) == 0 {
		return nil // a tombstone (Debezium writes one after each delete), skipped as Flink does
	}
	return done(d.decode(value, b), b, d.vd)
}

// dbzPaths name the event's fields in errors, bare or in the envelope
// (constants, so that a good record builds no strings).
type dbzPaths struct {
	before, after, op, tsMS, source, db, schema, table, sourceTS string
}

var (
	barePaths     = dbzPaths{"before", "after", "op", "ts_ms", "source", "source.db", "source.schema", "source.table", "source.ts_ms"}
	envelopePaths = dbzPaths{"payload.before", "payload.after", "payload.op", "payload.ts_ms", "payload.source",
		"payload.source.db", "payload.source.schema", "payload.source.table", "payload.source.ts_ms"}
)

func (d *debeziumDecoder) decode(value []byte, b *Batch) error {
	o, err := d.env.parse(&d.p, value)
	if err != nil {
		return err
	}
	// The envelope is recognized whatever debezium-json.schema-include says:
	// a bare event has no "payload" field.
	env, paths := o, &barePaths
	var schema *fastjson.Value
	if pl := o.Get("payload"); pl != nil {
		switch pl.Type() {
		case fastjson.TypeNull:
			return nil // {"schema":null,"payload":null}: a tombstone through JsonConverter
		case fastjson.TypeObject:
			env, _ = pl.Object()
			paths = &envelopePaths
			schema = o.Get("schema")
		default:
			return d.env.errorf("payload", "want a JSON object, got %s", pl.Type())
		}
	}
	var before, after, op, tsMS, source *fastjson.Value
	env.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "before":
			before = v
		case "after":
			after = v
		case "op":
			op = v
		case "ts_ms":
			tsMS = v
		case "source":
			source = v
		}
	})
	if err := d.metadata(b, schema, source, tsMS, paths); err != nil {
		return err
	}
	t, err := d.env.kind(op, paths.op)
	if err != nil {
		return err
	}
	var hints []hint
	switch string(t) {
	case "c", "r", "u", "d":
		if schema != nil && schema.Type() == fastjson.TypeObject {
			raw := rawSchema(value)
			if !d.hintsValid || raw == nil || !bytes.Equal(raw, d.hintsFor) {
				d.hintsValid = false
				if err := d.buildHints(schema); err != nil {
					return err
				}
				d.hintsFor = append(d.hintsFor[:0], raw...)
				d.hintsValid = raw != nil && len(raw) <= 1<<20
			}
			hints = d.hints
		}
	}
	switch string(t) {
	case "c", "r":
		if err := d.env.object(after, paths.after); err != nil {
			return err
		}
		return d.vd.change(b, row.Insert, after, hints, paths.after, -1)
	case "u":
		if err := d.env.object(before, paths.before); err != nil {
			return d.noBefore(err)
		}
		if err := d.env.object(after, paths.after); err != nil {
			return err
		}
		return d.vd.update(b, before, after, nil, hints, paths.before, paths.after, -1)
	case "d":
		if err := d.env.object(before, paths.before); err != nil {
			return d.noBefore(err)
		}
		return d.vd.change(b, row.Delete, before, hints, paths.before, -1)
	case "t", "m":
		return nil // truncate and logical-decoding messages change no row
	}
	return d.env.errorf(paths.op, "unknown op %s (want c, r, u, d, t or m)", quote(t))
}

// noBefore explains a missing before image, as Flink does.
func (d *debeziumDecoder) noBefore(err error) error {
	e := err.(*Error)
	e.Reason += ": an update or delete needs the row's old values (for Debezium's PostgreSQL connector, set the table's REPLICA IDENTITY to FULL)"
	return e
}

func (d *debeziumDecoder) metadata(b *Batch, schema, source, tsMS *fastjson.Value, paths *dbzPaths) error {
	m := &b.Meta
	var err error
	m.IngestionTime, err = d.env.millis(tsMS, paths.tsMS, 1)
	if err = d.unread(err, wantTimes); err != nil {
		return err
	}
	if d.want&wantSchemaJSON != 0 && schema != nil && schema.Type() != fastjson.TypeNull {
		m.SchemaJSON = row.String(string(jsonw.AppendValue(nil, schema)))
	}
	if source == nil || source.Type() == fastjson.TypeNull {
		return nil
	}
	so, err := source.Object()
	if err != nil {
		return d.unread(d.env.errorf(paths.source, "want a JSON object, got %s", source.Type()), wantNames|wantTimes|wantSourceProperties)
	}
	var db, sch, table, ts *fastjson.Value
	so.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "db":
			db = v
		case "schema":
			sch = v
		case "table":
			table = v
		case "collection": // MongoDB's
			if table == nil {
				table = v
			}
		case "ts_ms":
			ts = v
		}
	})
	if err := d.unread(d.names(m, db, sch, table, paths.db, paths.schema, paths.table), wantNames); err != nil {
		return err
	}
	m.SourceTime, err = d.env.millis(ts, paths.sourceTS, 1)
	if err = d.unread(err, wantTimes); err != nil {
		return err
	}
	if d.want&wantSourceProperties != 0 {
		// MAP<STRING, STRING>: strings as their content, other values as
		// their JSON text, null as NULL (Flink reads source as such a map).
		var kv []row.Value
		so.Visit(func(k []byte, v *fastjson.Value) {
			var val row.Value
			switch v.Type() {
			case fastjson.TypeNull:
			case fastjson.TypeString:
				val = row.String(string(v.GetStringBytes()))
			default:
				val = row.String(string(jsonw.AppendValue(nil, v)))
			}
			kv = append(kv, row.String(string(k)), val)
		})
		m.SourceProperties = row.MapEntries(kv)
	}
	return nil
}

// Connect's logical type names.
const (
	dbzDate           = "io.debezium.time.Date"
	dbzTime           = "io.debezium.time.Time"
	dbzMicroTime      = "io.debezium.time.MicroTime"
	dbzNanoTime       = "io.debezium.time.NanoTime"
	dbzTimestamp      = "io.debezium.time.Timestamp"
	dbzMicroTimestamp = "io.debezium.time.MicroTimestamp"
	dbzNanoTimestamp  = "io.debezium.time.NanoTimestamp"
	connectDecimalT   = "org.apache.kafka.connect.data.Decimal"
	connectDate       = "org.apache.kafka.connect.data.Date"
	connectTime       = "org.apache.kafka.connect.data.Time"
	connectTimestamp  = "org.apache.kafka.connect.data.Timestamp"
)

// buildHints reads the Connect schema of the before/after structs:
//
//	{"type":"struct","fields":[{"type":"struct","field":"before","fields":[
//	  {"type":"bytes","name":"org.apache.kafka.connect.data.Decimal",
//	   "parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"total_amount"}, ...]},
//	  {"type":"struct","field":"after",...}, ...]}
//
// A schema of another shape gives no hints (the DDL's types decide); a
// Decimal without a usable scale is an error, since guessing it would
// decode wrong amounts.
func (d *debeziumDecoder) buildHints(schema *fastjson.Value) error {
	clear(d.hints)
	for i, f := range schema.GetArray("fields") {
		name := f.GetStringBytes("field")
		if string(name) != "after" && string(name) != "before" {
			continue
		}
		for j, col := range f.GetArray("fields") {
			idx, _ := d.vd.lookup(col.GetStringBytes("field"))
			if idx < 0 {
				continue
			}
			h := hint{}
			switch string(col.GetStringBytes("name")) {
			case dbzDate, connectDate:
				h.unit = unitDays
			case dbzTime, connectTime:
				h.unit = unitMillis
			case dbzMicroTime:
				h.unit = unitMicros
			case dbzNanoTime:
				h.unit = unitNanos
			case dbzTimestamp, connectTimestamp:
				h.unit = unitMillis
			case dbzMicroTimestamp:
				h.unit = unitMicros
			case dbzNanoTimestamp:
				h.unit = unitNanos
			case connectDecimalT:
				h.decimal = true
				sv := col.Get("parameters", "scale")
				var scale int
				var err error
				switch {
				case sv == nil:
					err = strconv.ErrSyntax
				case sv.Type() == fastjson.TypeString:
					scale, err = strconv.Atoi(string(sv.GetStringBytes()))
				default:
					scale, err = sv.Int()
				}
				if err != nil || scale < -maxConnectScale || scale > maxConnectScale {
					return d.env.errorf(pathOf(pathOf("schema.fields", i)+".fields", j)+".parameters.scale",
						"the Decimal scale of column %s is missing or not an integer from %d to %d", quote(col.GetStringBytes("field")), -maxConnectScale, maxConnectScale)
				}
				h.scale = int32(scale)
			}
			d.hints[idx] = h
		}
	}
	return nil
}

// rawSchema returns the bytes of the record's "schema" value when it is
// the first key, as Kafka Connect's JsonConverter writes it, else nil. The
// record parsed as JSON, so the brackets balance.
func rawSchema(b []byte) []byte {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	i = skipSpace(b, i+1)
	const key = `"schema"`
	if !bytes.HasPrefix(b[i:], []byte(key)) {
		return nil
	}
	i = skipSpace(b, i+len(key))
	if i >= len(b) || b[i] != ':' {
		return nil
	}
	i = skipSpace(b, i+1)
	end := skipValue(b, i)
	if end < 0 {
		return nil
	}
	return b[i:end]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value at b[i:], or -1.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		default:
			if depth == 0 { // a scalar: up to the next delimiter
				j := i
				for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
					j++
				}
				return j
			}
		}
		i++
	}
	return -1
}
