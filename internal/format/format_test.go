package format

import (
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

func TestLookupErrors(t *testing.T) {
	s := row.MustParseSchema("id BIGINT")
	for _, c := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"avro-confluent", nil, "unknown format 'avro-confluent' (available: canal-json, csv, debezium-json, json, maxwell-json, raw)"},
		{JSON, map[string]string{"json.ignore-parse-error": "true"}, "format 'json': unsupported option 'json.ignore-parse-error' (supported: json.decode.json-parser.enabled, json.encode.decimal-as-plain-number, json.encode.ignore-null-fields, json.fail-on-missing-field, json.ignore-parse-errors, json.map-null-key.literal, json.map-null-key.mode, json.timestamp-format.standard)"},
		{MaxwellJSON, map[string]string{"maxwell-json.fail-on-missing-field": "true"}, "format 'maxwell-json': unsupported option 'maxwell-json.fail-on-missing-field'"},
		{DebeziumJSON, map[string]string{"debezium-json.schema-include": "yes"}, "format 'debezium-json': 'debezium-json.schema-include' = 'yes': not a boolean (true or false)"},
		{CanalJSON, map[string]string{"canal-json.timestamp-format.standard": "RFC3339"}, "'canal-json.timestamp-format.standard' = 'RFC3339': Supported values are [SQL, ISO-8601]"},
		{CanalJSON, map[string]string{"canal-json.timestamp-format.standard": "iso-8601"}, "Supported values are [SQL, ISO-8601]"}, // case-sensitive, as Flink's
		{CanalJSON, map[string]string{"canal-json.table.include": "order_("}, "'canal-json.table.include' = 'order_(': error parsing regexp"},
		{JSON, map[string]string{"table.local-time-zone": "Mars/Olympus"}, `'table.local-time-zone' = 'Mars/Olympus': unknown time zone "Mars/Olympus"`},
	} {
		_, err := Lookup(c.name, s, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v\nwant %s", c.name, c.opts, err, c.want)
		}
	}
	// Both decoding options true: refused when decoding only (a sink may
	// set them, as Flink checks them in its decoding format alone).
	f, err := Lookup(JSON, s, map[string]string{"json.fail-on-missing-field": "true", "json.ignore-parse-errors": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewEncoder(); err != nil {
		t.Errorf("encoder: %v", err)
	}
	if _, err := f.NewDecoder(); err == nil || !strings.Contains(err.Error(), "'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be true") {
		t.Errorf("decoder: %v", err)
	}
	// raw.endianness in any case, as Flink.
	if _, err := Lookup(Raw, row.MustParseSchema("s STRING"), map[string]string{"raw.endianness": "BIG-ENDIAN"}); err != nil {
		t.Errorf("raw.endianness: %v", err)
	}
	// Other prefixes are the connector's business.
	if _, err := Lookup(JSON, s, map[string]string{"connector": "kafka", "topic": "t", "properties.group.id": "g", "canal-json.x": "y"}); err != nil {
		t.Error(err)
	}
}

func TestLookupOptions(t *testing.T) {
	s := row.MustParseSchema("id BIGINT, m MAP<STRING, INT>")
	f, err := Lookup(MaxwellJSON, s, map[string]string{
		"maxwell-json.ignore-parse-errors": "TRUE", "maxwell-json.timestamp-format.standard": "ISO-8601",
		"maxwell-json.map-null-key.mode": "literal", "maxwell-json.map-null-key.literal": "nil",
		"maxwell-json.encode.decimal-as-plain-number": "true", "maxwell-json.encode.ignore-null-fields": "true",
		"table.local-time-zone": "GMT+08:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !f.IgnoreParseErrors() || f.json.TimestampFormat != row.TimestampISO8601 || f.json.MapNullKeyMode != row.MapNullKeyLiteral ||
		f.json.MapNullKeyLiteral != "nil" || !f.json.IgnoreNullFields || f.Name() != MaxwellJSON || f.Schema() != s {
		t.Errorf("options not applied: %+v", f.json)
	}
	if _, off := time.Unix(0, 0).In(f.json.Location).Zone(); off != 8*3600 {
		t.Errorf("zone offset %d", off)
	}
	// The map-null-key options reach the encoder: {NULL: 1} -> {"nil":1}; NULL id left out.
	e, _ := f.NewEncoder()
	r := row.NewRow(row.Insert, row.Null(), row.Map([]row.Value{row.Null()}, []row.Value{row.Int(1)}))
	if out, _, err := e.Append(nil, &r); err != nil || string(out) != `{"data":{"m":{"nil":1}},"type":"insert"}` {
		t.Errorf("encoded %s %v", out, err)
	}
	if f.Changelog() != AllKinds || mustFormat(t, JSON, s, nil).Changelog() != InsertOnly {
		t.Error("changelog modes")
	}
}

func TestFromOptions(t *testing.T) {
	s := row.MustParseSchema("id BIGINT")
	f, err := FromOptions(s, map[string]string{"connector": "kafka", "format": "canal-json", "canal-json.ignore-parse-errors": "true"}, "")
	if err != nil || f.Name() != CanalJSON || !f.IgnoreParseErrors() {
		t.Fatalf("format: %v %v", f, err)
	}
	// A Kafka table: value.format with value.<format>.* options; 'format' serves the value too.
	f, err = FromOptions(s, map[string]string{"key.format": "raw", "value.format": "debezium-json", "value.debezium-json.ignore-parse-errors": "true"}, "value")
	if err != nil || f.Name() != DebeziumJSON || !f.IgnoreParseErrors() {
		t.Fatalf("value.format: %v %v", f, err)
	}
	if f, err = FromOptions(s, map[string]string{"format": "json"}, "value"); err != nil || f.Name() != JSON {
		t.Fatalf("format for the value: %v %v", f, err)
	}
	if f, err = FromOptions(row.MustParseSchema("k STRING"), map[string]string{"key.format": "raw", "value.format": "json"}, "key"); err != nil || f.Name() != Raw {
		t.Fatalf("key.format: %v %v", f, err)
	}
	for _, c := range []struct {
		opts  map[string]string
		which string
		want  string
	}{
		{map[string]string{"connector": "kafka"}, "", "option 'format' is required"},
		{map[string]string{"value.format": "json", "format": "json"}, "value", "options 'format' and 'value.format' cannot both be set"},
		{map[string]string{"value.format": "json", "value.json.bogus": "1"}, "value", "unsupported option 'value.json.bogus' (supported: value.json.decode.json-parser.enabled, value.json.encode"},
		{map[string]string{"key.format": "json"}, "partition", `which must be "", "value" or "key"`},
	} {
		if _, err := FromOptions(s, c.opts, c.which); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %s", c.opts, err, c.want)
		}
	}
}

func TestParseTimeZone(t *testing.T) {
	for in, off := range map[string]int{"UTC": 0, "Z": 0, "GMT+8": 8 * 3600, "UTC-05:30": -(5*3600 + 30*60), "+08:00": 8 * 3600, "Asia/Shanghai": 8 * 3600} {
		loc, err := ParseTimeZone(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		// 2022-06-01: no daylight saving in any of them.
		if _, got := time.Date(2022, 6, 1, 0, 0, 0, 0, loc).Zone(); got != off {
			t.Errorf("%s: offset %d, want %d", in, got, off)
		}
	}
	for _, in := range []string{"GMT+25", "+8:5", "Nowhere/City"} {
		if _, err := ParseTimeZone(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestWithLocation(t *testing.T) {
	s := row.MustParseSchema("ltz TIMESTAMP_LTZ(0)")
	f := mustFormat(t, MaxwellJSON, s, nil)
	in := `{"type":"insert","data":{"ltz":"2022-04-29 15:39:19"}}`
	// UTC by default; in Shanghai the wall clock is 8 hours ahead of UTC.
	if got, _ := decodeAll(t, f, in); got != "+I[2022-04-29 15:39:19Z]" {
		t.Errorf("UTC: %s", got)
	}
	if got, _ := decodeAll(t, f.WithLocation(shanghai(t)), in); got != "+I[2022-04-29 07:39:19Z]" {
		t.Errorf("Shanghai: %s", got)
	}
}

func TestReadableMetadataTypes(t *testing.T) {
	s := row.MustParseSchema("id BIGINT")
	for name, want := range map[string]string{
		MaxwellJSON:  "database STRING, table STRING, primary-key-columns ARRAY<STRING>, ingestion-timestamp TIMESTAMP_LTZ(3)",
		DebeziumJSON: "schema STRING, ingestion-timestamp TIMESTAMP_LTZ(3), source.timestamp TIMESTAMP_LTZ(3), source.database STRING, source.schema STRING, source.table STRING, source.properties MAP<STRING, STRING>",
		CanalJSON:    "database STRING, table STRING, sql-type MAP<STRING, INT>, pk-names ARRAY<STRING>, ingestion-timestamp TIMESTAMP_LTZ(3), event-timestamp TIMESTAMP_LTZ(3)",
		JSON:         "",
	} {
		var parts []string
		for _, mk := range mustFormat(t, name, s, nil).ReadableMetadata() {
			parts = append(parts, mk.Key+" "+mk.Type.String())
		}
		if got := strings.Join(parts, ", "); got != want {
			t.Errorf("%s: %s\nwant %s", name, got, want)
		}
	}
	if _, err := mustFormat(t, JSON, s, nil).NewDecoder("topic"); err == nil || !strings.Contains(err.Error(), "(available: none)") {
		t.Errorf("json metadata: %v", err)
	}
}
