package format

import (
	"fmt"
	"testing"
)

// Maxwell's records, as its documentation ("Output format", "Bootstrapping",
// the output_* options) describes them.
//
// Rules the expectations below follow (Maxwell docs, Flink's maxwell-json docs):
//   - One record per row: database, table, type, ts (seconds), xid,
//     commit (true on a transaction's last row; xoffset on the others),
//     data (the row: for a delete, the deleted row).
//   - type insert, update, delete; update has "old": only the changed
//     columns, with their previous values (null when the column was NULL).
//   - Bootstrapping (maxwell-bootstrap) writes bootstrap-start, a
//     bootstrap-insert per row, then bootstrap-complete; start and
//     complete have an empty data.
//   - output_ddl: table-create, table-alter, table-drop, database-create,
//     ... records with sql and the table definition ("def"; "old" is the
//     previous definition for table-alter), no row.
//   - output_primary_key_columns: primary_key_columns, the key's column
//     names (Flink's 'primary-key-columns' metadata); output_primary_keys:
//     primary_key, the key's values.
//   - Values are JSON: numbers for integer and DECIMAL columns (DECIMAL
//     exact, e.g. 5999.00), strings for DATETIME ("2022-04-29 15:39:19",
//     the column's fractional digits), DATE and TIME, a JSON column as the
//     JSON document itself, SET as an array of strings, BLOB as base64.

// orderInfoMaxwellDDL is the Flink table of gmall.order_info (see
// testdata/upstream/maxwell/order_info.jsonl for its MySQL types).
const orderInfoMaxwellDDL = `id BIGINT, user_id BIGINT, total_amount DECIMAL(16, 2), order_status STRING, is_paid BOOLEAN,
	create_time TIMESTAMP(3), operate_time TIMESTAMP(3), expire_date DATE, remark STRING, ext STRING`

func TestUpstreamMaxwellTopic(t *testing.T) {
	recs := topicRecords(t, "maxwell/order_info.jsonl")
	// table-create, bootstrap-start: none; 2 bootstrap-insert: +I each;
	// bootstrap-complete: none; 2 inserts; update: -U, +U; delete: -D;
	// table-alter: none; update: -U, +U.
	const wantCounts = "[0 0 1 1 0 1 1 2 1 0 2]"
	for _, c := range []struct{ name, ddl, want string }{
		// ext, a JSON column, into STRING: the document's JSON text. Order
		// 3's -U was data with old laid over it (status 1001, is_paid 0 =
		// false, operate_time NULL): the row the table held.
		{"JSON column as STRING", orderInfoMaxwellDDL,
			`+I[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, gift, {"coupon":"NEW10","used":true}]
+I[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-05, NULL, NULL]
+I[3, 103, 129.00, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, , {}]`},
		// ext into a ROW: its fields by name, a missing one NULL.
		{"JSON column as ROW", `id BIGINT, total_amount DECIMAL(16, 2), ext ROW<coupon STRING, used BOOLEAN>`,
			`+I[1, 5999.00, (NEW10, true)]
+I[2, 69.90, NULL]
+I[3, 129.00, (NULL, NULL)]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb, counts := replay(t, upstreamFormat(t, c.ddl, kafkaValueOptions(MaxwellJSON)), recs)
			if got := fmt.Sprint(counts); got != wantCounts {
				t.Errorf("rows per record %s, want %s", got, wantCounts)
			}
			check(t, tb.String(), c.want)
		})
	}
}

func TestUpstreamMaxwellRecords(t *testing.T) {
	recs := topicRecords(t, "maxwell/order_info.jsonl")
	f := upstreamFormat(t, orderInfoMaxwellDDL, kafkaValueOptions(MaxwellJSON))
	keys := []string{"database", "table", "primary-key-columns", "ingestion-timestamp"}
	for _, c := range []struct {
		name, in, want, meta string
	}{
		// update -> -U (data overlaid by old), +U (data). ts 1651246802 s
		// = day 19111 (1651190400) + 56402 s = 2022-04-29 15:40:02Z.
		{"update", string(recs[7]),
			`-U[3, 103, 129.00, 1001, false, 2022-04-29 15:39:19, NULL, 2022-05-06, , {}]
+U[3, 103, 129.00, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, , {}]`,
			"database=gmall\ntable=order_info\nprimary-key-columns=[id]\ningestion-timestamp=2022-04-29 15:40:02Z"},
		// An update of the JSON column: old holds the previous document.
		{"update of a JSON column", string(recs[10]),
			`-U[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, gift, {"coupon":"NEW10"}]
+U[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, gift, {"coupon":"NEW10","used":true}]`,
			"database=gmall\ntable=order_info\nprimary-key-columns=[id]\ningestion-timestamp=2022-04-29 15:45:00Z"},
		// delete -> -D(data).
		{"delete", string(recs[8]),
			"-D[4, 103, 0.01, 1001, false, 2022-04-29 15:39:19, NULL, 2022-05-06, NULL, NULL]",
			"database=gmall\ntable=order_info\nprimary-key-columns=[id]\ningestion-timestamp=2022-04-29 15:41:40Z"},
		// bootstrap-insert -> +I; bootstrap-start/-complete: no row, the
		// metadata still read (1651111300 s = 2022-04-28 02:01:40Z).
		{"bootstrap-insert", string(recs[3]),
			"+I[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-05, NULL, NULL]",
			"database=gmall\ntable=order_info\nprimary-key-columns=[id]\ningestion-timestamp=2022-04-28 02:01:40Z"},
		{"bootstrap-start", string(recs[1]), "", "database=gmall\ntable=order_info\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-28 02:01:40Z"},
		{"bootstrap-complete", string(recs[4]), "", "database=gmall\ntable=order_info\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-28 02:01:40Z"},
		// DDL: no row.
		{"table-create", string(recs[0]), "", "database=gmall\ntable=order_info\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-28 02:00:00Z"},
		{"table-alter", string(recs[9]), "", "database=gmall\ntable=order_info\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-29 15:43:20Z"},
		{"database-create", `{"type":"database-create","database":"gmall_bak","sql":"CREATE DATABASE gmall_bak","charset":"utf8mb4","ts":1651247200}`, "",
			"database=gmall_bak\ntable=NULL\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-29 15:46:40Z"},
		{"table-drop", `{"type":"table-drop","database":"gmall","table":"order_info_bak","sql":"DROP TABLE order_info_bak","ts":1651247200}`, "",
			"database=gmall\ntable=order_info_bak\nprimary-key-columns=NULL\ningestion-timestamp=2022-04-29 15:46:40Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, b := decodeTyped(t, f, c.in, keys...)
			check(t, got, c.want)
			check(t, metaText(t, b, keys...), c.meta)
		})
	}
}

func TestUpstreamMaxwellValues(t *testing.T) {
	ddl := `id DECIMAL(20, 0), price DOUBLE, tags ARRAY<STRING>, status STRING, thumb BYTES, yr INT, t TIME(0), d DATE, ts TIMESTAMP(6)`
	runUpstream(t, upstreamFormat(t, ddl, kafkaValueOptions(MaxwellJSON)), []upstreamCase{
		// BIGINT UNSIGNED 2^64-1 as a JSON number, exact; DOUBLE 3.14; SET
		// as an array; ENUM its label; BLOB base64 "AQID" = 0x010203; YEAR
		// 2022; TIME "15:39:19"; DATETIME(6) with its 6 digits.
		{"typed by the DDL", `{"database":"gmall","table":"t","type":"insert","ts":1651246759,"xid":1,"commit":true,` +
			`"data":{"id":18446744073709551615,"price":3.14,"tags":["gift","express"],"status":"paid","thumb":"AQID","yr":2022,` +
			`"t":"15:39:19","d":"2022-04-29","ts":"2022-04-29 15:39:19.000001"}}`,
			"+I[18446744073709551615, 3.14, [gift, express], paid, x'010203', 2022, 15:39:19, 2022-04-29, 2022-04-29 15:39:19.000001]"},
		// An update whose old has a column that was NULL, and one key that
		// the table does not have (ignored).
		{"old with NULL", `{"database":"gmall","table":"t","type":"update","ts":1651246759,"xid":2,"commit":true,` +
			`"data":{"id":1,"price":2.5,"status":"paid","note":"x"},"old":{"price":null,"note":"y"}}`,
			"-U[1, NULL, NULL, paid, NULL, NULL, NULL, NULL, NULL]\n+U[1, 2.5, NULL, paid, NULL, NULL, NULL, NULL, NULL]"},
	})
}

func TestUpstreamMaxwellErrors(t *testing.T) {
	bad := `{"database":"gmall","table":"order_info","type":"insert","ts":1651246759,"xid":8810,"commit":true,"data":{"id":9,"total_amount":"12,50","create_time":"2022-04-29 15:39:19"}}`
	truncated := `{"database":"gmall","table":"order_info","type":"insert","ts":1651246759,"xid":8810,"data":{"id":9,"tot`
	// Something else written to the topic: a plain-text line.
	text := "maxwell started"
	runUpstream(t, upstreamFormat(t, orderInfoMaxwellDDL, kafkaValueOptions(MaxwellJSON)), []upstreamCase{
		{"bad value", bad, `error: maxwell-json: field "data.total_amount": cannot decode JSON string "12,50" as DECIMAL(16, 2)`},
		{"truncated", truncated, `error: maxwell-json: malformed JSON`},
		{"text", text, `error: maxwell-json: malformed JSON`},
	})
	lenient := upstreamFormat(t, orderInfoMaxwellDDL, kafkaValueOptions(MaxwellJSON, "ignore-parse-errors", "true"))
	runUpstream(t, lenient, []upstreamCase{
		{"bad value", bad, "+I[9, NULL, NULL, NULL, NULL, 2022-04-29 15:39:19, NULL, NULL, NULL, NULL]"},
		{"truncated", truncated, `skipped: maxwell-json: malformed JSON`},
		{"text", text, `skipped: maxwell-json: malformed JSON`},
	})
}
