package row

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func decodeJSON(t *testing.T, schema, doc string, opts JSONOptions) (Row, error) {
	t.Helper()
	d, err := NewJSONDecoder(MustParseSchema(schema), opts)
	if err != nil {
		t.Fatal(err)
	}
	var p fastjson.Parser
	var r Row
	err = d.DecodeBytes(&p, []byte(doc), &r)
	return r, err
}

func TestJSONDecode(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		sh = time.FixedZone("CST", 8*3600)
	}
	lenient := JSONOptions{IgnoreParseErrors: true}
	strict := JSONOptions{FailOnMissingField: true}
	iso := JSONOptions{TimestampFormat: TimestampISO8601}
	cases := []struct {
		name, schema, doc string
		opts              JSONOptions
		want              string // the row, or "error: substring"
	}{
		{"basic", "id BIGINT, name STRING, price DECIMAL(16, 2)", `{"id":1,"name":"北京","price":9549.00}`, JSONOptions{}, "+I[1, 北京, 9549.00]"},
		{"missing is NULL", "id BIGINT, name STRING, price DECIMAL(16, 2)", `{"id":1}`, JSONOptions{}, "+I[1, NULL, NULL]"},
		{"missing fails", "id BIGINT, name STRING", `{"id":1}`, strict, `error: field "name": missing`},
		{"null is NULL", "id BIGINT, name STRING", `{"id":null,"name":null}`, strict, "+I[NULL, NULL]"},
		{"mismatch names the field", "id BIGINT, name STRING", `{"id":"abc","name":"x"}`, JSONOptions{}, `error: field "id": cannot decode JSON string "abc" as BIGINT`},
		{"mismatch ignored", "id BIGINT, name STRING", `{"id":"abc","name":"x"}`, lenient, "+I[NULL, x]"},
		{"object for a number", "id BIGINT", `{"id":{"a":1}}`, JSONOptions{}, `error: field "id": cannot decode JSON object {"a":1} as BIGINT`},
		{"unknown fields and duplicates", "id BIGINT", `{"x":[1,2],"id":1,"id":2}`, JSONOptions{}, "+I[2]"},
		{"not an object", "id BIGINT", `[1]`, JSONOptions{}, "error: expected a JSON object, got array"},
		{"malformed", "id BIGINT", `{"id":`, lenient, "error: malformed JSON"},

		{"numbers from strings", "id BIGINT, price DECIMAL(10, 2), f DOUBLE", `{"id":" 42 ","price":"12.345","f":"1.5e3"}`, JSONOptions{}, "+I[42, 12.35, 1500]"},
		{"decimal exact", "a DECIMAL(10, 2), b DECIMAL(10, 2), c DECIMAL(38, 18)", `{"a":0.1,"b":1.005,"c":0.123456789012345678}`, JSONOptions{}, "+I[0.10, 1.01, 0.123456789012345678]"},
		{"decimal overflow is NULL", "a DECIMAL(10, 2)", `{"a":123456789012.5}`, JSONOptions{}, "+I[NULL]"},
		{"decimal syntax", "a DECIMAL(10, 2)", `{"a":"1,5"}`, JSONOptions{}, `error: field "a": cannot decode "1,5" as DECIMAL(10, 2)`},
		{"big decimal", "a DECIMAL(38, 2)", `{"a":-123456789012345678901234567890.125}`, JSONOptions{}, "+I[-123456789012345678901234567890.13]"},
		{"int truncates like Flink", "a INT, b BIGINT", `{"a":1.9,"b":-2.5e0}`, JSONOptions{}, "+I[1, -2]"},
		{"tinyint rejects fractions", "a TINYINT", `{"a":1.5}`, JSONOptions{}, `error: field "a": cannot decode JSON number 1.5 as TINYINT`},
		{"tinyint range", "a TINYINT", `{"a":300}`, JSONOptions{}, `error: field "a"`},
		{"smallint from string", "a SMALLINT", `{"a":"-32768"}`, JSONOptions{}, "+I[-32768]"},
		{"bigint range", "a BIGINT", `{"a":"9223372036854775808"}`, JSONOptions{}, `error: field "a"`},
		{"bigint max", "a BIGINT", `{"a":9223372036854775807}`, JSONOptions{}, "+I[9223372036854775807]"},
		{"booleans", "a BOOLEAN, b BOOLEAN, c BOOLEAN, d BOOLEAN", `{"a":true,"b":"FALSE","c":1,"d":0}`, JSONOptions{}, "+I[true, false, true, false]"},
		{"boolean junk", "a BOOLEAN", `{"a":"yes"}`, JSONOptions{}, `error: field "a": cannot decode JSON string "yes" as BOOLEAN`},
		{"floats", "a DOUBLE, b DOUBLE, c FLOAT, d DOUBLE", `{"a":"NaN","b":1e400,"c":0.1,"d":"-Infinity"}`, JSONOptions{}, "+I[NaN, +Inf, 0.1, -Inf]"},

		{"string from other JSON", "a STRING, b STRING, c STRING, d STRING", `{"a":{"b":1},"b":12.50,"c":true,"d":[1,"x\"y"]}`, JSONOptions{}, `+I[{"b":1}, 12.50, true, [1,"x\"y"]]`},
		{"escapes and CJK", "s STRING", `{"s":"a\"b\\c\/d\u00e9\ud83d\ude00 上海"}`, JSONOptions{}, `+I[a"b\c/dé😀 上海]`},
		{"empty string", "s STRING, c CHAR(3)", `{"s":"","c":"ab"}`, JSONOptions{}, "+I[, ab]"},
		{"bytes", "b BYTES, c BYTES", `{"b":"AQID","c":"AQI"}`, JSONOptions{}, "+I[x'010203', x'0102']"},
		{"bad base64", "b BYTES", `{"b":"!!"}`, JSONOptions{}, `error: field "b": cannot decode JSON string as BYTES: not base64`},

		{"timestamp SQL", "a TIMESTAMP(3), b TIMESTAMP(0), c TIMESTAMP(9)", `{"a":"2024-01-02 03:04:05.123456","b":"2024-01-02 03:04:05.9","c":"2024-01-02 03:04"}`, JSONOptions{}, "+I[2024-01-02 03:04:05.123, 2024-01-02 03:04:05, 2024-01-02 03:04:00]"},
		{"timestamp SQL rejects T", "a TIMESTAMP(3)", `{"a":"2024-01-02T03:04:05"}`, JSONOptions{}, `error: field "a": cannot decode JSON string "2024-01-02T03:04:05" as TIMESTAMP(3)`},
		{"timestamp ISO", "a TIMESTAMP(3)", `{"a":"2024-01-02T03:04:05.5"}`, iso, "+I[2024-01-02 03:04:05.5]"},
		{"year 9999 and 1", "a TIMESTAMP(9), b TIMESTAMP(0)", `{"a":"9999-12-31 23:59:59.999999999","b":"0001-01-01 00:00:00"}`, JSONOptions{}, "+I[9999-12-31 23:59:59.999999999, 0001-01-01 00:00:00]"},
		{"ltz Z", "a TIMESTAMP_LTZ(3)", `{"a":"2024-01-02 03:04:05.5Z"}`, JSONOptions{Location: sh}, "+I[2024-01-02 03:04:05.5Z]"},
		{"ltz session zone", "a TIMESTAMP_LTZ(3)", `{"a":"2024-01-02 08:00:00"}`, JSONOptions{Location: sh}, "+I[2024-01-02 00:00:00Z]"},
		{"ltz ISO", "a TIMESTAMP_LTZ(3)", `{"a":"2024-01-02T08:00:00+08:00"}`, iso, "+I[2024-01-02 00:00:00Z]"},
		{"date and time", "d DATE, t TIME(3), t0 TIME", `{"d":"2024-02-29","t":"12:30:15.5678","t0":"12:30:15.5"}`, JSONOptions{}, "+I[2024-02-29, 12:30:15.567, 12:30:15]"},
		{"bad date", "d DATE", `{"d":"2023-02-29"}`, JSONOptions{}, `error: field "d"`},
		{"epoch numbers off", "a TIMESTAMP(3)", `{"a":1704164645123}`, JSONOptions{}, `error: field "a": cannot decode JSON number 1704164645123 as TIMESTAMP(3)`},
		{"intervals", "m INTERVAL YEAR TO MONTH, ms INTERVAL DAY TO SECOND(3)", `{"m":14,"ms":"93784005"}`, JSONOptions{}, "+I[+1-02, +1 02:03:04.005]"},

		{"nested", "addr ROW<city STRING, zip INT>, tags ARRAY<STRING>, attrs MAP<STRING, INT>",
			`{"addr":{"city":"上海","zip":"200000"},"tags":["a",null,"b"],"attrs":{"x":1,"y":null}}`, JSONOptions{}, "+I[(上海, 200000), [a, NULL, b], {x=1, y=NULL}]"},
		{"nested missing", "addr ROW<city STRING, zip INT>", `{"addr":{"zip":1}}`, JSONOptions{}, "+I[(NULL, 1)]"},
		{"nested missing fails", "addr ROW<city STRING, zip INT>", `{"addr":{"zip":1}}`, strict, `error: field "addr.city": missing`},
		{"nested error path", "addr ROW<city STRING, geo ROW<lat DOUBLE>>", `{"addr":{"geo":{"lat":"north"}}}`, JSONOptions{}, `error: field "addr.geo.lat": cannot decode "north" as DOUBLE`},
		{"array error path", "items ARRAY<ROW<sku INT>>", `{"items":[{"sku":1},{"sku":"x"}]}`, JSONOptions{}, `error: field "items[1].sku"`},
		{"array of arrays", "m ARRAY<ARRAY<INT>>", `{"m":[[1],[],[2,3]]}`, JSONOptions{}, "+I[[[1], [], [2, 3]]]"},
		{"nested ignored", "items ARRAY<INT>", `{"items":[1,"x",3]}`, lenient, "+I[[1, NULL, 3]]"},
		{"array expected", "items ARRAY<INT>", `{"items":{"a":1}}`, JSONOptions{}, `error: field "items": cannot decode JSON object`},
		{"map with int keys", "m MAP<INT, STRING>", `{"m":{"1":"a","2":"b"}}`, JSONOptions{}, "+I[{1=a, 2=b}]"},
		{"map bad key", "m MAP<INT, STRING>", `{"m":{"x":"a"}}`, JSONOptions{}, `error: field "m.x": cannot decode JSON string "x" as INT`},
		{"multiset", "m MULTISET<STRING>", `{"m":{"a":2,"b":1}}`, JSONOptions{}, "+I[[a, a, b]]"},
		{"multiset bad count", "m MULTISET<STRING>", `{"m":{"a":1e12}}`, JSONOptions{}, `error: field "m.a": multiset count`},
	}
	for _, c := range cases {
		r, err := decodeJSON(t, c.schema, c.doc, c.opts)
		got := r.String()
		if err != nil {
			got = "error: " + err.Error()
		}
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got %s, want an error containing %q", c.name, got, want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	var fe *FieldError
	_, err = decodeJSON(t, "a ROW<b INT>", `{"a":{"b":"x"}}`, JSONOptions{})
	if !errors.As(err, &fe) || fe.Field != "a.b" {
		t.Errorf("FieldError = %#v", err)
	}
}

// fromProps reads the json options of a WITH clause with Set and Validate,
// as format.Lookup does.
func fromProps(props map[string]string, prefix string) (JSONOptions, error) {
	o := JSONOptions{MapNullKeyLiteral: "null"}
	for k, v := range props {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			if err := o.Set(name, v); err != nil {
				return o, fmt.Errorf("'%s' = '%s': %v", k, v, err)
			}
		}
	}
	return o, o.Validate(prefix)
}

func TestJSONOptions(t *testing.T) {
	o, err := fromProps(map[string]string{
		"format": "json", "json.ignore-parse-errors": "true", "json.timestamp-format.standard": "ISO-8601",
		"json.map-null-key.mode": "LITERAL", "json.map-null-key.literal": "N/A", "json.encode.ignore-null-fields": "true",
		"json.encode.decimal-as-plain-number": "true", "value.json.fail-on-missing-field": "x",
	}, "json.")
	if err != nil || !o.IgnoreParseErrors || o.TimestampFormat != TimestampISO8601 || o.MapNullKeyMode != MapNullKeyLiteral ||
		o.MapNullKeyLiteral != "N/A" || !o.IgnoreNullFields {
		t.Errorf("fromProps = %+v %v", o, err)
	}
	for _, bad := range []map[string]string{
		{"json.ignore-parse-errors": "true", "json.fail-on-missing-field": "true"},
		{"json.timestamp-format.standard": "RFC"},
		{"json.ignore-parse-errors": "maybe"},
		{"json.nonsense": "1"},
	} {
		if _, err := fromProps(bad, "json."); err == nil {
			t.Errorf("fromProps(%v) succeeded", bad)
		}
	}
	if _, err := NewJSONDecoder(gmallSchema, JSONOptions{IgnoreParseErrors: true, FailOnMissingField: true}); err == nil {
		t.Error("contradictory options accepted")
	}
}

func encodeJSON(t *testing.T, schema string, opts JSONOptions, vals ...Value) (string, error) {
	t.Helper()
	e, err := NewJSONEncoder(MustParseSchema(schema), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRow(Insert, vals...)
	b, err := e.Append([]byte("prefix:"), &r)
	if err == nil && !strings.HasPrefix(string(b), "prefix:") {
		t.Fatalf("Append does not append: %s", b)
	}
	return strings.TrimPrefix(string(b), "prefix:"), err
}

func TestJSONEncode(t *testing.T) {
	ms, ns := TimestampOfCivil(2024, 1, 2, 3, 4, 5, 120_000_000)
	ms0, _ := TimestampOfCivil(2024, 1, 2, 3, 4, 5, 0)
	last, lastNs := TimestampOfCivil(9999, 12, 31, 23, 59, 59, 999_999_999)
	first, _ := TimestampOfCivil(1, 1, 1, 0, 0, 0, 0)
	all := "b BOOLEAN, i INT, bi BIGINT, f FLOAT, d DOUBLE, dec DECIMAL(16, 2), s STRING, bs BYTES, dt DATE, tm TIME(3), " +
		"ts TIMESTAMP(3), ts0 TIMESTAMP(0), ltz TIMESTAMP_LTZ(3), iv INTERVAL DAY TO SECOND(3)"
	got, err := encodeJSON(t, all, JSONOptions{},
		Bool(true), Int(-7), BigInt(math.MaxInt64), Float(0.1), Double(1e21), DecimalValue(MustDecimal("9549.00", 16, 2)),
		String("北京"), Bytes([]byte{1, 2, 3}), Date(19724), Time(3723004000000), Timestamp(ms, ns), Timestamp(ms0, 0),
		TimestampLTZ(ms, ns), IntervalMillis(5))
	want := `{"b":true,"i":-7,"bi":9223372036854775807,"f":0.1,"d":1e+21,"dec":9549.00,"s":"北京","bs":"AQID",` +
		`"dt":"2024-01-02","tm":"01:02:03.004","ts":"2024-01-02 03:04:05.12","ts0":"2024-01-02 03:04:05",` +
		`"ltz":"2024-01-02 03:04:05.12Z","iv":5}`
	if err != nil || got != want {
		t.Errorf("encode:\n got %s %v\nwant %s", got, err, want)
	}
	cases := []struct {
		name, schema string
		opts         JSONOptions
		vals         []Value
		want         string
	}{
		{"nulls", "a INT, b STRING", JSONOptions{}, []Value{Null(), Null()}, `{"a":null,"b":null}`},
		{"ignore null fields", "a INT, b STRING, c ROW<x INT, y INT>", JSONOptions{IgnoreNullFields: true}, []Value{Null(), String("x"), Struct([]Value{Null(), Int(1)})}, `{"b":"x","c":{"y":1}}`},
		{"escapes", "s STRING", JSONOptions{}, []Value{String("q\"b\\n\nt\tc\x01 上\xff海/")}, `{"s":"q\"b\\n\nt\tc\u0001 上` + "\uFFFD" + `海/"}`},
		{"field name escaped", "`a\"b` INT", JSONOptions{}, []Value{Int(1)}, `{"a\"b":1}`},
		{"nan and inf", "a DOUBLE, b DOUBLE, c FLOAT, d DOUBLE, e DOUBLE", JSONOptions{}, []Value{Double(math.NaN()), Double(math.Inf(1)), Float(float32(math.Inf(-1))), Double(math.Copysign(0, -1)), Double(1.5e-7)}, `{"a":"NaN","b":"Infinity","c":"-Infinity","d":-0,"e":1.5e-7}`},
		{"decimals keep their scale", "a DECIMAL(10, 2), b DECIMAL(38, 10), c DECIMAL(5, 0)", JSONOptions{}, []Value{DecimalValue(MustDecimal("-0.05", 10, 2)), DecimalValue(MustDecimal("0.0000001", 38, 10)), DecimalValue(MustDecimal("12", 5, 0))}, `{"a":-0.05,"b":0.0000001000,"c":12}`},
		{"ISO timestamps", "a TIMESTAMP(3), b TIMESTAMP_LTZ(3)", JSONOptions{TimestampFormat: TimestampISO8601}, []Value{Timestamp(ms, ns), TimestampLTZ(ms0, 0)}, `{"a":"2024-01-02T03:04:05.12","b":"2024-01-02T03:04:05Z"}`},
		{"year 9999 and 1", "a TIMESTAMP(9), b TIMESTAMP(0)", JSONOptions{}, []Value{Timestamp(last, lastNs), Timestamp(first, 0)}, `{"a":"9999-12-31 23:59:59.999999999","b":"0001-01-01 00:00:00"}`},
		{"nested", "r ROW<a ARRAY<INT>, m MAP<STRING, DOUBLE>>", JSONOptions{}, []Value{Struct([]Value{Array([]Value{Int(1), Null()}), Map([]Value{String("k")}, []Value{Double(2.5)})})}, `{"r":{"a":[1,null],"m":{"k":2.5}}}`},
		{"map with non-string keys", "a MAP<INT, STRING>, b MAP<DATE, INT>, c MAP<DECIMAL(3, 1), INT>", JSONOptions{}, []Value{Map([]Value{Int(1)}, []Value{String("x")}), Map([]Value{Date(0)}, []Value{Int(1)}), Map([]Value{DecimalValue(MustDecimal("1.5", 3, 1))}, []Value{Int(2)})}, `{"a":{"1":"x"},"b":{"1970-01-01":1},"c":{"1.5":2}}`},
		{"null key dropped", "m MAP<STRING, INT>", JSONOptions{MapNullKeyMode: MapNullKeyDrop}, []Value{Map([]Value{Null(), String("a")}, []Value{Int(1), Int(2)})}, `{"m":{"a":2}}`},
		{"null key literal", "m MAP<STRING, INT>", JSONOptions{MapNullKeyMode: MapNullKeyLiteral, MapNullKeyLiteral: "null"}, []Value{Map([]Value{String("a"), Null()}, []Value{Int(1), Int(2)})}, `{"m":{"a":1,"null":2}}`},
		{"multiset", "m MULTISET<STRING>", JSONOptions{}, []Value{Multiset([]Value{String("a"), String("b"), String("a")})}, `{"m":{"a":2,"b":1}}`},
	}
	for _, c := range cases {
		got, err := encodeJSON(t, c.schema, c.opts, c.vals...)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %s %v\nwant %s", c.name, got, err, c.want)
		}
	}
	if _, err := encodeJSON(t, "m MAP<STRING, INT>", JSONOptions{}, Map([]Value{Null()}, []Value{Int(1)})); err == nil || !strings.Contains(err.Error(), "NULL map key") {
		t.Errorf("null key: %v", err)
	}
	if _, err := encodeJSON(t, "a INT", JSONOptions{}, String("x")); err == nil || !strings.Contains(err.Error(), `field "a"`) {
		t.Errorf("mismatch: %v", err)
	}
}

// TestJSONRoundTripText: JSON -> Row -> JSON gives back the text Flink's
// format would write, for a document written that way.
func TestJSONRoundTripText(t *testing.T) {
	docs := []struct{ schema, doc string }{
		{gmallSchema.String(), gmallJSON},
		{"id BIGINT, tags ARRAY<STRING>, addr ROW<city STRING, geo ROW<lat DOUBLE, lng DOUBLE>>, attrs MAP<STRING, STRING>, at TIMESTAMP_LTZ(3), amt DECIMAL(38, 4)",
			`{"id":-1,"tags":["新品","\"hot\"",null],"addr":{"city":"上海","geo":{"lat":31.2304,"lng":121.4737}},"attrs":{"k\nv":"\\"},"at":"2024-06-14 03:25:06.5Z","amt":-123456789012345678901234.5678}`},
	}
	for _, c := range docs {
		s := MustParseSchema(c.schema)
		d, _ := NewJSONDecoder(s, JSONOptions{})
		e, _ := NewJSONEncoder(s, JSONOptions{})
		var p fastjson.Parser
		var r Row
		if err := d.DecodeBytes(&p, []byte(c.doc), &r); err != nil {
			t.Fatal(err)
		}
		out, err := e.Append(nil, &r)
		if err != nil || string(out) != c.doc {
			t.Errorf("round trip:\n got %s %v\nwant %s", out, err, c.doc)
		}
	}
}

// TestJSONRoundTripRandom: random rows -> JSON -> rows are Equal.
func TestJSONRoundTripRandom(t *testing.T) {
	g := newGen(9)
	g.json = true
	var p fastjson.Parser
	var back Row
	for i := 0; i < 200; i++ {
		s := g.schema(1+g.r.IntN(6), 2)
		d, err := NewJSONDecoder(s, JSONOptions{})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := NewJSONEncoder(s, JSONOptions{})
		for j := 0; j < 10; j++ {
			r := g.row(s)
			r.Kind = Insert
			doc, err := e.Append(nil, &r)
			if err != nil {
				t.Fatalf("%s: encode %v: %v", s, r, err)
			}
			if err := d.DecodeBytes(&p, doc, &back); err != nil {
				t.Fatalf("%s: decode %s: %v", s, doc, err)
			}
			for c := range r.Values {
				if !Equal(r.Values[c], back.Values[c]) || r.Values[c].Kind() != back.Values[c].Kind() {
					t.Fatalf("%s column %d: %v -> %s -> %v", s, c, r.Values[c], doc, back.Values[c])
				}
			}
		}
	}
}

func TestJSONDecodeAllocations(t *testing.T) {
	d, _ := NewJSONDecoder(gmallSchema, JSONOptions{})
	var p fastjson.Parser
	var r Row
	data := []byte(gmallJSON)
	if err := d.DecodeBytes(&p, data, &r); err != nil {
		t.Fatal(err)
	}
	// One allocation per row: the string holding all of its strings.
	if n := testing.AllocsPerRun(100, func() { _ = d.DecodeBytes(&p, data, &r) }); n > 1 {
		t.Errorf("decoding a gmall row allocates %v times, want 1", n)
	}
	// The strings do not alias the parser's buffer.
	name := r.Str(4)
	_ = d.DecodeBytes(&p, []byte(strings.Replace(gmallJSON, "Apple", "Pear!", 1)), &r)
	if !strings.HasPrefix(name, "Apple") {
		t.Errorf("a decoded string changed with the next record: %s", name)
	}
}

func TestRawFormat(t *testing.T) {
	f, err := NewRawFormat(MustParseSchema("line STRING"))
	if err != nil {
		t.Fatal(err)
	}
	var r Row
	f.Decode([]byte("a line, 中文"), &r)
	if r.String() != "+I[a line, 中文]" {
		t.Errorf("Decode = %s", r)
	}
	b, null, err := f.Append(nil, &r)
	if err != nil || null || string(b) != "a line, 中文" {
		t.Errorf("Append = %q %v %v", b, null, err)
	}
	f.Decode(nil, &r)
	if !r.IsNull(0) {
		t.Error("a null value is not NULL")
	}
	if _, null, _ := f.Append(nil, &r); !null {
		t.Error("NULL does not encode as a null value")
	}
	if _, err := NewRawFormat(MustParseSchema("a STRING, b STRING")); err == nil {
		t.Error("two columns accepted")
	}
	if _, err := NewRawFormat(MustParseSchema("a INT")); err == nil {
		t.Error("INT accepted")
	}
	bf, _ := NewRawFormat(MustParseSchema("b BYTES"))
	bf.Decode([]byte{0, 1, 2}, &r)
	if r.Values[0].Kind() != KindVarBinary || r.Str(0) != "\x00\x01\x02" {
		t.Errorf("bytes: %v", r)
	}
}

// FuzzJSONDecode: any input decodes or fails, never panics; what decodes
// encodes, and the encoding is a fixed point (decoding and encoding it
// again gives the same text: invalid UTF-8 became U+FFFD, dropped NULL map
// keys stay dropped).
func FuzzJSONDecode(f *testing.F) {
	s := MustParseSchema("b BOOLEAN, i INT, bi BIGINT, f FLOAT, d DECIMAL(10, 2), big DECIMAL(38, 4), s STRING, bs BYTES, " +
		"dt DATE, tm TIME(3), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(6), arr ARRAY<INT>, ms MULTISET<STRING>, " +
		"m MAP<INT, STRING>, r ROW<x STRING, y ARRAY<DOUBLE>>")
	for _, seed := range []string{
		gmallJSON, `{}`, `[]`, `{"b":"TRUE","i":"7","d":"1.005","big":-1e30,"s":{"a":[1]},"bs":"AQID"}`,
		`{"dt":"2024-02-29","tm":"23:59:59.999","ts":"9999-12-31 23:59:59.999","ltz":"0001-01-01 00:00:00Z"}`,
		`{"arr":[1,null,3],"ms":{"a":2},"m":{"1":"x","2":null},"r":{"x":"y","y":[1.5,"NaN"]}}`,
		`{"f":1e400,"i":1.9,"bi":"-9223372036854775808"}`,
	} {
		f.Add([]byte(seed))
	}
	dec, _ := NewJSONDecoder(s, JSONOptions{})
	lenient, _ := NewJSONDecoder(s, JSONOptions{IgnoreParseErrors: true})
	enc, _ := NewJSONEncoder(s, JSONOptions{MapNullKeyMode: MapNullKeyDrop})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p fastjson.Parser
		var r, back Row
		for _, d := range []*JSONDecoder{dec, lenient} {
			if err := d.DecodeBytes(&p, data, &r); err != nil {
				continue
			}
			out, err := enc.Append(nil, &r)
			if err != nil {
				t.Fatalf("encoding %v: %v", r, err)
			}
			if err := dec.DecodeBytes(&p, out, &back); err != nil {
				t.Fatalf("decoding %s: %v", out, err)
			}
			again, err := enc.Append(nil, &back)
			if err != nil || string(again) != string(out) {
				t.Fatalf("%s\nencodes to\n%s\nthen to\n%s %v", data, out, again, err)
			}
		}
	})
}

// With map-null-key.mode LITERAL, a NULL key written as a key the map
// also has gives one member, the later entry's, as Flink's JSON object
// (ObjectNode.set replaces): no duplicate key.
func TestJSONMapNullLiteralCollision(t *testing.T) {
	s := MustParseSchema("m MAP<STRING, INT>")
	e, _ := NewJSONEncoder(s, JSONOptions{MapNullKeyMode: MapNullKeyLiteral})
	for _, c := range []struct {
		keys []Value
		want string
	}{
		{[]Value{Null(), String("null")}, `{"m":{"null":2}}`},
		{[]Value{String("null"), Null()}, `{"m":{"null":2}}`},
		{[]Value{Null(), String("a")}, `{"m":{"null":1,"a":2}}`},
	} {
		r := NewRow(Insert, Map(c.keys, []Value{Int(1), Int(2)}))
		if got, err := e.Append(nil, &r); err != nil || string(got) != c.want {
			t.Errorf("%v: %s %v, want %s", c.keys, got, err, c.want)
		}
	}
}

// TestJSONValueEncoder: one value at a time, as JSONEncoder writes a
// column of that type.
func TestJSONValueEncoder(t *testing.T) {
	typ := MustParseType("ROW<a ARRAY<INT>, m MAP<INT, STRING>, b BYTES, n ROW<x INT>>")
	e := NewJSONValueEncoder(typ, JSONOptions{MapNullKeyMode: MapNullKeyLiteral})
	v := Struct([]Value{Array([]Value{Int(1), Null()}), Map([]Value{Int(2), Null()}, []Value{Null(), String("z")}), Bytes([]byte("ab")), Null()})
	got, err := e.Append([]byte("x"), v)
	if want := `x{"a":[1,null],"m":{"2":null,"null":"z"},"b":"YWI=","n":null}`; err != nil || string(got) != want {
		t.Errorf("got %s %v, want %s", got, err, want)
	}
	if got, err := e.Append(nil, Null()); err != nil || string(got) != "null" {
		t.Errorf("NULL: %s %v", got, err)
	}
}
