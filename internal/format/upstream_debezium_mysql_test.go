package format

import (
	"fmt"
	"strings"
	"testing"
)

// Debezium's MySQL connector, as its documentation describes the change
// events ("Change event values", "How Debezium MySQL connectors map data
// types") and Kafka Connect's JsonConverter writes them.
//
// Rules the expectations below follow (Debezium MySQL connector docs):
//   - op: c create, r read (snapshot), u update, d delete, t truncate;
//     before is null for c and r, after is null for d; a truncate event
//     has neither (only source, op, ts_ms).
//   - tombstones.on.delete = true (the default): a delete is followed by a
//     record with the same key and a null value.
//   - Temporal types, time.precision.mode = adaptive_time_microseconds
//     (the MySQL default): DATE -> INT32 io.debezium.time.Date (days since
//     the epoch); TIME -> INT64 io.debezium.time.MicroTime (microseconds
//     past midnight); DATETIME(0-3) -> INT64 io.debezium.time.Timestamp
//     (milliseconds since the epoch, the wall clock taken as UTC);
//     DATETIME(4-6) -> INT64 io.debezium.time.MicroTimestamp
//     (microseconds); TIMESTAMP -> STRING io.debezium.time.ZonedTimestamp
//     (ISO-8601, converted to UTC). The docs' example: the DATETIME
//     2018-06-20 06:37:03 becomes 1529476623000, the TIMESTAMP 2018-06-20
//     06:37:03 of a server at UTC-7 becomes "2018-06-20T13:37:03Z".
//   - decimal.handling.mode: precise (the default) -> BYTES
//     org.apache.kafka.connect.data.Decimal, the unscaled value's
//     big-endian two's complement (base64 in JSON), with the scale as the
//     schema parameter "scale"; double -> FLOAT64; string -> STRING.
//   - bigint.unsigned.handling.mode = precise: BIGINT UNSIGNED -> a
//     Decimal of scale 0.
//   - TINYINT -> INT16 (MySQL's BOOLEAN is TINYINT(1): 0 or 1); BIT(1) ->
//     BOOLEAN; JSON -> STRING io.debezium.data.Json; ENUM -> STRING
//     io.debezium.data.Enum; SET -> STRING io.debezium.data.EnumSet (the
//     values comma-separated); YEAR -> INT32 io.debezium.time.Year;
//     BLOB/BINARY -> BYTES (binary.handling.mode = bytes: base64 in JSON).
//
// Decimal encodings worked out by hand (unscaled value, its bytes, base64):
//
//	5999.00  599900 = 0x09275C  00001001 00100111 01011100 -> 000010 010010 011101 011100 = "CSdc"
//	5499.50  549950 = 0x08643E  -> 000010 000110 010000 111110 = "CGQ+"
//	19.99    1999   = 0x07CF    -> 000001 111100 1111(00) = "B88="
//	-12.50   -1250  = 0xFB1E    (65536 - 1250 = 64286) -> 111110 110001 1110(00) = "+x4="
//	0.00     0      = 0x00      = "AA=="
//	5999.1250 (scale 4) 59991250 = 0x039364D2 -> 000000 111001 001101 100100 110100 10(0000) = "A5Nk0g=="
//	18446744073709551615 (2^64-1, scale 0): positive, so a leading 0x00:
//	         0x00 FF*8 -> 000000 001111 111111 ... = "AP//////////"

// ordersDDL is the Flink table of the MySQL table inventory.orders (see
// testdata/upstream/debezium-mysql/orders.jsonl for its MySQL types).
const ordersDDL = `id BIGINT, order_no STRING, price DECIMAL(10, 2), paid BOOLEAN, created TIMESTAMP(3),
	paid_at TIMESTAMP(6), updated TIMESTAMP_LTZ(3), ship_date DATE, ship_time TIME(3), attrs STRING, status STRING`

// mysqlSource is a streaming event's source block (Debezium 2.x, MySQL).
const mysqlSource = `"source":{"version":"2.5.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1529476623000,` +
	`"snapshot":"false","db":"inventory","sequence":null,"table":"orders","server_id":223344,"gtid":null,` +
	`"file":"mysql-bin.000003","pos":484,"row":0,"thread":7,"query":null}`

// TestUpstreamDebeziumMySQLTopic replays a topic of inventory.orders,
// without and with the schema envelope, into the table it describes.
func TestUpstreamDebeziumMySQLTopic(t *testing.T) {
	payloads := topicRecords(t, "debezium-mysql/orders.jsonl")
	schema := upstreamFile(t, "debezium-mysql/orders.schema.json")
	enveloped := make([][]byte, len(payloads))
	for i, p := range payloads {
		if p != nil { // a tombstone is a null value either way
			enveloped[i] = []byte(withConnectSchema(schema, string(p)))
		}
	}
	// Rows per record: r, c -> +I; u -> -U, +U; d -> -D; the tombstone none.
	wantCounts := "[1 1 2 2 1 1 0 1]"
	// The table after the topic (rows sorted by their text):
	//   - 1000: price "AA==" = 0.00; paid 1 = true; created 1529476200000 ms
	//     = 1529476623000 (06:37:03, the docs' example) - 423 s = 2018-06-20
	//     06:30:00; updated "2018-06-20T13:30:00Z" is an instant: the
	//     TIMESTAMP_LTZ prints it in UTC.
	//   - 1001 after two updates: price "CSdc" = 5999.00; paid_at
	//     1529476800250001 us = 1529476623 s + 177 s (06:40:00) + .250001;
	//     ship_date 17703 days = 17702 (2018-06-20, 1529452800 s / 86400)
	//     + 1 = 2018-06-21; ship_time 50730500000 us = 50730.5 s = 14:05:30.5;
	//     attrs (io.debezium.data.Json) is the JSON text as sent.
	//   - 1002 was inserted then deleted (the -D equals the row held).
	//   - 1003: price "+x4=" = -12.50; created 1529539200000 = 17703 days
	//     * 86400000 = 2018-06-21 00:00:00.
	want := `+I[1000, SO-1000, 0.00, true, 2018-06-20 06:30:00, NULL, 2018-06-20 13:30:00Z, NULL, NULL, NULL, paid]
+I[1001, SO-1001, 5999.00, true, 2018-06-20 06:37:03, 2018-06-20 06:40:00.250001, 2018-06-21 21:05:30Z, 2018-06-21, 14:05:30.5, {"color": "red", "size": 42}, shipped]
+I[1003, SO-1003, -12.50, true, 2018-06-21 00:00:00, NULL, 2018-06-21 07:00:00Z, NULL, NULL, NULL, paid]`
	for _, c := range []struct {
		name string
		opts map[string]string
		recs [][]byte
	}{
		{"schemas.enable=false", kafkaValueOptions(DebeziumJSON), payloads},
		{"schemas.enable=true", kafkaValueOptions(DebeziumJSON, "schema-include", "true"), enveloped},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb, counts := replay(t, upstreamFormat(t, ordersDDL, c.opts), c.recs)
			if got := fmt.Sprint(counts); got != wantCounts {
				t.Errorf("rows per record %v, want %s", counts, wantCounts)
			}
			check(t, tb.String(), want)
		})
	}
}

// TestUpstreamDebeziumMySQLUpdate: one update, enveloped, decoded into
// its -U/+U pair, and the metadata of its source block.
func TestUpstreamDebeziumMySQLUpdate(t *testing.T) {
	payloads := topicRecords(t, "debezium-mysql/orders.jsonl")
	in := withConnectSchema(upstreamFile(t, "debezium-mysql/orders.schema.json"), string(payloads[2]))
	f := upstreamFormat(t, ordersDDL, kafkaValueOptions(DebeziumJSON, "schema-include", "true"))
	got, b := decodeTyped(t, f, in, "schema", "source.properties")
	// u -> -U(before), +U(after). paid 0/1 (TINYINT(1) as INT16) is
	// false/true; paid_at, a MicroTimestamp, NULL before.
	check(t, got, `-U[1001, SO-1001, 5999.00, false, 2018-06-20 06:37:03, NULL, 2018-06-20 13:37:03Z, NULL, NULL, {"color": "red", "size": 42}, new]
+U[1001, SO-1001, 5999.00, true, 2018-06-20 06:37:03, 2018-06-20 06:40:00.250001, 2018-06-20 13:40:00Z, NULL, NULL, {"color": "red", "size": 42}, paid]`)
	// Metadata (Flink's debezium-json keys): ingestion-timestamp is the
	// event's ts_ms (1529476800311 = 06:40:00.311Z), source.timestamp the
	// source's ts_ms (when the change was made in the database), the
	// MySQL connector has no source.schema.
	check(t, metaText(t, b, "ingestion-timestamp", "source.timestamp", "source.database", "source.schema", "source.table"),
		`ingestion-timestamp=2018-06-20 06:40:00.311Z
source.timestamp=2018-06-20 06:40:00Z
source.database=inventory
source.schema=NULL
source.table=orders`)
	props := b.Meta.SourceProperties.String()
	for _, kv := range []string{"connector=mysql", "file=mysql-bin.000003", "pos=1022", "row=0", "gtid=NULL", "snapshot=false"} {
		if !strings.Contains(props, kv) {
			t.Errorf("source.properties %s lacks %s", props, kv)
		}
	}
	if s := b.Meta.SchemaJSON.Str(); !strings.Contains(s, `"name":"dbserver1.inventory.orders.Envelope"`) {
		t.Errorf("schema metadata %.80s...", s)
	}
}

// TestUpstreamDebeziumMySQLTypes: one column type at a time, each as the
// connector writes it with its Connect schema, and without (the DDL decides).
func TestUpstreamDebeziumMySQLTypes(t *testing.T) {
	field := func(typ, name, params, col string) string {
		s := `{"type":"` + typ + `","optional":true`
		if name != "" {
			s += `,"name":"` + name + `","version":1`
		}
		if params != "" {
			s += `,"parameters":` + params
		}
		return s + `,"field":"` + col + `"}`
	}
	decimal := func(scale, precision, col string) string {
		return field("bytes", "org.apache.kafka.connect.data.Decimal", `{"scale":"`+scale+`","connect.decimal.precision":"`+precision+`"}`, col)
	}
	create := func(after string) string {
		return `{"before":null,"after":` + after + `,` + mysqlSource + `,"op":"c","ts_ms":1529476623456,"transaction":null}`
	}
	la := kafkaValueOptions(DebeziumJSON, LocalTimeZoneOption, "America/Los_Angeles")
	for _, g := range []struct {
		name  string
		ddl   string
		opts  map[string]string
		cases []upstreamCase
	}{
		{"temporal", "created TIMESTAMP(3), paid_at TIMESTAMP(6), updated TIMESTAMP(3), ship_date DATE, ship_time TIME(3)", la, []upstreamCase{
			// The docs' example. DATETIME 1529476623000 is the wall clock
			// 2018-06-20 06:37:03 whatever the session zone; the TIMESTAMP
			// "2018-06-20T13:37:03Z" is an instant: a TIMESTAMP column takes
			// its wall clock in the session zone (Los Angeles, UTC-7 in June),
			// 06:37:03 again, the value the server showed.
			{"with schema", withSchema(
				field("int64", "io.debezium.time.Timestamp", "", "created")+","+
					field("int64", "io.debezium.time.MicroTimestamp", "", "paid_at")+","+
					field("string", "io.debezium.time.ZonedTimestamp", "", "updated")+","+
					field("int32", "io.debezium.time.Date", "", "ship_date")+","+
					field("int64", "io.debezium.time.MicroTime", "", "ship_time"),
				create(`{"created":1529476623000,"paid_at":1529476623123456,"updated":"2018-06-20T13:37:03Z","ship_date":17702,"ship_time":23823500000}`)),
				// paid_at: 1529476623123456 us = 06:37:03.123456; ship_date
				// 17702 days = 2018-06-20; ship_time 23823500000 us = 23823.5 s
				// = 6*3600 + 37*60 + 3.5 = 06:37:03.5.
				"+I[2018-06-20 06:37:03, 2018-06-20 06:37:03.123456, 2018-06-20 06:37:03, 2018-06-20, 06:37:03.5]"},
			// Without the schema the DDL decides: TIMESTAMP milliseconds,
			// or microseconds when beyond year 9999 in milliseconds (doc.go);
			// DATE days; TIME microseconds (MicroTime).
			{"without schema", create(`{"created":1529476623000,"paid_at":1529476623123456,"updated":"2018-06-20T13:37:03.5Z","ship_date":17702,"ship_time":23823500000}`),
				"+I[2018-06-20 06:37:03, 2018-06-20 06:37:03.123456, 2018-06-20 06:37:03.5, 2018-06-20, 06:37:03.5]"},
			// A DATETIME(6) before 1970 is a negative MicroTimestamp:
			// 1969-07-20 20:17:40 = -165 days * 86400 + 73060 s =
			// -14182940 s -> -14182940000000 us. The schema says
			// microseconds (without it, this number is also a plausible
			// millisecond count, year 1520: doc.go's rule reads it so).
			{"pre-epoch MicroTimestamp", withSchema(field("int64", "io.debezium.time.MicroTimestamp", "", "paid_at")+","+
				field("int32", "io.debezium.time.Date", "", "ship_date"),
				create(`{"paid_at":-14182940000000,"ship_date":-165}`)),
				"+I[NULL, 1969-07-20 20:17:40, NULL, 1969-07-20, NULL]"},
		}},
		{"decimal.handling.mode=precise", "price DECIMAL(10, 2), credit DECIMAL(10, 2), qty DECIMAL(20, 0)", nil, []upstreamCase{
			// The schema's scale: 599900 at scale 2 = 5999.00; -1250 = -12.50;
			// qty: bigint.unsigned.handling.mode = precise, 2^64-1 at scale 0.
			{"with schema", withSchema(decimal("2", "10", "price")+","+decimal("2", "10", "credit")+","+decimal("0", "20", "qty"),
				create(`{"price":"CSdc","credit":"+x4=","qty":"AP//////////"}`)),
				"+I[5999.00, -12.50, 18446744073709551615]"},
			// The schema says scale 4 (a DECIMAL(12,4) column read into a
			// DECIMAL(10, 2) table): 59991250 at scale 4 = 5999.1250,
			// rounded HALF_UP to the DDL's scale: 5999.13.
			{"schema scale differs from the DDL", withSchema(decimal("4", "12", "price"), create(`{"price":"A5Nk0g=="}`)),
				"+I[5999.13, NULL, NULL]"},
			// Without the schema the bytes carry no scale: the DDL's is
			// used (the DDL must match the MySQL column's scale).
			{"without schema", create(`{"price":"CSdc","credit":"+x4=","qty":"AP//////////"}`),
				"+I[5999.00, -12.50, 18446744073709551615]"},
		}},
		{"decimal.handling.mode=precise, DDL of another scale", "price DECIMAL(12, 4)", nil, []upstreamCase{
			// Schema-less bytes read at the DDL's scale 4: 599900 -> 59.9900
			// (what the bytes say at that scale), with the schema 5999.0000.
			{"without schema", create(`{"price":"CSdc"}`), "+I[59.9900]"},
			{"with schema", withSchema(decimal("2", "10", "price"), create(`{"price":"CSdc"}`)), "+I[5999.0000]"},
		}},
		{"decimal.handling.mode=string", "price DECIMAL(10, 2), credit DECIMAL(10, 2)", nil, []upstreamCase{
			// STRING: the decimal's text, exact.
			{"with schema", withSchema(field("string", "", "", "price")+","+field("string", "", "", "credit"),
				create(`{"price":"5999.00","credit":"-12.50"}`)), "+I[5999.00, -12.50]"},
			{"without schema", create(`{"price":"5999.00","credit":"-12.5"}`), "+I[5999.00, -12.50]"},
		}},
		{"decimal.handling.mode=double", "price DECIMAL(10, 2), credit DECIMAL(10, 2)", nil, []upstreamCase{
			// FLOAT64: a JSON number, read from its text (19.99 stays 19.99,
			// no binary floating-point detour).
			{"with schema", withSchema(field("double", "", "", "price")+","+field("double", "", "", "credit"),
				create(`{"price":5999.0,"credit":19.99}`)), "+I[5999.00, 19.99]"},
			{"without schema", create(`{"price":5999.0,"credit":-12.5}`), "+I[5999.00, -12.50]"},
		}},
		{"other types", "paid BOOLEAN, flag BOOLEAN, attrs ROW<color STRING, size INT>, tags STRING, yr INT, thumb BYTES, status STRING", nil, []upstreamCase{
			// paid TINYINT(1) -> INT16 1; flag BIT(1) -> BOOLEAN; attrs JSON
			// text into a ROW; tags SET -> "a,b" as is; yr YEAR -> 2018;
			// thumb BLOB "AQID" = 0x010203; status ENUM -> its label.
			{"with schema", withSchema(field("int16", "", "", "paid")+","+field("boolean", "", "", "flag")+","+
				field("string", "io.debezium.data.Json", "", "attrs")+","+
				field("string", "io.debezium.data.EnumSet", `{"allowed":"gift,fragile,express"}`, "tags")+","+
				field("int32", "io.debezium.time.Year", "", "yr")+","+field("bytes", "", "", "thumb")+","+
				field("string", "io.debezium.data.Enum", `{"allowed":"new,paid,shipped"}`, "status"),
				create(`{"paid":1,"flag":true,"attrs":"{\"color\": \"red\", \"size\": 42}","tags":"gift,express","yr":2018,"thumb":"AQID","status":"shipped"}`)),
				"+I[true, true, (red, 42), gift,express, 2018, x'010203', shipped]"},
			{"without schema", create(`{"paid":0,"flag":false,"attrs":"{\"size\": 7}","tags":"","yr":1999,"thumb":"","status":"new"}`),
				"+I[false, false, (NULL, 7), , 1999, x'', new]"},
		}},
	} {
		if g.opts == nil {
			g.opts = kafkaValueOptions(DebeziumJSON)
		}
		t.Run(g.name, func(t *testing.T) {
			runUpstream(t, upstreamFormat(t, g.ddl, g.opts), g.cases)
		})
	}
}

// TestUpstreamDebeziumMySQLNoRows: the events that change no row.
func TestUpstreamDebeziumMySQLNoRows(t *testing.T) {
	f := upstreamFormat(t, ordersDDL, kafkaValueOptions(DebeziumJSON))
	runUpstream(t, f, []upstreamCase{
		// The docs' truncate payload: source, op "t", ts_ms; no before/after.
		{"truncate", `{"source":{"version":"2.5.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1529615400000,"snapshot":"false","db":"inventory","sequence":null,"table":"orders","server_id":223344,"gtid":null,"file":"mysql-bin.000004","pos":1700,"row":0,"thread":9,"query":null},"op":"t","ts_ms":1529615400110,"transaction":null}`, ""},
		// Through JsonConverter with a schema, before/after are written as null.
		{"truncate, enveloped", withConnectSchema(upstreamFile(t, "debezium-mysql/orders.schema.json"),
			`{"before":null,"after":null,`+mysqlSource+`,"op":"t","ts_ms":1529615400110,"transaction":null}`), ""},
		{"tombstone", "<nil>", ""},
	})
}

// TestUpstreamDebeziumMySQLErrors: records a debezium-json table cannot
// decode, with and without debezium-json.ignore-parse-errors.
func TestUpstreamDebeziumMySQLErrors(t *testing.T) {
	// A schema change event: what the connector writes to the server's own
	// topic (include.schema.changes); it has no op: not a change event.
	schemaChange := `{"source":{"version":"2.5.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1529615500000,"snapshot":"false","db":"inventory","sequence":null,"table":"orders","server_id":223344,"gtid":null,"file":"mysql-bin.000004","pos":2000,"row":0,"thread":9,"query":null},"ts_ms":1529615500120,"databaseName":"inventory","schemaName":null,"ddl":"ALTER TABLE orders ADD COLUMN note VARCHAR(64)","tableChanges":[]}`
	// A record cut short (a producer's partial write).
	truncated := `{"before":null,"after":{"id":1004,"order_no":"SO-1004","price":"CSdc","paid":0,"crea`
	badValue := `{"before":null,"after":{"id":1004,"order_no":"SO-1004","price":"CSdc","paid":"yes","created":1529476623000,"updated":"2018-06-20T13:37:03Z"},` + mysqlSource + `,"op":"c","ts_ms":1529476623456}`
	strict := upstreamFormat(t, ordersDDL, kafkaValueOptions(DebeziumJSON))
	runUpstream(t, strict, []upstreamCase{
		{"schema change event", schemaChange, `error: debezium-json: field "op": missing`},
		{"truncated record", truncated, `error: debezium-json: malformed JSON`},
		{"bad value", badValue, `error: debezium-json: field "after.paid": cannot decode JSON string "yes" as BOOLEAN`},
	})
	lenient := upstreamFormat(t, ordersDDL, kafkaValueOptions(DebeziumJSON, "ignore-parse-errors", "true"))
	runUpstream(t, lenient, []upstreamCase{
		// ignore-parse-errors: a record that cannot be decoded is skipped
		// (no rows, the reason in Batch.Skipped), a field is NULL.
		{"schema change event", schemaChange, `skipped: field "op": missing`},
		{"truncated record", truncated, `skipped: debezium-json: malformed JSON`},
		{"bad value", badValue, "+I[1004, SO-1004, 5999.00, NULL, 2018-06-20 06:37:03, NULL, 2018-06-20 13:37:03Z, NULL, NULL, NULL, NULL]"},
	})
	// One decoder goes on after a skipped record.
	d, err := lenient.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	for i, in := range []string{truncated, badValue, string(topicRecords(t, "debezium-mysql/orders.jsonl")[1])} {
		if err := d.Decode([]byte(in), &b); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		want := [][2]int{{0, 0}, {1, 1}, {1, 0}}[i] // rows, nulled fields
		if len(b.Rows) != want[0] || b.Nulled != want[1] || (b.Skipped != nil) != (i == 0) {
			t.Errorf("record %d: %d rows, %d nulled, skipped %v", i, len(b.Rows), b.Nulled, b.Skipped)
		}
	}
}
