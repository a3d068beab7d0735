package format

import (
	"fmt"
	"testing"
)

// Debezium's PostgreSQL connector, as its documentation describes the
// change events ("Change event values", "How Debezium PostgreSQL
// connectors map data types") and JsonConverter writes them.
//
// Rules the expectations below follow (Debezium PostgreSQL connector docs):
//   - op c, r, u, d, t (truncate: no before/after), and m for a logical
//     decoding message (pg_logical_emit_message: a "message" block with
//     prefix and base64 content, no row; by default on the topic
//     <topic.prefix>.message).
//   - REPLICA IDENTITY: FULL gives before the whole old row of an update
//     or delete; DEFAULT gives a delete's before with only the primary
//     key columns (the others null) and an update's before as null.
//   - NUMERIC(p, s), decimal.handling.mode = precise: BYTES
//     org.apache.kafka.connect.data.Decimal with the "scale" parameter;
//     NUMERIC without a precision: STRUCT io.debezium.data.VariableScaleDecimal
//     {scale INT32, value BYTES}, each value with its own scale;
//     decimal.handling.mode = double: FLOAT64; string: STRING.
//   - TIMESTAMPTZ: STRING io.debezium.time.ZonedTimestamp, in UTC ("Z").
//     time.precision.mode = adaptive (the default): TIMESTAMP(4-6), and
//     TIMESTAMP without a precision (6): INT64 io.debezium.time.MicroTimestamp;
//     TIMESTAMP(0-3): INT64 io.debezium.time.Timestamp (ms); DATE: INT32
//     io.debezium.time.Date; TIME(4-6) and TIME: INT64
//     io.debezium.time.MicroTime; TIME(0-3): INT32 io.debezium.time.Time
//     (ms of the day).
//   - UUID: STRING io.debezium.data.Uuid; JSON, JSONB: STRING
//     io.debezium.data.Json; arrays: ARRAY of the element's type.
//   - source: version, connector, name, ts_ms, snapshot, db, sequence,
//     schema, table, txId, lsn, xmin.
//
// Decimal encodings (unscaled value, bytes, base64):
//
//	1234567.89 123456789 = 0x075BCD15 -> 000001 110101 101111 001101 000101 01(0000) = "B1vNFQ=="
//	1234570.39 123457039 = 0x075BCE0F -> 000001 110101 101111 001110 000011 11(0000) = "B1vODw=="
//	10000.00   1000000   = 0x0F4240   -> 000011 110100 001001 000000 = "D0JA"
//	-42.50     -4250     = 0xEF66 (65536 - 4250 = 61286) -> 111011 110110 0110(00) = "72Y="
//	rate 3.14159: scale 5, 314159 = 0x04CB2F -> 000001 001100 101100 101111 = "BMsv"
//	rate -0.5: scale 1, -5 = 0xFB -> 111110 11(0000) = "+w=="; rate 0: scale 0, 0x00 = "AA=="

// accountsDDL is the Flink table of the PostgreSQL table public.accounts.
const accountsDDL = `id INT, uid STRING, balance DECIMAL(12, 2), rate DECIMAL(20, 6), opened TIMESTAMP(6),
	updated TIMESTAMP_LTZ(6), birthday DATE, opens_at TIME(6), profile STRING, tags ARRAY<STRING>,
	scores ARRAY<INT>, active BOOLEAN`

// pgSource is a streaming event's source block (Debezium 2.x, pgoutput).
const pgSource = `"source":{"version":"2.5.0.Final","connector":"postgresql","name":"pgserver1","ts_ms":1651291200000,` +
	`"snapshot":"false","db":"bank","sequence":"[\"24023128\",\"24023300\"]","schema":"public","table":"accounts",` +
	`"txId":556,"lsn":24023300,"xmin":null}`

func TestUpstreamDebeziumPostgresTopic(t *testing.T) {
	payloads := topicRecords(t, "debezium-postgres/accounts.jsonl")
	schema := upstreamFile(t, "debezium-postgres/accounts.schema.json")
	enveloped := make([][]byte, len(payloads))
	for i, p := range payloads {
		if p != nil {
			enveloped[i] = []byte(withConnectSchema(schema, string(p)))
		}
	}
	// The table after the topic:
	//   - 1: balance "B1vODw==" = 1234570.39 after the update; rate
	//     VariableScaleDecimal 314159 at scale 5 = 3.14159 -> DECIMAL(20, 6)
	//     3.141590; opened MicroTimestamp 1651246759123456 =
	//     2022-04-29 (day 19111) 15:39:19.123456; updated "...T05:00:00.5Z"
	//     an instant; birthday -165 days = 1969-07-20; opens_at MicroTime
	//     34200000000 us = 34200 s = 09:30:00; profile (JSONB) its JSON
	//     text as sent; tags/scores arrays, a NULL element kept.
	//   - 2: balance 1000000 = 10000.00; rate -5 at scale 1 = -0.500000;
	//     opened 1651309200000000 us = 1651190400 (day 19111) + 86400 +
	//     32400 s = 2022-04-30 09:00:00; an empty array.
	//   - 3 inserted, then deleted (its -D equals the row held).
	want := `+I[1, a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, 1234570.39, 3.141590, 2022-04-29 15:39:19.123456, 2022-04-30 05:00:00.5Z, 1969-07-20, 09:30:00, {"plan": "gold", "limits": {"daily": 500}}, [vip], [90, NULL, 75], true]
+I[2, 6ba7b810-9dad-11d1-80b4-00c04fd430c8, 10000.00, -0.500000, 2022-04-30 09:00:00, 2022-04-30 01:00:00Z, NULL, NULL, {}, [], NULL, false]`
	for _, c := range []struct {
		name string
		opts map[string]string
		recs [][]byte
	}{
		{"schemas.enable=false", kafkaValueOptions(DebeziumJSON), payloads},
		{"schemas.enable=true", kafkaValueOptions(DebeziumJSON, "schema-include", "true"), enveloped},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb, counts := replay(t, upstreamFormat(t, accountsDDL, c.opts), c.recs)
			if got, want := fmt.Sprint(counts), "[1 1 1 2 1 0]"; got != want {
				t.Errorf("rows per record %s, want %s", got, want)
			}
			check(t, tb.String(), want)
		})
	}
}

// TestUpstreamDebeziumPostgresInsert: the insert of id 3, with its
// metadata: PostgreSQL's source block has a schema.
func TestUpstreamDebeziumPostgresInsert(t *testing.T) {
	in := string(topicRecords(t, "debezium-postgres/accounts.jsonl")[2])
	f := upstreamFormat(t, accountsDDL, kafkaValueOptions(DebeziumJSON))
	got, b := decodeTyped(t, f, in, "source.properties")
	// balance "72Y=" = -42.50; rate 0 at scale 0 = 0.000000; opened
	// 1651320000000000 us = 2022-04-30 09:00 + 3 h; birthday 19111 =
	// 2022-04-29; opens_at 0 = midnight; profile a JSON array's text; the
	// tags' escaped quote and non-ASCII letters as they are; active null.
	check(t, got, `+I[3, f47ac10b-58cc-4372-a567-0e02b2c3d479, -42.50, 0.000000, 2022-04-30 12:00:00, 2022-04-30 04:00:00Z, 2022-04-29, 00:00:00, [1, 2, 3], [a"quoted, ünï], [], NULL]`)
	check(t, metaText(t, b, "ingestion-timestamp", "source.timestamp", "source.database", "source.schema", "source.table"),
		`ingestion-timestamp=2022-04-30 04:00:00.21Z
source.timestamp=2022-04-30 04:00:00Z
source.database=bank
source.schema=public
source.table=accounts`)
	// source.properties: strings as their content, numbers as their text.
	want := `{version=2.5.0.Final, connector=postgresql, name=pgserver1, ts_ms=1651291200000, snapshot=false, db=bank, sequence=["24023128","24023300"], schema=public, table=accounts, txId=556, lsn=24023300, xmin=NULL}`
	if got := b.Meta.SourceProperties.String(); got != want {
		t.Errorf("source.properties\n%s\nwant\n%s", got, want)
	}
}

func TestUpstreamDebeziumPostgresTypes(t *testing.T) {
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
	vsd := `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],` +
		`"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"rate"}`
	create := func(after string) string {
		return `{"before":null,"after":` + after + `,` + pgSource + `,"op":"c","ts_ms":1651291200210,"transaction":null}`
	}
	sh := kafkaValueOptions(DebeziumJSON, LocalTimeZoneOption, "Asia/Shanghai")
	for _, g := range []struct {
		name  string
		ddl   string
		opts  map[string]string
		cases []upstreamCase
	}{
		{"numeric", "balance DECIMAL(12, 2), rate DECIMAL(20, 6)", nil, []upstreamCase{
			// precise: balance by the schema's scale 2; rate by its own scale.
			{"precise, with schema", withSchema(field("bytes", "org.apache.kafka.connect.data.Decimal", `{"scale":"2","connect.decimal.precision":"12"}`, "balance")+","+vsd,
				create(`{"balance":"B1vNFQ==","rate":{"scale":5,"value":"BMsv"}}`)), "+I[1234567.89, 3.141590]"},
			{"precise, without schema", create(`{"balance":"B1vNFQ==","rate":{"scale":1,"value":"+w=="}}`), "+I[1234567.89, -0.500000]"},
			// A VariableScaleDecimal beyond the DDL's scale rounds HALF_UP:
			// "ALxhTg==" = 0x00BC614E = 12345678 at scale 7 = 1.2345678 ->
			// 1.234568.
			{"variable scale rounds to the DDL", create(`{"rate":{"scale":7,"value":"ALxhTg=="}}`), "+I[NULL, 1.234568]"},
			{"string", withSchema(field("string", "", "", "balance")+","+field("string", "", "", "rate"),
				create(`{"balance":"1234567.89","rate":"3.14159"}`)), "+I[1234567.89, 3.141590]"},
			{"double", withSchema(field("double", "", "", "balance")+","+field("double", "", "", "rate"),
				create(`{"balance":1234567.89,"rate":-0.5}`)), "+I[1234567.89, -0.500000]"},
		}},
		{"temporal", "opened TIMESTAMP(3), updated TIMESTAMP(6), birthday DATE, opens_at TIME(3), closes_at TIME(3), ltz TIMESTAMP_LTZ(3)", sh, []upstreamCase{
			// opened TIMESTAMP(3) -> io.debezium.time.Timestamp, ms:
			// 1651246759123 = 2022-04-29 15:39:19.123. updated TIMESTAMPTZ
			// into a TIMESTAMP column: the instant 07:39:19.123456Z is
			// 15:39:19.123456 in the session zone (Shanghai, UTC+8).
			// opens_at TIME(3) -> io.debezium.time.Time, ms of the day:
			// 34200250 = 09:30:00.25; closes_at TIME -> MicroTime
			// 64800000000 us = 18:00:00. ltz: a MicroTimestamp (a
			// TIMESTAMP column of PostgreSQL, a wall clock written as if in
			// UTC) read in the session zone: 15:39:19.123 Shanghai = 07:39:19.123Z.
			{"with schema", withSchema(
				field("int64", "io.debezium.time.Timestamp", "", "opened")+","+
					field("string", "io.debezium.time.ZonedTimestamp", "", "updated")+","+
					field("int32", "io.debezium.time.Date", "", "birthday")+","+
					field("int32", "io.debezium.time.Time", "", "opens_at")+","+
					field("int64", "io.debezium.time.MicroTime", "", "closes_at")+","+
					field("int64", "io.debezium.time.MicroTimestamp", "", "ltz"),
				create(`{"opened":1651246759123,"updated":"2022-04-29T07:39:19.123456Z","birthday":-165,"opens_at":34200250,"closes_at":64800000000,"ltz":1651246759123456}`)),
				"+I[2022-04-29 15:39:19.123, 2022-04-29 15:39:19.123456, 1969-07-20, 09:30:00.25, 18:00:00, 2022-04-29 07:39:19.123Z]"},
			// time.precision.mode = connect: Connect's own logical types,
			// all in milliseconds (Date in days).
			{"time.precision.mode=connect", withSchema(
				field("int64", "org.apache.kafka.connect.data.Timestamp", "", "opened")+","+
					field("int32", "org.apache.kafka.connect.data.Date", "", "birthday")+","+
					field("int32", "org.apache.kafka.connect.data.Time", "", "opens_at"),
				create(`{"opened":1651246759123,"birthday":19111,"opens_at":34200250}`)),
				"+I[2022-04-29 15:39:19.123, NULL, 2022-04-29, 09:30:00.25, NULL, NULL]"},
		}},
		{"uuid, json, arrays", "uid STRING, profile ROW<plan STRING, limits MAP<STRING, INT>>, doc STRING, tags ARRAY<STRING>, scores ARRAY<INT>", nil, []upstreamCase{
			// JSONB as text: into a ROW it is parsed, into a STRING kept as is.
			{"with schema", withSchema(field("string", "io.debezium.data.Uuid", "", "uid")+","+
				field("string", "io.debezium.data.Json", "", "profile")+","+field("string", "io.debezium.data.Json", "", "doc")+","+
				`{"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"tags"},`+
				`{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"scores"}`,
				create(`{"uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","profile":"{\"plan\": \"gold\", \"limits\": {\"daily\": 500}}","doc":"\"just a string\"","tags":["vip",null],"scores":[1,2]}`)),
				`+I[a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, (gold, {daily=500}), "just a string", [vip, NULL], [1, 2]]`},
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

// TestUpstreamDebeziumPostgresReplicaIdentity: REPLICA IDENTITY DEFAULT.
func TestUpstreamDebeziumPostgresReplicaIdentity(t *testing.T) {
	del := `{"before":{"id":3,"uid":null,"balance":null,"rate":null,"opened":null,"updated":null,"birthday":null,"opens_at":null,"profile":null,"tags":null,"scores":null,"active":null},"after":null,` + pgSource + `,"op":"d","ts_ms":1651298400090,"transaction":null}`
	upd := `{"before":null,"after":{"id":1,"uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","balance":"B1vODw=="},` + pgSource + `,"op":"u","ts_ms":1651294800640,"transaction":null}`
	runUpstream(t, upstreamFormat(t, accountsDDL, kafkaValueOptions(DebeziumJSON)), []upstreamCase{
		// A delete's before has the key only: -D with the other columns NULL
		// (a sink keyed by id deletes the right row).
		{"delete, key only", del, "-D[3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]"},
		// An update without before cannot be retracted: an error that says
		// how to fix it, as Flink's.
		{"update without before", upd, `error: debezium-json: field "before": is null: an update or delete needs the row's old values (for Debezium's PostgreSQL connector, set the table's REPLICA IDENTITY to FULL)`},
	})
	runUpstream(t, upstreamFormat(t, accountsDDL, kafkaValueOptions(DebeziumJSON, "ignore-parse-errors", "true")), []upstreamCase{
		{"update without before, ignored", upd, `skipped: field "before": is null`},
	})
}

// TestUpstreamDebeziumPostgresNoRows: truncate, logical decoding
// messages, tombstones.
func TestUpstreamDebeziumPostgresNoRows(t *testing.T) {
	f := upstreamFormat(t, accountsDDL, kafkaValueOptions(DebeziumJSON))
	runUpstream(t, f, []upstreamCase{
		{"truncate", `{"source":{"version":"2.5.0.Final","connector":"postgresql","name":"pgserver1","ts_ms":1651300000000,"snapshot":"false","db":"bank","sequence":"[\"24023700\",\"24023900\"]","schema":"public","table":"accounts","txId":559,"lsn":24023900,"xmin":null},"op":"t","ts_ms":1651300000050,"transaction":null}`, ""},
		// A non-transactional message: no table, no before/after.
		{"message", `{"source":{"version":"2.5.0.Final","connector":"postgresql","name":"pgserver1","ts_ms":1651300000000,"snapshot":"false","db":"bank","sequence":"[null,\"24024000\"]","schema":"","table":"","txId":null,"lsn":24024000,"xmin":null},"op":"m","ts_ms":1651300000060,"message":{"prefix":"audit","content":"aGVsbG8="}}`, ""},
		{"tombstone", "<nil>", ""},
		{"tombstone through JsonConverter with a schema", `{"schema":null,"payload":null}`, ""},
	})
}

func TestUpstreamDebeziumPostgresErrors(t *testing.T) {
	// decimal.handling.mode = string writes NUMERIC's NaN as "NaN": no
	// DECIMAL value.
	nan := `{"before":null,"after":{"id":4,"uid":"00000000-0000-0000-0000-000000000004","balance":"NaN"},` + pgSource + `,"op":"c","ts_ms":1651291200210}`
	// A JSONB column that is no JSON (a placeholder) into a ROW column.
	badJSON := `{"before":null,"after":{"id":5,"profile":"__debezium_unavailable_value"},` + pgSource + `,"op":"c","ts_ms":1651291200210}`
	ddl := `id INT, uid STRING, balance DECIMAL(12, 2), profile ROW<plan STRING>`
	runUpstream(t, upstreamFormat(t, ddl, kafkaValueOptions(DebeziumJSON)), []upstreamCase{
		{"NaN", nan, `error: debezium-json: field "after.balance": cannot decode JSON string "NaN" as DECIMAL(12, 2)`},
		{"not JSON", badJSON, `error: debezium-json: field "after.profile": cannot decode JSON string "__debezium_unavailable_value" as ROW<`},
		{"not an object", `"accounts"`, `error: debezium-json: the record is a JSON string, not an object`},
	})
	lenient := upstreamFormat(t, ddl, kafkaValueOptions(DebeziumJSON, "ignore-parse-errors", "true"))
	runUpstream(t, lenient, []upstreamCase{
		{"NaN", nan, "+I[4, 00000000-0000-0000-0000-000000000004, NULL, NULL]"},
		{"not JSON", badJSON, "+I[5, NULL, NULL, NULL]"},
		{"not an object", `"accounts"`, `skipped: the record is a JSON string, not an object`},
		// The Confluent wire format (magic byte 0, a schema id): a
		// debezium-json table reading an Avro topic.
		{"Avro", "\x00\x00\x00\x00\x01\x02\x06abc", `skipped: debezium-json: malformed JSON`},
	})
}
