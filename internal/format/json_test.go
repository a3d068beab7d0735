package format

import (
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestJSONDecode(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, name STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3)")
	cases := []struct {
		name string
		opts map[string]string
		in   string
		want string
	}{
		{"object", nil, `{"id":1,"name":"北京","amount":9549.00,"ts":"2022-04-29 15:39:19.5"}`, "+I[1, 北京, 9549.00, 2022-04-29 15:39:19.5]"},
		{"missing is NULL", nil, `{"id":1}`, "+I[1, NULL, NULL, NULL]"},
		{"tombstone", nil, `<nil>`, ""},
		{"field error names the field", nil, `{"id":"x"}`, `error: json: field "id": cannot decode JSON string "x" as BIGINT`},
		{"fail-on-missing-field", map[string]string{"json.fail-on-missing-field": "true"}, `{"id":1}`, `error: json: field "name": missing`},
		{"ignore-parse-errors: field NULL", map[string]string{"json.ignore-parse-errors": "true"}, `{"id":"x","name":"a"}`, "+I[NULL, a, NULL, NULL]"},
		{"ignore-parse-errors: malformed skipped", map[string]string{"json.ignore-parse-errors": "true"}, `{"id":`, "skipped: json: malformed JSON"},
		{"malformed", nil, `{"id":`, "error: json: malformed JSON"},
		{"no JSON though fastjson parses it", nil, `{"id":1,"name":NaN}`, "error: json: malformed JSON"},
		{"invalid UTF-8 is U+FFFD", nil, "{\"id\":1,\"name\":\"a\xffb\"}", "+I[1, a\uFFFDb, NULL, NULL]"},
		{"ISO-8601", map[string]string{"json.timestamp-format.standard": "ISO-8601"}, `{"ts":"2022-04-29T15:39:19"}`, "+I[NULL, NULL, NULL, 2022-04-29 15:39:19]"},
		{"SQL rejects T", nil, `{"ts":"2022-04-29T15:39:19"}`, `error: json: field "ts"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := decodeAll(t, mustFormat(t, JSON, schema, c.opts), c.in)
			check(t, got, c.want)
		})
	}
}

func TestJSONEncode(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3)")
	ms, _ := row.TimestampOfCivil(2022, 4, 29, 15, 39, 19, 500_000_000)
	r := row.NewRow(row.Insert, row.BigInt(1), row.DecimalValue(row.MustDecimal("9549", 10, 2)), row.Timestamp(ms, 0), row.TimestampLTZ(ms, 0))
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		// DECIMAL with its scale; TIMESTAMP 'SQL'; TIMESTAMP_LTZ in UTC with Z.
		{nil, `{"id":1,"amount":9549.00,"ts":"2022-04-29 15:39:19.5","ltz":"2022-04-29 15:39:19.5Z"}`},
		{map[string]string{"json.timestamp-format.standard": "ISO-8601"}, `{"id":1,"amount":9549.00,"ts":"2022-04-29T15:39:19.5","ltz":"2022-04-29T15:39:19.5Z"}`},
	} {
		e, err := mustFormat(t, JSON, schema, c.opts).NewEncoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []row.RowKind{row.Insert, row.UpdateAfter} {
			r.Kind = kind
			out, null, err := e.Append([]byte("prefix:"), &r)
			if err != nil || null || string(out) != "prefix:"+c.want {
				t.Errorf("%s: %s %v %v, want %s", kind, out, null, err, c.want)
			}
		}
	}
	e, _ := mustFormat(t, JSON, schema, nil).NewEncoder()
	for _, kind := range []row.RowKind{row.UpdateBefore, row.Delete} {
		r.Kind = kind
		out, _, err := e.Append([]byte("p"), &r)
		var fe *Error
		if !errors.As(err, &fe) || string(out) != "p" {
			t.Errorf("%s encoded: %s %v", kind, out, err)
		}
	}
	// A value the column cannot hold is an error naming the field.
	bad := row.NewRow(row.Insert, row.String("x"), row.Null(), row.Null(), row.Null())
	if _, _, err := e.Append(nil, &bad); err == nil || err.Error() != `json: field "id": json: cannot encode a VARCHAR value as BIGINT` {
		t.Errorf("bad value: %v", err)
	}
}

func TestRaw(t *testing.T) {
	f := mustFormat(t, Raw, row.MustParseSchema("line STRING"), map[string]string{"raw.charset": "UTF-8", "raw.endianness": "big-endian"})
	for in, want := range map[string]string{`any bytes, {not json`: "+I[any bytes, {not json]", "<nil>": "+I[NULL]", "": "+I[]"} {
		got, _ := decodeAll(t, f, in)
		if got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
	e, _ := f.NewEncoder()
	r := row.NewRow(row.Insert, row.String("a line"))
	if out, null, err := e.Append(nil, &r); string(out) != "a line" || null || err != nil {
		t.Errorf("encode: %q %v %v", out, null, err)
	}
	r = row.NewRow(row.Insert, row.Null())
	if _, null, err := e.Append(nil, &r); !null || err != nil {
		t.Errorf("NULL: %v %v", null, err)
	}
	r = row.NewRow(row.Delete, row.String("x"))
	if _, _, err := e.Append(nil, &r); err == nil {
		t.Error("a -D row encoded")
	}
	if _, err := Lookup(Raw, row.MustParseSchema("a STRING, b STRING"), nil); err == nil {
		t.Error("raw with two columns")
	}
	if _, err := Lookup(Raw, row.MustParseSchema("a STRING"), map[string]string{"raw.charset": "GBK"}); err == nil || err.Error() != "format 'raw': 'raw.charset' = 'GBK': only UTF-8 is supported" {
		t.Errorf("raw.charset: %v", err)
	}
}
