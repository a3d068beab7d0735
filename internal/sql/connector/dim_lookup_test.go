package connector

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/testenv"
)

// fillDims writes the dimension rows the lookup tests read, as dim_app
// writes them (values as Maxwell gives them: numbers as strings or not).
func fillDims(t *testing.T, s dim.Store) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateTable(bg, dim.Table{Name: "dim_sku", Columns: []string{"id", "name", "price", "ts"}, RowKey: "id"}))
	must(s.Put(bg, "dim_sku", "1", []byte(`{"id":"1","name":"phone","price":"9.90","ts":"2024-01-02 03:04:05"}`)))
	must(s.Put(bg, "dim_sku", "2", []byte(`{"id":2,"name":"tv","price":1999}`)))
	must(s.Put(bg, "dim_sku", "3", []byte(`{"id":"3","price":"abc"}`)))
}

const dimSkuCols = "id BIGINT, name STRING, price DECIMAL(10, 2), ts TIMESTAMP(0)"

// Lookups by row key in the embedded store and in Redis (by 'host', and
// as the configured store, Context.Dims): fields decoded by name into the
// DDL's types, a missing field NULL, a row that does not decode bad input.
func TestDimLookup(t *testing.T) {
	addr := testenv.Redis(t)
	host, port, _ := strings.Cut(addr, ":")
	redis, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: "wh:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { redis.Close() })
	fillDims(t, redis)
	t.Cleanup(func() { CloseLookups() })
	for _, kind := range []string{"pebble", "redis-host", "redis-configured"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			opts := map[string]string{"connector": "rtdw-dim", "table-name": "dim_sku", "lookup.cache": "PARTIAL", "lookup.partial-cache.max-rows": "100"}
			switch kind {
			case "pebble":
				s, err := dim.OpenPebble(e.log.StateStore())
				if err != nil {
					t.Fatal(err)
				}
				fillDims(t, s)
			case "redis-host":
				opts = map[string]string{"connector": "redis", "host": host, "port": port, "key-prefix": "wh:", "table-name": "dim_sku"}
			case "redis-configured":
				e.ctx.Dims = redis
			}
			tb := withPK(tbl("sku", dimSkuCols, opts), "id")
			s := e.lookup(tb, "id")
			for _, c := range []struct {
				key  row.Value
				want string
			}{
				{row.BigInt(1), "+I[1, phone, 9.90, 2024-01-02 03:04:05]"},
				{row.String("2"), "+I[2, tv, 1999.00, NULL]"},
				{row.BigInt(9), "miss"},
				{row.BigInt(3), `error: lookup_bad_row: rtdw-dim table dim_sku, key "3": field "price": cannot decode "abc" as DECIMAL(10, 2)`},
			} {
				if got := lookupText(t, s, c.key); got != c.want {
					t.Errorf("key %v:\ngot  %s\nwant %s", c.key, got, c.want)
				}
			}
		})
	}
}

func TestDimLookupOptions(t *testing.T) {
	e := newEnv(t)
	f := dimFactory
	for _, c := range []struct {
		tb   *Table
		keys []int
		want string
	}{
		{withPK(tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim"}), "id"), []int{1}, "looked up by its row key, the PRIMARY KEY id only"},
		{tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim"}), []int{0, 1}, "looked up by its row key only"},
		{tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim", "port": "6379"}), []int{0}, "'port' needs 'host'"},
		{tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim", "table-name": "a:b"}), []int{0}, "dimension table name 'a:b'"},
		{tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim", "host": "h", "port": "0"}), []int{0}, "must name a Redis"},
		{tbl("sku", dimSkuCols, map[string]string{"connector": "rtdw-dim", "lookup.cache": "FULL"}), []int{0}, "'FULL' is not supported"},
	} {
		_, err := f.NewLookup(e.ctx, c.tb, c.keys)
		errContains(t, err, c.want)
	}
	// Without a PRIMARY KEY any one column is taken for the row key; the
	// default table is the table's own name.
	s, err := f.NewLookup(e.ctx, tbl("dim_sku", dimSkuCols, map[string]string{"connector": "rtdw-dim"}), []int{0})
	if err != nil || s.(*dimLookup).table != "dim_sku" {
		t.Errorf("%v %v", s, err)
	}
}
