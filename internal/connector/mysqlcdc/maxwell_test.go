package mysqlcdc

import (
	"testing"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// The topic_db headers state what the record's JSON carries, or nothing:
// a table name the JSON has to escape gets no rtdw.table, ts 0 no rtdw.ts.
func TestChangeHeaders(t *testing.T) {
	r := &reader{cfg: Config{Topic: "topic_db"}}
	for _, c := range []struct {
		table     string
		ts        int64
		wantTable string
		wantTS    string
	}{
		{"order_info", 1717200000, "order_info", "1717200000000"},
		{"订单", 1717200001, "订单", "1717200001000"},
		{`we"ird`, 1717200000, "", "1717200000000"},
		{"bad\xff", 1717200000, "", "1717200000000"},
		{"order_info", 0, "order_info", ""},
	} {
		tbl := &Table{DB: "gmall", Name: c.table, Cols: []Column{{Name: "id"}}, PK: []int{0}}
		ch := newChange(tbl, typeInsert, c.ts, [][]byte{[]byte("1")}, nil)
		for _, rec := range []rlog.Record{r.record(&ch, ch.txnValue(7, 0, 1)), r.record(&ch, ch.bootstrapValue())} {
			if got := string(rec.Header(topicdb.HeaderTable)); got != c.wantTable {
				t.Errorf("%q: rtdw.table %q, want %q", c.table, got, c.wantTable)
			}
			if got := string(rec.Header(topicdb.HeaderTS)); got != c.wantTS {
				t.Errorf("%q ts %d: rtdw.ts %q, want %q", c.table, c.ts, got, c.wantTS)
			}
			v, err := fastjson.ParseBytes(rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			if c.wantTable != "" && string(v.GetStringBytes("table")) != c.wantTable {
				t.Errorf("%q: the JSON says %q", c.table, v.GetStringBytes("table"))
			}
		}
	}
}
