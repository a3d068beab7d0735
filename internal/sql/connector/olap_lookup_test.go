package connector

import (
	"testing"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/row"
)

// Point lookups on a DWS table of the embedded DuckDB: composite keys,
// string literals escaped, DECIMAL read exactly, dates and datetimes; the
// lookup options are accepted next to the sink's.
func TestOLAPLookupDuckDB(t *testing.T) {
	e := newEnv(t)
	t.Cleanup(func() { CloseOLAP() })
	q := &sharedOLAP{cfg: olap.Config{DataDir: e.ctx.DataDir}}
	tb := olap.Table{Name: "dws_sku", Key: []string{"sku_id", "dt"}, Columns: []olap.Column{
		{Name: "sku_id", Type: olap.String}, {Name: "dt", Type: olap.Date}, {Name: "amount", Type: olap.Decimal},
		{Name: "cnt", Type: olap.Int64}, {Name: "ts", Type: olap.DateTime}}}
	if err := q.EnsureTable(bg, tb); err != nil {
		t.Fatal(err)
	}
	if err := q.Upsert(bg, "dws_sku", [][]byte{
		[]byte(`{"sku_id":"a","dt":"2024-01-01","amount":99999999999999.99,"cnt":3,"ts":"2024-01-01 10:00:00"}`),
		[]byte(`{"sku_id":"it's \\x","dt":"2024-01-01","amount":1.5,"cnt":null,"ts":null}`),
		[]byte(`{"sku_id":"a","dt":"2024-01-02","amount":0,"cnt":1,"ts":null}`),
	}); err != nil {
		t.Fatal(err)
	}
	d := withPK(tbl("sku", "sku_id STRING, dt DATE, amount DECIMAL(16, 2), cnt BIGINT, ts TIMESTAMP(0)",
		map[string]string{"connector": "rtdw-olap", "table-name": "dws_sku", "sink.parallelism": "1",
			"lookup.cache": "PARTIAL", "lookup.partial-cache.expire-after-access": "1 min"}), "sku_id", "dt")
	s := e.lookup(d, "sku_id", "dt")
	if o := LookupOptionsOf(s); !o.Cache.Enabled || o.Cache.ExpireAfterAccess.Minutes() != 1 {
		t.Errorf("options %+v", o)
	}
	day, _ := row.ParseDate("2024-01-01")
	for _, c := range []struct {
		keys []row.Value
		want string
	}{
		{[]row.Value{row.String("a"), row.Date(day)}, "+I[a, 2024-01-01, 99999999999999.99, 3, 2024-01-01 10:00:00]"},
		{[]row.Value{row.String(`it's \x`), row.Date(day)}, `+I[it's \x, 2024-01-01, 1.50, NULL, NULL]`},
		{[]row.Value{row.String("a"), row.String("2024-01-02")}, "+I[a, 2024-01-02, 0.00, 1, NULL]"},
		{[]row.Value{row.String("b"), row.Date(day)}, "miss"},
		{[]row.Value{row.String("a"), row.String("not a date")}, "miss"},
	} {
		if got := lookupText(t, s, c.keys...); got != c.want {
			t.Errorf("keys %v:\ngot  %s\nwant %s", c.keys, got, c.want)
		}
	}
	// By a column that is no key: several rows.
	if got := lookupText(t, e.lookup(d, "cnt"), row.Int(1)); got != "+I[a, 2024-01-02, 0.00, 1, NULL]" {
		t.Errorf("by cnt: %s", got)
	}
	// A missing table is a store error (retryable), not bad input.
	gone := withPK(tbl("nope", "k STRING", map[string]string{"connector": "duckdb"}), "k")
	if _, err := e.lookup(gone, "k").Lookup(bg, []row.Value{row.String("x")}); err == nil {
		t.Error("no error for a missing table")
	}
	_, err := olapFactory.NewLookup(e.ctx, withPK(tbl("x", "k STRING", map[string]string{"connector": "rtdw-olap", "lookup.cache": "FULL"}), "k"), []int{0})
	errContains(t, err, "'lookup.cache' = 'FULL' is not supported")
}
