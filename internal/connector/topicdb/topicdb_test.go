package topicdb

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/maxwell"
)

// Expected changes are written by hand from SPEC §1's mapping.
var cases = []struct {
	name, format, in string
	want             []string // Maxwell JSON of each change
	notChange        bool
}{
	{
		name:   "maxwell insert (gmall sample)",
		format: Maxwell,
		in:     `{"database":"gmall","table":"cart_info","type":"insert","ts":1651217959,"xid":42,"commit":true,"data":{"id":1,"user_id":"9","sku_id":3,"sku_num":2,"create_time":"2022-04-29 15:39:19","order_price":5999.00}}`,
		want:   []string{`{"database":"gmall","table":"cart_info","type":"insert","ts":1651217959,"xid":42,"commit":true,"data":{"id":1,"user_id":"9","sku_id":3,"sku_num":2,"create_time":"2022-04-29 15:39:19","order_price":5999.00}}`},
	},
	{
		name:   "maxwell update with old",
		format: Auto,
		in:     `{"database":"gmall","table":"order_info","type":"update","ts":1651217960,"data":{"id":7,"order_status":"1002"},"old":{"order_status":"1001"}}`,
		want:   []string{`{"database":"gmall","table":"order_info","type":"update","ts":1651217960,"data":{"id":7,"order_status":"1002"},"old":{"order_status":"1001"}}`},
	},
	{
		name:   "maxwell bootstrap-start has empty data",
		format: Auto,
		in:     `{"database":"gmall","table":"base_province","type":"bootstrap-start","ts":1651217961,"data":{}}`,
		want:   []string{`{"database":"gmall","table":"base_province","type":"bootstrap-start","ts":1651217961,"data":{}}`},
	},
	{
		name:      "maxwell DDL is not a row change",
		format:    Auto,
		in:        `{"database":"gmall","table":"t","type":"table-create","ts":1651217961,"def":{}}`,
		notChange: true,
	},
	{
		name:   "debezium update without schema: old = changed columns",
		format: Auto,
		in:     `{"before":{"id":7,"order_status":"1001","total_amount":100},"after":{"id":7,"order_status":"1002","total_amount":100},"source":{"db":"gmall","table":"order_info","ts_ms":1651217960123},"op":"u","ts_ms":1651217960200}`,
		want:   []string{`{"database":"gmall","table":"order_info","type":"update","ts":1651217960,"data":{"id":7,"order_status":"1002","total_amount":100},"old":{"order_status":"1001"}}`},
	},
	{
		name:   "debezium snapshot read is bootstrap-insert",
		format: Debezium,
		in:     `{"before":null,"after":{"id":1,"name":"北京"},"source":{"db":"gmall","table":"base_province","ts_ms":0},"op":"r","ts_ms":1651217000999}`,
		want:   []string{`{"database":"gmall","table":"base_province","type":"bootstrap-insert","ts":1651217000,"data":{"id":1,"name":"北京"}}`},
	},
	{
		name:   "debezium delete carries the deleted row",
		format: Auto,
		in:     `{"before":{"id":3,"sku_id":5},"after":null,"source":{"db":"gmall","table":"cart_info","ts_ms":1651217962000},"op":"d"}`,
		want:   []string{`{"database":"gmall","table":"cart_info","type":"delete","ts":1651217962,"data":{"id":3,"sku_id":5}}`},
	},
	{
		// create_time 1651246759000 ms = 2022-04-29 15:39:19 (Debezium writes
		// DATETIME as if UTC); Decimal "Al1H" = 0x02 0x5D 0x47 = 154951, scale 2.
		name:   "debezium with schema: timestamps, dates and decimals converted",
		format: Auto,
		in: `{"schema":{"type":"struct","fields":[{"type":"struct","field":"before","fields":[]},{"type":"struct","field":"after","fields":[
			{"type":"int64","field":"id"},
			{"type":"int64","name":"io.debezium.time.Timestamp","field":"create_time"},
			{"type":"int32","name":"io.debezium.time.Date","field":"birthday"},
			{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"amount"}]}]},
			"payload":{"before":null,"after":{"id":1,"create_time":1651246759000,"birthday":19111,"amount":"Al1H"},"source":{"db":"gmall","table":"order_info","ts_ms":1651246759500},"op":"c"}}`,
		want: []string{`{"database":"gmall","table":"order_info","type":"insert","ts":1651246759,"data":{"id":1,"create_time":"2022-04-29 15:39:19","birthday":"2022-04-29","amount":1549.51}}`},
	},
	{
		name:      "debezium truncate is not a row change",
		format:    Auto,
		in:        `{"source":{"db":"gmall","table":"t","ts_ms":1},"op":"t"}`,
		notChange: true,
	},
	{
		name:   "canal insert of two rows; numeric columns become numbers",
		format: Auto,
		in:     `{"data":[{"id":"1","sku_num":"2","create_time":"2022-04-29 15:39:19","price":"5999.00","note":null},{"id":"2","sku_num":"1","create_time":"2022-04-29 15:39:20","price":"69.00","note":"x"}],"database":"gmall","es":1651217959000,"id":3,"isDdl":false,"mysqlType":{"id":"bigint(20)","sku_num":"int","create_time":"datetime","price":"decimal(10,2)","note":"varchar(200)"},"old":null,"pkNames":["id"],"table":"cart_info","ts":1651217959123,"type":"INSERT"}`,
		want: []string{
			`{"database":"gmall","table":"cart_info","type":"insert","ts":1651217959,"data":{"id":1,"sku_num":2,"create_time":"2022-04-29 15:39:19","price":5999.00,"note":null}}`,
			`{"database":"gmall","table":"cart_info","type":"insert","ts":1651217959,"data":{"id":2,"sku_num":1,"create_time":"2022-04-29 15:39:20","price":69.00,"note":"x"}}`,
		},
	},
	{
		name:   "canal update pairs each row with its old values",
		format: Canal,
		in:     `{"data":[{"id":"7","order_status":"1002"}],"database":"gmall","es":"1651217960000","isDdl":false,"mysqlType":{"id":"bigint","order_status":"varchar(20)"},"old":[{"order_status":"1001"}],"pkNames":["id"],"table":"order_info","ts":1651217960500,"type":"UPDATE"}`,
		want:   []string{`{"database":"gmall","table":"order_info","type":"update","ts":1651217960,"data":{"id":7,"order_status":"1002"},"old":{"order_status":"1001"}}`},
	},
	{
		name:      "canal DDL is not a row change",
		format:    Auto,
		in:        `{"data":null,"database":"gmall","isDdl":true,"sql":"alter table x add y int","table":"x","ts":1,"type":"ALTER"}`,
		notChange: true,
	},
}

func TestDecodeFormats(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDecoder(c.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Decode([]byte(c.in))
			if c.notChange {
				if !errors.Is(err, change.ErrNotChange) {
					t.Fatalf("got %v, %v; want ErrNotChange", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d changes, want %d", len(got), len(c.want))
			}
			for i, ch := range got {
				if g := string(ch.AppendMaxwell(nil)); !sameJSON(t, g, c.want[i]) {
					t.Errorf("change %d:\n got %s\nwant %s", i, g, c.want[i])
				}
			}
		})
	}
}

func sameJSON(t *testing.T, a, b string) bool {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("invalid JSON in test %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestBadRecordsAreErrorsNotPanics(t *testing.T) {
	d, _ := NewDecoder(Auto)
	for _, in := range []string{``, `null`, `[1]`, `{"a":1}`, `{"database":"gmall","table":"t","type":"insert","ts":"soon","data":{}}`,
		`{"database":"gmall","table":"t","type":"upsert","ts":1,"data":{}}`, `{"op":"c","source":{"db":"gmall","table":"t","ts_ms":1000}}`,
		`{"op":"x","source":{}}`, `{"data":[1],"type":"INSERT","database":"d","table":"t","es":1000}`, `{"data":[],"type":"INSERT","isDdl":false}`} {
		if _, err := d.Decode([]byte(in)); err == nil {
			t.Errorf("%q decoded without error", in)
		}
	}
	if _, err := NewDecoder("avro"); err == nil {
		t.Error("unknown format accepted")
	}
}

// FuzzDecode: no input panics; every change decoded is valid and survives a
// round trip through its Maxwell encoding. Seeds: testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c.in))
	}
	d, _ := NewDecoder(Auto)
	f.Fuzz(func(t *testing.T, in []byte) {
		changes, err := d.Decode(in)
		if err != nil {
			return
		}
		for _, c := range changes {
			if err := c.Validate(); err != nil {
				t.Fatalf("decoded an invalid change: %v", err)
			}
			mw := c.AppendMaxwell(nil)
			if !json.Valid(mw) {
				t.Fatalf("Maxwell encoding is not JSON: %s", mw)
			}
			back, err := maxwell.Decode(mw)
			if err != nil || len(back) != 1 {
				t.Fatalf("Maxwell encoding does not decode: %v: %s", err, mw)
			}
			if got := string(back[0].AppendMaxwell(nil)); got != string(mw) {
				t.Fatalf("round trip changed the change:\n%s\n%s", mw, got)
			}
		}
	})
}

// Found in review: strings with quotes, control characters, DEL, unusual
// code points or invalid UTF-8 (in values, keys and names) came out as Go
// escapes, which are not JSON; JSON-in-string columns were rejected.
func TestEscapesStayValidJSON(t *testing.T) {
	d, _ := NewDecoder(Auto)
	for _, in := range []string{
		`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":"q\"\u0001"}}`,
		`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":"q\"` + "\x7f" + `"}}`,
		`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":"q\\` + "\U000E0001" + `"}}`,
		`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a\"\u0001":1}}`,
		`{"database":"g\"` + "\x7f" + `","table":"t","type":"insert","ts":1,"data":{"a":1}}`,
		`{"database":"g\"` + "\U000E0001" + `","table":"t","type":"insert","ts":1,"data":{"a":1}}`,
		`{"before":null,"after":{"a":"q\"\u0001"},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}`,
		`{"before":null,"after":{"doc":"{\"k\":\"v\u000b\"}"},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}`,
		`{"before":null,"after":{"doc":"{\"k\":\"v` + "\x7f" + `\"}"},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}`,
		`{"data":[{"a":"q\"\u0001"}],"database":"g","table":"t","es":1000,"type":"INSERT"}`,
	} {
		cs, err := d.Decode([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		for _, c := range cs {
			if mw := c.AppendMaxwell(nil); !json.Valid(mw) {
				t.Errorf("%q -> invalid JSON %s", in, mw)
			}
		}
	}
}

func TestDebeziumConversionEdges(t *testing.T) {
	for in, want := range map[string]string{
		// unscaled 1 with scale -2 is 100
		`{"schema":{"fields":[{"field":"after","fields":[{"field":"m","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"-2"}}]}]},"payload":{"after":{"m":"AQ=="},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}}`: `{"m":100}`,
		// 0xff38 = -200, scale 2
		`{"schema":{"fields":[{"field":"after","fields":[{"field":"m","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]}]},"payload":{"after":{"m":"/zg="},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}}`: `{"m":-2.00}`,
		`{"schema":{"fields":[{"field":"after","fields":[{"field":"m","name":"io.debezium.time.ZonedTimestamp"}]}]},"payload":{"after":{"m":"2022-04-29T07:39:19Z"},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}}`:                  `{"m":"2022-04-29 07:39:19"}`,
		`{"schema":{"fields":[{"field":"after","fields":[{"field":"m","name":"io.debezium.time.MicroTime"}]}]},"payload":{"after":{"m":56359123456},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}}`:                                  `{"m":"15:39:19.123456"}`,
		// DATETIME(6) keeps its microseconds, as Maxwell writes them
		`{"schema":{"fields":[{"field":"after","fields":[{"field":"m","name":"io.debezium.time.MicroTimestamp"}]}]},"payload":{"after":{"m":1651246759123456},"source":{"db":"g","table":"t","ts_ms":1000},"op":"c"}}`: `{"m":"2022-04-29 15:39:19.123456"}`,
	} {
		cs, err := NewDecoderMust(t).Decode([]byte(in))
		if err != nil || len(cs) != 1 || string(cs[0].Data) != want {
			t.Errorf("%.80s...: data %s (%v), want %s", in, func() string {
				if len(cs) == 1 {
					return string(cs[0].Data)
				}
				return ""
			}(), err, want)
		}
	}
}

func NewDecoderMust(t *testing.T) *Decoder {
	d, err := NewDecoder(Auto)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A decoder that reuses its buffers decodes every case as a fresh one
// does, case after case, and allocates no row buffers for Maxwell.
func TestReuseDecodesTheSame(t *testing.T) {
	for _, format := range []string{Auto, Maxwell} {
		d, err := NewDecoder(format)
		if err != nil {
			t.Fatal(err)
		}
		d.Reuse()
		for round := range 2 {
			for _, c := range cases {
				if c.format != Maxwell && (format != Auto || c.format != Auto) {
					continue // Auto decodes the Maxwell and auto cases; Maxwell, its own
				}
				got, err := d.Decode([]byte(c.in))
				if c.notChange != errors.Is(err, change.ErrNotChange) || !c.notChange && err != nil {
					t.Fatalf("%s (round %d): %v", c.name, round, err)
				}
				if c.notChange {
					continue
				}
				if len(got) != len(c.want) {
					t.Fatalf("%s: %d changes, want %d", c.name, len(got), len(c.want))
				}
				for i, ch := range got {
					if g := string(ch.AppendMaxwell(nil)); !sameJSON(t, g, c.want[i]) {
						t.Errorf("%s (round %d) change %d:\n got %s\nwant %s", c.name, round, i, g, c.want[i])
					}
				}
			}
		}
	}
	in := []byte(`{"database":"gmall","table":"order_info","type":"update","ts":1651217960,"data":{"id":7,"order_status":"1002","user_id":"12"},"old":{"order_status":"1001"}}`)
	fresh, _ := NewDecoder(Maxwell)
	reused, _ := NewDecoder(Maxwell)
	reused.Reuse()
	v, err := fresh.p.ParseBytes(in)
	if err != nil {
		t.Fatal(err)
	}
	a := testing.AllocsPerRun(100, func() { fresh.DecodeValue(v) })
	b := testing.AllocsPerRun(100, func() { reused.DecodeValue(v) })
	if b >= a-2 { // data, old and the slice of changes
		t.Errorf("a reusing decoder allocates %v times per record, a fresh one %v", b, a)
	}
}
