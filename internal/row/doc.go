// Package row is rtdw's typed row model, shared by the SQL planner and the
// engine: logical types, values, changelog rows, and their encodings.
//
// Inside a job, data flows as typed rows with a row kind (+I, -U, +U, -D,
// Flink's RowData and RowKind): a source's format decodes each record once
// into a Row, operators work on Values, and a sink's format encodes once.
// Internal topics and state use the binary encoding; sorted and keyed
// state use the key encoding.
//
// # Types
//
// Type is a logical SQL type with Flink's roots (Kind), parameters and
// nullability; String prints Flink's spelling (DECIMAL(10, 2),
// TIMESTAMP_LTZ(3), ROW<`a` INT, `b` STRING>) and ParseType reads it back,
// with Flink SQL's aliases and defaults. A Schema is the named, typed
// columns of a table, looked up case-insensitively.
//
// # Values
//
// Value is a 40-byte struct, not an interface: scalars live inline (a kind
// byte, an int64, a string, a pointer), so a row of BIGINTs, DOUBLEs, dates,
// timestamps and DECIMAL(16, 2) amounts is a single []Value with no
// allocation per field, and a Value compares, hashes and copies without
// type switches on boxed Go values. The zero Value is NULL: NULL is a
// state of a value, not a type, and carries no type (the schema has it).
// Values are immutable once built, so strings and element slices are
// shared freely between rows, operators and state.
//
//   - Strings (CHAR, VARCHAR, STRING) and bytes (BINARY, VARBINARY, BYTES)
//     are Go strings: immutable, safe to keep in state and maps, and
//     cheap to slice. Decoders copy a record's strings into one string per
//     row (one allocation for all of them), never aliasing the input
//     buffer.
//   - DECIMAL(p, s) is exact: an unscaled int64 whenever it fits (always
//     for p <= 18, and also for the everyday values of DECIMAL(38, s), the
//     type SUM produces, so sums do not allocate), a math/big integer only
//     beyond. Arithmetic (Decimal.Add/Sub/Mul/Div/Mod/Round/Rescale) derives
//     result types as Flink's LogicalTypeMerging, rounds HALF_UP, and
//     reports overflow as !ok, which SQL turns into NULL as Flink does.
//   - DATE is days since 1970-01-01; TIME is nanoseconds of the day;
//     TIMESTAMP(p) and TIMESTAMP_LTZ(p) are milliseconds since the epoch
//     plus nanoseconds within the millisecond (Flink's TimestampData), so
//     years 0001-9999 fit without overflow (nanoseconds since the epoch
//     would end in 2262) at any precision up to 9. A TIMESTAMP is a
//     wall-clock value read as if in UTC; a TIMESTAMP_LTZ is an instant,
//     shown in the session time zone (LocalToInstant, InstantToLocal).
//   - INTERVAL YEAR TO MONTH is months, INTERVAL DAY TO SECOND milliseconds.
//   - ARRAY, MULTISET (duplicates repeated) and ROW hold a []Value, MAP its
//     keys and values interleaved.
//
// Compare orders any two values (NULLS FIRST, numbers across integer,
// DECIMAL and floating kinds, NaN greatest); Equal is Compare == 0, so NULL
// equals NULL as in IS NOT DISTINCT FROM: SQL's three-valued "=" is the
// expression evaluator's business.
//
// # Rows
//
// Row is a RowKind and a []Value. Decoders reuse a Row's slice, so a task
// decodes record after record into one Row without allocating it again.
//
// # Binary format
//
// AppendRow / DecodeRow: a leading version byte (BinaryVersion = 1), the
// row kind byte, a null bitmap, then each non-NULL field in schema order,
// compactly (varints, raw floats, length-prefixed strings), with no names
// and no per-field type tags: the schema drives both sides. Nested values
// repeat the pattern (count, null bitmap, elements). The version byte lets
// a newer binary read the rows an older one left in internal topics and
// state. DecodeRow checks every length, count and range: bytes that are
// not a row of the schema return an error wrapping ErrCorrupt, never a
// panic (FuzzDecodeRow).
//
// # Key format
//
// AppendKey writes a memcomparable encoding of values: bytes.Compare of two
// keys orders as Compare orders their values (for values of one type per
// column), NULLs first, with AppendSortKey for DESC and NULLS LAST. Equal
// values encode identically (1.0 and 1.00, -0.0 and 0.0), so the key
// identifies a group. Keys have no version byte since keys are compared
// with one another.
//
// # JSON and raw formats
//
// JSONDecoder decodes fastjson values (parsed with the caller's reused
// Parser) into rows with Flink's json format semantics: missing fields,
// type mismatches reported as a *FieldError naming the field (the caller
// dead-letters the record), json.ignore-parse-errors, exact DECIMALs from
// the number's text, SQL or ISO-8601 timestamps, nested types. JSONEncoder
// writes rows as Flink's json format does, append-style, without
// encoding/json. RawFormat is Flink's raw format.
package row
