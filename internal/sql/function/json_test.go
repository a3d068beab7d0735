package function

import (
	"math"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestJSONValue(t *testing.T) {
	doc := s(`{"a":{"b":"x","n":1.50,"t":true,"z":null},"arr":[10,{"c":"y"},[1,2]],"中":"\u4e2d","k":1,"k":2}`)
	runCases(t, utcEnv, []tcase{
		// Flink docs: JSON_VALUE('{"a": true}', '$.a') returns "true".
		c("JSON_VALUE", s("true"), s(`{"a": true}`), s("$.a")),
		// Flink docs: '$.["a.b"][0]' on {"a.b": [0.998,0.996]} is 0.998.
		c("JSON_VALUE", s("0.998"), s(`{"a.b": [0.998,0.996]}`), s(`$.["a.b"][0]`)),
		// Flink docs: JSON_VALUE('{"contains blank": "right"}', 'strict $.[''contains blank'']') is "right".
		c("JSON_VALUE", s("right"), s(`{"contains blank": "right"}`), s(`strict $.['contains blank']`)),
		c("JSON_VALUE", s("x"), doc, s("$.a.b")),
		c("JSON_VALUE", s("1.50"), doc, s("$.a.n")), // the number's text
		c("JSON_VALUE", s("true"), doc, s("lax $.a.t")),
		c("JSON_VALUE", s("10"), doc, s("$.arr[0]")),
		c("JSON_VALUE", s("y"), doc, s("$.arr[1].c")),
		c("JSON_VALUE", s("2"), doc, s("$.arr[-1][1]")),
		c("JSON_VALUE", s("中"), doc, s("$.中")),
		c("JSON_VALUE", s("2"), doc, s("$.k")), // the last of duplicate keys, as Jackson
		c("JSON_VALUE", nl, doc, s("$.a")),     // an object is not a scalar
		c("JSON_VALUE", nl, doc, s("$.arr")),
		c("JSON_VALUE", nl, doc, s("$.a.z")), // JSON null
		c("JSON_VALUE", nl, doc, s("$.missing")),
		c("JSON_VALUE", nl, doc, s("$.arr[9]")),
		c("JSON_VALUE", nl, doc, s("$.a.b.c")),
		c("JSON_VALUE", nl, doc, s("$.arr[*]")), // several values
		c("JSON_VALUE", nl, s("{not json"), s("$.a")),
		// No JSON to Jackson (and encoding/json), though fastjson parses
		// it: an error, so NULL, also where the path looks elsewhere.
		c("JSON_VALUE", nl, s(`{"a":NaN}`), s("$.a")),
		c("JSON_VALUE", nl, s(`{"a":01}`), s("$.a")),
		c("JSON_VALUE", nl, s(`{"a":"\x"}`), s("$.a")),
		c("JSON_VALUE", nl, s(`{"a":1,"b":1.2.3}`), s("$.a")),
		c("JSON_VALUE", nl, s("{\"a\":\"x\x01\"}"), s("$.a")),
		c("JSON_VALUE", nl, nl, s("$.a")),
		c("JSON_VALUE", s(`{"b":1}`), s(`"{\"b\":1}"`), s("$")),
	})
}

func TestJSONQueryExists(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		// Flink docs: JSON_QUERY('{ "a": { "b": 1 } }', '$.a') is '{ "b": 1 }' (written compactly);
		// JSON_QUERY('[1, 2]', '$') is '[1, 2]'; 'lax $.a[*].c' on {"a":[{"c":"c1"},{"c":"c2"}]}
		// is '["c1","c2"]'; JSON_QUERY(1, '$') is NULL.
		c("JSON_QUERY", s(`{"b":1}`), s(`{ "a": { "b": 1 } }`), s("$.a")),
		c("JSON_QUERY", s(`[1,2]`), s(`[1, 2]`), s("$")),
		c("JSON_QUERY", s(`["c1","c2"]`), s(`{"a":[{"c":"c1"},{"c":"c2"}]}`), s("lax $.a[*].c")),
		c("JSON_QUERY", nl, s("1"), s("$")),
		c("JSON_QUERY", nl, nl, s("$")),
		c("JSON_QUERY", s(`{"a":{"c":2,"d":1},"b":[true,null,"x\"y"]}`), s(`{"b":[true,null,"x\"y"],"a":{"d":1,"c":2}}`), s("$")), // keys sorted
		c("JSON_QUERY", s(`[]`), s(`{"a":[]}`), s("$.a[*]")),
		c("JSON_QUERY", s(`[1,2]`), s(`{"a":{"x":1,"y":2}}`), s("$.a.*")),
		c("JSON_QUERY", nl, s(`{"a":1}`), s("$.b")),

		// Flink docs: JSON_EXISTS('{"a": true}', '$.a') is TRUE, '$.b' FALSE,
		// JSON_EXISTS('{"a": [{ "b": 1 }]}', '$.a[0].b') TRUE.
		c("JSON_EXISTS", b(true), s(`{"a": true}`), s("$.a")),
		c("JSON_EXISTS", b(false), s(`{"a": true}`), s("$.b")),
		c("JSON_EXISTS", b(true), s(`{"a": [{ "b": 1 }]}`), s("$.a[0].b")),
		c("JSON_EXISTS", b(false), s(`{"a": null}`), s("$.a")),
		c("JSON_EXISTS", b(false), s(`oops`), s("$.a")),
		c("JSON_EXISTS", b(false), s(`{"a":1,"b":inf}`), s("$.a")),
		c("JSON_QUERY", nl, s(`{"a":[1,+2]}`), s("$.a")),
		c("JSON_EXISTS", b(true), s(`{"a":[1]}`), s("$.a[*]")),
		c("JSON_EXISTS", b(false), s(`{"a":[]}`), s("$.a[*]")),
		c("JSON_EXISTS", nl, nl, s("$.a")),
	})
	for _, p := range []string{"$..a", "$.a[?(@.b > 1)]", "$.a[0:2]", "$.a[0,1]", "a.b", "$.a b"} {
		v := s(p)
		errContains(t, bindErr(t, "JSON_VALUE", Arg{Type: row.StringType}, Arg{Type: row.StringType, Const: &v}), "unsupported JSON path")
	}
	// A per-row path that is not supported gives NULL (FALSE for JSON_EXISTS).
	bd := bind(t, utcEnv, "JSON_VALUE", Arg{Type: row.StringType}, Arg{Type: row.StringType})
	if v, err := bd.Eval([]row.Value{s(`{"a":1}`), s("$..a")}); err != nil || !v.IsNull() {
		t.Errorf("JSON_VALUE per-row '$..a' = %v, %v", v, err)
	}
}

func TestJSONConstructors(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		// Flink docs: JSON_OBJECT() is '{}'; JSON_OBJECT('K1' VALUE 'V1', 'K2' VALUE 'V2') is
		// '{"K1":"V1","K2":"V2"}'; a NULL value is null (NULL ON NULL).
		c("JSON_OBJECT", s(`{}`)),
		c("JSON_OBJECT", s(`{"K1":"V1","K2":"V2"}`), s("K1"), s("V1"), s("K2"), s("V2")),
		c("JSON_OBJECT", s(`{"K1":null}`), s("K1"), nl),
		c("JSON_OBJECT", s(`{"a":2,"b":1.5}`), s("b"), dec("1.5", 2, 1), s("a"), i(2)), // keys sorted
		c("JSON_OBJECT", s(`{"k":2}`), s("k"), i(1), s("k"), i(2)),
		c("JSON_OBJECT", s(`{"s":"a\"b\\c\nd"}`), s("s"), s("a\"b\\c\nd")),
		// Flink docs: JSON_ARRAY() is '[]'; JSON_ARRAY(1, '2') is '[1,"2"]'; NULL is absent.
		c("JSON_ARRAY", s(`[]`)),
		c("JSON_ARRAY", s(`[1,"2"]`), i(1), s("2")),
		c("JSON_ARRAY", s(`[]`), nl),
		c("JSON_ARRAY", s(`[true,1.0,"2024-01-02T03:04:05.5"]`), b(true), f(1), ts("2024-01-02 03:04:05.5")),

		// Flink docs: JSON_STRING(1) is '1', TRUE 'true', 'Hello, World!' '"Hello, World!"',
		// ARRAY[1, 2] '[1,2]'; NULL is NULL.
		c("JSON_STRING", s("1"), i(1)),
		c("JSON_STRING", s("true"), b(true)),
		c("JSON_STRING", s(`"Hello, World!"`), s("Hello, World!")),
		c("JSON_STRING", s("[1,2]"), arr(i(1), i(2))),
		c("JSON_STRING", nl, nl),
		c("JSON_STRING", s("1.0E20"), f(1e20)), // Java's Double.toString
		c("JSON_STRING", s("1.0E-4"), f(0.0001)),
		c("JSON_STRING", s("123.5"), f(123.5)),
		c("JSON_STRING", s(`"NaN"`), f(math.NaN())), // Jackson quotes non-numeric numbers
		c("JSON_STRING", s(`"2024-01-02T03:04:05Z"`), ltz("2024-01-02 03:04:05")),
		c("JSON_STRING", s(`"2024-01-02"`), date("2024-01-02")),
		c("JSON_STRING", s(`"AQI="`), row.BytesOf("\x01\x02")),
		c("JSON_STRING", s(`{"a":"1","b":null}`), row.MapEntries([]row.Value{s("b"), nl, s("a"), s("1")})),
	})

	// A ROW is an object of its fields, sorted by name.
	rt := row.RowOf(row.Field{Name: "name", Type: row.StringType}, row.Field{Name: "id", Type: row.IntType})
	bd := bind(t, utcEnv, "JSON_STRING", Arg{Type: rt})
	if v, _ := bd.Eval([]row.Value{row.Struct([]row.Value{s("x"), i(7)})}); v.Str() != `{"id":7,"name":"x"}` {
		t.Errorf("JSON_STRING(ROW) = %v", v)
	}

	// Nested constructors: Flink inserts them as JSON, not as strings.
	// Flink docs: JSON_OBJECT(KEY 'K1' VALUE JSON_OBJECT(KEY 'K2' VALUE 'V')) is '{"K1":{"K2":"V"}}';
	// JSON_ARRAY(JSON_ARRAY(1)) is '[[1]]'.
	inner := bind(t, utcEnv, "JSON_OBJECT", Arg{Type: row.StringType}, Arg{Type: row.StringType})
	innerV, _ := inner.Eval([]row.Value{s("K2"), s("V")})
	k1 := s("K1")
	outer, err := BindJSONConstructor(utcEnv, "JSON_OBJECT", []Arg{{Type: row.StringType, Const: &k1}, {Type: inner.Type}}, []bool{false, true})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := outer.Eval([]row.Value{k1, innerV}); v.Str() != `{"K1":{"K2":"V"}}` {
		t.Errorf("nested JSON_OBJECT = %v", v)
	}
	plain := bind(t, utcEnv, "JSON_OBJECT", Arg{Type: row.StringType}, Arg{Type: inner.Type})
	if v, _ := plain.Eval([]row.Value{k1, innerV}); v.Str() != `{"K1":"{\"K2\":\"V\"}"}` {
		t.Errorf("JSON_OBJECT of a string = %v", v)
	}
	one := bind(t, utcEnv, "JSON_ARRAY", Arg{Type: row.IntType})
	oneV, _ := one.Eval([]row.Value{i(1)})
	nested, err := BindJSONConstructor(utcEnv, "JSON_ARRAY", []Arg{{Type: one.Type}}, []bool{true})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := nested.Eval([]row.Value{oneV}); v.Str() != `[[1]]` {
		t.Errorf("nested JSON_ARRAY = %v", v)
	}

	if got := bind(t, utcEnv, "JSON_OBJECT", Arg{Type: row.StringType}, Arg{Type: row.IntType}).Type.String(); got != "STRING NOT NULL" {
		t.Errorf("JSON_OBJECT type %s", got)
	}
	errContains(t, bindErr(t, "JSON_OBJECT", Arg{Type: row.StringType}), "key/value pairs")
	errContains(t, bindErr(t, "JSON_OBJECT", Arg{Type: row.IntType}, Arg{Type: row.IntType}), "key 1 must be a STRING")
	errContains(t, bindErr(t, "JSON_STRING", Arg{Type: row.IntervalOf(row.ResDay, 2, 0)}), "cannot be converted to JSON")
	errContains(t, bindErr(t, "JSON_STRING", Arg{Type: row.MapOf(row.IntType, row.IntType)}), "key type must be a character string")
}

func BenchmarkJSONValue(b *testing.B) {
	doc := s(`{"database":"gmall","table":"order_info","type":"insert","ts":1709622489,` +
		`"data":{"id":3517,"consignee":"张三","total_amount":"1299.00","order_status":"1001",` +
		`"user_id":87,"create_time":"2024-03-05 15:08:09","province_id":12}}`)
	p := s("$.data.user_id")
	bd := bind(b, utcEnv, "JSON_VALUE", Arg{Type: row.StringType}, Arg{Type: row.StringType, Const: &p})
	args := []row.Value{doc, p}
	b.ReportAllocs()
	for b.Loop() {
		if v, err := bd.Eval(args); err != nil || v.Str() != "87" {
			b.Fatal(v, err)
		}
	}
}
