package mysqlcdc

import (
	"bytes"
	"strconv"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// Maxwell change types.
const (
	typeInsert            = "insert"
	typeUpdate            = "update"
	typeDelete            = "delete"
	typeBootstrapStart    = "bootstrap-start"
	typeBootstrapInsert   = "bootstrap-insert"
	typeBootstrapComplete = "bootstrap-complete"
)

// change is one row change rendered as Maxwell JSON, split where a binlog
// transaction's xid and xoffset/commit go, which are known only at its end.
type change struct {
	head  []byte // {"database":..,"table":..,"type":..,"ts":N
	body  []byte // ,"data":{..}[,"old":{..}]}
	key   []byte
	ts    int64  // epoch seconds
	table string // the table name as the JSON carries it, "" if it needs escapes
	db    string // the table's database and name (Config.Route)
	name  string
}

// newChange renders a row change. data and old hold each column's JSON
// value (nil data: bootstrap start/complete, written as "data":{}); old,
// for updates, is the row before: only the columns whose value differs go
// into "old", as Maxwell does.
func newChange(t *Table, typ string, ts int64, data, old [][]byte) change {
	h := append([]byte(nil), `{"database":`...)
	h = jsonw.AppendString(h, []byte(t.DB))
	h = append(h, `,"table":`...)
	n := len(h)
	h = jsonw.AppendString(h, []byte(t.Name))
	// The rtdw.table header must be what a decoder reads back from the
	// JSON: the name, unless writing it needed escapes or replacements.
	table := ""
	if string(h[n+1:len(h)-1]) == t.Name {
		table = t.Name
	}
	h = append(h, `,"type":"`...)
	h = append(h, typ...)
	h = append(h, `","ts":`...)
	h = strconv.AppendInt(h, ts, 10)

	b := append([]byte(nil), `,"data":{`...)
	for j := range data {
		if j > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, []byte(t.Cols[j].Name))
		b = append(b, ':')
		b = append(b, data[j]...)
	}
	b = append(b, '}')
	if typ == typeUpdate && old != nil {
		b = append(b, `,"old":{`...)
		n := 0
		for j := range old {
			if bytes.Equal(old[j], data[j]) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = jsonw.AppendString(b, []byte(t.Cols[j].Name))
			b = append(b, ':')
			b = append(b, old[j]...)
		}
		b = append(b, '}')
	}
	b = append(b, '}')

	// Maxwell's producer_partition_by=primary_key key; rows of a table
	// without a primary key (and bootstrap start/complete) by table alone.
	k := append([]byte(nil), `{"database":`...)
	k = jsonw.AppendString(k, []byte(t.DB))
	k = append(k, `,"table":`...)
	k = jsonw.AppendString(k, []byte(t.Name))
	if data != nil {
		for _, i := range t.PK {
			k = append(k, `,"pk.`...)
			k = append(k, jsonw.AppendString(nil, []byte(t.Cols[i].Name))[1:]...)
			k = append(k, ':')
			k = append(k, data[i]...)
		}
	}
	k = append(k, '}')
	return change{head: h, body: b, key: k, ts: ts, table: table, db: t.DB, name: t.Name}
}

// headers are the topic_db headers of the change's record (see
// topicdb.HeaderTable): its table, and its event time ts*1000 in epoch ms
// when ts > 0, the values its Maxwell JSON carries.
func (c *change) headers() []rlog.Header {
	var hs []rlog.Header
	if c.table != "" {
		hs = append(make([]rlog.Header, 0, 2), rlog.Header{Key: topicdb.HeaderTable, Value: []byte(c.table)})
	}
	if c.ts > 0 {
		hs = append(hs, rlog.Header{Key: topicdb.HeaderTS, Value: strconv.AppendInt(nil, c.ts*1000, 10)})
	}
	return hs
}

// bootstrapValue is the record of a bootstrap change (no transaction).
func (c *change) bootstrapValue() []byte {
	v := make([]byte, 0, len(c.head)+len(c.body))
	v = append(v, c.head...)
	return append(v, c.body...)
}

// txnValue is the record of change i of n in the transaction xid: Maxwell
// writes "xoffset" on every row but the last, "commit":true on the last.
func (c *change) txnValue(xid uint64, i, n int) []byte {
	v := make([]byte, 0, len(c.head)+len(c.body)+40)
	v = append(v, c.head...)
	v = append(v, `,"xid":`...)
	v = strconv.AppendUint(v, xid, 10)
	if i < n-1 {
		v = append(v, `,"xoffset":`...)
		v = strconv.AppendInt(v, int64(i), 10)
	} else {
		v = append(v, `,"commit":true`...)
	}
	return append(v, c.body...)
}
