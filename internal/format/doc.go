// Package format holds Flink's table formats: it decodes record values
// into typed changelog rows (row.Row with a kind +I -U +U -D) by a table's
// schema, once, at the source, and encodes rows back into record values
// at the sink.
//
// # Registry
//
// Lookup(name, schema, options) configures a format from a table's WITH
// options with Flink's names: 'format' = 'maxwell-json' and the
// '<format>.<option>' keys ('debezium-json.schema-include',
// 'canal-json.ignore-parse-errors', ...); FromOptions resolves 'format',
// 'value.format' or 'key.format' and their 'value.<format>.<option>' keys
// as the Kafka connectors do. An unknown format, an unsupported
// '<format>.*' option or a bad value is an error naming it (and listing
// what is supported). The session time zone comes from
// 'table.local-time-zone' in the same map, or Format.WithLocation.
//
// A Format is immutable; NewDecoder and NewEncoder make the per-task
// codecs. Decoder.Decode(value, *Batch) fills a Batch: the record's rows
// (reused from record to record: Clone a row to keep it) and its Metadata.
// Encoder.Append writes one row as one record value.
//
// # Formats and their row kinds
//
//	format         decodes                                        encodes (one message per row, as Flink)
//	json           +I: one JSON object                            +I/+U as the object; -U/-D refused
//	raw            +I: the value is the single STRING/BYTES column +I/+U; NULL is a null value (tombstone)
//	csv            +I: one CSV line, fields in column order         +I/+U as one line (no separator); -U/-D refused
//	maxwell-json   insert, bootstrap-insert -> +I(data)            +I/+U {"data":{...},"type":"insert"}
//	               update -> -U(data overlaid by old), +U(data)    -U/-D {"data":{...},"type":"delete"}
//	               delete -> -D(data)
//	               bootstrap-start/-complete, DDL -> no row
//	debezium-json  c, r -> +I(after)                              +I/+U {"before":null,"after":{...},"op":"c"}
//	               u -> -U(before), +U(after)                      -U/-D {"before":{...},"after":null,"op":"d"}
//	               d -> -D(before); t, m -> no row
//	canal-json     INSERT, INIT -> +I per data row                 +I/+U {"data":[{...}],"type":"INSERT"}
//	               UPDATE -> -U(data[i] overlaid by old[i]), +U    -U/-D {"data":[{...}],"type":"DELETE"}
//	               DELETE -> -D per row; isDdl, DDL types -> none
//
// A null or empty record value (a Kafka tombstone) decodes to no row in
// the JSON formats and csv, and to a NULL row in raw. csv's options and
// its differences from Flink are described in csv.go.
//
// # Values
//
// json delegates to row.JSONDecoder and row.JSONEncoder (Flink's json
// format semantics, options json.fail-on-missing-field,
// json.ignore-parse-errors, json.timestamp-format.standard,
// json.map-null-key.*, json.encode.ignore-null-fields).
//
// The CDC formats type every value by the DDL's column type, whatever JSON
// type it arrives as: Canal sends strings ("5999.00", "2022-04-29
// 15:39:19", "1"), Maxwell numbers and strings, Debezium epoch numbers and
// base64 decimals. Numbers decode from their text (DECIMAL exactly,
// rounded HALF_UP to the column's scale, NULL on overflow as Flink);
// numeric columns accept strings; BOOLEAN accepts true/false, 1/0 and
// their strings; a STRING column takes a JSON object or array as its JSON
// text (Maxwell's JSON columns); ARRAY, MAP, MULTISET and ROW columns take
// JSON, or a string holding JSON (Debezium's and Canal's JSON columns).
// Temporal values:
//
//   - TIMESTAMP from 'yyyy-MM-dd HH:mm:ss[.f]' (either separator, ' ' or
//     'T', the configured one first): the wall clock as it is (MySQL
//     DATETIME). A text with 'Z' or an offset (Debezium's ZonedTimestamp,
//     MySQL TIMESTAMP columns) is an instant, turned into its wall clock in
//     the session time zone.
//   - TIMESTAMP_LTZ from a text with 'Z' or an offset: that instant; from
//     a zoneless text: that wall clock in the session time zone.
//   - From an epoch number: with Debezium's Connect schema, its logical
//     type says what it counts: io.debezium.time.Timestamp (and Connect's
//     Timestamp) milliseconds, MicroTimestamp microseconds, NanoTimestamp
//     nanoseconds, Date days, Time milliseconds of the day, MicroTime
//     microseconds, NanoTime nanoseconds. Without a schema the DDL decides:
//     DATE days, TIME microseconds of the day (MySQL's MicroTime), TIMESTAMP
//     milliseconds, or, when the number is beyond year 9999 in
//     milliseconds, microseconds, then nanoseconds. Debezium's epoch
//     numbers are wall clocks written as if in UTC (DATETIME): for a
//     TIMESTAMP_LTZ column they are read in the session time zone.
//   - MySQL's zero date ('0000-00-00...') is NULL, as Debezium makes it.
//
// DECIMAL from Debezium: a string that is not a decimal literal is Kafka
// Connect's Decimal, base64 of the big-endian two's-complement unscaled
// value ("DpIU" = 0x0E9214 = 954900, scale 2: 9549.00), with the scale
// of the schema envelope's Decimal parameters when present, else the
// DDL's; an io.debezium.data.VariableScaleDecimal {"scale","value"} is
// read too, and an integer column takes a scale-0 Connect Decimal
// (bigint.unsigned.handling.mode = precise). decimal.handling.mode string
// and double arrive as a decimal string or number and decode as such.
//
// # Metadata
//
// Each Batch carries the record's Metadata, read by Flink's keys with
// Metadata.Get (Format.ReadableMetadata lists them with their types):
// maxwell-json database, table, primary-key-columns, ingestion-timestamp
// (ts * 1000); debezium-json schema, ingestion-timestamp (ts_ms),
// source.timestamp, source.database, source.schema, source.table,
// source.properties; canal-json database, table, sql-type, pk-names,
// ingestion-timestamp (ts), event-timestamp (es). The keys that allocate
// (lists, maps, the schema text) are filled only when passed to
// NewDecoder; database and table names are interned per decoder.
//
// # Errors
//
// A record that cannot be decoded is an *Error naming the format, the
// field as a JSON path ("data.total_amount", "payload.after.create_time",
// "data[2].id", "old", "op") and the reason, e.g.
//
//	maxwell-json: field "data.total_amount": cannot decode JSON string "12,5" as DECIMAL(16, 2)
//
// for the caller to dead-letter with Error() as rtdw.reason. With
// '<format>.ignore-parse-errors' a field that cannot be decoded is NULL
// (Batch.Nulled counts them) and a record that cannot be decoded at all
// (malformed JSON, an unknown type) is skipped: Decode returns nil with
// the reason in Batch.Skipped, for the caller to count. No input panics
// (FuzzMaxwellDecode, FuzzDebeziumDecode, FuzzCanalDecode).
//
// # Differences from Flink
//
//   - maxwell-json reads bootstrap-insert as +I and skips bootstrap-start,
//     bootstrap-complete and DDL records; Flink fails on them ("Unknown
//     type").
//   - canal-json reads INIT (Canal's full-snapshot rows) as +I, and skips
//     Canal's DDL and transaction types; older Flink versions fail on INIT.
//   - canal-json lays old[i] over data[i] by the fields present in old[i],
//     so a column that changed from NULL is NULL in the -U row; Flink takes
//     a null in old as "unchanged" and copies the new value. maxwell-json
//     does as Flink (presence). A length mismatch of old and data is an
//     error.
//   - debezium-json recognizes the schema envelope by its "payload" field
//     whatever 'debezium-json.schema-include' says, and uses the schema's
//     logical types (Flink ignores the schema: a Decimal's bytes, an epoch
//     DATETIME or a MicroTime fail to decode there); truncate (t) and
//     message (m) events carry no row where Flink fails.
//   - Epoch numbers and base64 decimals decode for the DDL's temporal and
//     DECIMAL columns (Flink's JSON reader rejects them); a timestamp text
//     may use either separator; a zoneless text for TIMESTAMP_LTZ is read in
//     the session time zone (Flink requires 'Z').
//   - In the CDC formats, invalid UTF-8 in a string read as CHAR/VARCHAR/
//     STRING is U+FFFD, one per invalid byte, as the Go jobs read topic_db
//     (docs/ingestion.md, Input rules); Flink's Jackson fails the record.
//   - A JSON key matches its column exactly, else ASCII-case-insensitively
//     (Flink: exactly; an exact match wins). The json format keeps Flink's
//     exact matching.
//   - The json encoder refuses -U and -D rows (Flink writes them as plain
//     rows; its planner keeps them away from insert-only sinks). Encoding
//     with 'debezium-json.schema-include' = 'true' is an error, as in Flink.
//   - canal-json.database.include / table.include are RE2 expressions
//     matched against the whole name (Flink: Java regular expressions,
//     Pattern.matches).
//   - BINARY(n) values decode as VARBINARY values (the row package has no
//     exported constructor for a BINARY value); they compare and encode the
//     same.
//   - raw reads and writes STRING and BYTES columns only (row.RawFormat);
//     raw.charset must be UTF-8.
package format
