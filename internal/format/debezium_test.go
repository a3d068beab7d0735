package format

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// envelope wraps a Debezium payload in Connect's schema envelope whose
// after/before structs have the given column schemas.
func withSchema(cols, payload string) string {
	return `{"schema":{"type":"struct","fields":[{"type":"struct","field":"before","fields":[` + cols + `]},` +
		`{"type":"struct","field":"after","fields":[` + cols + `]},{"type":"string","field":"op"}]},"payload":` + payload + `}`
}

func TestDebeziumDecode(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, amount DECIMAL(10, 2), ct TIMESTAMP(3), d DATE, t TIME(6), ltz TIMESTAMP_LTZ(3)")
	sh := map[string]string{"table.local-time-zone": "Asia/Shanghai"}
	ignore := map[string]string{"debezium-json.ignore-parse-errors": "true", "table.local-time-zone": "Asia/Shanghai"}
	src := `"source":{"db":"gmall","table":"t","ts_ms":1651217960000}`
	cases := []struct {
		name string
		opts map[string]string
		in   string
		want string
	}{
		// Kinds, without the schema envelope: the DDL's types decide.
		// amount "DpIU" = 0x0E9214 = 954900 at the DDL's scale 2 = 9549.00;
		// ct 1651246759000 ms = 2022-04-29 15:39:19 (see agree_test.go);
		// d 19111 days = 2022-04-29; t 56359123456 us = 56359 s
		// (15:39:19) + 123456 us; ltz: the same wall clock as ct, in
		// Shanghai (UTC+8): 07:39:19Z.
		{"create", sh, `{"before":null,"after":{"id":1,"amount":"DpIU","ct":1651246759000,"d":19111,"t":56359123456,"ltz":1651246759000},"op":"c",` + src + `,"ts_ms":1651217960200}`,
			"+I[1, 9549.00, 2022-04-29 15:39:19, 2022-04-29, 15:39:19.123456, 2022-04-29 07:39:19Z]"},
		{"snapshot read is an insert", sh, `{"before":null,"after":{"id":1},"op":"r",` + src + `}`, "+I[1, NULL, NULL, NULL, NULL, NULL]"},
		{"update: before then after", sh, `{"before":{"id":7,"amount":"9549.00"},"after":{"id":7,"amount":9550.5},"op":"u",` + src + `}`,
			// decimal.handling.mode string ("9549.00") and double (9550.5) decode as numbers
			"-U[7, 9549.00, NULL, NULL, NULL, NULL]\n+U[7, 9550.50, NULL, NULL, NULL, NULL]"},
		{"delete carries before", sh, `{"before":{"id":3,"amount":"/zg="},"after":null,"op":"d",` + src + `}`,
			// "/zg=" = 0xFF38 = -200 in two's complement: -2.00
			"-D[3, -2.00, NULL, NULL, NULL, NULL]"},
		{"truncate has no row", sh, `{"op":"t",` + src + `}`, ""},
		{"message has no row", sh, `{"op":"m","message":{"prefix":"p"}}`, ""},
		{"tombstone", sh, `<nil>`, ""},
		{"tombstone through JsonConverter", sh, `{"schema":null,"payload":null}`, ""},
		// Epoch numbers without a schema: beyond year 9999 in ms they are
		// micro- (then nano-) seconds; TIMESTAMP(3) keeps the milliseconds.
		{"micros and nanos by magnitude", sh, `{"after":{"ct":1651246759123456,"ltz":1651246759123456789},"op":"c"}`,
			"+I[NULL, NULL, 2022-04-29 15:39:19.123, NULL, NULL, 2022-04-29 07:39:19.123Z]"},
		// ZonedTimestamp (MySQL TIMESTAMP): an instant; for a TIMESTAMP
		// column its wall clock in the session zone (07:39:19.5Z = 15:39:19.5 in Shanghai).
		{"zoned timestamps", sh, `{"after":{"ct":"2022-04-29T07:39:19.5Z","ltz":"2022-04-29T15:39:19+08:00"},"op":"c"}`,
			"+I[NULL, NULL, 2022-04-29 15:39:19.5, NULL, NULL, 2022-04-29 07:39:19Z]"},
		{"variable scale decimal", sh, `{"after":{"amount":{"scale":3,"value":"MDk="}},"op":"c"}`,
			// 0x3039 = 12345 at scale 3 = 12.345, HALF_UP to scale 2: 12.35
			"+I[NULL, 12.35, NULL, NULL, NULL, NULL]"},
		{"decimal beyond int64", sh, `{"after":{"amount":"BWvHXi1jEAAA"},"op":"c"}`,
			// 0x056BC75E2D63100000 = 10^20, at scale 2 = 10^18: overflows DECIMAL(10, 2): NULL as Flink
			"+I[NULL, NULL, NULL, NULL, NULL, NULL]"},

		// With the schema envelope, the logical types say the units and the
		// Decimal's scale (here 3, not the DDL's 2: 954900 = 954.900 -> 954.90).
		{"schema: units and scale", sh, withSchema(
			`{"type":"int64","field":"id"},
			{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"3"},"field":"amount"},
			{"type":"int64","name":"io.debezium.time.MicroTimestamp","field":"ct"},
			{"type":"int32","name":"io.debezium.time.Date","field":"d"},
			{"type":"int32","name":"io.debezium.time.Time","field":"t"},
			{"type":"int64","name":"io.debezium.time.NanoTimestamp","field":"ltz"}`,
			`{"before":null,"after":{"id":1,"amount":"DpIU","ct":1651246759123456,"d":19111,"t":56359123,"ltz":1651246759000000001},"op":"c",`+src+`}`),
			// t: io.debezium.time.Time is ms of the day: 56359123 = 15:39:19.123
			"+I[1, 954.90, 2022-04-29 15:39:19.123, 2022-04-29, 15:39:19.123, 2022-04-29 07:39:19Z]"},
		{"schema: precise bigint and nano time", sh, withSchema(
			`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"0"},"field":"id"},
			{"type":"int64","name":"io.debezium.time.NanoTime","field":"t"},
			{"type":"int64","name":"io.debezium.time.Timestamp","field":"ct"}`,
			`{"after":{"id":"AQ==","t":56359123456789,"ct":1651246759999},"op":"c"}`),
			// id: a Decimal of scale 0 (bigint.unsigned.handling.mode=precise), 0x01 = 1
			"+I[1, NULL, 2022-04-29 15:39:19.999, NULL, 15:39:19.123456, NULL]"},
		{"schema of another shape is no hint", sh, `{"schema":{"type":"string"},"payload":{"after":{"amount":"DpIU","ct":1651246759000},"op":"c"}}`,
			"+I[NULL, 9549.00, 2022-04-29 15:39:19, NULL, NULL, NULL]"},

		// Errors name the field, with the envelope's path.
		{"update without before", sh, `{"before":null,"after":{"id":1},"op":"u"}`,
			`error: debezium-json: field "before": is null: an update or delete needs the row's old values (for Debezium's PostgreSQL connector, set the table's REPLICA IDENTITY to FULL)`},
		{"delete without before", sh, `{"after":null,"op":"d"}`, `error: field "before": missing`},
		{"create without after", sh, `{"before":null,"op":"c"}`, `error: field "after": missing`},
		{"unknown op", sh, `{"after":{},"op":"x"}`, `error: debezium-json: field "op": unknown op "x"`},
		{"no op", sh, `{"after":{}}`, `error: field "op": missing`},
		{"bad value in the envelope", sh, withSchema(`{"type":"string","field":"id"}`, `{"after":{"id":"abc"},"op":"c"}`),
			`error: debezium-json: field "payload.after.id": cannot decode JSON string "abc" as BIGINT`},
		{"not base64", sh, `{"after":{"amount":"#12"},"op":"c"}`, `error: field "after.amount": cannot decode JSON string "#12" as DECIMAL(10, 2)`},
		{"time of day out of range", sh, `{"after":{"t":86400000000},"op":"c"}`, `error: field "after.t": time of day out of range`},
		{"bad scale parameter", sh, withSchema(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"two"},"field":"amount"}`, `{"after":{"amount":"AQ=="},"op":"c"}`),
			`error: field "schema.fields[0].fields[0].parameters.scale": the Decimal scale of column "amount" is missing or not an integer`},
		{"payload not an object", sh, `{"schema":{},"payload":[1]}`, `error: field "payload": want a JSON object, got array`},
		{"ignored field", ignore, `{"after":{"id":1,"amount":"#"},"op":"c"}`, "+I[1, NULL, NULL, NULL, NULL, NULL]"},
		{"ignored record", ignore, `{"after":{},"op":"x"}`, `skipped: field "op": unknown op`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := decodeAll(t, mustFormat(t, DebeziumJSON, schema, c.opts), c.in)
			check(t, got, c.want)
		})
	}
}

func TestDebeziumNulledCount(t *testing.T) {
	f := mustFormat(t, DebeziumJSON, row.MustParseSchema("a INT, b INT, c INT"), map[string]string{"debezium-json.ignore-parse-errors": "true"})
	_, b := decodeAll(t, f, `{"before":{"a":"x","b":1,"c":"y"},"after":{"a":1,"b":"z","c":3},"op":"u"}`)
	// a and c of before, b of after: 3 fields nulled, the rows kept.
	if b.Nulled != 3 || len(b.Rows) != 2 || b.Skipped != nil {
		t.Errorf("Nulled %d, rows %v, skipped %v", b.Nulled, b.Rows, b.Skipped)
	}
}

func TestDebeziumMetadata(t *testing.T) {
	f := mustFormat(t, DebeziumJSON, row.MustParseSchema("id BIGINT"), nil)
	payload := `{"before":null,"after":{"id":1},"op":"c","ts_ms":1651246802345,
		"source":{"version":"2.4","connector":"postgresql","db":"gmall","schema":"public","table":"order_info","ts_ms":1651246802000,"lsn":12,"txId":null}}`
	_, b := decodeAll(t, f, withSchema(`{"type":"int64","field":"id"}`, payload),
		"schema", "ingestion-timestamp", "source.timestamp", "source.database", "source.schema", "source.table", "source.properties")
	// 1651246802345 ms = 2022-04-29 15:40:02.345Z (15:40:02 is 56402 s of day 19111).
	for key, want := range map[string]string{
		"ingestion-timestamp": "2022-04-29 15:40:02.345Z",
		"source.timestamp":    "2022-04-29 15:40:02Z",
		"source.database":     "gmall",
		"source.schema":       "public",
		"source.table":        "order_info",
		"source.properties":   "{version=2.4, connector=postgresql, db=gmall, schema=public, table=order_info, ts_ms=1651246802000, lsn=12, txId=NULL}",
	} {
		if v, ok := b.Meta.Get(key); !ok || v.String() != want {
			t.Errorf("%s = %v, want %s", key, v, want)
		}
	}
	if s, _ := b.Meta.Get("schema"); !strings.HasPrefix(s.Str(), `{"type":"struct","fields":[{"type":"struct","field":"before"`) {
		t.Errorf("schema = %v", s)
	}
	// Without the envelope there is no schema; a missing source is NULL.
	_, b = decodeAll(t, f, `{"after":{"id":1},"op":"c"}`, "schema", "source.properties")
	if !b.Meta.SchemaJSON.IsNull() || !b.Meta.SourceProperties.IsNull() || !b.Meta.Table.IsNull() {
		t.Errorf("metadata of a bare event: %+v", b.Meta)
	}
}

// The option only matters for encoding (as Flink, which cannot write the
// envelope); decoding recognizes the envelope either way.
func TestDebeziumSchemaIncludeOption(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT")
	for _, v := range []string{"true", "false"} {
		f := mustFormat(t, DebeziumJSON, schema, map[string]string{"debezium-json.schema-include": v})
		for _, in := range []string{`{"after":{"id":1},"op":"c"}`, withSchema(`{"type":"int64","field":"id"}`, `{"after":{"id":1},"op":"c"}`)} {
			if got, _ := decodeAll(t, f, in); got != "+I[1]" {
				t.Errorf("schema-include %s: %s", v, got)
			}
		}
		_, err := f.NewEncoder()
		if (err != nil) != (v == "true") {
			t.Errorf("schema-include %s: NewEncoder error %v", v, err)
		}
	}
}

// The hints are reused while the schema is the same, and rebuilt when it
// changes (a DDL changed a column's scale).
func TestDebeziumSchemaChanges(t *testing.T) {
	f := mustFormat(t, DebeziumJSON, row.MustParseSchema("amount DECIMAL(10, 2)"), nil)
	d, _ := f.NewDecoder()
	scale := func(s string) string {
		return `{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"` + s + `"},"field":"amount"}`
	}
	payload := `{"after":{"amount":"DpIU"},"op":"c"}` // 954900
	var b Batch
	for _, c := range []struct{ in, want string }{
		{withSchema(scale("2"), payload), "+I[9549.00]"},
		{withSchema(scale("2"), payload), "+I[9549.00]"},
		{withSchema(scale("3"), payload), "+I[954.90]"},
		{withSchema(scale("x"), payload), "error"},
		{withSchema(scale("3"), payload), "+I[954.90]"},
		// The schema is not the first key: no reuse, still right.
		{`{"payload":` + payload + `,"schema":` + withSchema(scale("4"), "null")[10:], "+I[95.49]"},
		{`{"payload":` + payload + `,"schema":` + withSchema(scale("2"), "null")[10:], "+I[9549.00]"},
		{payload, "+I[9549.00]"},
	} {
		got := "error"
		if err := d.Decode([]byte(c.in), &b); err == nil {
			got = rowsText(b.Rows)
		}
		if got != c.want {
			t.Errorf("%s:\n%s, want %s", c.in, got, c.want)
		}
	}
}

func TestRawSchema(t *testing.T) {
	for in, want := range map[string]string{
		` { "schema" : {"a":"}\"{","b":[1,{}]} ,"payload":{}}`: `{"a":"}\"{","b":[1,{}]}`,
		`{"schema":null,"payload":null}`:                       `null`,
		`{"schema":"s","payload":1}`:                           `"s"`,
		`{"payload":{},"schema":{}}`:                           ``,
		`{"schema":{"a":[}`:                                    ``,
		`[]`:                                                   ``,
	} {
		if got := string(rawSchema([]byte(in))); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// With the schema envelope, a Connect Decimal is always base64, even when
// its text also reads as a number: "1234" is the bytes d7 6d f8, the
// 24-bit two's complement -2658824, at scale 2 -26588.24 (not 1234.00).
// Without a schema a numeric-looking string is a decimal literal, and an
// integer column never takes a base64 guess: "test" is an error, not a
// number.
func TestDebeziumDigitsThatAreBase64(t *testing.T) {
	schema := `{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"amount"}`
	f := mustFormat(t, DebeziumJSON, row.MustParseSchema("amount DECIMAL(10, 2)"), nil)
	d, _ := f.NewDecoder()
	var b Batch
	for _, c := range []struct{ in, want string }{
		{withSchema(schema, `{"after":{"amount":"1234"},"op":"c"}`), "+I[-26588.24]"},
		{`{"after":{"amount":"1234"},"op":"c"}`, "+I[1234.00]"},
	} {
		got := "error"
		if err := d.Decode([]byte(c.in), &b); err == nil {
			got = rowsText(b.Rows)
		}
		if got != c.want {
			t.Errorf("%s:\n%s, want %s", c.in, got, c.want)
		}
	}
	fi := mustFormat(t, DebeziumJSON, row.MustParseSchema("id INT"), nil)
	di, _ := fi.NewDecoder()
	if err := di.Decode([]byte(`{"after":{"id":"test"},"op":"c"}`), &b); err == nil || !strings.Contains(err.Error(), `"after.id"`) {
		t.Errorf("an INT column took %q: %v %s", "test", err, rowsText(b.Rows))
	}
}
