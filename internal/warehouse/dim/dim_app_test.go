package dim

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// 1795222800 = 2026-11-21 09:00:00 +08:00.
const t0 = 1795222800

func mx(db, table, typ string, ts int64, data string, old ...string) string {
	s := fmt.Sprintf(`{"database":%q,"table":%q,"type":%q,"ts":%d,"data":%s`, db, table, typ, ts, data)
	if len(old) > 0 {
		s += `,"old":` + old[0]
	}
	return s + "}"
}

func biz(table, typ string, ts int64, data string, old ...string) string {
	return mx("gmall", table, typ, ts, data, old...)
}

func cfg(typ string, ts int64, data string, old ...string) string {
	return mx("gmall_config", ConfigTable, typ, ts, data, old...)
}

// keyOf keys a line as the binlog reader does: by primary key (id,
// dic_code, or sink_table for config rows).
func keyOf(line string) []byte {
	for _, f := range []string{"sink_table", "dic_code", "id"} {
		if m := regexp.MustCompile(`"` + f + `":"?([^",}]+)`).FindStringSubmatch(line); m != nil {
			return []byte(m[1])
		}
	}
	return nil
}

type fixture struct {
	log   *embedded.Log
	store dimstore.Store
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, nil) }

// newFixtureWith uses store as dim_app's dimension store (nil: the
// embedded log's Pebble store).
func newFixtureWith(t *testing.T, store dimstore.Store) *fixture {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(context.Background(), ods.TopicDB, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	if store == nil {
		st, err := dimstore.OpenPebble(l.StateStore())
		if err != nil {
			t.Fatal(err)
		}
		store = st
	}
	return &fixture{log: l, store: store}
}

func (f *fixture) produce(t *testing.T, lines ...string) {
	var recs []rlog.Record
	for _, line := range lines {
		recs = append(recs, rlog.Record{Topic: ods.TopicDB, Partition: rlog.AutoPartition, Key: keyOf(line), Value: []byte(line)})
	}
	if err := f.log.Commit(context.Background(), &rlog.Txn{Records: recs}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) drain(t *testing.T) {
	if err := stream.Run(context.Background(), stream.Options{Log: f.log, Drain: true}, App(Config{Store: f.store})); err != nil {
		t.Fatal(err)
	}
}

// rows returns a table's rows as key -> row JSON (normalized).
func (f *fixture) row(t *testing.T, table, key string) string {
	raw, ok, err := f.store.Get(context.Background(), table, key)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<missing>"
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *fixture) tables(t *testing.T) map[string]dimstore.Table {
	ts, err := f.store.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dimstore.Table{}
	for _, x := range ts {
		out[x.Name] = x
	}
	return out
}

func (f *fixture) deadLetters(t *testing.T) []string {
	var out []string
	for p := int32(0); p < 4; p++ {
		recs, err := f.log.Fetch(context.Background(), rlog.TopicPartition{Topic: "dirty_data", Partition: p}, 0, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			reason := string(r.Header(stream.HeaderReason))
			code, _, _ := strings.Cut(reason, ":")
			out = append(out, code+" "+string(r.Value))
		}
	}
	sort.Strings(out)
	return out
}

// json.Marshal sorts object keys: expected rows below are in that order.
func TestDimAppRoutesByDefaultConfig(t *testing.T) {
	f := newFixture(t)
	f.produce(t,
		biz("base_province", "bootstrap-insert", t0, `{"id":1,"name":"北京","region_id":"1","area_code":"110000","iso_code":"CN-11","iso_3166_2":"CN-BJ","extra":"x"}`),
		biz("base_province", "bootstrap-insert", t0, `{"id":2,"name":"天津","region_id":"1","area_code":"120000","iso_code":"CN-12","iso_3166_2":"CN-TJ"}`),
		biz("base_dic", "insert", t0, `{"dic_code":"1101","dic_name":"支付宝","parent_code":"11","create_time":null,"operate_time":null}`),
		biz("sku_info", "insert", t0+1, `{"id":7,"spu_id":3,"price":5999.00,"sku_name":"小米","sku_desc":"d","weight":0.5,"tm_id":1,"category3_id":61,"sku_default_img":"i","is_sale":1,"create_time":"2026-11-21 09:00:01"}`),
		biz("sku_info", "update", t0+2, `{"id":7,"spu_id":3,"price":4999.00,"sku_name":"小米","sku_desc":"d","weight":0.5,"tm_id":1,"category3_id":61,"sku_default_img":"i","is_sale":1,"create_time":"2026-11-21 09:00:01"}`, `{"price":5999.00}`),
		biz("base_province", "delete", t0+3, `{"id":2,"name":"天津","region_id":"1","area_code":"120000","iso_code":"CN-12","iso_3166_2":"CN-TJ"}`),
		biz("order_info", "insert", t0+3, `{"id":100,"user_id":5,"order_status":"1001"}`), // not a dimension
		`{"database":"gmall","table":"sku_info"`, // truncated JSON
		biz("base_trademark", "insert", t0+4, `{"tm_name":"no id"}`),
		biz("base_trademark", "insert", t0+4, `{}`),
	)
	f.drain(t)
	for _, c := range []struct{ table, key, want string }{
		{"dim_base_province", "1", `{"area_code":"110000","id":1,"iso_3166_2":"CN-BJ","iso_code":"CN-11","name":"北京","region_id":"1"}`},
		{"dim_base_province", "2", `<missing>`},
		{"dim_base_dic", "1101", `{"create_time":null,"dic_code":"1101","dic_name":"支付宝","operate_time":null,"parent_code":"11"}`},
		{"dim_sku_info", "7", `{"category3_id":61,"create_time":"2026-11-21 09:00:01","id":7,"is_sale":1,"price":4999,"sku_default_img":"i","sku_desc":"d","sku_name":"小米","spu_id":3,"tm_id":1,"weight":0.5}`},
	} {
		if got := f.row(t, c.table, c.key); got != c.want {
			t.Errorf("%s[%s] = %s\nwant %s", c.table, c.key, got, c.want)
		}
	}
	if _, ok := f.tables(t)["dim_order_info"]; ok {
		t.Error("order_info became a dimension")
	}
	want := []string{
		`empty_data {"database":"gmall","table":"base_trademark","type":"insert","ts":1795222804,"data":{}}`,
		`malformed_json {"database":"gmall","table":"sku_info"`,
		`no_row_key {"database":"gmall","table":"base_trademark","type":"insert","ts":1795222804,"data":{"tm_name":"no id"}}`,
	}
	if got := f.deadLetters(t); !reflect.DeepEqual(got, want) {
		t.Errorf("dead letters\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDimAppLiveConfig: a config row arriving after its business rows
// (the startup race), a column change that keeps rows, a config delete
// that drops the table, and a second run that keeps the config it learnt.
func TestDimAppLiveConfig(t *testing.T) { testDimAppLiveConfig(t, newFixture(t)) }

func testDimAppLiveConfig(t *testing.T, f *fixture) {
	f.produce(t,
		biz("base_trademark", "insert", t0, `{"id":1,"tm_name":"小米","logo_url":"u"}`),
		biz("cart_info", "insert", t0, `{"id":10,"user_id":5,"sku_id":7,"sku_num":2}`),
		biz("cart_info", "insert", t0+1, `{"id":11,"user_id":6,"sku_id":8,"sku_num":1}`),
		// The config row for cart_info comes after its rows, in another partition.
		cfg("insert", t0+1, `{"source_table":"cart_info","sink_table":"dim_cart_info","sink_family":"info","sink_columns":"id,user_id,sku_num,no_such_column","sink_row_key":"id"}`),
		cfg("update", t0+2, `{"source_table":"base_trademark","sink_table":"dim_base_trademark","sink_family":"info","sink_columns":"id,tm_name","sink_row_key":"id"}`, `{"sink_columns":"id,tm_name,logo_url"}`),
		biz("base_trademark", "insert", t0+3, `{"id":2,"tm_name":"华为","logo_url":"v"}`),
		cfg("delete", t0+3, `{"source_table":"base_region","sink_table":"dim_base_region","sink_family":"info","sink_columns":"id,region_name","sink_row_key":"id"}`),
		biz("base_region", "insert", t0+4, `{"id":1,"region_name":"华北"}`),
		cfg("insert", t0+4, `{"source_table":"cart_info","sink_table":"","sink_columns":"id"}`),
	)
	f.drain(t)
	for _, c := range []struct{ table, key, want string }{
		{"dim_cart_info", "10", `{"id":10,"no_such_column":null,"sku_num":2,"user_id":5}`},
		{"dim_cart_info", "11", `{"id":11,"no_such_column":null,"sku_num":1,"user_id":6}`},
		{"dim_base_trademark", "1", `{"id":1,"logo_url":"u","tm_name":"小米"}`}, // kept as written
		{"dim_base_trademark", "2", `{"id":2,"tm_name":"华为"}`},                // new column set
		{"dim_base_region", "1", `<missing>`},
	} {
		if got := f.row(t, c.table, c.key); got != c.want {
			t.Errorf("%s[%s] = %s\nwant %s", c.table, c.key, got, c.want)
		}
	}
	tables := f.tables(t)
	if _, ok := tables["dim_base_region"]; ok {
		t.Error("dim_base_region not dropped")
	}
	if got := tables["dim_base_trademark"].Columns; !reflect.DeepEqual(got, []string{"id", "tm_name"}) {
		t.Errorf("dim_base_trademark columns %v", got)
	}
	dl := f.deadLetters(t)
	if len(dl) != 1 || !strings.HasPrefix(dl[0], "bad_config ") {
		t.Errorf("dead letters %v, want one bad_config", dl)
	}

	// A second run: the learnt config (not the defaults) still applies.
	f.produce(t, biz("cart_info", "insert", t0+10, `{"id":12,"user_id":7,"sku_id":9,"sku_num":3}`),
		biz("base_region", "insert", t0+10, `{"id":2,"region_name":"华东"}`))
	f.drain(t)
	if got := f.row(t, "dim_cart_info", "12"); got != `{"id":12,"no_such_column":null,"sku_num":3,"user_id":7}` {
		t.Errorf("second run: dim_cart_info[12] = %s", got)
	}
	if got := f.row(t, "dim_base_region", "2"); got != "<missing>" {
		t.Errorf("second run: dropped table got a row %s", got)
	}
}

// TestDefaultRulesMatchTheShopsConfig: the built-in rules equal the rows
// the simulator loads into gmall_config.table_process_dim.
func TestDefaultRulesMatchTheShopsConfig(t *testing.T) {
	re := regexp.MustCompile("INSERT INTO `table_process_dim` VALUES \\('([^']*)', '([^']*)', '([^']*)', '([^']*)', '([^']*)'\\);")
	var rows []Rule
	for _, m := range re.FindAllStringSubmatch(mock.SQLFile(mock.ConfigSQLFile), -1) {
		rows = append(rows, Rule{SourceTable: m[1], SinkTable: m[2], SinkFamily: m[3], SinkColumns: cols(m[4]), SinkRowKey: m[5]})
	}
	if len(rows) != 16 || !reflect.DeepEqual(rows, DefaultRules()) {
		t.Fatalf("shop config rows (%d):\n%v\ndefaults:\n%v", len(rows), rows, DefaultRules())
	}
}
