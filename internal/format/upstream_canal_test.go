package format

import (
	"fmt"
	"strings"
	"testing"
)

// Canal's flat JSON messages (canal.mq.flatMessage = true), as Flink's
// canal-json format documentation shows them and canal-server writes them.
//
// Rules the expectations below follow (Canal's FlatMessage, Flink's
// canal-json docs):
//   - One message per statement: "data" is the array of its rows; a
//     multi-row INSERT, UPDATE or DELETE gives one row per data entry.
//   - type INSERT / UPDATE / DELETE; INIT (full-snapshot rows, read by
//     Flink as inserts); DDL statements have isDdl true, data null, and
//     type CREATE, ALTER, ERASE (drop), RENAME, TRUNCATE, CINDEX (create
//     index), DINDEX (drop index) or QUERY.
//   - "old", for UPDATE: one entry per data row, holding only the changed
//     columns with their previous values (null when the column was NULL).
//   - Every value is a string (MySQL's text of the value) or null:
//     "5999.00", "2022-04-29 15:39:19", "1" for TINYINT(1); a JSON column
//     its JSON text. The DDL types them.
//   - mysqlType: the MySQL column types; sqlType: java.sql.Types codes
//     (BIGINT -5, TINYINT -6, DECIMAL 3, VARCHAR 12, DATE 91, TIMESTAMP 93);
//     pkNames: the primary key; es: the binlog event's time, ts: when Canal
//     wrote the message (epoch ms).

// orderInfoCanalDDL is the Flink table of gmall.order_info (see
// testdata/upstream/canal/order_info.jsonl for its MySQL types).
const orderInfoCanalDDL = `id BIGINT, user_id BIGINT, total_amount DECIMAL(16, 2), order_status STRING, is_paid BOOLEAN,
	create_time TIMESTAMP(3), operate_time TIMESTAMP(3), expire_date DATE, remark STRING, ext STRING`

// TestUpstreamCanalTopic replays a topic of gmall.order_info.
func TestUpstreamCanalTopic(t *testing.T) {
	f := upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON))
	tb, counts := replay(t, f, topicRecords(t, "canal/order_info.jsonl"))
	// CREATE: none; INIT of 2 rows: 2 +I; INSERT of 3: 3 +I; UPDATE of 2:
	// 2 x (-U, +U); DELETE of 1: -D; CINDEX: none; UPDATE of 2: 4.
	if got, want := fmt.Sprint(counts), "[0 2 3 4 1 0 4]"; got != want {
		t.Errorf("rows per message %s, want %s", got, want)
	}
	// The table after the topic. Each -U was checked against the row held:
	// data[i] with old[i]'s columns laid over it is exactly the previous
	// row (for order 3: status 1001, is_paid "0" = false, operate_time NULL).
	// is_paid "1"/"0" -> true/false; operate_time "2022-04-28 10:05:00.500" is
	// 10:05:00.5; remark "" stays an empty string, null is NULL.
	check(t, tb.String(), `+I[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, NULL, {"coupon": "NEW10"}]
+I[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-12, NULL, NULL]
+I[3, 103, 129.00, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, , {}]
+I[4, 103, 0.01, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, NULL, NULL]`)
}

// TestUpstreamCanalMessages: the topic's messages one at a time, with
// their metadata.
func TestUpstreamCanalMessages(t *testing.T) {
	recs := topicRecords(t, "canal/order_info.jsonl")
	f := upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON))
	keys := []string{"database", "table", "sql-type", "pk-names", "ingestion-timestamp", "event-timestamp"}

	// The multi-row UPDATE: per row -U (data[i] overlaid by old[i]) then +U.
	got, b := decodeTyped(t, f, string(recs[3]), keys...)
	check(t, got, `-U[3, 103, 129.00, 1001, false, 2022-04-29 15:39:19, NULL, 2022-05-06, , {}]
+U[3, 103, 129.00, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, , {}]
-U[4, 103, 0.01, 1001, false, 2022-04-29 15:39:19, NULL, 2022-05-06, NULL, NULL]
+U[4, 103, 0.01, 1002, true, 2022-04-29 15:39:19, 2022-04-29 15:40:02.123, 2022-05-06, NULL, NULL]`)
	// es 1651246802000 = 2022-04-29 15:40:02Z (day 19111 = 1651190400 s,
	// + 56402 s); ts 345 ms later. sqlType as MAP<STRING, INT>, in the
	// message's order.
	check(t, metaText(t, b, keys...), `database=gmall
table=order_info
sql-type={id=-5, user_id=-5, total_amount=3, order_status=12, is_paid=-6, create_time=93, operate_time=93, expire_date=91, remark=12, ext=12}
pk-names=[id]
ingestion-timestamp=2022-04-29 15:40:02.345Z
event-timestamp=2022-04-29 15:40:02Z`)

	// The DDL: no rows; its metadata is still read (null sqlType and
	// pkNames are NULL).
	got, b = decodeTyped(t, f, string(recs[0]), keys...)
	check(t, got, "")
	check(t, metaText(t, b, keys...), `database=gmall
table=order_info
sql-type=NULL
pk-names=NULL
ingestion-timestamp=2022-04-28 02:00:00.081Z
event-timestamp=2022-04-28 02:00:00Z`)

	// A change from a value to NULL: old has the value, the -U row has it.
	got, _ = decodeTyped(t, f, string(recs[6]))
	check(t, got, `-U[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, gift, {"coupon": "NEW10"}]
+U[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, NULL, {"coupon": "NEW10"}]
-U[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-05, NULL, NULL]
+U[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-12, NULL, NULL]`)
}

// canalMsg is a Canal DML message of gmall.order_info.
func canalMsg(typ, data, old string) string {
	return `{"data":` + data + `,"database":"gmall","es":1651246759000,"id":9,"isDdl":false,` +
		`"mysqlType":{"id":"bigint"},"old":` + old + `,"pkNames":["id"],"sql":"","sqlType":{"id":-5},` +
		`"table":"order_info","ts":1651246759321,"type":"` + typ + `"}`
}

// canalDDL is a Canal DDL message.
func canalDDL(typ, table, sql string) string {
	return `{"data":null,"database":"gmall","es":1651247000000,"id":10,"isDdl":true,"mysqlType":null,"old":null,` +
		`"pkNames":null,"sql":"` + sql + `","sqlType":null,"table":"` + table + `","ts":1651247000090,"type":"` + typ + `"}`
}

func TestUpstreamCanalNoRows(t *testing.T) {
	runUpstream(t, upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON)), []upstreamCase{
		{"TRUNCATE", canalDDL("TRUNCATE", "order_info", "TRUNCATE TABLE order_info"), ""},
		{"ERASE", canalDDL("ERASE", "order_info", "DROP TABLE order_info"), ""},
		{"RENAME", canalDDL("RENAME", "order_info_bak", "RENAME TABLE order_info TO order_info_bak"), ""},
		{"ALTER", canalDDL("ALTER", "order_info", "ALTER TABLE order_info ADD COLUMN note varchar(64)"), ""},
		{"DINDEX", canalDDL("DINDEX", "order_info", "DROP INDEX idx_user ON order_info"), ""},
		{"QUERY", canalDDL("QUERY", "", "GRANT SELECT ON gmall.* TO 'bi'@'%'"), ""},
		{"tombstone", "<nil>", ""},
	})
}

func TestUpstreamCanalValues(t *testing.T) {
	ddl := `id DECIMAL(20, 0), price DOUBLE, qty SMALLINT, yr INT, t TIME(3), attrs MAP<STRING, STRING>, tags ARRAY<INT>, note CHAR(4)`
	runUpstream(t, upstreamFormat(t, ddl, kafkaValueOptions(CanalJSON)), []upstreamCase{
		// BIGINT UNSIGNED "18446744073709551615" into DECIMAL(20, 0), exact;
		// DOUBLE "3.14"; SMALLINT "-32768"; YEAR "2022"; TIME "15:39:19.5";
		// JSON columns as JSON text into MAP and ARRAY; CHAR(4) as is.
		{"typed by the DDL", canalMsg("INSERT",
			`[{"id":"18446744073709551615","price":"3.14","qty":"-32768","yr":"2022","t":"15:39:19.5","attrs":"{\"color\": \"red\", \"size\": \"L\"}","tags":"[1, 2, 3]","note":"ab  "}]`, "null"),
			"+I[18446744073709551615, 3.14, -32768, 2022, 15:39:19.5, {color=red, size=L}, [1, 2, 3], ab  ]"},
		{"all NULL", canalMsg("DELETE", `[{"id":"1","price":null,"qty":null,"yr":null,"t":null,"attrs":null,"tags":null,"note":null}]`, "null"),
			"-D[1, NULL, NULL, NULL, NULL, NULL, NULL, NULL]"},
	})
}

// TestUpstreamCanalFilter: a topic of a whole database, one table read
// (canal-json.table.include, as the Kafka table's value.* option).
func TestUpstreamCanalFilter(t *testing.T) {
	f := upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON, "database.include", "gmall", "table.include", "order_info"))
	other := strings.Replace(canalMsg("INSERT", `[{"id":"1"}]`, "null"), `"order_info"`, `"user_info"`, 1)
	runUpstream(t, f, []upstreamCase{
		{"its table", canalMsg("INSERT", `[{"id":"1"}]`, "null"), "+I[1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]"},
		{"another table", other, ""},
		// A sharded table's name is matched whole: order_info_01 is not order_info.
		{"a prefix is not a match", strings.Replace(canalMsg("INSERT", `[{"id":"1"}]`, "null"), `"order_info"`, `"order_info_01"`, 1), ""},
	})
}

func TestUpstreamCanalErrors(t *testing.T) {
	bad := canalMsg("INSERT", `[{"id":"6","total_amount":"10.00"},{"id":"7","total_amount":"ten"},{"id":"8","is_paid":"2"}]`, "null")
	truncated := `{"data":[{"id":"6","user_id":"105","total_amount":"10.00"}],"database":"gmall","es":16512`
	// A topic of Canal's protobuf messages (flatMessage = false).
	proto := "\x0a\x08\x08\x01\x10\x02\x1a\x02gm"
	runUpstream(t, upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON)), []upstreamCase{
		{"bad value", bad, `error: canal-json: field "data[1].total_amount": cannot decode JSON string "ten" as DECIMAL(16, 2)`},
		{"truncated", truncated, `error: canal-json: malformed JSON`},
		{"protobuf", proto, `error: canal-json: malformed JSON`},
		{"old misaligned", canalMsg("UPDATE", `[{"id":"1"},{"id":"2"}]`, `[{"remark":null}]`), `error: canal-json: field "old": 1 entries for 2 data rows`},
	})
	lenient := upstreamFormat(t, orderInfoCanalDDL, kafkaValueOptions(CanalJSON, "ignore-parse-errors", "true"))
	runUpstream(t, lenient, []upstreamCase{
		// The fields that cannot be decoded are NULL: "ten", and "2" for a
		// BOOLEAN; every row is kept.
		{"bad value", bad, "+I[6, NULL, 10.00, NULL, NULL, NULL, NULL, NULL, NULL, NULL]\n" +
			"+I[7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]\n+I[8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]"},
		{"truncated", truncated, `skipped: canal-json: malformed JSON`},
		{"protobuf", proto, `skipped: canal-json: malformed JSON`},
	})
	_, b := decodeAll(t, lenient, bad)
	if b.Nulled != 2 {
		t.Errorf("Nulled %d, want 2", b.Nulled)
	}
}

// TestUpstreamCanalFormatOption: a Kafka table without a key format
// names its format with 'format' and its options unprefixed, as Flink's
// canal-json docs show; the value format resolves to it.
func TestUpstreamCanalFormatOption(t *testing.T) {
	opts := map[string]string{
		"connector":                      "kafka",
		"topic":                          "canal_gmall",
		"properties.bootstrap.servers":   "localhost:9092",
		"format":                         "canal-json",
		"canal-json.ignore-parse-errors": "true",
	}
	f := upstreamFormat(t, orderInfoCanalDDL, opts)
	if f.Name() != CanalJSON || !f.IgnoreParseErrors() {
		t.Fatalf("format %s, ignore-parse-errors %v", f.Name(), f.IgnoreParseErrors())
	}
	runUpstream(t, f, []upstreamCase{
		{"INIT", string(topicRecords(t, "canal/order_info.jsonl")[1]),
			"+I[1, 101, 5999.00, 1004, true, 2022-04-28 10:00:00, 2022-04-28 10:05:00.5, 2022-05-05, gift, {\"coupon\": \"NEW10\"}]\n" +
				"+I[2, 102, 69.90, 1001, false, 2022-04-28 11:00:00, NULL, 2022-05-05, NULL, NULL]"},
		{"truncated", `{"data":[{"id":"6"`, `skipped: canal-json: malformed JSON`},
	})
}
