package mock

import (
	"strconv"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// Change types, as Maxwell names them.
const (
	TypeInsert            = "insert"
	TypeUpdate            = "update"
	TypeDelete            = "delete"
	TypeBootstrapStart    = "bootstrap-start"
	TypeBootstrapInsert   = "bootstrap-insert"
	TypeBootstrapComplete = "bootstrap-complete"
)

// Change is one row change of the business database.
type Change struct {
	Table *Table
	Type  string
	// Data is the row after the change (the deleted row for a delete; nil
	// for bootstrap-start/complete).
	Data Row
	// Old is the row before an update (nil otherwise); Maxwell's "old"
	// holds only the columns where Old and Data differ.
	Old Row
}

// Txn is one transaction of the business database: what a binlog reader sees
// between BEGIN and COMMIT. Bootstrap records (no transaction in MySQL) come
// as a Txn with Bootstrap set, one table at a time.
type Txn struct {
	TS        int64 // event time, epoch ms (Maxwell's ts is this in seconds)
	Xid       int64 // Maxwell's xid; 0 for bootstrap
	Bootstrap bool
	Changes   []Change
}

// AppendMaxwell appends change i of t as one Maxwell JSON object, byte for
// byte in Maxwell's shape: database, table, type, ts, then xid with xoffset
// (every row but the transaction's last) or commit:true (the last), data and,
// for updates, old with the changed columns only.
func (t *Txn) AppendMaxwell(dst []byte, i int) []byte {
	c := &t.Changes[i]
	dst = append(dst, `{"database":"gmall","table":"`...)
	dst = append(dst, c.Table.Name...)
	dst = append(dst, `","type":"`...)
	dst = append(dst, c.Type...)
	dst = append(dst, `","ts":`...)
	dst = strconv.AppendInt(dst, t.TS/1000, 10)
	if !t.Bootstrap {
		dst = append(dst, `,"xid":`...)
		dst = strconv.AppendInt(dst, t.Xid, 10)
		if i < len(t.Changes)-1 {
			dst = append(dst, `,"xoffset":`...)
			dst = strconv.AppendInt(dst, int64(i), 10)
		} else {
			dst = append(dst, `,"commit":true`...)
		}
	}
	dst = append(dst, `,"data":{`...)
	if c.Data != nil {
		for j := range c.Table.Cols {
			col := &c.Table.Cols[j]
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, col.Name)
			dst = append(dst, ':')
			dst = appendJSON(dst, col, c.Data[j])
		}
	}
	dst = append(dst, '}')
	if c.Type == TypeUpdate && c.Old != nil {
		dst = append(dst, `,"old":{`...)
		n := 0
		for j := range c.Table.Cols {
			if c.Old[j] == c.Data[j] {
				continue
			}
			col := &c.Table.Cols[j]
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendJSONString(dst, col.Name)
			dst = append(dst, ':')
			dst = appendJSON(dst, col, c.Old[j])
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// Headers returns the topic_db headers of change i of t (see
// topicdb.HeaderTable): its table and the event time its Maxwell record
// states, "ts" (t.TS/1000, seconds) times 1000, in epoch ms. Without a
// positive ts there is no time header (jobs then read the record's own).
func (t *Txn) Headers(i int) []rlog.Header {
	name := t.Changes[i].Table.Name
	ts := t.TS / 1000 * 1000
	if ts <= 0 {
		return []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte(name)}}
	}
	b := make([]byte, 0, len(name)+20) // one allocation for both values
	b = append(b, name...)
	n := len(b)
	b = strconv.AppendInt(b, ts, 10)
	return []rlog.Header{{Key: topicdb.HeaderTable, Value: b[:n:n]}, {Key: topicdb.HeaderTS, Value: b[n:]}}
}

// AppendKey appends the Kafka key Maxwell writes with
// producer_partition_by=primary_key: {"database":..,"table":..,"pk.<col>":v}.
// Bootstrap start/complete records (no row) are keyed by table alone.
func (c *Change) AppendKey(dst []byte) []byte {
	dst = append(dst, `{"database":"gmall","table":"`...)
	dst = append(dst, c.Table.Name...)
	dst = append(dst, '"')
	if c.Data != nil {
		pk := &c.Table.Cols[c.Table.PK]
		dst = append(dst, `,"pk.`...)
		dst = append(dst, pk.Name...)
		dst = append(dst, `":`...)
		dst = appendJSON(dst, pk, c.Data[c.Table.PK])
	}
	return append(dst, '}')
}

// AppendSQL appends the statement that makes the change (no trailing ';'):
// INSERT with every column, UPDATE of the changed columns by primary key,
// DELETE by primary key. Bootstrap records have no statement (nil).
func (c *Change) AppendSQL(dst []byte) []byte {
	t := c.Table
	switch c.Type {
	case TypeInsert, TypeBootstrapInsert:
		dst = append(dst, "INSERT INTO `"...)
		dst = append(dst, t.Name...)
		dst = append(dst, "` ("...)
		for j := range t.Cols {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '`')
			dst = append(dst, t.Cols[j].Name...)
			dst = append(dst, '`')
		}
		dst = append(dst, ") VALUES ("...)
		for j := range t.Cols {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendSQL(dst, &t.Cols[j], c.Data[j])
		}
		return append(dst, ')')
	case TypeUpdate:
		dst = append(dst, "UPDATE `"...)
		dst = append(dst, t.Name...)
		dst = append(dst, "` SET "...)
		n := 0
		for j := range t.Cols {
			if c.Old != nil && c.Old[j] == c.Data[j] {
				continue
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '`')
			dst = append(dst, t.Cols[j].Name...)
			dst = append(dst, "`="...)
			dst = appendSQL(dst, &t.Cols[j], c.Data[j])
		}
		return appendWherePK(dst, t, c.Data)
	case TypeDelete:
		dst = append(dst, "DELETE FROM `"...)
		dst = append(dst, t.Name...)
		dst = append(dst, '`')
		return appendWherePK(dst, t, c.Data)
	}
	return nil
}

func appendWherePK(dst []byte, t *Table, r Row) []byte {
	dst = append(dst, " WHERE `"...)
	dst = append(dst, t.Cols[t.PK].Name...)
	dst = append(dst, "`="...)
	return appendSQL(dst, &t.Cols[t.PK], r[t.PK])
}
