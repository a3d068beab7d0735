package format

import (
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestMaxwellDecode(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, status STRING, amount DECIMAL(10, 2), ct TIMESTAMP(3)")
	typed := row.MustParseSchema(`b BOOLEAN, ti TINYINT, i INT, f DOUBLE, d DATE, t TIME(3), ts TIMESTAMP(6),
		ltz TIMESTAMP_LTZ(3), doc STRING, bin BYTES, tags ARRAY<INT>, attrs MAP<STRING, INT>`)
	sh := map[string]string{"table.local-time-zone": "Asia/Shanghai"}
	ignore := map[string]string{"maxwell-json.ignore-parse-errors": "true"}
	cases := []struct {
		name   string
		schema *row.Schema
		opts   map[string]string
		in     string
		want   string
	}{
		// Kinds.
		{"insert", schema, nil,
			`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"id":1,"status":"1001","amount":12.5,"ct":"2022-04-29 15:39:19"}}`,
			"+I[1, 1001, 12.50, 2022-04-29 15:39:19]"},
		{"bootstrap-insert is an insert", schema, nil,
			`{"database":"gmall","table":"t","type":"bootstrap-insert","ts":1,"data":{"id":1}}`,
			"+I[1, NULL, NULL, NULL]"},
		{"bootstrap-start has no row", schema, nil, `{"database":"gmall","table":"t","type":"bootstrap-start","ts":1,"data":{}}`, ""},
		{"bootstrap-complete without data has no row", schema, nil, `{"database":"gmall","table":"t","type":"bootstrap-complete","ts":1}`, ""},
		{"DDL has no row", schema, nil, `{"type":"table-alter","database":"gmall","table":"t","old":{},"def":{},"ts":1,"sql":"alter table t add c int"}`, ""},
		{"tombstone has no row", schema, nil, `<nil>`, ""},
		// update: old holds the previous values of the changed columns;
		// the -U row is data with them laid over it, a null in old is a
		// column that was NULL.
		{"update overlays old", schema, nil,
			`{"database":"gmall","table":"t","type":"update","ts":1,"data":{"id":7,"status":"1002","amount":"10.00","ct":"2022-04-29 15:40:02"},"old":{"status":"1001","ct":null}}`,
			"-U[7, 1001, 10.00, NULL]\n+U[7, 1002, 10.00, 2022-04-29 15:40:02]"},
		{"update without old: nothing changed", schema, nil,
			`{"type":"update","data":{"id":7,"status":"1002"}}`,
			"-U[7, 1002, NULL, NULL]\n+U[7, 1002, NULL, NULL]"},
		{"update with old null", schema, nil,
			`{"type":"update","data":{"id":7,"status":"1002"},"old":null}`,
			"-U[7, 1002, NULL, NULL]\n+U[7, 1002, NULL, NULL]"},
		{"delete carries the deleted row", schema, nil,
			`{"database":"gmall","table":"t","type":"delete","ts":1,"data":{"id":3,"status":"1005"}}`,
			"-D[3, 1005, NULL, NULL]"},
		// Values typed by the DDL.
		{"numbers from strings, unknown keys ignored", schema, nil,
			`{"type":"insert","data":{"id":"42","amount":"0.125","extra":{"x":1}}}`,
			// 0.125 rounds HALF_UP to 0.13 at scale 2
			"+I[42, NULL, 0.13, NULL]"},
		{"decimal exact, overflow NULL as Flink", schema, nil,
			`{"type":"insert","data":{"id":1,"amount":12345678.999}}`,
			// 12345678.999 -> 12345679.00 needs 10 digits: fits DECIMAL(10, 2)? 8+2 = 10 yes
			"+I[1, NULL, 12345679.00, NULL]"},
		{"decimal overflow", schema, nil,
			`{"type":"insert","data":{"id":1,"amount":123456789.5}}`,
			// 123456789.50 needs 11 digits > 10: NULL, as Flink's DecimalData
			"+I[1, NULL, NULL, NULL]"},
		{"case-insensitive names, exact wins", schema, nil,
			`{"type":"insert","data":{"ID":5,"Status":"a","status":"b","STATUS":"c"}}`,
			"+I[5, b, NULL, NULL]"},
		{"duplicate keys: last wins", schema, nil,
			`{"type":"insert","data":{"status":"a","status":null,"id":1,"id":2}}`,
			"+I[2, NULL, NULL, NULL]"},
		{"typed values", typed, sh,
			`{"type":"insert","data":{"b":1,"ti":"-128","i":7.9,"f":"1.5e3","d":"2022-04-29","t":"15:39:19.1234",
			"ts":"2022-04-29 15:39:19.123456","ltz":"2022-04-29 15:39:19","doc":{"k":[1,"v"]},"bin":"AQID",
			"tags":[1,null,3],"attrs":{"a":1}}}`,
			// i 7.9 truncates to 7 as Flink (Jackson); t keeps 3 digits;
			// ltz: a DATETIME text, 15:39:19 in Shanghai = 07:39:19Z;
			// doc, a MySQL JSON column, is its JSON text.
			`+I[true, -128, 7, 1500, 2022-04-29, 15:39:19.123, 2022-04-29 15:39:19.123456, 2022-04-29 07:39:19Z, {"k":[1,"v"]}, x'010203', [1, NULL, 3], {a=1}]`},
		{"ISO timestamps and zoned texts", typed, sh,
			`{"type":"insert","data":{"ts":"2022-04-29T15:39:19","ltz":"2022-04-29T07:39:19Z"}}`,
			"+I[NULL, NULL, NULL, NULL, NULL, NULL, 2022-04-29 15:39:19, 2022-04-29 07:39:19Z, NULL, NULL, NULL, NULL]"},
		{"zero date is NULL", typed, nil,
			`{"type":"insert","data":{"d":"0000-00-00","ts":"0000-00-00 00:00:00"}}`,
			"+I[NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]"},
		// Errors name the field.
		{"bad decimal", schema, nil, `{"type":"insert","data":{"id":1,"amount":"12,5"}}`,
			`error: maxwell-json: field "data.amount": cannot decode JSON string "12,5" as DECIMAL(10, 2)`},
		{"bad old value", schema, nil, `{"type":"update","data":{"id":1},"old":{"ct":"yesterday"}}`,
			`error: maxwell-json: field "old.ct": cannot decode JSON string "yesterday" as TIMESTAMP(3)`},
		{"tinyint range", typed, nil, `{"type":"insert","data":{"ti":300}}`, `error: field "data.ti": cannot decode JSON number 300 as TINYINT`},
		{"composite error path", typed, nil, `{"type":"insert","data":{"tags":[1,"x"]}}`, `error: field "data.tags[1]"`},
		{"unknown type", schema, nil, `{"type":"upsert","data":{"id":1}}`, `error: maxwell-json: field "type": unknown type "upsert"`},
		{"no type", schema, nil, `{"data":{"id":1}}`, `error: maxwell-json: field "type": missing`},
		{"no data", schema, nil, `{"type":"insert","ts":1}`, `error: maxwell-json: field "data": missing`},
		{"data not an object", schema, nil, `{"type":"delete","data":[1]}`, `error: field "data": want a JSON object, got array`},
		{"old not an object", schema, nil, `{"type":"update","data":{},"old":"x"}`, `error: field "old": want a JSON object, got string`},
		{"malformed", schema, nil, `{"type":"insert",`, `error: maxwell-json: malformed JSON`},
		{"not an object", schema, nil, `[1]`, `error: maxwell-json: the record is a JSON array, not an object`},
		// ignore-parse-errors: a bad field is NULL, a bad record skipped.
		{"ignored field", schema, ignore, `{"type":"insert","data":{"id":"x","status":"s"}}`, "+I[NULL, s, NULL, NULL]"},
		{"ignored record", schema, ignore, `{"type":"upsert","data":{}}`, `skipped: field "type": unknown type`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := decodeAll(t, mustFormat(t, MaxwellJSON, c.schema, c.opts), c.in)
			check(t, got, c.want)
		})
	}
}

func TestMaxwellMetadata(t *testing.T) {
	f := mustFormat(t, MaxwellJSON, row.MustParseSchema("id BIGINT"), nil)
	in := `{"database":"gmall","table":"order_info","type":"insert","ts":1651246802,"primary_key_columns":["id","k"],"data":{"id":1}}`
	_, b := decodeAll(t, f, in, "database", "table", "ingestion-timestamp", "primary-key-columns")
	// ts is seconds: 1651246802 = 19111 days (2022-04-29, see agree_test.go)
	// * 86400 + 56402 s (15:40:02), an instant: 2022-04-29 15:40:02Z.
	for key, want := range map[string]string{
		"database": "gmall", "table": "order_info", "ingestion-timestamp": "2022-04-29 15:40:02Z", "primary-key-columns": "[id, k]",
	} {
		v, ok := b.Meta.Get(key)
		if !ok || v.String() != want {
			t.Errorf("%s = %v (%v), want %s", key, v, ok, want)
		}
	}
	if v := b.Meta.IngestionTime; v.Kind() != row.KindTimestampLTZ || v.Millis() != 1651246802000 {
		t.Errorf("IngestionTime %v", v)
	}
	// Not requested: not filled. Unknown keys are refused.
	_, b = decodeAll(t, f, in)
	if !b.Meta.PrimaryKeys.IsNull() {
		t.Errorf("primary keys filled without being asked for")
	}
	if _, ok := b.Meta.Get("source.timestamp"); ok {
		t.Errorf("maxwell-json has no source.timestamp")
	}
	if _, err := f.NewDecoder("xid"); err == nil || err.Error() != "format 'maxwell-json' has no readable metadata 'xid' (available: database, table, primary-key-columns, ingestion-timestamp)" {
		t.Errorf("unknown metadata key: %v", err)
	}
	// A record without them has NULL metadata.
	_, b = decodeAll(t, f, `{"type":"insert","data":{"id":1}}`, "database", "primary-key-columns")
	if !b.Meta.Database.IsNull() || !b.Meta.IngestionTime.IsNull() || !b.Meta.PrimaryKeys.IsNull() {
		t.Errorf("metadata of a bare record: %+v", b.Meta)
	}
}

func TestMaxwellErrorIsTyped(t *testing.T) {
	f := mustFormat(t, MaxwellJSON, orderInfo, nil)
	d, _ := f.NewDecoder()
	var b Batch
	err := d.Decode([]byte(`{"type":"insert","data":{"id":1,"total_amount":"abc"}}`), &b)
	var e *Error
	if !errors.As(err, &e) || e.Format != MaxwellJSON || e.Field != "data.total_amount" ||
		e.Reason != `cannot decode JSON string "abc" as DECIMAL(16, 2)` {
		t.Fatalf("got %#v", err)
	}
	if len(b.Rows) != 0 {
		t.Errorf("a failed record left rows: %v", b.Rows)
	}
	// The decoder is still good for the next record.
	if err := d.Decode([]byte(`{"type":"insert","data":{"id":2,"consignee":"x"}}`), &b); err != nil || len(b.Rows) != 1 || b.Rows[0].Values[1].Str() != "x" {
		t.Fatalf("next record: %v %v", err, b.Rows)
	}
}

// Rows handed out by one Decode keep their strings after the next one
// reuses the batch (the strings are never the decoder's buffer).
func TestMaxwellStringsOutliveTheBatch(t *testing.T) {
	f := mustFormat(t, MaxwellJSON, row.MustParseSchema("a STRING, b STRING"), nil)
	d, _ := f.NewDecoder()
	var b Batch
	if err := d.Decode([]byte(`{"type":"update","data":{"a":"first","b":"x"},"old":{"b":"y"}}`), &b); err != nil {
		t.Fatal(err)
	}
	before, after := b.Rows[0].Clone(), b.Rows[1].Clone()
	if err := d.Decode([]byte(`{"type":"insert","data":{"a":"SECOND","b":"ZZZZZZ"}}`), &b); err != nil {
		t.Fatal(err)
	}
	if before.String() != "-U[first, y]" || after.String() != "+U[first, x]" {
		t.Errorf("kept rows changed: %s %s", before, after)
	}
}
