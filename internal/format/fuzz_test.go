package format

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/jsonw/jsonwtest"
	"github.com/rtdw/rtdw/internal/row"
)

// The fuzzed schema has a column of most kinds, named as the seeds' keys.
const fuzzDDL = `id BIGINT, s STRING, amount DECIMAL(10, 2), big DECIMAL(38, 4), ts TIMESTAMP(3),
	ltz TIMESTAMP_LTZ(6), d DATE, t TIME(6), b BOOLEAN, f DOUBLE, ti TINYINT, bin BYTES,
	tags ARRAY<STRING>, m MAP<STRING, INT>, r ROW<a INT, b STRING>`

// fuzzDecode checks what any input decodes to: no panic; an error is an
// *Error and leaves no rows; ignore-parse-errors never returns one; rows have a valid kind and one value per
// column of the column's kind; and every row encodes, decodes back to one
// row, and encodes again to the same bytes (the encoding is a fixed
// point: invalid UTF-8 becomes U+FFFD once).
func fuzzDecode(f *testing.F, format string, maxRows int, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	schema := row.MustParseSchema(fuzzDDL)
	fm := mustFormat(f, format, schema, map[string]string{"table.local-time-zone": "Asia/Shanghai"})
	lenient := mustFormat(f, format, schema, map[string]string{format + ".ignore-parse-errors": "true"})
	dec, _ := fm.NewDecoder()
	var all []string
	for _, mk := range fm.ReadableMetadata() {
		all = append(all, mk.Key)
	}
	decAll, _ := fm.NewDecoder(all...)
	decLenient, _ := lenient.NewDecoder()
	enc, err := fm.NewEncoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var b, b2, b3 Batch
		err := dec.Decode(in, &b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is no *Error: %v", err, err)
			}
			if len(b.Rows) != 0 {
				t.Fatalf("rows after an error: %v", b.Rows)
			}
		}
		// Metadata read on request (primary keys, ...) is checked only when
		// requested, as in Flink: asking for it may add an error, never
		// remove one, and does not change the rows.
		if errAll := decAll.Decode(in, &b2); err != nil && errAll == nil {
			t.Fatalf("requesting metadata hid an error: %v", err)
		} else if errAll == nil && rowsText(b2.Rows) != rowsText(b.Rows) {
			t.Fatalf("requesting metadata changed the rows:\n%s\n%s", rowsText(b.Rows), rowsText(b2.Rows))
		}
		if errL := decLenient.Decode(in, &b3); errL != nil {
			t.Fatalf("ignore-parse-errors returned an error: %v", errL)
		}
		// Only JSON decodes, with raw control characters in strings as
		// Flink reads them (encoding/json is the oracle, given those as
		// spaces; an empty value is a tombstone): whatever else fastjson
		// would take is an error, and skipped with ignore-parse-errors.
		if len(in) > 0 && !jsonwtest.ValidControls(in) {
			if err == nil {
				t.Fatalf("no JSON, yet no error: %q", in)
			}
			if len(b3.Rows) != 0 {
				t.Fatalf("no JSON, yet rows with ignore-parse-errors: %q", in)
			}
		}
		if maxRows > 0 && len(b.Rows) > maxRows {
			t.Fatalf("%d rows", len(b.Rows))
		}
		for _, r := range b.Rows {
			if !r.Kind.Valid() || len(r.Values) != schema.Len() {
				t.Fatalf("bad row %v", r)
			}
			for i, v := range r.Values {
				if !v.IsNull() && v.Kind() != schema.Column(i).Type.Kind {
					t.Fatalf("column %s holds a %s", schema.Column(i).Name, v.Kind())
				}
			}
			msg, null, err := enc.Append(nil, &r)
			if err != nil || null {
				t.Fatalf("decoded row %s does not encode: %v", r, err)
			}
			var back Batch
			if err := dec.Decode(msg, &back); err != nil || len(back.Rows) != 1 {
				t.Fatalf("encoded row does not decode: %v\n%s", err, msg)
			}
			again, _, err := enc.Append(nil, &back.Rows[0])
			if err != nil || !bytes.Equal(again, msg) {
				t.Fatalf("round trip changed the row:\n%s\n%s (%v)", msg, again, err)
			}
		}
	})
}

// withNotJSON returns seed with each of notJSON's values in place of its
// first `"s":"a"` value.
func withNotJSON(seed string) []string {
	out := []string{seed}
	for _, c := range notJSON {
		out = append(out, strings.Replace(seed, `"s":"a"`, `"s":`+c.value, 1))
	}
	return out
}

func FuzzJSONDecode(f *testing.F) {
	fuzzDecode(f, JSON, 1, withNotJSON(`{"id":7,"s":"a","amount":1.5,"ts":"2022-04-29 15:39:19","tags":["x"],"m":{"k":1},"r":{"a":1,"b":"c"},"f":1e3}`)...)
}

func FuzzMaxwellDecode(f *testing.F) {
	fuzzDecode(f, MaxwellJSON, 2, append([]string{agreeMaxwell},
		withNotJSON(`{"database":"gmall","table":"t","type":"update","ts":1,"data":{"id":7,"s":"a","amount":"1.5","ts":"2022-04-29 15:39:19","tags":["x"],"m":{"k":1},"r":{"a":1,"b":"c"}},"old":{"s":null,"amount":1}}`)...)...)
}

func FuzzDebeziumDecode(f *testing.F) {
	fuzzDecode(f, DebeziumJSON, 2, agreeDebeziumPayload, agreeDebeziumSchema,
		withSchema(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"3"},"field":"big"},{"type":"int64","name":"io.debezium.time.MicroTimestamp","field":"ts"},{"type":"int64","name":"io.debezium.time.NanoTime","field":"t"}`,
			`{"before":{"big":"DpIU","ts":1651246759123456,"t":1,"ltz":"2022-04-29T07:39:19Z","tags":"[\"a\"]"},"after":{"big":{"scale":2,"value":"/zg="},"d":19111},"op":"u"}`))
}

func FuzzCanalDecode(f *testing.F) {
	fuzzDecode(f, CanalJSON, 0, agreeCanal,
		`{"data":[{"id":"1","s":null,"b":"1","f":"1e400","m":"{\"k\":2}"},{"id":"2","ltz":"2022-04-29 15:39:19"}],"old":[{"s":"x"},null],"type":"UPDATE","database":"gmall","table":"t","es":1,"ts":"2"}`)
}
