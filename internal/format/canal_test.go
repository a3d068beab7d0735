package format

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestCanalDecode(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, status STRING, price DECIMAL(10, 2), ct TIMESTAMP(0), ok BOOLEAN, ltz TIMESTAMP_LTZ(3)")
	sh := map[string]string{"table.local-time-zone": "Asia/Shanghai"}
	ignore := map[string]string{"canal-json.ignore-parse-errors": "true"}
	filter := map[string]string{"canal-json.database.include": "gmall", "canal-json.table.include": "order_.*"}
	head := `"database":"gmall","table":"order_info","es":1651217960000,"ts":1651217960500,"isDdl":false,"pkNames":["id"],`
	cases := []struct {
		name string
		opts map[string]string
		in   string
		want string
	}{
		// Values arrive as strings and are typed by the DDL; null is NULL.
		// ltz "2022-04-29 15:39:19" is a DATETIME text: in Shanghai, 07:39:19Z.
		{"insert of two rows", sh, `{` + head + `"type":"INSERT","data":[
			{"id":"1","status":"1001","price":"5999.00","ct":"2022-04-29 15:39:19","ok":"1","ltz":"2022-04-29 15:39:19"},
			{"id":"2","status":null,"price":"69","ct":"2022-04-29 15:39:20.9","ok":"0","ltz":null}],"old":null}`,
			// ct is TIMESTAMP(0): the .9 is truncated, as Flink
			"+I[1, 1001, 5999.00, 2022-04-29 15:39:19, true, 2022-04-29 07:39:19Z]\n+I[2, NULL, 69.00, 2022-04-29 15:39:20, false, NULL]"},
		{"INIT rows are inserts", sh, `{` + head + `"type":"INIT","data":[{"id":"1"},{"id":"2"}]}`,
			"+I[1, NULL, NULL, NULL, NULL, NULL]\n+I[2, NULL, NULL, NULL, NULL, NULL]"},
		// UPDATE: old[i] holds the changed columns of data[i]; present
		// fields (null included: status was NULL) are laid over data[i].
		{"update of two rows", sh, `{` + head + `"type":"UPDATE","data":[
			{"id":"7","status":"1002","price":"10.00"},{"id":"8","status":"1002","price":"20.00"}],
			"old":[{"status":"1001"},{"status":null,"price":"19.50"}]}`,
			"-U[7, 1001, 10.00, NULL, NULL, NULL]\n+U[7, 1002, 10.00, NULL, NULL, NULL]\n" +
				"-U[8, NULL, 19.50, NULL, NULL, NULL]\n+U[8, 1002, 20.00, NULL, NULL, NULL]"},
		{"update with a null old entry", sh, `{"type":"UPDATE","data":[{"id":"7"}],"old":[null]}`,
			"-U[7, NULL, NULL, NULL, NULL, NULL]\n+U[7, NULL, NULL, NULL, NULL, NULL]"},
		{"update without old", sh, `{"type":"UPDATE","data":[{"id":"7"}]}`,
			"-U[7, NULL, NULL, NULL, NULL, NULL]\n+U[7, NULL, NULL, NULL, NULL, NULL]"},
		{"delete of two rows", sh, `{` + head + `"type":"DELETE","data":[{"id":"3"},{"id":"4"}]}`,
			"-D[3, NULL, NULL, NULL, NULL, NULL]\n-D[4, NULL, NULL, NULL, NULL, NULL]"},
		{"empty data: no rows, as Flink", sh, `{"type":"INSERT","data":[]}`, ""},
		{"DDL has no rows", sh, `{"data":null,"database":"gmall","isDdl":true,"sql":"alter table t add c int","table":"t","ts":1,"type":"ALTER"}`, ""},
		{"CREATE has no rows", sh, `{"data":null,"type":"CREATE","sql":"create table t (a int)"}`, ""},
		{"tombstone", sh, `<nil>`, ""},
		{"numbers accepted too", sh, `{"type":"INSERT","data":[{"id":5,"price":1.005,"ok":true}]}`,
			// 1.005 HALF_UP to scale 2 = 1.01
			"+I[5, NULL, 1.01, NULL, true, NULL]"},
		// database.include / table.include: anchored regular expressions.
		{"included", filter, `{` + head + `"type":"INSERT","data":[{"id":"1"}]}`, "+I[1, NULL, NULL, NULL, NULL, NULL]"},
		{"other table filtered", filter, `{"database":"gmall","table":"user_info","type":"INSERT","data":[{"id":"1"}]}`, ""},
		{"other database filtered", filter, `{"database":"gmall2","table":"order_info","type":"INSERT","data":[{"id":"1"}]}`, ""},
		{"filtered before the type is read", filter, `{"database":"x","table":"order_info","type":"BOGUS"}`, ""},
		// Errors name the field, with the row's index.
		{"bad value", sh, `{"type":"INSERT","data":[{"id":"1"},{"id":"2","price":"n/a"}]}`,
			`error: canal-json: field "data[1].price": cannot decode JSON string "n/a" as DECIMAL(10, 2)`},
		{"bad old value", sh, `{"type":"UPDATE","data":[{"id":"1"}],"old":[{"ok":"maybe"}]}`,
			`error: canal-json: field "old[0].ok": cannot decode JSON string "maybe" as BOOLEAN`},
		{"int from a fraction string", sh, `{"type":"INSERT","data":[{"id":"1.5"}]}`, `error: field "data[0].id": cannot decode JSON string "1.5" as BIGINT`},
		{"unknown type", sh, `{"type":"UPSERT","data":[{"id":"1"}]}`, `error: canal-json: field "type": unknown type "UPSERT"`},
		{"no data", sh, `{"type":"INSERT"}`, `error: field "data": missing`},
		{"data not an array", sh, `{"type":"INSERT","data":{"id":"1"}}`, `error: field "data": want a JSON array of rows, got object`},
		{"data row not an object", sh, `{"type":"DELETE","data":[{"id":"1"},"x"]}`, `error: field "data[1]": want a JSON object, got string`},
		{"old misaligned", sh, `{"type":"UPDATE","data":[{"id":"1"},{"id":"2"}],"old":[{}]}`, `error: field "old": 1 entries for 2 data rows`},
		{"old entry not an object", sh, `{"type":"UPDATE","data":[{"id":"1"}],"old":[7]}`, `error: field "old[0]": want a JSON object, got number`},
		{"ignored field", ignore, `{"type":"INSERT","data":[{"id":"1","price":"n/a"}]}`, "+I[1, NULL, NULL, NULL, NULL, NULL]"},
		{"ignored record", ignore, `{"type":"UPSERT","data":[{"id":"1"}]}`, `skipped: field "type"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := decodeAll(t, mustFormat(t, CanalJSON, schema, c.opts), c.in)
			check(t, got, c.want)
		})
	}
}

func TestCanalMetadata(t *testing.T) {
	f := mustFormat(t, CanalJSON, row.MustParseSchema("id BIGINT"), nil)
	in := `{"data":[{"id":"1"},{"id":"2"}],"database":"gmall","table":"order_info","es":"1651246802000","ts":1651246802345,
		"isDdl":false,"pkNames":["id"],"sqlType":{"id":-5,"name":12},"type":"INSERT"}`
	_, b := decodeAll(t, f, in, "database", "table", "sql-type", "pk-names", "ingestion-timestamp", "event-timestamp")
	// es (a string, as some Canal versions write it) and ts are epoch ms:
	// 1651246802000 = 2022-04-29 15:40:02Z (agree_test.go's arithmetic).
	for key, want := range map[string]string{
		"database": "gmall", "table": "order_info", "sql-type": "{id=-5, name=12}", "pk-names": "[id]",
		"ingestion-timestamp": "2022-04-29 15:40:02.345Z", "event-timestamp": "2022-04-29 15:40:02Z",
	} {
		if v, ok := b.Meta.Get(key); !ok || v.String() != want {
			t.Errorf("%s = %v, want %s", key, v, want)
		}
	}
	if len(b.Rows) != 2 {
		t.Errorf("rows %v", b.Rows)
	}
	// A DDL message has metadata and no rows.
	_, b = decodeAll(t, f, `{"data":null,"database":"gmall","isDdl":true,"table":"t","type":"ALTER","ts":1}`)
	if len(b.Rows) != 0 || b.Meta.Table.Str() != "t" {
		t.Errorf("DDL: %v %+v", b.Rows, b.Meta)
	}
}

// canalInsert is a Canal INSERT message of n copies of agreeCanal's row
// (a multi-row INSERT statement).
func canalInsert(n int) string {
	image := agreeCanal[len(`{"data":[`) : strings.Index(agreeCanal, `}],`)+1]
	return `{"data":[` + strings.Repeat(image+",", n-1) + image + `],"database":"gmall","es":1651246802000,"id":17,"isDdl":false,` +
		`"pkNames":["id"],"sql":"","table":"order_info","ts":1651246802345,"type":"INSERT"}`
}

// TestCanalInsertRows: the rows of an INSERT message, whose strings share
// one allocation, are each right, also when the Batch is reused.
func TestCanalInsertRows(t *testing.T) {
	d, err := mustFormat(t, CanalJSON, orderInfo, map[string]string{"table.local-time-zone": "Asia/Shanghai"}).NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	want := agreeRows()[1]
	want.Kind = row.Insert
	var b Batch
	for _, n := range []int{5, 0, 3} {
		in := agreeCanal // an update in between
		if n > 0 {
			in = canalInsert(n)
		}
		if err := d.Decode([]byte(in), &b); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		if len(b.Rows) != n {
			t.Fatalf("%d rows, want %d", len(b.Rows), n)
		}
		for i := range b.Rows {
			if !b.Rows[i].Equal(&want) {
				t.Errorf("row %d of %d:\n got %s\nwant %s", i, n, b.Rows[i], want)
			}
		}
	}
}
